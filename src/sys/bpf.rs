//! The eBPF system calls podnet needs, with no other library: a small
//! instruction assembler, a ring-buffer map, loading a tracepoint program
//! (with the verifier's log on failure), attaching it to a tracepoint
//! through perf_event_open, and reading the ring buffer through mmap. Every
//! object is a file descriptor: closing them (or the process dying) detaches
//! and frees everything. Knows nothing of pods.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

/// Registers.
pub const R0: u8 = 0;
pub const R1: u8 = 1;
pub const R2: u8 = 2;
pub const R3: u8 = 3;
pub const R6: u8 = 6;
pub const R7: u8 = 7;
pub const R8: u8 = 8;
pub const R9: u8 = 9;
pub const R10: u8 = 10;

/// Helper ids (include/uapi/linux/bpf.h).
pub const HELPER_PROBE_READ_KERNEL: i32 = 113;
pub const HELPER_RINGBUF_RESERVE: i32 = 131;
pub const HELPER_RINGBUF_SUBMIT: i32 = 132;

/// Memory access sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    B,
    H,
    W,
    DW,
}

impl Size {
    fn bits(self) -> u8 {
        match self {
            Size::W => 0x00,
            Size::H => 0x08,
            Size::B => 0x10,
            Size::DW => 0x18,
        }
    }
}

/// Conditional jumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    Eq,
    Ne,
    /// Signed less than.
    Slt,
}

impl Cond {
    fn bits(self) -> u8 {
        match self {
            Cond::Eq => 0x10,
            Cond::Ne => 0x50,
            Cond::Slt => 0xc0,
        }
    }
}

#[derive(Debug, Clone)]
enum Item {
    Insn(u64),
    /// A jump to a label: code, dst, src, imm.
    Jump(u8, u8, u8, i32, &'static str),
    Label(&'static str),
    /// A 64-bit load of a map's file descriptor (two instruction slots).
    MapFd(u8, i32),
}

/// Builds a program; jumps name labels, resolved by [`Asm::finish`].
#[derive(Debug, Clone, Default)]
pub struct Asm {
    items: Vec<Item>,
}

fn encode(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
    (code as u64)
        | (((dst & 0xf) | ((src & 0xf) << 4)) as u64) << 8
        | ((off as u16) as u64) << 16
        | ((imm as u32) as u64) << 32
}

impl Asm {
    fn push(&mut self, code: u8, dst: u8, src: u8, off: i16, imm: i32) -> &mut Self {
        self.items
            .push(Item::Insn(encode(code, dst, src, off, imm)));
        self
    }
    /// `dst = imm`.
    pub fn mov_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.push(0xb7, dst, 0, 0, imm)
    }
    /// `dst = src`.
    pub fn mov(&mut self, dst: u8, src: u8) -> &mut Self {
        self.push(0xbf, dst, src, 0, 0)
    }
    /// `dst += imm`.
    pub fn add_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.push(0x07, dst, 0, 0, imm)
    }
    /// `dst += src`.
    pub fn add(&mut self, dst: u8, src: u8) -> &mut Self {
        self.push(0x0f, dst, src, 0, 0)
    }
    /// `dst &= imm`.
    pub fn and_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.push(0x57, dst, 0, 0, imm)
    }
    /// `dst |= imm`.
    pub fn or_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.push(0x47, dst, 0, 0, imm)
    }
    /// `dst <<= imm`.
    pub fn lsh_imm(&mut self, dst: u8, imm: i32) -> &mut Self {
        self.push(0x67, dst, 0, 0, imm)
    }
    /// `dst = *(size *)(src + off)`.
    pub fn load(&mut self, size: Size, dst: u8, src: u8, off: i16) -> &mut Self {
        self.push(0x61 | size.bits(), dst, src, off, 0)
    }
    /// `*(size *)(dst + off) = src`.
    pub fn store(&mut self, size: Size, dst: u8, off: i16, src: u8) -> &mut Self {
        self.push(0x63 | size.bits(), dst, src, off, 0)
    }
    /// `*(size *)(dst + off) = imm`.
    pub fn store_imm(&mut self, size: Size, dst: u8, off: i16, imm: i32) -> &mut Self {
        self.push(0x62 | size.bits(), dst, 0, off, imm)
    }
    /// `if dst <cond> imm goto label`.
    pub fn jump_imm(&mut self, cond: Cond, dst: u8, imm: i32, label: &'static str) -> &mut Self {
        self.items
            .push(Item::Jump(0x05 | cond.bits(), dst, 0, imm, label));
        self
    }
    /// `goto label`.
    pub fn goto(&mut self, label: &'static str) -> &mut Self {
        self.items.push(Item::Jump(0x05, 0, 0, 0, label));
        self
    }
    pub fn label(&mut self, name: &'static str) -> &mut Self {
        self.items.push(Item::Label(name));
        self
    }
    /// `dst = <map fd>` (a pseudo 64-bit immediate the kernel turns into the map).
    pub fn map_fd(&mut self, dst: u8, fd: i32) -> &mut Self {
        self.items.push(Item::MapFd(dst, fd));
        self
    }
    pub fn call(&mut self, helper: i32) -> &mut Self {
        self.push(0x85, 0, 0, 0, helper)
    }
    pub fn exit(&mut self) -> &mut Self {
        self.push(0x95, 0, 0, 0, 0)
    }

    /// The instructions, jumps resolved; an error names an unknown label.
    pub fn finish(&self) -> Result<Vec<u64>, String> {
        let mut at = std::collections::HashMap::new();
        let mut pc = 0usize;
        for it in &self.items {
            match it {
                Item::Label(l) => {
                    at.insert(*l, pc);
                }
                Item::MapFd(..) => pc += 2,
                _ => pc += 1,
            }
        }
        let mut out = Vec::with_capacity(pc);
        for it in &self.items {
            match it {
                Item::Insn(i) => out.push(*i),
                Item::Label(_) => {}
                Item::MapFd(dst, fd) => {
                    // BPF_LD | BPF_IMM | BPF_DW, src BPF_PSEUDO_MAP_FD
                    out.push(encode(0x18, *dst, 1, 0, *fd));
                    out.push(0);
                }
                Item::Jump(code, dst, src, imm, label) => {
                    let target = *at.get(label).ok_or_else(|| format!("no label {label}"))?;
                    let off = target as i64 - out.len() as i64 - 1;
                    let off = i16::try_from(off).map_err(|_| format!("jump to {label} too far"))?;
                    out.push(encode(*code, *dst, *src, off, *imm));
                }
            }
        }
        Ok(out)
    }
}

fn bpf(cmd: libc::c_long, attr: &mut [u8]) -> io::Result<OwnedFd> {
    // SAFETY: `attr` is a zero-padded buffer at least as large as the
    // fields the command reads, alive for the call.
    let r = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), attr.len() as u32) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a successful BPF_MAP_CREATE / BPF_PROG_LOAD returns a new fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(r as i32) })
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

const BPF_MAP_CREATE: libc::c_long = 0;
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_MAP_TYPE_RINGBUF: u32 = 27;
const BPF_PROG_TYPE_TRACEPOINT: u32 = 5;

/// A ring-buffer map of `bytes` (a power of two, a multiple of the page size).
pub fn ringbuf_create(bytes: u32) -> io::Result<OwnedFd> {
    let mut attr = [0u8; 128];
    put_u32(&mut attr, 0, BPF_MAP_TYPE_RINGBUF);
    put_u32(&mut attr, 12, bytes);
    bpf(BPF_MAP_CREATE, &mut attr)
}

/// Loads a tracepoint program; on failure the error carries the verifier's log.
pub fn load_tracepoint_program(insns: &[u64], license: &str) -> io::Result<OwnedFd> {
    let license = std::ffi::CString::new(license).map_err(io::Error::other)?;
    let mut log = vec![0u8; 1 << 16];
    let mut attr = [0u8; 128];
    put_u32(&mut attr, 0, BPF_PROG_TYPE_TRACEPOINT);
    put_u32(&mut attr, 4, insns.len() as u32);
    put_u64(&mut attr, 8, insns.as_ptr() as u64);
    put_u64(&mut attr, 16, license.as_ptr() as u64);
    put_u32(&mut attr, 24, 1);
    put_u32(&mut attr, 28, log.len() as u32);
    put_u64(&mut attr, 32, log.as_mut_ptr() as u64);
    attr[48..48 + 11].copy_from_slice(b"podnet_drop");
    bpf(BPF_PROG_LOAD, &mut attr).map_err(|e| {
        let end = log.iter().position(|b| *b == 0).unwrap_or(log.len());
        let text = String::from_utf8_lossy(&log[..end]);
        let tail: Vec<&str> = text.lines().rev().take(6).collect();
        if tail.is_empty() {
            e
        } else {
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            io::Error::new(e.kind(), format!("{e}; verifier: {}", tail.join(" | ")))
        }
    })
}

const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 1 << 3;
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
const PERF_EVENT_IOC_SET_BPF: libc::c_ulong = 0x4004_2408;

/// Attaches `prog` to the tracepoint with id `tracepoint_id` (all CPUs);
/// the returned perf event keeps it attached until it is closed.
pub fn attach_tracepoint(tracepoint_id: u32, prog: &OwnedFd) -> io::Result<OwnedFd> {
    let mut attr = [0u8; 128];
    put_u32(&mut attr, 0, PERF_TYPE_TRACEPOINT);
    put_u32(&mut attr, 4, 128);
    put_u64(&mut attr, 8, tracepoint_id as u64);
    // SAFETY: `attr` is a zero-filled perf_event_attr of the size it declares.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            attr.as_mut_ptr(),
            -1i32,
            0i32,
            -1i32,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: perf_event_open returned a new fd we own.
    let event = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    // SAFETY: plain ioctls on our own perf event fd with an int argument.
    let r = unsafe {
        libc::ioctl(
            event.as_raw_fd(),
            PERF_EVENT_IOC_SET_BPF as _,
            prog.as_raw_fd(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::ioctl(event.as_raw_fd(), PERF_EVENT_IOC_ENABLE as _, 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(event)
}

/// The reading side of a ring-buffer map.
pub struct RingBuf {
    consumer: *mut u8,
    producer: *mut u8,
    page: usize,
    size: usize,
    _map: OwnedFd,
}

impl RingBuf {
    /// Maps a ring buffer of `size` bytes created by [`ringbuf_create`].
    pub fn open(map: OwnedFd, size: usize) -> io::Result<RingBuf> {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        // SAFETY: mapping the map's own fd as the kernel documents for ring
        // buffers: the consumer page read-write at 0, the producer page and
        // the data (twice, for wrap-around) read-only after it.
        let consumer = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                map.as_raw_fd(),
                0,
            )
        };
        if consumer == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above.
        let producer = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page + 2 * size,
                libc::PROT_READ,
                libc::MAP_SHARED,
                map.as_raw_fd(),
                page as libc::off_t,
            )
        };
        if producer == libc::MAP_FAILED {
            let e = io::Error::last_os_error();
            // SAFETY: unmapping what was mapped just above.
            unsafe { libc::munmap(consumer, page) };
            return Err(e);
        }
        Ok(RingBuf {
            consumer: consumer.cast(),
            producer: producer.cast(),
            page,
            size,
            _map: map,
        })
    }

    fn position(p: *mut u8) -> &'static AtomicU64 {
        // SAFETY: the first 8 bytes of each control page are the kernel's
        // 8-byte aligned position counters, mapped while self lives.
        unsafe { &*(p as *const AtomicU64) }
    }

    /// Hands every complete record to `each`; returns how many there were.
    pub fn drain(&mut self, mut each: impl FnMut(&[u8])) -> usize {
        const BUSY: u32 = 1 << 31;
        const DISCARD: u32 = 1 << 30;
        let cons_pos = Self::position(self.consumer);
        let prod_pos = Self::position(self.producer);
        let mut cons = cons_pos.load(Ordering::Acquire);
        let prod = prod_pos.load(Ordering::Acquire);
        let mut n = 0;
        while cons < prod {
            let at = (cons as usize) & (self.size - 1);
            // SAFETY: `at` is inside the data area (mapped twice, so a
            // record that wraps is contiguous); the header is 8 bytes.
            let data = unsafe { self.producer.add(self.page) };
            // SAFETY: reading the kernel-written header word atomically.
            let hdr = unsafe { &*(data.add(at) as *const std::sync::atomic::AtomicU32) }
                .load(Ordering::Acquire);
            if hdr & BUSY != 0 {
                break;
            }
            let len = (hdr & !(BUSY | DISCARD)) as usize;
            if len > self.size {
                break;
            }
            if hdr & DISCARD == 0 {
                // SAFETY: the record's `len` bytes follow its header inside
                // the double mapping.
                let rec = unsafe { std::slice::from_raw_parts(data.add(at + 8), len) };
                each(rec);
                n += 1;
            }
            cons += ((len + 8 + 7) & !7) as u64;
            cons_pos.store(cons, Ordering::Release);
        }
        n
    }
}

impl Drop for RingBuf {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the two mappings made in `open`.
        unsafe {
            libc::munmap(self.consumer.cast(), self.page);
            libc::munmap(self.producer.cast(), self.page + 2 * self.size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_encode_as_the_kernel_reads_them() {
        let mut a = Asm::default();
        a.mov_imm(R0, 0)
            .jump_imm(Cond::Eq, R7, 0, "out")
            .load(Size::DW, R1, R6, 16)
            .map_fd(R1, 5)
            .label("out")
            .exit();
        let p = a.finish().unwrap();
        assert_eq!(p.len(), 6);
        // mov r0, 0: code 0xb7
        assert_eq!(p[0], 0xb7);
        // jeq r7, 0, +4 (over the load and the two-slot map fd... and lands on exit)
        assert_eq!(p[1] & 0xff, 0x15);
        assert_eq!((p[1] >> 8) & 0xf, 7);
        assert_eq!((p[1] >> 16) as u16 as i16, 3);
        // ldxdw r1, [r6+16]
        assert_eq!(p[2], 0x79 | (1 | 6 << 4) << 8 | 16 << 16);
        // lddw r1, map fd 5 (pseudo map fd in src)
        assert_eq!(p[3], 0x18 | (1 | 1 << 4) << 8 | 5 << 32);
        assert_eq!(p[4], 0);
        assert_eq!(p[5], 0x95);
        let mut bad = Asm::default();
        bad.goto("nowhere");
        assert!(bad.finish().is_err());
    }
}
