//! `podnet veth top`: live per-pod rates and drop/error deltas until interrupted.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::analyze::rates::{self, Sample};
use crate::analyze::veth;
use crate::cli::{TopSort, VethTopArgs};
use crate::error::{Error, Outcome, Result};
use crate::model::netns::LinkStats;
use crate::model::{Netns, VethPair};
use crate::render;
use crate::sys::{self, signals};

use super::ctx::Ctx;
use super::inventory::{self, ScanOptions, VisitWants};

pub fn run(ctx: &Ctx, args: &VethTopArgs, out: &mut dyn Write) -> Result<Outcome> {
    let mut inv = inventory::scan(
        ctx,
        "veth top",
        &ScanOptions {
            deep: false,
            visit: VisitWants::PAIRING,
        },
    )?;
    let pairs: Vec<VethPair> = veth::pair_all(&inv.report.namespaces, &mut inv.extra, false)
        .into_iter()
        .filter(|p| p.pod_if.is_some())
        .collect();
    ctx.warn(&inv.report.warnings);
    // Only the namespaces that hold one side of a row need re-reading.
    let wanted: Vec<u64> = pairs
        .iter()
        .flat_map(|p| {
            p.netns_inode
                .into_iter()
                .chain(p.host_if.as_ref().map(|h| h.netns_inode))
        })
        .collect();
    let to_read: Vec<&Netns> = inv
        .report
        .namespaces
        .iter()
        .filter(|n| wanted.contains(&n.inode))
        .collect();
    signals::catch_interrupts().map_err(|e| Error::io("install the Ctrl-C handler", e))?;
    let interactive = !ctx.json() && std::io::stdout().is_terminal();

    let mut before = samples(&pairs, &inventory::link_counters(&ctx.root, &to_read));
    let mut at = Instant::now();
    let mut n = 0u64;
    loop {
        if signals::sleep_interruptibly(wait_before(n, args.interval, interactive)) {
            break;
        }
        let now = samples(&pairs, &inventory::link_counters(&ctx.root, &to_read));
        let secs = at.elapsed().as_secs_f64();
        at = Instant::now();
        let mut rows: Vec<_> = pairs
            .iter()
            .enumerate()
            .filter_map(|(i, p)| rates::row(p, before.get(&i)?, now.get(&i)?, secs))
            .collect();
        rates::sort(
            &mut rows,
            args.sort == TopSort::Drops,
            args.sort == TopSort::Name,
        );
        n += 1;
        if ctx.json() {
            render::veth::top_json_line(out, n, secs, &rows)?;
        } else {
            let fit = interactive
                .then(sys::term::stdout_size)
                .flatten()
                .map(|s| rows_that_fit(s.rows));
            render::veth::top_table(
                out,
                &rows,
                args.interval.as_secs_f64(),
                interactive,
                fit,
                &ctx.style,
            )?;
        }
        out.flush().map_err(Error::output)?;
        before = now;
        if args.count.is_some_and(|c| n >= c) {
            return Ok(Outcome::Clean);
        }
    }
    if interactive {
        writeln!(out).map_err(Error::output)?;
    }
    Ok(Outcome::Interrupted)
}

/// The first frame of a screen comes after a short sample, not a whole
/// interval of empty screen; later ones (and every piped or JSON sample)
/// after the interval.
fn wait_before(frame: u64, interval: Duration, interactive: bool) -> Duration {
    if frame == 0 && interactive {
        interval.min(FIRST_SAMPLE)
    } else {
        interval
    }
}

/// How long the first sample of a screen lasts.
const FIRST_SAMPLE: Duration = Duration::from_millis(300);

/// Table rows a screen of `rows` lines holds beside the title, the blank
/// line, the header, the "more" line and the cursor's line.
fn rows_that_fit(rows: u16) -> usize {
    usize::from(rows).saturating_sub(5).max(1)
}

/// Each row's counters (pod side, host side) by row index.
fn samples(
    pairs: &[VethPair],
    counters: &HashMap<(u64, u32), LinkStats>,
) -> HashMap<usize, Sample> {
    pairs
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let pod = counters.get(&(p.netns_inode?, p.pod_if.as_ref()?.ifindex))?;
            let host = p
                .host_if
                .as_ref()
                .and_then(|h| counters.get(&(h.netns_inode, h.ifindex)).copied());
            Some((i, Sample { pod: *pod, host }))
        })
        .collect()
}
