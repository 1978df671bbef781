//! Two-node pod network layouts that podnet did not build, as test
//! fixtures: flannel VXLAN, flannel host-gw, Calico (BIRD and VXLAN), a
//! Cilium-like node, and wrappers over podnet's own lab, all behind one
//! `Layout` API. Does I/O: runs `ip`/`bridge`/`sysctl` and the reference
//! CNI plugins, writes libcni cache files and conflists, starts pause
//! processes.
//!
//! node1 is the test's private netns (what plain `podnet doctor` judges),
//! node2 a named netns `/run/netns/<prefix>node2`; an underlay veth `eth0`
//! joins them. Everything lives in namespaces the test made; each builder
//! pings every pod pair (the ground truth) before it returns.

use std::os::fd::AsFd;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use super::lab::{Lab, nsenter_output};
use super::node::{
    PodIdentity, inode_of, quote, random_hex, run_cni_plugin, start_pause, unique_prefix,
    write_cni_cache, write_file,
};

/// Which CNI layout a fixture imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    FlannelVxlan,
    HostGw,
    CalicoBird,
    CalicoVxlan,
    CiliumLike,
    LabVxlan,
    LabPtp,
}

impl Kind {
    /// The name used in test names, docs markers and the accuracy table.
    pub fn slug(self) -> &'static str {
        match self {
            Kind::FlannelVxlan => "flannel-vxlan",
            Kind::HostGw => "host-gw",
            Kind::CalicoBird => "calico-bird",
            Kind::CalicoVxlan => "calico-vxlan",
            Kind::CiliumLike => "cilium-like",
            Kind::LabVxlan => "lab-vxlan",
            Kind::LabPtp => "lab-ptp",
        }
    }

    /// Built by podnet's own lab (doctor needs `--node-netns` on every node).
    pub fn is_lab(self) -> bool {
        matches!(self, Kind::LabVxlan | Kind::LabPtp)
    }

    /// Forwarding done (in a real cluster) by eBPF podnet cannot read.
    pub fn is_ebpf(self) -> bool {
        self == Kind::CiliumLike
    }
}

/// A VXLAN device of a node.
#[derive(Debug, Clone)]
pub struct Tunnel {
    pub dev: String,
    /// The VTEP address on the device (the overlay neighbour others point at).
    pub vtep_ip: String,
    pub mac: String,
}

#[derive(Debug, Clone)]
pub struct LNode {
    /// `node1`, `node2`.
    pub name: String,
    /// A path for `nsenter --net=`.
    pub netns: String,
    /// The test's own netns (plain `podnet doctor`), not a named one.
    pub private: bool,
    pub inode: u64,
    pub underlay_ip: String,
    pub underlay_if: String,
    /// The pod CIDR (Calico: the node's /26 block).
    pub pod_cidr: String,
    pub tunnel: Option<Tunnel>,
    /// The route to the other node's pod CIDR, as `ip route add` takes it.
    pub remote_route: Option<String>,
    /// The bridge the pods' host veths are ports of, if any.
    pub bridge: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LPod {
    /// `fl-1-1`.
    pub name: String,
    /// `default/fl-1-1`.
    pub full: String,
    /// Index into `Layout::nodes`.
    pub node: usize,
    pub netns: String,
    pub inode: u64,
    pub ip: String,
    pub mac: String,
    pub host_veth: String,
    /// The pod's default gateway.
    pub gateway: String,
    /// The node's route to this pod (Calico/Cilium /32), as `ip route add` takes it.
    pub host_route: Option<String>,
    /// The node's permanent neighbour for this pod, as `ip neigh add` takes it.
    pub host_neigh: Option<String>,
    /// The pod's eth0 MTU as built.
    pub mtu: u32,
}

/// A two-node layout that is up and carries traffic between every pod pair.
pub struct Layout {
    pub kind: Kind,
    pub prefix: String,
    pub nodes: Vec<LNode>,
    pub pods: Vec<LPod>,
    /// Pause processes (killed by PID on drop).
    held: Vec<Child>,
    pub lab: Option<Lab>,
}

impl Drop for Layout {
    fn drop(&mut self) {
        for c in &mut self.held {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The test's own network namespace, as a path others can enter.
pub fn own_netns() -> String {
    format!("/proc/{}/ns/net", std::process::id())
}

/// Runs a shell command line in a netns; panics with its output when it fails.
pub fn ns_sh(netns: &str, cmd: &str) -> String {
    let o = nsenter_output(netns, "sh", &["-c", cmd]);
    assert!(
        o.status.success(),
        "in {netns}: {cmd}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A shell command line in a netns: did it succeed, and its output.
pub fn ns_try(netns: &str, cmd: &str) -> (bool, String) {
    let o = nsenter_output(netns, "sh", &["-c", cmd]);
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// Runs `f` on a thread that has entered the netns at `netns` (processes it
/// spawns start there); the caller's thread never changes namespace.
pub fn on_netns_thread<T: Send>(netns: &str, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let file = std::fs::File::open(netns).unwrap_or_else(|e| panic!("open {netns}: {e}"));
            nix::sched::setns(file.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET)
                .unwrap_or_else(|e| panic!("setns {netns}: {e}"));
            f()
        })
        .join()
        .expect("a thread in a node's netns panicked")
    })
}

fn ip_of(cidr: &str) -> String {
    cidr.split('/').next().unwrap_or(cidr).to_string()
}

/// The first three octets of an IPv4 address or CIDR: `10.244.1`.
fn net3(cidr: &str) -> String {
    let ip = ip_of(cidr);
    ip.rsplit_once('.')
        .map(|x| x.0)
        .unwrap_or_default()
        .to_string()
}

/// The MAC of `dev` in `netns`.
pub fn mac_of(netns: &str, dev: &str) -> String {
    let v: Value = serde_json::from_str(&ns_sh(netns, &format!("ip -j link show dev {dev}")))
        .expect("ip -j link");
    v[0]["address"].as_str().expect("a MAC").to_string()
}

/// The default gateway in `netns` (empty when none).
fn default_gateway(netns: &str) -> String {
    let v: Value =
        serde_json::from_str(&ns_sh(netns, "ip -j route show default")).unwrap_or(Value::Null);
    v[0]["gateway"].as_str().unwrap_or_default().to_string()
}

fn mtu_of(netns: &str, dev: &str) -> u32 {
    let v: Value = serde_json::from_str(&ns_sh(netns, &format!("ip -j link show dev {dev}")))
        .expect("ip -j link");
    v[0]["mtu"].as_u64().unwrap_or(0) as u32
}

/// Node skeletons joined by an underlay veth `eth0` (192.168.`net`.1/.2),
/// forwarding on in both.
fn two_nodes(prefix: &str, net: u8, pod_cidr: &dyn Fn(usize) -> String) -> Vec<LNode> {
    let node2 = format!("{prefix}node2");
    super::sh(&format!("ip netns add {}", quote(&node2)));
    let n2 = format!("/run/netns/{node2}");
    let n1 = own_netns();
    super::sh(&format!(
        "ip link add eth0 type veth peer name eth0 netns {node2} && \
         ip addr add 192.168.{net}.1/24 dev eth0 && ip link set eth0 up && \
         ip -n {node2} link set lo up && ip -n {node2} addr add 192.168.{net}.2/24 dev eth0 && \
         ip -n {node2} link set eth0 up"
    ));
    [(n1, true), (n2, false)]
        .into_iter()
        .enumerate()
        .map(|(i, (netns, private))| {
            ns_sh(&netns, "sysctl -qw net.ipv4.ip_forward=1");
            LNode {
                name: format!("node{}", i + 1),
                inode: inode_of(&netns),
                netns,
                private,
                underlay_ip: format!("192.168.{net}.{}", i + 1),
                underlay_if: "eth0".into(),
                pod_cidr: pod_cidr(i),
                tunnel: None,
                remote_route: None,
                bridge: None,
            }
        })
        .collect()
}

/// A VXLAN device on `node` (no learning), addressed with `vtep_ip`/32.
fn add_vxlan(node: &mut LNode, dev: &str, vni: u32, port: u16, mac: &str, vtep_ip: &str) {
    ns_sh(
        &node.netns,
        &format!(
            "ip link add {dev} type vxlan id {vni} local {} dev eth0 dstport {port} nolearning && \
             ip link set {dev} address {mac} mtu 1450 && ip addr add {vtep_ip}/32 dev {dev} && \
             ip link set {dev} up",
            node.underlay_ip
        ),
    );
    node.tunnel = Some(Tunnel {
        dev: dev.into(),
        vtep_ip: vtep_ip.into(),
        mac: mac.into(),
    });
}

/// Each node's overlay entries for the other: route `<cidr> via <vtep> dev
/// <tunnel> onlink`, permanent neighbour, FDB `<mac> dst <node ip>`.
fn vxlan_peering(nodes: &mut [LNode], route_proto: &str) {
    for i in 0..nodes.len() {
        let other = nodes[1 - i].clone();
        let t = other.tunnel.clone().expect("a tunnel");
        let dev = nodes[i].tunnel.as_ref().expect("a tunnel").dev.clone();
        let route = format!(
            "{} via {} dev {dev} onlink{route_proto}",
            other.pod_cidr, t.vtep_ip
        );
        ns_sh(
            &nodes[i].netns,
            &format!(
                "ip route add {route} && \
                 ip neigh add {} lladdr {} dev {dev} nud permanent && \
                 bridge fdb append {} dev {dev} dst {} self permanent",
                t.vtep_ip, t.mac, t.mac, other.underlay_ip
            ),
        );
        nodes[i].remote_route = Some(route);
    }
}

/// A pod made by the reference bridge plugin (host-local IPAM) run inside
/// its node's netns, with its pause process and libcni cache file.
fn bridge_pod(
    node: &LNode,
    node_idx: usize,
    name: &str,
    network: &str,
    conf: &Value,
    prefix: &str,
    held: &mut Vec<Child>,
) -> LPod {
    let ns = format!("{prefix}{name}");
    super::sh(&format!("ip netns add {}", quote(&ns)));
    let path = format!("/run/netns/{ns}");
    let id = PodIdentity::new("default", name);
    let result = on_netns_thread(&node.netns, || {
        run_cni_plugin("bridge", "ADD", conf, &id, &path, "eth0")
    });
    write_cni_cache(network, "eth0", Some(&path), &id, conf, &result);
    held.push(start_pause(&path));
    let host_veth = result["interfaces"]
        .as_array()
        .expect("interfaces")
        .iter()
        .find(|i| {
            i.get("sandbox").is_none() && Some(i["name"].as_str()) != Some(node.bridge.as_deref())
        })
        .and_then(|i| i["name"].as_str())
        .expect("a host veth")
        .to_string();
    let ip = ip_of(result["ips"][0]["address"].as_str().expect("an address"));
    finish_pod(node_idx, name, &path, &ip, &host_veth, None, None)
}

fn finish_pod(
    node: usize,
    name: &str,
    path: &str,
    ip: &str,
    host_veth: &str,
    host_route: Option<String>,
    host_neigh: Option<String>,
) -> LPod {
    LPod {
        name: name.into(),
        full: format!("default/{name}"),
        node,
        netns: path.into(),
        inode: inode_of(path),
        ip: ip.into(),
        mac: mac_of(path, "eth0"),
        host_veth: host_veth.into(),
        gateway: default_gateway(path),
        host_route,
        host_neigh,
        mtu: mtu_of(path, "eth0"),
    }
}

/// How a routed (no bridge) pod is plumbed.
struct Routed<'a> {
    host_veth: String,
    /// The pod's gateway (Calico 169.254.1.1, Cilium the cilium_host IP).
    gateway: &'a str,
    mtu: u32,
    /// The host veth's MAC (Calico: ee:ee:ee:ee:ee:ee), or the kernel's.
    host_mac: Option<&'a str>,
    /// Per-interface sysctls on the host veth (`proxy_arp=1`…).
    host_sysctls: &'a [&'a str],
    network: &'a str,
    plugin: &'a str,
}

/// A pod plumbed by hand the way Felix / the Cilium agent do: `ip`/32 on
/// eth0, `<gw> dev eth0 scope link` and `default via <gw> dev eth0 onlink`;
/// the node gets `<ip> dev <host veth> scope link` and a permanent
/// neighbour; a pause process and a libcni cache file.
fn routed_pod(
    node: &LNode,
    node_idx: usize,
    name: &str,
    ip: &str,
    r: &Routed,
    prefix: &str,
    held: &mut Vec<Child>,
) -> LPod {
    let ns = format!("{prefix}{name}");
    super::sh(&format!("ip netns add {}", quote(&ns)));
    let path = format!("/run/netns/{ns}");
    let (hv, gw, mtu) = (&r.host_veth, r.gateway, r.mtu);
    ns_sh(
        &node.netns,
        &format!(
            "ip link add {hv} mtu {mtu} type veth peer name eth0 mtu {mtu} netns {ns} && \
             ip -n {ns} link set lo up && ip -n {ns} link set eth0 up && \
             ip -n {ns} addr add {ip}/32 dev eth0 && \
             ip -n {ns} route add {gw} dev eth0 scope link && \
             ip -n {ns} route add default via {gw} dev eth0 onlink"
        ),
    );
    if let Some(m) = r.host_mac {
        ns_sh(&node.netns, &format!("ip link set {hv} address {m}"));
    }
    for s in r.host_sysctls {
        ns_sh(&node.netns, &format!("sysctl -qw net.ipv4.conf.{hv}.{s}"));
    }
    let pod_mac = mac_of(&path, "eth0");
    let route = format!("{ip} dev {hv} scope link");
    let neigh = format!("{ip} lladdr {pod_mac} dev {hv} nud permanent");
    ns_sh(
        &node.netns,
        &format!("ip link set {hv} up && ip route add {route} && ip neigh add {neigh}"),
    );
    let id = PodIdentity::new("default", name);
    let conf = json!({"cniVersion": "0.3.1", "name": r.network, "type": r.plugin});
    let result = json!({
        "cniVersion": "0.3.1",
        "interfaces": [
            {"name": hv, "mac": mac_of(&node.netns, hv)},
            {"name": "eth0", "mac": pod_mac, "sandbox": path}
        ],
        "ips": [{"version": "4", "address": format!("{ip}/32"), "interface": 1}],
        "dns": {}
    });
    write_cni_cache(r.network, "eth0", Some(&path), &id, &conf, &result);
    held.push(start_pause(&path));
    finish_pod(node_idx, name, &path, ip, hv, Some(route), Some(neigh))
}

/// Where kubelet-era CNI plugins live; podnet's `cni` check looks there.
const OPT_CNI_BIN: &str = "/opt/cni/bin";

/// Installs stand-ins for the CNI plugins a conflist names that are not
/// reference plugins (flannel, calico, cilium-cni): on a tmpfs over /opt
/// in the private node's mount namespace (the host's /opt is untouched),
/// each a script that answers VERSION and refuses anything else.
pub fn install_plugin_stubs(names: &[&str]) {
    if !std::path::Path::new(OPT_CNI_BIN).is_dir() {
        super::sh("mount -t tmpfs -o mode=755 podnet-test-opt /opt");
        std::fs::create_dir_all(OPT_CNI_BIN).expect("mkdir /opt/cni/bin");
    }
    for n in names {
        let path = std::path::Path::new(OPT_CNI_BIN).join(n);
        write_file(
            &path,
            b"#!/bin/sh
# a test stand-in for a CNI plugin podnet did not build
              if [ \"$CNI_COMMAND\" = VERSION ]; then
              echo '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.1\",\"0.4.0\",\"1.0.0\"]}'; exit 0; fi
              echo '{\"cniVersion\":\"1.0.0\",\"code\":100,\"msg\":\"a test stand-in\"}'; exit 1
",
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("chmod a plugin stand-in");
    }
}

fn write_conflist(file: &str, v: &Value) {
    write_file(
        std::path::Path::new("/etc/cni/net.d").join(file).as_path(),
        serde_json::to_string_pretty(v).expect("JSON").as_bytes(),
    );
}

/// The reference bridge plugin's config for a node (flannel's delegate).
fn bridge_conf(node: &LNode, mtu: u32) -> Value {
    json!({
        "cniVersion": "0.3.1",
        "name": "cbr0",
        "type": "bridge",
        "bridge": "cni0",
        "mtu": mtu,
        "hairpinMode": true,
        "isGateway": true,
        "isDefaultGateway": true,
        "ipMasq": false,
        "ipam": {
            "type": "host-local",
            "ranges": [[{"subnet": node.pod_cidr}]],
            "dataDir": format!("/var/lib/cni/networks-{}", node.name)
        }
    })
}

fn flannel_conflist() -> Value {
    json!({
        "name": "cbr0",
        "cniVersion": "0.3.1",
        "plugins": [
            {"type": "flannel", "delegate": {"hairpinMode": true, "isDefaultGateway": true}},
            {"type": "portmap", "capabilities": {"portMappings": true}}
        ]
    })
}

fn subnet_env(network: &str, node: &LNode, mtu: u32) {
    let gw = format!("{}.1/24", net3(&node.pod_cidr));
    write_file(
        std::path::Path::new("/run/flannel/subnet.env"),
        format!(
            "FLANNEL_NETWORK={network}\nFLANNEL_SUBNET={gw}\nFLANNEL_MTU={mtu}\nFLANNEL_IPMASQ=true\n"
        )
        .as_bytes(),
    );
}

impl Layout {
    /// Builds a layout of `kind` and checks that every pod reaches every other.
    pub fn build(kind: Kind) -> Layout {
        let layout = match kind {
            Kind::FlannelVxlan => flannel(true),
            Kind::HostGw => flannel(false),
            Kind::CalicoBird => calico(false),
            Kind::CalicoVxlan => calico(true),
            Kind::CiliumLike => cilium(),
            Kind::LabVxlan => lab(kind, &["--nodes", "2", "--pods", "2"]),
            Kind::LabPtp => lab(
                kind,
                &[
                    "--nodes",
                    "2",
                    "--pods",
                    "2",
                    "--overlay",
                    "routed",
                    "--mode",
                    "ptp",
                ],
            ),
        };
        let bad = layout.unreachable_pairs();
        assert!(
            bad.is_empty(),
            "{}: the layout as built does not carry traffic: {bad:?}",
            kind.slug()
        );
        layout
    }

    pub fn node(&self, i: usize) -> &LNode {
        &self.nodes[i]
    }

    pub fn pod(&self, i: usize) -> &LPod {
        &self.pods[i]
    }

    /// The node of a pod.
    pub fn node_of(&self, pod: usize) -> &LNode {
        &self.nodes[self.pods[pod].node]
    }

    /// Indices of the pods on node `i`.
    pub fn pods_on(&self, i: usize) -> Vec<usize> {
        (0..self.pods.len())
            .filter(|&p| self.pods[p].node == i)
            .collect()
    }

    /// Every ordered pair of pods on different nodes.
    pub fn cross_pairs(&self) -> Vec<(usize, usize)> {
        let n = self.pods.len();
        (0..n)
            .flat_map(|a| (0..n).map(move |b| (a, b)))
            .filter(|&(a, b)| self.pods[a].node != self.pods[b].node)
            .collect()
    }

    /// Pod pairs (every ordered pair) that do not answer one ping, after
    /// up to three tries each, checked in parallel.
    pub fn unreachable_pairs(&self) -> Vec<String> {
        let n = self.pods.len();
        let pairs: Vec<(usize, usize)> = (0..n)
            .flat_map(|a| (0..n).map(move |b| (a, b)))
            .filter(|(a, b)| a != b)
            .collect();
        std::thread::scope(|s| {
            let runs: Vec<_> = pairs
                .iter()
                .map(|&(a, b)| {
                    s.spawn(move || {
                        let ok = (0..3).any(|_| self.ping(a, b, &[]).0);
                        (!ok).then(|| format!("{} → {}", self.pods[a].name, self.pods[b].ip))
                    })
                })
                .collect();
            runs.into_iter()
                .filter_map(|h| h.join().expect("ping thread"))
                .collect()
        })
    }

    /// One ping from pod `a` to pod `b` (`-c 1 -W 1` plus `extra`).
    pub fn ping(&self, a: usize, b: usize, extra: &[&str]) -> (bool, String) {
        let mut args = vec!["-n", "-c", "1", "-W", "1"];
        args.extend_from_slice(extra);
        args.push(&self.pods[b].ip);
        let o = nsenter_output(&self.pods[a].netns, "ping", &args);
        (
            o.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    }

    /// The arguments that point `podnet doctor` at node `i`.
    pub fn doctor_args(&self, i: usize) -> Vec<String> {
        let n = &self.nodes[i];
        if n.private {
            Vec::new()
        } else {
            vec!["--node-netns".into(), n.netns.clone()]
        }
    }
}

#[allow(clippy::needless_range_loop)] // both nodes, each with the other
fn flannel(vxlan: bool) -> Layout {
    let kind = if vxlan {
        Kind::FlannelVxlan
    } else {
        Kind::HostGw
    };
    let (net, base, tag) = if vxlan {
        (50u8, "10.244", "fl")
    } else {
        (51u8, "10.245", "hg")
    };
    let prefix = unique_prefix();
    let mut nodes = two_nodes(&prefix, net, &|i| format!("{base}.{}.0/24", i + 1));
    let mtu = if vxlan { 1450 } else { 1500 };
    if vxlan {
        for (i, n) in nodes.iter_mut().enumerate() {
            let mac = format!("0e:fa:{net:02x}:00:00:{:02x}", i + 1);
            let vtep = format!("{base}.{}.0", i + 1);
            add_vxlan(n, "flannel.1", 1, 8472, &mac, &vtep);
        }
        vxlan_peering(&mut nodes, "");
    } else {
        for i in 0..2 {
            let route = format!(
                "{} via {} dev eth0",
                nodes[1 - i].pod_cidr,
                nodes[1 - i].underlay_ip
            );
            ns_sh(&nodes[i].netns, &format!("ip route add {route}"));
            nodes[i].remote_route = Some(route);
        }
    }
    write_conflist("10-flannel.conflist", &flannel_conflist());
    install_plugin_stubs(&["flannel"]);
    subnet_env(&format!("{base}.0.0/16"), &nodes[0], mtu);
    let mut held = Vec::new();
    let mut pods = Vec::new();
    for i in 0..2 {
        nodes[i].bridge = Some("cni0".into());
        let conf = bridge_conf(&nodes[i], mtu);
        for k in 1..=2 {
            let name = format!("{tag}-{}-{k}", i + 1);
            pods.push(bridge_pod(
                &nodes[i], i, &name, "cbr0", &conf, &prefix, &mut held,
            ));
        }
    }
    Layout {
        kind,
        prefix,
        nodes,
        pods,
        held,
        lab: None,
    }
}

#[allow(clippy::needless_range_loop)] // both nodes, each with the other
fn calico(vxlan: bool) -> Layout {
    let kind = if vxlan {
        Kind::CalicoVxlan
    } else {
        Kind::CalicoBird
    };
    let (net, base, tag) = if vxlan {
        (53u8, "10.66", "cv")
    } else {
        (52u8, "10.65", "cb")
    };
    let prefix = unique_prefix();
    let mut nodes = two_nodes(&prefix, net, &|i| format!("{base}.{}.0/26", i + 1));
    let mtu = if vxlan { 1450 } else { 1500 };
    // Calico's proxy ARP answers for 169.254.1.1 only when the node has a
    // route to it via another link: real nodes have a default route; here
    // it goes into a veth uplink that leads nowhere
    for n in &nodes {
        ns_sh(
            &n.netns,
            "ip link add ext0 type veth peer name ext0p && ip link set ext0p up && ip link set ext0 up && \
             ip addr add 203.0.113.1/24 dev ext0 && ip route add default via 203.0.113.254 dev ext0",
        );
    }
    if vxlan {
        for (i, n) in nodes.iter_mut().enumerate() {
            let mac = format!("66:ca:{net:02x}:00:00:{:02x}", i + 1);
            let vtep = format!("{base}.{}.0", i + 1);
            add_vxlan(n, "vxlan.calico", 4096, 4789, &mac, &vtep);
        }
        vxlan_peering(&mut nodes, " proto 80");
        for n in &nodes {
            ns_sh(
                &n.netns,
                &format!("ip route add blackhole {} proto 80", n.pod_cidr),
            );
        }
    } else {
        for i in 0..2 {
            let route = format!(
                "{} via {} dev eth0 proto bird",
                nodes[1 - i].pod_cidr,
                nodes[1 - i].underlay_ip
            );
            ns_sh(
                &nodes[i].netns,
                &format!(
                    "ip route add {route} && ip route add blackhole {} proto bird",
                    nodes[i].pod_cidr
                ),
            );
            nodes[i].remote_route = Some(route);
        }
    }
    write_conflist(
        "10-calico.conflist",
        &json!({
            "name": "k8s-pod-network",
            "cniVersion": "0.3.1",
            "plugins": [
                {"type": "calico", "datastore_type": "kubernetes", "mtu": 0,
                 "ipam": {"type": "calico-ipam"}, "policy": {"type": "k8s"}},
                {"type": "portmap", "snat": true, "capabilities": {"portMappings": true}}
            ]
        }),
    );
    install_plugin_stubs(&["calico", "calico-ipam"]);
    let mut held = Vec::new();
    let mut pods = Vec::new();
    for i in 0..2 {
        for k in 1..=2 {
            let name = format!("{tag}-{}-{k}", i + 1);
            let r = Routed {
                host_veth: format!("cali{}", random_hex(11)),
                gateway: "169.254.1.1",
                mtu,
                host_mac: Some("ee:ee:ee:ee:ee:ee"),
                host_sysctls: &["proxy_arp=1", "forwarding=1", "route_localnet=1"],
                network: "k8s-pod-network",
                plugin: "calico",
            };
            let ip = format!("{base}.{}.{}", i + 1, k + 1);
            pods.push(routed_pod(&nodes[i], i, &name, &ip, &r, &prefix, &mut held));
            ns_sh(
                &nodes[i].netns,
                &format!("sysctl -qw net.ipv4.neigh.{}.proxy_delay=0", r.host_veth),
            );
        }
    }
    Layout {
        kind,
        prefix,
        nodes,
        pods,
        held,
        lab: None,
    }
}

/// Cilium-like: `lxc*` host veths, `cilium_host`/`cilium_net`, an external
/// (collect-metadata) `cilium_vxlan`. Where the agent's eBPF would move
/// packets, kernel routes do here: a /32 per local pod on its lxc veth, and
/// the remote pod CIDR as an lwtunnel route (`encap ip id 2 dst <node>`)
/// via the remote router IP on cilium_vxlan with a permanent neighbour.
#[allow(clippy::needless_range_loop)] // both nodes, each with the other
fn cilium() -> Layout {
    let (net, base) = (54u8, "10.67");
    let prefix = unique_prefix();
    let mut nodes = two_nodes(&prefix, net, &|i| format!("{base}.{}.0/24", i + 1));
    let router = |i: usize| format!("{base}.{}.1", i + 1);
    let vx_mac = |i: usize| format!("0e:c1:{net:02x}:00:00:{:02x}", i + 1);
    for (i, n) in nodes.iter_mut().enumerate() {
        ns_sh(
            &n.netns,
            &format!(
                "ip link add cilium_host type veth peer name cilium_net && \
                 ip link set cilium_host mtu 1450 && ip link set cilium_net mtu 1450 && \
                 ip link set cilium_net up && ip link set cilium_host up && \
                 ip addr add {r}/32 dev cilium_host && \
                 ip route add {cidr} via {r} dev cilium_host src {r} && \
                 ip link add cilium_vxlan type vxlan external dstport 8472 && \
                 ip link set cilium_vxlan address {mac} mtu 1500 && ip link set cilium_vxlan up",
                r = router(i),
                cidr = n.pod_cidr,
                mac = vx_mac(i)
            ),
        );
        n.tunnel = Some(Tunnel {
            dev: "cilium_vxlan".into(),
            vtep_ip: router(i),
            mac: vx_mac(i),
        });
    }
    for i in 0..2 {
        let o = 1 - i;
        let route = format!(
            "{} encap ip id 2 dst {} via {} dev cilium_vxlan onlink mtu 1450",
            nodes[o].pod_cidr,
            nodes[o].underlay_ip,
            router(o)
        );
        ns_sh(
            &nodes[i].netns,
            &format!(
                "ip route add {route} && ip neigh add {} lladdr {} dev cilium_vxlan nud permanent",
                router(o),
                vx_mac(o)
            ),
        );
        nodes[i].remote_route = Some(route);
    }
    write_conflist(
        "05-cilium.conflist",
        &json!({"cniVersion": "0.3.1", "name": "cilium",
                "plugins": [{"type": "cilium-cni", "enable-debug": false}]}),
    );
    install_plugin_stubs(&["cilium-cni"]);
    let mut held = Vec::new();
    let mut pods = Vec::new();
    for i in 0..2 {
        let gw = router(i);
        for k in 1..=2 {
            let name = format!("ci-{}-{k}", i + 1);
            let r = Routed {
                host_veth: format!("lxc{}", random_hex(12)),
                gateway: &gw,
                mtu: 1450,
                host_mac: None,
                host_sysctls: &["rp_filter=0", "forwarding=1"],
                network: "cilium",
                plugin: "cilium-cni",
            };
            let ip = format!("{base}.{}.{}", i + 1, 10 + k);
            pods.push(routed_pod(&nodes[i], i, &name, &ip, &r, &prefix, &mut held));
        }
    }
    Layout {
        kind: Kind::CiliumLike,
        prefix,
        nodes,
        pods,
        held,
        lab: None,
    }
}

/// podnet's own lab (2 nodes × 2 pods) behind the same API.
fn lab(kind: Kind, args: &[&str]) -> Layout {
    let prefix = unique_prefix();
    let name = prefix.trim_end_matches('-').to_string();
    let lab = Lab::up(&name, args);
    let nodes: Vec<LNode> = lab
        .nodes
        .iter()
        .map(|n| {
            let has_vxlan = ns_try(&n.netns, "ip link show dev flannel.1").0;
            let tunnel = n.vtep_mac.as_ref().filter(|_| has_vxlan).map(|m| Tunnel {
                dev: "flannel.1".into(),
                vtep_ip: String::new(),
                mac: m.clone(),
            });
            LNode {
                name: n.name.clone(),
                netns: n.netns.clone(),
                private: false,
                inode: n.inode,
                underlay_ip: n.underlay_ip.clone(),
                underlay_if: "eth0".into(),
                pod_cidr: n.pod_cidr.clone(),
                tunnel,
                remote_route: None,
                bridge: (kind == Kind::LabVxlan).then(|| "cni0".to_string()),
            }
        })
        .collect();
    let mut nodes = nodes;
    // what the lab routes each node's peer CIDR with, read back from the kernel
    for i in 0..nodes.len() {
        let cidr = nodes[1 - i].pod_cidr.clone();
        let v: Value =
            serde_json::from_str(&ns_sh(&nodes[i].netns, &format!("ip -j route show {cidr}")))
                .unwrap_or(Value::Null);
        nodes[i].remote_route = v[0].as_object().map(|r| route_spec(&cidr, r));
        let netns = nodes[i].netns.clone();
        if let Some(t) = nodes[i].tunnel.as_mut() {
            let v: Value =
                serde_json::from_str(&ns_sh(&netns, &format!("ip -j addr show dev {}", t.dev)))
                    .unwrap_or(Value::Null);
            t.vtep_ip = v[0]["addr_info"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["family"] == "inet")
                .and_then(|a| a["local"].as_str())
                .unwrap_or_default()
                .to_string();
        }
    }
    let pods = lab
        .pods
        .iter()
        .map(|p| {
            let node = nodes
                .iter()
                .position(|n| n.name == p.node)
                .expect("the pod's node");
            let mut pod = finish_pod(node, &p.short, &p.netns, &p.ip, &p.host_veth, None, None);
            pod.full = p.name.clone();
            if kind == Kind::LabPtp {
                let v: Value = serde_json::from_str(&ns_sh(
                    &nodes[node].netns,
                    &format!("ip -j route show {}", p.ip),
                ))
                .unwrap_or(Value::Null);
                pod.host_route = v[0].as_object().map(|r| route_spec(&p.ip, r));
            }
            pod
        })
        .collect();
    Layout {
        kind,
        prefix,
        nodes,
        pods,
        held: Vec::new(),
        lab: Some(lab),
    }
}

/// An `ip -j route` entry back as `ip route add` arguments.
fn route_spec(dst: &str, r: &serde_json::Map<String, Value>) -> String {
    let mut s = dst.to_string();
    if let Some(g) = r.get("gateway").and_then(Value::as_str) {
        s.push_str(&format!(" via {g}"));
    }
    if let Some(d) = r.get("dev").and_then(Value::as_str) {
        s.push_str(&format!(" dev {d}"));
    }
    if let Some(sc) = r
        .get("scope")
        .and_then(Value::as_str)
        .filter(|sc| *sc != "global")
    {
        s.push_str(&format!(" scope {sc}"));
    }
    if let Some(p) = r
        .get("protocol")
        .and_then(Value::as_str)
        .filter(|p| *p != "boot")
    {
        s.push_str(&format!(" proto {p}"));
    }
    if let Some(src) = r.get("prefsrc").and_then(Value::as_str) {
        s.push_str(&format!(" src {src}"));
    }
    if r.get("flags")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|x| x == "onlink"))
    {
        s.push_str(" onlink");
    }
    s
}

/// A long-lived server in a pod (`nsenter --net`), killed by PID on drop.
pub struct Server(Child);

impl Server {
    /// A TCP (or UDP) echo server on `port` in the netns, written in python3.
    pub fn echo(netns: &str, udp: bool, port: u16) -> Server {
        let code = if udp {
            format!(
                "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
                 s.bind(('0.0.0.0',{port}))\nwhile True:\n d,a=s.recvfrom(2048)\n s.sendto(d,a)\n"
            )
        } else {
            format!(
                "import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
                 s.bind(('0.0.0.0',{port}))\ns.listen(8)\nwhile True:\n c,a=s.accept()\n \
                 c.settimeout(2)\n try:\n  c.sendall(c.recv(2048))\n except Exception:\n  pass\n c.close()\n"
            )
        };
        let child = Command::new("nsenter")
            .arg(format!("--net={netns}"))
            .args(["--", "/usr/bin/python3", "-c", &code])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the echo server");
        let proto = if udp { 'u' } else { 't' };
        super::lab::wait_listening(netns, proto, port);
        Server(child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One TCP or UDP exchange from the netns to `ip:port` (python3, 1 s
/// timeout): did the echo come back.
pub fn exchange(netns: &str, udp: bool, ip: &str, port: u16) -> (bool, String) {
    let code = if udp {
        format!(
            "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(1)\n\
             s.sendto(b'podnet',('{ip}',{port}))\nassert s.recv(64)==b'podnet'\n"
        )
    } else {
        format!(
            "import socket\ns=socket.create_connection(('{ip}',{port}),timeout=1)\n\
             s.sendall(b'podnet')\nassert s.recv(64)==b'podnet'\n"
        )
    };
    let o = nsenter_output(netns, "/usr/bin/python3", &["-c", &code]);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}
