//! Reconciling a lab's namespaces to their desired state (the switch, then
//! the nodes in parallel, then the pods: observe, diff, apply), running
//! work inside many namespaces, each pod's health, and a new pause process
//! for a pod whose pause died. Kernel I/O through `lab::net`,
//! `sys::lab_store` and `sys::sandbox`; the decisions are in `lab::diff`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::store as lab_store;
use crate::error::{Error, Result};
use crate::sys::netns_run;
use crate::sys::parallel;
use crate::sys::sandbox;

use super::action::{Action, Aspect, NsRef};
use super::desired::{self, NsDesired};
use super::diff;
use super::net;
use super::state::{LabState, PodHealth, PodState};

/// The netns path of a lab namespace.
pub fn ns_path(state: &LabState, ns: &NsRef) -> Option<PathBuf> {
    match ns {
        NsRef::Switch => Some(PathBuf::from(&state.switch.netns)),
        NsRef::Node(n) => state.node(n).map(|n| PathBuf::from(&n.netns)),
        NsRef::Pod(p) => state.find_pod(p).ok().map(|p| PathBuf::from(&p.netns)),
    }
}

/// Runs `f(i)` inside namespace `paths[i]` for every i, on up to `threads`
/// helper threads; results in order.
pub fn in_each<T: Send>(
    paths: &[PathBuf],
    threads: usize,
    f: impl Fn(usize) -> io::Result<T> + Sync,
) -> Vec<io::Result<T>> {
    parallel::each_index(paths.len(), threads, |i| {
        netns_run::enter(&paths[i]).and_then(|()| f(i))
    })
    .into_iter()
    .map(|r| r.unwrap_or_else(|| Err(io::Error::other("the namespace worker died"))))
    .collect()
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
/// `dry_run` only reports.
pub fn reconcile(state: &LabState, aspects: Option<&[Aspect]>, dry_run: bool) -> Vec<NsChanges> {
    let mut out = Vec::new();
    let keep = |a: &Action| aspects.is_none_or(|set| set.contains(&a.aspect()));
    let node_files: BTreeMap<String, PathBuf> = state
        .nodes
        .iter()
        .map(|n| (n.name.clone(), PathBuf::from(&n.netns)))
        .collect();
    let peer_ns = |name: &str| -> io::Result<File> {
        let p = node_files
            .get(name)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no node {name}")))?;
        File::open(p)
    };
    let one = |want: &NsDesired| -> io::Result<(Vec<ActionDone>, Vec<String>)> {
        let seen = net::observe(want)?;
        let (acts, problems) = diff::diff(want, &seen);
        let mut net = net::Net::new()?;
        let mut done = Vec::new();
        for a in acts.iter().filter(|a| keep(a)) {
            let error = if dry_run {
                None
            } else {
                net.apply(a, &peer_ns).err().map(|e| e.to_string())
            };
            done.push(ActionDone {
                command: a.command(),
                aspect: a.aspect(),
                error,
            });
        }
        Ok((done, problems))
    };
    let mut stage = |refs: Vec<(NsRef, NsDesired)>, threads: usize| {
        let paths: Vec<PathBuf> = refs
            .iter()
            .map(|(r, _)| ns_path(state, r).unwrap_or_default())
            .collect();
        let results = in_each(&paths, threads, |i| one(&refs[i].1));
        for ((r, _), res) in refs.iter().zip(results) {
            let ch = match res {
                Ok((actions, problems)) => NsChanges {
                    namespace: r.to_string(),
                    actions,
                    problems,
                },
                Err(e) => NsChanges {
                    namespace: r.to_string(),
                    actions: Vec::new(),
                    problems: vec![format!("cannot inspect it: {e}")],
                },
            };
            if !ch.actions.is_empty() || !ch.problems.is_empty() {
                out.push(ch);
            }
        }
    };
    stage(vec![(NsRef::Switch, desired::switch_desired(state))], 1);
    stage(
        state
            .nodes
            .iter()
            .map(|n| (NsRef::Node(n.name.clone()), desired::node_desired(state, n)))
            .collect(),
        state.nodes.len().min(16),
    );
    stage(
        state
            .pods
            .iter()
            .map(|p| (NsRef::Pod(p.full()), desired::pod_desired(state, p)))
            .collect(),
        8,
    );
    out
}

/// How a recorded pod is doing: is its netns still mounted, and its
/// recorded pause process still ours.
pub fn pod_health(pod: &PodState) -> PodHealth {
    let mounted = lab_store::inode_of(Path::new(&pod.netns)) == Some(pod.inode);
    PodHealth::of(
        mounted,
        mounted && lab_store::is_our_pause(pod.pause_pid, pod.inode),
    )
}

/// Starts a new pause process for every pod whose namespace is there but
/// whose pause is gone, and records its PID in `state` (the caller saves
/// it); `dry_run` only reports. One entry per such pod.
pub fn revive_pauses(state: &mut LabState, dry_run: bool) -> Vec<NsChanges> {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("podnet"));
    let mut out = Vec::new();
    for pod in state.pods.iter_mut() {
        if pod_health(pod) != PodHealth::PauseGone {
            continue;
        }
        let mut command = format!(
            "podnet pause --netns {} &    # its pause process {} is gone",
            pod.netns, pod.pause_pid
        );
        let error = if dry_run {
            None
        } else {
            match sandbox::start_pause(&exe, Path::new(&pod.netns)) {
                Ok(pid) => {
                    command.push_str(&format!("; the new one is {pid}"));
                    pod.pause_pid = pid;
                    None
                }
                Err(e) => Some(format!("start a pause process: {e}")),
            }
        };
        out.push(NsChanges {
            namespace: pod.full(),
            actions: vec![ActionDone {
                command,
                aspect: Aspect::Pause,
                error,
            }],
            problems: Vec::new(),
        });
    }
    out
}

/// Applies actions, each in its namespace (in order).
pub fn apply_actions(state: &LabState, actions: &[(NsRef, Action)]) -> Result<()> {
    for (ns, a) in actions {
        let path = ns_path(state, ns)
            .ok_or_else(|| Error::NotFound(format!("no namespace {ns} in lab {}", state.name)))?;
        let a2 = a.clone();
        netns_run::in_netns(&path, move || {
            let mut net = net::Net::new()?;
            net.apply(&a2, &|_| {
                Err(io::Error::new(io::ErrorKind::Unsupported, "not from here"))
            })
        })
        .map_err(|e| Error::io(format!("{ns}: {}", a.command()), e))?;
    }
    Ok(())
}
