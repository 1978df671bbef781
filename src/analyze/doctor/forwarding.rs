//! The `ip-forward` and `rp-filter` checks. No I/O.

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
    if !failures.is_empty() {
        return Check::new(ID, Status::Fail, format!("strict reverse-path filtering drops packets from {}", failures.join(", ")))
            .with(evidence)
            .hint("use loose mode (sysctl -w net.ipv4.conf.all.rp_filter=2 and the interface's), or make the route back to those CIDRs leave by the interface their packets arrive on");
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
