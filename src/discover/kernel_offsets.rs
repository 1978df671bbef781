//! The byte offsets in kernel structs that the drops eBPF program reads
//! (sk_buff, net_device, net, sock), taken from the running kernel's BTF so
//! the program works across kernel versions. No I/O.

use super::btf::Btf;

/// Byte offsets of the kernel struct members the drops program reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkbOffsets {
    /// `sk_buff.dev` (struct net_device *).
    pub skb_dev: u32,
    /// `sk_buff.sk` (struct sock *).
    pub skb_sk: u32,
    /// `sk_buff.head` (unsigned char *).
    pub skb_head: u32,
    /// `sk_buff.network_header` (u16, from `head`).
    pub skb_network_header: u32,
    /// `sk_buff.transport_header` (u16, from `head`).
    pub skb_transport_header: u32,
    /// `net_device.ifindex` (int).
    pub dev_ifindex: u32,
    /// `net_device.name` (char[16]).
    pub dev_name: u32,
    /// `net_device.nd_net.net` (struct net *).
    pub dev_nd_net: u32,
    /// `net.ns.inum` (unsigned int: the netns inode).
    pub net_ns_inum: u32,
    /// `sock.__sk_common.skc_net.net` (struct net *).
    pub sk_net: u32,
}

/// Pointer members are 8 bytes on the 64-bit kernels podnet supports.
const POINTER: u32 = 8;
/// IFNAMSIZ.
const IFNAMSIZ: u32 = 16;

/// One member the program reads: struct, path, and the size it assumes.
struct Wanted {
    type_name: &'static str,
    path: &'static [&'static str],
    size: u32,
}

const fn wanted(type_name: &'static str, path: &'static [&'static str], size: u32) -> Wanted {
    Wanted {
        type_name,
        path,
        size,
    }
}

/// Every member, in the order of [`SkbOffsets`]'s fields.
const WANTED: [Wanted; 10] = [
    wanted("sk_buff", &["dev"], POINTER),
    wanted("sk_buff", &["sk"], POINTER),
    wanted("sk_buff", &["head"], POINTER),
    wanted("sk_buff", &["network_header"], 2),
    wanted("sk_buff", &["transport_header"], 2),
    wanted("net_device", &["ifindex"], 4),
    wanted("net_device", &["name"], IFNAMSIZ),
    wanted("net_device", &["nd_net", "net"], POINTER),
    wanted("net", &["ns", "inum"], 4),
    wanted("sock", &["__sk_common", "skc_net", "net"], POINTER),
];

/// The offsets from the kernel's BTF; an error names the first member that
/// is missing (or is a bitfield), or whose size is not what the program reads.
pub fn skb_offsets(btf: &Btf) -> Result<SkbOffsets, String> {
    let mut found = [0u32; WANTED.len()];
    for (slot, w) in found.iter_mut().zip(WANTED.iter()) {
        *slot = offset_of(btf, w)?;
    }
    let [
        skb_dev,
        skb_sk,
        skb_head,
        skb_network_header,
        skb_transport_header,
        dev_ifindex,
        dev_name,
        dev_nd_net,
        net_ns_inum,
        sk_net,
    ] = found;
    Ok(SkbOffsets {
        skb_dev,
        skb_sk,
        skb_head,
        skb_network_header,
        skb_transport_header,
        dev_ifindex,
        dev_name,
        dev_nd_net,
        net_ns_inum,
        sk_net,
    })
}

fn offset_of(btf: &Btf, w: &Wanted) -> Result<u32, String> {
    let member = format!("{}.{}", w.type_name, w.path.join("."));
    let offset = btf
        .member_offset(w.type_name, w.path)
        .ok_or_else(|| format!("BTF has no {member}"))?;
    match btf.member_size(w.type_name, w.path) {
        Some(size) if size == w.size => Ok(offset),
        Some(size) => Err(format!(
            "{member} is {size} bytes in this kernel's BTF; podnet reads {} bytes",
            w.size
        )),
        None => Err(format!("BTF gives no size for {member}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::btf::{parse, test_blob::Blob};

    /// A 6.x-like layout: sk_buff.dev inside anonymous unions, possible_net_t
    /// a typedef of an anonymous struct, sock_common inside sock.
    /// `header_size` is the size of network_header's type; `transport`
    /// whether sk_buff has a transport_header.
    fn kernel(header_size: u32, transport: bool) -> Blob {
        let mut b = Blob::new();
        let int = b.int("int", 4);
        let header = b.int("__u16", header_size);
        let char_ = b.int("char", 1);
        let name = b.array(char_, int, 16);
        // Forward references: 8 = possible_net_t, 10 = struct net, 11 = struct net_device.
        let (possible_net_t, net, dev) = (8, 10, 11);
        let net_ptr = b.ptr(net);
        let dev_ptr = b.ptr(dev);
        let possible = b.structure("", 8, &[("net", net_ptr, 0)]);
        assert_eq!(b.typedef("possible_net_t", possible), possible_net_t);
        let ns_common = b.structure("ns_common", 32, &[("stashed", int, 0), ("inum", int, 192)]);
        assert_eq!(
            b.structure("net", 64, &[("passive", int, 0), ("ns", ns_common, 128)]),
            net
        );
        let dev_members = [
            ("name", name, 0),
            ("ifindex", int, 256),
            ("nd_net", possible_net_t, 512),
        ];
        assert_eq!(b.structure("net_device", 128, &dev_members), dev);
        let sock_common = b.structure(
            "sock_common",
            32,
            &[("skc_hash", int, 0), ("skc_net", possible_net_t, 128)],
        );
        let sock = b.structure("sock", 64, &[("__sk_common", sock_common, 0)]);
        let sock_ptr = b.ptr(sock);
        let head = b.ptr(char_);
        let list = b.structure(
            "",
            24,
            &[("next", int, 0), ("prev", int, 64), ("dev", dev_ptr, 128)],
        );
        let anon = b.union("", 24, &[("rbnode", int, 0), ("", list, 0)]);
        let mut skb = vec![("", anon, 0), ("sk", sock_ptr, 192)];
        if transport {
            skb.push(("transport_header", header, 1440));
        }
        skb.extend([("network_header", header, 1456), ("head", head, 1536)]);
        b.structure("sk_buff", 232, &skb);
        b
    }

    #[test]
    fn every_offset_comes_from_the_btf() {
        let btf = parse(&kernel(2, true).bytes()).unwrap();
        let want = SkbOffsets {
            skb_dev: 16,
            skb_sk: 24,
            skb_head: 192,
            skb_network_header: 182,
            skb_transport_header: 180,
            dev_ifindex: 32,
            dev_name: 0,
            dev_nd_net: 64,
            net_ns_inum: 16 + 24,
            sk_net: 16,
        };
        assert_eq!(skb_offsets(&btf), Ok(want));
    }

    #[test]
    fn a_missing_member_is_named() {
        let btf = parse(&kernel(2, false).bytes()).unwrap();
        assert_eq!(
            skb_offsets(&btf),
            Err("BTF has no sk_buff.transport_header".to_string())
        );
    }

    #[test]
    fn a_member_of_another_size_is_named() {
        let btf = parse(&kernel(4, true).bytes()).unwrap();
        let err = skb_offsets(&btf).unwrap_err();
        assert!(
            err == "sk_buff.network_header is 4 bytes in this kernel's BTF; podnet reads 2 bytes",
            "{err}"
        );
    }
}
