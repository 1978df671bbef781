//! `podnet trace`'s judgements: turns what each namespace on the path says
//! (route and FIB lookups, links, neighbours, FDB, firewall) into hops, and
//! says why a packet dies where it dies. No I/O.

use std::net::IpAddr;

use crate::model::doctor::{FibLookup, NodeFacts};
use crate::model::trace::{Hop, HopStatus};
use crate::model::{Interface, netns::LinkStats};

use super::doctor::firewall::{Fate, Packet, forward_chains, walk};
use super::doctor::{fib_command, fib_outcome};

/// Why a FIB lookup failed, in the node's terms.
pub fn lookup_failure(f: &NodeFacts, l: &FibLookup) -> String {
    let forwarding_off = f
        .sysctls
        .get("net/ipv4/ip_forward")
        .is_some_and(|v| v != "1");
    match l.errno {
        Some(libc::EHOSTUNREACH) if l.iif.is_some() && forwarding_off => {
            "forwarding is off (net.ipv4.ip_forward = 0)".into()
        }
        Some(libc::ENETUNREACH) => format!("no route to {}", l.dst),
        Some(libc::EINVAL) | Some(libc::EXDEV) if l.iif.is_some() => format!(
            "the reverse-path filter refuses source {} arriving on {}",
            l.src.map(|s| s.to_string()).unwrap_or_default(),
            l.iif.as_deref().unwrap_or("?")
        ),
        _ => l.result.clone().err().unwrap_or_default(),
    }
}

fn counters(s: Option<LinkStats>) -> String {
    match s {
        Some(s) => format!(
            "tx {} pkts ({} dropped), rx {} pkts ({} dropped)",
            s.tx_packets, s.tx_dropped, s.rx_packets, s.rx_dropped
        ),
        None => "no counters".into(),
    }
}

fn link_state(i: &Interface) -> String {
    format!(
        "{} ({}{})",
        i.name,
        i.oper_state,
        if i.admin_up { "" } else { ", admin down" }
    )
}

fn is_up(i: &Interface) -> bool {
    i.admin_up && matches!(i.oper_state.as_str(), "up" | "unknown")
}

/// The route lookup of a locally sent packet in a namespace (the pod's own routing).
pub fn route_hop(at: &str, inode: u64, f: &NodeFacts, l: &FibLookup) -> Hop {
    let step = fib_command(l);
    match &l.result {
        Ok(a) if a.kind == "unicast" || a.kind == "local" => Hop {
            at: at.into(),
            netns_inode: Some(inode),
            step,
            detail: fib_outcome(l),
            status: HopStatus::Ok,
            reason: None,
        },
        Ok(a) => Hop {
            at: at.into(),
            netns_inode: Some(inode),
            step,
            detail: fib_outcome(l),
            status: HopStatus::Blocked,
            reason: Some(format!("the route is {}", a.kind)),
        },
        Err(_) => Hop {
            at: at.into(),
            netns_inode: Some(inode),
            step,
            detail: fib_outcome(l),
            status: HopStatus::Blocked,
            reason: Some(lookup_failure(f, l)),
        },
    }
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
    Some(Hop {
        at: at.into(),
        netns_inode: Some(inode),
        step: format!("neighbour {next} on {}", dev.name),
        detail: format!(
            "lladdr {} ({})",
            n.mac.as_deref().unwrap_or("none"),
            n.state
        ),
        status: if failed {
            HopStatus::Blocked
        } else {
            HopStatus::Ok
        },
        reason: failed.then(|| format!("{next} does not answer ARP on {} ({})", dev.name, n.state)),
    })
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
        return Hop {
            at: at.into(),
            netns_inode: Some(inode),
            step: format!("{} ({})", from.name, from.kind),
            detail: format!("{}; {}", link_state(from), counters(from.stats)),
            status: HopStatus::Unknown,
            reason: Some(format!(
                "{} is a {} interface: podnet cannot follow it to the node",
                from.name, from.kind
            )),
        };
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
    let reason = if !down.is_empty() {
        Some(format!("{} down", down.join(" and ")))
    } else {
        match (size, narrow) {
            (Some(size), Some((i, m))) if size > m => Some(format!(
                "a {size}-byte packet (a full-size one, as TCP sends) is larger than {}'s MTU {m}: the veth drops it silently; packets up to {m} bytes pass",
                i.name
            )),
            _ => None,
        }
    };
    Hop {
        at: at.into(),
        netns_inode: Some(inode),
        step: format!("veth {} → {} ({peer_where})", from.name, peer.name),
        detail,
        status: if reason.is_none() {
            HopStatus::Ok
        } else {
            HopStatus::Blocked
        },
        reason,
    }
}

/// A node forwarding the packet: its FIB lookup with the ingress interface,
/// then its FORWARD chains.
pub fn forward_hop(
    at: &str,
    inode: u64,
    f: &NodeFacts,
    l: &FibLookup,
    packet: Option<&Packet>,
) -> Hop {
    let mut hop = route_hop(at, inode, f, l);
    if hop.status != HopStatus::Ok {
        return hop;
    }
    if let Some(p) = packet {
        for c in forward_chains(&f.chains, p.src.is_ipv6()) {
            if let Fate::Dropped(at_rule) = walk(&f.chains, c, p, 0) {
                hop.status = HopStatus::Blocked;
                hop.reason = Some(format!("dropped by {at_rule}"));
                return hop;
            }
        }
        hop.detail.push_str("; FORWARD accepts it");
    }
    hop
}

/// A node that has no route to a pod attached to it by a veth that is
/// down: the route through the veth went with the link (ptp / Calico-style
/// pods have a host route per pod), so the veth is what to fix.
pub fn explain_missing_pod_route(hop: &mut Hop, l: &FibLookup, host_end: &Interface) {
    if hop.status == HopStatus::Blocked && l.errno == Some(libc::ENETUNREACH) && !is_up(host_end) {
        hop.reason = Some(format!(
            "no route to {}: the pod's host veth {} is down{}, and its route went with it",
            l.dst,
            host_end.name,
            if host_end.admin_up {
                ""
            } else {
                " (admin down)"
            }
        ));
    }
}

/// A VXLAN device's next hop: neighbour → MAC → FDB → remote VTEP.
pub fn vxlan_hop(
    at: &str,
    inode: u64,
    f: &NodeFacts,
    dev: &Interface,
    gateway: Option<IpAddr>,
) -> (Hop, Option<IpAddr>) {
    let step = format!("vxlan {}", dev.name);
    let mk = |detail: String, status, reason: Option<String>| Hop {
        at: at.into(),
        netns_inode: Some(inode),
        step: step.clone(),
        detail,
        status,
        reason,
    };
    if !is_up(dev) {
        return (
            mk(
                link_state(dev),
                HopStatus::Blocked,
                Some(format!("{} is down", dev.name)),
            ),
            None,
        );
    }
    let Some(gw) = gateway else {
        return (
            mk(
                "no gateway: the route sends the packet into the tunnel without a next hop".into(),
                HopStatus::Blocked,
                Some("no overlay next hop".into()),
            ),
            None,
        );
    };
    let Some(n) = f
        .neighbours
        .iter()
        .find(|n| n.ifindex == dev.ifindex && n.ip == gw)
    else {
        return (
            mk(
                format!("no neighbour entry for {gw}"),
                HopStatus::Blocked,
                Some(format!("no neighbour entry for {gw} on {}", dev.name)),
            ),
            None,
        );
    };
    let Some(mac) = n.mac.clone() else {
        return (
            mk(
                format!("neighbour {gw} is {}", n.state),
                HopStatus::Blocked,
                Some(format!("neighbour {gw} has no address ({})", n.state)),
            ),
            None,
        );
    };
    match f
        .fdb
        .iter()
        .find(|e| e.ifindex == dev.ifindex && e.mac == mac)
        .and_then(|e| e.dst)
    {
        Some(vtep) => (
            mk(
                format!(
                    "{gw} → {mac} ({}) → fdb dst {vtep}; {}",
                    n.state,
                    counters(dev.stats)
                ),
                HopStatus::Ok,
                None,
            ),
            Some(vtep),
        ),
        None => (
            mk(
                format!(
                    "{gw} → {mac} ({}), no fdb entry for {mac}; {}",
                    n.state,
                    counters(dev.stats)
                ),
                HopStatus::Blocked,
                Some(format!(
                    "no FDB entry for {mac} on {}: the packet has no VTEP to go to",
                    dev.name
                )),
            ),
            None,
        ),
    }
}

/// Arrival in the destination pod.
pub fn delivery_hop(label: &str, inode: u64, i: Option<&Interface>) -> Hop {
    match i {
        Some(i) => Hop {
            at: format!("pod {label}"),
            netns_inode: Some(inode),
            step: format!("delivered on {}", i.name),
            detail: format!("{}; {}", link_state(i), counters(i.stats)),
            status: if is_up(i) {
                HopStatus::Ok
            } else {
                HopStatus::Blocked
            },
            reason: (!is_up(i)).then(|| format!("{} is down", i.name)),
        },
        None => Hop {
            at: format!("pod {label}"),
            netns_inode: Some(inode),
            step: "delivered".into(),
            detail: "the destination address is on this pod".into(),
            status: HopStatus::Ok,
            reason: None,
        },
    }
}

/// The interface holding an address in a namespace's facts.
pub fn owner_of(f: &NodeFacts, ip: IpAddr) -> Option<&Interface> {
    f.interfaces.iter().find(|i| {
        i.addresses
            .iter()
            .any(|a| a.split('/').next() == Some(ip.to_string().as_str()))
    })
}

/// The interface a lookup answer leaves by.
pub fn out_dev<'a>(f: &'a NodeFacts, l: &FibLookup) -> Option<&'a Interface> {
    let name = l.result.as_ref().ok()?.oif.as_deref()?;
    f.interfaces.iter().find(|i| i.name == name)
}

/// The one-line verdict for a list of hops.
pub fn verdict(hops: &[Hop]) -> String {
    match hops.iter().position(|h| h.status != HopStatus::Ok) {
        None => "delivered".into(),
        Some(i) if hops[i].status == HopStatus::Blocked => {
            format!(
                "blocked at hop {}: {}",
                i + 1,
                hops[i].reason.clone().unwrap_or_default()
            )
        }
        Some(i) => format!(
            "leaves what podnet can see at hop {}: {}",
            i + 1,
            hops[i].reason.clone().unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(name: &str, mtu: u32, admin_up: bool) -> Interface {
        Interface {
            name: name.into(),
            ifindex: 2,
            kind: "veth".into(),
            mtu: Some(mtu),
            oper_state: if admin_up { "up" } else { "down" }.into(),
            admin_up,
            ..Default::default()
        }
    }

    #[test]
    fn a_pod_mtu_above_its_host_veth_blocks_full_size_packets() {
        let (eth0, host) = (link("eth0", 1500, true), link("pnet1", 1450, true));
        let h = veth_hop("pod a", 1, &eth0, Some((&host, "node")), Some(1500));
        assert_eq!(h.status, HopStatus::Blocked, "{h:?}");
        let reason = h.reason.unwrap();
        assert!(
            reason.contains("1500-byte packet") && reason.contains("pnet1's MTU 1450"),
            "{reason}"
        );
        // the same link carries what fits
        let h = veth_hop("pod a", 1, &eth0, Some((&host, "node")), Some(1450));
        assert_eq!(h.status, HopStatus::Ok, "{h:?}");
        // no size known: only the link states count
        let h = veth_hop("pod a", 1, &eth0, Some((&host, "node")), None);
        assert_eq!(h.status, HopStatus::Ok, "{h:?}");
    }

    #[test]
    fn a_missing_route_to_a_pod_behind_a_down_veth_names_the_veth() {
        let l = FibLookup {
            dst: "10.244.3.3".parse().unwrap(),
            src: Some("10.244.1.2".parse().unwrap()),
            iif: Some("eth0".into()),
            result: Err("Network is unreachable (os error 101)".into()),
            errno: Some(libc::ENETUNREACH),
        };
        let mut hop = route_hop("node", 1, &NodeFacts::default(), &l);
        assert_eq!(hop.reason.as_deref(), Some("no route to 10.244.3.3"));
        explain_missing_pod_route(&mut hop, &l, &link("cali1", 1500, true));
        assert_eq!(hop.reason.as_deref(), Some("no route to 10.244.3.3"));
        explain_missing_pod_route(&mut hop, &l, &link("cali1", 1500, false));
        assert_eq!(
            hop.reason.as_deref(),
            Some(
                "no route to 10.244.3.3: the pod's host veth cali1 is down (admin down), and its route went with it"
            )
        );
    }

    #[test]
    fn into_a_pod_the_narrower_end_counts_and_down_wins() {
        // node → pod: a bridge port (host veth) narrower than the packet drops it too
        let (host, eth0) = (link("pnet1", 1400, true), link("eth0", 1450, true));
        let h = veth_hop("node", 1, &host, Some((&eth0, "pod b")), Some(1450));
        assert!(
            h.reason
                .as_deref()
                .is_some_and(|r| r.contains("pnet1's MTU 1400")),
            "{h:?}"
        );
        let down = link("pnet1", 1450, false);
        let h = veth_hop("node", 1, &down, Some((&eth0, "pod b")), Some(1450));
        assert_eq!(h.status, HopStatus::Blocked);
        assert!(
            h.reason
                .as_deref()
                .is_some_and(|r| r.contains("pnet1 (down, admin down)")),
            "{h:?}"
        );
    }
}
