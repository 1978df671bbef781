//! The engine's address mutations: add and delete an address on a link
//! (messages from rtnetlink's AddressMessageBuilder; kernel I/O).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressMessage;
use rtnetlink::AddressMessageBuilder;

use super::socket::{RouteSocket, unless};

/// `addr` on the link with index `index` (IPv4 with its broadcast address).
fn address_message(index: u32, addr: IpNet) -> AddressMessage {
    match addr.addr() {
        IpAddr::V4(a) => AddressMessageBuilder::<Ipv4Addr>::new()
            .index(index)
            .address(a, addr.prefix_len())
            .build(),
        IpAddr::V6(a) => AddressMessageBuilder::<Ipv6Addr>::new()
            .index(index)
            .address(a, addr.prefix_len())
            .build(),
    }
}

impl RouteSocket {
    /// Adds an address; `Ok(false)` if it was there (EEXIST).
    pub fn add_address(&mut self, index: u32, addr: IpNet) -> io::Result<bool> {
        let r = self.ack(
            RouteNetlinkMessage::NewAddress(address_message(index, addr)),
            NLM_F_CREATE | NLM_F_EXCL,
        );
        unless(r, &[libc::EEXIST])
    }

    /// Deletes an address; `Ok(false)` if it (or the link) was not there.
    pub fn del_address(&mut self, index: u32, addr: IpNet) -> io::Result<bool> {
        let r = self.ack(
            RouteNetlinkMessage::DelAddress(address_message(index, addr)),
            0,
        );
        unless(r, &[libc::EADDRNOTAVAIL, libc::ENODEV, libc::ESRCH])
    }
}
