//! Helpers for the CNI tests (plugin and kit): running a CNI plugin binary
//! the way a runtime does, and the oracles — `ip -j` state of a network
//! namespace (normalised so two plugins' work can be compared), the IPAM
//! reservation files on disk, and the nft/iptables rules.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::node::quote;
use crate::common::{PODNET, sh};

/// The reference plugins.
pub const REF_BIN: &str = "/usr/lib/cni";

/// One plugin invocation.
#[derive(Debug, Clone)]
pub struct Call {
    /// The plugin binary.
    pub bin: PathBuf,
    pub command: String,
    pub container_id: String,
    pub netns: String,
    pub ifname: String,
    pub args: String,
    /// CNI_PATH.
    pub path: String,
    /// Run inside this network namespace (a path), as a runtime on that node would.
    pub node: Option<String>,
    pub env: Vec<(String, String)>,
}

impl Call {
    /// A podnet plugin call.
    pub fn podnet(command: &str, container_id: &str, netns: &str) -> Call {
        Call::plugin(Path::new(PODNET), command, container_id, netns)
    }

    /// A reference plugin call (`bridge`, `ptp`, `host-local`…).
    pub fn reference(plugin: &str, command: &str, container_id: &str, netns: &str) -> Call {
        Call::plugin(
            &Path::new(REF_BIN).join(plugin),
            command,
            container_id,
            netns,
        )
    }

    pub fn plugin(bin: &Path, command: &str, container_id: &str, netns: &str) -> Call {
        Call {
            bin: bin.to_path_buf(),
            command: command.into(),
            container_id: container_id.into(),
            netns: netns.into(),
            ifname: "eth0".into(),
            args: String::new(),
            path: REF_BIN.into(),
            node: None,
            env: Vec::new(),
        }
    }

    pub fn ifname(mut self, i: &str) -> Call {
        self.ifname = i.into();
        self
    }

    pub fn on_node(mut self, node_netns: &str) -> Call {
        self.node = Some(node_netns.into());
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Call {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn command(mut self, c: &str) -> Call {
        self.command = c.into();
        self
    }

    /// Builds the process (not started).
    pub fn process(&self, stdin_is_piped: bool) -> Command {
        let mut cmd = match &self.node {
            Some(n) => {
                let mut c = Command::new("nsenter");
                c.arg(format!("--net={n}")).arg("--").arg(&self.bin);
                c
            }
            None => Command::new(&self.bin),
        };
        cmd.env("CNI_COMMAND", &self.command)
            .env("CNI_PATH", &self.path);
        for (k, v) in [
            ("CNI_CONTAINERID", &self.container_id),
            ("CNI_NETNS", &self.netns),
            ("CNI_IFNAME", &self.ifname),
            ("CNI_ARGS", &self.args),
        ] {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.stdin(if stdin_is_piped {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        cmd
    }

    /// Runs with `conf` on stdin (a JSON value, or raw bytes via [`Call::run_raw`]).
    pub fn run(&self, conf: &Value) -> Reply {
        self.run_raw(conf.to_string().as_bytes())
    }

    pub fn run_raw(&self, stdin: &[u8]) -> Reply {
        let mut child = self.process(true).spawn().expect("spawn the plugin");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin)
            .expect("write the config");
        let out = child.wait_with_output().expect("wait for the plugin");
        Reply::from_output(out)
    }
}

/// What a plugin answered.
#[derive(Debug, Clone)]
pub struct Reply {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub json: Value,
}

impl Reply {
    pub fn from_output(out: std::process::Output) -> Reply {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        Reply {
            code: out.status.code(),
            json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
            stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts success; returns the JSON (Null when nothing was printed).
    pub fn ok(&self, what: &str) -> &Value {
        assert_eq!(
            self.code,
            Some(0),
            "{what} failed\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        &self.json
    }

    /// Asserts a CNI error with `code`; returns the error object.
    pub fn err(&self, code: u64, what: &str) -> &Value {
        assert_ne!(
            self.code,
            Some(0),
            "{what} should fail\nstdout: {}",
            self.stdout
        );
        assert_eq!(
            self.json["code"].as_u64(),
            Some(code),
            "{what}: wrong CNI error\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(
            self.json["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: no msg"
        );
        &self.json
    }
}

/// A config with a `prevResult`.
pub fn with_prev(conf: &Value, prev: &Value) -> Value {
    let mut c = conf.clone();
    c["prevResult"] = prev.clone();
    c
}

/// Runs `ip -j <args>` in a netns (a path, or the current one) and parses it.
pub fn ip_json(netns: Option<&str>, args: &str) -> Value {
    let cmd = match netns {
        Some(n) => format!("nsenter --net={} ip -j {args}", quote(n)),
        None => format!("ip -j {args}"),
    };
    let text = sh(&cmd);
    if text.trim().is_empty() {
        return json!([]);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{cmd}: {e}: {text}"))
}

/// How link names are written in a normalised state.
pub type Rename<'a> = &'a dyn Fn(&str) -> String;

fn keep(v: &Value, keys: &[&str]) -> Value {
    let mut o = serde_json::Map::new();
    for k in keys {
        if let Some(x) = v.get(*k) {
            o.insert((*k).to_string(), x.clone());
        }
    }
    Value::Object(o)
}

/// A namespace's links, addresses and routes as `ip -j` shows them, with
/// what differs by chance (ifindex, MAC, IPv6 link-local addresses and
/// their routes, lifetimes, DAD state) left out, names passed through
/// `rename`, and everything sorted. With `with_alias`, link aliases too.
pub fn ns_state(netns: Option<&str>, rename: Rename<'_>, with_alias: bool) -> Value {
    let mut links: Vec<Value> = Vec::new();
    for l in ip_json(netns, "-d link show")
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let name = l["ifname"].as_str().unwrap_or_default();
        let mut flags: Vec<String> = l["flags"]
            .as_array()
            .map(|f| {
                f.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        flags.retain(|f| f != "LOWER_UP" && f != "NO-CARRIER" && f != "M-DOWN");
        flags.sort();
        let info = &l["linkinfo"];
        let mut rec = json!({
            "name": rename(name),
            "flags": flags,
            "mtu": l["mtu"],
            "txqlen": l.get("txqlen").cloned().unwrap_or(json!(0)),
            "kind": info["info_kind"],
            "slave_kind": info["info_slave_kind"],
            "hairpin": info["info_slave_data"]["hairpin"],
            "master": l["master"].as_str().map(rename),
            "peer_in_other_netns": l.get("link_netnsid").is_some(),
        });
        if with_alias {
            rec["alias"] = l.get("ifalias").cloned().unwrap_or(Value::Null);
        }
        links.push(rec);
    }
    let mut addrs: Vec<Value> = Vec::new();
    for l in ip_json(netns, "addr show")
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let dev = rename(l["ifname"].as_str().unwrap_or_default());
        for a in l["addr_info"].as_array().cloned().unwrap_or_default() {
            let local = a["local"].as_str().unwrap_or_default();
            if local.starts_with("fe80:") {
                continue;
            }
            let mut r = keep(
                &a,
                &[
                    "family",
                    "local",
                    "prefixlen",
                    "broadcast",
                    "scope",
                    "noprefixroute",
                    "nodad",
                ],
            );
            r["dev"] = json!(dev);
            addrs.push(r);
        }
    }
    let mut routes: Vec<Value> = Vec::new();
    for fam in ["-4", "-6"] {
        for r in ip_json(netns, &format!("{fam} route show table all"))
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let dst = r["dst"].as_str().unwrap_or_default();
            if dst.starts_with("fe80") {
                continue;
            }
            // IPv6 local/anycast routes come and go with duplicate address
            // detection; the addresses themselves are compared
            if fam == "-6"
                && matches!(r["type"].as_str(), Some("local" | "anycast"))
                && r["dst"] != "::1"
            {
                continue;
            }
            let mut x = keep(
                &r,
                &[
                    "type", "dst", "gateway", "protocol", "scope", "prefsrc", "metric", "table",
                ],
            );
            // "linkdown" follows the carrier, which changes asynchronously
            let flags: Vec<Value> = r["flags"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|f| f != "linkdown")
                .collect();
            x["flags"] = Value::Array(flags);
            x["dev"] = json!(r["dev"].as_str().map(rename));
            routes.push(x);
        }
    }
    let sort = |v: &mut Vec<Value>| v.sort_by_key(|x| x.to_string());
    sort(&mut links);
    sort(&mut addrs);
    sort(&mut routes);
    json!({"links": links, "addrs": addrs, "routes": routes})
}

/// Waits (up to 10 s) until no IPv6 address in the namespace is tentative,
/// so two namespaces are compared after duplicate address detection.
pub fn settle(netns: Option<&str>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let tentative = ip_json(netns, "-6 addr show tentative")
            .as_array()
            .is_some_and(|a| {
                a.iter()
                    .any(|l| l["addr_info"].as_array().is_some_and(|x| !x.is_empty()))
            });
        if !tentative || std::time::Instant::now() > deadline {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Names as they are.
pub fn same(name: &str) -> String {
    name.to_string()
}

/// The reservation files of every network under `data_dir`: `network/ip → contents`.
pub fn reservations(data_dir: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(nets) = std::fs::read_dir(data_dir) else {
        return out;
    };
    for n in nets.flatten() {
        let Ok(files) = std::fs::read_dir(n.path()) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name == "lock" || name.starts_with("last_reserved_ip.") {
                continue;
            }
            out.insert(
                format!("{}/{name}", n.file_name().to_string_lossy()),
                std::fs::read_to_string(f.path()).unwrap_or_default(),
            );
        }
    }
    out
}

/// The contents of every file of one IPAM network directory (cursor files too).
pub fn ipam_dir(dir: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(files) = std::fs::read_dir(dir) {
        for f in files.flatten() {
            out.insert(
                f.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(f.path()).unwrap_or_default(),
            );
        }
    }
    out
}

/// Every nftables rule (and podnet's table) in the current netns, as text.
pub fn nft_rules() -> Vec<String> {
    let v: Value = serde_json::from_str(&sh("nft -j list ruleset")).unwrap_or(Value::Null);
    let mut out: Vec<String> = v["nftables"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    if let Some(r) = i.get("rule") {
                        return Some(format!(
                            "rule {} {} {} {}",
                            r["family"],
                            r["table"],
                            r["chain"],
                            json!([r["expr"], r["comment"]])
                        ));
                    }
                    i.get("table")
                        .filter(|t| t["name"] == "podnet")
                        .map(|t| format!("table {} {}", t["family"], t["name"]))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every iptables/ip6tables rule (`-A` lines) and user chain, both families.
pub fn ipt_rules() -> Vec<String> {
    let mut out = Vec::new();
    for t in ["iptables-save", "ip6tables-save"] {
        for line in sh(t).lines() {
            let user_chain =
                line.starts_with(':') && !line.contains(" ACCEPT ") && !line.contains(" DROP ");
            if line.starts_with("-A") || user_chain {
                out.push(format!("{t}: {}", line.split(" [").next().unwrap_or(line)));
            }
        }
    }
    out.sort();
    out
}

/// Everything a plugin could leave behind on a node with these pod
/// namespaces: links/addresses/routes of the node and each pod (aliases
/// included), the reservation files under `data_dir`, nft and iptables rules.
pub fn snapshot(pods: &[&str], data_dir: &str) -> Value {
    let mut pod_states = serde_json::Map::new();
    for p in pods {
        pod_states.insert((*p).to_string(), ns_state(Some(p), &same, true));
    }
    json!({
        "node": ns_state(None, &same, true),
        "pods": pod_states,
        "ipam": reservations(data_dir),
        "nft": nft_rules(),
        "iptables": ipt_rules(),
    })
}

/// Asserts two snapshots are equal, showing the first difference.
pub fn assert_same(before: &Value, after: &Value, what: &str) {
    if before == after {
        return;
    }
    for key in ["node", "pods", "ipam", "nft", "iptables"] {
        assert_eq!(
            serde_json::to_string_pretty(&before[key]).unwrap(),
            serde_json::to_string_pretty(&after[key]).unwrap(),
            "{what}: {key} changed"
        );
    }
    panic!("{what}: state changed");
}

/// `ip netns add` a fresh namespace named `name`; returns its path.
pub fn netns(name: &str) -> String {
    sh(&format!("ip netns add {}", quote(name)));
    format!("/run/netns/{name}")
}

/// The link names of a namespace.
pub fn link_names(netns: Option<&str>) -> Vec<String> {
    ifnames(netns, "link show")
}

/// The `ifname`s `ip -j <args>` lists in a namespace (`link show type veth`).
pub fn ifnames(netns: Option<&str>, args: &str) -> Vec<String> {
    ip_json(netns, args)
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l["ifname"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The podnet binary.
pub fn podnet_bin() -> PathBuf {
    PathBuf::from(PODNET)
}

/// Every file and directory under `roots` (symlinks not followed), each
/// path with what `describe` says of it and its metadata: a snapshot of a
/// directory tree to compare before and after.
pub fn walk_tree(
    roots: &[&str],
    describe: &dyn Fn(&Path, &std::fs::Metadata) -> String,
) -> BTreeMap<String, String> {
    fn walk(
        dir: &Path,
        describe: &dyn Fn(&Path, &std::fs::Metadata) -> String,
        out: &mut BTreeMap<String, String>,
    ) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(md) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            out.insert(p.display().to_string(), describe(&p, &md));
            if md.is_dir() {
                walk(&p, describe, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    for root in roots {
        walk(Path::new(root), describe, &mut out);
    }
    out
}
