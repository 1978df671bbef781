//! `podnet lab up`: builds a lab (`lab::build`) from the command line's
//! plan, and shows it. Ctrl-C or SIGTERM tears down what was built, then
//! exits 130. Wiring only.

use std::io::{IsTerminal, Write};

use crate::cli::LabUpArgs;
use crate::error::{Error, Outcome, Result};
use crate::lab::build::{self, Up};
use crate::lab::plan::{self, Params};
use crate::lab::service::LAB_CAPS;
use crate::model::lab::UpReport;
use crate::render::lab as render_lab;
use crate::sys::caps;

use super::ctx::Ctx;

pub fn run(ctx: &Ctx, a: &LabUpArgs, out: &mut dyn Write) -> Result<Outcome> {
    caps::require("lab up", LAB_CAPS)?;
    let params = Params {
        name: a.lab.name.clone(),
        nodes: a.nodes,
        pods_per_node: a.pods,
        overlay: a.overlay,
        mode: a.mode,
        cidr: plan::parse_cidr(&a.cidr).map_err(Error::Usage)?,
    };
    let line = render_lab::ProgressLine::new(!ctx.json() && std::io::stderr().is_terminal());
    let built = build::up(&params, &|stage| line.show(stage));
    line.clear();
    let (state, elapsed) = match built? {
        Up::Built(state, elapsed) => (state, elapsed),
        Up::Interrupted => {
            eprintln!(
                "podnet: lab up interrupted: lab {} and everything it had built are removed",
                params.name
            );
            return Ok(Outcome::Interrupted);
        }
    };
    if ctx.json() {
        let doc = UpReport {
            state: &state,
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
        };
        render_lab::write_json(out, &doc)?;
    } else {
        render_lab::write_up(out, &state, elapsed, &ctx.style)?;
    }
    Ok(Outcome::Clean)
}
