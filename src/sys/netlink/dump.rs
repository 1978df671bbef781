//! The engine's reads: dumps of links, addresses, routes of a table,
//! policy rules and neighbours (FDB included), a route lookup, and nsid
//! queries (kernel I/O).

use std::io;
use std::os::fd::RawFd;

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};

use super::abi::RT_TABLE_UNSPEC;
use super::socket::RouteSocket;

impl RouteSocket {
    /// Every link, each RTM_NEWLINK payload turned into a `T` by `parse`;
    /// `with_stats: false` asks the kernel to leave the counters out.
    pub fn dump_links_with<T>(
        &mut self,
        with_stats: bool,
        parse: &mut dyn FnMut(&[u8]) -> io::Result<T>,
    ) -> io::Result<Vec<T>> {
        let mut req = LinkMessage::default();
        if !with_stats {
            req.attributes
                .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        }
        self.dump_parsed(RouteNetlinkMessage::GetLink(req), &mut |_, p| {
            parse(p).map(Some)
        })
    }

    /// Every link with all its attributes parsed (slower than
    /// [`RouteSocket::dump_links_with`]; for callers that need everything).
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
}

impl RouteSocket {
    /// The routes of one table ([`RT_TABLE_MAIN`](super::abi::RT_TABLE_MAIN);
    /// [`RT_TABLE_UNSPEC`] is every table) of one family
    /// (`ipv6`), filtered by the kernel (strict checking is on).
    pub fn dump_routes(
        &mut self,
        table: u8,
        ipv6: bool,
    ) -> io::Result<Vec<netlink_packet_route::route::RouteMessage>> {
        use netlink_packet_route::AddressFamily;
        use netlink_packet_route::route::RouteMessage;
        let mut req = RouteMessage::default();
        req.header.address_family = if ipv6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        req.header.table = table;
        let msgs = match self.dump(RouteNetlinkMessage::GetRoute(req)) {
            Ok(msgs) => msgs,
            // The kernel creates a table with its first route: a netns with no
            // IPv4 address and lo down has no main table, and a filtered dump
            // of a missing table fails with ENOENT.
            Err(e) if table != RT_TABLE_UNSPEC && e.raw_os_error() == Some(libc::ENOENT) => {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRoute(r)
                    if table == RT_TABLE_UNSPEC || r.header.table == table =>
                {
                    Some(r)
                }
                _ => None,
            })
            .collect())
    }
}

impl RouteSocket {
    /// Every policy-routing rule of one family (`ip rule show`, RTM_GETRULE).
    pub fn dump_rules(
        &mut self,
        ipv6: bool,
    ) -> io::Result<Vec<netlink_packet_route::rule::RuleMessage>> {
        use netlink_packet_route::AddressFamily;
        use netlink_packet_route::rule::RuleMessage;
        let mut req = RuleMessage::default();
        req.header.family = if ipv6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        let msgs = self.dump(RouteNetlinkMessage::GetRule(req))?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRule(r) => Some(r),
                _ => None,
            })
            .collect())
    }

    /// Neighbour entries of one family (`AddressFamily::Bridge` gives the
    /// bridge and VXLAN forwarding databases, like `bridge fdb show`).
    pub fn dump_neighbours(
        &mut self,
        family: netlink_packet_route::AddressFamily,
    ) -> io::Result<Vec<netlink_packet_route::neighbour::NeighbourMessage>> {
        use netlink_packet_route::neighbour::NeighbourMessage;
        let mut req = NeighbourMessage::default();
        req.header.family = family;
        let msgs = self.dump(RouteNetlinkMessage::GetNeighbour(req))?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewNeighbour(n) => Some(n),
                _ => None,
            })
            .collect())
    }

    /// The kernel's route for a packet to `dst` from `src` arriving on
    /// interface `iif` (`ip route get DST from SRC iif DEV`), or the error
    /// the lookup gives (EHOSTUNREACH when forwarding is off, ENETUNREACH
    /// with no route, EINVAL/EXDEV when the reverse-path filter refuses `src`).
    pub fn route_get(
        &mut self,
        dst: std::net::IpAddr,
        src: Option<std::net::IpAddr>,
        iif: Option<u32>,
    ) -> io::Result<netlink_packet_route::route::RouteMessage> {
        use netlink_packet_route::AddressFamily;
        use netlink_packet_route::route::{RouteAttribute, RouteMessage};
        let mut req = RouteMessage::default();
        req.header.address_family = if dst.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        req.header.destination_prefix_length = if dst.is_ipv4() { 32 } else { 128 };
        req.attributes.push(RouteAttribute::Destination(dst.into()));
        if let Some(s) = src {
            req.header.source_prefix_length = if s.is_ipv4() { 32 } else { 128 };
            req.attributes.push(RouteAttribute::Source(s.into()));
        }
        if let Some(i) = iif {
            req.attributes.push(RouteAttribute::Iif(i));
        }
        let replies = self.request(RouteNetlinkMessage::GetRoute(req), 0)?;
        replies
            .into_iter()
            .find_map(|m| match m {
                RouteNetlinkMessage::NewRoute(r) => Some(r),
                _ => None,
            })
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no route in the answer"))
    }
}
