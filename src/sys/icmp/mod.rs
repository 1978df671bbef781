//! An in-process ICMP echo prober ("ping" without spawning ping), kernel
//! I/O. Probes run from any network namespace: a helper thread `setns()`s
//! into the source namespace and opens a raw ICMP socket there (raw, not a
//! "ping" datagram socket: `net.ipv4.ping_group_range` is `1 0` — ping
//! sockets off — in every new namespace), so it needs CAP_NET_RAW.
//!
//! What a probe can say, per attempt: a reply with its round-trip time, a
//! timeout, an ICMP error naming the router that sent it (unreachable with
//! its code, fragmentation needed / packet too big with the next-hop MTU,
//! time exceeded), or a local send error (`EMSGSIZE` when a don't-fragment
//! packet exceeds the route's MTU, `ENETUNREACH` without a route, `EPERM`
//! from a firewall on OUTPUT).
//!
//! ```no_run
//! use std::time::Duration;
//! use podnet::sys::icmp::{self, Batch, Probe};
//! // from one pod: a normal ping and a 1450-byte DF ping, 2 attempts each
//! let probes = vec![
//!     Probe::new("10.244.2.3".parse().unwrap()),
//!     Probe::new("10.244.2.3".parse().unwrap()).size(1450).dont_fragment(true).count(2),
//! ];
//! let results = icmp::probe(Some("/run/netns/pod-a".as_ref()), &probes).unwrap();
//! assert!(results[0].ok());
//! // many sources at once, one thread per batch up to the limit
//! let batches = vec![Batch { netns: Some("/run/netns/pod-a".into()), probes }];
//! for r in icmp::probe_many(&batches, 16) { let _ = r; }
//! ```
//!
//! Every probe gets its own ICMP identifier (a per-process random base plus
//! a counter), and attempts are numbered by sequence, so many probes — from
//! one thread, many threads, or other processes — run at once without
//! taking each other's replies. IPv4 and IPv6 are both supported.
//!
//! The parts: `codec` (the wire format, pure), `outcome` and `model` (plain
//! data), `socket` (the raw sockets, the only kernel I/O), `schedule`
//! (pacing, matching answers to sends, timeouts, over a socket trait);
//! this file enters namespaces and wires them.

use std::fs::File;
use std::io;
use std::path::Path;

mod codec;
mod model;
mod outcome;
mod schedule;
mod socket;

pub use codec::{Received, checksum, echo_request, parse_v4, parse_v6};
pub use model::{Attempt, Batch, Probe, ProbeResult};
pub use outcome::Outcome;
pub use schedule::Pacer;

/// The default rate of [`probe_many`]: fast, and far below what makes a
/// 2-core machine drop packets.
pub const DEFAULT_PPS: u32 = 20_000;

/// Runs `probes` from the calling thread's network namespace.
pub fn probe_here(probes: &[Probe]) -> io::Result<Vec<ProbeResult>> {
    probe_paced(probes, None)
}

/// Runs `probes` from the calling thread's namespace, every send spaced
/// by `pacer` when given (shared by the threads of [`probe_many`]).
pub fn probe_paced(probes: &[Probe], pacer: Option<&Pacer>) -> io::Result<Vec<ProbeResult>> {
    let mut socks = socket::RawSockets::open_for(probes)?;
    schedule::run(&mut socks, probes, pacer)
}

/// Runs `probes` from the namespace at `netns` (on a helper thread), or
/// from the caller's when `None`.
pub fn probe(netns: Option<&Path>, probes: &[Probe]) -> io::Result<Vec<ProbeResult>> {
    let Some(path) = netns else {
        return probe_here(probes);
    };
    let file = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", path.display())))?;
    std::thread::scope(|s| {
        s.spawn(|| {
            crate::sys::netns::enter(&file)
                .map_err(|e| io::Error::new(e.kind(), format!("setns {}: {e}", path.display())))?;
            probe_here(probes)
        })
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the probe thread panicked")))
    })
}

/// Runs every batch, each from its own namespace, on up to `threads`
/// helper threads (a thread enters one namespace after another); results
/// in the order of `batches`. Batches run concurrently, so the time is
/// about that of the slowest batches, not their sum; all sends together
/// are paced at [`DEFAULT_PPS`].
pub fn probe_many(batches: &[Batch], threads: usize) -> Vec<io::Result<Vec<ProbeResult>>> {
    probe_many_paced(batches, threads, DEFAULT_PPS)
}

/// [`probe_many`] at `pps` packets per second in all.
pub fn probe_many_paced(
    batches: &[Batch],
    threads: usize,
    pps: u32,
) -> Vec<io::Result<Vec<ProbeResult>>> {
    let pacer = Pacer::new(pps);
    crate::sys::parallel::each_index(batches.len(), threads, |i| {
        let b = &batches[i];
        if let Some(p) = &b.netns {
            let f = File::open(p)
                .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", p.display())))?;
            crate::sys::netns::enter(&f)
                .map_err(|e| io::Error::new(e.kind(), format!("setns {}: {e}", p.display())))?;
        }
        probe_paced(&b.probes, Some(&pacer))
    })
    .into_iter()
    .map(|r| r.unwrap_or_else(|| Err(io::Error::other("the probe thread died"))))
    .collect()
}
