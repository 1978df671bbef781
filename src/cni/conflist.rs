//! The runtime side of CNI: network configuration lists (`.conflist`, or a
//! single `.conf` read as a one-plugin list) and the request each plugin
//! in the chain gets (cniVersion and name injected, runtimeConfig from the
//! capabilities it declares, prevResult, GC's valid attachments). No I/O.

use serde_json::{Map, Value, json};

use super::config::valid_network_name;
use super::error::DocError;
use super::ipam::Attachment;
use super::version::{self, Version};

/// A parsed network configuration list.
#[derive(Debug, Clone, PartialEq)]
pub struct NetConfList {
    /// `cniVersion` as written.
    pub cni_version: String,
    pub version: Version,
    pub name: String,
    pub disable_check: bool,
    pub disable_gc: bool,
    /// Each plugin's configuration object, in order.
    pub plugins: Vec<Value>,
    /// The bytes it was read from (libcni caches them).
    pub bytes: Vec<u8>,
}

impl NetConfList {
    /// The `type` of plugin `i`.
    pub fn plugin_type(&self, i: usize) -> &str {
        self.plugins
            .get(i)
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The plugin types in order, e.g. `podnet, portmap`.
    pub fn types(&self) -> Vec<String> {
        (0..self.plugins.len())
            .map(|i| self.plugin_type(i).to_string())
            .collect()
    }
}

/// Parses a `.conflist` or a single-plugin `.conf`.
pub fn parse(bytes: &[u8]) -> Result<NetConfList, DocError> {
    parse_list(bytes).map_err(DocError)
}

fn parse_list(bytes: &[u8]) -> Result<NetConfList, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let cni_version = obj
        .get("cniVersion")
        .and_then(Value::as_str)
        .ok_or("no cniVersion")?
        .to_string();
    let version = Version::parse(&cni_version)
        .ok_or_else(|| format!("invalid cniVersion {cni_version:?}"))?;
    if !version::is_supported(version) {
        return Err(format!(
            "cniVersion {cni_version} is not one podnet speaks ({})",
            version::SUPPORTED.join(", ")
        ));
    }
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .ok_or("no name")?
        .to_string();
    if !valid_network_name(&name) {
        return Err(format!("invalid network name {name:?}"));
    }
    let plugins: Vec<Value> = match obj.get("plugins") {
        Some(Value::Array(ps)) => ps.clone(),
        Some(_) => return Err("plugins is not a list".into()),
        None if obj.contains_key("type") => {
            // a single plugin configuration (.conf)
            let mut p = obj.clone();
            p.remove("cniVersion");
            p.remove("name");
            vec![Value::Object(p)]
        }
        None => return Err("no plugins and no type".into()),
    };
    if plugins.is_empty() {
        return Err("plugins is empty".into());
    }
    for (i, p) in plugins.iter().enumerate() {
        match p.get("type").and_then(Value::as_str) {
            Some(t) if !t.is_empty() && !t.contains('/') && !t.starts_with('.') => {}
            _ => return Err(format!("plugin {i} has no valid type")),
        }
    }
    Ok(NetConfList {
        cni_version,
        version,
        name,
        disable_check: obj
            .get("disableCheck")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        disable_gc: obj
            .get("disableGC")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        plugins,
        bytes: bytes.to_vec(),
    })
}

/// The list's bytes with only its first `n` plugins (what a failed ADD
/// ran, for its DEL later); the bytes as read when that is every plugin or
/// the list is a single-plugin `.conf`.
pub fn truncated(list: &NetConfList, n: usize) -> Vec<u8> {
    if n >= list.plugins.len() {
        return list.bytes.clone();
    }
    let Ok(mut v) = serde_json::from_slice::<Value>(&list.bytes) else {
        return list.bytes.clone();
    };
    match v.get_mut("plugins").and_then(Value::as_array_mut) {
        Some(ps) => ps.truncate(n),
        None => return list.bytes.clone(),
    }
    serde_json::to_vec(&v).unwrap_or_else(|_| list.bytes.clone())
}

/// The configuration plugin `i` gets for ADD, DEL or CHECK.
pub fn plugin_request(
    list: &NetConfList,
    i: usize,
    prev_result: Option<&Value>,
    capability_args: &Map<String, Value>,
) -> Value {
    let mut p = list.plugins.get(i).cloned().unwrap_or_else(|| json!({}));
    let Some(o) = p.as_object_mut() else {
        return p;
    };
    o.insert("cniVersion".into(), json!(list.cni_version));
    o.insert("name".into(), json!(list.name));
    let mut rc = Map::new();
    if let Some(caps) = o.get("capabilities").and_then(Value::as_object) {
        for (cap, on) in caps {
            if on.as_bool() == Some(true)
                && let Some(arg) = capability_args.get(cap)
            {
                rc.insert(cap.clone(), arg.clone());
            }
        }
    }
    o.remove("capabilities");
    if !rc.is_empty() {
        o.insert("runtimeConfig".into(), Value::Object(rc));
    }
    if let Some(prev) = prev_result {
        o.insert("prevResult".into(), prev.clone());
    }
    p
}

/// The configuration plugin `i` gets for GC.
pub fn gc_request(list: &NetConfList, i: usize, valid: &[Attachment]) -> Value {
    let mut p = plugin_request(list, i, None, &Map::new());
    if let Some(o) = p.as_object_mut() {
        o.insert(
            "cni.dev/valid-attachments".into(),
            Value::Array(
                valid
                    .iter()
                    .map(|a| json!({"containerID": a.container_id, "ifname": a.ifname}))
                    .collect(),
            ),
        );
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"{"cniVersion":"1.0.0","name":"pods","plugins":[
        {"type":"podnet","mode":"bridge","ipam":{"type":"host-local","subnet":"10.1.0.0/16"}},
        {"type":"portmap","capabilities":{"portMappings":true,"bandwidth":false}}]}"#;

    #[test]
    fn a_truncated_list_keeps_the_plugins_that_ran() {
        let list = parse(LIST.as_bytes()).unwrap();
        let two = parse(&truncated(&list, 1)).unwrap();
        assert_eq!(two.types(), vec![list.plugin_type(0).to_string()]);
        assert_eq!(two.name, list.name);
        assert_eq!(truncated(&list, list.plugins.len()), list.bytes);
        let conf = br#"{"cniVersion":"1.0.0","name":"one","type":"bridge"}"#;
        let single = parse(conf).unwrap();
        assert_eq!(truncated(&single, 0), conf.to_vec());
    }

    #[test]
    fn parses_lists_and_single_confs() {
        let l = parse(LIST.as_bytes()).unwrap();
        assert_eq!(l.name, "pods");
        assert_eq!(l.types(), vec!["podnet", "portmap"]);
        let c = parse(br#"{"cniVersion":"0.4.0","name":"one","type":"bridge","bridge":"br0"}"#)
            .unwrap();
        assert_eq!(c.plugins.len(), 1);
        assert_eq!(c.plugins[0]["bridge"], "br0");
        assert!(c.plugins[0].get("name").is_none());
        for bad in [
            "{",
            r#"{"name":"x","plugins":[]}"#,
            r#"{"cniVersion":"9.0.0","name":"x","type":"a"}"#,
            r#"{"cniVersion":"1.0.0","name":"a/b","type":"a"}"#,
            r#"{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"../x"}]}"#,
            r#"{"cniVersion":"1.0.0","name":"x"}"#,
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn derives_requests_like_libcni() {
        let l = parse(LIST.as_bytes()).unwrap();
        let mut caps = Map::new();
        caps.insert(
            "portMappings".into(),
            json!([{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]),
        );
        caps.insert("bandwidth".into(), json!({"ingressRate": 1}));
        let prev = json!({"cniVersion": "1.0.0", "ips": []});
        let r0 = plugin_request(&l, 0, None, &caps);
        assert_eq!(r0["cniVersion"], "1.0.0");
        assert_eq!(r0["name"], "pods");
        assert!(r0.get("runtimeConfig").is_none());
        assert!(r0.get("prevResult").is_none());
        let r1 = plugin_request(&l, 1, Some(&prev), &caps);
        assert_eq!(r1["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
        assert!(r1["runtimeConfig"].get("bandwidth").is_none());
        assert!(r1.get("capabilities").is_none());
        assert_eq!(r1["prevResult"], prev);
        let g = gc_request(
            &l,
            0,
            &[Attachment {
                container_id: "a".into(),
                ifname: "eth0".into(),
            }],
        );
        assert_eq!(g["cni.dev/valid-attachments"][0]["containerID"], "a");
    }
}
