//! The codec on crafted bytes: requests, replies, the errors that quote a
//! request, and short headers. No I/O.

use super::*;
use crate::sys::icmp::Probe;

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
