//! The kernel's numbers for route tables and scopes (`rtm_table`,
//! `rtm_scope`). No I/O.

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
