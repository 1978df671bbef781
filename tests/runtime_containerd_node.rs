//! Privileged tests against a real containerd (Debian's containerd 1.6 and
//! runc), run inside the private node and driven through its CRI API the
//! way kubelet drives it: podnet must name every pod sandbox, find its
//! pause PID and pair its veth as containerd and `ip -j` report them; and
//! podnet must work as containerd's CNI plugin, chained with portmap, and
//! leave nothing behind after RemovePodSandbox.

mod cni_support;
mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::cri::{Containerd, SandboxSpec, SandboxStatus};
use common::node::{
    CNI_BIN, CNI_RESULTS, IPAM_DATA_DIR, in_netns, random_uid, unique_prefix, write_file,
};
use common::sandbox_oracle::{
    Sandbox, assert_no_pods_left, assert_podnet_sees, pod_addresses, veth_truth,
};
use common::{PODNET, sh};

/// containerd's task state of the CRI namespace (bundles and init.pid).
const TASKS: &str = "/run/containerd/io.containerd.runtime.v2.task/k8s.io";

fn spec(namespace: &str, name: &str, ports: Vec<(u16, u16)>) -> SandboxSpec {
    SandboxSpec {
        namespace: namespace.into(),
        name: name.into(),
        uid: random_uid(),
        ports,
    }
}

/// Runs every pod and checks containerd's report against itself: the
/// metadata asked for, READY, its addresses on eth0, its pid in init.pid.
fn run_pods(ctrd: &Containerd, specs: &[SandboxSpec]) -> Vec<SandboxStatus> {
    let ids: Vec<String> = specs.iter().map(|s| ctrd.run_pod(s)).collect();
    let statuses: Vec<SandboxStatus> = ids.iter().map(|id| ctrd.status(id)).collect();
    for (s, st) in specs.iter().zip(&statuses) {
        assert!(st.ready, "{st:?}");
        assert_eq!(
            (&st.namespace, &st.name, &st.uid),
            (&s.namespace, &s.name, &s.uid)
        );
        assert!(!st.ips.is_empty(), "containerd reports no address: {st:?}");
        let mut ips = st.ips.clone();
        ips.sort();
        assert_eq!(pod_addresses(&st.netns_path), ips, "{st:?}");
        let init_pid = std::fs::read_to_string(format!("{TASKS}/{}/init.pid", st.id))
            .unwrap_or_else(|e| panic!("init.pid of {}: {e}", st.id));
        assert_eq!(init_pid.trim(), st.pid.to_string(), "{st:?}");
    }
    statuses
}

fn expected(st: &SandboxStatus) -> Sandbox {
    Sandbox {
        reference: format!("{}/{}", st.namespace, st.name),
        namespace: Some(st.namespace.clone()),
        name: st.name.clone(),
        uid: Some(st.uid.clone()),
        sandbox_id: st.id.clone(),
        runtime: "containerd",
        bundle_config: format!("{TASKS}/{}/config.json", st.id),
        pause_pid: st.pid,
        other_pids: vec![],
        netns_path: st.netns_path.clone(),
        ips: st.ips.clone(),
    }
}

fn write_conflist(name: &str, conflist: &Value) {
    write_file(
        &Path::new("/etc/cni/net.d").join(format!("10-{name}.conflist")),
        conflist.to_string().as_bytes(),
    );
}

node_test! {
    /// Three CRI pods on the reference bridge plugin: each is named
    /// (namespace, name, uid, sandbox id) as in its sandbox config, with
    /// the pause PID containerd reports and the host veth `ip -j` shows.
    fn containerd_cri_pods_are_named_with_their_pause_pid_and_veth() {
        let prefix = unique_prefix();
        let network = format!("{prefix}bridge");
        write_conflist(&network, &json!({
            "cniVersion": "1.0.0",
            "name": network,
            "plugins": [{
                "type": "bridge", "bridge": format!("{prefix}br"), "isGateway": true,
                "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.77.0.0/24"}]]}
            }]
        }));
        let ctrd = Containerd::start(CNI_BIN);
        let specs = [
            spec("default", "web-0", vec![]),
            spec("kube-system", "coredns-5d78c9869d-x2x4k", vec![]),
            spec("prod", "db-1", vec![]),
        ];
        let statuses = run_pods(&ctrd, &specs);
        let sandboxes: Vec<Sandbox> = statuses.iter().map(expected).collect();
        assert_podnet_sees(&sandboxes);
        for st in &statuses {
            ctrd.stop_and_remove(&st.id);
        }
        assert_eq!(ctrd.sandbox_ids(), Vec::<String>::new());
        assert_no_pods_left();
    }
}

/// A CNI bin dir for containerd: podnet (this build) as `podnet`, and the
/// reference portmap and loopback (containerd runs loopback in every pod).
fn podnet_bin_dir() -> String {
    let dir = "/run/podnet-test-cni-bin";
    std::fs::create_dir_all(dir).expect("mkdir the CNI bin dir");
    symlink(PODNET, format!("{dir}/podnet")).expect("link podnet");
    for plugin in ["portmap", "loopback"] {
        symlink(format!("{CNI_BIN}/{plugin}"), format!("{dir}/{plugin}")).expect("link a plugin");
    }
    dir.to_string()
}

/// Starts `busybox httpd` listening inside a pod's netns (nsenter --net)
/// and waits until it answers there; the child is killed by its PID.
fn serve_in_pod(netns_path: &str, port: u16, docroot: &str) -> Child {
    let mut child = Command::new("nsenter")
        .arg(format!("--net={netns_path}"))
        .args(["--", "busybox", "httpd", "-f", "-h", docroot, "-p"])
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn busybox httpd");
    if !answers_in_pod(netns_path, port) {
        let _ = child.kill();
        let _ = child.wait();
        panic!("httpd in {netns_path} did not answer");
    }
    child
}

/// Whether an HTTP server answers on 127.0.0.1:`port` in the pod within 10 s.
fn answers_in_pod(netns_path: &str, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let url = format!("http://127.0.0.1:{port}/");
    while Instant::now() < deadline {
        let ok = Command::new("nsenter")
            .arg(format!("--net={netns_path}"))
            .args(["--", "curl", "--noproxy", "*", "-s", "-o", "/dev/null"])
            .args(["--max-time", "2", &url])
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Every file under a directory (recursively), as paths.
fn files_under(dir: &str) -> Vec<String> {
    let out = sh(&format!("find {dir} -mindepth 1 -not -type d"));
    out.lines().map(str::to_string).collect()
}

node_test! {
    /// containerd runs podnet as its CNI plugin (bridge mode, built-in
    /// host-local IPAM, masquerade) chained with the reference portmap:
    /// pods get the addresses containerd reports, reach each other, a
    /// mapped host port reaches a server in a pod from the node, podnet
    /// names and pairs them, and after RemovePodSandbox no veth, address
    /// reservation, cache entry, netns or rule of theirs is left.
    fn podnet_is_containerds_cni_plugin_chained_with_portmap() {
        let prefix = unique_prefix();
        let network = format!("{prefix}pods");
        let bridge = format!("{prefix}br");
        let (container_port, host_port) = (8080, 18080);
        write_conflist(&network, &json!({
            "cniVersion": "1.0.0",
            "name": network,
            "plugins": [
                {"type": "podnet", "mode": "bridge", "bridge": bridge,
                 "isDefaultGateway": true, "ipMasq": true,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.66.0.0/24"}]]}},
                {"type": "portmap", "capabilities": {"portMappings": true}}
            ]
        }));
        let ctrd = Containerd::start(&podnet_bin_dir());
        let specs = [
            spec("default", "web", vec![(container_port, host_port)]),
            spec("default", "client", vec![]),
        ];
        let statuses = run_pods(&ctrd, &specs);
        let (web, client) = (&statuses[0], &statuses[1]);
        for st in &statuses {
            let truth = veth_truth(&st.netns_path);
            assert!(truth.host_if.starts_with("pnet"), "not podnet's veth: {truth:?}");
            let host = cni_support::ip_json(None, &format!("-d link show dev {}", truth.host_if));
            assert_eq!(host[0]["master"], bridge.as_str(), "{host}");
            assert!(
                host[0]["ifalias"].as_str().is_some_and(|a| a.starts_with("podnet ")),
                "{host}"
            );
            assert!(st.ips.iter().all(|ip| ip.starts_with("10.66.0.")), "{st:?}");
        }
        // pod to pod, both ways
        in_netns(&client.netns_path, "ping", &["-c", "1", "-W", "5", &web.ips[0]]);
        in_netns(&web.netns_path, "ping", &["-c", "1", "-W", "5", &client.ips[0]]);
        // the node's own address on the bridge, port-mapped to the server in web
        let docroot = format!("/run/{prefix}www");
        let token = format!("podnet-portmap-{prefix}");
        write_file(&Path::new(&docroot).join("index.html"), token.as_bytes());
        let mut httpd = serve_in_pod(&web.netns_path, container_port, &docroot);
        let gateway = "10.66.0.1";
        let got = sh(&format!(
            "curl --noproxy '*' -s --max-time 10 http://{gateway}:{host_port}/index.html"
        ));
        assert_eq!(got, token, "the host port does not reach the pod");
        assert_podnet_sees(&statuses.iter().map(expected).collect::<Vec<_>>());
        let _ = httpd.kill();
        let _ = httpd.wait();
        // the rules the removal must take away are there now
        let rules_of = |st: &SandboxStatus| -> Vec<String> {
            cni_support::ipt_rules()
                .into_iter()
                .chain(cni_support::nft_rules())
                .filter(|r| st.ips.iter().any(|ip| r.contains(ip.as_str())) || r.contains(&st.id))
                .collect()
        };
        for st in &statuses {
            assert!(!rules_of(st).is_empty(), "no masquerade rule for {}", st.name);
        }

        for st in &statuses {
            ctrd.stop_and_remove(&st.id);
        }
        assert_eq!(ctrd.sandbox_ids(), Vec::<String>::new());
        // nothing of the pods is left on the node
        let veths = cni_support::ip_json(None, "link show type veth");
        assert_eq!(veths, json!([]), "host veths left");
        assert_eq!(cni_support::reservations(IPAM_DATA_DIR), Default::default());
        assert_eq!(files_under(CNI_RESULTS), Vec::<String>::new(), "libcni cache left");
        assert_eq!(files_under("/run/netns"), Vec::<String>::new(), "netns left");
        assert!(!sh("cat /proc/self/mountinfo").contains(" nsfs "), "an nsfs mount is left");
        for st in &statuses {
            let leftover = rules_of(st);
            assert!(leftover.is_empty(), "rules of {} left: {leftover:?}", st.name);
        }
        let rules: Vec<String> = cni_support::ipt_rules()
            .into_iter()
            .chain(cni_support::nft_rules())
            .collect();
        assert!(
            !rules.iter().any(|r| r.contains("CNI-DN-") || r.contains(&format!("{host_port}"))),
            "portmap rules left: {rules:?}"
        );
        assert_no_pods_left();
    }
}
