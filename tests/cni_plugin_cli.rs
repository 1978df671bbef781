//! podnet in plugin mode, where no privilege is needed: the CNI
//! environment (not argv) selects plugin mode; VERSION; and every error
//! that is found before anything is plumbed comes out as a CNI error
//! object on stdout with its code and exit status 1. Nothing here touches
//! a network namespace.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::PODNET;
use serde_json::{Value, json};

fn plugin(env: &[(&str, &str)], stdin: &[u8]) -> (Option<i32>, Value, String) {
    let mut cmd = Command::new(PODNET);
    for (k, _) in std::env::vars() {
        if k.starts_with("CNI_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .arg("--these-args-are-ignored-in-plugin-mode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn add_env(netns: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CNI_COMMAND", "ADD".into()),
        ("CNI_CONTAINERID", "abc".into()),
        ("CNI_NETNS", netns.into()),
        ("CNI_IFNAME", "eth0".into()),
        ("CNI_PATH", "/usr/lib/cni".into()),
    ]
}

fn conf() -> Value {
    json!({"cniVersion": "1.0.0", "name": "n", "type": "podnet",
           "ipam": {"type": "host-local", "subnet": "10.1.0.0/24", "dataDir": "/run/podnet-test-unused"}})
}

#[test]
fn version_lists_what_podnet_speaks() {
    let (code, v, _) = plugin(&[("CNI_COMMAND", "VERSION")], br#"{"cniVersion":"0.4.0"}"#);
    assert_eq!(code, Some(0));
    assert_eq!(
        v,
        json!({"cniVersion": "0.4.0", "supportedVersions": ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]})
    );
}

/// Environment, stdin, the CNI code expected, a word of its message.
type Case<'a> = (Vec<(&'a str, String)>, Vec<u8>, u64, &'a str);

#[test]
fn errors_before_plumbing_have_their_codes() {
    let gone = "/run/netns/podnet-test-this-netns-does-not-exist";
    let base = add_env(gone);
    let cases: Vec<Case<'_>> = vec![
        (
            base.clone(),
            conf().to_string().into_bytes(),
            3,
            "does not exist",
        ),
        (base.clone(), b"{\"cniVersion\":".to_vec(), 6, "unmarshall"),
        (
            base.clone(),
            json!({"cniVersion": "9.9.9", "name": "n", "type": "podnet"})
                .to_string()
                .into_bytes(),
            1,
            "incompatible",
        ),
        (
            base.clone(),
            json!({"cniVersion": "1.0.0", "name": "n", "type": "podnet", "mode": "macvlan"})
                .to_string()
                .into_bytes(),
            7,
            "unknown mode",
        ),
        (
            base.clone(),
            json!({"cniVersion": "1.0.0", "name": "n", "type": "podnet", "vlanTrunk": [1]})
                .to_string()
                .into_bytes(),
            2,
            "vlanTrunk",
        ),
        (
            vec![("CNI_COMMAND", "ADD".into())],
            conf().to_string().into_bytes(),
            4,
            "CNI_CONTAINERID CNI_NETNS CNI_IFNAME",
        ),
        (
            vec![("CNI_COMMAND", "FROB".into())],
            conf().to_string().into_bytes(),
            4,
            "FROB",
        ),
    ];
    for (env, stdin, code, word) in cases {
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, v, stderr) = plugin(&pairs, &stdin);
        assert_eq!(status, Some(1), "{v} {stderr}");
        assert_eq!(v["code"], code, "{v}");
        let text = format!("{} {}", v["msg"], v["details"]);
        assert!(text.contains(word), "{word}: {v}");
        assert!(v["cniVersion"].is_string(), "{v}");
        assert!(
            stderr.starts_with(&format!("podnet: CNI error {code}:")),
            "{stderr}"
        );
    }
}

#[test]
fn the_error_speaks_the_config_version() {
    let mut c = conf();
    c["cniVersion"] = json!("0.4.0");
    let env = add_env("/run/netns/podnet-test-gone");
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, v, _) = plugin(&pairs, c.to_string().as_bytes());
    assert_eq!(v["cniVersion"], "0.4.0");
}

#[test]
fn status_reports_an_unusable_data_dir() {
    // a file where the dataDir's parent should be: even root cannot create it
    let f = tempfile::NamedTempFile::new().unwrap();
    let mut c = conf();
    c["ipam"]["dataDir"] = json!(f.path().join("sub"));
    let (code, v, _) = plugin(&[("CNI_COMMAND", "STATUS")], c.to_string().as_bytes());
    assert_eq!(code, Some(1));
    assert_eq!(v["code"], 50, "{v}");
    let dir = tempfile::tempdir().unwrap();
    let mut c = conf();
    c["ipam"]["dataDir"] = json!(dir.path());
    let (code, v, _) = plugin(&[("CNI_COMMAND", "STATUS")], c.to_string().as_bytes());
    assert_eq!(code, Some(0), "{v}");
    assert!(
        dir.path().join("n/lock").exists(),
        "the store is the one host-local uses"
    );
}
