//! `podnet pause` (hidden): hold a network namespace like a pod's pause container.

use std::path::Path;

use crate::error::{Error, Outcome, Result};

pub fn run(netns: Option<&Path>) -> Result<Outcome> {
    crate::sys::pause::run(netns).map_err(|e| {
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
