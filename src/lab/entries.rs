//! The kernel entries the lab compares and sets, as wanted or as seen:
//! IPv4 main-table routes, permanent neighbours, VXLAN FDB entries, policy
//! rules and routes of other tables, each with its `ip`/`bridge` words.
//! No I/O.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::model::route::{RT_SCOPE_HOST, RT_SCOPE_LINK};

/// An IPv4 route of the main table, as wanted or as seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RouteEntry {
    pub dst: Ipv4Net,
    pub gw: Option<Ipv4Addr>,
    /// Output interface ("" for blackhole and similar routes).
    pub dev: String,
    /// `rtm_scope`: `RT_SCOPE_UNIVERSE`, `RT_SCOPE_LINK` or `RT_SCOPE_HOST`.
    pub scope: u8,
    pub onlink: bool,
    pub src: Option<Ipv4Addr>,
    pub metric: u32,
}

impl RouteEntry {
    /// `ip route` words: `10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink`.
    pub fn words(&self) -> String {
        let mut s = if self.dst.prefix_len() == 0 {
            "default".to_string()
        } else if self.dst.prefix_len() == 32 {
            self.dst.addr().to_string()
        } else {
            self.dst.to_string()
        };
        if let Some(g) = self.gw {
            s.push_str(&format!(" via {g}"));
        }
        if !self.dev.is_empty() {
            s.push_str(&format!(" dev {}", self.dev));
        }
        match self.scope {
            RT_SCOPE_LINK => s.push_str(" scope link"),
            RT_SCOPE_HOST => s.push_str(" scope host"),
            _ => {}
        }
        if let Some(src) = self.src {
            s.push_str(&format!(" src {src}"));
        }
        if self.metric != 0 {
            s.push_str(&format!(" metric {}", self.metric));
        }
        if self.onlink {
            s.push_str(" onlink");
        }
        s
    }

    /// The kernel's key of a route in a table: replacing one replaces the other.
    pub fn key(&self) -> (Ipv4Net, u32) {
        (self.dst, self.metric)
    }
}

/// A permanent IPv4 neighbour entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NeighEntry {
    pub dev: String,
    pub ip: Ipv4Addr,
    pub mac: String,
}

/// A bridge FDB entry of a VXLAN device (`<mac> dst <ip>`), with the UDP
/// port and VNI it sends with when they are not the device's own (the
/// kernel reports them only then).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FdbEntry {
    pub dev: String,
    pub mac: String,
    pub dst: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vni: Option<u32>,
}

impl FdbEntry {
    /// `<mac> dst <dst>` on `dev`, with the device's port and VNI.
    pub fn new(dev: &str, mac: &str, dst: Ipv4Addr) -> FdbEntry {
        FdbEntry {
            dev: dev.into(),
            mac: mac.into(),
            dst: Some(dst),
            port: None,
            vni: None,
        }
    }

    /// `bridge fdb` words: `0e:6c:61:62:00:02 dev flannel.1 dst 172.30.0.12`.
    pub fn words(&self) -> String {
        let mut s = format!("{} dev {}", self.mac, self.dev);
        if let Some(d) = self.dst {
            s.push_str(&format!(" dst {d}"));
        }
        if let Some(p) = self.port {
            s.push_str(&format!(" port {p}"));
        }
        if let Some(v) = self.vni {
            s.push_str(&format!(" vni {v}"));
        }
        s
    }

    /// The same kernel entry (device and MAC): a unicast MAC has one
    /// destination, which `bridge fdb replace` changes.
    pub fn same_mac(&self, other: &FdbEntry) -> bool {
        self.dev == other.dev && self.mac.eq_ignore_ascii_case(&other.mac)
    }

    pub fn same(&self, other: &FdbEntry) -> bool {
        self.same_mac(other)
            && self.dst == other.dst
            && self.port == other.port
            && self.vni == other.vni
    }
}

/// The kernel's routing tables that have names, and a table as `ip`
/// names it (`local`, `main`, `default`, else its number).
pub use crate::model::route::{RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN, table_name};

/// What a policy rule does (`FR_ACT_*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleAction {
    /// Look the route up in this table.
    Lookup(u32),
    /// Continue at the rule with this priority.
    Goto(u32),
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
    Other(u8),
}

/// An IPv4 policy routing rule (`ip rule`), as wanted or as seen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleEntry {
    pub priority: u32,
    /// `not`: the selector is inverted.
    pub not: bool,
    pub src: Option<Ipv4Net>,
    pub dst: Option<Ipv4Net>,
    pub tos: u8,
    /// `fwmark <mark>/<mask>`.
    pub fwmark: Option<(u32, u32)>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    /// Any other selector, as words (`ipproto`, ports, `uidrange`…).
    pub other: Vec<String>,
    pub action: RuleAction,
}

impl RuleEntry {
    /// `pref <priority> from all lookup <table>`.
    pub fn lookup(priority: u32, table: u32) -> RuleEntry {
        RuleEntry {
            priority,
            not: false,
            src: None,
            dst: None,
            tos: 0,
            fwmark: None,
            iif: None,
            oif: None,
            other: Vec::new(),
            action: RuleAction::Lookup(table),
        }
    }

    /// `ip rule` words: `pref 100 from 10.244.1.0/24 lookup 100`.
    pub fn words(&self) -> String {
        let mut s = format!("pref {}", self.priority);
        if self.not {
            s.push_str(" not");
        }
        match self.src {
            Some(n) => s.push_str(&format!(" from {n}")),
            None => s.push_str(" from all"),
        }
        if let Some(n) = self.dst {
            s.push_str(&format!(" to {n}"));
        }
        if self.tos != 0 {
            s.push_str(&format!(" tos {:#x}", self.tos));
        }
        if let Some((mark, mask)) = self.fwmark {
            s.push_str(&format!(" fwmark {mark:#x}/{mask:#x}"));
        }
        if let Some(i) = &self.iif {
            s.push_str(&format!(" iif {i}"));
        }
        if let Some(o) = &self.oif {
            s.push_str(&format!(" oif {o}"));
        }
        for w in &self.other {
            s.push_str(&format!(" {w}"));
        }
        match &self.action {
            RuleAction::Lookup(t) => s.push_str(&format!(" lookup {}", table_name(*t))),
            RuleAction::Goto(p) => s.push_str(&format!(" goto {p}")),
            RuleAction::Nop => s.push_str(" nop"),
            RuleAction::Blackhole => s.push_str(" blackhole"),
            RuleAction::Unreachable => s.push_str(" unreachable"),
            RuleAction::Prohibit => s.push_str(" prohibit"),
            RuleAction::Other(a) => s.push_str(&format!(" action {a}")),
        }
        s
    }
}

/// The IPv4 rules of a new network namespace, which the lab keeps: the
/// local, main and default tables, in that order.
pub fn default_rules() -> Vec<RuleEntry> {
    vec![
        RuleEntry::lookup(0, RT_TABLE_LOCAL),
        RuleEntry::lookup(32766, RT_TABLE_MAIN),
        RuleEntry::lookup(32767, RT_TABLE_DEFAULT),
    ]
}

/// An IPv4 route outside the main table that the kernel did not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRoute {
    pub table: u32,
    /// Its `ip route` type word (`unreachable`, `local`…), "" for unicast.
    pub kind: String,
    /// `rtm_protocol`: a delete names it, so it never takes a kernel route
    /// with the same key instead.
    pub protocol: u8,
    pub route: RouteEntry,
}

impl TableRoute {
    /// `ip route` words: `unreachable default table 100`.
    pub fn words(&self) -> String {
        let kind = if self.kind.is_empty() {
            String::new()
        } else {
            format!("{} ", self.kind)
        };
        format!(
            "{kind}{} table {}",
            self.route.words(),
            table_name(self.table)
        )
    }
}
