//! The `routes` check: a route for every remote pod CIDR, and a FIB lookup
//! from a sample pod towards each (as `ip route get … from <pod> iif <bridge>`).
//! No I/O.

use std::net::IpAddr;

use crate::analyze::fib_explain;
use crate::model::OperState;
use crate::model::doctor::{Check, Evidence, NodeFacts, Status};
use crate::model::route::RT_TABLE_MAIN;

use super::context::Context;
use super::facts::{fib, fib_command, fib_outcome, iface, ingress_of, sample_host, sample_pod};

/// The node's way to each of its pods: the kernel's output lookup to the
/// pod's address must leave by the pod's host veth (or its bridge).
/// Problems, and evidence for every pod.
fn pod_routes(f: &NodeFacts, cx: &Context) -> (Vec<String>, Vec<Evidence>) {
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for p in &cx.pods {
        let Some(ip) = p.pod_ip else { continue };
        let Some(l) = fib(f, ip, None, None) else {
            continue;
        };
        let want = ingress_of(f, p);
        let fact = format!("{} {} (pod {})", fib_command(l), fib_outcome(l), p.label);
        // the kernel removes a down veth's routes: the veth is the fault (`veth`)
        let down = iface(f, p.host_ifindex)
            .is_some_and(|h| !h.admin_up || h.oper_state == OperState::Down);
        let ok = down || matches!(&l.result, Ok(a) if a.oif.as_deref() == Some(want.as_str()));
        if !ok {
            problems.push(format!(
                "no route to pod {} ({ip}) through {want}: {}",
                p.label,
                fib_outcome(l)
            ));
        }
        if !ok || evidence.len() < 3 {
            evidence.push(Evidence::new(
                fact,
                format!("RTM_GETROUTE in {}", cx.node_label),
            ));
        }
    }
    (problems, evidence)
}

/// What the routes check gathers over the remote pod CIDRs.
#[derive(Default)]
struct RouteFindings {
    evidence: Vec<Evidence>,
    /// CIDRs with no route, or a refusing one.
    missing: Vec<String>,
    /// CIDRs whose FIB lookup from a pod fails, with the reason.
    lookup_failures: Vec<String>,
    /// A lookup failed only because forwarding is off.
    blocked_by_forwarding: bool,
}

pub fn check(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "routes";
    if let Some(skip) = super::facts::skip_on_ebpf(ID, f) {
        return skip;
    }
    let (pod_problems, pod_evidence) = pod_routes(f, cx);
    if !pod_problems.is_empty() {
        return Check::new(ID, Status::Fail, pod_problems.join("; "))
            .with(pod_evidence)
            .hint("restore the pod's host route (`ip route add <pod ip> dev <host veth> scope link`), or recreate the pod so its CNI plugin writes it");
    }
    if cx.remote_cidrs.is_empty() {
        return no_remote_cidr(cx, pod_evidence);
    }
    let mut out = RouteFindings {
        evidence: pod_evidence,
        ..Default::default()
    };
    let sample = sample_pod(f, cx);
    for r in &cx.remote_cidrs {
        if let Some(host) = sample_host(&r.cidr) {
            route_to(f, cx, r, host, &mut out);
            if let Some(p) = sample {
                lookup_to(f, cx, r, host, p, &mut out);
            }
        }
    }
    routes_verdict(f, cx, out)
}

/// No remote pod CIDR: flannel says how big the cluster is, so no route
/// into it beyond this node's own subnet is either a one-node cluster or
/// routes that are gone (a warning); otherwise nothing to judge.
fn no_remote_cidr(cx: &Context, pod_evidence: Vec<Evidence>) -> Check {
    const ID: &str = "routes";
    let Some((net, source)) = cx.cluster_cidrs.first() else {
        return Check::new(
            ID,
            Status::Skip,
            "no remote pod CIDR is known (no routes to other nodes' pods or tunnel entries, no other node on this machine, no API, no lab state)",
        )
        .with(pod_evidence);
    };
    let mine: Vec<String> = cx.local_cidrs.iter().map(|c| c.to_string()).collect();
    Check::new(
        ID,
        Status::Warn,
        format!(
            "no route into the cluster network {net} but this node's own {}: no other node's pods are reachable (a one-node cluster, or the routes to the others are gone)",
            if mine.is_empty() { "pods".to_string() } else { mine.join(", ") }
        ),
    )
    .with(
        pod_evidence
            .into_iter()
            .chain([Evidence::new(format!("cluster network {net}"), source.clone())])
            .collect(),
    )
    .hint("on a routed network (host-gw, BGP) restart the CNI agent or its routing daemon so it writes the other nodes' routes; `--kubeconfig` lets doctor name the missing CIDRs from Node.spec.podCIDRs")
}

/// The main table's most specific route to `host` of the remote CIDR `r`.
fn route_to(
    f: &NodeFacts,
    cx: &Context,
    r: &super::context::RemoteCidr,
    host: IpAddr,
    out: &mut RouteFindings,
) {
    let from = format!("main routing table of {}", cx.node_label);
    let route = f
        .routes
        .iter()
        .filter(|x| {
            x.table == RT_TABLE_MAIN
                && x.dst
                    .is_some_and(|d| d.contains(&host) && d.prefix_len() > 0)
        })
        .max_by_key(|x| x.dst.map(|d| d.prefix_len()).unwrap_or(0));
    match route {
        Some(x) if x.kind == "unicast" => out.evidence.push(Evidence::new(
            format!(
                "{} ({}): {}{}",
                r.cidr,
                r.source,
                x.summary(),
                x.oif
                    .and_then(|o| iface(f, o))
                    .map(|i| format!(" dev {}", i.name))
                    .unwrap_or_default()
            ),
            from,
        )),
        Some(x) => {
            out.evidence.push(Evidence::new(
                format!("{} ({}): {}", r.cidr, r.source, x.summary()),
                from,
            ));
            out.missing
                .push(format!("{} is a {} route", r.cidr, x.kind));
        }
        None => {
            let default = f
                .routes
                .iter()
                .any(|x| x.table == RT_TABLE_MAIN && x.dst.is_none() && x.ipv6 == host.is_ipv6());
            out.evidence.push(Evidence::new(
                format!(
                    "{} ({}): {}",
                    r.cidr,
                    r.source,
                    if default {
                        "no route but the default"
                    } else {
                        "no route (and no default route)"
                    }
                ),
                from,
            ));
            out.missing.push(r.cidr.to_string());
        }
    }
}

/// The kernel's lookup to `host`, entering from the sample pod `p` as its packets do.
fn lookup_to(
    f: &NodeFacts,
    cx: &Context,
    r: &super::context::RemoteCidr,
    host: IpAddr,
    p: &super::context::NodePod,
    out: &mut RouteFindings,
) {
    let Some(pod_ip) = p.pod_ip.filter(|i| i.is_ipv4() == host.is_ipv4()) else {
        return;
    };
    let Some(l) = fib(f, host, Some(pod_ip), Some(&ingress_of(f, p))) else {
        return;
    };
    out.evidence.push(Evidence::new(
        format!("{} {}", fib_command(l), fib_outcome(l)),
        format!("RTM_GETROUTE in {}, as for {}", cx.node_label, p.label),
    ));
    if l.result.is_ok() {
        return;
    }
    let forwarding_off = f
        .sysctls
        .get("net/ipv4/ip_forward")
        .is_some_and(|v| v != "1");
    if forwarding_off && l.errno == Some(libc::EHOSTUNREACH) {
        out.blocked_by_forwarding = true;
    } else {
        let why = fib_explain::explain(f, l, None)
            .map(|e| format!(": {}", e.reason))
            .unwrap_or_default();
        out.lookup_failures
            .push(format!("{} from {}{why}", r.cidr, p.label));
    }
}

fn routes_verdict(f: &NodeFacts, cx: &Context, out: RouteFindings) -> Check {
    const ID: &str = "routes";
    let RouteFindings {
        evidence,
        missing,
        lookup_failures,
        blocked_by_forwarding,
    } = out;
    // the kernel removes the routes through a device that goes down: the
    // device is the fault (`tunnel` fails it), the routes only follow
    let down: Vec<&str> = f
        .vxlans
        .iter()
        .filter_map(|v| iface(f, v.ifindex))
        .filter(|i| !i.admin_up || i.oper_state == OperState::Down)
        .map(|i| i.name.as_str())
        .collect();
    if !missing.is_empty() && !down.is_empty() {
        return Check::new(
            ID,
            Status::Warn,
            format!(
                "no route to remote pod CIDR {}: {} is down, and the kernel removed the routes through it (see tunnel)",
                missing.join(", "),
                down.join(", ")
            ),
        )
        .with(evidence)
        .hint(format!("bring the tunnel back (`ip link set {} up`) and restart the CNI agent so it restores its routes", down[0]));
    }
    if !missing.is_empty() {
        return Check::new(ID, Status::Fail, format!("no route to remote pod CIDR {}", missing.join(", ")))
            .with(evidence)
            .hint("restore the route (flannel: restart it; by hand: `ip route add <cidr> via <remote .0> dev flannel.1 onlink`, or `via <node ip>` on a routed network)");
    }
    if !lookup_failures.is_empty() {
        return Check::new(
            ID,
            Status::Fail,
            format!("the kernel cannot forward {}", lookup_failures.join(", ")),
        )
        .with(evidence);
    }
    if blocked_by_forwarding {
        return Check::new(
            ID,
            Status::Warn,
            "routes exist, but forwarding is off (see ip-forward)",
        )
        .with(evidence);
    }
    Check::new(
        ID,
        Status::Pass,
        format!(
            "a route and a working FIB lookup for each of {} remote pod CIDRs",
            cx.remote_cidrs.len()
        ),
    )
    .with(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::doctor::RemoteCidr;
    use crate::analyze::doctor::fixtures;
    use crate::model::Route;

    #[test]
    fn a_missing_route_says_whether_a_default_route_is_there() {
        let cx = Context {
            node_label: "netns 1".into(),
            remote_cidrs: vec![RemoteCidr::new(
                "10.244.1.0/24".parse().unwrap(),
                "lab lab: node node1",
            )],
            ..Default::default()
        };
        let mut f = NodeFacts::default();
        let c = check(&f, &cx);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.summary, "no route to remote pod CIDR 10.244.1.0/24");
        assert_eq!(
            c.evidence[0].fact,
            "10.244.1.0/24 (lab lab: node node1): no route (and no default route)"
        );
        f.routes.push(Route {
            dst: None,
            gateway: Some("172.30.0.1".parse().unwrap()),
            oif: Some(2),
            table: crate::model::route::RT_TABLE_MAIN,
            kind: "unicast".into(),
            scope: "universe".into(),
            prefsrc: None,
            metric: None,
            onlink: false,
            ipv6: false,
        });
        // the default route is not a route to the pod CIDR
        let c = check(&f, &cx);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(
            c.evidence[0].fact,
            "10.244.1.0/24 (lab lab: node node1): no route but the default"
        );
    }

    /// Calico: the node reaches its pod through the pod's /32 to its cali
    /// veth; without it the kernel's lookup leaves by the default route.
    #[test]
    fn a_pod_is_reached_through_its_host_veth_or_routes_fails() {
        use crate::analyze::doctor::fixtures::link;
        use crate::model::doctor::{FibAnswer, FibLookup};
        let cx = Context {
            node_label: "node2".into(),
            pods: vec![fixtures::pod("default/cb-2-1", Some("10.65.2.2"), 7)],
            ..Default::default()
        };
        let answer = |dev: &str| FibLookup {
            dst: "10.65.2.2".parse().unwrap(),
            src: None,
            iif: None,
            result: Ok(FibAnswer {
                oif: Some(dev.into()),
                gateway: None,
                kind: "unicast".into(),
            }),
            errno: None,
        };
        let mut f = NodeFacts {
            interfaces: vec![link(7, "cali7e894d52905", "veth"), link(8, "ext0", "veth")],
            fib: vec![answer("cali7e894d52905")],
            ..Default::default()
        };
        // no remote CIDR is known: the pods' own routes are still judged
        assert_eq!(check(&f, &cx).status, Status::Skip);
        f.fib = vec![answer("ext0")];
        let c = check(&f, &cx);
        assert_eq!(c.status, Status::Fail);
        assert_eq!(
            c.summary,
            "no route to pod default/cb-2-1 (10.65.2.2) through cali7e894d52905: → dev ext0"
        );
    }

    /// A route missing because its tunnel is down is the tunnel's fault: warn.
    #[test]
    fn a_route_taken_by_a_down_tunnel_warns() {
        use crate::analyze::doctor::fixtures::link;
        let mut vx = link(3, "flannel.1", "vxlan");
        vx.admin_up = false;
        vx.oper_state = "down".into();
        let f = NodeFacts {
            interfaces: vec![vx],
            vxlans: vec![fixtures::vxlan(3, 1)],
            ..Default::default()
        };
        let cx = Context {
            remote_cidrs: vec![RemoteCidr::new("10.244.2.0/24".parse().unwrap(), "a lab")],
            ..Default::default()
        };
        let c = check(&f, &cx);
        assert_eq!(c.status, Status::Warn);
        assert!(c.summary.contains("flannel.1 is down"), "{}", c.summary);
    }

    /// subnet.env's cluster network with no route into it: warn, naming it.
    #[test]
    fn a_cluster_network_without_routes_warns() {
        let cx = Context {
            local_cidrs: vec!["10.245.1.0/24".parse().unwrap()],
            cluster_cidrs: vec![(
                "10.245.0.0/16".parse().unwrap(),
                "/run/flannel/subnet.env FLANNEL_NETWORK".into(),
            )],
            ..Default::default()
        };
        let c = check(&NodeFacts::default(), &cx);
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.summary.starts_with(
                "no route into the cluster network 10.245.0.0/16 but this node's own 10.245.1.0/24"
            ),
            "{}",
            c.summary
        );
        assert_eq!(
            c.evidence[0].from,
            "/run/flannel/subnet.env FLANNEL_NETWORK"
        );
    }
}
