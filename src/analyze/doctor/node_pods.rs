//! Which of the machine's namespaces and veths are the judged node's pods:
//! the paired pods the checks see, the pod namespaces with or without a
//! veth, their global prefixes, and namespaces nobody holds. No I/O.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::analyze::veth::NetnsExtra;
use crate::model::netns::is_link_local;
use crate::model::{LinkKind, Netns, PairStatus, VethPair};

use super::context::{NodePod, PodView};

/// Where a lab places things, for a lab node: every node's namespace, and
/// the pod namespaces the lab put on the judged node.
#[derive(Debug, Clone, Default)]
pub struct LabLayout {
    pub nodes: Vec<u64>,
    pub node_pods: Vec<u64>,
}

/// The node's pods: a pause process or a name on the far side of the veth
/// (a lab's switch link to the node has neither), and orphans.
pub fn pairs_of_node<'a>(pairs: &'a [VethPair], node: &Netns) -> Vec<&'a VethPair> {
    pairs
        .iter()
        .filter(|p| {
            p.host_if
                .as_ref()
                .is_some_and(|h| h.netns_inode == node.inode)
        })
        .filter(|p| p.pod.is_some() || p.pause_pid.is_some() || p.status == PairStatus::Orphan)
        .collect()
}

/// A paired pod as the checks see it.
pub fn node_pod(p: &VethPair) -> Option<NodePod> {
    if p.status != PairStatus::Paired {
        return None;
    }
    let pod_if = p.pod_if.as_ref()?;
    let host = p.host_if.as_ref()?;
    let ip = pod_if
        .addresses
        .iter()
        .map(|a| a.addr())
        .find(|i| !is_link_local(*i));
    Some(NodePod {
        label: p
            .pod
            .as_ref()
            .map(|x| x.display_name())
            .unwrap_or_else(|| format!("netns {}", p.netns_inode.unwrap_or(0))),
        pod_if: pod_if.name.clone(),
        pod_ip: ip,
        pod_mtu: pod_if.mtu,
        pod_tx_dropped: p
            .stats
            .as_ref()
            .and_then(|s| s.pod_if.as_ref())
            .map(|s| s.link.tx_dropped)
            .unwrap_or(0),
        host_ifindex: host.ifindex,
        inode: p.netns_inode,
    })
}

/// Bind-mounted namespaces nobody is in, holding a pod or nothing but
/// loopback, that are no node's.
pub fn orphan_netns(nss: &[Netns], pairs: &[VethPair]) -> Vec<String> {
    let hubs: Vec<u64> = pairs
        .iter()
        .filter_map(|p| p.host_if.as_ref().map(|h| h.netns_inode))
        .collect();
    nss.iter()
        .filter(|n| !n.host && n.pids == 0 && !n.paths.is_empty() && !hubs.contains(&n.inode))
        .filter(|n| n.pod.is_some() || n.interfaces.iter().all(|i| i.kind == LinkKind::Loopback))
        .map(|n| format!("{} ({})", n.paths[0], n.inode))
        .collect()
}

/// The pod namespaces of this node, each with its interfaces and routes:
/// the pod side of every veth whose host end is here, and namespaces
/// holding a pod (a sandbox, a pause process) with no veth at all (no
/// eth0): on a lab node those the lab placed there, on the host every one
/// that is no other node's.
pub fn pod_views(
    node: &Netns,
    nss: &[Netns],
    pairs: &[VethPair],
    extra: &HashMap<u64, NetnsExtra>,
    lab: Option<&LabLayout>,
) -> Vec<PodView> {
    let attached: Vec<u64> = pairs
        .iter()
        .filter(|p| {
            p.host_if
                .as_ref()
                .is_some_and(|h| h.netns_inode == node.inode)
        })
        .filter(|p| p.pod.is_some() || p.pause_pid.is_some())
        .filter_map(|p| p.netns_inode)
        .collect();
    let paired: Vec<u64> = pairs.iter().filter_map(|p| p.netns_inode).collect();
    let hubs: Vec<u64> = pairs
        .iter()
        .filter_map(|p| p.host_if.as_ref().map(|h| h.netns_inode))
        .collect();
    let lab_pods = lab.map(|l| &l.node_pods);
    let lab_nodes: &[u64] = lab.map_or(&[], |l| &l.nodes);
    nss.iter()
        .filter(|n| n.inode != node.inode && !n.host)
        .filter(|n| {
            attached.contains(&n.inode)
                || (!paired.contains(&n.inode)
                    && !hubs.contains(&n.inode)
                    && !lab_nodes.contains(&n.inode)
                    && (n.pod.is_some() || n.pause_pid.is_some())
                    && match lab_pods {
                        Some(mine) => mine.contains(&n.inode),
                        None => node.host,
                    })
        })
        .map(|n| PodView {
            label: n.pod.as_ref().map(|x| x.display_name()).unwrap_or_else(|| {
                match n.paths.first() {
                    Some(p) => format!("netns {} ({p})", n.inode),
                    None => format!("netns {}", n.inode),
                }
            }),
            inode: n.inode,
            interfaces: n.interfaces.clone(),
            routes: extra.get(&n.inode).and_then(|e| e.routes.clone()),
        })
        .collect()
}

/// The global (not link-local) prefixes of the node's pods, as (address, length).
pub fn pod_prefixes(mine: &[&VethPair]) -> Vec<(IpAddr, u8)> {
    mine.iter()
        .filter_map(|p| p.pod_if.as_ref())
        .flat_map(|i| i.addresses.iter())
        .filter(|a| !is_link_local(a.addr()))
        .map(|a| (a.addr(), a.prefix_len()))
        .collect()
}

#[cfg(test)]
mod tests;
