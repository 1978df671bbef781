//! Options of the cross-node troubleshooting commands: `doctor`, `trace`, `probe`, `drops`, `exec`. No I/O.

use std::time::Duration;

use clap::Args;

use crate::analyze::netfilter_path::Proto;
use crate::analyze::resolve::Destination;

use super::values::{MAX_PACKET_BYTES, MAX_PROBE_COUNT, MIN_PACKET_BYTES, seconds, whole};

#[derive(Debug, Clone, Args)]
pub struct DropsArgs {
    /// Stop after this many seconds (default: at Ctrl-C).
    #[arg(long, value_name = "SECONDS", value_parser = seconds(0.1, 86400.0))]
    pub duration: Option<Duration>,
    /// At the end, counts by reason × location × pod instead of a line per drop.
    #[arg(long)]
    pub summary: bool,
    /// Only drops of this pod: in its namespace, or of a packet from or to it (repeatable).
    #[arg(long, value_name = "POD")]
    pub pod: Vec<String>,
    /// Only drops in this network namespace (a netns path, name or inode, or any PID in it).
    #[arg(long, value_name = "NETNS")]
    pub node_netns: Option<String>,
    /// Only drops with this reason, as the kernel names it (repeatable).
    #[arg(long, value_name = "REASON")]
    pub reason: Vec<String>,
    /// Only drops of packets of this protocol.
    #[arg(long, value_enum)]
    pub proto: Option<Proto>,
    /// Lines per second for each kind of drop (reason, location, pod); the rest are counted.
    #[arg(long, default_value = "5", value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub rate: u64,
    /// Read the tracepoint through tracefs alone (no eBPF: reasons and locations only).
    #[arg(long)]
    pub no_bpf: bool,
}

#[derive(Debug, Clone, Args)]
pub struct TraceArgs {
    /// The pod the packet leaves from.
    #[arg(value_name = "POD")]
    pub pod: String,
    /// Where it goes: an IP, IP:port, or a pod reference.
    #[arg(value_name = "DESTINATION")]
    pub destination: Destination,
    /// The protocol traced (default icmp; tcp when DESTINATION has a port).
    #[arg(long, value_enum)]
    pub proto: Option<Proto>,
    /// Destination port (tcp/udp).
    #[arg(long, value_name = "PORT", value_parser = whole::<u16>(1, 65535))]
    pub port: Option<u16>,
    /// Then send real packets along the flow (3 echoes, connects or datagrams) while watching
    /// the kernel's drops (eBPF), and say whether the kernel agrees with the blocked hop:
    /// the same direction and namespace.
    #[arg(long)]
    pub verify: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// The pod to probe from (omit it with --from-all).
    #[arg(value_name = "POD")]
    pub pod: Option<String>,
    /// What to probe (see below).
    #[arg(value_name = "TARGET")]
    pub target: Option<String>,
    /// Probe from every pod on this machine instead of one.
    #[arg(long)]
    pub from_all: bool,
    /// Attempts per source.
    #[arg(short = 'c', long, default_value_t = 3, value_parser = whole::<u32>(1, MAX_PROBE_COUNT))]
    pub count: u32,
    /// Seconds between attempts.
    #[arg(long, default_value = "0.2", value_name = "SECONDS", value_parser = seconds(0.0, 60.0))]
    pub interval: Duration,
    /// Seconds each attempt waits for its answer.
    #[arg(long, default_value = "1", value_name = "SECONDS", value_parser = seconds(0.05, 60.0))]
    pub timeout: Duration,
    /// ICMP: bytes of each IP packet (like ping -s, plus the 28 header bytes).
    #[arg(long, value_name = "BYTES", value_parser = whole::<usize>(MIN_PACKET_BYTES, MAX_PACKET_BYTES))]
    pub size: Option<usize>,
    /// Find the largest don't-fragment ICMP packet that reaches the target.
    #[arg(long)]
    pub pmtu: bool,
    /// Watch the kernel's drops while probing and say, for the probe's own lost packets, the
    /// reason, the kernel function and where they died, request or reply (needs eBPF).
    #[arg(long, conflicts_with = "pmtu")]
    pub why: bool,
    /// TCP connect to this port.
    #[arg(long, value_name = "PORT", value_parser = whole::<u16>(1, 65_535))]
    pub tcp: Option<u16>,
    /// UDP datagram to this port.
    #[arg(long, value_name = "PORT", value_parser = whole::<u16>(1, 65_535))]
    pub udp: Option<u16>,
    /// HTTP GET of this path (port 80, or --port).
    #[arg(long, value_name = "PATH")]
    pub http: Option<String>,
    /// DNS lookup of this name, the target being the server (port 53, or --port).
    #[arg(long, value_name = "NAME")]
    pub dns: Option<String>,
    /// The port for --http or --dns.
    #[arg(long, value_parser = whole::<u16>(1, 65_535))]
    pub port: Option<u16>,
}

#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// The pod (any pod reference, or a netns path).
    #[arg(value_name = "POD")]
    pub target: String,
    /// The program and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Judge this network namespace as the node (a netns path, name or inode,
    /// or any PID in it) instead of the host's; how a lab node is checked.
    #[arg(long, value_name = "NETNS")]
    pub node_netns: Option<String>,
    /// Judge every node of a `podnet lab` at once, one section per node
    /// (NAME may be left out when one lab is up).
    #[arg(long, value_name = "NAME", num_args = 0..=1, conflicts_with = "node_netns")]
    pub lab: Option<Option<String>>,
    /// Run only these checks (repeatable).
    #[arg(long, value_name = "ID")]
    pub check: Vec<String>,
    /// Seconds between the two reads of the counters whose growth is judged.
    #[arg(long, default_value = "1", value_name = "SECONDS", value_parser = seconds(0.0, 60.0))]
    pub sample: Duration,
}
