//! Turns pods listed by the Kubernetes API into identity claims (keyed by
//! UID, then by pod IP for pods with their own network). No I/O.

use k8s_openapi::api::core::v1::Pod as KPod;

use crate::model::{Claim, ClaimKey, SourceKind};

/// One claim per pod; `api` names the server for provenance.
pub fn claims(pods: &[KPod], api: &str) -> Vec<Claim> {
    pods.iter().filter_map(|p| claim(p, api)).collect()
}

fn claim(pod: &KPod, api: &str) -> Option<Claim> {
    let meta = &pod.metadata;
    let name = meta.name.clone()?;
    let namespace = meta.namespace.clone();
    let mut c = Claim::new(
        SourceKind::Kube,
        format!(
            "{api}/api/v1/namespaces/{}/pods/{name}",
            namespace.as_deref().unwrap_or("default")
        ),
    );
    if let Some(uid) = &meta.uid {
        c.keys.push(ClaimKey::PodUid(uid.clone()));
    }
    let host_network = pod
        .spec
        .as_ref()
        .and_then(|s| s.host_network)
        .unwrap_or(false);
    let status = pod.status.as_ref();
    let finished = matches!(
        status.and_then(|s| s.phase.as_deref()),
        Some("Succeeded") | Some("Failed")
    );
    if !host_network && !finished {
        let ips = status
            .and_then(|s| s.pod_ips.as_ref())
            .map(|v| v.iter().map(|i| i.ip.clone()).collect::<Vec<_>>())
            .or_else(|| status.and_then(|s| s.pod_ip.clone()).map(|ip| vec![ip]))
            .unwrap_or_default();
        c.keys.extend(
            ips.iter()
                .filter_map(|ip| ip.parse().ok())
                .map(ClaimKey::Ip),
        );
    }
    c.namespace = namespace;
    c.name = Some(name);
    c.uid = meta.uid.clone();
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> KPod {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn keys_by_uid_then_ip() {
        let p = pod(serde_json::json!({
            "metadata": {"name": "web-0", "namespace": "default", "uid": "6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b"},
            "spec": {"containers": [], "nodeName": "n1"},
            "status": {"phase": "Running", "podIP": "10.244.1.7", "podIPs": [{"ip": "10.244.1.7"}, {"ip": "fd00::7"}]}
        }));
        let c = &claims(&[p], "https://api")[0];
        assert_eq!(c.keys.len(), 3);
        assert_eq!(
            c.keys[0],
            ClaimKey::PodUid("6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b".into())
        );
        assert_eq!(c.name.as_deref(), Some("web-0"));
    }

    #[test]
    fn host_network_and_finished_pods_are_not_matched_by_ip() {
        let host = pod(serde_json::json!({
            "metadata": {"name": "kube-proxy-x", "namespace": "kube-system", "uid": "11111111-2222-3333-4444-555555555555"},
            "spec": {"containers": [], "hostNetwork": true},
            "status": {"phase": "Running", "podIP": "192.168.1.10"}
        }));
        let done = pod(serde_json::json!({
            "metadata": {"name": "job-1", "namespace": "default", "uid": "21111111-2222-3333-4444-555555555555"},
            "spec": {"containers": []},
            "status": {"phase": "Succeeded", "podIP": "10.244.1.9"}
        }));
        for c in claims(&[host, done], "api") {
            assert_eq!(c.keys.len(), 1, "{c:?}");
        }
    }
}
