//! The lab's namespaces in the kernel (kernel and process I/O through
//! `lab::net`, `lab::store`, `sys::netns_run` and `sys::sandbox`): the
//! [`Kernel`] network reconciling runs over, work run inside many
//! namespaces at once, fault actions applied, each pod's health, and a new
//! pause process for a pod whose pause died.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sys::netns_run;
use crate::sys::parallel;
use crate::sys::sandbox;

use super::action::{Action, Aspect, NsRef};
use super::desired::NsDesired;
use super::net;
use super::observed::NsObs;
use super::reconcile::{ActionDone, NsChanges, NsNetwork};
use super::state::{LabState, PodHealth, PodState};
use super::store as lab_store;

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

/// A lab's namespaces, reached through their netns bind mounts.
pub struct Kernel<'a> {
    state: &'a LabState,
}

impl<'a> Kernel<'a> {
    pub fn new(state: &'a LabState) -> Kernel<'a> {
        Kernel { state }
    }

    /// A namespace's path ("" for one the state does not know: opening it fails).
    fn path(&self, ns: &NsRef) -> PathBuf {
        ns_path(self.state, ns).unwrap_or_default()
    }

    /// Opens a node's namespace (for the switch recreating its uplink).
    fn node_ns(&self, name: &str) -> io::Result<File> {
        let p = self
            .state
            .node(name)
            .map(|n| PathBuf::from(&n.netns))
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no node {name}")))?;
        File::open(p)
    }
}

impl NsNetwork for Kernel<'_> {
    fn observe(&self, ns: &NsRef, want: &NsDesired) -> io::Result<NsObs> {
        netns_run::in_netns(&self.path(ns), || net::observe(want))
    }

    fn apply(&self, ns: &NsRef, actions: &[Action]) -> Vec<io::Result<()>> {
        let peer_ns = |name: &str| self.node_ns(name);
        let done = netns_run::in_netns(&self.path(ns), || {
            let mut net = net::Net::new()?;
            Ok(actions
                .iter()
                .map(|a| net.apply(a, &peer_ns))
                .collect::<Vec<_>>())
        });
        match done {
            Ok(v) => v,
            Err(e) => actions
                .iter()
                .map(|_| Err(io::Error::new(e.kind(), e.to_string())))
                .collect(),
        }
    }
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

/// Reconciles the lab's namespaces in the kernel (see
/// [`super::reconcile::reconcile`]).
pub fn reconcile(state: &LabState, aspects: Option<&[Aspect]>, dry_run: bool) -> Vec<NsChanges> {
    super::reconcile::reconcile(&Kernel::new(state), state, aspects, dry_run)
}
