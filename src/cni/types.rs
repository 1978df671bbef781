//! The CNI result (interfaces, ips, routes, dns) as podnet holds it (the
//! 1.1.0 shape), read from any version 0.1.0–1.1.0 and written at the
//! version a config asks for. No I/O.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::{CniError, codes};
use super::version::Version;

/// One interface an attachment created.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interface {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mac: String,
    /// 1.1.0 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// The netns path for an interface in the container; empty on the host.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sandbox: String,
    /// 1.1.0 only.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub socket_path: String,
    /// 1.1.0 only.
    #[serde(default, rename = "pciID", skip_serializing_if = "String::is_empty")]
    pub pci_id: String,
}

/// One address, with the prefix length of its subnet (`10.88.0.2/16`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpConfig {
    /// Index into `interfaces`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<usize>,
    pub address: IpNet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<IpAddr>,
}

/// A route; `gw` unset means "via the gateway of the same family".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub dst: IpNet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gw: Option<IpAddr>,
    /// 1.1.0 only (as are the fields below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advmss: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<u32>,
}

impl Route {
    pub fn to(dst: IpNet, gw: Option<IpAddr>) -> Route {
        Route {
            dst,
            gw,
            mtu: None,
            advmss: None,
            priority: None,
            table: None,
            scope: None,
        }
    }
}

/// DNS settings passed through to the runtime.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Dns {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub domain: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

impl Dns {
    /// Whether any field is set (the reference plugins' `dnsConfSet`).
    pub fn is_set(&self) -> bool {
        !self.nameservers.is_empty()
            || !self.domain.is_empty()
            || !self.search.is_empty()
            || !self.options.is_empty()
    }
}

/// A CNI success result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CniResult {
    pub interfaces: Vec<Interface>,
    pub ips: Vec<IpConfig>,
    pub routes: Vec<Route>,
    pub dns: Dns,
}

fn decode(what: &str, e: impl std::fmt::Display) -> CniError {
    CniError::new(codes::DECODE_FAILURE, format!("cannot decode {what}"))
        .with_details(e.to_string())
}

impl CniResult {
    /// Reads a result of any version: `ips` (0.3.0+, with or without
    /// `version`) or `ip4`/`ip6` (0.1.0/0.2.0).
    pub fn from_json(v: &Value) -> Result<CniResult, CniError> {
        let obj = v
            .as_object()
            .ok_or_else(|| decode("result", "not a JSON object"))?;
        let mut r = CniResult::default();
        if let Some(ifaces) = obj.get("interfaces").filter(|x| !x.is_null()) {
            r.interfaces = Vec::deserialize(ifaces).map_err(|e| decode("interfaces", e))?;
        }
        if let Some(ips) = obj.get("ips").filter(|x| !x.is_null()) {
            r.ips = Vec::deserialize(ips).map_err(|e| decode("ips", e))?;
        }
        if let Some(routes) = obj.get("routes").filter(|x| !x.is_null()) {
            r.routes = Vec::deserialize(routes).map_err(|e| decode("routes", e))?;
        }
        // 0.1.0 / 0.2.0: {"ip4": {"ip", "gateway", "routes"}, "ip6": …}
        for key in ["ip4", "ip6"] {
            if let Some(old) = obj.get(key).filter(|x| !x.is_null()) {
                let address = IpNet::deserialize(old.get("ip").unwrap_or(&Value::Null))
                    .map_err(|e| decode(key, e))?;
                let gateway = match old.get("gateway") {
                    Some(g) if !g.is_null() => {
                        Some(IpAddr::deserialize(g).map_err(|e| decode(key, e))?)
                    }
                    _ => None,
                };
                r.ips.push(IpConfig {
                    interface: None,
                    address,
                    gateway,
                });
                if let Some(rs) = old.get("routes").filter(|x| !x.is_null()) {
                    let rs = Vec::<Route>::deserialize(rs).map_err(|e| decode(key, e))?;
                    r.routes.extend(rs);
                }
            }
        }
        if let Some(dns) = obj.get("dns").filter(|x| !x.is_null()) {
            r.dns = Dns::deserialize(dns).map_err(|e| decode("dns", e))?;
        }
        for ip in &r.ips {
            if let Some(i) = ip.interface
                && i >= r.interfaces.len()
                && !r.interfaces.is_empty()
            {
                return Err(decode(
                    "ips",
                    format!(
                        "interface index {i} is past the {} interfaces",
                        r.interfaces.len()
                    ),
                ));
            }
        }
        Ok(r)
    }

    /// The result as a plugin prints it at version `v`: `version` on each IP
    /// before 1.0.0, the 1.1.0-only fields removed before 1.1.0, and `ip4`/
    /// `ip6` for 0.1.0/0.2.0.
    pub fn to_json(&self, v: Version) -> Value {
        if v < Version::V0_3_0 {
            return self.to_legacy_json(v);
        }
        let mut out = json!({ "cniVersion": v.to_string() });
        let ifaces: Vec<Value> = self
            .interfaces
            .iter()
            .map(|i| {
                let mut x = serde_json::to_value(i).unwrap_or(Value::Null);
                if v < Version::V1_1_0
                    && let Some(o) = x.as_object_mut()
                {
                    o.remove("mtu");
                    o.remove("socketPath");
                    o.remove("pciID");
                }
                x
            })
            .collect();
        if !ifaces.is_empty() {
            out["interfaces"] = Value::Array(ifaces);
        }
        let ips: Vec<Value> = self
            .ips
            .iter()
            .map(|ip| {
                let mut x = serde_json::to_value(ip).unwrap_or(Value::Null);
                if v < Version::V1_0_0
                    && let Some(o) = x.as_object_mut()
                {
                    let fam = if ip.address.addr().is_ipv4() {
                        "4"
                    } else {
                        "6"
                    };
                    o.insert("version".into(), json!(fam));
                }
                x
            })
            .collect();
        if !ips.is_empty() {
            out["ips"] = Value::Array(ips);
        }
        let routes: Vec<Value> = self
            .routes
            .iter()
            .map(|r| {
                let mut x = serde_json::to_value(r).unwrap_or(Value::Null);
                if v < Version::V1_1_0
                    && let Some(o) = x.as_object_mut()
                {
                    for k in ["mtu", "advmss", "priority", "table", "scope"] {
                        o.remove(k);
                    }
                }
                x
            })
            .collect();
        if !routes.is_empty() {
            out["routes"] = Value::Array(routes);
        }
        out["dns"] = serde_json::to_value(&self.dns).unwrap_or_else(|_| json!({}));
        out
    }

    fn to_legacy_json(&self, v: Version) -> Value {
        let mut out = json!({ "cniVersion": v.to_string() });
        for (key, v4) in [("ip4", true), ("ip6", false)] {
            if let Some(ip) = self.ips.iter().find(|i| i.address.addr().is_ipv4() == v4) {
                let routes: Vec<Value> = self
                    .routes
                    .iter()
                    .filter(|r| r.dst.addr().is_ipv4() == v4)
                    .map(|r| {
                        let mut x = json!({"dst": r.dst.to_string()});
                        if let Some(gw) = r.gw {
                            x["gw"] = json!(gw.to_string());
                        }
                        x
                    })
                    .collect();
                let mut o = json!({"ip": ip.address.to_string()});
                if let Some(gw) = ip.gateway {
                    o["gateway"] = json!(gw.to_string());
                }
                if !routes.is_empty() {
                    o["routes"] = Value::Array(routes);
                }
                out[key] = o;
            }
        }
        out["dns"] = serde_json::to_value(&self.dns).unwrap_or_else(|_| json!({}));
        out
    }

    /// The interface inside the container named `ifname` and its index.
    pub fn container_interface(&self, ifname: &str) -> Option<(usize, &Interface)> {
        self.interfaces
            .iter()
            .enumerate()
            .find(|(_, i)| i.name == ifname && !i.sandbox.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CniResult {
        CniResult {
            interfaces: vec![
                Interface {
                    name: "cni0".into(),
                    mac: "aa:bb:cc:dd:ee:01".into(),
                    ..Default::default()
                },
                Interface {
                    name: "eth0".into(),
                    mac: "aa:bb:cc:dd:ee:03".into(),
                    mtu: Some(1400),
                    sandbox: "/run/netns/x".into(),
                    ..Default::default()
                },
            ],
            ips: vec![IpConfig {
                interface: Some(1),
                address: "10.88.0.2/16".parse().unwrap(),
                gateway: Some("10.88.0.1".parse().unwrap()),
            }],
            routes: vec![Route {
                priority: Some(5),
                ..Route::to("0.0.0.0/0".parse().unwrap(), None)
            }],
            dns: Dns {
                nameservers: vec!["10.96.0.10".into()],
                ..Default::default()
            },
        }
    }

    #[test]
    fn writes_each_version_shape() {
        let r = sample();
        let v11 = r.to_json(Version::V1_1_0);
        assert_eq!(v11["interfaces"][1]["mtu"], 1400);
        assert_eq!(v11["routes"][0]["priority"], 5);
        assert!(v11["ips"][0].get("version").is_none());

        let v10 = r.to_json(Version::V1_0_0);
        assert_eq!(v10["cniVersion"], "1.0.0");
        assert!(v10["interfaces"][1].get("mtu").is_none());
        assert!(v10["routes"][0].get("priority").is_none());
        assert_eq!(v10["ips"][0]["address"], "10.88.0.2/16");

        let v04 = r.to_json(Version::V0_4_0);
        assert_eq!(v04["ips"][0]["version"], "4");
        assert_eq!(v04["ips"][0]["interface"], 1);

        let v02 = r.to_json(Version(0, 2, 0));
        assert_eq!(v02["ip4"]["ip"], "10.88.0.2/16");
        assert_eq!(v02["ip4"]["routes"][0]["dst"], "0.0.0.0/0");
    }

    #[test]
    fn reads_every_version_back() {
        let r = sample();
        for v in [
            Version(0, 3, 1),
            Version::V0_4_0,
            Version::V1_0_0,
            Version::V1_1_0,
        ] {
            let back = CniResult::from_json(&r.to_json(v)).unwrap();
            assert_eq!(back.ips, r.ips, "{v}");
            assert_eq!(back.interfaces.len(), 2);
            assert_eq!(back.dns, r.dns);
        }
        let legacy = CniResult::from_json(&r.to_json(Version(0, 2, 0))).unwrap();
        assert_eq!(legacy.ips[0].address, r.ips[0].address);
        assert_eq!(legacy.ips[0].interface, None);
        assert_eq!(legacy.routes[0].dst, r.routes[0].dst);
    }

    #[test]
    fn reads_a_reference_plugin_result() {
        let text = r#"{"cniVersion":"0.4.0","interfaces":[{"name":"vethf65eaa31","mac":"9e:b6:da:dc:58:49"},{"name":"eth1","mac":"8e:de:94:3c:d2:16","sandbox":"/run/netns/a"}],"ips":[{"version":"4","interface":1,"address":"10.90.0.1/24","gateway":"10.90.0.254"}],"dns":{}}"#;
        let r = CniResult::from_json(&serde_json::from_str(text).unwrap()).unwrap();
        assert_eq!(r.container_interface("eth1").map(|(i, _)| i), Some(1));
        assert_eq!(r.ips[0].address.addr().to_string(), "10.90.0.1");
        assert_eq!(r.ips[0].address.prefix_len(), 24);
    }

    #[test]
    fn rejects_malformed_results() {
        assert!(CniResult::from_json(&json!([])).is_err());
        assert!(CniResult::from_json(&json!({"ips": [{"address": "nope"}]})).is_err());
        assert!(
            CniResult::from_json(&json!({"interfaces": [{"name": "a"}], "ips": [{"interface": 3, "address": "10.0.0.1/24"}]}))
                .is_err()
        );
    }
}
