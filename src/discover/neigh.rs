//! Turns rtnetlink neighbour messages into neighbour (ARP/NDP) entries and
//! bridge/VXLAN forwarding-database entries. No I/O.

use std::net::IpAddr;

use netlink_packet_route::AddressFamily;
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};

use super::links::format_mac;
use crate::model::doctor::{FdbEntry, Neighbour};

fn ip(a: &NeighbourAddress) -> Option<IpAddr> {
    match a {
        NeighbourAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        NeighbourAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        // AF_BRIDGE entries carry the VTEP as raw bytes (4 or 16)
        NeighbourAddress::Other(b) => match b.len() {
            4 => Some(IpAddr::from([b[0], b[1], b[2], b[3]])),
            16 => <[u8; 16]>::try_from(b.as_slice()).ok().map(IpAddr::from),
            _ => None,
        },
        _ => None,
    }
}

fn state_name(s: NeighbourState) -> String {
    match s {
        NeighbourState::Incomplete => "incomplete".into(),
        NeighbourState::Reachable => "reachable".into(),
        NeighbourState::Stale => "stale".into(),
        NeighbourState::Delay => "delay".into(),
        NeighbourState::Probe => "probe".into(),
        NeighbourState::Failed => "failed".into(),
        NeighbourState::Noarp => "noarp".into(),
        NeighbourState::Permanent => "permanent".into(),
        NeighbourState::None => "none".into(),
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}

/// An ARP/NDP entry (IPv4/IPv6 families only).
pub fn neighbour(m: &NeighbourMessage) -> Option<Neighbour> {
    if !matches!(m.header.family, AddressFamily::Inet | AddressFamily::Inet6) {
        return None;
    }
    let mut n = Neighbour {
        ifindex: m.header.ifindex,
        ip: ip_of(m)?,
        mac: None,
        state: state_name(m.header.state),
    };
    for a in &m.attributes {
        if let NeighbourAttribute::LinkLayerAddress(mac) = a
            && mac.len() == 6
        {
            n.mac = Some(format_mac(mac));
        }
    }
    Some(n)
}

fn ip_of(m: &NeighbourMessage) -> Option<IpAddr> {
    m.attributes.iter().find_map(|a| match a {
        NeighbourAttribute::Destination(d) => ip(d),
        _ => None,
    })
}

/// A forwarding-database entry (AF_BRIDGE family): its MAC and, for VXLAN, the remote VTEP.
pub fn fdb(m: &NeighbourMessage) -> Option<FdbEntry> {
    if m.header.family != AddressFamily::Bridge {
        return None;
    }
    let mac = m.attributes.iter().find_map(|a| match a {
        NeighbourAttribute::LinkLayerAddress(mac) if mac.len() == 6 => Some(format_mac(mac)),
        _ => None,
    })?;
    Some(FdbEntry {
        ifindex: m.header.ifindex,
        mac,
        dst: ip_of(m),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn arp_and_vxlan_fdb_entries() {
        let mut n = NeighbourMessage::default();
        n.header.family = AddressFamily::Inet;
        n.header.ifindex = 5;
        n.header.state = NeighbourState::Permanent;
        n.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet(
                Ipv4Addr::new(10, 244, 2, 0),
            )));
        n.attributes
            .push(NeighbourAttribute::LinkLayerAddress(vec![2, 0, 0, 0, 0, 2]));
        let got = neighbour(&n).unwrap();
        assert_eq!(
            (
                got.ip.to_string().as_str(),
                got.mac.as_deref(),
                got.state.as_str()
            ),
            ("10.244.2.0", Some("02:00:00:00:00:02"), "permanent")
        );
        assert!(fdb(&n).is_none());

        let mut f = n.clone();
        f.header.family = AddressFamily::Bridge;
        f.attributes[0] =
            NeighbourAttribute::Destination(NeighbourAddress::Other(vec![172, 30, 0, 2]));
        let e = fdb(&f).unwrap();
        assert_eq!(
            (e.mac.as_str(), e.dst.map(|d| d.to_string())),
            ("02:00:00:00:00:02", Some("172.30.0.2".into()))
        );
        assert!(neighbour(&f).is_none());
    }
}
