//! `podnet trace <pod> <destination[:port]>`: the path a packet from a pod
//! would take, hop by hop across namespaces, computed from kernel state
//! (no packet is sent), with the first hop that cannot forward marked.

use std::io::Write;
use std::net::IpAddr;

use crate::analyze::doctor::FibQuery;
use crate::analyze::doctor::firewall::Packet;
use crate::analyze::{resolve, trace, veth};
use crate::cli::TraceArgs;
use crate::error::{Error, Outcome, Result};
use crate::model::doctor::NodeFacts;
use crate::model::trace::{Hop, HopStatus, TraceReport};
use crate::model::{Netns, PairStatus};
use crate::render;

use super::Ctx;
use super::inventory::{self, ScanOptions, VisitWants};
use super::node_facts::{read_with_lookups, visit};

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

pub fn run(ctx: &Ctx, args: &TraceArgs, out: &mut dyn Write) -> Result<Outcome> {
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
    let (dst, port) = parse_destination(&dst_text)?;
    let pairs = veth::pair_all(nss, &mut inv.extra, false);
    let label = resolve::label(pod);
    let mut hops: Vec<Hop> = Vec::new();

    // 1. the pod's own route lookup
    let pod_facts = visit(&inventory::target(&ctx.root, pod), |inside| {
        read_with_lookups(
            inside,
            &[FibQuery {
                dst,
                src: None,
                iif: None,
            }],
        )
    })?;
    let at = format!("pod {label}");
    let look = &pod_facts.fib[0];
    hops.push(trace::route_hop(&at, pod.inode, &pod_facts, look));
    let src = look
        .result
        .as_ref()
        .ok()
        .and_then(|_| source_ip(&pod_facts, dst));
    if hops[0].status == HopStatus::Ok {
        if let Some(dev) = trace::out_dev(&pod_facts, look) {
            let next = look
                .result
                .as_ref()
                .ok()
                .and_then(|a| a.gateway)
                .unwrap_or(dst);
            hops.extend(trace::neighbour_hop(&at, pod.inode, &pod_facts, dev, next));
            if last_ok(&hops) {
                follow(ctx, nss, &pairs, pod, dev, src, dst, &mut hops)?;
            }
        } else if trace::owner_of(&pod_facts, dst).is_some() {
            hops.push(trace::delivery_hop(&label, pod.inode, None));
        }
    }
    let report = TraceReport {
        from: label,
        to: match port {
            Some(p) => format!("{dst}:{p}"),
            None => dst.to_string(),
        },
        verdict: trace::verdict(&hops),
        hops,
        warnings: inv.report.warnings,
    };
    if ctx.json() {
        render::write_json(out, &report)?;
    } else {
        render::trace::text(out, &report, &ctx.style)?;
        ctx.warn(&report.warnings);
    }
    let blocked = report.hops.iter().any(|h| h.status == HopStatus::Blocked);
    Ok(if blocked {
        Outcome::Problems
    } else {
        Outcome::Clean
    })
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

/// Follows the packet out of the pod's interface `dev`: over its veth into
/// the node, through the node's FIB and firewall, and on through tunnels or
/// the underlay to whatever namespace on this machine holds the next hop.
#[allow(clippy::too_many_arguments)]
fn follow(
    ctx: &Ctx,
    nss: &[Netns],
    pairs: &[crate::model::VethPair],
    pod: &Netns,
    dev: &crate::model::Interface,
    src: Option<IpAddr>,
    dst: IpAddr,
    hops: &mut Vec<Hop>,
) -> Result<()> {
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
    // the packet traced is as big as the pod sends (its MTU); a router
    // on the way that needs smaller ones says so (fragmentation needed)
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
    // the interface the packet enters the node's IP layer by: the veth's bridge, or the veth
    let mut ingress = node_if
        .and_then(|i| i.master_ifindex)
        .and_then(|m| node.interfaces.iter().find(|i| i.ifindex == m))
        .or(node_if)
        .map(|i| i.name.clone());
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
        let l = &facts.fib[0];
        let out = trace::out_dev(&facts, l);
        let packet = match (src, &ingress, out) {
            (Some(s), Some(i), Some(o)) => Some(Packet::icmp(s, dst, i, &o.name)),
            _ => None,
        };
        // the destination pod, its interface and, when it hangs off this node, its host veth
        let dst_ns = nss
            .iter()
            .find(|n| !n.host && n.inode != node.inode && has_address(n, dst));
        let dst_if = dst_ns.and_then(|d| d.interfaces.iter().find(|i| has_addr_on(i, dst)));
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
        let mut hop = trace::forward_hop(&here, node.inode, &facts, l, packet.as_ref());
        if let Some(h) = host_end {
            trace::explain_missing_pod_route(&mut hop, l, h);
        }
        hops.push(hop);
        if !last_ok(hops) {
            return Ok(());
        }
        let Some(out) = out else { return Ok(()) };
        if let (Some(s), Some(m)) = (size, out.mtu) {
            size = Some(s.min(m));
        }
        let gateway = l.result.as_ref().ok().and_then(|a| a.gateway);
        // delivered to this node, or to a pod attached to it
        if l.result.as_ref().is_ok_and(|a| a.kind == "local") {
            hops.push(Hop {
                at: here,
                netns_inode: Some(node.inode),
                step: "delivered".into(),
                detail: format!("{dst} is this node's address"),
                status: HopStatus::Ok,
                reason: None,
            });
            return Ok(());
        }
        if let Some(dst_ns) = dst_ns
            && gateway.is_none()
            && out.kind != "vxlan"
        {
            let i = dst_if;
            let name = dst_ns
                .pod
                .as_ref()
                .map(|p| p.display_name())
                .unwrap_or_else(|| resolve::label(dst_ns));
            hops.extend(trace::neighbour_hop(&here, node.inode, &facts, out, dst));
            // over the pod's veth: its host end (a bridge port, or the route's device) to its eth0
            if let (Some(h), Some(i), true) = (host_end, i, last_ok(hops)) {
                hops.push(trace::veth_hop(
                    &here,
                    node.inode,
                    h,
                    Some((i, &format!("pod {name}"))),
                    size,
                ));
            }
            if last_ok(hops) {
                hops.push(trace::delivery_hop(&name, dst_ns.inode, i));
            }
            return Ok(());
        }
        // through a VXLAN tunnel, or out of the uplink
        let (next_ip, next_dev_here) = if out.kind == "vxlan" {
            let (hop, vtep) = trace::vxlan_hop(&here, node.inode, &facts, out, gateway);
            hops.push(hop);
            let Some(vtep) = vtep.filter(|_| last_ok(hops)) else {
                return Ok(());
            };
            // the underlay route to the remote VTEP
            let uq = FibQuery {
                dst: vtep,
                src: None,
                iif: None,
            };
            let under = visit(&inventory::target(&ctx.root, node), |inside| {
                read_with_lookups(inside, std::slice::from_ref(&uq))
            })?;
            let ul = &under.fib[0];
            hops.push(trace::route_hop(&here, node.inode, &under, ul));
            if !last_ok(hops) {
                return Ok(());
            }
            if let Some(udev) = trace::out_dev(&under, ul) {
                let next = ul
                    .result
                    .as_ref()
                    .ok()
                    .and_then(|a| a.gateway)
                    .unwrap_or(vtep);
                hops.extend(trace::neighbour_hop(&here, node.inode, &under, udev, next));
            }
            (vtep, true)
        } else {
            let next = gateway.unwrap_or(dst);
            hops.extend(trace::neighbour_hop(&here, node.inode, &facts, out, next));
            (next, false)
        };
        if !last_ok(hops) {
            return Ok(());
        }
        // the namespace on this machine that owns the next hop's address, if any
        let Some(next_node) = nss
            .iter()
            .find(|n| n.inode != node.inode && has_address(n, next_ip))
        else {
            hops.push(Hop {
                at: here,
                netns_inode: Some(node.inode),
                step: format!("next hop {next_ip}"),
                detail: if next_dev_here {
                    format!("remote VTEP {next_ip}")
                } else {
                    format!("gateway {next_ip}")
                },
                status: HopStatus::Unknown,
                reason: Some(format!("{next_ip} is not on this machine")),
            });
            return Ok(());
        };
        // arriving there: through its own tunnel device (VXLAN), or the interface holding the address
        ingress = if next_dev_here {
            next_node
                .interfaces
                .iter()
                .find(|i| i.kind == "vxlan")
                .map(|i| i.name.clone())
        } else {
            next_node
                .interfaces
                .iter()
                .find(|i| has_addr_on(i, next_ip))
                .map(|i| i.name.clone())
        };
        node = next_node;
    }
    Ok(())
}

fn has_addr_on(i: &crate::model::Interface, ip: IpAddr) -> bool {
    i.addresses
        .iter()
        .any(|a| a.split('/').next() == Some(ip.to_string().as_str()))
}

fn has_address(n: &Netns, ip: IpAddr) -> bool {
    n.interfaces.iter().any(|i| has_addr_on(i, ip))
}
