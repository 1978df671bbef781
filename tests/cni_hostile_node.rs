//! Hostile CNI input, as an attacker or a broken runtime would give it,
//! on a private node with a real pod netns at hand (so that anything
//! wrongly accepted would plumb, and show): malformed and oversized stdin,
//! wrong types in every field, NaN and huge numbers, control characters
//! and escape sequences in names; missing, empty, huge and junk
//! environment; CNI_NETNS and CNI_PATH entries that are fifos, files,
//! directories, devices, sockets, symlink loops or the node's own netns;
//! `/dev/zero`, fifos and directories wherever the configuration names a
//! path. Every invocation must end in time (bounded, killed otherwise)
//! with a CNI error object of the right code on stdout and exit status 1
//! — never 0, never a panic (101), never a hang — within a bounded RSS,
//! print no raw control character on stderr, and leave the node exactly
//! as it was (`ip -j` of node and pod, IPAM files, every file under the
//! CNI state directories, nft and iptables rules).

mod cni_support;
mod common;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::time::Duration;

use cni_support::*;
use common::bounded::{self, Ended, Limits};
use common::sh;
use serde_json::{Value, json};

/// The largest peak RSS a refused invocation may reach.
const MAX_RSS_KIB: i64 = 96 << 10;
/// Where the configurations keep their IPAM store.
const DATA_DIR: &str = "/var/lib/cni/hostile";
/// Scratch files (fifos, loops, sockets…).
const T: &str = "/run/podnet-hostile";

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(20),
        address_space: Some(1 << 30),
        cgroup: None,
    }
}

/// A configuration ADD would plumb (bridge, host-local, masquerade).
fn good_conf() -> Value {
    json!({
        "cniVersion": "1.0.0",
        "name": "hostile",
        "type": "podnet",
        "bridge": "brh",
        "isGateway": true,
        "ipMasq": true,
        "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.78.0.0/24"}]], "dataDir": DATA_DIR}
    })
}

/// What stdin gets.
enum Input {
    Bytes(Vec<u8>),
    /// A valid configuration padded to this many bytes, fed in chunks.
    Padded(usize),
}

/// One hostile invocation and the CNI code it must end with.
struct Case {
    what: String,
    call: Call,
    input: Input,
    code: u64,
    /// Extra environment the `Call` cannot carry (non-UTF-8 values).
    raw_env: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Case {
    fn new(what: impl Into<String>, call: Call, input: Input, code: u64) -> Case {
        Case {
            what: what.into(),
            call,
            input,
            code,
            raw_env: Vec::new(),
        }
    }
}

fn add(pod: &str) -> Call {
    Call::podnet("ADD", "h1", pod)
}

fn bytes(v: &Value) -> Input {
    Input::Bytes(v.to_string().into_bytes())
}

fn run(c: &Case) -> Ended {
    let mut cmd = c.call.process(true);
    for (k, v) in &c.raw_env {
        cmd.env(OsStr::from_bytes(k), OsStr::from_bytes(v));
    }
    match &c.input {
        Input::Bytes(b) => bounded::run(cmd, b, &limits()),
        Input::Padded(n) => bounded::run_fed(cmd, bounded::padded_conf(*n), &limits()),
    }
}

/// Every file under the CNI state directories: path → kind and size.
fn files() -> BTreeMap<String, String> {
    walk_tree(&["/var/lib/cni", "/run/podnet", "/run/netns"], &|p, md| {
        let t = md.file_type();
        if t.is_dir() {
            "dir".to_string()
        } else if t.is_symlink() {
            format!("link {:?}", std::fs::read_link(p).ok())
        } else if t.is_fifo() {
            "fifo".to_string()
        } else {
            format!("file {} bytes mode {:o}", md.len(), md.mode())
        }
    })
}

/// The node's whole state as far as a CNI plugin could change it.
fn state(pod: &str) -> Value {
    let mut s = snapshot(&[pod], DATA_DIR);
    s["files"] = json!(files());
    s
}

/// A node that has had one pod: the bridge, the IPAM store with its lock
/// and cursor exist (a refused call must not change them either).
fn warm_up() {
    let warm = netns("warm");
    let conf = good_conf();
    let r = Call::podnet("ADD", "warm", &warm)
        .run(&conf)
        .ok("warm-up ADD")
        .clone();
    Call::podnet("DEL", "warm", &warm)
        .run(&with_prev(&conf, &r))
        .ok("warm-up DEL");
    sh("ip netns del warm");
}

/// Runs every case, checks each ended as it must, and that the node is as before.
fn run_all(pod: &str, cases: &[Case]) {
    assert!(cases.len() > 5);
    warm_up();
    let before = state(pod);
    let mut failures = Vec::new();
    for c in cases {
        let e = run(c);
        if let Err(why) = judge(&e, c.code) {
            failures.push(format!("{}: {why}\n{}", c.what, e.describe()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    let after = state(pod);
    assert_same(&before, &after, "hostile input");
    assert_eq!(
        before["files"], after["files"],
        "files under the CNI state directories changed"
    );
    println!(
        "MEASURED: {} hostile invocations refused, node unchanged",
        cases.len()
    );
}

fn judge(e: &Ended, code: u64) -> Result<(), String> {
    if e.timed_out {
        return Err("hung (killed at the timeout)".into());
    }
    if let Some(sig) = e.signal {
        return Err(format!("killed by signal {sig}"));
    }
    if e.code != Some(1) {
        return Err(format!("exit status {:?}, want 1", e.code));
    }
    if e.max_rss_kib > MAX_RSS_KIB {
        return Err(format!("peak RSS {} KiB", e.max_rss_kib));
    }
    let v = e.json();
    if v["code"].as_u64() != Some(code) {
        return Err(format!("CNI code {}, want {code}", v["code"]));
    }
    if v["msg"].as_str().is_none_or(|m| m.is_empty()) || !v["cniVersion"].is_string() {
        return Err("not a CNI error object".into());
    }
    if let Some(b) = e
        .stderr
        .iter()
        .find(|b| (**b < 0x20 && **b != b'\n') || **b == 0x7f)
    {
        return Err(format!("raw control character {b:#04x} on stderr"));
    }
    if e.stderr_text()
        .chars()
        .any(|c| ('\u{80}'..='\u{9f}').contains(&c))
    {
        return Err("raw C1 control character on stderr".into());
    }
    Ok(())
}

/// `base` with `value` at the JSON pointer `path` (parents created).
fn with(base: &Value, path: &str, value: Value) -> Value {
    let mut v = base.clone();
    let mut cur = &mut v;
    let parts: Vec<&str> = path.split('/').collect();
    for p in &parts[..parts.len() - 1] {
        if !cur.get(*p).is_some_and(Value::is_object) {
            cur[*p] = json!({});
        }
        cur = &mut cur[*p];
    }
    cur[parts[parts.len() - 1]] = value;
    v
}

/// One value of each JSON type but `keep`'s.
fn wrong_types(keep: &str) -> Vec<Value> {
    [
        ("number", json!(5)),
        ("string", json!("x")),
        ("bool", json!(true)),
        ("array", json!([1])),
        ("object", json!({"a": 1})),
    ]
    .into_iter()
    .filter(|(k, _)| *k != keep)
    .map(|(_, v)| v)
    .collect()
}

node_test! {
    /// Malformed, oversized and ill-typed network configurations, for
    /// every command.
    fn hostile_stdin_is_refused_and_changes_nothing() {
        let pod = netns("hs-pod");
        let good = good_conf();
        let text = good.to_string();
        let mut inputs: Vec<(String, Input, u64)> = Vec::new();
        inputs.push(("empty stdin".into(), Input::Bytes(Vec::new()), 6));
        for cut in (1..text.len()).step_by(13) {
            inputs.push((format!("truncated at byte {cut}"), Input::Bytes(text.as_bytes()[..cut].to_vec()), 6));
        }
        for junk in ["null", "[]", "\"x\"", "5", "true", "{}{}", "{\"cniVersion\":\"1.0.0\"", "\u{feff}{}", "\0", "{\"a\":1,}"] {
            inputs.push((format!("stdin {junk:?}"), Input::Bytes(junk.as_bytes().to_vec()), 6));
        }
        inputs.push(("invalid UTF-8".into(), Input::Bytes(b"{\"cniVersion\":\"1.0.0\",\"name\":\"\xff\xfe\"}".to_vec()), 6));
        inputs.push(("500k [".into(), Input::Bytes("[".repeat(500_000).into_bytes()), 6));
        inputs.push(("deep objects".into(), Input::Bytes(format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes()), 6));
        inputs.push(("100 MB".into(), Input::Padded(100 << 20), 5));
        inputs.push(("just over 1 MiB".into(), Input::Padded((1 << 20) + 10), 5));
        for num in ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "0x10", "01", "1.", "+1"] {
            let s = text.replacen("\"isGateway\":true", &format!("\"mtu\":{num},\"isGateway\":true"), 1);
            assert_ne!(s, text);
            inputs.push((format!("mtu {num}"), Input::Bytes(s.into_bytes()), 6));
        }
        for num in [json!(1e30), json!(-1), json!(0), json!(4294967296u64), json!(18446744073709551615u64), json!(1.5), json!(-0.0)] {
            inputs.push((format!("mtu {num}"), bytes(&with(&good, "mtu", num)), 7));
        }
        // wrong types in every field podnet reads
        let fields: &[(&str, &str, u64)] = &[
            ("cniVersion", "string", 1),
            ("name", "string", 7),
            ("mode", "string", 7),
            ("bridge", "string", 7),
            ("mtu", "number", 7),
            ("hairpinMode", "bool", 7),
            ("promiscMode", "bool", 7),
            ("isGateway", "bool", 7),
            ("isDefaultGateway", "bool", 7),
            ("forceAddress", "bool", 7),
            ("ipMasq", "bool", 7),
            ("ipMasqBackend", "string", 7),
            ("vethPrefix", "string", 7),
            ("ptpGateway", "string", 7),
            ("vlan", "number", 7),
            ("macspoofchk", "bool", 7),
            ("dns", "object", 7),
            ("dns/nameservers", "array", 7),
            ("dns/search", "array", 7),
            ("dns/domain", "string", 7),
            ("ipam", "object", 7),
            ("ipam/type", "string", 7),
            ("ipam/subnet", "string", 7),
            ("ipam/gateway", "string", 7),
            ("ipam/rangeStart", "string", 7),
            ("ipam/rangeEnd", "string", 7),
            ("ipam/ranges", "array", 7),
            ("ipam/routes", "array", 7),
            ("ipam/dataDir", "string", 7),
            ("ipam/resolvConf", "string", 7),
            ("runtimeConfig", "object", 7),
            ("runtimeConfig/ips", "array", 7),
            ("runtimeConfig/ipRanges", "array", 7),
            ("args", "object", 7),
            ("args/cni", "object", 7),
            ("args/cni/ips", "array", 7),
            ("prevResult", "object", 6),
            ("prevResult/interfaces", "array", 6),
            ("prevResult/ips", "array", 6),
            ("prevResult/routes", "array", 6),
            ("prevResult/dns", "object", 6),
        ];
        for (field, kind, code) in fields {
            for v in wrong_types(kind) {
                // an object where one is wanted but with unknown keys is fine; so is
                // an array of the right elements: only other types are wrong
                inputs.push((format!("{field} = {v}"), bytes(&with(&good, field, v)), *code));
            }
        }
        for (field, v) in [
            ("ipam/ranges", json!([[{"subnet": 5}]])),
            ("ipam/ranges", json!([5])),
            ("ipam/routes", json!([{"dst": 5}])),
            ("ipam/routes", json!([{"dst": "0.0.0.0/0", "gw": []}])),
            ("runtimeConfig/ips", json!([5])),
            ("args/cni/ips", json!([{"ip": "10.78.0.9"}])),
            ("dns/nameservers", json!([5])),
        ] {
            inputs.push((format!("{field} = {v}"), bytes(&with(&good, field, v)), 7));
        }
        for (field, v) in [
            ("prevResult", json!({"ips": [{"address": 5}]})),
            ("prevResult", json!({"interfaces": [{"name": 5}]})),
            ("prevResult", json!({"interfaces": [{"name": "a"}], "ips": [{"interface": 9, "address": "10.0.0.2/24"}]})),
            ("prevResult", json!({"ip4": {"ip": "nope"}})),
        ] {
            inputs.push((format!("{field} = {v}"), bytes(&with(&good, field, v)), 6));
        }
        // control characters and escape sequences in names
        for (field, name) in [
            ("name", "n\u{1b}[2J"),
            ("name", "n\u{1b}]0;owned\u{7}"),
            ("name", "a\nb"),
            ("name", ""),
            ("name", "../../etc"),
            ("bridge", "\u{1b}[31mbr"),
            ("bridge", "br\u{0}x"),
            ("bridge", "br%d"),
            ("vethPrefix", "\u{1b}"),
            ("vethPrefix", "p%d"),
            ("mode", "\u{1b}[2Jbridge"),
            ("ipMasqBackend", "nft\u{1b}"),
            ("ptpGateway", "\u{9b}31m"),
        ] {
            inputs.push((format!("{field} = {name:?}"), bytes(&with(&good, field, json!(name))), 7));
        }
        // every command reads the configuration first
        let mut cases = Vec::new();
        for cmd in ["ADD", "DEL", "CHECK", "STATUS", "GC"] {
            for (what, input, code) in &inputs {
                let input = match input {
                    Input::Bytes(b) => Input::Bytes(b.clone()),
                    Input::Padded(n) => Input::Padded(*n),
                };
                cases.push(Case::new(format!("{cmd}: {what}"), add(&pod).command(cmd), input, *code));
            }
        }
        // VERSION answers whatever stdin holds, but not an unbounded one
        cases.push(Case::new("VERSION: 100 MB", add(&pod).command("VERSION"), Input::Padded(100 << 20), 5));
        // an ipam type with an escape sequence is a plugin nobody has
        cases.push(Case::new("ipam type with escapes", add(&pod), bytes(&with(&good, "ipam/type", json!("x\u{1b}[2J"))), 105));
        run_all(&pod, &cases);
    }
}

node_test! {
    /// Missing, empty, huge and junk CNI_* variables, and CNI_PATH entries
    /// that are fifos, files, directories or symlink loops.
    fn hostile_environment_is_refused_and_changes_nothing() {
        let pod = netns("he-pod");
        std::fs::create_dir_all(format!("{T}/fifo-dir")).unwrap();
        std::fs::create_dir_all(format!("{T}/loop-dir")).unwrap();
        sh(&format!(
            "mkfifo {T}/fifo {T}/fifo-dir/static && ln -s {T}/loop-dir/static {T}/loop-dir/static && ln -s {T}/loop {T}/loop && touch {T}/file"
        ));
        let good = bytes(&good_conf());
        let g = || match &good {
            Input::Bytes(b) => Input::Bytes(b.clone()),
            Input::Padded(n) => Input::Padded(*n),
        };
        let huge = "a".repeat(120 << 10);
        let mut cases = Vec::new();
        let env = |k: &str, v: &str| add(&pod).env(k, v);
        for cmd in ["", "add", "ADD ", "ADD\n", "PUT", "VERSION\u{1b}", &huge] {
            cases.push(Case::new(format!("CNI_COMMAND {:?}", &cmd[..cmd.len().min(20)]), env("CNI_COMMAND", cmd), g(), 4));
        }
        for id in ["", "-x", ".x", "a/b", "a b", "a\u{1b}[2J", "a;b", "ü", "../x"] {
            let mut c = add(&pod);
            c.container_id = id.into();
            cases.push(Case::new(format!("CNI_CONTAINERID {id:?}"), c, g(), 4));
        }
        let mut bad_tail = add(&pod);
        bad_tail.container_id = format!("{huge}/");
        cases.push(Case::new("CNI_CONTAINERID huge, bad at the end", bad_tail, g(), 4));
        for ifname in ["", ".", "..", "eth0 ", "a:b", "a/b", "eth%d", "e\u{1b}", "sixteen-bytes-xx", &huge] {
            let c = add(&pod).ifname(ifname);
            cases.push(Case::new(format!("CNI_IFNAME {:?}", &ifname[..ifname.len().min(20)]), c, g(), 4));
        }
        for (netns, code) in [("", 4), (huge.as_str(), 4), ("relative/netns", 3)] {
            let mut c = add(&pod);
            c.netns = netns.into();
            cases.push(Case::new(format!("CNI_NETNS {:?}", &netns[..netns.len().min(20)]), c, g(), code));
        }
        let mut non_utf8 = Case::new("CNI_NETNS not UTF-8", add(&pod), g(), 4);
        non_utf8.raw_env.push((b"CNI_NETNS".to_vec(), b"/run/netns/\xff\xfe".to_vec()));
        cases.push(non_utf8);
        for (args, code) in [
            ("junk", 4),
            ("=x", 4),
            (";;=;;", 4),
            ("K8S_POD_NAME", 4),
            ("IP=not-an-ip", 7),
            ("IP=10.78.0.1", 103),
            ("IP=192.0.2.1", 103),
            ("IgnoreUnknown=1;IP=\u{1b}[2J", 7),
        ] {
            let mut c = add(&pod);
            c.args = args.into();
            cases.push(Case::new(format!("CNI_ARGS {args:?}"), c, g(), code));
        }
        // a delegated IPAM plugin looked up through hostile CNI_PATH entries
        let static_ipam = bytes(&with(&good_conf(), "ipam", json!({"type": "static", "addresses": [{"address": "10.78.0.9/24"}]})));
        // (one environment string may hold 128 KiB)
        let many = vec!["/nonexistent"; 8_000].join(":");
        for path in [
            format!("{T}/fifo"),
            format!("{T}/fifo-dir"),
            format!("{T}/loop"),
            format!("{T}/loop-dir"),
            format!("{T}/file"),
            "/dev/zero".into(),
            format!("{T}/fifo:{T}/fifo-dir:{T}/loop:{T}/loop-dir"),
            many,
            ":::".into(),
        ] {
            let mut c = add(&pod);
            c.path = path.clone();
            let input = match &static_ipam {
                Input::Bytes(b) => Input::Bytes(b.clone()),
                Input::Padded(n) => Input::Padded(*n),
            };
            cases.push(Case::new(format!("CNI_PATH {:?}", &path[..path.len().min(60)]), c, input, 105));
        }
        run_all(&pod, &cases);
    }
}

node_test! {
    /// CNI_NETNS that is not a pod's network namespace, for ADD, CHECK and
    /// DEL: a fifo, a regular file, a directory, devices, a socket, a
    /// symlink loop, another namespace type, the node's own netns by
    /// several paths. DEL still succeeds (and changes nothing) when the
    /// path is missing or the file an unmounted netns leaves.
    fn hostile_netns_paths_are_refused_and_change_nothing() {
        let pod = netns("hn-pod");
        std::fs::create_dir_all(format!("{T}/dir")).unwrap();
        sh(&format!("mkfifo {T}/fifo && touch {T}/file && ln -s {T}/loop {T}/loop && ln -s /proc/1/ns/net {T}/node-link"));
        let _sock = std::os::unix::net::UnixListener::bind(format!("{T}/sock")).unwrap();
        // a node interface a mistaken DEL would take
        sh("ip link add eth0 type veth peer name eth0-peer");
        common::node::bind_mount_netns("/proc/1/ns/net", "/run/netns/node-self");
        let conf = good_conf();
        let prev = json!({"cniVersion": "1.0.0",
            "interfaces": [{"name": "brh"}, {"name": "pnetx"}, {"name": "eth0", "sandbox": "/run/netns/x"}],
            "ips": [{"address": "10.78.0.2/24", "interface": 2}]});
        let refused = [
            format!("{T}/fifo"),
            format!("{T}/dir"),
            format!("{T}/sock"),
            format!("{T}/loop"),
            format!("{T}/node-link"),
            "/dev/zero".into(),
            "/dev/null".into(),
            "/dev/tty".into(),
            "/proc/self/ns/uts".into(),
            "/proc/self/ns/mnt".into(),
            "/proc/1/ns/net".into(),
            "/proc/self/ns/net".into(),
            "/proc/thread-self/ns/net".into(),
            "/run/netns/node-self".into(),
            "/proc/1/fd/0".into(),
            "/".into(),
        ];
        let mut cases = Vec::new();
        for path in &refused {
            for cmd in ["ADD", "CHECK", "DEL"] {
                let stdin = if cmd == "CHECK" { with_prev(&conf, &prev) } else { conf.clone() };
                cases.push(Case::new(format!("{cmd} CNI_NETNS={path}"), Call::podnet(cmd, "h1", path), bytes(&stdin), 4));
            }
        }
        for cmd in ["ADD", "CHECK"] {
            let stdin = if cmd == "CHECK" { with_prev(&conf, &prev) } else { conf.clone() };
            cases.push(Case::new(format!("{cmd} a regular file"), Call::podnet(cmd, "h1", &format!("{T}/file")), bytes(&stdin), 4));
            cases.push(Case::new(format!("{cmd} below a fifo"), Call::podnet(cmd, "h1", &format!("{T}/fifo/x")), bytes(&stdin), 3));
        }
        run_all(&pod, &cases);
        // DEL's "already gone": exit 0, nothing changed
        let before = state(&pod);
        for path in [format!("{T}/file"), format!("{T}/missing"), format!("{T}/fifo/x")] {
            let e = bounded::run(Call::podnet("DEL", "h1", &path).process(true), conf.to_string().as_bytes(), &limits());
            assert_eq!(e.code, Some(0), "DEL with {path}: {}", e.describe());
        }
        assert_same(&before, &state(&pod), "DEL of a gone netns");
        assert!(link_names(None).contains(&"eth0".to_string()));
    }
}

node_test! {
    /// `/dev/zero`, fifos, directories, loops and huge files wherever the
    /// configuration names a path: `resolvConf` (code 7, before anything is
    /// reserved) and `dataDir` (code 106).
    fn hostile_paths_in_the_configuration_are_refused_and_change_nothing() {
        let pod = netns("hp-pod");
        std::fs::create_dir_all(format!("{T}/dir")).unwrap();
        std::fs::create_dir_all(format!("{T}/netdir-fifo")).unwrap();
        std::fs::create_dir_all(format!("{T}/lockdir/hostile/lock")).unwrap();
        sh(&format!(
            "mkfifo {T}/fifo {T}/netdir-fifo/hostile && ln -s {T}/loop {T}/loop && truncate -s 1G {T}/sparse && ln -s /dev/zero {T}/zero-link && touch {T}/file"
        ));
        let good = good_conf();
        let mut cases = Vec::new();
        for path in [
            "/dev/zero".to_string(),
            "/dev/urandom".into(),
            "/dev/tty".into(),
            "/proc/self/mem".into(),
            "/proc/kcore".into(),
            "/proc/self/fd/0".into(),
            format!("{T}/fifo"),
            format!("{T}/dir"),
            format!("{T}/loop"),
            format!("{T}/sparse"),
            format!("{T}/zero-link"),
            format!("{T}/missing"),
            "".into(),
        ] {
            cases.push(Case::new(format!("resolvConf {path}"), add(&pod), bytes(&with(&good, "ipam/resolvConf", json!(path))), 7));
        }
        for path in [
            "/dev/zero".to_string(),
            format!("{T}/fifo"),
            format!("{T}/file"),
            format!("{T}/zero-link"),
            format!("{T}/loop"),
            format!("{T}/netdir-fifo"),
            format!("{T}/lockdir"),
        ] {
            cases.push(Case::new(format!("dataDir {path}"), add(&pod), bytes(&with(&good, "ipam/dataDir", json!(path))), 106));
        }
        // the files a refused ADD must not have touched
        let scratch_before = sh(&format!("ls -lR --time-style=full-iso {T}"));
        run_all(&pod, &cases);
        assert_eq!(sh(&format!("ls -lR --time-style=full-iso {T}")), scratch_before);
    }
}
