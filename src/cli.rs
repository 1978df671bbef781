//! Command-line types (clap derive) for every podnet command, and the
//! typed parsers of their numeric values. No I/O.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

// ------------------------------------------------------- numeric values
//
// Every numeric option is parsed by one of these, so NaN, infinities,
// negative, empty and out-of-range values are refused when the command
// line is parsed (exit 2, one line naming the option), never met later as
// a panic or an endless sleep.

/// A duration given in seconds: a finite decimal number in `min..=max`.
pub fn seconds(min: f64, max: f64) -> impl TypedValueParser<Value = Duration> {
    move |s: &str| parse_seconds(s, min, max)
}

fn parse_seconds(s: &str, min: f64, max: f64) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() {
        return Err(format!("{s} is not a finite number of seconds"));
    }
    if !(min..=max).contains(&v) {
        return Err(format!("use {min} to {max} seconds, not {s}"));
    }
    Duration::try_from_secs_f64(v).map_err(|e| format!("{s} seconds: {e}"))
}

/// A whole number (a count, a port, a size, milliseconds) in `min..=max`.
pub fn whole<T>(min: u64, max: u64) -> impl TypedValueParser<Value = T>
where
    T: TryFrom<u64> + Clone + Send + Sync + 'static,
{
    move |s: &str| parse_whole(s, min, max)
}

fn parse_whole<T: TryFrom<u64>>(s: &str, min: u64, max: u64) -> Result<T, String> {
    let range = if max == u64::MAX {
        format!("{min} or more")
    } else {
        format!("{min} to {max}")
    };
    let v: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("use a whole number, {range}, not {s:?}"))?;
    if !(min..=max).contains(&v) {
        return Err(format!("use {range}, not {v}"));
    }
    T::try_from(v).map_err(|_| format!("use {range}, not {v}"))
}

/// `veth top --count`: more samples than anyone waits for.
pub const MAX_TOP_SAMPLES: u64 = 1_000_000_000;
/// Probe attempts per source.
pub const MAX_PROBE_COUNT: u64 = 100_000;
/// The largest IPv4 packet (total length is 16 bits); the smallest is an
/// IPv4 header and an ICMP header.
pub const MAX_PACKET_BYTES: u64 = 65_535;
pub const MIN_PACKET_BYTES: u64 = 28;
/// `lab status --timeout`: one hour, in milliseconds.
pub const MAX_LAB_TIMEOUT_MS: u64 = 3_600_000;
/// `cni gc --min-age`: ten years.
pub const MAX_MIN_AGE_SECS: u64 = 10 * 365 * 86_400;

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
        after_help = "Each check says pass, warn, fail or skip, the evidence (values read, and where from) and the fix.\nChecks: ip-forward, rp-filter, mtu, tunnel, routes, firewall (once forward-policy), veth, pods,\nbridge-nf, conntrack, cni, node-env, kernel-stats. No traffic is needed: rp_filter and routes are\njudged by the kernel's own lookups, the firewall by walking every hook a forwarded packet meets.\nOther nodes' pod CIDRs come from routes, tunnel entries, other nodes on this machine, the\nKubernetes API (Node.spec.podCIDRs, when a kubeconfig is found) and a lab's state.\n\nExit status 1 when a check fails.\n\nExamples:\n  podnet doctor\n  podnet doctor --check mtu --check tunnel\n  podnet doctor --lab                     every node of the lab on this machine, one section each\n  podnet doctor --node-netns /run/podnet/lab/lab/netns/node2     a lab node, as seen from inside it\n  podnet doctor -o json | jq '.checks[] | select(.status == \"fail\")'"
    )]
    Doctor(DoctorArgs),

    /// The path a packet from a pod takes, hop by hop, computed from kernel state (no packet sent).
    #[command(
        after_help = "Hops: the pod's route lookup and egress interface → its host veth → the node's FIB lookup\nwith the ingress interface (policy rules, blackhole/unreachable/prohibit routes, forwarding,\nrp_filter) and its netfilter hooks in both backends → bridge, tunnel (neighbour, FDB, remote\nVTEP, underlay MTU) or uplink → the next node when it is on this machine → the destination pod.\nWhen the destination is a pod on this machine, the reply is traced back too.\nThe first hop that cannot forward is marked BLOCKED with the reason and a cause code.\nExit status 1 when blocked.\n\nExamples:\n  podnet trace default/web-0 10.244.2.7\n  podnet trace web-0 10.96.0.10:53               tcp to port 53\n  podnet trace web-0 10.244.2.7 --proto udp --port 53\n  podnet trace default/web-0 default/db-0     the destination can be a pod"
    )]
    Trace(TraceArgs),

    /// Probe a target from inside a pod's network namespace: ICMP echo, TCP, HTTP, UDP or DNS,
    /// with no tool in the pod's image; --pmtu finds the path MTU.
    #[command(
        after_help = "TARGET: an IP or a pod (ICMP echo), IP:PORT (TCP connect), tcp://H:P, udp://H:P,\nhttp://H[:P][/path] (GET; 2xx/3xx pass), dns://SERVER[:P]/NAME (A or AAAA lookup).\nThe host H can be a pod name instead of an address.\n\nExit status 1 when no attempt got through (or no DF size passed with --pmtu).\n\nExamples:\n  podnet probe default/web-0 10.244.2.7\n  podnet probe web-0 default/db-0:5432\n  podnet probe web-0 http://10.244.2.7:8080/healthz\n  podnet probe web-0 dns://10.96.0.10/kubernetes.default.svc.cluster.local\n  podnet probe web-0 10.244.2.7 --pmtu\n  podnet probe --from-all 10.244.2.7      from every pod on this machine (no POD then)"
    )]
    Probe(ProbeArgs),

    /// The node's packet drops as the kernel reports them (skb:kfree_skb): the reason, the kernel
    /// function, the network namespace, pod, interface and flow of each.
    #[command(
        after_help = "Needs root. The reason is the running kernel's own name (IP_RPFILTER, NETFILTER_DROP,\nIP_INNOROUTES, NEIGH_FAILED, PKT_TOO_BIG, …). A small eBPF program, built by podnet for the\nrunning kernel from its BTF, copies each dropped packet's namespace, device and headers;\nwhere eBPF is not allowed (or with --no-bpf) the reasons and locations come from tracefs\nalone, without namespace, pod, interface or flow. tracefs is mounted in podnet's own mount\nnamespace when the node has it unmounted. Nothing stays attached after podnet exits.\n\nExit status 130 after Ctrl-C.\n\nExamples:\n  podnet drops                                  a line per drop until Ctrl-C\n  podnet drops --summary --duration 10          counts by reason, location and pod\n  podnet drops --pod default/web-0 --proto tcp\n  podnet drops --reason IP_RPFILTER --reason NETFILTER_DROP -o json"
    )]
    Drops(DropsArgs),

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

    /// A simulated multi-node Kubernetes pod network on this machine, built from network namespaces.
    #[command(subcommand)]
    Lab(LabCommand),

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
    pub proto: Option<TraceProto>,
    /// Lines per second for each kind of drop (reason, location, pod); the rest are counted.
    #[arg(long, default_value = "5", value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub rate: u64,
    /// Read the tracepoint through tracefs alone (no eBPF: reasons and locations only).
    #[arg(long)]
    pub no_bpf: bool,
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
pub struct TraceArgs {
    /// The pod the packet leaves from.
    #[arg(value_name = "POD")]
    pub pod: String,
    /// Where it goes: an IP, IP:port, or a pod reference.
    #[arg(value_name = "DESTINATION")]
    pub destination: String,
    /// The protocol traced (default icmp; tcp when DESTINATION has a port).
    #[arg(long, value_enum)]
    pub proto: Option<TraceProto>,
    /// Destination port (tcp/udp).
    #[arg(long, value_name = "PORT", value_parser = whole::<u16>(1, 65535))]
    pub port: Option<u16>,
    /// Then send real packets along the flow (3 echoes, connects or datagrams) while watching
    /// the kernel's drops (eBPF), and say whether the kernel agrees with the blocked hop:
    /// the same direction and namespace.
    #[arg(long)]
    pub verify: bool,
}

/// A traced packet's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceProto {
    Icmp,
    Tcp,
    Udp,
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

    /// Find what provably leaked — cache entries, netns bind mounts, IPAM reservations, veths, ipMasq rules — and remove it; leave alone whatever may be alive.
    ///
    /// A sandbox is alive while a process is in its netns or holds it
    /// open, or while a runtime (another CNI cache, a containerd, CRI-O or
    /// podman bundle, a sandbox's cgroup) still names it. A cache entry
    /// whose sandbox is gone gets a CNI DEL (which releases what its
    /// plugins hold) before it is removed. Without a cache entry, an
    /// object goes only when it is provably dead: a podnet host veth whose
    /// peer is in a netns nothing holds; an ipMasq rule of no veth; a
    /// host-local reservation that nothing names and whose address no live
    /// interface has; a cni-* netns nothing holds. Only the stores of
    /// networks that have entries in the cache are judged (another
    /// runtime, a Multus delegate or a hand-run plugin may use the
    /// others): --include-uncached-networks judges those too. Only
    /// directories that look like host-local stores (a lock file, a
    /// last_reserved_ip.N cursor) are stores. Networks at cniVersion 1.1.0
    /// also get a CNI GC with every attachment that may be alive. What is
    /// left alone is listed with the reason.
    #[command(
        after_help = "Examples:\n  podnet cni gc --dry-run        what would go, what stays, and why (exit 1 on a leak)\n  podnet cni gc\n  podnet cni gc --min-age 0 -o json\n  podnet cni gc --dry-run --include-uncached-networks"
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

    /// Leave reservations, cache entries and netns younger than this many seconds alone (an ADD may be running).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = whole::<u64>(0, MAX_MIN_AGE_SECS))]
    pub min_age: u64,

    /// Also judge the host-local stores of networks with no entry in the
    /// CNI cache (by default they are left alone: another runtime, a
    /// Multus delegate or a hand-run plugin may be using them).
    #[arg(long)]
    pub include_uncached_networks: bool,

    #[command(flatten)]
    pub dirs: CniDirs,
}

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
A large bridge-mode lab gets a sample (every pod to and from the first pod of each node):
a full mesh would fill the machine-wide neighbour table.

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabOverlay {
    /// flannel-style VXLAN (flannel.1, VNI 1, UDP 8472; pod MTU 1450).
    Vxlan,
    /// Plain routes via each node's underlay address (pod MTU 1500).
    Routed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabMode {
    /// Host veths on a cni0 bridge holding the pod gateway.
    Bridge,
    /// Routed cali* host veths with proxy ARP (Calico-style).
    Ptp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabFault {
    /// A pod's MTU above its path.
    Mtu,
    /// A missing VXLAN FDB entry (vxlan only).
    Fdb,
    /// ip_forward off on a node.
    Forwarding,
    /// Strict rp_filter plus an asymmetric route (vxlan only).
    RpFilter,
    /// A missing route to a peer's pod CIDR.
    Route,
    /// FORWARD policy DROP on a node.
    ForwardDrop,
    /// A pod's host veth down.
    VethDown,
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
    #[arg(long, value_enum, default_value_t = LabOverlay::Vxlan)]
    pub overlay: LabOverlay,
    /// How pods attach to their node (podnet's CNI plugin mode).
    #[arg(long, value_enum, default_value_t = LabMode::Bridge)]
    pub mode: LabMode,
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
    pub fault: Option<LabFault>,
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
    pub fault: Option<LabFault>,
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
