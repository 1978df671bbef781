//! The `ip-forward` and `rp-filter` checks. No I/O.

use std::collections::BTreeMap;

use ipnet::IpNet;

use crate::model::doctor::{Check, Evidence, NodeFacts, Status};

use super::{
    Context, fib, fib_command, fib_outcome, iface, sample_host, sample_pod, sysctl_evidence,
    sysctl_name,
};

/// `net.ipv4.ip_forward` (and IPv6 forwarding when pods have IPv6).
pub fn ip_forward(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "ip-forward";
    let node = &cx.node_label;
    let v4 = f.sysctls.get("net/ipv4/ip_forward").map(String::as_str);
    let pods_v6 = cx
        .pods
        .iter()
        .any(|p| p.pod_ip.is_some_and(|i| i.is_ipv6()));
    let mut evidence = vec![sysctl_evidence(f, "net/ipv4/ip_forward", node)];
    let mut off = Vec::new();
    if v4 != Some("1") {
        off.push("net.ipv4.ip_forward");
    }
    if pods_v6 {
        evidence.push(sysctl_evidence(f, "net/ipv6/conf/all/forwarding", node));
        if f.sysctls
            .get("net/ipv6/conf/all/forwarding")
            .map(String::as_str)
            != Some("1")
        {
            off.push("net.ipv6.conf.all.forwarding");
        }
    }
    if v4.is_none() {
        return Check::new(ID, Status::Skip, "net.ipv4.ip_forward could not be read")
            .with(evidence);
    }
    if off.is_empty() {
        return Check::new(
            ID,
            Status::Pass,
            format!(
                "the node forwards packets ({})",
                if pods_v6 { "IPv4 and IPv6" } else { "IPv4" }
            ),
        )
        .with(evidence);
    }
    Check::new(
        ID,
        Status::Fail,
        format!(
            "{} is off in {node}: packets between pods on different nodes are silently dropped",
            off.join(" and ")
        ),
    )
    .with(evidence)
    .hint(
        off.iter()
            .map(|k| format!("sysctl -w {k}=1"))
            .collect::<Vec<_>>()
            .join("; ")
            + " (and persist it in /etc/sysctl.d)",
    )
}

/// The interface packets from a remote pod CIDR arrive on: the tunnel
/// device holding a neighbour entry inside that CIDR (the remote VTEP's
/// overlay address, flannel-style), else the interface the route to it leaves by.
pub fn arrival_interface(f: &NodeFacts, cidr: &IpNet) -> Option<String> {
    let tunnel = f
        .neighbours
        .iter()
        .find(|n| cidr.contains(&n.ip) && f.vxlans.iter().any(|v| v.ifindex == n.ifindex));
    if let Some(n) = tunnel {
        return iface(f, n.ifindex).map(|i| i.name.clone());
    }
    let host = sample_host(cidr)?;
    route_dev(f, host)
}

/// The device of the most specific main-table route to `ip` (no iif).
pub fn route_dev(f: &NodeFacts, ip: std::net::IpAddr) -> Option<String> {
    f.routes
        .iter()
        .filter(|r| (r.table == 254) && r.kind == "unicast")
        .filter(|r| {
            r.dst.is_none_or(|d| d.contains(&ip))
                && r.dst.is_none_or(|d| d.addr().is_ipv4() == ip.is_ipv4())
        })
        .max_by_key(|r| r.dst.map(|d| d.prefix_len()).unwrap_or(0))
        .and_then(|r| r.oif)
        .and_then(|o| iface(f, o))
        .map(|i| i.name.clone())
}

/// The underlay interfaces: the devices the VXLAN tunnels send through and
/// the default route's. A peer that routes this node's pod CIDR directly
/// (host-gw style, or by mistake) delivers its pods' packets there,
/// unencapsulated, instead of through the tunnel.
pub fn underlay_interfaces(f: &NodeFacts) -> Vec<String> {
    let mut out: Vec<String> = f
        .vxlans
        .iter()
        .filter_map(|v| v.link)
        .chain(
            f.routes
                .iter()
                .filter(|r| r.table == 254 && r.dst.is_none() && !r.ipv6)
                .filter_map(|r| r.oif),
        )
        .filter_map(|i| iface(f, i))
        .map(|i| i.name.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Underlay interfaces in strict mode other than `arrival`, where packets
/// from a remote pod CIDR would be dropped if they came unencapsulated.
pub fn strict_underlays(f: &NodeFacts, arrival: &str) -> Vec<String> {
    underlay_interfaces(f)
        .into_iter()
        .filter(|u| u != arrival && rp_mode(f, u).0 == 1)
        .collect()
}

/// The effective reverse-path mode of an interface: the larger of `all` and its own.
fn rp_mode(f: &NodeFacts, ifname: &str) -> (u32, Vec<String>) {
    let keys = [
        "net/ipv4/conf/all/rp_filter".to_string(),
        format!("net/ipv4/conf/{ifname}/rp_filter"),
    ];
    let mode = keys
        .iter()
        .filter_map(|k| f.sysctls.get(k).and_then(|v| v.parse::<u32>().ok()))
        .max()
        .unwrap_or(0);
    (mode, keys.to_vec())
}

fn mode_name(m: u32) -> &'static str {
    match m {
        0 => "off",
        1 => "strict",
        _ => "loose",
    }
}

/// all/default/per-interface rp_filter, judged against the node's routes:
/// strict mode on an interface where a remote pod CIDR's packets arrive
/// while the route back to that CIDR leaves elsewhere drops them.
pub fn rp_filter(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "rp-filter";
    let node = &cx.node_label;
    if !f.sysctls.contains_key("net/ipv4/conf/all/rp_filter") {
        return Check::new(ID, Status::Skip, "rp_filter could not be read");
    }
    let mut evidence = vec![
        sysctl_evidence(f, "net/ipv4/conf/all/rp_filter", node),
        sysctl_evidence(f, "net/ipv4/conf/default/rp_filter", node),
    ];
    let mut failures = Vec::new();
    let mut strict_ok = Vec::new();
    let sample = sample_pod(f, cx).and_then(|p| p.pod_ip);
    for r in &cx.remote_cidrs {
        let Some(arrival) = arrival_interface(f, &r.cidr) else {
            continue;
        };
        let (mode, keys) = rp_mode(f, &arrival);
        let key = &keys[1];
        if !evidence
            .iter()
            .any(|e| e.fact.starts_with(&sysctl_name(key)))
        {
            evidence.push(sysctl_evidence(f, key, node));
        }
        if mode != 1 {
            continue;
        }
        let (Some(pod_ip), Some(remote)) = (sample, sample_host(&r.cidr)) else {
            continue;
        };
        let back = route_dev(f, remote).unwrap_or_else(|| "nowhere".into());
        match fib(f, pod_ip, Some(remote), Some(&arrival)) {
            Some(l) if l.result.is_err() => {
                evidence.push(Evidence::new(
                    format!("{} {}", fib_command(l), fib_outcome(l)),
                    format!("RTM_GETROUTE in {node}"),
                ));
                evidence.push(Evidence::new(
                    format!("packets from {} ({}) arrive on {arrival}, but the route back to it leaves via {back}", r.cidr, r.source),
                    format!("routes and neighbours of {node}"),
                ));
                failures.push(format!("{} arriving on {arrival}", r.cidr));
            }
            Some(l) => {
                evidence.push(Evidence::new(
                    format!("{} {}", fib_command(l), fib_outcome(l)),
                    format!("RTM_GETROUTE in {node}"),
                ));
                strict_ok.push(arrival.clone());
            }
            None => {}
        }
    }
    let growth = super::growth(f, "TcpExt:IPReversePathFilter");
    if growth > 0 {
        evidence.push(Evidence::new(
            format!(
                "TcpExt:IPReversePathFilter grew by {growth} in {:.1} s",
                f.sample_secs
            ),
            format!("/proc/net/netstat of {node}"),
        ));
    }
    // Strict mode on the underlay drops pod packets that a peer sends
    // there unencapsulated. Whether any come is only known from the
    // kernel's counter (which does not say from where): a healthy overlay
    // node with a strict uplink never sees them.
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &cx.remote_cidrs {
        let Some(arrival) = arrival_interface(f, &r.cidr) else {
            continue;
        };
        let (Some(pod_ip), Some(remote)) = (sample, sample_host(&r.cidr)) else {
            continue;
        };
        for u in strict_underlays(f, &arrival) {
            let key = format!("net/ipv4/conf/{u}/rp_filter");
            if !evidence
                .iter()
                .any(|e| e.fact.starts_with(&sysctl_name(&key)))
            {
                evidence.push(sysctl_evidence(f, &key, node));
            }
            if let Some(l) = fib(f, pod_ip, Some(remote), Some(&u)).filter(|l| l.result.is_err()) {
                evidence.push(Evidence::new(
                    format!("{} {}", fib_command(l), fib_outcome(l)),
                    format!("RTM_GETROUTE in {node}"),
                ));
                let back = route_dev(f, remote).unwrap_or_else(|| "nowhere".into());
                refused
                    .entry(u)
                    .or_default()
                    .push(format!("{} via {back}", r.cidr));
            }
        }
    }
    for (u, cidrs) in refused {
        if growth > 0 {
            evidence.push(Evidence::new(
                format!("the reverse-path filter dropped {growth} packets in {:.1} s, and {u} is the strict interface where pod packets arriving unencapsulated fail it (routes back: {})", f.sample_secs, cidrs.join(", ")),
                format!("routes, rp_filter and /proc/net/netstat of {node}"),
            ));
            failures.push(format!(
                "pod CIDRs arriving unencapsulated on {u} ({growth} dropped in {:.1} s; routes back: {})",
                f.sample_secs,
                cidrs.join(", ")
            ));
        } else {
            evidence.push(Evidence::new(
                format!("{u} is strict: pod packets arriving there unencapsulated would be dropped (routes back: {}); none were in {:.1} s (they arrive through the tunnel, as they should)", cidrs.join(", "), f.sample_secs),
                format!("routes, rp_filter and /proc/net/netstat of {node}"),
            ));
        }
    }
    if !failures.is_empty() {
        return Check::new(ID, Status::Fail, format!("strict reverse-path filtering drops packets from {}", failures.join(", ")))
            .with(evidence)
            .hint("use loose mode (sysctl -w net.ipv4.conf.all.rp_filter=2 and the interface's), or make the route back to those CIDRs leave by the interface their packets arrive on (or have the sending node route them through the tunnel)");
    }
    let all = f
        .sysctls
        .get("net/ipv4/conf/all/rp_filter")
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    let summary = if strict_ok.is_empty() {
        format!(
            "reverse-path filtering ({} for all) lets pod traffic through",
            mode_name(all)
        )
    } else {
        strict_ok.sort();
        strict_ok.dedup();
        format!(
            "strict reverse-path filtering on {} matches the routes (symmetric)",
            strict_ok.join(", ")
        )
    };
    Check::new(ID, Status::Pass, summary).with(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::doctor::{NodePod, RemoteCidr, fib_queries};
    use crate::model::Interface;
    use crate::model::doctor::{FibAnswer, FibLookup, Neighbour, VxlanInfo};

    fn ifc(ifindex: u32, name: &str, kind: &str, master: Option<u32>) -> Interface {
        Interface {
            name: name.into(),
            ifindex,
            kind: kind.into(),
            mtu: Some(1450),
            oper_state: "up".into(),
            admin_up: true,
            master_ifindex: master,
            ..Default::default()
        }
    }

    use crate::analyze::doctor::fixtures::route;

    fn lookup(iif: &str, ok: bool) -> FibLookup {
        FibLookup {
            dst: "10.244.1.2".parse().unwrap(),
            src: Some("10.244.3.2".parse().unwrap()),
            iif: Some(iif.into()),
            result: if ok {
                Ok(FibAnswer {
                    oif: Some("cni0".into()),
                    gateway: None,
                    kind: "unicast".into(),
                })
            } else {
                Err("Invalid argument (os error 22)".into())
            },
            errno: (!ok).then_some(libc::EINVAL),
        }
    }

    /// A flannel-style node1: strict rp_filter on `all` and the uplink eth0,
    /// loose on flannel.1, the route back to node3's pods through flannel.1.
    fn strict_uplink_node(rp_drops: u64) -> (NodeFacts, Context) {
        let sysctls = [
            ("net/ipv4/conf/all/rp_filter", "1"),
            ("net/ipv4/conf/default/rp_filter", "2"),
            ("net/ipv4/conf/eth0/rp_filter", "1"),
            ("net/ipv4/conf/flannel.1/rp_filter", "2"),
            ("net/ipv4/conf/cni0/rp_filter", "2"),
        ];
        let f = NodeFacts {
            sysctls: sysctls
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            interfaces: vec![
                ifc(2, "eth0", "veth", None),
                ifc(3, "flannel.1", "vxlan", None),
                ifc(4, "cni0", "bridge", None),
                ifc(5, "pnet1", "veth", Some(4)),
            ],
            vxlans: vec![VxlanInfo {
                ifindex: 3,
                vni: Some(1),
                local: None,
                link: Some(2),
                port: Some(8472),
                learning: Some(false),
            }],
            routes: vec![
                route("10.244.3.0/24", Some("10.244.3.0"), 3),
                route("172.30.0.0/24", None, 2),
                route("10.244.1.0/24", None, 4),
            ],
            neighbours: vec![Neighbour {
                ifindex: 3,
                ip: "10.244.3.0".parse().unwrap(),
                mac: Some("0e:6c:61:62:00:03".into()),
                state: "permanent".into(),
            }],
            counters_before: [("TcpExt:IPReversePathFilter".to_string(), 7)].into(),
            counters_after: [("TcpExt:IPReversePathFilter".to_string(), 7 + rp_drops)].into(),
            sample_secs: 0.3,
            fib: vec![lookup("eth0", false), lookup("flannel.1", true)],
            ..Default::default()
        };
        let cx = Context {
            node_label: "netns 1".into(),
            pods: vec![NodePod {
                label: "default/web-1-1".into(),
                pod_if: "eth0".into(),
                pod_ip: Some("10.244.1.2".parse().unwrap()),
                pod_mtu: Some(1450),
                pod_tx_dropped: 0,
                host_ifindex: 5,
            }],
            remote_cidrs: vec![RemoteCidr {
                cidr: "10.244.3.0/24".parse().unwrap(),
                source: "route via 10.244.3.0 dev flannel.1".into(),
            }],
            ..Default::default()
        };
        (f, cx)
    }

    #[test]
    fn a_strict_uplink_is_asked_about_and_fails_only_when_the_filter_drops() {
        let (f, cx) = strict_uplink_node(0);
        assert_eq!(underlay_interfaces(&f), vec!["eth0"]);
        assert_eq!(strict_underlays(&f, "flannel.1"), vec!["eth0"]);
        assert!(strict_underlays(&f, "eth0").is_empty());
        let iifs: Vec<Option<String>> = fib_queries(&f, &cx)
            .into_iter()
            .filter(|q| q.dst == "10.244.1.2".parse::<std::net::IpAddr>().unwrap())
            .map(|q| q.iif)
            .collect();
        assert_eq!(iifs, vec![Some("eth0".into()), Some("flannel.1".into())]);

        // no packet was dropped: a healthy overlay node with a strict uplink
        let c = rp_filter(&f, &cx);
        assert_eq!(c.status, Status::Pass, "{c:#?}");
        assert!(
            c.evidence
                .iter()
                .any(|e| e.fact.starts_with("eth0 is strict")
                    && e.fact.contains("10.244.3.0/24 via flannel.1")),
            "{c:#?}"
        );

        // the counter grew: packets from node3's pods do come in on eth0
        let (f, cx) = strict_uplink_node(5);
        let c = rp_filter(&f, &cx);
        assert_eq!(c.status, Status::Fail, "{c:#?}");
        assert_eq!(
            c.summary,
            "strict reverse-path filtering drops packets from pod CIDRs arriving unencapsulated \
             on eth0 (5 dropped in 0.3 s; routes back: 10.244.3.0/24 via flannel.1)"
        );
        assert!(
            c.evidence.iter().any(|e| e.fact
                == "ip route get 10.244.1.2 from 10.244.3.2 iif eth0 → Invalid argument (os error 22)"),
            "{c:#?}"
        );
        assert!(
            c.evidence
                .iter()
                .any(|e| e.fact.contains("dropped 5 packets")
                    && e.fact.contains("eth0 is the strict interface")),
            "{c:#?}"
        );
    }

    #[test]
    fn loose_mode_everywhere_asks_nothing_more() {
        let (mut f, cx) = strict_uplink_node(5);
        f.sysctls
            .insert("net/ipv4/conf/all/rp_filter".into(), "2".into());
        f.sysctls
            .insert("net/ipv4/conf/eth0/rp_filter".into(), "2".into());
        assert!(strict_underlays(&f, "flannel.1").is_empty());
        assert_eq!(rp_filter(&f, &cx).status, Status::Pass);
    }
}
