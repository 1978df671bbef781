//! The CNI plugin and the plumbing kit's pure parts: spec types and
//! versions, configuration parsing and validation (plugin and conflist),
//! CNI error results, host-local-compatible IPAM allocation and its
//! reservation transaction (over an `IpamStore`), the plumbing plan (steps
//! with undo), CHECK, libcni's cache entries (on the parser in
//! `discover::cni_cache`), the kit's command arguments (`kit_args`), and
//! GC's judgement of what leaked — pure, no I/O — and, beside them, the
//! wing's kernel adapter: `plugin/` (plugin mode: protocol, dispatch, the
//! plan's executor, the IPAM transaction), which does its I/O through `sys`
//! primitives, as do `runtime/` (the kit runtime: sandboxes, chains, gc),
//! `store` (the host-local IPAM store), `cache_store` (libcni's result
//! cache) and `masq` (ipMasq rules). `commands::cni_plugin` and
//! `commands::cni` wire them.

pub mod attach;
pub mod cache;
pub mod cache_store;
pub mod check;
pub mod config;
pub mod conflist;
pub mod env;
pub mod error;
pub mod gc;
pub mod ipam;
pub mod kit_args;
pub mod masq;
pub mod names;
pub mod observe;
pub mod plan;
pub mod plugin;
pub mod reserve;
pub mod runtime;
pub mod store;
pub mod types;
pub mod version;

pub use error::CniError;
