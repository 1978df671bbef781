//! The prober's scheduler: sends each probe's attempts at their interval
//! (every send spaced by a shared [`Pacer`] when given), matches what comes
//! back to the attempt it answers by identifier, sequence and target, and
//! expires the attempts nothing answered in time. It reads the clock and
//! draws the identifiers' random base (getrandom), and does no other I/O
//! of its own: it drives a [`Sockets`], the raw sockets of `socket.rs` or
//! the tests' fake.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::codec::{Received, echo_request, parse_v4, parse_v6};
use super::model::{Attempt, Probe, ProbeResult};
use super::outcome::Outcome;

/// The ICMP and ICMPv6 sockets of one run, as the scheduler uses them.
pub(super) trait Sockets {
    /// Applies the don't-fragment setting to the socket of the family
    /// (`v6` or IPv4).
    fn set_df(&mut self, v6: bool, on: bool) -> io::Result<()>;
    /// Sends one ICMP message to `target`.
    fn send_to(&mut self, packet: &[u8], target: IpAddr) -> io::Result<()>;
    /// One datagram waiting on the family's socket: its length in `buf`
    /// and, on IPv6, its source. None when nothing is waiting or there is
    /// no such socket.
    fn recv(&mut self, v6: bool, buf: &mut [u8]) -> io::Result<Option<(usize, Option<Ipv6Addr>)>>;
    /// Returns when something can be read or `timeout` has passed.
    fn wait(&mut self, timeout: Duration);
}

/// Spaces the sends of many probers (threads) so that together they send
/// at most `pps` packets per second: a burst of thousands of pings from
/// every pod at once overflows the kernel's per-CPU backlog and the
/// neighbour queues, and the losses would be the prober's, not the
/// network's.
#[derive(Debug)]
pub struct Pacer {
    base: Instant,
    interval_ns: u64,
    next_ns: AtomicU64,
}

impl Pacer {
    pub fn new(pps: u32) -> Pacer {
        Pacer {
            base: Instant::now(),
            interval_ns: 1_000_000_000 / u64::from(pps.max(1)),
            next_ns: AtomicU64::new(0),
        }
    }

    /// Reserves the next send slot; returns when it is.
    fn reserve(&self) -> Instant {
        let now = self.base.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        let mut cur = self.next_ns.load(Ordering::Relaxed);
        loop {
            let slot = cur.max(now);
            match self.next_ns.compare_exchange_weak(
                cur,
                slot + self.interval_ns,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return self.base + Duration::from_nanos(slot),
                Err(x) => cur = x,
            }
        }
    }
}

/// Identifiers: a per-process random base plus a counter.
fn next_id() -> u16 {
    static BASE: AtomicU16 = AtomicU16::new(0);
    static NEXT: AtomicU16 = AtomicU16::new(0);
    if BASE.load(Ordering::Relaxed) == 0 {
        let r = crate::sys::random::bytes(2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            .unwrap_or(std::process::id() as u16);
        let _ = BASE.compare_exchange(0, r | 1, Ordering::Relaxed, Ordering::Relaxed);
    }
    BASE.load(Ordering::Relaxed)
        .wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs `probes` over `socks`, every send spaced by `pacer` when given.
pub(super) fn run<S: Sockets>(
    socks: &mut S,
    probes: &[Probe],
    pacer: Option<&Pacer>,
) -> io::Result<Vec<ProbeResult>> {
    let mut run = Run::new(socks, probes, pacer);
    loop {
        run.send_due()?;
        let now = Instant::now();
        run.expire(now);
        if run.pending.is_empty() && !run.more_to_send() {
            break;
        }
        // sleep until the next send or expiry, or until something arrives
        let wake = run.next_wake(now);
        run.socks
            .wait(wake.saturating_duration_since(Instant::now()));
        run.drain()?;
    }
    Ok(run.results)
}

/// An attempt waiting for its answer.
struct Pending {
    probe: usize,
    attempt: usize,
    sent: Instant,
}

/// What is waiting for answers, and the results so far.
struct Run<'a, S> {
    socks: &'a mut S,
    probes: &'a [Probe],
    pacer: Option<&'a Pacer>,
    start: Instant,
    results: Vec<ProbeResult>,
    by_id: HashMap<u16, usize>,
    /// Attempts sent (or refused) per probe.
    sent: Vec<u32>,
    answered: Vec<bool>,
    pending: HashMap<(u16, u16), Pending>,
    buf: Vec<u8>,
}

impl<'a, S: Sockets> Run<'a, S> {
    fn new(socks: &'a mut S, probes: &'a [Probe], pacer: Option<&'a Pacer>) -> Self {
        let results: Vec<ProbeResult> = probes
            .iter()
            .map(|p| ProbeResult {
                target: p.target,
                id: next_id(),
                packet_size: p.packet_size(),
                dont_fragment: p.dont_fragment,
                attempts: Vec::new(),
            })
            .collect();
        Run {
            socks,
            probes,
            pacer,
            by_id: results.iter().enumerate().map(|(i, r)| (r.id, i)).collect(),
            results,
            sent: vec![0; probes.len()],
            answered: vec![false; probes.len()],
            pending: HashMap::new(),
            buf: vec![0u8; 65536],
            start: Instant::now(),
        }
    }

    fn wants_more(&self, i: usize) -> bool {
        let p = &self.probes[i];
        self.sent[i] < p.count && !(p.stop_on_reply && self.answered[i])
    }

    fn more_to_send(&self) -> bool {
        (0..self.probes.len()).any(|i| self.wants_more(i))
    }

    /// When probe `i`'s next attempt is due.
    fn due(&self, i: usize) -> Instant {
        self.start + self.probes[i].interval * self.sent[i]
    }

    /// Sends what is due, each at its paced slot, reading replies meanwhile.
    fn send_due(&mut self) -> io::Result<()> {
        for i in 0..self.probes.len() {
            if !self.wants_more(i) || Instant::now() < self.due(i) {
                continue;
            }
            self.wait_for_slot()?;
            self.send(i)?;
        }
        Ok(())
    }

    /// Waits for the pacer's next slot (none: goes on at once), reading
    /// what arrives meanwhile.
    fn wait_for_slot(&mut self) -> io::Result<()> {
        let Some(pacer) = self.pacer else {
            return Ok(());
        };
        let slot = pacer.reserve();
        loop {
            let now = Instant::now();
            if now >= slot {
                return Ok(());
            }
            self.socks.wait(slot - now);
            self.drain()?;
        }
    }

    /// Sends probe `i`'s next attempt: pending its answer, or refused.
    fn send(&mut self, i: usize) -> io::Result<()> {
        let p = &self.probes[i];
        let seq = seq_of(self.sent[i]);
        self.sent[i] += 1;
        let v6 = p.target.is_ipv6();
        self.socks.set_df(v6, p.dont_fragment)?;
        let id = self.results[i].id;
        let packet = echo_request(v6, id, seq, p.payload);
        let outcome = match self.socks.send_to(&packet, p.target) {
            Ok(()) => {
                let attempt = self.results[i].attempts.len();
                let sent = Instant::now();
                self.pending.insert(
                    (id, seq),
                    Pending {
                        probe: i,
                        attempt,
                        sent,
                    },
                );
                Outcome::Timeout
            }
            Err(e) => Outcome::SendError {
                errno: e.raw_os_error().unwrap_or(0),
                message: e.to_string(),
            },
        };
        self.results[i].attempts.push(Attempt { seq, outcome });
        Ok(())
    }

    /// Forgets the attempts whose time is up (they stay timeouts).
    fn expire(&mut self, now: Instant) {
        let probes = self.probes;
        self.pending
            .retain(|_, pe| now < pe.sent + probes[pe.probe].timeout);
    }

    /// The next send or expiry (at most an hour away).
    fn next_wake(&self, now: Instant) -> Instant {
        let mut wake = now + Duration::from_secs(3600);
        for i in 0..self.probes.len() {
            if self.wants_more(i) {
                wake = wake.min(self.due(i));
            }
        }
        for pe in self.pending.values() {
            wake = wake.min(pe.sent + self.probes[pe.probe].timeout);
        }
        wake
    }

    /// Reads everything waiting on the sockets, IPv4's first.
    fn drain(&mut self) -> io::Result<()> {
        for v6 in [false, true] {
            while let Some((n, src)) = self.socks.recv(v6, &mut self.buf)? {
                let got = match src {
                    Some(s) if v6 => parse_v6(&self.buf[..n], s),
                    _ if !v6 => parse_v4(&self.buf[..n]),
                    _ => None,
                };
                if let Some(r) = got {
                    self.answer(r);
                }
            }
        }
        Ok(())
    }

    /// Files `r` under the pending attempt it answers, if any: a reply
    /// gets its round-trip time; later answers to the attempt are dropped.
    fn answer(&mut self, mut r: Received) {
        let Some(&i) = self.by_id.get(&r.id) else {
            return;
        };
        if r.target != self.probes[i].target {
            return;
        }
        let Some(pe) = self.pending.remove(&(r.id, r.seq)) else {
            return;
        };
        if let Outcome::Reply { rtt_us, .. } = &mut r.outcome {
            *rtt_us = pe.sent.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
            self.answered[i] = true;
        }
        self.results[i].attempts[pe.attempt].outcome = r.outcome;
    }
}

/// The ICMP sequence number of the attempt after `sent` earlier ones: 1, 2,
/// … wrapping at 16 bits (`--count` goes beyond 65,535).
fn seq_of(sent: u32) -> u16 {
    (sent as u16).wrapping_add(1)
}

#[cfg(test)]
mod tests;
