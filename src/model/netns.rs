//! A network namespace, its interfaces and the pod that owns it. No I/O.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use super::pod::Pod;

/// Link-local: 169.254.0.0/16 or fe80::/10, reachable on one link only.
pub fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
    }
}

/// What kind of link an interface is: `IFLA_INFO_KIND`, or `loopback` /
/// `device` for links without one. Serialised as that lower-case string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkKind {
    Loopback,
    /// No `IFLA_INFO_KIND` and not loopback: a physical (or driver) device.
    Device,
    Veth,
    Bridge,
    Vxlan,
    Geneve,
    Ipip,
    Gre,
    Gretap,
    Sit,
    Ip6tnl,
    Wireguard,
    Ipvlan,
    Macvlan,
    Netkit,
    Dummy,
    /// Any other `IFLA_INFO_KIND` (bond, vlan, tun…), as the kernel names it.
    Other(String),
}

impl LinkKind {
    /// The kernel's name for it (`loopback`/`device` for the two without one).
    pub fn as_str(&self) -> &str {
        match self {
            LinkKind::Loopback => "loopback",
            LinkKind::Device => "device",
            LinkKind::Veth => "veth",
            LinkKind::Bridge => "bridge",
            LinkKind::Vxlan => "vxlan",
            LinkKind::Geneve => "geneve",
            LinkKind::Ipip => "ipip",
            LinkKind::Gre => "gre",
            LinkKind::Gretap => "gretap",
            LinkKind::Sit => "sit",
            LinkKind::Ip6tnl => "ip6tnl",
            LinkKind::Wireguard => "wireguard",
            LinkKind::Ipvlan => "ipvlan",
            LinkKind::Macvlan => "macvlan",
            LinkKind::Netkit => "netkit",
            LinkKind::Dummy => "dummy",
            LinkKind::Other(s) => s,
        }
    }
}

impl From<&str> for LinkKind {
    /// From the kernel's name; a name without a variant is kept as `Other`.
    fn from(s: &str) -> Self {
        match s {
            "loopback" => LinkKind::Loopback,
            "device" => LinkKind::Device,
            "veth" => LinkKind::Veth,
            "bridge" => LinkKind::Bridge,
            "vxlan" => LinkKind::Vxlan,
            "geneve" => LinkKind::Geneve,
            "ipip" => LinkKind::Ipip,
            "gre" => LinkKind::Gre,
            "gretap" => LinkKind::Gretap,
            "sit" => LinkKind::Sit,
            "ip6tnl" => LinkKind::Ip6tnl,
            "wireguard" => LinkKind::Wireguard,
            "ipvlan" => LinkKind::Ipvlan,
            "macvlan" => LinkKind::Macvlan,
            "netkit" => LinkKind::Netkit,
            "dummy" => LinkKind::Dummy,
            other => LinkKind::Other(other.to_string()),
        }
    }
}

impl Default for LinkKind {
    /// Not yet known: serialises as the empty string, as an unset name did.
    fn default() -> Self {
        LinkKind::Other(String::new())
    }
}

impl std::fmt::Display for LinkKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for LinkKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `IFLA_OPERSTATE` (RFC 2863), serialised in lower case as `ip` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OperState {
    Up,
    Down,
    Unknown,
    LowerLayerDown,
    Dormant,
    NotPresent,
    Testing,
    /// A value without a name (the number, as text).
    Other(String),
}

impl OperState {
    /// The lower-case name (`up`, `lowerlayerdown`…).
    pub fn as_str(&self) -> &str {
        match self {
            OperState::Up => "up",
            OperState::Down => "down",
            OperState::Unknown => "unknown",
            OperState::LowerLayerDown => "lowerlayerdown",
            OperState::Dormant => "dormant",
            OperState::NotPresent => "notpresent",
            OperState::Testing => "testing",
            OperState::Other(s) => s,
        }
    }
}

impl From<&str> for OperState {
    /// From the lower-case name; anything else is kept as `Other`.
    fn from(s: &str) -> Self {
        match s {
            "up" => OperState::Up,
            "down" => OperState::Down,
            "unknown" => OperState::Unknown,
            "lowerlayerdown" => OperState::LowerLayerDown,
            "dormant" => OperState::Dormant,
            "notpresent" => OperState::NotPresent,
            "testing" => OperState::Testing,
            other => OperState::Other(other.to_string()),
        }
    }
}

impl Default for OperState {
    /// Not yet known: serialises as the empty string, as an unset state did.
    fn default() -> Self {
        OperState::Other(String::new())
    }
}

impl std::fmt::Display for OperState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OperState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One network interface inside a namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Interface {
    pub name: String,
    pub ifindex: u32,
    /// `IFLA_INFO_KIND` (veth, bridge, vxlan, ipvlan…), `loopback`, or `device`.
    pub kind: LinkKind,
    /// Addresses with their prefix lengths (host bits kept), IPv4 first;
    /// serialised as CIDR text, `10.244.1.5/24`.
    pub addresses: Vec<IpNet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    pub mtu: Option<u32>,
    /// `IFLA_OPERSTATE` (up, down, unknown, lowerlayerdown…).
    pub oper_state: OperState,
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

    /// Its addresses without their prefix lengths.
    pub fn ips(&self) -> impl Iterator<Item = std::net::IpAddr> + '_ {
        self.addresses.iter().map(IpNet::addr)
    }

    /// Its addresses another node can reach: neither loopback nor link-local.
    pub fn global_ips(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.ips()
            .filter(|ip| !ip.is_loopback() && !is_link_local(*ip))
    }
}

impl Netns {
    /// The global addresses of its interfaces other than loopback, in
    /// interface order: the addresses a pod is known by.
    pub fn global_ips(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.interfaces
            .iter()
            .filter(|i| i.kind != LinkKind::Loopback)
            .flat_map(Interface::global_ips)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(kind: &str, addrs: &[&str]) -> Interface {
        Interface {
            kind: kind.into(),
            addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_link_kind_serialises_as_the_kernels_name_and_parses_back() {
        for name in [
            "loopback",
            "device",
            "veth",
            "bridge",
            "vxlan",
            "geneve",
            "ipip",
            "gre",
            "gretap",
            "sit",
            "ip6tnl",
            "wireguard",
            "ipvlan",
            "macvlan",
            "netkit",
            "dummy",
            "bond",
            "",
        ] {
            let k = LinkKind::from(name);
            assert_eq!(k.as_str(), name);
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{name}\""));
        }
        assert_eq!(LinkKind::from("bond"), LinkKind::Other("bond".into()));
        assert_eq!(LinkKind::default().as_str(), "");
    }

    #[test]
    fn an_oper_state_serialises_as_its_lower_case_name_and_parses_back() {
        for name in [
            "up",
            "down",
            "unknown",
            "lowerlayerdown",
            "dormant",
            "notpresent",
            "testing",
            "7",
            "",
        ] {
            let st = OperState::from(name);
            assert_eq!(st.as_str(), name);
            assert_eq!(serde_json::to_string(&st).unwrap(), format!("\"{name}\""));
        }
        assert_eq!(OperState::from("7"), OperState::Other("7".into()));
    }

    #[test]
    fn addresses_serialise_as_cidr_text_with_host_bits() {
        let i = iface("veth", &["10.244.1.5/24", "fd00::5/64"]);
        let v = serde_json::to_value(&i).unwrap();
        assert_eq!(
            v["addresses"],
            serde_json::json!(["10.244.1.5/24", "fd00::5/64"])
        );
        assert_eq!(v["kind"], "veth");
    }

    #[test]
    fn link_local_is_169_254_and_fe80_slash_10() {
        for ip in ["169.254.1.1", "fe80::1", "febf::1"] {
            assert!(is_link_local(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["10.0.0.1", "fd00::1", "fec0::1", "169.255.0.1"] {
            assert!(!is_link_local(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn a_pods_global_addresses_leave_out_loopback_and_link_local() {
        let ns = Netns {
            inode: 1,
            host: false,
            paths: vec![],
            pids: 1,
            pause_pid: None,
            interfaces: vec![
                iface("loopback", &["127.0.0.1/8", "::1/128"]),
                iface(
                    "veth",
                    &[
                        "fe80::1/64",
                        "169.254.3.3/16",
                        "10.244.1.5/24",
                        "fd00::5/64",
                    ],
                ),
                iface("dummy", &["127.0.0.2/8", "10.9.9.9/32"]),
            ],
            pod: None,
            fds: vec![],
            pid_list: vec![],
        };
        let ips: Vec<String> = ns.global_ips().map(|i| i.to_string()).collect();
        assert_eq!(ips, ["10.244.1.5", "fd00::5", "10.9.9.9"]);
    }
}
