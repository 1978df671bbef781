//! The lab's state file (`<lab dir>/state.json`): what `lab up` built —
//! namespaces, addresses, pods and their pause processes — the desired
//! routes and neighbours recorded right after plumbing, and the faults
//! `lab break` applied. Serde types and lookups only; no I/O.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::entries::{NeighEntry, RouteEntry};
use super::fault::Fault;
use super::plan::{self, Overlay, PodMode};

/// Bumped when the file's shape changes incompatibly.
pub const STATE_VERSION: u32 = 1;

/// `state.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabState {
    pub version: u32,
    pub name: String,
    /// The lab directory (`/run/podnet/lab/<name>`).
    pub dir: String,
    /// Seconds since the epoch when `lab up` started.
    pub created_unix: u64,
    /// False while `lab up` is still building (a crashed `up` leaves it false).
    pub complete: bool,
    pub overlay: Overlay,
    pub mode: PodMode,
    pub cidr: Ipv4Net,
    pub pods_per_node: u32,
    /// MTU of every pod's eth0 and host veth.
    pub pod_mtu: u32,
    /// `net.bridge.bridge-nf-call-iptables` on the nodes at `up` (None: no br_netfilter).
    pub bridge_nf_call_iptables: Option<bool>,
    pub switch: SwitchState,
    pub nodes: Vec<NodeState>,
    pub pods: Vec<PodState>,
    pub faults: Vec<FaultRecord>,
}

/// The namespace that plays the underlay switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchState {
    /// Its netns bind mount.
    pub netns: String,
    pub inode: u64,
    pub bridge: String,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    pub name: String,
    pub index: u32,
    /// Its netns bind mount.
    pub netns: String,
    pub inode: u64,
    pub underlay_ip: Ipv4Addr,
    pub underlay_prefix: u8,
    /// Its port (veth) on the switch bridge.
    pub switch_port: String,
    pub pod_cidr: Ipv4Net,
    pub gateway: Ipv4Addr,
    pub vtep_ip: Ipv4Addr,
    pub vtep_mac: String,
    /// The CNI network configuration its pods were added with.
    pub conflist: String,
    /// host-local's dataDir for this node.
    pub ipam_dir: String,
    /// Routes the CNI plugin made in the node (ptp host routes), recorded after plumbing.
    pub plugin_routes: Vec<RouteEntry>,
}

impl NodeState {
    /// The state of planned node `n` once its netns is at `netns` (inode
    /// `inode`), with its CNI conflist and IPAM dataDir; no plugin routes yet.
    pub fn planned(
        n: &plan::NodePlan,
        netns: String,
        inode: u64,
        conflist: String,
        ipam_dir: String,
    ) -> NodeState {
        NodeState {
            name: n.name.clone(),
            index: n.index,
            netns,
            inode,
            underlay_ip: n.underlay_ip,
            underlay_prefix: plan::UNDERLAY_PREFIX,
            switch_port: n.switch_port.clone(),
            pod_cidr: n.pod_cidr,
            gateway: n.gateway,
            vtep_ip: n.vtep_ip,
            vtep_mac: plan::mac_string(&n.vtep_mac),
            conflist,
            ipam_dir,
            plugin_routes: Vec::new(),
        }
    }
}

/// One pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodState {
    pub namespace: String,
    pub name: String,
    /// Its node's name.
    pub node: String,
    /// Its netns bind mount.
    pub netns: String,
    pub inode: u64,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    /// The sandbox id (CNI_CONTAINERID).
    pub container_id: String,
    pub pause_pid: i32,
    /// The host side of its veth, in the node's namespace.
    pub host_veth: String,
    /// Its routes and permanent neighbours as the plugin left them.
    pub routes: Vec<RouteEntry>,
    pub neighbours: Vec<NeighEntry>,
}

impl PodState {
    pub fn full(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// How a recorded pod is doing, as `lab status` shows it and `lab fix`
/// repairs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodHealth {
    Running,
    /// Its namespace is there but its recorded pause process is not (`lab
    /// fix` starts a new one).
    PauseGone,
    /// Its namespace bind mount is gone (only `lab down` and `up` rebuild it).
    NetnsGone,
}

impl PodHealth {
    /// From whether its netns is still mounted and its pause still ours.
    pub fn of(netns_mounted: bool, pause_ours: bool) -> PodHealth {
        match (netns_mounted, pause_ours) {
            (false, _) => PodHealth::NetnsGone,
            (true, false) => PodHealth::PauseGone,
            (true, true) => PodHealth::Running,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PodHealth::Running => "running",
            PodHealth::PauseGone => "pause-gone",
            PodHealth::NetnsGone => "netns-gone",
        }
    }
}

/// A fault `lab break` applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRecord {
    pub fault: Fault,
    pub node: Option<String>,
    pub pod: Option<String>,
    pub peer: Option<String>,
    /// Chosen by `--random` (status does not name it).
    pub hidden: bool,
    /// What was done, as commands.
    pub detail: Vec<String>,
}

impl LabState {
    pub fn node(&self, name: &str) -> Option<&NodeState> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// A node by name (`node2`) or number (`2`).
    pub fn find_node(&self, reference: &str) -> Result<&NodeState, String> {
        let by_index = reference
            .parse::<u32>()
            .ok()
            .and_then(|i| self.nodes.iter().find(|n| n.index == i));
        by_index.or_else(|| self.node(reference)).ok_or_else(|| {
            format!(
                "no node {reference:?} in lab {} (nodes: {})",
                self.name,
                self.nodes
                    .iter()
                    .map(|n| n.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }

    /// A pod by `namespace/name`, `name` or IP address.
    pub fn find_pod(&self, reference: &str) -> Result<&PodState, String> {
        let ip: Option<Ipv4Addr> = reference.parse().ok();
        self.pods
            .iter()
            .find(|p| p.full() == reference || p.name == reference || Some(p.ip) == ip)
            .ok_or_else(|| format!("no pod {reference:?} in lab {}", self.name))
    }

    pub fn pods_of<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a PodState> + 'a {
        self.pods.iter().filter(move |p| p.node == node)
    }

    /// The node a pod runs on.
    pub fn node_of(&self, pod: &PodState) -> Option<&NodeState> {
        self.node(&pod.node)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lab::plan::{self, Params};

    /// A state as `lab up` would record it, without touching the kernel.
    pub fn sample(nodes: u32, pods: u32, overlay: Overlay, mode: PodMode) -> LabState {
        let p = plan::plan(&Params {
            name: "lab".into(),
            nodes,
            pods_per_node: pods,
            overlay,
            mode,
            cidr: plan::parse_cidr(plan::DEFAULT_CIDR).unwrap(),
        })
        .unwrap();
        let dir = "/run/podnet/lab/lab".to_string();
        LabState {
            version: STATE_VERSION,
            name: "lab".into(),
            dir: dir.clone(),
            created_unix: 0,
            complete: true,
            overlay,
            mode,
            cidr: p.params.cidr,
            pods_per_node: pods,
            pod_mtu: p.pod_mtu,
            bridge_nf_call_iptables: Some(true),
            switch: SwitchState {
                netns: format!("{dir}/netns/switch"),
                inode: 100,
                bridge: plan::SWITCH_BRIDGE.into(),
            },
            nodes: p
                .nodes
                .iter()
                .map(|n| {
                    NodeState::planned(
                        n,
                        format!("{dir}/netns/{}", n.name),
                        200 + u64::from(n.index),
                        format!("{dir}/cni/net.d/{}.conflist", n.name),
                        format!("{dir}/ipam/{}", n.name),
                    )
                })
                .collect(),
            pods: p
                .pods
                .iter()
                .enumerate()
                .map(|(i, pp)| {
                    let n = &p.nodes[pp.node as usize - 1];
                    let k = (i as u32 % pods.max(1)) + 2;
                    PodState {
                        namespace: pp.namespace.clone(),
                        name: pp.name.clone(),
                        node: n.name.clone(),
                        netns: format!("{dir}/netns/cni-{i}"),
                        inode: 1000 + i as u64,
                        ip: Ipv4Addr::from(u32::from(n.pod_cidr.network()) + k),
                        prefix: 24,
                        container_id: format!("{i:064x}"),
                        pause_pid: 5000 + i as i32,
                        host_veth: format!("veth{i}"),
                        routes: Vec::new(),
                        neighbours: Vec::new(),
                    }
                })
                .collect(),
            faults: Vec::new(),
        }
    }

    #[test]
    fn finds_nodes_and_pods_by_any_reference() {
        let s = sample(2, 2, Overlay::Vxlan, PodMode::Bridge);
        assert_eq!(s.find_node("2").unwrap().name, "node2");
        assert_eq!(s.find_node("node1").unwrap().index, 1);
        assert!(s.find_node("node9").unwrap_err().contains("node1, node2"));
        assert_eq!(s.find_pod("default/web-2-1").unwrap().node, "node2");
        assert_eq!(s.find_pod("web-1-2").unwrap().node, "node1");
        assert_eq!(s.find_pod("10.244.2.3").unwrap().name, "web-2-2");
        assert!(s.find_pod("nope").is_err());
        assert_eq!(s.pods_of("node1").count(), 2);
    }

    #[test]
    fn state_round_trips_through_json() {
        let s = sample(2, 1, Overlay::Routed, PodMode::Ptp);
        let text = serde_json::to_string(&s).unwrap();
        let back: LabState = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
        assert!(text.contains("\"overlay\":\"routed\""));
    }
}
