//! The ICMP and ICMPv6 wire format of the prober: echo requests built,
//! replies and the errors that quote our requests (unreachable, too big,
//! time exceeded, parameter problem) parsed from received bytes, the
//! quoted header included. Pure, no I/O; every length is checked before
//! it is indexed, so a short or lying header is refused, never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::outcome::Outcome;

/// The ICMP header: type, code, checksum, identifier, sequence.
pub(super) const ICMP_HDR: usize = 8;
pub(super) const ICMP_ECHO: u8 = 8;
pub(super) const ICMP_ECHOREPLY: u8 = 0;
pub(super) const ICMP_DEST_UNREACH: u8 = 3;
pub(super) const ICMP_TIME_EXCEEDED: u8 = 11;
pub(super) const ICMP_PARAMETERPROB: u8 = 12;
const ICMP_FRAG_NEEDED: u8 = 4;
pub(super) const ICMP6_DST_UNREACH: u8 = 1;
pub(super) const ICMP6_PACKET_TOO_BIG: u8 = 2;
pub(super) const ICMP6_TIME_EXCEEDED: u8 = 3;
pub(super) const ICMP6_PARAM_PROB: u8 = 4;
pub(super) const ICMP6_ECHO_REQUEST: u8 = 128;
pub(super) const ICMP6_ECHO_REPLY: u8 = 129;
/// The smallest IPv4 header (IHL 5).
const IPV4_MIN_HDR: usize = 20;
/// The IPv6 header (extension headers aside).
const IPV6_HDR: usize = 40;

/// The IP header in front of an ICMP message to `ip`.
pub(super) fn ip_header_len(ip: IpAddr) -> usize {
    if ip.is_ipv4() { IPV4_MIN_HDR } else { IPV6_HDR }
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

/// The identifier and sequence of the ICMP header at the start of `icmp`
/// (at least [`ICMP_HDR`] bytes).
fn id_seq(icmp: &[u8]) -> (u16, u16) {
    (
        u16::from_be_bytes([icmp[4], icmp[5]]),
        u16::from_be_bytes([icmp[6], icmp[7]]),
    )
}

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
        let (id, seq) = id_seq(icmp);
        return Some(Received {
            id,
            seq,
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
    let (dst, id, seq) = quoted_v4(&icmp[ICMP_HDR..])?;
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
        id,
        seq,
        target: dst,
        outcome,
    })
}

/// The packet an IPv4 ICMP error quotes: its IP header, then our echo
/// request's first 8 bytes. Its destination, id and seq.
fn quoted_v4(inner: &[u8]) -> Option<(IpAddr, u16, u16)> {
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
    let (id, seq) = id_seq(q);
    Some((dst, id, seq))
}

/// Parses what an IPv6 raw ICMPv6 socket received (no IP header) from `src`.
pub fn parse_v6(buf: &[u8], src: Ipv6Addr) -> Option<Received> {
    if buf.len() < ICMP_HDR {
        return None;
    }
    let (ty, code) = (buf[0], buf[1]);
    let from = IpAddr::V6(src);
    if ty == ICMP6_ECHO_REPLY {
        let (id, seq) = id_seq(buf);
        return Some(Received {
            id,
            seq,
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
    let (dst, id, seq) = quoted_v6(&buf[ICMP_HDR..])?;
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
        id,
        seq,
        target: dst,
        outcome,
    })
}

/// The packet an ICMPv6 error quotes: the IPv6 header (40 bytes, next
/// header ICMPv6), then our request. Its destination, id and seq.
fn quoted_v6(inner: &[u8]) -> Option<(IpAddr, u16, u16)> {
    if inner.len() < IPV6_HDR + ICMP_HDR || inner[6] != libc::IPPROTO_ICMPV6 as u8 {
        return None;
    }
    let mut d = [0u8; 16];
    d.copy_from_slice(&inner[24..40]);
    let q = &inner[IPV6_HDR..];
    if q[0] != ICMP6_ECHO_REQUEST {
        return None;
    }
    let (id, seq) = id_seq(q);
    Some((IpAddr::V6(Ipv6Addr::from(d)), id, seq))
}

#[cfg(test)]
mod tests;
