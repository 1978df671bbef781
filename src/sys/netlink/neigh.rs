//! The engine's neighbour mutations: permanent ARP/NDP entries and
//! bridge/VXLAN forwarding-database entries, replaced or deleted (kernel I/O).

use std::io;
use std::net::IpAddr;

use netlink_packet_core::{NLM_F_APPEND, NLM_F_CREATE, NLM_F_REPLACE};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::socket::{RouteSocket, unless};

/// A forwarding-database entry of a VXLAN device: frames to `mac` go to
/// the tunnel endpoint `dst` (`bridge fdb … dst DST`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fdb {
    /// The VXLAN device's index.
    pub index: u32,
    pub mac: [u8; 6],
    pub dst: IpAddr,
    pub port: Option<u16>,
    pub vni: Option<u32>,
}

/// A permanent entry of `family` on link `index` for `dst`.
fn neighbour_message(
    family: AddressFamily,
    index: u32,
    dst: IpAddr,
    mac: Option<[u8; 6]>,
) -> NeighbourMessage {
    let mut m = NeighbourMessage::default();
    m.header.family = family;
    m.header.ifindex = index;
    m.header.state = NeighbourState::Permanent;
    if family == AddressFamily::Bridge {
        m.header.flags = NeighbourFlags::Own;
    }
    m.attributes
        .push(NeighbourAttribute::Destination(match dst {
            IpAddr::V4(v) => NeighbourAddress::Inet(v),
            IpAddr::V6(v) => NeighbourAddress::Inet6(v),
        }));
    if let Some(mac) = mac {
        m.attributes
            .push(NeighbourAttribute::LinkLayerAddress(mac.to_vec()));
    }
    m
}

fn fdb_message(f: &Fdb) -> NeighbourMessage {
    let mut m = neighbour_message(AddressFamily::Bridge, f.index, f.dst, Some(f.mac));
    if let Some(p) = f.port {
        m.attributes.push(NeighbourAttribute::Port(p));
    }
    if let Some(v) = f.vni {
        m.attributes.push(NeighbourAttribute::Vni(v));
    }
    m
}

fn family_of(ip: IpAddr) -> AddressFamily {
    match ip {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

impl RouteSocket {
    /// Adds or replaces the permanent neighbour entry `ip` → `mac` on link `index`.
    pub fn replace_neighbour(&mut self, index: u32, ip: IpAddr, mac: [u8; 6]) -> io::Result<()> {
        let m = neighbour_message(family_of(ip), index, ip, Some(mac));
        self.ack(
            RouteNetlinkMessage::NewNeighbour(m),
            NLM_F_CREATE | NLM_F_REPLACE,
        )
    }

    /// Deletes the neighbour entry for `ip` on link `index`; `Ok(false)` if
    /// there was none (ENOENT).
    pub fn del_neighbour(&mut self, index: u32, ip: IpAddr) -> io::Result<bool> {
        let mut m = neighbour_message(family_of(ip), index, ip, None);
        m.header.state = NeighbourState::None;
        unless(
            self.ack(RouteNetlinkMessage::DelNeighbour(m), 0),
            &[libc::ENOENT],
        )
    }

    /// Adds an FDB entry beside any others for the same MAC (`bridge fdb append`).
    pub fn append_fdb(&mut self, f: &Fdb) -> io::Result<()> {
        self.ack(
            RouteNetlinkMessage::NewNeighbour(fdb_message(f)),
            NLM_F_CREATE | NLM_F_APPEND,
        )
    }

    /// Adds or replaces the FDB entry for `f`'s MAC (`bridge fdb replace`).
    pub fn replace_fdb(&mut self, f: &Fdb) -> io::Result<()> {
        self.ack(
            RouteNetlinkMessage::NewNeighbour(fdb_message(f)),
            NLM_F_CREATE | NLM_F_REPLACE,
        )
    }

    /// Deletes an FDB entry; `Ok(false)` if there was none (ENOENT).
    pub fn del_fdb(&mut self, f: &Fdb) -> io::Result<bool> {
        let r = self.ack(RouteNetlinkMessage::DelNeighbour(fdb_message(f)), 0);
        unless(r, &[libc::ENOENT])
    }
}
