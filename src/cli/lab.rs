//! Options of `podnet lab …`. No I/O.

use clap::{Args, Subcommand};

use crate::lab::fault::Fault;
use crate::lab::plan::{Overlay, PodMode};

use super::values::{MAX_LAB_TIMEOUT_MS, whole};

// ---------------------------------------------------------------- lab

/// `podnet lab …`: a simulated multi-node cluster network on this machine.
#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// Build a lab: nodes (network namespaces on an underlay switch), pods
    /// (namespaces held by pause processes, plumbed by podnet's CNI plugin),
    /// and the overlay between the nodes.
    ///
    /// Node k gets the k-th /24 of --cidr and the underlay address
    /// 172.30.0.(10+k); pods are default/web-<k>-<i>. Everything lives in
    /// namespaces the lab creates and under /run/podnet/lab/<name>: the
    /// host's network, /run/netns and CNI directories are never touched.
    #[command(after_help = "Examples:
  podnet lab up                                  2 nodes x 3 pods, flannel-style VXLAN, cni0 bridges
  podnet lab up --nodes 3 --pods 4 --overlay routed
  podnet lab up --mode ptp --name calico         routed cali* veths with proxy ARP, like Calico
  podnet lab up -o json | jq '.pods[].ip'

Then: podnet lab status, podnet ns list, podnet veth list, podnet lab break --random, podnet lab down.")]
    Up(LabUpArgs),

    /// Remove a lab: its pause processes (checked by PID, comm and netns),
    /// namespaces, mounts and files. Running it twice is fine.
    #[command(after_help = "Examples:\n  podnet lab down\n  podnet lab down --name calico")]
    Down(LabDownArgs),

    /// Nodes, pods and a live pod-to-pod reachability matrix: for every pair,
    /// an ordinary ping and a don't-fragment ping as big as the source's MTU,
    /// sent in-process from inside each pod. Exit status 1 when a pair fails
    /// or a pod is gone.
    #[command(
        after_help = "The grid reads: . ok   X lost   m only the big don't-fragment ping lost (MTU).
A large bridge-mode lab gets a sample (every pod to and from the first pod of each node): a full mesh would fill the machine-wide neighbour table.

Examples:
  podnet lab status
  podnet lab status --no-probe
  podnet lab status -o json | jq '.matrix.pairs[] | select(.small.ok | not)'"
    )]
    Status(LabStatusArgs),

    /// Inject a fault into a running lab, to find it with podnet (and fix it).
    ///
    /// mtu: a pod's eth0 MTU above its path (vxlan: 1500 over a 1450 tunnel;
    /// routed: 9000), so big don't-fragment packets from it are silently lost.
    /// fdb: a node loses the VXLAN FDB entry of a peer's VTEP. forwarding:
    /// net.ipv4.ip_forward=0 on a node. rp-filter: strict rp_filter on a node
    /// while its peer routes replies to it over the underlay instead of the
    /// tunnel (asymmetric). route: a node loses its route to a peer's pod
    /// CIDR. forward-drop: iptables -P FORWARD DROP on a node. veth-down: a
    /// pod's host veth down. Defaults: node1, that node's first pod, the next
    /// node as peer.
    #[command(after_help = "Examples:
  podnet lab break forwarding --node node2
  podnet lab break mtu --pod default/web-1-2
  podnet lab break fdb --node 1 --peer 2
  podnet lab break --random                 a fault it does not name, for practice")]
    Break(LabBreakArgs),

    /// Restore the lab to its desired state: one fault's aspect of it, or
    /// everything (MTUs, links, FDB, neighbours, routes, sysctls, firewall in
    /// both nftables and legacy iptables) whoever changed it.
    #[command(after_help = "With no argument, like --all.

Examples:
  podnet lab fix --all
  podnet lab fix mtu
  podnet lab fix --all --dry-run      what differs from the desired state (exit 1 if anything)")]
    Fix(LabFixArgs),

    /// Run a command in a node's or pod's network namespace (only the network
    /// namespace is joined; the command is executed directly, no shell).
    #[command(
        after_help = "TARGET is a node (node1 or 1), a pod (default/web-1-1, web-1-1 or its IP), or switch.

Examples:
  podnet lab exec node1 -- ip route
  podnet lab exec node2 -- bridge fdb show dev flannel.1
  podnet lab exec web-1-1 -- ping -c1 10.244.2.2"
    )]
    Exec(LabExecArgs),
}

/// Which lab.
#[derive(Debug, Clone, Args)]
pub struct LabName {
    /// The lab's name (its directory is /run/podnet/lab/<NAME>).
    #[arg(
        long = "name",
        value_name = "NAME",
        default_value = "lab",
        env = "PODNET_LAB"
    )]
    pub name: String,
}

#[derive(Debug, Clone, Args)]
pub struct LabUpArgs {
    /// Number of nodes.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = whole::<u32>(0, u32::MAX.into()))]
    pub nodes: u32,
    /// Pods per node.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = whole::<u32>(0, u32::MAX.into()))]
    pub pods: u32,
    /// How pod traffic crosses between nodes.
    #[arg(long, value_enum, default_value_t = Overlay::Vxlan)]
    pub overlay: Overlay,
    /// How pods attach to their node (podnet's CNI plugin mode).
    #[arg(long, value_enum, default_value_t = PodMode::Bridge)]
    pub mode: PodMode,
    /// The cluster's pod CIDR; node k gets its k-th /24.
    #[arg(long, value_name = "CIDR", default_value = "10.244.0.0/16")]
    pub cidr: String,
    #[command(flatten)]
    pub lab: LabName,
}

#[derive(Debug, Clone, Args)]
pub struct LabDownArgs {
    #[command(flatten)]
    pub lab: LabName,
}

#[derive(Debug, Clone, Args)]
pub struct LabStatusArgs {
    /// Skip the reachability matrix.
    #[arg(long)]
    pub no_probe: bool,
    /// How long each ping waits for its reply.
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = whole::<u64>(0, MAX_LAB_TIMEOUT_MS))]
    pub timeout: u64,
    #[command(flatten)]
    pub lab: LabName,
}

#[derive(Debug, Clone, Args)]
pub struct LabBreakArgs {
    /// The fault to inject.
    #[arg(value_enum, required_unless_present = "random")]
    pub fault: Option<Fault>,
    /// Pick a fault (and, unless given, its target) at random, without saying which.
    #[arg(long, conflicts_with = "fault")]
    pub random: bool,
    /// The node (node2 or 2).
    #[arg(long, value_name = "NODE")]
    pub node: Option<String>,
    /// The pod (mtu, veth-down).
    #[arg(long, value_name = "POD")]
    pub pod: Option<String>,
    /// The other node (fdb, rp-filter, route).
    #[arg(long, value_name = "NODE")]
    pub peer: Option<String>,
    #[command(flatten)]
    pub lab: LabName,
}

#[derive(Debug, Clone, Args)]
pub struct LabFixArgs {
    /// Reconcile only what this fault touches.
    #[arg(value_enum, conflicts_with = "all")]
    pub fault: Option<Fault>,
    /// Reconcile everything (the default).
    #[arg(long)]
    pub all: bool,
    /// Only report what differs from the desired state.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub lab: LabName,
}

#[derive(Debug, Clone, Args)]
pub struct LabExecArgs {
    /// A node, a pod, or `switch`.
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// The command and its arguments.
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
    #[command(flatten)]
    pub lab: LabName,
}
