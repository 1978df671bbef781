//! Applying the lab's actions in the calling thread's network namespace:
//! links (VXLAN devices, the switch's uplink veths), addresses, routes,
//! rules, neighbour and FDB entries through the `sys::netlink` engine
//! (the lab only builds its rule messages), sysctl
//! writes and, for the firewall only, `nft` / `iptables` /
//! `iptables-legacy-restore` run in the namespace. Kernel I/O.

use std::fs::File;
use std::io;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

use ipnet::IpNet;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::rule::{
    RuleAction as NlRuleAction, RuleAttribute, RuleFlags, RuleMessage,
};

use crate::sys::netlink::{Fdb, Route, Veth, Vxlan};
use crate::sys::netns_run::run_tool;
use crate::sys::sysctl;

use super::action::{Action, LinkKind, LinkWant};
use super::entries::{FdbEntry, NeighEntry, RouteEntry, RuleAction, RuleEntry};
use super::firewall::legacy_reset_script;
use super::net::{Net, ctx};
use super::plan::{NODE_UPLINK, UNDERLAY_MTU, parse_mac};

/// The bytes of a MAC the lab wrote, or InvalidInput.
fn mac_bytes(mac: &str) -> io::Result<[u8; 6]> {
    parse_mac(mac)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("bad MAC {mac:?}")))
}

impl Net {
    /// The engine's main-table route for `r`: all of it to add, only its
    /// destination and metric to delete.
    fn route_of(&mut self, r: &RouteEntry, delete: bool) -> io::Result<Route> {
        let mut route = Route::to(IpNet::V4(r.dst));
        route.metric = (r.metric != 0).then_some(r.metric);
        if !delete {
            route.scope = r.scope;
            route.onlink = r.onlink;
            route.gw = r.gw.map(IpAddr::V4);
            route.src = r.src.map(IpAddr::V4);
            if !r.dev.is_empty() {
                route.oif = Some(self.index_of(&r.dev)?);
            }
        }
        Ok(route)
    }

    /// The engine's FDB entry for `f` (its port and VNI when it names them).
    fn fdb_of(&mut self, f: &FdbEntry) -> io::Result<Fdb> {
        let dst = f.dst.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "an FDB entry needs a dst")
        })?;
        Ok(Fdb {
            index: self.index_of(&f.dev)?,
            mac: mac_bytes(&f.mac)?,
            dst: IpAddr::V4(dst),
            port: f.port,
            vni: f.vni,
        })
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

    /// Creates a bridge (down) or a VXLAN device.
    fn create_link(&mut self, l: &LinkWant) -> io::Result<()> {
        match &l.kind {
            LinkKind::Bridge => self.sock.add_bridge(&l.name, None, false)?,
            LinkKind::Vxlan(p) => {
                let vx = Vxlan {
                    name: l.name.clone(),
                    vni: p.vni,
                    local: p.local,
                    dev: self.index_of(&p.dev)?,
                    port: p.port,
                    mtu: l.mtu,
                    mac: l.mac.as_deref().and_then(parse_mac),
                };
                self.sock.add_vxlan(&vx)?
            }
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("cannot create a {other:?} link"),
                ));
            }
        }
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
        self.sock.add_veth(&Veth {
            name: port.to_string(),
            peer: NODE_UPLINK.to_string(),
            mtu: Some(UNDERLAY_MTU),
            txqueuelen: None,
            peer_mac: None,
            peer_ns: f.as_raw_fd(),
        })?;
        self.index.clear();
        Ok(())
    }

    /// Deletes a link, changes one, or adds an address.
    fn apply_link(&mut self, action: &Action) -> io::Result<()> {
        match action {
            Action::DeleteLink { dev } => {
                let idx = self.index_of(dev)?;
                self.sock.delete_link(idx)?;
                self.index.clear();
                Ok(())
            }
            Action::SetUp { dev } => {
                let idx = self.index_of(dev)?;
                self.sock.set_up(idx, true)
            }
            Action::SetDown { dev } => {
                let idx = self.index_of(dev)?;
                self.sock.set_up(idx, false)
            }
            Action::SetMtu { dev, mtu } => {
                let idx = self.index_of(dev)?;
                self.sock.set_mtu(idx, *mtu)
            }
            Action::SetMac { dev, mac } => {
                let bytes = mac_bytes(mac)?;
                let idx = self.index_of(dev)?;
                self.sock.set_mac(idx, bytes.to_vec())
            }
            Action::SetMaster { dev, master } => {
                let mi = self.index_of(master)?;
                let idx = self.index_of(dev)?;
                self.sock.set_master(idx, mi)
            }
            Action::AddAddress { dev, addr } => {
                let idx = self.index_of(dev)?;
                self.sock.add_address(idx, IpNet::V4(*addr)).map(|_| ())
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
                let route = self.route_of(r, false)?;
                self.sock.replace_route(&route)
            }
            Action::DelRoute(r) => {
                let route = self.route_of(r, true)?;
                self.sock.del_route(&route).map(|_| ())
            }
            Action::AddRule(r) => {
                let m = rule_message(r)?;
                self.sock.add_rule(m)
            }
            Action::DelRule(r) => {
                // the kernel's own message, so exactly that rule goes
                let found = self.rule_dump()?.into_iter().find(|(e, _)| e == r);
                match found {
                    Some((_, m)) => self.sock.del_rule(m).map(|_| ()),
                    None => Ok(()),
                }
            }
            Action::DelTableRoute(t) => {
                let mut route = self.route_of(&t.route, true)?;
                route.table = Some(t.table);
                route.protocol = Some(t.protocol);
                self.sock.del_route(&route).map(|_| ())
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
                let idx = self.index_of(dev)?;
                let mac = mac_bytes(mac)?;
                self.sock.replace_neighbour(idx, IpAddr::V4(*ip), mac)
            }
            Action::DelNeigh { dev, ip } => {
                let idx = self.index_of(dev)?;
                self.sock.del_neighbour(idx, IpAddr::V4(*ip)).map(|_| ())
            }
            Action::AddFdb(f) => {
                let f = self.fdb_of(f)?;
                self.sock.append_fdb(&f)
            }
            Action::ReplaceFdb(f) => {
                let f = self.fdb_of(f)?;
                self.sock.replace_fdb(&f)
            }
            Action::DelFdb(f) => {
                let f = self.fdb_of(f)?;
                self.sock.del_fdb(&f).map(|_| ())
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
