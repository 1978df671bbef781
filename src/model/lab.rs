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
