//! How the runtime runs a plugin and reads what it said: the
//! [`PluginExec`] seam (processes through `sys::cni_exec`, or canned
//! outputs in tests) and the pure reading of an output.

use std::io;
use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

use crate::cni::error::{CniError, codes};
use crate::sys::cni_exec::{self, PluginRun};

/// Runs plugin binaries: the seam the runtime's tests fake with canned
/// outputs.
pub trait PluginExec: Send + Sync {
    /// The executable of plugin type `ty` in `dirs`.
    fn find(&self, ty: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
        cni_exec::find(ty, dirs)
    }
    /// Runs one plugin to its end.
    fn run(&self, run: &PluginRun) -> io::Result<Output>;
}

/// Plugins as processes (`sys::cni_exec`).
pub struct Processes;

impl PluginExec for Processes {
    fn run(&self, run: &PluginRun) -> io::Result<Output> {
        cni_exec::run(run)
    }
}

/// What a plugin's run says: its result (`None`: it printed nothing), or
/// its CNI error — the error object it printed, else one made of how it
/// exited and its stderr ([`codes::NO_ERROR_OBJECT`]).
pub fn outcome(out: &Output) -> std::result::Result<Option<Value>, CniError> {
    let text = String::from_utf8_lossy(&out.stdout);
    let text = text.trim();
    let parsed: Option<Value> = if text.is_empty() {
        None
    } else {
        serde_json::from_str(text).ok()
    };
    if out.status.success() {
        if parsed.is_none() && !text.is_empty() {
            return Err(CniError::new(
                codes::DECODE_FAILURE,
                format!("plugin printed no JSON: {text}"),
            ));
        }
        return Ok(parsed);
    }
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Err(parsed
        .as_ref()
        .and_then(CniError::from_json)
        .unwrap_or_else(|| {
            CniError::new(
                codes::NO_ERROR_OBJECT,
                format!("exited with {}", out.status),
            )
            .with_details(if stderr.is_empty() {
                text.to_string()
            } else {
                stderr
            })
        }))
}
