//! Parses libcni's result cache files (`/var/lib/cni/results/<network>-<id>-<ifname>`,
//! kind `cniCacheV1`): the one parser of that format ([`parse_file`], which
//! `cni::cache` builds its entries on too), and the identity claims a file
//! makes. No I/O.

use std::net::IpAddr;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::model::{Claim, ClaimKey, SourceKind};

/// The kind of every cache file libcni writes today.
pub const KIND_V1: &str = "cniCacheV1";

/// The parts of a cache entry podnet uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CniCacheEntry {
    pub container_id: String,
    pub if_name: String,
    pub network_name: String,
    /// The `netns` key; absent in files written by older libcni (containerd 1.6).
    pub netns: Option<String>,
    /// `result.interfaces[].sandbox` paths.
    pub sandboxes: Vec<String>,
    /// Addresses from `result.ips` (CIDR).
    pub ips: Vec<ipnet::IpNet>,
    pub pod_namespace: Option<String>,
    pub pod_name: Option<String>,
    pub pod_uid: Option<String>,
    pub infra_container_id: Option<String>,
}

/// A cache file as libcni writes it, every key read leniently: what an
/// older libcni omits (`netns`) or another reader needs is optional here,
/// and each reader says what it requires.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheFile {
    pub kind: Option<String>,
    pub container_id: String,
    /// The network configuration's bytes, base64 (a JSON `null` is
    /// `Some(Null)`; only a missing key is `None`).
    #[serde(default, deserialize_with = "present")]
    pub config: Option<Value>,
    pub if_name: Option<String>,
    pub network_name: Option<String>,
    pub netns: Option<String>,
    /// `[key, value]` pairs.
    #[serde(default)]
    pub cni_args: Vec<Vec<String>>,
    /// As `config`: `Some(Null)` for a JSON `null`.
    #[serde(default, deserialize_with = "present")]
    pub capability_args: Option<Value>,
    pub result: Option<Value>,
}

/// A key that is there, even as `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Reads one cache file's JSON (the caller words the error).
pub fn parse_file(bytes: &[u8]) -> Result<CacheFile, serde_json::Error> {
    serde_json::from_slice(bytes)
}

impl CacheFile {
    /// The value of a CNI_ARGS key recorded in the file (the first, if
    /// non-empty).
    pub fn arg(&self, key: &str) -> Option<&str> {
        self.cni_args
            .iter()
            .find(|kv| kv.first().map(String::as_str) == Some(key))
            .and_then(|kv| kv.get(1))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Refuses a kind other than [`KIND_V1`] (an absent one is taken as it).
    pub fn check_kind(&self) -> Result<(), String> {
        match &self.kind {
            Some(kind) if kind != KIND_V1 => Err(format!("unknown cache kind {kind:?}")),
            _ => Ok(()),
        }
    }
}

/// The parts of `result` the claim uses.
#[derive(Deserialize, Default)]
struct RawResult {
    #[serde(default)]
    interfaces: Vec<RawInterface>,
    #[serde(default)]
    ips: Vec<RawIp>,
    ip4: Option<RawIp>,
    ip6: Option<RawIp>,
}

#[derive(Deserialize)]
struct RawInterface {
    sandbox: Option<String>,
}

#[derive(Deserialize)]
struct RawIp {
    #[serde(alias = "ip")]
    address: Option<String>,
}

/// Parses one cache file into the parts of it podnet uses.
pub fn parse(bytes: &[u8]) -> Result<CniCacheEntry, String> {
    let file = parse_file(bytes).map_err(|e| format!("not a CNI cache file: {e}"))?;
    CniCacheEntry::of(file)
}

impl CniCacheEntry {
    /// The parts of a parsed file podnet uses; a `result` of another shape
    /// or an unknown kind is an error.
    pub fn of(file: CacheFile) -> Result<CniCacheEntry, String> {
        let result = match &file.result {
            Some(r) => {
                RawResult::deserialize(r).map_err(|e| format!("not a CNI cache file: {e}"))?
            }
            None => RawResult::default(),
        };
        file.check_kind()?;
        let arg = |key: &str| file.arg(key).map(str::to_string);
        let ips = result
            .ips
            .iter()
            .chain(result.ip4.iter())
            .chain(result.ip6.iter())
            .filter_map(|ip| ip.address.as_deref()?.parse().ok())
            .collect();
        let mut sandboxes: Vec<String> = result
            .interfaces
            .into_iter()
            .filter_map(|i| i.sandbox)
            .collect();
        sandboxes.dedup();
        Ok(CniCacheEntry {
            pod_namespace: arg("K8S_POD_NAMESPACE"),
            pod_name: arg("K8S_POD_NAME"),
            pod_uid: arg("K8S_POD_UID"),
            infra_container_id: arg("K8S_POD_INFRA_CONTAINER_ID"),
            container_id: file.container_id,
            if_name: file.if_name.unwrap_or_default(),
            network_name: file.network_name.unwrap_or_default(),
            netns: file.netns.filter(|n| !n.is_empty()),
            sandboxes,
            ips,
        })
    }

    /// The identity claim this entry makes; `from` is the cache file's path.
    pub fn to_claim(&self, from: &str) -> Claim {
        let mut c = Claim::new(SourceKind::CniCache, from);
        let mut paths: Vec<&String> = self.netns.iter().chain(self.sandboxes.iter()).collect();
        paths.dedup();
        c.keys
            .extend(paths.into_iter().map(|p| ClaimKey::NetnsPath(p.clone())));
        c.keys.push(ClaimKey::SandboxId(self.container_id.clone()));
        c.keys.extend(self.addresses().map(ClaimKey::Ip));
        c.namespace = self.pod_namespace.clone();
        c.name = self.pod_name.clone();
        c.uid = self.pod_uid.clone();
        c.sandbox_id = Some(
            self.infra_container_id
                .clone()
                .unwrap_or_else(|| self.container_id.clone()),
        );
        c
    }

    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.ips.iter().map(|n| n.addr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURRENT: &str = r#"{"kind":"cniCacheV1","containerId":"3f2a9c1e8b7d6f5a4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d","config":"eyJ9","ifName":"eth0","networkName":"cbr0","netns":"/var/run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b","cniArgs":[["IgnoreUnknown","1"],["K8S_POD_NAMESPACE","default"],["K8S_POD_NAME","web-0"],["K8S_POD_INFRA_CONTAINER_ID","3f2a9c1e8b7d6f5a4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d"],["K8S_POD_UID","6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b"]],"capabilityArgs":{"io.kubernetes.cri.pod-annotations":{}},"result":{"cniVersion":"1.0.0","interfaces":[{"name":"cni0","mac":"aa:bb:cc:dd:ee:01"},{"name":"veth1234abcd","mac":"aa:bb:cc:dd:ee:02"},{"name":"eth0","mac":"aa:bb:cc:dd:ee:03","sandbox":"/var/run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b"}],"ips":[{"interface":2,"address":"10.244.1.7/24","gateway":"10.244.1.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}}"#;

    #[test]
    fn parses_a_current_libcni_entry() {
        let e = parse(CURRENT.as_bytes()).unwrap();
        assert_eq!(e.network_name, "cbr0");
        assert_eq!(e.if_name, "eth0");
        assert_eq!(e.pod_namespace.as_deref(), Some("default"));
        assert_eq!(e.pod_name.as_deref(), Some("web-0"));
        assert_eq!(
            e.pod_uid.as_deref(),
            Some("6f0e2a4b-9c1d-4e2f-8a3b-5c6d7e8f9a0b")
        );
        assert_eq!(
            e.netns.as_deref(),
            Some("/var/run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b")
        );
        assert_eq!(
            e.ips,
            vec!["10.244.1.7/24".parse::<ipnet::IpNet>().unwrap()]
        );
        let c = e.to_claim("/var/lib/cni/results/x");
        assert_eq!(c.fields(), vec!["namespace", "name", "uid", "sandbox_id"]);
        assert!(
            c.keys
                .contains(&ClaimKey::NetnsPath(e.netns.clone().unwrap()))
        );
        assert!(
            c.keys
                .contains(&ClaimKey::Ip("10.244.1.7".parse().unwrap()))
        );
    }

    #[test]
    fn older_libcni_without_netns_key_uses_the_result_sandbox() {
        let mut v: serde_json::Value = serde_json::from_str(CURRENT).unwrap();
        v.as_object_mut().unwrap().remove("netns");
        let e = parse(v.to_string().as_bytes()).unwrap();
        assert_eq!(e.netns, None);
        assert_eq!(
            e.sandboxes,
            vec!["/var/run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b".to_string()]
        );
        assert!(matches!(e.to_claim("x").keys[0], ClaimKey::NetnsPath(_)));
    }

    #[test]
    fn loopback_attachment_without_result_still_names_the_pod() {
        let text = r#"{"kind":"cniCacheV1","containerId":"abcdef012345","ifName":"lo","networkName":"cni-loopback","cniArgs":[["K8S_POD_NAMESPACE","kube-system"],["K8S_POD_NAME","coredns-1"]]}"#;
        let e = parse(text.as_bytes()).unwrap();
        assert_eq!(e.pod_name.as_deref(), Some("coredns-1"));
        assert!(e.ips.is_empty());
        assert_eq!(e.to_claim("x").sandbox_id.as_deref(), Some("abcdef012345"));
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        assert!(parse(b"").is_err());
        assert!(parse(b"{").is_err());
        assert!(parse(b"[]").is_err());
        assert!(parse(br#"{"kind":"cniCacheV2","containerId":"x"}"#).is_err());
        assert!(parse(br#"{"kind":"cniCacheV1"}"#).is_err());
        assert!(parse(br#"{"containerId":"x","cniArgs":"nope"}"#).is_err());
    }

    #[test]
    fn the_file_keeps_every_key_and_tells_null_from_missing() {
        let f = parse_file(CURRENT.as_bytes()).unwrap();
        assert_eq!(f.kind.as_deref(), Some(KIND_V1));
        assert_eq!(f.config, Some(serde_json::json!("eyJ9")));
        assert_eq!(f.arg("K8S_POD_NAME"), Some("web-0"));
        assert_eq!(f.arg("IgnoreUnknown"), Some("1"));
        assert_eq!(f.arg("K8S_POD_NOPE"), None);
        assert!(f.capability_args.is_some() && f.result.is_some());
        assert!(f.check_kind().is_ok());

        let bare =
            parse_file(br#"{"containerId":"x","config":null,"cniArgs":[["A"],["B",""]]}"#).unwrap();
        assert_eq!(bare.config, Some(serde_json::Value::Null));
        assert_eq!(bare.capability_args, None);
        assert_eq!(bare.arg("A"), None);
        assert_eq!(bare.arg("B"), None);
        assert!(bare.check_kind().is_ok());
        let other = parse_file(br#"{"kind":"v9","containerId":"x"}"#).unwrap();
        assert_eq!(other.check_kind().unwrap_err(), "unknown cache kind \"v9\"");
    }

    #[test]
    fn a_result_of_another_shape_is_an_error() {
        let text = r#"{"kind":"cniCacheV1","containerId":"x","result":{"ips":"x"}}"#;
        let e = parse(text.as_bytes()).unwrap_err();
        assert!(e.starts_with("not a CNI cache file: "), "{e}");
        let null = r#"{"kind":"cniCacheV1","containerId":"x","result":null}"#;
        assert!(parse(null.as_bytes()).unwrap().ips.is_empty());
    }
}
