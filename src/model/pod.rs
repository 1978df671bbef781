//! A pod's identity and the sources that named it. No I/O.

use serde::Serialize;

/// The container runtime that made a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runtime {
    Containerd,
    CriO,
    Podman,
    Docker,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Containerd => "containerd",
            Runtime::CriO => "cri-o",
            Runtime::Podman => "podman",
            Runtime::Docker => "docker",
        }
    }
}

/// Where a fact about a pod came from, most trusted first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A runtime's OCI bundle config.json (containerd, CRI-O) or podman infra config.
    OciConfig,
    /// libcni's result cache under /var/lib/cni/results.
    CniCache,
    /// The Kubernetes API (pods with spec.nodeName = this node).
    Kube,
    /// The pause process's cgroup path (pod UID, sandbox id).
    Cgroup,
    /// kubelet's /var/log/pods/<namespace>_<name>_<uid> directory.
    PodLogs,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::OciConfig => "oci-config",
            SourceKind::CniCache => "cni-cache",
            SourceKind::Kube => "kube",
            SourceKind::Cgroup => "cgroup",
            SourceKind::PodLogs => "pod-logs",
        }
    }
}

/// One source that named (part of) a pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodSource {
    pub kind: SourceKind,
    /// The file, process or API object it was read from.
    pub from: String,
    /// The pod fields this source supplied (`namespace`, `name`, `uid`, `sandbox_id`, `runtime`).
    pub fields: Vec<&'static str>,
}

/// Two sources that disagree about one field of a pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub field: &'static str,
    /// Each distinct value with the source that gave it, the one shown first.
    pub values: Vec<ConflictValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConflictValue {
    pub value: String,
    pub kind: SourceKind,
    pub from: String,
}

/// The pod that owns a network namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pod {
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub uid: Option<String>,
    pub sandbox_id: Option<String>,
    pub runtime: Option<Runtime>,
    pub sources: Vec<PodSource>,
    /// Fields on which sources disagree; empty when all agree.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
}

impl Pod {
    /// `namespace/name`, or whatever part of it is known.
    pub fn display_name(&self) -> String {
        match (&self.namespace, &self.name) {
            (Some(ns), Some(name)) => format!("{ns}/{name}"),
            (None, Some(name)) => name.clone(),
            (Some(ns), None) => format!("{ns}/?"),
            (None, None) => match (&self.uid, &self.sandbox_id) {
                (Some(uid), _) => format!("uid:{uid}"),
                (None, Some(id)) => format!("sandbox:{}", short_id(id)),
                (None, None) => "?".into(),
            },
        }
    }
}

/// The first 12 characters of a container or sandbox id, as runtimes print it.
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
