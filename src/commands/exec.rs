//! `podnet exec <pod> -- cmd…`: runs a host program in the pod's network
//! namespace only (`nsenter -t <pause> -n` equivalent); its exit status is podnet's.

use crate::analyze::resolve;
use crate::cli::ExecArgs;
use crate::error::{Error, Outcome, Result};
use crate::sys::netns;

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions};

pub fn run(ctx: &Ctx, args: &ExecArgs) -> Result<Outcome> {
    let inv = inventory::scan(ctx, "exec", &ScanOptions::default())?;
    let nss = &inv.report.namespaces;
    let ns = &nss[resolve::resolve(nss, &args.target)?];
    let file = netns::open(&inventory::target(&ctx.root, ns))
        .map_err(|e| Error::other(format!("{}: {e}", resolve::label(ns))))?;
    let (step, err) = crate::sys::exec::exec_in(&file, &args.command);
    let program = args.command.first().cloned().unwrap_or_default();
    Err(Error::ExecFailed {
        what: format!("{step} {program:?} in {}", resolve::label(ns)),
        source: err,
    })
}
