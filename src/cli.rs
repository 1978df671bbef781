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

    /// Judge the node's pod networking: forwarding, rp_filter, MTU, tunnels,
    /// routes, FORWARD policy, veths, bridge-nf, conntrack, CNI, the machine,
    /// kernel drop counters. Read-only.
    #[command(
        after_help = "Each check says pass, warn, fail or skip, the evidence (values read, and where from) and the fix.\nChecks: ip-forward, rp-filter, mtu, tunnel, routes, forward-policy, veth, bridge-nf, conntrack, cni, node-env, kernel-stats.\n\nExit status 1 when a check fails.\n\nExamples:\n  podnet doctor\n  podnet doctor --check mtu --check tunnel\n  podnet doctor --node-netns /run/podnet/lab/lab/netns/node2     a lab node, as seen from inside it\n  podnet doctor -o json | jq '.checks[] | select(.status == \"fail\")'"
    )]
    Doctor(DoctorArgs),

    /// The path a packet from a pod takes, hop by hop, computed from kernel state (no packet sent).
    #[command(
        after_help = "Hops: the pod's route lookup and egress interface → its host veth → the node's FIB lookup\nwith the ingress interface and its FORWARD chains → bridge, tunnel (neighbour, FDB, remote VTEP)\nor uplink → the next node when it is on this machine (a lab) → the destination pod.\nThe first hop that cannot forward is marked BLOCKED with the reason. Exit status 1 when blocked.\n\nExamples:\n  podnet trace default/web-0 10.244.2.7\n  podnet trace web-0 10.96.0.10:53\n  podnet trace default/web-0 default/db-0     the destination can be a pod"
    )]
    Trace(TraceArgs),

    /// Run a host program inside a pod's network namespace only (like `nsenter -t <pause> -n`).
    #[command(
        after_help = "The program is the node's, not the pod's image: curl, dig, tcpdump, ss, ip… work even when\nthe image has none. Only the network namespace changes (filesystem, PIDs and users stay\nthe node's). The arguments after -- are passed as they are, without a shell.\nExit status: the program's; 127 if it does not exist.\n\nExamples:\n  podnet exec default/web-0 -- ss -tlnp\n  podnet exec 10.244.1.7 -- tcpdump -ni eth0 icmp\n  podnet exec web-0 -- ip route get 10.96.0.10"
    )]
    Exec(ExecArgs),

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

    /// Plumb pod networks by hand with CNI plugins (podnet's own or the reference ones), and find what leaked.
    #[command(subcommand)]
    Cni(CniCommand),

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
pub struct TraceArgs {
    /// The pod the packet leaves from.
    #[arg(value_name = "POD")]
    pub pod: String,
    /// Where it goes: an IP, IP:port, or a pod reference.
    #[arg(value_name = "DESTINATION")]
    pub destination: String,
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
    /// Run only these checks (repeatable).
    #[arg(long, value_name = "ID")]
    pub check: Vec<String>,
    /// Seconds between the two reads of the counters whose growth is judged.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub sample: f64,
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

// ---------------------------------------------------------------- cni

/// `podnet cni …`: podnet acting as a small container runtime for CNI.
#[derive(Debug, Subcommand)]
pub enum CniCommand {
    /// Create a pod sandbox (netns + pause process) and ADD it to a network.
    ///
    /// Like containerd: creates /run/netns/cni-<uuid> (a bind-mounted network
    /// namespace), brings lo up, starts a pause process in it, runs the
    /// network's plugin chain with CNI_COMMAND=ADD (K8S_POD_* in CNI_ARGS),
    /// and records the result in libcni's cache
    /// (/var/lib/cni/results/<network>-<id>-<ifname>) so `podnet ns list`
    /// names the pod. If a plugin fails, what was done is undone.
    #[command(
        after_help = "NET is a network name (looked up in --conf-dir) or a .conflist/.conf file.\n\nExamples:\n  podnet cni add default/web --net podnet-bridge\n  podnet cni add web --net ./ptp.conflist --explain    # each step as the equivalent ip command\n  podnet cni add default/web --net pods -p 8080:80/tcp  # with a portmap plugin in the chain\n  podnet cni add default/web --net pods -o json | jq .result.ips"
    )]
    Add(CniAddArgs),

    /// DEL a pod from its networks (plugins in reverse order), stop its pause process, remove its netns and cache entries.
    #[command(
        after_help = "POD is namespace/name, name, sandbox id (or a prefix), or netns path or name.\n\nExamples:\n  podnet cni del default/web\n  podnet cni del 3f2a9c1e --explain"
    )]
    Del(CniPodArgs),

    /// Re-run CHECK for a pod's attachments against their cached results (exit 1 if one fails).
    #[command(
        after_help = "Examples:\n  podnet cni check default/web\n  podnet cni check default/web -o json"
    )]
    Check(CniPodArgs),

    /// List the attachments in libcni's result cache and whether their sandbox is alive.
    #[command(
        visible_alias = "list",
        after_help = "Examples:\n  podnet cni ls\n  podnet cni ls -o json | jq '.attachments[] | select(.state != \"ok\")'"
    )]
    Ls(CniLsArgs),

    /// Find leaked IPAM reservations, cache entries, veths, ipMasq rules and netns bind mounts whose sandbox is gone, and remove them.
    ///
    /// A sandbox is alive when its netns is still mounted and a process is
    /// in it. Stale cache entries get a CNI DEL (which releases what the
    /// plugins hold) before they are removed; then whatever is left without
    /// a live attachment goes: host-local reservations (older than
    /// --min-age), podnet's host veths and ipMasq rules, and cni-* netns
    /// bind mounts with no process. Networks at cniVersion 1.1.0 also get a
    /// CNI GC with the still-valid attachments.
    #[command(
        after_help = "Examples:\n  podnet cni gc --dry-run        what would be removed, and why (exit 1 if anything)\n  podnet cni gc\n  podnet cni gc --min-age 0 -o json"
    )]
    Gc(CniGcArgs),
}

/// Where the CNI runtime files are (the defaults are containerd's).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "CNI runtime options")]
pub struct CniDirs {
    /// Network configurations (.conflist, .conf, .json) looked up by name.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/etc/cni/net.d",
        env = "NETCONFPATH",
        hide_env_values = true
    )]
    pub conf_dir: PathBuf,

    /// CNI plugin directories, searched in order (a plugin of type podnet
    /// that is not there is this podnet binary).
    #[arg(long = "bin-dir", value_name = "DIR", default_values = ["/opt/cni/bin", "/usr/lib/cni"], env = "CNI_PATH", hide_env_values = true, value_delimiter = ':')]
    pub bin_dirs: Vec<PathBuf>,

    /// libcni's cache directory (results in <DIR>/results).
    #[arg(long, value_name = "DIR", default_value = "/var/lib/cni")]
    pub cache_dir: PathBuf,

    /// Where pod network namespaces are bind-mounted.
    #[arg(long, value_name = "DIR", default_value = "/run/netns")]
    pub netns_dir: PathBuf,

    /// Print each step as the equivalent command (ip, sysctl, nft…), on stderr, as it is done.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CniAddArgs {
    /// The pod, as namespace/name (the namespace defaults to "default").
    #[arg(value_name = "POD")]
    pub pod: String,

    /// The network: a name in --conf-dir, or a .conflist/.conf file.
    #[arg(long, value_name = "NET")]
    pub net: String,

    /// The interface name inside the pod.
    #[arg(long, value_name = "NAME", default_value = "eth0")]
    pub ifname: String,

    /// Ask for this address (CNI_ARGS IP=…; host-local honours it).
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,

    /// Publish a port (HOST:CONTAINER[/tcp|udp]) through plugins with the portMappings capability.
    #[arg(short = 'p', long = "publish", value_name = "HOST:CONTAINER[/PROTO]")]
    pub publish: Vec<String>,

    #[command(flatten)]
    pub dirs: CniDirs,
}

#[derive(Debug, Clone, Args)]
pub struct CniPodArgs {
    /// The pod: namespace/name, name, sandbox id (or a prefix), netns path or name.
    #[arg(value_name = "POD")]
    pub pod: String,

    #[command(flatten)]
    pub dirs: CniDirs,
}

#[derive(Debug, Clone, Args)]
pub struct CniLsArgs {
    #[command(flatten)]
    pub dirs: CniDirs,
}

#[derive(Debug, Clone, Args)]
pub struct CniGcArgs {
    /// Only report what would be removed.
    #[arg(long)]
    pub dry_run: bool,

    /// Leave IPAM reservations younger than this many seconds (an ADD may be running).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub min_age: u64,

    #[command(flatten)]
    pub dirs: CniDirs,
}
