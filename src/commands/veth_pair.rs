//! `podnet veth pair <pod|host-if>`: one pod's interfaces and their host veths.

use std::io::Write;

use crate::analyze::{resolve, veth};
use crate::cli::VethPairArgs;
use crate::error::{Error, Outcome, Result};
use crate::model::{PairStatus, VethReport};
use crate::render;

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions, VisitWants};

pub fn run(ctx: &Ctx, args: &VethPairArgs, out: &mut dyn Write) -> Result<Outcome> {
    let mut inv = inventory::scan(
        ctx,
        "veth pair",
        &ScanOptions {
            deep: false,
            visit: VisitWants {
                stats: args.stats,
                routes: true,
                ..VisitWants::PAIRING
            },
        },
    )?;
    let all = veth::pair_all(&inv.report.namespaces, &mut inv.extra, args.stats);
    // A host interface name is a reverse lookup; anything else names a pod.
    let by_host_if: Vec<_> = all
        .iter()
        .filter(|p| p.host_if.as_ref().is_some_and(|h| h.name == args.target))
        .cloned()
        .collect();
    let pairs = if !by_host_if.is_empty() {
        by_host_if
    } else {
        let ns = &inv.report.namespaces
            [inventory::resolve_ref(&ctx.root, &inv.report.namespaces, &args.target)?];
        if ns.host {
            return Err(Error::with_hint(
                "the host network namespace has no pod side to pair",
                "name a pod, or a host veth such as cali1234abcd567",
            ));
        }
        let rows: Vec<_> = all
            .into_iter()
            .filter(|p| p.netns_inode == Some(ns.inode))
            .collect();
        if rows.is_empty() {
            return Err(Error::NotFound(format!(
                "{} has no interface besides lo",
                resolve::label(ns)
            )));
        }
        rows
    };
    let unpaired = pairs
        .iter()
        .any(|p| matches!(p.status, PairStatus::PeerNotFound | PairStatus::Orphan));
    let report = VethReport {
        pairs,
        warnings: inv.report.warnings,
    };
    if ctx.json() {
        render::veth::json(out, &report)?;
    } else {
        for (i, p) in report.pairs.iter().enumerate() {
            if i > 0 {
                writeln!(out).map_err(Error::output)?;
            }
            render::veth::pair_detail(out, p, &ctx.style)?;
        }
        ctx.warn(&report.warnings);
    }
    Ok(if unpaired {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}
