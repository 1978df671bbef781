//! `podnet lab`: a simulated multi-node Kubernetes pod network built from
//! network namespaces. Its pure core (no I/O): the topology plan and its
//! addressing (`plan`), the state file's types (`state`), the kernel
//! entries, actions, desired and observed state and the diff between them
//! (`entries`, `action`, `desired`, `observed`, `diff`), the reconcile loop
//! over a namespace-network trait (`reconcile`), the faults, their random
//! pick and expected effect (`fault`, `faults`), the analysis of a
//! reachability matrix (`matrix`). Beside it, its kernel adapter over the
//! `sys` primitives: `net` / `net_apply` / `firewall` (observe and change
//! one namespace), `namespaces` (the kernel's network for `reconcile`,
//! work in many namespaces, pod health), `store` (the lab's files and
//! pause processes), `service` (the state file under the lab's lock), and
//! the lab commands' work: `build` (up), `status`, `breakfix`, `teardown`
//! (down). Wiring is in `commands::lab*`, tables and text in
//! `render::lab`, JSON documents in `model::lab`.

pub mod action;
pub mod breakfix;
pub mod build;
pub mod desired;
pub mod diff;
pub mod entries;
pub mod fault;
pub mod faults;
pub mod firewall;
pub mod matrix;
pub mod namespaces;
pub mod net;
pub mod net_apply;
pub mod observed;
pub mod plan;
pub mod reconcile;
pub mod service;
pub mod state;
pub mod status;
pub mod store;
pub mod teardown;

/// Where every lab lives: `<LAB_ROOT>/<name>/` holds its state file,
/// namespace bind mounts, CNI configuration, cache and IPAM store.
pub const LAB_ROOT: &str = "/run/podnet/lab";
