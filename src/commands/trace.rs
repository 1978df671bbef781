//! `podnet trace <pod> <destination[:port]>`: the path a packet from a pod
//! would take, hop by hop across namespaces, and the reply's way back when
//! the destination is a pod on this machine, computed from kernel state (no
//! packet is sent), with the first hop that cannot forward marked;
//! `--verify` then probes the flow while watching the kernel's drops.

use std::io::Write;

use crate::analyze::doctor::FibQuery;
use crate::analyze::netfilter_path::Proto;
use crate::analyze::probe::Mode;
use crate::analyze::trace::walk::{self, Machine, NodeReader};
use crate::analyze::trace::{self, verify};
use crate::analyze::{resolve, veth};
use crate::cli::TraceArgs;
use crate::error::{Error, Outcome, Result};
use crate::model::Netns;
use crate::model::doctor::{FibLookup, NodeFacts};
use crate::model::trace::{Agreement, HopStatus, TraceReport, Verification};
use crate::render;

use super::ctx::Ctx;
use super::drops::Watch;
use super::inventory::{self, ScanOptions, VisitWants};
use super::node_facts::{lookup, read_with_lookups, visit};
use super::probe;

pub fn run(ctx: &Ctx, args: &TraceArgs, out: &mut dyn Write) -> Result<Outcome> {
    let (port, proto) = flow_of(args)?;
    // before the scan starts threads: watching may mount tracefs privately
    let mut watch = if args.verify {
        verify_mode(proto, port)?;
        Some(Watch::start(ctx)?)
    } else {
        None
    };
    let mut inv = inventory::scan(
        ctx,
        "trace",
        &ScanOptions {
            deep: false,
            visit: VisitWants {
                stats: true,
                ..VisitWants::PAIRING
            },
        },
    )?;
    let nss = &inv.report.namespaces;
    let pod = &nss[inventory::resolve_ref(&ctx.root, nss, &args.pod)?];
    if pod.host {
        return Err(Error::Usage(
            "trace starts in a pod; the host netns is not one".into(),
        ));
    }
    let dst = args.destination.address(nss)?;
    let pairs = veth::pair_all(nss, &mut inv.extra, false);
    let label = resolve::label(pod);
    let reader = KernelReader { ctx };
    let machine = Machine { nss, pairs: &pairs };
    let (mut hops, both) = walk::both_ways(&reader, &machine, pod, dst, proto, port)?;
    let blocked = trace::finish(&mut hops);
    let mut warnings = inv.report.warnings;
    let verify = match watch.as_mut() {
        Some(w) => {
            let (probe, mut more) =
                probe::verified_run(ctx, nss, pod, verify_mode(proto, port)?, dst, 3, w);
            warnings.append(&mut more);
            let (agreement, verdict) = verify::judge(&hops, &probe);
            Some(Verification {
                agreement,
                verdict,
                probe,
            })
        }
        None => None,
    };
    let report = TraceReport {
        from: label,
        to: match port {
            Some(p) if dst.is_ipv6() => format!("[{dst}]:{p}"),
            Some(p) => format!("{dst}:{p}"),
            None => dst.to_string(),
        },
        proto: proto.as_str().into(),
        port,
        verdict: trace::verdict(&hops, both),
        delivered: blocked.is_none(),
        blocked,
        hops,
        verify,
        warnings,
    };
    if ctx.json() {
        render::write_json(out, &report)?;
    } else {
        render::trace::text(out, &report, &ctx.style)?;
        ctx.warn(&report.warnings);
    }
    let blocked = report.hops.iter().any(|h| h.status == HopStatus::Blocked);
    let disagrees = report
        .verify
        .as_ref()
        .is_some_and(|v| v.agreement == Agreement::Disagrees);
    Ok(if blocked || disagrees {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

/// The traced protocol and the port, from the arguments alone (the
/// destination may still be a pod reference, its port after a colon).
fn flow_of(args: &TraceArgs) -> Result<(Option<u16>, Proto)> {
    let port = args.port.or(args.destination.port());
    let proto = match args.proto {
        Some(p) => p,
        None if port.is_some() => Proto::Tcp,
        None => Proto::Icmp,
    };
    if proto == Proto::Icmp && port.is_some() {
        return Err(Error::Usage("--port needs --proto tcp or udp".into()));
    }
    Ok((port, proto))
}

/// What `--verify` sends for the traced flow.
fn verify_mode(proto: Proto, port: Option<u16>) -> Result<Mode> {
    match (proto, port) {
        (Proto::Icmp, _) => Ok(Mode::Icmp),
        (Proto::Tcp, Some(p)) => Ok(Mode::Tcp(p)),
        (Proto::Udp, Some(p)) => Ok(Mode::Udp(p)),
        (_, None) => Err(Error::Usage(format!(
            "--verify sends real {} packets: give the port (DESTINATION:PORT or --port)",
            proto.as_str()
        ))),
    }
}

/// Reads each namespace's facts in the kernel for the walk.
struct KernelReader<'a> {
    ctx: &'a Ctx,
}

impl NodeReader for KernelReader<'_> {
    fn facts(&self, ns: &Netns, queries: &[FibQuery]) -> Result<NodeFacts> {
        visit(&inventory::target(&self.ctx.root, ns), |inside| {
            read_with_lookups(inside, queries)
        })
    }

    fn lookup(&self, ns: &Netns, facts: &NodeFacts, q: &FibQuery) -> Result<FibLookup> {
        visit(&inventory::target(&self.ctx.root, ns), |inside| {
            Ok(lookup(inside, facts, q))
        })
    }
}
