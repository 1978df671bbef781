//! CNI error results: the specification's well-known codes, podnet's own
//! (100 and up), the JSON object a plugin prints on failure, and the words
//! configuration errors use for a JSON value's type. No I/O.

use std::fmt;

use serde_json::{Value, json};

/// Error codes: 1–99 are the specification's, 100+ are podnet's.
pub mod codes {
    /// Incompatible CNI version.
    pub const INCOMPATIBLE_VERSION: u32 = 1;
    /// A field podnet knows but does not support (the message names key and value).
    pub const UNSUPPORTED_FIELD: u32 = 2;
    /// The container (its network namespace) is unknown or gone.
    pub const UNKNOWN_CONTAINER: u32 = 3;
    /// A CNI_* environment variable is missing or invalid.
    pub const INVALID_ENVIRONMENT: u32 = 4;
    /// Reading stdin or writing stdout failed.
    pub const IO_FAILURE: u32 = 5;
    /// stdin is not JSON (or a result could not be decoded).
    pub const DECODE_FAILURE: u32 = 6;
    /// The network configuration is invalid.
    pub const INVALID_CONFIG: u32 = 7;
    /// A transient condition: retry later.
    pub const TRY_AGAIN_LATER: u32 = 11;
    /// STATUS: the plugin cannot serve ADD requests.
    pub const NOT_AVAILABLE: u32 = 50;
    /// STATUS: not available, and existing containers may be affected.
    pub const NOT_AVAILABLE_DEGRADED: u32 = 51;

    /// A kernel operation (netlink, sysctl, firewall) failed.
    pub const KERNEL: u32 = 100;
    /// The interface already exists in the container.
    pub const INTERFACE_EXISTS: u32 = 101;
    /// No free address left in a range set.
    pub const RANGE_EXHAUSTED: u32 = 102;
    /// A requested address cannot be given (taken, gateway, outside the ranges).
    pub const ADDRESS_UNAVAILABLE: u32 = 103;
    /// CHECK found the attachment different from prevResult.
    pub const CHECK_FAILED: u32 = 104;
    /// A delegated plugin could not be found or run.
    pub const DELEGATE_FAILED: u32 = 105;
    /// The IPAM store (dataDir) could not be read or written.
    pub const IPAM_STORE: u32 = 106;
    /// The attachment already has addresses: ADD twice without DEL.
    pub const DUPLICATE_ATTACHMENT: u32 = 107;
    /// A host-side link with the attachment's name exists and is not ours.
    pub const HOST_NAME_TAKEN: u32 = 108;

    /// The runtime's own: a plugin failed without printing an error object.
    pub const NO_ERROR_OBJECT: u32 = 999;
}

/// A CNI error result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CniError {
    pub code: u32,
    pub msg: String,
    pub details: String,
}

impl CniError {
    pub fn new(code: u32, msg: impl Into<String>) -> Self {
        CniError {
            code,
            msg: msg.into(),
            details: String::new(),
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = details.into();
        self
    }

    pub fn invalid_config(msg: impl Into<String>) -> Self {
        CniError::new(codes::INVALID_CONFIG, msg)
    }

    pub fn kernel(msg: impl Into<String>) -> Self {
        CniError::new(codes::KERNEL, msg)
    }

    /// The error object printed on stdout (`details` only when set).
    pub fn to_json(&self, cni_version: &str) -> Value {
        let mut v = json!({
            "cniVersion": cni_version,
            "code": self.code,
            "msg": self.msg,
        });
        if !self.details.is_empty() {
            v["details"] = json!(self.details);
        }
        v
    }

    /// Reads an error object another plugin printed; `None` if it is not one.
    pub fn from_json(v: &Value) -> Option<CniError> {
        let code = u32::try_from(v.get("code")?.as_u64()?).ok()?;
        Some(CniError {
            code,
            msg: v.get("msg").and_then(Value::as_str).unwrap_or("").into(),
            details: v
                .get("details")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
        })
    }
}

impl fmt::Display for CniError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.msg)?;
        if !self.details.is_empty() {
            write!(f, " ({})", self.details)?;
        }
        write!(f, " [CNI error {}]", self.code)
    }
}

impl std::error::Error for CniError {}

/// Why a document of the wing — a network configuration list, a libcni
/// cache entry — cannot be used: what is wrong with it, or why it could
/// not be read. Displays as that message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocError(pub String);

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DocError {}

/// The JSON type of a value, in words ("a string", "null"), for messages
/// that name what a configuration key holds instead of what it must.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_json_round_trips() {
        let e = CniError::invalid_config("bad").with_details("why");
        let v = e.to_json("1.1.0");
        assert_eq!(v["cniVersion"], "1.1.0");
        assert_eq!(v["code"], 7);
        assert_eq!(CniError::from_json(&v), Some(e));
        let plain = CniError::new(codes::KERNEL, "x").to_json("1.0.0");
        assert!(plain.get("details").is_none());
        assert_eq!(CniError::from_json(&json!({"msg": "no code"})), None);
    }

    #[test]
    fn json_kinds_are_words() {
        let kinds: Vec<&str> = [
            json!(null),
            json!(true),
            json!(1),
            json!("x"),
            json!([]),
            json!({}),
        ]
        .iter()
        .map(json_kind)
        .collect();
        assert_eq!(
            kinds,
            [
                "null",
                "a boolean",
                "a number",
                "a string",
                "an array",
                "an object"
            ]
        );
    }
}
