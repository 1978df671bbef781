//! The facts `cni gc` judges, as its kernel adapter gathers them: cache
//! entries, namespaces and what holds them, bind mounts, host veths,
//! host-local stores, masquerade rules. No I/O.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::super::ipam::Owner;

/// One libcni cache entry of the cache directory GC manages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheFact {
    pub path: String,
    pub network: String,
    pub container_id: String,
    pub ifname: String,
    pub pod: Option<String>,
    /// The netns path it records.
    pub netns: Option<String>,
    /// The inode of the netns mounted there; `None` when none is any more.
    pub netns_inode: Option<u64>,
    /// How old the entry's file is.
    pub age: Option<Duration>,
    /// The host-local stores its cached configuration uses.
    pub stores: Vec<PathBuf>,
}

/// A sandbox (or container) id some other source names: another CNI
/// cache, a runtime's OCI bundle, a sandbox process's cgroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownSandbox {
    pub id: String,
    /// The source and file, for people.
    pub source: String,
}

/// One network namespace the node scan found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetnsFact {
    pub inode: u64,
    /// The node's own netns (where the host veths and rules are), or PID 1's.
    pub node: bool,
    /// Its bind mounts.
    pub paths: Vec<String>,
    /// The processes in it.
    pub pids: Vec<i32>,
    pub pause_pid: Option<i32>,
    /// `/proc/<pid>/fd/<n>` files holding it open.
    pub fds: Vec<String>,
    /// The pod that owns it, as the identity join named it.
    pub pod: Option<String>,
    pub sandbox_id: Option<String>,
    /// Its interfaces' addresses, with the interface name.
    pub addresses: Vec<(String, IpAddr)>,
    /// How old its bind mount is.
    pub age: Option<Duration>,
}

/// A `cni-*` entry of the netns directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountFact {
    pub path: String,
    /// The inode of the netns mounted there; `None`: a plain file.
    pub nsfs_inode: Option<u64>,
    pub age: Option<Duration>,
}

/// Where the other end of a veth is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub netns: u64,
    pub ifname: String,
}

/// A veth in the node's netns that carries podnet's marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VethFact {
    pub name: String,
    pub ifindex: u32,
    /// The marker's network key and attachment key.
    pub net_key: String,
    pub key: String,
    /// `None`: the scan found no namespace holding its peer.
    pub peer: Option<Peer>,
}

/// One reservation file of a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationFact {
    pub ip: IpAddr,
    pub owner: Owner,
    pub age: Option<Duration>,
}

/// A directory that looks like a host-local store (see [`looks_like_store`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreFact {
    pub dir: PathBuf,
    /// The network name (the directory's name).
    pub network: String,
    pub reservations: Vec<ReservationFact>,
}

/// podnet's masquerade rules of one attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFact {
    pub net_key: String,
    pub key: String,
    /// The rule's comment (the marker).
    pub comment: String,
}

/// A configured network whose plugins take a CNI GC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcNetwork {
    pub name: String,
    /// The host-local stores its plugins use.
    pub stores: Vec<PathBuf>,
}

/// Everything GC judges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The results directory the cache entries are from (for messages).
    pub cache_dir: String,
    /// The inode of the node's netns.
    pub node_netns: u64,
    pub cache: Vec<CacheFact>,
    pub known: Vec<KnownSandbox>,
    pub namespaces: Vec<NetnsFact>,
    pub mounts: Vec<MountFact>,
    pub veths: Vec<VethFact>,
    pub stores: Vec<StoreFact>,
    pub rules: Vec<RuleFact>,
    pub gc_networks: Vec<GcNetwork>,
}
