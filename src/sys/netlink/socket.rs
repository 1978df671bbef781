//! The rtnetlink socket and its exchange loop: one request out, its
//! replies, ACK or error back, dumps redone when the kernel interrupts
//! them (kernel I/O).

use std::io;
use std::os::fd::RawFd;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTIPART, NLM_F_REQUEST, NetlinkDeserializable,
    NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

/// Turns one reply (header, payload after the netlink header) into a `T`, or skips it.
pub type ParseReply<'a, T> = dyn FnMut(&NetlinkHeader, &[u8]) -> io::Result<Option<T>> + 'a;

/// Receive buffer: larger than any dump datagram the kernel sends.
const RECV_BUF: usize = 64 * 1024;
/// A dump interrupted by a concurrent change is retried this many times.
const DUMP_RETRIES: usize = 3;

/// An rtnetlink socket bound to the netns it was created in.
pub struct RouteSocket {
    sock: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl std::os::fd::AsRawFd for RouteSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl RouteSocket {
    /// Opens a socket in the calling thread's current network namespace.
    pub fn new() -> io::Result<Self> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        // Ask the kernel to validate dump filters instead of silently ignoring them.
        let _ = sock.set_netlink_get_strict_chk(true);
        let _ = sock.set_ext_ack(true);
        Ok(RouteSocket {
            sock,
            seq: 0,
            buf: Vec::with_capacity(RECV_BUF),
        })
    }

    /// Sends a dump request and collects every reply, retrying when the
    /// kernel flags the dump as interrupted by a concurrent change.
    pub fn dump(&mut self, msg: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
        self.dump_parsed(msg, &mut |header, payload| {
            parse_payload(header, payload).map(Some)
        })
    }

    /// Sends a dump request and turns each reply's payload (the bytes after
    /// the netlink header) into a `T` with `parse`, which reads only what it
    /// needs; `None` skips a message. An interrupted dump is redone.
    pub fn dump_parsed<T>(
        &mut self,
        msg: RouteNetlinkMessage,
        parse: &mut ParseReply<'_, T>,
    ) -> io::Result<Vec<T>> {
        let mut out = Vec::new();
        for _ in 0..DUMP_RETRIES {
            out.clear();
            let interrupted = self.exchange(msg.clone(), NLM_F_DUMP, &mut |h, p| {
                out.extend(parse(h, p)?);
                Ok(())
            })?;
            if !interrupted {
                break;
            }
        }
        Ok(out)
    }

    /// Sends one request (with an ACK asked for) and collects the replies.
    pub fn request(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> io::Result<Vec<RouteNetlinkMessage>> {
        let mut out = Vec::new();
        self.exchange(msg, flags | NLM_F_ACK, &mut |header, payload| {
            out.push(parse_payload(header, payload)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Sends one change (with an ACK asked for) and waits for the kernel's
    /// answer: `Ok(())` or the errno it refused with.
    pub(super) fn ack(&mut self, msg: RouteNetlinkMessage, flags: u16) -> io::Result<()> {
        self.exchange(msg, flags | NLM_F_ACK, &mut |_, _| Ok(()))
            .map(|_| ())
    }

    /// Sends a request and feeds every reply of it to `each`; returns
    /// whether the kernel marked the dump as interrupted.
    fn exchange(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
        each: &mut dyn FnMut(&NetlinkHeader, &[u8]) -> io::Result<()>,
    ) -> io::Result<bool> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | flags;
        header.sequence_number = seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(msg));
        packet.finalize();
        let mut out = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut out);
        self.sock.send(&out, 0)?;

        let is_dump = flags & NLM_F_DUMP == NLM_F_DUMP;
        let mut interrupted = false;
        loop {
            self.buf.clear();
            let n = self.sock.recv(&mut self.buf, 0)?;
            if n > self.buf.len() {
                return Err(io::Error::other("netlink reply truncated"));
            }
            let mut offset = 0;
            while offset + NLMSG_HDRLEN <= self.buf.len() {
                let h = read_header(&self.buf[offset..]);
                let len = h.length as usize;
                if len < NLMSG_HDRLEN || offset + len > self.buf.len() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "malformed netlink message",
                    ));
                }
                let payload = &self.buf[offset + NLMSG_HDRLEN..offset + len];
                offset += (len + 3) & !3;
                if h.sequence_number != seq {
                    continue; // a stale reply to an earlier request
                }
                if h.flags & NLM_F_DUMP_INTR != 0 {
                    interrupted = true;
                }
                match h.message_type {
                    NLMSG_DONE => {
                        return match error_code(payload) {
                            Some(code) if code < 0 => Err(io::Error::from_raw_os_error(-code)),
                            _ => Ok(interrupted),
                        };
                    }
                    NLMSG_ERROR => {
                        return match error_code(payload) {
                            Some(0) => Ok(interrupted),
                            Some(code) => Err(io::Error::from_raw_os_error(code.abs())),
                            None => Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                "short netlink error",
                            )),
                        };
                    }
                    NLMSG_NOOP => {}
                    _ => {
                        each(&h, payload)?;
                        let multipart = h.flags & NLM_F_MULTIPART != 0;
                        if !is_dump && !multipart && flags & NLM_F_ACK == 0 {
                            return Ok(interrupted);
                        }
                    }
                }
            }
        }
    }
}

const NLMSG_HDRLEN: usize = 16;
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;

fn read_header(b: &[u8]) -> NetlinkHeader {
    let mut h = NetlinkHeader::default();
    h.length = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
    h.message_type = u16::from_ne_bytes([b[4], b[5]]);
    h.flags = u16::from_ne_bytes([b[6], b[7]]);
    h.sequence_number = u32::from_ne_bytes([b[8], b[9], b[10], b[11]]);
    h.port_number = u32::from_ne_bytes([b[12], b[13], b[14], b[15]]);
    h
}

/// The `int error` that starts an NLMSG_ERROR / NLMSG_DONE payload.
fn error_code(payload: &[u8]) -> Option<i32> {
    let b: [u8; 4] = payload.get(..4)?.try_into().ok()?;
    Some(i32::from_ne_bytes(b))
}

fn parse_payload(header: &NetlinkHeader, payload: &[u8]) -> io::Result<RouteNetlinkMessage> {
    RouteNetlinkMessage::deserialize(header, payload)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
}

/// The errno of a kernel error, 0 when it carries none.
pub(in crate::sys) fn errno(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

/// `Ok(false)` when the kernel answered one of `absent` (the object was
/// not there, or already there for an add), `Ok(true)` when it acted.
pub(super) fn unless(r: std::io::Result<()>, absent: &[i32]) -> std::io::Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if absent.contains(&errno(&e)) => Ok(false),
        Err(e) => Err(e),
    }
}
