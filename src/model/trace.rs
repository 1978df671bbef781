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

/// Why a packet dies (or where podnet stops seeing it): stable codes,
/// kebab-case in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    NoRoute,
    /// A node has no route to a pod attached to it (a Calico /32 host
    /// route gone), even when a block's blackhole catches the packet.
    PodRouteMissing,
    RouteBlackhole,
    RouteUnreachable,
    RouteProhibit,
    ForwardingOff,
    RpFilter,
    LinkDown,
    VethDetached,
    ProxyArpOff,
    NeighbourFailed,
    VxlanNeighbourMissing,
    VtepMacMismatch,
    FdbMissing,
    FdbWrongDst,
    VtepUnreachable,
    Mtu,
    Firewall,
    /// Forwarding done by eBPF podnet cannot read (status unknown).
    Ebpf,
    /// The next hop is not on this machine (status unknown).
    OffMachine,
}

impl Cause {
    /// The code as it appears in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Cause::NoRoute => "no-route",
            Cause::PodRouteMissing => "pod-route-missing",
            Cause::RouteBlackhole => "route-blackhole",
            Cause::RouteUnreachable => "route-unreachable",
            Cause::RouteProhibit => "route-prohibit",
            Cause::ForwardingOff => "forwarding-off",
            Cause::RpFilter => "rp-filter",
            Cause::LinkDown => "link-down",
            Cause::VethDetached => "veth-detached",
            Cause::ProxyArpOff => "proxy-arp-off",
            Cause::NeighbourFailed => "neighbour-failed",
            Cause::VxlanNeighbourMissing => "vxlan-neighbour-missing",
            Cause::VtepMacMismatch => "vtep-mac-mismatch",
            Cause::FdbMissing => "fdb-missing",
            Cause::FdbWrongDst => "fdb-wrong-dst",
            Cause::VtepUnreachable => "vtep-unreachable",
            Cause::Mtu => "mtu",
            Cause::Firewall => "firewall",
            Cause::Ebpf => "ebpf",
            Cause::OffMachine => "off-machine",
        }
    }
}

/// Which way a hop's packet goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the traced pod to the destination.
    #[default]
    Request,
    /// From the destination back to the pod (src/dst and ports swapped).
    Reply,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Reply => "reply",
        }
    }
}

/// One step of the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// 1-based position over both directions.
    pub index: usize,
    pub direction: Direction,
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
    /// The stable code of `reason` (blocked or unknown hops).
    pub cause: Option<Cause>,
}

/// The first hop that stops the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocked {
    pub hop: usize,
    pub direction: Direction,
    pub cause: Option<Cause>,
    pub reason: String,
}

/// What `podnet trace` reports.
#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    pub from: String,
    pub to: String,
    /// `icmp`, `tcp` or `udp`.
    pub proto: String,
    pub port: Option<u16>,
    pub hops: Vec<Hop>,
    pub blocked: Option<Blocked>,
    /// Delivered both ways (the request only, when no reply can be modelled).
    pub delivered: bool,
    /// `delivered both ways`, `blocked in the reply at hop 9: …`, `leaves what podnet can see …`.
    pub verdict: String,
    /// With `--verify`: a real probe along the flow, and whether the kernel's
    /// drops of its packets agree with the trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<Verification>,
    pub warnings: Vec<String>,
}

/// How a real probe and the kernel's drops of its packets compare with
/// the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agreement {
    /// As traced: delivered and answered, or lost with the kernel dropping
    /// it in the blocked hop's direction and namespace.
    Agrees,
    /// Lost as traced, dropped by the kernel in the same direction but in
    /// another namespace (a copy the bridge flooded, a later hop).
    AgreesInDirection,
    /// Otherwise than traced: through a blocked path, lost on a delivered
    /// one, or dropped in the other direction.
    Disagrees,
    /// Lost, and no kernel drop on this machine names its packets (never
    /// built, lost off the machine, or past what trace sees).
    Unconfirmed,
}

impl Agreement {
    pub fn code(self) -> &'static str {
        match self {
            Agreement::Agrees => "agrees",
            Agreement::AgreesInDirection => "agrees-in-direction",
            Agreement::Disagrees => "disagrees",
            Agreement::Unconfirmed => "unconfirmed",
        }
    }
}

/// `trace --verify`.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub agreement: Agreement,
    /// One line: what the probe and the kernel said, against the trace.
    pub verdict: String,
    /// The probe's attempts, with `why`: the kernel's drops of its packets.
    pub probe: crate::model::probe::ProbeRun,
}
