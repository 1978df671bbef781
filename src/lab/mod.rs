//! `podnet lab`: a simulated multi-node Kubernetes pod network built from
//! network namespaces. This module is the pure part (no I/O): the topology
//! plan and its addressing, the state file's types, fault definitions and
//! their expected effect, the desired-state diff that `lab fix` applies,
//! and the analysis of a reachability matrix. Kernel work is in `sys`
//! (`icmp`, `lab_net`, `lab_store`), wiring in `commands::lab*`.

pub mod action;
pub mod desired;
pub mod diff;
pub mod entries;
pub mod fault;
pub mod faults;
pub mod matrix;
pub mod observed;
pub mod plan;
pub mod reconcile;
pub mod service;
pub mod state;
pub mod teardown;

/// Where every lab lives: `<LAB_ROOT>/<name>/` holds its state file,
/// namespace bind mounts, CNI configuration, cache and IPAM store.
pub const LAB_ROOT: &str = "/run/podnet/lab";
