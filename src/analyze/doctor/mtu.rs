//! The `mtu` check: pod eth0 = host veth ≤ tunnel ≤ uplink − encapsulation
//! overhead, per pod. No I/O.

use crate::model::doctor::{Check, Evidence, NodeFacts, Status};
use crate::model::route::RT_TABLE_MAIN;
use crate::model::{Interface, LinkKind};

use super::context::{Context, NodePod};
use super::facts::{iface, sample_host};

/// Bytes a tunnel adds to each packet, by link kind, for an IPv4 underlay
/// (IPv6 adds 20 more).
pub fn overhead(kind: &LinkKind) -> Option<u32> {
    match kind {
        LinkKind::Vxlan => Some(50),
        LinkKind::Geneve => Some(50),
        LinkKind::Ipip => Some(20),
        LinkKind::Gre | LinkKind::Gretap => Some(24),
        LinkKind::Wireguard => Some(60),
        LinkKind::Sit => Some(20),
        _ => None,
    }
}

/// The device packets to remote pods leave by: the route to the first
/// remote CIDR, else a tunnel device.
fn egress(f: &NodeFacts, cx: &Context) -> Option<u32> {
    cx.remote_cidrs
        .iter()
        .filter_map(|r| sample_host(&r.cidr))
        .find_map(|ip| {
            f.routes
                .iter()
                .filter(|r| {
                    r.table == RT_TABLE_MAIN
                        && r.kind == "unicast"
                        && r.dst.is_some_and(|d| d.contains(&ip))
                })
                .max_by_key(|r| r.dst.map(|d| d.prefix_len()).unwrap_or(0))
                .and_then(|r| r.oif)
        })
        .or_else(|| f.vxlans.first().map(|v| v.ifindex))
}

/// The uplink under a tunnel: the VXLAN device's `dev`, else the default route's device.
fn uplink_of(f: &NodeFacts, tunnel: &Interface) -> Option<u32> {
    f.vxlans
        .iter()
        .find(|v| v.ifindex == tunnel.ifindex)
        .and_then(|v| v.link)
        .or_else(|| {
            f.routes
                .iter()
                .find(|r| r.table == RT_TABLE_MAIN && r.dst.is_none() && !r.ipv6)
                .and_then(|r| r.oif)
        })
}

pub fn check(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "mtu";
    if cx.pods.is_empty() {
        return Check::new(ID, Status::Skip, "no pod is attached to this node");
    }
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let path = egress(f, cx).and_then(|i| iface(f, i));
    let path_mtu = path.and_then(|dev| {
        path_chain(f, dev, &cx.node_label, &mut evidence, &mut problems);
        dev.mtu
    });
    let egress = path.zip(path_mtu);
    for (n, p) in cx.pods.iter().enumerate() {
        let Some(host) = iface(f, p.host_ifindex) else {
            continue;
        };
        let (Some(pm), Some(hm)) = (p.pod_mtu, host.mtu) else {
            continue;
        };
        let bad = pod_mtu_problem(p, host, (pm, hm), egress);
        if n == 0
            || bad.is_some()
            || p.pod_tx_dropped > 0
            || host.stats.is_some_and(|s| s.rx_dropped > 0)
        {
            evidence.push(pod_chain(f, p, host, (pm, hm), egress, &cx.node_label));
        }
        problems.extend(bad);
    }
    if problems.is_empty() {
        let summary = match path_mtu {
            Some(m) => format!(
                "every pod's MTU fits the path to other nodes ({} pods, path MTU {m})",
                cx.pods.len()
            ),
            None => format!(
                "every pod's MTU fits its host veth ({} pods)",
                cx.pods.len()
            ),
        };
        return Check::new(ID, Status::Pass, summary).with(evidence);
    }
    Check::new(ID, Status::Fail, problems.join("; "))
        .with(evidence)
        .hint("set the pods' MTU (the CNI config's \"mtu\") to the tunnel's MTU, and the tunnel's to the uplink's minus the encapsulation overhead")
}

/// The chain above the pods: the device to other nodes and, for a tunnel,
/// its MTU plus the encapsulation against the uplink's.
fn path_chain(
    f: &NodeFacts,
    dev: &Interface,
    node: &str,
    evidence: &mut Vec<Evidence>,
    problems: &mut Vec<String>,
) {
    let Some(oh) = overhead(&dev.kind) else {
        evidence.push(Evidence::new(
            format!(
                "packets to other nodes' pods leave by {} (MTU {})",
                dev.name,
                dev.mtu.map(|m| m.to_string()).unwrap_or_else(|| "?".into())
            ),
            format!("routes and IFLA_MTU in {node}"),
        ));
        return;
    };
    let ul = uplink_of(f, dev).and_then(|u| iface(f, u));
    let v6 = f
        .vxlans
        .iter()
        .find(|v| v.ifindex == dev.ifindex)
        .and_then(|v| v.local)
        .is_some_and(|l| l.is_ipv6());
    let oh = if v6 { oh + 20 } else { oh };
    if let (Some(t), Some(u)) = (dev.mtu, ul.and_then(|u| u.mtu)) {
        let ul = ul.map(|u| u.name.as_str()).unwrap_or("?");
        evidence.push(Evidence::new(
            format!(
                "{} ({}) MTU {t} + {oh} bytes of encapsulation; uplink {ul} MTU {u}",
                dev.name, dev.kind
            ),
            format!("IFLA_MTU in {node}"),
        ));
        if t + oh > u {
            problems.push(format!(
                "{} MTU {t} + {oh} overhead exceeds {ul}'s {u}",
                dev.name
            ));
        }
    }
}

/// A pod's MTU `pm` against its host veth's `hm` and the path's.
fn pod_mtu_problem(
    p: &NodePod,
    host: &Interface,
    (pm, hm): (u32, u32),
    egress: Option<(&Interface, u32)>,
) -> Option<String> {
    if pm > hm {
        return Some(format!(
            "{} of {} has MTU {pm} but its host veth {} only {hm}: larger frames die on the veth",
            p.pod_if, p.label, host.name
        ));
    }
    if pm < hm {
        return Some(format!(
            "{} of {} has MTU {pm} below its host veth {}'s {hm}: the node sends it frames up to {hm} bytes, which the pod's side drops",
            p.pod_if, p.label, host.name
        ));
    }
    let (dev, t) = egress.filter(|(_, t)| pm > *t)?;
    Some(format!(
        "{} of {} has MTU {pm} above {}'s {t}: large packets to other nodes are lost",
        p.pod_if, p.label, dev.name
    ))
}

/// `pod eth0 MTU 1450 → veth MTU 1450 → cni0 MTU 1450 → flannel.1 MTU 1450; drops: …`.
fn pod_chain(
    f: &NodeFacts,
    p: &NodePod,
    host: &Interface,
    (pm, hm): (u32, u32),
    egress: Option<(&Interface, u32)>,
    node: &str,
) -> Evidence {
    let mut chain = format!("{} {} MTU {pm} → {} MTU {hm}", p.label, p.pod_if, host.name);
    if let Some(b) = host.master_ifindex.and_then(|m| iface(f, m)) {
        chain.push_str(&format!(" → {} MTU {}", b.name, b.mtu.unwrap_or(0)));
    }
    if let Some((dev, t)) = egress {
        chain.push_str(&format!(" → {} MTU {t}", dev.name));
    }
    let drops = format!(
        "; drops: {} tx {}, {} rx {}",
        p.pod_if,
        p.pod_tx_dropped,
        host.name,
        host.stats.map(|s| s.rx_dropped).unwrap_or(0)
    );
    Evidence::new(
        chain + &drops,
        format!("IFLA_MTU / IFLA_STATS64 in the pod and {node}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overheads() {
        assert_eq!(overhead(&LinkKind::Vxlan), Some(50));
        assert_eq!(overhead(&LinkKind::Ipip), Some(20));
        assert_eq!(overhead(&LinkKind::Wireguard), Some(60));
        assert_eq!(overhead(&LinkKind::Veth), None);
    }

    #[test]
    fn a_pod_mtu_below_or_above_its_host_veth_fails() {
        use crate::analyze::doctor::NodePod;
        use crate::analyze::doctor::fixtures::link;
        let pod = |mtu| NodePod {
            label: "default/fl-1-2".into(),
            pod_if: "eth0".into(),
            pod_ip: Some("10.244.1.3".parse().unwrap()),
            pod_mtu: Some(mtu),
            pod_tx_dropped: 0,
            host_ifindex: 7,
            inode: None,
        };
        let f = NodeFacts {
            interfaces: vec![link(7, "vethab12", "veth")],
            ..Default::default()
        };
        let run = |mtu| {
            check(
                &f,
                &Context {
                    pods: vec![pod(mtu)],
                    ..Default::default()
                },
            )
        };
        assert_eq!(check(&f, &Context::default()).status, Status::Skip);
        assert_eq!(run(1450).status, Status::Pass);
        let below = run(1400);
        assert_eq!(below.status, Status::Fail);
        assert!(
            below
                .summary
                .contains("MTU 1400 below its host veth vethab12's 1450"),
            "{}",
            below.summary
        );
        assert_eq!(run(9000).status, Status::Fail);
    }
}
