//! `podnet trace`'s judgements: turns what each namespace on the path says
//! (route and FIB lookups explained by `fib_explain`, links, neighbours,
//! FDB, the netfilter hooks of `netfilter_path`) into hops, each blocked
//! one with a stable cause code, and says why a packet dies where it dies.
//! The walk over the nodes is `walk`, the kernel's second opinion `verify`.
//! No I/O.

pub mod hop;
mod tunnel;
pub mod verify;
pub mod walk;

#[cfg(test)]
mod tests;

use std::net::IpAddr;

use crate::model::doctor::{FibLookup, NodeFacts};
use crate::model::trace::{Blocked, Cause, Hop, HopStatus};
use crate::model::{Interface, LinkKind, Netns};

use super::doctor::{fib_command, fib_outcome};
use super::fib_explain;
use super::netfilter_path::{Fate, Packet, PathKind, judge};

pub use hop::hop;
use hop::{blocked, counters, is_up, link_state};
pub use tunnel::{
    down_tunnel_hop, fdb_wrong_dst_hop, neighbour_mac_of, underlay_mtu_hop, underlay_peers,
    vtep_mac_hop, vxlan_hop, vxlan_owner,
};

/// Why a FIB lookup failed, in the node's terms, with its cause code.
pub fn lookup_failure(f: &NodeFacts, l: &FibLookup, pod_dev: Option<&str>) -> (Cause, String) {
    match fib_explain::explain(f, l, pod_dev) {
        Some(e) => (e.cause, e.reason),
        None => (
            Cause::NoRoute,
            l.result
                .clone()
                .err()
                .unwrap_or_else(|| "the lookup failed".into()),
        ),
    }
}

/// The route lookup of a packet in a namespace (the pod's own routing, or
/// a node's with the ingress interface); `pod_dev` as in [`lookup_failure`].
pub fn route_hop(at: &str, inode: u64, f: &NodeFacts, l: &FibLookup, pod_dev: Option<&str>) -> Hop {
    let step = fib_command(l);
    let ok = matches!(&l.result, Ok(a) if a.kind == "unicast" || a.kind == "local");
    let fault = (!ok).then(|| lookup_failure(f, l, pod_dev));
    hop(
        at,
        inode,
        step,
        fib_outcome(l),
        fault.and_then(|(c, r)| blocked(c, r)),
    )
}

/// The link state of the devices a packet crosses here: the first down one blocks.
pub fn links_hop(at: &str, inode: u64, devs: &[&Interface]) -> Option<Hop> {
    let down = devs.iter().find(|i| !is_up(i))?;
    Some(hop(
        at,
        inode,
        format!("link {}", down.name),
        link_state(down),
        blocked(Cause::LinkDown, format!("{} is down", link_state(down))),
    ))
}

/// The neighbour the packet is handed to (gateway, or the destination when on-link).
pub fn neighbour_hop(
    at: &str,
    inode: u64,
    f: &NodeFacts,
    dev: &Interface,
    next: IpAddr,
) -> Option<Hop> {
    let n = f
        .neighbours
        .iter()
        .find(|n| n.ifindex == dev.ifindex && n.ip == next)?;
    let failed = matches!(n.state.as_str(), "failed" | "incomplete");
    Some(hop(
        at,
        inode,
        format!("neighbour {next} on {}", dev.name),
        format!(
            "lladdr {} ({})",
            n.mac.as_deref().unwrap_or("none"),
            n.state
        ),
        failed.then(|| {
            (
                HopStatus::Blocked,
                Cause::NeighbourFailed,
                format!("{next} does not answer ARP on {} ({})", dev.name, n.state),
            )
        }),
    ))
}

/// A veth crossing from one namespace to the other, for a packet of `size`
/// bytes: the receiving end (and a bridge port sending into it) drops a
/// frame above its MTU silently, with no ICMP error to shrink the next one.
pub fn veth_hop(
    at: &str,
    inode: u64,
    from: &Interface,
    to: Option<(&Interface, &str)>,
    size: Option<u32>,
) -> Hop {
    let Some((peer, peer_where)) = to else {
        return hop(
            at,
            inode,
            format!("{} ({})", from.name, from.kind),
            format!("{}; {}", link_state(from), counters(from.stats)),
            Some((
                HopStatus::Unknown,
                Cause::OffMachine,
                format!(
                    "{} is a {} interface: podnet cannot follow it to the node",
                    from.name, from.kind
                ),
            )),
        );
    };
    let down: Vec<String> = [from, peer]
        .iter()
        .filter(|i| !is_up(i))
        .map(|i| link_state(i))
        .collect();
    let mut detail = format!(
        "{} → {}; {}: {}",
        link_state(from),
        link_state(peer),
        peer.name,
        counters(peer.stats)
    );
    let narrow = [from, peer]
        .into_iter()
        .filter_map(|i| Some((i, i.mtu?)))
        .min_by_key(|(_, m)| *m);
    if let (Some(size), Some((_, m))) = (size, narrow) {
        detail.push_str(&format!("; MTU {}", m.min(size)));
    }
    let fault = if !down.is_empty() {
        blocked(Cause::LinkDown, format!("{} down", down.join(" and ")))
    } else {
        match (size, narrow) {
            (Some(size), Some((i, m))) if size > m => blocked(
                Cause::Mtu,
                format!(
                    "a {size}-byte packet (a full-size one, as TCP sends) is larger than {}'s MTU {m}: the veth drops it silently; packets up to {m} bytes pass",
                    i.name
                ),
            ),
            _ => None,
        }
    };
    hop(
        at,
        inode,
        format!("veth {} → {} ({peer_where})", from.name, peer.name),
        detail,
        fault,
    )
}

/// The netfilter hooks a packet meets at a node on `path` (both backends):
/// blocked at the first drop or reject, naming backend, table, chain, hook, rule.
pub fn firewall_verdict(f: &NodeFacts, p: &Packet, path: PathKind) -> Option<(Cause, String)> {
    match judge(&f.chains, p, path) {
        Fate::Accepted => None,
        Fate::Dropped(b) => Some((
            Cause::Firewall,
            format!("{} {}", p.describe(), b.describe()),
        )),
    }
}

/// A node routing the packet: its FIB lookup with the ingress interface,
/// then the netfilter hooks of the path (forwarded, or delivered to the node).
pub fn forward_hop(
    at: &str,
    inode: u64,
    f: &NodeFacts,
    l: &FibLookup,
    packet: Option<&Packet>,
    pod_dev: Option<&str>,
) -> Hop {
    let mut h = route_hop(at, inode, f, l, pod_dev);
    if h.status != HopStatus::Ok {
        return h;
    }
    if let Some(p) = packet {
        let local = l.result.as_ref().is_ok_and(|a| a.kind == "local");
        let path = if local {
            PathKind::Input
        } else {
            PathKind::Forwarded
        };
        if let Some((cause, reason)) = firewall_verdict(f, p, path) {
            h.status = HopStatus::Blocked;
            h.cause = Some(cause);
            h.reason = Some(reason);
            return h;
        }
        h.detail.push_str(if local {
            "; PREROUTING and INPUT accept it"
        } else {
            "; PREROUTING, FORWARD and POSTROUTING accept it"
        });
    }
    h
}

/// Arrival in the destination pod.
pub fn delivery_hop(label: &str, inode: u64, i: Option<&Interface>) -> Hop {
    match i {
        Some(i) => hop(
            label,
            inode,
            format!("delivered on {}", i.name),
            format!("{}; {}", link_state(i), counters(i.stats)),
            (!is_up(i)).then(|| {
                (
                    HopStatus::Blocked,
                    Cause::LinkDown,
                    format!("{} is down", i.name),
                )
            }),
        ),
        None => hop(
            label,
            inode,
            "delivered".into(),
            "the destination address is in this namespace".into(),
            None,
        ),
    }
}

/// The interface holding an address in a namespace's facts.
pub fn owner_of(f: &NodeFacts, ip: IpAddr) -> Option<&Interface> {
    f.interfaces.iter().find(|i| i.holds(ip))
}

/// The interface a lookup answer leaves by.
pub fn out_dev<'a>(f: &'a NodeFacts, l: &FibLookup) -> Option<&'a Interface> {
    let name = l.result.as_ref().ok()?.oif.as_deref()?;
    f.interfaces.iter().find(|i| i.name == name)
}

/// Numbers the hops and finds the first that stops the packet.
pub fn finish(hops: &mut [Hop]) -> Option<Blocked> {
    for (i, h) in hops.iter_mut().enumerate() {
        h.index = i + 1;
    }
    hops.iter()
        .find(|h| h.status != HopStatus::Ok)
        .map(|h| Blocked {
            hop: h.index,
            direction: h.direction,
            cause: h.cause,
            reason: h.reason.clone().unwrap_or_default(),
        })
}

/// The one-line verdict; `both`: a reply was modelled too.
pub fn verdict(hops: &[Hop], both: bool) -> String {
    match hops.iter().find(|h| h.status != HopStatus::Ok) {
        None if both => "delivered both ways".into(),
        None => "delivered".into(),
        Some(h) if h.status == HopStatus::Blocked => format!(
            "blocked in the {} at hop {}: {}",
            h.direction.as_str(),
            h.index,
            h.reason.clone().unwrap_or_default()
        ),
        Some(h) => format!(
            "leaves what podnet can see in the {} at hop {}: {}",
            h.direction.as_str(),
            h.index,
            h.reason.clone().unwrap_or_default()
        ),
    }
}

/// The pod's gateway must answer ARP on the pod's link: an address on the
/// bridge the host veth is a port of, or (routed, Calico-style, no bridge)
/// the host veth answering by proxy ARP or holding the address itself.
pub fn gateway_hop(
    here: &str,
    inode: u64,
    facts: &NodeFacts,
    host: &Interface,
    gateway: IpAddr,
) -> Option<Hop> {
    let owner = owner_of(facts, gateway);
    let bridge = host
        .master_ifindex
        .and_then(|m| facts.interfaces.iter().find(|i| i.ifindex == m));
    let fault = match (bridge, owner) {
        (Some(b), Some(o)) if o.ifindex == b.ifindex => None,
        (_, Some(o)) if o.ifindex == host.ifindex => None,
        (_, Some(o)) if o.kind == LinkKind::Bridge => Some((
            Cause::VethDetached,
            format!(
                "the pod's gateway {gateway} is on bridge {}, but the host veth {} is {}",
                o.name,
                host.name,
                match bridge {
                    Some(b) => format!("a port of {}", b.name),
                    None => "not a port of it".into(),
                }
            ),
        )),
        // a local address on another device: the kernel answers ARP for it on any link
        (_, Some(_)) => None,
        (None, None) => {
            let key = format!("net/ipv4/conf/{}/proxy_arp", host.name);
            let proxy = facts.sysctls.get(&key).is_some_and(|v| v.trim() != "0");
            (!proxy).then(|| {
                (
                    Cause::ProxyArpOff,
                    format!(
                        "nothing answers ARP for the pod's gateway {gateway}: the host veth {} has proxy_arp off and no such address",
                        host.name
                    ),
                )
            })
        }
        (Some(_), None) => None,
    }?;
    Some(hop(
        here,
        inode,
        format!("gateway {gateway} on {}", host.name),
        "who answers ARP for the pod's gateway".into(),
        Some((HopStatus::Blocked, fault.0, fault.1)),
    ))
}

/// Where a pod hands its packet on: its namespace, facts, egress device,
/// the next hop's address (its gateway, or the destination on-link) and
/// its gateway.
pub struct PodExit<'a> {
    pub at: &'a str,
    pub inode: u64,
    pub facts: &'a NodeFacts,
    pub dev: &'a Interface,
    pub next: IpAddr,
    pub gateway: Option<IpAddr>,
}

/// The pod's handover to its next hop, judged at the pod: who on the node
/// (`node`, where the host veth `host` is) answers ARP for the pod's
/// gateway comes first — a detached veth or proxy_arp off is why the pod's
/// neighbour entry for the gateway fails — then that entry itself.
pub fn pod_exit_hop(exit: &PodExit<'_>, node: &NodeFacts, host: Option<&Interface>) -> Option<Hop> {
    if let (Some(gw), Some(h)) = (exit.gateway, host)
        && let Some(hop) = gateway_hop(exit.at, exit.inode, node, h, gw)
    {
        return Some(hop);
    }
    neighbour_hop(exit.at, exit.inode, exit.facts, exit.dev, exit.next)
}

/// A namespace's addresses on interfaces other than loopback.
pub fn addresses(n: &Netns) -> Vec<IpAddr> {
    n.interfaces
        .iter()
        .filter(|i| i.kind != LinkKind::Loopback)
        .flat_map(Interface::ips)
        .collect()
}

/// Whether a namespace holds `ip` on an interface other than loopback.
pub fn has_address(n: &Netns, ip: IpAddr) -> bool {
    n.interfaces
        .iter()
        .any(|i| i.kind != LinkKind::Loopback && i.holds(ip))
}

/// A Cilium-style node (`cilium_host`): pod traffic is redirected by eBPF
/// programs, so the kernel's FIB and netfilter are not the path.
pub fn ebpf_node_hop(at: &str, inode: u64, f: &NodeFacts) -> Option<Hop> {
    let c = f.interfaces.iter().find(|i| i.name == "cilium_host")?;
    Some(hop(
        at,
        inode,
        format!("{} present", c.name),
        "Cilium-style node: pod traffic is redirected by eBPF programs".into(),
        Some((
            HopStatus::Unknown,
            Cause::Ebpf,
            "forwarding on this node is done by eBPF podnet cannot read".into(),
        )),
    ))
}

/// A packet of `size` bytes wider than the device it leaves by.
pub fn egress_mtu_hop(at: &str, inode: u64, out: &Interface, size: Option<u32>) -> Option<Hop> {
    let (s, m) = (size?, out.mtu?);
    (s > m).then(|| {
        hop(
            at,
            inode,
            format!("out {}", out.name),
            format!("MTU {m}"),
            blocked(
                Cause::Mtu,
                format!("a {s}-byte packet is larger than {}'s MTU {m}", out.name),
            ),
        )
    })
}

/// The route to a pod leaves by a bridge its host veth is not a port of.
pub fn bridge_port_hop(
    at: &str,
    inode: u64,
    out: &Interface,
    host_veth: &Interface,
    dst: IpAddr,
) -> Option<Hop> {
    (out.kind == LinkKind::Bridge && host_veth.master_ifindex != Some(out.ifindex)).then(|| {
        hop(
            at,
            inode,
            format!("bridge {} → {}", out.name, host_veth.name),
            format!("{} is not a port of {}", host_veth.name, out.name),
            blocked(
                Cause::VethDetached,
                format!(
                    "the route to {dst} leaves by bridge {}, but the pod's host veth {} is not a port of it",
                    out.name, host_veth.name
                ),
            ),
        )
    })
}
