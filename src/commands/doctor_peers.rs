//! The other nodes on this machine that `doctor` looks at besides the one
//! it judges (a lab's nodes, a test layout's node2): which namespaces they
//! are, and one visit to each for its links, tunnels and output lookups
//! towards the judged node's pods. Read-only.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::analyze::doctor::{FibQuery, PeerNode, cidrs};
use crate::discover;
use crate::model::doctor::NodeFacts;
use crate::model::{Interface, LinkKind, Netns};
use crate::sys::{HostRoot, netns};

use super::inventory;
use super::node_facts::{lookup, visit};

/// The addresses a namespace holds, from the inventory.
pub fn addresses(n: &Netns) -> Vec<IpAddr> {
    n.interfaces.iter().flat_map(Interface::ips).collect()
}

/// Namespaces other than `node` that play a node this one talks to: the
/// holder of a route's gateway or of an FDB entry's VTEP, the owner of a
/// VXLAN device whose MAC this node's neighbours or FDB name, and `extra`
/// (a lab's other nodes). Pods are never peers.
pub fn candidates(
    f: &NodeFacts,
    node: &Netns,
    nss: &[Netns],
    pod_inodes: &BTreeSet<u64>,
    extra: &[u64],
) -> Vec<usize> {
    let ips: BTreeSet<IpAddr> = f
        .routes
        .iter()
        .filter(|r| r.dst.is_some_and(|d| d.prefix_len() > 0))
        .filter_map(|r| r.gateway)
        .chain(f.fdb.iter().filter_map(|e| e.dst))
        .collect();
    let macs: BTreeSet<String> = f
        .neighbours
        .iter()
        .filter(|n| f.vxlans.iter().any(|v| v.ifindex == n.ifindex))
        .filter_map(|n| n.mac.clone())
        .chain(
            f.fdb
                .iter()
                .filter(|e| e.dst.is_some())
                .map(|e| e.mac.clone()),
        )
        .map(|m| m.to_ascii_lowercase())
        .collect();
    let segments = underlay_segments(f);
    nss.iter()
        .enumerate()
        .filter(|(_, n)| n.inode != node.inode && !pod_inodes.contains(&n.inode))
        .filter(|(_, n)| {
            extra.contains(&n.inode)
                || addresses(n)
                    .iter()
                    .any(|a| ips.contains(a) || segments.iter().any(|s| s.contains(a)))
                || n.interfaces.iter().any(|i| {
                    i.kind == LinkKind::Vxlan
                        && i.mac
                            .as_ref()
                            .is_some_and(|m| macs.contains(&m.to_ascii_lowercase()))
                })
        })
        .map(|(i, _)| i)
        .collect()
}

/// The subnets this node shares with other nodes: those of its addresses
/// on interfaces that are not bridges (pods sit on those) and not loopback,
/// shorter than a host route.
fn underlay_segments(f: &NodeFacts) -> Vec<ipnet::IpNet> {
    f.interfaces
        .iter()
        .filter(|i| i.kind != LinkKind::Bridge && i.kind != LinkKind::Loopback && i.name != "lo")
        .flat_map(|i| i.addresses.iter())
        .filter(|n| n.prefix_len() < if n.addr().is_ipv4() { 31 } else { 127 })
        .filter(|n| !matches!(n.addr(), IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80))
        .map(|n| n.trunc())
        .collect()
}

/// Visits one peer: its links and VXLAN devices, and its answers to `queries`.
pub fn read(root: &HostRoot, n: &Netns, queries: &[FibQuery]) -> Option<PeerNode> {
    let target = inventory::target(root, n);
    let label = match n.paths.first() {
        Some(p) => format!("node netns {} ({p})", n.inode),
        None => format!("node netns {}", n.inode),
    };
    visit(&target, |inside: &mut netns::Inside<'_>| {
        let links = inside.sock.dump_links()?;
        let addrs = inside.sock.dump_addresses()?;
        let routes = discover::routes::routes(&inside.sock.dump_routes(0, false)?);
        let mut facts = NodeFacts {
            vxlans: links
                .iter()
                .filter_map(discover::links::vxlan_info)
                .collect(),
            interfaces: discover::links::interfaces(
                links.iter().map(discover::links::interface).collect(),
                &addrs,
            ),
            ..Default::default()
        };
        facts.fib = queries.iter().map(|q| lookup(inside, &facts, q)).collect();
        Ok(PeerNode {
            pod_cidrs: cidrs::peer_local(&facts.interfaces, &routes),
            label: label.clone(),
            inode: n.inode,
            interfaces: facts.interfaces,
            vxlans: facts.vxlans,
            fib: facts.fib,
        })
    })
    .ok()
}
