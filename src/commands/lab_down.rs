//! `podnet lab down`: removes a lab — stops the pause processes it recorded
//! (each checked by PID, comm and netns inode; nothing is killed by name),
//! unmounts every namespace bind mount and mount under the lab directory
//! (the namespaces die with their last holder, and everything in them with
//! them), removes the plugin's bridge locks of its nodes and the directory.
//! A missing lab is not an error.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::cli::LabDownArgs;
use crate::error::{Error, Outcome, Result};
use crate::lab::plan;
use crate::lab::state::LabState;
use crate::render;
use crate::sys::{caps, lab_store};

use super::Ctx;
use super::lab::LAB_CAPS;

/// What `down` removed.
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

pub fn run(ctx: &Ctx, a: &LabDownArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("lab down", LAB_CAPS)?;
    plan::validate_name(&a.lab.name).map_err(Error::Usage)?;
    let dir = lab_store::lab_dir(&a.lab.name);
    let mut report = if dir.exists() {
        let lock = lab_store::lock(&dir).map_err(|e| Error::io("lock the lab", e))?;
        let state: Option<LabState> = match lab_store::read_state(&dir) {
            Ok(Some(b)) => serde_json::from_slice(&b).ok(),
            _ => None,
        };
        let r = teardown(&dir, state.as_ref())
            .map_err(|e| Error::io(format!("remove lab {}", a.lab.name), e))?;
        drop(lock);
        r
    } else {
        DownReport::default()
    };
    report.name = a.lab.name.clone();
    if ctx.json() {
        render::write_json(out, &report)?;
    } else if report.existed {
        writeln!(
            out,
            "lab {} is down: {} pause process{} stopped, {} mount{} removed, {} gone",
            report.name,
            report.pause_stopped,
            if report.pause_stopped == 1 { "" } else { "es" },
            report.unmounted,
            if report.unmounted == 1 { "" } else { "s" },
            dir.display()
        )?;
        ctx.warn(&report.warnings);
    } else {
        writeln!(out, "lab {} is not up: nothing to do", report.name)?;
    }
    Ok(Outcome::Clean)
}

/// Removes a lab's processes, mounts and files (`state` may be missing:
/// a crashed `up` then leaves its mounts and files, which go too).
pub fn teardown(dir: &Path, state: Option<&LabState>) -> std::io::Result<DownReport> {
    let mut r = DownReport {
        existed: true,
        ..Default::default()
    };
    if let Some(s) = state {
        let pauses: Vec<(i32, u64)> = s.pods.iter().map(|p| (p.pause_pid, p.inode)).collect();
        let st = lab_store::stop_pauses(&pauses, Duration::from_secs(2));
        r.pause_stopped = st.stopped.len();
        r.pause_gone = st.not_ours;
        for pid in st.survivors {
            r.warnings
                .push(format!("pause process {pid} survived SIGKILL"));
        }
    } else {
        r.warnings.push(format!(
            "{} has no readable state file: only mounts and files were removed",
            dir.display()
        ));
    }
    // anything else still inside the lab's namespaces is named, not killed
    let inodes: Vec<u64> = lab_store::mounts_under(dir)?
        .iter()
        .filter(|p| crate::sys::netns_create::is_nsfs(p))
        .filter_map(|p| lab_store::inode_of(p))
        .collect();
    if !inodes.is_empty() {
        for (pid, (ino, comm)) in crate::sys::sandbox::processes() {
            if inodes.contains(&ino) {
                r.warnings.push(format!(
                    "process {pid} ({comm}) is still in a namespace of the lab; not killed (it keeps that namespace alive)"
                ));
            }
        }
    }
    r.unmounted = lab_store::unmount_all(dir)?;
    if let Some(s) = state {
        let inodes: Vec<u64> = s.nodes.iter().map(|n| n.inode).collect();
        lab_store::remove_bridge_locks(&inodes);
    }
    lab_store::remove_dir(dir)?;
    Ok(r)
}
