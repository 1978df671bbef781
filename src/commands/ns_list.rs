//! `podnet ns list`: every network namespace on the node.

use std::io::Write;

use crate::cli::NsListArgs;
use crate::error::{Outcome, Result};
use crate::render;

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions};

pub fn run(ctx: &Ctx, args: &NsListArgs, out: &mut dyn Write) -> Result<Outcome> {
    let inv = inventory::scan(
        ctx,
        "ns list",
        &ScanOptions {
            deep: args.deep,
            ..Default::default()
        },
    )?;
    if ctx.json() {
        render::ns::list_json(out, &inv.report)?;
    } else {
        render::ns::list_table(out, &inv.report, &ctx.style)?;
        ctx.warn(&inv.report.warnings);
    }
    Ok(Outcome::Clean)
}
