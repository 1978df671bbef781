//! The plumbing kit's documents as typed structs: an attachment, a
//! CHECK outcome, gc's report, and the `cni ls`, `cni check` and `cni del`
//! wrappers. No I/O. Their keys are in alphabetical order, and the
//! nested runtime structs are serialised through `serde_json::Value`
//! (whose maps sort their keys), so the bytes are those the commands have
//! always printed; docs/json.md and docs/cni.md describe them.

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::cni::gc::{Finding, Kind, SandboxState};

/// Serialises `v` as a `serde_json::Value` would be: object keys sorted.
fn sorted<T: Serialize, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    serde_json::to_value(v)
        .map_err(serde::ser::Error::custom)?
        .serialize(s)
}

/// `cni ls -o json`: every cached attachment, and what could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct CniList {
    #[serde(serialize_with = "sorted")]
    pub attachments: Vec<AttachmentInfo>,
    pub warnings: Vec<String>,
}

/// `cni check -o json`: whether every attachment of the pod checks.
#[derive(Debug, Clone, Serialize)]
pub struct CniChecked {
    #[serde(serialize_with = "sorted")]
    pub attachments: Vec<CheckOutcome>,
    pub ok: bool,
    pub pod: String,
}

/// `cni del -o json`: the pod's sandbox and the attachments deleted.
#[derive(Debug, Clone, Serialize)]
pub struct CniDeleted {
    pub deleted: Vec<DeletedAttachment>,
    pub pod: String,
    pub sandbox_id: String,
}

/// One attachment `cni del` deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeletedAttachment {
    pub ifname: String,
    pub network: String,
}

/// One attachment (a cache entry), as `add` made it or `ls` found it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct AttachmentInfo {
    pub pod: Option<String>,
    pub uid: Option<String>,
    pub sandbox_id: String,
    pub network: String,
    pub ifname: String,
    pub plugins: Vec<String>,
    pub netns: Option<String>,
    pub pause_pid: Option<i32>,
    pub state: SandboxState,
    pub ips: Vec<String>,
    pub cache_file: String,
    /// The cached CNI result (in the CNI specification's own format).
    pub result: Option<Value>,
}

/// The outcome of CHECK for one attachment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct CheckOutcome {
    pub network: String,
    pub ifname: String,
    pub ok: bool,
    pub problem: Option<String>,
    pub skipped: Option<String>,
}

/// Something `gc` found dead.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct Leak {
    /// `cache`, `netns`, `ipam`, `veth` or `firewall`.
    pub kind: Kind,
    pub object: String,
    pub pod: Option<String>,
    pub reason: String,
    pub removed: bool,
    pub error: Option<String>,
}

/// A CNI GC call made (or, with dry run, that would be made).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct GcCall {
    pub network: String,
    pub plugins: Vec<String>,
    pub valid_attachments: usize,
    pub error: Option<String>,
    /// Why the call is not made (then nothing was asked of the plugins).
    pub skipped: Option<String>,
}

/// What `gc` found and did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct GcReport {
    pub dry_run: bool,
    pub leaks: Vec<Leak>,
    /// What may be alive and was left alone, and why.
    pub kept: Vec<Finding>,
    pub gc_calls: Vec<GcCall>,
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcomes() -> Vec<CheckOutcome> {
        vec![CheckOutcome {
            network: "pods".into(),
            ifname: "eth0".into(),
            ok: false,
            problem: Some("gone".into()),
            skipped: None,
        }]
    }

    fn pretty(v: &impl Serialize) -> String {
        serde_json::to_string_pretty(v).unwrap()
    }

    /// The documents are the bytes the commands' `json!` made.
    #[test]
    fn the_documents_keep_their_bytes() {
        let del = CniDeleted {
            deleted: vec![DeletedAttachment {
                ifname: "eth0".into(),
                network: "pods".into(),
            }],
            pod: "default/web".into(),
            sandbox_id: "abc".into(),
        };
        let old = json!({"pod": "default/web", "sandbox_id": "abc",
            "deleted": [json!({"network": "pods", "ifname": "eth0"})]});
        assert_eq!(pretty(&del), pretty(&old));
        let check = CniChecked {
            attachments: outcomes(),
            ok: false,
            pod: "p".into(),
        };
        let old = json!({"pod": "p", "ok": false, "attachments": outcomes()});
        assert_eq!(pretty(&check), pretty(&old));
        // the nested outcome's keys are sorted, unlike the struct's own order
        assert!(pretty(&check).find("\"ifname\"") < pretty(&check).find("\"network\""));
        assert!(pretty(&outcomes()).find("\"ifname\"") > pretty(&outcomes()).find("\"network\""));
        let ls = CniList {
            attachments: Vec::new(),
            warnings: vec!["w".into()],
        };
        assert_eq!(
            pretty(&ls),
            pretty(&json!({"attachments": [], "warnings": ["w"]}))
        );
    }
}
