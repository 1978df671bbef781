//! Unit tests of `cni::attach`. No I/O.

use super::*;
use crate::cni::config;
use serde_json::json;

fn conf(extra: serde_json::Value) -> PluginConf {
    let mut v = json!({"cniVersion": "1.0.0", "name": "net1", "type": "podnet",
                       "ipam": {"type": "host-local", "subnet": "10.88.0.0/16"}});
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    config::parse(v.to_string().as_bytes(), None).unwrap()
}

fn ipam(addrs: &[(&str, &str)], routes: &[&str]) -> CniResult {
    CniResult {
        ips: addrs
            .iter()
            .map(|(a, g)| IpConfig {
                interface: None,
                address: a.parse().unwrap(),
                gateway: Some(g.parse().unwrap()),
            })
            .collect(),
        routes: routes
            .iter()
            .map(|r| Route::to(r.parse().unwrap(), None))
            .collect(),
        ..Default::default()
    }
}

fn input<'a>(c: &'a PluginConf, r: &'a CniResult) -> AttachInput<'a> {
    AttachInput {
        conf: c,
        container_id: "abc",
        ifname: "eth0",
        netns: "/run/netns/a",
        host_veth: "pnet0123456789a",
        pod: Some(("default", "web")),
        netns_inode: 4026532388,
        ipam: r,
        masq_backend: MasqBackend::Nftables,
    }
}

fn actions(p: &AttachPlan) -> Vec<&Action> {
    p.steps.iter().map(|s| &s.action).collect()
}

#[test]
fn bridge_with_gateway_default_route_and_masq() {
    let c =
        conf(json!({"isDefaultGateway": true, "ipMasq": true, "hairpinMode": true, "mtu": 1400}));
    let r = ipam(
        &[("10.88.0.2/16", "10.88.0.1"), ("fd00::2/64", "fd00::1")],
        &["192.168.0.0/16"],
    );
    let p = plan_bridge(&input(&c, &r)).unwrap();
    assert_eq!(p.result.interfaces.len(), 3);
    assert_eq!(p.result.interfaces[2].sandbox, "/run/netns/a");
    assert!(p.result.ips.iter().all(|i| i.interface == Some(2)));
    let dsts: Vec<String> = p.result.routes.iter().map(|r| r.dst.to_string()).collect();
    assert_eq!(dsts, vec!["192.168.0.0/16", "0.0.0.0/0", "::/0"]);
    assert_eq!(p.result.routes[1].gw, Some("10.88.0.1".parse().unwrap()));
    let a = actions(&p);
    assert!(matches!(
        a[0],
        Action::EnsureBridge {
            mtu: Some(1400),
            ..
        }
    ));
    assert!(a.contains(&&Action::SetHairpin {
        name: "pnet0123456789a".into(),
        on: true
    }));
    assert!(a.iter().any(|x| matches!(x, Action::EnsureBridgeAddress { addr, .. } if addr.to_string() == "10.88.0.1/16")));
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::SettleAddresses { .. }))
    );
    // the route without a gateway goes via the family's gateway
    assert!(a.iter().any(|x| matches!(x, Action::AddRoute { route, .. } if route.dst.to_string() == "192.168.0.0/16" && route.gw == Some("10.88.0.1".parse().unwrap()))));
    assert!(matches!(a.last(), Some(Action::AddMasquerade { rules, .. }) if rules.len() == 2));
    // every creation has an undo
    for s in &p.steps {
        if matches!(
            s.action,
            Action::EnsureBridge { .. }
                | Action::CreateVeth { .. }
                | Action::EnsureBridgeAddress { .. }
                | Action::AddMasquerade { .. }
        ) {
            assert!(s.undo.is_some(), "{:?}", s.action);
        }
    }
}

#[test]
fn bridge_without_ipam_is_layer_2() {
    let mut c = conf(json!({}));
    c.ipam = config::Ipam::None;
    let r = CniResult::default();
    let p = plan_bridge(&input(&c, &r)).unwrap();
    assert!(p.result.ips.is_empty());
    assert!(
        !actions(&p)
            .iter()
            .any(|a| matches!(a, Action::AddAddress { .. }))
    );
    assert!(matches!(
        actions(&p).last(),
        Some(Action::SetLinkUp {
            side: Side::Container,
            ..
        })
    ));
}

#[test]
fn ptp_onlink_like_the_reference() {
    let c = conf(json!({"mode": "ptp"}));
    let r = ipam(&[("10.89.0.2/24", "10.89.0.1")], &["0.0.0.0/0"]);
    let p = plan_ptp(&input(&c, &r)).unwrap();
    assert_eq!(p.result.interfaces.len(), 2);
    assert_eq!(p.result.ips[0].interface, Some(1));
    assert_eq!(p.result.ips[0].address.to_string(), "10.89.0.2/24");
    let a = actions(&p);
    assert!(a.iter().any(
        |x| matches!(x, Action::DelRoute { route, .. } if route.dst.to_string() == "10.89.0.0/24")
    ));
    assert!(a.iter().any(|x| matches!(x, Action::AddAddress { side: Side::Host, addr, .. } if addr.to_string() == "10.89.0.1/32")));
    assert!(a.iter().any(|x| matches!(x, Action::AddRoute { side: Side::Host, route } if route.dst.to_string() == "10.89.0.2/32" && route.scope == Scope::Host)));
}

#[test]
fn ptp_proxy_arp_like_calico() {
    let c = conf(json!({"mode": "ptp", "ptpGateway": "proxyArp"}));
    let r = ipam(
        &[("10.89.0.2/24", "10.89.0.1"), ("fd00::2/64", "fd00::1")],
        &[],
    );
    let p = plan_ptp(&input(&c, &r)).unwrap();
    assert_eq!(p.result.ips[0].address.to_string(), "10.89.0.2/32");
    assert_eq!(p.result.ips[0].gateway, Some(IpAddr::V4(PROXY_GW_V4)));
    assert_eq!(p.result.ips[1].gateway, Some(IpAddr::V6(PROXY_GW_V6)));
    assert_eq!(p.result.routes.len(), 2);
    let a = actions(&p);
    assert!(
        matches!(a.iter().find(|x| matches!(x, Action::CreateVeth { .. })), Some(Action::CreateVeth { host_mac: Some(m), .. }) if *m == PROXY_HOST_MAC)
    );
    assert!(
        a.iter()
            .any(|x| matches!(x, Action::Sysctl { key, .. } if key.ends_with("/proxy_arp")))
    );
    assert!(!a.iter().any(|x| matches!(
        x,
        Action::AddAddress {
            side: Side::Host,
            ..
        }
    )));
}

#[test]
fn results_of_the_other_family_are_refused() {
    let c = conf(json!({}));
    let bad_gw = ipam(&[("10.88.0.2/16", "fd00::1")], &[]);
    assert_eq!(plan(&input(&c, &bad_gw)).unwrap_err().code, 7);
    let mut bad_route = ipam(&[("10.88.0.2/16", "10.88.0.1")], &[]);
    bad_route.routes.push(Route::to(
        "0.0.0.0/0".parse().unwrap(),
        Some("fd00::1".parse().unwrap()),
    ));
    assert_eq!(plan(&input(&c, &bad_route)).unwrap_err().code, 7);
    let p = plan(&input(&c, &ipam(&[("10.88.0.2/16", "10.88.0.1")], &[]))).unwrap();
    let alias = p.steps.iter().find_map(|s| match &s.action {
        Action::SetAlias { alias, .. } => Some(alias.clone()),
        _ => None,
    });
    let alias = alias.unwrap();
    assert_eq!(
        names::parse_alias(&alias).unwrap().netns_inode,
        Some(4026532388)
    );
}

#[test]
fn ptp_needs_addresses() {
    let c = conf(json!({"mode": "ptp"}));
    let r = CniResult::default();
    assert!(plan_ptp(&input(&c, &r)).is_err());
}

#[test]
fn bridge_addressing_adds_gateways_and_one_default_route_per_family() {
    let c = conf(json!({"isDefaultGateway": true}));
    let mut r = ipam(
        &[("10.88.0.5/16", "10.88.0.1"), ("fd00::5/64", "fd00::1")],
        &[],
    );
    r.ips[0].gateway = None;
    let a = bridge_addressing(&c, &r).unwrap();
    assert_eq!(a.ips[0].gateway, Some("10.88.0.1".parse().unwrap()));
    assert!(a.ips.iter().all(|i| i.interface == Some(2)));
    assert_eq!(
        a.routes,
        vec![
            Route::to(
                "0.0.0.0/0".parse().unwrap(),
                Some("10.88.0.1".parse().unwrap())
            ),
            Route::to("::/0".parse().unwrap(), Some("fd00::1".parse().unwrap())),
        ]
    );
    let gws: Vec<String> = a.gateways.iter().map(IpNet::to_string).collect();
    assert_eq!(gws, ["10.88.0.1/16", "fd00::1/64"]);
    // without isGateway: no gateway invented, none for the bridge
    let plain = bridge_addressing(&conf(json!({})), &r).unwrap();
    assert_eq!(plain.ips[0].gateway, None);
    assert!(plain.gateways.is_empty() && plain.routes.is_empty());
}

#[test]
fn gateway_addresses_go_ipv4_first_then_forwarding_per_family() {
    let gws: Vec<IpNet> = vec![
        "fd00::1/64".parse().unwrap(),
        "10.88.0.1/16".parse().unwrap(),
    ];
    let mut steps = Vec::new();
    gateway_address_steps("cni0", &gws, false, &mut steps);
    let kinds: Vec<String> = steps
        .iter()
        .map(|s| match &s.action {
            Action::EnsureBridgeAddress { addr, .. } => format!("addr {addr}"),
            Action::PinBridgeMac { .. } => "mac".into(),
            Action::Sysctl { key, .. } => key.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "addr 10.88.0.1/16",
            "mac",
            "net/ipv4/ip_forward",
            "addr fd00::1/64",
            "mac",
            "net/ipv6/conf/all/forwarding"
        ]
    );
    assert!(matches!(
        steps[0].undo,
        Some(Action::DelBridgeAddressIfUnused { .. })
    ));
}

#[test]
fn ptp_phases() {
    let mut r = ipam(&[("10.88.0.5/16", "10.88.0.1")], &[]);
    assert!(require_gateways(&r.ips).is_ok());
    r.ips[0].gateway = None;
    let e = require_gateways(&r.ips).unwrap_err();
    assert!(e.msg.contains("10.88.0.5/16"), "{}", e.msg);

    let mut ips = ipam(
        &[("10.88.0.5/16", "10.88.0.1"), ("fd00::5/64", "fd00::1")],
        &[],
    )
    .ips;
    let mut routes = vec![Route::to("::/0".parse().unwrap(), None)];
    proxy_arp_addressing(&mut ips, &mut routes);
    assert_eq!(ips[0].address.to_string(), "10.88.0.5/32");
    assert_eq!(ips[0].gateway, Some(IpAddr::V4(PROXY_GW_V4)));
    assert_eq!(ips[1].address.to_string(), "fd00::5/128");
    assert_eq!(ips[1].gateway, Some(IpAddr::V6(PROXY_GW_V6)));
    // IPv6 had its default route; IPv4 gets one
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[1].dst.to_string(), "0.0.0.0/0");

    let mut host = Vec::new();
    proxy_arp_host_steps("pnet0", &ips, &mut host);
    assert_eq!(host.len(), 4);
    assert!(
        matches!(&host[0].action, Action::Sysctl { key, .. } if key == "net/ipv4/conf/pnet0/proxy_arp")
    );

    let mut onlink = Vec::new();
    let ips = ipam(&[("10.88.0.5/16", "10.88.0.1")], &[]).ips;
    onlink_host_steps("pnet0", &ips, &mut onlink);
    assert!(
        matches!(&onlink[0].action, Action::AddAddress { addr, .. } if addr.to_string() == "10.88.0.1/32")
    );
    assert!(
        matches!(&onlink[1].action, Action::AddRoute { route, .. } if route.scope == Scope::Host)
    );
}
