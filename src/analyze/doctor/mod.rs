//! `podnet doctor`'s judgements: each check is a pure function of the
//! node's facts (read once, and again a moment later), the pods attached to
//! the node and the remote pod CIDRs known from routes, tunnels, the API or
//! a lab. No I/O.

pub mod cidrs;
pub mod env;
pub mod firewall;
pub mod forwarding;
pub mod mtu;
pub mod node_pods;
pub mod pods;
pub mod routes;
pub mod tunnel;

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::Interface;
use crate::model::doctor::{Check, FibLookup, NodeFacts};

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
    pub env: env::EnvFacts,
    pub cni: env::CniFacts,
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

/// Every check, in the order they are shown.
pub fn run_all(f: &NodeFacts, cx: &Context) -> Vec<Check> {
    vec![
        forwarding::ip_forward(f, cx),
        forwarding::rp_filter(f, cx),
        mtu::check(f, cx),
        tunnel::check(f, cx),
        routes::check(f, cx),
        firewall::check(f, cx),
        pods::veth(f, cx),
        pods::pods(f, cx),
        pods::bridge_nf(f, cx),
        pods::conntrack(f),
        env::cni(cx),
        env::node_env(f, cx),
        env::kernel_stats(f, cx),
    ]
}

/// Why the node's pod traffic is forwarded by eBPF programs podnet cannot
/// read (Cilium-style): a collect-metadata (external) VXLAN or Geneve
/// device, or a `cilium_host` device. Routes, netfilter and the
/// reverse-path filter do not decide then; `None` for a kernel datapath.
pub fn ebpf_datapath(f: &NodeFacts) -> Option<String> {
    let external = f
        .vxlans
        .iter()
        .filter(|v| v.vni.is_none())
        .filter_map(|v| iface(f, v.ifindex))
        .map(|i| format!("{} is a collect-metadata (external) VXLAN device", i.name));
    let host = iface_named(f, "cilium_host").map(|_| "cilium_host is present".to_string());
    let why: Vec<String> = external.chain(host).collect();
    (!why.is_empty()).then(|| {
        format!(
            "eBPF datapath: {} — eBPF programs forward pod traffic here, which podnet cannot read",
            why.join(", ")
        )
    })
}

/// The same check skipped on an eBPF datapath, with the reason.
pub fn skip_on_ebpf(id: &'static str, f: &NodeFacts) -> Option<Check> {
    ebpf_datapath(f).map(|why| Check::new(id, crate::model::doctor::Status::Skip, why))
}

/// A FIB lookup the checks want answered in the node's namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FibQuery {
    pub dst: IpAddr,
    pub src: Option<IpAddr>,
    pub iif: Option<String>,
}

/// The lookups `routes` (pod → remote, entering where the pod's packets
/// enter) and `rp-filter` (remote → pod, entering where the remote's
/// packets arrive) need, for every pod × remote pod CIDR; plus an output
/// lookup (no iif, no source) to each remote CIDR, whose errno names the
/// route type.
pub fn fib_queries(f: &NodeFacts, cx: &Context) -> Vec<FibQuery> {
    let mut out: Vec<FibQuery> = Vec::new();
    let mut push = |q: FibQuery| {
        if !out.contains(&q) {
            out.push(q);
        }
    };
    // the node's own way to each pod (`routes`)
    for ip in cx.pods.iter().filter_map(|p| p.pod_ip) {
        push(FibQuery {
            dst: ip,
            src: None,
            iif: None,
        });
    }
    for r in &cx.remote_cidrs {
        let Some(remote) = sample_host(&r.cidr) else {
            continue;
        };
        push(FibQuery {
            dst: remote,
            src: None,
            iif: None,
        });
        for p in &cx.pods {
            let Some(ip) = p.pod_ip.filter(|ip| ip.is_ipv4() == remote.is_ipv4()) else {
                continue;
            };
            push(FibQuery {
                dst: remote,
                src: Some(ip),
                iif: Some(ingress_of(f, p)),
            });
            for arrival in forwarding::arrivals(f, cx, r, ip) {
                push(FibQuery {
                    dst: ip,
                    src: Some(remote),
                    iif: Some(arrival.dev),
                });
            }
        }
        // strict underlays, where unencapsulated packets would be refused
        if let Some(ip) = sample_pod(f, cx).and_then(|p| p.pod_ip)
            && ip.is_ipv4() == remote.is_ipv4()
            && let Some(arrival) = forwarding::arrival_interface(f, &r.cidr)
        {
            for u in forwarding::strict_underlays(f, &arrival) {
                push(FibQuery {
                    dst: ip,
                    src: Some(remote),
                    iif: Some(u),
                });
            }
        }
    }
    out
}

/// The output lookups a peer node answers for doctor: to each of this node's pods.
pub fn peer_queries(cx: &Context) -> Vec<FibQuery> {
    let mut out: Vec<FibQuery> = Vec::new();
    for p in &cx.pods {
        if let Some(ip) = p.pod_ip {
            let q = FibQuery {
                dst: ip,
                src: None,
                iif: None,
            };
            if !out.contains(&q) {
                out.push(q);
            }
        }
    }
    out
}

/// The pod whose packets stand for all pods of the node: the first with an IPv4 address.
pub fn sample_pod<'a>(_f: &NodeFacts, cx: &'a Context) -> Option<&'a NodePod> {
    cx.pods
        .iter()
        .find(|p| p.pod_ip.is_some_and(|i| i.is_ipv4()))
        .or_else(|| cx.pods.iter().find(|p| p.pod_ip.is_some()))
}

/// An address inside a CIDR to stand for it (the second host: `.2`).
pub fn sample_host(cidr: &IpNet) -> Option<IpAddr> {
    cidr.hosts().nth(1).or_else(|| cidr.hosts().next())
}

/// Where a pod's packets enter the node's IP layer: its bridge, or its veth.
pub fn ingress_of(f: &NodeFacts, p: &NodePod) -> String {
    let host = iface(f, p.host_ifindex);
    host.and_then(|h| h.master_ifindex)
        .and_then(|m| iface(f, m))
        .or(host)
        .map(|i| i.name.clone())
        .unwrap_or_else(|| format!("ifindex {}", p.host_ifindex))
}

pub fn iface(f: &NodeFacts, ifindex: u32) -> Option<&Interface> {
    f.interfaces.iter().find(|i| i.ifindex == ifindex)
}

pub fn iface_named<'a>(f: &'a NodeFacts, name: &str) -> Option<&'a Interface> {
    f.interfaces.iter().find(|i| i.name == name)
}

/// The FIB answer for a query, if it was asked.
pub fn fib<'a>(
    f: &'a NodeFacts,
    dst: IpAddr,
    src: Option<IpAddr>,
    iif: Option<&str>,
) -> Option<&'a FibLookup> {
    f.fib
        .iter()
        .find(|l| l.dst == dst && l.src == src && l.iif.as_deref() == iif)
}

/// `ip route get …` as the user would type it.
pub fn fib_command(l: &FibLookup) -> String {
    let mut s = format!("ip route get {}", l.dst);
    if let Some(src) = l.src {
        s.push_str(&format!(" from {src}"));
    }
    if let Some(iif) = &l.iif {
        s.push_str(&format!(" iif {iif}"));
    }
    s
}

/// What a FIB lookup said, as evidence text.
pub fn fib_outcome(l: &FibLookup) -> String {
    match &l.result {
        Ok(a) => {
            let mut s = String::from("→");
            if let Some(gw) = a.gateway {
                s.push_str(&format!(" via {gw}"));
            }
            if let Some(dev) = &a.oif {
                s.push_str(&format!(" dev {dev}"));
            }
            if a.kind != "unicast" {
                s.push_str(&format!(" ({})", a.kind));
            }
            s
        }
        Err(e) => format!("→ {e}"),
    }
}

/// The sysctl spelling of a key read as a file (`net/ipv4/conf/flannel.1/rp_filter`
/// → `net.ipv4.conf.flannel/1.rp_filter`).
pub fn sysctl_name(key: &str) -> String {
    key.split('/')
        .map(|c| c.replace('.', "/"))
        .collect::<Vec<_>>()
        .join(".")
}

/// A sysctl's value as evidence: `net.ipv4.ip_forward = 1`, from its file.
pub fn sysctl_evidence(f: &NodeFacts, key: &str, node: &str) -> crate::model::doctor::Evidence {
    let value = f.sysctls.get(key).map(String::as_str).unwrap_or("(absent)");
    crate::model::doctor::Evidence::new(
        format!("{} = {value}", sysctl_name(key)),
        format!("/proc/sys/{key} in {node}"),
    )
}

/// Growth of a counter between the two reads.
pub fn growth(f: &NodeFacts, key: &str) -> u64 {
    let before = f.counters_before.get(key).copied().unwrap_or(0);
    f.counters_after
        .get(key)
        .copied()
        .unwrap_or(before)
        .saturating_sub(before)
}

/// Counters that grew, by name.
pub fn grown(f: &NodeFacts, keys: &[&str]) -> BTreeMap<String, u64> {
    keys.iter()
        .map(|k| (k.to_string(), growth(f, k)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// Builders shared by the checks' unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::{Interface, Route};

    /// An interface that is up, with no address.
    pub fn link(ifindex: u32, name: &str, kind: &str) -> Interface {
        Interface {
            name: name.into(),
            ifindex,
            kind: kind.into(),
            addresses: vec![],
            mac: None,
            mtu: Some(1450),
            oper_state: "up".into(),
            admin_up: true,
            link_ifindex: None,
            link_netnsid: None,
            master_ifindex: None,
            stats: None,
        }
    }

    /// A pod attached by the host veth `host_ifindex`, with an MTU and an address.
    pub fn pod(
        label: &str,
        ip: Option<&str>,
        host_ifindex: u32,
    ) -> crate::analyze::doctor::NodePod {
        crate::analyze::doctor::NodePod {
            label: label.into(),
            pod_if: "eth0".into(),
            pod_ip: ip.map(|i| i.parse().unwrap()),
            pod_mtu: Some(1450),
            pod_tx_dropped: 0,
            host_ifindex,
            inode: None,
        }
    }

    /// A VXLAN device with VNI `vni` on port 8472, no learning.
    pub fn vxlan(ifindex: u32, vni: u32) -> crate::model::doctor::VxlanInfo {
        crate::model::doctor::VxlanInfo {
            ifindex,
            vni: Some(vni),
            local: None,
            link: None,
            port: Some(8472),
            learning: Some(false),
        }
    }

    /// A main-table unicast IPv4 route, on-link when it has a gateway.
    pub fn route(dst: &str, gw: Option<&str>, oif: u32) -> Route {
        Route {
            dst: Some(dst.parse().unwrap()),
            gateway: gw.map(|g| g.parse().unwrap()),
            oif: Some(oif),
            table: crate::model::route::RT_TABLE_MAIN,
            kind: "unicast".into(),
            scope: "universe".into(),
            prefsrc: None,
            metric: None,
            onlink: gw.is_some(),
            ipv6: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_spelling_of_dotted_interfaces() {
        assert_eq!(
            sysctl_name("net/ipv4/conf/flannel.1/rp_filter"),
            "net.ipv4.conf.flannel/1.rp_filter"
        );
        assert_eq!(sysctl_name("net/ipv4/ip_forward"), "net.ipv4.ip_forward");
    }

    #[test]
    fn an_external_vxlan_or_cilium_host_is_an_ebpf_datapath() {
        let mut f = NodeFacts {
            interfaces: vec![fixtures::link(3, "flannel.1", "vxlan")],
            vxlans: vec![fixtures::vxlan(3, 1)],
            ..Default::default()
        };
        assert_eq!(ebpf_datapath(&f), None);
        f.vxlans[0].vni = None;
        f.interfaces[0].name = "cilium_vxlan".into();
        let why = ebpf_datapath(&f).unwrap();
        assert!(
            why.contains("cilium_vxlan is a collect-metadata (external) VXLAN device"),
            "{why}"
        );
        let skip = skip_on_ebpf("routes", &f).unwrap();
        assert_eq!(skip.status, crate::model::doctor::Status::Skip);
        f.vxlans.clear();
        f.interfaces[0] = fixtures::link(4, "cilium_host", "veth");
        assert!(
            ebpf_datapath(&f)
                .unwrap()
                .contains("cilium_host is present")
        );
    }

    #[test]
    fn sample_hosts() {
        assert_eq!(
            sample_host(&"10.244.2.0/24".parse().unwrap()),
            Some("10.244.2.2".parse().unwrap())
        );
        assert_eq!(
            sample_host(&"10.244.2.7/32".parse().unwrap()),
            Some("10.244.2.7".parse().unwrap())
        );
    }
}
