//! Parses OCI bundle `config.json` files of containerd, CRI-O and podman
//! sandboxes into identity claims (annotations, hostname, netns path). No I/O.

use std::collections::HashMap;

use serde::Deserialize;

use crate::model::{Claim, ClaimKey, Runtime, SourceKind};

/// A sandbox (pause / infra container) described by an OCI bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciSandbox {
    pub id: String,
    pub runtime: Runtime,
    pub pod_namespace: Option<String>,
    pub pod_name: Option<String>,
    pub pod_uid: Option<String>,
    /// The network namespace path from `linux.namespaces`.
    pub netns_path: Option<String>,
    /// The infra process from the runtime's pid file.
    pub pid: Option<i32>,
}

#[derive(Deserialize, Default)]
struct Raw {
    #[serde(default)]
    annotations: HashMap<String, String>,
    hostname: Option<String>,
    process: Option<RawProcess>,
    linux: Option<RawLinux>,
}

#[derive(Deserialize, Default)]
struct RawProcess {
    #[serde(default)]
    args: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RawLinux {
    #[serde(default)]
    namespaces: Vec<RawNamespace>,
}

#[derive(Deserialize)]
struct RawNamespace {
    #[serde(rename = "type")]
    kind: String,
    path: Option<String>,
}

/// Parses a bundle (`containers_storage`: from CRI-O / podman's container
/// storage, not containerd's task state); `Ok(None)` when it is an
/// application container or not a pod sandbox at all.
pub fn parse(
    id: &str,
    containers_storage: bool,
    bytes: &[u8],
    pid_file: Option<&str>,
) -> Result<Option<OciSandbox>, String> {
    let raw: Raw =
        serde_json::from_slice(bytes).map_err(|e| format!("not an OCI config.json: {e}"))?;
    let ann = |k: &str| raw.annotations.get(k).filter(|v| !v.is_empty()).cloned();
    let netns_path = raw
        .linux
        .as_ref()
        .and_then(|l| l.namespaces.iter().find(|n| n.kind == "network"))
        .and_then(|n| n.path.clone())
        .filter(|p| !p.is_empty());
    let pid = pid_file
        .and_then(|s| s.trim().parse::<i32>().ok())
        .filter(|p| *p > 0);
    let mut sandbox = OciSandbox {
        id: id.to_string(),
        runtime: Runtime::Containerd,
        pod_namespace: None,
        pod_name: None,
        pod_uid: None,
        netns_path,
        pid,
    };
    if let Some(kind) = ann("io.kubernetes.cri.container-type") {
        if kind != "sandbox" {
            return Ok(None);
        }
        sandbox.runtime = Runtime::Containerd;
        sandbox.pod_namespace = ann("io.kubernetes.cri.sandbox-namespace");
        sandbox.pod_name = ann("io.kubernetes.cri.sandbox-name");
        sandbox.pod_uid = ann("io.kubernetes.cri.sandbox-uid");
        if let Some(sid) = ann("io.kubernetes.cri.sandbox-id") {
            sandbox.id = sid;
        }
        return Ok(Some(sandbox));
    }
    if let Some(kind) = ann("io.kubernetes.cri-o.ContainerType") {
        if kind != "sandbox" {
            return Ok(None);
        }
        sandbox.runtime = Runtime::CriO;
        sandbox.pod_namespace = ann("io.kubernetes.pod.namespace");
        sandbox.pod_name = ann("io.kubernetes.pod.name");
        sandbox.pod_uid = ann("io.kubernetes.pod.uid");
        if let Some(sid) = ann("io.kubernetes.cri-o.SandboxID") {
            sandbox.id = sid;
        }
        return Ok(Some(sandbox));
    }
    // podman: the infra container runs catatonit -P (or pause); its hostname is the pod name.
    let infra_cmd = raw
        .process
        .as_ref()
        .and_then(|p| p.args.first())
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string());
    let is_infra = matches!(infra_cmd.as_deref(), Some("catatonit") | Some("pause"));
    if containers_storage && is_infra && ann("io.kubernetes.cri-o.SandboxID").is_none() {
        sandbox.runtime = Runtime::Podman;
        sandbox.pod_name = raw.hostname.filter(|h| !h.is_empty());
        return Ok(Some(sandbox));
    }
    Ok(None)
}

impl OciSandbox {
    /// The identity claim; `from` is the config.json path.
    pub fn to_claim(&self, from: &str) -> Claim {
        let mut c = Claim::new(SourceKind::OciConfig, from);
        c.keys.extend(
            self.netns_path
                .iter()
                .map(|p| ClaimKey::NetnsPath(p.clone())),
        );
        c.keys.extend(self.pid.map(ClaimKey::Pid));
        c.keys.push(ClaimKey::SandboxId(self.id.clone()));
        c.namespace = self.pod_namespace.clone();
        c.name = self.pod_name.clone();
        c.uid = self.pod_uid.clone();
        c.sandbox_id = Some(self.id.clone());
        c.runtime = Some(self.runtime);
        c.infra_pid = self.pid;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTAINERD_SANDBOX: &str = r#"{"ociVersion":"1.1.0","process":{"args":["/pause"]},"hostname":"web-0","annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"3f2a9c1e8b7d","io.kubernetes.cri.sandbox-name":"web-0","io.kubernetes.cri.sandbox-namespace":"default","io.kubernetes.cri.sandbox-uid":"6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b","io.kubernetes.cri.sandbox-log-directory":"/var/log/pods/default_web-0_6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b"},"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":"/var/run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b"}]}}"#;

    #[test]
    fn containerd_sandbox() {
        let s = parse(
            "3f2a9c1e8b7d",
            false,
            CONTAINERD_SANDBOX.as_bytes(),
            Some("4242\n"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.runtime, Runtime::Containerd);
        assert_eq!(s.pod_name.as_deref(), Some("web-0"));
        assert_eq!(s.pod_namespace.as_deref(), Some("default"));
        assert_eq!(
            s.pod_uid.as_deref(),
            Some("6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b")
        );
        assert_eq!(
            s.netns_path.as_deref(),
            Some("/var/run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b")
        );
        assert_eq!(s.pid, Some(4242));
        let c = s.to_claim("/run/containerd/x/config.json");
        assert_eq!(c.infra_pid, Some(4242));
        assert_eq!(
            c.fields(),
            vec!["namespace", "name", "uid", "sandbox_id", "runtime"]
        );
    }

    #[test]
    fn containerd_app_container_is_not_a_sandbox() {
        let text = CONTAINERD_SANDBOX.replace(
            "io.kubernetes.cri.container-type\":\"sandbox",
            "io.kubernetes.cri.container-type\":\"container",
        );
        assert_eq!(parse("x", false, text.as_bytes(), None).unwrap(), None);
    }

    #[test]
    fn crio_sandbox() {
        let text = r#"{"annotations":{"io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.cri-o.SandboxID":"abcdefabcdef1234","io.kubernetes.pod.name":"db-1","io.kubernetes.pod.namespace":"prod","io.kubernetes.pod.uid":"11111111-2222-3333-4444-555555555555"},"linux":{"namespaces":[{"type":"network","path":"/var/run/netns/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"}]}}"#;
        let s = parse("abcdefabcdef1234", true, text.as_bytes(), Some("77"))
            .unwrap()
            .unwrap();
        assert_eq!(s.runtime, Runtime::CriO);
        assert_eq!(s.pod_name.as_deref(), Some("db-1"));
        assert_eq!(s.pod_namespace.as_deref(), Some("prod"));
        assert_eq!(s.pid, Some(77));
    }

    #[test]
    fn podman_infra_uses_the_hostname() {
        let text = r#"{"process":{"args":["/catatonit","-P"]},"hostname":"mypod","annotations":{"io.podman.annotations.autoremove":"FALSE"},"linux":{"namespaces":[{"type":"network","path":"/run/netns/netns-1c2d3e4f-5a6b-7c8d-9e0f-1a2b3c4d5e6f"}]}}"#;
        let s = parse("fedcba987654", true, text.as_bytes(), None)
            .unwrap()
            .unwrap();
        assert_eq!(s.runtime, Runtime::Podman);
        assert_eq!(s.pod_name.as_deref(), Some("mypod"));
        assert_eq!(s.pod_namespace, None);
        // a podman app container points at its infra container
        let app = r#"{"process":{"args":["nginx"]},"annotations":{"io.kubernetes.cri-o.SandboxID":"fedcba987654"}}"#;
        assert_eq!(parse("a", true, app.as_bytes(), None).unwrap(), None);
    }

    #[test]
    fn malformed_and_foreign_bundles() {
        assert!(parse("x", false, b"{not json", None).is_err());
        assert!(parse("x", false, br#"{"annotations":[1]}"#, None).is_err());
        assert_eq!(parse("x", false, b"{}", None).unwrap(), None);
        let s = parse("x", false, CONTAINERD_SANDBOX.as_bytes(), Some("garbage"))
            .unwrap()
            .unwrap();
        assert_eq!(s.pid, None);
    }
}
