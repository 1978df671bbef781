//! Unit tests of the node's pod selection on crafted namespaces and veths.

use super::*;
use crate::analyze::doctor::fixtures::link;
use crate::model::{HostSide, PodSide};

const NODE: u64 = 100;

fn netns(inode: u64, paths: &[&str], pids: usize, pause: Option<i32>) -> Netns {
    Netns {
        inode,
        host: false,
        paths: paths.iter().map(|p| p.to_string()).collect(),
        pids,
        pause_pid: pause,
        interfaces: vec![link(1, "lo", "loopback")],
        pod: None,
        fds: vec![],
        pid_list: vec![],
    }
}

fn pair(pod_inode: u64, host_ns: u64, status: PairStatus, addrs: &[&str]) -> VethPair {
    VethPair {
        pod: None,
        netns_inode: Some(pod_inode),
        pause_pid: Some(pod_inode as i32),
        pod_if: Some(PodSide {
            name: "eth0".into(),
            ifindex: 2,
            mac: None,
            mtu: Some(1450),
            oper_state: "up".into(),
            addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            kind: "veth".into(),
            routes: None,
        }),
        host_if: Some(HostSide {
            name: format!("veth{pod_inode}"),
            ifindex: 10 + pod_inode as u32,
            mac: None,
            mtu: Some(1450),
            oper_state: "up".into(),
            master: None,
            netns_inode: host_ns,
        }),
        status,
        proof: vec![],
        stats: None,
    }
}

#[test]
fn a_paired_pod_is_seen_by_its_first_global_address() {
    let p = pair(
        7,
        NODE,
        PairStatus::Paired,
        &["fe80::1/64", "10.244.1.7/24"],
    );
    let pod = node_pod(&p).expect("a paired pod");
    assert_eq!(pod.pod_ip, Some("10.244.1.7".parse().unwrap()));
    assert_eq!(pod.pod_if, "eth0");
    assert_eq!(pod.label, "netns 7");
    assert_eq!(pod.host_ifindex, 17);
    let orphan = pair(8, NODE, PairStatus::Orphan, &[]);
    assert!(node_pod(&orphan).is_none());
}

#[test]
fn the_nodes_pairs_are_those_whose_host_end_is_there() {
    let pairs = vec![
        pair(7, NODE, PairStatus::Paired, &["10.244.1.7/24"]),
        pair(8, 200, PairStatus::Paired, &["10.244.2.8/24"]),
        pair(9, NODE, PairStatus::Orphan, &[]),
    ];
    let node = netns(NODE, &[], 1, None);
    let mine: Vec<u64> = pairs_of_node(&pairs, &node)
        .iter()
        .filter_map(|p| p.netns_inode)
        .collect();
    assert_eq!(mine, vec![7, 9]);
    let prefixes = pod_prefixes(&pairs_of_node(&pairs, &node));
    assert_eq!(prefixes, vec![("10.244.1.7".parse().unwrap(), 24)]);
}

#[test]
fn an_orphan_netns_is_mounted_empty_and_no_nodes() {
    let mut busy = netns(2, &["/run/netns/a"], 1, None);
    busy.interfaces.push(link(2, "eth0", "veth"));
    let nss = vec![
        netns(1, &["/run/netns/empty"], 0, None),
        busy,
        netns(3, &[], 0, None),
        netns(NODE, &["/run/netns/node"], 0, None),
    ];
    let pairs = vec![pair(7, NODE, PairStatus::Paired, &[])];
    assert_eq!(orphan_netns(&nss, &pairs), vec!["/run/netns/empty (1)"]);
}

#[test]
fn a_lab_nodes_pod_views_are_its_own_pods_and_veth_less_sandboxes() {
    let node = netns(NODE, &[], 1, None);
    let nss = vec![
        node.clone(),
        netns(7, &[], 1, Some(7)),
        netns(30, &[], 1, Some(30)),
        netns(31, &[], 1, Some(31)),
        netns(200, &[], 1, None),
    ];
    let pairs = vec![pair(7, NODE, PairStatus::Paired, &["10.244.1.7/24"])];
    let layout = LabLayout {
        nodes: vec![NODE, 200],
        node_pods: vec![7, 30],
    };
    let views: Vec<u64> = pod_views(&node, &nss, &pairs, &HashMap::new(), Some(&layout))
        .iter()
        .map(|v| v.inode)
        .collect();
    assert_eq!(views, vec![7, 30], "31 is another node's pod");
    let host = Netns {
        host: true,
        ..node.clone()
    };
    let on_host: Vec<u64> = pod_views(&host, &nss, &[], &HashMap::new(), None)
        .iter()
        .map(|v| v.inode)
        .collect();
    assert_eq!(on_host, vec![7, 30, 31], "the host holds every sandbox");
}
