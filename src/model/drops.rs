//! A packet drop as `podnet drops` reports it, and the summary of many.

use serde::Serialize;

/// One drop (or, with `count` > 1, that many alike within a second).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Drop {
    /// Milliseconds since `drops` started.
    pub ms: u64,
    /// The kernel's drop reason, by the running kernel's own name (`IP_RPFILTER`).
    pub reason: String,
    /// The kernel function that freed the packet (`ip_rcv_finish_core+0x1a0`).
    pub location: String,
    /// The network namespace the packet was in (null when unknown).
    pub netns_inode: Option<u64>,
    /// That namespace, named: `pod default/web-1-1`, `the host`, `netns … (/run/…)`.
    pub netns: Option<String>,
    /// The pod the drop is charged to: the namespace's, else the flow's source pod, else its destination pod.
    pub pod: Option<String>,
    /// The pods owning the flow's source and destination addresses.
    pub src_pod: Option<String>,
    pub dst_pod: Option<String>,
    pub interface: Option<String>,
    /// `ipv4`, `ipv6`, or the ethertype in hex.
    pub protocol: String,
    pub src: Option<String>,
    pub dst: Option<String>,
    pub proto: Option<String>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    pub icmp_id: Option<u16>,
    pub count: u64,
}

impl Drop {
    /// `IP_RPFILTER in the host on eth0 at ip_rcv_finish_core+0x260`.
    pub fn said(&self) -> String {
        format!("{} in {} at {}", self.reason, self.place(), self.location)
    }

    /// Where it died: `the host on cni0`, `pod default/a`, `on eth0`.
    pub fn place(&self) -> String {
        match (&self.netns, &self.interface) {
            (Some(n), Some(i)) => format!("{n} on {i}"),
            (Some(n), None) => n.clone(),
            (None, Some(i)) => format!("on {i}"),
            (None, None) => "netns unknown".into(),
        }
    }
}

/// `drops --summary`: counts by reason × location × pod.
#[derive(Debug, Clone, Serialize)]
pub struct DropSummary {
    /// `ebpf` (attributed) or `tracefs` (reason and location only).
    pub source: String,
    pub seconds: f64,
    pub total: u64,
    pub rows: Vec<SummaryRow>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    pub reason: String,
    pub location: String,
    pub pod: Option<String>,
    pub netns: Option<String>,
    pub count: u64,
}

/// A drop of one of a probe's own packets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeDrop {
    /// `request` (from the pod to the target) or `reply` (back).
    pub direction: String,
    #[serde(flatten)]
    pub drop: Drop,
}
