//! `podnet veth list`: every pod interface paired with its host veth.

use std::io::Write;

use crate::analyze::veth;
use crate::cli::VethListArgs;
use crate::error::{Outcome, Result};
use crate::model::VethReport;
use crate::render;

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions, VisitWants};

pub fn run(ctx: &Ctx, args: &VethListArgs, out: &mut dyn Write) -> Result<Outcome> {
    let mut inv = inventory::scan(
        ctx,
        "veth list",
        &ScanOptions {
            deep: args.deep,
            visit: VisitWants {
                stats: args.stats,
                ..VisitWants::PAIRING
            },
        },
    )?;
    let pairs = veth::pair_all(&inv.report.namespaces, &mut inv.extra, args.stats);
    let report = VethReport {
        pairs,
        warnings: inv.report.warnings,
    };
    if ctx.json() {
        render::veth::json(out, &report)?;
    } else {
        render::veth::list_table(out, &report, args.stats, &ctx.style)?;
        ctx.warn(&report.warnings);
    }
    Ok(Outcome::Clean)
}
