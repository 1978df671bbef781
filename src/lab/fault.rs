//! The faults `lab break` knows: their names, whom each targets (a pod,
//! a node, a second node) and the aspects `lab fix <fault>` reconciles.
//! No I/O.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::action::Aspect;

/// A fault the lab can inject.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// A pod's eth0 MTU above what its path carries (big DF packets silently lost).
    #[value(help = "A pod's MTU above its path")]
    Mtu,
    /// A node lacks the VXLAN FDB entry for a remote node's VTEP.
    #[value(help = "A missing VXLAN FDB entry (vxlan only)")]
    Fdb,
    /// `net.ipv4.ip_forward=0` on a node.
    #[value(help = "ip_forward off on a node")]
    Forwarding,
    /// Strict rp_filter on a node while a peer answers it over the underlay.
    #[value(help = "Strict rp_filter plus an asymmetric route (vxlan only)")]
    RpFilter,
    /// A node lacks its route to a remote node's pod CIDR.
    #[value(help = "A missing route to a peer's pod CIDR")]
    Route,
    /// `iptables -P FORWARD DROP` on a node.
    #[value(help = "FORWARD policy DROP on a node")]
    ForwardDrop,
    /// A pod's host veth is down.
    #[value(help = "A pod's host veth down")]
    VethDown,
}

impl Fault {
    pub const ALL: [Fault; 7] = [
        Fault::Mtu,
        Fault::Fdb,
        Fault::Forwarding,
        Fault::RpFilter,
        Fault::Route,
        Fault::ForwardDrop,
        Fault::VethDown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Mtu => "mtu",
            Fault::Fdb => "fdb",
            Fault::Forwarding => "forwarding",
            Fault::RpFilter => "rp-filter",
            Fault::Route => "route",
            Fault::ForwardDrop => "forward-drop",
            Fault::VethDown => "veth-down",
        }
    }

    pub fn parse(s: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Whether the fault targets a pod (else a node, and maybe a peer node).
    pub fn targets_pod(self) -> bool {
        matches!(self, Fault::Mtu | Fault::VethDown)
    }

    /// Whether the fault involves a second node.
    pub fn needs_peer(self) -> bool {
        matches!(self, Fault::Fdb | Fault::RpFilter | Fault::Route)
    }

    /// The aspects of the lab `lab fix <fault>` reconciles.
    pub fn aspects(self) -> &'static [Aspect] {
        match self {
            Fault::Mtu => &[Aspect::Mtu],
            Fault::Fdb => &[Aspect::Fdb, Aspect::Neighbour],
            Fault::Forwarding => &[Aspect::Forwarding],
            Fault::RpFilter => &[Aspect::RpFilter, Aspect::Route],
            Fault::Route => &[Aspect::Route],
            Fault::ForwardDrop => &[Aspect::Firewall],
            // a link brought back up has lost the routes through it
            Fault::VethDown => &[Aspect::LinkState, Aspect::Route],
        }
    }
}
