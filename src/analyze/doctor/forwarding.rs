//! The `ip-forward` and `rp-filter` checks. No I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::analyze::fib_explain;
use crate::model::LinkKind;
use crate::model::doctor::{Check, Evidence, NodeFacts, Status};
use crate::model::route::RT_TABLE_MAIN;

use super::context::{Context, PeerNode, RemoteCidr};
use super::facts::{
    fib, fib_command, fib_outcome, iface, sample_host, sample_pod, sysctl_evidence, sysctl_name,
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
    // no pod here: nothing is dropped yet (a lab's host, a fresh node)
    let (status, consequence) = if cx.pods.is_empty() {
        (
            Status::Warn,
            "no pod is attached to it, but pods placed here would not reach other nodes",
        )
    } else {
        (
            Status::Fail,
            "packets between pods on different nodes are silently dropped",
        )
    };
    Check::new(
        ID,
        status,
        format!("{} is off in {node}: {consequence}", off.join(" and ")),
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
pub fn route_dev(f: &NodeFacts, ip: IpAddr) -> Option<String> {
    f.routes
        .iter()
        .filter(|r| (r.table == RT_TABLE_MAIN) && r.kind == "unicast")
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
                .filter(|r| r.table == RT_TABLE_MAIN && r.dst.is_none() && !r.ipv6)
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
pub fn rp_mode(f: &NodeFacts, ifname: &str) -> (u32, Vec<String>) {
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

/// Where packets from a remote pod CIDR to one of this node's pods arrive,
/// and how podnet knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub dev: String,
    /// `node2 routes 10.244.1.2 via 192.168.5.1 dev eth0`, or `the route back leaves by flannel.1`.
    pub why: String,
    /// Outside any tunnel (on the underlay, not through the overlay device).
    pub unencapsulated: bool,
}

/// The node on this machine that owns a remote CIDR: the lab's record, the
/// namespace holding the route's gateway, the VXLAN device whose MAC the
/// gateway's neighbour entry names, or the FDB entry's VTEP.
pub fn peer_of<'a>(f: &NodeFacts, cx: &'a Context, r: &RemoteCidr) -> Option<&'a PeerNode> {
    if let Some(i) = r.node_inode {
        return cx.peers.iter().find(|p| p.inode == i);
    }
    let host = sample_host(&r.cidr)?;
    let route = fib_explain::table_lookup(&f.routes, RT_TABLE_MAIN, host)?;
    let gw = route.gateway?;
    if let Some(p) = cx.peers.iter().find(|p| p.owns(gw)) {
        return Some(p);
    }
    let mac = f
        .neighbours
        .iter()
        .find(|n| Some(n.ifindex) == route.oif && n.ip == gw)
        .and_then(|n| n.mac.clone())?;
    if let Some(p) = cx.peers.iter().find(|p| {
        p.vxlan_macs()
            .iter()
            .any(|(_, m)| m.eq_ignore_ascii_case(&mac))
    }) {
        return Some(p);
    }
    let vtep = f
        .fdb
        .iter()
        .find(|e| Some(e.ifindex) == route.oif && e.mac.eq_ignore_ascii_case(&mac))
        .and_then(|e| e.dst)?;
    cx.peers.iter().find(|p| p.owns(vtep))
}

/// Where the remote CIDR's packets to `pod_ip` enter this node. When the
/// remote node is on this machine, its own route to the pod decides: into
/// its tunnel (they arrive on this node's tunnel device), or via one of this
/// node's addresses (they arrive, unencapsulated, on the interface holding
/// it). Otherwise they are taken to come back the way this node sends to
/// them (the tunnel device, or the route's device).
pub fn arrivals(f: &NodeFacts, cx: &Context, r: &RemoteCidr, pod_ip: IpAddr) -> Vec<Arrival> {
    if let Some(peer) = peer_of(f, cx, r)
        && let Some(l) = peer
            .fib
            .iter()
            .find(|l| l.dst == pod_ip && l.src.is_none() && l.iif.is_none())
    {
        let Ok(a) = &l.result else {
            // the peer cannot send there at all: its own doctor says why
            return Vec::new();
        };
        let route_text = format!(
            "{} routes {pod_ip}{}{}",
            peer.label,
            a.gateway.map(|g| format!(" via {g}")).unwrap_or_default(),
            a.oif
                .as_deref()
                .map(|d| format!(" dev {d}"))
                .unwrap_or_default()
        );
        let peer_dev = a
            .oif
            .as_deref()
            .and_then(|d| peer.interfaces.iter().find(|i| i.name == d));
        if let Some(pd) = peer_dev
            && let Some(pv) = peer.vxlans.iter().find(|v| v.ifindex == pd.ifindex)
        {
            let mine = f
                .vxlans
                .iter()
                .find(|v| v.vni.is_some() && v.vni == pv.vni)
                .or_else(|| f.vxlans.first())
                .and_then(|v| iface(f, v.ifindex));
            return mine
                .map(|m| Arrival {
                    dev: m.name.clone(),
                    why: route_text.clone(),
                    unencapsulated: false,
                })
                .into_iter()
                .collect();
        }
        let holder = |ip: IpAddr| {
            f.interfaces
                .iter()
                .find(|i| i.addresses.iter().any(|x| x.addr() == ip))
        };
        let by_gateway = a.gateway.and_then(holder);
        let on_link = || {
            // no gateway: the interface of this node in the peer device's subnet
            let nets: &[IpNet] = &peer_dev?.addresses;
            f.interfaces.iter().find(|i| {
                i.addresses
                    .iter()
                    .map(IpNet::addr)
                    .any(|ip| nets.iter().any(|n| n.prefix_len() > 0 && n.contains(&ip)))
            })
        };
        if let Some(dev) = by_gateway.or_else(|| a.gateway.is_none().then(on_link).flatten()) {
            let tunnel = f.vxlans.iter().any(|v| v.ifindex == dev.ifindex)
                || matches!(
                    dev.kind,
                    LinkKind::Ipip | LinkKind::Geneve | LinkKind::Wireguard
                );
            return vec![Arrival {
                dev: dev.name.clone(),
                why: route_text,
                unencapsulated: !tunnel && !f.vxlans.is_empty(),
            }];
        }
    }
    arrival_interface(f, &r.cidr)
        .map(|dev| Arrival {
            why: format!("taken as symmetric: this node reaches {} by {dev}", r.cidr),
            dev,
            unencapsulated: false,
        })
        .into_iter()
        .collect()
}

/// Why an input lookup (`ip route get POD from REMOTE iif DEV`) failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputFailure {
    /// The reverse-path filter refused the source.
    ReversePath,
    /// The route to the destination or back to the source is the problem (the `routes` check's).
    Route(String),
    /// Forwarding is off.
    Forwarding,
}

/// Tells a reverse-path refusal from a route problem: the kernel answers
/// both with EINVAL on an input lookup, but an output lookup (no iif, no
/// source) to the source and to the destination says whether a route is at
/// fault; without the filter on the input interface it cannot be the filter.
pub fn classify_input_failure(f: &NodeFacts, dst: IpAddr, src: IpAddr, iif: &str) -> InputFailure {
    let lookup = fib(f, dst, Some(src), Some(iif));
    if f.sysctls
        .get("net/ipv4/ip_forward")
        .is_some_and(|v| v != "1")
        || lookup.is_some_and(|l| l.errno == Some(libc::EHOSTUNREACH))
    {
        return InputFailure::Forwarding;
    }
    if let Some(l) = lookup
        && l.errno
            .is_some_and(|e| e != libc::EINVAL && e != libc::EXDEV)
    {
        return InputFailure::Route(format!("{} {}", fib_command(l), fib_outcome(l)));
    }
    for ip in [src, dst] {
        if let Some(l) = fib(f, ip, None, None)
            && let Err(e) = &l.result
        {
            return InputFailure::Route(format!("{} {e}", fib_command(l)));
        }
        if let Some(r) = fib_explain::table_lookup(&f.routes, RT_TABLE_MAIN, ip)
            && r.kind != "unicast"
            && r.kind != "local"
        {
            return InputFailure::Route(format!("{} is a {} route", ip, r.kind));
        }
    }
    if rp_mode(f, iif).0 == 0 {
        return InputFailure::Route("the lookup failed with reverse-path filtering off".into());
    }
    InputFailure::ReversePath
}

/// What the rp-filter check gathers.
struct RpFindings<'a> {
    f: &'a NodeFacts,
    node: &'a str,
    evidence: Vec<Evidence>,
    /// Remote CIDRs whose packets strict filtering drops, and where.
    failures: Vec<String>,
    /// Strict interfaces whose lookups passed.
    strict_ok: Vec<String>,
    /// Lookups made.
    judged: usize,
    /// Arrival interfaces whose passing lookup is already in the evidence.
    shown: Vec<String>,
    warnings: Vec<String>,
}

impl RpFindings<'_> {
    /// The interface's rp_filter, once, in the evidence.
    fn add_sysctl(&mut self, dev: &str) {
        let key = format!("net/ipv4/conf/{dev}/rp_filter");
        if !self
            .evidence
            .iter()
            .any(|e| e.fact.starts_with(&sysctl_name(&key)))
        {
            self.evidence.push(sysctl_evidence(self.f, &key, self.node));
        }
    }
}

/// all/default/per-interface rp_filter, judged by the kernel: for every
/// pod × remote pod CIDR, an input lookup from the remote CIDR to the pod
/// entering where the remote's packets arrive (the kernel applies the
/// reverse-path check there). No traffic is needed; the
/// TcpExt:IPReversePathFilter counter is extra evidence.
pub fn rp_filter(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "rp-filter";
    if let Some(skip) = super::facts::skip_on_ebpf(ID, f) {
        return skip;
    }
    let node = &cx.node_label;
    if !f.sysctls.contains_key("net/ipv4/conf/all/rp_filter") {
        return Check::new(ID, Status::Skip, "rp_filter could not be read");
    }
    let mut out = RpFindings {
        f,
        node,
        evidence: vec![
            sysctl_evidence(f, "net/ipv4/conf/all/rp_filter", node),
            sysctl_evidence(f, "net/ipv4/conf/default/rp_filter", node),
        ],
        failures: Vec::new(),
        strict_ok: Vec::new(),
        judged: 0,
        shown: Vec::new(),
        warnings: Vec::new(),
    };
    for r in &cx.remote_cidrs {
        pod_lookups(cx, r, &mut out);
    }
    let growth = super::facts::growth(f, "TcpExt:IPReversePathFilter");
    if growth > 0 {
        out.evidence.push(Evidence::new(
            format!(
                "TcpExt:IPReversePathFilter grew by {growth} in {:.1} s",
                f.sample_secs
            ),
            format!("/proc/net/netstat of {node}"),
        ));
    }
    let refused = underlay_refusals(cx, &mut out);
    underlay_verdicts(refused, growth, &mut out);
    rp_verdict(out)
}

/// Input lookups from the remote CIDR `r` to every pod, entering where the
/// remote's packets arrive; the first reverse-path failure of `r` is one.
fn pod_lookups(cx: &Context, r: &super::context::RemoteCidr, out: &mut RpFindings<'_>) {
    let (f, node) = (out.f, out.node);
    let Some(remote) = sample_host(&r.cidr) else {
        return;
    };
    let mut failed_here = false;
    for p in &cx.pods {
        let Some(pod_ip) = p.pod_ip.filter(|i| i.is_ipv4() == remote.is_ipv4()) else {
            continue;
        };
        for a in arrivals(f, cx, r, pod_ip) {
            out.add_sysctl(&a.dev);
            let Some(l) = fib(f, pod_ip, Some(remote), Some(&a.dev)) else {
                continue;
            };
            out.judged += 1;
            let mode = rp_mode(f, &a.dev).0;
            match &l.result {
                Ok(_) => {
                    if mode == 1 {
                        out.strict_ok.push(a.dev.clone());
                    }
                    if !out.shown.contains(&a.dev) {
                        out.shown.push(a.dev.clone());
                        out.evidence.push(Evidence::new(
                            format!("{} {} ({})", fib_command(l), fib_outcome(l), a.why),
                            format!("RTM_GETROUTE in {node}, as for {}", p.label),
                        ));
                    }
                }
                Err(_)
                    if !failed_here
                        && classify_input_failure(f, pod_ip, remote, &a.dev)
                            == InputFailure::ReversePath =>
                {
                    failed_here = true;
                    let back = route_dev(f, remote).unwrap_or_else(|| "nowhere".into());
                    out.evidence.push(Evidence::new(
                        format!("{} {}", fib_command(l), fib_outcome(l)),
                        format!("RTM_GETROUTE in {node}, as for {}", p.label),
                    ));
                    let how = if a.unencapsulated {
                        format!("unencapsulated on {}", a.dev)
                    } else {
                        format!("on {}", a.dev)
                    };
                    out.evidence.push(Evidence::new(
                        format!(
                            "packets from {} ({}) to {} arrive {how} ({}), but the route back to {remote} leaves via {back}, and {} is {}",
                            r.cidr,
                            r.source,
                            p.label,
                            a.why,
                            a.dev,
                            mode_name(mode)
                        ),
                        format!("routes and rp_filter of {node}"),
                    ));
                    out.failures
                        .push(format!("{} arriving {how} (route back via {back})", r.cidr));
                }
                Err(_) => {}
            }
        }
    }
}

/// Strict mode on the underlay drops pod packets a peer sends there
/// unencapsulated: for remote CIDRs whose node is not on this machine, the
/// strict underlays that would refuse them, with the routes back.
fn underlay_refusals(cx: &Context, out: &mut RpFindings<'_>) -> BTreeMap<String, Vec<String>> {
    let f = out.f;
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Some(pod_ip) = sample_pod(f, cx).and_then(|p| p.pod_ip) else {
        return refused;
    };
    for r in &cx.remote_cidrs {
        let (Some(arrival), Some(remote)) = (arrival_interface(f, &r.cidr), sample_host(&r.cidr))
        else {
            continue;
        };
        if peer_of(f, cx, r).is_some() {
            continue;
        }
        for u in strict_underlays(f, &arrival) {
            out.add_sysctl(&u);
            if let Some(l) = fib(f, pod_ip, Some(remote), Some(&u)).filter(|l| l.result.is_err()) {
                out.evidence.push(Evidence::new(
                    format!("{} {}", fib_command(l), fib_outcome(l)),
                    format!("RTM_GETROUTE in {}", out.node),
                ));
                let back = route_dev(f, remote).unwrap_or_else(|| "nowhere".into());
                refused
                    .entry(u)
                    .or_default()
                    .push(format!("{} via {back}", r.cidr));
            }
        }
    }
    refused
}

/// With the peer not on this machine only the counter hints that packets
/// come unencapsulated (it does not say from where): a warning when it grew.
fn underlay_verdicts(
    refused: BTreeMap<String, Vec<String>>,
    growth: u64,
    out: &mut RpFindings<'_>,
) {
    let (secs, node) = (out.f.sample_secs, out.node);
    for (u, cidrs) in refused {
        if growth > 0 {
            out.evidence.push(Evidence::new(
                format!("the reverse-path filter dropped {growth} packets in {secs:.1} s, and {u} is the strict interface where pod packets arriving unencapsulated fail it (routes back: {})", cidrs.join(", ")),
                format!("routes, rp_filter and /proc/net/netstat of {node}"),
            ));
            out.warnings.push(format!(
                "pod CIDRs arriving unencapsulated on {u} would be dropped, and the filter dropped {growth} packets in {secs:.1} s (routes back: {})",
                cidrs.join(", ")
            ));
        } else {
            out.evidence.push(Evidence::new(
                format!("{u} is strict: pod packets arriving there unencapsulated would be dropped (routes back: {}); none were in {secs:.1} s (they arrive through the tunnel, as they should)", cidrs.join(", ")),
                format!("routes, rp_filter and /proc/net/netstat of {node}"),
            ));
        }
    }
}

fn rp_verdict(out: RpFindings<'_>) -> Check {
    const ID: &str = "rp-filter";
    let hint = "use loose mode (sysctl -w net.ipv4.conf.all.rp_filter=2 and the interface's), or make the route back to those CIDRs leave by the interface their packets arrive on (or have the sending node route them through the tunnel)";
    let RpFindings {
        f,
        evidence,
        mut failures,
        mut strict_ok,
        judged,
        warnings,
        ..
    } = out;
    if !failures.is_empty() {
        failures.dedup();
        return Check::new(
            ID,
            Status::Fail,
            format!(
                "strict reverse-path filtering drops packets from {}",
                failures.join(", ")
            ),
        )
        .with(evidence)
        .hint(hint);
    }
    if !warnings.is_empty() {
        return Check::new(ID, Status::Warn, warnings.join("; "))
            .with(evidence)
            .hint(hint);
    }
    let all = f
        .sysctls
        .get("net/ipv4/conf/all/rp_filter")
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    let summary = if strict_ok.is_empty() {
        format!(
            "reverse-path filtering ({} for all) lets pod traffic through ({judged} lookups)",
            mode_name(all)
        )
    } else {
        strict_ok.sort();
        strict_ok.dedup();
        format!(
            "strict reverse-path filtering on {} matches the routes (symmetric; {judged} lookups)",
            strict_ok.join(", ")
        )
    };
    Check::new(ID, Status::Pass, summary).with(evidence)
}

#[cfg(test)]
mod tests;
