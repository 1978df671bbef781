//! A routing table entry (RTM_GETROUTE) and a policy-routing rule
//! (RTM_GETRULE), as read from the kernel. No I/O.

use std::net::IpAddr;

use serde::Serialize;

/// One route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// Destination; `None` is the default route.
    pub dst: Option<ipnet::IpNet>,
    pub gateway: Option<IpAddr>,
    /// Output interface index.
    pub oif: Option<u32>,
    pub table: u32,
    /// unicast, local, broadcast, blackhole, unreachable, prohibit…
    pub kind: String,
    /// universe, link, host…
    pub scope: String,
    pub prefsrc: Option<IpAddr>,
    pub metric: Option<u32>,
    /// The gateway is on-link (RTNH_F_ONLINK).
    pub onlink: bool,
    pub ipv6: bool,
}

impl Route {
    /// `default via 10.244.1.1` / `10.244.1.0/24 scope link`, without the device.
    pub fn summary(&self) -> String {
        let mut s = match &self.dst {
            None => "default".to_string(),
            Some(n) => n.to_string(),
        };
        if self.kind != "unicast" {
            s = format!("{} {s}", self.kind);
        }
        if let Some(gw) = self.gateway {
            s.push_str(&format!(" via {gw}"));
        }
        if self.onlink {
            s.push_str(" onlink");
        }
        if self.scope != "universe" {
            s.push_str(&format!(" scope {}", self.scope));
        }
        s
    }
}

/// The main routing table's id (`RT_TABLE_MAIN`).
pub const RT_TABLE_MAIN: u32 = 254;
/// The local routing table's id (`RT_TABLE_LOCAL`).
pub const RT_TABLE_LOCAL: u32 = 255;
/// The `default` routing table's id (`RT_TABLE_DEFAULT`).
pub const RT_TABLE_DEFAULT: u32 = 253;

// The same numbers as `sys::netlink`'s wire constants (`u8` tables there);
// the model cannot import `sys`, so it names them for its `u32` tables and
// for the pure layers.

/// `rtm_scope` of a route to anywhere (`scope global`).
pub const RT_SCOPE_UNIVERSE: u8 = 0;
/// `rtm_scope` of a route on the attached link (`scope link`).
pub const RT_SCOPE_LINK: u8 = 253;
/// `rtm_scope` of a route to this host (`scope host`).
pub const RT_SCOPE_HOST: u8 = 254;

/// One policy-routing rule (`ip rule`), as read from an RTM_GETRULE dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub priority: u32,
    /// `inet` or `inet6`.
    pub family: String,
    pub src: Option<ipnet::IpNet>,
    pub dst: Option<ipnet::IpNet>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    /// `(mark, mask)`; the mask is `0xffffffff` when none was given.
    pub fwmark: Option<(u32, u32)>,
    /// The table of a `lookup` rule.
    pub table: u32,
    /// `lookup`, `unreachable`, `prohibit`, `blackhole`, `goto`, `nop`.
    pub action: String,
    /// `not`: the rule applies to packets its selector does NOT match.
    pub invert: bool,
    pub suppress_prefixlen: Option<u32>,
    /// A selector podnet does not evaluate (uid range, ip proto, ports, tos, tun id…).
    pub other_selector: Option<String>,
}

impl Rule {
    pub fn is_ipv6(&self) -> bool {
        self.family == "inet6"
    }

    /// `100: from 10.244.1.0/24 iif cni0 lookup 100`, like `ip rule show`.
    pub fn summary(&self) -> String {
        let mut s = format!("{}:", self.priority);
        if self.invert {
            s.push_str(" not");
        }
        match &self.src {
            Some(n) => s.push_str(&format!(" from {n}")),
            None => s.push_str(" from all"),
        }
        if let Some(d) = &self.dst {
            s.push_str(&format!(" to {d}"));
        }
        if let Some((mark, mask)) = self.fwmark {
            if mask == u32::MAX {
                s.push_str(&format!(" fwmark {mark:#x}"));
            } else {
                s.push_str(&format!(" fwmark {mark:#x}/{mask:#x}"));
            }
        }
        if let Some(i) = &self.iif {
            s.push_str(&format!(" iif {i}"));
        }
        if let Some(o) = &self.oif {
            s.push_str(&format!(" oif {o}"));
        }
        if let Some(o) = &self.other_selector {
            s.push_str(&format!(" {o}"));
        }
        if self.action == "lookup" {
            s.push_str(&format!(" lookup {}", table_name(self.table)));
        } else {
            s.push_str(&format!(" {}", self.action));
        }
        if let Some(p) = self.suppress_prefixlen {
            s.push_str(&format!(" suppress_prefixlength {p}"));
        }
        s
    }
}

/// `main`, `local`, `default`, or the number.
pub fn table_name(table: u32) -> String {
    match table {
        RT_TABLE_MAIN => "main".into(),
        RT_TABLE_LOCAL => "local".into(),
        RT_TABLE_DEFAULT => "default".into(),
        t => t.to_string(),
    }
}
