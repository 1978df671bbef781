//! `podnet lab …`: dispatch to the lab's commands. Wiring only: the
//! lab's work is in `lab`, I/O in `sys`.

use std::io::Write;

use crate::cli::LabCommand;
use crate::error::{Outcome, Result};

use super::ctx::Ctx;

pub fn run(ctx: &Ctx, cmd: &LabCommand, out: &mut dyn Write) -> Result<Outcome> {
    match cmd {
        LabCommand::Up(a) => super::lab_up::run(ctx, a, out),
        LabCommand::Down(a) => super::lab_down::run(ctx, a, out),
        LabCommand::Status(a) => super::lab_status::run(ctx, a, out),
        LabCommand::Break(a) => super::lab_fault::run_break(ctx, a, out),
        LabCommand::Fix(a) => super::lab_fault::run_fix(ctx, a, out),
        LabCommand::Exec(a) => super::lab_exec::run(a),
    }
}
