//! `podnet lab exec <node|pod|switch> -- cmd…`: joins only the target's
//! network namespace (setns on this thread) and executes the command in
//! place of podnet (execvp, no shell), so its exit status is podnet's.

use std::ffi::CString;
use std::path::PathBuf;

use crate::cli::LabExecArgs;
use crate::error::{Error, Outcome, Result};
use crate::sys::caps;

use crate::lab::service::{self, LAB_CAPS};

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
    let args: Vec<CString> = a
        .command
        .iter()
        .map(|s| {
            CString::new(s.as_bytes())
                .map_err(|_| Error::Usage(format!("argument {s:?} contains a NUL byte")))
        })
        .collect::<Result<_>>()?;
    let Some(prog) = args.first() else {
        return Err(Error::Usage("no command given".into()));
    };
    let err = crate::sys::netns_run::exec_in(&path, prog, &args);
    Err(Error::io(format!("run {}", a.command[0]), err))
}
