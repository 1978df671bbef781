//! A routing table entry, as read from an RTM_GETROUTE dump. No I/O.

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
