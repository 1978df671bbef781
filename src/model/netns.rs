//! A network namespace, its interfaces and the pod that owns it. No I/O.

use serde::Serialize;

use super::pod::Pod;

/// One network interface inside a namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub name: String,
    pub ifindex: u32,
    /// `IFLA_INFO_KIND` (veth, bridge, vxlan, ipvlan…), `loopback`, or `device`.
    pub kind: String,
    /// Addresses in CIDR notation, IPv4 first.
    pub addresses: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    /// `IFLA_OPERSTATE` in lower case (up, down, unknown, lowerlayerdown…).
    pub oper_state: String,
    /// Whether the administrative flag IFF_UP is set.
    pub admin_up: bool,
    /// `IFLA_LINK`: for a veth, the peer's ifindex in the peer's netns.
    #[serde(skip)]
    pub link_ifindex: Option<u32>,
    /// `IFLA_LINK_NETNSID`: the peer's netns id as seen from this netns.
    #[serde(skip)]
    pub link_netnsid: Option<i32>,
    /// `IFLA_MASTER`: the bridge (or bond) this link is enslaved to.
    #[serde(skip)]
    pub master_ifindex: Option<u32>,
    /// `IFLA_STATS64` counters from the link dump.
    #[serde(skip)]
    pub stats: Option<LinkStats>,
}

impl Interface {
    /// Whether one of the interface's addresses is `ip`.
    pub fn holds(&self, ip: std::net::IpAddr) -> bool {
        self.ips().any(|a| a == ip)
    }

    /// Its addresses without their prefix lengths (ones that do not parse left out).
    pub fn ips(&self) -> impl Iterator<Item = std::net::IpAddr> + '_ {
        self.addresses
            .iter()
            .filter_map(|a| a.split('/').next()?.parse().ok())
    }
}

/// The standard counters of a link (`IFLA_STATS64`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LinkStats {
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
}

impl LinkStats {
    /// Every counter with its name, in `ip -s link` order.
    pub fn fields(&self) -> [(&'static str, u64); 8] {
        [
            ("rx_packets", self.rx_packets),
            ("tx_packets", self.tx_packets),
            ("rx_bytes", self.rx_bytes),
            ("tx_bytes", self.tx_bytes),
            ("rx_dropped", self.rx_dropped),
            ("tx_dropped", self.tx_dropped),
            ("rx_errors", self.rx_errors),
            ("tx_errors", self.tx_errors),
        ]
    }
}

/// A network namespace found on the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Netns {
    /// Inode of the nsfs file; the namespace's identity.
    pub inode: u64,
    /// The host (node) namespace: the one PID 1 is in.
    pub host: bool,
    /// nsfs bind mounts of this namespace (/run/netns/cni-…), as the host sees them.
    pub paths: Vec<String>,
    /// Number of processes in it.
    pub pids: usize,
    /// The sandbox's pause / infra process.
    pub pause_pid: Option<i32>,
    pub interfaces: Vec<Interface>,
    pub pod: Option<Pod>,
    /// `/proc/<pid>/fd/<n>` files holding it open (only with --deep).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fds: Vec<String>,
    /// Every PID in it, pause first then ascending (what `ns pids` prints).
    #[serde(skip)]
    pub pid_list: Vec<i32>,
}

/// What `ns list` reports: every namespace plus what could not be read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetnsReport {
    pub namespaces: Vec<Netns>,
    pub warnings: Vec<String>,
}
