//! What doctor knows about the judged node beyond its own kernel state:
//! the pods attached to it, the remote and local pod CIDRs, the other nodes
//! on this machine, the pods' own views, the machine; and the FIB lookups
//! the checks want answered. No I/O.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::Interface;
use crate::model::doctor::FibLookup;

/// One pod attached to the node: its interface and the node-side peer.
#[derive(Debug, Clone)]
pub struct NodePod {
    pub label: String,
    pub pod_if: String,
    pub pod_ip: Option<IpAddr>,
    pub pod_mtu: Option<u32>,
    /// Pod-side counters at the scan.
    pub pod_tx_dropped: u64,
    /// The host veth's ifindex in the node's namespace.
    pub host_ifindex: u32,
    /// The pod's netns inode.
    pub inode: Option<u64>,
}

/// A pod CIDR of another node, and how podnet learnt it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCidr {
    pub cidr: IpNet,
    /// `route`, `vxlan neighbour 10.244.2.0 on flannel.1`, `kubernetes API node n2`, `lab state …`.
    pub source: String,
    /// The netns inode of the node that owns it, when that node is on this machine (a lab).
    pub node_inode: Option<u64>,
}

impl RemoteCidr {
    pub fn new(cidr: IpNet, source: impl Into<String>) -> Self {
        RemoteCidr {
            cidr,
            source: source.into(),
            node_inode: None,
        }
    }
}

/// Another node whose network namespace is on this machine (a lab node, a
/// test layout's node2), as far as doctor needs it: its interfaces and
/// tunnels, and how it routes packets to this node's pods.
#[derive(Debug, Clone, Default)]
pub struct PeerNode {
    pub label: String,
    pub inode: u64,
    pub interfaces: Vec<Interface>,
    pub vxlans: Vec<crate::model::doctor::VxlanInfo>,
    /// Its own output lookups towards this node's pods (`ip route get <pod>` there).
    pub fib: Vec<FibLookup>,
    /// Its pod CIDRs, each with the object that shows it (`cni0 10.244.2.1/24`).
    pub pod_cidrs: Vec<(IpNet, String)>,
}

impl PeerNode {
    /// Every address it holds.
    pub fn addresses(&self) -> Vec<IpAddr> {
        self.interfaces.iter().flat_map(Interface::ips).collect()
    }

    pub fn owns(&self, ip: IpAddr) -> bool {
        self.addresses().contains(&ip)
    }

    /// Its VXLAN devices with their MACs.
    pub fn vxlan_macs(&self) -> Vec<(&Interface, &str)> {
        self.vxlans
            .iter()
            .filter_map(|v| self.interfaces.iter().find(|i| i.ifindex == v.ifindex))
            .filter_map(|i| Some((i, i.mac.as_deref()?)))
            .collect()
    }
}

/// A pod's own view from inside its namespace: its interfaces and routes.
#[derive(Debug, Clone, Default)]
pub struct PodView {
    pub label: String,
    /// Netns inode.
    pub inode: u64,
    pub interfaces: Vec<Interface>,
    /// Main-table routes, when they could be read.
    pub routes: Option<Vec<crate::model::Route>>,
}

/// Everything else a check may need besides the node's own facts.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// How the node namespace is named in evidence (`host netns 4026531840`).
    pub node_label: String,
    pub pods: Vec<NodePod>,
    pub remote_cidrs: Vec<RemoteCidr>,
    /// Pod CIDRs of this node.
    pub local_cidrs: Vec<IpNet>,
    /// The cluster's pod networks, each with where it was read
    /// (`/run/flannel/subnet.env FLANNEL_NETWORK`).
    pub cluster_cidrs: Vec<(IpNet, String)>,
    pub env: EnvFacts,
    pub cni: CniFacts,
    /// Host veths whose pod side was not found; bind-mounted namespaces with no process and no pod.
    pub orphan_veths: Vec<String>,
    pub orphan_netns: Vec<String>,
    /// `uname -r`.
    pub kernel_release: String,
    /// Other nodes on this machine (lab nodes, test layouts).
    pub peers: Vec<PeerNode>,
    /// Every address held by any network namespace on this machine, when
    /// other nodes are on it (empty otherwise: then nothing is judged by it).
    pub machine_addresses: Vec<IpAddr>,
    /// Every pod netns attached to this node (by a veth) or named as a pod,
    /// with what is inside it; pods without a usable eth0 are only here.
    pub pod_views: Vec<PodView>,
    /// This node plays no node: it holds no pod (a lab's host).
    pub hostonly: bool,
    /// The kernel's drops in this node's namespace and its pods' during the
    /// sample (skb:kfree_skb through eBPF), when they could be watched.
    pub kernel_drops: Option<Vec<crate::model::drops::Drop>>,
}

/// A FIB lookup the checks want answered in the node's namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FibQuery {
    pub dst: IpAddr,
    pub src: Option<IpAddr>,
    pub iif: Option<String>,
}

/// Facts about the machine the node runs on.
#[derive(Debug, Clone, Default)]
pub struct EnvFacts {
    /// `/proc/1/comm` (of the host root).
    pub pid1_comm: Option<String>,
    /// `/proc/1/cgroup`, first line naming a container runtime, if any.
    pub pid1_container_cgroup: Option<String>,
    /// Files that mark a container: `/.dockerenv`, `/run/.containerenv`.
    pub markers: Vec<String>,
    /// Tunnel kinds the node needs, with why (`vxlan` → `device flannel.1`).
    pub needed_tunnels: BTreeMap<String, String>,
    /// For each needed kind, how the kernel provides it (`module loaded`,
    /// `built in (CONFIG_VXLAN=y)`, `a device of that kind exists`), or `None`.
    pub tunnel_support: BTreeMap<String, Option<String>>,
}

/// One CNI configuration file and what it names.
#[derive(Debug, Clone, Default)]
pub struct CniConf {
    pub path: String,
    pub error: Option<String>,
    pub network: Option<String>,
    /// Plugin types, each with the binary found for it.
    pub plugins: Vec<(String, Option<String>)>,
    /// The subnets its IPAM hands out (this node's pods').
    pub subnets: Vec<ipnet::IpNet>,
}

/// The node's CNI configuration.
#[derive(Debug, Clone, Default)]
pub struct CniFacts {
    pub conf_dir: String,
    pub configs: Vec<CniConf>,
    pub bin_dirs: Vec<String>,
    /// What `cni gc --dry-run` would remove (IPAM reservations, cache entries… whose sandbox is gone).
    pub leaks: Vec<String>,
    pub errors: Vec<String>,
}
