//! Kernel I/O for `podnet lab`, in the calling thread's network namespace
//! (call it on a thread that has `setns()`ed, e.g. through
//! [`in_netns`]): observing a namespace as `lab::desired::NsObs` (links
//! with VXLAN attributes, addresses, routes of every table, policy rules,
//! permanent neighbours, VXLAN FDB entries, sysctls, nftables and legacy
//! iptables state), and applying `lab::desired::Action`s with rtnetlink
//! messages (VXLAN devices, FDB and neighbour entries, on-link routes,
//! rules: what `sys::rtnl` does not do), sysctl writes and, for the firewall only,
//! `nft` / `iptables` / `iptables-legacy-restore` run in the namespace.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};

use ipnet::Ipv4Net;
use netlink_packet_core::{NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::address::{AddressAttribute, AddressHeader, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, InfoVxlan, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::rule::{
    RuleAction as NlRuleAction, RuleAttribute, RuleFlags, RuleMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::{LinkMessageBuilder, LinkUnspec, LinkVeth};

use super::netlink::RouteSocket;
use crate::lab::action::{Action, LinkKind};
use crate::lab::desired::NsDesired;
use crate::lab::entries::{FdbEntry, NeighEntry, RouteEntry, RuleAction, RuleEntry, TableRoute};
use crate::lab::observed::{LinkObs, NeighObs, NsObs, VxlanObs};
use crate::lab::plan::{NODE_UPLINK, UNDERLAY_MTU, mac_string, parse_mac};

const RT_TABLE_MAIN: u8 = 254;

fn ctx(e: io::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Runs `f` on a helper thread inside the namespace at `netns`.
pub fn in_netns<T: Send>(netns: &Path, f: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
    let file = File::open(netns).map_err(|e| ctx(e, format!("open {}", netns.display())))?;
    std::thread::scope(|s| {
        s.spawn(|| {
            super::netns::enter(&file).map_err(|e| ctx(e, format!("setns {}", netns.display())))?;
            f()
        })
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the namespace helper thread panicked")))
    })
}

/// Enters the namespace at `netns` on the calling thread (for worker threads
/// that are thrown away afterwards).
pub fn enter(netns: &Path) -> io::Result<()> {
    let file = File::open(netns).map_err(|e| ctx(e, format!("open {}", netns.display())))?;
    super::netns::enter(&file).map_err(|e| ctx(e, format!("setns {}", netns.display())))
}

/// An rtnetlink session in the calling thread's namespace.
pub struct Net {
    sock: RouteSocket,
    /// Link name → index, refreshed when a name is not found.
    index: HashMap<String, u32>,
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

    fn refresh(&mut self) -> io::Result<Vec<LinkMessage>> {
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
        for r in self.sock.dump_routes(0, false)? {
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
    fn rule_dump(&mut self) -> io::Result<Vec<(RuleEntry, RuleMessage)>> {
        let mut req = RuleMessage::default();
        req.header.family = AddressFamily::Inet;
        Ok(self
            .sock
            .dump(RouteNetlinkMessage::GetRule(req))?
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRule(r) if r.header.family == AddressFamily::Inet => {
                    Some((rule_entry(&r), r))
                }
                _ => None,
            })
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

    fn neigh_dump(&mut self, family: AddressFamily) -> io::Result<Vec<NeighbourMessage>> {
        let mut req = NeighbourMessage::default();
        req.header.family = family;
        Ok(self
            .sock
            .dump(RouteNetlinkMessage::GetNeighbour(req))?
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewNeighbour(n) => Some(n),
                _ => None,
            })
            .collect())
    }

    /// IPv4 neighbour entries.
    pub fn neighbours(&mut self) -> io::Result<Vec<NeighObs>> {
        let names: HashMap<u32, String> = self.index.iter().map(|(n, i)| (*i, n.clone())).collect();
        let mut out = Vec::new();
        for n in self.neigh_dump(AddressFamily::Inet)? {
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
        for n in self.neigh_dump(AddressFamily::Bridge)? {
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

    fn send(&mut self, msg: RouteNetlinkMessage, flags: u16) -> io::Result<()> {
        self.sock.request(msg, flags).map(|_| ())
    }

    fn set_link(&mut self, dev: &str, f: impl FnOnce(&mut LinkMessage)) -> io::Result<()> {
        let idx = self.index_of(dev)?;
        let mut m = LinkMessage::default();
        m.header.index = idx;
        f(&mut m);
        self.send(RouteNetlinkMessage::SetLink(m), 0)
    }

    fn route_message(&mut self, r: &RouteEntry, delete: bool) -> io::Result<RouteMessage> {
        let mut m = RouteMessage::default();
        m.header.address_family = AddressFamily::Inet;
        m.header.destination_prefix_length = r.dst.prefix_len();
        m.header.table = RT_TABLE_MAIN;
        if delete {
            m.header.protocol = RouteProtocol::Unspec;
            m.header.scope = RouteScope::NoWhere;
            m.header.kind = RouteType::Unspec;
        } else {
            m.header.protocol = RouteProtocol::Boot;
            m.header.scope = RouteScope::from(r.scope);
            m.header.kind = if r.dev.is_empty() && r.gw.is_none() {
                RouteType::BlackHole
            } else {
                RouteType::Unicast
            };
            if r.onlink {
                m.header.flags = RouteFlags::Onlink;
            }
        }
        m.attributes
            .push(RouteAttribute::Destination(RouteAddress::Inet(
                r.dst.addr(),
            )));
        if r.metric != 0 {
            m.attributes.push(RouteAttribute::Priority(r.metric));
        }
        if !delete {
            if let Some(g) = r.gw {
                m.attributes
                    .push(RouteAttribute::Gateway(RouteAddress::Inet(g)));
            }
            if !r.dev.is_empty() {
                let i = self.index_of(&r.dev)?;
                m.attributes.push(RouteAttribute::Oif(i));
            }
            if let Some(s) = r.src {
                m.attributes
                    .push(RouteAttribute::PrefSource(RouteAddress::Inet(s)));
            }
        }
        Ok(m)
    }

    fn neigh_message(
        &mut self,
        family: AddressFamily,
        dev: &str,
        ip: Ipv4Addr,
        mac: Option<&str>,
    ) -> io::Result<NeighbourMessage> {
        let mut m = NeighbourMessage::default();
        m.header.family = family;
        m.header.ifindex = self.index_of(dev)?;
        m.header.state = NeighbourState::Permanent;
        if family == AddressFamily::Bridge {
            m.header.flags = NeighbourFlags::Own;
        }
        if let Some(mac) = mac {
            let bytes = parse_mac(mac).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, format!("bad MAC {mac:?}"))
            })?;
            m.attributes
                .push(NeighbourAttribute::LinkLayerAddress(bytes.to_vec()));
        }
        m.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet(ip)));
        Ok(m)
    }

    /// An FDB message for `f` (its port and VNI when it names them).
    fn fdb_message(&mut self, f: &FdbEntry) -> io::Result<NeighbourMessage> {
        let dst = f.dst.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "an FDB entry needs a dst")
        })?;
        let mut m = self.neigh_message(AddressFamily::Bridge, &f.dev, dst, Some(&f.mac))?;
        if let Some(p) = f.port {
            m.attributes.push(NeighbourAttribute::Port(p));
        }
        if let Some(v) = f.vni {
            m.attributes.push(NeighbourAttribute::Vni(v));
        }
        Ok(m)
    }

    /// Applies one action. `peer_ns` opens a node's namespace (for the
    /// switch recreating a node's uplink).
    pub fn apply(
        &mut self,
        action: &Action,
        peer_ns: &dyn Fn(&str) -> io::Result<File>,
    ) -> io::Result<()> {
        let r = self.apply_inner(action, peer_ns);
        r.map_err(|e| ctx(e, action.command()))
    }

    fn apply_inner(
        &mut self,
        action: &Action,
        peer_ns: &dyn Fn(&str) -> io::Result<File>,
    ) -> io::Result<()> {
        match action {
            Action::CreateLink(l) => {
                let mut m = LinkMessage::default();
                m.attributes.push(LinkAttribute::IfName(l.name.clone()));
                match &l.kind {
                    LinkKind::Bridge => {
                        m.attributes
                            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                                InfoKind::Bridge,
                            )]));
                    }
                    LinkKind::Vxlan(p) => {
                        let dev = self.index_of(&p.dev)?;
                        if let Some(mtu) = l.mtu {
                            m.attributes.push(LinkAttribute::Mtu(mtu));
                        }
                        if let Some(mac) = l.mac.as_deref().and_then(parse_mac) {
                            m.attributes.push(LinkAttribute::Address(mac.to_vec()));
                        }
                        m.attributes.push(LinkAttribute::LinkInfo(vec![
                            LinkInfo::Kind(InfoKind::Vxlan),
                            LinkInfo::Data(InfoData::Vxlan(vec![
                                InfoVxlan::Id(p.vni),
                                InfoVxlan::Local(p.local),
                                InfoVxlan::Link(dev),
                                InfoVxlan::Port(p.port),
                                InfoVxlan::Learning(false),
                            ])),
                        ]));
                    }
                    other => {
                        return Err(io::Error::new(
                            io::ErrorKind::Unsupported,
                            format!("cannot create a {other:?} link"),
                        ));
                    }
                }
                self.send(RouteNetlinkMessage::NewLink(m), NLM_F_CREATE | NLM_F_EXCL)?;
                self.index.clear();
                Ok(())
            }
            Action::CreateUplink { node, port } => {
                let f = peer_ns(node)?;
                let peer = LinkMessageBuilder::<LinkUnspec>::new()
                    .name(NODE_UPLINK.to_string())
                    .mtu(UNDERLAY_MTU)
                    .setns_by_fd(f.as_raw_fd())
                    .build();
                let msg = LinkVeth::new(port, NODE_UPLINK)
                    .mtu(UNDERLAY_MTU)
                    .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
                    .build();
                self.send(RouteNetlinkMessage::NewLink(msg), NLM_F_CREATE | NLM_F_EXCL)?;
                self.index.clear();
                Ok(())
            }
            Action::DeleteLink { dev } => {
                let idx = self.index_of(dev)?;
                let mut m = LinkMessage::default();
                m.header.index = idx;
                self.send(RouteNetlinkMessage::DelLink(m), 0)?;
                self.index.clear();
                Ok(())
            }
            Action::SetUp { dev } => self.set_link(dev, |m| {
                m.header.flags = LinkFlags::Up;
                m.header.change_mask = LinkFlags::Up;
            }),
            Action::SetDown { dev } => self.set_link(dev, |m| {
                m.header.change_mask = LinkFlags::Up;
            }),
            Action::SetMtu { dev, mtu } => {
                let mtu = *mtu;
                self.set_link(dev, move |m| m.attributes.push(LinkAttribute::Mtu(mtu)))
            }
            Action::SetMac { dev, mac } => {
                let bytes = parse_mac(mac).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, format!("bad MAC {mac:?}"))
                })?;
                self.set_link(dev, move |m| {
                    m.attributes.push(LinkAttribute::Address(bytes.to_vec()))
                })
            }
            Action::SetMaster { dev, master } => {
                let mi = self.index_of(master)?;
                self.set_link(dev, move |m| {
                    m.attributes.push(LinkAttribute::Controller(mi))
                })
            }
            Action::AddAddress { dev, addr } => {
                let idx = self.index_of(dev)?;
                let mut m = AddressMessage::default();
                m.header = AddressHeader {
                    family: AddressFamily::Inet,
                    prefix_len: addr.prefix_len(),
                    index: idx,
                    ..m.header
                };
                m.attributes
                    .push(AddressAttribute::Local(IpAddr::V4(addr.addr())));
                m.attributes
                    .push(AddressAttribute::Address(IpAddr::V4(addr.addr())));
                if addr.prefix_len() < 31 {
                    m.attributes
                        .push(AddressAttribute::Broadcast(addr.broadcast()));
                }
                match self.send(
                    RouteNetlinkMessage::NewAddress(m),
                    NLM_F_CREATE | NLM_F_EXCL,
                ) {
                    Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
                    r => r,
                }
            }
            Action::ReplaceRoute(r) => {
                let m = self.route_message(r, false)?;
                self.send(
                    RouteNetlinkMessage::NewRoute(m),
                    NLM_F_CREATE | NLM_F_REPLACE,
                )
            }
            Action::DelRoute(r) => {
                let m = self.route_message(r, true)?;
                match self.send(RouteNetlinkMessage::DelRoute(m), 0) {
                    Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
                    r => r,
                }
            }
            Action::ReplaceNeigh(NeighEntry { dev, ip, mac }) => {
                let m = self.neigh_message(AddressFamily::Inet, dev, *ip, Some(mac))?;
                self.send(
                    RouteNetlinkMessage::NewNeighbour(m),
                    NLM_F_CREATE | NLM_F_REPLACE,
                )
            }
            Action::DelNeigh { dev, ip } => {
                let mut m = self.neigh_message(AddressFamily::Inet, dev, *ip, None)?;
                m.header.state = NeighbourState::None;
                match self.send(RouteNetlinkMessage::DelNeighbour(m), 0) {
                    Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
                    r => r,
                }
            }
            Action::AddFdb(f) => {
                let m = self.fdb_message(f)?;
                self.send(
                    RouteNetlinkMessage::NewNeighbour(m),
                    NLM_F_CREATE | NLM_F_APPEND,
                )
            }
            Action::ReplaceFdb(f) => {
                let m = self.fdb_message(f)?;
                self.send(
                    RouteNetlinkMessage::NewNeighbour(m),
                    NLM_F_CREATE | NLM_F_REPLACE,
                )
            }
            Action::DelFdb(f) => {
                let m = self.fdb_message(f)?;
                match self.send(RouteNetlinkMessage::DelNeighbour(m), 0) {
                    Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
                    r => r,
                }
            }
            Action::AddRule(r) => {
                let m = rule_message(r)?;
                self.send(RouteNetlinkMessage::NewRule(m), NLM_F_CREATE | NLM_F_EXCL)
            }
            Action::DelRule(r) => {
                // the kernel's own message, so exactly that rule goes
                let found = self.rule_dump()?.into_iter().find(|(e, _)| e == r);
                match found {
                    Some((_, m)) => match self.send(RouteNetlinkMessage::DelRule(m), 0) {
                        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
                        r => r,
                    },
                    None => Ok(()),
                }
            }
            Action::DelTableRoute(t) => {
                let mut m = self.route_message(&t.route, true)?;
                m.header.table = u8::try_from(t.table).unwrap_or(0);
                m.header.protocol = RouteProtocol::from(t.protocol);
                m.attributes.push(RouteAttribute::Table(t.table));
                match self.send(RouteNetlinkMessage::DelRoute(m), 0) {
                    Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
                    r => r,
                }
            }
            Action::Sysctl { key, value, .. } => super::sysctl::write(key, value).map(|_| ()),
            Action::FlushNft => run_tool("nft", &["flush", "ruleset"], None),
            Action::ResetLegacy { tables } => {
                let script = legacy_reset_script(tables);
                run_tool("iptables-legacy-restore", &["-w"], Some(&script))
            }
            Action::FlushRouteCache => {
                super::sysctl::write("net/ipv4/route/flush", "1").map(|_| ())
            }
            Action::ForwardPolicyDrop => {
                run_tool("iptables", &["-w", "-P", "FORWARD", "DROP"], None)
            }
        }
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

/// The message that adds rule `r` (one with only the selectors podnet knows).
fn rule_message(r: &RuleEntry) -> io::Result<RuleMessage> {
    if !r.other.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("cannot add a rule with {}", r.other.join(" ")),
        ));
    }
    let mut m = RuleMessage::default();
    m.header.family = AddressFamily::Inet;
    m.header.tos = r.tos;
    if r.not {
        m.header.flags = RuleFlags::Invert;
    }
    m.attributes.push(RuleAttribute::Priority(r.priority));
    if let Some(n) = r.src {
        m.header.src_len = n.prefix_len();
        m.attributes
            .push(RuleAttribute::Source(IpAddr::V4(n.addr())));
    }
    if let Some(n) = r.dst {
        m.header.dst_len = n.prefix_len();
        m.attributes
            .push(RuleAttribute::Destination(IpAddr::V4(n.addr())));
    }
    if let Some((mark, mask)) = r.fwmark {
        m.attributes.push(RuleAttribute::FwMark(mark));
        m.attributes.push(RuleAttribute::FwMask(mask));
    }
    if let Some(i) = &r.iif {
        m.attributes.push(RuleAttribute::Iifname(i.clone()));
    }
    if let Some(o) = &r.oif {
        m.attributes.push(RuleAttribute::Oifname(o.clone()));
    }
    m.header.action = match r.action {
        RuleAction::Lookup(t) => {
            m.header.table = u8::try_from(t).unwrap_or(0);
            m.attributes.push(RuleAttribute::Table(t));
            NlRuleAction::ToTable
        }
        RuleAction::Goto(p) => {
            m.attributes.push(RuleAttribute::Goto(p));
            NlRuleAction::Goto
        }
        RuleAction::Nop => NlRuleAction::Nop,
        RuleAction::Blackhole => NlRuleAction::Blackhole,
        RuleAction::Unreachable => NlRuleAction::Unreachable,
        RuleAction::Prohibit => NlRuleAction::Prohibit,
        RuleAction::Other(a) => NlRuleAction::from(a),
    };
    Ok(m)
}

/// Runs a tool in the calling thread's namespace; fails with its stderr.
fn run_tool(name: &str, args: &[&str], stdin: Option<&str>) -> io::Result<()> {
    let bin = super::firewall::tool(name).ok_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("{name} is not installed"))
    })?;
    let mut child = Command::new(bin)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(text), Some(mut i)) = (stdin, child.stdin.take()) {
        i.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{name} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

fn tool_output(name: &str, args: &[&str]) -> io::Result<Option<String>> {
    let Some(bin) = super::firewall::tool(name) else {
        return Ok(None);
    };
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// The built-in chains of each legacy iptables table.
fn builtin_chains(table: &str) -> &'static [&'static str] {
    match table {
        "filter" | "security" => &["INPUT", "FORWARD", "OUTPUT"],
        "nat" => &["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
        "mangle" => &["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
        "raw" => &["PREROUTING", "OUTPUT"],
        _ => &[],
    }
}

/// An `iptables-restore` script that empties `tables` (rules, user chains)
/// and sets every built-in policy to ACCEPT.
pub fn legacy_reset_script(tables: &[String]) -> String {
    let mut s = String::new();
    for t in tables {
        s.push_str(&format!("*{t}\n"));
        for c in builtin_chains(t) {
            s.push_str(&format!(":{c} ACCEPT [0:0]\n"));
        }
        s.push_str("COMMIT\n");
    }
    s
}

/// The tables of an `iptables-save` dump that hold a rule, a user chain or
/// a policy other than ACCEPT.
pub fn legacy_dirty_tables(save: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut table = String::new();
    for line in save.lines() {
        if let Some(t) = line.strip_prefix('*') {
            table = t.trim().to_string();
            continue;
        }
        let dirty = if line.starts_with("-A ") {
            true
        } else if let Some(rest) = line.strip_prefix(':') {
            let mut w = rest.split_whitespace();
            let _chain = w.next();
            w.next() != Some("ACCEPT")
        } else {
            false
        };
        if dirty && !table.is_empty() && !out.contains(&table) {
            out.push(table.clone());
        }
    }
    out
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
        if let Ok(v) = super::sysctl::read(&key) {
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

/// Whether nftables has any ruleset here, and which legacy iptables tables
/// are not empty-and-accepting.
pub fn firewall_state() -> io::Result<(bool, Vec<String>)> {
    let nft = tool_output("nft", &["list", "ruleset"])?.is_some_and(|s| !s.trim().is_empty());
    let names =
        std::fs::read_to_string("/proc/thread-self/net/ip_tables_names").unwrap_or_default();
    let legacy = if names.trim().is_empty() {
        Vec::new()
    } else {
        tool_output("iptables-legacy-save", &[])?
            .map(|s| legacy_dirty_tables(&s))
            .unwrap_or_default()
    };
    Ok((nft, legacy))
}

/// Joins the network namespace at `netns` (this thread only: call it
/// single-threaded) and executes `prog` with `args` (argv, `args[0]`
/// included) in place of this process. Returns only on failure.
pub fn exec_in(netns: &Path, prog: &std::ffi::CStr, args: &[std::ffi::CString]) -> io::Error {
    if let Err(e) = enter(netns) {
        return e;
    }
    match nix::unistd::execvp(prog, args) {
        Err(e) => io::Error::from(e),
        Ok(never) => match never {},
    }
}

/// The machine-wide IPv4 neighbour table limit (`gc_thresh3`), readable
/// only from the initial network namespace.
pub fn neighbour_table_limit() -> Option<usize> {
    super::sysctl::read("net/ipv4/neigh/default/gc_thresh3")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_tables_with_rules_or_drop_policies_are_dirty() {
        let save = "# Generated by iptables-save\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*mangle\n:MYCHAIN - [0:0]\nCOMMIT\n*raw\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j DROP\nCOMMIT\n";
        assert_eq!(legacy_dirty_tables(save), vec!["filter", "mangle", "raw"]);
        assert!(legacy_dirty_tables("*filter\n:INPUT ACCEPT [1:2]\nCOMMIT\n").is_empty());
    }

    #[test]
    fn the_reset_script_accepts_everything() {
        let s = legacy_reset_script(&["filter".into(), "nat".into()]);
        assert_eq!(
            s,
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n"
        );
    }
}
