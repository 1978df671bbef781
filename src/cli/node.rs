//! Options of the node's inventory commands: `ns`, `veth`, `ethtool`. No I/O.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::values::{MAX_TOP_SAMPLES, seconds, whole};

#[derive(Debug, Subcommand)]
pub enum NsCommand {
    /// List every network namespace: inode, host or pod, bind-mount paths,
    /// process count, pause PID, interfaces and the owning pod.
    ///
    /// Namespaces are found from every process (/proc/<pid>/ns/net), from
    /// nsfs bind mounts (/run/netns/…, found in mountinfo, so namespaces with
    /// no process left are listed too) and, with --deep, from open file
    /// descriptors. Pods are named from the CNI result cache, the runtime's
    /// OCI config.json, the pause process's cgroup with /var/log/pods, and the
    /// Kubernetes API when one is reachable.
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\n  podnet ns list\n  podnet ns list -o wide -v      with every path and where each pod name came from\n  podnet ns list --deep          also namespaces held only by an open file descriptor\n  podnet ns list -o json | jq '.namespaces[] | select(.pod == null)'"
    )]
    List(NsListArgs),

    /// Print the PIDs in a pod's network namespace, pause PID first (like `lsns -p`).
    #[command(
        after_help = "POD can be a name, namespace/name, pod UID, sandbox id (or a prefix), pause PID, netns path or name (/run/netns/cni-…), netns inode, or pod IP.\n\nExamples:\n  podnet ns pids kube-system/coredns-5d78c9869d-abcde\n  podnet ns pids 10.244.1.7\n  podnet ns pids /run/netns/cni-0b6a…"
    )]
    Pids(NsPidsArgs),
}

#[derive(Debug, Subcommand)]
pub enum VethCommand {
    /// One pod's interfaces and their host veths, with how the pairing was proven.
    #[command(
        after_help = "TARGET is a pod (name, namespace/name, UID, sandbox id, PID, netns path or name, IP), or a host interface name such as cali1234abcd567 for the reverse lookup.

Exit status 1 when an interface of the pod has no host peer.

Examples:
  podnet veth pair default/web-0
  podnet veth pair cali1234abcd567 --stats"
    )]
    Pair(VethPairArgs),

    /// Every pod interface on the node with its host veth; orphan host veths and
    /// non-veth attachments (ipvlan, macvlan, …) are listed as such.
    #[command(
        visible_alias = "ls",
        after_help = "Examples:
  podnet veth list
  podnet veth list --stats -o wide
  podnet veth list -o json | jq '.pairs[] | select(.status != \"paired\")'"
    )]
    List(VethListArgs),

    /// Live per-pod rates and drop/error deltas, refreshed until interrupted.
    #[command(after_help = "Examples:
  podnet veth top
  podnet veth top --interval 5 --sort drops
  podnet veth top --count 3 -o json    three samples as JSON lines, then exit")]
    Top(VethTopArgs),
}

#[derive(Debug, Clone, Args)]
pub struct VethPairArgs {
    /// The pod, or a host interface name.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Add IFLA_STATS64 and ethtool -S counters of both sides.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Clone, Args)]
pub struct VethListArgs {
    /// Add IFLA_STATS64 and ethtool -S counters of both sides.
    #[arg(long)]
    pub stats: bool,
    /// Also find namespaces held only by open file descriptors (/proc/<pid>/fd).
    #[arg(long)]
    pub deep: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TopSort {
    /// Bytes per second, received plus sent.
    Rate,
    /// New drops and errors.
    Drops,
    /// Pod name.
    Name,
}

#[derive(Debug, Clone, Args)]
pub struct VethTopArgs {
    /// Seconds between samples.
    #[arg(long, default_value = "2", value_name = "SECONDS", value_parser = seconds(0.1, 3600.0))]
    pub interval: Duration,
    /// Stop after this many samples (default: until Ctrl-C).
    #[arg(long, value_name = "N", value_parser = whole::<u64>(1, MAX_TOP_SAMPLES))]
    pub count: Option<u64>,
    /// Sort order.
    #[arg(long, value_enum, default_value_t = TopSort::Rate)]
    pub sort: TopSort,
}

#[derive(Debug, Clone, Args)]
pub struct EthtoolArgs {
    /// A host interface, a pod, or (with -n) an interface name.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// The pod or netns (any pod reference, or a netns path) the interface is in.
    #[arg(short = 'n', long = "netns", value_name = "NETNS")]
    pub netns: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct NsListArgs {
    /// Also find namespaces held only by open file descriptors (/proc/<pid>/fd); slower.
    #[arg(long)]
    pub deep: bool,
}

#[derive(Debug, Clone, Args)]
pub struct NsPidsArgs {
    /// The pod or network namespace.
    #[arg(value_name = "POD")]
    pub target: String,
    /// Also find namespaces held only by open file descriptors (/proc/<pid>/fd).
    #[arg(long)]
    pub deep: bool,
}
