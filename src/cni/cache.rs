//! libcni's result cache entry (`<cacheDir>/results/<network>-<containerID>-<ifname>`,
//! kind `cniCacheV1`), written by `podnet cni add` and read back by
//! `cni del`/`check`/`ls`/`gc`: the file parsed by `discover::cni_cache`,
//! then held to what a complete entry has. No I/O.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::DocError;
use crate::discover::cni_cache::{self, CacheFile, KIND_V1};

/// libcni's default cache directory.
pub const DEFAULT_CACHE_DIR: &str = "/var/lib/cni";

/// One cached attachment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheEntry {
    pub kind: String,
    pub container_id: String,
    /// The network configuration list's bytes, base64 in the file.
    #[serde(serialize_with = "as_base64")]
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

fn as_base64<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

/// serde's words for a key a complete entry must have.
fn missing(key: &str) -> String {
    format!("missing field `{key}`")
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

    /// Parses a cache file ([`cni_cache::parse_file`]) into a complete entry.
    pub fn parse(bytes: &[u8]) -> Result<CacheEntry, DocError> {
        let bad = |e: String| DocError(format!("not a CNI cache entry: {e}"));
        let file = cni_cache::parse_file(bytes).map_err(|e| bad(e.to_string()))?;
        let e = CacheEntry::of(file).map_err(bad)?;
        if e.kind != KIND_V1 {
            return Err(DocError(format!("unknown cache kind {:?}", e.kind)));
        }
        Ok(e)
    }

    /// A parsed file as a complete entry: kind, config, ifName and
    /// networkName there, config base64 (or `null`), each CNI_ARGS a pair,
    /// capabilityArgs (if there) an object.
    fn of(f: CacheFile) -> Result<CacheEntry, String> {
        // the keys' contents first, then what is missing (as serde words them)
        let config = match f.config {
            None => None,
            Some(Value::Null) => Some(Vec::new()),
            Some(v) => {
                let text = String::deserialize(&v).map_err(|e| e.to_string())?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map_err(|e| e.to_string())?;
                Some(bytes)
            }
        };
        let cni_args = f
            .cni_args
            .into_iter()
            .map(|kv| {
                let n = kv.len();
                <[String; 2]>::try_from(kv)
                    .map_err(|_| format!("invalid length {n}, expected an array of length 2"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let capability_args = match &f.capability_args {
            None => Map::new(),
            Some(v) => Map::deserialize(v).map_err(|e| e.to_string())?,
        };
        let kind = f.kind.ok_or_else(|| missing("kind"))?;
        let config = config.ok_or_else(|| missing("config"))?;
        Ok(CacheEntry {
            kind,
            container_id: f.container_id,
            config,
            if_name: f.if_name.ok_or_else(|| missing("ifName"))?,
            network_name: f.network_name.ok_or_else(|| missing("networkName"))?,
            netns: f.netns,
            cni_args,
            capability_args,
            result: f.result,
        })
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

    #[test]
    fn a_complete_entry_needs_what_libcni_always_writes() {
        let entry = |extra: &str| {
            CacheEntry::parse(
                format!(r#"{{"kind":"cniCacheV1","containerId":"x"{extra}}}"#).as_bytes(),
            )
            .map_err(|e| e.0)
        };
        let full = r#","config":"e30=","ifName":"eth0","networkName":"n""#;
        assert_eq!(entry(full).unwrap().config, b"{}");
        assert_eq!(
            entry(r#","config":null,"ifName":"eth0","networkName":"n""#)
                .unwrap()
                .config,
            b""
        );
        let err = |extra: &str| entry(extra).unwrap_err();
        assert_eq!(
            err(r#","ifName":"eth0","networkName":"n""#),
            "not a CNI cache entry: missing field `config`"
        );
        assert_eq!(
            err(r#","config":"","networkName":"n""#),
            "not a CNI cache entry: missing field `ifName`"
        );
        assert!(err(r#","config":"!","ifName":"e","networkName":"n""#).contains("Invalid symbol"));
        assert_eq!(
            err(&format!(r#"{full},"cniArgs":[["a"]]"#)),
            "not a CNI cache entry: invalid length 1, expected an array of length 2"
        );
        assert_eq!(
            err(&format!(r#"{full},"capabilityArgs":null"#)),
            "not a CNI cache entry: invalid type: null, expected a map"
        );
        // the contents are judged before what is missing
        assert!(err(r#","config":5"#).contains("expected a string"));
        // a file without a kind is not libcni's
        let no_kind = br#"{"containerId":"x","config":"","ifName":"e","networkName":"n"}"#;
        assert_eq!(
            CacheEntry::parse(no_kind).unwrap_err().0,
            "not a CNI cache entry: missing field `kind`"
        );
    }
}
