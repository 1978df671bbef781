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
    let ns = &nss[inventory::resolve_ref(&ctx.root, nss, &args.target)?];
    let file = netns::open(&inventory::target(&ctx.root, ns))
        .map_err(|e| Error::other(format!("{}: {e}", resolve::label(ns))))?;
    check_argv(&args.command)?;
    let (step, err) = crate::sys::exec::exec_in(&file, &args.command);
    Err(exec_failed(step, &args.command, &resolve::label(ns), err))
}

/// A command line can be executed: a program, and no NUL byte.
pub(super) fn check_argv(argv: &[String]) -> Result<()> {
    if argv.is_empty() {
        return Err(Error::Usage("no command given".into()));
    }
    match argv.iter().find(|a| a.contains('\0')) {
        Some(a) => Err(Error::Usage(format!("argument {a:?} contains a NUL byte"))),
        None => Ok(()),
    }
}

/// Why the program did not start in `place`: a missing program (exit 127)
/// or one that cannot run (126); entering the namespace failing is exit 2.
pub(super) fn exec_failed(
    step: &str,
    argv: &[String],
    place: &str,
    source: std::io::Error,
) -> Error {
    let program = argv.first().map(String::as_str).unwrap_or_default();
    if step == "exec" {
        Error::ExecFailed {
            what: format!("exec {program:?} in {place}"),
            source,
        }
    } else {
        Error::io(format!("{step} {place} to run {program:?}"), source)
    }
}
