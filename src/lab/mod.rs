//! `podnet lab`: a simulated multi-node Kubernetes pod network built from
//! network namespaces. This module is the pure part (no I/O): the topology
//! plan and its addressing, the state file's types, fault definitions and
//! their expected effect, the desired-state diff that `lab fix` applies,
//! and the analysis of a reachability matrix. Kernel work is in `sys`
//! (`icmp`, `lab_net`, `lab_store`), wiring in `commands::lab*`.

pub mod desired;
pub mod faults;
pub mod matrix;
pub mod plan;
pub mod state;

/// Where every lab lives: `<LAB_ROOT>/<name>/` holds its state file,
/// namespace bind mounts, CNI configuration, cache and IPAM store.
pub const LAB_ROOT: &str = "/run/podnet/lab";
