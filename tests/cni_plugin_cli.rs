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
    if !can_plumb() {
        // without privileges STATUS says podnet cannot serve ADD (see below)
        assert_eq!(v["code"], 50, "{v}");
        return;
    }
    assert_eq!(code, Some(0), "{v}");
    assert!(
        dir.path().join("n/lock").exists(),
        "the store is the one host-local uses"
    );
}

/// Whether this process has what ADD needs (CAP_NET_ADMIN, CAP_SYS_ADMIN).
fn can_plumb() -> bool {
    podnet::sys::caps::effective().is_ok_and(|m| m & (1 << 12) != 0 && m & (1 << 21) != 0)
}

/// The plugin run without privileges: as root, with every capability
/// dropped (`setpriv`), once as root's uid and once as nobody; as another
/// user, as it is.
fn unprivileged_plugins() -> Vec<Command> {
    if !common::is_root() {
        return vec![Command::new(PODNET)];
    }
    let drop_caps = ["--inh-caps=-all", "--bounding-set=-all"];
    let mut as_root = Command::new("setpriv");
    as_root.args(drop_caps).arg("--").arg(PODNET);
    let mut as_nobody = Command::new("setpriv");
    as_nobody
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .args(drop_caps)
        .arg("--")
        .arg(PODNET);
    vec![as_root, as_nobody]
}

#[test]
fn status_without_privileges_says_the_plugin_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let mut host_local = conf();
    host_local["ipam"]["dataDir"] = json!(dir.path());
    let layer2 = json!({"cniVersion": "1.1.0", "name": "n", "type": "podnet", "ipam": {}});
    for c in [host_local, layer2] {
        for mut cmd in unprivileged_plugins() {
            for (k, _) in std::env::vars() {
                if k.starts_with("CNI_") {
                    cmd.env_remove(k);
                }
            }
            cmd.env("CNI_COMMAND", "STATUS");
            let out = common::bounded::run(cmd, c.to_string().as_bytes(), &Default::default());
            let v = out.json();
            assert_eq!(out.code, Some(1), "{}", out.describe());
            assert!(
                matches!(v["code"].as_u64(), Some(50 | 51)),
                "{}",
                out.describe()
            );
            assert!(v["msg"].as_str().unwrap().contains("CAP_NET_ADMIN"), "{v}");
        }
    }
}

#[test]
fn an_oversized_configuration_is_refused_without_reading_it_whole() {
    // 119 MB grew the plugin to 3.7 GB: stdin is capped (1 MiB) and parsed once
    let limits = common::bounded::Limits {
        address_space: Some(2 << 30),
        ..Default::default()
    };
    for (len, code) in [(119 << 20, 5), ((1 << 20) + 1, 5)] {
        let mut cmd = Command::new(PODNET);
        cmd.env("CNI_COMMAND", "ADD")
            .env("CNI_CONTAINERID", "big")
            .env("CNI_NETNS", "/run/netns/podnet-test-gone")
            .env("CNI_IFNAME", "eth0");
        let out = common::bounded::run_fed(cmd, common::bounded::padded_conf(len), &limits);
        assert_eq!(out.code, Some(1), "{len} bytes: {}", out.describe());
        assert_eq!(out.json()["code"], code, "{len} bytes: {}", out.describe());
        assert!(
            out.max_rss_kib < 64 << 10,
            "{len} bytes: peak RSS {} KiB",
            out.max_rss_kib
        );
    }
    // just under the cap is read and parsed (then fails on the missing netns)
    let mut small = Vec::new();
    common::bounded::padded_conf((1 << 20) - 100)(&mut small).unwrap();
    let (code, v, _) = plugin(
        &add_env("/run/netns/podnet-test-gone")
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
        &small,
    );
    assert_eq!((code, v["code"].as_u64()), (Some(1), Some(3)), "{v}");
}

#[test]
fn deeply_nested_json_is_a_decode_error_not_a_crash() {
    let env = add_env("/run/netns/podnet-test-gone");
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for stdin in [
        "[".repeat(500_000).into_bytes(),
        format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        format!(
            r#"{{"cniVersion":"1.0.0","name":"n","prevResult":{}{}}}"#,
            "{\"a\":".repeat(10_000),
            "}".repeat(10_000)
        )
        .into_bytes(),
    ] {
        let (code, v, stderr) = plugin(&pairs, &stdin);
        assert_eq!(code, Some(1), "{stderr}");
        assert_eq!(v["code"], 6, "{v}");
    }
}

/// `cargo tree` of this package: its features with or without the
/// dev-dependencies (what `cargo test` and `cargo build` resolve).
fn resolved_features(with_dev: bool) -> String {
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "--depth",
            "0",
            "--format",
            "{p} [{f}]",
            "--package",
            "podnet",
        ])
        .args(if with_dev {
            vec![]
        } else {
            vec!["--edges", "no-dev"]
        })
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn failure_injection_is_built_only_into_test_builds() {
    // `cargo build` (release or not) resolves podnet without `test-hooks`…
    let normal = resolved_features(false);
    assert!(normal.starts_with("podnet "), "{normal}");
    assert!(
        !normal.contains("test-hooks"),
        "a normal build has the hooks: {normal}"
    );
    // …and `cargo test` with it, through the self dev-dependency
    let test = resolved_features(true);
    assert!(
        test.contains("test-hooks"),
        "the test build lacks the hooks: {test}"
    );
}
