//! What every lab command shares around the state file: the capabilities
//! changing a lab needs, reading the state, locking the lab and reading it,
//! and saving it atomically (file I/O through `sys::lab_store`).

use std::path::Path;

use super::store as lab_store;
use crate::error::{Error, Result};
use crate::sys::caps::{self, CAP_NET_ADMIN, CAP_SYS_ADMIN};
use crate::sys::lockfile::Locked;

use super::plan;
use super::state::LabState;

/// What changing a lab needs.
pub const LAB_CAPS: &[caps::Cap] = &[CAP_SYS_ADMIN, CAP_NET_ADMIN];

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
