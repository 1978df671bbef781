//! The one synchronous rtnetlink engine (kernel I/O): [`RouteSocket`], a
//! NETLINK_ROUTE socket bound to the netns it was created in, with dumps of
//! links, addresses, routes, rules and neighbours, nsid queries, and typed
//! mutations of links (bridge, veth, VXLAN), addresses, routes, rules,
//! neighbours and FDB entries. Messages are built with rtnetlink's plain
//! builders or netlink-packet-route types and all go through the one
//! socket; replies come back unparsed as netlink-packet-route types.

mod abi;
mod address;
mod dump;
mod link;
mod neigh;
mod route;
mod socket;

pub use abi::{
    RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, RT_TABLE_DEFAULT, RT_TABLE_LOCAL,
    RT_TABLE_MAIN, RT_TABLE_UNSPEC,
};
pub use link::{Veth, Vxlan};
pub use neigh::Fdb;
pub use route::Route;
pub(super) use socket::errno;
pub use socket::{ParseReply, RouteSocket};
