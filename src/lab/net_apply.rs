//! Applying the lab's actions in the calling thread's network namespace:
//! rtnetlink messages for links (VXLAN devices, the switch's uplink
//! veths), addresses, routes, rules, neighbour and FDB entries, sysctl
//! writes and, for the firewall only, `nft` / `iptables` /
//! `iptables-legacy-restore` run in the namespace. Kernel I/O.

use std::fs::File;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;

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

use crate::sys::netns_run::run_tool;
use crate::sys::sysctl;

use super::action::{Action, LinkKind, LinkWant};
use super::entries::{FdbEntry, NeighEntry, RouteEntry, RuleAction, RuleEntry};
use super::firewall::legacy_reset_script;
use super::net::{Net, RT_TABLE_MAIN, ctx};
use super::plan::{NODE_UPLINK, UNDERLAY_MTU, parse_mac};

impl Net {
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
            Action::CreateLink(l) => self.create_link(l),
            Action::CreateUplink { node, port } => self.create_uplink(node, port, peer_ns),
            Action::DeleteLink { .. }
            | Action::SetUp { .. }
            | Action::SetDown { .. }
            | Action::SetMtu { .. }
            | Action::SetMac { .. }
            | Action::SetMaster { .. }
            | Action::AddAddress { .. } => self.apply_link(action),
            Action::ReplaceRoute(_)
            | Action::DelRoute(_)
            | Action::AddRule(_)
            | Action::DelRule(_)
            | Action::DelTableRoute(_) => self.apply_route(action),
            Action::ReplaceNeigh(_)
            | Action::DelNeigh { .. }
            | Action::AddFdb(_)
            | Action::ReplaceFdb(_)
            | Action::DelFdb(_) => self.apply_neigh(action),
            Action::Sysctl { .. }
            | Action::FlushNft
            | Action::ResetLegacy { .. }
            | Action::FlushRouteCache
            | Action::ForwardPolicyDrop => apply_other(action),
        }
    }

    /// Creates a bridge or a VXLAN device.
    fn create_link(&mut self, l: &LinkWant) -> io::Result<()> {
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

    /// In the switch: the veth pair `<port>` and, in the node's namespace
    /// (opened by `peer_ns`), its `eth0`.
    fn create_uplink(
        &mut self,
        node: &str,
        port: &str,
        peer_ns: &dyn Fn(&str) -> io::Result<File>,
    ) -> io::Result<()> {
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

    /// Deletes a link, changes one, or adds an address.
    fn apply_link(&mut self, action: &Action) -> io::Result<()> {
        match action {
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
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a link action: {}", action.command()),
            )),
        }
    }

    /// Replaces or deletes a route, a rule, or another table's route.
    fn apply_route(&mut self, action: &Action) -> io::Result<()> {
        match action {
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
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a route action: {}", action.command()),
            )),
        }
    }

    /// Replaces or deletes a neighbour or an FDB entry.
    fn apply_neigh(&mut self, action: &Action) -> io::Result<()> {
        match action {
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
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a neighbour action: {}", action.command()),
            )),
        }
    }
}

/// Sysctl writes, the route cache and the firewall tools.
fn apply_other(action: &Action) -> io::Result<()> {
    match action {
        Action::Sysctl { key, value, .. } => sysctl::write(key, value).map(|_| ()),
        Action::FlushNft => run_tool("nft", &["flush", "ruleset"], None),
        Action::ResetLegacy { tables } => {
            let script = legacy_reset_script(tables);
            run_tool("iptables-legacy-restore", &["-w"], Some(&script))
        }
        Action::FlushRouteCache => sysctl::write("net/ipv4/route/flush", "1").map(|_| ()),
        Action::ForwardPolicyDrop => run_tool("iptables", &["-w", "-P", "FORWARD", "DROP"], None),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a sysctl or firewall action: {}", action.command()),
        )),
    }
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
