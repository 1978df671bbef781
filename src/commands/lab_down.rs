//! `podnet lab down`: removes a lab (`lab::teardown`) under its lock. A
//! missing lab is not an error. Wiring only.

use std::io::Write;

use crate::cli::LabDownArgs;
use crate::error::{Error, Outcome, Result};
use crate::lab::plan;
use crate::lab::service::LAB_CAPS;
use crate::lab::state::LabState;
use crate::lab::store as lab_store;
use crate::lab::teardown::teardown;
use crate::model::lab::DownReport;
use crate::render;
use crate::sys::caps;

use super::ctx::Ctx;

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
    } else {
        render::lab::write_down(out, &report, &dir)?;
        if report.existed {
            ctx.warn(&report.warnings);
        }
    }
    Ok(Outcome::Clean)
}
