//! Options of `podnet cni …`. No I/O.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::values::{MAX_MIN_AGE_SECS, whole};

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
