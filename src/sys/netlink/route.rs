//! The engine's route and rule mutations: [`Route`], the one route type
//! podnet adds, replaces or deletes, turned into an RTM_NEWROUTE /
//! RTM_DELROUTE message (rtnetlink's RouteMessageBuilder); policy rules
//! added or deleted as given (kernel I/O).

use std::io;
use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::route::{
    RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::rule::RuleMessage;
use rtnetlink::RouteMessageBuilder;

use super::abi::{RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, RT_TABLE_UNSPEC};
use super::socket::{RouteSocket, unless};

/// A route as podnet adds, replaces or deletes it. A delete matches on
/// what is set: leave `gw`, `oif` or `src` out to match any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub dst: IpNet,
    /// A gateway of the other family than `dst` is left out.
    pub gw: Option<IpAddr>,
    /// The output interface's index; `None` with no `gw` on an add makes
    /// a blackhole route.
    pub oif: Option<u32>,
    /// `rtm_scope` ([`RT_SCOPE_UNIVERSE`], [`super::abi::RT_SCOPE_LINK`],
    /// [`super::abi::RT_SCOPE_HOST`]); a delete matches any scope.
    pub scope: u8,
    /// The preferred source; one of the other family is left out.
    pub src: Option<IpAddr>,
    pub metric: Option<u32>,
    /// The table ([`RT_TABLE_MAIN`] when `None`).
    pub table: Option<u32>,
    pub onlink: bool,
    /// Deletes only: the protocol the route must have (`None`: any).
    pub protocol: Option<u8>,
}

impl Route {
    /// A unicast route to `dst` of scope universe in the main table, with
    /// nothing else set.
    pub fn to(dst: IpNet) -> Route {
        Route {
            dst,
            gw: None,
            oif: None,
            scope: RT_SCOPE_UNIVERSE,
            src: None,
            metric: None,
            table: None,
            onlink: false,
            protocol: None,
        }
    }

    /// The RTM_NEWROUTE (`delete: false`, protocol boot like `ip route
    /// add`) or RTM_DELROUTE message for this route.
    fn message(&self, delete: bool) -> io::Result<RouteMessage> {
        let dst = self.dst.addr();
        // a gateway or source of the other family is not part of the route
        let same_family = |a: &IpAddr| a.is_ipv4() == dst.is_ipv4();
        let invalid = |e| io::Error::new(io::ErrorKind::InvalidInput, e);
        let mut b = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(dst, self.dst.prefix_len())
            .map_err(invalid)?;
        if let Some(oif) = self.oif {
            b = b.output_interface(oif);
        }
        b = b.scope(if delete {
            RouteScope::NoWhere
        } else {
            RouteScope::from(self.scope)
        });
        if let Some(g) = self.gw.filter(same_family) {
            b = b.gateway(g).map_err(invalid)?;
        }
        if let Some(s) = self.src.filter(same_family) {
            b = b.pref_source(s).map_err(invalid)?;
        }
        if self.onlink {
            b = b.onlink();
        }
        let mut msg = b.build();
        if let Some(m) = self.metric {
            msg.attributes.push(RouteAttribute::Priority(m));
        }
        let table = self.table.unwrap_or(u32::from(RT_TABLE_MAIN));
        match u8::try_from(table) {
            Ok(t) => msg.header.table = t,
            Err(_) => {
                msg.header.table = RT_TABLE_UNSPEC;
                msg.attributes.push(RouteAttribute::Table(table));
            }
        }
        if delete {
            msg.header.protocol = self
                .protocol
                .map_or(RouteProtocol::Unspec, RouteProtocol::from);
            msg.header.kind = RouteType::Unspec;
        } else {
            // what `ip route add` and the reference plugins' netlink library send
            msg.header.protocol = RouteProtocol::Boot;
            if self.oif.is_none() && self.gw.is_none() {
                msg.header.kind = RouteType::BlackHole;
            }
        }
        Ok(msg)
    }
}

impl RouteSocket {
    /// Adds a route; `Ok(false)` if the same route was there (EEXIST).
    pub fn add_route(&mut self, r: &Route) -> io::Result<bool> {
        let msg = r.message(false)?;
        let sent = self.ack(
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_EXCL,
        );
        unless(sent, &[libc::EEXIST])
    }

    /// Adds a route or replaces the one with the same key (`ip route replace`).
    pub fn replace_route(&mut self, r: &Route) -> io::Result<()> {
        let msg = r.message(false)?;
        self.ack(
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_REPLACE,
        )
    }

    /// Deletes a route; `Ok(false)` if none matched (ESRCH, ENOENT).
    pub fn del_route(&mut self, r: &Route) -> io::Result<bool> {
        let msg = r.message(true)?;
        let sent = self.ack(RouteNetlinkMessage::DelRoute(msg), 0);
        unless(sent, &[libc::ESRCH, libc::ENOENT])
    }

    /// Adds a policy rule (EEXIST when the same rule is there).
    pub fn add_rule(&mut self, m: RuleMessage) -> io::Result<()> {
        self.ack(RouteNetlinkMessage::NewRule(m), NLM_F_CREATE | NLM_F_EXCL)
    }

    /// Deletes a policy rule (best given as the kernel dumped it, so
    /// exactly that rule goes); `Ok(false)` if none matched (ENOENT).
    pub fn del_rule(&mut self, m: RuleMessage) -> io::Result<bool> {
        unless(
            self.ack(RouteNetlinkMessage::DelRule(m), 0),
            &[libc::ENOENT],
        )
    }
}
