//! A lab namespace as observed: its links (with VXLAN attributes),
//! routes, neighbours, FDB entries, sysctls, firewall and policy-routing
//! state, as `lab::net` reads them and `lab::diff` compares them. No I/O.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::entries::{FdbEntry, RouteEntry, RuleEntry, TableRoute};

/// VXLAN attributes of a link, as seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VxlanObs {
    pub vni: Option<u32>,
    pub local: Option<Ipv4Addr>,
    pub port: Option<u16>,
    pub learning: Option<bool>,
    /// The underlay device's name.
    pub dev: Option<String>,
}

/// A link as seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkObs {
    pub name: String,
    pub index: u32,
    /// `veth`, `bridge`, `vxlan`, "" for loopback.
    pub kind: String,
    pub up: bool,
    pub mtu: u32,
    pub master: Option<String>,
    pub mac: String,
    pub addrs: Vec<Ipv4Net>,
    pub vxlan: Option<VxlanObs>,
}

/// A neighbour entry as seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighObs {
    pub dev: String,
    pub ip: Ipv4Addr,
    pub mac: Option<String>,
    pub permanent: bool,
}

/// A namespace as seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NsObs {
    pub links: Vec<LinkObs>,
    /// IPv4 main-table routes that are not the kernel's (protocol kernel).
    pub routes: Vec<RouteEntry>,
    pub neighbours: Vec<NeighObs>,
    pub fdb: Vec<FdbEntry>,
    /// The sysctls asked for (missing keys are absent).
    pub sysctls: BTreeMap<String, String>,
    /// `nft list ruleset` is not empty.
    pub nft_rules: bool,
    /// Legacy iptables tables with a rule, a user chain or a non-ACCEPT policy.
    pub legacy_dirty: Vec<String>,
    /// IPv4 route exceptions (`ip route show cache`).
    pub route_exceptions: usize,
    /// IPv4 policy rules (read when `default_policy_routing` is wanted).
    pub rules: Vec<RuleEntry>,
    /// IPv4 routes outside the main table that the kernel did not make.
    pub other_routes: Vec<TableRoute>,
}

impl NsObs {
    pub fn link(&self, name: &str) -> Option<&LinkObs> {
        self.links.iter().find(|l| l.name == name)
    }
}
