//! The `veth`, `bridge-nf` and `conntrack` checks. No I/O.

use std::collections::BTreeMap;

use crate::model::doctor::{Check, Evidence, NodeFacts, Status};

use super::{Context, iface, sysctl_evidence};

/// Every pod's host veth is up, a port of its bridge where the node's pods
/// use one, and its drop counters do not grow.
pub fn veth(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "veth";
    let node = &cx.node_label;
    if cx.pods.is_empty() {
        return Check::new(ID, Status::Skip, "no pod is attached to this node");
    }
    // The bridge most pods' host veths are ports of, if any.
    let mut masters: BTreeMap<u32, usize> = BTreeMap::new();
    for p in &cx.pods {
        if let Some(m) = iface(f, p.host_ifindex).and_then(|h| h.master_ifindex) {
            *masters.entry(m).or_default() += 1;
        }
    }
    let bridge = masters
        .iter()
        .max_by_key(|(_, n)| **n)
        .and_then(|(m, _)| iface(f, *m));
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let mut warn = Vec::new();
    for p in &cx.pods {
        let Some(h) = iface(f, p.host_ifindex) else {
            problems.push(format!(
                "the host veth of {} (ifindex {}) is gone",
                p.label, p.host_ifindex
            ));
            continue;
        };
        let up = h.admin_up && h.oper_state == "up";
        if !up {
            problems.push(format!(
                "{} of {} is {}{}",
                h.name,
                p.label,
                h.oper_state,
                if h.admin_up { "" } else { " (admin down)" }
            ));
            evidence.push(Evidence::new(
                format!("{}: state {}, IFF_UP {}", h.name, h.oper_state, h.admin_up),
                format!("IFLA_OPERSTATE in {node}"),
            ));
        }
        if let Some(b) = bridge
            && h.master_ifindex != Some(b.ifindex)
        {
            problems.push(format!(
                "{} of {} is not a port of {} (the other pods' veths are)",
                h.name, p.label, b.name
            ));
            evidence.push(Evidence::new(
                format!(
                    "{}: IFLA_MASTER {:?}, expected {}",
                    h.name, h.master_ifindex, b.ifindex
                ),
                format!("link dump of {node}"),
            ));
        }
        if let (Some(a), Some(b)) = (h.stats, f.stats_later.get(&h.ifindex)) {
            let grew = (b.rx_dropped + b.tx_dropped).saturating_sub(a.rx_dropped + a.tx_dropped);
            if grew > 0 {
                warn.push(format!(
                    "{} of {} dropped {grew} packets in {:.1} s",
                    h.name, p.label, f.sample_secs
                ));
                evidence.push(Evidence::new(
                    format!(
                        "{}: rx_dropped {} → {}, tx_dropped {} → {}",
                        h.name, a.rx_dropped, b.rx_dropped, a.tx_dropped, b.tx_dropped
                    ),
                    format!("IFLA_STATS64 in {node}"),
                ));
            }
        }
    }
    if !problems.is_empty() {
        let hint = match bridge {
            Some(b) => format!(
                "ip link set <veth> up; ip link set <veth> master {}",
                b.name
            ),
            None => {
                "ip link set <veth> up (a routed pod's route goes with its veth: restore it too)"
                    .to_string()
            }
        };
        return Check::new(ID, Status::Fail, problems.join("; "))
            .with(evidence)
            .hint(hint);
    }
    if !warn.is_empty() {
        return Check::new(ID, Status::Warn, warn.join("; ")).with(evidence);
    }
    evidence.push(Evidence::new(
        format!(
            "{} host veths up{}",
            cx.pods.len(),
            bridge
                .map(|b| format!(", all ports of {}", b.name))
                .unwrap_or_default()
        ),
        format!("link dump of {node}"),
    ));
    Check::new(
        ID,
        Status::Pass,
        format!("every pod's host veth is up ({} pods)", cx.pods.len()),
    )
    .with(evidence)
}

/// br_netfilter / bridge-nf-call-iptables when pods sit on a bridge and Service rules exist.
pub fn bridge_nf(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "bridge-nf";
    let node = &cx.node_label;
    let on_bridge = cx
        .pods
        .iter()
        .any(|p| iface(f, p.host_ifindex).is_some_and(|h| h.master_ifindex.is_some()));
    if !on_bridge {
        return Check::new(ID, Status::Skip, "no pod sits on a bridge");
    }
    let key = "net/bridge/bridge-nf-call-iptables";
    let services = f
        .chains
        .iter()
        .any(|c| c.name == "KUBE-SERVICES" || c.table == "kube-proxy");
    let evidence = vec![sysctl_evidence(f, key, node)];
    match f.sysctls.get(key).map(String::as_str) {
        Some("1") => Check::new(ID, Status::Pass, "bridged pod traffic goes through iptables (bridge-nf-call-iptables = 1)").with(evidence),
        other if !services => Check::new(
            ID,
            Status::Pass,
            format!(
                "no Service rules (kube-proxy) on this node, so bridged traffic needs no iptables ({})",
                if other.is_none() { "br_netfilter not loaded" } else { "bridge-nf-call-iptables = 0" }
            ),
        )
        .with(evidence),
        other => Check::new(
            ID,
            Status::Warn,
            format!(
                "pods sit on a bridge but {}: Service traffic between pods of this node can bypass kube-proxy's rules",
                if other.is_none() { "br_netfilter is not loaded" } else { "bridge-nf-call-iptables is 0" }
            ),
        )
        .with(evidence)
        .hint("modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1"),
    }
}

/// nf_conntrack_count near nf_conntrack_max.
pub fn conntrack(f: &NodeFacts) -> Check {
    const ID: &str = "conntrack";
    let count = f
        .sysctls
        .get("net/netfilter/nf_conntrack_count")
        .and_then(|v| v.parse::<u64>().ok());
    let max = f
        .sysctls
        .get("net/netfilter/nf_conntrack_max")
        .and_then(|v| v.parse::<u64>().ok());
    let (Some(count), Some(max)) = (count, max) else {
        return Check::new(
            ID,
            Status::Skip,
            "connection tracking is not loaded in this namespace",
        );
    };
    let evidence = vec![Evidence::new(
        format!("nf_conntrack_count = {count}, nf_conntrack_max = {max}"),
        "/proc/sys/net/netfilter",
    )];
    let pct = if max == 0 {
        100.0
    } else {
        count as f64 * 100.0 / max as f64
    };
    let (status, summary) = if pct >= 90.0 {
        (
            Status::Fail,
            format!(
                "the conntrack table is {pct:.0}% full: new connections are dropped when it fills"
            ),
        )
    } else if pct >= 75.0 {
        (
            Status::Warn,
            format!("the conntrack table is {pct:.0}% full"),
        )
    } else {
        (
            Status::Pass,
            format!("the conntrack table is {pct:.0}% full"),
        )
    };
    let c = Check::new(ID, status, summary).with(evidence);
    if status == Status::Pass {
        c
    } else {
        c.hint("raise net.netfilter.nf_conntrack_max, or find what opens so many connections (conntrack -L)")
    }
}
