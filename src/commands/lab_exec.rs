//! `podnet lab exec <node|pod|switch> -- cmd…`: joins only the target's
//! network namespace (setns on this thread) and executes the command in
//! place of podnet (execvp, no shell), so its exit status is podnet's.

use std::path::PathBuf;

use crate::cli::LabExecArgs;
use crate::error::{Error, Outcome, Result};
use crate::sys::caps;

use crate::lab::service::{self, LAB_CAPS};

use super::exec::{check_argv, exec_failed};

pub fn run(a: &LabExecArgs) -> Result<Outcome> {
    caps::require("lab exec", LAB_CAPS)?;
    let state = service::read_state(&a.lab.name)?;
    let t = a.target.as_str();
    let path: PathBuf = if t == "switch" {
        PathBuf::from(&state.switch.netns)
    } else if let Ok(n) = state.find_node(t) {
        PathBuf::from(&n.netns)
    } else if let Ok(p) = state.find_pod(t) {
        PathBuf::from(&p.netns)
    } else {
        return Err(Error::NotFound(format!(
            "no node or pod {t:?} in lab {} (nodes: {}; pods: default/web-<node>-<i>; or switch)",
            state.name,
            state
                .nodes
                .iter()
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    check_argv(&a.command)?;
    let (step, err) = crate::sys::exec::exec_in_path(&path, &a.command);
    Err(exec_failed(
        step,
        &a.command,
        &format!("lab {} {t}", state.name),
        err,
    ))
}
