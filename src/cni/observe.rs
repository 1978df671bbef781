//! What a network namespace holds, as the CNI plugin needs it (links with
//! kind, state, master, veth peer and alias; addresses; routes), parsed
//! from rtnetlink messages. No I/O.

use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage,
};
use netlink_packet_route::link::{
    InfoBridgePort, InfoPortData, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};

use crate::model::route::RT_TABLE_MAIN;

/// One link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkView {
    pub index: u32,
    pub name: String,
    /// `veth`, `bridge`, … (empty for a physical or loopback device).
    pub kind: String,
    pub admin_up: bool,
    /// Operational state `up` (or `unknown`, as loopback reports).
    pub oper_up: bool,
    pub oper_state: String,
    pub mtu: Option<u32>,
    pub mac: String,
    pub master: Option<u32>,
    /// IFLA_LINK: the veth peer's ifindex in the peer's namespace.
    pub peer_index: Option<u32>,
    /// IFLA_LINK_NETNSID: the peer namespace's id as seen from here.
    pub peer_netnsid: Option<i32>,
    pub alias: Option<String>,
    /// Bridge port hairpin mode, for a bridge port.
    pub hairpin: Option<bool>,
    pub promisc: bool,
}

/// One address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrView {
    pub index: u32,
    pub addr: IpNet,
    pub tentative: bool,
}

/// One route of the main table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteView {
    pub dst: IpNet,
    pub gw: Option<IpAddr>,
    pub oif: Option<u32>,
    pub table: u32,
}

/// A namespace's links, addresses and routes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NsView {
    pub links: Vec<LinkView>,
    pub addrs: Vec<AddrView>,
    pub routes: Vec<RouteView>,
}

impl NsView {
    pub fn link(&self, name: &str) -> Option<&LinkView> {
        self.links.iter().find(|l| l.name == name)
    }

    pub fn link_by_index(&self, index: u32) -> Option<&LinkView> {
        self.links.iter().find(|l| l.index == index)
    }

    pub fn addrs_of(&self, index: u32) -> impl Iterator<Item = &AddrView> {
        self.addrs.iter().filter(move |a| a.index == index)
    }

    /// Ports of a bridge.
    pub fn ports_of(&self, bridge_index: u32) -> impl Iterator<Item = &LinkView> {
        self.links
            .iter()
            .filter(move |l| l.master == Some(bridge_index))
    }
}

fn mac(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn link(msg: &LinkMessage) -> LinkView {
    let mut v = LinkView {
        index: msg.header.index,
        admin_up: msg.header.flags.contains(LinkFlags::Up),
        promisc: msg.header.flags.contains(LinkFlags::Promisc),
        ..Default::default()
    };
    for attr in &msg.attributes {
        match attr {
            LinkAttribute::IfName(n) => v.name = n.clone(),
            LinkAttribute::Mtu(m) => v.mtu = Some(*m),
            LinkAttribute::Address(a) => v.mac = mac(a),
            LinkAttribute::OperState(s) => {
                v.oper_up = matches!(s, State::Up | State::Unknown);
                v.oper_state = s.to_string().to_ascii_lowercase();
            }
            LinkAttribute::Link(l) => v.peer_index = Some(*l),
            LinkAttribute::LinkNetNsId(id) => v.peer_netnsid = Some(*id),
            LinkAttribute::Controller(m) => v.master = Some(*m),
            LinkAttribute::IfAlias(a) => v.alias = Some(a.clone()),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    match info {
                        LinkInfo::Kind(k) => v.kind = k.to_string(),
                        LinkInfo::PortData(InfoPortData::BridgePort(ps)) => {
                            for p in ps {
                                if let InfoBridgePort::HairpinMode(h) = p {
                                    v.hairpin = Some(*h);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    v
}

pub fn address(msg: &AddressMessage) -> Option<AddrView> {
    let mut address = None;
    let mut local = None;
    let mut tentative = msg.header.flags.contains(AddressHeaderFlags::Tentative);
    for attr in &msg.attributes {
        match attr {
            AddressAttribute::Address(a) => address = Some(*a),
            AddressAttribute::Local(a) => local = Some(*a),
            AddressAttribute::Flags(f) => tentative |= f.contains(AddressFlags::Tentative),
            _ => {}
        }
    }
    let ip = local.or(address)?;
    Some(AddrView {
        index: msg.header.index,
        addr: IpNet::new(ip, msg.header.prefix_len).ok()?,
        tentative,
    })
}

fn route_ip(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v) => Some(IpAddr::V4(*v)),
        RouteAddress::Inet6(v) => Some(IpAddr::V6(*v)),
        _ => None,
    }
}

pub fn route(msg: &RouteMessage) -> Option<RouteView> {
    let v4 = msg.header.address_family == netlink_packet_route::AddressFamily::Inet;
    let mut dst = None;
    let mut gw = None;
    let mut oif = None;
    let mut table = u32::from(msg.header.table);
    for attr in &msg.attributes {
        match attr {
            RouteAttribute::Destination(a) => dst = route_ip(a),
            RouteAttribute::Gateway(a) => gw = route_ip(a),
            RouteAttribute::Oif(i) => oif = Some(*i),
            RouteAttribute::Table(t) => table = *t,
            _ => {}
        }
    }
    let dst = match dst {
        Some(d) => d,
        None if v4 => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        None => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    };
    Some(RouteView {
        dst: IpNet::new(dst, msg.header.destination_prefix_length).ok()?,
        gw,
        oif,
        table,
    })
}

/// Builds a view from dumps.
pub fn ns_view(links: &[LinkMessage], addrs: &[AddressMessage], routes: &[RouteMessage]) -> NsView {
    NsView {
        links: links.iter().map(link).collect(),
        addrs: addrs.iter().filter_map(address).collect(),
        routes: routes
            .iter()
            .filter_map(route)
            .filter(|r| r.table == RT_TABLE_MAIN)
            .collect(),
    }
}
