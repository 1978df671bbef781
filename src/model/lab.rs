//! The lab commands' JSON documents (`podnet lab … -o json`, described in
//! docs/json.md). Every one but `lab down`'s is written through a
//! `serde_json::Value` (`render::lab::write_json`), so the keys of every
//! object are sorted, as they have always been. No I/O.

use ipnet::Ipv4Net;
use serde::Serialize;

use crate::lab::fault::Fault;
use crate::lab::matrix::Matrix;
use crate::lab::plan::{Overlay, PodMode};
use crate::lab::reconcile::NsChanges;
use crate::lab::state::{FaultRecord, LabState, NodeState};

/// `lab up`: the state file plus how long the build took.
#[derive(Debug, Serialize)]
pub struct UpReport<'a> {
    #[serde(flatten)]
    pub state: &'a LabState,
    pub elapsed_ms: f64,
}

/// `lab break`: what was broken, or only that something was (`--random`).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum BreakReport {
    /// `{"fault": null, "hidden": true}`.
    Hidden { fault: Option<Fault>, hidden: bool },
    Named {
        fault: Fault,
        node: String,
        pod: Option<String>,
        peer: Option<String>,
        /// What was done, as commands (`<namespace>: <command>`).
        done: Vec<String>,
    },
}

impl BreakReport {
    pub fn hidden() -> BreakReport {
        BreakReport::Hidden {
            fault: None,
            hidden: true,
        }
    }
}

/// `lab fix`: what reconciling did, namespace by namespace.
#[derive(Debug, Serialize)]
pub struct FixReport {
    pub name: String,
    pub dry_run: bool,
    /// The fault fixed; `null` for `--all`.
    pub fault: Option<Fault>,
    pub namespaces: Vec<NsChanges>,
    /// How many actions ran (or, in a dry run, would run).
    pub changed: usize,
    /// `<namespace>: <error>` of each failed action.
    pub failed: Vec<String>,
    /// `<namespace>: <problem>` of what could not be repaired.
    pub problems: Vec<String>,
}

/// One pod as `lab status` sees it.
#[derive(Debug, Serialize)]
pub struct PodStatus {
    pub pod: String,
    pub node: String,
    pub ip: String,
    pub pause_pid: i32,
    pub host_veth: String,
    pub netns: String,
    /// `running`, `pause-gone` or `netns-gone`.
    pub state: &'static str,
    pub eth0_mtu: Option<u32>,
}

/// A fault `lab break` injected, as `lab status` shows it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum FaultShown {
    /// `--random`: `{"hidden": true}`.
    Hidden { hidden: bool },
    Named {
        fault: Fault,
        node: Option<String>,
        pod: Option<String>,
        peer: Option<String>,
        hidden: bool,
    },
}

impl From<&FaultRecord> for FaultShown {
    fn from(f: &FaultRecord) -> FaultShown {
        if f.hidden {
            FaultShown::Hidden { hidden: true }
        } else {
            FaultShown::Named {
                fault: f.fault,
                node: f.node.clone(),
                pod: f.pod.clone(),
                peer: f.peer.clone(),
                hidden: false,
            }
        }
    }
}

/// `lab status`.
#[derive(Debug, Serialize)]
pub struct StatusReport<'a> {
    pub name: &'a str,
    pub dir: &'a str,
    pub overlay: Overlay,
    pub mode: PodMode,
    pub cidr: Ipv4Net,
    pub pod_mtu: u32,
    pub nodes: &'a [NodeState],
    pub pods: &'a [PodStatus],
    pub faults: Vec<FaultShown>,
    /// `null` with `--no-probe`.
    pub matrix: Option<&'a Matrix>,
    pub ok: bool,
}

impl<'a> StatusReport<'a> {
    /// The lab `state` with its pods' states and, unless `--no-probe`, the matrix.
    pub fn of(
        state: &'a LabState,
        pods: &'a [PodStatus],
        matrix: Option<&'a Matrix>,
        ok: bool,
    ) -> Self {
        StatusReport {
            name: &state.name,
            dir: &state.dir,
            overlay: state.overlay,
            mode: state.mode,
            cidr: state.cidr,
            pod_mtu: state.pod_mtu,
            nodes: &state.nodes,
            pods,
            faults: state.faults.iter().map(FaultShown::from).collect(),
            matrix,
            ok,
        }
    }
}

/// `lab down`: what it removed (written in this field order).
#[derive(Debug, Default, Serialize)]
pub struct DownReport {
    pub name: String,
    /// False when there was no such lab.
    pub existed: bool,
    pub pause_stopped: usize,
    /// Recorded PIDs that were no longer our pause (left alone).
    pub pause_gone: Vec<i32>,
    pub unmounted: usize,
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    //! Each typed document against the `json!` document the command built
    //! before it was typed: the same bytes.
    use serde_json::{Value, json};

    use super::*;
    use crate::lab::action::Aspect;
    use crate::lab::matrix::{Cell, Pair, PodRef};
    use crate::lab::reconcile::ActionDone;
    use crate::lab::state::tests::sample;

    fn bytes<T: Serialize>(doc: &T) -> Vec<u8> {
        serde_json::to_vec_pretty(&serde_json::to_value(doc).unwrap()).unwrap()
    }

    fn old(v: Value) -> Vec<u8> {
        serde_json::to_vec_pretty(&v).unwrap()
    }

    fn with_faults() -> LabState {
        let mut s = sample(2, 1, Overlay::Vxlan, PodMode::Bridge);
        for hidden in [false, true] {
            s.faults.push(FaultRecord {
                fault: Fault::Route,
                node: Some("node1".into()),
                pod: None,
                peer: Some("node2".into()),
                hidden,
                detail: vec!["node1: ip route del 10.244.2.0/24".into()],
            });
        }
        s
    }

    #[test]
    fn up_is_the_state_file_plus_elapsed_ms() {
        let state = with_faults();
        let mut v = serde_json::to_value(&state).unwrap();
        v.as_object_mut()
            .unwrap()
            .insert("elapsed_ms".into(), json!(1234.5678));
        let doc = UpReport {
            state: &state,
            elapsed_ms: 1234.5678,
        };
        assert_eq!(bytes(&doc), old(v));
    }

    #[test]
    fn break_is_what_was_done_or_hidden() {
        assert_eq!(
            bytes(&BreakReport::hidden()),
            old(json!({"fault": null, "hidden": true}))
        );
        let done = vec!["node1: ip route del 10.244.2.0/24".to_string()];
        for (pod, peer) in [(None, Some("node2")), (Some("default/web-1-1"), None)] {
            let doc = BreakReport::Named {
                fault: Fault::Route,
                node: "node1".into(),
                pod: pod.map(str::to_string),
                peer: peer.map(str::to_string),
                done: done.clone(),
            };
            assert_eq!(
                bytes(&doc),
                old(
                    json!({"fault": Fault::Route, "node": "node1", "pod": pod, "peer": peer, "done": done})
                )
            );
        }
    }

    #[test]
    fn fix_lists_every_namespace_changed() {
        let changes = vec![NsChanges {
            namespace: "node1".into(),
            actions: vec![ActionDone {
                command: "sysctl -w net.ipv4.ip_forward=1".into(),
                aspect: Aspect::Forwarding,
                error: Some("EPERM".into()),
            }],
            problems: vec!["eth0 is gone".into()],
        }];
        let doc = FixReport {
            name: "lab".into(),
            dry_run: false,
            fault: Some(Fault::Forwarding),
            namespaces: changes.clone(),
            changed: 1,
            failed: vec!["node1: EPERM".into()],
            problems: vec!["node1: eth0 is gone".into()],
        };
        let want = json!({
            "name": "lab",
            "dry_run": false,
            "fault": Some(Fault::Forwarding),
            "namespaces": changes,
            "changed": 1usize,
            "failed": vec!["node1: EPERM"],
            "problems": vec!["node1: eth0 is gone"],
        });
        assert_eq!(bytes(&doc), old(want));
    }

    #[test]
    fn status_has_nodes_pods_faults_and_the_matrix() {
        let state = with_faults();
        let pods: Vec<PodStatus> = state
            .pods
            .iter()
            .map(|p| PodStatus {
                pod: p.full(),
                node: p.node.clone(),
                ip: p.ip.to_string(),
                pause_pid: p.pause_pid,
                host_veth: p.host_veth.clone(),
                netns: p.netns.clone(),
                state: "running",
                eth0_mtu: Some(1450),
            })
            .collect();
        let cell = |ok: bool| Cell {
            ok,
            size: 84,
            df: false,
            rtt_ms: ok.then_some(0.25),
            error: (!ok).then(|| "timeout".to_string()),
        };
        let refs: Vec<PodRef> = pods
            .iter()
            .map(|p| PodRef {
                pod: p.pod.clone(),
                node: p.node.clone(),
                ip: p.ip.clone(),
            })
            .collect();
        let pairs = vec![Pair {
            from: pods[0].pod.clone(),
            to: pods[1].pod.clone(),
            from_node: "node1".into(),
            to_node: "node2".into(),
            small: cell(true),
            big: cell(false),
        }];
        let matrix = Matrix::new(refs, pairs, true, 12.5);
        for m in [Some(&matrix), None] {
            let faults: Vec<Value> = state
                .faults
                .iter()
                .map(|f| {
                    if f.hidden {
                        json!({"hidden": true})
                    } else {
                        json!({"fault": f.fault, "node": f.node, "pod": f.pod, "peer": f.peer, "hidden": false})
                    }
                })
                .collect();
            let want = json!({
                "name": state.name,
                "dir": state.dir,
                "overlay": state.overlay,
                "mode": state.mode,
                "cidr": state.cidr,
                "pod_mtu": state.pod_mtu,
                "nodes": state.nodes,
                "pods": pods,
                "faults": faults,
                "matrix": m,
                "ok": false,
            });
            let doc = StatusReport::of(&state, &pods, m, false);
            assert_eq!(bytes(&doc), old(want));
        }
    }
}
