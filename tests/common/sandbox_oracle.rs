//! What a real runtime says about its pod sandboxes, and the check that
//! podnet says the same: the pod's identity and infra PID as the runtime
//! reports them, and its veth pair as `ip -j` shows it from both sides.

use serde_json::Value;

use super::node::{entry, inode_of, ns_list, podnet_on_node_json, quote, warnings};
use super::sh;

/// One sandbox, as its runtime reports it (never as podnet does).
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// How podnet is asked about it (`ns pids <reference>`).
    pub reference: String,
    pub namespace: Option<String>,
    pub name: String,
    pub uid: Option<String>,
    pub sandbox_id: String,
    /// podnet's name for the runtime: `containerd`, `podman`.
    pub runtime: &'static str,
    /// The OCI bundle's config.json, which must be among podnet's sources.
    pub bundle_config: String,
    pub pause_pid: i32,
    /// Other processes in the pod (app containers).
    pub other_pids: Vec<i32>,
    pub netns_path: String,
    /// Addresses without prefix length.
    pub ips: Vec<String>,
}

/// A veth pair as `ip -j link` shows it in the pod's netns and the node's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VethTruth {
    pub pod_if: String,
    pub pod_ifindex: u64,
    pub host_if: String,
    pub host_ifindex: u64,
}

fn ip_json(netns: Option<&str>, args: &str) -> Value {
    let cmd = match netns {
        Some(n) => format!("nsenter --net={} ip -j {args}", quote(n)),
        None => format!("ip -j {args}"),
    };
    let text = sh(&cmd);
    serde_json::from_str(if text.trim().is_empty() { "[]" } else { &text })
        .unwrap_or_else(|e| panic!("{cmd}: {e}: {text}"))
}

/// The pod's eth0 and its host peer: eth0's `link_index` in the pod is the
/// peer's ifindex in the node (its `link_netnsid` names the node), and that
/// node link is a veth whose `link_index` points back at eth0.
pub fn veth_truth(netns_path: &str) -> VethTruth {
    let pod_links = ip_json(Some(netns_path), "-d link show dev eth0");
    let eth0 = &pod_links[0];
    assert_eq!(
        eth0["linkinfo"]["info_kind"], "veth",
        "eth0 in {netns_path}: {eth0}"
    );
    assert!(
        eth0.get("link_netnsid").is_some(),
        "eth0's peer is in another netns: {eth0}"
    );
    let peer = eth0["link_index"].as_u64().expect("eth0 link_index");
    let node_links = ip_json(None, "-d link show");
    let host = node_links
        .as_array()
        .and_then(|a| a.iter().find(|l| l["ifindex"].as_u64() == Some(peer)))
        .unwrap_or_else(|| panic!("no node link with ifindex {peer}: {node_links}"));
    assert_eq!(host["linkinfo"]["info_kind"], "veth", "{host}");
    assert_eq!(host["link_index"], eth0["ifindex"], "{host} vs {eth0}");
    VethTruth {
        pod_if: "eth0".into(),
        pod_ifindex: eth0["ifindex"].as_u64().unwrap_or(0),
        host_if: host["ifname"].as_str().unwrap_or_default().to_string(),
        host_ifindex: peer,
    }
}

/// The IPv4/IPv6 global addresses on the pod's eth0 (`ip -j addr`).
pub fn pod_addresses(netns_path: &str) -> Vec<String> {
    let addrs = ip_json(Some(netns_path), "addr show dev eth0");
    let mut out: Vec<String> = addrs[0]["addr_info"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["scope"] == "global")
                .filter_map(|x| x["local"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// Asserts that podnet names every sandbox as its runtime does, finds its
/// infra PID, lists its processes and pairs its eth0 with the host veth
/// `ip -j` shows.
pub fn assert_podnet_sees(sandboxes: &[Sandbox]) {
    let list = ns_list(&[]);
    let w = warnings(&list);
    assert!(
        !w.iter()
            .any(|m| m.contains("disagree") || m.contains("stale")),
        "warnings: {w:?}"
    );
    let pairs = podnet_on_node_json(&["veth", "list", "-o", "json"]);
    for sb in sandboxes {
        let inode = inode_of(&sb.netns_path);
        let ns = entry(&list, inode)
            .unwrap_or_else(|| panic!("ns list lacks {} (netns {inode}): {list}", sb.name));
        let pod = &ns["pod"];
        let what = format!("{} in ns list: {ns}", sb.name);
        assert_eq!(text(&pod["name"]).as_deref(), Some(&*sb.name), "{what}");
        assert_eq!(text(&pod["namespace"]), sb.namespace, "{what}");
        assert_eq!(text(&pod["uid"]), sb.uid, "{what}");
        assert_eq!(
            text(&pod["sandbox_id"]).as_deref(),
            Some(&*sb.sandbox_id),
            "{what}"
        );
        assert_eq!(pod["runtime"], sb.runtime, "{what}");
        assert!(
            pod["conflicts"].as_array().is_none_or(|c| c.is_empty()),
            "{what}"
        );
        let from_bundle = pod["sources"].as_array().is_some_and(|s| {
            s.iter().any(|src| {
                src["kind"] == "oci-config"
                    && src["from"] == sb.bundle_config.as_str()
                    && src["fields"]
                        .as_array()
                        .is_some_and(|f| f.contains(&"name".into()))
            })
        });
        assert!(
            from_bundle,
            "{} is not named by {}: {what}",
            sb.name, sb.bundle_config
        );
        assert_eq!(
            ns["pause_pid"].as_i64(),
            Some(i64::from(sb.pause_pid)),
            "{what}"
        );
        assert!(
            ns["pids"].as_u64().unwrap_or(0) > sb.other_pids.len() as u64,
            "{what}"
        );
        let mut eth0_ips: Vec<String> = ns["interfaces"]
            .as_array()
            .and_then(|i| i.iter().find(|i| i["name"] == "eth0"))
            .and_then(|i| i["addresses"].as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str()?.split('/').next().map(str::to_string))
                    .filter(|ip| !ip.starts_with("fe80:"))
                    .collect()
            })
            .unwrap_or_default();
        eth0_ips.sort();
        let mut want_ips = sb.ips.clone();
        want_ips.sort();
        assert_eq!(eth0_ips, want_ips, "{what}");

        let pids = podnet_on_node_json(&["ns", "pids", &sb.reference, "-o", "json"]);
        let pid_list: Vec<i64> = pids["pids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        assert_eq!(pid_list.first(), Some(&i64::from(sb.pause_pid)), "{pids}");
        for p in &sb.other_pids {
            assert!(
                pid_list.contains(&i64::from(*p)),
                "pid {p} of {}: {pids}",
                sb.name
            );
        }

        let truth = veth_truth(&sb.netns_path);
        let pair = pairs["pairs"]
            .as_array()
            .and_then(|a| {
                a.iter().find(|p| {
                    p["netns_inode"].as_u64() == Some(inode) && p["pod_if"]["name"] == "eth0"
                })
            })
            .unwrap_or_else(|| panic!("veth list lacks {}'s eth0: {pairs}", sb.name));
        assert_eq!(pair["status"], "paired", "{pair}");
        assert_eq!(pair["host_if"]["name"], truth.host_if.as_str(), "{pair}");
        assert_eq!(pair["host_if"]["ifindex"], truth.host_ifindex, "{pair}");
        assert_eq!(pair["pod_if"]["ifindex"], truth.pod_ifindex, "{pair}");
        assert_eq!(pair["pod"]["name"], sb.name.as_str(), "{pair}");
    }
}

/// Asserts that `ns list` names no pod any more (every sandbox is gone).
pub fn assert_no_pods_left() {
    let list = ns_list(&[]);
    let pods: Vec<&Value> = list["namespaces"]
        .as_array()
        .map(|a| a.iter().filter(|n| n["host"] != true).collect())
        .unwrap_or_default();
    assert!(pods.is_empty(), "namespaces left: {pods:?}");
}
