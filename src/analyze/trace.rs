//! `podnet trace`'s judgements: turns what each namespace on the path says
//! (route and FIB lookups explained by `fib_explain`, links, neighbours,
//! FDB, the netfilter hooks of `netfilter_path`) into hops, each blocked
//! one with a stable cause code, and says why a packet dies where it dies.
//! No I/O.

use std::net::IpAddr;

use crate::model::doctor::{FibLookup, NodeFacts};
use crate::model::trace::{Blocked, Cause, Direction, Hop, HopStatus};
use crate::model::{Interface, Netns, netns::LinkStats};

use super::doctor::{fib_command, fib_outcome};
use super::fib_explain;
use super::netfilter_path::{Fate, Packet, PathKind, judge};

/// A hop with no index yet (numbered when the report is assembled).
pub fn hop(
    at: &str,
    inode: u64,
    step: String,
    detail: String,
    blocked: Option<(HopStatus, Cause, String)>,
) -> Hop {
    let (status, cause, reason) = match blocked {
        Some((s, c, r)) => (s, Some(c), Some(r)),
        None => (HopStatus::Ok, None, None),
    };
    Hop {
        index: 0,
        direction: Direction::Request,
        at: at.into(),
        netns_inode: Some(inode),
        step,
        detail,
        status,
        reason,
        cause,
    }
}

fn blocked(cause: Cause, reason: String) -> Option<(HopStatus, Cause, String)> {
    Some((HopStatus::Blocked, cause, reason))
}

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

/// Device kinds that tunnel pod traffic to another node.
const TUNNEL_KINDS: &[&str] = &[
    "vxlan",
    "geneve",
    "ipip",
    "gre",
    "gretap",
    "sit",
    "ip6tnl",
    "wireguard",
];

fn is_tunnel(f: &NodeFacts, i: &Interface) -> bool {
    let external = f
        .vxlans
        .iter()
        .any(|v| v.ifindex == i.ifindex && v.vni.is_none());
    TUNNEL_KINDS.contains(&i.kind.as_str()) && !external
}

/// Why a down tunnel device is the one that would carry the packet.
fn tunnel_evidence(f: &NodeFacts, dev: &Interface, far: &[IpAddr], only: bool) -> Option<String> {
    if let Some(e) = f
        .fdb
        .iter()
        .find(|e| e.ifindex == dev.ifindex && e.dst.is_some_and(|d| far.contains(&d)))
    {
        let dst = e.dst.map(|d| d.to_string()).unwrap_or_default();
        return Some(format!(
            "its FDB entry {} dst {dst} leads to the destination's node",
            e.mac
        ));
    }
    if let Some(n) = f
        .neighbours
        .iter()
        .find(|n| n.ifindex == dev.ifindex && far.contains(&n.ip))
    {
        return Some(format!(
            "its neighbour {} is the destination node's VTEP",
            n.ip
        ));
    }
    only.then(|| "it is the node's only tunnel device".into())
}

/// A tunnel device of this node that is down and would carry the packet
/// to `l.dst`. Taking a device down removes the routes through it, so the
/// lookup fails (or falls to a default route) and the missing route or the
/// default's neighbour would be blamed: the down device is the cause. `far`:
/// the addresses of the node that holds the destination, when it is
/// another namespace on this machine (its VTEP and underlay addresses).
/// `None` when a specific route answers the lookup (the tunnel is not on
/// this packet's way) or no down tunnel is tied to the destination.
pub fn down_tunnel_hop(
    at: &str,
    inode: u64,
    f: &NodeFacts,
    l: &FibLookup,
    far: &[IpAddr],
) -> Option<Hop> {
    let flow = fib_explain::Flow {
        src: l.src,
        dst: l.dst,
        iif: l.iif.as_deref().unwrap_or("lo"),
        fwmark: 0,
    };
    let failed = match fib_explain::select(f, &flow) {
        fib_explain::Selection::Route { route, .. }
            if route.dst.is_some_and(|d| d.prefix_len() > 0) =>
        {
            return None;
        }
        fib_explain::Selection::Route { .. } => l.result.is_err(),
        _ => true,
    };
    if l.result.as_ref().is_ok_and(|a| a.kind == "local") {
        return None;
    }
    let tunnels: Vec<&Interface> = f.interfaces.iter().filter(|i| is_tunnel(f, i)).collect();
    let only = tunnels.len() == 1 && (failed || !far.is_empty());
    let (dev, why) = tunnels
        .iter()
        .filter(|i| !is_up(i))
        .find_map(|i| Some((*i, tunnel_evidence(f, i, far, only)?)))?;
    Some(hop(
        at,
        inode,
        format!("tunnel {}", dev.name),
        link_state(dev),
        blocked(
            Cause::LinkDown,
            format!(
                "the tunnel {} is down ({why}): the kernel removed the routes through it, so {} has no way into the tunnel",
                link_state(dev),
                l.dst
            ),
        ),
    ))
}

/// A hop's detail and, when it stops the packet, its status, cause and reason.
type Judged = (String, Option<(HopStatus, Cause, String)>);

/// A VXLAN device's next hop: neighbour → MAC → FDB → remote VTEP. A
/// collect-metadata (external) device is steered by eBPF or by routes with
/// tunnel keys podnet cannot read: unknown, cause `ebpf`.
pub fn vxlan_hop(
    at: &str,
    inode: u64,
    f: &NodeFacts,
    dev: &Interface,
    gateway: Option<IpAddr>,
) -> (Hop, Option<(IpAddr, String)>) {
    let step = format!("vxlan {}", dev.name);
    let judged = vxlan_unusable(f, dev).map(Err).unwrap_or_else(|| {
        let gw = gateway.ok_or_else(|| {
            (
                "no gateway: the route sends the packet into the tunnel without a next hop".into(),
                blocked(
                    Cause::VxlanNeighbourMissing,
                    format!("no overlay next hop on {}", dev.name),
                ),
            )
        })?;
        let (mac, state) = overlay_neighbour(f, dev, gw)?;
        vxlan_fdb(f, dev, gw, mac, state)
    });
    match judged {
        Ok(((detail, fault), next)) => (hop(at, inode, step, detail, fault), Some(next)),
        Err((detail, fault)) => (hop(at, inode, step, detail, fault), None),
    }
}

/// A tunnel device podnet cannot follow: down, or collect-metadata.
fn vxlan_unusable(f: &NodeFacts, dev: &Interface) -> Option<Judged> {
    if !is_up(dev) {
        return Some((
            link_state(dev),
            blocked(Cause::LinkDown, format!("{} is down", dev.name)),
        ));
    }
    let external = f
        .vxlans
        .iter()
        .find(|v| v.ifindex == dev.ifindex)
        .is_some_and(|v| v.vni.is_none());
    external.then(|| {
        (
            format!("{} is a collect-metadata (external) VXLAN device", dev.name),
            Some((
                HopStatus::Unknown,
                Cause::Ebpf,
                format!(
                    "{} takes its tunnel keys from eBPF or lightweight tunnel routes podnet cannot read",
                    dev.name
                ),
            )),
        )
    })
}

/// The overlay neighbour of `gw` on `dev`: its MAC and state.
fn overlay_neighbour<'f>(
    f: &'f NodeFacts,
    dev: &Interface,
    gw: IpAddr,
) -> Result<(String, &'f str), Judged> {
    let Some(n) = f
        .neighbours
        .iter()
        .find(|n| n.ifindex == dev.ifindex && n.ip == gw)
    else {
        return Err((
            format!("no neighbour entry for {gw}"),
            blocked(
                Cause::VxlanNeighbourMissing,
                format!(
                    "no neighbour entry for {gw} on {}: the overlay next hop has no MAC",
                    dev.name
                ),
            ),
        ));
    };
    match n
        .mac
        .clone()
        .filter(|_| !matches!(n.state.as_str(), "failed" | "incomplete"))
    {
        Some(mac) => Ok((mac, n.state.as_str())),
        None => Err((
            format!("neighbour {gw} is {}", n.state),
            blocked(
                Cause::VxlanNeighbourMissing,
                format!(
                    "neighbour {gw} on {} has no address ({})",
                    dev.name, n.state
                ),
            ),
        )),
    }
}

/// The FDB entry of the neighbour's MAC: the remote VTEP it sends to.
fn vxlan_fdb(
    f: &NodeFacts,
    dev: &Interface,
    gw: IpAddr,
    mac: String,
    state: &str,
) -> Result<(Judged, (IpAddr, String)), Judged> {
    let vtep = f
        .fdb
        .iter()
        .find(|e| e.ifindex == dev.ifindex && e.mac.eq_ignore_ascii_case(&mac))
        .and_then(|e| e.dst);
    match vtep {
        Some(vtep) => Ok((
            (
                format!(
                    "{gw} → {mac} ({state}) → fdb dst {vtep}; {}",
                    counters(dev.stats)
                ),
                None,
            ),
            (vtep, mac),
        )),
        None => Err((
            format!(
                "{gw} → {mac} ({state}), no fdb entry for {mac}; {}",
                counters(dev.stats)
            ),
            blocked(
                Cause::FdbMissing,
                format!(
                    "no FDB entry for {mac} on {}: the packet has no VTEP to go to",
                    dev.name
                ),
            ),
        )),
    }
}

/// The remote VTEP device found on this machine, checked against the
/// neighbour's MAC (a restarted flannel gets a new one).
pub fn vtep_mac_hop(
    at: &str,
    inode: u64,
    neighbour_mac: &str,
    remote: &Interface,
    remote_at: &str,
) -> Hop {
    let remote_mac = remote.mac.as_deref().unwrap_or("none");
    let fault = (!remote_mac.eq_ignore_ascii_case(neighbour_mac)).then(|| {
        (
            HopStatus::Blocked,
            Cause::VtepMacMismatch,
            format!(
                "the overlay neighbour's MAC {neighbour_mac} is not {remote_at}'s {} MAC {remote_mac}: the remote VTEP drops the frames",
                remote.name
            ),
        )
    });
    hop(
        at,
        inode,
        format!("remote VTEP {} ({remote_at})", remote.name),
        format!(
            "{} has MAC {remote_mac}; the neighbour says {neighbour_mac}",
            remote.name
        ),
        fault,
    )
}

/// The underlay leg of an encapsulated packet: its device must be up and
/// carry `inner + overhead` bytes.
pub fn underlay_mtu_hop(
    at: &str,
    inode: u64,
    udev: &Interface,
    inner: Option<u32>,
    overhead: u32,
) -> Option<Hop> {
    let (inner, mtu) = (inner?, udev.mtu?);
    let outer = inner + overhead;
    (outer > mtu).then(|| {
        hop(
            at,
            inode,
            format!("underlay {}", udev.name),
            format!("MTU {mtu}; encapsulated size {outer} ({inner} + {overhead})"),
            blocked(
                Cause::Mtu,
                format!(
                    "a {inner}-byte packet is {outer} bytes once encapsulated, larger than the underlay {}'s MTU {mtu}",
                    udev.name
                ),
            ),
        )
    })
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
        (_, Some(o)) if o.kind == "bridge" => Some((
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

/// The MAC a node's neighbour entry gives an overlay gateway.
pub fn neighbour_mac_of(f: &NodeFacts, dev: &Interface, gw: IpAddr) -> Option<String> {
    f.neighbours
        .iter()
        .find(|n| n.ifindex == dev.ifindex && n.ip == gw)
        .and_then(|n| n.mac.clone())
}

/// The namespace on this machine (other than `node`) whose VXLAN device holds `gw`.
pub fn vxlan_owner<'a>(
    nss: &'a [Netns],
    node: &Netns,
    gw: IpAddr,
) -> Option<(&'a Netns, &'a Interface)> {
    nss.iter().filter(|n| n.inode != node.inode).find_map(|n| {
        n.interfaces
            .iter()
            .find(|i| i.kind == "vxlan" && i.holds(gw))
            .map(|i| (n, i))
    })
}

/// The other namespaces on this machine with an address in the subnet of
/// `udev` that holds `vtep`: the underlay segment's members podnet can see.
pub fn underlay_peers<'a>(
    nss: &'a [Netns],
    node: &Netns,
    udev: &Interface,
    vtep: IpAddr,
) -> Vec<&'a Netns> {
    let nets: Vec<ipnet::IpNet> = udev
        .addresses
        .iter()
        .filter_map(|a| a.parse::<ipnet::IpNet>().ok())
        .map(|n| n.trunc())
        .filter(|n| n.contains(&vtep))
        .collect();
    nss.iter()
        .filter(|n| n.inode != node.inode)
        .filter(|n| {
            n.interfaces.iter().flat_map(|i| &i.addresses).any(|a| {
                a.split('/')
                    .next()
                    .and_then(|ip| ip.parse::<IpAddr>().ok())
                    .is_some_and(|ip| nets.iter().any(|net| net.contains(&ip)))
            })
        })
        .collect()
}

/// A namespace's addresses on interfaces other than loopback.
pub fn addresses(n: &Netns) -> Vec<IpAddr> {
    n.interfaces
        .iter()
        .filter(|i| i.kind != "loopback")
        .flat_map(Interface::ips)
        .collect()
}

/// Whether a namespace holds `ip` on an interface other than loopback.
pub fn has_address(n: &Netns, ip: IpAddr) -> bool {
    n.interfaces
        .iter()
        .any(|i| i.kind != "loopback" && i.holds(ip))
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
    (out.kind == "bridge" && host_veth.master_ifindex != Some(out.ifindex)).then(|| {
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

/// An FDB dst that none of the underlay segment's members on this machine
/// (`peers`, as shown) holds: not a VTEP.
pub fn fdb_wrong_dst_hop(
    at: &str,
    inode: u64,
    tunnel: &Interface,
    underlay: &Interface,
    mac: &str,
    vtep: IpAddr,
    peers: &[String],
) -> Hop {
    let peer = peers.join(", ");
    hop(
        at,
        inode,
        format!("FDB dst {vtep}"),
        format!("{} leads to {peer}", underlay.name),
        blocked(
            Cause::FdbWrongDst,
            format!(
                "the FDB entry for {mac} on {} points at {vtep}, which no namespace on the underlay ({peer}) holds: not a VTEP",
                tunnel.name
            ),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Route;
    use crate::model::doctor::{FdbEntry, FibAnswer, Neighbour, VxlanInfo};

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
        assert_eq!(
            (h.status, h.cause),
            (HopStatus::Blocked, Some(Cause::Mtu)),
            "{h:?}"
        );
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
    fn a_down_link_blocks_before_anything_else_and_underlay_mtu_counts_the_overhead() {
        let (up, down) = (link("pnet1", 1500, true), link("flannel.1", 1450, false));
        let h = links_hop("node", 1, &[&up, &down]).unwrap();
        assert_eq!(
            (h.status, h.cause),
            (HopStatus::Blocked, Some(Cause::LinkDown))
        );
        assert!(links_hop("node", 1, &[&up]).is_none());
        let eth0 = link("eth0", 1450, true);
        let h = underlay_mtu_hop("node", 1, &eth0, Some(1450), 50).unwrap();
        assert_eq!(h.cause, Some(Cause::Mtu));
        assert!(h.reason.unwrap().contains("1500 bytes once encapsulated"));
        assert!(underlay_mtu_hop("node", 1, &eth0, Some(1400), 50).is_none());
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
    #[test]
    fn who_answers_arp_for_the_pods_gateway() {
        let gw: IpAddr = "10.244.1.1".parse().unwrap();
        let mut cni0 = link("cni0", 1450, true);
        cni0.ifindex = 3;
        cni0.kind = "bridge".into();
        cni0.addresses = vec!["10.244.1.1/24".into()];
        let mut port = link("veth1", 1450, true);
        port.ifindex = 4;
        port.master_ifindex = Some(3);
        let f = NodeFacts {
            interfaces: vec![cni0.clone(), port.clone()],
            ..Default::default()
        };
        // a port of the bridge holding the gateway: fine
        assert!(gateway_hop("node", 1, &f, &port, gw).is_none());
        // detached from it: veth-detached, naming both
        let mut loose = port.clone();
        loose.master_ifindex = None;
        let h = gateway_hop("node", 1, &f, &loose, gw).unwrap();
        assert_eq!(h.cause, Some(Cause::VethDetached), "{h:?}");
        assert!(h.reason.unwrap().contains("cni0"));
        // Calico-style: no bridge, 169.254.1.1 answered only by proxy ARP
        let calico_gw: IpAddr = "169.254.1.1".parse().unwrap();
        let mut cali = link("cali0123456789a", 1500, true);
        cali.ifindex = 5;
        let mut f = NodeFacts {
            interfaces: vec![cali.clone()],
            ..Default::default()
        };
        f.sysctls
            .insert("net/ipv4/conf/cali0123456789a/proxy_arp".into(), "1".into());
        assert!(gateway_hop("node", 1, &f, &cali, calico_gw).is_none());
        f.sysctls
            .insert("net/ipv4/conf/cali0123456789a/proxy_arp".into(), "0".into());
        let h = gateway_hop("node", 1, &f, &cali, calico_gw).unwrap();
        assert_eq!(h.cause, Some(Cause::ProxyArpOff), "{h:?}");
        // a route to a pod out of a bridge its veth is not a port of
        let dst: IpAddr = "10.244.1.5".parse().unwrap();
        assert!(bridge_port_hop("node", 1, &cni0, &port, dst).is_none());
        let h = bridge_port_hop("node", 1, &cni0, &loose, dst).unwrap();
        assert_eq!(h.cause, Some(Cause::VethDetached));
    }

    fn lookup(dst: &str, result: Result<FibAnswer, i32>) -> FibLookup {
        FibLookup {
            dst: dst.parse().unwrap(),
            src: Some("10.244.1.5".parse().unwrap()),
            iif: Some("cni0".into()),
            errno: result.as_ref().err().copied(),
            result: result.map_err(|e| std::io::Error::from_raw_os_error(e).to_string()),
        }
    }

    fn route(dst: Option<&str>, oif: u32) -> Route {
        Route {
            dst: dst.map(|d| d.parse().unwrap()),
            gateway: None,
            oif: Some(oif),
            table: crate::model::route::RT_TABLE_MAIN,
            kind: "unicast".into(),
            scope: "universe".into(),
            prefsrc: None,
            metric: None,
            onlink: false,
            ipv6: false,
        }
    }

    /// A flannel-style node whose flannel.1 (ifindex 4) is down: its route
    /// to 10.244.2.0/24 went with it; the permanent FDB entry stays.
    fn tunnel_down_node() -> NodeFacts {
        let mut eth0 = link("eth0", 1500, true);
        let mut cni0 = link("cni0", 1450, true);
        let mut fl = link("flannel.1", 1450, false);
        (eth0.ifindex, cni0.ifindex, fl.ifindex) = (2, 3, 4);
        (cni0.kind, fl.kind) = ("bridge".into(), "vxlan".into());
        NodeFacts {
            interfaces: vec![eth0, cni0, fl],
            routes: vec![
                route(Some("10.244.1.0/24"), 3),
                route(Some("192.168.0.0/24"), 2),
            ],
            fdb: vec![FdbEntry {
                ifindex: 4,
                mac: "0e:00:00:00:00:02".into(),
                dst: Some("192.168.0.2".parse().unwrap()),
            }],
            vxlans: vec![VxlanInfo {
                ifindex: 4,
                vni: Some(1),
                local: None,
                link: Some(2),
                port: Some(8472),
                learning: Some(false),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_down_tunnel_is_the_cause_not_the_route_it_took_with_it() {
        let f = tunnel_down_node();
        let far: Vec<IpAddr> = vec![
            "192.168.0.2".parse().unwrap(),
            "10.244.2.0".parse().unwrap(),
        ];
        // no route left: the lookup fails, and the down tunnel is named
        let l = lookup("10.244.2.2", Err(libc::ENETUNREACH));
        let h = down_tunnel_hop("node1", 1, &f, &l, &far).unwrap();
        assert_eq!(
            (h.status, h.cause),
            (HopStatus::Blocked, Some(Cause::LinkDown)),
            "{h:?}"
        );
        let reason = h.reason.unwrap();
        assert!(
            reason.contains("flannel.1") && reason.contains("192.168.0.2"),
            "{reason}"
        );
        // the destination not on this machine: the node's only tunnel still explains a failed lookup
        assert!(down_tunnel_hop("node1", 1, &f, &l, &[]).is_some());
        // Calico-style: the lookup falls to a default route out of another link
        let mut g = f.clone();
        g.routes.push(route(None, 2));
        let via_default = lookup(
            "10.244.2.2",
            Ok(FibAnswer {
                oif: Some("eth0".into()),
                gateway: Some("192.168.0.254".parse().unwrap()),
                kind: "unicast".into(),
            }),
        );
        let h = down_tunnel_hop("node1", 1, &g, &via_default, &far).unwrap();
        assert_eq!(h.cause, Some(Cause::LinkDown));
        // ... but to something off-machine the default route is the way: no verdict
        assert!(down_tunnel_hop("node1", 1, &g, &via_default, &[]).is_none());
        // a specific route answers (host-gw style): the tunnel is not on the way
        let mut g = f.clone();
        g.routes.push(route(Some("10.244.2.0/24"), 2));
        assert!(down_tunnel_hop("node1", 1, &g, &l, &far).is_none());
        // the tunnel up: nothing to say here (the lookup's own cause stands)
        let mut g = f.clone();
        g.interfaces[2] = Interface {
            admin_up: true,
            oper_state: "unknown".into(),
            ..g.interfaces[2].clone()
        };
        assert!(down_tunnel_hop("node1", 1, &g, &l, &far).is_none());
        // a second, unrelated down tunnel with nothing tying it to the destination
        let mut g = f.clone();
        g.fdb.clear();
        let mut other = link("vxlan.other", 1450, false);
        (other.ifindex, other.kind) = (9, "vxlan".into());
        g.interfaces.push(other);
        assert!(down_tunnel_hop("node1", 1, &g, &l, &far).is_none());
        // a collect-metadata (external) device is not judged
        let mut g = f.clone();
        g.vxlans[0].vni = None;
        assert!(down_tunnel_hop("node1", 1, &g, &l, &far).is_none());
    }

    #[test]
    fn proxy_arp_off_wins_over_the_pods_failed_arp_for_its_gateway() {
        // Calico: the pod's 169.254.1.1 is on no subnet of the node; its ARP for it is incomplete
        let gw: IpAddr = "169.254.1.1".parse().unwrap();
        let mut eth0 = link("eth0", 1500, true);
        eth0.ifindex = 3;
        let pod = NodeFacts {
            interfaces: vec![eth0.clone()],
            neighbours: vec![Neighbour {
                ifindex: 3,
                ip: gw,
                mac: None,
                state: "incomplete".into(),
            }],
            ..Default::default()
        };
        let mut cali = link("cali0123456789a", 1500, true);
        cali.ifindex = 5;
        let mut node = NodeFacts {
            interfaces: vec![cali.clone()],
            ..Default::default()
        };
        node.sysctls
            .insert("net/ipv4/conf/cali0123456789a/proxy_arp".into(), "0".into());
        let exit = PodExit {
            at: "pod a",
            inode: 7,
            facts: &pod,
            dev: &eth0,
            next: gw,
            gateway: Some(gw),
        };
        let h = pod_exit_hop(&exit, &node, Some(&cali)).unwrap();
        assert_eq!(
            (h.cause, h.netns_inode),
            (Some(Cause::ProxyArpOff), Some(7)),
            "{h:?}"
        );
        assert!(h.reason.unwrap().contains("cali0123456789a"));
        // proxy_arp on: the failed entry is what is left to blame
        node.sysctls
            .insert("net/ipv4/conf/cali0123456789a/proxy_arp".into(), "1".into());
        let h = pod_exit_hop(&exit, &node, Some(&cali)).unwrap();
        assert_eq!(h.cause, Some(Cause::NeighbourFailed), "{h:?}");
    }
}
