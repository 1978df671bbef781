//! The `veth`, `pods`, `bridge-nf` and `conntrack` checks. No I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::analyze::fib_explain;
use crate::model::doctor::{Check, Evidence, NodeFacts, Status};
use crate::model::route::RT_TABLE_MAIN;
use crate::model::{Interface, LinkKind, OperState, Route};

use super::context::{Context, NodePod, PodView};
use super::facts::{iface, sample_host, sysctl_evidence};

/// The pod's gateway when it is a Calico-style link-local one reached
/// on-link (`default via 169.254.1.1 dev eth0 onlink`): the host veth must
/// answer ARP for it.
fn link_local_gateway(view: &PodView) -> Option<IpAddr> {
    view.routes
        .as_ref()?
        .iter()
        .filter(|r| r.dst.is_none() && r.table == RT_TABLE_MAIN)
        .filter_map(|r| r.gateway)
        .find(|g| match g {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(_) => false,
        })
}

/// What the veth check gathers: evidence, problems (FAIL), warnings.
#[derive(Default)]
struct VethFindings {
    evidence: Vec<Evidence>,
    problems: Vec<String>,
    warn: Vec<String>,
    /// The host veths a problem names, for the fix.
    broken: Vec<String>,
}

/// Every pod's host veth is up, a port of its bridge where the node's pods
/// use one, and its drop counters do not grow.
pub fn veth(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "veth";
    if cx.pods.is_empty() {
        return Check::new(ID, Status::Skip, "no pod is attached to this node");
    }
    let bridge = pods_bridge(f, cx);
    let mut out = VethFindings::default();
    for p in &cx.pods {
        let Some(h) = iface(f, p.host_ifindex) else {
            out.problems.push(format!(
                "the host veth of {} (ifindex {}) is gone",
                p.label, p.host_ifindex
            ));
            continue;
        };
        let known = out.problems.len();
        host_veth_link(h, p, bridge, &cx.node_label, &mut out);
        proxy_arp(f, cx, h, p, &mut out);
        veth_drops(f, h, p, &cx.node_label, &mut out);
        if out.problems.len() > known && !out.broken.contains(&h.name) {
            out.broken.push(h.name.clone());
        }
    }
    let VethFindings {
        evidence,
        problems,
        warn,
        broken,
    } = out;
    if !problems.is_empty() {
        let hint = veth_fix(&problems, &broken, bridge.map(|b| b.name.as_str()));
        return Check::new(ID, Status::Fail, problems.join("; "))
            .with(evidence)
            .hint(hint);
    }
    if !warn.is_empty() {
        return Check::new(ID, Status::Warn, warn.join("; ")).with(evidence);
    }
    veth_pass(ID, cx, bridge, evidence)
}

/// The commands that fix the broken host veths (named when known).
fn veth_fix(problems: &[String], broken: &[String], bridge: Option<&str>) -> String {
    let names: Vec<&str> = if broken.is_empty() {
        vec!["<veth>"]
    } else {
        broken.iter().map(String::as_str).collect()
    };
    let each =
        |f: &dyn Fn(&str) -> String| names.iter().map(|n| f(n)).collect::<Vec<_>>().join("; ");
    if problems.iter().any(|p| p.starts_with("proxy_arp")) {
        return format!(
            "{} (Calico's Felix sets it on every cali* veth)",
            each(&|n| format!("sysctl -w net.ipv4.conf.{n}.proxy_arp=1"))
        );
    }
    match bridge {
        Some(b) => each(&|n| format!("ip link set {n} up; ip link set {n} master {b}")),
        None => format!(
            "{} (a routed pod's route goes with its veth: restore it too)",
            each(&|n| format!("ip link set {n} up"))
        ),
    }
}

/// The veth check's pass: every host veth up, on its bridge.
fn veth_pass(
    id: &'static str,
    cx: &Context,
    bridge: Option<&Interface>,
    mut evidence: Vec<Evidence>,
) -> Check {
    evidence.push(Evidence::new(
        format!(
            "{} host veths up{}",
            cx.pods.len(),
            bridge
                .map(|b| format!(", all ports of {}", b.name))
                .unwrap_or_default()
        ),
        format!("link dump of {}", cx.node_label),
    ));
    Check::new(
        id,
        Status::Pass,
        format!("every pod's host veth is up ({} pods)", cx.pods.len()),
    )
    .with(evidence)
}

/// The bridge most pods' host veths are ports of, if any.
fn pods_bridge<'f>(f: &'f NodeFacts, cx: &Context) -> Option<&'f Interface> {
    let mut masters: BTreeMap<u32, usize> = BTreeMap::new();
    for p in &cx.pods {
        if let Some(m) = iface(f, p.host_ifindex).and_then(|h| h.master_ifindex) {
            *masters.entry(m).or_default() += 1;
        }
    }
    masters
        .iter()
        .max_by_key(|(_, n)| **n)
        .and_then(|(m, _)| iface(f, *m))
}

/// The host veth is up, and a port of the pods' bridge when there is one.
fn host_veth_link(
    h: &Interface,
    p: &NodePod,
    bridge: Option<&Interface>,
    node: &str,
    out: &mut VethFindings,
) {
    if !(h.admin_up && h.oper_state == OperState::Up) {
        out.problems.push(format!(
            "{} of {} is {}{}",
            h.name,
            p.label,
            h.oper_state,
            if h.admin_up { "" } else { " (admin down)" }
        ));
        out.evidence.push(Evidence::new(
            format!("{}: state {}, IFF_UP {}", h.name, h.oper_state, h.admin_up),
            format!("IFLA_OPERSTATE in {node}"),
        ));
    }
    if let Some(b) = bridge
        && h.master_ifindex != Some(b.ifindex)
    {
        out.problems.push(format!(
            "{} of {} is not a port of {} (the other pods' veths are)",
            h.name, p.label, b.name
        ));
        out.evidence.push(Evidence::new(
            format!(
                "{}: IFLA_MASTER {:?}, expected {}",
                h.name, h.master_ifindex, b.ifindex
            ),
            format!("link dump of {node}"),
        ));
    }
}

/// A routed pod whose gateway is a link-local address only its host veth
/// can answer ARP for: proxy_arp must be on there (or the veth hold it).
fn proxy_arp(f: &NodeFacts, cx: &Context, h: &Interface, p: &NodePod, out: &mut VethFindings) {
    let node = &cx.node_label;
    let view = p
        .inode
        .and_then(|i| cx.pod_views.iter().find(|v| v.inode == i));
    let Some(gw) = view.and_then(link_local_gateway) else {
        return;
    };
    if h.master_ifindex.is_some() {
        return;
    }
    let key = format!("net/ipv4/conf/{}/proxy_arp", h.name);
    let on = f.sysctls.get(&key).map(String::as_str) == Some("1");
    if on || h.holds(gw) {
        return;
    }
    out.evidence.push(sysctl_evidence(f, &key, node));
    out.evidence.push(Evidence::new(
        format!(
            "{} routes by default via {gw} on-link, which only the host veth {} can answer ARP for (proxy ARP), and it holds no {gw}",
            p.label, h.name
        ),
        format!("routes of {} and addresses of {node}", p.label),
    ));
    out.problems.push(format!(
        "proxy_arp is off on {} of {}: nothing answers ARP for its gateway {gw}",
        h.name, p.label
    ));
}

/// The host veth's drop counters grew during the sample: a warning.
fn veth_drops(f: &NodeFacts, h: &Interface, p: &NodePod, node: &str, out: &mut VethFindings) {
    let (Some(a), Some(b)) = (h.stats, f.stats_later.get(&h.ifindex)) else {
        return;
    };
    let grew = (b.rx_dropped + b.tx_dropped).saturating_sub(a.rx_dropped + a.tx_dropped);
    if grew == 0 {
        return;
    }
    out.warn.push(format!(
        "{} of {} dropped {grew} packets in {:.1} s",
        h.name, p.label, f.sample_secs
    ));
    out.evidence.push(Evidence::new(
        format!(
            "{}: rx_dropped {} → {}, tx_dropped {} → {}",
            h.name, a.rx_dropped, b.rx_dropped, a.tx_dropped, b.tx_dropped
        ),
        format!("IFLA_STATS64 in {node}"),
    ));
}

/// A gateway the pod can reach: on-link, inside one of its interface's
/// subnets, or covered by a link-scope route on that interface
/// (`169.254.1.1 dev eth0 scope link`, as the ptp plugin writes it).
fn gateway_reachable(r: &Route, dev: &Interface, routes: &[Route]) -> bool {
    let Some(gw) = r.gateway else {
        return true;
    };
    let on_subnet = dev.addresses.iter().any(|n| n.contains(&gw));
    let link_route = routes.iter().any(|x| {
        x.gateway.is_none()
            && x.oif == Some(dev.ifindex)
            && x.kind == "unicast"
            && x.dst.is_some_and(|d| d.contains(&gw))
    });
    r.onlink || on_subnet || link_route
}

/// What is wrong inside one pod, if anything.
fn pod_problem(v: &PodView, cx: &Context) -> Option<String> {
    let links: Vec<&Interface> = v
        .interfaces
        .iter()
        .filter(|i| i.kind != LinkKind::Loopback && i.name != "lo")
        .collect();
    let Some(dev) = links
        .iter()
        .find(|i| i.name == "eth0")
        .or_else(|| links.first())
    else {
        return Some(format!(
            "{} has no network interface but lo (no eth0)",
            v.label
        ));
    };
    // an eth0 that is up but has no carrier is its host veth's fault (`veth`)
    if !dev.admin_up {
        return Some(format!(
            "{} of {} is down (admin down, {})",
            dev.name, v.label, dev.oper_state
        ));
    }
    let has_ip = dev
        .ips()
        .any(|ip| !matches!(ip, IpAddr::V4(v4) if v4.is_link_local()) && !ip.is_loopback());
    if !has_ip {
        return Some(format!("{} of {} has no IP address", dev.name, v.label));
    }
    let routes = v.routes.as_ref()?;
    for r in &cx.remote_cidrs {
        let Some(host) = sample_host(&r.cidr) else {
            continue;
        };
        let route =
            fib_explain::table_lookup(routes, RT_TABLE_MAIN, host).filter(|x| x.kind == "unicast");
        match route {
            None => {
                return Some(format!(
                    "{} has no route to {} (no default route, no route to the remote pod CIDR)",
                    v.label, r.cidr
                ));
            }
            Some(x) if x.oif.is_some_and(|o| o != dev.ifindex) => {}
            Some(x) if !gateway_reachable(x, dev, routes) => {
                return Some(format!(
                    "{}'s route to {} goes via {}, which is not on {}'s subnets (and not on-link)",
                    v.label,
                    r.cidr,
                    x.gateway.map(|g| g.to_string()).unwrap_or_default(),
                    dev.name
                ));
            }
            Some(_) => {}
        }
    }
    None
}

/// Every pod namespace of the node has an interface besides lo, up, with
/// an address, and a route (default or specific) to the remote pod CIDRs
/// via a gateway it can reach.
pub fn pods(_f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "pods";
    if cx.pod_views.is_empty() {
        return Check::new(ID, Status::Skip, "no pod network namespace on this node");
    }
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    for v in &cx.pod_views {
        let routes = match &v.routes {
            Some(rs) => rs
                .iter()
                .filter(|r| r.table == RT_TABLE_MAIN && !r.ipv6)
                .map(|r| {
                    let dev = r
                        .oif
                        .and_then(|o| v.interfaces.iter().find(|i| i.ifindex == o))
                        .map(|i| format!(" dev {}", i.name))
                        .unwrap_or_default();
                    format!("{}{dev}", r.summary())
                })
                .collect::<Vec<_>>()
                .join(", "),
            None => "(routes not read)".into(),
        };
        let links: Vec<String> = v
            .interfaces
            .iter()
            .map(|i| {
                format!(
                    "{} {}{}",
                    i.name,
                    if i.admin_up {
                        i.oper_state.as_str()
                    } else {
                        "DOWN"
                    },
                    if i.addresses.is_empty() {
                        String::new()
                    } else {
                        let text: Vec<String> = i.addresses.iter().map(IpNet::to_string).collect();
                        format!(" {}", text.join(" "))
                    }
                )
            })
            .collect();
        let problem = pod_problem(v, cx);
        if problem.is_some() || evidence.len() < 3 {
            evidence.push(Evidence::new(
                format!("{}: {}; routes: {routes}", v.label, links.join(", ")),
                format!("links, addresses and routes in netns {}", v.inode),
            ));
        }
        problems.extend(problem);
    }
    if !problems.is_empty() {
        return Check::new(ID, Status::Fail, problems.join("; "))
            .with(evidence)
            .hint("recreate the pod's sandbox (its CNI ADD did not finish), or restore what is missing inside it: `ip -n <netns> link set eth0 up`, `ip -n <netns> route add default via <gateway> dev eth0`");
    }
    Check::new(
        ID,
        Status::Pass,
        format!(
            "every pod has an interface up with an address and a route to the remote pod CIDRs ({} pods)",
            cx.pod_views.len()
        ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::doctor::fixtures;
    use crate::analyze::doctor::fixtures::{link, route};
    use crate::analyze::doctor::{PodView, RemoteCidr};

    /// A pod of the ptp plugin: `default via 169.254.1.1 dev eth0` with
    /// `169.254.1.1 dev eth0 scope link`; without that route, or without
    /// eth0, or with eth0 down, the pod cannot send.
    #[test]
    fn pod_views_pass_with_a_link_scope_gateway_and_fail_what_is_missing() {
        let mut eth0 = link(2, "eth0", "veth");
        eth0.addresses = vec!["10.244.1.2/32".parse().unwrap()];
        let view = |interfaces: Vec<Interface>, routes: Vec<Route>| PodView {
            label: "default/web-1-1".into(),
            inode: 5,
            interfaces,
            routes: Some(routes),
        };
        let default = route("0.0.0.0/0", Some("169.254.1.1"), 2);
        let mut default = Route {
            dst: None,
            onlink: false,
            ..default
        };
        let link_route = route("169.254.1.1/32", None, 2);
        let cx = |v: PodView| Context {
            pod_views: vec![v],
            remote_cidrs: vec![RemoteCidr::new("10.244.2.0/24".parse().unwrap(), "lab")],
            ..Default::default()
        };
        let f = NodeFacts::default();
        let ok = pods(
            &f,
            &cx(view(vec![eth0.clone()], vec![default.clone(), link_route])),
        );
        assert_eq!(ok.status, Status::Pass, "{}", ok.summary);
        let unreachable = pods(&f, &cx(view(vec![eth0.clone()], vec![default.clone()])));
        assert_eq!(unreachable.status, Status::Fail);
        assert!(
            unreachable
                .summary
                .contains("goes via 169.254.1.1, which is not on eth0's subnets")
        );
        default.onlink = true;
        assert_eq!(
            pods(&f, &cx(view(vec![eth0.clone()], vec![default]))).status,
            Status::Pass
        );
        let no_route = pods(&f, &cx(view(vec![eth0.clone()], vec![])));
        assert!(
            no_route.summary.contains("has no route to 10.244.2.0/24"),
            "{}",
            no_route.summary
        );
        let no_eth0 = pods(&f, &cx(view(vec![link(1, "lo", "loopback")], vec![])));
        assert!(
            no_eth0
                .summary
                .contains("no network interface but lo (no eth0)")
        );
        eth0.admin_up = false;
        let down = pods(&f, &cx(view(vec![eth0], vec![])));
        assert!(down.summary.contains("eth0 of default/web-1-1 is down"));
        assert_eq!(pods(&f, &Context::default()).status, Status::Skip);
    }

    /// nf_conntrack_max cannot be lowered outside the initial namespace, so
    /// a full table is judged here.
    #[test]
    fn conntrack_statuses() {
        let facts = |count: Option<u64>, max: u64| NodeFacts {
            sysctls: count
                .map(|c| {
                    [
                        (
                            "net/netfilter/nf_conntrack_count".to_string(),
                            c.to_string(),
                        ),
                        (
                            "net/netfilter/nf_conntrack_max".to_string(),
                            max.to_string(),
                        ),
                    ]
                    .into()
                })
                .unwrap_or_default(),
            ..Default::default()
        };
        assert_eq!(conntrack(&facts(None, 0)).status, Status::Skip);
        assert_eq!(conntrack(&facts(Some(10), 1000)).status, Status::Pass);
        assert_eq!(conntrack(&facts(Some(800), 1000)).status, Status::Warn);
        let full = conntrack(&facts(Some(990), 1000));
        assert_eq!(full.status, Status::Fail);
        assert!(full.summary.contains("99% full"), "{}", full.summary);
        assert_eq!(conntrack(&facts(Some(0), 0)).status, Status::Fail);
    }

    /// bridge-nf-call-iptables matters only for bridged pods with kube-proxy's rules.
    #[test]
    fn bridge_nf_statuses() {
        use crate::model::doctor::FwChain;
        let mut veth = link(7, "veth1", "veth");
        veth.master_ifindex = Some(4);
        let mut f = NodeFacts {
            interfaces: vec![link(4, "cni0", "bridge"), veth],
            ..Default::default()
        };
        let cx = Context {
            pods: vec![fixtures::pod("default/a", None, 7)],
            ..Default::default()
        };
        assert_eq!(bridge_nf(&f, &Context::default()).status, Status::Skip);
        assert_eq!(bridge_nf(&f, &cx).status, Status::Pass);
        f.chains.push(FwChain {
            backend: "iptables-legacy".into(),
            family: "ip".into(),
            table: "nat".into(),
            name: "KUBE-SERVICES".into(),
            hook: None,
            policy: None,
            priority: None,
            chain_type: None,
            rules: vec![],
        });
        assert_eq!(bridge_nf(&f, &cx).status, Status::Warn);
        f.sysctls
            .insert("net/bridge/bridge-nf-call-iptables".into(), "1".into());
        assert_eq!(bridge_nf(&f, &cx).status, Status::Pass);
    }

    /// No pod: skip; drops growing on a host veth: warn; down: fail.
    #[test]
    fn veth_statuses() {
        use crate::model::netns::LinkStats;
        let mut host = link(7, "vethab12", "veth");
        host.stats = Some(LinkStats::default());
        let mut f = NodeFacts {
            interfaces: vec![host],
            ..Default::default()
        };
        let cx = Context {
            pods: vec![fixtures::pod("default/a", None, 7)],
            ..Default::default()
        };
        assert_eq!(veth(&f, &Context::default()).status, Status::Skip);
        assert_eq!(veth(&f, &cx).status, Status::Pass);
        f.stats_later.insert(
            7,
            LinkStats {
                tx_dropped: 5,
                ..Default::default()
            },
        );
        assert_eq!(veth(&f, &cx).status, Status::Warn);
        f.interfaces[0].admin_up = false;
        let c = veth(&f, &cx);
        assert_eq!(c.status, Status::Fail);
        // the fix names the veth it is about
        assert_eq!(
            c.hint.as_deref(),
            Some(
                "ip link set vethab12 up (a routed pod's route goes with its veth: restore it too)"
            )
        );
    }

    #[test]
    fn the_veth_fix_names_every_broken_veth_and_the_bridge() {
        let broken = ["veth1".to_string(), "veth2".to_string()];
        let down = ["veth1 is down".to_string()];
        assert_eq!(
            veth_fix(&down, &broken, Some("cni0")),
            "ip link set veth1 up; ip link set veth1 master cni0; ip link set veth2 up; ip link set veth2 master cni0"
        );
        let arp = ["proxy_arp is off on cali1 of default/a".to_string()];
        assert_eq!(
            veth_fix(&arp, &["cali1".to_string()], None),
            "sysctl -w net.ipv4.conf.cali1.proxy_arp=1 (Calico's Felix sets it on every cali* veth)"
        );
        assert!(veth_fix(&down, &[], None).starts_with("ip link set <veth> up"));
    }
}
