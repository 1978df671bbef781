//! Privileged tests of `podnet probe` and `podnet exec` on a `podnet lab`,
//! each on its own private node. The oracles run in the same namespace as
//! podnet's probe, through `nsenter --net`: iputils `ping` (with `-M do`
//! at the path-MTU boundary), `curl` against a `busybox httpd` started in a
//! pod, a Perl UDP client against an echo server and a silent port, busybox
//! `nslookup` against a small DNS server the test runs in a pod, and `ip -j`
//! / `readlink /proc/self/ns/*` for exec.

mod common;

use std::collections::BTreeSet;

use common::lab::{
    Bg, Lab, UdpMode, UdpServer, nsenter, nsenter_output, ping, podnet_json_code, wait_listening,
};
use common::node::podnet_on_node;
use serde_json::Value;

/// `podnet probe <args> -o json`: (exit status, the report).
fn probe(args: &[&str]) -> (i32, Value) {
    let mut a = vec!["probe"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["-o", "json"]);
    podnet_json_code(&a)
}

/// The results of each attempt of the only run of a report.
fn results(v: &Value) -> Vec<String> {
    let runs = v["probes"].as_array().expect("probes");
    assert_eq!(runs.len(), 1, "{v:#}");
    runs[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap().to_string())
        .collect()
}

fn received(v: &Value) -> u64 {
    v["probes"][0]["received"].as_u64().expect("received")
}

/// How many replies iputils ping got, from its summary line.
fn ping_received(out: &str) -> u64 {
    out.lines()
        .find(|l| l.contains("packets transmitted"))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ping summary in:\n{out}"))
}

node_test! {
    /// ICMP echo from a pod: reachable pods and the gateway answer, an
    /// address no route leads to is "network unreachable" from the node, a
    /// missing host in a remote pod CIDR times out, and a fault makes the
    /// remote pods unreachable — each exactly as iputils ping in the same
    /// namespace sees it.
    fn icmp_probe_agrees_with_ping() {
        let lab = Lab::up("pi", &["--nodes", "2", "--pods", "2"]);
        let from = lab.pod("web-1-1");
        // node1 would send a pod about one ICMP error a second
        // (net.ipv4.icmp_ratelimit): podnet and ping, one after the other,
        // must both hear their "network unreachable"
        nsenter(&lab.node("node1").netns, "sysctl", &["-qw", "net.ipv4.icmp_ratelimit=0"]);
        let cases = [
            (lab.pod("web-1-2").ip.clone(), true, "reply"),
            (lab.pod("web-2-1").ip.clone(), true, "reply"),
            ("10.244.1.1".to_string(), true, "reply"),
            ("10.250.0.1".to_string(), false, "network unreachable (from 10.244.1.1"),
            ("10.244.2.77".to_string(), false, "timeout"),
        ];
        for (target, reachable, word) in &cases {
            let (code, v) = probe(&[&from.short, target, "-c", "2", "--interval", "0.1", "--timeout", "0.5"]);
            let (ok, out) = ping(&from.netns, target, &[]);
            assert_eq!(ok, *reachable, "ping {target}:\n{out}");
            assert_eq!(code, if *reachable { 0 } else { 1 }, "{target}: {v:#}");
            assert_eq!(received(&v), ping_received(&out), "{target}: podnet {v:#}\nping:\n{out}");
            assert_eq!(v["probes"][0]["sent"], 2);
            for r in results(&v) {
                assert!(r.starts_with(word), "{target}: {r:?} (want {word:?})");
            }
            if word.starts_with("network unreachable") {
                assert!(out.contains("From 10.244.1.1") && out.contains("Destination Net Unreachable"), "{out}");
            }
            if *reachable {
                assert!(v["probes"][0]["rtt"]["min_ms"].as_f64().is_some(), "{v:#}");
            }
        }
        // a pod reference as the target is that pod's address
        let (code, v) = probe(&[&from.short, "default/web-2-2", "-c", "1"]);
        assert_eq!(code, 0, "{v:#}");
        assert_eq!(v["probes"][0]["target"], lab.pod("web-2-2").ip.as_str());

        // node1 loses node2's VTEP: the remote pods go silent for both
        let n2 = lab.node("node2");
        nsenter(&lab.node("node1").netns, "bridge", &["fdb", "del", n2.vtep_mac.as_deref().unwrap(), "dev", "flannel.1", "dst", &n2.underlay_ip]);
        let target = &lab.pod("web-2-1").ip;
        let (code, v) = probe(&[&from.short, target, "-c", "2", "--interval", "0.1", "--timeout", "0.5"]);
        let (ok, out) = ping(&from.netns, target, &[]);
        assert!(!ok, "{out}");
        assert_eq!((code, received(&v), ping_received(&out)), (1, 0, 0), "{v:#}");
        lab.fix_all();
        let (code, v) = probe(&[&from.short, target, "-c", "1"]);
        assert_eq!(code, 0, "{v:#}");
        lab.down();
    }
}

/// A Perl UDP client (the oracle): sends one datagram from the namespace
/// and says `reply <n>`, `refused` or `timeout`.
fn perl_udp(netns: &str, target: &str) -> String {
    let script = r#"use IO::Socket::INET; use Errno;
        my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], Proto => "udp") or die "socket: $!";
        $s->send("oracle\n") or die "send: $!";
        my $r = "";
        my $got = eval { local $SIG{ALRM} = sub { die "alarm\n" }; alarm 1; my $ok = $s->recv($r, 4096); alarm 0; defined $ok ? 1 : -1 };
        if (!defined $got) { print "timeout\n" }
        elsif ($got < 0) { print $!{ECONNREFUSED} ? "refused\n" : "error $!\n" }
        else { print "reply " . length($r) . "\n" }"#;
    let o = nsenter_output(netns, "perl", &["-e", script, target]);
    assert!(
        o.status.success(),
        "perl: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// curl from the namespace: (HTTP status or 0, curl's exit status).
fn curl(netns: &str, url: &str) -> (u16, i32) {
    let o = nsenter_output(
        netns,
        "curl",
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--connect-timeout",
            "1",
            "--max-time",
            "2",
            url,
        ],
    );
    let code = String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    (code, o.status.code().unwrap_or(-1))
}

node_test! {
    /// TCP connect and HTTP GET against a busybox httpd in a remote pod
    /// (curl agrees: status codes, refused, timeout), UDP against an echo
    /// server, a closed port and a silent one (a Perl client agrees), DNS
    /// against the test's own server (busybox nslookup agrees on the
    /// address and on NXDOMAIN; an unanswered query times out).
    fn tcp_http_udp_and_dns_probes_agree_with_oracles() {
        let lab = Lab::up("ps", &["--nodes", "2", "--pods", "2"]);
        let from = lab.pod("web-1-1");
        let server = lab.pod("web-2-1");
        let ip = server.ip.clone();
        std::fs::create_dir_all("/run/podnet-test-www").unwrap();
        std::fs::write("/run/podnet-test-www/index.html", "hello\n").unwrap();
        let mut httpd = Bg::start(&server.netns, "busybox", &["httpd", "-f", "-p", "8080", "-h", "/run/podnet-test-www"]);
        wait_listening(&server.netns, 't', 8080);
        httpd.assert_running();

        // HTTP: the status line's code is curl's http_code
        for (path, want_ok) in [("/index.html", true), ("/missing", false)] {
            let url = format!("http://{ip}:8080{path}");
            let (code, v) = probe(&[&from.short, &url, "-c", "1"]);
            let (http, curl_exit) = curl(&from.netns, &url);
            assert_eq!(curl_exit, 0);
            let line = &results(&v)[0];
            assert!(line.starts_with("HTTP/1."), "{v:#}");
            assert_eq!(line.split_whitespace().nth(1), Some(http.to_string().as_str()), "{v:#}");
            assert_eq!((code == 0, v["probes"][0]["received"] == 1), (want_ok, want_ok), "{v:#}");
        }
        // --http with --port is the same GET
        let (code, v) = probe(&[&from.short, &ip, "--http", "/index.html", "--port", "8080", "-c", "1"]);
        assert_eq!(code, 0, "{v:#}");
        assert!(results(&v)[0].starts_with("HTTP/1.0 200") || results(&v)[0].starts_with("HTTP/1.1 200"), "{v:#}");

        // TCP: open, closed (curl 7: could not connect), nobody there (curl 28: timeout)
        let (code, v) = probe(&[&from.short, &format!("{ip}:8080"), "-c", "2", "--interval", "0.05"]);
        assert_eq!((code, received(&v)), (0, 2), "{v:#}");
        assert!(results(&v).iter().all(|r| r == "connected"), "{v:#}");
        let (code, v) = probe(&[&from.short, &format!("tcp://{ip}:8081"), "-c", "1"]);
        assert_eq!((code, results(&v)), (1, vec!["refused".to_string()]), "{v:#}");
        assert_eq!(curl(&from.netns, &format!("http://{ip}:8081/")), (0, 7));
        let (code, v) = probe(&[&from.short, "10.244.2.77:80", "-c", "1", "--timeout", "0.5"]);
        assert_eq!((code, results(&v)), (1, vec!["timeout".to_string()]), "{v:#}");
        assert_eq!(curl(&from.netns, "http://10.244.2.77:80/"), (0, 28));

        // UDP: echo, closed (ICMP port unreachable), silent
        let _echo = UdpServer::start(&server.netns, 9999, UdpMode::Echo, &[]);
        let _sink = UdpServer::start(&server.netns, 9997, UdpMode::Silent, &[]);
        let (code, v) = probe(&[&from.short, &format!("udp://{ip}:9999"), "-c", "1"]);
        assert_eq!(perl_udp(&from.netns, &format!("{ip}:9999")), "reply 7");
        assert_eq!(code, 0, "{v:#}");
        assert_eq!(results(&v), vec!["13 bytes back".to_string()], "podnet sends 13 bytes, the echo returns them");
        let (code, v) = probe(&[&from.short, &format!("udp://{ip}:9998"), "-c", "1"]);
        assert_eq!(perl_udp(&from.netns, &format!("{ip}:9998")), "refused");
        assert_eq!((code, results(&v)), (1, vec!["refused".to_string()]), "{v:#}");
        let (code, v) = probe(&[&from.short, &ip, "--udp", "9997", "-c", "1", "--timeout", "0.5"]);
        assert_eq!(perl_udp(&from.netns, &format!("{ip}:9997")), "timeout");
        assert_eq!(code, 1, "{v:#}");
        assert!(results(&v)[0].starts_with("no answer"), "{v:#}");

        // DNS against the test's server in web-2-2
        let dns = lab.pod("web-2-2");
        let _dns = UdpServer::start(&dns.netns, 53, UdpMode::Dns, &[[10, 244, 2, 2], [10, 244, 2, 3]]);
        let look = nsenter_output(&from.netns, "busybox", &["nslookup", "web.lab.test", &dns.ip]);
        let look = String::from_utf8_lossy(&look.stdout).into_owned();
        let oracle: BTreeSet<&str> = look
            .lines()
            .skip_while(|l| !l.starts_with("Name:"))
            .filter_map(|l| l.strip_prefix("Address: "))
            .map(str::trim)
            .collect();
        assert_eq!(oracle, BTreeSet::from(["10.244.2.2", "10.244.2.3"]), "nslookup:\n{look}");
        let (code, v) = probe(&[&from.short, &format!("dns://{}/web.lab.test", dns.ip), "-c", "1"]);
        assert_eq!(code, 0, "{v:#}");
        let got: BTreeSet<String> = results(&v)[0].split_whitespace().skip(1).map(String::from).collect();
        assert_eq!(results(&v)[0].split_whitespace().next(), Some("NOERROR"), "{v:#}");
        assert_eq!(got, oracle.iter().map(|s| s.to_string()).collect(), "{v:#}");

        let nx = nsenter_output(&from.netns, "busybox", &["nslookup", "nothing.lab.test", &dns.ip]);
        let nx_text = format!("{}{}", String::from_utf8_lossy(&nx.stdout), String::from_utf8_lossy(&nx.stderr));
        assert!(nx_text.contains("NXDOMAIN"), "nslookup:\n{nx_text}");
        let (code, v) = probe(&[&from.short, &dns.ip, "--dns", "nothing.lab.test", "-c", "1"]);
        assert_eq!((code, results(&v)), (1, vec!["NXDOMAIN".to_string()]), "{v:#}");

        let (code, v) = probe(&[&from.short, &format!("dns://{}/slow.lab.test", dns.ip), "-c", "1", "--timeout", "0.5"]);
        assert_eq!((code, results(&v)), (1, vec!["timeout".to_string()]), "{v:#}");
        drop(httpd);
        lab.down();
    }
}

/// The path MTU from a pod per iputils ping: the largest DF packet that
/// gets a reply, and the next size up must not (the learnt path MTU of
/// the pod is flushed first, so the first failure is the path's own).
fn ping_boundary(netns: &str, target: &str, pmtu: usize) {
    nsenter(netns, "ip", &["route", "flush", "cache"]);
    let (ok, out) = ping(netns, target, &["-M", "do", "-s", &(pmtu - 28).to_string()]);
    assert!(ok, "a {pmtu}-byte DF ping fails:\n{out}");
    let (ok, out) = ping(netns, target, &["-M", "do", "-s", &(pmtu - 27).to_string()]);
    assert!(!ok, "a {}-byte DF ping passes:\n{out}", pmtu + 1);
    nsenter(netns, "ip", &["route", "flush", "cache"]);
}

fn pmtu(pod: &str, target: &str) -> (i32, Value) {
    let (code, v) = probe(&[pod, target, "--pmtu", "--timeout", "0.3"]);
    let runs = v["pmtu"].as_array().expect("pmtu");
    assert_eq!(runs.len(), 1, "{v:#}");
    (code, runs[0].clone())
}

node_test! {
    /// `--pmtu` finds the path MTU the lab configured: 1450 over VXLAN
    /// (the pods' MTU), still 1450 from a pod whose MTU was raised to 1500
    /// (the mtu fault: the bigger packets die silently on the host veth),
    /// 1500 on a routed lab; none at all to an unreachable address. ping
    /// with -M do agrees at each boundary.
    fn pmtu_sweep_finds_the_lab_path_mtu() {
        let lab = Lab::up("pm", &["--nodes", "2", "--pods", "1"]);
        let (a, b) = (lab.pod("web-1-1"), lab.pod("web-2-1"));
        ping_boundary(&a.netns, &b.ip, 1450);
        let (code, r) = pmtu(&a.short, &b.ip);
        assert_eq!(code, 0, "{r:#}");
        assert_eq!((r["pmtu"].as_u64(), r["interface_mtu"].as_u64()), (Some(1450), Some(1450)), "{r:#}");

        nsenter(&a.netns, "ip", &["link", "set", "dev", "eth0", "mtu", "1500"]);
        ping_boundary(&a.netns, &b.ip, 1450);
        let (code, r) = pmtu(&a.short, &b.ip);
        assert_eq!(code, 0, "{r:#}");
        assert_eq!((r["pmtu"].as_u64(), r["interface_mtu"].as_u64()), (Some(1450), Some(1500)), "{r:#}");
        let steps = r["steps"].as_array().unwrap();
        assert!(steps.iter().any(|s| s["size"] == 1450 && s["ok"] == true), "{r:#}");
        assert!(steps.iter().any(|s| s["size"] == 1451 && s["ok"] == false), "{r:#}");
        assert!(steps.iter().any(|s| s["size"] == 1500 && s["ok"] == false), "{r:#}");
        lab.fix_all();

        // nothing answers: no size passes
        let (code, r) = pmtu(&a.short, "10.244.2.77");
        assert_eq!(code, 1, "{r:#}");
        assert!(r["pmtu"].is_null(), "{r:#}");
        lab.down();

        let lab = Lab::up("pr", &["--nodes", "2", "--pods", "1", "--overlay", "routed"]);
        let (a, b) = (lab.pod("web-1-1"), lab.pod("web-2-1"));
        ping_boundary(&a.netns, &b.ip, 1500);
        let (code, r) = pmtu(&a.short, &b.ip);
        assert_eq!(code, 0, "{r:#}");
        assert_eq!((r["pmtu"].as_u64(), r["interface_mtu"].as_u64()), (Some(1500), Some(1500)), "{r:#}");
        lab.down();
    }
}

node_test! {
    /// `--from-all` probes from every lab pod but the target itself (named as a
    /// pod, or owning the address), and each source's result is what ping
    /// from that pod says, healthy and with node2's forwarding off.
    fn from_all_probes_from_every_lab_pod_and_agrees_with_ping() {
        let lab = Lab::up("fa", &["--nodes", "3", "--pods", "2"]);
        let everyone: BTreeSet<String> = lab.pods.iter().map(|p| p.name.clone()).collect();
        let target = lab.pod("web-2-1");
        let check = |v: &Value, want: &BTreeSet<String>| {
            let runs = v["probes"].as_array().expect("probes");
            let from: BTreeSet<String> = runs.iter().map(|r| r["from"].as_str().unwrap().to_string()).collect();
            assert_eq!(&from, want, "{v:#}");
            for r in runs {
                let src = lab.pods.iter().find(|p| r["from"] == p.name.as_str()).unwrap();
                assert_eq!(r["from_netns"], src.inode, "{r:#}");
                let (ok, out) = ping(&src.netns, &target.ip, &["-c", "1"]);
                assert_eq!(r["received"].as_u64() == Some(1), ok, "{}: podnet {r:#}\nping:\n{out}", src.name);
            }
        };
        let mut others = everyone.clone();
        others.remove(&target.name);
        let (code, v) = probe(&["--from-all", &target.ip, "-c", "1", "--timeout", "0.5"]);
        assert_eq!(code, 0, "{v:#}");
        check(&v, &others);
        let (code, v) = probe(&["--from-all", "default/web-2-1", "-c", "1", "--timeout", "0.5"]);
        assert_eq!(code, 0, "{v:#}");
        check(&v, &others);

        nsenter(&lab.node("node2").netns, "sysctl", &["-qw", "net.ipv4.ip_forward=0"]);
        let (code, v) = probe(&["--from-all", &target.ip, "-c", "1", "--timeout", "0.5"]);
        assert_eq!(code, 1, "{v:#}");
        check(&v, &others);
        let failed: BTreeSet<&str> = v["probes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["received"] == 0)
            .map(|r| r["from"].as_str().unwrap())
            .collect();
        assert_eq!(failed, BTreeSet::from(["default/web-1-1", "default/web-1-2", "default/web-3-1", "default/web-3-2"]));
        lab.fix_all();
        lab.down();
    }
}

/// `podnet exec <target> -- args…`: (exit status, stdout, stderr).
fn exec(target: &str, args: &[&str]) -> (i32, String, String) {
    let mut a = vec!["exec", target, "--"];
    a.extend_from_slice(args);
    let o = podnet_on_node(&a);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

node_test! {
    /// exec runs a node program in the pod's network namespace only: `ip -j
    /// addr` there is what nsenter --net shows, the mount, PID and user
    /// namespaces are the caller's, arguments reach the program unchanged,
    /// its exit status is podnet's, and a missing program is 127.
    fn exec_runs_in_the_pod_network_namespace_only() {
        let lab = Lab::up("ex", &["--nodes", "2", "--pods", "1"]);
        let pod = lab.pod("web-2-1");
        for target in [pod.short.as_str(), pod.name.as_str(), pod.ip.as_str(), pod.netns.as_str()] {
            let (code, out, err) = exec(target, &["ip", "-j", "addr"]);
            assert_eq!(code, 0, "{target}: {err}");
            let ours: Value = serde_json::from_str(&out).unwrap();
            let oracle: Value = serde_json::from_str(&nsenter(&pod.netns, "ip", &["-j", "addr"])).unwrap();
            assert_eq!(ours, oracle, "{target}");
        }
        let (_, net, _) = exec(&pod.short, &["stat", "-L", "-c", "%i", "/proc/self/ns/net"]);
        assert_eq!(net.trim(), pod.inode.to_string());
        for ns in ["mnt", "pid", "user", "uts"] {
            let (code, theirs, _) = exec(&pod.short, &["readlink", &format!("/proc/self/ns/{ns}")]);
            assert_eq!(code, 0);
            let ours = std::fs::read_link(format!("/proc/self/ns/{ns}")).unwrap();
            assert_eq!(theirs.trim(), ours.to_string_lossy(), "{ns} namespace changed");
        }
        let (code, out, _) = exec(&pod.short, &["printf", "%s|", "a b", "$HOME", "*"]);
        assert_eq!((code, out.as_str()), (0, "a b|$HOME|*|"), "arguments go through without a shell");
        assert_eq!(exec(&pod.short, &["sh", "-c", "exit 7"]).0, 7);
        assert_eq!(exec(&pod.short, &["false"]).0, 1);
        let (code, _, err) = exec(&pod.short, &["/no/such/program"]);
        assert_eq!(code, 127, "{err}");
        assert!(err.contains("/no/such/program") && err.contains("default/web-2-1"), "{err}");
        let (code, _, err) = exec("no-such-pod", &["true"]);
        assert_eq!(code, 2, "{err}");
        lab.down();
    }
}
