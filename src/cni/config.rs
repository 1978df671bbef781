//! podnet's plugin configuration (the network configuration on stdin):
//! parsing and validation, with the CNI error code each problem gets. No I/O.

use serde::Deserialize;
use serde_json::Value;

use super::error::{CniError, codes, json_kind};
use super::ipam::{self, Attachment, HostLocalConf};
use super::names;
use super::types::{CniResult, Dns};
use super::version::{self, Version};

/// How the pod is attached to the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Host veth on a Linux bridge that holds the gateway address.
    Bridge,
    /// Routed point-to-point veth: a host route per pod address.
    Ptp,
}

/// How a pod in ptp mode reaches its gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtpGateway {
    /// The reference ptp plugin's way: the range's gateway as a /32 on the
    /// host veth, an on-link route to it in the pod.
    OnLink,
    /// Calico's way: the pod has its address as /32 and a default route via
    /// 169.254.1.1 (IPv6: the host veth's link-local address); the host veth
    /// answers ARP by proxy and carries no address.
    ProxyArp,
}

/// Which tool installs the ipMasq rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasqBackend {
    Nftables,
    Iptables,
}

/// Where addresses come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ipam {
    /// No IPAM: a layer-2 attachment (bridge mode only).
    None,
    /// podnet's built-in host-local (`type` `host-local` or `podnet`).
    HostLocal(HostLocalConf),
    /// Another IPAM plugin, run from CNI_PATH with the whole configuration.
    Delegated(String),
}

/// A validated podnet network configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginConf {
    pub version: Version,
    pub name: String,
    pub mode: Mode,
    pub bridge: String,
    pub mtu: Option<u32>,
    pub hairpin: bool,
    pub promisc: bool,
    pub is_gateway: bool,
    pub is_default_gateway: bool,
    pub force_address: bool,
    pub ip_masq: bool,
    pub masq_backend: Option<MasqBackend>,
    pub veth_prefix: String,
    pub ptp_gateway: PtpGateway,
    pub ipam: Ipam,
    pub dns: Dns,
    pub prev_result: Option<CniResult>,
    /// `cni.dev/valid-attachments` (GC only).
    pub valid_attachments: Option<Vec<Attachment>>,
    /// The configuration as received (passed to delegated plugins).
    pub raw: Value,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawConf {
    mode: Option<String>,
    bridge: Option<String>,
    mtu: Option<u32>,
    #[serde(default)]
    hairpin_mode: bool,
    #[serde(default)]
    promisc_mode: bool,
    #[serde(default)]
    is_gateway: bool,
    #[serde(default)]
    is_default_gateway: bool,
    #[serde(default)]
    force_address: bool,
    #[serde(default)]
    ip_masq: bool,
    ip_masq_backend: Option<String>,
    veth_prefix: Option<String>,
    ptp_gateway: Option<String>,
    vlan: Option<i64>,
    #[serde(default)]
    macspoofchk: bool,
    vlan_trunk: Option<Value>,
    dns: Option<Dns>,
}

/// The default bridge name (the reference bridge plugin's).
pub const DEFAULT_BRIDGE: &str = "cni0";

/// The most stdin podnet reads: a network configuration (with a
/// `prevResult`) is a few kilobytes; more is refused before it is parsed,
/// so a runaway or hostile caller cannot make the plugin allocate without
/// bound.
pub const MAX_STDIN_BYTES: u64 = 1 << 20;

/// The cniVersion to put in an error about this stdin: the config's own if
/// it is one podnet speaks, else the newest.
pub fn error_version(stdin: &[u8]) -> String {
    error_version_of(serde_json::from_slice::<Value>(stdin).ok().as_ref())
}

/// [`error_version`] of stdin already parsed (`None`: it is not JSON).
pub fn error_version_of(conf: Option<&Value>) -> String {
    conf.and_then(|v| v.get("cniVersion")?.as_str())
        .filter(|s| Version::parse(s).is_some_and(version::is_supported))
        .map(str::to_string)
        .unwrap_or_else(|| version::CURRENT.to_string())
}

/// Whether a network name is valid (libcni's rule; it is a directory name
/// under the IPAM dataDir, so no `/`).
pub fn valid_network_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Reads stdin as JSON (code 6).
pub fn decode(stdin: &[u8]) -> Result<Value, CniError> {
    serde_json::from_slice(stdin).map_err(|e| {
        CniError::new(codes::DECODE_FAILURE, "error unmarshall network config")
            .with_details(e.to_string())
    })
}

/// Reads stdin as JSON (code 6), checks the version (code 1) and the name (code 7).
pub fn parse_envelope(stdin: &[u8]) -> Result<(Value, Version), CniError> {
    let raw = decode(stdin)?;
    let v = check_envelope(&raw)?;
    Ok((raw, v))
}

/// Checks decoded stdin is an object (code 6) of a version podnet speaks (code 1).
pub fn check_envelope(raw: &Value) -> Result<Version, CniError> {
    if !raw.is_object() {
        return Err(
            CniError::new(codes::DECODE_FAILURE, "error unmarshall network config")
                .with_details("the network configuration is not a JSON object"),
        );
    }
    version::negotiate(raw.get("cniVersion").and_then(Value::as_str))
}

/// The `ipam.type` of a configuration: empty for no IPAM (no `ipam`, `null`,
/// `{}` or an empty type, as the reference plugins read it). An `ipam` that
/// is not an object (`"ipam": "host-local"`) or a `type` that is not a
/// string is an invalid configuration (code 7), never "no IPAM": that would
/// plumb a pod without an address and report success.
fn ipam_type(raw: &Value) -> Result<&str, CniError> {
    match raw.get("ipam") {
        None | Some(Value::Null) => Ok(""),
        Some(Value::Object(o)) => match o.get("type") {
            None | Some(Value::Null) => Ok(""),
            Some(Value::String(t)) => Ok(t),
            Some(other) => Err(CniError::invalid_config(format!(
                "ipam.type must be a string, not {}",
                json_kind(other)
            ))),
        },
        Some(other) => Err(CniError::invalid_config(format!(
            "ipam must be an object with a \"type\", not {}",
            json_kind(other)
        ))),
    }
}

/// Parses and validates a podnet plugin configuration. `cni_args_ip` is the
/// `IP` key of CNI_ARGS (a requested address).
pub fn parse(stdin: &[u8], cni_args_ip: Option<&str>) -> Result<PluginConf, CniError> {
    parse_value(decode(stdin)?, cni_args_ip)
}

/// [`parse`] of stdin already decoded: each part is read from this one
/// tree, never copied or parsed again. The checks run in a fixed order, so
/// a configuration with several problems always gets the same error.
pub fn parse_value(raw: Value, cni_args_ip: Option<&str>) -> Result<PluginConf, CniError> {
    let version = check_envelope(&raw)?;
    let name = network_name(&raw)?;
    let rc = RawConf::deserialize(&raw)
        .map_err(|e| CniError::invalid_config(format!("invalid network configuration: {e}")))?;
    refuse_unsupported(&rc)?;
    let mode = mode_of(rc.mode.as_deref())?;
    check_link_options(&rc)?;
    let bridge = bridge_name(rc.bridge)?;
    let veth_prefix = veth_prefix(rc.veth_prefix)?;
    let masq_backend = masq_backend_of(rc.ip_masq_backend.as_deref())?;
    let ptp_gateway = ptp_gateway_of(rc.ptp_gateway.as_deref())?;
    let ipam = ipam_of(&raw, mode, cni_args_ip)?;
    let prev_result = prev_result(&raw)?;
    let valid_attachments = valid_attachments(&raw)?;
    Ok(PluginConf {
        version,
        name,
        mode,
        bridge,
        mtu: rc.mtu,
        hairpin: rc.hairpin_mode,
        promisc: rc.promisc_mode,
        is_gateway: rc.is_gateway || rc.is_default_gateway,
        is_default_gateway: rc.is_default_gateway,
        force_address: rc.force_address,
        ip_masq: rc.ip_masq,
        masq_backend,
        veth_prefix,
        ptp_gateway,
        ipam,
        dns: rc.dns.unwrap_or_default(),
        prev_result,
        valid_attachments,
        raw,
    })
}

/// The `name` key, which must be a valid network name (code 7).
fn network_name(raw: &Value) -> Result<String, CniError> {
    let name = raw
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !valid_network_name(&name) {
        return Err(CniError::invalid_config(format!(
            "invalid network name {name:?}: it must start with a letter or digit, then letters, digits, '_', '.' or '-'"
        )));
    }
    Ok(name)
}

/// Refuses the reference bridge plugin's keys podnet does not implement
/// (code 8): a VLAN tag or trunk, MAC spoof checking.
fn refuse_unsupported(rc: &RawConf) -> Result<(), CniError> {
    if let Some(v) = rc.vlan.filter(|v| *v != 0) {
        return Err(CniError::new(
            codes::UNSUPPORTED_FIELD,
            format!("unsupported field vlan={v}: podnet does not tag VLANs"),
        ));
    }
    if rc.vlan_trunk.is_some() {
        return Err(CniError::new(
            codes::UNSUPPORTED_FIELD,
            "unsupported field vlanTrunk: podnet does not tag VLANs",
        ));
    }
    if rc.macspoofchk {
        return Err(CniError::new(
            codes::UNSUPPORTED_FIELD,
            "unsupported field macspoofchk=true",
        ));
    }
    Ok(())
}

/// `mode`: `bridge` (the default) or `ptp`.
fn mode_of(mode: Option<&str>) -> Result<Mode, CniError> {
    match mode.unwrap_or("bridge") {
        "bridge" => Ok(Mode::Bridge),
        "ptp" => Ok(Mode::Ptp),
        other => Err(CniError::invalid_config(format!(
            "unknown mode {other:?}: expected \"bridge\" or \"ptp\""
        ))),
    }
}

/// Options of the links that exclude each other or are out of range:
/// hairpin with promiscuous mode, an MTU outside 68–65535.
fn check_link_options(rc: &RawConf) -> Result<(), CniError> {
    if rc.hairpin_mode && rc.promisc_mode {
        return Err(CniError::invalid_config(
            "cannot set hairpin mode and promiscuous mode at the same time",
        ));
    }
    if let Some(m) = rc.mtu
        && !(68..=65535).contains(&m)
    {
        return Err(CniError::invalid_config(format!(
            "mtu {m} is outside 68–65535"
        )));
    }
    Ok(())
}

/// `bridge`, [`DEFAULT_BRIDGE`] unless set; it must be an interface name.
fn bridge_name(bridge: Option<String>) -> Result<String, CniError> {
    let bridge = bridge.unwrap_or_else(|| DEFAULT_BRIDGE.into());
    if let Some(p) = super::env::interface_name_problem(&bridge) {
        return Err(CniError::invalid_config(format!(
            "bridge name {bridge:?} {p}"
        )));
    }
    Ok(bridge)
}

/// `vethPrefix`, [`names::DEFAULT_VETH_PREFIX`] unless set.
fn veth_prefix(prefix: Option<String>) -> Result<String, CniError> {
    let prefix = prefix.unwrap_or_else(|| names::DEFAULT_VETH_PREFIX.into());
    if let Some(p) = names::veth_prefix_problem(&prefix) {
        return Err(CniError::invalid_config(p));
    }
    Ok(prefix)
}

/// `ipMasqBackend`: `None` (unset or empty) lets the plugin choose.
fn masq_backend_of(backend: Option<&str>) -> Result<Option<MasqBackend>, CniError> {
    match backend {
        None | Some("") => Ok(None),
        Some("nftables") => Ok(Some(MasqBackend::Nftables)),
        Some("iptables") => Ok(Some(MasqBackend::Iptables)),
        Some(other) => Err(CniError::invalid_config(format!(
            "unknown ipMasqBackend {other:?}: expected \"nftables\" or \"iptables\""
        ))),
    }
}

/// `ptpGateway`, in any case: `onLink` (the default) or `proxyArp`.
fn ptp_gateway_of(gateway: Option<&str>) -> Result<PtpGateway, CniError> {
    match gateway.map(str::to_ascii_lowercase).as_deref() {
        None | Some("onlink") => Ok(PtpGateway::OnLink),
        Some("proxyarp") => Ok(PtpGateway::ProxyArp),
        Some(_) => Err(CniError::invalid_config(format!(
            "unknown ptpGateway {:?}: expected \"onLink\" or \"proxyArp\"",
            gateway.unwrap_or_default()
        ))),
    }
}

/// Where addresses come from, by `ipam.type`; ptp mode needs some.
fn ipam_of(raw: &Value, mode: Mode, cni_args_ip: Option<&str>) -> Result<Ipam, CniError> {
    let ipam = match ipam_type(raw)? {
        "" => Ipam::None,
        "host-local" | "podnet" => Ipam::HostLocal(ipam::parse(raw, cni_args_ip)?),
        other => {
            if other.contains('/') || other.starts_with('.') {
                return Err(CniError::invalid_config(format!(
                    "invalid ipam type {other:?}"
                )));
            }
            Ipam::Delegated(other.to_string())
        }
    };
    if mode == Mode::Ptp && ipam == Ipam::None {
        return Err(CniError::invalid_config(
            "ptp mode needs an ipam section with a type",
        ));
    }
    Ok(ipam)
}

/// `prevResult` (absent or null: none); one that is not a result is code 6.
fn prev_result(raw: &Value) -> Result<Option<CniResult>, CniError> {
    match raw.get("prevResult").filter(|v| !v.is_null()) {
        Some(p) => Ok(Some(CniResult::from_json(p).map_err(|e| {
            CniError::new(codes::DECODE_FAILURE, "cannot parse prevResult")
                .with_details(e.to_string())
        })?)),
        None => Ok(None),
    }
}

/// `cni.dev/valid-attachments` (absent or null: none).
fn valid_attachments(raw: &Value) -> Result<Option<Vec<Attachment>>, CniError> {
    match raw
        .get("cni.dev/valid-attachments")
        .filter(|v| !v.is_null())
    {
        Some(v) => Ok(Some(Vec::<Attachment>::deserialize(v).map_err(|e| {
            CniError::invalid_config(format!("invalid cni.dev/valid-attachments: {e}"))
        })?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(v: Value) -> Result<PluginConf, CniError> {
        parse(v.to_string().as_bytes(), None)
    }

    fn base() -> Value {
        json!({"cniVersion": "1.0.0", "name": "net1", "type": "podnet",
               "ipam": {"type": "host-local", "subnet": "10.88.0.0/16"}})
    }

    #[test]
    fn defaults() {
        let c = p(base()).unwrap();
        assert_eq!(c.mode, Mode::Bridge);
        assert_eq!(c.bridge, "cni0");
        assert_eq!(c.veth_prefix, "pnet");
        assert_eq!(c.ptp_gateway, PtpGateway::OnLink);
        assert!(matches!(c.ipam, Ipam::HostLocal(_)));
        assert!(!c.is_gateway);
        let mut v = base();
        v["isDefaultGateway"] = json!(true);
        assert!(p(v).unwrap().is_gateway);
    }

    #[test]
    fn error_codes_for_each_problem() {
        let cases: Vec<(Vec<u8>, u32)> = vec![
            (b"{".to_vec(), codes::DECODE_FAILURE),
            (b"[]".to_vec(), codes::DECODE_FAILURE),
            (
                json!({"cniVersion": "2.0.0", "name": "n"})
                    .to_string()
                    .into_bytes(),
                codes::INCOMPATIBLE_VERSION,
            ),
            (
                json!({"name": "n"}).to_string().into_bytes(),
                codes::INCOMPATIBLE_VERSION,
            ),
            (
                json!({"cniVersion": "1.0.0", "name": "a/b"})
                    .to_string()
                    .into_bytes(),
                codes::INVALID_CONFIG,
            ),
            (
                json!({"cniVersion": "1.0.0"}).to_string().into_bytes(),
                codes::INVALID_CONFIG,
            ),
        ];
        for (stdin, code) in cases {
            assert_eq!(
                parse(&stdin, None).unwrap_err().code,
                code,
                "{}",
                String::from_utf8_lossy(&stdin)
            );
        }
        for (key, val, code) in [
            ("mode", json!("ipvlan"), codes::INVALID_CONFIG),
            ("mtu", json!(20), codes::INVALID_CONFIG),
            ("mtu", json!("big"), codes::INVALID_CONFIG),
            (
                "bridge",
                json!("a-very-long-bridge-name"),
                codes::INVALID_CONFIG,
            ),
            ("vethPrefix", json!("waytoolong"), codes::INVALID_CONFIG),
            ("vethPrefix", json!("p%d"), codes::INVALID_CONFIG),
            ("bridge", json!("br%d"), codes::INVALID_CONFIG),
            ("bridge", json!("br\u{1b}]0;x\u{7}"), codes::INVALID_CONFIG),
            ("bridge", json!(""), codes::INVALID_CONFIG),
            ("bridge", json!(7), codes::INVALID_CONFIG),
            ("ipam", json!("host-local"), codes::INVALID_CONFIG),
            ("ipam", json!(["host-local"]), codes::INVALID_CONFIG),
            ("ipam", json!({"type": 5}), codes::INVALID_CONFIG),
            (
                "ipam",
                json!({"type": "host-local", "subnet": "0.0.0.0/0"}),
                codes::INVALID_CONFIG,
            ),
            ("dns", json!("8.8.8.8"), codes::INVALID_CONFIG),
            ("mtu", json!(1e300), codes::INVALID_CONFIG),
            ("mtu", json!(-1), codes::INVALID_CONFIG),
            ("ipMasqBackend", json!("pf"), codes::INVALID_CONFIG),
            ("ptpGateway", json!("bgp"), codes::INVALID_CONFIG),
            ("vlan", json!(100), codes::UNSUPPORTED_FIELD),
            ("macspoofchk", json!(true), codes::UNSUPPORTED_FIELD),
            (
                "prevResult",
                json!({"ips": [{"address": "x"}]}),
                codes::DECODE_FAILURE,
            ),
            (
                "cni.dev/valid-attachments",
                json!([{"nope": 1}]),
                codes::INVALID_CONFIG,
            ),
        ] {
            let mut v = base();
            v[key] = val.clone();
            assert_eq!(p(v).unwrap_err().code, code, "{key}={val}");
        }
        let mut v = base();
        v["hairpinMode"] = json!(true);
        v["promiscMode"] = json!(true);
        assert_eq!(p(v).unwrap_err().code, codes::INVALID_CONFIG);
        let mut v = base();
        v["mode"] = json!("ptp");
        v["ipam"] = json!({});
        assert_eq!(p(v).unwrap_err().code, codes::INVALID_CONFIG);
    }

    #[test]
    fn ipam_kinds() {
        let mut v = base();
        v["ipam"] = json!({"type": "static", "addresses": []});
        assert_eq!(p(v).unwrap().ipam, Ipam::Delegated("static".into()));
        let mut v = base();
        v["ipam"] = json!({});
        assert_eq!(p(v).unwrap().ipam, Ipam::None);
        let mut v = base();
        v["ipam"] = Value::Null;
        assert_eq!(p(v).unwrap().ipam, Ipam::None);
        let mut v = base();
        v["ipam"] = json!({"type": "../../bin/sh"});
        assert!(p(v).is_err());
        let mut v = base();
        v["ipam"] = json!({"type": "podnet", "ranges": [[{"subnet": "10.0.0.0/24"}]]});
        assert!(matches!(p(v).unwrap().ipam, Ipam::HostLocal(_)));
    }

    #[test]
    fn reads_prev_result_and_valid_attachments() {
        let mut v = base();
        v["prevResult"] = json!({"cniVersion": "1.0.0", "ips": [{"address": "10.88.0.2/16"}]});
        v["cni.dev/valid-attachments"] = json!([{"containerID": "a", "ifname": "eth0"}]);
        let c = p(v).unwrap();
        assert_eq!(c.prev_result.unwrap().ips.len(), 1);
        assert_eq!(c.valid_attachments.unwrap()[0].container_id, "a");
    }

    #[test]
    fn error_version_follows_the_config() {
        assert_eq!(error_version(br#"{"cniVersion":"0.4.0"}"#), "0.4.0");
        assert_eq!(error_version(br#"{"cniVersion":"9.9.9"}"#), "1.1.0");
        assert_eq!(error_version(b"{"), "1.1.0");
        assert_eq!(error_version(br#"{"cniVersion":4}"#), "1.1.0");
    }

    #[test]
    fn each_phase_reads_its_keys() {
        assert_eq!(mode_of(None).unwrap(), Mode::Bridge);
        assert_eq!(mode_of(Some("ptp")).unwrap(), Mode::Ptp);
        assert_eq!(
            mode_of(Some("macvlan")).unwrap_err().code,
            codes::INVALID_CONFIG
        );
        assert_eq!(bridge_name(None).unwrap(), DEFAULT_BRIDGE);
        assert!(bridge_name(Some("a/b".into())).is_err());
        assert_eq!(veth_prefix(None).unwrap(), names::DEFAULT_VETH_PREFIX);
        assert!(veth_prefix(Some("much-too-long".into())).is_err());
        assert_eq!(masq_backend_of(Some("")).unwrap(), None);
        assert_eq!(
            masq_backend_of(Some("iptables")).unwrap(),
            Some(MasqBackend::Iptables)
        );
        assert!(masq_backend_of(Some("pf")).is_err());
        assert_eq!(ptp_gateway_of(None).unwrap(), PtpGateway::OnLink);
        assert_eq!(
            ptp_gateway_of(Some("ProxyARP")).unwrap(),
            PtpGateway::ProxyArp
        );
        // the error names the value as it was written
        let e = ptp_gateway_of(Some("Bogus")).unwrap_err();
        assert!(e.msg.contains("\"Bogus\""), "{}", e.msg);
    }

    #[test]
    fn unsupported_and_conflicting_options_are_refused_in_order() {
        let rc = |v: Value| RawConf::deserialize(&v).unwrap();
        let vlan = refuse_unsupported(&rc(json!({"vlan": 5, "macspoofchk": true})));
        assert_eq!(vlan.unwrap_err().code, codes::UNSUPPORTED_FIELD);
        assert!(refuse_unsupported(&rc(json!({"vlan": 0}))).is_ok());
        let both = check_link_options(&rc(
            json!({"hairpinMode": true, "promiscMode": true, "mtu": 1}),
        ));
        assert!(both.unwrap_err().msg.contains("hairpin"));
        assert!(check_link_options(&rc(json!({"mtu": 67}))).is_err());
        assert!(check_link_options(&rc(json!({"mtu": 68}))).is_ok());
    }

    #[test]
    fn ipam_prev_result_and_attachments_phases() {
        assert_eq!(ipam_of(&json!({}), Mode::Bridge, None).unwrap(), Ipam::None);
        assert_eq!(
            ipam_of(&json!({"ipam": {}}), Mode::Ptp, None)
                .unwrap_err()
                .code,
            codes::INVALID_CONFIG
        );
        assert_eq!(
            ipam_of(&json!({"ipam": {"type": "dhcp"}}), Mode::Ptp, None).unwrap(),
            Ipam::Delegated("dhcp".into())
        );
        assert!(ipam_of(&json!({"ipam": {"type": "../x"}}), Mode::Bridge, None).is_err());
        assert_eq!(prev_result(&json!({"prevResult": null})).unwrap(), None);
        assert_eq!(
            prev_result(&json!({"prevResult": {"ips": "x"}}))
                .unwrap_err()
                .code,
            codes::DECODE_FAILURE
        );
        assert_eq!(valid_attachments(&json!({})).unwrap(), None);
        assert!(valid_attachments(&json!({"cni.dev/valid-attachments": "x"})).is_err());
        assert_eq!(network_name(&json!({"name": "n-1.a"})).unwrap(), "n-1.a");
        assert!(network_name(&json!({"name": 5})).is_err());
    }
}
