//! `podnet pause` (hidden): hold a network namespace like a pod's pause
//! container. A pause of a lab pod (its netns under `/run/podnet/lab/<name>/netns/`)
//! records itself in the lab before it is ready, so `lab down` finds it
//! even when `lab up` died before writing its state. Wiring only.

use std::path::Path;

use crate::error::{Error, Outcome, Result};
use crate::lab::store as lab_store;

pub fn run(netns: Option<&Path>) -> Result<Outcome> {
    let lab_dir = netns.and_then(lab_store::lab_dir_of_netns);
    let record = || match (&lab_dir, netns) {
        (Some(dir), Some(path)) => lab_store::record_pause(dir, std::process::id(), path),
        _ => Ok(()),
    };
    crate::sys::pause::run(netns, record).map_err(|e| {
        Error::io(
            format!(
                "pause in {}",
                netns
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "this netns".into())
            ),
            e,
        )
    })?;
    Ok(Outcome::Clean)
}
