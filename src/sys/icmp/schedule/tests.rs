//! The scheduler over a fake socket pair that answers each request as the
//! test says (no root, no network): matching, timeouts, intervals, stop on
//! reply, send errors, pacing. Reads the clock; no other I/O.

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use super::*;
use crate::sys::icmp::codec::{ICMP_DEST_UNREACH, ICMP_ECHOREPLY, ICMP6_ECHO_REPLY};

/// What the fake network does with one request.
#[derive(Debug, Clone)]
enum Reaction {
    /// Nothing comes back.
    Silence,
    /// The target answers with an echo reply.
    Reply,
    /// The kernel refuses the send with this errno.
    Refuse(i32),
    /// These datagrams arrive instead: (IPv6 socket, bytes, IPv6 source).
    Packets(Vec<(bool, Vec<u8>, Option<Ipv6Addr>)>),
}

/// One request as the fake saw it.
#[derive(Debug)]
struct Sent {
    target: IpAddr,
    id: u16,
    seq: u16,
    len: usize,
    df: bool,
    at: Instant,
}

/// A fake socket pair: `react` decides each request's fate.
struct Fake {
    react: Box<dyn FnMut(&Sent) -> Reaction>,
    sent: Vec<Sent>,
    /// The DF setting last applied, per family (IPv4, IPv6).
    df: [Option<bool>; 2],
    queue: VecDeque<(bool, Vec<u8>, Option<Ipv6Addr>)>,
    fail_df: bool,
    fail_recv: bool,
}

impl Fake {
    fn new(react: impl FnMut(&Sent) -> Reaction + 'static) -> Fake {
        Fake {
            react: Box::new(react),
            sent: Vec::new(),
            df: [None; 2],
            queue: VecDeque::new(),
            fail_df: false,
            fail_recv: false,
        }
    }

    /// Always the same reaction.
    fn always(r: Reaction) -> Fake {
        Fake::new(move |_| r.clone())
    }
}

impl Sockets for Fake {
    fn set_df(&mut self, v6: bool, on: bool) -> io::Result<()> {
        if self.fail_df {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        self.df[usize::from(v6)] = Some(on);
        Ok(())
    }

    fn send_to(&mut self, packet: &[u8], target: IpAddr) -> io::Result<()> {
        let sent = Sent {
            target,
            id: u16::from_be_bytes([packet[4], packet[5]]),
            seq: u16::from_be_bytes([packet[6], packet[7]]),
            len: packet.len(),
            df: self.df[usize::from(target.is_ipv6())].unwrap_or(false),
            at: Instant::now(),
        };
        let reaction = (self.react)(&sent);
        let reply = echo_reply(target, sent.id, sent.seq);
        self.sent.push(sent);
        match reaction {
            Reaction::Silence => {}
            Reaction::Reply => self.queue.push_back(reply),
            Reaction::Refuse(errno) => return Err(io::Error::from_raw_os_error(errno)),
            Reaction::Packets(p) => self.queue.extend(p),
        }
        Ok(())
    }

    fn recv(&mut self, v6: bool, buf: &mut [u8]) -> io::Result<Option<(usize, Option<Ipv6Addr>)>> {
        if self.fail_recv {
            return Err(io::Error::from_raw_os_error(libc::ENOBUFS));
        }
        let Some(at) = self.queue.iter().position(|(f, _, _)| *f == v6) else {
            return Ok(None);
        };
        let Some((_, bytes, src)) = self.queue.remove(at) else {
            return Ok(None);
        };
        buf[..bytes.len()].copy_from_slice(&bytes);
        Ok(Some((bytes.len(), src)))
    }

    fn wait(&mut self, timeout: Duration) {
        // answers arrive only with a send: with none queued, nothing comes
        if self.queue.is_empty() {
            std::thread::sleep(timeout);
        }
    }
}

/// An IPv4 packet from `src` carrying `icmp` (TTL 64).
fn v4_packet(src: Ipv4Addr, icmp: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&[10, 0, 0, 1]);
    p.extend_from_slice(icmp);
    p
}

/// `target`'s echo reply to (id, seq), as its socket receives it.
fn echo_reply(target: IpAddr, id: u16, seq: u16) -> (bool, Vec<u8>, Option<Ipv6Addr>) {
    match target {
        IpAddr::V4(a) => {
            let mut icmp = echo_request(false, id, seq, 8);
            icmp[0] = ICMP_ECHOREPLY;
            (false, v4_packet(a, &icmp), None)
        }
        IpAddr::V6(a) => {
            let mut icmp = echo_request(true, id, seq, 8);
            icmp[0] = ICMP6_ECHO_REPLY;
            (true, icmp, Some(a))
        }
    }
}

/// An IPv4 "fragmentation needed, MTU `mtu`" from router `from` quoting
/// the request (id, seq) to `target`.
fn frag_needed(from: Ipv4Addr, target: Ipv4Addr, id: u16, seq: u16, mtu: u16) -> Vec<u8> {
    let mut err = vec![ICMP_DEST_UNREACH, 4, 0, 0, 0, 0];
    err.extend_from_slice(&mtu.to_be_bytes());
    err.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 63, 1, 0, 0]);
    err.extend_from_slice(&[10, 0, 0, 1]);
    err.extend_from_slice(&target.octets());
    err.extend_from_slice(&echo_request(false, id, seq, 0));
    v4_packet(from, &err)
}

fn probe(target: &str) -> Probe {
    Probe::new(target.parse().unwrap())
}

const A: &str = "10.244.2.3";
const MS: Duration = Duration::from_millis(1);

#[test]
fn ids_are_distinct() {
    let a = next_id();
    let b = next_id();
    assert_ne!(a, b);
}

#[test]
fn a_reply_answers_its_attempt_with_a_round_trip_time() {
    let mut fake = Fake::always(Reaction::Reply);
    let probes = [probe(A).payload(20)];
    let r = run(&mut fake, &probes, None).unwrap();
    assert_eq!(r.len(), 1);
    let r = &r[0];
    assert_eq!(
        (r.target, r.packet_size, r.dont_fragment),
        (probes[0].target, 48, false)
    );
    assert_eq!(r.attempts.len(), 1);
    assert_eq!(r.attempts[0].seq, 1);
    assert!(matches!(
        r.attempts[0].outcome,
        Outcome::Reply { from, ttl: Some(64), .. } if from == probes[0].target
    ));
    assert!(r.ok());
    // the request carried the result's id, seq 1 and the asked payload
    assert_eq!(fake.sent.len(), 1);
    let s = &fake.sent[0];
    assert_eq!(
        (s.target, s.id, s.seq, s.len, s.df),
        (probes[0].target, r.id, 1, 28, false)
    );
}

#[test]
fn the_first_reply_stops_a_probe_unless_told_to_go_on() {
    let mut fake = Fake::always(Reaction::Reply);
    let p = probe(A).count(3).interval(MS);
    let r = run(&mut fake, std::slice::from_ref(&p), None).unwrap();
    assert_eq!(r[0].attempts.len(), 1);
    assert_eq!(fake.sent.len(), 1);

    let mut fake = Fake::always(Reaction::Reply);
    let r = run(&mut fake, &[p.stop_on_reply(false)], None).unwrap();
    let seqs: Vec<u16> = r[0].attempts.iter().map(|a| a.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert!(r[0].attempts.iter().all(|a| a.outcome.is_reply()));
}

#[test]
fn unanswered_attempts_time_out_after_their_timeout_and_are_spaced_by_the_interval() {
    let mut fake = Fake::always(Reaction::Silence);
    let p = probe(A).count(3).interval(10 * MS).timeout(15 * MS);
    let t0 = Instant::now();
    let r = run(&mut fake, &[p], None).unwrap();
    let outcomes: Vec<&Outcome> = r[0].attempts.iter().map(|a| &a.outcome).collect();
    assert_eq!(outcomes, [&Outcome::Timeout; 3]);
    assert!(!r[0].ok());
    assert_eq!(r[0].failure(), Some(&Outcome::Timeout));
    // attempt k goes at start + k × interval; the run waits out the last timeout
    for (k, s) in fake.sent.iter().enumerate() {
        assert!(s.at >= t0 + 10 * MS * k as u32, "attempt {k} early");
    }
    assert!(t0.elapsed() >= 20 * MS + 15 * MS);
}

#[test]
fn a_refused_send_is_a_send_error_and_nothing_waits_for_it() {
    let mut fake = Fake::always(Reaction::Refuse(libc::EMSGSIZE));
    let p = probe(A)
        .count(2)
        .interval(MS)
        .timeout(Duration::from_secs(30));
    let t0 = Instant::now();
    let r = run(&mut fake, &[p], None).unwrap();
    let want = Outcome::SendError {
        errno: libc::EMSGSIZE,
        message: io::Error::from_raw_os_error(libc::EMSGSIZE).to_string(),
    };
    assert_eq!(r[0].attempts.len(), 2);
    assert!(r[0].attempts.iter().all(|a| a.outcome == want));
    assert_eq!(r[0].failure(), Some(&want));
    assert!(t0.elapsed() < Duration::from_secs(10));
}

#[test]
fn an_icmp_error_quoting_the_request_is_the_attempts_outcome() {
    let router = Ipv4Addr::new(10, 244, 1, 1);
    let mut fake = Fake::new(move |s| {
        let IpAddr::V4(t) = s.target else {
            return Reaction::Silence;
        };
        Reaction::Packets(vec![(
            false,
            frag_needed(router, t, s.id, s.seq, 1400),
            None,
        )])
    });
    let p = probe(A).size(1500).dont_fragment(true);
    let r = run(&mut fake, &[p], None).unwrap();
    assert_eq!(
        r[0].attempts[0].outcome,
        Outcome::FragmentationNeeded {
            from: IpAddr::V4(router),
            mtu: 1400
        }
    );
    assert!(r[0].dont_fragment);
    assert!(fake.sent[0].df, "DF was set before the send");
    assert_eq!(fake.df, [Some(true), None]);
}

#[test]
fn answers_for_another_id_target_or_seq_are_not_taken() {
    let mut fake = Fake::new(|s| {
        let other = Ipv4Addr::new(10, 9, 9, 9).into();
        Reaction::Packets(vec![
            echo_reply(s.target, s.id.wrapping_add(1), s.seq),
            echo_reply(other, s.id, s.seq),
            echo_reply(s.target, s.id, s.seq + 1),
            // an IPv6 datagram without a source address
            (true, echo_reply(s.target, s.id, s.seq).1, None),
        ])
    });
    let p = probe(A).timeout(15 * MS);
    let r = run(&mut fake, &[p], None).unwrap();
    assert_eq!(r[0].attempts[0].outcome, Outcome::Timeout);
}

#[test]
fn the_first_answer_to_an_attempt_is_the_one_kept() {
    let router = Ipv4Addr::new(10, 244, 1, 1);
    let mut fake = Fake::new(move |s| {
        let IpAddr::V4(t) = s.target else {
            return Reaction::Silence;
        };
        Reaction::Packets(vec![
            (false, frag_needed(router, t, s.id, s.seq, 1400), None),
            echo_reply(s.target, s.id, s.seq),
        ])
    });
    let r = run(&mut fake, &[probe(A).count(2).interval(MS)], None).unwrap();
    // the reply came after the error: attempt 1 stays an error, and since
    // no reply counted, attempt 2 was sent
    assert_eq!(r[0].attempts.len(), 2);
    assert!(matches!(
        r[0].attempts[0].outcome,
        Outcome::FragmentationNeeded { .. }
    ));
    assert!(!r[0].ok());
}

#[test]
fn many_probes_of_both_families_each_get_their_own_answers() {
    let mut fake = Fake::new(|s| {
        if s.target == IpAddr::from(Ipv4Addr::new(10, 0, 0, 3)) {
            Reaction::Silence
        } else {
            Reaction::Reply
        }
    });
    let probes = [
        probe("10.0.0.2"),
        probe("fd00::2").dont_fragment(true),
        probe("10.0.0.3").timeout(15 * MS),
        probe("fd00::3"),
    ];
    let r = run(&mut fake, &probes, None).unwrap();
    let ok: Vec<bool> = r.iter().map(ProbeResult::ok).collect();
    assert_eq!(ok, [true, true, false, true]);
    for (res, p) in r.iter().zip(&probes) {
        assert_eq!(res.target, p.target);
    }
    let ids: std::collections::HashSet<u16> = r.iter().map(|x| x.id).collect();
    assert_eq!(ids.len(), 4);
    assert!(matches!(
        r[1].attempts[0].outcome,
        Outcome::Reply { ttl: None, .. }
    ));
    assert_eq!(r[1].packet_size, 104);
    // DF as each probe asked, per family, before each send
    let df: Vec<bool> = fake.sent.iter().map(|s| s.df).collect();
    assert_eq!(df, [false, true, false, false]);
}

#[test]
fn socket_errors_end_the_run() {
    let mut fake = Fake::always(Reaction::Reply);
    fake.fail_df = true;
    let e = run(&mut fake, &[probe(A)], None).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EBADF));
    assert!(fake.sent.is_empty());

    let mut fake = Fake::always(Reaction::Reply);
    fake.fail_recv = true;
    let e = run(&mut fake, &[probe(A)], None).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOBUFS));
}

#[test]
fn nothing_to_probe_is_nothing_sent() {
    let mut fake = Fake::always(Reaction::Reply);
    assert!(run(&mut fake, &[], None).unwrap().is_empty());
    assert!(fake.sent.is_empty());
}

#[test]
fn the_pacer_hands_out_slots_an_interval_apart_and_no_credit_for_idle_time() {
    // one a second: back-to-back reservations are exactly that far apart
    // (unless this thread slept a whole second between two of them)
    let p = Pacer::new(1);
    assert_eq!(p.interval_ns, 1_000_000_000);
    let a = p.reserve();
    let b = p.reserve();
    let c = p.reserve();
    assert_eq!(b - a, Duration::from_secs(1));
    assert_eq!(c - b, Duration::from_secs(1));
    let p = Pacer::new(100);
    assert_eq!(p.interval_ns, 10_000_000);
    let x = p.reserve();
    std::thread::sleep(50 * MS);
    let before = Instant::now();
    let y = p.reserve();
    assert!(y >= before, "an idle pacer does not hand out past slots");
    assert!(y >= x + 50 * MS);
    assert_eq!(Pacer::new(0).interval_ns, 1_000_000_000);
}

#[test]
fn paced_sends_of_a_run_are_spaced_by_the_pacer() {
    let mut fake = Fake::always(Reaction::Reply);
    let probes: Vec<Probe> = (1..=4).map(|i| probe(&format!("10.0.0.{i}"))).collect();
    let t0 = Instant::now();
    let pacer = Pacer::new(200);
    let r = run(&mut fake, &probes, Some(&pacer)).unwrap();
    assert!(r.iter().all(ProbeResult::ok));
    for (k, s) in fake.sent.iter().enumerate() {
        assert!(s.at >= t0 + 5 * MS * k as u32, "send {k} before its slot");
    }
}

#[test]
fn sequence_numbers_wrap_at_16_bits() {
    assert_eq!(seq_of(0), 1);
    assert_eq!(seq_of(65_534), 65_535);
    assert_eq!(seq_of(65_535), 0);
    assert_eq!(seq_of(65_536), 1);
    assert_eq!(seq_of(99_999), (99_999 % 65_536 + 1) as u16);
}
