//! Breaking and fixing a lab (kernel I/O through `lab::namespaces`, the
//! state file through `lab::service`): a fault's actions applied in the
//! namespaces it names and recorded in the state file; the lab reconciled
//! back to its desired state — one fault's aspects, or everything,
//! including a new pause process for a pod whose pause died — whatever
//! changed it, and the faults it fixed forgotten.

use crate::error::{Error, Result};
use crate::model::lab::FixReport;

use super::fault::Fault;
use super::faults::{self, Target};
use super::namespaces;
use super::service;
use super::state::{FaultRecord, LabState};

/// Breaks `fault` on `target`: applies its actions, records it (`hidden`:
/// chosen by `--random`) and saves the state. Returns what was done, as
/// `<namespace>: <command>`.
pub fn inject(
    state: &mut LabState,
    fault: Fault,
    target: &Target,
    hidden: bool,
) -> Result<Vec<String>> {
    let actions = faults::break_actions(state, fault, target).map_err(Error::Usage)?;
    namespaces::apply_actions(state, &actions)?;
    let detail: Vec<String> = actions
        .iter()
        .map(|(ns, a)| format!("{ns}: {}", a.command()))
        .collect();
    state.faults.push(FaultRecord {
        fault,
        node: Some(target.node.clone()),
        pod: target.pod.clone(),
        peer: target.peer.clone(),
        hidden,
        detail: detail.clone(),
    });
    service::save(state)?;
    Ok(detail)
}

/// Reconciles the lab — `fault`'s aspects, or everything (`None`, which
/// also starts a new pause for a pod whose pause died) — and, when nothing
/// failed, forgets the faults that are fixed; saves what changed. A dry
/// run only reports.
pub fn fix(state: &mut LabState, fault: Option<Fault>, dry_run: bool) -> Result<FixReport> {
    let aspects = fault.map(Fault::aspects);
    let mut changes = namespaces::reconcile(state, aspects, dry_run);
    // a pod whose pause process died gets a new one (only with --all)
    let revived = if fault.is_none() {
        namespaces::revive_pauses(state, dry_run)
    } else {
        Vec::new()
    };
    let pids_changed = revived
        .iter()
        .any(|c| c.actions.iter().any(|x| x.error.is_none()));
    changes.extend(revived);
    if !dry_run && pids_changed {
        service::save(state)?;
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
    if !dry_run && failed.is_empty() {
        let before = state.faults.len();
        state.faults.retain(|f| fault.is_some_and(|x| x != f.fault));
        if state.faults.len() != before {
            service::save(state)?;
        }
    }
    Ok(FixReport {
        name: state.name.clone(),
        dry_run,
        fault,
        namespaces: changes,
        changed,
        failed,
        problems,
    })
}
