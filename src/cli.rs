//! Command-line types (clap derive) for every podnet command. No I/O.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Node-level Kubernetes pod network diagnostics.
///
/// podnet reads the node's kernel state (network namespaces, veths,
/// routes, counters) and the files container runtimes leave on disk, and
/// names every pod's network without an API server. Run it as root on the
/// node, or in a privileged DaemonSet pod with the host mounted at /host
/// and `--host-root /host`.
#[derive(Debug, Parser)]
#[command(
    name = "podnet",
    version,
    propagate_version = true,
    arg_required_else_help = true,
    after_help = "Examples:\n  podnet ns list                 every network namespace, its pause PID and its pod\n  podnet ns list -o json         the same as JSON (see docs/json.md)\n  podnet ns pids default/web-0   PIDs in a pod's netns, pause first\n\nExit status: 0 ok, 1 problems found, 2 could not do the job, 130 interrupted."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command honours.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Output format: a table, a wider table with every column, or JSON.
    #[arg(short, long, global = true, value_enum, default_value_t = OutputFormat::Table, env = "PODNET_OUTPUT")]
    pub output: OutputFormat,

    /// When to colour the output (NO_COLOR in the environment means never for `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Prefix for every host path podnet reads (/proc, /run, /var/lib/cni,
    /// /var/log/pods, …): `/host` in a DaemonSet that mounts the node there,
    /// or a fixture tree in tests.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "PODNET_HOST_ROOT",
        default_value = "/"
    )]
    pub host_root: PathBuf,

    /// Say where each fact came from (file, netlink attribute); repeat for more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(flatten)]
    pub kube: KubeArgs,
}

/// How the optional Kubernetes API source is used.
#[derive(Debug, Clone, Args)]
pub struct KubeArgs {
    /// Ask the Kubernetes API for this node's pods (an error if unreachable).
    /// By default the API is asked only when a kubeconfig or an in-cluster
    /// service account is found, and a failure is a warning.
    #[arg(long, global = true, conflicts_with = "no_kube")]
    pub kube: bool,

    /// Never contact the Kubernetes API; name pods from the node alone.
    #[arg(long, global = true)]
    pub no_kube: bool,

    /// Kubeconfig file for the API source (default: $KUBECONFIG, ~/.kube/config, in-cluster).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// This node's name, as the API knows it (default: $NODE_NAME, then the hostname).
    #[arg(long, global = true, value_name = "NAME", env = "NODE_NAME")]
    pub node_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable table.
    Table,
    /// Table with every column.
    Wide,
    /// Machine-readable JSON (a stable, documented contract).
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Network namespaces on this node: their pause PIDs, interfaces and pods.
    #[command(subcommand)]
    Ns(NsCommand),

    /// Pod interfaces paired with their host veths (cali*, veth*, lxc*, any name), with counters.
    #[command(subcommand)]
    Veth(VethCommand),

    /// Driver statistics (`ethtool -S`) and driver info (`ethtool -i`) of any interface in any netns.
    #[command(
        after_help = "TARGET is a host interface name, or a pod (every pod reference `ns pids` takes);
with -n it is an interface name inside that pod or netns.

Examples:
  podnet ethtool cali1234abcd567        a host veth
  podnet ethtool default/web-0          every interface of a pod
  podnet ethtool eth0 -n default/web-0  one interface inside a pod"
    )]
    Ethtool(EthtoolArgs),

    /// Print a shell completion script to stdout.
    #[command(after_help = "Example:\n  podnet completions bash > /etc/bash_completion.d/podnet")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Hold a network namespace like a pod's pause container (used by `cni add`, `lab` and tests).
    #[command(hide = true)]
    Pause {
        /// Enter this network namespace file first.
        #[arg(long, value_name = "PATH")]
        netns: Option<PathBuf>,
    },

    /// Print the man page (roff) to stdout, or write one page per command into a directory.
    #[command(after_help = "Example:\n  podnet man | man -l -")]
    Man {
        /// Write podnet.1 and podnet-<command>.1 pages into this directory instead.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

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
        after_help = "POD can be a name, namespace/name, pod UID, sandbox id (or a prefix), pause PID,\nnetns path or name (/run/netns/cni-…), netns inode, or pod IP.\n\nExamples:\n  podnet ns pids kube-system/coredns-5d78c9869d-abcde\n  podnet ns pids 10.244.1.7\n  podnet ns pids /run/netns/cni-0b6a…"
    )]
    Pids(NsPidsArgs),
}

#[derive(Debug, Subcommand)]
pub enum VethCommand {
    /// One pod's interfaces and their host veths, with how the pairing was proven.
    #[command(
        after_help = "TARGET is a pod (name, namespace/name, UID, sandbox id, PID, netns path or name, IP),
or a host interface name such as cali1234abcd567 for the reverse lookup.

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
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    pub interval: f64,
    /// Stop after this many samples (default: until Ctrl-C).
    #[arg(long, value_name = "N")]
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
