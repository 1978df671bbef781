//! `podnet lab …`: dispatch, and what the lab commands share — loading and
//! saving the state file under the lab's lock, running work inside many
//! namespaces, reconciling namespaces to their desired state, each pod's
//! health and a new pause process for a pod whose pause died, and the
//! node and pod tables. Wiring only: decisions in `lab`, I/O in `sys`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{LabCommand, LabFault};
use crate::error::{Error, Outcome, Result};
use crate::lab::desired::{self, Action, Aspect, NsDesired, NsRef};
use crate::lab::faults::Fault;
use crate::lab::plan;
use crate::lab::state::{LabState, PodHealth, PodState};
use crate::render;
use crate::sys::caps::{self, CAP_NET_ADMIN, CAP_SYS_ADMIN};
use crate::sys::lab_net;
use crate::sys::lab_store;
use crate::sys::lockfile::Locked;
use crate::sys::parallel;
use crate::sys::sandbox;

use super::Ctx;

/// What changing a lab needs.
pub const LAB_CAPS: &[caps::Cap] = &[CAP_SYS_ADMIN, CAP_NET_ADMIN];

pub fn run(ctx: &Ctx, cmd: &LabCommand, out: &mut dyn Write) -> Result<Outcome> {
    match cmd {
        LabCommand::Up(a) => super::lab_up::run(ctx, a, out),
        LabCommand::Down(a) => super::lab_down::run(ctx, a, out),
        LabCommand::Status(a) => super::lab_status::run(ctx, a, out),
        LabCommand::Break(a) => super::lab_fault::run_break(ctx, a, out),
        LabCommand::Fix(a) => super::lab_fault::run_fix(ctx, a, out),
        LabCommand::Exec(a) => super::lab_exec::run(a),
    }
}

/// The lab fault of a CLI value.
pub fn fault_of(f: LabFault) -> Fault {
    match f {
        LabFault::Mtu => Fault::Mtu,
        LabFault::Fdb => Fault::Fdb,
        LabFault::Forwarding => Fault::Forwarding,
        LabFault::RpFilter => Fault::RpFilter,
        LabFault::Route => Fault::Route,
        LabFault::ForwardDrop => Fault::ForwardDrop,
        LabFault::VethDown => Fault::VethDown,
    }
}

fn check_name(name: &str) -> Result<()> {
    plan::validate_name(name).map_err(Error::Usage)
}

fn no_lab(name: &str) -> Error {
    let others = lab_store::list();
    Error::with_hint(
        format!("no lab named {name:?} is up"),
        if others.is_empty() {
            "podnet lab up creates one".to_string()
        } else {
            format!("labs that are up: {} (use --name)", others.join(", "))
        },
    )
}

/// Reads a lab's state (no lock).
pub fn read_state(name: &str) -> Result<LabState> {
    check_name(name)?;
    let dir = lab_store::lab_dir(name);
    let bytes = lab_store::read_state(&dir)
        .map_err(|e| Error::io(format!("read lab {name}"), e))?
        .ok_or_else(|| no_lab(name))?;
    let state: LabState = serde_json::from_slice(&bytes).map_err(|e| {
        Error::with_hint(
            format!(
                "{}: not a lab state file: {e}",
                dir.join(lab_store::STATE_FILE).display()
            ),
            format!("podnet lab down --name {name} removes what is there"),
        )
    })?;
    Ok(state)
}

/// Locks a lab and reads its state; the lock lasts as long as the guard.
pub fn load(name: &str) -> Result<(LabState, Locked)> {
    check_name(name)?;
    let dir = lab_store::lab_dir(name);
    if !dir.is_dir() {
        return Err(no_lab(name));
    }
    let lock = lab_store::lock(&dir).map_err(|e| Error::io(format!("lock lab {name}"), e))?;
    let state = read_state(name)?;
    if !state.complete {
        return Err(Error::with_hint(
            format!("lab {name} was not built to the end (lab up failed or is still running)"),
            format!("podnet lab down --name {name}, then lab up again"),
        ));
    }
    Ok((state, lock))
}

/// Writes the state file atomically.
pub fn save(state: &LabState) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(state)
        .map_err(|e| Error::other(format!("serialize the lab state: {e}")))?;
    lab_store::write_atomic(&Path::new(&state.dir).join(lab_store::STATE_FILE), &bytes)
        .map_err(|e| Error::io("write the lab state", e))
}

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
        lab_net::enter(&paths[i]).and_then(|()| f(i))
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
        let seen = lab_net::observe(want)?;
        let (acts, problems) = desired::diff(want, &seen);
        let mut net = lab_net::Net::new()?;
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
        lab_net::in_netns(&path, move || {
            let mut net = lab_net::Net::new()?;
            net.apply(&a2, &|_| {
                Err(io::Error::new(io::ErrorKind::Unsupported, "not from here"))
            })
        })
        .map_err(|e| Error::io(format!("{ns}: {}", a.command()), e))?;
    }
    Ok(())
}

/// A summary line of a lab.
pub fn headline(state: &LabState) -> String {
    format!(
        "lab {}: {} node{}, {} pod{}, {} overlay, {} pods (MTU {}), cluster CIDR {}",
        state.name,
        state.nodes.len(),
        if state.nodes.len() == 1 { "" } else { "s" },
        state.pods.len(),
        if state.pods.len() == 1 { "" } else { "s" },
        state.overlay.as_str(),
        state.mode.as_str(),
        state.pod_mtu,
        state.cidr
    )
}

/// The node table.
pub fn nodes_table(out: &mut dyn Write, state: &LabState, ctx: &Ctx) -> io::Result<()> {
    let vxlan = state.overlay == plan::Overlay::Vxlan;
    let mut headers = vec!["NODE", "UNDERLAY", "POD CIDR", "PODS"];
    if vxlan {
        headers.extend(["VTEP", "VTEP MAC"]);
    }
    if ctx.style.wide {
        headers.push("NETNS");
    }
    let mut t = render::table(&headers, &ctx.style);
    for n in &state.nodes {
        let mut row = vec![
            n.name.clone(),
            format!("{}/{}", n.underlay_ip, n.underlay_prefix),
            n.pod_cidr.to_string(),
            state.pods_of(&n.name).count().to_string(),
        ];
        if vxlan {
            row.push(format!("{} {}", plan::VXLAN_DEV, n.vtep_ip));
            row.push(n.vtep_mac.clone());
        }
        if ctx.style.wide {
            row.push(n.netns.clone());
        }
        t.add_row(row);
    }
    render::write_table(out, &t)
}

/// The pod table; `extra` adds a column per pod (status's liveness).
pub fn pods_table(
    out: &mut dyn Write,
    state: &LabState,
    ctx: &Ctx,
    extra: Option<(&str, &dyn Fn(usize) -> String)>,
) -> io::Result<()> {
    let mut headers = vec!["POD", "NODE", "IP", "PAUSE", "HOST VETH"];
    if let Some((h, _)) = extra {
        headers.push(h);
    }
    if ctx.style.wide {
        headers.extend(["SANDBOX", "NETNS"]);
    }
    let mut t = render::table(&headers, &ctx.style);
    for (i, p) in state.pods.iter().enumerate() {
        let mut row = vec![
            p.full(),
            p.node.clone(),
            p.ip.to_string(),
            p.pause_pid.to_string(),
            p.host_veth.clone(),
        ];
        if let Some((_, f)) = extra {
            row.push(f(i));
        }
        if ctx.style.wide {
            row.push(p.container_id.chars().take(12).collect());
            row.push(p.netns.clone());
        }
        t.add_row(row);
    }
    render::write_table(out, &t)
}
