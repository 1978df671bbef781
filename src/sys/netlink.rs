//! A synchronous rtnetlink socket: dumps of links, addresses, routes and
//! neighbours, and nsid queries, in the network namespace the socket was
//! created in (kernel I/O). Messages are returned unparsed as
//! netlink-packet-route types; `discover::links` turns them into the model.

use std::io;
use std::os::fd::RawFd;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTIPART, NLM_F_REQUEST, NetlinkHeader,
    NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

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

    /// Every link with its attributes (including IFLA_STATS64).
    pub fn dump_links(&mut self) -> io::Result<Vec<LinkMessage>> {
        let msgs = self.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(l),
                _ => None,
            })
            .collect())
    }

    /// Every address of every family.
    pub fn dump_addresses(&mut self) -> io::Result<Vec<AddressMessage>> {
        let msgs = self.dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewAddress(a) => Some(a),
                _ => None,
            })
            .collect())
    }

    /// The nsid this netns assigned to the netns open at `fd`
    /// (RTM_GETNSID with NETNSA_FD); `None` when none is assigned.
    pub fn nsid_of(&mut self, fd: RawFd) -> io::Result<Option<i32>> {
        let mut msg = NsidMessage::default();
        msg.attributes.push(NsidAttribute::Fd(fd as u32));
        let replies = self.request(RouteNetlinkMessage::GetNsId(msg), 0)?;
        for reply in replies {
            if let RouteNetlinkMessage::NewNsId(m) = reply {
                for attr in m.attributes {
                    if let NsidAttribute::Id(id) = attr {
                        return Ok((id >= 0).then_some(id));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Sends a dump request and collects every reply, retrying when the
    /// kernel flags the dump as interrupted by a concurrent change.
    pub fn dump(&mut self, msg: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
        let mut last = Vec::new();
        for _ in 0..DUMP_RETRIES {
            let (msgs, interrupted) = self.exchange(msg.clone(), NLM_F_DUMP)?;
            if !interrupted {
                return Ok(msgs);
            }
            last = msgs;
        }
        Ok(last)
    }

    /// Sends one request (with an ACK asked for) and collects the replies.
    pub fn request(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> io::Result<Vec<RouteNetlinkMessage>> {
        Ok(self.exchange(msg, flags | NLM_F_ACK)?.0)
    }

    fn exchange(
        &mut self,
        msg: RouteNetlinkMessage,
        flags: u16,
    ) -> io::Result<(Vec<RouteNetlinkMessage>, bool)> {
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
        let mut replies = Vec::new();
        let mut interrupted = false;
        loop {
            self.buf.clear();
            let n = self.sock.recv(&mut self.buf, 0)?;
            if n > self.buf.len() {
                return Err(io::Error::other("netlink reply truncated"));
            }
            let mut offset = 0;
            while offset < self.buf.len() {
                let bytes = &self.buf[offset..];
                let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(bytes)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                let len = reply.header.length as usize;
                if len == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "netlink message of length 0",
                    ));
                }
                offset += (len + 3) & !3;
                if reply.header.sequence_number != seq {
                    continue; // a stale reply to an earlier request
                }
                if reply.header.flags & NLM_F_DUMP_INTR != 0 {
                    interrupted = true;
                }
                let multipart = reply.header.flags & NLM_F_MULTIPART != 0;
                match reply.payload {
                    NetlinkPayload::Done(_) => return Ok((replies, interrupted)),
                    NetlinkPayload::Error(e) => {
                        return match e.code {
                            None => Ok((replies, interrupted)),
                            Some(_) => Err(e.to_io()),
                        };
                    }
                    NetlinkPayload::InnerMessage(m) => {
                        replies.push(m);
                        if !is_dump && !multipart && flags & NLM_F_ACK == 0 {
                            return Ok((replies, interrupted));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

impl RouteSocket {
    /// Every route of every table, IPv4 and IPv6.
    pub fn dump_routes(&mut self) -> io::Result<Vec<netlink_packet_route::route::RouteMessage>> {
        use netlink_packet_route::route::RouteMessage;
        let mut all = Vec::new();
        for family in [
            netlink_packet_route::AddressFamily::Inet,
            netlink_packet_route::AddressFamily::Inet6,
        ] {
            let mut req = RouteMessage::default();
            req.header.address_family = family;
            for m in self.dump(RouteNetlinkMessage::GetRoute(req))? {
                if let RouteNetlinkMessage::NewRoute(r) = m {
                    all.push(r);
                }
            }
        }
        Ok(all)
    }
}
