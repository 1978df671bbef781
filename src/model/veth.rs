//! A pod interface paired with its host-side peer, with the proof of the
//! pairing and optional counters. No I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use super::netns::LinkStats;
use super::pod::Pod;

/// The pod end of an attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodSide {
    pub name: String,
    pub ifindex: u32,
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    pub oper_state: super::netns::OperState,
    /// Serialised as CIDR text, `10.244.1.5/24`.
    pub addresses: Vec<ipnet::IpNet>,
    /// veth, ipvlan, macvlan, netkit, device…
    pub kind: super::netns::LinkKind,
    /// Routes of the pod's main table that leave through this interface, e.g.
    /// `default via 10.244.1.1`; `None` where they were not read (`veth list`).
    pub routes: Option<Vec<String>>,
}

/// The host (node) end of a veth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostSide {
    pub name: String,
    pub ifindex: u32,
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    pub oper_state: super::netns::OperState,
    /// The bridge it is a port of, if any.
    pub master: Option<String>,
    /// The namespace it lives in (the host's, or a lab node's).
    pub netns_inode: u64,
}

/// How a row was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairStatus {
    /// A veth whose peer was found and proven.
    Paired,
    /// A veth whose peer is in a namespace podnet cannot see (try --deep).
    PeerNotFound,
    /// A veth whose both ends are in the same namespace.
    PeerInSameNetns,
    /// Not a veth: ipvlan, macvlan, netkit, a physical device…
    NotVeth,
    /// A host veth whose pod-side namespace was not found (deleted, or hidden).
    Orphan,
}

/// Counters of one side.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SideStats {
    #[serde(flatten)]
    pub link: LinkStats,
    /// The driver's `ethtool -S` counters.
    pub ethtool: BTreeMap<String, u64>,
}

/// Counters of both sides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PairStats {
    pub pod_if: Option<SideStats>,
    pub host_if: Option<SideStats>,
}

/// One row of `veth list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VethPair {
    pub pod: Option<Pod>,
    pub netns_inode: Option<u64>,
    pub pause_pid: Option<i32>,
    pub pod_if: Option<PodSide>,
    pub host_if: Option<HostSide>,
    pub status: PairStatus,
    /// How the pairing was proven, one fact per entry.
    pub proof: Vec<String>,
    pub stats: Option<PairStats>,
}

/// What `veth list` / `veth pair` report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VethReport {
    pub pairs: Vec<VethPair>,
    pub warnings: Vec<String>,
}

/// One pod interface's traffic over one `veth top` interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopRow {
    pub pod: Option<String>,
    pub netns_inode: u64,
    pub pod_if: String,
    pub host_if: Option<String>,
    /// Bytes per second into the pod (pod-side rx).
    pub rx_bytes_per_s: f64,
    /// Bytes per second out of the pod (pod-side tx).
    pub tx_bytes_per_s: f64,
    pub rx_packets_per_s: f64,
    pub tx_packets_per_s: f64,
    /// New drops on either side (pod rx+tx, host rx+tx) during the interval.
    pub drops: u64,
    /// New errors on either side during the interval.
    pub errors: u64,
}
