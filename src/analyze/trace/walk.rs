//! One direction of `podnet trace`: from a pod's namespace over its veth,
//! through each node's FIB, netfilter hooks, tunnel or uplink, to the
//! namespace on this machine that holds the next hop, hop by hop, until
//! one stops the packet. The namespaces' facts come from a [`NodeReader`]
//! the caller gives (the command reads them in the kernel); no I/O here.

use std::net::IpAddr;

use crate::analyze::doctor::FibQuery;
use crate::analyze::netfilter_path::{Packet, Proto};
use crate::analyze::{resolve, trace};
use crate::error::Result;
use crate::model::doctor::{FibLookup, NodeFacts};
use crate::model::trace::{Cause, Direction, Hop, HopStatus};
use crate::model::{Interface, LinkKind, Netns, PairStatus, VethPair};

/// How many namespaces a path may cross before podnet stops following it.
const MAX_NODES: usize = 6;

/// VXLAN over IPv4 adds 50 bytes (outer IP 20, UDP 8, VXLAN 8, Ethernet 14).
const VXLAN_OVERHEAD: u32 = 50;

/// Reads a namespace's facts, answering FIB lookups there.
pub trait NodeReader {
    /// Everything in `ns`, with `queries` answered.
    fn facts(&self, ns: &Netns, queries: &[FibQuery]) -> Result<NodeFacts>;
    /// One more lookup in `ns`, whose `facts` were read already.
    fn lookup(&self, ns: &Netns, facts: &NodeFacts, q: &FibQuery) -> Result<FibLookup>;
}

/// The protocol and ports of one direction's packet.
#[derive(Debug, Clone, Copy)]
pub struct Leg {
    pub proto: Proto,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    pub reply: bool,
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

/// The machine as a trace sees it: its namespaces and their veth pairs.
pub struct Machine<'a> {
    pub nss: &'a [Netns],
    pub pairs: &'a [VethPair],
}

/// The request from `pod` to `dst` and, when `dst` is another pod on this
/// machine, the reply from its namespace (addresses and ports swapped):
/// the hops of both, and whether a reply was modelled.
pub fn both_ways(
    reader: &dyn NodeReader,
    m: &Machine<'_>,
    pod: &Netns,
    dst: IpAddr,
    proto: Proto,
    port: Option<u16>,
) -> Result<(Vec<Hop>, bool)> {
    let request = Leg {
        proto,
        sport: None,
        dport: port,
        reply: false,
    };
    let (mut hops, src) = leg(reader, m, pod, dst, None, request)?;
    let local = dst.is_loopback() || trace::has_address(pod, dst);
    let dst_pod = m
        .nss
        .iter()
        .filter(|_| !local)
        .find(|n| n.pod.is_some() && n.inode != pod.inode && trace::has_address(n, dst));
    let (Some(back_from), Some(src)) = (dst_pod, src) else {
        return Ok((hops, false));
    };
    let reply = Leg {
        proto,
        sport: port,
        dport: None,
        reply: true,
    };
    let (mut back, _) = leg(reader, m, back_from, src, Some(dst), reply)?;
    for h in &mut back {
        h.direction = Direction::Reply;
    }
    hops.extend(back);
    Ok((hops, true))
}

/// One direction from `from`'s namespace to `dst`: its hops, and the source
/// address the packet leaves with (`src` when given: the reply's).
pub fn leg(
    reader: &dyn NodeReader,
    m: &Machine<'_>,
    from: &Netns,
    dst: IpAddr,
    src: Option<IpAddr>,
    leg: Leg,
) -> Result<(Vec<Hop>, Option<IpAddr>)> {
    let at = format!("pod {}", resolve::label(from));
    let mut hops: Vec<Hop> = Vec::new();
    let q = FibQuery {
        dst,
        src: None,
        iif: None,
    };
    let facts = reader.facts(from, std::slice::from_ref(&q))?;
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
    let start = Start {
        at,
        pod: from,
        facts: &facts,
        dev,
        gateway: look.result.as_ref().ok().and_then(|a| a.gateway),
    };
    let mut walk = Walk {
        reader,
        m,
        src,
        dst,
        leg,
        hops: &mut hops,
    };
    walk.out_of_pod(&start)?;
    Ok((hops, src))
}

/// The pod's address of `dst`'s family the packet leaves with.
fn source_ip(f: &NodeFacts, dst: IpAddr) -> Option<IpAddr> {
    f.interfaces
        .iter()
        .filter(|i| i.kind != LinkKind::Loopback)
        .flat_map(Interface::global_ips)
        .find(|a| a.is_ipv4() == dst.is_ipv4())
}

/// Where a traced packet starts: the pod, its facts, its egress device and gateway.
struct Start<'a> {
    at: String,
    pod: &'a Netns,
    facts: &'a NodeFacts,
    dev: &'a Interface,
    gateway: Option<IpAddr>,
}

/// The walk of one direction through the machine.
struct Walk<'a, 'h> {
    reader: &'a dyn NodeReader,
    m: &'a Machine<'a>,
    src: Option<IpAddr>,
    dst: IpAddr,
    leg: Leg,
    hops: &'h mut Vec<Hop>,
}

/// The packet entering a node: by which interface, and how big it is.
struct Arrival<'a> {
    node: &'a Netns,
    ingress: Option<String>,
    size: Option<u32>,
}

/// The destination as one node sees it: the pod holding it, the pod's
/// interface, and (when the pod hangs off this node) its host veth.
struct Destination<'a, 'f> {
    ns: Option<&'a Netns>,
    iface: Option<&'a Interface>,
    host_end: Option<&'f Interface>,
}

impl<'a> Walk<'a, '_> {
    fn ok(&self) -> bool {
        last_ok(self.hops)
    }

    /// Pushes `h`: the packet stops there (returns `None` to say so).
    fn stop<T>(&mut self, h: Hop) -> Option<T> {
        self.hops.push(h);
        None
    }

    /// Out of the pod's interface over its veth into the node, then node by node.
    fn out_of_pod(&mut self, start: &Start<'a>) -> Result<()> {
        let (pod, dev) = (start.pod, start.dev);
        let pair = self.m.pairs.iter().find(|p| {
            p.netns_inode == Some(pod.inode)
                && p.pod_if.as_ref().is_some_and(|i| i.ifindex == dev.ifindex)
                && p.status == PairStatus::Paired
        });
        let Some(host) = pair.and_then(|p| p.host_if.as_ref()) else {
            self.hops
                .push(trace::veth_hop(&start.at, pod.inode, dev, None, None));
            return Ok(());
        };
        let Some(node) = self.m.nss.iter().find(|n| n.inode == host.netns_inode) else {
            return Ok(());
        };
        let node_if = node.interfaces.iter().find(|i| i.ifindex == host.ifindex);
        let peer_where = where_is(node);
        // the packet traced is as big as the pod sends (its MTU)
        let size = dev.mtu;
        self.hops.push(trace::veth_hop(
            &start.at,
            pod.inode,
            dev,
            node_if.map(|i| (i, peer_where.as_str())),
            size,
        ));
        if !self.ok() {
            return Ok(());
        }
        // the pod's neighbour, judged with the node's facts (after the
        // link: a stale entry behind a down veth is the veth's fault)
        let exit = trace::PodExit {
            at: &start.at,
            inode: pod.inode,
            facts: start.facts,
            dev,
            next: start.gateway.unwrap_or(self.dst),
            gateway: start.gateway,
        };
        let ingress = node_if
            .and_then(|i| i.master_ifindex)
            .and_then(|m| node.interfaces.iter().find(|i| i.ifindex == m))
            .or(node_if)
            .map(|i| i.name.clone());
        let mut at = Arrival {
            node,
            ingress,
            size,
        };
        let mut first = Some((&exit, node_if));
        for _ in 0..MAX_NODES {
            match self.through(&at, first.take())? {
                Some(next) => at = next,
                None => return Ok(()),
            }
        }
        Ok(())
    }

    /// Through one node: the hops there, and where the packet goes next
    /// (`None`: it stops here, or leaves what podnet can see).
    fn through(
        &mut self,
        at: &Arrival<'a>,
        exit: Option<(&trace::PodExit<'_>, Option<&Interface>)>,
    ) -> Result<Option<Arrival<'a>>> {
        let (node, here) = (at.node, where_is(at.node));
        let q = FibQuery {
            dst: self.dst,
            src: self.src,
            iif: at.ingress.clone(),
        };
        let facts = self.reader.facts(node, std::slice::from_ref(&q))?;
        if let Some((exit, node_if)) = exit {
            let host =
                node_if.and_then(|i| facts.interfaces.iter().find(|x| x.ifindex == i.ifindex));
            self.hops.extend(trace::pod_exit_hop(exit, &facts, host));
            if !self.ok() {
                return Ok(None);
            }
        }
        if let Some(h) = trace::ebpf_node_hop(&here, node.inode, &facts) {
            return Ok(self.stop(h));
        }
        let l = &facts.fib[0];
        let dest = self.destination(node, &facts);
        if self.before_lookup(&here, node, &facts, l, &dest).is_none() {
            return Ok(None);
        }
        let out = trace::out_dev(&facts, l);
        let packet = match (self.src, &at.ingress) {
            (Some(s), Some(i)) => {
                Some(
                    self.leg
                        .packet(s, self.dst, i, out.map(|o| o.name.as_str()).unwrap_or("")),
                )
            }
            _ => None,
        };
        // a pod routed by its own host route (no bridge): that route must exist
        let pod_dev = dest
            .host_end
            .filter(|h| h.master_ifindex.is_none())
            .map(|h| h.name.as_str());
        self.hops.push(trace::forward_hop(
            &here,
            node.inode,
            &facts,
            l,
            packet.as_ref(),
            pod_dev,
        ));
        let Some(out) = out.filter(|_| self.ok()) else {
            return Ok(None);
        };
        if self.leaves_by(&here, node, l, out, at.size).is_none() {
            return Ok(None);
        }
        let gateway = l.result.as_ref().ok().and_then(|a| a.gateway);
        if let Some(dst_ns) = dest.ns
            && gateway.is_none()
            && out.kind != LinkKind::Vxlan
        {
            self.deliver(&here, node, &facts, out, dst_ns, &dest, at.size);
            return Ok(None);
        }
        // through a VXLAN tunnel, or out of the uplink
        let (next_ip, tunnel_mac) = if out.kind == LinkKind::Vxlan {
            match self.tunnel(&here, node, &facts, out, gateway, at.size)? {
                Some((vtep, mac)) => (vtep, Some(mac)),
                None => return Ok(None),
            }
        } else {
            let next = gateway.unwrap_or(self.dst);
            self.hops
                .extend(trace::neighbour_hop(&here, node.inode, &facts, out, next));
            (next, None)
        };
        if !self.ok() {
            return Ok(None);
        }
        let Some((next_node, ingress)) = self.next_node(&here, node, next_ip, tunnel_mac) else {
            return Ok(None);
        };
        let size = match (at.size, out.mtu) {
            (Some(s), Some(m)) => Some(s.min(m)),
            (s, _) => s,
        };
        Ok(Some(Arrival {
            node: next_node,
            ingress,
            size,
        }))
    }

    /// The destination pod, its interface and, when it hangs off `node`,
    /// its host veth (from `facts`).
    fn destination<'f>(&self, node: &Netns, facts: &'f NodeFacts) -> Destination<'a, 'f> {
        let dst = self.dst;
        let ns = self
            .m
            .nss
            .iter()
            .find(|n| n.pod.is_some() && n.inode != node.inode && trace::has_address(n, dst));
        let iface = ns.and_then(|d| d.interfaces.iter().find(|i| i.holds(dst)));
        let host_end = match (ns, iface) {
            (Some(d), Some(i)) => self
                .m
                .pairs
                .iter()
                .filter(|p| p.netns_inode == Some(d.inode) && p.status == PairStatus::Paired)
                .filter(|p| p.pod_if.as_ref().is_some_and(|x| x.ifindex == i.ifindex))
                .filter_map(|p| p.host_if.as_ref())
                .find(|h| h.netns_inode == node.inode)
                .and_then(|h| facts.interfaces.iter().find(|x| x.ifindex == h.ifindex)),
            _ => None,
        };
        Destination {
            ns,
            iface,
            host_end,
        }
    }

    /// Causes that come before the node's lookup: the destination pod's
    /// host veth down took its route with it; a down tunnel took its routes.
    fn before_lookup(
        &mut self,
        here: &str,
        node: &Netns,
        facts: &NodeFacts,
        l: &FibLookup,
        dest: &Destination<'_, '_>,
    ) -> Option<()> {
        if let Some(hop) = dest
            .host_end
            .and_then(|h| trace::links_hop(here, node.inode, &[h]))
        {
            return self.stop(hop);
        }
        let far = dest
            .ns
            .and_then(|d| node_of(self.m.nss, self.m.pairs, d))
            .filter(|n| n.inode != node.inode)
            .map(trace::addresses)
            .unwrap_or_default();
        match trace::down_tunnel_hop(here, node.inode, facts, l, &far) {
            Some(h) => self.stop(h),
            None => Some(()),
        }
    }

    /// The way out of `node`: delivered to the node itself, or a device
    /// that is down or narrower than the packet (`None`: the packet stops).
    fn leaves_by(
        &mut self,
        here: &str,
        node: &Netns,
        l: &FibLookup,
        out: &Interface,
        size: Option<u32>,
    ) -> Option<()> {
        if l.result.as_ref().is_ok_and(|a| a.kind == "local") {
            let detail = format!("{} is this node's address", self.dst);
            return self.stop(trace::hop(
                here,
                node.inode,
                "delivered".into(),
                detail,
                None,
            ));
        }
        if let Some(h) = trace::links_hop(here, node.inode, &[out]) {
            return self.stop(h);
        }
        match trace::egress_mtu_hop(here, node.inode, out, size) {
            Some(h) => self.stop(h),
            None => Some(()),
        }
    }

    /// To the destination pod on `node`'s own link: the bridge port, the
    /// neighbour, the pod's veth, the pod.
    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        here: &str,
        node: &Netns,
        facts: &NodeFacts,
        out: &Interface,
        dst_ns: &Netns,
        dest: &Destination<'_, '_>,
        size: Option<u32>,
    ) {
        let name = format!(
            "pod {}",
            dst_ns
                .pod
                .as_ref()
                .map(|p| p.display_name())
                .unwrap_or_else(|| resolve::label(dst_ns))
        );
        if let Some(h) = dest
            .host_end
            .and_then(|h| trace::bridge_port_hop(here, node.inode, out, h, self.dst))
        {
            self.hops.push(h);
            return;
        }
        self.hops
            .extend(trace::neighbour_hop(here, node.inode, facts, out, self.dst));
        if let (Some(h), Some(i), true) = (dest.host_end, dest.iface, self.ok()) {
            self.hops
                .push(trace::veth_hop(here, node.inode, h, Some((i, &name)), size));
        }
        if self.ok() {
            self.hops
                .push(trace::delivery_hop(&name, dst_ns.inode, dest.iface));
        }
    }

    /// Into a VXLAN tunnel: its neighbour and FDB entry, then the underlay
    /// to the remote VTEP. The VTEP and the MAC the packet is sent to, or
    /// `None` when the packet stops.
    fn tunnel(
        &mut self,
        here: &str,
        node: &Netns,
        facts: &NodeFacts,
        out: &Interface,
        gateway: Option<IpAddr>,
        size: Option<u32>,
    ) -> Result<Option<(IpAddr, String)>> {
        let (mut hop, vtep) = trace::vxlan_hop(here, node.inode, facts, out, gateway);
        // no FDB entry for the neighbour's MAC: when the VTEP that owns the
        // gateway is on this machine with another MAC, the neighbour is what is wrong
        if hop.cause == Some(Cause::FdbMissing)
            && let Some(h) = gateway.and_then(|gw| {
                let mac = trace::neighbour_mac_of(facts, out, gw)?;
                let (owner, dev) = trace::vxlan_owner(self.m.nss, node, gw)?;
                let h = trace::vtep_mac_hop(here, node.inode, &mac, dev, &where_is(owner));
                (h.status == HopStatus::Blocked).then_some(h)
            })
        {
            hop = h;
        }
        self.hops.push(hop);
        let Some((vtep, mac)) = vtep.filter(|_| self.ok()) else {
            return Ok(None);
        };
        let uq = FibQuery {
            dst: vtep,
            src: None,
            iif: None,
        };
        // one more lookup in the same node: its facts are already read
        let ul = self.reader.lookup(node, facts, &uq)?;
        let mut uhop = trace::route_hop(here, node.inode, facts, &ul, None);
        if uhop.status == HopStatus::Blocked {
            uhop.cause = Some(Cause::VtepUnreachable);
            uhop.reason = Some(format!(
                "the FDB dst {vtep} is unreachable on the underlay: {}",
                uhop.reason.clone().unwrap_or_default()
            ));
        }
        self.hops.push(uhop);
        if !self.ok() {
            return Ok(None);
        }
        let Some(udev) = trace::out_dev(facts, &ul) else {
            return Ok(Some((vtep, mac)));
        };
        if let Some(h) = trace::links_hop(here, node.inode, &[udev])
            .or_else(|| trace::underlay_mtu_hop(here, node.inode, udev, size, VXLAN_OVERHEAD))
        {
            return Ok(self.stop(h));
        }
        let next = ul
            .result
            .as_ref()
            .ok()
            .and_then(|a| a.gateway)
            .unwrap_or(vtep);
        // the underlay leads to namespaces on this machine, none of which holds the VTEP
        let peers = trace::underlay_peers(self.m.nss, node, udev, vtep);
        if !peers.is_empty() && !peers.iter().any(|n| trace::has_address(n, vtep)) {
            let peers: Vec<String> = peers.iter().map(|n| where_is(n)).collect();
            let h = trace::fdb_wrong_dst_hop(here, node.inode, out, udev, &mac, vtep, &peers);
            return Ok(self.stop(h));
        }
        self.hops
            .extend(trace::neighbour_hop(here, node.inode, facts, udev, next));
        Ok(Some((vtep, mac)))
    }

    /// The namespace on this machine that holds `next_ip`, and the interface
    /// the packet enters it by (its VXLAN device, after the VTEP MAC check,
    /// when it came through a tunnel to `tunnel_mac`).
    fn next_node(
        &mut self,
        here: &str,
        node: &Netns,
        next_ip: IpAddr,
        tunnel_mac: Option<String>,
    ) -> Option<(&'a Netns, Option<String>)> {
        let nss = self.m.nss;
        let Some(next) = nss
            .iter()
            .find(|n| n.inode != node.inode && trace::has_address(n, next_ip))
        else {
            let detail = match tunnel_mac {
                Some(_) => format!("remote VTEP {next_ip}"),
                None => format!("gateway {next_ip}"),
            };
            let unknown = (
                HopStatus::Unknown,
                Cause::OffMachine,
                format!("{next_ip} is not on this machine"),
            );
            let h = trace::hop(
                here,
                node.inode,
                format!("next hop {next_ip}"),
                detail,
                Some(unknown),
            );
            return self.stop(h);
        };
        let ingress = match tunnel_mac {
            Some(mac) => {
                let remote = next.interfaces.iter().find(|i| i.kind == LinkKind::Vxlan);
                if let Some(r) = remote {
                    let h = trace::vtep_mac_hop(here, node.inode, &mac, r, &where_is(next));
                    if h.status != HopStatus::Ok {
                        return self.stop(h);
                    }
                    self.hops.push(h);
                }
                remote.map(|i| i.name.clone())
            }
            None => next
                .interfaces
                .iter()
                .find(|i| i.holds(next_ip))
                .map(|i| i.name.clone()),
        };
        Some((next, ingress))
    }
}

fn last_ok(hops: &[Hop]) -> bool {
    hops.last().is_none_or(|h| h.status == HopStatus::Ok)
}

/// The namespace a pod's host veth is in: the pod's node.
fn node_of<'a>(nss: &'a [Netns], pairs: &[VethPair], pod: &Netns) -> Option<&'a Netns> {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::doctor::FibAnswer;

    fn ns(inode: u64, interfaces: Vec<Interface>) -> Netns {
        Netns {
            inode,
            host: false,
            paths: Vec::new(),
            pids: 1,
            pause_pid: None,
            interfaces,
            pod: None,
            fds: Vec::new(),
            pid_list: Vec::new(),
        }
    }

    fn iface(name: &str, ifindex: u32, addr: &str) -> Interface {
        Interface {
            name: name.into(),
            ifindex,
            kind: "veth".into(),
            mtu: Some(1500),
            oper_state: "up".into(),
            admin_up: true,
            addresses: vec![addr.parse().unwrap()],
            ..Default::default()
        }
    }

    /// Facts by namespace inode; every lookup answers `route`.
    struct Fake {
        facts: BTreeMap<u64, NodeFacts>,
        route: std::result::Result<FibAnswer, String>,
    }

    impl NodeReader for Fake {
        fn facts(&self, ns: &Netns, queries: &[FibQuery]) -> Result<NodeFacts> {
            let mut f = self.facts.get(&ns.inode).cloned().unwrap_or_default();
            f.fib = queries
                .iter()
                .map(|q| FibLookup {
                    dst: q.dst,
                    src: q.src,
                    iif: q.iif.clone(),
                    result: self.route.clone(),
                    errno: self.route.as_ref().err().map(|_| libc::ENETUNREACH),
                })
                .collect();
            Ok(f)
        }

        fn lookup(&self, ns: &Netns, facts: &NodeFacts, q: &FibQuery) -> Result<FibLookup> {
            let mut f = self.facts(ns, std::slice::from_ref(q))?;
            f.interfaces = facts.interfaces.clone();
            Ok(f.fib.remove(0))
        }
    }

    const ICMP: Leg = Leg {
        proto: Proto::Icmp,
        sport: None,
        dport: None,
        reply: false,
    };

    fn dst() -> IpAddr {
        "10.244.2.2".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn a_pod_without_a_route_stops_at_its_own_lookup_and_reads_no_node() {
        let pod = ns(1, vec![iface("eth0", 2, "10.244.1.2/24")]);
        let fake = Fake {
            facts: BTreeMap::new(),
            route: Err("Network is unreachable".into()),
        };
        let m = Machine {
            nss: std::slice::from_ref(&pod),
            pairs: &[],
        };
        let (hops, src) = leg(&fake, &m, &pod, dst(), None, ICMP).unwrap_or_default();
        assert_eq!(hops.len(), 1, "{hops:#?}");
        assert_eq!(hops[0].status, HopStatus::Blocked);
        assert_eq!(src, None);
    }

    #[test]
    fn a_pod_whose_veth_has_no_peer_in_sight_ends_at_its_veth() {
        let pod = ns(1, vec![iface("eth0", 2, "10.244.1.2/24")]);
        let mut facts = BTreeMap::new();
        facts.insert(
            1,
            NodeFacts {
                interfaces: pod.interfaces.clone(),
                ..Default::default()
            },
        );
        let fake = Fake {
            facts,
            route: Ok(FibAnswer {
                oif: Some("eth0".into()),
                gateway: Some([10, 244, 1, 1].into()),
                kind: "unicast".into(),
            }),
        };
        // no pair names eth0: its peer is in no namespace podnet sees
        let m = Machine {
            nss: std::slice::from_ref(&pod),
            pairs: &[],
        };
        let (hops, src) = leg(&fake, &m, &pod, dst(), None, ICMP).unwrap_or_default();
        assert_eq!(src, Some([10, 244, 1, 2].into()));
        assert_eq!(hops.len(), 2, "{hops:#?}");
        assert_eq!(hops[1].status, HopStatus::Unknown, "{hops:#?}");
        assert_eq!(hops[1].cause, Some(Cause::OffMachine), "{hops:#?}");
    }
}
