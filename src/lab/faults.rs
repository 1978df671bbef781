//! The faults `lab break` injects: what each one changes (as actions on a
//! namespace), which overlay it applies to, whom it targets, which pod
//! pairs it must break, and which aspects `lab fix <fault>` reconciles.
//! No I/O.

use std::collections::BTreeSet;
use std::io;

use ipnet::{IpNet, Ipv4Net};

use crate::error::Error;

use super::action::{Action, Aspect, NsRef};
use super::desired::overlay_route;
use super::entries::{FdbEntry, RouteEntry};
use super::fault::Fault;
use super::plan::{NODE_UPLINK, Overlay, POD_IFNAME, PodMode, UNDERLAY_MTU, VXLAN_DEV};
use super::state::{LabState, NodeState, PodState};

/// Why the fault cannot apply to this lab, if it cannot.
pub fn refusal(fault: Fault, state: &LabState) -> Option<String> {
    match fault {
        Fault::Fdb | Fault::RpFilter if state.overlay != Overlay::Vxlan => Some(format!(
            "fault {} needs the vxlan overlay; lab {} is routed ({})",
            fault.as_str(),
            state.name,
            if fault == Fault::Fdb {
                "there is no FDB"
            } else {
                "every path is eth0, so no route can be asymmetric"
            }
        )),
        _ if fault.needs_peer() && state.nodes.len() < 2 => Some(format!(
            "fault {} needs two nodes; lab {} has one",
            fault.as_str(),
            state.name
        )),
        _ if fault.targets_pod() && state.pods.is_empty() => Some(format!(
            "fault {} needs a pod; lab {} has none",
            fault.as_str(),
            state.name
        )),
        _ => None,
    }
}

/// Whom a fault is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub node: String,
    pub pod: Option<String>,
    pub peer: Option<String>,
}

/// Picks the target from `--node`, `--pod` and `--peer` (defaults: node1,
/// the node's first pod, the next node).
pub fn resolve_target(
    state: &LabState,
    fault: Fault,
    node: Option<&str>,
    pod: Option<&str>,
    peer: Option<&str>,
) -> Result<Target, String> {
    if let Some(why) = refusal(fault, state) {
        return Err(why);
    }
    let pod_ref = if fault.targets_pod() { pod } else { None };
    if !fault.targets_pod() && pod.is_some() {
        return Err(format!(
            "fault {} targets a node: use --node, not --pod",
            fault.as_str()
        ));
    }
    if !fault.needs_peer() && peer.is_some() {
        return Err(format!("fault {} takes no --peer", fault.as_str()));
    }
    let mut node_state: &NodeState = match node {
        Some(n) => state.find_node(n)?,
        None => state
            .nodes
            .first()
            .ok_or_else(|| format!("lab {} has no node", state.name))?,
    };
    let mut pod_name = None;
    if fault.targets_pod() {
        let p: &PodState = match pod_ref {
            Some(r) => state.find_pod(r)?,
            None => state
                .pods_of(&node_state.name)
                .next()
                .ok_or_else(|| format!("node {} has no pod (use --pod)", node_state.name))?,
        };
        if node.is_some() && p.node != node_state.name {
            return Err(format!(
                "pod {} runs on {}, not {}",
                p.full(),
                p.node,
                node_state.name
            ));
        }
        node_state = state.node_of(p).unwrap_or(node_state);
        pod_name = Some(p.full());
    }
    let peer_name = if fault.needs_peer() {
        let p = match peer {
            Some(r) => state.find_node(r)?,
            None => {
                let next = node_state.index % state.nodes.len() as u32 + 1;
                state
                    .nodes
                    .iter()
                    .find(|n| n.index == next)
                    .ok_or_else(|| format!("lab {} has no node {next}", state.name))?
            }
        };
        if p.name == node_state.name {
            return Err(format!(
                "--peer must be another node than {}",
                node_state.name
            ));
        }
        Some(p.name.clone())
    } else {
        None
    };
    Ok(Target {
        node: node_state.name.clone(),
        pod: pod_name,
        peer: peer_name,
    })
}

/// Where `lab break --random` gets its choices: an index below `n` (any
/// index when `n` is 0). The kernel's random bytes in `lab break`, a
/// seeded generator in tests.
pub trait Pick {
    fn below(&mut self, n: usize) -> io::Result<usize>;
}

/// What `lab break --random` breaks: a random fault that applies to the
/// lab (one that targets a pod when `--pod` is given), then a random
/// node, pod and peer for what `--node`, `--pod` and `--peer` leave open.
pub fn pick_random(
    state: &LabState,
    node: Option<&str>,
    pod: Option<&str>,
    peer: Option<&str>,
    rng: &mut dyn Pick,
) -> Result<(Fault, Target), Error> {
    let mut pick = |n: usize| rng.below(n).map_err(|e| Error::io("random", e));
    let usable: Vec<Fault> = Fault::ALL
        .into_iter()
        .filter(|f| refusal(*f, state).is_none())
        .filter(|f| pod.is_none() || f.targets_pod())
        .collect();
    if usable.is_empty() {
        return Err(Error::Usage(format!(
            "no fault applies to lab {} with these options",
            state.name
        )));
    }
    let f = usable[pick(usable.len())?];
    let node: Option<String> = match (node, f.targets_pod()) {
        (Some(n), _) => Some(n.to_string()),
        (None, false) => state
            .nodes
            .get(pick(state.nodes.len())?)
            .map(|n| n.name.clone()),
        (None, true) => None,
    };
    let pod: Option<String> = match (pod, f.targets_pod()) {
        (Some(p), _) => Some(p.to_string()),
        (None, true) => {
            let candidates: Vec<String> = state
                .pods
                .iter()
                .filter(|p| node.as_deref().is_none_or(|n| p.node == n))
                .map(|p| p.full())
                .collect();
            if candidates.is_empty() {
                None
            } else {
                Some(candidates[pick(candidates.len())?].clone())
            }
        }
        (None, false) => None,
    };
    let peer: Option<String> = if f.needs_peer() {
        peer.map(str::to_string).or_else(|| {
            let others: Vec<&str> = state
                .nodes
                .iter()
                .map(|n| n.name.as_str())
                .filter(|n| Some(*n) != node.as_deref())
                .collect();
            pick(others.len())
                .ok()
                .and_then(|i| others.get(i).map(|s| s.to_string()))
        })
    } else {
        None
    };
    let t = resolve_target(state, f, node.as_deref(), pod.as_deref(), peer.as_deref())
        .map_err(Error::Usage)?;
    Ok((f, t))
}

/// The eth0 MTU the `mtu` fault gives a pod: the underlay's 1500 under
/// VXLAN (the classic forgotten 50 bytes), jumbo 9000 when routed.
pub fn bad_mtu(overlay: Overlay) -> u32 {
    match overlay {
        Overlay::Vxlan => UNDERLAY_MTU,
        Overlay::Routed => 9000,
    }
}

/// What breaking does: actions, each in a namespace.
pub fn break_actions(
    state: &LabState,
    fault: Fault,
    t: &Target,
) -> Result<Vec<(NsRef, Action)>, String> {
    let node = state.find_node(&t.node)?;
    let peer = t.peer.as_deref().map(|p| state.find_node(p)).transpose()?;
    let pod = t.pod.as_deref().map(|p| state.find_pod(p)).transpose()?;
    let at_node = NsRef::Node(node.name.clone());
    let need_pod = || pod.ok_or_else(|| format!("fault {} needs a pod", fault.as_str()));
    let need_peer = || peer.ok_or_else(|| format!("fault {} needs a peer node", fault.as_str()));
    Ok(match fault {
        Fault::Mtu => {
            let p = need_pod()?;
            vec![(
                NsRef::Pod(p.full()),
                Action::SetMtu {
                    dev: POD_IFNAME.into(),
                    mtu: bad_mtu(state.overlay),
                },
            )]
        }
        Fault::VethDown => {
            let p = need_pod()?;
            vec![(
                at_node,
                Action::SetDown {
                    dev: p.host_veth.clone(),
                },
            )]
        }
        Fault::Fdb => {
            let m = need_peer()?;
            vec![(
                at_node,
                Action::DelFdb(FdbEntry::new(VXLAN_DEV, &m.vtep_mac, m.underlay_ip)),
            )]
        }
        Fault::Forwarding => vec![(
            at_node,
            Action::Sysctl {
                key: "net/ipv4/ip_forward".into(),
                value: "0".into(),
                aspect: Aspect::Forwarding,
            },
        )],
        Fault::RpFilter => {
            let m = need_peer()?;
            vec![
                (
                    at_node.clone(),
                    Action::Sysctl {
                        key: "net/ipv4/conf/all/rp_filter".into(),
                        value: "1".into(),
                        aspect: Aspect::RpFilter,
                    },
                ),
                (
                    at_node,
                    Action::Sysctl {
                        key: format!("net/ipv4/conf/{NODE_UPLINK}/rp_filter"),
                        value: "1".into(),
                        aspect: Aspect::RpFilter,
                    },
                ),
                (
                    NsRef::Node(m.name.clone()),
                    Action::ReplaceRoute(RouteEntry {
                        dst: node.pod_cidr,
                        gw: Some(node.underlay_ip),
                        dev: NODE_UPLINK.into(),
                        scope: 0,
                        onlink: false,
                        src: None,
                        metric: 0,
                    }),
                ),
            ]
        }
        Fault::Route => {
            let m = need_peer()?;
            vec![(at_node, Action::DelRoute(overlay_route(state, m)))]
        }
        Fault::ForwardDrop => vec![(at_node, Action::ForwardPolicyDrop)],
    })
}

/// The pod pairs (`from`, `to`, by `namespace/name`) a fault must break:
/// `small` for ordinary pings, `big` for DF pings as large as the
/// source's MTU (a superset of `small`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    pub small: BTreeSet<(String, String)>,
    pub big: BTreeSet<(String, String)>,
}

/// The expected effect of one fault on an otherwise healthy lab.
pub fn expected(state: &LabState, fault: Fault, t: &Target) -> Expected {
    let mut e = Expected::default();
    let cross = |a: &PodState, b: &PodState| a.node != b.node;
    let involves_node = |a: &PodState, b: &PodState, n: &str| a.node == n || b.node == n;
    let between = |a: &PodState, b: &PodState, n: &str, m: &str| {
        (a.node == n && b.node == m) || (a.node == m && b.node == n)
    };
    // Traffic between two pods of one node is bridged in bridge mode (no
    // forwarding; netfilter only through br_netfilter) and routed in ptp.
    let bridged = state.mode == PodMode::Bridge;
    let br_nf = state.bridge_nf_call_iptables == Some(true);
    for a in &state.pods {
        for b in &state.pods {
            if a.full() == b.full() {
                continue;
            }
            let key = (a.full(), b.full());
            let small = match fault {
                Fault::Mtu => false,
                Fault::VethDown => {
                    t.pod.as_deref() == Some(&a.full()) || t.pod.as_deref() == Some(&b.full())
                }
                Fault::Fdb | Fault::RpFilter | Fault::Route => {
                    between(a, b, &t.node, t.peer.as_deref().unwrap_or(""))
                }
                Fault::Forwarding => involves_node(a, b, &t.node) && (cross(a, b) || !bridged),
                Fault::ForwardDrop => {
                    involves_node(a, b, &t.node) && (cross(a, b) || !bridged || br_nf)
                }
            };
            let big = small || (fault == Fault::Mtu && t.pod.as_deref() == Some(&a.full()));
            if small {
                e.small.insert(key.clone());
            }
            if big {
                e.big.insert(key);
            }
        }
    }
    e
}

/// Whether a route is one of the lab's overlay routes (to a pod CIDR).
pub fn is_pod_cidr_route(state: &LabState, dst: &Ipv4Net) -> bool {
    state
        .nodes
        .iter()
        .any(|n| IpNet::V4(n.pod_cidr).contains(&IpNet::V4(*dst)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::state::tests::sample;

    fn names(set: &BTreeSet<(String, String)>) -> Vec<String> {
        set.iter().map(|(a, b)| format!("{a}>{b}")).collect()
    }

    #[test]
    fn targets_default_to_node1_its_first_pod_and_the_next_node() {
        let s = sample(3, 2, Overlay::Vxlan, PodMode::Bridge);
        let t = resolve_target(&s, Fault::Fdb, None, None, None).unwrap();
        assert_eq!(
            (t.node.as_str(), t.peer.as_deref()),
            ("node1", Some("node2"))
        );
        let t = resolve_target(&s, Fault::Route, Some("3"), None, None).unwrap();
        assert_eq!(t.peer.as_deref(), Some("node1"));
        let t = resolve_target(&s, Fault::Mtu, Some("node2"), None, None).unwrap();
        assert_eq!(t.pod.as_deref(), Some("default/web-2-1"));
        let t = resolve_target(&s, Fault::VethDown, None, Some("web-3-2"), None).unwrap();
        assert_eq!(t.node, "node3");
        assert!(resolve_target(&s, Fault::Mtu, Some("node1"), Some("web-3-2"), None).is_err());
        assert!(resolve_target(&s, Fault::Forwarding, None, Some("web-3-2"), None).is_err());
        assert!(resolve_target(&s, Fault::Route, Some("1"), None, Some("node1")).is_err());
        assert!(resolve_target(&s, Fault::Forwarding, None, None, Some("2")).is_err());
    }

    #[test]
    fn overlay_specific_faults_are_refused_on_routed_labs() {
        let s = sample(2, 1, Overlay::Routed, PodMode::Bridge);
        let e = resolve_target(&s, Fault::Fdb, None, None, None).unwrap_err();
        assert!(e.contains("vxlan"), "{e}");
        assert!(resolve_target(&s, Fault::RpFilter, None, None, None).is_err());
        assert!(resolve_target(&s, Fault::Route, None, None, None).is_ok());
        let one = sample(1, 1, Overlay::Vxlan, PodMode::Bridge);
        assert!(
            resolve_target(&one, Fault::Route, None, None, None)
                .unwrap_err()
                .contains("two nodes")
        );
    }

    #[test]
    fn forwarding_breaks_cross_node_pairs_of_the_node_and_same_node_pairs_only_in_ptp() {
        let s = sample(3, 2, Overlay::Vxlan, PodMode::Bridge);
        let t = resolve_target(&s, Fault::Forwarding, Some("2"), None, None).unwrap();
        let e = expected(&s, Fault::Forwarding, &t);
        // node2's 2 pods × 4 others × 2 directions
        assert_eq!(e.small.len(), 16);
        assert!(
            e.small
                .contains(&("default/web-1-1".into(), "default/web-2-1".into()))
        );
        assert!(
            !e.small
                .contains(&("default/web-2-1".into(), "default/web-2-2".into()))
        );
        assert!(
            !e.small
                .contains(&("default/web-1-1".into(), "default/web-3-1".into()))
        );
        assert_eq!(e.small, e.big);
        let p = sample(3, 2, Overlay::Vxlan, PodMode::Ptp);
        let e = expected(&p, Fault::Forwarding, &t);
        assert_eq!(e.small.len(), 18);
    }

    #[test]
    fn forward_drop_also_breaks_bridged_pairs_through_br_netfilter() {
        let mut s = sample(2, 2, Overlay::Vxlan, PodMode::Bridge);
        let t = resolve_target(&s, Fault::ForwardDrop, Some("1"), None, None).unwrap();
        assert_eq!(expected(&s, Fault::ForwardDrop, &t).small.len(), 10);
        s.bridge_nf_call_iptables = None;
        assert_eq!(expected(&s, Fault::ForwardDrop, &t).small.len(), 8);
    }

    #[test]
    fn mtu_breaks_only_big_packets_from_the_pod() {
        let s = sample(2, 2, Overlay::Vxlan, PodMode::Bridge);
        let t = resolve_target(&s, Fault::Mtu, None, Some("web-1-2"), None).unwrap();
        let e = expected(&s, Fault::Mtu, &t);
        assert!(e.small.is_empty());
        assert_eq!(
            names(&e.big),
            vec![
                "default/web-1-2>default/web-1-1",
                "default/web-1-2>default/web-2-1",
                "default/web-1-2>default/web-2-2"
            ]
        );
    }

    #[test]
    fn pair_faults_break_both_directions_between_the_two_nodes() {
        let s = sample(3, 1, Overlay::Vxlan, PodMode::Bridge);
        for f in [Fault::Fdb, Fault::RpFilter, Fault::Route] {
            let t = resolve_target(&s, f, Some("1"), None, Some("3")).unwrap();
            assert_eq!(
                names(&expected(&s, f, &t).small),
                vec![
                    "default/web-1-1>default/web-3-1",
                    "default/web-3-1>default/web-1-1"
                ],
                "{f:?}"
            );
        }
        let t = resolve_target(&s, Fault::VethDown, None, Some("web-2-1"), None).unwrap();
        assert_eq!(expected(&s, Fault::VethDown, &t).small.len(), 4);
    }

    #[test]
    fn break_actions_name_the_right_objects() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        let t = resolve_target(&s, Fault::RpFilter, Some("1"), None, None).unwrap();
        let a = break_actions(&s, Fault::RpFilter, &t).unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a[2].0, NsRef::Node("node2".into()));
        match &a[2].1 {
            Action::ReplaceRoute(r) => {
                assert_eq!(r.dst.to_string(), "10.244.1.0/24");
                assert_eq!(r.gw.map(|g| g.to_string()).as_deref(), Some("172.30.0.11"));
                assert_eq!(r.dev, "eth0");
            }
            other => panic!("{other:?}"),
        }
        let t = resolve_target(&s, Fault::Fdb, Some("2"), None, None).unwrap();
        let a = break_actions(&s, Fault::Fdb, &t).unwrap();
        assert_eq!(
            a[0].1,
            Action::DelFdb(FdbEntry::new(
                "flannel.1",
                "0e:6c:61:62:00:01",
                "172.30.0.11".parse().unwrap()
            ))
        );
        for f in Fault::ALL {
            assert_eq!(Fault::parse(f.as_str()), Some(f));
            assert!(!f.aspects().is_empty());
        }
    }

    /// A seeded generator (SplitMix64), so a test knows what `--random` picks.
    struct Seeded(u64);

    impl Pick for Seeded {
        fn below(&mut self, n: usize) -> std::io::Result<usize> {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            Ok(((z ^ (z >> 31)) % n.max(1) as u64) as usize)
        }
    }

    /// The choices given, in order.
    struct Scripted(Vec<usize>);

    impl Pick for Scripted {
        fn below(&mut self, n: usize) -> std::io::Result<usize> {
            let i = self.0.remove(0);
            assert!(i < n.max(1), "index {i} out of {n}");
            Ok(i)
        }
    }

    #[test]
    fn a_seeded_random_break_picks_the_same_fault_and_target() {
        let s = sample(3, 2, Overlay::Vxlan, PodMode::Bridge);
        let picks: Vec<(Fault, Target)> = (1..=4)
            .map(|seed| pick_random(&s, None, None, None, &mut Seeded(seed)).unwrap())
            .collect();
        let again: Vec<(Fault, Target)> = (1..=4)
            .map(|seed| pick_random(&s, None, None, None, &mut Seeded(seed)).unwrap())
            .collect();
        assert_eq!(picks, again);
        let t = |node: &str, pod: Option<&str>, peer: Option<&str>| Target {
            node: node.into(),
            pod: pod.map(str::to_string),
            peer: peer.map(str::to_string),
        };
        assert_eq!(
            picks,
            PINNED
                .iter()
                .map(|(f, n, p, q)| (*f, t(n, *p, *q)))
                .collect::<Vec<_>>()
        );
    }

    const PINNED: [(Fault, &str, Option<&str>, Option<&str>); 4] = [
        (Fault::Forwarding, "node2", None, None),
        (Fault::Route, "node3", None, Some("node2")),
        (Fault::Forwarding, "node1", None, None),
        (Fault::VethDown, "node3", Some("default/web-3-1"), None),
    ];

    #[test]
    fn a_random_break_draws_fault_node_pod_and_peer_in_that_order() {
        let s = sample(3, 2, Overlay::Vxlan, PodMode::Bridge);
        // fault 1 of ALL (fdb, needs a peer), node 2 (node3), peer 0 of the others (node1)
        let (f, t) = pick_random(&s, None, None, None, &mut Scripted(vec![1, 2, 0])).unwrap();
        assert_eq!(f, Fault::Fdb);
        assert_eq!(
            (t.node.as_str(), t.pod, t.peer.as_deref()),
            ("node3", None, Some("node1"))
        );
        // a pod fault: no node drawn, one of all the pods (the 4th: node2's second)
        let (f, t) = pick_random(&s, None, None, None, &mut Scripted(vec![6, 3])).unwrap();
        assert_eq!(f, Fault::VethDown);
        assert_eq!(t.node, "node2");
        assert_eq!(t.pod, Some(s.pods[3].full()));
        // --pod leaves only the pod faults (mtu, veth-down)
        let (f, _) = pick_random(
            &s,
            None,
            Some("default/web-1-1"),
            None,
            &mut Scripted(vec![1]),
        )
        .unwrap();
        assert_eq!(f, Fault::VethDown);
    }

    #[test]
    fn a_random_break_on_a_routed_lab_never_picks_a_vxlan_fault() {
        let s = sample(2, 1, Overlay::Routed, PodMode::Ptp);
        for seed in 0..200 {
            let (f, _) = pick_random(&s, None, None, None, &mut Seeded(seed)).unwrap();
            assert!(!matches!(f, Fault::Fdb | Fault::RpFilter), "{f:?}");
        }
        let one = sample(1, 0, Overlay::Routed, PodMode::Ptp);
        let e = pick_random(&one, None, Some("x"), None, &mut Seeded(1)).unwrap_err();
        assert!(e.to_string().contains("no fault applies to lab lab"), "{e}");
    }
}
