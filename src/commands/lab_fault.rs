//! `podnet lab break` and `podnet lab fix`: inject a fault (its actions
//! applied in the namespaces it names, and recorded in the state file),
//! and reconcile the lab — one fault's aspects, or everything, including a
//! new pause process for a pod whose pause died — back to its desired
//! state, whatever changed it.

use std::io::Write;

use serde_json::json;

use crate::cli::{LabBreakArgs, LabFault, LabFixArgs};
use crate::error::{Error, Outcome, Result};
use crate::lab::fault::Fault;
use crate::lab::faults;
use crate::lab::state::FaultRecord;
use crate::render;
use crate::sys::{caps, random};

use super::Ctx;
use crate::lab::namespaces;
use crate::lab::service::{self, LAB_CAPS};

/// `lab break --random`'s choices, from the kernel's random bytes.
struct SysRandom;

impl faults::Pick for SysRandom {
    fn below(&mut self, n: usize) -> std::io::Result<usize> {
        let b = random::bytes(4)?;
        Ok(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize % n.max(1))
    }
}

pub fn run_break(ctx: &Ctx, a: &LabBreakArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("lab break", LAB_CAPS)?;
    let (mut state, _lock) = service::load(&a.lab.name)?;
    let (fault, target) = if a.random {
        let mut rng = SysRandom;
        faults::pick_random(
            &state,
            a.node.as_deref(),
            a.pod.as_deref(),
            a.peer.as_deref(),
            &mut rng,
        )?
    } else {
        let f = fault_of(
            a.fault
                .ok_or_else(|| Error::Usage("name a fault, or use --random".into()))?,
        );
        let t = faults::resolve_target(
            &state,
            f,
            a.node.as_deref(),
            a.pod.as_deref(),
            a.peer.as_deref(),
        )
        .map_err(Error::Usage)?;
        (f, t)
    };
    let actions = faults::break_actions(&state, fault, &target).map_err(Error::Usage)?;
    namespaces::apply_actions(&state, &actions)?;
    let detail: Vec<String> = actions
        .iter()
        .map(|(ns, a)| format!("{ns}: {}", a.command()))
        .collect();
    state.faults.push(FaultRecord {
        fault,
        node: Some(target.node.clone()),
        pod: target.pod.clone(),
        peer: target.peer.clone(),
        hidden: a.random,
        detail: detail.clone(),
    });
    service::save(&state)?;
    let n = if state.name == crate::lab::plan::DEFAULT_NAME {
        String::new()
    } else {
        format!(" --name {}", state.name)
    };
    if ctx.json() {
        if a.random {
            render::write_json(out, &json!({"fault": null, "hidden": true}))?;
        } else {
            render::write_json(
                out,
                &json!({"fault": fault, "node": target.node, "pod": target.pod, "peer": target.peer, "done": detail}),
            )?;
        }
    } else if a.random {
        writeln!(
            out,
            "broke something in lab {} (a random fault, not named). Find it: podnet lab status{n}, podnet ns list, podnet veth list, podnet lab exec NODE -- ip route … Then podnet lab fix <fault>{n}, or fix --all.",
            state.name
        )?;
    } else {
        let on = match (&target.pod, &target.peer) {
            (Some(p), _) => format!("pod {p} (node {})", target.node),
            (None, Some(peer)) => format!("node {} (peer {peer})", target.node),
            _ => format!("node {}", target.node),
        };
        writeln!(out, "broke {} on {on}:", fault.as_str())?;
        for d in &detail {
            writeln!(out, "  {d}")?;
        }
        writeln!(
            out,
            "see it with podnet lab status{n}; undo it with podnet lab fix {}{n}",
            fault.as_str()
        )?;
    }
    Ok(Outcome::Clean)
}

pub fn run_fix(ctx: &Ctx, a: &LabFixArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("lab fix", LAB_CAPS)?;
    let (mut state, _lock) = service::load(&a.lab.name)?;
    let fault = a.fault.map(fault_of);
    let aspects = fault.map(Fault::aspects);
    let mut changes = namespaces::reconcile(&state, aspects, a.dry_run);
    // a pod whose pause process died gets a new one (only with --all)
    let revived = if fault.is_none() {
        namespaces::revive_pauses(&mut state, a.dry_run)
    } else {
        Vec::new()
    };
    let pids_changed = revived
        .iter()
        .any(|c| c.actions.iter().any(|x| x.error.is_none()));
    changes.extend(revived);
    if !a.dry_run && pids_changed {
        service::save(&state)?;
    }
    let failed: Vec<String> = changes
        .iter()
        .flat_map(|c| {
            c.actions
                .iter()
                .filter_map(move |x| x.error.as_ref().map(|e| format!("{}: {e}", c.namespace)))
        })
        .collect();
    let problems: Vec<String> = changes
        .iter()
        .flat_map(|c| {
            c.problems
                .iter()
                .map(move |p| format!("{}: {p}", c.namespace))
        })
        .collect();
    let changed: usize = changes.iter().map(|c| c.actions.len()).sum();
    if !a.dry_run && failed.is_empty() {
        let before = state.faults.len();
        state.faults.retain(|f| fault.is_some_and(|x| x != f.fault));
        if state.faults.len() != before {
            service::save(&state)?;
        }
    }
    if ctx.json() {
        render::write_json(
            out,
            &json!({
                "name": state.name,
                "dry_run": a.dry_run,
                "fault": fault,
                "namespaces": changes,
                "changed": changed,
                "failed": failed,
                "problems": problems,
            }),
        )?;
    } else {
        let verb = if a.dry_run { "would run" } else { "ran" };
        if changed == 0 && problems.is_empty() {
            writeln!(
                out,
                "nothing to fix: lab {} is in its desired state{}",
                state.name,
                fault
                    .map(|f| format!(" (as far as {} goes)", f.as_str()))
                    .unwrap_or_default()
            )?;
        }
        for c in &changes {
            for x in &c.actions {
                match &x.error {
                    None => writeln!(out, "{}: {verb}: {}", c.namespace, x.command)?,
                    Some(e) => writeln!(out, "{}: FAILED: {e}", c.namespace)?,
                }
            }
            for p in &c.problems {
                writeln!(out, "{}: cannot fix: {p}", c.namespace)?;
            }
        }
    }
    if let Some(first) = failed.first() {
        return Err(Error::other(format!(
            "{} of {changed} changes failed; the first: {first}",
            failed.len()
        )));
    }
    Ok(if !problems.is_empty() || (a.dry_run && changed > 0) {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

/// The lab fault of a CLI value.
fn fault_of(f: LabFault) -> Fault {
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
