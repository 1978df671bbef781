//! Pure parsing of what `sys` read: /proc stat lines and namespace links,
//! mountinfo, cgroup paths, runtime JSON, netlink messages. No I/O; every
//! parser here is unit-tested on fixtures.

pub mod btf;
pub mod cgroup;
pub mod cni_cache;
pub mod dns;
pub mod drop_event;
pub mod ethtool;
pub mod flannel_env;
pub mod kallsyms;
pub mod kconfig;
pub mod kernel_offsets;
pub mod kube_nodes;
pub mod kube_pods;
pub mod links;
pub mod mountinfo;
pub mod neigh;
pub mod netfilter;
pub mod oci;
pub mod pod_logs;
pub mod proc_stat;
pub mod routes;
pub mod rules;
pub mod snmp;
pub mod tracepoint;
