//! The codec on crafted bytes: requests, replies, the errors that quote a
//! request, and truncated, lying or foreign packets. No I/O.

use super::*;
use crate::sys::icmp::Probe;

fn v4_packet(src: [u8; 4], icmp: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
    p.extend_from_slice(&src);
    p.extend_from_slice(&[10, 0, 0, 1]);
    p.extend_from_slice(icmp);
    p
}

/// An IPv4 ICMP error of `ty`/`code` from 10.244.1.1 quoting our request
/// (id 0xbeef, seq 4) to 10.244.2.3; the quoted header's IHL is 5.
fn v4_error(ty: u8, code: u8) -> Vec<u8> {
    let req = echo_request(false, 0xbeef, 4, 1400);
    let mut err = vec![ty, code, 0, 0, 0, 0, 0x05, 0xaa];
    err.extend_from_slice(&[
        0x45, 0, 0, 0, 0, 0, 0x40, 0, 63, 1, 0, 0, 10, 244, 1, 2, 10, 244, 2, 3,
    ]);
    err.extend_from_slice(&req[..8]);
    v4_packet([10, 244, 1, 1], &err)
}

/// An ICMPv6 error of `ty`/`code` quoting our request (id 9, seq 2) from
/// fd00::2 to fd00::3.
fn v6_error(ty: u8, code: u8) -> Vec<u8> {
    let req = echo_request(true, 9, 2, 1400);
    let mut e = vec![ty, code, 0, 0, 0, 0, 0x05, 0x00];
    e.extend_from_slice(&[0x60, 0, 0, 0, 0, 0, 58, 64]);
    e.extend_from_slice(&"fd00::2".parse::<Ipv6Addr>().unwrap().octets());
    e.extend_from_slice(&"fd00::3".parse::<Ipv6Addr>().unwrap().octets());
    e.extend_from_slice(&req[..8]);
    e
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
fn echo_requests_carry_the_recognisable_payload_and_an_odd_length_checksum() {
    let p = echo_request(false, 1, 2, 15);
    assert_eq!(&p[ICMP_HDR..], b"podnet-probe po");
    assert_eq!(checksum(&p), 0, "odd lengths pad the last byte with zero");
    assert_eq!(echo_request(false, 1, 2, 0).len(), ICMP_HDR);
    // the RFC 1071 example
    assert_eq!(
        checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
        !0xddf2
    );
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
fn a_reply_carries_its_ttl_and_parameter_problems_their_code_plus_100() {
    let mut reply = echo_request(false, 7, 1, 0);
    reply[0] = ICMP_ECHOREPLY;
    let r = parse_v4(&v4_packet([10, 0, 0, 9], &reply)).unwrap();
    assert_eq!(
        r.outcome,
        Outcome::Reply {
            from: "10.0.0.9".parse().unwrap(),
            rtt_us: 0,
            ttl: Some(64)
        }
    );
    let r = parse_v4(&v4_error(ICMP_PARAMETERPROB, 1)).unwrap();
    assert_eq!(
        r.outcome,
        Outcome::Unreachable {
            from: "10.244.1.1".parse().unwrap(),
            code: 101
        }
    );
    assert_eq!((r.id, r.seq), (0xbeef, 4));
    // an echo reply with a non-zero code, and other types, are not ours
    reply[1] = 1;
    assert!(parse_v4(&v4_packet([10, 0, 0, 9], &reply)).is_none());
    let mut redirect = v4_error(5, 0);
    assert!(parse_v4(&redirect).is_none());
    redirect[20] = ICMP_DEST_UNREACH;
    assert!(parse_v4(&redirect).is_some());
}

#[test]
fn an_ipv4_header_with_options_is_skipped_by_its_ihl() {
    // IHL 6: four option bytes between the header and the ICMP message
    let mut reply = echo_request(false, 0x0102, 9, 4);
    reply[0] = ICMP_ECHOREPLY;
    let mut p = v4_packet([10, 0, 0, 2], &[]);
    p[0] = 0x46;
    p.extend_from_slice(&[1, 1, 1, 0]);
    p.extend_from_slice(&reply);
    let r = parse_v4(&p).unwrap();
    assert_eq!((r.id, r.seq), (0x0102, 9));
    // a quoted header with options too
    let mut e = v4_error(ICMP_TIME_EXCEEDED, 0);
    e[28] = 0x46;
    e.splice(48..48, [1, 1, 1, 0]);
    let r = parse_v4(&e).unwrap();
    assert_eq!((r.id, r.seq), (0xbeef, 4));
    assert_eq!(r.target.to_string(), "10.244.2.3");
}

#[test]
fn ipv4_headers_that_lie_or_stop_short_are_refused() {
    let good = v4_error(ICMP_DEST_UNREACH, 1);
    assert!(parse_v4(&good).is_some());
    // the outer IHL under 5 (0..=4), whatever the bytes after it
    for ihl in 0..5u8 {
        let mut b = good.clone();
        b[0] = 0x40 | ihl;
        assert!(parse_v4(&b).is_none(), "outer IHL {ihl}");
    }
    // the quoted IHL under 5
    for ihl in 0..5u8 {
        let mut b = good.clone();
        b[28] = 0x40 | ihl;
        assert!(parse_v4(&b).is_none(), "quoted IHL {ihl}");
    }
    // an IHL past the end of the packet
    let mut b = good.clone();
    b[0] = 0x4f;
    assert!(parse_v4(&b).is_none());
    let mut b = good.clone();
    b[28] = 0x4f;
    assert!(parse_v4(&b).is_none());
    // every truncation: too short for the quoted request's id and seq
    for len in 0..good.len() {
        assert!(parse_v4(&good[..len]).is_none(), "cut at {len}");
    }
    // a reply cut inside its ICMP header
    let mut reply = echo_request(false, 1, 1, 0);
    reply[0] = ICMP_ECHOREPLY;
    let p = v4_packet([10, 0, 0, 2], &reply);
    assert!(parse_v4(&p).is_some());
    assert!(parse_v4(&p[..p.len() - 1]).is_none());
    // not IPv4, not ICMP, a quoted packet that is not ICMP or not our request
    let mut b = good.clone();
    b[0] = 0x65;
    assert!(parse_v4(&b).is_none());
    let mut b = good.clone();
    b[9] = 17;
    assert!(parse_v4(&b).is_none());
    let mut b = good.clone();
    b[28 + 9] = 17;
    assert!(parse_v4(&b).is_none());
    let mut b = good.clone();
    b[48] = ICMP_ECHOREPLY;
    assert!(parse_v4(&b).is_none());
    assert!(parse_v4(&[]).is_none());
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
fn icmpv6_errors_say_what_and_where() {
    let src: Ipv6Addr = "fd00::1".parse().unwrap();
    let from = IpAddr::V6(src);
    let parse = |ty, code| parse_v6(&v6_error(ty, code), src).map(|r| r.outcome);
    assert_eq!(
        parse(ICMP6_DST_UNREACH, 3),
        Some(Outcome::Unreachable { from, code: 3 })
    );
    assert_eq!(
        parse(ICMP6_TIME_EXCEEDED, 0),
        Some(Outcome::TimeExceeded { from })
    );
    assert_eq!(
        parse(ICMP6_PARAM_PROB, 2),
        Some(Outcome::Unreachable { from, code: 102 })
    );
    let r = parse_v6(&v6_error(ICMP6_DST_UNREACH, 0), src).unwrap();
    assert_eq!((r.id, r.seq), (9, 2));
    assert_eq!(r.target.to_string(), "fd00::3");
    let mut reply = echo_request(true, 3, 4, 0);
    reply[0] = ICMP6_ECHO_REPLY;
    assert_eq!(
        parse_v6(&reply, src).unwrap().outcome,
        Outcome::Reply {
            from,
            rtt_us: 0,
            ttl: None
        }
    );
}

#[test]
fn icmpv6_packets_that_stop_short_or_are_not_ours_are_refused() {
    let src = Ipv6Addr::LOCALHOST;
    let good = v6_error(ICMP6_DST_UNREACH, 1);
    assert!(parse_v6(&good, src).is_some());
    for len in 0..good.len() {
        assert!(parse_v6(&good[..len], src).is_none(), "cut at {len}");
    }
    let mut reply = echo_request(true, 1, 1, 0);
    reply[0] = ICMP6_ECHO_REPLY;
    assert!(parse_v6(&reply, src).is_some());
    assert!(parse_v6(&reply[..ICMP_HDR - 1], src).is_none());
    // our own request, a neighbour solicitation: not answers
    assert!(parse_v6(&echo_request(true, 1, 1, 0), src).is_none());
    let mut ns = good.clone();
    ns[0] = 135;
    assert!(parse_v6(&ns, src).is_none());
    // the quoted packet is not ICMPv6, or not an echo request
    let mut b = good.clone();
    b[ICMP_HDR + 6] = 17;
    assert!(parse_v6(&b, src).is_none());
    let mut b = good.clone();
    b[ICMP_HDR + 40] = ICMP6_ECHO_REPLY;
    assert!(parse_v6(&b, src).is_none());
}
