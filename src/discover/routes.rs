//! Turns rtnetlink route messages into model routes. No I/O.

use std::net::IpAddr;

use netlink_packet_route::AddressFamily;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteScope, RouteType,
};

use crate::model::Route;

fn ip(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

/// One route from a message; `None` for families other than IPv4/IPv6.
pub fn route(msg: &RouteMessage) -> Option<Route> {
    let ipv6 = match msg.header.address_family {
        AddressFamily::Inet => false,
        AddressFamily::Inet6 => true,
        _ => return None,
    };
    let mut r = Route {
        dst: None,
        gateway: None,
        oif: None,
        table: u32::from(msg.header.table),
        kind: kind_name(msg.header.kind),
        scope: scope_name(msg.header.scope),
        prefsrc: None,
        metric: None,
        onlink: msg.header.flags.contains(RouteFlags::Onlink),
        ipv6,
    };
    let mut dst_ip = None;
    for attr in &msg.attributes {
        match attr {
            RouteAttribute::Destination(a) => dst_ip = ip(a),
            RouteAttribute::Gateway(a) => r.gateway = ip(a),
            RouteAttribute::Oif(i) => r.oif = Some(*i),
            RouteAttribute::Table(t) => r.table = *t,
            RouteAttribute::PrefSource(a) => r.prefsrc = ip(a),
            RouteAttribute::Priority(p) => r.metric = Some(*p),
            _ => {}
        }
    }
    let plen = msg.header.destination_prefix_length;
    r.dst = dst_ip.and_then(|a| ipnet::IpNet::new(a, plen).ok());
    Some(r)
}

/// Every IPv4/IPv6 route of the dump.
pub fn routes(msgs: &[RouteMessage]) -> Vec<Route> {
    msgs.iter().filter_map(route).collect()
}

fn kind_name(t: RouteType) -> String {
    match t {
        RouteType::Unicast => "unicast",
        RouteType::Local => "local",
        RouteType::Broadcast => "broadcast",
        RouteType::Anycast => "anycast",
        RouteType::Multicast => "multicast",
        RouteType::BlackHole => "blackhole",
        RouteType::Unreachable => "unreachable",
        RouteType::Prohibit => "prohibit",
        RouteType::Throw => "throw",
        RouteType::Nat => "nat",
        _ => "other",
    }
    .to_string()
}

fn scope_name(s: RouteScope) -> String {
    match s {
        RouteScope::Universe => "universe".into(),
        RouteScope::Site => "site".into(),
        RouteScope::Link => "link".into(),
        RouteScope::Host => "host".into(),
        RouteScope::NoWhere => "nowhere".into(),
        RouteScope::Other(v) => v.to_string(),
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn msg(
        dst: Option<(Ipv4Addr, u8)>,
        gw: Option<Ipv4Addr>,
        oif: u32,
        scope: RouteScope,
    ) -> RouteMessage {
        let mut m = RouteMessage::default();
        m.header.address_family = AddressFamily::Inet;
        m.header.table = u8::try_from(crate::model::route::RT_TABLE_MAIN).unwrap();
        m.header.kind = RouteType::Unicast;
        m.header.scope = scope;
        if let Some((a, l)) = dst {
            m.header.destination_prefix_length = l;
            m.attributes
                .push(RouteAttribute::Destination(RouteAddress::Inet(a)));
        }
        if let Some(g) = gw {
            m.attributes
                .push(RouteAttribute::Gateway(RouteAddress::Inet(g)));
        }
        m.attributes.push(RouteAttribute::Oif(oif));
        m
    }

    #[test]
    fn default_and_connected_routes() {
        let d = route(&msg(
            None,
            Some(Ipv4Addr::new(10, 244, 1, 1)),
            2,
            RouteScope::Universe,
        ))
        .unwrap();
        assert_eq!(d.summary(), "default via 10.244.1.1");
        assert_eq!(d.oif, Some(2));
        let c = route(&msg(
            Some((Ipv4Addr::new(10, 244, 1, 0), 24)),
            None,
            2,
            RouteScope::Link,
        ))
        .unwrap();
        assert_eq!(c.summary(), "10.244.1.0/24 scope link");
        assert_eq!(c.table, crate::model::route::RT_TABLE_MAIN);
    }

    #[test]
    fn other_families_are_skipped() {
        let mut m = RouteMessage::default();
        m.header.address_family = AddressFamily::Bridge;
        assert!(route(&m).is_none());
    }
}
