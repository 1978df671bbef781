//! An identity claim: one source's statement about which pod owns a
//! network namespace, with the keys that tie it to the namespace. No I/O.

use std::net::IpAddr;

use super::pod::{Runtime, SourceKind};

/// A key that ties a claim to a namespace, tried in the claim's order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClaimKey {
    /// A netns path as the host sees it (`/run/netns/cni-…`, `/proc/<pid>/ns/net`).
    NetnsPath(String),
    /// A process in the namespace.
    Pid(i32),
    /// The sandbox (pause container) id.
    SandboxId(String),
    /// The pod UID.
    PodUid(String),
    /// An address on one of the namespace's interfaces.
    Ip(IpAddr),
}

/// What one source says about one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub kind: SourceKind,
    /// The file, process or object it was read from.
    pub from: String,
    /// Join keys, most specific first.
    pub keys: Vec<ClaimKey>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
    pub sandbox_id: Option<String>,
    pub runtime: Option<Runtime>,
    /// This source marks the process it names as the sandbox's infra process.
    pub infra_pid: Option<i32>,
}

impl Claim {
    pub fn new(kind: SourceKind, from: impl Into<String>) -> Self {
        Claim {
            kind,
            from: from.into(),
            keys: Vec::new(),
            namespace: None,
            name: None,
            uid: None,
            sandbox_id: None,
            runtime: None,
            infra_pid: None,
        }
    }

    /// The pod fields this claim supplies, by name.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.namespace.is_some() {
            f.push("namespace");
        }
        if self.name.is_some() {
            f.push("name");
        }
        if self.uid.is_some() {
            f.push("uid");
        }
        if self.sandbox_id.is_some() {
            f.push("sandbox_id");
        }
        if self.runtime.is_some() {
            f.push("runtime");
        }
        f
    }
}
