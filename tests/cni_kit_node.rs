//! Privileged tests of the plumbing kit (`podnet cni add|del|check|ls|gc`),
//! podnet acting as the runtime: each test writes network configurations
//! on its private node, drives podnet's own plugin and the reference ones
//! (portmap, tuning, bridge) through it, and checks the result against
//! the kernel (`ip -j`, /proc), libcni's cache format, `podnet ns list`,
//! iptables and the IPAM files.

mod cni_support;
mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use base64::Engine;
use cni_support::*;
use common::node::{self, podnet_on_node, podnet_on_node_json};
use common::sh;
use serde_json::{Value, json};

/// A CNI bin dir holding podnet (as a runtime would install it), searched before the reference plugins.
const BIN: &str = "/run/kit-bin";

fn install_podnet() {
    std::fs::create_dir_all(BIN).unwrap();
    let link = Path::new(BIN).join("podnet");
    if !link.exists() {
        std::os::unix::fs::symlink(podnet_bin(), link).unwrap();
    }
}

fn write_net(file: &str, conf: &Value) -> String {
    let path = format!("/etc/cni/net.d/{file}");
    std::fs::write(&path, serde_json::to_vec_pretty(conf).unwrap()).unwrap();
    path
}

/// `podnet cni <args> --bin-dir BIN --bin-dir /usr/lib/cni`.
fn kit(args: &[&str]) -> std::process::Output {
    install_podnet();
    let mut a: Vec<&str> = vec!["cni"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--bin-dir", BIN, "--bin-dir", REF_BIN]);
    podnet_on_node(&a)
}

fn kit_json(args: &[&str]) -> Value {
    install_podnet();
    let mut a: Vec<&str> = vec!["cni"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--bin-dir", BIN, "--bin-dir", REF_BIN, "-o", "json"]);
    podnet_on_node_json(&a)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn pods_conflist() -> Value {
    json!({
        "cniVersion": "1.0.0",
        "name": "pods",
        "plugins": [
            {"type": "podnet", "mode": "bridge", "bridge": "kit0", "isGateway": true, "ipMasq": true,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.70.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
            {"type": "portmap", "capabilities": {"portMappings": true}}
        ]
    })
}

fn pid_alive_in(pid: i64, netns: &str) -> bool {
    let want = std::fs::metadata(netns).map(|m| m.ino()).ok();
    let have = std::fs::metadata(format!("/proc/{pid}/ns/net"))
        .map(|m| m.ino())
        .ok();
    have.is_some() && have == want
}

node_test! {
    /// `cni add` with podnet + the reference portmap: a containerd-like
    /// sandbox (netns bind-mounted at /run/netns/cni-<uuid>, a `pause`
    /// process in it, lo up), libcni's cache entry that `ns list` reads to
    /// name the pod, portmap's DNAT to the pod; `cni del` removes all of it.
    fn add_with_podnet_and_portmap_then_del() {
        let conf_path = write_net("10-pods.conflist", &pods_conflist());
        let info = kit_json(&["add", "default/web", "--net", "pods", "-p", "8080:80/tcp"]);
        let netns = info["netns"].as_str().unwrap().to_string();
        let name = netns.strip_prefix("/run/netns/cni-").expect("containerd's netns name");
        assert_eq!(name.len(), 36, "a UUID: {name}");
        assert_eq!(sh(&format!("stat -f -c %T {netns}")).trim(), "nsfs");
        let pause = info["pause_pid"].as_i64().unwrap();
        assert_eq!(std::fs::read_to_string(format!("/proc/{pause}/comm")).unwrap().trim(), "pause");
        assert!(pid_alive_in(pause, &netns));
        assert_eq!(info["state"], "ok");
        let ip = info["ips"][0].as_str().unwrap().split('/').next().unwrap().to_string();
        assert_eq!(ip, "10.70.0.2");
        let lo = ip_json(Some(&netns), "link show lo");
        assert!(lo[0]["flags"].as_array().unwrap().contains(&json!("UP")));
        assert_eq!(ip_json(Some(&netns), "-4 addr show dev eth0")[0]["addr_info"][0]["local"], ip);

        // libcni's cache entry
        let sandbox = info["sandbox_id"].as_str().unwrap().to_string();
        let cache = format!("/var/lib/cni/results/pods-{sandbox}-eth0");
        assert_eq!(info["cache_file"], cache);
        let entry: Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
        assert_eq!(entry["kind"], "cniCacheV1");
        assert_eq!(entry["containerId"], sandbox);
        assert_eq!(entry["ifName"], "eth0");
        assert_eq!(entry["networkName"], "pods");
        assert_eq!(entry["netns"], netns);
        let config = base64::engine::general_purpose::STANDARD.decode(entry["config"].as_str().unwrap()).unwrap();
        assert_eq!(config, std::fs::read(&conf_path).unwrap(), "the conflist bytes");
        let args: Vec<(String, String)> = entry["cniArgs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kv| (kv[0].as_str().unwrap().into(), kv[1].as_str().unwrap().into()))
            .collect();
        for (k, v) in [("K8S_POD_NAMESPACE", "default"), ("K8S_POD_NAME", "web"), ("K8S_POD_INFRA_CONTAINER_ID", sandbox.as_str())] {
            assert!(args.contains(&(k.to_string(), v.to_string())), "{k}: {args:?}");
        }
        assert_eq!(entry["capabilityArgs"]["portMappings"][0]["hostPort"], 8080);
        assert_eq!(entry["result"]["ips"][0]["address"], "10.70.0.2/24");

        // `ns list` names the pod from that cache, with its pause process
        let list = node::ns_list(&[]);
        let ns = node::entry(&list, node::inode_of(&netns)).expect("the sandbox in ns list");
        assert_eq!(ns["pod"]["namespace"], "default");
        assert_eq!(ns["pod"]["name"], "web");
        assert_eq!(ns["pause_pid"].as_i64(), Some(pause), "{ns}");

        // portmap DNATs host port 8080 to the pod
        let nat = sh("iptables-save -t nat");
        assert!(nat.contains(&format!("--to-destination {ip}:80")) && nat.contains("--dport 8080"), "{nat}");

        // ls
        let ls = kit_json(&["ls"]);
        assert_eq!(ls["attachments"].as_array().unwrap().len(), 1);
        assert_eq!(ls["attachments"][0]["pod"], "default/web");
        assert_eq!(ls["attachments"][0]["plugins"], json!(["podnet", "portmap"]));

        // del: everything goes
        let hv = entry["result"]["interfaces"][1]["name"].as_str().unwrap().to_string();
        let out = kit(&["del", "default/web"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!Path::new(&netns).exists());
        assert!(!pid_alive_in(pause, &netns));
        assert!(std::fs::read_to_string(format!("/proc/{pause}/stat")).map(|s| s.contains(") Z")).unwrap_or(true), "pause exited");
        assert!(!Path::new(&cache).exists());
        assert!(reservations("/var/lib/cni/networks").is_empty());
        assert!(!link_names(None).contains(&hv));
        assert!(!sh("iptables-save -t nat").contains(&format!("{ip}:80")));
        assert!(!nft_rules().iter().any(|r| r.contains("podnet")));
        assert_eq!(kit_json(&["ls"])["attachments"], json!([]));
    }
}

node_test! {
    /// The kit drives the reference plugins too: bridge + tuning (a sysctl
    /// in the pod), and podnet + tuning, each ADDed, CHECKed and DELeted.
    fn drives_reference_bridge_and_tuning_chains() {
        write_net("20-ref.conflist", &json!({
            "cniVersion": "1.0.0", "name": "ref",
            "plugins": [
                {"type": "bridge", "bridge": "refbr0", "isGateway": true,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.71.0.0/24"}]]}},
                {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.rp_filter": "2"}}
            ]
        }));
        write_net("30-tuned.conflist", &json!({
            "cniVersion": "1.0.0", "name": "tuned",
            "plugins": [
                {"type": "podnet", "mode": "ptp",
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.72.0.0/24"}]]}},
                {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.rp_filter": "2"}}
            ]
        }));
        for (pod, net, want) in [("default/r1", "ref", "10.71.0.2"), ("default/t1", "tuned", "10.72.0.2")] {
            let info = kit_json(&["add", pod, "--net", net]);
            assert_eq!(info["ips"][0].as_str().unwrap().split('/').next(), Some(want));
            let netns = info["netns"].as_str().unwrap();
            let rp = sh(&format!("nsenter --net={netns} cat /proc/sys/net/ipv4/conf/eth0/rp_filter"));
            assert_eq!(rp.trim(), "2", "{net}: tuning ran after the main plugin");
            let check = kit_json(&["check", pod]);
            assert_eq!(check["ok"], true, "{check}");
            let out = kit(&["del", pod]);
            assert!(out.status.success(), "{}", stderr(&out));
            assert!(!Path::new(netns).exists());
        }
        assert!(reservations("/var/lib/cni/networks").is_empty());
    }
}

node_test! {
    /// `cni check` re-runs CHECK through the chain: a host veth set down
    /// behind the runtime's back is reported (exit 1), and it passes again
    /// once repaired.
    fn check_reports_a_broken_pod() {
        write_net("30-tuned.conflist", &json!({
            "cniVersion": "1.0.0", "name": "tuned",
            "plugins": [
                {"type": "podnet", "bridge": "chk0", "isGateway": true,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.73.0.0/24"}]]}},
                {"type": "tuning", "mtu": 1400}
            ]
        }));
        let info = kit_json(&["add", "prod/api", "--net", "tuned"]);
        let hv = info["result"]["interfaces"][1]["name"].as_str().unwrap().to_string();
        assert_eq!(kit_json(&["check", "prod/api"])["ok"], true);
        sh(&format!("ip link set {hv} down"));
        let out = kit(&["check", "api", "-o", "json"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["ok"], false);
        let problem = v["attachments"][0]["problem"].as_str().unwrap();
        assert!(problem.contains("administratively down") && problem.contains("[CNI error 104]"), "{problem}");
        sh(&format!("ip link set {hv} up"));
        let out = kit(&["check", "prod/api"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
    }
}

node_test! {
    /// A failed `cni add` leaves no sandbox behind (no netns, no pause
    /// process, no cache entry, no reservation, no veth), and says which
    /// plugin failed with its CNI error; the kit's own usage errors exit 2.
    fn failed_add_leaves_nothing_and_errors_are_one_line() {
        write_net("40-tiny.conflist", &json!({
            "cniVersion": "1.0.0", "name": "tiny",
            "plugins": [{"type": "podnet", "bridge": "tiny0", "isGateway": true,
                         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.74.0.0/30"}]]}}]
        }));
        let first = kit_json(&["add", "default/one", "--net", "tiny"]);
        let links_before = link_names(None);
        let netns_before: Vec<String> = std::fs::read_dir("/run/netns").unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        let out = kit(&["add", "default/two", "--net", "tiny"]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(err.contains("podnet: error: network tiny: plugin podnet ADD failed") && err.contains("[CNI error 102]"), "{err}");
        assert!(err.contains("hint:"), "{err}");
        let netns_after: Vec<String> = std::fs::read_dir("/run/netns").unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(netns_after, netns_before, "no netns left");
        assert_eq!(link_names(None), links_before, "no veth left");
        assert_eq!(reservations("/var/lib/cni/networks").len(), 1);
        assert_eq!(std::fs::read_dir("/var/lib/cni/results").unwrap().count(), 1);
        // (a pause process that was stopped may linger as a zombie of the test's init)
        let pauses = sh("ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 == \"pause\"' | wc -l");
        assert_eq!(pauses.trim(), "1", "only the first pod's pause runs");

        // usage errors
        let dup = kit(&["add", "default/one", "--net", "tiny"]);
        assert_eq!(dup.status.code(), Some(2));
        assert!(stderr(&dup).contains("already has a sandbox"), "{}", stderr(&dup));
        let unknown = kit(&["add", "default/x", "--net", "nosuch"]);
        assert_eq!(unknown.status.code(), Some(2));
        assert!(stderr(&unknown).contains("known networks: tiny"), "{}", stderr(&unknown));
        let missing = kit(&["del", "default/ghost"]);
        assert_eq!(missing.status.code(), Some(2));
        assert!(stderr(&missing).starts_with("podnet: error: no pod \"default/ghost\" in the CNI cache"), "{}", stderr(&missing));
        let badport = kit(&["add", "default/y", "--net", "tiny", "-p", "80"]);
        assert_eq!(badport.status.code(), Some(2));
        let out = kit(&["del", first["sandbox_id"].as_str().unwrap()]);
        assert!(out.status.success(), "del by sandbox id: {}", stderr(&out));
    }
}

node_test! {
    /// `cni add --explain` and `cni del --explain` print every step as the
    /// equivalent command, as it is done.
    fn explain_prints_each_step_as_a_command() {
        write_net("10-pods.conflist", &pods_conflist());
        let out = kit(&["add", "default/web", "--net", "pods", "--explain"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        for want in [
            "+ ip netns add cni-",
            "+ ip -n cni-",
            " link set lo up",
            " pause --netns /run/netns/cni-",
            "+ # CNI ADD podnet (plugin 1 of 2 in network pods)",
            "+ ip link add kit0 type bridge",
            " type veth peer name eth0 netns cni-",
            " master kit0",
            " addr add 10.70.0.2/24 dev eth0",
            "+ ip addr add 10.70.0.1/24 dev kit0",
            "+ sysctl -w net.ipv4.ip_forward=1",
            "+ nft add rule inet podnet postrouting ip saddr 10.70.0.2",
            "+ # CNI ADD portmap (plugin 2 of 2 in network pods)",
            "+ # cache the result in /var/lib/cni/results/pods-",
        ] {
            assert!(err.contains(want), "missing {want:?} in:\n{err}");
        }
        let out = kit(&["del", "default/web", "--explain"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        for want in ["+ # CNI DEL portmap", "+ # CNI DEL podnet", " link del eth0", "+ kill ", "+ ip netns del cni-"] {
            assert!(err.contains(want), "missing {want:?} in:\n{err}");
        }
        let portmap = err.find("CNI DEL portmap").unwrap();
        let podnet = err.find("CNI DEL podnet").unwrap();
        assert!(portmap < podnet, "DEL runs the chain in reverse");
    }
}

node_test! {
    /// `--net` also takes a file (a single-plugin .conf), and `--ip` asks
    /// host-local for an address.
    fn a_conf_file_and_a_requested_address() {
        let path = "/run/single.conf";
        std::fs::write(path, json!({
            "cniVersion": "0.4.0", "name": "single", "type": "podnet", "mode": "ptp", "ptpGateway": "proxyArp",
            "ipam": {"type": "host-local", "subnet": "10.75.0.0/24"}
        }).to_string()).unwrap();
        let info = kit_json(&["add", "kube-system/dns", "--net", path, "--ip", "10.75.0.53"]);
        assert_eq!(info["ips"][0], "10.75.0.53/32");
        assert_eq!(info["result"]["cniVersion"], "0.4.0");
        let out = kit(&["check", "kube-system/dns"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = kit(&["del", "dns"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
}

node_test! {
    /// `cni gc` finds every kind of leak — a cache entry whose netns has no
    /// process, one whose netns is gone, a reservation of no pod, a cni-*
    /// netns with nothing in it, a podnet veth of no attachment whose peer
    /// is in that netns, an ipMasq rule of no attachment — reports them without touching anything under
    /// --dry-run (exit 1), then removes them and only them; a live pod is
    /// untouched and the next gc finds nothing.
    fn gc_finds_and_removes_leaks_and_nothing_else() {
        let dir = "/var/lib/cni/networks";
        write_net("10-gc.conflist", &json!({
            "cniVersion": "1.1.0", "name": "gcnet",
            "plugins": [{"type": "podnet", "bridge": "gc0", "isGateway": true, "ipMasq": true, "ipMasqBackend": "nftables",
                         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.76.0.0/24"}]]}}]
        }));
        let alive = kit_json(&["add", "default/alive", "--net", "gcnet"]);
        // B: the pause process died; the netns is still mounted
        let b = kit_json(&["add", "default/b", "--net", "gcnet"]);
        sh(&format!("kill -9 {}", b["pause_pid"]));
        // C: the sandbox is gone entirely (pause dead, netns unmounted): its veth died with it
        let c = kit_json(&["add", "default/c", "--net", "gcnet"]);
        sh(&format!("kill -9 {}", c["pause_pid"]));
        let c_netns = c["netns"].as_str().unwrap();
        sh(&format!("umount {c_netns} && rm {c_netns}"));
        // D: a reservation of a container nobody knows
        std::fs::write(format!("{dir}/gcnet/10.76.0.200"), "ghost\r\neth0").unwrap();
        // E: an empty cni-* netns
        sh("ip netns add cni-00000000-0000-4000-8000-000000000000");
        // F: a podnet veth of no attachment, its peer in E's empty netns
        // (a podnet veth whose peer is in the node's own netns is no pod's,
        // but nothing proves it unused: gc leaves that alone)
        let marker = podnet::cni::names::marker("gcnet", "gone", "eth0");
        sh(&format!("ip link add pnetf00dfeed01 type veth peer name peer-f netns cni-00000000-0000-4000-8000-000000000000 && ip link set pnetf00dfeed01 alias '{marker}'"));
        // G: an ipMasq rule of no attachment
        let rule_marker = podnet::cni::names::marker("gcnet", "gone", "eth1");
        sh(&format!("nft add rule inet podnet postrouting ip saddr 10.76.0.99 masquerade comment '\"{rule_marker}\"'"));
        std::thread::sleep(std::time::Duration::from_millis(1100));

        let state = || {
            json!({
                "node": ns_state(None, &same, true),
                "ipam": reservations(dir),
                "nft": nft_rules(),
                "netns": sh("ls /run/netns"),
                "cache": sh("ls /var/lib/cni/results"),
            })
        };
        let before = state();
        // the default --min-age (60 s) spares the young reservation D
        let young = kit(&["gc", "--dry-run", "-o", "json"]);
        let young: Value = serde_json::from_slice(&young.stdout).unwrap();
        assert!(!young["leaks"].as_array().unwrap().iter().any(|l| l["object"].as_str().unwrap().ends_with("10.76.0.200")), "{young}");

        let out = kit(&["gc", "--dry-run", "--min-age", "0", "-o", "json"]);
        assert_eq!(out.status.code(), Some(1), "dry run with leaks: exit 1\n{}", stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["dry_run"], true);
        let leaks = report["leaks"].as_array().unwrap();
        assert!(leaks.iter().all(|l| l["removed"] == false));
        let has = |kind: &str, obj: &str| leaks.iter().any(|l| l["kind"] == kind && l["object"].as_str().unwrap().contains(obj));
        let b_sandbox = b["sandbox_id"].as_str().unwrap();
        let c_sandbox = c["sandbox_id"].as_str().unwrap();
        assert!(has("cache", b_sandbox), "B's cache entry: {report}");
        assert!(has("cache", c_sandbox), "C's cache entry: {report}");
        assert!(has("ipam", "10.76.0.200"), "D: {report}");
        let ipam = |ip: &str| leaks.iter().any(|l| l["kind"] == "ipam" && l["object"].as_str().unwrap().ends_with(&format!("/gcnet/{ip}")));
        assert!(ipam("10.76.0.3") && ipam("10.76.0.4"), "B's and C's reservations: {report}");
        assert!(has("netns", "cni-00000000-0000-4000-8000-000000000000"), "E: {report}");
        assert!(has("veth", "pnetf00dfeed01"), "F: {report}");
        assert!(has("firewall", "gcnet/gone/eth1"), "G: {report}");
        assert!(!leaks.iter().any(|l| l["object"].as_str().unwrap().contains(alive["sandbox_id"].as_str().unwrap())), "the live pod is no leak");
        assert!(!ipam("10.76.0.2"), "the live pod's address is no leak");
        assert_eq!(report["gc_calls"][0]["network"], "gcnet");
        assert_same(&before, &state(), "--dry-run changed something");

        let out = kit(&["gc", "--min-age", "0", "-o", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(report["leaks"].as_array().unwrap().iter().all(|l| l["removed"] == true), "{report}");
        assert_eq!(report["gc_calls"][0]["valid_attachments"], 1);

        // only the live pod is left
        let res = reservations(dir);
        assert_eq!(res.len(), 1, "{res:?}");
        assert_eq!(res.values().next().unwrap(), &format!("{}\r\neth0", alive["sandbox_id"].as_str().unwrap()));
        let netns: Vec<String> = sh("ls /run/netns").lines().map(str::to_string).collect();
        assert_eq!(netns, vec![alive["netns"].as_str().unwrap().trim_start_matches("/run/netns/").to_string()]);
        assert_eq!(sh("ls /var/lib/cni/results").lines().count(), 1);
        let veths: Vec<String> = link_names(None).into_iter().filter(|l| l.starts_with("pnet")).collect();
        assert_eq!(veths, vec![alive["result"]["interfaces"][1]["name"].as_str().unwrap().to_string()]);
        assert_eq!(nft_rules().iter().filter(|r| r.starts_with("rule")).count(), 1);
        assert_eq!(kit_json(&["check", "default/alive"])["ok"], true);
        let again = kit(&["gc", "--min-age", "0"]);
        assert_eq!(again.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), "nothing leaked\nCNI GC ran for network gcnet (podnet; 1 valid attachments)");
    }
}
