//! The CNI kit runtime as the commands (`cni`, `lab`, `doctor`) reach it.
//! Wiring only: the runtime is `cni::runtime`.

pub use crate::cni::runtime::{
    AttachmentInfo, Cached, CheckOutcome, PodSpec, Runtime, RuntimeConfig, SandboxState, parse_pod,
    parse_port_mapping,
};
