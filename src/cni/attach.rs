//! Plans an attachment: from the configuration and the addresses IPAM gave,
//! the steps that plumb a pod in bridge or ptp mode (the same kernel state
//! the reference bridge and ptp plugins leave) and the CNI result to print.
//! Pure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::config::{MasqBackend, Mode, PluginConf, PtpGateway};
use super::error::CniError;
use super::names;
use super::plan::{Action, MasqRule, Owner, RouteSpec, Scope, Side, Step};
use super::types::{CniResult, Interface, IpConfig, Route};

/// The gateway a proxy-ARP pod uses for IPv4 (as in Calico).
pub const PROXY_GW_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 1, 1);
/// The MAC of every proxy-ARP host veth, so its link-local address is known.
pub const PROXY_HOST_MAC: [u8; 6] = [0xee; 6];
/// The IPv6 gateway of a proxy-ARP pod: the host veth's EUI-64 link-local.
pub const PROXY_GW_V6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0xecee, 0xeeff, 0xfeee, 0xeeee);

/// What a plan starts from.
#[derive(Debug, Clone)]
pub struct AttachInput<'a> {
    pub conf: &'a PluginConf,
    pub container_id: &'a str,
    pub ifname: &'a str,
    /// CNI_NETNS.
    pub netns: &'a str,
    pub host_veth: &'a str,
    /// The pod (K8S_POD_NAMESPACE, K8S_POD_NAME), for the host veth's alias.
    pub pod: Option<(&'a str, &'a str)>,
    /// The inode of the pod's netns, for the host veth's alias.
    pub netns_inode: u64,
    /// The IPAM result (addresses with gateways, routes, dns); empty for L2.
    pub ipam: &'a CniResult,
    pub masq_backend: MasqBackend,
}

/// The steps and the result they produce (MACs and MTUs are filled in
/// after the steps ran).
#[derive(Debug, Clone)]
pub struct AttachPlan {
    pub steps: Vec<Step>,
    pub result: CniResult,
}

impl AttachInput<'_> {
    pub fn owner(&self) -> Owner {
        Owner {
            network: self.conf.name.clone(),
            container_id: self.container_id.to_string(),
            ifname: self.ifname.to_string(),
        }
    }
}

fn default_net(v4: bool) -> IpNet {
    if v4 {
        "0.0.0.0/0".parse().unwrap_or(IpNet::V4(Default::default()))
    } else {
        "::/0".parse().unwrap_or(IpNet::V6(Default::default()))
    }
}

fn host_net(ip: IpAddr) -> IpNet {
    IpNet::from(ip)
}

/// The first gateway of each family among `ips`.
fn family_gateways(ips: &[IpConfig]) -> (Option<IpAddr>, Option<IpAddr>) {
    let v4 = ips
        .iter()
        .filter(|i| i.address.addr().is_ipv4())
        .find_map(|i| i.gateway);
    let v6 = ips
        .iter()
        .filter(|i| !i.address.addr().is_ipv4())
        .find_map(|i| i.gateway);
    (v4, v6)
}

/// Container-side address configuration, as the reference `ConfigureIface`:
/// addresses, link up, wait for DAD when there is an IPv6 gateway, then the
/// routes (a route without `gw` goes via the gateway of its family).
fn configure_iface(ifname: &str, ips: &[IpConfig], routes: &[Route], steps: &mut Vec<Step>) {
    for ip in ips {
        steps.push(Step::plain(Action::AddAddress {
            side: Side::Container,
            dev: ifname.into(),
            addr: ip.address,
        }));
    }
    steps.push(Step::plain(Action::SetLinkUp {
        side: Side::Container,
        name: ifname.into(),
    }));
    let (v4gw, v6gw) = family_gateways(ips);
    if v6gw.is_some() {
        steps.push(Step::plain(Action::SettleAddresses {
            side: Side::Container,
            dev: ifname.into(),
        }));
    }
    for r in routes {
        let gw = r.gw.or(if r.dst.addr().is_ipv4() { v4gw } else { v6gw });
        let mut spec = RouteSpec::new(r.dst, gw, ifname);
        spec.metric = r.priority;
        spec.table = r.table;
        spec.scope = match r.scope {
            Some(253) => Scope::Link,
            Some(254) => Scope::Host,
            _ => Scope::Universe,
        };
        steps.push(Step::plain(Action::AddRoute {
            side: Side::Container,
            route: spec,
        }));
    }
}

fn veth_steps(input: &AttachInput<'_>, host_mac: Option<[u8; 6]>, steps: &mut Vec<Step>) {
    let hv = input.host_veth.to_string();
    steps.push(Step::new(
        Action::CreateVeth {
            ifname: input.ifname.into(),
            host_ifname: hv.clone(),
            mtu: input.conf.mtu,
            host_mac,
        },
        Some(Action::DeleteLink {
            side: Side::Container,
            name: input.ifname.into(),
        }),
    ));
    steps.push(Step::plain(Action::SetLinkUp {
        side: Side::Host,
        name: hv.clone(),
    }));
    steps.push(Step::plain(Action::Sysctl {
        side: Side::Host,
        key: format!("net/ipv6/conf/{hv}/accept_ra"),
        value: "0".into(),
    }));
    steps.push(Step::plain(Action::SetAlias {
        side: Side::Host,
        name: hv,
        alias: names::veth_alias(
            &input.conf.name,
            input.container_id,
            input.ifname,
            input.pod,
            input.netns_inode,
        ),
    }));
}

fn masq_step(input: &AttachInput<'_>, ips: &[IpConfig]) -> Option<Step> {
    if !input.conf.ip_masq || ips.is_empty() {
        return None;
    }
    let owner = input.owner();
    Some(Step::new(
        Action::AddMasquerade {
            backend: input.masq_backend,
            owner: owner.clone(),
            rules: ips
                .iter()
                .map(|i| MasqRule {
                    src: i.address.addr(),
                    subnet: i.address.trunc(),
                })
                .collect(),
        },
        Some(Action::DelMasquerade { owner }),
    ))
}

fn forward_steps(ips: &[IpConfig], steps: &mut Vec<Step>) {
    if ips.iter().any(|i| i.address.addr().is_ipv4()) {
        steps.push(Step::plain(Action::Sysctl {
            side: Side::Host,
            key: "net/ipv4/ip_forward".into(),
            value: "1".into(),
        }));
    }
    if ips.iter().any(|i| !i.address.addr().is_ipv4()) {
        steps.push(Step::plain(Action::Sysctl {
            side: Side::Host,
            key: "net/ipv6/conf/all/forwarding".into(),
            value: "1".into(),
        }));
    }
}

/// The ADD result: the node-side interfaces (bridge, host veth), then the pod's.
fn result_of(
    input: &AttachInput<'_>,
    node_side: Vec<String>,
    ifname: String,
    ips: Vec<IpConfig>,
    routes: Vec<Route>,
) -> CniResult {
    let mut interfaces: Vec<Interface> = node_side
        .into_iter()
        .map(|name| Interface {
            name,
            ..Default::default()
        })
        .collect();
    interfaces.push(Interface {
        name: ifname,
        sandbox: input.netns.into(),
        ..Default::default()
    });
    CniResult {
        interfaces,
        ips,
        routes,
        dns: dns(input),
    }
}

fn dns(input: &AttachInput<'_>) -> super::types::Dns {
    if input.conf.dns.is_set() {
        input.conf.dns.clone()
    } else {
        input.ipam.dns.clone()
    }
}

/// Bridge mode, as the reference bridge plugin: bridge (created if
/// missing, accept_ra off, up), veth with its host end on the bridge,
/// addresses and routes in the pod, the gateway on the bridge and
/// forwarding on when `isGateway`, masquerade when `ipMasq`.
pub fn plan_bridge(input: &AttachInput<'_>) -> Result<AttachPlan, CniError> {
    let c = input.conf;
    let br = c.bridge.clone();
    let hv = input.host_veth.to_string();
    let ifname = input.ifname.to_string();
    let mut steps = vec![
        Step::new(
            Action::EnsureBridge {
                name: br.clone(),
                mtu: c.mtu,
                promisc: c.promisc,
            },
            Some(Action::DeleteBridgeIfUnused { name: br.clone() }),
        ),
        Step::plain(Action::Sysctl {
            side: Side::Host,
            key: format!("net/ipv6/conf/{br}/accept_ra"),
            value: "0".into(),
        }),
        Step::plain(Action::SetLinkUp {
            side: Side::Host,
            name: br.clone(),
        }),
    ];
    veth_steps(input, None, &mut steps);
    steps.push(Step::plain(Action::SetMaster {
        name: hv.clone(),
        master: br.clone(),
    }));
    steps.push(Step::plain(Action::SetHairpin {
        name: hv.clone(),
        on: c.hairpin,
    }));

    // calcGateways
    let mut ips = input.ipam.ips.clone();
    let mut routes = input.ipam.routes.clone();
    let mut gateways: Vec<IpNet> = Vec::new();
    let mut default_found = [false, false];
    for ip in &mut ips {
        let v4 = ip.address.addr().is_ipv4();
        ip.interface = Some(2);
        if ip.gateway.is_none() && c.is_gateway {
            let net = ip.address.trunc();
            ip.gateway = Some(super::ipam::from_num(
                net.addr(),
                super::ipam::num(net.addr()) + 1,
            ));
        }
        let fam = usize::from(!v4);
        if c.is_default_gateway && !default_found[fam] {
            let dflt = default_net(v4);
            default_found[fam] = routes.iter().any(|r| r.gw.is_some() && r.dst == dflt);
            if !default_found[fam] {
                routes.push(Route::to(dflt, ip.gateway));
                default_found[fam] = true;
            }
        }
        if c.is_gateway
            && let Some(gw) = ip.gateway
        {
            gateways.push(
                IpNet::new(gw, ip.address.prefix_len())
                    .map_err(|e| CniError::invalid_config(e.to_string()))?,
            );
        }
    }

    if ips.is_empty() {
        steps.push(Step::plain(Action::SetLinkUp {
            side: Side::Container,
            name: ifname.clone(),
        }));
    } else {
        steps.push(Step::plain(Action::Sysctl {
            side: Side::Container,
            key: format!("net/ipv6/conf/{ifname}/accept_dad"),
            value: "0".into(),
        }));
        steps.push(Step::plain(Action::Sysctl {
            side: Side::Container,
            key: format!("net/ipv4/conf/{ifname}/arp_notify"),
            value: "1".into(),
        }));
        configure_iface(&ifname, &ips, &routes, &mut steps);
        steps.push(Step::plain(Action::WaitOperUp {
            side: Side::Host,
            dev: hv.clone(),
        }));
        if c.is_gateway {
            for v4 in [true, false] {
                let fam: Vec<&IpNet> = gateways
                    .iter()
                    .filter(|g| g.addr().is_ipv4() == v4)
                    .collect();
                for gw in &fam {
                    steps.push(Step::new(
                        Action::EnsureBridgeAddress {
                            bridge: br.clone(),
                            addr: **gw,
                            force: c.force_address,
                        },
                        Some(Action::DelBridgeAddressIfUnused {
                            bridge: br.clone(),
                            addr: **gw,
                        }),
                    ));
                    steps.push(Step::plain(Action::PinBridgeMac { name: br.clone() }));
                }
                if !fam.is_empty() {
                    steps.push(Step::plain(Action::Sysctl {
                        side: Side::Host,
                        key: if v4 {
                            "net/ipv4/ip_forward".into()
                        } else {
                            "net/ipv6/conf/all/forwarding".into()
                        },
                        value: "1".into(),
                    }));
                }
            }
        }
        steps.extend(masq_step(input, &ips));
    }
    Ok(AttachPlan {
        steps,
        result: result_of(input, vec![br, hv], ifname, ips, routes),
    })
}

/// ptp mode. `onLink` (the reference ptp plugin): the pod keeps its
/// address with the subnet's prefix but its subnet route is replaced by an
/// on-link route to the gateway and a subnet route via it; the host veth
/// carries the gateway as /32 (/128) and a host route to the pod.
/// `proxyArp` (Calico): the pod has a /32 (/128) and routes via
/// 169.254.1.1 (IPv6: fe80::ecee:eeff:feee:eeee, the host veth's
/// link-local); the host veth answers ARP by proxy.
pub fn plan_ptp(input: &AttachInput<'_>) -> Result<AttachPlan, CniError> {
    let c = input.conf;
    let hv = input.host_veth.to_string();
    let ifname = input.ifname.to_string();
    if input.ipam.ips.is_empty() {
        return Err(CniError::invalid_config(
            "IPAM plugin returned missing IP config",
        ));
    }
    let mut steps = Vec::new();
    forward_steps(&input.ipam.ips, &mut steps);
    let proxy = c.ptp_gateway == PtpGateway::ProxyArp;
    veth_steps(input, proxy.then_some(PROXY_HOST_MAC), &mut steps);

    let mut ips: Vec<IpConfig> = input.ipam.ips.clone();
    for ip in &mut ips {
        ip.interface = Some(1);
    }
    let mut routes = input.ipam.routes.clone();
    if !proxy {
        for ip in &ips {
            if ip.gateway.is_none() {
                return Err(CniError::invalid_config(format!(
                    "ptp mode needs a gateway for {} (set one in the IPAM range)",
                    ip.address
                )));
            }
        }
        configure_iface(&ifname, &ips, &routes, &mut steps);
        for ip in &ips {
            let Some(gw) = ip.gateway else { continue };
            let subnet = ip.address.trunc();
            steps.push(Step::plain(Action::DelRoute {
                side: Side::Container,
                route: RouteSpec::new(subnet, None, &ifname),
            }));
            steps.push(Step::plain(Action::AddRoute {
                side: Side::Container,
                route: RouteSpec {
                    scope: Scope::Link,
                    src: Some(ip.address.addr()),
                    ..RouteSpec::new(host_net(gw), None, &ifname)
                },
            }));
            steps.push(Step::plain(Action::AddRoute {
                side: Side::Container,
                route: RouteSpec {
                    src: Some(ip.address.addr()),
                    ..RouteSpec::new(subnet, Some(gw), &ifname)
                },
            }));
        }
        for ip in &ips {
            let Some(gw) = ip.gateway else { continue };
            steps.push(Step::plain(Action::AddAddress {
                side: Side::Host,
                dev: hv.clone(),
                addr: host_net(gw),
            }));
            steps.push(Step::plain(Action::AddRoute {
                side: Side::Host,
                route: RouteSpec {
                    scope: Scope::Host,
                    ..RouteSpec::new(host_net(ip.address.addr()), None, &hv)
                },
            }));
        }
    } else {
        for ip in &mut ips {
            let a = ip.address.addr();
            ip.address = host_net(a);
            ip.gateway = Some(if a.is_ipv4() {
                IpAddr::V4(PROXY_GW_V4)
            } else {
                IpAddr::V6(PROXY_GW_V6)
            });
        }
        for v4 in [true, false] {
            if ips.iter().any(|i| i.address.addr().is_ipv4() == v4)
                && !routes
                    .iter()
                    .any(|r| r.dst.addr().is_ipv4() == v4 && r.dst.prefix_len() == 0)
            {
                routes.push(Route::to(default_net(v4), None));
            }
        }
        for ip in &ips {
            steps.push(Step::plain(Action::AddAddress {
                side: Side::Container,
                dev: ifname.clone(),
                addr: ip.address,
            }));
        }
        steps.push(Step::plain(Action::SetLinkUp {
            side: Side::Container,
            name: ifname.clone(),
        }));
        if ips.iter().any(|i| !i.address.addr().is_ipv4()) {
            steps.push(Step::plain(Action::SettleAddresses {
                side: Side::Container,
                dev: ifname.clone(),
            }));
        }
        if ips.iter().any(|i| i.address.addr().is_ipv4()) {
            steps.push(Step::plain(Action::AddRoute {
                side: Side::Container,
                route: RouteSpec {
                    scope: Scope::Link,
                    ..RouteSpec::new(host_net(IpAddr::V4(PROXY_GW_V4)), None, &ifname)
                },
            }));
            // The host veth answers ARP for 169.254.1.1 by proxy only if the
            // node routes that address elsewhere (its default route); the
            // host veth's MAC is fixed, so the pod can know it outright.
            steps.push(Step::plain(Action::AddNeighbour {
                side: Side::Container,
                dev: ifname.clone(),
                ip: IpAddr::V4(PROXY_GW_V4),
                mac: PROXY_HOST_MAC,
            }));
        }
        for r in &routes {
            let gw = r.gw.unwrap_or(if r.dst.addr().is_ipv4() {
                IpAddr::V4(PROXY_GW_V4)
            } else {
                IpAddr::V6(PROXY_GW_V6)
            });
            steps.push(Step::plain(Action::AddRoute {
                side: Side::Container,
                route: RouteSpec {
                    metric: r.priority,
                    table: r.table,
                    ..RouteSpec::new(r.dst, Some(gw), &ifname)
                },
            }));
        }
        if ips.iter().any(|i| i.address.addr().is_ipv4()) {
            steps.push(Step::plain(Action::Sysctl {
                side: Side::Host,
                key: format!("net/ipv4/conf/{hv}/proxy_arp"),
                value: "1".into(),
            }));
            steps.push(Step::plain(Action::Sysctl {
                side: Side::Host,
                key: format!("net/ipv4/neigh/{hv}/proxy_delay"),
                value: "0".into(),
            }));
        }
        for ip in &ips {
            steps.push(Step::plain(Action::AddRoute {
                side: Side::Host,
                route: RouteSpec {
                    scope: if ip.address.addr().is_ipv4() {
                        Scope::Link
                    } else {
                        Scope::Universe
                    },
                    ..RouteSpec::new(ip.address, None, &hv)
                },
            }));
        }
    }
    steps.extend(masq_step(input, &input.ipam.ips));
    Ok(AttachPlan {
        steps,
        result: result_of(input, vec![hv], ifname, ips, routes),
    })
}

/// Refuses an IPAM result that cannot be plumbed as it claims: a gateway
/// of the other family than its address, a route `gw` of the other family
/// than its destination (a delegated plugin may return them; the built-in
/// host-local refuses such a configuration before it reserves anything).
pub fn check_ipam_result(r: &CniResult) -> Result<(), CniError> {
    for ip in &r.ips {
        if let Some(gw) = ip.gateway
            && gw.is_ipv4() != ip.address.addr().is_ipv4()
        {
            return Err(CniError::invalid_config(format!(
                "IPAM gave address {} with gateway {gw} of the other family",
                ip.address
            )));
        }
    }
    for route in &r.routes {
        if let Some(p) = super::ipam::route_problem(route) {
            return Err(CniError::invalid_config(format!("IPAM gave a {p}")));
        }
    }
    Ok(())
}

/// The plan for the configured mode.
pub fn plan(input: &AttachInput<'_>) -> Result<AttachPlan, CniError> {
    check_ipam_result(input.ipam)?;
    match input.conf.mode {
        Mode::Bridge => plan_bridge(input),
        Mode::Ptp => plan_ptp(input),
    }
}

/// The index of the host veth in a result of this mode.
pub fn host_interface_index(mode: Mode) -> usize {
    match mode {
        Mode::Bridge => 1,
        Mode::Ptp => 0,
    }
}

#[cfg(test)]
mod tests {
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
        let c = conf(
            json!({"isDefaultGateway": true, "ipMasq": true, "hairpinMode": true, "mtu": 1400}),
        );
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
        assert!(a.iter().any(|x| matches!(x, Action::DelRoute { route, .. } if route.dst.to_string() == "10.89.0.0/24")));
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
}
