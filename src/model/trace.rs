//! A traced path: the hops a packet would take from a pod to a destination,
//! each with its state, and the first that cannot forward. No I/O.

use serde::Serialize;

/// How a hop stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HopStatus {
    /// The packet goes on from here.
    Ok,
    /// The packet dies here.
    Blocked,
    /// podnet cannot see past this point (another machine).
    Unknown,
}

/// One step of the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Where: `pod default/web-0`, `node (host netns 4026531840)`, `remote node …`.
    pub at: String,
    pub netns_inode: Option<u64>,
    /// What is looked at: `route lookup`, `veth eth0 → cali…`, `FIB lookup iif cni0`, `vxlan flannel.1`…
    pub step: String,
    /// The state read (route found, neighbour state, FDB entry, link state, counters).
    pub detail: String,
    pub status: HopStatus,
    /// Why the packet dies here, when it does.
    pub reason: Option<String>,
}

/// What `podnet trace` reports.
#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    pub from: String,
    pub to: String,
    pub hops: Vec<Hop>,
    /// `delivered`, `blocked at hop N: …`, or `leaves this machine at hop N`.
    pub verdict: String,
    pub warnings: Vec<String>,
}
