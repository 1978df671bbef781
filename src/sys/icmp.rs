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

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// One destination and how to ask it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub target: IpAddr,
    /// Bytes after the 8-byte ICMP header (ping's `-s`; 56 by default).
    pub payload: usize,
    /// Set the don't-fragment bit (IPv4 `IP_PMTUDISC_DO`; IPv6 never
    /// fragments on the way, this only stops local fragmentation).
    pub dont_fragment: bool,
    /// Attempts (at least 1).
    pub count: u32,
    /// Between attempts.
    pub interval: Duration,
    /// How long each attempt waits for its answer.
    pub timeout: Duration,
    /// Send no further attempts once one is answered by a reply.
    pub stop_on_reply: bool,
}

impl Probe {
    /// 56 data bytes, DF off, one attempt, 1 s timeout.
    pub fn new(target: IpAddr) -> Probe {
        Probe {
            target,
            payload: 56,
            dont_fragment: false,
            count: 1,
            interval: Duration::from_millis(200),
            timeout: Duration::from_secs(1),
            stop_on_reply: true,
        }
    }

    /// Sets the payload so that the whole IP packet is `bytes` long.
    pub fn size(mut self, bytes: usize) -> Probe {
        self.payload = bytes.saturating_sub(header_len(self.target) + ICMP_HDR);
        self
    }

    pub fn payload(mut self, bytes: usize) -> Probe {
        self.payload = bytes;
        self
    }

    pub fn dont_fragment(mut self, on: bool) -> Probe {
        self.dont_fragment = on;
        self
    }

    pub fn count(mut self, n: u32) -> Probe {
        self.count = n.max(1);
        self
    }

    pub fn interval(mut self, d: Duration) -> Probe {
        self.interval = d;
        self
    }

    pub fn timeout(mut self, d: Duration) -> Probe {
        self.timeout = d;
        self
    }

    pub fn stop_on_reply(mut self, on: bool) -> Probe {
        self.stop_on_reply = on;
        self
    }

    /// Bytes of the IP packet each attempt sends.
    pub fn packet_size(&self) -> usize {
        header_len(self.target) + ICMP_HDR + self.payload
    }
}

/// What one attempt got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// An echo reply.
    Reply {
        from: IpAddr,
        rtt_us: u64,
        /// IPv4 TTL of the reply (None on IPv6).
        ttl: Option<u8>,
    },
    /// Nothing came back in time.
    Timeout,
    /// Destination unreachable (IPv4 type 3 / IPv6 type 1; `code` as sent),
    /// or an IPv4 parameter problem (type 12, code + 100).
    Unreachable { from: IpAddr, code: u8 },
    /// IPv4 "fragmentation needed" (type 3 code 4) or IPv6 "packet too
    /// big": a don't-fragment packet met a smaller MTU at `from`.
    FragmentationNeeded { from: IpAddr, mtu: u32 },
    /// TTL / hop limit exceeded at `from`.
    TimeExceeded { from: IpAddr },
    /// The kernel refused to send (`EMSGSIZE`: bigger than the route's MTU
    /// with DF; `ENETUNREACH`: no route; `EPERM`: a firewall).
    SendError { errno: i32, message: String },
}

impl Outcome {
    pub fn is_reply(&self) -> bool {
        matches!(self, Outcome::Reply { .. })
    }

    /// A few words: `reply 0.12 ms`, `timeout`, `unreachable from 10.0.0.1 (code 0)`…
    pub fn describe(&self) -> String {
        match self {
            Outcome::Reply { rtt_us, .. } => format!("reply {:.2} ms", *rtt_us as f64 / 1000.0),
            Outcome::Timeout => "timeout".into(),
            Outcome::Unreachable { from, code } => {
                let what = match code {
                    0 => "network unreachable",
                    1 => "host unreachable",
                    3 => "port unreachable",
                    9 | 10 | 13 => "administratively prohibited",
                    c if *c >= 100 => "parameter problem",
                    _ => "unreachable",
                };
                format!("{what} (from {from}, code {code})")
            }
            Outcome::FragmentationNeeded { from, mtu } => {
                format!("fragmentation needed: MTU {mtu} at {from}")
            }
            Outcome::TimeExceeded { from } => format!("time exceeded at {from}"),
            Outcome::SendError { message, .. } => format!("not sent: {message}"),
        }
    }
}

/// One attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub seq: u16,
    pub outcome: Outcome,
}

/// The result of one probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeResult {
    pub target: IpAddr,
    pub id: u16,
    /// Bytes of each IP packet sent.
    pub packet_size: usize,
    pub dont_fragment: bool,
    pub attempts: Vec<Attempt>,
}

impl ProbeResult {
    /// Some attempt got a reply.
    pub fn ok(&self) -> bool {
        self.attempts.iter().any(|a| a.outcome.is_reply())
    }

    /// The shortest round-trip time of the replies.
    pub fn best_rtt(&self) -> Option<Duration> {
        self.attempts
            .iter()
            .filter_map(|a| match a.outcome {
                Outcome::Reply { rtt_us, .. } => Some(Duration::from_micros(rtt_us)),
                _ => None,
            })
            .min()
    }

    /// The most telling failure: an ICMP error or send error over a timeout.
    pub fn failure(&self) -> Option<&Outcome> {
        if self.ok() {
            return None;
        }
        self.attempts
            .iter()
            .map(|a| &a.outcome)
            .find(|o| !matches!(o, Outcome::Timeout))
            .or_else(|| self.attempts.last().map(|a| &a.outcome))
    }
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

/// The default rate of [`probe_many`]: fast, and far below what makes a
/// 2-core machine drop packets.
pub const DEFAULT_PPS: u32 = 20_000;

/// The probes of one source namespace (`None`: the caller's).
#[derive(Debug, Clone)]
pub struct Batch {
    pub netns: Option<PathBuf>,
    pub probes: Vec<Probe>,
}

const ICMP_HDR: usize = 8;
const ICMP_ECHO: u8 = 8;
const ICMP_ECHOREPLY: u8 = 0;
const ICMP_DEST_UNREACH: u8 = 3;
const ICMP_TIME_EXCEEDED: u8 = 11;
const ICMP_PARAMETERPROB: u8 = 12;
const ICMP_FRAG_NEEDED: u8 = 4;
const ICMP6_DST_UNREACH: u8 = 1;
const ICMP6_PACKET_TOO_BIG: u8 = 2;
const ICMP6_TIME_EXCEEDED: u8 = 3;
const ICMP6_PARAM_PROB: u8 = 4;
const ICMP6_ECHO_REQUEST: u8 = 128;
const ICMP6_ECHO_REPLY: u8 = 129;
/// `SOL_RAW` / `ICMP_FILTER` (linux/icmp.h).
const SOL_RAW: libc::c_int = 255;
const ICMP_FILTER: libc::c_int = 1;
/// `ICMP6_FILTER` (linux/icmpv6.h), at level IPPROTO_ICMPV6.
const ICMP6_FILTER: libc::c_int = 1;

fn header_len(ip: IpAddr) -> usize {
    if ip.is_ipv4() { 20 } else { 40 }
}

/// Identifiers: a per-process random base plus a counter.
fn next_id() -> u16 {
    static BASE: AtomicU16 = AtomicU16::new(0);
    static NEXT: AtomicU16 = AtomicU16::new(0);
    if BASE.load(Ordering::Relaxed) == 0 {
        let r = super::random::bytes(2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            .unwrap_or(std::process::id() as u16);
        let _ = BASE.compare_exchange(0, r | 1, Ordering::Relaxed, Ordering::Relaxed);
    }
    BASE.load(Ordering::Relaxed)
        .wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The Internet checksum.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum = sum.wrapping_add(u32::from(w));
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request: type, code, checksum (IPv4 only; the kernel computes
/// ICMPv6's), id, seq, then a recognisable payload.
pub fn echo_request(v6: bool, id: u16, seq: u16, payload: usize) -> Vec<u8> {
    let mut p = vec![0u8; ICMP_HDR + payload];
    p[0] = if v6 { ICMP6_ECHO_REQUEST } else { ICMP_ECHO };
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[6..8].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in p[ICMP_HDR..].iter_mut().enumerate() {
        *b = b"podnet-probe "[i % 13];
    }
    if !v6 {
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// What a received packet is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub id: u16,
    pub seq: u16,
    /// The target the answered request was sent to (for errors: the
    /// quoted packet's destination; for replies: the reply's source).
    pub target: IpAddr,
    pub outcome: Outcome,
}

/// The smallest IPv4 header (IHL 5).
const IPV4_MIN_HDR: usize = 20;

/// Parses what an IPv4 raw ICMP socket received (IP header included).
pub fn parse_v4(buf: &[u8]) -> Option<Received> {
    let ihl = usize::from(buf.first()? & 0x0f) * 4;
    // an IPv4 header is at least 20 bytes, whatever its IHL field claims
    if ihl < IPV4_MIN_HDR
        || buf.len() < ihl + ICMP_HDR
        || buf[0] >> 4 != 4
        || buf[9] != libc::IPPROTO_ICMP as u8
    {
        return None;
    }
    let ttl = buf[8];
    let src = IpAddr::V4(Ipv4Addr::new(buf[12], buf[13], buf[14], buf[15]));
    let icmp = &buf[ihl..];
    let (ty, code) = (icmp[0], icmp[1]);
    if ty == ICMP_ECHOREPLY && code == 0 {
        return Some(Received {
            id: u16::from_be_bytes([icmp[4], icmp[5]]),
            seq: u16::from_be_bytes([icmp[6], icmp[7]]),
            target: src,
            outcome: Outcome::Reply {
                from: src,
                rtt_us: 0,
                ttl: Some(ttl),
            },
        });
    }
    if !matches!(
        ty,
        ICMP_DEST_UNREACH | ICMP_TIME_EXCEEDED | ICMP_PARAMETERPROB
    ) {
        return None;
    }
    // the quoted packet: its IP header, then our echo request's first 8 bytes
    let inner = &icmp[ICMP_HDR..];
    let iihl = usize::from(inner.first()? & 0x0f) * 4;
    if iihl < IPV4_MIN_HDR || inner.len() < iihl + ICMP_HDR || inner[9] != libc::IPPROTO_ICMP as u8
    {
        return None;
    }
    let dst = IpAddr::V4(Ipv4Addr::new(inner[16], inner[17], inner[18], inner[19]));
    let q = &inner[iihl..];
    if q[0] != ICMP_ECHO {
        return None;
    }
    let outcome = match (ty, code) {
        (ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED) => Outcome::FragmentationNeeded {
            from: src,
            mtu: u32::from(u16::from_be_bytes([icmp[6], icmp[7]])),
        },
        (ICMP_DEST_UNREACH, c) => Outcome::Unreachable { from: src, code: c },
        (ICMP_TIME_EXCEEDED, _) => Outcome::TimeExceeded { from: src },
        (_, c) => Outcome::Unreachable {
            from: src,
            code: c.saturating_add(100),
        },
    };
    Some(Received {
        id: u16::from_be_bytes([q[4], q[5]]),
        seq: u16::from_be_bytes([q[6], q[7]]),
        target: dst,
        outcome,
    })
}

/// Parses what an IPv6 raw ICMPv6 socket received (no IP header) from `src`.
pub fn parse_v6(buf: &[u8], src: Ipv6Addr) -> Option<Received> {
    if buf.len() < ICMP_HDR {
        return None;
    }
    let (ty, code) = (buf[0], buf[1]);
    let from = IpAddr::V6(src);
    if ty == ICMP6_ECHO_REPLY {
        return Some(Received {
            id: u16::from_be_bytes([buf[4], buf[5]]),
            seq: u16::from_be_bytes([buf[6], buf[7]]),
            target: from,
            outcome: Outcome::Reply {
                from,
                rtt_us: 0,
                ttl: None,
            },
        });
    }
    if !matches!(
        ty,
        ICMP6_DST_UNREACH | ICMP6_PACKET_TOO_BIG | ICMP6_TIME_EXCEEDED | ICMP6_PARAM_PROB
    ) {
        return None;
    }
    let inner = &buf[ICMP_HDR..];
    // the quoted IPv6 header (40 bytes, next header ICMPv6), then our request
    if inner.len() < 40 + ICMP_HDR || inner[6] != libc::IPPROTO_ICMPV6 as u8 {
        return None;
    }
    let mut d = [0u8; 16];
    d.copy_from_slice(&inner[24..40]);
    let q = &inner[40..];
    if q[0] != ICMP6_ECHO_REQUEST {
        return None;
    }
    let outcome = match ty {
        ICMP6_PACKET_TOO_BIG => Outcome::FragmentationNeeded {
            from,
            mtu: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
        },
        ICMP6_DST_UNREACH => Outcome::Unreachable { from, code },
        ICMP6_TIME_EXCEEDED => Outcome::TimeExceeded { from },
        _ => Outcome::Unreachable {
            from,
            code: code.saturating_add(100),
        },
    };
    Some(Received {
        id: u16::from_be_bytes([q[4], q[5]]),
        seq: u16::from_be_bytes([q[6], q[7]]),
        target: IpAddr::V6(Ipv6Addr::from(d)),
        outcome,
    })
}

fn last_err(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// A raw ICMP (or ICMPv6) socket in the calling thread's namespace.
struct RawSocket {
    fd: OwnedFd,
    v6: bool,
    /// The DF setting last applied.
    df: Option<bool>,
}

impl RawSocket {
    fn open(v6: bool) -> io::Result<RawSocket> {
        let (fam, proto) = if v6 {
            (libc::AF_INET6, libc::IPPROTO_ICMPV6)
        } else {
            (libc::AF_INET, libc::IPPROTO_ICMP)
        };
        // SAFETY: plain socket(2); the fd is owned right away.
        let fd = unsafe {
            libc::socket(
                fam,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                proto,
            )
        };
        if fd < 0 {
            return Err(last_err("open a raw ICMP socket (needs CAP_NET_RAW)"));
        }
        // SAFETY: fd is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let s = RawSocket { fd, v6, df: None };
        if v6 {
            // block everything but echo replies and the errors that quote us
            let mut filter = [u32::MAX; 8];
            for t in [
                ICMP6_DST_UNREACH,
                ICMP6_PACKET_TOO_BIG,
                ICMP6_TIME_EXCEEDED,
                ICMP6_PARAM_PROB,
                ICMP6_ECHO_REPLY,
            ] {
                filter[usize::from(t >> 5)] &= !(1u32 << (t & 31));
            }
            s.setsockopt(libc::IPPROTO_ICMPV6, ICMP6_FILTER, &filter)?;
        } else {
            let pass: u32 = (1 << ICMP_ECHOREPLY)
                | (1 << ICMP_DEST_UNREACH)
                | (1 << ICMP_TIME_EXCEEDED)
                | (1 << ICMP_PARAMETERPROB);
            s.setsockopt(SOL_RAW, ICMP_FILTER, &!pass)?;
        }
        // room for every reply of a large batch (FORCE needs CAP_NET_ADMIN)
        let size: libc::c_int = 4 << 20;
        if s.setsockopt(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &size)
            .is_err()
        {
            let _ = s.setsockopt(libc::SOL_SOCKET, libc::SO_RCVBUF, &size);
        }
        Ok(s)
    }

    fn setsockopt<T>(&self, level: libc::c_int, name: libc::c_int, v: &T) -> io::Result<()> {
        // SAFETY: `v` points at a live T of the length passed.
        let rc = unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                name,
                (v as *const T).cast(),
                size_of::<T>() as libc::socklen_t,
            )
        };
        if rc < 0 {
            return Err(last_err("setsockopt on the ICMP socket"));
        }
        Ok(())
    }

    fn set_df(&mut self, on: bool) -> io::Result<()> {
        if self.df == Some(on) {
            return Ok(());
        }
        let v: libc::c_int = if on {
            libc::IP_PMTUDISC_DO
        } else {
            libc::IP_PMTUDISC_DONT
        };
        if self.v6 {
            self.setsockopt(libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER, &v)?;
        } else {
            self.setsockopt(libc::IPPROTO_IP, libc::IP_MTU_DISCOVER, &v)?;
        }
        self.df = Some(on);
        Ok(())
    }

    fn send_to(&self, packet: &[u8], target: IpAddr) -> io::Result<()> {
        let rc = match target {
            IpAddr::V4(a) => {
                // SAFETY: sockaddr_in is plain data; zeroed is valid.
                let mut sa: libc::sockaddr_in = unsafe { zeroed() };
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_addr.s_addr = u32::from_ne_bytes(a.octets());
                // SAFETY: buffer and address are valid for their lengths.
                unsafe {
                    libc::sendto(
                        self.fd.as_raw_fd(),
                        packet.as_ptr().cast(),
                        packet.len(),
                        0,
                        (&sa as *const libc::sockaddr_in).cast(),
                        size_of::<libc::sockaddr_in>() as libc::socklen_t,
                    )
                }
            }
            IpAddr::V6(a) => {
                // SAFETY: sockaddr_in6 is plain data; zeroed is valid.
                let mut sa: libc::sockaddr_in6 = unsafe { zeroed() };
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_addr.s6_addr = a.octets();
                // SAFETY: buffer and address are valid for their lengths.
                unsafe {
                    libc::sendto(
                        self.fd.as_raw_fd(),
                        packet.as_ptr().cast(),
                        packet.len(),
                        0,
                        (&sa as *const libc::sockaddr_in6).cast(),
                        size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                    )
                }
            }
        };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// One datagram, or None when nothing is waiting.
    fn recv(&self, buf: &mut [u8]) -> io::Result<Option<(usize, Option<Ipv6Addr>)>> {
        // SAFETY: sockaddr_storage is plain data; zeroed is valid.
        let mut sa: libc::sockaddr_storage = unsafe { zeroed() };
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: buffer and address storage are valid for their lengths.
        let n = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
                (&mut sa as *mut libc::sockaddr_storage).cast(),
                &mut len,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock => Ok(None),
                io::ErrorKind::Interrupted => Ok(None),
                _ => Err(e),
            };
        }
        let src = if self.v6 && i32::from(sa.ss_family) == libc::AF_INET6 {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let s6: &libc::sockaddr_in6 =
                unsafe { &*(&sa as *const libc::sockaddr_storage).cast() };
            Some(Ipv6Addr::from(s6.sin6_addr.s6_addr))
        } else {
            None
        };
        Ok(Some((n as usize, src)))
    }
}

fn poll(fds: &[&RawSocket], timeout: Duration) {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|s| libc::pollfd {
            fd: s.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: pfds is a valid array of pollfd of the length passed.
    unsafe {
        libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms.max(0));
    }
}

struct Pending {
    probe: usize,
    attempt: usize,
    sent: Instant,
}

/// Runs `probes` from the calling thread's network namespace.
pub fn probe_here(probes: &[Probe]) -> io::Result<Vec<ProbeResult>> {
    probe_paced(probes, None)
}

/// What is waiting for answers, and the results so far.
struct Run<'a> {
    probes: &'a [Probe],
    results: Vec<ProbeResult>,
    by_id: HashMap<u16, usize>,
    answered: Vec<bool>,
    pending: HashMap<(u16, u16), Pending>,
    buf: Vec<u8>,
}

impl Run<'_> {
    /// Reads everything waiting on the sockets.
    fn drain(&mut self, socks: &[&RawSocket]) -> io::Result<()> {
        for sock in socks {
            while let Some((n, src)) = sock.recv(&mut self.buf)? {
                let got = match src {
                    Some(s) if sock.v6 => parse_v6(&self.buf[..n], s),
                    _ if !sock.v6 => parse_v4(&self.buf[..n]),
                    _ => None,
                };
                let Some(mut r) = got else { continue };
                let Some(&i) = self.by_id.get(&r.id) else {
                    continue;
                };
                if r.target != self.probes[i].target {
                    continue;
                }
                let Some(pe) = self.pending.remove(&(r.id, r.seq)) else {
                    continue;
                };
                if let Outcome::Reply { rtt_us, .. } = &mut r.outcome {
                    *rtt_us = pe.sent.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
                    self.answered[i] = true;
                }
                self.results[i].attempts[pe.attempt].outcome = r.outcome;
            }
        }
        Ok(())
    }
}

/// Runs `probes` from the calling thread's namespace, every send spaced
/// by `pacer` when given (shared by the threads of [`probe_many`]).
pub fn probe_paced(probes: &[Probe], pacer: Option<&Pacer>) -> io::Result<Vec<ProbeResult>> {
    let mut v4 = if probes.iter().any(|p| p.target.is_ipv4()) {
        Some(RawSocket::open(false)?)
    } else {
        None
    };
    let mut v6 = if probes.iter().any(|p| p.target.is_ipv6()) {
        Some(RawSocket::open(true)?)
    } else {
        None
    };
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
    let mut run = Run {
        probes,
        by_id: results.iter().enumerate().map(|(i, r)| (r.id, i)).collect(),
        results,
        answered: vec![false; probes.len()],
        pending: HashMap::new(),
        buf: vec![0u8; 65536],
    };
    let start = Instant::now();
    let mut sent = vec![0u32; probes.len()];
    let wants_more = |i: usize, sent: &[u32], answered: &[bool]| {
        sent[i] < probes[i].count && !(probes[i].stop_on_reply && answered[i])
    };
    loop {
        // send what is due, each at its paced slot, reading replies meanwhile
        for (i, p) in probes.iter().enumerate() {
            if !wants_more(i, &sent, &run.answered) || Instant::now() < start + p.interval * sent[i]
            {
                continue;
            }
            if let Some(pc) = pacer {
                let slot = pc.reserve();
                loop {
                    let now = Instant::now();
                    if now >= slot {
                        break;
                    }
                    let socks: Vec<&RawSocket> = v4.iter().chain(v6.iter()).collect();
                    poll(&socks, slot - now);
                    run.drain(&socks)?;
                }
            }
            let seq = sent[i] as u16 + 1;
            sent[i] += 1;
            let sock = if p.target.is_ipv4() {
                v4.as_mut()
            } else {
                v6.as_mut()
            };
            let Some(sock) = sock else { continue };
            sock.set_df(p.dont_fragment)?;
            let packet = echo_request(p.target.is_ipv6(), run.results[i].id, seq, p.payload);
            match sock.send_to(&packet, p.target) {
                Ok(()) => {
                    let attempt = run.results[i].attempts.len();
                    run.results[i].attempts.push(Attempt {
                        seq,
                        outcome: Outcome::Timeout,
                    });
                    run.pending.insert(
                        (run.results[i].id, seq),
                        Pending {
                            probe: i,
                            attempt,
                            sent: Instant::now(),
                        },
                    );
                }
                Err(e) => run.results[i].attempts.push(Attempt {
                    seq,
                    outcome: Outcome::SendError {
                        errno: e.raw_os_error().unwrap_or(0),
                        message: e.to_string(),
                    },
                }),
            }
        }
        // expire attempts
        let now = Instant::now();
        run.pending
            .retain(|_, pe| now < pe.sent + probes[pe.probe].timeout);
        let more_to_send = (0..probes.len()).any(|i| wants_more(i, &sent, &run.answered));
        if run.pending.is_empty() && !more_to_send {
            break;
        }
        // sleep until the next send or expiry, or until something arrives
        let mut wake = now + Duration::from_secs(3600);
        for (i, p) in probes.iter().enumerate() {
            if wants_more(i, &sent, &run.answered) {
                wake = wake.min(start + p.interval * sent[i]);
            }
        }
        for pe in run.pending.values() {
            wake = wake.min(pe.sent + probes[pe.probe].timeout);
        }
        let socks: Vec<&RawSocket> = v4.iter().chain(v6.iter()).collect();
        poll(&socks, wake.saturating_duration_since(Instant::now()));
        run.drain(&socks)?;
    }
    Ok(run.results)
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
            super::netns::enter(&file)
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
    super::parallel::each_index(batches.len(), threads, |i| {
        let b = &batches[i];
        if let Some(p) = &b.netns {
            let f = File::open(p)
                .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", p.display())))?;
            super::netns::enter(&f)
                .map_err(|e| io::Error::new(e.kind(), format!("setns {}: {e}", p.display())))?;
        }
        probe_paced(&b.probes, Some(&pacer))
    })
    .into_iter()
    .map(|r| r.unwrap_or_else(|| Err(io::Error::other("the probe thread died"))))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4_packet(src: [u8; 4], icmp: &[u8]) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
        p.extend_from_slice(&src);
        p.extend_from_slice(&[10, 0, 0, 1]);
        p.extend_from_slice(icmp);
        p
    }

    #[test]
    fn echo_requests_carry_id_seq_and_a_valid_checksum() {
        let p = echo_request(false, 0x1234, 7, 56);
        assert_eq!(p.len(), 64);
        assert_eq!(&p[..2], &[8, 0]);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 7]);
        assert_eq!(checksum(&p), 0);
        let q = echo_request(true, 1, 1, 3);
        assert_eq!(q[0], 128);
        assert_eq!(&q[2..4], &[0, 0]);
        assert_eq!(
            Probe::new("10.0.0.1".parse().unwrap()).size(1450).payload,
            1422
        );
        assert_eq!(Probe::new("::1".parse().unwrap()).size(1280).payload, 1232);
    }

    #[test]
    fn crafted_headers_with_a_short_ihl_or_length_are_refused_not_a_panic() {
        // every length up to 64 bytes, outer and quoted IHL fields 0..15:
        // a short header must never be indexed past its end
        for len in 0..=64usize {
            for ihl in 0..16u8 {
                for inner_ihl in [0u8, 1, 4, 5, 15] {
                    let mut b = vec![0u8; len];
                    if let Some(x) = b.get_mut(0) {
                        *x = 0x40 | ihl;
                    }
                    if let Some(x) = b.get_mut(9) {
                        *x = libc::IPPROTO_ICMP as u8;
                    }
                    let at = usize::from(ihl) * 4;
                    if let Some(x) = b.get_mut(at) {
                        *x = ICMP_DEST_UNREACH;
                    }
                    if let Some(x) = b.get_mut(at + ICMP_HDR) {
                        *x = 0x40 | inner_ihl;
                    }
                    if let Some(x) = b.get_mut(at + ICMP_HDR + 9) {
                        *x = libc::IPPROTO_ICMP as u8;
                    }
                    let r = std::panic::catch_unwind(|| parse_v4(&b));
                    assert!(r.is_ok(), "panicked on {b:?}");
                }
            }
        }
        for len in 0..=64usize {
            let mut b = vec![0u8; len];
            if let Some(x) = b.get_mut(0) {
                *x = ICMP6_DST_UNREACH;
            }
            assert!(std::panic::catch_unwind(|| parse_v6(&b, Ipv6Addr::LOCALHOST)).is_ok());
        }
    }

    #[test]
    fn parses_replies_and_errors_that_quote_our_request() {
        let mut reply = echo_request(false, 0xbeef, 3, 8);
        reply[0] = 0;
        let r = parse_v4(&v4_packet([10, 244, 2, 3], &reply)).unwrap();
        assert_eq!((r.id, r.seq), (0xbeef, 3));
        assert_eq!(r.target.to_string(), "10.244.2.3");
        assert!(r.outcome.is_reply());

        // fragmentation needed from a router, quoting our request to 10.244.2.3
        let req = echo_request(false, 0xbeef, 4, 1400);
        let mut quoted = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 63, 1, 0, 0, 10, 244, 1, 2, 10, 244, 2, 3,
        ];
        quoted.extend_from_slice(&req[..8]);
        let mut err = vec![3, 4, 0, 0, 0, 0, 0x05, 0xaa];
        err.extend_from_slice(&quoted);
        let r = parse_v4(&v4_packet([10, 244, 1, 1], &err)).unwrap();
        assert_eq!((r.id, r.seq), (0xbeef, 4));
        assert_eq!(r.target.to_string(), "10.244.2.3");
        assert_eq!(
            r.outcome,
            Outcome::FragmentationNeeded {
                from: "10.244.1.1".parse().unwrap(),
                mtu: 1450
            }
        );
        err[1] = 0;
        let r = parse_v4(&v4_packet([10, 244, 1, 1], &err)).unwrap();
        assert_eq!(
            r.outcome.describe(),
            "network unreachable (from 10.244.1.1, code 0)"
        );
        err[0] = 11;
        assert!(matches!(
            parse_v4(&v4_packet([10, 244, 1, 1], &err)).unwrap().outcome,
            Outcome::TimeExceeded { .. }
        ));
        // echo requests and junk are not ours
        assert!(parse_v4(&v4_packet([1, 2, 3, 4], &req)).is_none());
        assert!(parse_v4(&[0x45, 0]).is_none());
    }

    #[test]
    fn parses_icmpv6_replies_and_packet_too_big() {
        let src: Ipv6Addr = "fd00::1".parse().unwrap();
        let mut reply = echo_request(true, 9, 1, 4);
        reply[0] = 129;
        let r = parse_v6(&reply, src).unwrap();
        assert_eq!((r.id, r.seq, r.target), (9, 1, IpAddr::V6(src)));
        let req = echo_request(true, 9, 2, 1400);
        let mut ip6 = vec![0x60, 0, 0, 0, 0, 0, 58, 64];
        ip6.extend_from_slice(&"fd00::2".parse::<Ipv6Addr>().unwrap().octets());
        ip6.extend_from_slice(&"fd00::3".parse::<Ipv6Addr>().unwrap().octets());
        let mut ptb = vec![2, 0, 0, 0, 0, 0, 0x05, 0x00];
        ptb.extend_from_slice(&ip6);
        ptb.extend_from_slice(&req[..8]);
        let r = parse_v6(&ptb, src).unwrap();
        assert_eq!(r.target.to_string(), "fd00::3");
        assert_eq!(
            r.outcome,
            Outcome::FragmentationNeeded {
                from: IpAddr::V6(src),
                mtu: 1280
            }
        );
    }

    #[test]
    fn results_say_whether_any_attempt_got_through() {
        let mut r = ProbeResult {
            target: "10.0.0.1".parse().unwrap(),
            id: 1,
            packet_size: 84,
            dont_fragment: false,
            attempts: vec![
                Attempt {
                    seq: 1,
                    outcome: Outcome::Timeout,
                },
                Attempt {
                    seq: 2,
                    outcome: Outcome::SendError {
                        errno: libc::EMSGSIZE,
                        message: "Message too long".into(),
                    },
                },
            ],
        };
        assert!(!r.ok());
        assert_eq!(
            r.failure().unwrap().describe(),
            "not sent: Message too long"
        );
        r.attempts.push(Attempt {
            seq: 3,
            outcome: Outcome::Reply {
                from: r.target,
                rtt_us: 120,
                ttl: Some(64),
            },
        });
        assert!(r.ok());
        assert_eq!(r.best_rtt(), Some(Duration::from_micros(120)));
        assert!(r.failure().is_none());
    }

    #[test]
    fn ids_are_distinct() {
        let a = next_id();
        let b = next_id();
        assert_ne!(a, b);
    }
}
