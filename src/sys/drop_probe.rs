//! The eBPF program podnet attaches to the `skb:kfree_skb` tracepoint: for
//! every freed packet with a drop reason it copies, into a ring buffer,
//! the tracepoint's location and reason, the network namespace inode
//! (from the packet's device, else its socket), the device's ifindex and
//! name, and the first bytes of the network and transport headers. The
//! kernel structure offsets come from the caller (read from the running
//! kernel's BTF), so one binary works across kernel versions. Loading and
//! attaching is I/O; building the program is not. Knows nothing of pods.

use std::io;
use std::os::fd::OwnedFd;

use super::bpf::{
    self, Asm, Cond, HELPER_PROBE_READ_KERNEL as READ, HELPER_RINGBUF_RESERVE,
    HELPER_RINGBUF_SUBMIT, R0, R1, R2, R3, R6, R7, R8, R9, R10, RingBuf, Size,
};

/// Where things are: the tracepoint record's fields and the kernel structs' members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeLayout {
    pub rec_skbaddr: u32,
    pub rec_location: u32,
    pub rec_protocol: u32,
    pub rec_reason: u32,
    pub skb_dev: u32,
    pub skb_sk: u32,
    pub skb_head: u32,
    pub skb_network_header: u32,
    pub dev_ifindex: u32,
    pub dev_name: u32,
    pub dev_nd_net: u32,
    pub net_ns_inum: u32,
    pub sk_net: u32,
}

/// The event record, as the program writes it.
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
/// Flags: the namespace came from the device / from the socket; the
/// network / transport header bytes were read.
pub const FLAG_NETNS_DEV: u32 = 1;
pub const FLAG_NETNS_SOCK: u32 = 2;
pub const FLAG_NETWORK: u32 = 4;
pub const FLAG_TRANSPORT: u32 = 8;

const ETH_P_IP: i32 = 0x0800;
const IPV6_HEADER: i32 = 40;

fn off(v: u32) -> i32 {
    v as i32
}

/// `probe_read_kernel(dst = base + dst_off, len, src = src_reg + src_off)`.
fn read(a: &mut Asm, base: u8, dst_off: i32, len: i32, src_reg: u8, src_off: i32) {
    a.mov(R1, base)
        .add_imm(R1, dst_off)
        .mov_imm(R2, len)
        .mov(R3, src_reg)
        .add_imm(R3, src_off)
        .call(READ);
}

/// Sets a flag bit in the event.
fn flag(a: &mut Asm, bit: u32) {
    a.load(Size::W, R1, R7, EVENT_FLAGS as i16)
        .or_imm(R1, bit as i32)
        .store(Size::W, R7, EVENT_FLAGS as i16, R1);
}

/// An event's offset as a load/store offset.
fn ev(o: usize) -> i16 {
    o as i16
}

/// The program for a ring buffer map `ringbuf_fd`.
pub fn program(l: &ProbeLayout, ringbuf_fd: i32) -> Result<Vec<u64>, String> {
    let mut a = Asm::default();
    reserve_event(&mut a, l, ringbuf_fd);
    device(&mut a, l);
    socket(&mut a, l);
    headers(&mut a, l);
    submit(&mut a);
    a.finish()
}

/// An event slot (or straight to "out"), the record's location, reason
/// and protocol copied in, the rest zeroed; R8 = the skb (none: "submit").
fn reserve_event(a: &mut Asm, l: &ProbeLayout, ringbuf_fd: i32) {
    a.mov(R6, R1)
        // an event slot, or nothing to do
        .map_fd(R1, ringbuf_fd)
        .mov_imm(R2, EVENT_SIZE as i32)
        .mov_imm(R3, 0)
        .call(HELPER_RINGBUF_RESERVE)
        .mov(R7, R0)
        .jump_imm(Cond::Eq, R7, 0, "out")
        .load(Size::DW, R1, R6, off(l.rec_location) as i16)
        .store(Size::DW, R7, ev(EVENT_LOCATION), R1)
        .load(Size::W, R1, R6, off(l.rec_reason) as i16)
        .store(Size::W, R7, ev(EVENT_REASON), R1)
        .load(Size::H, R1, R6, off(l.rec_protocol) as i16)
        .store(Size::H, R7, ev(EVENT_PROTOCOL), R1)
        .store_imm(Size::W, R7, ev(EVENT_FLAGS), 0)
        .store_imm(Size::W, R7, ev(EVENT_NETNS), 0)
        .store_imm(Size::W, R7, ev(EVENT_IFINDEX), 0)
        .store_imm(Size::DW, R7, ev(EVENT_IFNAME), 0)
        .store_imm(Size::DW, R7, ev(EVENT_IFNAME + 8), 0)
        .load(Size::DW, R8, R6, off(l.rec_skbaddr) as i16)
        .jump_imm(Cond::Eq, R8, 0, "submit");
}

/// Reads the pointer at `src_reg + src_off` into R9 (through the stack);
/// a failed read or a null pointer jumps to `or_else`.
fn read_pointer(a: &mut Asm, src_reg: u8, src_off: i32, or_else: &'static str) {
    read(a, R10, -8, 8, src_reg, src_off);
    a.jump_imm(Cond::Ne, R0, 0, or_else)
        .load(Size::DW, R9, R10, -8)
        .jump_imm(Cond::Eq, R9, 0, or_else);
}

/// The device: its ifindex, name and namespace; then to "headers" (any
/// failure: to "socket").
fn device(a: &mut Asm, l: &ProbeLayout) {
    read_pointer(a, R8, off(l.skb_dev), "socket");
    read(a, R7, EVENT_IFINDEX as i32, 4, R9, off(l.dev_ifindex));
    read(a, R7, EVENT_IFNAME as i32, 16, R9, off(l.dev_name));
    read_pointer(a, R9, off(l.dev_nd_net), "socket");
    read(a, R7, EVENT_NETNS as i32, 4, R9, off(l.net_ns_inum));
    a.jump_imm(Cond::Ne, R0, 0, "socket");
    flag(a, FLAG_NETNS_DEV);
    a.goto("headers");
}

/// Label "socket", reached without a device: the socket's namespace.
fn socket(a: &mut Asm, l: &ProbeLayout) {
    a.label("socket");
    read_pointer(a, R8, off(l.skb_sk), "headers");
    read_pointer(a, R9, off(l.sk_net), "headers");
    read(a, R7, EVENT_NETNS as i32, 4, R9, off(l.net_ns_inum));
    a.jump_imm(Cond::Ne, R0, 0, "headers");
    flag(a, FLAG_NETNS_SOCK);
}

/// Label "headers": head + network_header, then past the IP header (IPv4:
/// its IHL; else 40 bytes); any failure to "submit".
fn headers(a: &mut Asm, l: &ProbeLayout) {
    a.label("headers");
    read_pointer(a, R8, off(l.skb_head), "submit");
    a.store_imm(Size::DW, R10, -16, 0);
    read(a, R10, -16, 2, R8, off(l.skb_network_header));
    a.jump_imm(Cond::Ne, R0, 0, "submit")
        .load(Size::H, R1, R10, -16)
        .jump_imm(Cond::Eq, R1, 0xffff, "submit")
        .add(R9, R1);
    read(a, R7, EVENT_NETWORK as i32, EVENT_NETWORK_LEN as i32, R9, 0);
    a.jump_imm(Cond::Ne, R0, 0, "submit");
    flag(a, FLAG_NETWORK);
    a.mov_imm(R1, IPV6_HEADER)
        .load(Size::H, R2, R7, ev(EVENT_PROTOCOL))
        .jump_imm(Cond::Ne, R2, ETH_P_IP, "transport")
        .load(Size::B, R1, R7, ev(EVENT_NETWORK))
        .and_imm(R1, 0x0f)
        .lsh_imm(R1, 2)
        .label("transport")
        .add(R9, R1);
    read(
        a,
        R7,
        EVENT_TRANSPORT as i32,
        EVENT_TRANSPORT_LEN as i32,
        R9,
        0,
    );
    a.jump_imm(Cond::Ne, R0, 0, "submit");
    flag(a, FLAG_TRANSPORT);
}

/// Labels "submit" (the event to the ring) and "out" (return 0).
fn submit(a: &mut Asm) {
    a.label("submit")
        .mov(R1, R7)
        .mov_imm(R2, 0)
        .call(HELPER_RINGBUF_SUBMIT)
        .label("out")
        .mov_imm(R0, 0)
        .exit();
}

/// The ring buffer's size: room for thousands of drops between two reads.
pub const RINGBUF_BYTES: u32 = 1 << 20;

/// A loaded, attached probe: its events until it is dropped (which
/// detaches it; so does the process's death).
pub struct Probe {
    pub ring: RingBuf,
    _prog: OwnedFd,
    _event: OwnedFd,
}

/// Creates the ring buffer, loads the program and attaches it to the
/// tracepoint `tracepoint_id`.
pub fn attach(layout: &ProbeLayout, tracepoint_id: u32) -> io::Result<Probe> {
    use std::os::fd::AsRawFd;
    let map = bpf::ringbuf_create(RINGBUF_BYTES)?;
    let insns = program(layout, map.as_raw_fd()).map_err(io::Error::other)?;
    let prog = bpf::load_tracepoint_program(&insns, "GPL")?;
    let event = bpf::attach_tracepoint(tracepoint_id, &prog)?;
    let ring = RingBuf::open(map, RINGBUF_BYTES as usize)?;
    Ok(Probe {
        ring,
        _prog: prog,
        _event: event,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_assembles_with_every_jump_resolved() {
        let l = ProbeLayout {
            rec_skbaddr: 8,
            rec_location: 16,
            rec_protocol: 32,
            rec_reason: 36,
            skb_dev: 16,
            skb_sk: 24,
            skb_head: 200,
            skb_network_header: 180,
            dev_ifindex: 224,
            dev_name: 0,
            dev_nd_net: 280,
            net_ns_inum: 136,
            sk_net: 48,
        };
        let p = program(&l, 3).unwrap();
        assert!(p.len() > 50 && p.len() < 4096, "{}", p.len());
        // ends with r0 = 0; exit
        assert_eq!(p[p.len() - 1], 0x95);
        assert_eq!(p[p.len() - 2], 0xb7);
    }

    /// The program as it was built before `program` was split into its
    /// parts: the split (and any later tidying) must not change one byte.
    #[test]
    fn the_program_is_the_pinned_bytecode() {
        assert_eq!(program(&PINNED_LAYOUT, 7).unwrap(), PINNED);
    }

    /// Every field a different offset, so that a swapped field shows.
    const PINNED_LAYOUT: ProbeLayout = ProbeLayout {
        rec_skbaddr: 8,
        rec_location: 16,
        rec_protocol: 28,
        rec_reason: 36,
        skb_dev: 40,
        skb_sk: 24,
        skb_head: 200,
        skb_network_header: 180,
        dev_ifindex: 224,
        dev_name: 4,
        dev_nd_net: 280,
        net_ns_inum: 136,
        sk_net: 48,
    };

    #[rustfmt::skip]
    const PINNED: [u64; 142] = [
        0x00000000000016bf, 0x0000000700001118, 0x0000000000000000, 0x00000060000002b7,
        0x00000000000003b7, 0x0000008300000085, 0x00000000000007bf, 0x0000000000840715,
        0x0000000000106179, 0x000000000000177b, 0x0000000000246161, 0x0000000000081763,
        0x00000000001c6169, 0x000000000014176b, 0x0000000000580762, 0x00000000000c0762,
        0x0000000000100762, 0x000000000048077a, 0x000000000050077a, 0x0000000000086879,
        0x0000000000740815, 0x000000000000a1bf, 0xfffffff800000107, 0x00000008000002b7,
        0x00000000000083bf, 0x0000002800000307, 0x0000007100000085, 0x0000000000220055,
        0x00000000fff8a979, 0x0000000000200915, 0x00000000000071bf, 0x0000001000000107,
        0x00000004000002b7, 0x00000000000093bf, 0x000000e000000307, 0x0000007100000085,
        0x00000000000071bf, 0x0000004800000107, 0x00000010000002b7, 0x00000000000093bf,
        0x0000000400000307, 0x0000007100000085, 0x000000000000a1bf, 0xfffffff800000107,
        0x00000008000002b7, 0x00000000000093bf, 0x0000011800000307, 0x0000007100000085,
        0x00000000000d0055, 0x00000000fff8a979, 0x00000000000b0915, 0x00000000000071bf,
        0x0000000c00000107, 0x00000004000002b7, 0x00000000000093bf, 0x0000008800000307,
        0x0000007100000085, 0x0000000000040055, 0x0000000000587161, 0x0000000100000147,
        0x0000000000581763, 0x00000000001c0005, 0x000000000000a1bf, 0xfffffff800000107,
        0x00000008000002b7, 0x00000000000083bf, 0x0000001800000307, 0x0000007100000085,
        0x0000000000150055, 0x00000000fff8a979, 0x0000000000130915, 0x000000000000a1bf,
        0xfffffff800000107, 0x00000008000002b7, 0x00000000000093bf, 0x0000003000000307,
        0x0000007100000085, 0x00000000000c0055, 0x00000000fff8a979, 0x00000000000a0915,
        0x00000000000071bf, 0x0000000c00000107, 0x00000004000002b7, 0x00000000000093bf,
        0x0000008800000307, 0x0000007100000085, 0x0000000000030055, 0x0000000000587161,
        0x0000000200000147, 0x0000000000581763, 0x000000000000a1bf, 0xfffffff800000107,
        0x00000008000002b7, 0x00000000000083bf, 0x000000c800000307, 0x0000007100000085,
        0x0000000000280055, 0x00000000fff8a979, 0x0000000000260915, 0x00000000fff00a7a,
        0x000000000000a1bf, 0xfffffff000000107, 0x00000002000002b7, 0x00000000000083bf,
        0x000000b400000307, 0x0000007100000085, 0x00000000001e0055, 0x00000000fff0a169,
        0x0000ffff001c0115, 0x000000000000190f, 0x00000000000071bf, 0x0000001800000107,
        0x00000028000002b7, 0x00000000000093bf, 0x0000000000000307, 0x0000007100000085,
        0x0000000000140055, 0x0000000000587161, 0x0000000400000147, 0x0000000000581763,
        0x00000028000001b7, 0x0000000000147269, 0x0000080000030255, 0x0000000000187171,
        0x0000000f00000157, 0x0000000200000167, 0x000000000000190f, 0x00000000000071bf,
        0x0000004000000107, 0x00000008000002b7, 0x00000000000093bf, 0x0000000000000307,
        0x0000007100000085, 0x0000000000030055, 0x0000000000587161, 0x0000000800000147,
        0x0000000000581763, 0x00000000000071bf, 0x00000000000002b7, 0x0000008400000085,
        0x00000000000000b7, 0x0000000000000095,
    ];
}
