//! libcni's result cache entry (`<cacheDir>/results/<network>-<containerID>-<ifname>`,
//! kind `cniCacheV1`), written by `podnet cni add` and read back by
//! `cni del`/`check`/`ls`/`gc`. No I/O.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::DocError;

/// libcni's default cache directory.
pub const DEFAULT_CACHE_DIR: &str = "/var/lib/cni";

/// One cached attachment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheEntry {
    pub kind: String,
    pub container_id: String,
    /// The network configuration list's bytes, base64 in the file.
    #[serde(with = "b64")]
    pub config: Vec<u8>,
    pub if_name: String,
    pub network_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns: Option<String>,
    #[serde(default)]
    pub cni_args: Vec<[String; 2]>,
    #[serde(default)]
    pub capability_args: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
}

mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

impl CacheEntry {
    /// The file name libcni uses.
    pub fn file_name(network: &str, container_id: &str, ifname: &str) -> String {
        format!("{network}-{container_id}-{ifname}")
    }

    /// The value of a CNI_ARGS key recorded in the entry.
    pub fn arg(&self, key: &str) -> Option<&str> {
        self.cni_args
            .iter()
            .find(|[k, _]| k == key)
            .map(|[_, v]| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// `namespace/name` of the pod, when the K8S_POD_* args are there.
    pub fn pod(&self) -> Option<String> {
        Some(format!(
            "{}/{}",
            self.arg("K8S_POD_NAMESPACE")?,
            self.arg("K8S_POD_NAME")?
        ))
    }

    /// The netns path: the `netns` key, else the result's sandbox.
    pub fn netns_path(&self) -> Option<String> {
        self.netns.clone().filter(|n| !n.is_empty()).or_else(|| {
            self.result
                .as_ref()?
                .get("interfaces")?
                .as_array()?
                .iter()
                .find_map(|i| {
                    i.get("sandbox")?
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                })
        })
    }

    /// CNI_ARGS as the runtime passed them.
    pub fn cni_args_string(&self) -> String {
        self.cni_args
            .iter()
            .map(|[k, v]| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";")
    }

    pub fn parse(bytes: &[u8]) -> Result<CacheEntry, DocError> {
        let e: CacheEntry = serde_json::from_slice(bytes)
            .map_err(|e| DocError(format!("not a CNI cache entry: {e}")))?;
        if e.kind != "cniCacheV1" {
            return Err(DocError(format!("unknown cache kind {:?}", e.kind)));
        }
        Ok(e)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The config bytes as text (for messages).
    pub fn config_text(&self) -> String {
        String::from_utf8_lossy(&self.config).into_owned()
    }
}

/// Base64 of `bytes` (as libcni stores `config`).
pub fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_is_readable_by_ns_list() {
        let e = CacheEntry {
            kind: "cniCacheV1".into(),
            container_id: "abc".into(),
            config: br#"{"cniVersion":"1.0.0"}"#.to_vec(),
            if_name: "eth0".into(),
            network_name: "pods".into(),
            netns: Some("/run/netns/cni-1".into()),
            cni_args: vec![
                ["K8S_POD_NAMESPACE".into(), "default".into()],
                ["K8S_POD_NAME".into(), "web".into()],
            ],
            capability_args: Map::new(),
            result: Some(json!({"cniVersion": "1.0.0", "ips": [{"address": "10.1.0.2/16"}]})),
        };
        let bytes = e.to_bytes();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["config"], encode(br#"{"cniVersion":"1.0.0"}"#));
        assert_eq!(CacheEntry::parse(&bytes).unwrap(), e);
        assert_eq!(e.pod().as_deref(), Some("default/web"));
        assert_eq!(
            e.cni_args_string(),
            "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web"
        );
        // the node inventory's parser understands it
        let parsed = crate::discover::cni_cache::parse(&bytes).unwrap();
        assert_eq!(parsed.pod_name.as_deref(), Some("web"));
        assert_eq!(
            CacheEntry::file_name("pods", "abc", "eth0"),
            "pods-abc-eth0"
        );
    }

    #[test]
    fn older_entries_name_the_netns_in_the_result() {
        let text = r#"{"kind":"cniCacheV1","containerId":"x","config":"e30=","ifName":"eth0","networkName":"n","result":{"interfaces":[{"name":"eth0","sandbox":"/run/netns/old"}]}}"#;
        let e = CacheEntry::parse(text.as_bytes()).unwrap();
        assert_eq!(e.netns_path().as_deref(), Some("/run/netns/old"));
        assert!(
            CacheEntry::parse(
                br#"{"kind":"other","containerId":"x","ifName":"","networkName":""}"#
            )
            .is_err()
        );
    }
}
