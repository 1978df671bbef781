//! Explains a failed (or non-unicast) FIB lookup from the namespace's policy
//! rules, routes of every table, sysctls and interfaces. The kernel's own
//! answer is the judge: this only names why (which rule, which route, the
//! forwarding switch or the reverse-path filter). Errnos do not tell a
//! blackhole from a reverse-path failure on an input lookup (both EINVAL),
//! so the rules and tables are simulated; the kernel's output lookup (no
//! iif) to the same destination is the fallback. No I/O.

use std::net::IpAddr;

use crate::model::doctor::{FibLookup, NodeFacts};
use crate::model::route::{RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN, table_name};
use crate::model::trace::Cause;
use crate::model::{Route, Rule};

/// A cause and the sentence naming its object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub cause: Cause,
    pub reason: String,
}

/// A flow as the FIB sees it.
#[derive(Debug, Clone)]
pub struct Flow<'a> {
    pub src: Option<IpAddr>,
    pub dst: IpAddr,
    /// The input interface; `lo` for a locally sent packet.
    pub iif: &'a str,
    pub fwmark: u32,
}

/// What the rules and tables select for a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection<'a> {
    /// A route of a table a rule looked up (its `kind` may be blackhole…).
    Route {
        rule: Rule,
        route: &'a Route,
    },
    /// A rule whose action is itself the verdict (unreachable, prohibit, blackhole).
    RuleAction(Rule),
    NoRoute,
}

/// The rules the kernel starts every namespace with (used when none were read).
fn default_rules(v6: bool) -> Vec<Rule> {
    [
        (0, RT_TABLE_LOCAL),
        (32766, RT_TABLE_MAIN),
        (32767, RT_TABLE_DEFAULT),
    ]
    .into_iter()
    .map(|(priority, table)| Rule {
        priority,
        family: if v6 { "inet6" } else { "inet" }.into(),
        src: None,
        dst: None,
        iif: None,
        oif: None,
        fwmark: None,
        table,
        action: "lookup".into(),
        invert: false,
        suppress_prefixlen: None,
        other_selector: None,
    })
    .collect()
}

fn rule_matches(r: &Rule, flow: &Flow<'_>) -> bool {
    let sel = r.src.is_none_or(|n| flow.src.is_some_and(|s| n.contains(&s)))
        && r.dst.is_none_or(|n| n.contains(&flow.dst))
        && r.iif.as_deref().is_none_or(|i| i == flow.iif)
        // the FIB lookups podnet models carry no output interface
        && r.oif.is_none()
        && r.fwmark.is_none_or(|(mark, mask)| flow.fwmark & mask == mark)
        // a selector podnet does not evaluate (uid, ports…): taken as not matching
        && r.other_selector.is_none();
    sel != r.invert
}

/// The longest-prefix route of `table` for `dst` (lowest metric on a tie).
pub fn table_lookup(routes: &[Route], table: u32, dst: IpAddr) -> Option<&Route> {
    routes
        .iter()
        .filter(|r| r.table == table && r.ipv6 == dst.is_ipv6())
        .filter(|r| r.dst.is_none_or(|d| d.contains(&dst)))
        .filter(|r| !matches!(r.kind.as_str(), "multicast" | "anycast"))
        .min_by_key(|r| {
            (
                std::cmp::Reverse(r.dst.map(|d| d.prefix_len()).unwrap_or(0)),
                r.metric.unwrap_or(0),
            )
        })
}

/// Runs the policy rules and tables for `flow`, as fib_rules_lookup does.
pub fn select<'a>(f: &'a NodeFacts, flow: &Flow<'_>) -> Selection<'a> {
    let v6 = flow.dst.is_ipv6();
    let mut rules: Vec<Rule> = f
        .rules
        .iter()
        .filter(|r| r.is_ipv6() == v6)
        .cloned()
        .collect();
    if rules.is_empty() {
        rules = default_rules(v6);
    }
    for r in rules {
        if !rule_matches(&r, flow) {
            continue;
        }
        match r.action.as_str() {
            "lookup" => {
                let Some(route) = table_lookup(&f.routes, r.table, flow.dst) else {
                    continue;
                };
                if route.kind == "throw" {
                    continue;
                }
                let plen = u32::from(route.dst.map(|d| d.prefix_len()).unwrap_or(0));
                if r.suppress_prefixlen.is_some_and(|s| plen <= s) {
                    continue;
                }
                return Selection::Route { rule: r, route };
            }
            "blackhole" | "unreachable" | "prohibit" => return Selection::RuleAction(r),
            _ => continue,
        }
    }
    Selection::NoRoute
}

fn cause_of_kind(kind: &str) -> Option<Cause> {
    match kind {
        "blackhole" => Some(Cause::RouteBlackhole),
        "unreachable" => Some(Cause::RouteUnreachable),
        "prohibit" => Some(Cause::RouteProhibit),
        _ => None,
    }
}

fn is_default_rule(r: &Rule) -> bool {
    r.action == "lookup"
        && r.src.is_none()
        && r.dst.is_none()
        && r.iif.is_none()
        && r.fwmark.is_none()
        && !r.invert
        && matches!(r.table, RT_TABLE_MAIN | RT_TABLE_LOCAL | RT_TABLE_DEFAULT)
}

/// `blackhole 10.244.2.0/24 table main`.
pub fn route_text(f: &NodeFacts, r: &Route) -> String {
    let mut s = r.summary();
    if let Some(dev) = r
        .oif
        .and_then(|o| f.interfaces.iter().find(|i| i.ifindex == o))
    {
        s.push_str(&format!(" dev {}", dev.name));
    }
    format!("{s} table {}", table_name(r.table))
}

fn oif_name(f: &NodeFacts, r: &Route) -> Option<String> {
    let o = r.oif?;
    f.interfaces
        .iter()
        .find(|i| i.ifindex == o)
        .map(|i| i.name.clone())
}

fn sysctl(f: &NodeFacts, key: &str) -> Option<u32> {
    f.sysctls.get(key).and_then(|v| v.trim().parse().ok())
}

/// Forwarding is off for packets arriving on `iif` (IPv4: the per-interface switch).
fn forwarding_off(f: &NodeFacts, iif: &str, v6: bool) -> Option<String> {
    if v6 {
        return (sysctl(f, "net/ipv6/conf/all/forwarding") == Some(0))
            .then(|| "forwarding is off (net.ipv6.conf.all.forwarding = 0)".into());
    }
    if sysctl(f, "net/ipv4/ip_forward") == Some(0) {
        return Some("forwarding is off (net.ipv4.ip_forward = 0)".into());
    }
    let key = format!("net/ipv4/conf/{iif}/forwarding");
    (sysctl(f, &key) == Some(0)).then(|| {
        format!(
            "forwarding is off on {iif} (net.ipv4.conf.{}.forwarding = 0)",
            iif.replace('.', "/")
        )
    })
}

/// The reverse-path filter's verdict on a packet from `src` arriving on
/// `iif`: the reason it refuses, or `None` when it lets it through.
/// The cause is `rp-filter` when the way back leaves by another device;
/// when there is no usable way back at all (no route, or a blackhole,
/// unreachable or prohibit one), the missing route is the cause.
pub fn rp_refuses(f: &NodeFacts, src: IpAddr, dst: IpAddr, iif: &str) -> Option<(Cause, String)> {
    if src.is_ipv6() {
        return None;
    }
    let all = sysctl(f, "net/ipv4/conf/all/rp_filter").unwrap_or(0);
    let dev = sysctl(f, &format!("net/ipv4/conf/{iif}/rp_filter")).unwrap_or(0);
    let mode = all.max(dev);
    if mode == 0 {
        return None;
    }
    let mode_text = if mode == 1 { "strict" } else { "loose" };
    let back = Flow {
        src: Some(dst),
        dst: src,
        iif: "lo",
        fwmark: 0,
    };
    match select(f, &back) {
        Selection::Route { route, .. } if route.kind == "unicast" => {
            let out = oif_name(f, route);
            if mode == 1 && out.as_deref() != Some(iif) {
                Some((
                    Cause::RpFilter,
                    format!(
                        "the reverse-path filter ({mode_text}, rp_filter {mode} on {iif}) refuses {src}: the route back to it, `{}`, leaves by {} and not by {iif}",
                        route_text(f, route),
                        out.as_deref().unwrap_or("no device")
                    ),
                ))
            } else {
                None
            }
        }
        Selection::Route { route, .. } => Some((
            cause_of_kind(&route.kind).unwrap_or(Cause::RpFilter),
            format!(
                "the route back to {src} is `{}`, so the reverse-path filter ({mode_text}, rp_filter {mode} on {iif}) refuses it",
                route_text(f, route)
            ),
        )),
        Selection::RuleAction(r) => Some((
            cause_of_kind(&r.action).unwrap_or(Cause::RpFilter),
            format!(
                "ip rule `{}` answers the way back to {src}, so the reverse-path filter ({mode_text}, rp_filter {mode} on {iif}) refuses it",
                r.summary()
            ),
        )),
        Selection::NoRoute => Some((
            Cause::NoRoute,
            format!(
                "there is no route back to {src}, so the reverse-path filter ({mode_text}, rp_filter {mode} on {iif}) refuses it"
            ),
        )),
    }
}

/// Why the kernel's lookup `l` fails (or answers with a route that is not
/// unicast); `None` when it succeeded. `pod_dev`: the host veth of a pod
/// attached to this node that owns `l.dst`, when there is one.
pub fn explain(f: &NodeFacts, l: &FibLookup, pod_dev: Option<&str>) -> Option<Explained> {
    let kernel_kind = l.result.as_ref().ok().map(|a| a.kind.as_str());
    if matches!(kernel_kind, Some("unicast" | "local" | "broadcast")) {
        return None;
    }
    let iif = l.iif.as_deref();
    let flow = Flow {
        src: l.src,
        dst: l.dst,
        iif: iif.unwrap_or("lo"),
        fwmark: 0,
    };
    let sel = select(f, &flow);
    if let Some(e) = pod_dev.and_then(|dev| pod_route_missing(f, l, &sel, dev)) {
        return Some(e);
    }
    if let Some(e) = refused_by_tables(f, l, &sel, kernel_kind) {
        return Some(e);
    }
    // the tables hold a unicast route: the switch, the filter, or what the kernel says
    if let Some(iif) = iif {
        if let Some(reason) = forwarding_off(f, iif, l.dst.is_ipv6()) {
            return Some(Explained {
                cause: Cause::ForwardingOff,
                reason,
            });
        }
        if let Some(src) = l.src
            && let Some((cause, reason)) = rp_refuses(f, src, l.dst, iif)
        {
            return Some(Explained { cause, reason });
        }
    }
    refused_by_kernel(f, l)
}

/// A pod attached to this node whose host veth `dev` is not where the
/// tables send its address: its host route is missing.
fn pod_route_missing(
    f: &NodeFacts,
    l: &FibLookup,
    sel: &Selection<'_>,
    dev: &str,
) -> Option<Explained> {
    let via_pod = matches!(sel, Selection::Route { route, .. }
        if route.kind == "unicast" && oif_name(f, route).as_deref() == Some(dev));
    if via_pod {
        return None;
    }
    let caught = match sel {
        Selection::Route { route, .. } => {
            format!(", and `{}` catches it", route_text(f, route))
        }
        Selection::RuleAction(r) => format!(", and ip rule `{}` catches it", r.summary()),
        Selection::NoRoute => String::new(),
    };
    Some(Explained {
        cause: Cause::PodRouteMissing,
        reason: format!(
            "no route to the pod {} through its host veth {dev}{caught}",
            l.dst
        ),
    })
}

/// What the rules and tables say: a rule's action, a refusing route, or
/// no route at all; `None` when they hold a unicast route.
fn refused_by_tables(
    f: &NodeFacts,
    l: &FibLookup,
    sel: &Selection<'_>,
    kernel_kind: Option<&str>,
) -> Option<Explained> {
    match sel {
        Selection::RuleAction(r) => Some(Explained {
            cause: cause_of_kind(&r.action).unwrap_or(Cause::NoRoute),
            reason: format!(
                "ip rule `{}` answers {} with {}",
                r.summary(),
                l.dst,
                r.action
            ),
        }),
        Selection::Route { rule, route } => {
            let cause = cause_of_kind(&route.kind)?;
            let by_rule = if is_default_rule(rule) {
                String::new()
            } else {
                format!(
                    " (ip rule `{}` sends it to table {})",
                    rule.summary(),
                    table_name(rule.table)
                )
            };
            Some(Explained {
                cause,
                reason: format!(
                    "the route to {} is `{}`{by_rule}",
                    l.dst,
                    route_text(f, route),
                ),
            })
        }
        Selection::NoRoute => Some(match kernel_kind.and_then(cause_of_kind) {
            Some(k) => Explained {
                cause: k,
                reason: format!(
                    "the kernel answers {} with a {} route",
                    l.dst,
                    kernel_kind.unwrap_or("")
                ),
            },
            None => Explained {
                cause: Cause::NoRoute,
                reason: format!("no route to {} in any table the ip rules look up", l.dst),
            },
        }),
    }
}

/// The tables look fine, yet the kernel refuses: its own output lookup's
/// errno, else the failed lookup's errno, tells the kind.
fn refused_by_kernel(f: &NodeFacts, l: &FibLookup) -> Option<Explained> {
    let by_errno = |errno: Option<i32>| match errno {
        Some(libc::EINVAL) => Some(Cause::RouteBlackhole),
        Some(libc::EHOSTUNREACH) => Some(Cause::RouteUnreachable),
        Some(libc::EACCES) => Some(Cause::RouteProhibit),
        Some(libc::ENETUNREACH) => Some(Cause::NoRoute),
        _ => None,
    };
    if let Some(out) = f.output_lookup(l.dst).filter(|o| o.result.is_err())
        && let Some(cause) = by_errno(out.errno)
    {
        return Some(Explained {
            cause,
            reason: format!(
                "the kernel's own lookup to {} fails ({}); the rules and tables podnet read do not show which entry",
                l.dst,
                out.result.clone().err().unwrap_or_default()
            ),
        });
    }
    let cause = match l.errno {
        Some(libc::ENETUNREACH) => Cause::NoRoute,
        Some(libc::EHOSTUNREACH) => Cause::RouteUnreachable,
        Some(libc::EACCES) => Cause::RouteProhibit,
        Some(libc::EINVAL | libc::EXDEV) if l.iif.is_some() => Cause::RpFilter,
        Some(libc::EINVAL) => Cause::RouteBlackhole,
        _ => return None,
    };
    Some(Explained {
        cause,
        reason: format!(
            "the kernel refuses the lookup to {} ({})",
            l.dst,
            l.result.clone().err().unwrap_or_default()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Interface;
    use crate::model::doctor::FibAnswer;

    fn iface(name: &str, ifindex: u32) -> Interface {
        Interface {
            name: name.into(),
            ifindex,
            ..Default::default()
        }
    }

    fn route(dst: Option<&str>, kind: &str, oif: Option<u32>, table: u32) -> Route {
        Route {
            dst: dst.map(|d| d.parse().unwrap()),
            gateway: None,
            oif,
            table,
            kind: kind.into(),
            scope: "universe".into(),
            prefsrc: None,
            metric: None,
            onlink: false,
            ipv6: false,
        }
    }

    fn rule(priority: u32, table: u32, action: &str) -> Rule {
        Rule {
            table,
            action: action.into(),
            ..default_rules(false).remove(1)
        }
        .with_priority(priority)
    }

    impl Rule {
        fn with_priority(mut self, p: u32) -> Rule {
            self.priority = p;
            self
        }
    }

    fn facts() -> NodeFacts {
        let mut f = NodeFacts {
            interfaces: vec![iface("eth0", 2), iface("cni0", 3), iface("flannel.1", 4)],
            routes: vec![
                route(Some("10.244.1.0/24"), "unicast", Some(3), RT_TABLE_MAIN),
                route(Some("10.244.2.0/24"), "unicast", Some(4), RT_TABLE_MAIN),
                route(None, "unicast", Some(2), RT_TABLE_MAIN),
            ],
            rules: default_rules(false),
            ..Default::default()
        };
        f.sysctls.insert("net/ipv4/ip_forward".into(), "1".into());
        f
    }

    fn failed(dst: &str, src: Option<&str>, iif: Option<&str>, errno: i32) -> FibLookup {
        FibLookup {
            dst: dst.parse().unwrap(),
            src: src.map(|s| s.parse().unwrap()),
            iif: iif.map(String::from),
            result: Err(std::io::Error::from_raw_os_error(errno).to_string()),
            errno: Some(errno),
        }
    }

    #[test]
    fn blackhole_and_rp_filter_are_told_apart_though_both_are_einval() {
        let pod_to_remote = failed("10.244.2.2", Some("10.244.1.5"), Some("cni0"), libc::EINVAL);
        // a blackhole route in main
        let mut f = facts();
        f.routes[1].kind = "blackhole".into();
        f.routes[1].oif = None;
        let e = explain(&f, &pod_to_remote, None).unwrap();
        assert_eq!(e.cause, Cause::RouteBlackhole);
        assert!(
            e.reason.contains("`blackhole 10.244.2.0/24 table main`"),
            "{}",
            e.reason
        );
        // strict rp_filter on cni0 with the route back to the source leaving by eth0
        let mut f = facts();
        f.routes.remove(0);
        f.sysctls
            .insert("net/ipv4/conf/cni0/rp_filter".into(), "1".into());
        let e = explain(&f, &pod_to_remote, None).unwrap();
        assert_eq!(e.cause, Cause::RpFilter, "{e:?}");
        assert!(
            e.reason.contains("leaves by eth0 and not by cni0"),
            "{}",
            e.reason
        );
        // loose mode lets it through: the kernel's output lookup errno decides
        f.sysctls
            .insert("net/ipv4/conf/cni0/rp_filter".into(), "2".into());
        f.output_fib
            .push(failed("10.244.2.2", None, None, libc::EHOSTUNREACH));
        assert_eq!(
            explain(&f, &pod_to_remote, None).unwrap().cause,
            Cause::RouteUnreachable
        );
    }

    #[test]
    fn rules_by_iif_priority_and_invert_send_packets_to_other_tables() {
        let mut f = facts();
        f.routes.push(route(None, "unreachable", None, 100));
        let mut r = rule(100, 100, "lookup");
        r.iif = Some("cni0".into());
        f.rules.push(r);
        f.rules.sort_by_key(|r| r.priority);
        let from_pod = failed(
            "10.244.2.2",
            Some("10.244.1.5"),
            Some("cni0"),
            libc::EHOSTUNREACH,
        );
        let e = explain(&f, &from_pod, None).unwrap();
        assert_eq!(e.cause, Cause::RouteUnreachable);
        assert!(
            e.reason.contains("unreachable default table 100")
                && e.reason
                    .contains("ip rule `100: from all iif cni0 lookup 100`"),
            "{}",
            e.reason
        );
        // the same packet from another interface: the rule does not apply
        let other = Flow {
            src: None,
            dst: "10.244.2.2".parse().unwrap(),
            iif: "eth0",
            fwmark: 0,
        };
        assert!(
            matches!(select(&f, &other), Selection::Route { route, .. } if route.kind == "unicast")
        );
        // a lower priority rule wins; an inverted one matches what its selector does not
        let mut p = rule(50, 0, "prohibit");
        p.dst = Some("10.0.0.0/8".parse().unwrap());
        p.invert = true;
        f.rules.insert(0, p);
        assert!(
            matches!(select(&f, &other), Selection::Route { .. }),
            "10.244.2.2 is in 10/8"
        );
        let outside = Flow {
            dst: "192.0.2.1".parse().unwrap(),
            ..other
        };
        let sel = select(&f, &outside);
        assert!(
            matches!(&sel, Selection::RuleAction(r) if r.action == "prohibit"),
            "{sel:?}"
        );
        let e = explain(&f, &failed("192.0.2.1", None, None, libc::EACCES), None).unwrap();
        assert_eq!(e.cause, Cause::RouteProhibit);
    }

    #[test]
    fn forwarding_off_no_route_and_a_missing_pod_route() {
        let mut f = facts();
        f.sysctls.insert("net/ipv4/ip_forward".into(), "0".into());
        let l = failed(
            "10.244.2.2",
            Some("10.244.1.5"),
            Some("cni0"),
            libc::EHOSTUNREACH,
        );
        assert_eq!(explain(&f, &l, None).unwrap().cause, Cause::ForwardingOff);
        let mut f = facts();
        f.routes.pop();
        let l = failed("10.9.9.9", None, None, libc::ENETUNREACH);
        assert_eq!(explain(&f, &l, None).unwrap().cause, Cause::NoRoute);
        // a Calico node whose pod /32 is gone: its block's blackhole catches the packet
        let mut f = facts();
        f.interfaces.push(iface("cali123", 9));
        f.routes.push(route(
            Some("10.244.3.0/26"),
            "blackhole",
            None,
            RT_TABLE_MAIN,
        ));
        let l = failed(
            "10.244.3.4",
            Some("10.244.2.2"),
            Some("flannel.1"),
            libc::EINVAL,
        );
        let e = explain(&f, &l, Some("cali123")).unwrap();
        assert_eq!(e.cause, Cause::PodRouteMissing);
        assert!(
            e.reason.contains("cali123") && e.reason.contains("blackhole 10.244.3.0/26"),
            "{}",
            e.reason
        );
        // the kernel's success is final
        let ok = FibLookup {
            result: Ok(FibAnswer {
                oif: Some("eth0".into()),
                gateway: None,
                kind: "unicast".into(),
            }),
            errno: None,
            ..l
        };
        assert_eq!(explain(&f, &ok, None), None);
    }
}
