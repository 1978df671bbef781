//! Kernel I/O inside one network namespace, on a private helper thread:
//! link/veth/bridge/address/route/neighbour mutations and dumps through
//! the synchronous engine [`RouteSocket`], sysctl reads and writes, and
//! any other work that must happen "in" the namespace (spawning `nft`).
//! The thread does `setns(CLONE_NEWNET)` before it opens its socket, so
//! the socket is bound to the namespace; the caller's thread never
//! changes namespace.

use std::fs::File;
use std::io;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage,
};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State};
use netlink_packet_route::route::RouteMessage;
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::netlink::{Route, RouteSocket, Veth, errno};

/// What every job of the helper thread works with: the engine's socket,
/// opened inside the namespace.
type Ctx = RouteSocket;

type Job = Box<dyn FnOnce(&mut Ctx) + Send>;

/// A helper thread living in one network namespace.
pub struct NetnsWorker {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
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
                    RouteSocket::new()
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
            let links = ctx.dump_links()?;
            let addrs = ctx.dump_addresses()?;
            let routes = ctx
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
        self.call(move |ctx| ctx.link_by_name(&name))
    }

    /// The nsid this namespace gives the namespace open at `fd` (the file
    /// must stay open until this returns).
    pub fn nsid_of(&self, ns: &File) -> io::Result<Option<i32>> {
        let fd = ns.as_raw_fd();
        self.call(move |ctx| ctx.nsid_of(fd))
    }

    /// Creates a bridge unless a link of that name exists; `Ok(false)` when
    /// a bridge was already there, an error when it is not a bridge.
    pub fn ensure_bridge(&self, name: &str, mtu: Option<u32>, promisc: bool) -> io::Result<bool> {
        let name = name.to_string();
        self.call(move |ctx| {
            let created = match ctx.add_bridge(&name, mtu, true) {
                Ok(()) => true,
                Err(e) if errno(&e) == libc::EEXIST => false,
                Err(e) => return Err(e),
            };
            let link = ctx
                .link_by_name(&name)?
                .ok_or_else(|| io::Error::other(format!("bridge {name} vanished")))?;
            if link_kind(&link) != "bridge" {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{name:?} already exists but is not a bridge"),
                ));
            }
            let is_promisc = link.header.flags.contains(LinkFlags::Promisc);
            if promisc && !is_promisc {
                ctx.set_promisc(link.header.index, true)?;
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
        let veth = Veth {
            name: ifname.to_string(),
            peer: host_ifname.to_string(),
            mtu,
            // txqueuelen 0 on both ends, as the reference plugins' veths
            txqueuelen: Some(0),
            peer_mac: host_mac,
            peer_ns: peer_ns.as_raw_fd(),
        };
        self.call(move |ctx| ctx.add_veth(&veth))
    }

    /// Deletes a link; `Ok(false)` if there was none.
    pub fn delete_link(&self, name: &str) -> io::Result<bool> {
        let name = name.to_string();
        self.call(move |ctx| {
            let Some(l) = ctx.link_by_name(&name)? else {
                return Ok(false);
            };
            match ctx.delete_link(l.header.index) {
                Ok(()) => Ok(true),
                Err(e) if errno(&e) == libc::ENODEV => Ok(false),
                Err(e) => Err(e),
            }
        })
    }

    /// Runs `f` with the index of the link named `name` (ENODEV, "link
    /// NAME: …", when there is none).
    fn on_link(
        &self,
        name: &str,
        f: impl FnOnce(&mut Ctx, u32) -> io::Result<()> + Send + 'static,
    ) -> io::Result<()> {
        let name = name.to_string();
        self.call(move |ctx| {
            let idx = ctx.index_of(&name)?;
            f(ctx, idx)
        })
    }

    pub fn set_up(&self, name: &str) -> io::Result<()> {
        self.on_link(name, |ctx, idx| ctx.set_up(idx, true))
    }

    pub fn set_alias(&self, name: &str, alias: &str) -> io::Result<()> {
        let alias = alias.to_string();
        self.on_link(name, move |ctx, idx| ctx.set_alias(idx, &alias))
    }

    pub fn set_mac(&self, name: &str, mac: Vec<u8>) -> io::Result<()> {
        self.on_link(name, move |ctx, idx| ctx.set_mac(idx, mac))
    }

    pub fn set_master(&self, name: &str, master: &str) -> io::Result<()> {
        let master = master.to_string();
        self.on_link(name, move |ctx, idx| {
            let m = ctx.index_of(&master)?;
            ctx.set_master(idx, m)
        })
    }

    pub fn set_hairpin(&self, name: &str, on: bool) -> io::Result<()> {
        self.on_link(name, move |ctx, idx| ctx.set_hairpin(idx, on))
    }

    /// Adds an address; `Ok(false)` if it was there.
    pub fn add_address(&self, dev: &str, addr: IpNet) -> io::Result<bool> {
        let dev = dev.to_string();
        self.call(move |ctx| {
            let idx = ctx.index_of(&dev)?;
            ctx.add_address(idx, addr)
        })
    }

    /// Deletes an address; `Ok(false)` if it (or the link) was not there.
    pub fn del_address(&self, dev: &str, addr: IpNet) -> io::Result<bool> {
        let dev = dev.to_string();
        self.call(move |ctx| match ctx.link_by_name(&dev)? {
            Some(l) => ctx.del_address(l.header.index, addr),
            None => Ok(false),
        })
    }

    /// Adds `route` out of the link named `dev`; `Ok(false)` if the same
    /// route was there (ENODEV when there is no such link).
    pub fn add_route(&self, dev: &str, mut route: Route) -> io::Result<bool> {
        let dev = dev.to_string();
        self.call(move |ctx| {
            let Some(l) = ctx.link_by_name(&dev)? else {
                return Err(io::Error::from_raw_os_error(libc::ENODEV));
            };
            route.oif = Some(l.header.index);
            ctx.add_route(&route)
        })
    }

    /// Deletes `route` out of the link named `dev` (any protocol, scope or
    /// metric); `Ok(false)` if none matched or there is no such link.
    pub fn del_route(&self, dev: &str, mut route: Route) -> io::Result<bool> {
        let dev = dev.to_string();
        self.call(move |ctx| {
            let Some(l) = ctx.link_by_name(&dev)? else {
                return Ok(false);
            };
            route.oif = Some(l.header.index);
            ctx.del_route(&route)
        })
    }

    /// Adds (or replaces) a permanent neighbour entry `ip` → `mac` on `dev`.
    pub fn add_neighbour(&self, dev: &str, ip: IpAddr, mac: [u8; 6]) -> io::Result<()> {
        self.on_link(dev, move |ctx, idx| ctx.replace_neighbour(idx, ip, mac))
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
                let idx = ctx.index_of(&dev)?;
                let addrs = ctx.dump_addresses()?;
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
                let l = ctx
                    .link_by_name(&dev)?
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
