//! Command-line types (clap derive) for every podnet command, one file per
//! command family, and the typed parsers of their values (`values`). No I/O.

mod cni;
mod diagnose;
mod lab;
mod node;
mod values;

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use cni::*;
pub use diagnose::*;
pub use lab::*;
pub use node::*;

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

/// Options every command honours (listed after a command's own, under their
/// own heading).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
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
#[command(next_help_heading = "Global options")]
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

/// The commands that can ask the Kubernetes API (each scans the node, which
/// names pods from the API when it is asked); the `--kube*` options are
/// shown, and completed, only on these.
pub const KUBE_COMMANDS: &[&str] = &[
    "ns", "veth", "ethtool", "doctor", "trace", "probe", "drops", "exec",
];

/// The ids of `KubeArgs`' options.
const KUBE_ARGS: &[&str] = &["kube", "no_kube", "kubeconfig", "node_name"];

fn is_kube_arg(a: &clap::Arg) -> bool {
    KUBE_ARGS.contains(&a.get_id().as_str())
}

/// The command line as `podnet` parses it and prints its help: the derived
/// definition, built, with the `--kube*` options hidden (still accepted,
/// so no invocation changes) on the commands that never ask the API.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    cmd.mut_subcommands(|sc| {
        if KUBE_COMMANDS.contains(&sc.get_name()) {
            sc
        } else {
            hide_kube_args(sc)
        }
    })
}

fn hide_kube_args(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|a| if is_kube_arg(&a) { a.hide(true) } else { a })
        .mut_subcommands(hide_kube_args)
}

/// The command line as the completion scripts offer it: no hidden command,
/// and the `--kube*` options on the root and on `KUBE_COMMANDS` only (the
/// scripts cannot leave out a hidden option, so these are not given to the
/// other commands at all).
pub fn completion_command() -> clap::Command {
    let full = Cli::command();
    let kube: Vec<clap::Arg> = full
        .get_arguments()
        .filter(|a| is_kube_arg(a))
        .cloned()
        .collect();
    let subcommands = full
        .get_subcommands()
        .filter(|sc| !sc.is_hide_set())
        .cloned()
        .map(|sc| {
            if KUBE_COMMANDS.contains(&sc.get_name()) {
                sc.args(kube.clone())
            } else {
                sc
            }
        });
    let mut root = clap::Command::new(full.get_name().to_string())
        .propagate_version(full.is_propagate_version_set())
        .args(
            full.get_arguments()
                .cloned()
                .map(|a| if is_kube_arg(&a) { a.global(false) } else { a }),
        )
        .subcommands(subcommands);
    if let Some(v) = full.get_version() {
        root = root.version(v.to_string());
    }
    if let Some(about) = full.get_about() {
        root = root.about(about.clone());
    }
    if let Some(about) = full.get_long_about() {
        root = root.long_about(about.clone());
    }
    root
}

/// Parses the process's command line (exits with clap's message and status
/// on a usage error, `--help` or `--version`).
pub fn parse() -> Cli {
    let mut cmd = command();
    let matches = cmd.get_matches_mut();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut cmd).exit())
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
        after_help = "TARGET is a host interface name, or a pod (every pod reference `ns pids` takes); with -n it is an interface name inside that pod or netns.

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
        after_help = "Each check says pass, warn, fail or skip, the evidence (values read, and where from) and the fix. Checks: ip-forward, rp-filter, mtu, tunnel, routes, firewall (once forward-policy), veth, pods, bridge-nf, conntrack, cni, node-env, kernel-stats. No traffic is needed: rp_filter and routes are judged by the kernel's own lookups, the firewall by walking every hook a forwarded packet meets. Other nodes' pod CIDRs come from routes, tunnel entries, other nodes on this machine, the Kubernetes API (Node.spec.podCIDRs, when a kubeconfig is found) and a lab's state.\n\nExit status 1 when a check fails.\n\nExamples:\n  podnet doctor\n  podnet doctor --check mtu --check tunnel\n  podnet doctor --lab                     every node of the lab on this machine, one section each\n  podnet doctor --node-netns /run/podnet/lab/lab/netns/node2     a lab node, as seen from inside it\n  podnet doctor -o json | jq '.checks[] | select(.status == \"fail\")'"
    )]
    Doctor(DoctorArgs),

    /// The path a packet from a pod takes, hop by hop, computed from kernel state (no packet sent).
    #[command(
        after_help = "Hops: the pod's route lookup and egress interface → its host veth → the node's FIB lookup with the ingress interface (policy rules, blackhole/unreachable/prohibit routes, forwarding, rp_filter) and its netfilter hooks in both backends → bridge, tunnel (neighbour, FDB, remote VTEP, underlay MTU) or uplink → the next node when it is on this machine → the destination pod. When the destination is a pod on this machine, the reply is traced back too. The first hop that cannot forward is marked BLOCKED with the reason and a cause code.\n\nExit status 1 when blocked.\n\nExamples:\n  podnet trace default/web-0 10.244.2.7\n  podnet trace web-0 10.96.0.10:53               tcp to port 53\n  podnet trace web-0 10.244.2.7 --proto udp --port 53\n  podnet trace default/web-0 default/db-0     the destination can be a pod"
    )]
    Trace(TraceArgs),

    /// Probe a target from inside a pod's network namespace: ICMP echo, TCP, HTTP, UDP or DNS,
    /// with no tool in the pod's image; --pmtu finds the path MTU.
    #[command(
        after_help = "TARGET: an IP or a pod (ICMP echo), IP:PORT (TCP connect), tcp://H:P, udp://H:P, http://H[:P][/path] (GET; 2xx/3xx pass), dns://SERVER[:P]/NAME (A or AAAA lookup). The host H can be a pod name instead of an address.\n\nExit status 1 when no attempt got through (or no DF size passed with --pmtu).\n\nExamples:\n  podnet probe default/web-0 10.244.2.7\n  podnet probe web-0 default/db-0:5432\n  podnet probe web-0 http://10.244.2.7:8080/healthz\n  podnet probe web-0 dns://10.96.0.10/kubernetes.default.svc.cluster.local\n  podnet probe web-0 10.244.2.7 --pmtu\n  podnet probe --from-all 10.244.2.7      from every pod on this machine (no POD then)"
    )]
    Probe(ProbeArgs),

    /// The node's packet drops as the kernel reports them (skb:kfree_skb): the reason, the kernel
    /// function, the network namespace, pod, interface and flow of each.
    #[command(
        after_help = "Needs root. The reason is the running kernel's own name (IP_RPFILTER, NETFILTER_DROP, IP_INNOROUTES, NEIGH_FAILED, PKT_TOO_BIG, …). A small eBPF program, built by podnet for the running kernel from its BTF, copies each dropped packet's namespace, device and headers; where eBPF is not allowed (or with --no-bpf) the reasons and locations come from tracefs alone, without namespace, pod, interface or flow. tracefs is mounted in podnet's own mount namespace when the node has it unmounted. Nothing stays attached after podnet exits.\n\nExit status 130 after Ctrl-C.\n\nExamples:\n  podnet drops                                  a line per drop until Ctrl-C\n  podnet drops --summary --duration 10          counts by reason, location and pod\n  podnet drops --pod default/web-0 --proto tcp\n  podnet drops --reason IP_RPFILTER --reason NETFILTER_DROP -o json"
    )]
    Drops(DropsArgs),

    /// Run a host program inside a pod's network namespace only (like `nsenter -t <pause> -n`).
    #[command(
        after_help = "The program is the node's, not the pod's image: curl, dig, tcpdump, ss, ip… work even when the image has none. Only the network namespace changes (filesystem, PIDs and users stay the node's). The arguments after -- are passed as they are, without a shell.\n\nExit status: the program's; 127 if it does not exist.\n\nExamples:\n  podnet exec default/web-0 -- ss -tlnp\n  podnet exec 10.244.1.7 -- tcpdump -ni eth0 icmp\n  podnet exec web-0 -- ip route get 10.96.0.10"
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
