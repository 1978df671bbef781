//! `podnet ns pids <pod>`: the processes in a pod's network namespace, pause first.

use std::collections::HashMap;
use std::io::Write;

use crate::cli::NsPidsArgs;
use crate::error::{Outcome, Result};
use crate::model::Process;
use crate::render;

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions};

pub fn run(ctx: &Ctx, args: &NsPidsArgs, out: &mut dyn Write) -> Result<Outcome> {
    let inv = inventory::scan(
        ctx,
        "ns pids",
        &ScanOptions {
            deep: args.deep,
            ..Default::default()
        },
    )?;
    let ns = &inv.report.namespaces
        [inventory::resolve_ref(&ctx.root, &inv.report.namespaces, &args.target)?];
    let by_pid: HashMap<i32, &Process> = inv.processes.iter().map(|p| (p.pid, p)).collect();
    let procs: Vec<&Process> = ns
        .pid_list
        .iter()
        .filter_map(|pid| by_pid.get(pid).copied())
        .collect();
    render::ns::pids(out, ns, &procs, ctx.json(), &ctx.style)?;
    Ok(Outcome::Clean)
}
