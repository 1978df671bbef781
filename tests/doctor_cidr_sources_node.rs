//! Where `podnet doctor` learns the other nodes' pod CIDRs besides the
//! kernel's routes: the Kubernetes API (Node.spec.podCIDRs, from a fake API
//! server on the private node's loopback), and flannel's
//! /run/flannel/subnet.env (the cluster network). On a routed network a
//! deleted route leaves no trace in the kernel: only these still say what
//! is missing. The oracle for the routes is `ip -j route`.

mod common;

use common::fake_api::{self, write_kubeconfig};
use common::node::write_file;
use common::node::{podnet_on_node, unique_prefix};
use common::{sh, sh_json};
use serde_json::{Value, json};

fn doctor_routes(extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["doctor", "--sample", "0", "--check", "routes", "-o", "json"];
    args.extend_from_slice(extra);
    let out = podnet_on_node(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor {args:?}: not JSON ({e}): {stderr}"));
    (out.status.code().unwrap_or(-1), v, stderr)
}

fn routes_check(v: &Value) -> &Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "routes")
        .unwrap_or_else(|| panic!("no routes check: {v:#}"))
}

fn text(c: &Value) -> String {
    let mut s = c["summary"].as_str().unwrap_or("").to_string();
    for e in c["evidence"].as_array().into_iter().flatten() {
        s.push('\n');
        s.push_str(e["fact"].as_str().unwrap_or(""));
    }
    s
}

node_test! {
    fn the_api_names_the_remote_pod_cidrs_that_routes_judges() {
        let p = unique_prefix();
        let nodes = json!({"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "7"}, "items": [
            {"metadata": {"name": "n1"}, "spec": {"podCIDR": "10.99.1.0/24", "podCIDRs": ["10.99.1.0/24"]}},
            {"metadata": {"name": "n2"}, "spec": {"podCIDR": "10.99.2.0/24", "podCIDRs": ["10.99.2.0/24"]}}
        ]});
        let (port, seen) = fake_api::start(move |path, _| match path {
            "/api/v1/nodes" => Some(nodes.clone()),
            "/api/v1/pods" => Some(json!({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "7"}, "items": []})),
            _ => None,
        });
        let kc = format!("/run/{p}kubeconfig");
        write_kubeconfig(&kc, &format!("http://127.0.0.1:{port}"));
        let api = ["--kubeconfig", kc.as_str(), "--node-name", "n1"];

        // an uplink with a would-be next hop to node2 (a veth pair of ours)
        let up = format!("{p}up");
        sh(&format!(
            "ip link add {up} type veth peer name {up}p && ip addr add 192.168.78.1/24 dev {up} && \
             ip link set {up}p up && ip link set {up} up"
        ));

        // no route to node2's pods: the kernel has no trace of the CIDR
        let none = sh_json("ip -j route show 10.99.2.0/24");
        assert_eq!(none, json!([]), "{none}");
        let (code, v, err) = doctor_routes(&api);
        let c = routes_check(&v);
        assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{v:#}\n{err}");
        let t = text(c);
        assert!(t.contains("10.99.2.0/24") && t.contains("Kubernetes API: node n2"), "{t}");
        assert!(!c["summary"].as_str().unwrap().contains("10.99.1.0/24"), "its own CIDR is not remote: {t}");
        assert!(seen.lock().unwrap().iter().any(|r| r.starts_with("GET /api/v1/nodes")), "{:?}", seen.lock().unwrap());

        // without the API nothing names it: routes has nothing to judge
        let (code, v, _) = doctor_routes(&["--no-kube"]);
        assert_eq!((code, routes_check(&v)["status"].as_str()), (0, Some("skip")), "{v:#}");

        // the route back in place, as `ip` shows it: routes passes, naming the API
        sh(&format!("ip route add 10.99.2.0/24 via 192.168.78.2 dev {up}"));
        let back = sh_json("ip -j route show 10.99.2.0/24");
        assert_eq!(back[0]["gateway"], "192.168.78.2", "{back}");
        let (code, v, err) = doctor_routes(&api);
        let c = routes_check(&v);
        assert_eq!((code, c["status"].as_str()), (0, Some("pass")), "{v:#}\n{err}");
        let t = text(c);
        assert!(t.contains("10.99.2.0/24 (route via 192.168.78.2") && t.contains("Kubernetes API: node n2"), "{t}");

        // an API that does not answer is a warning, never a verdict
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let dead = format!("/run/{p}dead-kubeconfig");
        write_kubeconfig(&dead, &format!("http://127.0.0.1:{closed}"));
        sh("ip route del 10.99.2.0/24");
        let (code, v, _) = doctor_routes(&["--kubeconfig", &dead, "--node-name", "n1"]);
        assert_eq!((code, routes_check(&v)["status"].as_str()), (0, Some("skip")), "{v:#}");
        assert!(
            v["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("pod CIDRs could not be read from the API")),
            "{v:#}"
        );
        sh(&format!("ip link del {up}"));
    }
}

node_test! {
    fn subnet_env_bounds_the_cluster_and_warns_when_no_route_leads_into_it() {
        let p = unique_prefix();
        write_file(
            std::path::Path::new("/run/flannel/subnet.env"),
            b"FLANNEL_NETWORK=10.98.0.0/16\nFLANNEL_SUBNET=10.98.1.1/24\nFLANNEL_MTU=1500\nFLANNEL_IPMASQ=true\n",
        );
        let up = format!("{p}up");
        sh(&format!(
            "ip link add {up} type veth peer name {up}p && ip addr add 192.168.79.1/24 dev {up} && \\
             ip link set {up}p up && ip link set {up} up && \\
             ip route add 10.98.2.0/24 via 192.168.79.2 dev {up} && \\
             ip route add 172.31.0.0/16 via 192.168.79.254 dev {up}"
        ));
        let routes = sh_json("ip -j route show");
        let dsts: Vec<&str> = routes.as_array().unwrap().iter().filter_map(|r| r["dst"].as_str()).collect();
        assert!(dsts.contains(&"10.98.2.0/24") && dsts.contains(&"172.31.0.0/16"), "{routes}");

        // the management network's route is not another node's pods
        let (code, v, err) = doctor_routes(&["--no-kube"]);
        let c = routes_check(&v);
        assert_eq!((code, c["status"].as_str()), (0, Some("pass")), "{v:#}\n{err}");
        let t = text(c);
        assert!(c["summary"].as_str().unwrap().contains("each of 1 remote pod CIDRs"), "{t}");
        assert!(t.contains("10.98.2.0/24") && !t.contains("172.31.0.0/16"), "{t}");

        // the route gone: the kernel has no trace of it, subnet.env still bounds the cluster
        sh("ip route del 10.98.2.0/24");
        assert_eq!(sh_json("ip -j route show 10.98.2.0/24"), json!([]));
        let (code, v, _) = doctor_routes(&["--no-kube"]);
        let c = routes_check(&v);
        assert_eq!((code, c["status"].as_str()), (0, Some("warn")), "{v:#}");
        let t = text(c);
        assert!(
            t.contains("no route into the cluster network 10.98.0.0/16 but this node's own 10.98.1.0/24"),
            "{t}"
        );
        assert!(
            c["evidence"].as_array().unwrap().iter().any(|e| e["from"] == "/run/flannel/subnet.env FLANNEL_NETWORK"),
            "{c:#}"
        );
        sh(&format!("ip link del {up}"));
    }
}
