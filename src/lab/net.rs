//! The lab's kernel adapter for observing, in the calling thread's
//! network namespace (call it on a thread that has `setns()`ed, e.g.
//! through `sys::netns_run::in_netns`): a `sys::netlink` session that reads a
//! namespace as `lab::observed::NsObs` (links with VXLAN attributes,
//! addresses, routes of every table, policy rules, permanent neighbours,
//! VXLAN FDB entries, sysctls, nftables and legacy iptables state);
//! `lab::net_apply` applies actions with it. Kernel I/O.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::Ipv4Net;
use netlink_packet_route::link::{InfoData, InfoVxlan, LinkAttribute, LinkInfo, LinkMessage};
use netlink_packet_route::neighbour::{NeighbourAddress, NeighbourAttribute, NeighbourState};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteProtocol, RouteType,
};
use netlink_packet_route::rule::{
    RuleAction as NlRuleAction, RuleAttribute, RuleFlags, RuleMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::sys::netlink::{RT_TABLE_MAIN, RT_TABLE_UNSPEC, RouteSocket};
use crate::sys::sysctl;

use super::desired::NsDesired;
use super::entries::{FdbEntry, RouteEntry, RuleAction, RuleEntry, TableRoute};
use super::firewall::firewall_state;
use super::observed::{LinkObs, NeighObs, NsObs, VxlanObs};
use super::plan::mac_string;

pub(super) fn ctx(e: io::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// An rtnetlink session in the calling thread's namespace.
pub struct Net {
    pub(super) sock: RouteSocket,
    /// Link name → index, refreshed when a name is not found.
    pub(super) index: HashMap<String, u32>,
}

fn v4(a: &RouteAddress) -> Option<Ipv4Addr> {
    match a {
        RouteAddress::Inet(v) => Some(*v),
        _ => None,
    }
}

impl Net {
    pub fn new() -> io::Result<Net> {
        Ok(Net {
            sock: RouteSocket::new()?,
            index: HashMap::new(),
        })
    }

    pub(super) fn refresh(&mut self) -> io::Result<Vec<LinkMessage>> {
        let links = self.sock.dump_links()?;
        self.index = links
            .iter()
            .map(|l| {
                let v = crate::cni::observe::link(l);
                (v.name, v.index)
            })
            .collect();
        Ok(links)
    }

    /// The index of a link by name.
    pub fn index_of(&mut self, name: &str) -> io::Result<u32> {
        if let Some(i) = self.index.get(name) {
            return Ok(*i);
        }
        self.refresh()?;
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no link {name}")))
    }

    /// Every link with its IPv4 addresses and VXLAN attributes.
    pub fn links(&mut self) -> io::Result<Vec<LinkObs>> {
        let msgs = self.refresh()?;
        let addrs = self.sock.dump_addresses()?;
        let names: HashMap<u32, String> = self.index.iter().map(|(n, i)| (*i, n.clone())).collect();
        let mut out = Vec::with_capacity(msgs.len());
        for m in &msgs {
            let v = crate::cni::observe::link(m);
            let mut vx = None;
            for a in &m.attributes {
                if let LinkAttribute::LinkInfo(infos) = a {
                    for i in infos {
                        if let LinkInfo::Data(InfoData::Vxlan(attrs)) = i {
                            let mut o = VxlanObs::default();
                            for x in attrs {
                                match x {
                                    InfoVxlan::Id(id) => o.vni = Some(*id),
                                    InfoVxlan::Local(l) => o.local = Some(*l),
                                    InfoVxlan::Port(p) => o.port = Some(*p),
                                    InfoVxlan::Learning(l) => o.learning = Some(*l),
                                    InfoVxlan::Link(l) => o.dev = names.get(l).cloned(),
                                    _ => {}
                                }
                            }
                            vx = Some(o);
                        }
                    }
                }
            }
            out.push(LinkObs {
                addrs: addrs
                    .iter()
                    .filter_map(crate::cni::observe::address)
                    .filter(|a| a.index == v.index)
                    .filter_map(|a| match a.addr {
                        ipnet::IpNet::V4(n) => Some(n),
                        _ => None,
                    })
                    .collect(),
                master: v.master.and_then(|i| names.get(&i).cloned()),
                name: v.name,
                index: v.index,
                kind: v.kind,
                up: v.admin_up,
                mtu: v.mtu.unwrap_or(0),
                mac: v.mac,
                vxlan: vx,
            });
        }
        Ok(out)
    }

    /// IPv4 main-table routes other than the kernel's own.
    pub fn routes(&mut self) -> io::Result<Vec<RouteEntry>> {
        Ok(self.route_tables()?.0)
    }

    /// One dump of every IPv4 table: the main table's routes other than
    /// the kernel's own (unicast, blackhole, unreachable, prohibit), and
    /// the routes of every other table that the kernel did not make.
    pub fn route_tables(&mut self) -> io::Result<(Vec<RouteEntry>, Vec<TableRoute>)> {
        let mut main = Vec::new();
        let mut others = Vec::new();
        for r in self.sock.dump_routes(RT_TABLE_UNSPEC, false)? {
            if r.header.protocol == RouteProtocol::Kernel {
                continue;
            }
            let table = r
                .attributes
                .iter()
                .find_map(|a| match a {
                    RouteAttribute::Table(t) => Some(*t),
                    _ => None,
                })
                .unwrap_or(u32::from(r.header.table));
            if table == u32::from(RT_TABLE_MAIN) {
                if matches!(
                    r.header.kind,
                    RouteType::Unicast
                        | RouteType::BlackHole
                        | RouteType::Unreachable
                        | RouteType::Prohibit
                ) {
                    main.push(self.route_entry(&r)?);
                }
            } else {
                others.push(TableRoute {
                    table,
                    kind: route_type_word(r.header.kind),
                    protocol: u8::from(r.header.protocol),
                    route: self.route_entry(&r)?,
                });
            }
        }
        Ok((main, others))
    }

    fn route_entry(&mut self, r: &RouteMessage) -> io::Result<RouteEntry> {
        let names: HashMap<u32, String> = self.index.iter().map(|(n, i)| (*i, n.clone())).collect();
        let mut e = RouteEntry {
            dst: Ipv4Net::new(Ipv4Addr::UNSPECIFIED, r.header.destination_prefix_length)
                .unwrap_or_default(),
            gw: None,
            dev: String::new(),
            scope: u8::from(r.header.scope),
            onlink: r.header.flags.contains(RouteFlags::Onlink),
            src: None,
            metric: 0,
        };
        for a in &r.attributes {
            match a {
                RouteAttribute::Destination(d) => {
                    if let Some(ip) = v4(d) {
                        e.dst = Ipv4Net::new(ip, r.header.destination_prefix_length)
                            .unwrap_or_default();
                    }
                }
                RouteAttribute::Gateway(g) => e.gw = v4(g),
                RouteAttribute::PrefSource(s) => e.src = v4(s),
                RouteAttribute::Oif(i) => {
                    e.dev = match names.get(i) {
                        Some(n) => n.clone(),
                        None => {
                            self.refresh()?;
                            self.index
                                .iter()
                                .find(|(_, x)| *x == i)
                                .map(|(n, _)| n.clone())
                                .unwrap_or_default()
                        }
                    }
                }
                RouteAttribute::Priority(p) => e.metric = *p,
                _ => {}
            }
        }
        Ok(e)
    }

    /// The IPv4 policy rules, each with the kernel's message (to delete
    /// exactly that rule).
    pub(super) fn rule_dump(&mut self) -> io::Result<Vec<(RuleEntry, RuleMessage)>> {
        Ok(self
            .sock
            .dump_rules(false)?
            .into_iter()
            .filter(|r| r.header.family == AddressFamily::Inet)
            .map(|r| (rule_entry(&r), r))
            .collect())
    }

    /// The IPv4 policy rules (`ip rule`).
    pub fn rules(&mut self) -> io::Result<Vec<RuleEntry>> {
        Ok(self.rule_dump()?.into_iter().map(|(r, _)| r).collect())
    }

    /// How many live IPv4 route exceptions there are: learnt path MTUs and
    /// redirects (`ip route show cache` entries with an MTU or an expiry;
    /// flushed ones linger empty and do not count).
    pub fn route_exceptions(&mut self) -> io::Result<usize> {
        use netlink_packet_route::route::RouteMetric;
        let mut req = RouteMessage::default();
        req.header.address_family = AddressFamily::Inet;
        req.header.flags = RouteFlags::Cloned;
        let live = |r: &RouteMessage| {
            r.attributes.iter().any(|a| match a {
                RouteAttribute::CacheInfo(c) => c.expires != 0,
                RouteAttribute::Metrics(ms) => ms.iter().any(|m| matches!(m, RouteMetric::Mtu(_))),
                _ => false,
            })
        };
        Ok(self
            .sock
            .dump(RouteNetlinkMessage::GetRoute(req))?
            .into_iter()
            .filter(|m| {
                matches!(m, RouteNetlinkMessage::NewRoute(r)
                    if r.header.flags.contains(RouteFlags::Cloned) && live(r))
            })
            .count())
    }

    /// IPv4 neighbour entries.
    pub fn neighbours(&mut self) -> io::Result<Vec<NeighObs>> {
        let names: HashMap<u32, String> = self.index.iter().map(|(n, i)| (*i, n.clone())).collect();
        let mut out = Vec::new();
        for n in self.sock.dump_neighbours(AddressFamily::Inet)? {
            let mut ip = None;
            let mut mac = None;
            for a in &n.attributes {
                match a {
                    NeighbourAttribute::Destination(NeighbourAddress::Inet(v)) => ip = Some(*v),
                    NeighbourAttribute::LinkLayerAddress(m) => mac = Some(mac_string(m)),
                    _ => {}
                }
            }
            let (Some(ip), Some(dev)) = (ip, names.get(&n.header.ifindex)) else {
                continue;
            };
            out.push(NeighObs {
                dev: dev.clone(),
                ip,
                mac,
                permanent: n.header.state == NeighbourState::Permanent,
            });
        }
        Ok(out)
    }

    /// FDB entries with a remote destination (those of VXLAN devices).
    pub fn fdb(&mut self) -> io::Result<Vec<FdbEntry>> {
        let names: HashMap<u32, String> = self.index.iter().map(|(n, i)| (*i, n.clone())).collect();
        let mut out = Vec::new();
        for n in self.sock.dump_neighbours(AddressFamily::Bridge)? {
            let mut dst = None;
            let mut mac = None;
            let (mut port, mut vni) = (None, None);
            for a in &n.attributes {
                match a {
                    NeighbourAttribute::Destination(NeighbourAddress::Inet(v)) => dst = Some(*v),
                    // in a bridge-family message the parser cannot tell the address family
                    NeighbourAttribute::Destination(NeighbourAddress::Other(b)) if b.len() == 4 => {
                        dst = Some(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
                    }
                    NeighbourAttribute::LinkLayerAddress(m) => mac = Some(mac_string(m)),
                    // reported only when not the device's own
                    NeighbourAttribute::Port(p) => port = Some(*p),
                    NeighbourAttribute::Vni(v) => vni = Some(*v),
                    _ => {}
                }
            }
            let (Some(mac), Some(dev)) = (mac, names.get(&n.header.ifindex)) else {
                continue;
            };
            if dst.is_none() {
                continue; // a bridge port's own or learned MAC, not a tunnel entry
            }
            out.push(FdbEntry {
                dev: dev.clone(),
                mac,
                dst,
                port,
                vni,
            });
        }
        Ok(out)
    }
}

/// The `ip route` type word of a route type ("" for unicast).
fn route_type_word(kind: RouteType) -> String {
    match kind {
        RouteType::Unicast => String::new(),
        RouteType::Local => "local".into(),
        RouteType::Broadcast => "broadcast".into(),
        RouteType::Anycast => "anycast".into(),
        RouteType::Multicast => "multicast".into(),
        RouteType::BlackHole => "blackhole".into(),
        RouteType::Unreachable => "unreachable".into(),
        RouteType::Prohibit => "prohibit".into(),
        RouteType::Throw => "throw".into(),
        RouteType::Nat => "nat".into(),
        other => format!("type {}", u8::from(other)),
    }
}

/// A policy rule as the lab compares it.
fn rule_entry(m: &RuleMessage) -> RuleEntry {
    let mut r = RuleEntry::lookup(0, u32::from(m.header.table));
    r.not = m.header.flags.contains(RuleFlags::Invert);
    r.tos = m.header.tos;
    let mut table = u32::from(m.header.table);
    let (mut mark, mut mask, mut goto) = (None, None, None);
    for a in &m.attributes {
        match a {
            RuleAttribute::Priority(p) => r.priority = *p,
            RuleAttribute::Table(t) => table = *t,
            RuleAttribute::Source(IpAddr::V4(ip)) => {
                r.src = Ipv4Net::new(*ip, m.header.src_len).ok()
            }
            RuleAttribute::Destination(IpAddr::V4(ip)) => {
                r.dst = Ipv4Net::new(*ip, m.header.dst_len).ok()
            }
            RuleAttribute::Iifname(n) => r.iif = Some(n.clone()),
            RuleAttribute::Oifname(n) => r.oif = Some(n.clone()),
            RuleAttribute::FwMark(v) => mark = Some(*v),
            RuleAttribute::FwMask(v) => mask = Some(*v),
            RuleAttribute::Goto(g) => goto = Some(*g),
            // who made it does not change what it does; -1 is "unset"
            RuleAttribute::Protocol(_) => {}
            RuleAttribute::SuppressPrefixLen(u32::MAX)
            | RuleAttribute::SuppressIfGroup(u32::MAX) => {}
            other => r.other.push(format!("{other:?}")),
        }
    }
    if mark.is_some() || mask.is_some_and(|m| m != 0) {
        r.fwmark = Some((mark.unwrap_or(0), mask.unwrap_or(u32::MAX)));
    }
    r.action = match m.header.action {
        NlRuleAction::ToTable => RuleAction::Lookup(table),
        NlRuleAction::Goto => RuleAction::Goto(goto.unwrap_or(0)),
        NlRuleAction::Nop => RuleAction::Nop,
        NlRuleAction::Blackhole => RuleAction::Blackhole,
        NlRuleAction::Unreachable => RuleAction::Unreachable,
        NlRuleAction::Prohibit => RuleAction::Prohibit,
        other => RuleAction::Other(u8::from(other)),
    };
    r
}

/// Observes the calling thread's namespace: what `want` needs compared.
pub fn observe(want: &NsDesired) -> io::Result<NsObs> {
    let mut net = Net::new()?;
    let links = net.links()?;
    let (routes, other_routes) = net.route_tables()?;
    let (rules, other_routes) = if want.default_policy_routing {
        (net.rules()?, other_routes)
    } else {
        (Vec::new(), Vec::new())
    };
    let neighbours = if want.neighbours.is_empty() && want.own_neighbours_on.is_empty() {
        Vec::new()
    } else {
        net.neighbours()?
    };
    let fdb = if want.fdb.is_empty() && want.own_fdb_on.is_empty() {
        Vec::new()
    } else {
        net.fdb()?
    };
    let mut sysctls = std::collections::BTreeMap::new();
    for key in crate::lab::diff::sysctl_keys(want, &links) {
        if let Ok(v) = sysctl::read(&key) {
            sysctls.insert(key, v);
        }
    }
    let route_exceptions = if want.no_route_exceptions {
        net.route_exceptions()?
    } else {
        0
    };
    let (nft_rules, legacy_dirty) = if want.no_firewall {
        firewall_state()?
    } else {
        (false, Vec::new())
    };
    Ok(NsObs {
        links,
        routes,
        neighbours,
        fdb,
        sysctls,
        nft_rules,
        legacy_dirty,
        route_exceptions,
        rules,
        other_routes,
    })
}

/// The machine-wide IPv4 neighbour table limit (`gc_thresh3`), readable
/// only from the initial network namespace.
pub fn neighbour_table_limit() -> Option<usize> {
    sysctl::read("net/ipv4/neigh/default/gc_thresh3")
        .ok()?
        .parse()
        .ok()
}

/// The MTU of a link in the calling thread's namespace.
pub fn link_mtu(name: &str) -> io::Result<u32> {
    let mut net = Net::new()?;
    Ok(net
        .links()?
        .into_iter()
        .find(|l| l.name == name)
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no link {name}")))?
        .mtu)
}
