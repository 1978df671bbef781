//! The plan's executor: each action done by netlink in the node's or the
//! pod's namespace (helper threads), the firewall, or the IPAM release.
//! Kernel I/O.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::Duration;

use ipnet::IpNet;

use crate::cni::error::codes;
use crate::cni::masq;
use crate::cni::names;
use crate::cni::observe;
use crate::cni::plan::{Action, Executor, Owner, Scope, Side, StepError};
use crate::model::netns::is_link_local;
use crate::sys::lockfile;
use crate::sys::netlink::{RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, Route};
use crate::sys::rtnl::NetnsWorker;

use crate::cni::error::CniError;

use super::{Plugin, action_words, host_view, kernel as failed_to};

/// How long an ADD waits for another ADD on the same bridge.
pub(super) const BRIDGE_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Does the plan's actions in the node's and the pod's namespaces.
pub(super) struct Kernel<'a> {
    pub(super) host: NetnsWorker,
    pub(super) container: Option<NetnsWorker>,
    pub(super) host_ns: File,
    pub(super) plugin: &'a Plugin<'a>,
    pub(super) bridge_lock: Option<lockfile::Locked>,
}

fn io_err(e: io::Error) -> StepError {
    StepError::new(e.to_string())
}

/// `what: e`, a kernel error.
fn failed(what: impl std::fmt::Display, e: impl std::fmt::Display) -> StepError {
    StepError::new(format!("{what}: {e}"))
}

impl Kernel<'_> {
    fn side(&self, side: Side) -> Result<&NetnsWorker, StepError> {
        match side {
            Side::Host => Ok(&self.host),
            Side::Container => self
                .container
                .as_ref()
                .ok_or_else(|| StepError::new("the pod netns is gone")),
        }
    }

    fn lock_bridge(&mut self, name: &str) -> Result<(), StepError> {
        if self.bridge_lock.is_none() {
            let ino =
                crate::sys::netns::inode_of(Path::new("/proc/thread-self/ns/net")).unwrap_or(0);
            match lockfile::named_within(&format!("bridge-{ino}-{name}"), BRIDGE_LOCK_TIMEOUT) {
                Ok(l) => self.bridge_lock = Some(l),
                Err(e) => {
                    let msg = format!("bridge {name} is busy: {e}");
                    return Err(if e.kind() == io::ErrorKind::WouldBlock {
                        StepError::coded(codes::TRY_AGAIN_LATER, msg)
                    } else {
                        StepError::new(msg)
                    });
                }
            }
        }
        Ok(())
    }

    fn bridge_has_ports(&self, name: &str) -> Result<Option<bool>, StepError> {
        let view = host_view(&self.host).map_err(|e| StepError::new(e.msg))?;
        Ok(view
            .link(name)
            .filter(|b| b.kind == "bridge")
            .map(|b| view.ports_of(b.index).next().is_some()))
    }

    /// Bridges and their ports; `None`: not a link action.
    fn links(&mut self, action: &Action) -> Option<Result<bool, StepError>> {
        Some(match action {
            Action::EnsureBridge { name, mtu, promisc } => self.lock_bridge(name).and_then(|()| {
                self.host
                    .ensure_bridge(name, *mtu, *promisc)
                    .map_err(|e| failed(format!("create bridge {name}"), e))
            }),
            Action::DeleteBridgeIfUnused { name } => match self.bridge_has_ports(name) {
                Ok(Some(false)) => self.host.delete_link(name).map_err(io_err),
                Ok(_) => Ok(false),
                Err(e) => Err(e),
            },
            Action::CreateVeth {
                ifname,
                host_ifname,
                mtu,
                host_mac,
            } => self.create_veth(ifname, host_ifname, *mtu, *host_mac),
            Action::DeleteLink { side, name } => self.side(*side).and_then(|w| {
                w.delete_link(name)
                    .map_err(|e| failed(format!("delete {name}"), e))
            }),
            Action::DeleteOwnedLink { name, owner } => self.delete_owned_link(name, owner),
            Action::SetMaster { name, master } => self
                .host
                .set_master(name, master)
                .map(|()| true)
                .map_err(|e| failed(format!("failed to connect {name} to bridge {master}"), e)),
            Action::SetHairpin { name, on } => self
                .host
                .set_hairpin(name, *on)
                .map(|()| true)
                .map_err(|e| failed(format!("failed to setup hairpin mode for {name}"), e)),
            Action::PinBridgeMac { name } => self.pin_bridge_mac(name),
            _ => return None,
        })
    }

    fn create_veth(
        &self,
        ifname: &str,
        host_ifname: &str,
        mtu: Option<u32>,
        host_mac: Option<[u8; 6]>,
    ) -> Result<bool, StepError> {
        if self.host.link(host_ifname).map_err(io_err)?.is_some() {
            return Err(StepError::coded(
                codes::HOST_NAME_TAKEN,
                format!("host interface {host_ifname} already exists"),
            ));
        }
        let c = self.side(Side::Container)?;
        c.create_veth(ifname, host_ifname, mtu, host_mac, &self.host_ns)
            .map_err(|e| {
                StepError::new(if e.raw_os_error() == Some(libc::EEXIST) {
                    format!("container veth name provided ({ifname}) already exists")
                } else {
                    format!("create veth {ifname} (host end {host_ifname}): {e}")
                })
            })?;
        Ok(true)
    }

    fn delete_owned_link(&self, name: &str, owner: &Owner) -> Result<bool, StepError> {
        let Some(l) = self.host.link(name).map_err(io_err)? else {
            return Ok(false);
        };
        let v = observe::link(&l);
        let want = names::marker(&owner.network, &owner.container_id, &owner.ifname);
        if v.alias.as_deref().and_then(names::parse_marker) == names::parse_marker(&want) {
            self.host
                .delete_link(name)
                .map_err(|e| failed(format!("delete {name}"), e))
        } else {
            Ok(false)
        }
    }

    fn pin_bridge_mac(&self, name: &str) -> Result<bool, StepError> {
        let l = self
            .host
            .link(name)
            .map_err(io_err)?
            .ok_or_else(|| StepError::new(format!("bridge {name} vanished")))?;
        let mac: Vec<u8> = observe::link(&l)
            .mac
            .split(':')
            .filter_map(|b| u8::from_str_radix(b, 16).ok())
            .collect();
        if mac.len() == 6 {
            self.host
                .set_mac(name, mac)
                .map_err(|e| failed("could not set bridge's mac", e))?;
        }
        Ok(true)
    }

    /// A link's state, addresses, routes, neighbours and sysctls; `None`:
    /// not such an action.
    fn addressing(&mut self, action: &Action) -> Option<Result<bool, StepError>> {
        Some(match action {
            Action::SetLinkUp { side, name } => self.side(*side).and_then(|w| {
                w.set_up(name)
                    .map(|()| true)
                    .map_err(|e| failed(format!("set {name} up"), e))
            }),
            Action::SetAlias { side, name, alias } => self.side(*side).and_then(|w| {
                w.set_alias(name, alias)
                    .map(|()| true)
                    .map_err(|e| failed(format!("set the alias of {name}"), e))
            }),
            Action::AddAddress { side, dev, addr } => self.side(*side).and_then(|w| {
                w.add_address(dev, *addr)
                    .map_err(|e| failed(format!("failed to add IP addr {addr} to {dev}"), e))
            }),
            Action::EnsureBridgeAddress {
                bridge,
                addr,
                force,
            } => self.ensure_bridge_address(bridge, *addr, *force),
            Action::DelBridgeAddressIfUnused { bridge, addr } => {
                match self.bridge_has_ports(bridge) {
                    Ok(Some(false)) => self.host.del_address(bridge, *addr).map_err(io_err),
                    Ok(_) => Ok(false),
                    Err(e) => Err(e),
                }
            }
            Action::AddRoute { side, route } => self.side(*side).and_then(|w| {
                w.add_route(&route.dev, route_req(route))
                    .map_err(|e| failed(format!("failed to add route {}", action_words(action)), e))
            }),
            Action::DelRoute { side, route } => self.side(*side).and_then(|w| {
                w.del_route(&route.dev, route_req(route))
                    .map_err(|e| failed(format!("failed to delete route {}", route.dst), e))
            }),
            Action::AddNeighbour { side, dev, ip, mac } => self.side(*side).and_then(|w| {
                w.add_neighbour(dev, *ip, *mac)
                    .map(|()| true)
                    .map_err(|e| failed(format!("add neighbour {ip} on {dev}"), e))
            }),
            Action::Sysctl { side, key, value } => {
                self.side(*side)
                    .and_then(|w| match w.sysctl_write(key, value) {
                        Ok(changed) => Ok(changed),
                        Err(_) if best_effort_sysctl(key) => Ok(false),
                        Err(e) => Err(io_err(e)),
                    })
            }
            Action::SettleAddresses { side, dev } => self.side(*side).and_then(|w| {
                w.settle_addresses(dev, Duration::from_secs(10))
                    .map(|()| false)
                    .map_err(|e| failed(format!("failed to settle addresses for {dev}"), e))
            }),
            Action::WaitOperUp { side, dev } => self
                .side(*side)
                .and_then(|w| w.wait_oper_up(dev).map(|()| false).map_err(io_err)),
            _ => return None,
        })
    }

    fn ensure_bridge_address(
        &self,
        bridge: &str,
        addr: IpNet,
        force: bool,
    ) -> Result<bool, StepError> {
        let view = host_view(&self.host).map_err(|e| StepError::new(e.msg))?;
        let br = view
            .link(bridge)
            .ok_or_else(|| StepError::new(format!("bridge {bridge} vanished")))?;
        for a in view.addrs_of(br.index) {
            if a.addr == addr {
                return Ok(false);
            }
            let conflicts = a.addr.addr().is_ipv4() == addr.addr().is_ipv4()
                && (addr.addr().is_ipv4()
                    || a.addr.contains(&addr.addr())
                    || addr.contains(&a.addr.addr()));
            if conflicts && !a.addr.addr().is_loopback() && !is_link_local(a.addr.addr()) {
                if force {
                    self.host.del_address(bridge, a.addr).map_err(io_err)?;
                } else {
                    return Err(StepError::new(format!(
                        "{bridge:?} already has an IP address different from {addr}"
                    )));
                }
            }
        }
        self.host
            .add_address(bridge, addr)
            .map_err(|e| failed(format!("could not add IP address to {bridge:?}"), e))
    }

    /// The firewall and the IPAM store.
    fn others(&mut self, action: &Action) -> Result<bool, StepError> {
        match action {
            Action::AddMasquerade {
                backend,
                owner,
                rules,
            } => {
                let (b, o, r) = (*backend, owner.clone(), rules.clone());
                self.host
                    .run(move || masq::add(b, &o, &r))
                    .map_err(io_err)?
                    .map_err(|e| failed("ipMasq", e))?;
                Ok(true)
            }
            Action::DelMasquerade { owner } => {
                let o = owner.clone();
                self.host
                    .run(move || masq::remove(&o))
                    .map_err(io_err)?
                    .map_err(|e| failed("ipMasq", e))
            }
            Action::ReleaseAddresses { .. } => match self.plugin.release_addresses() {
                Ok(()) => Ok(true),
                Err(e) => Err(StepError::coded(e.code, e.to_string())),
            },
            // done by the IPAM transaction, the plan's first step
            Action::ReserveAddresses { .. } => Ok(true),
            other => Err(StepError::new(format!(
                "no executor for {}",
                action_words(other)
            ))),
        }
    }
}

/// The engine's route for `r`, its output link still to be resolved from `r.dev`.
pub(super) fn route_req(r: &crate::cni::plan::RouteSpec) -> Route {
    Route {
        dst: r.dst,
        gw: r.gw,
        oif: None,
        scope: match r.scope {
            Scope::Universe => RT_SCOPE_UNIVERSE,
            Scope::Link => RT_SCOPE_LINK,
            Scope::Host => RT_SCOPE_HOST,
        },
        src: r.src,
        metric: r.metric,
        table: r.table,
        onlink: false,
        protocol: None,
    }
}

/// Sysctls the reference plugins set but ignore failures of (IPv6 may be off).
pub(super) fn best_effort_sysctl(key: &str) -> bool {
    ["/accept_ra", "/accept_dad", "/arp_notify", "/proxy_delay"]
        .iter()
        .any(|s| key.ends_with(s))
}

impl Executor for Kernel<'_> {
    fn apply(&mut self, action: &Action) -> Result<bool, StepError> {
        if let Some(r) = self.links(action) {
            return r;
        }
        if let Some(r) = self.addressing(action) {
            return r;
        }
        self.others(action)
    }
}

impl<'a> Plugin<'a> {
    /// The executor: netlink workers in the node's netns and, when it is
    /// open, the pod's.
    pub(super) fn kernel<'p>(&'p self, container: Option<&File>) -> Result<Kernel<'p>, CniError> {
        let host_ns =
            File::open("/proc/self/ns/net").map_err(|e| failed_to("open /proc/self/ns/net", e))?;
        Ok(Kernel {
            host: NetnsWorker::spawn(None)
                .map_err(|e| failed_to("netlink in the node's netns", e))?,
            container: container
                .map(|f| NetnsWorker::spawn(Some(f)))
                .transpose()
                .map_err(|e| failed_to(format!("enter {}", self.inv.netns), e))?,
            host_ns,
            plugin: self,
            bridge_lock: None,
        })
    }
}
