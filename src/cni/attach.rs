//! Plans an attachment: from the configuration and the addresses IPAM gave,
//! the steps that plumb a pod in bridge or ptp mode (the same kernel state
//! the reference bridge and ptp plugins leave) and the CNI result to print.
//! Pure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::model::route::{RT_SCOPE_HOST, RT_SCOPE_LINK};

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

/// The pod's addresses on `ifname`, then the link up.
fn pod_addresses_up(ifname: &str, ips: &[IpConfig], steps: &mut Vec<Step>) {
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
}

/// Container-side address configuration, as the reference `ConfigureIface`:
/// addresses, link up, wait for DAD when there is an IPv6 gateway, then the
/// routes (a route without `gw` goes via the gateway of its family).
fn configure_iface(ifname: &str, ips: &[IpConfig], routes: &[Route], steps: &mut Vec<Step>) {
    pod_addresses_up(ifname, ips, steps);
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
            Some(s) if s == u32::from(RT_SCOPE_LINK) => Scope::Link,
            Some(s) if s == u32::from(RT_SCOPE_HOST) => Scope::Host,
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
    let mut steps = bridge_steps(input.conf);
    veth_steps(input, None, &mut steps);
    steps.push(Step::plain(Action::SetMaster {
        name: hv.clone(),
        master: br.clone(),
    }));
    steps.push(Step::plain(Action::SetHairpin {
        name: hv.clone(),
        on: c.hairpin,
    }));
    let BridgeAddressing {
        ips,
        routes,
        gateways,
    } = bridge_addressing(c, input.ipam)?;
    if ips.is_empty() {
        steps.push(Step::plain(Action::SetLinkUp {
            side: Side::Container,
            name: ifname.clone(),
        }));
    } else {
        bridge_pod_steps(&ifname, &hv, &ips, &routes, &mut steps);
        if c.is_gateway {
            gateway_address_steps(&br, &gateways, c.force_address, &mut steps);
        }
        steps.extend(masq_step(input, &ips));
    }
    Ok(AttachPlan {
        steps,
        result: result_of(input, vec![br, hv], ifname, ips, routes),
    })
}

/// The bridge: created unless it exists (deleted on undo if nothing else
/// uses it), accept_ra off, up.
fn bridge_steps(c: &PluginConf) -> Vec<Step> {
    let br = c.bridge.clone();
    vec![
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
            name: br,
        }),
    ]
}

/// A bridge-mode pod's addresses and routes and the gateways the bridge
/// carries.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BridgeAddressing {
    /// The IPAM addresses on the pod's interface (index 2 of the result),
    /// each with a gateway (the subnet's first address unless IPAM gave
    /// one) when `isGateway`.
    ips: Vec<IpConfig>,
    /// The IPAM routes, and a default route per family when
    /// `isDefaultGateway` and IPAM gave none with a gateway.
    routes: Vec<Route>,
    /// The gateways with their subnet's prefix, for the bridge (`isGateway`).
    gateways: Vec<IpNet>,
}

/// The reference bridge plugin's `calcGateways`.
fn bridge_addressing(c: &PluginConf, ipam: &CniResult) -> Result<BridgeAddressing, CniError> {
    let mut ips = ipam.ips.clone();
    let mut routes = ipam.routes.clone();
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
    Ok(BridgeAddressing {
        ips,
        routes,
        gateways,
    })
}

/// The pod side of a bridge attachment with addresses: no DAD, ARP
/// notifications on, [`configure_iface`], then wait for the host veth.
fn bridge_pod_steps(
    ifname: &str,
    hv: &str,
    ips: &[IpConfig],
    routes: &[Route],
    steps: &mut Vec<Step>,
) {
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
    configure_iface(ifname, ips, routes, steps);
    steps.push(Step::plain(Action::WaitOperUp {
        side: Side::Host,
        dev: hv.into(),
    }));
}

/// `isGateway`: each gateway on the bridge (IPv4 first; removed on undo if
/// no other pod uses it) with the bridge's MAC pinned, then forwarding on
/// for each family that has one.
fn gateway_address_steps(br: &str, gateways: &[IpNet], force: bool, steps: &mut Vec<Step>) {
    for v4 in [true, false] {
        let fam: Vec<&IpNet> = gateways
            .iter()
            .filter(|g| g.addr().is_ipv4() == v4)
            .collect();
        for gw in &fam {
            steps.push(Step::new(
                Action::EnsureBridgeAddress {
                    bridge: br.into(),
                    addr: **gw,
                    force,
                },
                Some(Action::DelBridgeAddressIfUnused {
                    bridge: br.into(),
                    addr: **gw,
                }),
            ));
            steps.push(Step::plain(Action::PinBridgeMac { name: br.into() }));
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

/// ptp mode. `onLink` (the reference ptp plugin): the pod keeps its
/// address with the subnet's prefix but its subnet route is replaced by an
/// on-link route to the gateway and a subnet route via it; the host veth
/// carries the gateway as /32 (/128) and a host route to the pod.
/// `proxyArp` (Calico): the pod has a /32 (/128) and routes via
/// 169.254.1.1 (IPv6: fe80::ecee:eeff:feee:eeee, the host veth's
/// link-local); the host veth answers ARP by proxy.
pub fn plan_ptp(input: &AttachInput<'_>) -> Result<AttachPlan, CniError> {
    let hv = input.host_veth.to_string();
    let ifname = input.ifname.to_string();
    if input.ipam.ips.is_empty() {
        return Err(CniError::invalid_config(
            "IPAM plugin returned missing IP config",
        ));
    }
    let mut steps = Vec::new();
    forward_steps(&input.ipam.ips, &mut steps);
    let proxy = input.conf.ptp_gateway == PtpGateway::ProxyArp;
    veth_steps(input, proxy.then_some(PROXY_HOST_MAC), &mut steps);
    let mut ips: Vec<IpConfig> = input.ipam.ips.clone();
    for ip in &mut ips {
        ip.interface = Some(1);
    }
    let mut routes = input.ipam.routes.clone();
    if !proxy {
        require_gateways(&ips)?;
        onlink_pod_steps(&ifname, &ips, &routes, &mut steps);
        onlink_host_steps(&hv, &ips, &mut steps);
    } else {
        proxy_arp_addressing(&mut ips, &mut routes);
        proxy_arp_pod_steps(&ifname, &ips, &routes, &mut steps);
        proxy_arp_host_steps(&hv, &ips, &mut steps);
    }
    steps.extend(masq_step(input, &input.ipam.ips));
    Ok(AttachPlan {
        steps,
        result: result_of(input, vec![hv], ifname, ips, routes),
    })
}

/// `onLink` needs a gateway for every address: it is the host veth's.
fn require_gateways(ips: &[IpConfig]) -> Result<(), CniError> {
    match ips.iter().find(|ip| ip.gateway.is_none()) {
        Some(ip) => Err(CniError::invalid_config(format!(
            "ptp mode needs a gateway for {} (set one in the IPAM range)",
            ip.address
        ))),
        None => Ok(()),
    }
}

/// `onLink`, pod side: [`configure_iface`], then per address its subnet
/// route replaced by an on-link route to the gateway and the subnet via it.
fn onlink_pod_steps(ifname: &str, ips: &[IpConfig], routes: &[Route], steps: &mut Vec<Step>) {
    configure_iface(ifname, ips, routes, steps);
    for ip in ips {
        let Some(gw) = ip.gateway else { continue };
        let subnet = ip.address.trunc();
        steps.push(Step::plain(Action::DelRoute {
            side: Side::Container,
            route: RouteSpec::new(subnet, None, ifname),
        }));
        steps.push(Step::plain(Action::AddRoute {
            side: Side::Container,
            route: RouteSpec {
                scope: Scope::Link,
                src: Some(ip.address.addr()),
                ..RouteSpec::new(host_net(gw), None, ifname)
            },
        }));
        steps.push(Step::plain(Action::AddRoute {
            side: Side::Container,
            route: RouteSpec {
                src: Some(ip.address.addr()),
                ..RouteSpec::new(subnet, Some(gw), ifname)
            },
        }));
    }
}

/// `onLink`, host side: per address the gateway as /32 (/128) on the host
/// veth and a host route to the pod's address.
fn onlink_host_steps(hv: &str, ips: &[IpConfig], steps: &mut Vec<Step>) {
    for ip in ips {
        let Some(gw) = ip.gateway else { continue };
        steps.push(Step::plain(Action::AddAddress {
            side: Side::Host,
            dev: hv.into(),
            addr: host_net(gw),
        }));
        steps.push(Step::plain(Action::AddRoute {
            side: Side::Host,
            route: RouteSpec {
                scope: Scope::Host,
                ..RouteSpec::new(host_net(ip.address.addr()), None, hv)
            },
        }));
    }
}

/// The proxy-ARP gateway of `ip`'s family.
fn proxy_gateway(ip: IpAddr) -> IpAddr {
    if ip.is_ipv4() {
        IpAddr::V4(PROXY_GW_V4)
    } else {
        IpAddr::V6(PROXY_GW_V6)
    }
}

/// `proxyArp` addressing: each address as /32 (/128) with the proxy
/// gateway, and a default route for each family that has none.
fn proxy_arp_addressing(ips: &mut [IpConfig], routes: &mut Vec<Route>) {
    for ip in ips.iter_mut() {
        let a = ip.address.addr();
        ip.address = host_net(a);
        ip.gateway = Some(proxy_gateway(a));
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
}

/// `proxyArp`, pod side: addresses, link up, DAD settled for IPv6, an
/// on-link route and a fixed neighbour entry for 169.254.1.1, then every
/// route via the proxy gateway of its family unless it names one.
fn proxy_arp_pod_steps(ifname: &str, ips: &[IpConfig], routes: &[Route], steps: &mut Vec<Step>) {
    pod_addresses_up(ifname, ips, steps);
    if ips.iter().any(|i| !i.address.addr().is_ipv4()) {
        steps.push(Step::plain(Action::SettleAddresses {
            side: Side::Container,
            dev: ifname.into(),
        }));
    }
    if ips.iter().any(|i| i.address.addr().is_ipv4()) {
        steps.push(Step::plain(Action::AddRoute {
            side: Side::Container,
            route: RouteSpec {
                scope: Scope::Link,
                ..RouteSpec::new(host_net(IpAddr::V4(PROXY_GW_V4)), None, ifname)
            },
        }));
        // The host veth answers ARP for 169.254.1.1 by proxy only if the
        // node routes that address elsewhere (its default route); the
        // host veth's MAC is fixed, so the pod can know it outright.
        steps.push(Step::plain(Action::AddNeighbour {
            side: Side::Container,
            dev: ifname.into(),
            ip: IpAddr::V4(PROXY_GW_V4),
            mac: PROXY_HOST_MAC,
        }));
    }
    for r in routes {
        let gw = r.gw.unwrap_or(proxy_gateway(r.dst.addr()));
        steps.push(Step::plain(Action::AddRoute {
            side: Side::Container,
            route: RouteSpec {
                metric: r.priority,
                table: r.table,
                ..RouteSpec::new(r.dst, Some(gw), ifname)
            },
        }));
    }
}

/// `proxyArp`, host side: proxy ARP without delay on the host veth (IPv4),
/// and a route to each pod address through it.
fn proxy_arp_host_steps(hv: &str, ips: &[IpConfig], steps: &mut Vec<Step>) {
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
    for ip in ips {
        steps.push(Step::plain(Action::AddRoute {
            side: Side::Host,
            route: RouteSpec {
                scope: if ip.address.addr().is_ipv4() {
                    Scope::Link
                } else {
                    Scope::Universe
                },
                ..RouteSpec::new(ip.address, None, hv)
            },
        }));
    }
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
mod tests;
