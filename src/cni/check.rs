//! CHECK: compares an attachment's kernel state with its `prevResult` —
//! the pod interface, its addresses and routes, and (beyond the reference
//! bridge plugin) the host veth's state, peer and master, the bridge's
//! gateway, ptp's host routes, masquerade rules and the IPAM reservation.
//! Pure: the caller observes the namespaces.

use std::net::IpAddr;

use super::attach::host_interface_index;
use super::config::{Mode, PluginConf, PtpGateway};
use super::names;
use super::observe::{LinkView, NsView};
use super::types::{CniResult, Interface};

/// Everything CHECK looks at.
pub struct CheckInput<'a> {
    pub conf: &'a PluginConf,
    pub container_id: &'a str,
    pub ifname: &'a str,
    pub netns: &'a str,
    pub prev: &'a CniResult,
    pub container: &'a NsView,
    pub host: &'a NsView,
    /// The pod netns's id as the host sees it (for the veth peer check).
    pub container_nsid: Option<i32>,
    /// Value of `net/ipv4/conf/<host veth>/proxy_arp`, for proxyArp mode.
    pub proxy_arp: Option<String>,
    /// Whether the masquerade rules are installed (when `ipMasq`).
    pub masq_present: Option<bool>,
    /// The addresses IPAM holds for this attachment (built-in IPAM only).
    pub reserved: Option<Vec<IpAddr>>,
}

/// The differences found; empty means the attachment is as ADD left it.
pub fn check(i: &CheckInput<'_>) -> Vec<String> {
    let mut p = Vec::new();
    let Some(cl) = container_side(i, &mut p) else {
        return p;
    };
    let Some((hif, hl)) = host_veth(i, cl, &mut p) else {
        return p;
    };
    match i.conf.mode {
        Mode::Bridge => bridge(i, hif, hl, &mut p),
        Mode::Ptp => ptp(i, hif, hl, &mut p),
    }
    if i.masq_present == Some(false) {
        p.push("ipMasq rules are missing".into());
    }
    if let Some(reserved) = &i.reserved {
        for ip in &i.prev.ips {
            let a = ip.address.addr();
            // proxyArp results carry the pod address; all modes reserve it
            if !reserved.contains(&a) {
                p.push(format!(
                    "IPAM holds no reservation of {a} for this attachment"
                ));
            }
        }
    }
    p
}

/// The pod interface as prevResult has it: its netns, kind, state, MAC,
/// MTU, addresses and routes. `None`: it is not there (nothing more to
/// compare).
fn container_side<'a>(i: &CheckInput<'a>, p: &mut Vec<String>) -> Option<&'a LinkView> {
    let prev = i.prev;
    let Some((cidx, cif)) = prev.container_interface(i.ifname) else {
        p.push(format!(
            "prevResult has no interface {} in a sandbox",
            i.ifname
        ));
        return None;
    };
    if cif.sandbox != i.netns {
        p.push(format!(
            "Sandbox in prevResult {} doesn't match configured netns: {}",
            cif.sandbox, i.netns
        ));
    }
    let Some(cl) = i.container.link(i.ifname) else {
        p.push(format!("interface {} not found in the container", i.ifname));
        return None;
    };
    if cl.kind != "veth" {
        p.push(format!(
            "container interface {} is a {:?}, not a veth",
            i.ifname, cl.kind
        ));
    }
    if !cl.admin_up {
        p.push(format!("container interface {} is down", i.ifname));
    }
    if !cif.mac.is_empty() && !cif.mac.eq_ignore_ascii_case(&cl.mac) {
        p.push(format!(
            "container interface {} has MAC {}, prevResult says {}",
            i.ifname, cl.mac, cif.mac
        ));
    }
    if let (Some(want), Some(have)) = (i.conf.mtu, cl.mtu)
        && want != have
    {
        p.push(format!(
            "container interface {} has MTU {have}, the config says {want}",
            i.ifname
        ));
    }
    for ip in prev
        .ips
        .iter()
        .filter(|ip| ip.interface.is_none_or(|x| x == cidx))
    {
        if !i.container.addrs_of(cl.index).any(|a| a.addr == ip.address) {
            p.push(format!(
                "address {} missing on {} in the container",
                ip.address, i.ifname
            ));
        }
    }
    for r in &prev.routes {
        let found = i
            .container
            .routes
            .iter()
            .any(|k| k.dst == r.dst && r.gw.is_none_or(|g| k.gw == Some(g)));
        if !found {
            let via = r.gw.map(|g| format!(" via {g}")).unwrap_or_default();
            p.push(format!("route {}{via} missing in the container", r.dst));
        }
    }
    Some(cl)
}

/// The host veth: present, a veth, up, peer of the pod interface, ours.
fn host_veth<'a>(
    i: &CheckInput<'a>,
    cl: &LinkView,
    p: &mut Vec<String>,
) -> Option<(&'a Interface, &'a LinkView)> {
    let prev = i.prev;
    let hidx = host_interface_index(i.conf.mode);
    let Some(hif) = prev.interfaces.get(hidx).filter(|h| h.sandbox.is_empty()) else {
        p.push("prevResult has no host veth".into());
        return None;
    };
    let Some(hl) = i.host.link(&hif.name) else {
        p.push(format!("host veth {} not found", hif.name));
        return None;
    };
    if hl.kind != "veth" {
        p.push(format!(
            "host interface {} is a {:?}, not a veth",
            hif.name, hl.kind
        ));
    }
    if !hl.admin_up {
        p.push(format!("host veth {} is administratively down", hif.name));
    } else if !hl.oper_up {
        p.push(format!(
            "host veth {} is operationally {}",
            hif.name, hl.oper_state
        ));
    }
    if !hif.mac.is_empty() && !hif.mac.eq_ignore_ascii_case(&hl.mac) {
        p.push(format!(
            "host veth {} has MAC {}, prevResult says {}",
            hif.name, hl.mac, hif.mac
        ));
    }
    if hl.peer_index != Some(cl.index) || cl.peer_index != Some(hl.index) {
        p.push(format!(
            "host veth {} is not the peer of {} in the container",
            hif.name, i.ifname
        ));
    } else if let (Some(want), Some(have)) = (i.container_nsid, hl.peer_netnsid)
        && want != have
    {
        p.push(format!(
            "host veth {}'s peer is in another namespace (nsid {have}, pod is {want})",
            hif.name
        ));
    }
    let expected = names::marker(&i.conf.name, i.container_id, i.ifname);
    let keys = names::parse_marker(&expected);
    if hl.alias.as_deref().and_then(names::parse_marker) != keys {
        p.push(format!(
            "host veth {} does not carry this attachment's alias",
            hif.name
        ));
    }
    Some((hif, hl))
}

/// bridge mode: the bridge, its state, the veth's port and hairpin, the gateway.
fn bridge(i: &CheckInput<'_>, hif: &Interface, hl: &LinkView, p: &mut Vec<String>) {
    let prev = i.prev;
    match i.host.link(&i.conf.bridge) {
        None => p.push(format!("bridge {} not found", i.conf.bridge)),
        Some(br) => {
            if br.kind != "bridge" {
                p.push(format!(
                    "{} is a {:?}, not a bridge",
                    i.conf.bridge, br.kind
                ));
            }
            if !br.admin_up {
                p.push(format!("bridge {} is down", i.conf.bridge));
            }
            if br.promisc != i.conf.promisc {
                p.push(format!(
                    "bridge {} promiscuous mode is {}, the config says {}",
                    i.conf.bridge, br.promisc, i.conf.promisc
                ));
            }
            if hl.master != Some(br.index) {
                p.push(format!(
                    "host veth {} is not a port of bridge {}",
                    hif.name, i.conf.bridge
                ));
            }
            if hl.hairpin.is_some_and(|h| h != i.conf.hairpin) {
                p.push(format!(
                    "host veth {} hairpin mode is not {}",
                    hif.name, i.conf.hairpin
                ));
            }
            if i.conf.is_gateway {
                for ip in &prev.ips {
                    let Some(gw) = ip.gateway else { continue };
                    if !i.host.addrs_of(br.index).any(|a| a.addr.addr() == gw) {
                        p.push(format!("gateway {gw} missing on bridge {}", i.conf.bridge));
                    }
                }
            }
        }
    }
}

/// ptp mode: the host routes, the on-link gateway, proxy ARP.
fn ptp(i: &CheckInput<'_>, hif: &Interface, hl: &LinkView, p: &mut Vec<String>) {
    let prev = i.prev;
    for ip in &prev.ips {
        let pod = ip.address.addr();
        if !i.host.routes.iter().any(|r| {
            r.dst.addr() == pod
                && r.dst.prefix_len() == r.dst.max_prefix_len()
                && r.oif == Some(hl.index)
        }) {
            p.push(format!("host route to {pod} via {} missing", hif.name));
        }
        if i.conf.ptp_gateway == PtpGateway::OnLink
            && let Some(gw) = ip.gateway
            && !i.host.addrs_of(hl.index).any(|a| a.addr.addr() == gw)
        {
            p.push(format!("gateway {gw} missing on host veth {}", hif.name));
        }
    }
    if i.conf.ptp_gateway == PtpGateway::ProxyArp
        && prev.ips.iter().any(|ip| ip.address.addr().is_ipv4())
        && i.proxy_arp.as_deref().map(str::trim) != Some("1")
    {
        p.push(format!("proxy_arp is off on host veth {}", hif.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cni::config;
    use crate::cni::observe::{AddrView, LinkView, RouteView};
    use crate::cni::types::{Interface, IpConfig, Route};
    use serde_json::json;

    fn conf() -> PluginConf {
        let v = json!({"cniVersion": "1.0.0", "name": "net1", "type": "podnet", "isGateway": true,
                       "ipam": {"type": "host-local", "subnet": "10.88.0.0/16"}});
        config::parse(v.to_string().as_bytes(), None).unwrap()
    }

    fn prev() -> CniResult {
        CniResult {
            interfaces: vec![
                Interface {
                    name: "cni0".into(),
                    ..Default::default()
                },
                Interface {
                    name: "pnetx".into(),
                    mac: "02:00:00:00:00:02".into(),
                    ..Default::default()
                },
                Interface {
                    name: "eth0".into(),
                    mac: "02:00:00:00:00:03".into(),
                    sandbox: "/run/netns/a".into(),
                    ..Default::default()
                },
            ],
            ips: vec![IpConfig {
                interface: Some(2),
                address: "10.88.0.2/16".parse().unwrap(),
                gateway: Some("10.88.0.1".parse().unwrap()),
            }],
            routes: vec![Route::to(
                "0.0.0.0/0".parse().unwrap(),
                Some("10.88.0.1".parse().unwrap()),
            )],
            ..Default::default()
        }
    }

    fn views() -> (NsView, NsView) {
        let container = NsView {
            links: vec![LinkView {
                index: 2,
                name: "eth0".into(),
                kind: "veth".into(),
                admin_up: true,
                oper_up: true,
                mac: "02:00:00:00:00:03".into(),
                peer_index: Some(7),
                ..Default::default()
            }],
            addrs: vec![AddrView {
                index: 2,
                addr: "10.88.0.2/16".parse().unwrap(),
                tentative: false,
            }],
            routes: vec![RouteView {
                dst: "0.0.0.0/0".parse().unwrap(),
                gw: Some("10.88.0.1".parse().unwrap()),
                oif: Some(2),
                table: crate::model::route::RT_TABLE_MAIN,
            }],
        };
        let host = NsView {
            links: vec![
                LinkView {
                    index: 5,
                    name: "cni0".into(),
                    kind: "bridge".into(),
                    admin_up: true,
                    oper_up: true,
                    ..Default::default()
                },
                LinkView {
                    index: 7,
                    name: "pnetx".into(),
                    kind: "veth".into(),
                    admin_up: true,
                    oper_up: true,
                    mac: "02:00:00:00:00:02".into(),
                    master: Some(5),
                    peer_index: Some(2),
                    peer_netnsid: Some(0),
                    hairpin: Some(false),
                    alias: Some(names::marker("net1", "abc", "eth0")),
                    ..Default::default()
                },
            ],
            addrs: vec![AddrView {
                index: 5,
                addr: "10.88.0.1/16".parse().unwrap(),
                tentative: false,
            }],
            routes: vec![],
        };
        (container, host)
    }

    fn run(c: &PluginConf, container: &NsView, host: &NsView) -> Vec<String> {
        let p = prev();
        check(&CheckInput {
            conf: c,
            container_id: "abc",
            ifname: "eth0",
            netns: "/run/netns/a",
            prev: &p,
            container,
            host,
            container_nsid: Some(0),
            proxy_arp: None,
            masq_present: None,
            reserved: Some(vec!["10.88.0.2".parse().unwrap()]),
        })
    }

    #[test]
    fn a_healthy_attachment_passes() {
        let (c, h) = views();
        assert_eq!(run(&conf(), &c, &h), Vec::<String>::new());
    }

    #[test]
    fn finds_what_the_reference_misses() {
        let (c, mut h) = views();
        h.links[1].admin_up = false;
        h.links[1].master = None;
        let p = run(&conf(), &c, &h);
        assert!(
            p.iter().any(|x| x.contains("administratively down")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|x| x.contains("not a port of bridge")),
            "{p:?}"
        );
        let (c, mut h) = views();
        h.links[1].oper_up = false;
        h.links[1].oper_state = "lowerlayerdown".into();
        assert!(
            run(&conf(), &c, &h)
                .iter()
                .any(|x| x.contains("operationally lowerlayerdown"))
        );
        let (c, mut h) = views();
        h.addrs.clear();
        assert!(
            run(&conf(), &c, &h)
                .iter()
                .any(|x| x.contains("gateway 10.88.0.1 missing"))
        );
        let (c, mut h) = views();
        h.links[1].peer_netnsid = Some(3);
        assert!(
            run(&conf(), &c, &h)
                .iter()
                .any(|x| x.contains("another namespace"))
        );
    }

    #[test]
    fn finds_missing_pod_state() {
        let (mut c, h) = views();
        c.routes.clear();
        c.addrs.clear();
        let p = run(&conf(), &c, &h);
        assert!(p.iter().any(|x| x.contains("address 10.88.0.2/16 missing")));
        assert!(
            p.iter()
                .any(|x| x.contains("route 0.0.0.0/0 via 10.88.0.1 missing"))
        );
        let (mut c, h) = views();
        c.links.clear();
        assert_eq!(run(&conf(), &c, &h).len(), 1);
    }
}
