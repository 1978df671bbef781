//! The `tunnel` check: overlay devices up, a VXLAN FDB and neighbour entry
//! for every remote node the routes point at, the VTEPs reachable on the
//! underlay, and offload settings known to break. No I/O.

use std::net::IpAddr;

use crate::analyze::words::plural;
use crate::model::doctor::{Check, Evidence, NodeFacts, Status};
use crate::model::route::RT_TABLE_MAIN;
use crate::model::{Interface, LinkKind, OperState};

use super::context::Context;
use super::facts::iface;

/// Names overlay CNIs give their tunnel devices.
const TUNNEL_NAMES: &[&str] = &[
    "flannel.1",
    "vxlan.calico",
    "tunl0",
    "cilium_vxlan",
    "cilium_geneve",
    "flannel-wg",
    "wireguard.cali",
];

fn is_tunnel(name: &str, kind: &LinkKind) -> bool {
    matches!(
        kind,
        LinkKind::Vxlan
            | LinkKind::Geneve
            | LinkKind::Ipip
            | LinkKind::Wireguard
            | LinkKind::Gre
            | LinkKind::Gretap
            | LinkKind::Sit
    ) || TUNNEL_NAMES.contains(&name)
        || name.starts_with("genev_sys_")
}

/// `major.minor` of a kernel release string.
fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut it = release.split(['.', '-']);
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Whether `ip` lies in a subnet of one of the node's addresses on a
/// device that is not a tunnel (the underlay segment).
fn on_underlay_segment(f: &NodeFacts, ip: IpAddr) -> bool {
    f.interfaces
        .iter()
        .filter(|i| !is_tunnel(&i.name, &i.kind))
        .flat_map(|i| i.addresses.iter())
        .any(|n| n.prefix_len() > 0 && n.contains(&ip))
}

/// When the other nodes are on this machine: the FDB's VTEP must be an
/// address one of them holds, and that node's VXLAN device must still
/// have the MAC this node's neighbour entry names (a restarted flannel
/// makes a new one).
fn remote_vtep_problem(
    f: &NodeFacts,
    cx: &Context,
    dev: &str,
    mac: &str,
    vtep: IpAddr,
    dst: &str,
) -> Option<String> {
    if cx.machine_addresses.is_empty() {
        return None;
    }
    if !cx.machine_addresses.contains(&vtep) {
        return on_underlay_segment(f, vtep).then(|| {
            format!(
                "fdb {mac} on {dev} points at VTEP {vtep} (for {dst}), which no node on this machine holds"
            )
        });
    }
    let peer = cx.peers.iter().find(|p| p.owns(vtep))?;
    let macs = peer.vxlan_macs();
    if macs.is_empty() || macs.iter().any(|(_, m)| m.eq_ignore_ascii_case(mac)) {
        return None;
    }
    let theirs: Vec<String> = macs
        .iter()
        .map(|(i, m)| format!("{} {m}", i.name))
        .collect();
    Some(format!(
        "the neighbour entry on {dev} for {dst} names VTEP MAC {mac}, but {} (VTEP {vtep}) has {}: the remote VTEP's MAC changed",
        peer.label,
        theirs.join(", ")
    ))
}

/// What the tunnel check gathers: evidence, problems (FAIL) and warnings.
#[derive(Default)]
struct Findings {
    evidence: Vec<Evidence>,
    problems: Vec<String>,
    warnings: Vec<String>,
}

pub fn check(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "tunnel";
    let tunnels: Vec<_> = f
        .interfaces
        .iter()
        .filter(|i| is_tunnel(&i.name, &i.kind))
        .collect();
    if tunnels.is_empty() {
        return Check::new(
            ID,
            Status::Skip,
            "no overlay tunnel device on this node (routed pod network, or a single node)",
        );
    }
    let mut out = Findings::default();
    for t in &tunnels {
        device_state(t, f, cx, &mut out);
    }
    let vteps = route_entries(f, cx, &mut out);
    for (vtep, dst) in &vteps {
        out.problems.extend(underlay_problem(f, *vtep, dst));
    }
    tx_drops(&tunnels, f, &cx.node_label, &mut out);
    let Findings {
        evidence,
        problems,
        warnings,
    } = out;
    if !problems.is_empty() {
        return Check::new(ID, Status::Fail, problems.join("; "))
            .with(evidence)
            .hint("flannel rewrites these entries when it restarts; by hand: `bridge fdb append <vtep-mac> dev <tunnel> dst <remote-node-ip>` and `ip neigh replace <remote .0> lladdr <vtep-mac> dev <tunnel> nud permanent`");
    }
    if !warnings.is_empty() {
        return Check::new(ID, Status::Warn, warnings.join("; "))
            .with(evidence)
            .hint("ethtool -K <tunnel> tx-checksum-ip-generic off");
    }
    let names: Vec<&str> = tunnels.iter().map(|t| t.name.as_str()).collect();
    Check::new(
        ID,
        Status::Pass,
        format!(
            "{} up; {} with FDB and neighbour entries",
            names.join(", "),
            plural(vteps.len(), "remote VTEP", "remote VTEPs")
        ),
    )
    .with(evidence)
}

/// A tunnel device's link state, and its checksum offload on old kernels.
fn device_state(t: &Interface, f: &NodeFacts, cx: &Context, out: &mut Findings) {
    let node = &cx.node_label;
    let up = t.admin_up && matches!(t.oper_state, OperState::Up | OperState::Unknown);
    out.evidence.push(Evidence::new(
        format!(
            "{} ({}): admin {}, operational state {}",
            t.name,
            t.kind,
            if t.admin_up { "up" } else { "DOWN" },
            t.oper_state
        ),
        format!("IFF_UP and IFLA_OPERSTATE in {node}"),
    ));
    if !up {
        out.problems.push(format!("{} is down", t.name));
    }
    if let Some(feats) = f.features.get(&t.name)
        && feats.get("tx-checksum-ip-generic") == Some(&true)
        && t.kind == LinkKind::Vxlan
    {
        // VXLAN checksum offload corrupted NATed traffic before Linux 5.7.
        match kernel_version(&cx.kernel_release) {
            Some(v) if v < (5, 7) => out.warnings.push(format!(
                "tx-checksum-ip-generic is on for {} with kernel {}: Service traffic through the tunnel can be corrupted",
                t.name, cx.kernel_release
            )),
            _ => out.evidence.push(Evidence::new(
                format!("{}: tx-checksum-ip-generic on (harmless on kernel {})", t.name, cx.kernel_release),
                "ETHTOOL_GFEATURES",
            )),
        }
    }
}

/// Every route through a VXLAN device needs a neighbour entry for its
/// gateway and an FDB entry for that MAC pointing at the remote VTEP.
/// Returns the VTEPs found, with the destination that leads to each.
fn route_entries(f: &NodeFacts, cx: &Context, out: &mut Findings) -> Vec<(IpAddr, String)> {
    let mut vteps = Vec::new();
    for r in f
        .routes
        .iter()
        .filter(|r| r.table == RT_TABLE_MAIN && r.kind == "unicast")
    {
        let Some(dev) = r
            .oif
            .and_then(|o| iface(f, o))
            .filter(|d| d.kind == LinkKind::Vxlan)
        else {
            continue;
        };
        // a collect-metadata device takes its VTEP from eBPF or the route's
        // tunnel key, not from neighbour and FDB entries
        if f.vxlans
            .iter()
            .any(|v| v.ifindex == dev.ifindex && v.vni.is_none())
        {
            out.evidence.push(Evidence::new(
                format!("{}: collect-metadata (external): its VTEPs are set by eBPF, not by neighbour and FDB entries", dev.name),
                format!("IFLA_VXLAN_COLLECT_METADATA in {}", cx.node_label),
            ));
            continue;
        }
        let Some(gw) = r.gateway else { continue };
        let dst = r
            .dst
            .map(|d| d.to_string())
            .unwrap_or_else(|| "default".into());
        if let Some(vtep) = route_vtep(f, cx, dev, gw, &dst, out) {
            vteps.push((vtep, dst));
        }
    }
    vteps
}

/// The neighbour and FDB entries of one route via `dev` and `gw` to `dst`:
/// the remote VTEP they lead to, or the problem.
fn route_vtep(
    f: &NodeFacts,
    cx: &Context,
    dev: &Interface,
    gw: IpAddr,
    dst: &str,
    out: &mut Findings,
) -> Option<IpAddr> {
    let node = &cx.node_label;
    let Some(n) = f
        .neighbours
        .iter()
        .find(|n| n.ifindex == dev.ifindex && n.ip == gw)
    else {
        out.problems.push(format!(
            "no neighbour entry for {gw} on {} (route to {dst})",
            dev.name
        ));
        return None;
    };
    let Some(mac) = n
        .mac
        .clone()
        .filter(|_| !matches!(n.state.as_str(), "failed" | "incomplete"))
    else {
        out.problems.push(format!(
            "neighbour {gw} on {} is {} (route to {dst})",
            dev.name, n.state
        ));
        return None;
    };
    let Some(e) = f
        .fdb
        .iter()
        .find(|e| e.ifindex == dev.ifindex && e.mac == mac)
    else {
        out.evidence.push(Evidence::new(
            format!("{dst} via {gw} dev {}: neighbour {gw} lladdr {mac} ({}), but no fdb entry for {mac}", dev.name, n.state),
            format!("`bridge fdb show dev {}` in {node}", dev.name),
        ));
        out.problems.push(format!(
            "no FDB entry for {mac} on {}: packets to {dst} have no VTEP to go to",
            dev.name
        ));
        return None;
    };
    let Some(vtep) = e.dst else {
        out.problems.push(format!(
            "fdb entry {mac} on {} has no remote VTEP (route to {dst})",
            dev.name
        ));
        return None;
    };
    out.evidence.push(Evidence::new(
        format!(
            "{dst} via {gw} dev {}: neighbour {gw} lladdr {mac} ({}), fdb {mac} dst {vtep}",
            dev.name, n.state
        ),
        format!("routes, neighbours and the forwarding database of {node}"),
    ));
    out.problems
        .extend(remote_vtep_problem(f, cx, &dev.name, &mac, vtep, dst));
    Some(vtep)
}

/// A VTEP must be reachable on the underlay: a route that does not lead
/// back into a tunnel, and a neighbour that answers.
fn underlay_problem(f: &NodeFacts, vtep: IpAddr, dst: &str) -> Option<String> {
    let route = f
        .routes
        .iter()
        .filter(|r| {
            r.table == RT_TABLE_MAIN
                && r.kind == "unicast"
                && r.dst.is_none_or(|d| d.contains(&vtep))
                && r.dst.is_none_or(|d| d.addr().is_ipv4() == vtep.is_ipv4())
        })
        .max_by_key(|r| r.dst.map(|d| d.prefix_len()).unwrap_or(0));
    match route.and_then(|r| r.oif).and_then(|o| iface(f, o)) {
        None => Some(format!(
            "VTEP {vtep} (for {dst}) is unreachable: no route on the underlay"
        )),
        Some(d) if is_tunnel(&d.name, &d.kind) => Some(format!(
            "VTEP {vtep} (for {dst}) is routed into the tunnel {} itself",
            d.name
        )),
        Some(d) => f
            .neighbours
            .iter()
            .find(|n| n.ip == vtep && n.ifindex == d.ifindex && n.state == "failed")
            .map(|n| {
                format!(
                    "VTEP {vtep} does not answer ARP on {} ({})",
                    d.name, n.state
                )
            }),
    }
}

/// Tunnel devices whose tx_dropped grew during the sample.
fn tx_drops(tunnels: &[&Interface], f: &NodeFacts, node: &str, out: &mut Findings) {
    let grew: Vec<String> = tunnels
        .iter()
        .filter_map(|t| {
            let before = t.stats?.tx_dropped;
            let after = f.stats_later.get(&t.ifindex)?.tx_dropped;
            (after > before).then(|| format!("{} tx_dropped +{}", t.name, after - before))
        })
        .collect();
    if !grew.is_empty() {
        out.evidence.push(Evidence::new(
            format!("{} in {:.1} s", grew.join(", "), f.sample_secs),
            format!("IFLA_STATS64 in {node}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_versions() {
        assert_eq!(kernel_version("6.18.44-fc-v669"), Some((6, 18)));
        assert_eq!(kernel_version("5.4.0-150-generic"), Some((5, 4)));
        assert!(kernel_version("garbage").is_none());
        assert!(
            is_tunnel("genev_sys_6081", &LinkKind::Geneve)
                && is_tunnel("tunl0", &LinkKind::Ipip)
                && !is_tunnel("eth0", &LinkKind::Veth)
        );
    }

    /// flannel.1 on node1 with the route, neighbour and FDB entry for
    /// node2's subnet; node2 (on this machine) holds 192.168.50.2 and its
    /// own flannel.1 with `peer_mac`.
    fn overlay(fdb_dst: &str, peer_mac: &str) -> (NodeFacts, Context) {
        use crate::analyze::doctor::PeerNode;
        use crate::analyze::doctor::fixtures::{link, route};
        use crate::model::doctor::{FdbEntry, Neighbour, VxlanInfo};
        let mut eth0 = link(2, "eth0", "veth");
        eth0.addresses = vec!["192.168.50.1/24".parse().unwrap()];
        let vx = |ifindex| VxlanInfo {
            ifindex,
            vni: Some(1),
            local: None,
            link: Some(2),
            port: Some(8472),
            learning: Some(false),
        };
        let f = NodeFacts {
            interfaces: vec![eth0, link(3, "flannel.1", "vxlan")],
            vxlans: vec![vx(3)],
            routes: vec![
                route("10.244.2.0/24", Some("10.244.2.0"), 3),
                route("192.168.50.0/24", None, 2),
            ],
            neighbours: vec![Neighbour {
                ifindex: 3,
                ip: "10.244.2.0".parse().unwrap(),
                mac: Some("0e:fa:32:00:00:02".into()),
                state: "permanent".into(),
            }],
            fdb: vec![FdbEntry {
                ifindex: 3,
                mac: "0e:fa:32:00:00:02".into(),
                dst: Some(fdb_dst.parse().unwrap()),
            }],
            ..Default::default()
        };
        let mut peer_eth0 = link(2, "eth0", "veth");
        peer_eth0.addresses = vec!["192.168.50.2/24".parse().unwrap()];
        let mut peer_vx = link(3, "flannel.1", "vxlan");
        peer_vx.mac = Some(peer_mac.into());
        let cx = Context {
            node_label: "node1".into(),
            peers: vec![PeerNode {
                label: "node netns 22".into(),
                inode: 22,
                interfaces: vec![peer_eth0, peer_vx],
                vxlans: vec![vx(3)],
                ..Default::default()
            }],
            machine_addresses: vec![
                "192.168.50.1".parse().unwrap(),
                "192.168.50.2".parse().unwrap(),
            ],
            ..Default::default()
        };
        (f, cx)
    }

    #[test]
    fn the_remote_vtep_is_checked_against_the_node_on_this_machine() {
        let (f, cx) = overlay("192.168.50.2", "0e:fa:32:00:00:02");
        assert_eq!(check(&f, &cx).status, Status::Pass);
        // the FDB points at an address no node holds
        let (f, cx) = overlay("192.168.50.99", "0e:fa:32:00:00:02");
        let c = check(&f, &cx);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.summary.contains("points at VTEP 192.168.50.99"),
            "{}",
            c.summary
        );
        // node2's VXLAN device has a new MAC (flannel restarted)
        let (f, cx) = overlay("192.168.50.2", "0e:de:ad:be:ef:03");
        let c = check(&f, &cx);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.summary
                .contains("names VTEP MAC 0e:fa:32:00:00:02, but node netns 22")
                && c.summary.contains("flannel.1 0e:de:ad:be:ef:03"),
            "{}",
            c.summary
        );
        // with no other node on this machine neither can be judged
        let (f, mut cx) = overlay("192.168.50.99", "0e:de:ad:be:ef:03");
        cx.peers.clear();
        cx.machine_addresses.clear();
        assert_eq!(check(&f, &cx).status, Status::Pass);
    }

    /// No tunnel: skip. VXLAN checksum offload on a kernel before 5.7: warn.
    #[test]
    fn tunnel_skip_and_offload_warning() {
        assert_eq!(
            check(&NodeFacts::default(), &Context::default()).status,
            Status::Skip
        );
        let (mut f, mut cx) = overlay("192.168.50.2", "0e:fa:32:00:00:02");
        f.features.insert(
            "flannel.1".into(),
            [("tx-checksum-ip-generic".to_string(), true)].into(),
        );
        cx.kernel_release = "5.4.0-150-generic".into();
        let c = check(&f, &cx);
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.summary
                .contains("tx-checksum-ip-generic is on for flannel.1"),
            "{}",
            c.summary
        );
        cx.kernel_release = "6.18.0".into();
        assert_eq!(check(&f, &cx).status, Status::Pass);
    }
}
