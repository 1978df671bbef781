//! `podnet lab status`: a lab's nodes and pods (is each pause process still
//! ours and alive, each pod's eth0 MTU), and the live pod-to-pod
//! reachability matrix (`lab::status`), as a table or JSON. Wiring only.

use std::io::Write;
use std::time::Duration;

use crate::cli::LabStatusArgs;
use crate::error::{Error, Outcome, Result};
use crate::lab::service;
use crate::lab::status::{pod_status, probe_matrix};
use crate::model::lab::StatusReport;
use crate::render::lab as render_lab;
use crate::sys::caps::{self, CAP_NET_RAW, CAP_SYS_ADMIN};

use super::ctx::Ctx;

pub fn run(ctx: &Ctx, a: &LabStatusArgs, out: &mut dyn Write) -> Result<Outcome> {
    let needed: &[caps::Cap] = if a.no_probe {
        &[CAP_SYS_ADMIN]
    } else {
        &[CAP_SYS_ADMIN, CAP_NET_RAW]
    };
    caps::require("lab status", needed)?;
    let state = service::read_state(&a.lab.name)?;
    if !state.complete {
        return Err(Error::with_hint(
            format!("lab {} was not built to the end", state.name),
            format!("podnet lab down --name {}", state.name),
        ));
    }
    let pods = pod_status(&state);
    let matrix = if a.no_probe {
        None
    } else {
        Some(probe_matrix(
            &state,
            &pods,
            Duration::from_millis(a.timeout),
        ))
    };
    let all_running = pods.iter().all(|p| p.state == "running");
    let ok = all_running && matrix.as_ref().is_none_or(|m| m.ok);
    if ctx.json() {
        render_lab::write_json(out, &StatusReport::of(&state, &pods, matrix.as_ref(), ok))?;
    } else {
        render_lab::write_status(out, &state, &pods, matrix.as_ref(), &ctx.style)?;
    }
    Ok(if ok {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}
