//! `podnet trace <pod> <destination[:port]>`: the path a packet from a pod
//! would take, hop by hop across namespaces, and the reply's way back when
//! the destination is a pod on this machine, computed from kernel state (no
//! packet is sent), with the first hop that cannot forward marked;
//! `--verify` then probes the flow while watching the kernel's drops.

use std::io::Write;
use std::net::IpAddr;

use crate::analyze::doctor::FibQuery;
use crate::analyze::netfilter_path::{Packet, Proto};
use crate::analyze::probe::Mode;
use crate::analyze::{resolve, trace, trace_verify, veth};
use crate::cli::{TraceArgs, TraceProto};
use crate::error::{Error, Outcome, Result};
use crate::model::doctor::NodeFacts;
use crate::model::trace::{Agreement, Cause, Direction, Hop, HopStatus, TraceReport, Verification};
use crate::model::{Netns, PairStatus};
use crate::render;

use super::drops::Watch;
use super::inventory::{self, ScanOptions, VisitWants};
use super::node_facts::{lookup, read_with_lookups, visit};
use super::{Ctx, probe};

/// How many namespaces a path may cross before podnet stops following it.
const MAX_NODES: usize = 6;

/// `10.244.2.5`, `10.244.2.5:8080`, `[fd00::5]:80`.
pub fn parse_destination(s: &str) -> Result<(IpAddr, Option<u16>)> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok((ip, None));
    }
    if let Ok(sa) = s.parse::<std::net::SocketAddr>() {
        return Ok((sa.ip(), Some(sa.port())));
    }
    Err(Error::Usage(format!(
        "{s:?} is not an IP address or IP:port"
    )))
}

/// VXLAN over IPv4 adds 50 bytes (outer IP 20, UDP 8, VXLAN 8, Ethernet 14).
const VXLAN_OVERHEAD: u32 = 50;

/// The protocol and ports of one direction's packet.
#[derive(Debug, Clone, Copy)]
struct Leg {
    proto: Proto,
    sport: Option<u16>,
    dport: Option<u16>,
    reply: bool,
}

impl Leg {
    fn packet(&self, src: IpAddr, dst: IpAddr, iif: &str, oif: &str) -> Packet {
        Packet {
            src,
            dst,
            iif: iif.into(),
            oif: oif.into(),
            proto: self.proto,
            sport: self.sport,
            dport: self.dport,
            reply: self.reply,
        }
    }
}

pub fn run(ctx: &Ctx, args: &TraceArgs, out: &mut dyn Write) -> Result<Outcome> {
    let (port, proto) = flow_of(args)?;
    // before the scan starts threads: watching may mount tracefs privately
    let mut watch = if args.verify {
        verify_mode(proto, port)?;
        Some(Watch::start(ctx)?)
    } else {
        None
    };
    let mut inv = inventory::scan(
        ctx,
        "trace",
        &ScanOptions {
            deep: false,
            visit: VisitWants {
                stats: true,
                ..VisitWants::PAIRING
            },
        },
    )?;
    let nss = &inv.report.namespaces;
    let pod = &nss[resolve::resolve(nss, &args.pod)?];
    if pod.host {
        return Err(Error::Usage(
            "trace starts in a pod; the host netns is not one".into(),
        ));
    }
    let dst_text = resolve_destination(nss, &args.destination)?;
    let (dst, _) = parse_destination(&dst_text)?;
    let pairs = veth::pair_all(nss, &mut inv.extra, false);
    let label = resolve::label(pod);
    let request = Leg {
        proto,
        sport: None,
        dport: port,
        reply: false,
    };
    let (mut hops, src) = trace_leg(ctx, nss, &pairs, pod, dst, None, request)?;
    // the reply starts in the destination pod's namespace, src/dst and ports swapped
    let local = dst.is_loopback() || trace::has_address(pod, dst);
    let dst_pod = nss
        .iter()
        .filter(|_| !local)
        .find(|n| n.pod.is_some() && n.inode != pod.inode && trace::has_address(n, dst));
    let mut both = false;
    if let (Some(back_from), Some(src)) = (dst_pod, src) {
        both = true;
        let reply = Leg {
            proto,
            sport: port,
            dport: None,
            reply: true,
        };
        let (mut back, _) = trace_leg(ctx, nss, &pairs, back_from, src, Some(dst), reply)?;
        for h in &mut back {
            h.direction = Direction::Reply;
        }
        hops.extend(back);
    }
    let blocked = trace::finish(&mut hops);
    let mut warnings = inv.report.warnings;
    let verify = match watch.as_mut() {
        Some(w) => {
            let (probe, mut more) =
                probe::verified_run(ctx, nss, pod, verify_mode(proto, port)?, dst, 3, w);
            warnings.append(&mut more);
            let (agreement, verdict) = trace_verify::judge(&hops, &probe);
            Some(Verification {
                agreement,
                verdict,
                probe,
            })
        }
        None => None,
    };
    let report = TraceReport {
        from: label,
        to: match port {
            Some(p) if dst.is_ipv6() => format!("[{dst}]:{p}"),
            Some(p) => format!("{dst}:{p}"),
            None => dst.to_string(),
        },
        proto: proto.as_str().into(),
        port,
        verdict: trace::verdict(&hops, both),
        delivered: blocked.is_none(),
        blocked,
        hops,
        verify,
        warnings,
    };
    if ctx.json() {
        render::write_json(out, &report)?;
    } else {
        render::trace::text(out, &report, &ctx.style)?;
        ctx.warn(&report.warnings);
    }
    let blocked = report.hops.iter().any(|h| h.status == HopStatus::Blocked);
    let disagrees = report
        .verify
        .as_ref()
        .is_some_and(|v| v.agreement == Agreement::Disagrees);
    Ok(if blocked || disagrees {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
}

/// The traced protocol and the port, from the arguments alone (the
/// destination may still be a pod reference, its port after a colon).
fn flow_of(args: &TraceArgs) -> Result<(Option<u16>, Proto)> {
    let dst_port = match parse_destination(&args.destination) {
        Ok((_, p)) => p,
        Err(_) => args
            .destination
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok()),
    };
    let port = args.port.or(dst_port);
    let proto = match args.proto {
        Some(TraceProto::Icmp) => Proto::Icmp,
        Some(TraceProto::Tcp) => Proto::Tcp,
        Some(TraceProto::Udp) => Proto::Udp,
        None if port.is_some() => Proto::Tcp,
        None => Proto::Icmp,
    };
    if proto == Proto::Icmp && port.is_some() {
        return Err(Error::Usage("--port needs --proto tcp or udp".into()));
    }
    Ok((port, proto))
}

/// What `--verify` sends for the traced flow.
fn verify_mode(proto: Proto, port: Option<u16>) -> Result<Mode> {
    match (proto, port) {
        (Proto::Icmp, _) => Ok(Mode::Icmp),
        (Proto::Tcp, Some(p)) => Ok(Mode::Tcp(p)),
        (Proto::Udp, Some(p)) => Ok(Mode::Udp(p)),
        (_, None) => Err(Error::Usage(format!(
            "--verify sends real {} packets: give the port (DESTINATION:PORT or --port)",
            proto.as_str()
        ))),
    }
}

/// One direction: from `from`'s namespace to `dst`. Returns its hops and
/// the source address the packet leaves with (`src` when given: the reply's).
#[allow(clippy::too_many_arguments)]
fn trace_leg(
    ctx: &Ctx,
    nss: &[Netns],
    pairs: &[crate::model::VethPair],
    from: &Netns,
    dst: IpAddr,
    src: Option<IpAddr>,
    leg: Leg,
) -> Result<(Vec<Hop>, Option<IpAddr>)> {
    let label = resolve::label(from);
    let at = format!("pod {label}");
    let mut hops: Vec<Hop> = Vec::new();
    let facts = visit(&inventory::target(&ctx.root, from), |inside| {
        read_with_lookups(
            inside,
            &[FibQuery {
                dst,
                src: None,
                iif: None,
            }],
        )
    })?;
    let look = &facts.fib[0];
    hops.push(trace::route_hop(&at, from.inode, &facts, look, None));
    let src = src.or_else(|| {
        look.result
            .as_ref()
            .ok()
            .and_then(|_| source_ip(&facts, dst))
    });
    if !last_ok(&hops) {
        return Ok((hops, src));
    }
    // to itself, or to 127.0.0.1: delivered inside the namespace
    if dst.is_loopback()
        || trace::owner_of(&facts, dst).is_some()
        || look.result.as_ref().is_ok_and(|a| a.kind == "local")
    {
        hops.push(trace::delivery_hop(&at, from.inode, None));
        return Ok((hops, src));
    }
    let Some(dev) = trace::out_dev(&facts, look) else {
        return Ok((hops, src));
    };
    // the link state of eth0 and its host veth is the veth hop's (both ends, before any neighbour)
    let gateway = look.result.as_ref().ok().and_then(|a| a.gateway);
    let start = Start {
        pod: from,
        facts: &facts,
        dev,
        gateway,
    };
    follow(ctx, nss, pairs, &start, src, dst, leg, &mut hops)?;
    Ok((hops, src))
}

/// Where a traced packet starts: the pod, its facts, its egress device and gateway.
struct Start<'a> {
    pod: &'a Netns,
    facts: &'a NodeFacts,
    dev: &'a crate::model::Interface,
    gateway: Option<IpAddr>,
}

/// A destination given as a pod reference becomes that pod's address.
fn resolve_destination(nss: &[Netns], d: &str) -> Result<String> {
    if parse_destination(d).is_ok() {
        return Ok(d.to_string());
    }
    let (name, port) = match d.rsplit_once(':') {
        Some((n, p)) if p.parse::<u16>().is_ok() => (n, Some(p)),
        _ => (d, None),
    };
    let ns = &nss[resolve::resolve(nss, name)?];
    let ip = ns
        .interfaces
        .iter()
        .filter(|i| i.kind != "loopback")
        .flat_map(|i| &i.addresses)
        .filter_map(|a| a.split('/').next())
        .find(|a| !a.starts_with("fe80"))
        .ok_or_else(|| {
            Error::NotFound(format!("{} has no address to trace to", resolve::label(ns)))
        })?;
    Ok(match port {
        Some(p) if ip.contains(':') => format!("[{ip}]:{p}"),
        Some(p) => format!("{ip}:{p}"),
        None => ip.to_string(),
    })
}

fn source_ip(f: &NodeFacts, dst: IpAddr) -> Option<IpAddr> {
    f.interfaces
        .iter()
        .filter(|i| i.kind != "loopback")
        .flat_map(|i| &i.addresses)
        .filter_map(|a| a.split('/').next()?.parse::<IpAddr>().ok())
        .find(|a| a.is_ipv4() == dst.is_ipv4() && !a.to_string().starts_with("fe80"))
}

fn last_ok(hops: &[Hop]) -> bool {
    hops.last().is_none_or(|h| h.status == HopStatus::Ok)
}

/// The namespace a pod's host veth is in: the pod's node.
fn node_of<'a>(
    nss: &'a [Netns],
    pairs: &[crate::model::VethPair],
    pod: &Netns,
) -> Option<&'a Netns> {
    pairs
        .iter()
        .filter(|p| p.netns_inode == Some(pod.inode) && p.status == PairStatus::Paired)
        .filter_map(|p| p.host_if.as_ref())
        .find_map(|h| nss.iter().find(|n| n.inode == h.netns_inode))
}

/// Where a namespace is in the output.
fn where_is(ns: &Netns) -> String {
    match (&ns.pod, ns.host) {
        (Some(p), _) => format!("pod {}", p.display_name()),
        (None, true) => format!("node (host netns {})", ns.inode),
        (None, false) => format!(
            "node (netns {}{})",
            ns.inode,
            ns.paths
                .first()
                .map(|p| format!(", {p}"))
                .unwrap_or_default()
        ),
    }
}

/// Follows the packet out of the pod's interface: over its veth into the
/// node, through the node's FIB and netfilter hooks, and on through tunnels
/// or the underlay to whatever namespace on this machine holds the next hop.
#[allow(clippy::too_many_arguments)]
fn follow(
    ctx: &Ctx,
    nss: &[Netns],
    pairs: &[crate::model::VethPair],
    start: &Start<'_>,
    src: Option<IpAddr>,
    dst: IpAddr,
    leg: Leg,
    hops: &mut Vec<Hop>,
) -> Result<()> {
    let (pod, dev) = (start.pod, start.dev);
    let at = format!("pod {}", resolve::label(pod));
    let pair = pairs.iter().find(|p| {
        p.netns_inode == Some(pod.inode)
            && p.pod_if.as_ref().is_some_and(|i| i.ifindex == dev.ifindex)
            && p.status == PairStatus::Paired
    });
    let Some(host) = pair.and_then(|p| p.host_if.as_ref()) else {
        hops.push(trace::veth_hop(&at, pod.inode, dev, None, None));
        return Ok(());
    };
    let Some(mut node) = nss.iter().find(|n| n.inode == host.netns_inode) else {
        return Ok(());
    };
    let node_if = node.interfaces.iter().find(|i| i.ifindex == host.ifindex);
    let peer_where = where_is(node);
    // the packet traced is as big as the pod sends (its MTU)
    let mut size = dev.mtu;
    hops.push(trace::veth_hop(
        &at,
        pod.inode,
        dev,
        node_if.map(|i| (i, peer_where.as_str())),
        size,
    ));
    if !last_ok(hops) {
        return Ok(());
    }
    // the pod's neighbour, judged with the node's facts below (after the
    // link: a stale entry behind a down veth is the veth's fault)
    let exit = trace::PodExit {
        at: &at,
        inode: pod.inode,
        facts: start.facts,
        dev,
        next: start.gateway.unwrap_or(dst),
        gateway: start.gateway,
    };
    let mut ingress = node_if
        .and_then(|i| i.master_ifindex)
        .and_then(|m| node.interfaces.iter().find(|i| i.ifindex == m))
        .or(node_if)
        .map(|i| i.name.clone());
    let mut first = true;
    for _ in 0..MAX_NODES {
        let here = where_is(node);
        let q = FibQuery {
            dst,
            src,
            iif: ingress.clone(),
        };
        let facts = visit(&inventory::target(&ctx.root, node), |inside| {
            read_with_lookups(inside, std::slice::from_ref(&q))
        })?;
        if first {
            first = false;
            let host =
                node_if.and_then(|i| facts.interfaces.iter().find(|x| x.ifindex == i.ifindex));
            hops.extend(trace::pod_exit_hop(&exit, &facts, host));
            if !last_ok(hops) {
                return Ok(());
            }
        }
        if let Some(h) = trace::ebpf_node_hop(&here, node.inode, &facts) {
            hops.push(h);
            return Ok(());
        }
        let l = &facts.fib[0];
        let out = trace::out_dev(&facts, l);
        let packet = match (src, &ingress) {
            (Some(s), Some(i)) => {
                Some(leg.packet(s, dst, i, out.map(|o| o.name.as_str()).unwrap_or("")))
            }
            _ => None,
        };
        // the destination pod, its interface and, when it hangs off this node, its host veth
        let dst_ns = nss
            .iter()
            .find(|n| n.pod.is_some() && n.inode != node.inode && trace::has_address(n, dst));
        let dst_if = dst_ns.and_then(|d| d.interfaces.iter().find(|i| i.holds(dst)));
        let host_end = match (dst_ns, dst_if) {
            (Some(d), Some(i)) => pairs
                .iter()
                .filter(|p| p.netns_inode == Some(d.inode) && p.status == PairStatus::Paired)
                .filter(|p| p.pod_if.as_ref().is_some_and(|x| x.ifindex == i.ifindex))
                .filter_map(|p| p.host_if.as_ref())
                .find(|h| h.netns_inode == node.inode)
                .and_then(|h| facts.interfaces.iter().find(|x| x.ifindex == h.ifindex)),
            _ => None,
        };
        // a down host veth of the destination pod comes before the route it took with it
        if let Some(h) = host_end
            && let Some(hop) = trace::links_hop(&here, node.inode, &[h])
        {
            hops.push(hop);
            return Ok(());
        }
        // a down tunnel took its routes with it: it is the cause, not the lookup
        let far = dst_ns
            .and_then(|d| node_of(nss, pairs, d))
            .filter(|n| n.inode != node.inode)
            .map(trace::addresses)
            .unwrap_or_default();
        if let Some(h) = trace::down_tunnel_hop(&here, node.inode, &facts, l, &far) {
            hops.push(h);
            return Ok(());
        }
        // a pod routed by its own host route (no bridge): that route must exist
        let pod_dev = host_end
            .filter(|h| h.master_ifindex.is_none())
            .map(|h| h.name.as_str());
        hops.push(trace::forward_hop(
            &here,
            node.inode,
            &facts,
            l,
            packet.as_ref(),
            pod_dev,
        ));
        if !last_ok(hops) {
            return Ok(());
        }
        let Some(out) = out else { return Ok(()) };
        let gateway = l.result.as_ref().ok().and_then(|a| a.gateway);
        // delivered to this node
        if l.result.as_ref().is_ok_and(|a| a.kind == "local") {
            hops.push(trace::hop(
                &here,
                node.inode,
                "delivered".into(),
                format!("{dst} is this node's address"),
                None,
            ));
            return Ok(());
        }
        if let Some(h) = trace::links_hop(&here, node.inode, &[out]) {
            hops.push(h);
            return Ok(());
        }
        // a packet wider than the device it leaves by
        if let Some(h) = trace::egress_mtu_hop(&here, node.inode, out, size) {
            hops.push(h);
            return Ok(());
        }
        if let Some(dst_ns) = dst_ns
            && gateway.is_none()
            && out.kind != "vxlan"
        {
            let name = format!(
                "pod {}",
                dst_ns
                    .pod
                    .as_ref()
                    .map(|p| p.display_name())
                    .unwrap_or_else(|| resolve::label(dst_ns))
            );
            if let Some(h) =
                host_end.and_then(|h| trace::bridge_port_hop(&here, node.inode, out, h, dst))
            {
                hops.push(h);
                return Ok(());
            }
            hops.extend(trace::neighbour_hop(&here, node.inode, &facts, out, dst));
            if let (Some(h), Some(i), true) = (host_end, dst_if, last_ok(hops)) {
                hops.push(trace::veth_hop(
                    &here,
                    node.inode,
                    h,
                    Some((i, &name)),
                    size,
                ));
            }
            if last_ok(hops) {
                hops.push(trace::delivery_hop(&name, dst_ns.inode, dst_if));
            }
            return Ok(());
        }
        // through a VXLAN tunnel, or out of the uplink
        let (next_ip, via_tunnel, neighbour_mac) = if out.kind == "vxlan" {
            let (mut hop, vtep) = trace::vxlan_hop(&here, node.inode, &facts, out, gateway);
            // no FDB entry for the neighbour's MAC: when the VTEP that owns the
            // gateway is on this machine with another MAC, the neighbour is what is wrong
            if hop.cause == Some(Cause::FdbMissing)
                && let Some(h) = gateway.and_then(|gw| {
                    let mac = trace::neighbour_mac_of(&facts, out, gw)?;
                    let (owner, dev) = trace::vxlan_owner(nss, node, gw)?;
                    let h = trace::vtep_mac_hop(&here, node.inode, &mac, dev, &where_is(owner));
                    (h.status == HopStatus::Blocked).then_some(h)
                })
            {
                hop = h;
            }
            hops.push(hop);
            let Some((vtep, mac)) = vtep.filter(|_| last_ok(hops)) else {
                return Ok(());
            };
            let uq = FibQuery {
                dst: vtep,
                src: None,
                iif: None,
            };
            // one more lookup in the same node: its facts are already read
            let ul = &visit(&inventory::target(&ctx.root, node), |inside| {
                Ok(lookup(inside, &facts, &uq))
            })?;
            let mut uhop = trace::route_hop(&here, node.inode, &facts, ul, None);
            if uhop.status == HopStatus::Blocked {
                uhop.cause = Some(Cause::VtepUnreachable);
                uhop.reason = Some(format!(
                    "the FDB dst {vtep} is unreachable on the underlay: {}",
                    uhop.reason.clone().unwrap_or_default()
                ));
            }
            hops.push(uhop);
            if !last_ok(hops) {
                return Ok(());
            }
            if let Some(udev) = trace::out_dev(&facts, ul) {
                if let Some(h) = trace::links_hop(&here, node.inode, &[udev]) {
                    hops.push(h);
                    return Ok(());
                }
                if let Some(h) =
                    trace::underlay_mtu_hop(&here, node.inode, udev, size, VXLAN_OVERHEAD)
                {
                    hops.push(h);
                    return Ok(());
                }
                let next = ul
                    .result
                    .as_ref()
                    .ok()
                    .and_then(|a| a.gateway)
                    .unwrap_or(vtep);
                // the underlay leads to namespaces on this machine, none of which holds the VTEP
                let peers = trace::underlay_peers(nss, node, udev, vtep);
                if !peers.is_empty() && !peers.iter().any(|n| trace::has_address(n, vtep)) {
                    let peers: Vec<String> = peers.iter().map(|n| where_is(n)).collect();
                    hops.push(trace::fdb_wrong_dst_hop(
                        &here, node.inode, out, udev, &mac, vtep, &peers,
                    ));
                    return Ok(());
                }
                hops.extend(trace::neighbour_hop(&here, node.inode, &facts, udev, next));
            }
            (vtep, true, Some(mac))
        } else {
            let next = gateway.unwrap_or(dst);
            hops.extend(trace::neighbour_hop(&here, node.inode, &facts, out, next));
            (next, false, None)
        };
        if !last_ok(hops) {
            return Ok(());
        }
        let Some(next_node) = nss
            .iter()
            .find(|n| n.inode != node.inode && trace::has_address(n, next_ip))
        else {
            hops.push(trace::hop(
                &here,
                node.inode,
                format!("next hop {next_ip}"),
                if via_tunnel {
                    format!("remote VTEP {next_ip}")
                } else {
                    format!("gateway {next_ip}")
                },
                Some((
                    HopStatus::Unknown,
                    Cause::OffMachine,
                    format!("{next_ip} is not on this machine"),
                )),
            ));
            return Ok(());
        };
        ingress = if via_tunnel {
            let remote = next_node.interfaces.iter().find(|i| i.kind == "vxlan");
            if let (Some(r), Some(mac)) = (remote, neighbour_mac.as_deref()) {
                let h = trace::vtep_mac_hop(&here, node.inode, mac, r, &where_is(next_node));
                let ok = h.status == HopStatus::Ok;
                hops.push(h);
                if !ok {
                    return Ok(());
                }
            }
            remote.map(|i| i.name.clone())
        } else {
            next_node
                .interfaces
                .iter()
                .find(|i| i.holds(next_ip))
                .map(|i| i.name.clone())
        };
        if let (Some(s), Some(m)) = (size, out.mtu) {
            size = Some(s.min(m));
        }
        node = next_node;
    }
    Ok(())
}
