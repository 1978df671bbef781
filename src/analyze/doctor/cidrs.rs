//! Which pod CIDRs are this node's and which are other nodes': from the
//! node's routes and tunnel entries, another node's own namespace, the CNI
//! configuration's IPAM subnets, the Kubernetes API's Node.spec.podCIDRs
//! (a lab's state adds more), bounded by the cluster network when known.
//! No I/O.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::discover::kube_nodes::NodeCidrs;
use crate::model::doctor::NodeFacts;
use crate::model::netns::is_link_local;
use crate::model::route::RT_TABLE_MAIN;
use crate::model::{Interface, LinkKind, Route};

use super::context::{Context, NodePod, RemoteCidr};
use super::facts::iface;

/// This node's pod CIDRs: the networks of its pods' addresses and of the
/// addresses on the bridges they are ports of.
pub fn local(f: &NodeFacts, pods: &[NodePod], pod_prefixes: &[(IpAddr, u8)]) -> Vec<IpNet> {
    let mut out: Vec<IpNet> = pod_prefixes
        .iter()
        .filter_map(|(ip, len)| IpNet::new(*ip, *len).ok().map(|n| n.trunc()))
        .filter(|n| n.prefix_len() < if n.addr().is_ipv4() { 32 } else { 128 })
        .collect();
    // a blackhole for a block holding this node's pods (Calico's own
    // aggregate: the /32s of its pods are more specific)
    out.extend(
        f.routes
            .iter()
            .filter(|r| r.table == RT_TABLE_MAIN && r.kind == "blackhole")
            .filter_map(|r| r.dst)
            .filter(|d| {
                d.prefix_len() > 0
                    && pods
                        .iter()
                        .any(|p| p.pod_ip.is_some_and(|ip| d.contains(&ip)))
            }),
    );
    for p in pods {
        if let Some(b) = iface(f, p.host_ifindex)
            .and_then(|h| h.master_ifindex)
            .and_then(|m| iface(f, m))
        {
            out.extend(
                b.addresses
                    .iter()
                    .map(|n| n.trunc())
                    .filter(|n| !n.addr().is_ipv6() || !is_link_local(n.addr())),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Other nodes' pod CIDRs seen from here: routes through a tunnel device or
/// a gateway (not the default route, not connected subnets), and VXLAN
/// neighbour entries (flannel gives each remote subnet's `.0` a permanent
/// entry) that no such route covers, taken as /24s.
pub fn remote_from_node(f: &NodeFacts, local: &[IpNet]) -> Vec<RemoteCidr> {
    let mut out: Vec<RemoteCidr> = Vec::new();
    let overlaps_local = |n: &IpNet| local.iter().any(|l| l.contains(n) || n.contains(l));
    for r in f.routes.iter().filter(|r| r.table == RT_TABLE_MAIN) {
        let Some(dst) = r.dst else { continue };
        if dst.prefix_len() == 0 || overlaps_local(&dst) || !is_unicast_net(&dst) {
            continue;
        }
        let via_tunnel = r.oif.and_then(|o| iface(f, o)).is_some_and(|d| {
            f.vxlans.iter().any(|v| v.ifindex == d.ifindex)
                || matches!(
                    d.kind,
                    LinkKind::Ipip | LinkKind::Geneve | LinkKind::Wireguard
                )
        });
        // a route that refuses: another node's CIDR when this node's pods
        // are of its family (a routing daemon's withdrawn route, or a fault)
        if matches!(r.kind.as_str(), "blackhole" | "unreachable" | "prohibit") {
            if local
                .iter()
                .any(|l| l.addr().is_ipv4() == dst.addr().is_ipv4())
            {
                out.push(RemoteCidr::new(dst, format!("a {} route", r.kind)));
            }
            continue;
        }
        if r.gateway.is_some() || via_tunnel {
            let dev = r
                .oif
                .and_then(|o| iface(f, o))
                .map(|d| d.name.clone())
                .unwrap_or_default();
            out.push(RemoteCidr {
                cidr: dst,
                source: format!(
                    "route via {}{dev}",
                    r.gateway.map(|g| format!("{g} dev ")).unwrap_or_default()
                ),
                node_inode: None,
            });
        }
    }
    for n in &f.neighbours {
        let Some(v) = f.vxlans.iter().find(|v| v.ifindex == n.ifindex) else {
            continue;
        };
        if n.state != "permanent" || out.iter().any(|r| r.cidr.contains(&n.ip)) {
            continue;
        }
        let Ok(cidr) = IpNet::new(n.ip, if n.ip.is_ipv4() { 24 } else { 64 }).map(|c| c.trunc())
        else {
            continue;
        };
        if overlaps_local(&cidr) {
            continue;
        }
        let dev = iface(f, v.ifindex)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        out.push(RemoteCidr {
            cidr,
            source: format!("VXLAN neighbour {} on {dev} (a /24 assumed)", n.ip),
            node_inode: None,
        });
    }
    out
}

/// Another node's pod CIDRs as its own namespace shows them: the subnets
/// of addresses on its bridges that have veth ports, and its blackhole
/// routes (Calico's per-node block), each with the object.
pub fn peer_local(interfaces: &[Interface], routes: &[Route]) -> Vec<(IpNet, String)> {
    let mut out: Vec<(IpNet, String)> = Vec::new();
    for b in interfaces.iter().filter(|i| i.kind == LinkKind::Bridge) {
        let has_veth = interfaces
            .iter()
            .any(|p| p.kind == LinkKind::Veth && p.master_ifindex == Some(b.ifindex));
        if !has_veth {
            continue;
        }
        for a in &b.addresses {
            let n = *a;
            if is_unicast_net(&n) && n.prefix_len() < if n.addr().is_ipv4() { 32 } else { 128 } {
                out.push((n.trunc(), format!("{} {a}", b.name)));
            }
        }
    }
    for r in routes
        .iter()
        .filter(|r| r.table == RT_TABLE_MAIN && r.kind == "blackhole")
    {
        if let Some(d) = r.dst.filter(|d| d.prefix_len() > 0 && is_unicast_net(d)) {
            out.push((d, format!("blackhole {d}")));
        }
    }
    out
}

/// The subnets a CNI configuration's IPAM hands out (`ipam.ranges[][].subnet`
/// and `ipam.subnet` of each plugin, host-local style): this node's pods'.
pub fn conf_subnets(plugins: &[serde_json::Value]) -> Vec<IpNet> {
    let mut out = Vec::new();
    for p in plugins {
        let ipam = &p["ipam"];
        let ranged = ipam["ranges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|set| set.as_array())
            .flatten()
            .filter_map(|r| r["subnet"].as_str());
        for text in ranged.chain(ipam["subnet"].as_str()) {
            if let Ok(n) = text.parse::<IpNet>()
                && !out.contains(&n.trunc())
            {
                out.push(n.trunc());
            }
        }
    }
    out
}

/// Keeps the CIDRs that lie in the cluster's pod networks, when those are
/// known: a route via a gateway to anything else (a management network) is
/// not another node's pods.
pub fn within_cluster(remote: Vec<RemoteCidr>, cluster: &[(IpNet, String)]) -> Vec<RemoteCidr> {
    if cluster.is_empty() {
        return remote;
    }
    remote
        .into_iter()
        .filter(|r| cluster.iter().any(|(c, _)| c.contains(&r.cidr)))
        .collect()
}

/// Not link-local or multicast: a network pods can be addressed in.
fn is_unicast_net(n: &IpNet) -> bool {
    !is_link_local(n.addr()) && !n.addr().is_multicast()
}

/// The API's pod CIDRs (Node.spec.podCIDRs): the judged node's (`me`) are
/// local, every other node's remote.
pub fn add_api(cx: &mut Context, api: &[NodeCidrs], me: Option<&str>) {
    let mine = |n: &&NodeCidrs| Some(n.name.as_str()) == me;
    for c in api.iter().filter(mine).flat_map(|n| &n.pod_cidrs) {
        if !cx.local_cidrs.contains(c) {
            cx.local_cidrs.push(*c);
        }
    }
    let local = &cx.local_cidrs;
    cx.remote_cidrs.retain(|r| {
        !local
            .iter()
            .any(|l| l.contains(&r.cidr) || r.cidr.contains(l))
    });
    let more = api
        .iter()
        .filter(|n| !mine(n))
        .flat_map(|n| {
            n.pod_cidrs.iter().map(move |c| {
                RemoteCidr::new(*c, format!("Kubernetes API: node {} spec.podCIDRs", n.name))
            })
        })
        .collect();
    merge(&mut cx.remote_cidrs, more, &cx.local_cidrs);
}

/// Adds CIDRs from another source (the API, a lab, a node on this machine);
/// one already known gains the source.
pub fn merge(known: &mut Vec<RemoteCidr>, more: Vec<RemoteCidr>, local: &[IpNet]) {
    for m in more {
        if local
            .iter()
            .any(|l| l.contains(&m.cidr) || m.cidr.contains(l))
        {
            continue;
        }
        match known.iter_mut().find(|k| k.cidr == m.cidr) {
            // one CIDR, several witnesses: name them all
            Some(k) => {
                if !k.source.split("; ").any(|s| s == m.source) {
                    k.source = format!("{}; {}", k.source, m.source);
                }
                k.node_inode = k.node_inode.or(m.node_inode);
            }
            None => known.push(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::doctor::fixtures;
    use crate::model::doctor::Neighbour;

    use crate::analyze::doctor::fixtures::link as ifc;
    use crate::analyze::doctor::fixtures::route;

    #[test]
    fn routes_and_tunnel_neighbours_give_remote_cidrs() {
        let f = NodeFacts {
            interfaces: vec![
                ifc(2, "eth0", "veth"),
                ifc(3, "flannel.1", "vxlan"),
                ifc(4, "cni0", "bridge"),
            ],
            vxlans: vec![{
                let mut v = fixtures::vxlan(3, 1);
                v.link = Some(2);
                v
            }],
            routes: vec![
                route("10.244.2.0/24", Some("10.244.2.0"), 3),
                route("172.30.0.0/24", None, 2),
                route("10.244.1.0/24", None, 4),
            ],
            neighbours: vec![
                Neighbour {
                    ifindex: 3,
                    ip: "10.244.2.0".parse().unwrap(),
                    mac: Some("02:00:00:00:00:02".into()),
                    state: "permanent".into(),
                },
                Neighbour {
                    ifindex: 3,
                    ip: "10.244.3.0".parse().unwrap(),
                    mac: Some("02:00:00:00:00:03".into()),
                    state: "permanent".into(),
                },
            ],
            ..Default::default()
        };
        let local = vec!["10.244.1.0/24".parse().unwrap()];
        let r = remote_from_node(&f, &local);
        let got: Vec<String> = r.iter().map(|x| x.cidr.to_string()).collect();
        assert_eq!(got, vec!["10.244.2.0/24", "10.244.3.0/24"]);
        assert!(
            r[1].source
                .contains("VXLAN neighbour 10.244.3.0 on flannel.1")
        );
        let mut known = r;
        merge(
            &mut known,
            vec![
                RemoteCidr::new("10.244.4.0/24".parse().unwrap(), "lab"),
                RemoteCidr::new("10.244.1.0/24".parse().unwrap(), "lab"),
            ],
            &local,
        );
        assert_eq!(known.len(), 3);
    }

    /// Calico's own block blackhole is local; another node's CIDR left as
    /// a refusing route is remote; an IPv6 one is not when pods are IPv4.
    #[test]
    fn refusing_routes_name_remote_cidrs_and_a_block_blackhole_is_local() {
        let mut own = route("10.65.1.0/26", None, 0);
        own.kind = "blackhole".into();
        own.oif = None;
        let mut theirs = route("10.65.2.0/26", None, 0);
        theirs.kind = "prohibit".into();
        theirs.oif = None;
        let mut v6 = route("fd00::/64", None, 0);
        v6.kind = "unreachable".into();
        v6.dst = Some("fd00::/64".parse().unwrap());
        v6.ipv6 = true;
        let f = NodeFacts {
            routes: vec![own, theirs, v6],
            ..Default::default()
        };
        let pods = vec![crate::analyze::doctor::NodePod {
            label: "default/cb-1-1".into(),
            pod_if: "eth0".into(),
            pod_ip: Some("10.65.1.2".parse().unwrap()),
            pod_mtu: Some(1500),
            pod_tx_dropped: 0,
            host_ifindex: 9,
            inode: None,
        }];
        let local = local(&f, &pods, &[]);
        assert_eq!(local, vec!["10.65.1.0/26".parse::<IpNet>().unwrap()]);
        let r = remote_from_node(&f, &local);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].cidr.to_string(), "10.65.2.0/26");
        assert_eq!(r[0].source, "a prohibit route");
    }

    /// Another node's pod CIDRs from its own namespace: a bridge with veth
    /// ports, and a block blackhole; a bridge without pods is not one.
    #[test]
    fn a_peers_pod_cidrs_come_from_its_pod_bridge_and_blackholes() {
        let mut cni0 = ifc(4, "cni0", "bridge");
        cni0.addresses = vec!["10.245.2.1/24".parse().unwrap()];
        let mut lonely = ifc(5, "br-x", "bridge");
        lonely.addresses = vec!["172.18.0.1/16".parse().unwrap()];
        let mut port = ifc(6, "veth1", "veth");
        port.master_ifindex = Some(4);
        let mut bh = route("10.65.2.0/26", None, 0);
        bh.kind = "blackhole".into();
        let got = peer_local(&[cni0, lonely, port], &[bh]);
        let cidrs: Vec<String> = got.iter().map(|(c, w)| format!("{c} {w}")).collect();
        assert_eq!(
            cidrs,
            vec![
                "10.245.2.0/24 cni0 10.245.2.1/24",
                "10.65.2.0/26 blackhole 10.65.2.0/26"
            ]
        );
    }

    #[test]
    fn a_cidr_known_twice_names_both_witnesses() {
        let mut known = vec![RemoteCidr::new(
            "10.99.2.0/24".parse().unwrap(),
            "route via 192.168.78.2 dev up",
        )];
        let mut api = RemoteCidr::new(
            "10.99.2.0/24".parse().unwrap(),
            "Kubernetes API: node n2 spec.podCIDRs",
        );
        api.node_inode = Some(7);
        merge(&mut known, vec![api.clone(), api], &[]);
        assert_eq!(known.len(), 1);
        assert_eq!(
            known[0].source,
            "route via 192.168.78.2 dev up; Kubernetes API: node n2 spec.podCIDRs"
        );
        assert_eq!(known[0].node_inode, Some(7));
    }

    #[test]
    fn conf_subnets_and_the_cluster_filter() {
        let plugins = vec![
            serde_json::json!({"type": "bridge", "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24"}], [{"subnet": "fd00:1::/64"}]]}}),
            serde_json::json!({"type": "ptp", "ipam": {"type": "host-local", "subnet": "10.244.1.7/24"}}),
            serde_json::json!({"type": "portmap"}),
        ];
        let got: Vec<String> = conf_subnets(&plugins)
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(got, vec!["10.244.1.0/24", "fd00:1::/64"]);
        let remote = vec![
            RemoteCidr::new(
                "10.244.2.0/24".parse().unwrap(),
                "route via 192.168.5.2 dev eth0",
            ),
            RemoteCidr::new(
                "172.16.0.0/16".parse().unwrap(),
                "route via 192.168.5.254 dev eth0",
            ),
        ];
        assert_eq!(within_cluster(remote.clone(), &[]).len(), 2);
        let cluster = [("10.244.0.0/16".parse().unwrap(), "subnet.env".to_string())];
        let kept = within_cluster(remote, &cluster);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].cidr.to_string(), "10.244.2.0/24");
    }
}
