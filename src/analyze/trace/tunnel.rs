//! Trace hops of an encapsulated packet: a down tunnel device, a VXLAN
//! device's neighbour → MAC → FDB → VTEP chain, the remote VTEP's MAC, the
//! underlay's MTU and members. No I/O.

use std::net::IpAddr;

use crate::analyze::fib_explain;
use crate::model::doctor::{FibLookup, NodeFacts};
use crate::model::trace::{Cause, Hop, HopStatus};
use crate::model::{Interface, LinkKind, Netns};

use super::hop::{blocked, counters, hop, is_up, link_state};

/// Device kinds that tunnel pod traffic to another node.
const TUNNEL_KINDS: &[LinkKind] = &[
    LinkKind::Vxlan,
    LinkKind::Geneve,
    LinkKind::Ipip,
    LinkKind::Gre,
    LinkKind::Gretap,
    LinkKind::Sit,
    LinkKind::Ip6tnl,
    LinkKind::Wireguard,
];

fn is_tunnel(f: &NodeFacts, i: &Interface) -> bool {
    let external = f
        .vxlans
        .iter()
        .any(|v| v.ifindex == i.ifindex && v.vni.is_none());
    TUNNEL_KINDS.contains(&i.kind) && !external
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
            .find(|i| i.kind == LinkKind::Vxlan && i.holds(gw))
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
        .map(|n| n.trunc())
        .filter(|n| n.contains(&vtep))
        .collect();
    nss.iter()
        .filter(|n| n.inode != node.inode)
        .filter(|n| {
            n.interfaces
                .iter()
                .flat_map(Interface::ips)
                .any(|ip| nets.iter().any(|net| net.contains(&ip)))
        })
        .collect()
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
