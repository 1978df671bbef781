//! The engine's link mutations: look a link up by name, create a bridge,
//! a veth pair or a VXLAN device, delete a link, and change one (up/down,
//! alias, MAC, master, MTU, promiscuity, bridge-port hairpin). Messages from
//! rtnetlink's builders, sent through the one socket (kernel I/O).

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::RawFd;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{InfoData, InfoVeth, LinkMessage};
use rtnetlink::{LinkBridge, LinkBridgePort, LinkMessageBuilder, LinkUnspec, LinkVeth, LinkVxlan};

use super::socket::{RouteSocket, errno};

/// A veth pair to create: `name` here, `peer` directly in the namespace
/// open at `peer_ns` (one request, so both ends exist or neither).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Veth {
    pub name: String,
    pub peer: String,
    /// Both ends' MTU.
    pub mtu: Option<u32>,
    /// Both ends' transmit queue length.
    pub txqueuelen: Option<u32>,
    pub peer_mac: Option<[u8; 6]>,
    pub peer_ns: RawFd,
}

/// A VXLAN device to create (no learning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vxlan {
    pub name: String,
    pub vni: u32,
    pub local: Ipv4Addr,
    /// The underlay device's index.
    pub dev: u32,
    pub port: u16,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
}

impl RouteSocket {
    /// The link named `name`, if there is one.
    pub fn link_by_name(&mut self, name: &str) -> io::Result<Option<LinkMessage>> {
        let msg = LinkUnspec::new_with_name(name).build();
        match self.request(RouteNetlinkMessage::GetLink(msg), 0) {
            Ok(replies) => Ok(replies.into_iter().find_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(l),
                _ => None,
            })),
            Err(e) if matches!(errno(&e), libc::ENODEV | libc::ENOENT) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The index of the link named `name`; ENODEV ("link NAME: …") when none.
    pub fn index_of(&mut self, name: &str) -> io::Result<u32> {
        self.link_by_name(name)?
            .map(|l| l.header.index)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENODEV))
            .map_err(|e| io::Error::new(e.kind(), format!("link {name}: {e}")))
    }

    /// Creates the link `msg` describes (EEXIST when its name is taken).
    pub fn add_link(&mut self, msg: LinkMessage) -> io::Result<()> {
        self.ack(RouteNetlinkMessage::NewLink(msg), NLM_F_CREATE | NLM_F_EXCL)
    }

    /// Creates a bridge, administratively up when `up`.
    pub fn add_bridge(&mut self, name: &str, mtu: Option<u32>, up: bool) -> io::Result<()> {
        let mut b = if up {
            LinkBridge::new(name)
        } else {
            LinkMessageBuilder::<LinkBridge>::new(name)
        };
        if let Some(m) = mtu {
            b = b.mtu(m);
        }
        self.add_link(b.build())
    }

    /// Creates a veth pair (see [`Veth`]).
    pub fn add_veth(&mut self, v: &Veth) -> io::Result<()> {
        let mut peer = LinkMessageBuilder::<LinkUnspec>::new().name(v.peer.clone());
        if let Some(q) = v.txqueuelen {
            peer = peer.txqueuelen(q);
        }
        peer = peer.setns_by_fd(v.peer_ns);
        if let Some(m) = v.mtu {
            peer = peer.mtu(m);
        }
        if let Some(mac) = v.peer_mac {
            peer = peer.address(mac.to_vec());
        }
        let mut b = LinkVeth::new(&v.name, &v.peer);
        if let Some(q) = v.txqueuelen {
            b = b.txqueuelen(q);
        }
        let mut b = b.set_info_data(InfoData::Veth(InfoVeth::Peer(peer.build())));
        if let Some(m) = v.mtu {
            b = b.mtu(m);
        }
        self.add_link(b.build())
    }

    /// Creates a VXLAN device (see [`Vxlan`]).
    pub fn add_vxlan(&mut self, v: &Vxlan) -> io::Result<()> {
        let mut b = LinkVxlan::new(&v.name, v.vni)
            .local(v.local)
            .dev(v.dev)
            .port(v.port)
            .learning(false);
        if let Some(m) = v.mtu {
            b = b.mtu(m);
        }
        if let Some(mac) = v.mac {
            b = b.address(mac.to_vec());
        }
        self.add_link(b.build())
    }

    /// Deletes the link with index `index`.
    pub fn delete_link(&mut self, index: u32) -> io::Result<()> {
        let mut m = LinkMessage::default();
        m.header.index = index;
        self.ack(RouteNetlinkMessage::DelLink(m), 0)
    }

    /// Changes an existing link as `msg` says (`ip link set`: RTM_NEWLINK
    /// without NLM_F_CREATE).
    pub fn change_link(&mut self, msg: LinkMessage) -> io::Result<()> {
        self.ack(RouteNetlinkMessage::NewLink(msg), 0)
    }

    fn change(
        &mut self,
        index: u32,
        f: impl FnOnce(LinkMessageBuilder<LinkUnspec>) -> LinkMessageBuilder<LinkUnspec>,
    ) -> io::Result<()> {
        self.change_link(f(LinkUnspec::new_with_index(index)).build())
    }

    /// Sets a link administratively up or down.
    pub fn set_up(&mut self, index: u32, up: bool) -> io::Result<()> {
        self.change(index, |b| if up { b.up() } else { b.down() })
    }

    pub fn set_alias(&mut self, index: u32, alias: &str) -> io::Result<()> {
        self.change(index, |b| b.alias(alias))
    }

    pub fn set_mac(&mut self, index: u32, mac: Vec<u8>) -> io::Result<()> {
        self.change(index, |b| b.address(mac))
    }

    /// Enslaves a link to the bridge (or other master) with index `master`.
    pub fn set_master(&mut self, index: u32, master: u32) -> io::Result<()> {
        self.change(index, |b| b.controller(master))
    }

    pub fn set_mtu(&mut self, index: u32, mtu: u32) -> io::Result<()> {
        self.change(index, |b| b.mtu(mtu))
    }

    pub fn set_promisc(&mut self, index: u32, on: bool) -> io::Result<()> {
        self.change(index, |b| b.promiscuous(on))
    }

    /// Sets a bridge port's hairpin mode.
    pub fn set_hairpin(&mut self, index: u32, on: bool) -> io::Result<()> {
        self.change_link(LinkBridgePort::new(index).hairpin(on).build())
    }
}
