//! Unit tests of `cni::gc`. No I/O.

use super::*;
use serde_json::json;

const NODE: u64 = 1;
const LIVE: u64 = 10;
const EMPTY: u64 = 20;
const OLD: Option<Duration> = Some(Duration::from_secs(600));
const YOUNG: Option<Duration> = Some(Duration::from_secs(1));

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn key(id: &str) -> String {
    names::attachment_key("pods", id, "eth0")
}

fn cache(id: &str, netns_inode: Option<u64>) -> CacheFact {
    CacheFact {
        path: format!("/var/lib/cni/results/pods-{id}-eth0"),
        network: "pods".into(),
        container_id: id.into(),
        ifname: "eth0".into(),
        pod: Some(format!("default/{id}")),
        netns: Some(format!("/run/netns/cni-{id}")),
        netns_inode,
        age: OLD,
        stores: vec![PathBuf::from("/d/pods")],
    }
}

fn veth(name: &str, id: &str, peer: Option<u64>) -> VethFact {
    VethFact {
        name: name.into(),
        ifindex: 7,
        net_key: names::network_key("pods"),
        key: key(id),
        peer: peer.map(|netns| Peer {
            netns,
            ifname: "eth0".into(),
        }),
    }
}

fn res(addr: &str, id: &str, age: Option<Duration>) -> ReservationFact {
    ReservationFact {
        ip: ip(addr),
        owner: Owner::parse(&format!("{id}\r\neth0")),
        age,
    }
}

fn rule(id: &str) -> RuleFact {
    RuleFact {
        net_key: names::network_key("pods"),
        key: key(id),
        comment: format!("rule of {id}"),
    }
}

/// A node with a live pod (a cache entry), a hand-plumbed live pod (none),
/// a dead cache entry, a netns nothing holds, and what they left.
fn facts() -> Facts {
    Facts {
        cache_dir: "/var/lib/cni/results".into(),
        node_netns: NODE,
        cache: vec![cache("alive", Some(LIVE)), cache("gone", None)],
        known: vec![KnownSandbox {
            id: "crio1".into(),
            source: "oci-config /var/lib/containers/x/config.json".into(),
        }],
        namespaces: vec![
            NetnsFact {
                inode: NODE,
                node: true,
                pids: vec![1],
                ..Default::default()
            },
            NetnsFact {
                inode: LIVE,
                pids: vec![100, 101],
                pause_pid: Some(100),
                addresses: vec![
                    ("eth0".into(), ip("10.0.0.2")),
                    ("net1".into(), ip("10.0.0.5")),
                ],
                age: OLD,
                ..Default::default()
            },
            NetnsFact {
                inode: EMPTY,
                addresses: vec![("eth0".into(), ip("10.0.0.6"))],
                age: OLD,
                ..Default::default()
            },
        ],
        mounts: vec![
            MountFact {
                path: "/run/netns/cni-empty".into(),
                nsfs_inode: Some(EMPTY),
                age: OLD,
            },
            MountFact {
                path: "/run/netns/cni-hand".into(),
                nsfs_inode: Some(LIVE),
                age: OLD,
            },
            MountFact {
                path: "/run/netns/cni-alive".into(),
                nsfs_inode: Some(LIVE),
                age: OLD,
            },
            MountFact {
                path: "/run/netns/cni-file".into(),
                nsfs_inode: None,
                age: OLD,
            },
        ],
        veths: vec![
            veth("v-alive", "alive", Some(LIVE)),
            veth("v-hand", "hand", Some(LIVE)),
            veth("v-empty", "lost", Some(EMPTY)),
            VethFact {
                net_key: names::network_key("else"),
                ..veth("v-node", "odd", Some(NODE))
            },
            VethFact {
                net_key: names::network_key("else"),
                ..veth("v-unseen", "unseen", None)
            },
        ],
        stores: vec![
            StoreFact {
                dir: PathBuf::from("/d/pods"),
                network: "pods".into(),
                reservations: vec![
                    res("10.0.0.2", "alive", OLD),
                    res("10.0.0.3", "gone", OLD),
                    res("10.0.0.4", "crio1", OLD),
                    res("10.0.0.5", "hand", OLD),
                    res("10.0.0.6", "lost", OLD),
                    res("10.0.0.7", "ghost", OLD),
                    res("10.0.0.8", "newborn", YOUNG),
                ],
            },
            StoreFact {
                dir: PathBuf::from("/d/other"),
                network: "other".into(),
                reservations: vec![res("10.9.0.2", "theirs", OLD)],
            },
        ],
        rules: vec![
            rule("alive"),
            rule("hand"),
            rule("lost"),
            rule("gone"),
            rule("nobody"),
        ],
        gc_networks: vec![GcNetwork {
            name: "pods".into(),
            stores: vec![PathBuf::from("/d/pods")],
        }],
    }
}

fn policy() -> Policy {
    Policy {
        min_age: Duration::from_secs(60),
        include_uncached_networks: false,
    }
}

fn doomed<'a>(j: &'a Judgement, object: &str) -> Option<&'a Doomed> {
    j.leaks.iter().find(|d| d.finding.object == object)
}

fn kept<'a>(j: &'a Judgement, object: &str) -> Option<&'a Finding> {
    j.kept.iter().find(|k| k.object == object)
}

#[test]
fn what_a_live_namespace_or_a_runtime_holds_is_kept() {
    let j = judge(&facts(), &policy());
    for o in [
        "v-alive",
        "/d/pods/10.0.0.2",
        "rule of alive",
        "/run/netns/cni-alive",
    ] {
        assert!(
            doomed(&j, o).is_none() && kept(&j, o).is_none(),
            "{o}: a live cache entry's"
        );
    }
    let v = kept(&j, "v-hand").expect("the hand-plumbed pod's veth");
    assert!(
        v.reason.contains("process 100 (and 1 more) is in it"),
        "{}",
        v.reason
    );
    let r = kept(&j, "/d/pods/10.0.0.5").expect("its address");
    assert!(
        r.reason.contains("10.0.0.5 is on net1 in netns 10"),
        "{}",
        r.reason
    );
    assert!(kept(&j, "rule of hand").unwrap().reason.contains("v-hand"));
    assert!(kept(&j, "/run/netns/cni-hand").is_some());
    let c = kept(&j, "/d/pods/10.0.0.4").expect("a sandbox CRI-O still has");
    assert!(c.reason.contains("oci-config"), "{}", c.reason);
    assert!(kept(&j, "v-node").unwrap().reason.contains("node's netns"));
    assert!(kept(&j, "v-unseen").is_some());
    assert!(
        kept(&j, "/d/pods/10.0.0.8")
            .unwrap()
            .reason
            .contains("--min-age")
    );
    let other = kept(&j, "/d/other").expect("an uncached network's store");
    assert!(
        other.reason.contains("--include-uncached-networks"),
        "{}",
        other.reason
    );
    assert!(doomed(&j, "/d/other/10.9.0.2").is_none());
}

#[test]
fn what_nothing_holds_is_doomed_with_its_remedy() {
    let j = judge(&facts(), &policy());
    let action = |o: &str| {
        doomed(&j, o)
            .map(|d| d.action.clone())
            .unwrap_or_else(|| panic!("{o} not doomed: {j:?}"))
    };
    assert_eq!(
        action("/var/lib/cni/results/pods-gone-eth0"),
        Action::DelCacheEntry { index: 1 }
    );
    assert_eq!(action("/d/pods/10.0.0.3"), Action::ByCacheDel { index: 1 });
    assert_eq!(action("rule of gone"), Action::ByCacheDel { index: 1 });
    assert_eq!(
        action("v-empty"),
        Action::DeleteLink {
            name: "v-empty".into(),
            ifindex: 7,
            peer_netns: EMPTY
        }
    );
    assert_eq!(
        action("rule of lost"),
        Action::RemoveRules { key: key("lost") }
    );
    assert_eq!(
        action("rule of nobody"),
        Action::RemoveRules { key: key("nobody") }
    );
    // an address only a dead netns has is no evidence of life
    assert!(matches!(action("/d/pods/10.0.0.6"), Action::Release { .. }));
    assert!(matches!(action("/d/pods/10.0.0.7"), Action::Release { .. }));
    assert_eq!(
        action("/run/netns/cni-empty"),
        Action::DeleteNetns {
            path: "/run/netns/cni-empty".into(),
            inode: Some(EMPTY)
        }
    );
    assert!(matches!(
        action("/run/netns/cni-file"),
        Action::DeleteNetns { inode: None, .. }
    ));
    assert_eq!(j.leaks.len(), 10, "{:#?}", j.leaks);
}

#[test]
fn a_sandbox_a_runtime_still_names_is_not_torn_down() {
    let mut f = facts();
    // CRI-O with drop_infra_ctr: no process in the netns, but the runtime has the sandbox
    f.cache.push(CacheFact {
        netns_inode: Some(EMPTY),
        ..cache("crio1", Some(EMPTY))
    });
    let j = judge(&f, &policy());
    let c = kept(&j, "/var/lib/cni/results/pods-crio1-eth0").expect("kept");
    assert!(
        c.reason.contains("still named by oci-config"),
        "{}",
        c.reason
    );
    // and without it, the empty netns's cache entry is a leak, after --min-age
    let mut f = facts();
    f.cache.push(cache("norun", Some(EMPTY)));
    let j = judge(&f, &policy());
    assert!(doomed(&j, "/var/lib/cni/results/pods-norun-eth0").is_some());
    f.cache[2].age = YOUNG;
    let j = judge(&f, &policy());
    assert!(
        kept(&j, "/var/lib/cni/results/pods-norun-eth0")
            .unwrap()
            .reason
            .contains("--min-age")
    );
}

#[test]
fn young_objects_and_uncached_stores_wait_for_their_flags() {
    let mut f = facts();
    f.namespaces[2].age = YOUNG;
    f.mounts[3].age = YOUNG;
    let j = judge(&f, &policy());
    assert!(kept(&j, "v-empty").is_some() && kept(&j, "/run/netns/cni-empty").is_some());
    assert!(kept(&j, "/run/netns/cni-file").is_some());
    let j = judge(
        &f,
        &Policy {
            min_age: Duration::ZERO,
            include_uncached_networks: true,
        },
    );
    assert!(doomed(&j, "v-empty").is_some() && doomed(&j, "/d/pods/10.0.0.8").is_some());
    assert!(matches!(
        doomed(&j, "/d/other/10.9.0.2").map(|d| &d.action),
        Some(Action::Release { .. })
    ));
}

#[test]
fn cni_gc_keeps_every_attachment_that_may_live_or_is_not_made() {
    let j = judge(&facts(), &policy());
    let plan = &j.gc[0];
    // v-hand (alive) is named by its reservation, so the call is made
    assert_eq!(plan.skipped, None, "{plan:?}");
    let ids: Vec<&str> = plan.valid.iter().map(|a| a.container_id.as_str()).collect();
    assert_eq!(ids, vec!["alive", "crio1", "hand", "newborn"]);
    // an alive veth no reservation or cache entry names blocks it
    let mut f = facts();
    f.stores[0]
        .reservations
        .retain(|r| r.owner.container_id != "hand");
    let j = judge(&f, &policy());
    assert!(
        j.gc[0].skipped.as_deref().unwrap().contains("v-hand"),
        "{:?}",
        j.gc[0]
    );
    // a network with no cache entry gets no call
    let mut f = facts();
    f.cache.clear();
    let j = judge(&f, &policy());
    assert!(
        j.gc[0]
            .skipped
            .as_deref()
            .unwrap()
            .contains("no entry in the CNI cache")
    );
}

#[test]
fn stores_are_directories_host_local_made() {
    let e = |names: &[(&str, bool)]| -> Vec<(String, bool)> {
        names.iter().map(|(n, r)| (n.to_string(), *r)).collect()
    };
    assert!(looks_like_store(&e(&[
        ("lock", true),
        ("last_reserved_ip.0", true),
        ("10.0.0.2", true)
    ])));
    assert!(looks_like_store(&e(&[("lock", true)])));
    assert!(!looks_like_store(&e(&[("10.0.0.5", true)])), "a backup");
    assert!(
        !looks_like_store(&e(&[("lock", true), ("10.0.0.5", true)])),
        "no cursor"
    );
    assert!(
        !looks_like_store(&e(&[("lock", false), ("last_reserved_ip.0", true)])),
        "a fifo lock"
    );
    assert!(!looks_like_store(&e(&[("README", true)])));

    assert_eq!(
        reservation_owner("abc\r\neth0"),
        Some(Owner::parse("abc\r\neth0"))
    );
    assert_eq!(reservation_owner("abc\n").map(|o| o.ifname), Some(None));
    assert_eq!(reservation_owner("not a reservation"), None);
    assert_eq!(reservation_owner("a\nb\nc"), None);
    assert_eq!(reservation_owner(""), None);
    assert_eq!(reservation_owner("abc\r\nmuch-too-long-name0"), None);

    let list = super::super::conflist::parse(
        json!({"cniVersion": "1.0.0", "name": "n", "plugins": [
            {"type": "bridge", "ipam": {"type": "host-local", "dataDir": "/x"}},
            {"type": "podnet", "ipam": {"type": "podnet"}},
            {"type": "macvlan", "ipam": {"type": "dhcp"}},
            {"type": "portmap"}
        ]})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        host_local_stores(&list),
        vec![
            PathBuf::from("/var/lib/cni/networks/n"),
            PathBuf::from("/x/n")
        ]
    );
}
