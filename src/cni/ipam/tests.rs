//! Unit tests of `cni::ipam`. No I/O.

use super::*;
use serde_json::json;

fn conf(ipam: Value) -> HostLocalConf {
    parse(&json!({"name": "net1", "ipam": ipam}), None).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn state(ips: &[&str], last: Option<&str>) -> StoreState {
    StoreState {
        reservations: ips
            .iter()
            .map(|i| Reservation {
                ip: ip(i),
                owner: Owner {
                    container_id: format!("c-{i}"),
                    ifname: Some("eth0".into()),
                },
            })
            .collect(),
        last_reserved: last.map(|l| (0usize, ip(l))).into_iter().collect(),
    }
}

#[test]
fn canonicalises_like_host_local() {
    let c = conf(json!({"type": "host-local", "subnet": "10.1.2.0/24"}));
    let r = &c.ranges[0].0[0];
    assert_eq!(r.start, ip("10.1.2.1"));
    assert_eq!(r.end, ip("10.1.2.254"));
    assert_eq!(r.gateway, ip("10.1.2.1"));
    assert_eq!(c.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
    assert_eq!(c.store_dir(), PathBuf::from("/var/lib/cni/networks/net1"));
    let v6 = conf(json!({"ranges": [[{"subnet": "fd00::/120"}]]}));
    assert_eq!(v6.ranges[0].0[0].end, ip("fd00::ff"));
    let both = conf(
        json!({"subnet": "10.9.0.0/16", "ranges": [[{"subnet": "fd00::/64"}]], "dataDir": "/tmp/x"}),
    );
    assert_eq!(both.ranges.len(), 2);
    assert!(both.ranges[0].is_ipv4());
}

#[test]
fn refuses_what_host_local_refuses() {
    for (ipam, want) in [
        (json!({}), "no IP ranges specified"),
        (json!({"subnet": "10.0.0.0/31"}), "too small"),
        (json!({"subnet": "10.0.0.1/24"}), "host bits set"),
        (json!({"subnet": "nope"}), "invalid CIDR"),
        (
            json!({"ranges": [[{"subnet": "10.0.0.0/24", "rangeStart": "10.0.1.5"}]]}),
            "RangeStart",
        ),
        (
            json!({"ranges": [[{"subnet": "10.0.0.0/24", "rangeStart": "10.0.0.9", "rangeEnd": "10.0.0.5"}]]}),
            "RangeEnd",
        ),
        (
            json!({"ranges": [[{"subnet": "10.0.0.0/24"}, {"subnet": "fd00::/64"}]]}),
            "mixed",
        ),
        (
            json!({"ranges": [[{"subnet": "10.0.0.0/24"}], [{"subnet": "10.0.0.0/25"}]]}),
            "overlaps",
        ),
        (
            json!({"ranges": [[{"subnet": "10.0.0.0/24"}, {"subnet": "10.0.0.0/25"}]]}),
            "overlap",
        ),
        (json!({"subnet": "0.0.0.0/0"}), "every address"),
        (json!({"subnet": 5}), "invalid ipam config"),
        (
            json!({"subnet": "10.0.0.0/24", "gateway": 5}),
            "invalid ipam config",
        ),
        (
            json!({"ranges": [[{"subnet": "10.0.0.0/24"}]], "gateway": true}),
            "invalid ipam config",
        ),
        (json!({"ranges": [[{"subnet": "::/0"}]]}), "every address"),
        (
            json!({"subnet": "10.0.0.0/24", "gateway": "fd00::1"}),
            "other family",
        ),
        (
            json!({"ranges": [[{"subnet": "fd00::/64", "gateway": "10.0.0.1"}]]}),
            "family",
        ),
        (
            json!({"subnet": "10.0.0.0/24", "routes": [{"dst": "0.0.0.0/0", "gw": "fd00::1"}]}),
            "other family",
        ),
    ] {
        let e = parse(&json!({"name": "n", "ipam": ipam}), None).unwrap_err();
        assert_eq!(e.code, codes::INVALID_CONFIG);
        assert!(e.msg.contains(want), "{ipam}: {}", e.msg);
    }
    assert!(parse(&json!({"name": "n"}), None).is_err());
}

#[test]
fn hands_out_in_host_local_order() {
    let c = conf(json!({"subnet": "10.0.0.0/29"}));
    let a = plan_add(&c, "x", "eth0", &StoreState::default()).unwrap();
    assert_eq!(a[0].address.to_string(), "10.0.0.2/29");
    assert_eq!(a[0].gateway, ip("10.0.0.1"));
    // round robin: after the last reserved, even if lower ones are free
    let a = plan_add(&c, "x", "eth0", &state(&[], Some("10.0.0.4"))).unwrap();
    assert_eq!(a[0].address.addr(), ip("10.0.0.5"));
    // wraps around, skipping the gateway
    let a = plan_add(
        &c,
        "x",
        "eth0",
        &state(&["10.0.0.6", "10.0.0.2"], Some("10.0.0.5")),
    )
    .unwrap();
    assert_eq!(a[0].address.addr(), ip("10.0.0.3"));
    // a last_reserved outside the set restarts at the range start
    let a = plan_add(&c, "x", "eth0", &state(&[], Some("192.168.0.1"))).unwrap();
    assert_eq!(a[0].address.addr(), ip("10.0.0.2"));
}

#[test]
fn iterates_every_address_once_then_stops() {
    let c = conf(json!({"ranges": [[{"subnet": "10.0.0.0/30"}, {"subnet": "10.0.1.0/30"}]]}));
    let all: Vec<IpAddr> = RangeIter::new(&c.ranges[0], None).map(|(i, _)| i).collect();
    assert_eq!(all, vec![ip("10.0.0.2"), ip("10.0.1.2")]);
    let from_last: Vec<IpAddr> = RangeIter::new(&c.ranges[0], Some(ip("10.0.0.2")))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(from_last, vec![ip("10.0.1.2"), ip("10.0.0.2")]);
    // a gateway at the start of a custom range is skipped
    let g = conf(
        json!({"ranges": [[{"subnet": "10.0.0.0/24", "rangeStart": "10.0.0.10", "rangeEnd": "10.0.0.12", "gateway": "10.0.0.10"}]]}),
    );
    let all: Vec<IpAddr> = RangeIter::new(&g.ranges[0], None).map(|(i, _)| i).collect();
    assert_eq!(all, vec![ip("10.0.0.11"), ip("10.0.0.12")]);
}

#[test]
fn exhaustion_duplicates_and_requests() {
    let c = conf(json!({"subnet": "10.0.0.0/30"}));
    let full = state(&["10.0.0.2"], None);
    let e = plan_add(&c, "x", "eth0", &full).unwrap_err();
    assert_eq!(e.code, codes::RANGE_EXHAUSTED);
    assert!(e.msg.contains("10.0.0.1-10.0.0.2"), "{}", e.msg);
    assert_eq!(exhausted_sets(&c, &full), vec![0]);

    let mine = StoreState {
        reservations: vec![Reservation {
            ip: ip("10.0.0.2"),
            owner: Owner::parse("x\r\neth0"),
        }],
        ..Default::default()
    };
    let big = conf(json!({"subnet": "10.0.0.0/24"}));
    assert_eq!(
        plan_add(&big, "x", "eth0", &mine).unwrap_err().code,
        codes::DUPLICATE_ATTACHMENT
    );
    assert!(plan_add(&big, "x", "eth1", &mine).is_ok());

    let mut req = big.clone();
    req.requested = vec![ip("10.0.0.9")];
    assert_eq!(
        plan_add(&req, "y", "eth0", &mine).unwrap()[0]
            .address
            .addr(),
        ip("10.0.0.9")
    );
    req.requested = vec![ip("10.0.0.2")];
    assert_eq!(
        plan_add(&req, "y", "eth0", &mine).unwrap_err().code,
        codes::ADDRESS_UNAVAILABLE
    );
    req.requested = vec![ip("10.0.0.1")];
    assert!(
        plan_add(&req, "y", "eth0", &mine)
            .unwrap_err()
            .msg
            .contains("gateway")
    );
    req.requested = vec![ip("192.168.1.1")];
    assert!(
        plan_add(&req, "y", "eth0", &mine)
            .unwrap_err()
            .msg
            .contains("requested IPs")
    );
}

#[test]
fn requested_ips_come_from_args_and_runtime_config() {
    let c = parse(
        &json!({"name": "n", "ipam": {"subnet": "10.0.0.0/24"}, "args": {"cni": {"ips": ["10.0.0.7"]}}, "runtimeConfig": {"ips": ["10.0.0.8/24"]}}),
        Some("10.0.0.6"),
    )
    .unwrap();
    assert_eq!(
        c.requested,
        vec![ip("10.0.0.6"), ip("10.0.0.7"), ip("10.0.0.8")]
    );
}

#[test]
fn requested_ips_of_the_wrong_type_are_refused() {
    for conf in [
        json!({"name": "n", "ipam": {"subnet": "10.0.0.0/24"}, "runtimeConfig": "x"}),
        json!({"name": "n", "ipam": {"subnet": "10.0.0.0/24"}, "runtimeConfig": {"ips": "10.0.0.5"}}),
        json!({"name": "n", "ipam": {"subnet": "10.0.0.0/24"}, "args": {"cni": 5}}),
        json!({"name": "n", "ipam": {"subnet": "10.0.0.0/24"}, "args": {"cni": {"ips": [5]}}}),
    ] {
        assert_eq!(
            parse(&conf, None).unwrap_err().code,
            codes::INVALID_CONFIG,
            "{conf}"
        );
    }
    let ok = json!({"name": "n", "ipam": {"subnet": "10.0.0.0/24"}, "runtimeConfig": {"portMappings": []}, "args": null});
    assert!(parse(&ok, None).unwrap().requested.is_empty());
}

#[test]
fn reservation_files_round_trip_and_match_owners() {
    let text = Owner::file_contents("abc", "eth0");
    assert_eq!(text, "abc\r\neth0");
    let o = Owner::parse(&text);
    assert!(o.is("abc", "eth0"));
    assert!(!o.is("abc", "eth1"));
    assert!(Owner::parse("abc\neth0\n").is("abc", "eth0"));
    let old = Owner::parse("abc\n");
    assert_eq!(old.ifname, None);
    assert!(old.is("abc", "net1"));
}

#[test]
fn reads_resolv_conf() {
    let d = parse_resolv_conf(
        "# x\nnameserver 10.96.0.10\nnameserver fd00::a ; y\nsearch a.svc b.svc\ndomain cluster.local\noptions ndots:5 edns0\n",
    );
    assert_eq!(d.nameservers, vec!["10.96.0.10", "fd00::a"]);
    assert_eq!(d.search, vec!["a.svc", "b.svc"]);
    assert_eq!(d.domain, "cluster.local");
    assert_eq!(d.options, vec!["ndots:5", "edns0"]);
}

#[test]
fn gc_keeps_only_valid_attachments() {
    let st = StoreState {
        reservations: vec![
            Reservation {
                ip: ip("10.0.0.2"),
                owner: Owner::parse("a\r\neth0"),
            },
            Reservation {
                ip: ip("10.0.0.3"),
                owner: Owner::parse("b\r\neth0"),
            },
            Reservation {
                ip: ip("10.0.0.4"),
                owner: Owner::parse("a\r\nnet1"),
            },
        ],
        ..Default::default()
    };
    let valid = vec![Attachment {
        container_id: "a".into(),
        ifname: "eth0".into(),
    }];
    let gone: Vec<IpAddr> = stale(&st, &valid).into_iter().map(|r| r.ip).collect();
    assert_eq!(gone, vec![ip("10.0.0.3"), ip("10.0.0.4")]);
    // a file that names nobody (unreadable) is no attachment's: it stays
    let mut odd = st.clone();
    odd.reservations.push(Reservation {
        ip: ip("10.0.0.9"),
        owner: Owner::parse(""),
    });
    assert_eq!(stale(&odd, &valid).len(), 2);
}
