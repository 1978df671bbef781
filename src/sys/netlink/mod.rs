//! The one synchronous rtnetlink engine (kernel I/O): [`RouteSocket`], a
//! NETLINK_ROUTE socket bound to the netns it was created in, with dumps of
//! links, addresses, routes, rules and neighbours, nsid queries, and typed
//! mutations of links (bridge, veth, VXLAN), addresses, routes, rules,
//! neighbours and FDB entries. Messages are built with rtnetlink's plain
//! builders or netlink-packet-route types and all go through the one
//! socket; replies come back unparsed as netlink-packet-route types.

mod address;
mod dump;
mod link;
mod neigh;
mod route;
mod socket;

pub use link::{Veth, Vxlan};
pub use neigh::Fdb;
pub use route::Route;
pub use socket::{ParseReply, RouteSocket};

/// The unspecified routing table: in a dump request, every table.
pub const RT_TABLE_UNSPEC: u8 = 0;
/// The `default` routing table (`ip rule`'s priority 32767 lookup).
pub const RT_TABLE_DEFAULT: u8 = 253;
/// The main routing table.
pub const RT_TABLE_MAIN: u8 = 254;
/// The local routing table (local and broadcast addresses).
pub const RT_TABLE_LOCAL: u8 = 255;

/// `rtm_scope` of a route to anywhere (`scope global`).
pub const RT_SCOPE_UNIVERSE: u8 = 0;
/// `rtm_scope` of a route on the attached link (`scope link`).
pub const RT_SCOPE_LINK: u8 = 253;
/// `rtm_scope` of a route to this host (`scope host`).
pub const RT_SCOPE_HOST: u8 = 254;

/// The errno of a kernel error, 0 when it carries none.
pub(super) fn errno(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

/// `Ok(false)` when the kernel answered one of `absent` (the object was
/// not there, or already there for an add), `Ok(true)` when it acted.
fn unless(r: std::io::Result<()>, absent: &[i32]) -> std::io::Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if absent.contains(&errno(&e)) => Ok(false),
        Err(e) => Err(e),
    }
}
