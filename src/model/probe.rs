//! Results of `podnet probe`: attempts from a pod's namespace to a target,
//! and path-MTU sweeps. No I/O.

use serde::Serialize;

/// One attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeAttempt {
    pub seq: u32,
    pub ok: bool,
    /// `reply 0.12 ms`, `timeout`, `connected`, `refused`, `HTTP/1.1 200 OK`, `NOERROR 10.96.0.1`…
    pub result: String,
    pub latency_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rtt {
    pub min_ms: f64,
    pub avg_ms: f64,
    pub max_ms: f64,
}

/// Every attempt from one pod to one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeRun {
    pub from: String,
    pub from_netns: u64,
    pub target: String,
    /// icmp, tcp, http, udp or dns.
    pub mode: String,
    pub attempts: Vec<ProbeAttempt>,
    pub sent: usize,
    pub received: usize,
    pub loss_pct: f64,
    pub rtt: Option<Rtt>,
    /// The ICMP echo identifier the attempts carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp_id: Option<u16>,
    /// With `--why`: the kernel's drops of this probe's packets, each with
    /// the direction (`request` or `reply`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<Vec<crate::model::drops::ProbeDrop>>,
}

/// One size tried by a path-MTU sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PmtuStep {
    /// Bytes of the IP packet, DF set.
    pub size: usize,
    pub ok: bool,
    pub result: String,
}

/// The largest DF packet that reaches the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PmtuResult {
    pub from: String,
    pub from_netns: u64,
    pub target: String,
    /// `None` when not even the smallest size passed.
    pub pmtu: Option<usize>,
    /// The MTU of the pod's interface (the upper bound of the sweep).
    pub interface_mtu: u32,
    pub steps: Vec<PmtuStep>,
}

/// What `podnet probe` reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProbeReport {
    pub probes: Vec<ProbeRun>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pmtu: Vec<PmtuResult>,
    pub warnings: Vec<String>,
}
