//! podnet as a CNI plugin refuses what would harm the node, on real kernel
//! objects in a private node: a host veth name shared by two pods, a
//! same-named veth of a live earlier sandbox, the node's own netns as
//! CNI_NETNS, a CNI_NETNS that is not a namespace, an unreadable
//! `resolvConf`, `%` in names, IPAM delegated to podnet itself, configs
//! that would plumb the wrong thing, and a stop hook that would never end.
//! Oracles: `ip -j` in the node and pod namespaces, the IPAM files on disk,
//! the reference plugins (run on their own node namespace).

mod cni_support;
mod common;

use std::path::Path;
use std::time::Duration;

use cni_support::*;
use common::bounded::{self, Ended, Limits};
use common::sh;
use serde_json::{Value, json};

fn bridge(name: &str, data_dir: &str, subnet: &str) -> Value {
    json!({
        "cniVersion": "1.0.0",
        "name": name,
        "type": "podnet",
        "bridge": "brs",
        "isGateway": true,
        "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]], "dataDir": data_dir}
    })
}

fn pod_args(ns: &str, name: &str) -> String {
    format!("IgnoreUnknown=1;K8S_POD_NAMESPACE={ns};K8S_POD_NAME={name}")
}

/// A call with CNI_ARGS naming a pod.
fn for_pod(mut c: Call, ns: &str, name: &str) -> Call {
    c.args = pod_args(ns, name);
    c
}

/// Runs a plugin call bounded (timeout, peak RSS, optional limits).
fn bounded_call(call: &Call, stdin: &[u8], limits: &Limits) -> Ended {
    bounded::run(call.process(true), stdin, limits)
}

/// Asserts a bounded run ended with a CNI error of `code` (exit 1, JSON on
/// stdout), in time; returns the error object.
fn cni_error(e: &Ended, code: u64, what: &str) -> Value {
    assert!(!e.timed_out, "{what}: hung\n{}", e.describe());
    assert_eq!(e.code, Some(1), "{what}: exit status\n{}", e.describe());
    let v = e.json();
    assert_eq!(
        v["code"].as_u64(),
        Some(code),
        "{what}: CNI code\n{}",
        e.describe()
    );
    assert!(
        v["msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: no msg\n{}",
        e.describe()
    );
    v
}

/// Waits (up to 10 s) until `cond` holds.
fn wait_until(cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The host veth of a bridge-mode result (interfaces: bridge, host veth, pod's).
fn host_veth_of(result: &Value) -> String {
    result["interfaces"][1]["name"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The `ip -j` record of link `name` in a namespace, if it exists.
fn link(netns: Option<&str>, name: &str) -> Option<Value> {
    ip_json(netns, "-d link show")
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["ifname"] == name)
        .cloned()
}

node_test! {
    /// Pod `default/web.net1` (eth0) and pod `default/web` (interface net1)
    /// once hashed to the same host veth name, and the second ADD deleted
    /// the first pod's live veth as "stale". Now each keeps its own: both
    /// pod interfaces exist, each host veth is the peer of its pod's.
    fn two_pods_never_share_a_host_veth_name() {
        let dir = "/var/lib/cni/names";
        let conf = bridge("names", dir, "10.70.0.0/24");
        let a = netns("nm-a");
        let b = netns("nm-b");
        let ra = for_pod(Call::podnet("ADD", "c1", &a), "default", "web.net1")
            .run(&conf)
            .ok("ADD default/web.net1 eth0")
            .clone();
        let rb = for_pod(Call::podnet("ADD", "c2", &b).ifname("net1"), "default", "web")
            .run(&conf)
            .ok("ADD default/web net1")
            .clone();
        let (ha, hb) = (host_veth_of(&ra), host_veth_of(&rb));
        assert_ne!(ha, hb, "two attachments, one host veth name");
        for (pod, ifname, host) in [(&a, "eth0", &ha), (&b, "net1", &hb)] {
            let inside = link(Some(pod), ifname)
                .unwrap_or_else(|| panic!("{ifname} is gone from {pod}"));
            let outside = link(None, host).unwrap_or_else(|| panic!("host veth {host} is gone"));
            assert_eq!(inside["link_index"], outside["ifindex"], "{host} is {pod}'s peer");
            assert_eq!(outside["linkinfo"]["info_kind"], "veth");
        }
        // both still pass CHECK, and DEL of one leaves the other
        Call::podnet("CHECK", "c1", &a).run(&with_prev(&conf, &ra)).ok("CHECK c1");
        Call::podnet("DEL", "c2", &b).ifname("net1").run(&with_prev(&conf, &rb)).ok("DEL c2");
        assert!(link(Some(&a), "eth0").is_some());
        assert!(link(None, &ha).is_some());
    }
}

node_test! {
    /// A new sandbox of the same pod whose host veth name is still taken by
    /// the earlier sandbox's veth: while the earlier netns lives (held by
    /// its bind mount, by a process in it, or by a descriptor only), ADD
    /// fails with code 108 and changes nothing; once nothing holds the
    /// earlier netns (as far as the node can see: its last holder is a
    /// mount in another mount namespace), the leftover veth is replaced.
    fn a_same_named_veth_is_taken_over_only_when_its_netns_is_gone() {
        let dir = "/var/lib/cni/stale";
        let conf = bridge("stale", dir, "10.71.0.0/24");
        let old = netns("st-old");
        let new = netns("st-new");
        let r1 = for_pod(Call::podnet("ADD", "s1", &old), "default", "web")
            .run(&conf)
            .ok("ADD of the first sandbox")
            .clone();
        let hv = host_veth_of(&r1);
        let pods = [old.as_str(), new.as_str()];
        let second = for_pod(Call::podnet("ADD", "s2", &new), "default", "web");

        // held by its bind mount
        let before = snapshot(&pods, dir);
        let e = second.run(&conf);
        let msg = e.err(108, "ADD while the earlier sandbox's netns is mounted")["msg"].clone();
        assert!(msg.as_str().unwrap().contains("mounted at /run/netns/st-old"), "{msg}");
        assert_same(&before, &snapshot(&pods, dir), "a live earlier sandbox (mounted)");

        // held by a process in it (the mount gone), then by a descriptor only
        let mut inside = std::process::Command::new("nsenter")
            .args([format!("--net={old}"), "--".into(), "sleep".into(), "600".into()])
            .spawn()
            .unwrap();
        let old_ino = common::node::inode_of(&old);
        wait_until(|| std::fs::metadata(format!("/proc/{}/ns/net", inside.id())).is_ok_and(|m| std::os::unix::fs::MetadataExt::ino(&m) == old_ino));
        let mut by_fd = common::node::hold_by_fd(&old);
        // a mount namespace of its own keeps a copy of the netns's bind mount
        let mut hidden = std::process::Command::new("unshare")
            .args(["--mount", "--propagation", "private", "--", "sh", "-c", "echo ready && exec sleep 600"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(hidden.stdout.take().unwrap()), &mut ready).unwrap();
        assert_eq!(ready.trim(), "ready");
        // (the mount point file stays: unlinking it would unmount it in every namespace)
        sh("umount -l /run/netns/st-old");
        let before = snapshot(&[new.as_str()], dir);
        let e = second.run(&conf);
        let msg = e.err(108, "ADD while a process is in the earlier netns")["msg"].clone();
        assert!(msg.as_str().unwrap().contains(&format!("process {}", inside.id())), "{msg}");
        assert_same(&before, &snapshot(&[new.as_str()], dir), "a live earlier sandbox (process)");
        inside.kill().unwrap();
        inside.wait().unwrap();
        let e = second.run(&conf);
        let msg = e.err(108, "ADD while a descriptor holds the earlier netns")["msg"].clone();
        assert!(msg.as_str().unwrap().contains(&format!("process {} holds it open", by_fd.id())), "{msg}");
        assert_same(&before, &snapshot(&[new.as_str()], dir), "a live earlier sandbox (fd)");
        assert!(link(None, &hv).is_some(), "the earlier veth is still there");

        // only a mount in another mount namespace holds it now: nothing the
        // node can see; the leftover veth is replaced by the new sandbox's
        by_fd.kill().unwrap();
        by_fd.wait().unwrap();
        assert!(link(None, &hv).is_some(), "the netns lives on in the hidden mount");
        let r2 = second.run(&conf).ok("ADD once the earlier netns is gone").clone();
        assert_eq!(host_veth_of(&r2), hv);
        let now = link(None, &hv).unwrap();
        let key = podnet::cni::names::attachment_key("stale", "s2", "eth0");
        assert!(now["ifalias"].as_str().unwrap().contains(&key), "{now}");
        assert!(now["ifalias"].as_str().unwrap().contains(&format!("ns={}", common::node::inode_of(&new))), "{now}");
        assert!(link(Some(&new), "eth0").is_some());
        hidden.kill().unwrap();
        hidden.wait().unwrap();
    }
}

node_test! {
    /// DEL, ADD and CHECK refuse the node's own netns as CNI_NETNS, by any
    /// path that leads to it: a DEL for a container never added no longer
    /// deletes the node's eth0.
    fn the_nodes_own_netns_is_never_taken_for_a_pods() {
        // the node's "eth0": a veth pair (this kernel has no dummy links)
        sh("ip link add eth0 type veth peer name eth0-peer && ip link set eth0 up && ip addr add 192.0.2.10/24 dev eth0");
        std::fs::create_dir_all("/run/podnet-test").unwrap();
        common::node::bind_mount_netns("/proc/self/ns/net", "/run/netns/node-alias");
        std::os::unix::fs::symlink("/proc/1/ns/net", "/run/podnet-test/nslink").unwrap();
        let dir = "/var/lib/cni/own";
        let conf = bridge("own", dir, "10.72.0.0/24");
        let prev = json!({"cniVersion": "1.0.0",
            "interfaces": [{"name": "brs"}, {"name": "pnetx"}, {"name": "eth0", "sandbox": "/proc/1/ns/net"}],
            "ips": [{"address": "10.72.0.2/24", "interface": 2}]});
        let before = snapshot(&[], dir);
        for path in [
            "/proc/1/ns/net",
            "/proc/self/ns/net",
            "/proc/thread-self/ns/net",
            "/run/netns/node-alias",
            "/run/podnet-test/nslink",
        ] {
            for (cmd, ifname, stdin) in [
                ("DEL", "eth0", conf.clone()),
                ("ADD", "eth1", conf.clone()),
                ("CHECK", "eth0", with_prev(&conf, &prev)),
            ] {
                let call = Call::podnet(cmd, "never-added", path).ifname(ifname);
                let e = bounded_call(&call, stdin.to_string().as_bytes(), &Limits::default());
                let v = cni_error(&e, 4, &format!("{cmd} with CNI_NETNS={path}"));
                assert!(v["msg"].as_str().unwrap().contains("own network namespace"), "{v}");
            }
            assert!(link(None, "eth0").is_some(), "the node's eth0 survives CNI_NETNS={path}");
        }
        assert_same(&before, &snapshot(&[], dir), "the node's own netns as CNI_NETNS");
        assert!(!Path::new(dir).exists(), "no IPAM store was even opened");
    }
}

node_test! {
    /// A CNI_NETNS that is a fifo hung ADD, DEL and CHECK forever (open(2)
    /// of a fifo waits for a writer). Anything that is not a network
    /// namespace is refused at once with code 4, without touching it; DEL
    /// still takes a missing path (or the empty file an unmounted netns
    /// leaves) as "already gone".
    fn a_cni_netns_that_is_not_a_namespace_is_refused_at_once() {
        let t = "/run/podnet-test";
        std::fs::create_dir_all(format!("{t}/dir")).unwrap();
        sh(&format!("mkfifo {t}/fifo && touch {t}/file && ln -s {t}/loop {t}/loop"));
        let _sock = std::os::unix::net::UnixListener::bind(format!("{t}/sock")).unwrap();
        let dir = "/var/lib/cni/notns";
        let conf = bridge("notns", dir, "10.73.0.0/24");
        let prev = json!({"cniVersion": "1.0.0",
            "interfaces": [{"name": "brs"}, {"name": "pnetx"}, {"name": "eth0", "sandbox": "/run/netns/x"}],
            "ips": [{"address": "10.73.0.2/24", "interface": 2}]});
        let stdin_of = |cmd: &str| if cmd == "CHECK" { with_prev(&conf, &prev) } else { conf.clone() }.to_string();
        let before = snapshot(&[], dir);
        let refused = [
            format!("{t}/fifo"),
            format!("{t}/dir"),
            format!("{t}/sock"),
            format!("{t}/loop"),
            "/dev/zero".to_string(),
            "/proc/self/ns/uts".to_string(),
        ];
        for path in &refused {
            for cmd in ["ADD", "DEL", "CHECK"] {
                let e = bounded_call(&Call::podnet(cmd, "x1", path), stdin_of(cmd).as_bytes(), &Limits::default());
                cni_error(&e, 4, &format!("{cmd} with CNI_NETNS={path}"));
            }
        }
        // a regular file: ADD and CHECK refuse it, DEL takes it as gone
        let file = format!("{t}/file");
        for cmd in ["ADD", "CHECK"] {
            let e = bounded_call(&Call::podnet(cmd, "x1", &file), stdin_of(cmd).as_bytes(), &Limits::default());
            cni_error(&e, 4, &format!("{cmd} with a regular file"));
        }
        Call::podnet("DEL", "x1", &file).run(&conf).ok("DEL with the file an unmounted netns leaves");
        Call::podnet("DEL", "x1", &format!("{t}/missing")).run(&conf).ok("DEL with a missing netns");
        Call::podnet("ADD", "x1", &format!("{t}/fifo/below")).run(&conf).err(3, "ADD below a fifo");
        assert_same(&before, &snapshot(&[], dir), "CNI_NETNS that is not a namespace");
        // the fifo was never opened for reading: a writer would still block
        let meta = std::fs::metadata(format!("{t}/fifo")).unwrap();
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()));
    }
}

node_test! {
    /// A `resolvConf` that cannot be read failed ADD after the address was
    /// reserved and kept the reservation ("rolled back 0 step(s)"), so each
    /// retry took another address; `/dev/zero` grew memory without bound
    /// while holding the network's lock, and a fifo hung. It is read first
    /// now (a regular file, bounded): ADD fails with code 7 and nothing is
    /// reserved, locked or plumbed.
    fn an_unreadable_resolv_conf_reserves_nothing() {
        let t = "/run/podnet-test";
        std::fs::create_dir_all(format!("{t}/adir")).unwrap();
        sh(&format!("mkfifo {t}/fifo && truncate -s 100M {t}/big && printf 'nameserver 10.96.0.10\\n' > {t}/resolv.conf"));
        let dir = "/var/lib/cni/resolv";
        let pod = netns("rc-pod");
        let limits = Limits {
            address_space: Some(2 << 30),
            ..Limits::default()
        };
        let before = snapshot(&[pod.as_str()], dir);
        for path in [
            format!("{t}/missing"),
            format!("{t}/adir"),
            format!("{t}/fifo"),
            format!("{t}/big"),
            "/dev/zero".to_string(),
        ] {
            let mut conf = bridge("resolv", dir, "10.74.0.0/29");
            conf["ipam"]["resolvConf"] = json!(path);
            for attempt in 0..3 {
                let e = bounded_call(&Call::podnet("ADD", "r1", &pod), conf.to_string().as_bytes(), &limits);
                let v = cni_error(&e, 7, &format!("ADD #{attempt} with resolvConf {path}"));
                assert!(v["msg"].as_str().unwrap().contains("resolvConf"), "{v}");
                assert!(e.max_rss_kib < 200 << 10, "resolvConf {path}: peak RSS {} KiB", e.max_rss_kib);
            }
            assert!(reservations(dir).is_empty(), "resolvConf {path} left reservations: {:?}", reservations(dir));
        }
        assert_same(&before, &snapshot(&[pod.as_str()], dir), "unreadable resolvConf");
        assert!(!Path::new(dir).exists(), "no IPAM store was even opened");
        // a readable one still works
        let mut conf = bridge("resolv", dir, "10.74.0.0/29");
        conf["ipam"]["resolvConf"] = json!(format!("{t}/resolv.conf"));
        let r = Call::podnet("ADD", "r1", &pod).run(&conf).ok("ADD with a readable resolvConf").clone();
        assert_eq!(r["dns"]["nameservers"], json!(["10.96.0.10"]));
    }
}

node_test! {
    /// '%' in a bridge or interface name passed validation and the kernel
    /// expanded it (`br%d` → br0, br1…): every ADD leaked a bridge. Every
    /// name the plugin creates or takes is now checked against the kernel's
    /// rules, '%' and control characters included, before anything is done.
    fn percent_and_control_characters_in_names_are_refused() {
        let dir = "/var/lib/cni/pct";
        let pod = netns("pct-pod");
        let pods = [pod.as_str()];
        let before = snapshot(&pods, dir);
        for bridge_name in ["br%d", "%d", "br\u{1b}[2J", "br\tx", "br\u{7f}"] {
            let mut conf = bridge("pct", dir, "10.75.0.0/24");
            conf["bridge"] = json!(bridge_name);
            for _ in 0..2 {
                Call::podnet("ADD", "p1", &pod).run(&conf).err(7, &format!("bridge {bridge_name:?}"));
            }
        }
        let mut conf = bridge("pct", dir, "10.75.0.0/24");
        conf["vethPrefix"] = json!("v%d");
        Call::podnet("ADD", "p1", &pod).run(&conf).err(7, "vethPrefix v%d");
        let conf = bridge("pct", dir, "10.75.0.0/24");
        for ifname in ["eth%d", "e\u{1b}]0;x", "%s"] {
            Call::podnet("ADD", "p1", &pod).ifname(ifname).run(&conf).err(4, &format!("CNI_IFNAME {ifname:?}"));
        }
        assert_same(&before, &snapshot(&pods, dir), "names with '%' or control characters");
        let names = link_names(None);
        assert!(!names.iter().any(|n| n.starts_with("br")), "{names:?}");
    }
}

/// A pids cgroup for a call that must not fork without end (a safety net:
/// the fixed plugin refuses before it forks at all).
fn fork_guard(tag: &str) -> Limits {
    Limits {
        timeout: Duration::from_secs(30),
        cgroup: bounded::pids_cgroup(tag, 64),
        ..Limits::default()
    }
}

node_test! {
    /// IPAM delegated to a type that links to podnet recursed until fork
    /// failed. A delegate that is podnet itself (same file as
    /// /proc/self/exe) is refused with code 7 before anything runs; one
    /// that only ends up running podnet (a wrapper script) is stopped by the
    /// delegation depth. Nothing is left on the node.
    fn ipam_delegated_to_podnet_itself_is_refused() {
        let bin = "/run/podnet-test-bin";
        std::fs::create_dir_all(bin).unwrap();
        std::os::unix::fs::symlink(common::PODNET, format!("{bin}/selfipam")).unwrap();
        std::fs::write(format!("{bin}/wrapipam"), format!("#!/bin/sh\nexec {} \"$@\"\n", common::PODNET)).unwrap();
        sh(&format!("chmod +x {bin}/wrapipam"));
        let pod = netns("self-pod");
        let pods = [pod.as_str()];
        let before = snapshot(&pods, "/var/lib/cni/networks");
        for (ty, word) in [("selfipam", "podnet itself"), ("wrapipam", "podnet itself")] {
            let conf = json!({"cniVersion": "1.0.0", "name": "selfnet", "type": "podnet", "mode": "ptp",
                              "ipam": {"type": ty}});
            for cmd in ["ADD", "DEL", "STATUS"] {
                let mut call = Call::podnet(cmd, "sd1", &pod);
                call.path = bin.into();
                let limits = fork_guard(&format!("{ty}-{cmd}"));
                let e = bounded_call(&call, conf.to_string().as_bytes(), &limits);
                if let Some(cg) = &limits.cgroup {
                    bounded::remove_cgroup(cg);
                }
                let code = if cmd == "STATUS" { 50 } else { 7 };
                let v = cni_error(&e, code, &format!("{cmd} with ipam type {ty}"));
                let text = v.to_string();
                assert!(text.contains(word), "{cmd} {ty}: {v}");
            }
        }
        assert_same(&before, &snapshot(&pods, "/var/lib/cni/networks"), "self-delegated IPAM");
        let ps = sh("ps -eo comm=");
        assert!(!ps.lines().any(|l| l.trim() == "podnet"), "no podnet process is left: {ps}");
    }
}

node_test! {
    /// Configurations the plugin accepted although they plumb the wrong
    /// thing: `"ipam": "host-local"` (a string: a pod without an address,
    /// exit 0), a range gateway or a route gw of the other family (installed
    /// without it while the result claims it), a 0.0.0.0/0 or ::/0 subnet.
    /// podnet fails each with code 7 and leaves the node as it was. The
    /// reference bridge + host-local run the same inputs on a node of their
    /// own; what they answer is printed (they accept some of these).
    fn configs_that_would_plumb_the_wrong_thing_are_refused() {
        let dir = "/var/lib/cni/wrong";
        let pod = netns("wr-pod");
        let ref_node = netns("wr-ref-node");
        let pods = [pod.as_str()];
        let base = bridge("wrong", dir, "10.76.0.0/24");
        let mut cases: Vec<(&str, Value)> = Vec::new();
        let mut c = base.clone();
        c["ipam"] = json!("host-local");
        cases.push(("ipam is a string", c));
        let mut c = base.clone();
        c["ipam"] = json!({"type": 7});
        cases.push(("ipam.type is a number", c));
        let mut c = base.clone();
        c["ipam"]["ranges"] = json!([[{"subnet": "10.76.0.0/24", "gateway": "fd00:76::1"}]]);
        cases.push(("an IPv6 gateway for an IPv4 range", c));
        let mut c = base.clone();
        c["ipam"]["ranges"] = json!([[{"subnet": "fd00:76::/64", "gateway": "10.76.0.1"}]]);
        cases.push(("an IPv4 gateway for an IPv6 range", c));
        let mut c = base.clone();
        c["ipam"]["routes"] = json!([{"dst": "0.0.0.0/0", "gw": "fd00:76::1"}]);
        cases.push(("an IPv6 gw for an IPv4 route", c));
        let mut c = base.clone();
        c["ipam"]["routes"] = json!([{"dst": "::/0", "gw": "10.76.0.1"}]);
        cases.push(("an IPv4 gw for an IPv6 route", c));
        let mut c = base.clone();
        c["ipam"]["ranges"] = json!([[{"subnet": "0.0.0.0/0"}]]);
        cases.push(("a 0.0.0.0/0 subnet", c));
        let mut c = base.clone();
        c["ipam"]["ranges"] = json!([[{"subnet": "::/0"}]]);
        cases.push(("a ::/0 subnet", c));
        let mut c = base.clone();
        c["runtimeConfig"] = json!({"ips": "10.76.0.9"});
        cases.push(("runtimeConfig.ips is a string", c));

        let before = snapshot(&pods, dir);
        for (i, (what, conf)) in cases.iter().enumerate() {
            let e = Call::podnet("ADD", "w1", &pod).run(conf);
            e.err(7, what);
            assert_same(&before, &snapshot(&pods, dir), what);
            // the reference plugins, on their own node and pod
            let mut r = conf.clone();
            r["type"] = json!("bridge");
            if r["ipam"].is_object() {
                r["ipam"]["dataDir"] = json!("/var/lib/cni/wrong-ref");
            }
            let ref_pod = netns(&format!("wr-ref-{i}"));
            let reply = Call::reference("bridge", "ADD", &format!("w{i}"), &ref_pod).on_node(&ref_node).run(&r);
            println!(
                "REFERENCE: {what}: bridge+host-local exit {:?}, code {}, msg {}",
                reply.code, reply.json["code"], reply.json["msg"]
            );
        }
    }
}

node_test! {
    /// The stop hook (test builds only) slept forever when nobody killed
    /// the ADD. It is bounded now: after PODNET_CNI_STOP_SECONDS the ADD
    /// goes on and finishes.
    fn a_stop_hook_never_waits_forever() {
        let dir = "/var/lib/cni/stop";
        let conf = bridge("stop", dir, "10.77.0.0/24");
        let pod = netns("stop-pod");
        let call = Call::podnet("ADD", "st1", &pod)
            .env("PODNET_CNI_STOP_AT_STEP", "2")
            .env("PODNET_CNI_STOP_SECONDS", "1");
        let e = bounded_call(&call, conf.to_string().as_bytes(), &Limits::default());
        assert!(!e.timed_out, "the stopped ADD never went on\n{}", e.describe());
        assert_eq!(e.code, Some(0), "{}", e.describe());
        assert!(e.stderr_text().contains("stopped after step 2"), "{}", e.describe());
        assert!(link(Some(&pod), "eth0").is_some());
    }
}
