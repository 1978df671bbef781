//! The lab's topology and addressing, computed from `lab up`'s parameters:
//! node names, underlay addresses, pod CIDRs, VTEP addresses and MACs, pod
//! names, MTUs, and each node's CNI network configuration. No I/O.
//!
//! Addressing (documented in docs/lab.md):
//! - underlay: one bridge in a "switch" namespace; node `k` (1-based) is
//!   `172.30.0.(10+k)/24` on its `eth0`;
//! - pod CIDR of node `k`: the `k`-th /24 of `--cidr` (10.244.0.0/16 →
//!   node1 10.244.1.0/24), gateway `.1` on `cni0` (bridge mode), VTEP
//!   address `.0/32` on `flannel.1` (vxlan);
//! - pods: `default/web-<k>-<i>` for the `i`-th pod of node `k`.

use std::net::Ipv4Addr;

use clap::ValueEnum;
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The lab name when `--name` is not given.
pub const DEFAULT_NAME: &str = "lab";
/// The cluster CIDR when `--cidr` is not given.
pub const DEFAULT_CIDR: &str = "10.244.0.0/16";
/// The underlay network (inside the lab's namespaces only).
pub const UNDERLAY_NET: Ipv4Addr = Ipv4Addr::new(172, 30, 0, 0);
pub const UNDERLAY_PREFIX: u8 = 24;
/// Node `k` gets host number `UNDERLAY_HOST_OFFSET + k`.
pub const UNDERLAY_HOST_OFFSET: u32 = 10;
pub const UNDERLAY_MTU: u32 = 1500;
/// The node's underlay interface.
pub const NODE_UPLINK: &str = "eth0";
/// The bridge in the switch namespace that every node's underlay veth joins.
pub const SWITCH_BRIDGE: &str = "br0";
/// The pods' bridge on each node (bridge mode).
pub const CNI_BRIDGE: &str = "cni0";
/// flannel's VXLAN device, VNI and UDP port.
pub const VXLAN_DEV: &str = "flannel.1";
pub const VXLAN_VNI: u32 = 1;
pub const VXLAN_PORT: u16 = 8472;
/// Outer IPv4 + UDP + VXLAN + inner Ethernet headers.
pub const VXLAN_OVERHEAD: u32 = 50;
/// The pod's interface.
pub const POD_IFNAME: &str = "eth0";
/// The Kubernetes namespace of every lab pod.
pub const POD_NAMESPACE: &str = "default";
/// The CNI network name (cache files are `<network>-<id>-eth0`).
pub const NETWORK_NAME: &str = "podnet-lab";
/// Host veth prefix in ptp mode (Calico's).
pub const PTP_VETH_PREFIX: &str = "cali";
pub const MAX_NODES: u32 = 64;
pub const MAX_PODS_PER_NODE: u32 = 250;
const MAX_NAME: usize = 32;

/// How pod traffic crosses between nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Overlay {
    /// flannel-style VXLAN: `flannel.1` with static FDB, neighbour and route entries.
    #[value(help = "flannel-style VXLAN (flannel.1, VNI 1, UDP 8472; pod MTU 1450)")]
    Vxlan,
    /// Plain routes to each remote pod CIDR via the remote node's underlay address.
    #[value(help = "Plain routes via each node's underlay address (pod MTU 1500)")]
    Routed,
}

impl Overlay {
    pub fn as_str(self) -> &'static str {
        match self {
            Overlay::Vxlan => "vxlan",
            Overlay::Routed => "routed",
        }
    }
}

/// How pods attach to their node (podnet's CNI plugin modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PodMode {
    /// A host veth on the `cni0` bridge, which holds the pod gateway.
    #[value(help = "Host veths on a cni0 bridge holding the pod gateway")]
    Bridge,
    /// A routed `cali*` veth with proxy ARP (Calico-style).
    #[value(help = "Routed cali* host veths with proxy ARP (Calico-style)")]
    Ptp,
}

impl PodMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PodMode::Bridge => "bridge",
            PodMode::Ptp => "ptp",
        }
    }
}

/// What `lab up` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub name: String,
    pub nodes: u32,
    pub pods_per_node: u32,
    pub overlay: Overlay,
    pub mode: PodMode,
    pub cidr: Ipv4Net,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePlan {
    /// 1-based.
    pub index: u32,
    /// `node<index>`.
    pub name: String,
    pub underlay_ip: Ipv4Addr,
    pub pod_cidr: Ipv4Net,
    /// The pods' gateway (`.1`; on `cni0` in bridge mode).
    pub gateway: Ipv4Addr,
    /// `flannel.1`'s address (`.0`, as flannel does).
    pub vtep_ip: Ipv4Addr,
    pub vtep_mac: [u8; 6],
    /// The node's port on the switch bridge.
    pub switch_port: String,
}

/// One pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodPlan {
    pub namespace: String,
    pub name: String,
    /// Index of its node (1-based).
    pub node: u32,
    /// The address it asks host-local for (`IP=` in CNI_ARGS): pod `i` of
    /// a node gets `.(1+i)` of the node's /24.
    pub ip: Ipv4Addr,
}

impl PodPlan {
    pub fn full(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// The whole topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub params: Params,
    pub nodes: Vec<NodePlan>,
    pub pods: Vec<PodPlan>,
    /// MTU of every pod's eth0 and host veth.
    pub pod_mtu: u32,
}

/// Whether a lab name is usable (it is a directory name and part of paths).
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid lab name {name:?}: use 1-{MAX_NAME} lowercase letters, digits and '-', starting with a letter or digit"
        ))
    }
}

/// The underlay network as a prefix.
pub fn underlay_net() -> Ipv4Net {
    Ipv4Net::new(UNDERLAY_NET, UNDERLAY_PREFIX).unwrap_or_default()
}

/// The pod MTU for an overlay (the underlay's minus the tunnel's overhead).
pub fn pod_mtu(overlay: Overlay) -> u32 {
    match overlay {
        Overlay::Vxlan => UNDERLAY_MTU - VXLAN_OVERHEAD,
        Overlay::Routed => UNDERLAY_MTU,
    }
}

/// A deterministic, locally administered unicast MAC for node `index`'s VTEP.
pub fn vtep_mac(index: u32) -> [u8; 6] {
    let i = index.to_be_bytes();
    [0x0e, 0x6c, 0x61, 0x62, i[2], i[3]]
}

/// `aa:bb:…` of a MAC.
pub fn mac_string(mac: &[u8]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Parses `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut out = [0u8; 6];
    for (o, p) in out.iter_mut().zip(parts) {
        if p.len() != 2 {
            return None;
        }
        *o = u8::from_str_radix(p, 16).ok()?;
    }
    Some(out)
}

/// Parses and checks `--cidr`.
pub fn parse_cidr(s: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = s
        .parse()
        .map_err(|_| format!("--cidr {s:?} is not an IPv4 prefix (e.g. {DEFAULT_CIDR})"))?;
    if net.trunc() != net {
        return Err(format!(
            "--cidr {s} has host bits set; did you mean {}?",
            net.trunc()
        ));
    }
    Ok(net)
}

/// Computes the topology, or says why the parameters cannot work.
pub fn plan(p: &Params) -> Result<Plan, String> {
    validate_name(&p.name)?;
    if p.nodes == 0 || p.nodes > MAX_NODES {
        return Err(format!("--nodes must be 1-{MAX_NODES}, not {}", p.nodes));
    }
    if p.pods_per_node > MAX_PODS_PER_NODE {
        return Err(format!(
            "--pods must be 0-{MAX_PODS_PER_NODE} (per node), not {}",
            p.pods_per_node
        ));
    }
    let cidr = p.cidr;
    if cidr.prefix_len() > 23 {
        return Err(format!(
            "--cidr {cidr} is too small: each node takes a /24 (node k the k-th), so use /23 or larger"
        ));
    }
    let subnets = 1u64 << (24 - cidr.prefix_len());
    if u64::from(p.nodes) >= subnets {
        return Err(format!(
            "--cidr {cidr} has {subnets} /24s; {} nodes need {} (node k takes the k-th, the 0th is unused)",
            p.nodes,
            p.nodes + 1
        ));
    }
    for (what, bad) in [
        ("the lab's underlay", underlay_net()),
        ("link-local", "169.254.0.0/16".parse().unwrap_or_default()),
        ("loopback", "127.0.0.0/8".parse().unwrap_or_default()),
        ("multicast", "224.0.0.0/3".parse().unwrap_or_default()),
        ("this-network", "0.0.0.0/8".parse().unwrap_or_default()),
    ] {
        if cidr.contains(&bad.network()) || bad.contains(&cidr.network()) {
            return Err(format!("--cidr {cidr} overlaps {what} network {bad}"));
        }
    }
    let base = u32::from(cidr.network());
    let under = u32::from(UNDERLAY_NET);
    let nodes: Vec<NodePlan> = (1..=p.nodes)
        .map(|k| {
            let net = base + (k << 8);
            NodePlan {
                index: k,
                name: format!("node{k}"),
                underlay_ip: Ipv4Addr::from(under + UNDERLAY_HOST_OFFSET + k),
                pod_cidr: Ipv4Net::new(Ipv4Addr::from(net), 24).unwrap_or_default(),
                gateway: Ipv4Addr::from(net + 1),
                vtep_ip: Ipv4Addr::from(net),
                vtep_mac: vtep_mac(k),
                switch_port: format!("node{k}"),
            }
        })
        .collect();
    let pods = nodes
        .iter()
        .flat_map(|n| {
            (1..=p.pods_per_node).map(move |i| PodPlan {
                namespace: POD_NAMESPACE.into(),
                name: format!("web-{}-{i}", n.index),
                node: n.index,
                ip: Ipv4Addr::from(u32::from(n.gateway) + i),
            })
        })
        .collect();
    Ok(Plan {
        params: p.clone(),
        nodes,
        pods,
        pod_mtu: pod_mtu(p.overlay),
    })
}

/// The CNI network configuration list a node's pods are added with
/// (podnet's own plugin; host-local IPAM with the node's pod CIDR).
pub fn conflist(
    mode: PodMode,
    mtu: u32,
    node_cidr: Ipv4Net,
    gateway: Ipv4Addr,
    ipam_dir: &str,
) -> Value {
    let range = json!([[{"subnet": node_cidr.to_string(), "gateway": gateway.to_string()}]]);
    let plugin = match mode {
        PodMode::Bridge => json!({
            "type": "podnet",
            "mode": "bridge",
            "bridge": CNI_BRIDGE,
            "isGateway": true,
            "isDefaultGateway": true,
            "mtu": mtu,
            "ipam": {"type": "host-local", "ranges": range, "dataDir": ipam_dir},
        }),
        PodMode::Ptp => json!({
            "type": "podnet",
            "mode": "ptp",
            "vethPrefix": PTP_VETH_PREFIX,
            "ptpGateway": "proxyArp",
            "mtu": mtu,
            "ipam": {
                "type": "host-local",
                "ranges": range,
                "routes": [{"dst": "0.0.0.0/0"}],
                "dataDir": ipam_dir,
            },
        }),
    };
    json!({"cniVersion": "1.0.0", "name": NETWORK_NAME, "plugins": [plugin]})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(nodes: u32, pods: u32) -> Params {
        Params {
            name: "lab".into(),
            nodes,
            pods_per_node: pods,
            overlay: Overlay::Vxlan,
            mode: PodMode::Bridge,
            cidr: parse_cidr(DEFAULT_CIDR).unwrap(),
        }
    }

    #[test]
    fn nodes_get_the_kth_slash_24_and_underlay_addresses() {
        let p = plan(&params(3, 2)).unwrap();
        assert_eq!(p.nodes.len(), 3);
        let n2 = &p.nodes[1];
        assert_eq!(n2.name, "node2");
        assert_eq!(n2.pod_cidr.to_string(), "10.244.2.0/24");
        assert_eq!(n2.gateway.to_string(), "10.244.2.1");
        assert_eq!(n2.vtep_ip.to_string(), "10.244.2.0");
        assert_eq!(n2.underlay_ip.to_string(), "172.30.0.12");
        assert_eq!(mac_string(&n2.vtep_mac), "0e:6c:61:62:00:02");
        assert_eq!(p.pods.len(), 6);
        assert_eq!(p.pods[3].full(), "default/web-2-2");
        assert_eq!(p.pods[3].node, 2);
        assert_eq!(p.pods[3].ip.to_string(), "10.244.2.3");
        assert_eq!(p.pod_mtu, 1450);
    }

    #[test]
    fn routed_pods_keep_the_underlay_mtu() {
        let mut ps = params(2, 1);
        ps.overlay = Overlay::Routed;
        assert_eq!(plan(&ps).unwrap().pod_mtu, 1500);
    }

    #[test]
    fn bad_parameters_are_refused_with_a_reason() {
        assert!(plan(&params(0, 1)).unwrap_err().contains("--nodes"));
        assert!(plan(&params(65, 1)).unwrap_err().contains("--nodes"));
        assert!(plan(&params(2, 251)).unwrap_err().contains("--pods"));
        let mut ps = params(2, 1);
        ps.cidr = parse_cidr("10.0.0.0/24").unwrap();
        assert!(plan(&ps).unwrap_err().contains("too small"));
        ps.cidr = parse_cidr("10.0.0.0/23").unwrap();
        assert!(plan(&ps).unwrap_err().contains("need 3"));
        ps.cidr = parse_cidr("172.30.0.0/16").unwrap();
        assert!(plan(&ps).unwrap_err().contains("underlay"));
        assert!(
            parse_cidr("10.244.1.0/16")
                .unwrap_err()
                .contains("10.244.0.0/16")
        );
        assert!(parse_cidr("nope").is_err());
        ps = params(2, 1);
        ps.name = "Bad/Name".into();
        assert!(plan(&ps).unwrap_err().contains("invalid lab name"));
    }

    #[test]
    fn macs_round_trip() {
        let m = vtep_mac(300);
        assert_eq!(parse_mac(&mac_string(&m)), Some(m));
        assert_eq!(parse_mac("0e:6c:61"), None);
        assert_eq!(parse_mac("zz:6c:61:62:00:01"), None);
    }

    #[test]
    fn conflists_use_podnets_plugin_with_the_node_range() {
        let cidr: Ipv4Net = "10.244.1.0/24".parse().unwrap();
        let gw: Ipv4Addr = "10.244.1.1".parse().unwrap();
        let b = conflist(PodMode::Bridge, 1450, cidr, gw, "/x/ipam/node1");
        assert_eq!(b["name"], NETWORK_NAME);
        assert_eq!(b["plugins"][0]["type"], "podnet");
        assert_eq!(b["plugins"][0]["bridge"], "cni0");
        assert_eq!(b["plugins"][0]["mtu"], 1450);
        assert_eq!(
            b["plugins"][0]["ipam"]["ranges"][0][0]["subnet"],
            "10.244.1.0/24"
        );
        let p = conflist(PodMode::Ptp, 1500, cidr, gw, "/x");
        assert_eq!(p["plugins"][0]["vethPrefix"], "cali");
        assert_eq!(p["plugins"][0]["ipam"]["routes"][0]["dst"], "0.0.0.0/0");
        // both parse as podnet configurations
        for v in [b, p] {
            let bytes = serde_json::to_vec(&v).unwrap();
            crate::cni::conflist::parse(&bytes).unwrap();
        }
    }
}
