//! Turns rtnetlink link and address messages into model interfaces. No I/O.

use std::collections::HashMap;

use netlink_packet_route::AddressFamily;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkLayerType, LinkMessage};

use crate::model::netns::LinkStats;
use crate::model::{Interface, LinkKind, OperState};

/// Link attribute numbers (linux/if_link.h) read by [`interface_from_payload`].
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
const IFLA_OPERSTATE: u16 = 16;
const IFLA_LINKINFO: u16 = 18;
const IFLA_STATS64: u16 = 23;
const IFLA_LINK_NETNSID: u16 = 37;
const IFLA_INFO_KIND: u16 = 1;
const ARPHRD_LOOPBACK: u16 = 772;
const IFF_UP: u32 = 1;
/// Size of `struct ifinfomsg`.
const LINK_HEADER_LEN: usize = 16;

/// The attributes (type without the nested/byte-order flags, value) of a netlink attribute stream.
fn nlas(mut b: &[u8]) -> impl Iterator<Item = Result<(u16, &[u8]), String>> {
    std::iter::from_fn(move || {
        if b.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([b[0], b[1]]) as usize;
        let kind = u16::from_ne_bytes([b[2], b[3]]) & 0x3fff;
        if len < 4 || len > b.len() {
            b = &[];
            return Some(Err(format!("bad attribute length {len}")));
        }
        let value = &b[4..len];
        b = &b[((len + 3) & !3).min(b.len())..];
        Some(Ok((kind, value)))
    })
}

fn u32_of(v: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(v.get(..4)?.try_into().ok()?))
}

fn u64_at(v: &[u8], i: usize) -> u64 {
    v.get(i * 8..i * 8 + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_ne_bytes)
        .unwrap_or(0)
}

fn c_str(v: &[u8]) -> String {
    let end = v.iter().position(|&c| c == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

/// `IF_OPER_*` in lower case, as `ip` prints them.
fn oper_state_name(v: u8) -> OperState {
    match v {
        0 => OperState::Unknown,
        1 => OperState::NotPresent,
        2 => OperState::Down,
        3 => OperState::LowerLayerDown,
        4 => OperState::Testing,
        5 => OperState::Dormant,
        6 => OperState::Up,
        _ => OperState::Other(v.to_string()),
    }
}

/// One interface from a raw RTM_NEWLINK payload, decoding only the
/// attributes podnet uses (a full parse of every attribute, IFLA_AF_SPEC
/// above all, costs several times the kernel's own work at 1000 links).
pub fn interface_from_payload(payload: &[u8]) -> Result<Interface, String> {
    let h = payload.get(..LINK_HEADER_LEN).ok_or("short link message")?;
    let link_type = u16::from_ne_bytes([h[2], h[3]]);
    let ifindex = u32::from_ne_bytes([h[4], h[5], h[6], h[7]]);
    let flags = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
    let mut info_kind = String::new();
    let mut iface = Interface {
        name: String::new(),
        ifindex,
        kind: LinkKind::default(),
        addresses: Vec::new(),
        mac: None,
        mtu: None,
        oper_state: OperState::Unknown,
        admin_up: flags & IFF_UP != 0,
        link_ifindex: None,
        link_netnsid: None,
        master_ifindex: None,
        stats: None,
    };
    for nla in nlas(&payload[LINK_HEADER_LEN..]) {
        let (kind, v) = nla?;
        match kind {
            IFLA_IFNAME => iface.name = c_str(v),
            IFLA_MTU => iface.mtu = u32_of(v),
            IFLA_ADDRESS if v.len() == 6 => iface.mac = Some(format_mac(v)),
            IFLA_OPERSTATE => iface.oper_state = oper_state_name(v.first().copied().unwrap_or(0)),
            IFLA_LINK => iface.link_ifindex = u32_of(v),
            IFLA_LINK_NETNSID => iface.link_netnsid = u32_of(v).map(|x| x as i32),
            IFLA_MASTER => iface.master_ifindex = u32_of(v),
            IFLA_LINKINFO => {
                for info in nlas(v).flatten() {
                    if info.0 == IFLA_INFO_KIND {
                        info_kind = c_str(info.1);
                    }
                }
            }
            // struct rtnl_link_stats64: rx_packets, tx_packets, rx_bytes, tx_bytes,
            // rx_errors, tx_errors, rx_dropped, tx_dropped, …
            IFLA_STATS64 if v.len() >= 64 => {
                iface.stats = Some(LinkStats {
                    rx_packets: u64_at(v, 0),
                    tx_packets: u64_at(v, 1),
                    rx_bytes: u64_at(v, 2),
                    tx_bytes: u64_at(v, 3),
                    rx_errors: u64_at(v, 4),
                    tx_errors: u64_at(v, 5),
                    rx_dropped: u64_at(v, 6),
                    tx_dropped: u64_at(v, 7),
                })
            }
            _ => {}
        }
    }
    iface.kind = link_kind(&info_kind, link_type == ARPHRD_LOOPBACK);
    Ok(iface)
}

/// One interface from a link message (addresses empty; see [`attach_addresses`]).
pub fn interface(msg: &LinkMessage) -> Interface {
    let mut info_kind = String::new();
    let mut iface = Interface {
        name: String::new(),
        ifindex: msg.header.index,
        kind: LinkKind::default(),
        addresses: Vec::new(),
        mac: None,
        mtu: None,
        oper_state: OperState::Unknown,
        admin_up: msg.header.flags.contains(LinkFlags::Up),
        link_ifindex: None,
        link_netnsid: None,
        master_ifindex: None,
        stats: None,
    };
    for attr in &msg.attributes {
        match attr {
            LinkAttribute::IfName(n) => iface.name = n.clone(),
            LinkAttribute::Mtu(m) => iface.mtu = Some(*m),
            LinkAttribute::Address(a) if a.len() == 6 => iface.mac = Some(format_mac(a)),
            LinkAttribute::OperState(s) => {
                iface.oper_state = OperState::from(s.to_string().to_ascii_lowercase().as_str())
            }
            LinkAttribute::Link(l) => iface.link_ifindex = Some(*l),
            LinkAttribute::LinkNetNsId(id) => iface.link_netnsid = Some(*id),
            LinkAttribute::Controller(m) => iface.master_ifindex = Some(*m),
            LinkAttribute::Stats64(st) => {
                iface.stats = Some(LinkStats {
                    rx_packets: st.rx_packets,
                    tx_packets: st.tx_packets,
                    rx_bytes: st.rx_bytes,
                    tx_bytes: st.tx_bytes,
                    rx_dropped: st.rx_dropped,
                    tx_dropped: st.tx_dropped,
                    rx_errors: st.rx_errors,
                    tx_errors: st.tx_errors,
                })
            }
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    if let LinkInfo::Kind(k) = info {
                        info_kind = k.to_string();
                    }
                }
            }
            _ => {}
        }
    }
    iface.kind = link_kind(
        &info_kind,
        msg.header.link_layer_type == LinkLayerType::Loopback,
    );
    iface
}

/// The kind named by `IFLA_INFO_KIND`, or `loopback` / `device` when it named none.
fn link_kind(info_kind: &str, loopback: bool) -> LinkKind {
    match info_kind {
        "" if loopback => LinkKind::Loopback,
        "" => LinkKind::Device,
        k => LinkKind::from(k),
    }
}

/// Adds each address (CIDR) to its interface, IPv4 before IPv6, in dump order.
pub fn attach_addresses(ifaces: &mut [Interface], addrs: &[AddressMessage]) {
    let by_index: HashMap<u32, usize> = ifaces
        .iter()
        .enumerate()
        .map(|(i, f)| (f.ifindex, i))
        .collect();
    let mut sorted: Vec<&AddressMessage> = addrs.iter().collect();
    sorted.sort_by_key(|a| a.header.family != AddressFamily::Inet);
    for a in sorted {
        let Some(&i) = by_index.get(&a.header.index) else {
            continue;
        };
        if let Some(cidr) = address_cidr(a) {
            ifaces[i].addresses.push(cidr);
        }
    }
}

/// The parameters of a VXLAN device, from a fully parsed link message.
pub fn vxlan_info(msg: &LinkMessage) -> Option<crate::model::doctor::VxlanInfo> {
    use netlink_packet_route::link::{InfoData, InfoVxlan};
    let data = msg.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
            LinkInfo::Data(InfoData::Vxlan(v)) => Some(v),
            _ => None,
        }),
        _ => None,
    })?;
    let mut out = crate::model::doctor::VxlanInfo {
        ifindex: msg.header.index,
        vni: None,
        local: None,
        link: None,
        port: None,
        learning: None,
    };
    let mut external = false;
    for d in data {
        match d {
            InfoVxlan::CollectMetadata(on) => external = *on,
            InfoVxlan::Id(v) => out.vni = Some(*v),
            InfoVxlan::Local(a) => out.local = Some((*a).into()),
            InfoVxlan::Local6(a) => out.local = Some((*a).into()),
            InfoVxlan::Link(l) => out.link = Some(*l),
            InfoVxlan::Port(p) => out.port = Some(*p),
            InfoVxlan::Learning(l) => out.learning = Some(*l),
            _ => {}
        }
    }
    // a collect-metadata device has no VNI of its own (the kernel reports 0)
    if external {
        out.vni = None;
    }
    Some(out)
}

/// `10.0.0.1/24` from an address message (IFA_LOCAL for IPv4, IFA_ADDRESS otherwise).
pub fn address_cidr(a: &AddressMessage) -> Option<ipnet::IpNet> {
    let mut address = None;
    let mut local = None;
    for attr in &a.attributes {
        match attr {
            AddressAttribute::Address(ip) => address = Some(*ip),
            AddressAttribute::Local(ip) => local = Some(*ip),
            _ => {}
        }
    }
    let ip = local.or(address)?;
    ipnet::IpNet::new(ip, a.header.prefix_len).ok()
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn format_mac(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Interfaces of one netns, sorted by ifindex, with their addresses.
pub fn interfaces(mut links: Vec<Interface>, addrs: &[AddressMessage]) -> Vec<Interface> {
    links.sort_by_key(|i| i.ifindex);
    attach_addresses(&mut links, addrs);
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
    use netlink_packet_route::RouteNetlinkMessage;
    use netlink_packet_route::link::{InfoKind, State};

    fn link(index: u32, name: &str, kind: Option<InfoKind>) -> LinkMessage {
        let mut m = LinkMessage::default();
        m.header.index = index;
        m.header.link_layer_type = LinkLayerType::Ether;
        m.header.flags = LinkFlags::Up;
        m.attributes.push(LinkAttribute::IfName(name.into()));
        m.attributes.push(LinkAttribute::Mtu(1450));
        m.attributes
            .push(LinkAttribute::Address(vec![0xaa, 0xbb, 0xcc, 0, 1, 2]));
        m.attributes.push(LinkAttribute::OperState(State::Up));
        if let Some(k) = kind {
            m.attributes
                .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(k)]));
        }
        m
    }

    fn addr(index: u32, ip: &str, prefix: u8) -> AddressMessage {
        let mut a = AddressMessage::default();
        let ip: std::net::IpAddr = ip.parse().unwrap();
        a.header.family = if ip.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        a.header.index = index;
        a.header.prefix_len = prefix;
        a.attributes.push(AddressAttribute::Address(ip));
        a
    }

    #[test]
    fn veth_with_peer_attributes() {
        let mut m = link(3, "eth0", Some(InfoKind::Veth));
        m.attributes.push(LinkAttribute::Link(17));
        m.attributes.push(LinkAttribute::LinkNetNsId(0));
        let i = interface(&m);
        assert_eq!(
            (i.name.as_str(), i.kind.as_str(), i.ifindex),
            ("eth0", "veth", 3)
        );
        assert_eq!((i.link_ifindex, i.link_netnsid), (Some(17), Some(0)));
        assert_eq!(i.mac.as_deref(), Some("aa:bb:cc:00:01:02"));
        assert_eq!(i.oper_state, OperState::Up);
        assert!(i.admin_up);
    }

    #[test]
    fn loopback_and_plain_devices() {
        let mut lo = link(1, "lo", None);
        lo.header.link_layer_type = LinkLayerType::Loopback;
        assert_eq!(interface(&lo).kind, LinkKind::Loopback);
        assert_eq!(interface(&link(2, "ens3", None)).kind, LinkKind::Device);
    }

    #[test]
    fn addresses_attach_ipv4_first() {
        let links = vec![
            interface(&link(3, "eth0", Some(InfoKind::Veth))),
            interface(&link(1, "lo", None)),
        ];
        let addrs = vec![
            addr(3, "fd00::5", 64),
            addr(3, "10.244.1.7", 24),
            addr(9, "1.2.3.4", 8),
        ];
        let ifs = interfaces(links, &addrs);
        assert_eq!(ifs[0].name, "lo");
        let text: Vec<String> = ifs[1].addresses.iter().map(|a| a.to_string()).collect();
        assert_eq!(text, ["10.244.1.7/24", "fd00::5/64"]);
    }

    #[test]
    fn round_trips_through_netlink_bytes() {
        // A link message serialised the way the kernel sends it parses back to the same interface.
        let m = link(5, "cali1234abcd567", Some(InfoKind::Veth));
        let mut nl = NetlinkMessage::from(RouteNetlinkMessage::NewLink(m.clone()));
        nl.finalize();
        let mut buf = vec![0; nl.buffer_len()];
        nl.serialize(&mut buf);
        let back = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&buf).unwrap();
        let NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) = back.payload else {
            panic!("not a link")
        };
        assert_eq!(interface(&l), interface(&m));
        // the selective parser reads the same interface from the raw payload
        let mut m2 = m.clone();
        m2.attributes.push(LinkAttribute::Link(9));
        m2.attributes.push(LinkAttribute::LinkNetNsId(3));
        m2.attributes.push(LinkAttribute::Controller(4));
        m2.attributes.push(LinkAttribute::TxQueueLen(1000));
        let mut st = netlink_packet_route::link::Stats64::default();
        (st.rx_packets, st.tx_packets, st.rx_bytes, st.tx_bytes) = (1, 2, 3, 4);
        (st.rx_errors, st.tx_errors, st.rx_dropped, st.tx_dropped) = (5, 6, 7, 8);
        m2.attributes.push(LinkAttribute::Stats64(st));
        let mut nl = NetlinkMessage::from(RouteNetlinkMessage::NewLink(m2.clone()));
        nl.finalize();
        let mut buf = vec![0; nl.buffer_len()];
        nl.serialize(&mut buf);
        assert_eq!(interface_from_payload(&buf[16..]).unwrap(), interface(&m2));
        assert!(interface_from_payload(&buf[16..20]).is_err());
    }
}
