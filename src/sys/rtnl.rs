//! Kernel I/O inside one network namespace, on a private helper thread:
//! link/veth/bridge/address/route mutations through rtnetlink (a tokio
//! current-thread runtime that lives on that thread only), link/address/
//! route dumps through [`RouteSocket`], sysctl reads and writes, and any
//! other work that must happen "in" the namespace (spawning `nft`). The
//! thread does `setns(CLONE_NEWNET)` before it creates its runtime and
//! sockets, so they are bound to the namespace; the caller's thread never
//! changes namespace.

use std::fs::File;
use std::io;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use netlink_packet_route::AddressFamily;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage,
};
use netlink_packet_route::link::{
    InfoData, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State,
};
use netlink_packet_route::route::{RouteMessage, RouteProtocol, RouteScope, RouteType};
use rtnetlink::{
    LinkBridge, LinkBridgePort, LinkMessageBuilder, LinkUnspec, LinkVeth, RouteMessageBuilder,
};

use super::netlink::RouteSocket;

/// A route as podnet adds or deletes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteReq {
    pub dst: IpNet,
    pub gw: Option<IpAddr>,
    /// Output interface name.
    pub dev: String,
    /// `rtm_scope`: 0 universe, 253 link, 254 host.
    pub scope: u8,
    pub src: Option<IpAddr>,
    pub metric: Option<u32>,
    pub table: Option<u32>,
}

struct Ctx {
    rt: tokio::runtime::Runtime,
    handle: rtnetlink::Handle,
    sock: RouteSocket,
}

type Job = Box<dyn FnOnce(&mut Ctx) + Send>;

/// A helper thread living in one network namespace.
pub struct NetnsWorker {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

fn nl_err(e: rtnetlink::Error) -> io::Error {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.to_io(),
        other => io::Error::other(other.to_string()),
    }
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

impl NetnsWorker {
    /// Starts a worker in the namespace open at `ns`, or in this process's
    /// own namespace when `None`.
    pub fn spawn(ns: Option<&File>) -> io::Result<NetnsWorker> {
        let ns = ns.map(File::try_clone).transpose()?;
        let (tx, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<io::Result<()>>();
        let thread = std::thread::Builder::new()
            .name("podnet-netns".into())
            .spawn(move || {
                let setup = (|| -> io::Result<Ctx> {
                    if let Some(f) = &ns {
                        super::netns::enter(f)?;
                    }
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_io()
                        .build()?;
                    let (conn, handle, _) = {
                        let _guard = rt.enter();
                        rtnetlink::new_connection()?
                    };
                    rt.spawn(conn);
                    let sock = RouteSocket::new()?;
                    Ok(Ctx { rt, handle, sock })
                })();
                match setup {
                    Ok(mut ctx) => {
                        let _ = ready_tx.send(Ok(()));
                        while let Ok(job) = rx.recv() {
                            job(&mut ctx);
                        }
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })?;
        let ready = ready_rx
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("netns helper thread died")));
        match ready {
            Ok(()) => Ok(NetnsWorker {
                tx: Some(tx),
                thread: Some(thread),
            }),
            Err(e) => {
                let _ = thread.join();
                Err(e)
            }
        }
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Ctx) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let (rtx, rrx) = mpsc::channel();
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| io::Error::other("netns helper thread stopped"))?;
        tx.send(Box::new(move |ctx| {
            let _ = rtx.send(f(ctx));
        }))
        .map_err(|_| io::Error::other("netns helper thread stopped"))?;
        rrx.recv()
            .unwrap_or_else(|_| Err(io::Error::other("netns helper thread died")))
    }

    /// Runs any synchronous work on the helper thread (inside the namespace):
    /// a process spawned there starts in the namespace.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
        self.call(move |_| Ok(f()))
    }

    /// Links, addresses and main-table routes.
    pub fn dump(
        &self,
    ) -> io::Result<(
        Vec<LinkMessage>,
        Vec<netlink_packet_route::address::AddressMessage>,
        Vec<RouteMessage>,
    )> {
        self.call(|ctx| {
            let links = ctx.sock.dump_links()?;
            let addrs = ctx.sock.dump_addresses()?;
            let routes = ctx
                .sock
                .dump(RouteNetlinkMessage::GetRoute(RouteMessage::default()))?
                .into_iter()
                .filter_map(|m| match m {
                    RouteNetlinkMessage::NewRoute(r) => Some(r),
                    _ => None,
                })
                .collect();
            Ok((links, addrs, routes))
        })
    }

    /// The link named `name`, if there is one.
    pub fn link(&self, name: &str) -> io::Result<Option<LinkMessage>> {
        let name = name.to_string();
        self.call(move |ctx| get_link(ctx, &name))
    }

    /// The nsid this namespace gives the namespace open at `fd` (the file
    /// must stay open until this returns).
    pub fn nsid_of(&self, ns: &File) -> io::Result<Option<i32>> {
        let fd = ns.as_raw_fd();
        self.call(move |ctx| ctx.sock.nsid_of(fd))
    }

    /// Creates a bridge unless a link of that name exists; `Ok(false)` when
    /// a bridge was already there, an error when it is not a bridge.
    pub fn ensure_bridge(&self, name: &str, mtu: Option<u32>, promisc: bool) -> io::Result<bool> {
        let name = name.to_string();
        self.call(move |ctx| {
            let mut b = LinkBridge::new(&name);
            if let Some(m) = mtu {
                b = b.mtu(m);
            }
            let created = match ctx.rt.block_on(ctx.handle.link().add(b.build()).execute()) {
                Ok(()) => true,
                Err(e) => {
                    let e = nl_err(e);
                    if errno(&e) != libc::EEXIST {
                        return Err(e);
                    }
                    false
                }
            };
            let link = get_link(ctx, &name)?
                .ok_or_else(|| io::Error::other(format!("bridge {name} vanished")))?;
            if link_kind(&link) != "bridge" {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{name:?} already exists but is not a bridge"),
                ));
            }
            let is_promisc = link.header.flags.contains(LinkFlags::Promisc);
            if promisc && !is_promisc {
                let msg = LinkUnspec::new_with_index(link.header.index)
                    .promiscuous(true)
                    .build();
                ctx.rt
                    .block_on(ctx.handle.link().change(msg).execute())
                    .map_err(nl_err)?;
            }
            Ok(created)
        })
    }

    /// Creates a veth pair in this namespace: `ifname` here, its peer
    /// `host_ifname` directly in the namespace open at `peer_ns` (one
    /// request, so both ends exist or neither).
    pub fn create_veth(
        &self,
        ifname: &str,
        host_ifname: &str,
        mtu: Option<u32>,
        host_mac: Option<[u8; 6]>,
        peer_ns: &File,
    ) -> io::Result<()> {
        let fd: RawFd = peer_ns.as_raw_fd();
        let (ifname, host_ifname) = (ifname.to_string(), host_ifname.to_string());
        self.call(move |ctx| {
            // txqueuelen 0 on both ends, as the reference plugins' veths
            let mut peer = LinkMessageBuilder::<LinkUnspec>::new()
                .name(host_ifname.clone())
                .txqueuelen(0)
                .setns_by_fd(fd);
            if let Some(m) = mtu {
                peer = peer.mtu(m);
            }
            if let Some(mac) = host_mac {
                peer = peer.address(mac.to_vec());
            }
            let mut b = LinkVeth::new(&ifname, &host_ifname)
                .txqueuelen(0)
                .set_info_data(InfoData::Veth(InfoVeth::Peer(peer.build())));
            if let Some(m) = mtu {
                b = b.mtu(m);
            }
            let msg = b.build();
            ctx.rt
                .block_on(ctx.handle.link().add(msg).execute())
                .map_err(nl_err)
        })
    }

    /// Deletes a link; `Ok(false)` if there was none.
    pub fn delete_link(&self, name: &str) -> io::Result<bool> {
        let name = name.to_string();
        self.call(move |ctx| {
            let Some(l) = get_link(ctx, &name)? else {
                return Ok(false);
            };
            match ctx
                .rt
                .block_on(ctx.handle.link().del(l.header.index).execute())
            {
                Ok(()) => Ok(true),
                Err(e) => {
                    let e = nl_err(e);
                    if errno(&e) == libc::ENODEV {
                        Ok(false)
                    } else {
                        Err(e)
                    }
                }
            }
        })
    }

    fn change(
        &self,
        name: &str,
        build: impl FnOnce(LinkMessageBuilder<LinkUnspec>) -> LinkMessageBuilder<LinkUnspec>
        + Send
        + 'static,
    ) -> io::Result<()> {
        let name = name.to_string();
        self.call(move |ctx| {
            let idx = index_of(ctx, &name)?;
            let msg = build(LinkUnspec::new_with_index(idx)).build();
            ctx.rt
                .block_on(ctx.handle.link().change(msg).execute())
                .map_err(nl_err)
        })
    }

    pub fn set_up(&self, name: &str) -> io::Result<()> {
        self.change(name, |b| b.up())
    }

    pub fn set_alias(&self, name: &str, alias: &str) -> io::Result<()> {
        let alias = alias.to_string();
        self.change(name, move |b| b.alias(alias))
    }

    pub fn set_mac(&self, name: &str, mac: Vec<u8>) -> io::Result<()> {
        self.change(name, move |b| b.address(mac))
    }

    pub fn set_master(&self, name: &str, master: &str) -> io::Result<()> {
        let (name, master) = (name.to_string(), master.to_string());
        self.call(move |ctx| {
            let idx = index_of(ctx, &name)?;
            let m = index_of(ctx, &master)?;
            let msg = LinkUnspec::new_with_index(idx).controller(m).build();
            ctx.rt
                .block_on(ctx.handle.link().change(msg).execute())
                .map_err(nl_err)
        })
    }

    pub fn set_hairpin(&self, name: &str, on: bool) -> io::Result<()> {
        let name = name.to_string();
        self.call(move |ctx| {
            let idx = index_of(ctx, &name)?;
            let msg = LinkBridgePort::new(idx).hairpin(on).build();
            ctx.rt
                .block_on(ctx.handle.link().set_port(msg).execute())
                .map_err(nl_err)
        })
    }

    /// Adds an address; `Ok(false)` if it was there.
    pub fn add_address(&self, dev: &str, addr: IpNet) -> io::Result<bool> {
        let dev = dev.to_string();
        self.call(move |ctx| {
            let idx = index_of(ctx, &dev)?;
            match ctx.rt.block_on(
                ctx.handle
                    .address()
                    .add(idx, addr.addr(), addr.prefix_len())
                    .execute(),
            ) {
                Ok(()) => Ok(true),
                Err(e) => {
                    let e = nl_err(e);
                    if errno(&e) == libc::EEXIST {
                        Ok(false)
                    } else {
                        Err(e)
                    }
                }
            }
        })
    }

    /// Deletes an address; `Ok(false)` if it (or the link) was not there.
    pub fn del_address(&self, dev: &str, addr: IpNet) -> io::Result<bool> {
        let dev = dev.to_string();
        self.call(move |ctx| {
            let Some(l) = get_link(ctx, &dev)? else {
                return Ok(false);
            };
            let idx = l.header.index;
            let msg = match addr.addr() {
                IpAddr::V4(a) => rtnetlink::AddressMessageBuilder::<std::net::Ipv4Addr>::new()
                    .index(idx)
                    .address(a, addr.prefix_len())
                    .build(),
                IpAddr::V6(a) => rtnetlink::AddressMessageBuilder::<std::net::Ipv6Addr>::new()
                    .index(idx)
                    .address(a, addr.prefix_len())
                    .build(),
            };
            match ctx.rt.block_on(ctx.handle.address().del(msg).execute()) {
                Ok(()) => Ok(true),
                Err(e) => {
                    let e = nl_err(e);
                    if matches!(errno(&e), libc::EADDRNOTAVAIL | libc::ENODEV | libc::ESRCH) {
                        Ok(false)
                    } else {
                        Err(e)
                    }
                }
            }
        })
    }

    /// Adds a route; `Ok(false)` if the same route was there.
    pub fn add_route(&self, r: RouteReq) -> io::Result<bool> {
        self.call(move |ctx| {
            let msg = route_message(ctx, &r, false)?;
            match ctx.rt.block_on(ctx.handle.route().add(msg).execute()) {
                Ok(()) => Ok(true),
                Err(e) => {
                    let e = nl_err(e);
                    if errno(&e) == libc::EEXIST {
                        Ok(false)
                    } else {
                        Err(e)
                    }
                }
            }
        })
    }

    /// Deletes a route (any protocol, scope or metric); `Ok(false)` if none matched.
    pub fn del_route(&self, r: RouteReq) -> io::Result<bool> {
        self.call(move |ctx| {
            let msg = match route_message(ctx, &r, true) {
                Ok(m) => m,
                Err(e) if errno(&e) == libc::ENODEV => return Ok(false),
                Err(e) => return Err(e),
            };
            match ctx.rt.block_on(ctx.handle.route().del(msg).execute()) {
                Ok(()) => Ok(true),
                Err(e) => {
                    let e = nl_err(e);
                    if matches!(errno(&e), libc::ESRCH | libc::ENOENT) {
                        Ok(false)
                    } else {
                        Err(e)
                    }
                }
            }
        })
    }

    /// Adds (or replaces) a permanent neighbour entry `ip` → `mac` on `dev`.
    pub fn add_neighbour(&self, dev: &str, ip: IpAddr, mac: [u8; 6]) -> io::Result<()> {
        let dev = dev.to_string();
        self.call(move |ctx| {
            let idx = index_of(ctx, &dev)?;
            let req = ctx
                .handle
                .neighbours()
                .add(idx, ip)
                .link_layer_address(&mac)
                .state(netlink_packet_route::neighbour::NeighbourState::Permanent)
                .replace();
            ctx.rt.block_on(req.execute()).map_err(nl_err)
        })
    }

    /// Reads a sysctl of this namespace (`net/ipv4/ip_forward`).
    pub fn sysctl_read(&self, key: &str) -> io::Result<String> {
        let key = key.to_string();
        self.call(move |_| super::sysctl::read(&key))
    }

    /// Writes a sysctl of this namespace; `Ok(false)` if it already had the value.
    pub fn sysctl_write(&self, key: &str, value: &str) -> io::Result<bool> {
        let (key, value) = (key.to_string(), value.to_string());
        self.call(move |_| super::sysctl::write(&key, &value))
    }

    /// Waits until no address on `dev` is tentative (IPv6 DAD finished).
    pub fn settle_addresses(&self, dev: &str, timeout: Duration) -> io::Result<()> {
        let dev = dev.to_string();
        self.call(move |ctx| {
            let deadline = Instant::now() + timeout;
            loop {
                let idx = index_of(ctx, &dev)?;
                let addrs = ctx.sock.dump_addresses()?;
                let tentative = addrs
                    .iter()
                    .any(|a| a.header.index == idx && is_tentative_v6(a));
                if !tentative {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("addresses on {dev} still tentative after {timeout:?}"),
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    }

    /// Waits until `dev` is operationally up (the reference bridge plugin's
    /// retries: 0, 50, 500, 1000, 1000 ms).
    pub fn wait_oper_up(&self, dev: &str) -> io::Result<()> {
        let dev = dev.to_string();
        self.call(move |ctx| {
            let mut last = String::new();
            for ms in [0u64, 50, 500, 1000, 1000] {
                std::thread::sleep(Duration::from_millis(ms));
                let l = get_link(ctx, &dev)?
                    .ok_or_else(|| io::Error::other(format!("{dev} vanished")))?;
                let (up, state) = oper_state(&l);
                if up {
                    return Ok(());
                }
                last = state;
            }
            Err(io::Error::other(format!(
                "bridge port {dev} in error state: {last}"
            )))
        })
    }
}

impl Drop for NetnsWorker {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn get_link(ctx: &mut Ctx, name: &str) -> io::Result<Option<LinkMessage>> {
    let msg = LinkUnspec::new_with_name(name).build();
    match ctx.sock.request(RouteNetlinkMessage::GetLink(msg), 0) {
        Ok(replies) => Ok(replies.into_iter().find_map(|m| match m {
            RouteNetlinkMessage::NewLink(l) => Some(l),
            _ => None,
        })),
        Err(e) if matches!(errno(&e), libc::ENODEV | libc::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

fn index_of(ctx: &mut Ctx, name: &str) -> io::Result<u32> {
    get_link(ctx, name)?
        .map(|l| l.header.index)
        .ok_or_else(|| io::Error::from_raw_os_error(libc::ENODEV))
        .map_err(|e| io::Error::new(e.kind(), format!("link {name}: {e}")))
}

fn route_message(ctx: &mut Ctx, r: &RouteReq, delete: bool) -> io::Result<RouteMessage> {
    let oif = match get_link(ctx, &r.dev)? {
        Some(l) => l.header.index,
        None => return Err(io::Error::from_raw_os_error(libc::ENODEV)),
    };
    let scope = if delete {
        RouteScope::NoWhere
    } else {
        match r.scope {
            253 => RouteScope::Link,
            254 => RouteScope::Host,
            _ => RouteScope::Universe,
        }
    };
    let dst = r.dst.addr();
    // a gateway or source of the other family is not part of the route
    let same_family = |a: &IpAddr| a.is_ipv4() == dst.is_ipv4();
    let invalid = |e| io::Error::new(io::ErrorKind::InvalidInput, e);
    let mut b = RouteMessageBuilder::<IpAddr>::new()
        .destination_prefix(dst, r.dst.prefix_len())
        .map_err(invalid)?
        .output_interface(oif)
        .scope(scope);
    if let Some(g) = r.gw.filter(same_family) {
        b = b.gateway(g).map_err(invalid)?;
    }
    if let Some(s) = r.src.filter(same_family) {
        b = b.pref_source(s).map_err(invalid)?;
    }
    let mut msg = b.build();
    if let Some(m) = r.metric {
        msg.attributes
            .push(netlink_packet_route::route::RouteAttribute::Priority(m));
    }
    if let Some(t) = r.table {
        if t < 256 {
            msg.header.table = t as u8;
        } else {
            msg.header.table = 0;
            msg.attributes
                .push(netlink_packet_route::route::RouteAttribute::Table(t));
        }
    }
    if delete {
        msg.header.protocol = RouteProtocol::Unspec;
        msg.header.kind = RouteType::Unspec;
    } else {
        // what `ip route add` and the reference plugins' netlink library send
        msg.header.protocol = RouteProtocol::Boot;
    }
    Ok(msg)
}

/// A link's kind (IFLA_INFO_KIND), empty when it has none.
fn link_kind(msg: &LinkMessage) -> String {
    msg.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
                LinkInfo::Kind(k) => Some(k.to_string()),
                _ => None,
            }),
            _ => None,
        })
        .unwrap_or_default()
}

/// Whether the link is operationally up (or unknown, as a bridge without
/// ports is), and its state's name.
fn oper_state(msg: &LinkMessage) -> (bool, String) {
    msg.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::OperState(s) => Some((
                matches!(s, State::Up | State::Unknown),
                s.to_string().to_ascii_lowercase(),
            )),
            _ => None,
        })
        .unwrap_or((false, String::new()))
}

/// An IPv6 address still doing duplicate address detection.
fn is_tentative_v6(msg: &AddressMessage) -> bool {
    msg.header.family == AddressFamily::Inet6
        && (msg.header.flags.contains(AddressHeaderFlags::Tentative)
            || msg.attributes.iter().any(
                |a| matches!(a, AddressAttribute::Flags(f) if f.contains(AddressFlags::Tentative)),
            ))
}
