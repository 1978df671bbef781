//! The arguments of `podnet cni add`, checked before anything runs: the pod
//! (`namespace/name`), the interface name, port mappings (`--publish`) as
//! the `portMappings` capability, a requested address as CNI_ARGS `IP`.
//! No I/O.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// `namespace/name` (or `name`, in `default`) of a pod.
pub fn parse_pod(s: &str) -> Result<(String, String)> {
    let (ns, name) = match s.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => ("default".to_string(), s.to_string()),
    };
    let ok = |x: &str| {
        !x.is_empty()
            && x.len() <= 253
            && x.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    };
    if !ok(&ns) || !ok(&name) {
        return Err(Error::Usage(format!(
            "invalid pod {s:?}: expected namespace/name (letters, digits, '-', '.', '_')"
        )));
    }
    Ok((ns, name))
}

/// A `HOST:CONTAINER[/PROTO]` port mapping as the portMappings capability wants it.
pub fn parse_port_mapping(s: &str) -> Result<Value> {
    let bad = || {
        Error::Usage(format!(
            "invalid port mapping {s:?}: expected HOST:CONTAINER[/tcp|udp|sctp]"
        ))
    };
    let (ports, proto) = match s.split_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (s, "tcp".to_string()),
    };
    if !["tcp", "udp", "sctp"].contains(&proto.as_str()) {
        return Err(bad());
    }
    let (h, c) = ports.split_once(':').ok_or_else(bad)?;
    let h: u16 = h.parse().map_err(|_| bad())?;
    let c: u16 = c.parse().map_err(|_| bad())?;
    if h == 0 || c == 0 {
        return Err(bad());
    }
    Ok(json!({"hostPort": h, "containerPort": c, "protocol": proto}))
}

/// The pod's interface name (`--ifname`), which must be one the kernel takes.
pub fn check_ifname(ifname: &str) -> Result<()> {
    match super::env::interface_name_problem(ifname) {
        Some(p) => Err(Error::Usage(format!("--ifname {ifname:?} {p}"))),
        None => Ok(()),
    }
}

/// The capability arguments of `--publish` mappings: `portMappings`, when
/// there are any.
pub fn capability_args(publish: &[String]) -> Result<Map<String, Value>> {
    let mut args = Map::new();
    if !publish.is_empty() {
        let maps = publish
            .iter()
            .map(|p| parse_port_mapping(p))
            .collect::<Result<Vec<Value>>>()?;
        args.insert("portMappings".into(), Value::Array(maps));
    }
    Ok(args)
}

/// The extra CNI_ARGS of a requested address (`--ip`): `IP`.
pub fn extra_args(ip: Option<&str>) -> Result<Vec<(String, String)>> {
    let mut args = Vec::new();
    if let Some(ip) = ip {
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(Error::Usage(format!("--ip {ip:?} is not an IP address")));
        }
        args.push(("IP".to_string(), ip.to_string()));
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_are_namespace_and_name() {
        assert_eq!(
            parse_pod("web").unwrap(),
            ("default".to_string(), "web".to_string())
        );
        assert_eq!(
            parse_pod("prod/api-1").unwrap(),
            ("prod".to_string(), "api-1".to_string())
        );
        for bad in ["", "a/", "/b", "a b", "a/b/c"] {
            assert!(parse_pod(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn port_mappings_become_the_capability() {
        assert_eq!(
            parse_port_mapping("8080:80").unwrap(),
            json!({"hostPort": 8080, "containerPort": 80, "protocol": "tcp"})
        );
        assert_eq!(parse_port_mapping("53:53/UDP").unwrap()["protocol"], "udp");
        for bad in ["80", "0:80", "80:0", "x:80", "80:80/icmp", "70000:80"] {
            assert!(parse_port_mapping(bad).is_err(), "{bad:?}");
        }
        assert!(capability_args(&[]).unwrap().is_empty());
        let args = capability_args(&["1:2".into(), "3:4/sctp".into()]).unwrap();
        assert_eq!(args["portMappings"].as_array().map(Vec::len), Some(2));
        assert!(capability_args(&["1:2".into(), "bad".into()]).is_err());
    }

    #[test]
    fn interface_names_and_requested_addresses() {
        assert!(check_ifname("eth0").is_ok());
        let e = check_ifname("much-too-long-name").unwrap_err();
        assert!(matches!(e, Error::Usage(m) if m.starts_with("--ifname \"much-too-long-name\"")));
        assert!(extra_args(None).unwrap().is_empty());
        assert_eq!(
            extra_args(Some("10.1.0.9")).unwrap(),
            [("IP".to_string(), "10.1.0.9".to_string())]
        );
        assert!(matches!(extra_args(Some("10.1.0")), Err(Error::Usage(_))));
    }
}
