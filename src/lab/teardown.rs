//! Removing a lab: stops the pause processes it recorded (each checked by
//! PID, comm and netns inode) and those provably its own that it never
//! recorded (a killed `up`: podnet running `pause --netns <lab>/netns/…`
//! inside one of the lab's namespaces; nothing is killed by name),
//! unmounts every namespace bind mount and mount under the lab directory
//! (the namespaces die with their last holder, and everything in them with
//! them), removes the plugin's bridge locks of its nodes and the directory.
//! Process, mount and file I/O through `sys::lab_store`.

use std::path::Path;
use std::time::Duration;

use crate::model::lab::DownReport;

use super::state::LabState;
use super::store as lab_store;

/// How long `down` waits for processes other than the lab's pauses to
/// leave its namespaces (the plugins of a killed `lab up` finishing).
const OTHERS_GRACE: Duration = Duration::from_secs(2);

/// Removes a lab's processes, mounts and files. `state` may be missing or
/// incomplete (a killed `up`): the lab's namespaces are then its bind
/// mounts under `dir`, and its pause processes those provably its own.
pub fn teardown(dir: &Path, state: Option<&LabState>) -> std::io::Result<DownReport> {
    let mut r = DownReport {
        existed: true,
        ..Default::default()
    };
    let mounts = lab_store::netns_mounts(dir)?;
    let inodes: Vec<u64> = mounts.iter().map(|(_, i)| *i).collect();
    // the pauses it recorded, then any other that is provably its own
    let mut pauses: Vec<(i32, u64)> = Vec::new();
    match state {
        Some(s) => {
            for p in &s.pods {
                if lab_store::is_our_pause(p.pause_pid, p.inode) {
                    pauses.push((p.pause_pid, p.inode));
                } else {
                    r.pause_gone.push(p.pause_pid);
                }
            }
        }
        None => r.warnings.push(format!(
            "{} has no readable state file: its namespaces and pause processes were found from its mounts",
            dir.display()
        )),
    }
    for found in lab_store::lab_pauses(dir, &inodes) {
        if !pauses.iter().any(|(pid, _)| *pid == found.0) {
            pauses.push(found);
        }
    }
    stop(&mut r, &pauses);
    // anything else still inside the lab's namespaces is named, not killed
    let ours: Vec<i32> = pauses.iter().map(|(pid, _)| *pid).collect();
    for (pid, comm) in lab_store::processes_staying_in(&inodes, &ours, OTHERS_GRACE) {
        r.warnings.push(format!(
            "process {pid} ({comm}) is still in a namespace of the lab; not killed (it keeps that namespace alive)"
        ));
    }
    r.unmounted = lab_store::unmount_all(dir)?;
    // a pause that opened its namespace just before the unmount enters it after
    let late = lab_store::lab_pauses(dir, &inodes);
    stop(&mut r, &late);
    let mut lock_inodes = inodes;
    if let Some(s) = state {
        lock_inodes.extend(s.nodes.iter().map(|n| n.inode));
    }
    lab_store::remove_bridge_locks(&lock_inodes);
    lab_store::remove_dir(dir)?;
    Ok(r)
}

/// Stops pause processes `(pid, netns inode)`, counting them in `r`.
fn stop(r: &mut DownReport, pauses: &[(i32, u64)]) {
    if pauses.is_empty() {
        return;
    }
    let st = lab_store::stop_pauses(pauses, Duration::from_secs(2));
    r.pause_stopped += st.stopped.len();
    r.pause_gone.extend(st.not_ours);
    for pid in st.survivors {
        r.warnings
            .push(format!("pause process {pid} survived SIGKILL"));
    }
}
