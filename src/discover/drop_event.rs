//! Decodes the records the kfree_skb probe writes (see
//! sys::drop_probe): the namespace, the device, and the flow from the
//! copied header bytes, where the packet is IPv4 or IPv6. Pure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The record's layout as the decoder reads it; `sys::drop_probe` writes
/// the same one (a test in `commands::drops`, which wires the two, holds
/// them equal).
pub mod ev {
    pub const EVENT_LOCATION: usize = 0;
    pub const EVENT_REASON: usize = 8;
    pub const EVENT_NETNS: usize = 12;
    pub const EVENT_IFINDEX: usize = 16;
    pub const EVENT_PROTOCOL: usize = 20;
    pub const EVENT_NETWORK: usize = 24;
    pub const EVENT_NETWORK_LEN: usize = 40;
    pub const EVENT_TRANSPORT: usize = 64;
    pub const EVENT_TRANSPORT_LEN: usize = 8;
    pub const EVENT_IFNAME: usize = 72;
    pub const EVENT_FLAGS: usize = 88;
    pub const EVENT_SIZE: usize = 96;
    /// The namespace came from the device / from the socket; the network /
    /// transport header bytes were read.
    pub const FLAG_NETNS_DEV: u32 = 1;
    pub const FLAG_NETNS_SOCK: u32 = 2;
    pub const FLAG_NETWORK: u32 = 4;
    pub const FLAG_TRANSPORT: u32 = 8;
}

/// A packet's flow, as far as its headers were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, or the protocol number.
    pub proto: String,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// An ICMP echo's identifier.
    pub icmp_id: Option<u16>,
}

/// One drop as the kernel reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDrop {
    pub location: u64,
    pub reason: u32,
    /// Network namespace inode (0: unknown).
    pub netns: u64,
    pub ifindex: u32,
    pub ifname: String,
    /// The ethertype (`0x0800` IPv4…).
    pub protocol: u16,
    pub flow: Option<Flow>,
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_ne_bytes([b[o], b[o + 1]])
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}

fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "icmpv6".into(),
        n => n.to_string(),
    }
}

/// The flow from an IP header and the transport bytes after it.
fn flow(protocol: u16, net: &[u8], l4: Option<&[u8]>) -> Option<Flow> {
    let (src, dst, p): (IpAddr, IpAddr, u8) = match (protocol, net[0] >> 4) {
        (0x0800, 4) => (
            Ipv4Addr::new(net[12], net[13], net[14], net[15]).into(),
            Ipv4Addr::new(net[16], net[17], net[18], net[19]).into(),
            net[9],
        ),
        (0x86dd, 6) => {
            let a: [u8; 16] = net[8..24].try_into().ok()?;
            let b: [u8; 16] = net[24..40].try_into().ok()?;
            (Ipv6Addr::from(a).into(), Ipv6Addr::from(b).into(), net[6])
        }
        _ => return None,
    };
    let mut f = Flow {
        src,
        dst,
        proto: proto_name(p),
        sport: None,
        dport: None,
        icmp_id: None,
    };
    if let Some(t) = l4 {
        match p {
            6 | 17 => {
                f.sport = Some(be16(t, 0));
                f.dport = Some(be16(t, 2));
            }
            // echo request/reply (v4 8/0, v6 128/129) carry an identifier
            1 if matches!(t[0], 0 | 8) => f.icmp_id = Some(be16(t, 4)),
            58 if matches!(t[0], 128 | 129) => f.icmp_id = Some(be16(t, 4)),
            _ => {}
        }
    }
    Some(f)
}

/// Decodes one record; `None` when it is too short.
pub fn decode(b: &[u8]) -> Option<RawDrop> {
    if b.len() < ev::EVENT_SIZE {
        return None;
    }
    let flags = u32_at(b, ev::EVENT_FLAGS);
    let protocol = u16_at(b, ev::EVENT_PROTOCOL);
    let name = &b[ev::EVENT_IFNAME..ev::EVENT_IFNAME + 16];
    let end = name.iter().position(|c| *c == 0).unwrap_or(16);
    let net = &b[ev::EVENT_NETWORK..ev::EVENT_NETWORK + ev::EVENT_NETWORK_LEN];
    let l4 = &b[ev::EVENT_TRANSPORT..ev::EVENT_TRANSPORT + ev::EVENT_TRANSPORT_LEN];
    let known_ns = flags & (ev::FLAG_NETNS_DEV | ev::FLAG_NETNS_SOCK) != 0;
    Some(RawDrop {
        location: u64::from_ne_bytes(b[0..8].try_into().ok()?),
        reason: u32_at(b, ev::EVENT_REASON),
        netns: if known_ns {
            u32_at(b, ev::EVENT_NETNS) as u64
        } else {
            0
        },
        ifindex: if flags & ev::FLAG_NETNS_DEV != 0 {
            u32_at(b, ev::EVENT_IFINDEX)
        } else {
            0
        },
        ifname: if flags & ev::FLAG_NETNS_DEV != 0 {
            String::from_utf8_lossy(&name[..end]).into_owned()
        } else {
            String::new()
        },
        protocol,
        flow: (flags & ev::FLAG_NETWORK != 0)
            .then(|| {
                flow(
                    protocol,
                    net,
                    (flags & ev::FLAG_TRANSPORT != 0).then_some(l4),
                )
            })
            .flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(protocol: u16, net: &[u8], l4: &[u8], flags: u32) -> Vec<u8> {
        let mut b = vec![0u8; ev::EVENT_SIZE];
        b[0..8].copy_from_slice(&0xffff_ffff_81a0_01a0u64.to_ne_bytes());
        b[ev::EVENT_REASON..ev::EVENT_REASON + 4].copy_from_slice(&31u32.to_ne_bytes());
        b[ev::EVENT_NETNS..ev::EVENT_NETNS + 4].copy_from_slice(&4026532450u32.to_ne_bytes());
        b[ev::EVENT_IFINDEX..ev::EVENT_IFINDEX + 4].copy_from_slice(&7u32.to_ne_bytes());
        b[ev::EVENT_PROTOCOL..ev::EVENT_PROTOCOL + 2].copy_from_slice(&protocol.to_ne_bytes());
        b[ev::EVENT_NETWORK..ev::EVENT_NETWORK + net.len()].copy_from_slice(net);
        b[ev::EVENT_TRANSPORT..ev::EVENT_TRANSPORT + l4.len()].copy_from_slice(l4);
        b[ev::EVENT_IFNAME..ev::EVENT_IFNAME + 4].copy_from_slice(b"cni0");
        b[ev::EVENT_FLAGS..ev::EVENT_FLAGS + 4].copy_from_slice(&flags.to_ne_bytes());
        b
    }

    #[test]
    fn ipv4_tcp_and_icmp_flows_and_what_was_not_read() {
        let mut ip = [0u8; 20];
        ip[0] = 0x45;
        ip[9] = 6;
        ip[12..16].copy_from_slice(&[10, 244, 1, 2]);
        ip[16..20].copy_from_slice(&[10, 244, 2, 2]);
        let all = ev::FLAG_NETNS_DEV | ev::FLAG_NETWORK | ev::FLAG_TRANSPORT;
        let d = decode(&record(0x0800, &ip, &[0x9c, 0x40, 0x1f, 0x90], all)).unwrap();
        assert_eq!(
            (d.netns, d.ifindex, d.ifname.as_str(), d.reason),
            (4026532450, 7, "cni0", 31)
        );
        let f = d.flow.unwrap();
        assert_eq!(
            (f.src.to_string(), f.dst.to_string()),
            ("10.244.1.2".into(), "10.244.2.2".into())
        );
        assert_eq!(
            (f.proto.as_str(), f.sport, f.dport),
            ("tcp", Some(40000), Some(8080))
        );
        ip[9] = 1;
        let d = decode(&record(0x0800, &ip, &[8, 0, 0, 0, 0x12, 0x34], all)).unwrap();
        assert_eq!(d.flow.unwrap().icmp_id, Some(0x1234));
        // nothing read: no namespace, no device, no flow
        let d = decode(&record(0x0800, &ip, &[], 0)).unwrap();
        assert_eq!(
            (d.netns, d.ifindex, d.ifname.as_str(), d.flow),
            (0, 0, "", None)
        );
        // not IP
        assert!(
            decode(&record(0x0806, &ip, &[], all))
                .unwrap()
                .flow
                .is_none()
        );
        assert!(decode(&[0u8; 10]).is_none());
    }

    #[test]
    fn ipv6_udp() {
        let mut ip = [0u8; 40];
        ip[0] = 0x60;
        ip[6] = 17;
        ip[8] = 0xfd;
        ip[23] = 1;
        ip[24] = 0xfd;
        ip[39] = 2;
        let flags = ev::FLAG_NETNS_SOCK | ev::FLAG_NETWORK | ev::FLAG_TRANSPORT;
        let d = decode(&record(0x86dd, &ip, &[0, 53, 0x9c, 0x40], flags)).unwrap();
        assert_eq!(d.ifname, "");
        let f = d.flow.unwrap();
        assert_eq!(f.src.to_string(), "fd00::1");
        assert_eq!(
            (f.proto.as_str(), f.sport, f.dport),
            ("udp", Some(53), Some(40000))
        );
    }
}
