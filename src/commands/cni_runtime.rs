//! The CNI kit runtime as the commands (`cni`, `lab`, `doctor`) reach it.
//! Wiring only: the runtime is `cni::runtime`.

pub use crate::cni::runtime::{
    AddRequest, AttachmentInfo, Cached, CheckOutcome, PodSpec, Runtime, RuntimeConfig, SandboxState,
};
