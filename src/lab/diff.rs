//! The diff between a namespace's desired state and what is observed
//! there: the actions `lab fix` applies, in order, and what the diff
//! cannot repair by itself. No I/O.

use super::action::{Action, LinkKind, LinkWant, VxlanParams};
use super::desired::{NsDesired, SysctlWant};
use super::entries::default_rules;
use super::observed::{LinkObs, NsObs, VxlanObs};
use super::plan::NODE_UPLINK;

/// The sysctl keys an observation must read for `want` given the links seen.
pub fn sysctl_keys(want: &NsDesired, links: &[LinkObs]) -> Vec<String> {
    let mut keys: Vec<String> = want.sysctls.iter().map(|s| s.key.clone()).collect();
    for l in links {
        for (suffix, _, _) in &want.per_link_sysctls {
            keys.push(format!("net/ipv4/conf/{}/{suffix}", l.name));
        }
    }
    keys
}

fn vxlan_matches(want: &VxlanParams, seen: Option<&VxlanObs>) -> bool {
    let Some(s) = seen else { return false };
    s.vni == Some(want.vni)
        && s.local == Some(want.local)
        && s.port == Some(want.port)
        && s.learning != Some(true)
        && s.dev.as_deref() == Some(want.dev.as_str())
}

/// What `want` needs done to a namespace seen as `seen`, in order, and
/// what the diff cannot repair by itself.
pub fn diff(want: &NsDesired, seen: &NsObs) -> (Vec<Action>, Vec<String>) {
    let mut acts = Vec::new();
    let mut problems = Vec::new();
    // namespace-wide sysctls first: links created below inherit `default`
    for s in want.sysctls.iter().filter(|s| !per_link(&s.key)) {
        acts.extend(sysctl_action(s, seen));
    }
    for l in &want.links {
        link_actions(l, seen, &mut acts, &mut problems);
    }
    link_sysctl_actions(want, seen, &mut acts);
    neighbour_actions(want, seen, &mut acts);
    fdb_actions(want, seen, &mut acts);
    route_actions(want, seen, &mut acts);
    if want.no_route_exceptions && seen.route_exceptions > 0 {
        acts.push(Action::FlushRouteCache);
    }
    firewall_actions(want, seen, &mut acts);
    (acts, problems)
}

/// Whether a sysctl key is one interface's (`net/ipv4/conf/<dev>/…`).
fn per_link(key: &str) -> bool {
    key.contains("/conf/") && !key.contains("/conf/all/") && !key.contains("/conf/default/")
}

/// The write a sysctl needs, if any.
fn sysctl_action(s: &SysctlWant, seen: &NsObs) -> Option<Action> {
    match seen.sysctls.get(&s.key) {
        Some(v) if *v == s.value => None,
        // an interface's key that is not there: the interface is not (yet)
        None if per_link(&s.key) => None,
        _ => Some(Action::Sysctl {
            key: s.key.clone(),
            value: s.value.clone(),
            aspect: s.aspect,
        }),
    }
}

/// One link: create or recreate it, then its MAC, master, MTU, up and
/// addresses.
fn link_actions(l: &LinkWant, seen: &NsObs, acts: &mut Vec<Action>, problems: &mut Vec<String>) {
    let found = seen.link(&l.name);
    let recreate = match (found, &l.kind) {
        (Some(f), LinkKind::Vxlan(p)) => f.kind != "vxlan" || !vxlan_matches(p, f.vxlan.as_ref()),
        (Some(f), LinkKind::Bridge) => f.kind != "bridge",
        _ => false,
    };
    let fresh = match found {
        Some(_) if recreate => {
            acts.push(Action::DeleteLink {
                dev: l.name.clone(),
            });
            true
        }
        Some(_) => false,
        None => true,
    };
    if fresh {
        match (&l.kind, &l.uplink_of) {
            (LinkKind::Bridge | LinkKind::Vxlan(_), _) => acts.push(Action::CreateLink(l.clone())),
            (LinkKind::Veth, Some(node)) => acts.push(Action::CreateUplink {
                node: node.clone(),
                port: l.name.clone(),
            }),
            // recreated from the switch's side; its settings follow next time
            (LinkKind::Veth, None) if l.name == NODE_UPLINK => return,
            _ => {
                problems.push(format!(
                    "{} is gone and cannot be recreated here (the pod's veth pair died with it)",
                    l.name
                ));
                return;
            }
        }
    }
    link_settings(l, if fresh { None } else { found }, acts);
}

/// A link's MAC, master, MTU, up and addresses, against `seen_l` (`None`:
/// just created, so everything is set).
fn link_settings(l: &LinkWant, seen_l: Option<&LinkObs>, acts: &mut Vec<Action>) {
    let dev = || l.name.clone();
    if let Some(mac) = &l.mac
        && seen_l.is_none_or(|s| !s.mac.eq_ignore_ascii_case(mac))
    {
        acts.push(Action::SetMac {
            dev: dev(),
            mac: mac.clone(),
        });
    }
    if let Some(m) = &l.master
        && seen_l.is_none_or(|s| s.master.as_deref() != Some(m.as_str()))
    {
        acts.push(Action::SetMaster {
            dev: dev(),
            master: m.clone(),
        });
    }
    if let Some(mtu) = l.mtu
        && seen_l.is_none_or(|s| s.mtu != mtu)
    {
        acts.push(Action::SetMtu { dev: dev(), mtu });
    }
    if seen_l.is_none_or(|s| !s.up) {
        acts.push(Action::SetUp { dev: dev() });
    }
    for a in &l.addrs {
        if seen_l.is_none_or(|s| !s.addrs.contains(a)) {
            acts.push(Action::AddAddress {
                dev: dev(),
                addr: *a,
            });
        }
    }
}

/// The interfaces' sysctls: those named, then those wanted on every link.
fn link_sysctl_actions(want: &NsDesired, seen: &NsObs, acts: &mut Vec<Action>) {
    for s in want.sysctls.iter().filter(|s| per_link(&s.key)) {
        acts.extend(sysctl_action(s, seen));
    }
    for l in &seen.links {
        for (suffix, value, aspect) in &want.per_link_sysctls {
            let key = format!("net/ipv4/conf/{}/{suffix}", l.name);
            if let Some(v) = seen.sysctls.get(&key)
                && v != value
            {
                acts.push(Action::Sysctl {
                    key,
                    value: value.clone(),
                    aspect: *aspect,
                });
            }
        }
    }
}

/// Permanent neighbours: replace what is missing or wrong, delete others
/// on the devices the lab owns.
fn neighbour_actions(want: &NsDesired, seen: &NsObs, acts: &mut Vec<Action>) {
    for n in &want.neighbours {
        let ok = seen.neighbours.iter().any(|s| {
            s.dev == n.dev
                && s.ip == n.ip
                && s.permanent
                && s.mac
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(&n.mac))
        });
        if !ok {
            acts.push(Action::ReplaceNeigh(n.clone()));
        }
    }
    for s in &seen.neighbours {
        if want.own_neighbours_on.contains(&s.dev)
            && !want
                .neighbours
                .iter()
                .any(|n| n.dev == s.dev && n.ip == s.ip)
        {
            acts.push(Action::DelNeigh {
                dev: s.dev.clone(),
                ip: s.ip,
            });
        }
    }
}

/// FDB: a unicast MAC has a single destination, so a wrong one is
/// replaced in place (appending to it does nothing, and deleting the
/// wrong destination would then delete the whole entry).
fn fdb_actions(want: &NsDesired, seen: &NsObs, acts: &mut Vec<Action>) {
    for f in &want.fdb {
        if seen.fdb.iter().any(|s| s.same(f)) {
            continue;
        }
        if seen.fdb.iter().any(|s| s.same_mac(f)) {
            acts.push(Action::ReplaceFdb(f.clone()));
        } else {
            acts.push(Action::AddFdb(f.clone()));
        }
    }
    for s in &seen.fdb {
        if want.own_fdb_on.contains(&s.dev)
            && s.dst.is_some()
            && !want.fdb.iter().any(|f| s.same_mac(f))
        {
            acts.push(Action::DelFdb(s.clone()));
        }
    }
}

/// Routes: replace what differs, delete what is extra; then policy
/// routing: the default rules, and nothing outside the main table.
fn route_actions(want: &NsDesired, seen: &NsObs, acts: &mut Vec<Action>) {
    for r in &want.routes {
        if !seen.routes.contains(r) {
            acts.push(Action::ReplaceRoute(r.clone()));
        }
    }
    for s in &seen.routes {
        let wanted = want.routes.iter().any(|r| r == s || r.key() == s.key());
        if !wanted {
            acts.push(Action::DelRoute(s.clone()));
        }
    }
    if want.default_policy_routing {
        let defaults = default_rules();
        for r in defaults.iter().filter(|r| !seen.rules.contains(r)) {
            acts.push(Action::AddRule(r.clone()));
        }
        for r in seen.rules.iter().filter(|r| !defaults.contains(r)) {
            acts.push(Action::DelRule(r.clone()));
        }
        for t in &seen.other_routes {
            acts.push(Action::DelTableRoute(t.clone()));
        }
    }
}

/// The firewall: no nftables ruleset, no legacy iptables rule or policy.
fn firewall_actions(want: &NsDesired, seen: &NsObs, acts: &mut Vec<Action>) {
    if !want.no_firewall {
        return;
    }
    if seen.nft_rules {
        acts.push(Action::FlushNft);
    }
    if !seen.legacy_dirty.is_empty() {
        acts.push(Action::ResetLegacy {
            tables: seen.legacy_dirty.clone(),
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lab::action::*;
    use crate::lab::desired::*;
    use crate::lab::entries::*;
    use crate::lab::observed::*;
    use crate::lab::plan::*;
    use crate::lab::state::tests::sample;

    /// What a healthy namespace looks like for `want`.
    pub fn healthy(want: &NsDesired) -> NsObs {
        let mut o = NsObs::default();
        for (i, l) in want.links.iter().enumerate() {
            o.links.push(LinkObs {
                name: l.name.clone(),
                index: i as u32 + 1,
                kind: l.kind.kind_name().into(),
                up: true,
                mtu: l.mtu.unwrap_or(1500),
                master: l.master.clone(),
                mac: l.mac.clone().unwrap_or_else(|| "02:00:00:00:00:01".into()),
                addrs: l.addrs.clone(),
                vxlan: match &l.kind {
                    LinkKind::Vxlan(p) => Some(VxlanObs {
                        vni: Some(p.vni),
                        local: Some(p.local),
                        port: Some(p.port),
                        learning: Some(false),
                        dev: Some(p.dev.clone()),
                    }),
                    _ => None,
                },
            });
        }
        o.routes = want.routes.clone();
        o.neighbours = want
            .neighbours
            .iter()
            .map(|n| NeighObs {
                dev: n.dev.clone(),
                ip: n.ip,
                mac: Some(n.mac.clone()),
                permanent: true,
            })
            .collect();
        o.fdb = want.fdb.clone();
        if want.default_policy_routing {
            o.rules = default_rules();
        }
        for s in &want.sysctls {
            o.sysctls.insert(s.key.clone(), s.value.clone());
        }
        let links = o.links.clone();
        for l in &links {
            for (suffix, v, _) in &want.per_link_sysctls {
                o.sysctls
                    .insert(format!("net/ipv4/conf/{}/{suffix}", l.name), v.clone());
            }
        }
        o
    }

    fn commands(acts: &[Action]) -> Vec<String> {
        acts.iter().map(Action::command).collect()
    }

    #[test]
    fn a_healthy_node_needs_nothing() {
        for (ov, mode) in [
            (Overlay::Vxlan, PodMode::Bridge),
            (Overlay::Routed, PodMode::Ptp),
        ] {
            let s = sample(3, 2, ov, mode);
            for n in &s.nodes {
                let w = node_desired(&s, n);
                let (a, p) = diff(&w, &healthy(&w));
                assert!(a.is_empty() && p.is_empty(), "{a:?} {p:?}");
            }
            let w = switch_desired(&s);
            assert!(diff(&w, &healthy(&w)).0.is_empty());
            let w = pod_desired(&s, &s.pods[0]);
            assert!(diff(&w, &healthy(&w)).0.is_empty());
        }
    }

    #[test]
    fn vxlan_nodes_want_flannel_entries_per_remote_node() {
        let s = sample(3, 1, Overlay::Vxlan, PodMode::Bridge);
        let w = node_desired(&s, &s.nodes[0]);
        let route_words: Vec<String> = w.routes.iter().map(RouteEntry::words).collect();
        assert_eq!(
            route_words,
            vec![
                "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
                "10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink"
            ]
        );
        assert_eq!(w.fdb.len(), 2);
        assert_eq!(
            w.fdb[0].dst.map(|d| d.to_string()).as_deref(),
            Some("172.30.0.12")
        );
        assert_eq!(w.neighbours[1].mac, "0e:6c:61:62:00:03");
        let v = w.links.iter().find(|l| l.name == "flannel.1").unwrap();
        assert_eq!(v.mtu, Some(1450));
        assert_eq!(v.addrs[0].to_string(), "10.244.1.0/32");
        let r = sample(2, 1, Overlay::Routed, PodMode::Bridge);
        let w = node_desired(&r, &r.nodes[1]);
        assert_eq!(
            w.routes[0].words(),
            "10.244.1.0/24 via 172.30.0.11 dev eth0"
        );
        assert!(w.fdb.is_empty() && w.links.iter().all(|l| l.name != "flannel.1"));
    }

    #[test]
    fn drift_becomes_the_commands_that_undo_it() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        let w = node_desired(&s, &s.nodes[0]);
        let mut o = healthy(&w);
        let veth = s.pods[0].host_veth.clone();
        // veth down, flannel MTU changed, FDB entry gone plus a stray one,
        // route via the underlay, an extra route, forwarding off, rules
        o.links.iter_mut().find(|l| l.name == veth).unwrap().up = false;
        o.links
            .iter_mut()
            .find(|l| l.name == "flannel.1")
            .unwrap()
            .mtu = 1500;
        o.fdb.clear();
        o.fdb.push(FdbEntry::new(
            "flannel.1",
            "00:00:00:00:00:00",
            "172.30.0.99".parse().unwrap(),
        ));
        o.routes[0].gw = Some("172.30.0.12".parse().unwrap());
        o.routes[0].dev = "eth0".into();
        o.routes[0].onlink = false;
        o.routes.push(RouteEntry {
            dst: "10.244.2.0/25".parse().unwrap(),
            gw: None,
            dev: "eth0".into(),
            scope: crate::model::route::RT_SCOPE_LINK,
            onlink: false,
            src: None,
            metric: 0,
        });
        o.sysctls.insert("net/ipv4/ip_forward".into(), "0".into());
        o.sysctls
            .insert("net/ipv4/conf/eth0/rp_filter".into(), "1".into());
        o.nft_rules = true;
        o.legacy_dirty = vec!["filter".into()];
        let (a, p) = diff(&w, &o);
        assert!(p.is_empty());
        assert_eq!(
            commands(&a),
            vec![
                "sysctl -w net.ipv4.ip_forward=1".to_string(),
                "ip link set dev flannel.1 mtu 1450".into(),
                format!("ip link set dev {veth} up"),
                "sysctl -w net.ipv4.conf.eth0.rp_filter=2".into(),
                "bridge fdb append 0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12".into(),
                "bridge fdb del 00:00:00:00:00:00 dev flannel.1 dst 172.30.0.99".into(),
                "ip route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink".into(),
                "ip route del 10.244.2.0/25 dev eth0 scope link".into(),
                "nft flush ruleset".into(),
                "iptables-legacy-restore    # tables filter emptied, policies ACCEPT".into(),
            ]
        );
        let aspects: Vec<Aspect> = a.iter().map(Action::aspect).collect();
        assert_eq!(aspects[0], Aspect::Forwarding);
        assert_eq!(aspects[1], Aspect::Mtu);
        assert_eq!(aspects[2], Aspect::LinkState);
        assert_eq!(aspects[3], Aspect::RpFilter);
    }

    #[test]
    fn a_wrong_fdb_destination_is_replaced_in_place_not_deleted() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        let w = node_desired(&s, &s.nodes[0]);
        let mut o = healthy(&w);
        // the kernel keeps one destination per unicast MAC: a wrong dst, or
        // the right one on another port, is the same entry
        o.fdb[0].dst = Some("172.30.0.99".parse().unwrap());
        assert_eq!(
            commands(&diff(&w, &o).0),
            vec!["bridge fdb replace 0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12"]
        );
        let mut o = healthy(&w);
        o.fdb[0].port = Some(4789);
        assert_eq!(
            commands(&diff(&w, &o).0),
            vec!["bridge fdb replace 0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12"]
        );
        // a stray entry is deleted with its port, or the kernel finds no such destination
        let mut o = healthy(&w);
        let mut stray = FdbEntry::new(
            "flannel.1",
            "00:00:00:00:00:00",
            "172.30.0.99".parse().unwrap(),
        );
        stray.port = Some(4789);
        o.fdb.push(stray.clone());
        let a = diff(&w, &o).0;
        assert_eq!(a, vec![Action::DelFdb(stray)]);
        assert_eq!(
            a[0].command(),
            "bridge fdb del 00:00:00:00:00:00 dev flannel.1 dst 172.30.0.99 port 4789"
        );
    }

    #[test]
    fn policy_rules_and_other_tables_return_to_the_defaults() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        for w in [
            node_desired(&s, &s.nodes[0]),
            switch_desired(&s),
            pod_desired(&s, &s.pods[0]),
        ] {
            let mut o = healthy(&w);
            let mut stray = RuleEntry::lookup(100, 100);
            stray.src = Some("10.244.1.0/24".parse().unwrap());
            o.rules.insert(1, stray);
            o.rules.retain(|r| r.priority != 32766);
            o.other_routes.push(TableRoute {
                table: 100,
                kind: "unreachable".into(),
                protocol: 3,
                route: RouteEntry {
                    dst: "0.0.0.0/0".parse().unwrap(),
                    gw: None,
                    dev: String::new(),
                    scope: 0,
                    onlink: false,
                    src: None,
                    metric: 0,
                },
            });
            let a = diff(&w, &o).0;
            assert_eq!(
                commands(&a),
                vec![
                    "ip rule add pref 32766 from all lookup main",
                    "ip rule del pref 100 from 10.244.1.0/24 lookup 100",
                    "ip route del unreachable default table 100",
                ]
            );
            assert!(a.iter().all(|x| x.aspect() == Aspect::Route));
        }
    }

    #[test]
    fn missing_devices_are_recreated_where_possible() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        let w = node_desired(&s, &s.nodes[0]);
        let mut o = healthy(&w);
        o.links
            .retain(|l| l.name != "flannel.1" && l.name != "cni0");
        o.fdb.clear();
        o.neighbours.clear();
        let veth = s.pods[0].host_veth.clone();
        o.links.iter_mut().find(|l| l.name == veth).unwrap().master = None;
        let (a, _) = diff(&w, &o);
        let c = commands(&a);
        assert_eq!(c[0], "ip link add cni0 type bridge");
        assert!(c.contains(&"ip addr add 10.244.1.1/24 dev cni0".to_string()));
        assert!(c.contains(&"ip link add flannel.1 type vxlan id 1 local 172.30.0.11 dev eth0 dstport 8472 nolearning".to_string()));
        assert!(c.contains(&"ip link set dev flannel.1 address 0e:6c:61:62:00:01".to_string()));
        assert!(c.contains(&format!("ip link set dev {veth} master cni0")));
        assert!(
            c.contains(
                &"ip neigh replace 10.244.2.0 lladdr 0e:6c:61:62:00:02 dev flannel.1 nud permanent"
                    .to_string()
            )
        );
        // a vxlan device with the wrong port is replaced
        let mut o = healthy(&w);
        o.links
            .iter_mut()
            .find(|l| l.name == "flannel.1")
            .unwrap()
            .vxlan
            .as_mut()
            .unwrap()
            .port = Some(4789);
        let c = commands(&diff(&w, &o).0);
        assert_eq!(c[0], "ip link del flannel.1");
        // a switch port that is gone is recreated with its node's uplink
        let sw = switch_desired(&s);
        let mut o = healthy(&sw);
        o.links.retain(|l| l.name != "node2");
        let c = commands(&diff(&sw, &o).0);
        assert!(c[0].starts_with("ip link add node2 type veth peer name eth0 netns node2"));
        // a pod veth that is gone is reported, not "fixed"
        let mut o = healthy(&w);
        o.links.retain(|l| l.name != veth);
        let (_, p) = diff(&w, &o);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn pod_drift_is_repaired_from_the_recorded_routes() {
        let mut s = sample(1, 1, Overlay::Vxlan, PodMode::Bridge);
        let route = RouteEntry {
            dst: "0.0.0.0/0".parse().unwrap(),
            gw: Some("10.244.1.1".parse().unwrap()),
            dev: "eth0".into(),
            scope: 0,
            onlink: false,
            src: None,
            metric: 0,
        };
        s.pods[0].routes = vec![route.clone()];
        let w = pod_desired(&s, &s.pods[0]);
        let mut o = healthy(&w);
        o.routes.clear();
        o.links[1].mtu = 1500;
        o.route_exceptions = 2;
        let a = diff(&w, &o).0;
        assert_eq!(
            commands(&a),
            vec![
                "ip link set dev eth0 mtu 1450",
                "ip route replace default via 10.244.1.1 dev eth0",
                "ip route flush cache    # learnt path MTUs and redirects"
            ]
        );
        assert_eq!(a[2].aspect(), Aspect::Mtu);
    }
}
