//! Doctor checks and the node facts they judge. No I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use super::netns::{Interface, LinkStats};
use super::route::Route;

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skip,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "skip",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One fact a verdict rests on, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub fact: String,
    pub from: String,
}

impl Evidence {
    pub fn new(fact: impl Into<String>, from: impl Into<String>) -> Self {
        Evidence {
            fact: fact.into(),
            from: from.into(),
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    /// How to fix it; null when there is nothing to fix.
    pub hint: Option<String>,
}

impl Check {
    pub fn new(id: &'static str, status: Status, summary: impl Into<String>) -> Self {
        Check {
            id,
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            hint: None,
        }
    }

    pub fn with(mut self, evidence: Vec<Evidence>) -> Self {
        self.evidence = evidence;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// What `podnet doctor` reports.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    /// The namespace judged as the node: its inode and how it was named.
    pub node: NodeRef,
    pub checks: Vec<Check>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeRef {
    pub netns_inode: u64,
    pub label: String,
}

/// A neighbour (ARP/NDP) entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Neighbour {
    pub ifindex: u32,
    pub ip: IpAddr,
    pub mac: Option<String>,
    /// permanent, reachable, stale, incomplete, failed, noarp…
    pub state: String,
}

/// A forwarding-database entry of a bridge or VXLAN device (`bridge fdb`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FdbEntry {
    pub ifindex: u32,
    pub mac: String,
    /// The remote VTEP, for a VXLAN entry.
    pub dst: Option<IpAddr>,
}

/// A VXLAN device's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VxlanInfo {
    pub ifindex: u32,
    /// `None` for a collect-metadata (external) device, whose VNI comes with each packet.
    pub vni: Option<u32>,
    pub local: Option<IpAddr>,
    /// The underlay device (IFLA_VXLAN_LINK).
    pub link: Option<u32>,
    pub port: Option<u16>,
    pub learning: Option<bool>,
}

/// The answer to one FIB lookup (`ip route get DST from SRC iif DEV`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FibLookup {
    pub dst: IpAddr,
    pub src: Option<IpAddr>,
    pub iif: Option<String>,
    /// The route found, or the kernel's error.
    pub result: Result<FibAnswer, String>,
    /// errno of the error, if any.
    pub errno: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FibAnswer {
    pub oif: Option<String>,
    pub gateway: Option<IpAddr>,
    pub kind: String,
}

/// A firewall chain (nftables, or legacy iptables' filter table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FwChain {
    /// `nft` or `iptables-legacy`.
    pub backend: String,
    /// `ip`, `ip6`, `inet`, `bridge`… (`ip` for legacy iptables).
    pub family: String,
    pub table: String,
    pub name: String,
    /// The netfilter hook of a base chain (`forward`…); `None` for a chain only jumped to.
    pub hook: Option<String>,
    /// `accept` or `drop` for a base chain.
    pub policy: Option<String>,
    /// A base chain's priority (nft `prio`; legacy tables have fixed ones,
    /// raw -300, mangle -150, nat -100/100, filter 0).
    pub priority: Option<i64>,
    /// `filter`, `nat` or `route` (nft chain type; the table for legacy iptables).
    pub chain_type: Option<String>,
    pub rules: Vec<FwRule>,
}

impl FwChain {
    /// `nft ip filter FORWARD`, `iptables-legacy filter FORWARD`.
    pub fn label(&self) -> String {
        if self.backend == "nft" {
            format!("nft {} {} {}", self.family, self.table, self.name)
        } else {
            format!("{} {} {}", self.backend, self.table, self.name)
        }
    }
}

/// One rule: its conditions, as far as podnet understands them, and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FwRule {
    /// The rule as text, for evidence.
    pub text: String,
    pub matches: Vec<FwMatch>,
    pub verdict: FwVerdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FwField {
    Saddr,
    Daddr,
    Iif,
    Oif,
    /// Layer-4 protocol: `icmp`, `tcp`, `udp` (or a number).
    Proto,
    /// Source / destination port: `80` or a range `1000-2000`.
    Sport,
    Dport,
    /// Conntrack state: `new`, `established`, `related`, `invalid`.
    CtState,
    /// A condition podnet does not evaluate (marks, limits, ICMP types…).
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FwMatch {
    pub field: FwField,
    pub negate: bool,
    /// Addresses/prefixes, or interface names (`cali+` / `cali*` are prefixes).
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FwVerdict {
    Accept,
    Drop,
    Reject,
    Jump(String),
    Goto(String),
    Return,
    /// No verdict (a counter, a log, a mark): the packet goes on.
    Continue,
}

/// Everything read in the node's namespace, once or twice a moment apart.
#[derive(Debug, Clone, Default)]
pub struct NodeFacts {
    pub netns_inode: u64,
    /// Network sysctls by key with `/` separators (`net/ipv4/ip_forward`); absent keys are missing.
    pub sysctls: BTreeMap<String, String>,
    pub interfaces: Vec<Interface>,
    /// Link counters at the second read, by ifindex.
    pub stats_later: BTreeMap<u32, LinkStats>,
    /// Routes of every table (`table == RT_TABLE_MAIN` is main).
    pub routes: Vec<Route>,
    /// Policy-routing rules (`ip rule`), IPv4 then IPv6, by priority.
    pub rules: Vec<super::route::Rule>,
    pub neighbours: Vec<Neighbour>,
    pub fdb: Vec<FdbEntry>,
    pub vxlans: Vec<VxlanInfo>,
    /// ethtool features of the tunnel devices (name → on).
    pub features: BTreeMap<String, BTreeMap<String, bool>>,
    /// /proc/net/snmp + netstat counters (`Ip:InAddrErrors`…) at both reads.
    pub counters_before: BTreeMap<String, u64>,
    pub counters_after: BTreeMap<String, u64>,
    pub sample_secs: f64,
    /// Every chain of every table, both backends.
    pub chains: Vec<FwChain>,
    /// Why the firewall could not be read, if it could not.
    pub netfilter_errors: Vec<String>,
    pub fib: Vec<FibLookup>,
    /// For each lookup of `fib` that failed: the kernel's output lookup (no
    /// iif, no src) to the same destination, whose errno tells the route
    /// type (blackhole EINVAL, unreachable EHOSTUNREACH, prohibit EACCES).
    pub output_fib: Vec<FibLookup>,
}

impl NodeFacts {
    /// The routes of the main table.
    pub fn main_routes(&self) -> impl Iterator<Item = &Route> {
        self.routes
            .iter()
            .filter(|r| r.table == super::route::RT_TABLE_MAIN)
    }

    /// The kernel's output lookup to `dst`, when one was made.
    pub fn output_lookup(&self, dst: IpAddr) -> Option<&FibLookup> {
        self.output_fib.iter().find(|l| l.dst == dst)
    }
}

/// `doctor --lab`'s report: one section per node of the lab.
#[derive(Debug, Serialize)]
pub struct LabDoctorReport {
    pub lab: String,
    pub nodes: Vec<DoctorReport>,
    pub warnings: Vec<String>,
}
