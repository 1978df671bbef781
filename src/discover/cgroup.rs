//! Parses `/proc/<pid>/cgroup` (v1 and v2, systemd and cgroupfs drivers)
//! into the pod UID, container id and runtime it encodes. No I/O.

use crate::model::Runtime;

/// What a process's cgroup path says about its pod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupPod {
    /// Pod UID with dashes (systemd's underscores undone).
    pub pod_uid: Option<String>,
    /// The container id of this process's container (the sandbox id for a pause process).
    pub container_id: Option<String>,
    pub runtime: Option<Runtime>,
    /// The cgroup path the facts came from.
    pub path: String,
}

/// Parses the whole cgroup file; the first line that names a pod or a
/// container wins. `None` when no line does.
pub fn parse(text: &str) -> Option<CgroupPod> {
    let mut best: Option<CgroupPod> = None;
    for line in text.lines() {
        // hierarchy-id:controllers:path
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(_), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let found = parse_path(path);
        let better = match (&best, &found) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(b), Some(f)) => b.pod_uid.is_none() && f.pod_uid.is_some(),
        };
        if better {
            best = found;
        }
    }
    best
}

/// Parses one cgroup path.
pub fn parse_path(path: &str) -> Option<CgroupPod> {
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let mut out = CgroupPod {
        path: path.to_string(),
        ..Default::default()
    };
    for (i, c) in comps.iter().enumerate() {
        // systemd driver: kubepods-burstable-pod<uid_>.slice, kubepods-pod<uid_>.slice
        if let Some(slice) = c.strip_suffix(".slice") {
            if slice.starts_with("kubepods")
                && let Some(pos) = slice.rfind("-pod")
            {
                let uid = slice[pos + 4..].replace('_', "-");
                if is_uid(&uid) {
                    out.pod_uid = Some(uid);
                }
            }
            continue;
        }
        // cgroupfs driver: /kubepods[/qos]/pod<uid>/<id>
        if let Some(uid) = c.strip_prefix("pod")
            && is_uid(uid)
            && comps[..i].contains(&"kubepods")
        {
            out.pod_uid = Some(uid.to_string());
            if let Some(id) = comps.get(i + 1).filter(|id| is_container_id(id)) {
                out.container_id = Some(id.to_string());
            }
            continue;
        }
        if let Some(scope) = c.strip_suffix(".scope") {
            let (runtime, id) = if let Some(id) = scope.strip_prefix("cri-containerd-") {
                (Some(Runtime::Containerd), id)
            } else if let Some(id) = scope.strip_prefix("crio-") {
                (Some(Runtime::CriO), id)
            } else if let Some(id) = scope.strip_prefix("docker-") {
                (Some(Runtime::Docker), id)
            } else if let Some(id) = scope.strip_prefix("libpod-") {
                (Some(Runtime::Podman), id)
            } else {
                (None, "")
            };
            if is_container_id(id) {
                out.container_id = Some(id.to_string());
                out.runtime = runtime;
            }
            continue;
        }
        // bare containerd (/k8s.io/<id>) and podman (/libpod_parent/<pod>/libpod-<id>)
        if *c == "k8s.io"
            && let Some(id) = comps.get(i + 1).filter(|id| is_container_id(id))
        {
            out.container_id = Some(id.to_string());
            out.runtime = Some(Runtime::Containerd);
        }
        if let Some(id) = c.strip_prefix("libpod-")
            && is_container_id(id)
        {
            out.container_id = Some(id.to_string());
            out.runtime = Some(Runtime::Podman);
        }
    }
    (out.pod_uid.is_some() || out.container_id.is_some()).then_some(out)
}

/// A Kubernetes UID: 8-4-4-4-12 hex digits.
pub fn is_uid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A container id: 64 hex digits (runtimes also accept shorter test ids of ≥ 12).
pub fn is_container_id(s: &str) -> bool {
    s.len() >= 12 && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b";
    const ID: &str = "3f2a9c1e8b7d6f5a4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d";

    #[test]
    fn systemd_driver_v2() {
        let text = format!(
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice/cri-containerd-{ID}.scope\n",
            UID.replace('-', "_")
        );
        let c = parse(&text).unwrap();
        assert_eq!(c.pod_uid.as_deref(), Some(UID));
        assert_eq!(c.container_id.as_deref(), Some(ID));
        assert_eq!(c.runtime, Some(Runtime::Containerd));
    }

    #[test]
    fn systemd_driver_guaranteed_qos_and_crio() {
        let p = format!(
            "/kubepods.slice/kubepods-pod{}.slice/crio-{ID}.scope",
            UID.replace('-', "_")
        );
        let c = parse_path(&p).unwrap();
        assert_eq!(c.pod_uid.as_deref(), Some(UID));
        assert_eq!(c.runtime, Some(Runtime::CriO));
    }

    #[test]
    fn cgroupfs_driver_v1_hybrid() {
        let text = format!(
            "12:pids:/kubepods/besteffort/pod{UID}/{ID}\n11:memory:/kubepods/besteffort/pod{UID}/{ID}\n0::/\n"
        );
        let c = parse(&text).unwrap();
        assert_eq!(c.pod_uid.as_deref(), Some(UID));
        assert_eq!(c.container_id.as_deref(), Some(ID));
        assert_eq!(c.runtime, None);
    }

    #[test]
    fn nested_under_a_prefix_like_kind_or_a_test() {
        let p = format!("/docker/abc/kubepods/pod{UID}/{ID}");
        assert_eq!(parse_path(&p).unwrap().pod_uid.as_deref(), Some(UID));
    }

    #[test]
    fn bare_containerd_and_podman() {
        let c = parse_path(&format!("/k8s.io/{ID}")).unwrap();
        assert_eq!(
            (c.container_id.as_deref(), c.runtime),
            (Some(ID), Some(Runtime::Containerd))
        );
        let c = parse_path(&format!("/libpod_parent/0123456789ab/libpod-{ID}")).unwrap();
        assert_eq!(
            (c.container_id.as_deref(), c.runtime),
            (Some(ID), Some(Runtime::Podman))
        );
        assert_eq!(c.pod_uid, None);
    }

    #[test]
    fn docker_scope_and_non_pods() {
        let c = parse_path(&format!("/system.slice/docker-{ID}.scope")).unwrap();
        assert_eq!(c.runtime, Some(Runtime::Docker));
        assert!(parse("0::/user.slice/user-0.slice/session-1.scope\n").is_none());
        assert!(parse("0::/\n").is_none());
        assert!(parse("garbage").is_none());
        assert!(parse_path("/kubepods/burstable/podnot-a-uid/x").is_none());
    }
}
