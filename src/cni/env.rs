//! The CNI invocation read from the environment (CNI_COMMAND,
//! CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH) and its
//! validation per command. Pure: the caller passes a lookup function.

use std::path::PathBuf;

use super::error::{CniError, codes};

/// The CNI operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Add,
    Del,
    Check,
    Version,
    Status,
    Gc,
}

impl Command {
    pub fn parse(s: &str) -> Option<Command> {
        Some(match s {
            "ADD" => Command::Add,
            "DEL" => Command::Del,
            "CHECK" => Command::Check,
            "VERSION" => Command::Version,
            "STATUS" => Command::Status,
            "GC" => Command::Gc,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Command::Add => "ADD",
            Command::Del => "DEL",
            Command::Check => "CHECK",
            Command::Version => "VERSION",
            Command::Status => "STATUS",
            Command::Gc => "GC",
        }
    }

    /// The variables the specification requires for this command.
    fn required(self) -> &'static [&'static str] {
        match self {
            Command::Add | Command::Check => &["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"],
            Command::Del => &["CNI_CONTAINERID", "CNI_IFNAME"],
            Command::Version | Command::Status | Command::Gc => &[],
        }
    }
}

/// One plugin invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub command: Command,
    pub container_id: String,
    /// Empty when not given (DEL may omit it).
    pub netns: String,
    pub ifname: String,
    /// CNI_ARGS as key/value pairs, in order.
    pub args: Vec<(String, String)>,
    /// CNI_PATH split on ':'.
    pub path: Vec<PathBuf>,
    /// CNI_PATH as given (passed on to delegated plugins).
    pub path_raw: String,
}

impl Invocation {
    /// The value of a CNI_ARGS key.
    pub fn arg(&self, key: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// `namespace/name` of the pod from the K8S_POD_* args, if both are set.
    pub fn pod(&self) -> Option<(&str, &str)> {
        Some((self.arg("K8S_POD_NAMESPACE")?, self.arg("K8S_POD_NAME")?))
    }
}

/// Whether `s` is a valid container ID: alphanumeric first, then
/// alphanumerics, `_`, `.` or `-`.
pub fn valid_container_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Why an interface name cannot be used, if it cannot (the kernel's rules,
/// see [`super::names::kernel_name_problem`]).
pub fn interface_name_problem(s: &str) -> Option<&'static str> {
    super::names::kernel_name_problem(s)
}

/// Parses CNI_ARGS (`K=V;K=V`); an item without `=` is an error.
pub fn parse_args(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for item in s.split(';').filter(|i| !i.is_empty()) {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| format!("CNI_ARGS item {item:?} is not KEY=VALUE"))?;
        if k.is_empty() {
            return Err(format!("CNI_ARGS item {item:?} has an empty key"));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Reads and validates the invocation. `get` looks a variable up (empty
/// values count as missing).
pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Invocation, CniError> {
    let val = |k: &str| get(k).filter(|v| !v.is_empty());
    let invalid = |msg: String| CniError::new(codes::INVALID_ENVIRONMENT, msg);
    let raw_cmd = val("CNI_COMMAND")
        .ok_or_else(|| invalid("required env variables [CNI_COMMAND] missing".into()))?;
    let command = Command::parse(&raw_cmd).ok_or_else(|| {
        invalid(format!(
            "unknown CNI_COMMAND {raw_cmd:?}: expected ADD, DEL, CHECK, VERSION, STATUS or GC"
        ))
    })?;
    let missing: Vec<&str> = command
        .required()
        .iter()
        .copied()
        .filter(|k| val(k).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "required env variables [{}] missing",
            missing.join(" ")
        )));
    }
    let container_id = val("CNI_CONTAINERID").unwrap_or_default();
    if !container_id.is_empty() && !valid_container_id(&container_id) {
        return Err(invalid(format!(
            "CNI_CONTAINERID {container_id:?} is invalid: it must start with a letter or digit, then letters, digits, '_', '.' or '-'"
        )));
    }
    let ifname = val("CNI_IFNAME").unwrap_or_default();
    if !ifname.is_empty()
        && let Some(problem) = interface_name_problem(&ifname)
    {
        return Err(invalid(format!("CNI_IFNAME {ifname:?} {problem}")));
    }
    let args = parse_args(&val("CNI_ARGS").unwrap_or_default()).map_err(invalid)?;
    let path_raw = val("CNI_PATH").unwrap_or_default();
    let path = path_raw
        .split(':')
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect();
    Ok(Invocation {
        command,
        container_id,
        netns: val("CNI_NETNS").unwrap_or_default(),
        ifname,
        args,
        path,
        path_raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn reads_a_full_add() {
        let inv = from_env(env(&[
            ("CNI_COMMAND", "ADD"),
            ("CNI_CONTAINERID", "abc-1.x_y"),
            ("CNI_NETNS", "/run/netns/a"),
            ("CNI_IFNAME", "eth0"),
            ("CNI_PATH", "/opt/cni/bin:/usr/lib/cni"),
            (
                "CNI_ARGS",
                "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0",
            ),
        ]))
        .unwrap();
        assert_eq!(inv.command, Command::Add);
        assert_eq!(inv.pod(), Some(("default", "web-0")));
        assert_eq!(inv.path.len(), 2);
        assert_eq!(inv.arg("IgnoreUnknown"), Some("1"));
    }

    #[test]
    fn names_every_missing_variable() {
        let e = from_env(env(&[("CNI_COMMAND", "ADD"), ("CNI_IFNAME", "eth0")])).unwrap_err();
        assert_eq!(e.code, codes::INVALID_ENVIRONMENT);
        assert_eq!(
            e.msg,
            "required env variables [CNI_CONTAINERID CNI_NETNS] missing"
        );
        // DEL needs no netns
        assert!(
            from_env(env(&[
                ("CNI_COMMAND", "DEL"),
                ("CNI_CONTAINERID", "a"),
                ("CNI_IFNAME", "eth0")
            ]))
            .is_ok()
        );
        // VERSION, STATUS and GC need nothing
        for c in ["VERSION", "STATUS", "GC"] {
            assert!(from_env(env(&[("CNI_COMMAND", c)])).is_ok(), "{c}");
        }
    }

    #[test]
    fn refuses_bad_values() {
        for (k, v) in [
            ("CNI_COMMAND", "PUT"),
            ("CNI_CONTAINERID", "-abc"),
            ("CNI_CONTAINERID", "a/b"),
            ("CNI_IFNAME", "this-name-is-too-long"),
            ("CNI_IFNAME", "a/b"),
            ("CNI_IFNAME", "eth%d"),
            ("CNI_IFNAME", "e\u{1b}[2J"),
            ("CNI_ARGS", "novalue"),
        ] {
            let mut pairs = vec![
                ("CNI_COMMAND", "ADD"),
                ("CNI_CONTAINERID", "abc"),
                ("CNI_NETNS", "/run/netns/a"),
                ("CNI_IFNAME", "eth0"),
            ];
            pairs.retain(|(pk, _)| *pk != k);
            pairs.push((k, v));
            let e = from_env(env(&pairs)).unwrap_err();
            assert_eq!(e.code, codes::INVALID_ENVIRONMENT, "{k}={v}");
        }
        assert!(from_env(env(&[])).is_err());
    }
}
