//! Pairs every pod interface with its host-side veth peer across
//! namespaces, from IFLA_LINK + IFLA_LINK_NETNSID + the nsid each pod
//! netns gave the peer's netns, cross-checked with the reverse IFLA_LINK
//! and ethtool's `peer_ifindex`. Linear in the number of interfaces. No I/O.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::LinkKind;
use crate::model::route::RT_TABLE_MAIN;
use crate::model::{
    HostSide, Interface, Netns, PairStats, PairStatus, PodSide, Route, SideStats, VethPair,
};

/// What a visit learnt about one namespace beyond its interfaces.
#[derive(Debug, Clone, Default)]
pub struct NetnsExtra {
    /// nsid (as this netns numbers other namespaces) → that namespace's inode.
    pub nsids: HashMap<i32, u64>,
    /// Its main-table routes, when they were read.
    pub routes: Option<Vec<Route>>,
    /// `ethtool -S` counters by ifindex.
    pub ethtool: HashMap<u32, Vec<(String, u64)>>,
}

/// An interface's place: (netns index, interface index in that netns).
type End = (usize, usize);

/// A veth pair whose two ends were both found.
struct Found {
    pod: End,
    host: End,
    proof: Vec<String>,
}

/// How many of a namespace's veths have their peer in another namespace:
/// the host and node-like namespaces have many, pods one or two.
fn hubness(ns: &Netns) -> usize {
    if ns.host {
        return usize::MAX;
    }
    ns.interfaces
        .iter()
        .filter(|i| i.kind == LinkKind::Veth && i.link_netnsid.is_some())
        .count()
}

/// The namespaces and what their visits learnt, by position.
struct View<'a> {
    namespaces: &'a [Netns],
    extra: &'a HashMap<u64, NetnsExtra>,
    by_inode: HashMap<u64, usize>,
    empty: NetnsExtra,
}

impl<'a> View<'a> {
    fn new(namespaces: &'a [Netns], extra: &'a HashMap<u64, NetnsExtra>) -> View<'a> {
        let by_inode = namespaces
            .iter()
            .enumerate()
            .map(|(i, n)| (n.inode, i))
            .collect();
        View {
            namespaces,
            extra,
            by_inode,
            empty: NetnsExtra::default(),
        }
    }

    fn extra_of(&self, ni: usize) -> &NetnsExtra {
        self.extra
            .get(&self.namespaces[ni].inode)
            .unwrap_or(&self.empty)
    }

    fn iface(&self, (n, i): End) -> &'a Interface {
        &self.namespaces[n].interfaces[i]
    }
}

/// The pairs found from the pod side (each once) and every end they claim.
struct Pairing {
    found: Vec<Found>,
    claimed: HashSet<End>,
}

/// Every row of `veth list`: one per pod interface, then host veths whose peer was not found.
pub fn pair_all(
    namespaces: &[Netns],
    extra_mut: &mut HashMap<u64, NetnsExtra>,
    with_stats: bool,
) -> Vec<VethPair> {
    let view = View::new(namespaces, extra_mut);
    let pairing = find_pairs(&view);
    let by_pod_end: HashMap<End, &Found> = pairing.found.iter().map(|f| (f.pod, f)).collect();
    // Namespaces that hold the node side of some pod's veth: the host, and lab nodes.
    let hubs: HashSet<usize> = namespaces
        .iter()
        .enumerate()
        .filter(|(_, n)| n.host)
        .map(|(i, _)| i)
        .chain(pairing.found.iter().map(|f| f.host.0))
        .collect();
    // A hub's own interfaces (bridge, uplink) are not pod rows, unless the hub
    // is itself a pod (named, or with a pause process) holding another's peer.
    let node_side = |ni: usize| {
        let ns = &namespaces[ni];
        hubs.contains(&ni) && ns.pod.is_none() && (ns.host || ns.pause_pid.is_none())
    };
    // (row, pod end, host end) whose counters go into the row at the end
    let mut wants_stats: Vec<(usize, Option<End>, Option<End>)> = Vec::new();
    let mut rows = Vec::new();
    for (ni, ns) in namespaces.iter().enumerate() {
        if node_side(ni) {
            continue;
        }
        for ii in 0..ns.interfaces.len() {
            let end = (ni, ii);
            let found = by_pod_end.get(&end).copied();
            if view.iface(end).kind == LinkKind::Loopback
                || pairing.claimed.contains(&end) && found.is_none()
            {
                continue; // a node-side port of some pod: shown in that pod's row
            }
            wants_stats.push((rows.len(), Some(end), found.map(|f| f.host)));
            rows.push(pod_row(&view, end, found));
        }
    }
    // Host-side veths whose peer is in some other namespace that was not found.
    for (ni, ns) in namespaces.iter().enumerate() {
        if !node_side(ni) {
            continue; // a pod's unresolved veths are its peer-not-found rows
        }
        for (ii, iface) in ns.interfaces.iter().enumerate() {
            if iface.kind != LinkKind::Veth
                || iface.link_netnsid.is_none()
                || pairing.claimed.contains(&(ni, ii))
            {
                continue;
            }
            wants_stats.push((rows.len(), None, Some((ni, ii))));
            rows.push(orphan_row(namespaces, (ni, ii)));
        }
    }
    if with_stats {
        fill_stats(namespaces, extra_mut, &mut rows, wants_stats);
    }
    rows
}

/// Every veth end whose peer namespace the pod side can name, resolved.
fn find_pairs(view: &View<'_>) -> Pairing {
    let mut found: Vec<Found> = Vec::new();
    let mut claimed: HashSet<End> = HashSet::new();
    for (ai, a) in view.namespaces.iter().enumerate() {
        for xi in 0..a.interfaces.len() {
            let Some(f) = pair_of(view, (ai, xi)) else {
                continue;
            };
            if claimed.contains(&f.pod) || claimed.contains(&f.host) {
                continue; // already found from the other end
            }
            claimed.insert(f.pod);
            claimed.insert(f.host);
            found.push(f);
        }
    }
    Pairing { found, claimed }
}

/// The pair `x` (at `ax`) is one end of, when its peer is found and points
/// back at it: which end is the pod's, and the proof.
fn pair_of(view: &View<'_>, ax: End) -> Option<Found> {
    let (ai, _) = ax;
    let (a, x) = (&view.namespaces[ai], view.iface(ax));
    let (Some(link), Some(nsid)) = (x.link_ifindex, x.link_netnsid) else {
        return None;
    };
    if x.kind != LinkKind::Veth {
        return None;
    }
    let b_inode = view.extra_of(ai).nsids.get(&nsid)?;
    let bi = *view.by_inode.get(b_inode)?;
    let b = &view.namespaces[bi];
    let yi = b.interfaces.iter().position(|y| y.ifindex == link)?;
    let y = &b.interfaces[yi];
    if y.kind != LinkKind::Veth || y.link_ifindex != Some(x.ifindex) {
        return None; // not the other end: an ifindex reused in that namespace
    }
    // Decide which end is the pod's: the one in the namespace with fewer
    // outside veths; on a tie, the named one, the one with a pause
    // process, the end that is not a bridge port (host veths are).
    let side = |n: &Netns, end: &Interface| {
        (
            hubness(n),
            n.pod.is_none(),
            n.pause_pid.is_none(),
            end.master_ifindex.is_some(),
            n.inode,
        )
    };
    let (pod, host) = if side(a, x) <= side(b, y) {
        (ax, (bi, yi))
    } else {
        ((bi, yi), ax)
    };
    let mut proof = vec![
        format!(
            "{}: IFLA_LINK={link} IFLA_LINK_NETNSID={nsid} (netns {})",
            x.name, a.inode
        ),
        format!(
            "nsid {nsid} in netns {} is netns {}{} (RTM_GETNSID)",
            a.inode,
            b.inode,
            if b.host { ", the host" } else { "" }
        ),
        format!(
            "{} (ifindex {}): IFLA_LINK={} points back at {}",
            y.name, y.ifindex, x.ifindex, x.name
        ),
    ];
    for (end_ns, end_if, other) in [(ai, x, y), (bi, y, x)] {
        if let Some(stats) = view.extra_of(end_ns).ethtool.get(&end_if.ifindex)
            && let Some((_, v)) = stats.iter().find(|(n, _)| n == "peer_ifindex")
        {
            let verdict = if *v == u64::from(other.ifindex) {
                "agrees"
            } else {
                "DISAGREES"
            };
            proof.push(format!(
                "ethtool peer_ifindex of {} = {v} ({verdict})",
                end_if.name
            ));
        }
    }
    Some(Found { pod, host, proof })
}

/// A pod interface's row: paired, a veth whose peer is not found or in the
/// same namespace, or not a veth at all.
fn pod_row(view: &View<'_>, (ni, ii): End, found: Option<&Found>) -> VethPair {
    let ns = &view.namespaces[ni];
    let iface = &ns.interfaces[ii];
    let (status, proof, host_if) = match found {
        Some(f) => (
            PairStatus::Paired,
            f.proof.clone(),
            Some(host_side(view.namespaces, f.host)),
        ),
        None if iface.kind == LinkKind::Veth => match iface.link_netnsid {
            None => (
                PairStatus::PeerInSameNetns,
                vec![format!(
                    "{}: no IFLA_LINK_NETNSID: its peer (ifindex {}) is in the same netns",
                    iface.name,
                    iface.link_ifindex.unwrap_or(0)
                )],
                None,
            ),
            Some(id) => (
                PairStatus::PeerNotFound,
                vec![format!(
                    "{}: IFLA_LINK={} IFLA_LINK_NETNSID={id}, but nsid {id} names no namespace podnet found",
                    iface.name,
                    iface.link_ifindex.unwrap_or(0)
                )],
                None,
            ),
        },
        None => (
            PairStatus::NotVeth,
            vec![format!(
                "{} is a {} interface, not a veth",
                iface.name, iface.kind
            )],
            None,
        ),
    };
    VethPair {
        pod: ns.pod.clone(),
        netns_inode: Some(ns.inode),
        pause_pid: ns.pause_pid,
        pod_if: Some(pod_side(iface, view.extra_of(ni).routes.as_ref())),
        host_if,
        status,
        proof,
        stats: None,
    }
}

/// A host-side veth whose peer is in no namespace podnet found.
fn orphan_row(namespaces: &[Netns], (ni, ii): End) -> VethPair {
    let ns = &namespaces[ni];
    let iface = &ns.interfaces[ii];
    VethPair {
        pod: None,
        netns_inode: None,
        pause_pid: None,
        pod_if: None,
        host_if: Some(host_side(namespaces, (ni, ii))),
        status: PairStatus::Orphan,
        proof: vec![format!(
            "{}: IFLA_LINK={} IFLA_LINK_NETNSID={} in netns {}, and no namespace podnet found holds that peer (deleted, or held only by a file descriptor: try --deep)",
            iface.name,
            iface.link_ifindex.unwrap_or(0),
            iface.link_netnsid.unwrap_or(-1),
            ns.inode
        )],
        stats: None,
    }
}

/// Counters last: each end's ethtool counters move into its row.
fn fill_stats(
    namespaces: &[Netns],
    extra: &mut HashMap<u64, NetnsExtra>,
    rows: &mut [VethPair],
    wants: Vec<(usize, Option<End>, Option<End>)>,
) {
    for (row, pod_end, host_end) in wants {
        let mut take = |end: Option<End>| {
            end.map(|(n, i)| {
                side_stats(
                    &namespaces[n].interfaces[i],
                    extra.get_mut(&namespaces[n].inode),
                )
            })
        };
        rows[row].stats = Some(PairStats {
            pod_if: take(pod_end),
            host_if: take(host_end),
        });
    }
}

fn pod_side(i: &Interface, routes: Option<&Vec<Route>>) -> PodSide {
    PodSide {
        name: i.name.clone(),
        ifindex: i.ifindex,
        mac: i.mac.clone(),
        mtu: i.mtu,
        oper_state: i.oper_state.clone(),
        addresses: i.addresses.clone(),
        kind: i.kind.clone(),
        routes: routes.map(|routes| {
            routes
                .iter()
                .filter(|r| {
                    r.oif == Some(i.ifindex)
                        && (r.table == RT_TABLE_MAIN || r.table == 0)
                        && r.kind == "unicast"
                })
                .filter(|r| !(r.ipv6 && r.dst.is_some_and(|d| d.to_string().starts_with("fe80:"))))
                .map(Route::summary)
                .collect()
        }),
    }
}

fn host_side(namespaces: &[Netns], (ni, ii): End) -> HostSide {
    let ns = &namespaces[ni];
    let i = &ns.interfaces[ii];
    HostSide {
        name: i.name.clone(),
        ifindex: i.ifindex,
        mac: i.mac.clone(),
        mtu: i.mtu,
        oper_state: i.oper_state.clone(),
        master: i
            .master_ifindex
            .and_then(|m| ns.interfaces.iter().find(|x| x.ifindex == m))
            .map(|m| m.name.clone()),
        netns_inode: ns.inode,
    }
}

fn side_stats(i: &Interface, extra: Option<&mut NetnsExtra>) -> SideStats {
    SideStats {
        link: i.stats.unwrap_or_default(),
        ethtool: extra
            .and_then(|e| e.ethtool.remove(&i.ifindex))
            .map(|v| v.into_iter().collect::<BTreeMap<_, _>>())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pod;

    fn iface(name: &str, ifindex: u32, kind: &str, link: Option<(u32, i32)>) -> Interface {
        Interface {
            name: name.into(),
            ifindex,
            kind: kind.into(),
            addresses: vec![],
            mac: None,
            mtu: Some(1500),
            oper_state: "up".into(),
            admin_up: true,
            link_ifindex: link.map(|l| l.0),
            link_netnsid: link.map(|l| l.1),
            master_ifindex: None,
            stats: None,
        }
    }

    fn ns(inode: u64, host: bool, named: bool, ifaces: Vec<Interface>) -> Netns {
        Netns {
            inode,
            host,
            paths: vec![],
            pids: 1,
            pause_pid: None,
            interfaces: ifaces,
            pod: named.then(|| Pod {
                namespace: Some("default".into()),
                name: Some(format!("p{inode}")),
                uid: None,
                sandbox_id: None,
                runtime: None,
                sources: vec![],
                conflicts: vec![],
            }),
            fds: vec![],
            pid_list: vec![],
        }
    }

    fn extra(pairs: &[(u64, i32, u64)]) -> HashMap<u64, NetnsExtra> {
        let mut m: HashMap<u64, NetnsExtra> = HashMap::new();
        for &(viewer, nsid, target) in pairs {
            m.entry(viewer).or_default().nsids.insert(nsid, target);
        }
        m
    }

    #[test]
    fn same_ifindex_in_every_pod_pairs_by_nsid() {
        // two pods, both eth0 = ifindex 2, host veths 7 and 8
        let host = ns(
            1,
            true,
            false,
            vec![
                iface("lo", 1, "loopback", None),
                iface("cali1", 7, "veth", Some((2, 0))),
                iface("cali2", 8, "veth", Some((2, 1))),
            ],
        );
        let a = ns(
            10,
            false,
            true,
            vec![
                iface("lo", 1, "loopback", None),
                iface("eth0", 2, "veth", Some((7, 0))),
            ],
        );
        let b = ns(
            20,
            false,
            true,
            vec![iface("eth0", 2, "veth", Some((8, 0)))],
        );
        let rows = pair_all(&[host, a, b], &mut extra(&[(10, 0, 1), (20, 0, 1)]), false);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].host_if.as_ref().unwrap().name, "cali1");
        assert_eq!(rows[1].host_if.as_ref().unwrap().name, "cali2");
        assert!(rows.iter().all(|r| r.status == PairStatus::Paired));
        assert!(rows[0].proof[1].contains("the host"));
    }

    #[test]
    fn a_wrong_back_pointer_is_not_a_pair_and_orphans_are_kept() {
        let host = ns(
            1,
            true,
            false,
            vec![
                iface("veth9", 9, "veth", Some((3, 0))),
                iface("gone0", 12, "veth", Some((2, 5))),
            ],
        );
        let a = ns(
            10,
            false,
            true,
            vec![iface("eth0", 2, "veth", Some((9, 0)))],
        );
        let rows = pair_all(&[host, a], &mut extra(&[(10, 0, 1)]), false);
        assert_eq!(rows[0].status, PairStatus::PeerNotFound);
        let orphans: Vec<&str> = rows
            .iter()
            .filter(|r| r.status == PairStatus::Orphan)
            .map(|r| r.host_if.as_ref().unwrap().name.as_str())
            .collect();
        assert_eq!(orphans, vec!["veth9", "gone0"]);
    }

    #[test]
    fn non_veth_and_second_interfaces_get_rows() {
        let host = ns(
            1,
            true,
            false,
            vec![
                iface("veth1", 7, "veth", Some((2, 0))),
                iface("ens3", 2, "device", None),
            ],
        );
        let a = ns(
            10,
            false,
            true,
            vec![
                iface("eth0", 2, "veth", Some((7, 0))),
                iface("net1", 3, "ipvlan", Some((2, 0))),
            ],
        );
        let rows = pair_all(&[host, a], &mut extra(&[(10, 0, 1)]), true);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].status, PairStatus::NotVeth);
        assert_eq!(rows[1].pod_if.as_ref().unwrap().kind, LinkKind::Ipvlan);
        assert!(rows[0].stats.is_some());
    }

    #[test]
    fn node_namespaces_are_the_host_side_in_a_lab() {
        // a lab node netns 5 holds the pods' host veths; the root netns holds the node's uplink
        let root = ns(1, true, false, vec![iface("lo", 1, "loopback", None)]);
        let node = ns(
            5,
            false,
            false,
            vec![
                iface("cni0", 3, "bridge", None),
                iface("vethA", 4, "veth", Some((2, 0))),
                iface("vethB", 5, "veth", Some((2, 1))),
            ],
        );
        let a = ns(
            10,
            false,
            true,
            vec![iface("eth0", 2, "veth", Some((4, 0)))],
        );
        let b = ns(
            20,
            false,
            true,
            vec![iface("eth0", 2, "veth", Some((5, 3)))],
        );
        let rows = pair_all(
            &[root, node, a, b],
            &mut extra(&[(10, 0, 5), (20, 3, 5)]),
            false,
        );
        let paired: Vec<(u64, &str)> = rows
            .iter()
            .filter(|r| r.status == PairStatus::Paired)
            .map(|r| {
                (
                    r.netns_inode.unwrap(),
                    r.host_if.as_ref().unwrap().name.as_str(),
                )
            })
            .collect();
        assert_eq!(paired, vec![(10, "vethA"), (20, "vethB")]);
        assert_eq!(
            rows.len(),
            2,
            "the node's bridge and veths are not pod rows: {rows:#?}"
        );
    }

    #[test]
    fn a_pod_holding_another_namespaces_peer_keeps_its_rows() {
        // pod 10 (pause process, no name): eth0 to the host, net1 to netns 30,
        // whose only veth x0 makes 10 the "host" side of that link
        let host = ns(
            1,
            true,
            false,
            vec![iface("vethP", 7, "veth", Some((2, 0)))],
        );
        let mut pod = ns(
            10,
            false,
            false,
            vec![
                iface("eth0", 2, "veth", Some((7, 0))),
                iface("net1", 3, "veth", Some((2, 1))),
            ],
        );
        pod.pause_pid = Some(100);
        let other = ns(30, false, false, vec![iface("x0", 2, "veth", Some((3, 0)))]);
        let rows = pair_all(
            &[host, pod, other],
            &mut extra(&[(10, 0, 1), (10, 1, 30), (30, 0, 10)]),
            false,
        );
        let got: Vec<(Option<u64>, &str, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r.netns_inode,
                    r.pod_if.as_ref().unwrap().name.as_str(),
                    r.host_if.as_ref().unwrap().name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![(Some(10), "eth0", "vethP"), (Some(30), "x0", "net1")],
            "{rows:#?}"
        );
        assert!(rows.iter().all(|r| r.status == PairStatus::Paired));
    }

    #[test]
    fn a_named_hubs_unresolved_veth_is_one_row() {
        // named pod 10 holds pod 30's peer (net1 ↔ x0) and has a veth whose peer is hidden
        let host = ns(
            1,
            true,
            false,
            vec![iface("vethP", 7, "veth", Some((2, 0)))],
        );
        let pod = ns(
            10,
            false,
            true,
            vec![
                iface("eth0", 2, "veth", Some((7, 0))),
                iface("net1", 3, "veth", Some((2, 1))),
                iface("net2", 4, "veth", Some((2, 2))),
            ],
        );
        let other = ns(30, false, false, vec![iface("x0", 2, "veth", Some((3, 0)))]);
        let rows = pair_all(
            &[host, pod, other],
            &mut extra(&[(10, 0, 1), (10, 1, 30), (30, 0, 10)]),
            false,
        );
        let net2: Vec<PairStatus> = rows
            .iter()
            .filter(|r| r.pod_if.as_ref().is_some_and(|p| p.name == "net2"))
            .map(|r| r.status)
            .collect();
        assert_eq!(net2, vec![PairStatus::PeerNotFound], "{rows:#?}");
        assert!(
            rows.iter().all(|r| r.status != PairStatus::Orphan),
            "{rows:#?}"
        );
    }

    #[test]
    fn a_tie_makes_the_bridge_port_the_host_side() {
        // a lab node (no uplink, one pod): both namespaces have one outside
        // veth and neither a name nor a pause; the node's veth is a bridge port
        let root = ns(1, true, false, vec![iface("lo", 1, "loopback", None)]);
        let mut port = iface("vethA", 4, "veth", Some((2, 0)));
        port.master_ifindex = Some(3);
        // the node's inode sorts first, so the inode alone would make it the pod
        let node = ns(
            5,
            false,
            false,
            vec![iface("cni0", 3, "bridge", None), port],
        );
        let pod = ns(
            10,
            false,
            false,
            vec![iface("eth0", 2, "veth", Some((4, 0)))],
        );
        let rows = pair_all(
            &[root, node, pod],
            &mut extra(&[(10, 0, 5), (5, 0, 10)]),
            false,
        );
        assert_eq!(rows.len(), 1, "{rows:#?}");
        assert_eq!(rows[0].netns_inode, Some(10));
        assert_eq!(rows[0].host_if.as_ref().unwrap().name, "vethA");
    }
}
