//! Reconciling a lab's namespaces to their desired state: the switch
//! first, then the nodes in parallel, then the pods, each one observed,
//! diffed (`lab::diff`) and the wanted aspects applied. The namespaces are
//! reached through [`NsNetwork`] (the kernel's is `lab::namespaces::Kernel`,
//! the tests' a fake), so this loop does no I/O of its own.

use std::io;

use serde::Serialize;

use crate::sys::parallel;

use super::action::{Action, Aspect, NsRef};
use super::desired::{self, NsDesired};
use super::diff;
use super::observed::NsObs;
use super::state::LabState;

/// A lab's namespaces as reconciling sees them.
pub trait NsNetwork: Sync {
    /// Namespace `ns` as seen, as far as `want` needs.
    fn observe(&self, ns: &NsRef, want: &NsDesired) -> io::Result<NsObs>;
    /// Applies `actions` in namespace `ns`, in order; one result per
    /// action (a failed one does not stop the rest).
    fn apply(&self, ns: &NsRef, actions: &[Action]) -> Vec<io::Result<()>>;
}

/// What reconciling one namespace did.
#[derive(Debug, Clone, Serialize)]
pub struct NsChanges {
    pub namespace: String,
    /// Each action as a command, with its error if it failed.
    pub actions: Vec<ActionDone>,
    /// What could not be repaired.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionDone {
    pub command: String,
    pub aspect: Aspect,
    pub error: Option<String>,
}

/// Brings namespaces to their desired state: the switch first, then every
/// node in parallel, then every pod. `aspects` limits what is changed;
/// `dry_run` only reports. Only namespaces with a change or a problem are
/// listed.
pub fn reconcile(
    net: &dyn NsNetwork,
    state: &LabState,
    aspects: Option<&[Aspect]>,
    dry_run: bool,
) -> Vec<NsChanges> {
    let mut out = Vec::new();
    let switch = vec![(NsRef::Switch, desired::switch_desired(state))];
    out.extend(stage(net, &switch, 1, aspects, dry_run));
    let nodes: Vec<(NsRef, NsDesired)> = state
        .nodes
        .iter()
        .map(|n| (NsRef::Node(n.name.clone()), desired::node_desired(state, n)))
        .collect();
    out.extend(stage(
        net,
        &nodes,
        state.nodes.len().min(16),
        aspects,
        dry_run,
    ));
    let pods: Vec<(NsRef, NsDesired)> = state
        .pods
        .iter()
        .map(|p| (NsRef::Pod(p.full()), desired::pod_desired(state, p)))
        .collect();
    out.extend(stage(net, &pods, 8, aspects, dry_run));
    out
}

/// Reconciles namespaces on up to `threads` threads; results in order.
fn stage(
    net: &dyn NsNetwork,
    refs: &[(NsRef, NsDesired)],
    threads: usize,
    aspects: Option<&[Aspect]>,
    dry_run: bool,
) -> Vec<NsChanges> {
    parallel::each_index(refs.len(), threads, |i| {
        let (ns, want) = &refs[i];
        one(net, ns, want, aspects, dry_run)
    })
    .into_iter()
    .zip(refs)
    .map(|(r, (ns, _))| {
        r.unwrap_or_else(|| NsChanges {
            namespace: ns.to_string(),
            actions: Vec::new(),
            problems: vec!["cannot inspect it: the namespace worker died".to_string()],
        })
    })
    .filter(|ch| !ch.actions.is_empty() || !ch.problems.is_empty())
    .collect()
}

/// Observes one namespace, diffs it and applies the wanted aspects.
fn one(
    net: &dyn NsNetwork,
    ns: &NsRef,
    want: &NsDesired,
    aspects: Option<&[Aspect]>,
    dry_run: bool,
) -> NsChanges {
    let seen = match net.observe(ns, want) {
        Ok(s) => s,
        Err(e) => {
            return NsChanges {
                namespace: ns.to_string(),
                actions: Vec::new(),
                problems: vec![format!("cannot inspect it: {e}")],
            };
        }
    };
    let (acts, problems) = diff::diff(want, &seen);
    let acts: Vec<Action> = acts
        .into_iter()
        .filter(|a| aspects.is_none_or(|set| set.contains(&a.aspect())))
        .collect();
    let errors: Vec<Option<String>> = if dry_run || acts.is_empty() {
        vec![None; acts.len()]
    } else {
        let mut r = net.apply(ns, &acts);
        r.resize_with(acts.len(), || Err(io::Error::other("not applied")));
        r.into_iter()
            .map(|r| r.err().map(|e| e.to_string()))
            .collect()
    };
    NsChanges {
        namespace: ns.to_string(),
        actions: acts
            .iter()
            .zip(errors)
            .map(|(a, error)| ActionDone {
                command: a.command(),
                aspect: a.aspect(),
                error,
            })
            .collect(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use crate::lab::desired::{node_desired, pod_desired, switch_desired};
    use crate::lab::diff::tests::healthy;
    use crate::lab::plan::{Overlay, PodMode};
    use crate::lab::state::tests::sample;

    /// A lab network in memory: each namespace as it is seen, the actions
    /// applied (by namespace, as commands), and which ones fail.
    #[derive(Default)]
    struct FakeNet {
        seen: BTreeMap<NsRef, NsObs>,
        /// Namespaces that cannot be observed.
        unreachable: Vec<NsRef>,
        /// Commands containing this fail.
        failing: Option<&'static str>,
        applied: Mutex<Vec<(NsRef, String)>>,
    }

    impl FakeNet {
        /// Every namespace of `state` healthy.
        fn healthy(state: &LabState) -> FakeNet {
            let mut seen = BTreeMap::new();
            seen.insert(NsRef::Switch, healthy(&switch_desired(state)));
            for n in &state.nodes {
                seen.insert(
                    NsRef::Node(n.name.clone()),
                    healthy(&node_desired(state, n)),
                );
            }
            for p in &state.pods {
                seen.insert(NsRef::Pod(p.full()), healthy(&pod_desired(state, p)));
            }
            FakeNet {
                seen,
                ..Default::default()
            }
        }

        fn applied(&self) -> Vec<(NsRef, String)> {
            self.applied.lock().unwrap().clone()
        }
    }

    impl NsNetwork for FakeNet {
        fn observe(&self, ns: &NsRef, _want: &NsDesired) -> io::Result<NsObs> {
            if self.unreachable.contains(ns) {
                return Err(io::Error::new(io::ErrorKind::NotFound, "no such netns"));
            }
            Ok(self.seen.get(ns).cloned().unwrap_or_default())
        }

        fn apply(&self, ns: &NsRef, actions: &[Action]) -> Vec<io::Result<()>> {
            actions
                .iter()
                .map(|a| {
                    let cmd = a.command();
                    self.applied.lock().unwrap().push((ns.clone(), cmd.clone()));
                    match self.failing {
                        Some(f) if cmd.contains(f) => {
                            Err(io::Error::other(format!("{cmd}: EPERM")))
                        }
                        _ => Ok(()),
                    }
                })
                .collect()
        }
    }

    fn node(n: &str) -> NsRef {
        NsRef::Node(n.into())
    }

    /// node1 with ip_forward off and its route to node2's pods gone.
    fn drifted(state: &LabState) -> FakeNet {
        let mut net = FakeNet::healthy(state);
        let o = net.seen.get_mut(&node("node1")).unwrap();
        o.sysctls.insert("net/ipv4/ip_forward".into(), "0".into());
        let to_node2 = state.nodes[1].pod_cidr;
        o.routes.retain(|r| r.dst != to_node2);
        net
    }

    #[test]
    fn a_healthy_lab_needs_nothing_and_nothing_is_applied() {
        for (overlay, mode) in [
            (Overlay::Vxlan, PodMode::Bridge),
            (Overlay::Routed, PodMode::Ptp),
        ] {
            let s = sample(3, 2, overlay, mode);
            let net = FakeNet::healthy(&s);
            assert!(reconcile(&net, &s, None, false).is_empty());
            assert!(net.applied().is_empty());
        }
    }

    #[test]
    fn drift_is_diffed_applied_and_reported_in_its_namespace() {
        let s = sample(3, 1, Overlay::Vxlan, PodMode::Bridge);
        let net = drifted(&s);
        let ch = reconcile(&net, &s, None, false);
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].namespace, "node1");
        let cmds: Vec<&str> = ch[0].actions.iter().map(|a| a.command.as_str()).collect();
        assert_eq!(
            cmds,
            vec![
                "sysctl -w net.ipv4.ip_forward=1",
                "ip route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
            ]
        );
        assert!(ch[0].actions.iter().all(|a| a.error.is_none()));
        let applied: Vec<String> = net
            .applied()
            .into_iter()
            .map(|(ns, c)| {
                assert_eq!(ns, node("node1"));
                c
            })
            .collect();
        assert_eq!(applied, cmds);
    }

    #[test]
    fn aspects_limit_what_is_applied_and_dry_run_applies_nothing() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        let net = drifted(&s);
        let ch = reconcile(&net, &s, Some(&[Aspect::Forwarding]), false);
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].actions.len(), 1);
        assert_eq!(ch[0].actions[0].aspect, Aspect::Forwarding);
        assert_eq!(net.applied().len(), 1);

        let net = drifted(&s);
        let ch = reconcile(&net, &s, None, true);
        assert_eq!(ch[0].actions.len(), 2);
        assert!(ch[0].actions.iter().all(|a| a.error.is_none()));
        assert!(net.applied().is_empty());
    }

    #[test]
    fn failures_are_kept_per_action_and_an_unreadable_namespace_is_a_problem() {
        let s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        let mut net = drifted(&s);
        net.failing = Some("ip_forward");
        net.unreachable.push(NsRef::Switch);
        let ch = reconcile(&net, &s, None, false);
        // the switch first, then the nodes
        assert_eq!(ch[0].namespace, "switch");
        assert_eq!(
            ch[0].problems,
            vec!["cannot inspect it: no such netns".to_string()]
        );
        assert_eq!(ch[1].namespace, "node1");
        assert_eq!(
            ch[1].actions[0].error.as_deref(),
            Some("sysctl -w net.ipv4.ip_forward=1: EPERM")
        );
        // the failure does not stop the next action
        assert!(ch[1].actions[1].error.is_none());
        assert_eq!(net.applied().len(), 2);
    }
}
