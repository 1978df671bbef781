//! Privileged tests of `podnet veth pair`, `veth list`, `veth top` and
//! `ethtool` on real kernel objects: each test builds a node from
//! namespaces (iproute2 pods with CNI-style host veth names, pods plumbed
//! by the reference bridge plugin, lab-style node namespaces, deleted and
//! descriptor-held namespaces, macvlan, down links, traffic between pods)
//! and compares podnet with independent oracles: `ip -j -d -s link` in
//! both namespaces, `ip -j netns list`, `ethtool -S` / `ethtool -i` run in
//! the same namespace (`nsenter --net`), and the kernel's process
//! accounting for "no process is spawned". Counters that can move between
//! two reads are compared as ranges: oracle before ≤ podnet ≤ oracle after.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::node::*;
use common::sh;
use serde_json::Value;

// ---------------------------------------------------------------- oracles

/// Where a link lives: the private node's own netns, or a namespace file
/// (`/run/netns/…`, `/proc/<pid>/fd/<n>`) that `nsenter --net` enters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Ns {
    Node,
    Path(String),
}

impl Ns {
    fn of(pod: &Pod) -> Ns {
        Ns::Path(pod.path.clone())
    }

    /// The shell prefix that runs a command inside it.
    fn prefix(&self) -> String {
        match self {
            Ns::Node => String::new(),
            Ns::Path(p) => format!("nsenter --net={} ", quote(p)),
        }
    }
}

/// The standard counters, in podnet's JSON names.
const LINK_COUNTERS: [&str; 8] = [
    "rx_packets",
    "tx_packets",
    "rx_bytes",
    "tx_bytes",
    "rx_dropped",
    "tx_dropped",
    "rx_errors",
    "tx_errors",
];

/// One link as `ip -j -d -s link` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IpLink {
    ifindex: u64,
    name: String,
    /// `linkinfo.info_kind`, `loopback`, or `device`.
    kind: String,
    /// `link_index`: the peer's ifindex, shown when the peer is in another netns.
    link_index: Option<u64>,
    /// `link`: the peer's name, shown instead when it is in the same netns.
    link: Option<String>,
    link_netnsid: Option<i64>,
    master: Option<String>,
    mtu: u64,
    mac: Option<String>,
    /// Lower case, as podnet prints it.
    oper_state: String,
    admin_up: bool,
    /// IFLA_STATS64 in the order of [`LINK_COUNTERS`].
    stats: [u64; 8],
}

impl IpLink {
    fn parse(l: &Value) -> IpLink {
        let kind = match l["linkinfo"]["info_kind"].as_str() {
            Some(k) => k.to_string(),
            None if l["link_type"] == "loopback" => "loopback".into(),
            None => "device".into(),
        };
        let s = &l["stats64"];
        let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("no counter in {l}"));
        IpLink {
            ifindex: l["ifindex"].as_u64().unwrap(),
            name: l["ifname"].as_str().unwrap().to_string(),
            kind,
            link_index: l["link_index"].as_u64(),
            link: l["link"].as_str().map(str::to_string),
            link_netnsid: l["link_netnsid"].as_i64(),
            master: l["master"].as_str().map(str::to_string),
            mtu: l["mtu"].as_u64().unwrap(),
            mac: l["address"].as_str().map(str::to_string),
            oper_state: l["operstate"].as_str().unwrap_or("").to_ascii_lowercase(),
            admin_up: l["flags"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x == "UP")),
            stats: [
                n(&s["rx"]["packets"]),
                n(&s["tx"]["packets"]),
                n(&s["rx"]["bytes"]),
                n(&s["tx"]["bytes"]),
                n(&s["rx"]["dropped"]),
                n(&s["tx"]["dropped"]),
                n(&s["rx"]["errors"]),
                n(&s["tx"]["errors"]),
            ],
        }
    }

    /// Everything but the counters (what must not change between two reads).
    fn facts(&self) -> IpLink {
        IpLink {
            stats: [0; 8],
            ..self.clone()
        }
    }
}

/// `ethtool -S` output: `(name, value)` in the driver's order; empty when
/// the driver has no statistics ("no stats available").
fn parse_ethtool_s(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .skip_while(|l| !l.starts_with("NIC statistics:"))
        .skip(1)
        .map(|l| {
            let (k, v) = l
                .trim()
                .rsplit_once(": ")
                .unwrap_or_else(|| panic!("ethtool -S line {l:?}"));
            (k.to_string(), v.trim().parse().unwrap())
        })
        .collect()
}

/// One reading of the oracles: every link of some namespaces, and
/// `ethtool -S` of some interfaces, taken by one shell script (each
/// namespace entered with `nsenter --net`).
#[derive(Debug, Default)]
struct Snapshot {
    links: HashMap<Ns, Vec<IpLink>>,
    ethtool: HashMap<(Ns, String), Vec<(String, u64)>>,
}

impl Snapshot {
    fn take(namespaces: &[Ns], ethtool: &[(Ns, String)]) -> Snapshot {
        let mut script = String::from("set +e\n");
        for (i, ns) in namespaces.iter().enumerate() {
            script.push_str(&format!(
                "echo '@@ip {i}'; {}ip -j -d -s link\n",
                ns.prefix()
            ));
        }
        for (i, (ns, ifname)) in ethtool.iter().enumerate() {
            script.push_str(&format!(
                "echo '@@ethtool {i}'; {}ethtool -S {} 2>&1\n",
                ns.prefix(),
                quote(ifname)
            ));
        }
        script.push_str("true\n"); // `ethtool -S` fails on drivers without statistics
        let text = sh(&script);
        let mut snap = Snapshot::default();
        for section in text.split("@@").skip(1) {
            let (head, body) = section.split_once('\n').unwrap_or((section, ""));
            let (what, i) = head.split_once(' ').unwrap();
            let i: usize = i.trim().parse().unwrap();
            match what {
                "ip" => {
                    let v: Value = serde_json::from_str(body)
                        .unwrap_or_else(|e| panic!("ip -j in {:?}: {e}: {body}", namespaces[i]));
                    snap.links.insert(
                        namespaces[i].clone(),
                        v.as_array().unwrap().iter().map(IpLink::parse).collect(),
                    );
                }
                "ethtool" => {
                    snap.ethtool
                        .insert(ethtool[i].clone(), parse_ethtool_s(body));
                }
                _ => unreachable!(),
            }
        }
        snap
    }

    fn link(&self, ns: &Ns, name: &str) -> &IpLink {
        self.links[ns]
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("ip shows no {name} in {ns:?}: {:#?}", self.links[ns]))
    }

    fn facts(&self) -> BTreeMap<Ns, Vec<IpLink>> {
        self.links
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().map(IpLink::facts).collect()))
            .collect()
    }
}

/// Takes snapshots until links stop changing state, then returns the last
/// one. Operstate follows carrier changes asynchronously (linkwatch delays
/// a non-urgent event by up to a second), so the state must hold for 1.2 s.
fn settled(namespaces: &[Ns]) -> Snapshot {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = Snapshot::take(namespaces, &[]);
    let mut same = 0;
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = Snapshot::take(namespaces, &[]);
        if now.facts() == last.facts() {
            same += 1;
        } else {
            same = 0;
        }
        if same >= 3 || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// `ip -j netns list`: the nsid the node gave each named namespace.
fn netns_ids() -> HashMap<String, i64> {
    let text = sh("ip -j netns list");
    if text.trim().is_empty() {
        return HashMap::new();
    }
    let v: Value = serde_json::from_str(&text).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter_map(|n| Some((n["name"].as_str()?.to_string(), n["id"].as_i64()?)))
        .collect()
}

/// `ethtool -i`: (driver, version).
fn ethtool_i(ns: &Ns, ifname: &str) -> (String, String) {
    let text = sh(&format!("{}ethtool -i {}", ns.prefix(), quote(ifname)));
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}: ")))
            .unwrap_or("")
            .trim()
            .to_string()
    };
    (field("driver"), field("version"))
}

/// before ≤ got ≤ after.
fn assert_between(before: u64, got: u64, after: u64, what: &str) {
    assert!(
        before <= got && got <= after,
        "{what}: podnet read {got}, outside the oracle's {before}..={after}"
    );
}

/// podnet's counters of one side (`stats.pod_if` / `stats.host_if`) against
/// `ip -s` and `ethtool -S` read before and after it.
fn assert_side_counters(
    got: &Value,
    (ns, ifname): (&Ns, &str),
    before: &Snapshot,
    after: &Snapshot,
    what: &str,
) {
    assert!(got.is_object(), "{what}: no counters: {got:#}");
    let (b, a) = (before.link(ns, ifname), after.link(ns, ifname));
    for (i, c) in LINK_COUNTERS.iter().enumerate() {
        let v = got[*c]
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: no {c}: {got:#}"));
        assert_between(b.stats[i], v, a.stats[i], &format!("{what} {c}"));
    }
    let key = (ns.clone(), ifname.to_string());
    let (eb, ea) = (&before.ethtool[&key], &after.ethtool[&key]);
    let names = |s: &[(String, u64)]| s.iter().map(|(k, _)| k.clone()).collect::<BTreeSet<_>>();
    let got_eth: BTreeMap<String, u64> = got["ethtool"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: no ethtool map: {got:#}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(
        got_eth.keys().cloned().collect::<BTreeSet<_>>(),
        names(eb),
        "{what}: ethtool -S names"
    );
    for ((k, vb), (_, va)) in eb.iter().zip(ea) {
        assert_between(*vb, got_eth[k], *va, &format!("{what} ethtool {k}"));
    }
}

// ------------------------------------------------------------- podnet JSON

fn pairs(list: &Value) -> &Vec<Value> {
    list["pairs"].as_array().expect("pairs")
}

/// The rows of one pod netns.
fn rows_of(list: &Value, inode: u64) -> Vec<&Value> {
    pairs(list)
        .iter()
        .filter(|r| r["netns_inode"].as_u64() == Some(inode))
        .collect()
}

/// The row of one pod interface.
fn row<'a>(list: &'a Value, inode: u64, ifname: &str) -> &'a Value {
    pairs(list)
        .iter()
        .find(|r| r["netns_inode"].as_u64() == Some(inode) && r["pod_if"]["name"] == ifname)
        .unwrap_or_else(|| panic!("no row for {ifname} in netns {inode}: {list:#}"))
}

/// The rows whose host side is `name`.
fn rows_by_host_if<'a>(list: &'a Value, name: &str) -> Vec<&'a Value> {
    pairs(list)
        .iter()
        .filter(|r| r["host_if"]["name"] == name)
        .collect()
}

fn warnings_of(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .map(|w| w.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn assert_no_warnings(v: &Value) {
    let w = warnings_of(v);
    assert!(w.is_empty(), "unexpected warnings: {w:#?}");
}

fn veth_list(extra: &[&str]) -> Value {
    let mut args = vec!["veth", "list", "-o", "json"];
    args.extend_from_slice(extra);
    podnet_on_node_json(&args)
}

/// The pod side of a row against `ip -j -d link` in the pod.
fn assert_pod_side(r: &Value, ip: &IpLink, what: &str) {
    let p = &r["pod_if"];
    assert_eq!(p["name"], ip.name.as_str(), "{what}: {r:#}");
    assert_eq!(p["ifindex"].as_u64(), Some(ip.ifindex), "{what}: {r:#}");
    assert_eq!(p["kind"], ip.kind.as_str(), "{what}: {r:#}");
    assert_eq!(p["mac"].as_str(), ip.mac.as_deref(), "{what}: {r:#}");
    assert_eq!(p["mtu"].as_u64(), Some(ip.mtu), "{what}: {r:#}");
    assert_eq!(p["oper_state"], ip.oper_state.as_str(), "{what}: {r:#}");
}

/// The host side of a row against `ip -j -d link` where it lives.
fn assert_host_side(r: &Value, ip: &IpLink, netns_inode: u64, what: &str) {
    let h = &r["host_if"];
    assert_eq!(h["name"], ip.name.as_str(), "{what}: {r:#}");
    assert_eq!(h["ifindex"].as_u64(), Some(ip.ifindex), "{what}: {r:#}");
    assert_eq!(h["mac"].as_str(), ip.mac.as_deref(), "{what}: {r:#}");
    assert_eq!(h["mtu"].as_u64(), Some(ip.mtu), "{what}: {r:#}");
    assert_eq!(h["oper_state"], ip.oper_state.as_str(), "{what}: {r:#}");
    assert_eq!(h["master"].as_str(), ip.master.as_deref(), "{what}: {r:#}");
    assert_eq!(
        h["netns_inode"].as_u64(),
        Some(netns_inode),
        "{what}: {r:#}"
    );
}

/// Checks a veth pair both ways with iproute2: the pod end points at the
/// host end (`link_index`) and back, and podnet's row agrees on every field.
fn assert_pair(r: &Value, pod_ip: &IpLink, host_ip: &IpLink, host_inode: u64, what: &str) {
    assert_eq!(r["status"], "paired", "{what}: {r:#}");
    assert_eq!(
        pod_ip.link_index,
        Some(host_ip.ifindex),
        "{what}: ip's pod end"
    );
    assert_eq!(
        host_ip.link_index,
        Some(pod_ip.ifindex),
        "{what}: ip's host end"
    );
    assert_pod_side(r, pod_ip, what);
    assert_host_side(r, host_ip, host_inode, what);
    let proof: Vec<&str> = r["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    // the proof starts from either end, with the attributes ip shows there
    let attrs = |end: &IpLink, other: &IpLink| {
        format!(
            "{}: IFLA_LINK={} IFLA_LINK_NETNSID={} ",
            end.name,
            other.ifindex,
            end.link_netnsid.expect("a veth with its peer elsewhere")
        )
    };
    assert!(
        proof[0].starts_with(&attrs(pod_ip, host_ip))
            || proof[0].starts_with(&attrs(host_ip, pod_ip)),
        "{what}: the proof names the attributes ip shows: {proof:#?}"
    );
    assert!(
        proof
            .iter()
            .any(|p| p.contains("peer_ifindex") && p.contains("(agrees)"))
            && !proof.iter().any(|p| p.contains("DISAGREES")),
        "{what}: ethtool's peer_ifindex cross-check: {proof:#?}"
    );
}

// ------------------------------------------------------------------ tests

node_test! {
    /// 56 pods whose eth0 all have the same ifindex, host veths named
    /// cali*, veth*, lxc* and arbitrarily (and by the reference bridge
    /// plugin): every pair agrees with `ip -j -d link` in both namespaces
    /// and `ip -j netns list`, and every counter (IFLA_STATS64 and
    /// `ethtool -S`, both sides) lies between the oracles read before and
    /// after podnet while traffic flows.
    fn fifty_pods_pair_and_count_like_iproute2_and_ethtool() {
        let p = unique_prefix();
        let node_inode = inode_of("/proc/self/ns/net");
        let bridge = format!("{p}br");
        add_bridge(&bridge);
        // 44 iproute2 pods in four naming styles; half are bridge ports
        let mut plain = Vec::new();
        for i in 0..44 {
            let veth = cni_style_veth_name(i, &p);
            let pod = plain_pod(
                &format!("{p}pod{i}"),
                &veth,
                &format!("10.77.{}.{}/16", i / 200, 10 + i % 200),
            );
            if i % 2 == 0 {
                sh(&format!("ip link set {veth} master {bridge}"));
            }
            plain.push(pod);
        }
        // 12 pods plumbed by the reference bridge plugin (veth + 8 hex, on cni0)
        let mut cni = Vec::new();
        for i in 0..12 {
            let id = PodIdentity::new("default", &format!("web-{i}"));
            cni.push((cni_bridge_pod(&format!("cni-{}", random_uid()), &id), id));
        }
        let styles: BTreeSet<String> = plain
            .iter()
            .map(|p| p.host_veth.clone().unwrap())
            .map(|v| {
                ["cali", "veth", "lxc"]
                    .into_iter()
                    .find(|s| v.starts_with(s))
                    .unwrap_or("other")
                    .to_string()
            })
            .collect();
        assert_eq!(styles.len(), 4, "every naming style: {styles:?}");

        // traffic: a flood between two bridge-plugin pods, and between two
        // bridge-port iproute2 pods whose veths count it in ethtool -S
        let ping_to = cni[1].0.ip.clone().unwrap();
        start_ping(&mut cni[0].0, &["-q", "-i", "0.01", &ping_to]);
        let (a, b) = (0, 2);
        count_in_ethtool(
            ("eth0", Some(&plain[a].path)),
            (plain[a].host_veth.as_deref().unwrap(), None),
        );
        count_in_ethtool(
            (plain[b].host_veth.as_deref().unwrap(), None),
            ("eth0", Some(&plain[b].path)),
        );
        let to_b = plain[b].ip.clone().unwrap();
        start_ping(&mut plain[a], &["-q", "-i", "0.01", "-s", "500", &to_b]);

        let all: Vec<&Pod> = plain.iter().chain(cni.iter().map(|(p, _)| p)).collect();
        assert!(all.len() >= 50);
        let mut namespaces = vec![Ns::Node];
        namespaces.extend(all.iter().map(|p| Ns::of(p)));
        let ethtool_ifaces: Vec<(Ns, String)> = all
            .iter()
            .flat_map(|p| {
                [
                    (Ns::Node, p.host_veth.clone().unwrap()),
                    (Ns::of(p), "eth0".to_string()),
                ]
            })
            .collect();
        let settled_state = settled(&namespaces);
        std::thread::sleep(Duration::from_millis(300)); // some traffic on the counters

        let before = Snapshot::take(&namespaces, &ethtool_ifaces);
        let started = Instant::now();
        let list = veth_list(&["--stats"]);
        let took = started.elapsed();
        let after = Snapshot::take(&namespaces, &ethtool_ifaces);
        eprintln!("podnet veth list --stats: {took:?} for {} pods", all.len());
        assert_no_warnings(&list);
        assert_eq!(
            before.facts(),
            settled_state.facts(),
            "links changed state while the test read them"
        );
        assert_eq!(
            before.facts(),
            after.facts(),
            "links changed state during the run"
        );

        let ids = netns_ids();
        assert_eq!(
            pairs(&list).len(),
            all.len(),
            "one row per pod, nothing for the node's bridges: {list:#}"
        );
        let mut eth0_indexes = BTreeSet::new();
        for pod in &all {
            let what = format!("{} ({})", pod.netns, pod.host_veth.as_deref().unwrap());
            let pod_ns = Ns::of(pod);
            let eth0 = before.link(&pod_ns, "eth0");
            eth0_indexes.insert(eth0.ifindex);
            let host = before.link(&Ns::Node, pod.host_veth.as_deref().unwrap());
            assert_eq!(
                host.link_netnsid,
                Some(ids[&pod.netns]),
                "{what}: ip says the host veth's peer is in this pod's netns"
            );
            let rows = rows_of(&list, pod.inode);
            assert_eq!(rows.len(), 1, "{what}: {rows:#?}");
            let r = rows[0];
            assert_pair(r, eth0, host, node_inode, &what);
            assert_eq!(
                r["pause_pid"].as_i64().map(|p| p as i32),
                pod.pause_pid(),
                "{what}"
            );
            let ip = pod.ip.as_deref().unwrap();
            assert!(
                r["pod_if"]["addresses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a.as_str().unwrap().starts_with(&format!("{ip}/"))),
                "{what}: {r:#}"
            );
            let stats = &r["stats"];
            assert_side_counters(
                &stats["pod_if"],
                (&pod_ns, "eth0"),
                &before,
                &after,
                &format!("{what} pod side"),
            );
            assert_side_counters(
                &stats["host_if"],
                (&Ns::Node, pod.host_veth.as_deref().unwrap()),
                &before,
                &after,
                &format!("{what} host side"),
            );
        }
        assert_eq!(
            eth0_indexes.len(),
            1,
            "every pod's eth0 has the same ifindex: {eth0_indexes:?}"
        );
        for (pod, id) in &cni {
            let r = &rows_of(&list, pod.inode)[0];
            assert_eq!(r["pod"]["namespace"], id.namespace.as_str());
            assert_eq!(r["pod"]["name"], id.name.as_str());
            assert_eq!(r["host_if"]["master"], BRIDGE_NAME);
            assert!(
                r["host_if"]["name"].as_str().unwrap().starts_with("veth"),
                "{r:#}"
            );
        }
        // the traffic shows: packets on the pinging pods, and the driver's NAPI counters
        let counter = |pod: &Pod, side: &str, c: &str| {
            rows_of(&list, pod.inode)[0]["stats"][side][c]
                .as_u64()
                .unwrap()
        };
        assert!(counter(&cni[0].0, "pod_if", "tx_packets") > 20);
        assert!(counter(&cni[1].0, "pod_if", "rx_packets") > 20);
        let xdp = |pod: &Pod, side: &str| {
            rows_of(&list, pod.inode)[0]["stats"][side]["ethtool"]["rx_queue_0_xdp_packets"]
                .as_u64()
                .unwrap()
        };
        assert!(xdp(&plain[a], "host_if") > 20, "{list:#}");
        assert!(xdp(&plain[b], "pod_if") > 20, "{list:#}");

        // the table shows every host veth
        let out = podnet_on_node(&["veth", "list"]);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        for pod in &all {
            let line = text
                .lines()
                .find(|l| {
                    l.split_whitespace()
                        .any(|w| Some(w) == pod.host_veth.as_deref())
                })
                .unwrap_or_else(|| panic!("{:?} not in the table:\n{text}", pod.host_veth));
            assert!(
                line.contains("paired") && line.contains("eth0@if"),
                "{line}"
            );
        }
    }
}

node_test! {
    /// A pod with two veths, a pod with a macvlan next to its veth, a pod
    /// with an ipvlan (where the kernel has the driver: stock Debian and
    /// Ubuntu kernels do, some minimal ones do not), a pod with only a
    /// macvlan, a veth with both ends in one pod, and veths set down on
    /// either side: each row's status, kind and states agree with
    /// `ip -j -d link`; nothing of the node's own is a row.
    fn every_kind_of_pod_interface_is_listed_as_what_it_is() {
        let p = unique_prefix();
        let node_inode = inode_of("/proc/self/ns/net");
        let bridge = format!("{p}br");
        add_bridge(&bridge);

        let two = plain_pod(
            &format!("{p}two"),
            &cni_style_veth_name(0, &p),
            "10.77.0.2/24",
        );
        let net1 = format!("{p}n1");
        sh(&format!(
            "ip link add {net1} type veth peer name net1 netns {ns} && ip link set {net1} up && \
             ip -n {ns} link set net1 up && ip -n {ns} addr add 10.79.0.2/24 dev net1",
            ns = quote(&two.netns)
        ));

        let mv = plain_pod(
            &format!("{p}mv"),
            &cni_style_veth_name(2, &p),
            "10.77.1.2/24",
        );
        let macvlan = |ns: &str, name: &str, cidr: &str| {
            let tmp = format!("{p}m{}", random_hex(4));
            sh(&format!(
                "ip link add link {bridge} name {tmp} type macvlan mode bridge && \
                 ip link set {tmp} netns {ns} && ip -n {ns} link set {tmp} name {name} && \
                 ip -n {ns} link set {name} up && ip -n {ns} addr add {cidr} dev {name}",
                ns = quote(ns)
            ));
        };
        macvlan(&mv.netns, "net1", "10.80.0.2/24");
        // ipvlan, on a parent of its own (a node-side veth): only where the
        // kernel has the driver; `ip` says so plainly when it has not
        let iv = plain_pod(
            &format!("{p}iv"),
            &cni_style_veth_name(3, &p),
            "10.77.5.2/24",
        );
        let iv_parent = format!("{p}ivp");
        sh(&format!(
            "ip link add {iv_parent} type veth peer name {p}ivq && ip link set {iv_parent} up"
        ));
        let iv_tmp = format!("{p}iv{}", random_hex(4));
        let ipvlan = Command::new("ip")
            .args(["link", "add", "link", &iv_parent, "name", &iv_tmp])
            .args(["type", "ipvlan", "mode", "l2"])
            .output()
            .unwrap();
        let has_ipvlan = ipvlan.status.success();
        if has_ipvlan {
            sh(&format!(
                "ip link set {iv_tmp} netns {ns} && ip -n {ns} link set {iv_tmp} name net1 && \
                 ip -n {ns} link set net1 up && ip -n {ns} addr add 10.81.0.2/24 dev net1",
                ns = quote(&iv.netns)
            ));
        } else {
            let refusal = String::from_utf8_lossy(&ipvlan.stderr);
            assert!(
                refusal.contains("Unknown device type") || refusal.contains("not supported"),
                "ip link add type ipvlan failed for another reason: {refusal}"
            );
            eprintln!("this kernel has no ipvlan driver: the ipvlan rows are not checked");
        }
        let mut mv_only = bindmount_only_netns(&format!("{p}mvonly"));
        sh(&format!("ip -n {} link set lo up", quote(&mv_only.netns)));
        macvlan(&mv_only.netns, "eth0", "10.80.0.3/24");
        mv_only.pause = Some(start_pause(&mv_only.path));

        let selfish = plain_pod(
            &format!("{p}self"),
            &cni_style_veth_name(1, &p),
            "10.77.2.2/24",
        );
        sh(&format!(
            "ip -n {ns} link add va numtxqueues 1 numrxqueues 3 type veth \
                 peer name vb numtxqueues 8 numrxqueues 1 && \
             ip -n {ns} link set va up && ip -n {ns} link set vb up",
            ns = quote(&selfish.netns)
        ));

        let host_down = plain_pod(&format!("{p}hdown"), &format!("{p}hd"), "10.77.3.2/24");
        sh(&format!("ip link set {p}hd down"));
        let pod_down = plain_pod(&format!("{p}pdown"), &format!("{p}pd"), "10.77.4.2/24");
        sh(&format!(
            "ip -n {} link set eth0 down",
            quote(&pod_down.netns)
        ));

        // half plumbed, as a failed CNI ADD leaves it: a veth, no address, lo down
        // (the netns has no IPv4 main table at all)
        let mut bare = bindmount_only_netns(&format!("{p}bare"));
        sh(&format!(
            "ip link add {p}bare type veth peer name eth0 netns {ns} && ip link set {p}bare up",
            ns = quote(&bare.netns)
        ));
        bare.host_veth = Some(format!("{p}bare"));

        let pods = [&two, &mv, &iv, &mv_only, &selfish, &host_down, &pod_down, &bare];
        let mut namespaces = vec![Ns::Node];
        namespaces.extend(pods.iter().map(|p| Ns::of(p)));
        let ip = settled(&namespaces);
        let list = veth_list(&[]);
        assert_no_warnings(&list);
        assert_eq!(ip.facts(), Snapshot::take(&namespaces, &[]).facts());

        let host_of = |r: &Value| ip.link(&Ns::Node, r["host_if"]["name"].as_str().unwrap());
        let check_paired = |pod: &Pod, ifname: &str, host_veth: &str| {
            let r = row(&list, pod.inode, ifname);
            assert_eq!(r["host_if"]["name"], host_veth, "{r:#}");
            assert_pair(
                r,
                ip.link(&Ns::of(pod), ifname),
                host_of(r),
                node_inode,
                &format!("{} {ifname}", pod.netns),
            );
        };
        let statuses = |pod: &Pod| -> BTreeMap<String, String> {
            rows_of(&list, pod.inode)
                .iter()
                .map(|r| {
                    (
                        r["pod_if"]["name"].as_str().unwrap().to_string(),
                        r["status"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        let map = |v: &[(&str, &str)]| -> BTreeMap<String, String> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };

        // the half-plumbed pod pairs like any other
        assert_eq!(statuses(&bare), map(&[("eth0", "paired")]));
        check_paired(&bare, "eth0", &format!("{p}bare"));

        // two veths, both to the node
        assert_eq!(
            statuses(&two),
            map(&[("eth0", "paired"), ("net1", "paired")])
        );
        check_paired(&two, "eth0", two.host_veth.as_deref().unwrap());
        check_paired(&two, "net1", &net1);

        // a macvlan is not a veth: its own row, no host side, the kind ip shows
        assert_eq!(
            statuses(&mv),
            map(&[("eth0", "paired"), ("net1", "not-veth")])
        );
        check_paired(&mv, "eth0", mv.host_veth.as_deref().unwrap());
        for (pod, ifname) in [(&mv, "net1"), (&mv_only, "eth0")] {
            let r = row(&list, pod.inode, ifname);
            let l = ip.link(&Ns::of(pod), ifname);
            assert_eq!(l.kind, "macvlan");
            assert_pod_side(r, l, &format!("{} {ifname}", pod.netns));
            assert_eq!(r["status"], "not-veth", "{r:#}");
            assert!(r["host_if"].is_null(), "{r:#}");
            assert_eq!(r["pause_pid"].as_i64().map(|p| p as i32), pod.pause_pid());
        }
        assert_eq!(statuses(&mv_only), map(&[("eth0", "not-veth")]));

        // an ipvlan is not a veth either
        check_paired(&iv, "eth0", iv.host_veth.as_deref().unwrap());
        if has_ipvlan {
            assert_eq!(
                statuses(&iv),
                map(&[("eth0", "paired"), ("net1", "not-veth")])
            );
            let r = row(&list, iv.inode, "net1");
            let l = ip.link(&Ns::of(&iv), "net1");
            assert_eq!(l.kind, "ipvlan");
            assert_pod_side(r, l, &format!("{} net1", iv.netns));
            assert!(r["host_if"].is_null(), "{r:#}");
        } else {
            assert_eq!(statuses(&iv), map(&[("eth0", "paired")]));
        }

        // both ends in the pod
        assert_eq!(
            statuses(&selfish),
            map(&[
                ("eth0", "paired"),
                ("va", "peer-in-same-netns"),
                ("vb", "peer-in-same-netns")
            ])
        );
        for (end, other) in [("va", "vb"), ("vb", "va")] {
            let r = row(&list, selfish.inode, end);
            let l = ip.link(&Ns::of(&selfish), end);
            assert_eq!(
                (l.link.as_deref(), l.link_netnsid),
                (Some(other), None),
                "ip: {end}'s peer is {other}, here"
            );
            assert_pod_side(r, l, end);
            assert!(r["host_if"].is_null(), "{r:#}");
        }
        // their queue layouts differ (3 rx + 1 tx, 1 rx + 8 tx) though both
        // have 24 driver statistics: each gets its own names, as ethtool -S shows
        let stats = veth_list(&["--stats"]);
        for end in ["va", "vb", "eth0"] {
            let theirs = parse_ethtool_s(&in_netns(&selfish.path, "ethtool", &["-S", end]));
            let ours: BTreeSet<&String> =
                row(&stats, selfish.inode, end)["stats"]["pod_if"]["ethtool"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .collect();
            assert_eq!(
                ours,
                theirs.iter().map(|(k, _)| k).collect(),
                "ethtool -S {end}"
            );
        }

        // down on either side: still paired, with the states ip shows
        for (pod, down) in [(&host_down, "host"), (&pod_down, "pod")] {
            check_paired(pod, "eth0", pod.host_veth.as_deref().unwrap());
            let r = row(&list, pod.inode, "eth0");
            let (pod_state, host_state) = (
                r["pod_if"]["oper_state"].as_str().unwrap(),
                r["host_if"]["oper_state"].as_str().unwrap(),
            );
            assert!(
                pod_state != "up" && host_state != "up",
                "{down} side down: {r:#}"
            );
            let side = if down == "host" { "host_if" } else { "pod_if" };
            assert_eq!(r[side]["oper_state"], "down", "{r:#}");
            // ip: the side set down lost IFF_UP, the other kept it
            let (pod_ip, host_ip) = (
                ip.link(&Ns::of(pod), "eth0"),
                ip.link(&Ns::Node, pod.host_veth.as_deref().unwrap()),
            );
            assert_eq!(
                (pod_ip.admin_up, host_ip.admin_up),
                (down == "host", down == "pod"),
                "{down}"
            );
        }
        let table = podnet_on_node(&["veth", "list"]);
        let text = String::from_utf8_lossy(&table.stdout);
        let line = text
            .lines()
            .find(|l| l.contains(&format!("{p}hd")))
            .unwrap();
        assert!(line.contains("/down") && line.contains("paired"), "{text}");

        // exactly these rows: nothing for the node's bridge, macvlan parent or loopbacks
        let want: usize = pods.iter().map(|p| statuses(p).len()).sum();
        assert_eq!(pairs(&list).len(), want, "{list:#}");
        assert_eq!(want, 12 + usize::from(has_ipvlan));
        // none of these is unpaired: `veth pair` exits 0 for each
        for pod in pods {
            let out = podnet_on_node(&["veth", "pair", &pod.netns, "-o", "json"]);
            assert_eq!(out.status.code(), Some(0), "{}", pod.netns);
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(pairs(&v).len(), statuses(pod).len(), "{v:#}");
            assert_no_warnings(&v);
            // the same rows as in veth list (which does not read routes: null there)
            assert!(
                rows_of(&list, pod.inode).iter().all(|r| r["pod_if"]["routes"].is_null()),
                "veth list reads no routes"
            );
            let without_routes = |r: &Value| {
                let mut r = r.clone();
                r["pod_if"]["routes"] = Value::Null;
                r
            };
            assert_eq!(
                pairs(&v).iter().map(without_routes).collect::<Vec<_>>(),
                rows_of(&list, pod.inode)
                    .into_iter()
                    .map(without_routes)
                    .collect::<Vec<_>>(),
            );
            // veth pair's routes: the main-table destinations `ip route` shows through
            // each interface
            for r in pairs(&v) {
                let ifname = r["pod_if"]["name"].as_str().unwrap();
                let theirs: BTreeSet<String> = serde_json::from_str::<Value>(&sh(&format!(
                    "nsenter --net={} ip -j route show table main dev {ifname}",
                    quote(&pod.path)
                )))
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|rt| rt["dst"].as_str().unwrap().to_string())
                .collect();
                let ours: BTreeSet<String> = r["pod_if"]["routes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().split(' ').next().unwrap().to_string())
                    .collect();
                assert_eq!(ours, theirs, "{} {ifname}: {r:#}", pod.netns);
            }
        }
    }
}

/// Waits until `ip link show dev <name>` in the node fails (the kernel
/// destroys a dead netns's veths asynchronously).
fn wait_link_gone(name: &str) {
    // generous: the kernel cleans dead namespaces on one workqueue, behind
    // any other test's (a thousand pods' teardown takes a while)
    let deadline = Instant::now() + Duration::from_secs(120);
    while Command::new("ip")
        .args(["link", "show", "dev", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "{name} outlived its peer's netns"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills and reaps a child the test started (by its PID only).
fn stop(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

node_test! {
    /// The kernel destroys a veth pair with its netns unless something still
    /// holds the netns: a deleted pod netns with no holder leaves nothing
    /// behind; one held by a descriptor leaves its host veth, which podnet
    /// shows as an orphan (exit 1 from `veth pair`), and `--deep` pairs
    /// again; one held by its pause process stays paired (found through
    /// /proc). A pod whose second veth leads into a hidden namespace is
    /// peer-not-found (exit 1), and `--deep` finds the pair without losing
    /// any of the pod's rows.
    fn deleted_and_hidden_namespaces_orphan_their_veths_until_deep() {
        let p = unique_prefix();
        let node_inode = inode_of("/proc/self/ns/net");

        // 1. nothing holds it: the pair dies with the netns
        let mut gone = plain_pod(&format!("{p}gone"), &format!("{p}gone"), "10.77.0.2/24");
        stop(gone.pause.take().unwrap());
        sh(&format!("ip netns del {}", quote(&gone.netns)));
        wait_link_gone(&format!("{p}gone"));

        // 2. a descriptor holds it: the host veth stays, its peer namespace is hidden
        let mut held = plain_pod(&format!("{p}held"), &format!("{p}held"), "10.77.0.3/24");
        let holder = hold_by_fd(&held.path);
        let fd = format!("/proc/{}/fd/0", holder.id());
        stop(held.pause.take().unwrap());
        sh(&format!("ip netns del {}", quote(&held.netns)));
        assert_eq!(inode_of(&fd), held.inode);

        // 3. its pause process holds it: nothing changes but the missing bind mount
        let by_pause = plain_pod(&format!("{p}proc"), &format!("{p}proc"), "10.77.0.5/24");
        sh(&format!("ip netns del {}", quote(&by_pause.netns)));
        let pause_ns = format!("/proc/{}/ns/net", by_pause.pause_pid().unwrap());

        // 4. a pod whose net1 leads into another hidden namespace (one veth there)
        let half = plain_pod(&format!("{p}half"), &format!("{p}vhalf"), "10.77.0.4/24");
        let hidden = bindmount_only_netns(&format!("{p}hid"));
        sh(&format!(
            "ip -n {h} link add net1 type veth peer name x0 netns {hid} && \
             ip -n {h} link set net1 up && ip -n {hid} link set x0 up",
            h = quote(&half.netns),
            hid = quote(&hidden.netns)
        ));
        let hidden_holder = hold_by_fd(&hidden.path);
        let hidden_fd = format!("/proc/{}/fd/0", hidden_holder.id());
        sh(&format!("ip netns del {}", quote(&hidden.netns)));

        let namespaces = [
            Ns::Node,
            Ns::Path(fd.clone()),
            Ns::Path(pause_ns.clone()),
            Ns::of(&half),
            Ns::Path(hidden_fd.clone()),
        ];
        let ip = settled(&namespaces);
        let list = veth_list(&[]);
        assert_no_warnings(&list);
        assert!(
            serde_json::to_string(&list)
                .unwrap()
                .find(&format!("{p}gone"))
                .is_none(),
            "nothing is left of the deleted pod: {list:#}"
        );
        // the orphan: its host side as ip shows it, no pod side
        let orphan = rows_by_host_if(&list, &format!("{p}held"));
        assert_eq!(orphan.len(), 1, "{list:#}");
        let o = orphan[0];
        assert_eq!(o["status"], "orphan", "{o:#}");
        assert!(o["pod"].is_null() && o["pod_if"].is_null() && o["netns_inode"].is_null());
        let host_held = ip.link(&Ns::Node, &format!("{p}held"));
        assert!(
            host_held.link_netnsid.is_some(),
            "ip: its peer is in another netns"
        );
        assert_host_side(o, host_held, node_inode, "orphan");
        // the pod with a hidden peer: eth0 paired, net1 peer-not-found
        assert_pair(
            row(&list, half.inode, "eth0"),
            ip.link(&Ns::of(&half), "eth0"),
            ip.link(&Ns::Node, &format!("{p}vhalf")),
            node_inode,
            "half eth0",
        );
        let n1 = row(&list, half.inode, "net1");
        assert_eq!(n1["status"], "peer-not-found", "{n1:#}");
        assert!(n1["host_if"].is_null());
        assert_pod_side(n1, ip.link(&Ns::of(&half), "net1"), "half net1");
        // the namespace its pause process still holds
        let r = row(&list, by_pause.inode, "eth0");
        assert_pair(
            r,
            ip.link(&Ns::Path(pause_ns.clone()), "eth0"),
            ip.link(&Ns::Node, &format!("{p}proc")),
            node_inode,
            "held by its pause",
        );
        assert_eq!(
            r["pause_pid"].as_i64().map(|p| p as i32),
            by_pause.pause_pid()
        );
        assert_eq!(pairs(&list).len(), 4, "{list:#}");

        // veth pair: exit 1 for the orphan (reverse lookup) and for the half-paired pod
        for target in [format!("{p}held"), half.netns.clone(), half.path.clone()] {
            let out = podnet_on_node(&["veth", "pair", &target, "-o", "json"]);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{target}: exit 1 for an unpaired veth"
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(
                pairs(&v)
                    .iter()
                    .any(|r| r["status"] == "orphan" || r["status"] == "peer-not-found"),
                "{v:#}"
            );
        }
        let out = podnet_on_node(&["veth", "pair", &format!("{p}held")]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(text.lines().next(), Some("Pod        (no pod)"), "{text}");
        assert!(text.contains("Status     orphan"), "{text}");
        assert!(
            text.contains("--deep"),
            "the proof says where to look: {text}"
        );

        // --deep: every namespace found again, every pair proven, nothing lost
        let deep = veth_list(&["--deep"]);
        assert_no_warnings(&deep);
        assert!(
            pairs(&deep).iter().all(|r| r["status"] == "paired"),
            "{deep:#}"
        );
        let r = row(&deep, held.inode, "eth0");
        assert_pair(
            r,
            ip.link(&Ns::Path(fd.clone()), "eth0"),
            host_held,
            node_inode,
            "held, found by --deep",
        );
        assert!(r["pause_pid"].is_null() && r["pod"].is_null(), "{r:#}");
        assert_pair(
            row(&deep, half.inode, "eth0"),
            ip.link(&Ns::of(&half), "eth0"),
            ip.link(&Ns::Node, &format!("{p}vhalf")),
            node_inode,
            "half eth0 with --deep",
        );
        // half's net1 and the hidden x0 are one row, whichever end podnet calls the pod's
        let link = pairs(&deep)
            .iter()
            .filter(|r| {
                r["pod_if"]["name"] == "net1" && r["netns_inode"].as_u64() == Some(half.inode)
                    || r["pod_if"]["name"] == "x0"
                        && r["netns_inode"].as_u64() == Some(hidden.inode)
            })
            .collect::<Vec<_>>();
        assert_eq!(link.len(), 1, "{deep:#}");
        let (net1_ip, x0_ip) = (
            ip.link(&Ns::of(&half), "net1"),
            ip.link(&Ns::Path(hidden_fd.clone()), "x0"),
        );
        if link[0]["pod_if"]["name"] == "net1" {
            assert_pair(link[0], net1_ip, x0_ip, hidden.inode, "net1 ↔ x0");
        } else {
            assert_pair(link[0], x0_ip, net1_ip, half.inode, "x0 ↔ net1");
        }
        assert_eq!(pairs(&deep).len(), 4, "{deep:#}");

        // once the descriptor is closed, the netns and both veths go
        stop(holder);
        wait_link_gone(&format!("{p}held"));
        let after = veth_list(&[]);
        assert!(
            rows_by_host_if(&after, &format!("{p}held")).is_empty(),
            "{after:#}"
        );
        stop(hidden_holder);
    }
}

node_test! {
    /// Lab topology: pods whose host-side veths live in "node" namespaces
    /// (a bridge, the pods' peers and an uplink veth to the real node) are
    /// paired to that node namespace, as `ip -j -d link` there shows; the
    /// nodes' own bridge, uplinks and ports are not pod rows, and the reverse
    /// lookup works for a veth inside a node namespace.
    fn lab_node_namespaces_hold_the_host_side() {
        let p = unique_prefix();
        let real_node = inode_of("/proc/self/ns/net");
        let node_a = lab_node(&format!("{p}nodeA"), "cni0", Some(&format!("{p}upA")));
        let node_b = lab_node(&format!("{p}nodeB"), "cni0", Some(&format!("{p}upB")));
        let mut lab = Vec::new();
        for i in 0..3 {
            let veth = format!("veth{}{i}", random_hex(7));
            let pod = lab_pod(
                &node_a,
                &format!("{p}a{i}"),
                &veth,
                "cni0",
                &format!("10.244.1.{}/24", i + 2),
            );
            lab.push((pod, &node_a));
        }
        let veth = format!("veth{}", random_hex(8));
        lab.push((
            lab_pod(&node_b, &format!("{p}b0"), &veth, "cni0", "10.244.2.2/24"),
            &node_b,
        ));
        // a node with a single pod and no uplink, whose pod has no pause process
        // either: only the bridge port tells which end is the node's
        let node_c = lab_node(&format!("{p}nodeC"), "cni0", None);
        let veth = format!("veth{}", random_hex(8));
        let mut c0 = lab_pod(&node_c, &format!("{p}c0"), &veth, "cni0", "10.244.3.2/24");
        stop(c0.pause.take().unwrap());
        lab.push((c0, &node_c));
        // a pod of the real node next to them
        let local = plain_pod(
            &format!("{p}local"),
            &cni_style_veth_name(0, &p),
            "10.77.0.2/24",
        );
        // traffic across node A's bridge
        let to = lab[1].0.ip.clone().unwrap();
        start_ping(&mut lab[0].0, &["-q", "-i", "0.05", &to]);

        let mut namespaces = vec![
            Ns::Node,
            Ns::of(&node_a),
            Ns::of(&node_b),
            Ns::of(&node_c),
            Ns::of(&local),
        ];
        namespaces.extend(lab.iter().map(|(p, _)| Ns::of(p)));
        let ip = settled(&namespaces);
        let list = veth_list(&[]);
        assert_no_warnings(&list);

        assert_eq!(
            pairs(&list).len(),
            lab.len() + 1,
            "one row per pod; nothing for the nodes' bridges, uplinks or ports: {list:#}"
        );
        for (pod, node) in &lab {
            let what = format!("{} on {}", pod.netns, node.netns);
            let rows = rows_of(&list, pod.inode);
            assert_eq!(rows.len(), 1, "{what}: {list:#}");
            let eth0 = ip.link(&Ns::of(pod), "eth0");
            assert_eq!(
                eth0.ifindex,
                ip.link(&Ns::of(&local), "eth0").ifindex,
                "same ifindex everywhere"
            );
            let peer = ip.link(&Ns::of(node), pod.host_veth.as_deref().unwrap());
            assert_eq!(peer.master.as_deref(), Some("cni0"));
            assert_pair(rows[0], eth0, peer, node.inode, &what);
            assert_eq!(
                rows[0]["pause_pid"].as_i64().map(|p| p as i32),
                pod.pause_pid()
            );
        }
        assert_pair(
            rows_of(&list, local.inode)[0],
            ip.link(&Ns::of(&local), "eth0"),
            ip.link(&Ns::Node, local.host_veth.as_deref().unwrap()),
            real_node,
            "the real node's pod",
        );
        for node in [&node_a, &node_b, &node_c] {
            assert!(rows_of(&list, node.inode).is_empty(), "{list:#}");
        }
        for up in ["upA", "upB", "eth0", "cni0"] {
            assert!(
                rows_by_host_if(&list, &format!("{p}{up}")).is_empty()
                    && rows_by_host_if(&list, up).is_empty(),
                "{up}: {list:#}"
            );
        }
        // reverse lookup of a veth inside a node namespace
        let (pod, node) = &lab[4];
        let v = podnet_on_node_json(&[
            "veth",
            "pair",
            pod.host_veth.as_deref().unwrap(),
            "-o",
            "json",
        ]);
        assert_eq!(pairs(&v).len(), 1, "{v:#}");
        assert_eq!(pairs(&v)[0]["netns_inode"].as_u64(), Some(pod.inode));
        assert_eq!(
            pairs(&v)[0]["host_if"]["netns_inode"].as_u64(),
            Some(node.inode)
        );
        // and the pod by its netns name
        let v = podnet_on_node_json(&["veth", "pair", &pod.netns, "-o", "json"]);
        assert_eq!(
            pairs(&v)[0]["host_if"]["name"],
            pod.host_veth.as_deref().unwrap()
        );
        // the traffic crossed node A's bridge: counters on both sides of pod a0's veth
        let s = podnet_on_node_json(&["veth", "pair", &lab[0].0.netns, "--stats", "-o", "json"]);
        let st = &pairs(&s)[0]["stats"];
        let (sent, received) = (
            st["pod_if"]["tx_packets"].as_u64().unwrap(),
            st["host_if"]["rx_packets"].as_u64().unwrap(),
        );
        assert!(sent > 0, "{s:#}");
        // what one end sends the other receives; a ping may fall between the two reads
        assert!(sent.abs_diff(received) <= 5, "{s:#}");
    }
}

node_test! {
    /// `veth pair` finds a pod by every reference form (name,
    /// namespace/name, IP, pause PID, another PID, netns path and name, UID,
    /// sandbox id, inode) and a host veth by its name; unknown, ambiguous and
    /// host references exit 2 with one error line.
    fn veth_pair_takes_every_pod_reference_and_reverse_lookups() {
        let p = unique_prefix();
        let id = PodIdentity::new("default", "web-0");
        let mut web = cni_bridge_pod(&format!("cni-{}", random_uid()), &id);
        let app = web.add_process("sleep", &["600"]);
        let pause = web.pause_pid().unwrap();
        let dup_a = PodIdentity::new("team-a", "dup");
        let dup_b = PodIdentity::new("team-b", "dup");
        let _a = cni_bridge_pod(&format!("cni-{}", random_uid()), &dup_a);
        let _b = cni_bridge_pod(&format!("cni-{}", random_uid()), &dup_b);
        let mut plain = Vec::new();
        for i in 0..4 {
            plain.push(plain_pod(
                &format!("{p}plain{i}"),
                &cni_style_veth_name(i, &p),
                &format!("10.77.{i}.2/24"),
            ));
        }
        let host_veth = web.host_veth.clone().unwrap();
        let ip = web.ip.clone().unwrap();
        let refs = [
            id.name.clone(),
            id.full(),
            ip.clone(),
            pause.to_string(),
            app.to_string(),
            web.path.clone(),
            web.netns.clone(),
            id.uid.clone(),
            id.sandbox_id[..12].to_string(),
            web.inode.to_string(),
            host_veth.clone(),
        ];
        for r in &refs {
            let v = podnet_on_node_json(&["veth", "pair", r, "-o", "json"]);
            let rows = pairs(&v);
            assert_eq!(rows.len(), 1, "{r}: {v:#}");
            assert_eq!(
                rows[0]["netns_inode"].as_u64(),
                Some(web.inode),
                "{r}: {v:#}"
            );
            assert_eq!(rows[0]["host_if"]["name"], host_veth.as_str(), "{r}");
            assert_eq!(rows[0]["status"], "paired");
            assert_eq!(rows[0]["pod"]["name"], "web-0");
            assert_eq!(rows[0]["pause_pid"].as_i64(), Some(pause as i64));
            assert!(rows[0]["stats"].is_null());
            assert_no_warnings(&v);
        }
        // reverse lookups of every naming style
        for pod in &plain {
            let v = podnet_on_node_json(&[
                "veth",
                "pair",
                pod.host_veth.as_deref().unwrap(),
                "-o",
                "json",
            ]);
            assert_eq!(pairs(&v).len(), 1);
            assert_eq!(
                pairs(&v)[0]["netns_inode"].as_u64(),
                Some(pod.inode),
                "{v:#}"
            );
        }
        // --stats: both sides' counters, as the ip oracle shows them
        let v = podnet_on_node_json(&["veth", "pair", "default/web-0", "--stats", "-o", "json"]);
        let st = &pairs(&v)[0]["stats"];
        for side in ["pod_if", "host_if"] {
            assert!(st[side]["rx_packets"].is_u64(), "{v:#}");
            assert!(
                st[side]["ethtool"]["peer_ifindex"].as_u64().is_some(),
                "{v:#}"
            );
        }
        // the detail view
        let out = podnet_on_node(&["veth", "pair", "default/web-0", "--stats"]);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("Pod")
                && lines[0].contains("default/web-0")
                && lines[0].contains(&format!("netns {}", web.inode))
                && lines[0].contains(&format!("pause {pause}")),
            "{text}"
        );
        assert!(text.contains(&format!("Host side  {host_veth}")), "{text}");
        assert!(
            text.contains("Status     paired") && text.contains("Proof"),
            "{text}"
        );
        assert!(
            text.contains("ethtool peer_ifindex") && text.contains("rx_packets"),
            "{text}"
        );

        // errors: exit 2, nothing on stdout, one error line then hints
        let expect_error = |args: &[&str], needle: &str| {
            let out = podnet_on_node(args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(out.stdout.is_empty(), "{args:?}");
            let lines: Vec<&str> = err.lines().collect();
            assert!(
                lines[0].starts_with("podnet: error: ") && lines[0].contains(needle),
                "{args:?}: {err}"
            );
            assert!(
                lines[1..].iter().all(|l| l.starts_with("hint: ")),
                "{args:?}: {err}"
            );
            assert!(!err.contains("panicked"));
        };
        for unknown in [
            "no-such-pod",
            "default/nope",
            "10.99.99.99",
            "/run/netns/nope",
            "999999",
        ] {
            expect_error(&["veth", "pair", unknown], unknown);
        }
        expect_error(&["veth", "pair", "dup"], "team-a/dup");
        expect_error(&["veth", "pair", "host"], "host");
    }
}

/// `podnet ethtool … -o json`'s interfaces.
fn ethtool_json(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["ethtool"];
    all.extend_from_slice(args);
    all.extend(["-o", "json"]);
    let v = podnet_on_node_json(&all);
    assert_no_warnings(&v);
    v["interfaces"].as_array().unwrap().clone()
}

/// One interface of `podnet ethtool` against `ethtool -i` and `ethtool -S`
/// read before and after it, in the same namespace.
fn assert_ethtool_agrees(
    got: &Value,
    (ns, ifname): (&Ns, &str),
    before: &Snapshot,
    after: &Snapshot,
    what: &str,
) {
    assert_eq!(got["interface"], ifname, "{what}: {got:#}");
    assert_eq!(
        got["ifindex"].as_u64(),
        Some(before.link(ns, ifname).ifindex),
        "{what}"
    );
    let (driver, version) = ethtool_i(ns, ifname);
    assert_eq!(got["driver"]["driver"], driver.as_str(), "{what}: {got:#}");
    assert_eq!(
        got["driver"]["version"],
        version.as_str(),
        "{what}: {got:#}"
    );
    let key = (ns.clone(), ifname.to_string());
    let (b, a) = (&before.ethtool[&key], &after.ethtool[&key]);
    let stats = got["stats"].as_object().unwrap();
    assert_eq!(
        stats.keys().collect::<BTreeSet<_>>(),
        b.iter().map(|(k, _)| k).collect::<BTreeSet<_>>(),
        "{what}: the statistics ethtool -S names"
    );
    assert_eq!(
        got["driver"]["n_stats"].as_u64(),
        Some(b.len() as u64),
        "{what}"
    );
    for ((k, vb), (_, va)) in b.iter().zip(a) {
        assert_between(*vb, stats[k].as_u64().unwrap(), *va, &format!("{what} {k}"));
    }
}

node_test! {
    /// `podnet ethtool <host-if>`, `podnet ethtool <pod>` and `podnet ethtool
    /// eth0 -n <pod>` (every pod reference) agree with `ethtool -S` and
    /// `ethtool -i` run in the same namespace while traffic moves the
    /// counters; the text form lists the statistics in the driver's order.
    fn ethtool_agrees_with_ethtool_in_the_same_namespace() {
        let p = unique_prefix();
        let node_inode = inode_of("/proc/self/ns/net");
        let id_a = PodIdentity::new("default", "client");
        let id_b = PodIdentity::new("default", "server");
        let mut a = cni_bridge_pod(&format!("cni-{}", random_uid()), &id_a);
        let b = cni_bridge_pod(&format!("cni-{}", random_uid()), &id_b);
        let (a_host, b_host) = (a.host_veth.clone().unwrap(), b.host_veth.clone().unwrap());
        // the driver counts a's packets in its NAPI statistics on both veths
        count_in_ethtool(("eth0", Some(&a.path)), (&a_host, None));
        count_in_ethtool((&b_host, None), ("eth0", Some(&b.path)));
        let to = b.ip.clone().unwrap();
        start_ping(&mut a, &["-q", "-i", "0.01", &to]);
        // a pod with a macvlan beside its veth
        let bridge = format!("{p}br");
        add_bridge(&bridge);
        let mv = plain_pod(
            &format!("{p}mv"),
            &cni_style_veth_name(0, &p),
            "10.77.0.2/24",
        );
        sh(&format!(
            "ip link add link {bridge} name {p}mv type macvlan mode bridge && \
             ip link set {p}mv netns {ns} && ip -n {ns} link set {p}mv name net1 && \
             ip -n {ns} link set net1 up",
            ns = quote(&mv.netns)
        ));
        std::thread::sleep(Duration::from_millis(300));
        let namespaces = [Ns::Node, Ns::of(&a), Ns::of(&mv)];
        let watched = [
            (Ns::Node, a_host.clone()),
            (Ns::of(&a), "eth0".to_string()),
            (Ns::of(&mv), "eth0".to_string()),
            (Ns::of(&mv), "net1".to_string()),
            (Ns::Node, BRIDGE_NAME.to_string()),
        ];
        let read = |args: &[&str]| {
            let before = Snapshot::take(&namespaces, &watched);
            let got = ethtool_json(args);
            let after = Snapshot::take(&namespaces, &watched);
            (got, before, after)
        };

        // a host interface by name
        let (got, before, after) = read(&[&a_host]);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(got[0]["owner"], "host");
        assert_eq!(got[0]["netns_inode"].as_u64(), Some(node_inode));
        assert_ethtool_agrees(&got[0], (&Ns::Node, &a_host), &before, &after, "host veth");
        assert!(
            got[0]["stats"]["rx_queue_0_xdp_packets"].as_u64().unwrap() > 10,
            "{got:#?}"
        );
        assert_eq!(
            got[0]["stats"]["peer_ifindex"].as_u64(),
            Some(before.link(&Ns::of(&a), "eth0").ifindex)
        );
        // a bridge: driver info, no statistics, like ethtool
        let (got, before, after) = read(&[BRIDGE_NAME]);
        assert_ethtool_agrees(&got[0], (&Ns::Node, BRIDGE_NAME), &before, &after, "cni0");
        assert!(got[0]["stats"].as_object().unwrap().is_empty());

        // a pod: every interface but lo; one interface with -n, by every reference
        let a_refs = [
            id_a.name.clone(),
            id_a.full(),
            a.ip.clone().unwrap(),
            a.pause_pid().unwrap().to_string(),
            a.path.clone(),
        ];
        for r in &a_refs {
            for args in [vec![r.as_str()], vec!["eth0", "-n", r.as_str()]] {
                let (got, before, after) = read(&args);
                assert_eq!(got.len(), 1, "{args:?}: {got:#?}");
                assert_eq!(got[0]["owner"], "default/client", "{args:?}");
                assert_eq!(got[0]["netns_inode"].as_u64(), Some(a.inode), "{args:?}");
                assert_ethtool_agrees(
                    &got[0],
                    (&Ns::of(&a), "eth0"),
                    &before,
                    &after,
                    &format!("{args:?}"),
                );
                assert_eq!(
                    got[0]["stats"]["peer_ifindex"].as_u64(),
                    Some(before.link(&Ns::Node, &a_host).ifindex)
                );
            }
        }
        // veth and macvlan in one pod; the macvlan has driver info and no statistics
        let (got, before, after) = read(&[&mv.netns]);
        let names: Vec<&str> = got
            .iter()
            .map(|i| i["interface"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["eth0", "net1"], "{got:#?}");
        assert_ethtool_agrees(&got[0], (&Ns::of(&mv), "eth0"), &before, &after, "mv eth0");
        assert_ethtool_agrees(&got[1], (&Ns::of(&mv), "net1"), &before, &after, "mv net1");
        assert_eq!(got[1]["driver"]["driver"], "macvlan");
        assert!(got[1]["stats"].as_object().unwrap().is_empty());
        assert!(got[0]["owner"].is_null(), "an unnamed pod: {got:#?}");

        // text: `ethtool -i` fields, then the statistics in ethtool -S order
        let out = podnet_on_node(&["ethtool", "eth0", "-n", "default/client"]);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        let theirs = sh(&format!("nsenter --net={} ethtool -S eth0", quote(&a.path)));
        let order =
            |t: &str| -> Vec<String> { parse_ethtool_s(t).into_iter().map(|(k, _)| k).collect() };
        assert_eq!(order(&text), order(&theirs), "{text}");
        assert!(
            text.contains("driver: veth\n") && text.contains("version: 1.0\n"),
            "{text}"
        );

        // errors: exit 2 with one error line
        for args in [
            vec!["ethtool", "nope0", "-n", "default/client"],
            vec!["ethtool", "no-such-thing"],
            vec!["ethtool", "eth0", "-n", "default/nobody"],
        ] {
            let out = podnet_on_node(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.starts_with("podnet: error: "), "{args:?}: {err}");
            assert!(!err.contains("panicked"));
        }
    }
}

/// Lines a child writes to stdout, as they come (read on a helper thread).
fn stdout_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let out = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a child the test started, up to `limit`; kills it (by PID) and fails after that.
fn wait_for(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

/// Sends SIGINT to a child the test started.
fn interrupt(child: &Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("SIGINT");
}

node_test! {
    /// `veth top --count 2 --interval 0.3 -o json` prints two JSON lines
    /// whose rates reflect a ping flood in one pod (and stay within what
    /// `ip -s link` counted around the run), whose `drops` move for a pod
    /// that sends into a downed host veth (the table's +DROPS too), and
    /// `veth top` without --count exits with 130 on SIGINT, without a panic.
    fn veth_top_reflects_traffic_and_drops_and_exits_130_on_sigint() {
        let p = unique_prefix();
        let ids: Vec<PodIdentity> = ["busy", "peer", "quiet"]
            .iter()
            .map(|n| PodIdentity::new("top", n))
            .collect();
        let mut cni: Vec<Pod> = ids
            .iter()
            .map(|id| cni_bridge_pod(&format!("cni-{}", random_uid()), id))
            .collect();
        let to = cni[1].ip.clone().unwrap();
        start_ping(&mut cni[0], &["-q", "-i", "0.01", &to]);
        // a pod that sends into its downed host veth: TX drops on its eth0
        let mut dropper = plain_pod(&format!("{p}drop"), &format!("{p}drop"), "10.77.0.2/24");
        sh(&format!(
            "ip -n {ns} neigh replace 10.77.0.1 lladdr 02:00:00:00:00:01 dev eth0 nud permanent && \
             ip link set {p}drop down",
            ns = quote(&dropper.netns)
        ));
        start_ping(&mut dropper, &["-q", "-i", "0.01", "10.77.0.1"]);
        std::thread::sleep(Duration::from_millis(300));

        let pods: Vec<&Pod> = cni.iter().chain([&dropper]).collect();
        let mut namespaces = vec![Ns::Node];
        namespaces.extend(pods.iter().map(|p| Ns::of(p)));
        let before = Snapshot::take(&namespaces, &[]);
        let out = podnet_on_node(&[
            "veth",
            "top",
            "--count",
            "2",
            "--interval",
            "0.3",
            "-o",
            "json",
        ]);
        let after = Snapshot::take(&namespaces, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let text = String::from_utf8_lossy(&out.stdout);
        let samples: Vec<Value> = text
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect();
        assert_eq!(samples.len(), 2, "{text}");
        let delta = |pod: &Pod, c: usize| {
            let ns = Ns::of(pod);
            after.link(&ns, "eth0").stats[c] - before.link(&ns, "eth0").stats[c]
        };
        let host_delta = |pod: &Pod, c: usize| {
            let h = pod.host_veth.as_deref().unwrap();
            after.link(&Ns::Node, h).stats[c] - before.link(&Ns::Node, h).stats[c]
        };
        let mut sent = (0.0, 0.0);
        let mut drops = 0;
        for (i, s) in samples.iter().enumerate() {
            assert_eq!(s["sample"].as_u64(), Some(i as u64 + 1), "{s}");
            let secs = s["interval_s"].as_f64().unwrap();
            // never shorter than asked (how much longer depends on the machine's load)
            assert!(secs >= 0.29, "{s}");
            let rows = s["pods"].as_array().unwrap();
            assert_eq!(rows.len(), pods.len(), "one row per pod interface: {s}");
            let by_netns = |pod: &Pod| {
                rows.iter()
                    .find(|r| r["netns_inode"].as_u64() == Some(pod.inode))
                    .unwrap_or_else(|| panic!("no row for {}: {s}", pod.netns))
            };
            let busy = by_netns(&cni[0]);
            assert_eq!(busy["pod"], "top/busy");
            assert_eq!(busy["host_if"], cni[0].host_veth.as_deref().unwrap());
            assert_eq!(busy["pod_if"], "eth0");
            // ping -i 0.01 sends all the time: every sample sees it, both ways;
            // a rate times its interval is a whole number of packets
            for r in ["tx_packets_per_s", "rx_packets_per_s"] {
                let v = busy[r].as_f64().unwrap();
                assert!(v > 0.0, "{r} of the busy pod: {s}");
                let packets = v * secs;
                assert!((packets - packets.round()).abs() < 0.01, "{r}: {s}");
            }
            // pings (98 bytes on the wire) and the odd ARP (42): bytes follow packets
            let (bytes, packets) = (
                busy["tx_bytes_per_s"].as_f64().unwrap(),
                busy["tx_packets_per_s"].as_f64().unwrap(),
            );
            assert!(bytes >= 42.0 * packets - 0.5 && bytes <= 98.0 * packets + 0.5, "{s}");
            let peer = by_netns(&cni[1]);
            assert!(peer["rx_packets_per_s"].as_f64().unwrap() > 0.0, "{s}");
            // the quiet pod only sees what the bridge floods (ARP, IPv6 ND/MLD of new pods)
            let quiet = by_netns(&cni[2]);
            let busy_rate = busy["rx_packets_per_s"].as_f64().unwrap();
            assert!(
                quiet["rx_packets_per_s"].as_f64().unwrap() < busy_rate
                    && quiet["tx_packets_per_s"].as_f64().unwrap() < busy_rate,
                "{s}"
            );
            let busiest = rows[0]["netns_inode"].as_u64();
            assert!(
                busiest == Some(cni[0].inode) || busiest == Some(cni[1].inode),
                "sorted by rate: {s}"
            );
            let d = by_netns(&dropper);
            assert!(
                d["drops"].as_u64().unwrap() > 0,
                "drops move while the pod sends into a down veth: {s}"
            );
            assert_eq!(d["errors"].as_u64(), Some(0));
            sent.0 += busy["tx_packets_per_s"].as_f64().unwrap() * secs;
            sent.1 += busy["tx_bytes_per_s"].as_f64().unwrap() * secs;
            drops += d["drops"].as_u64().unwrap();
        }
        // what top counted lies within what ip counted around the whole run
        let tx_packets = delta(&cni[0], 1) as f64;
        let tx_bytes = delta(&cni[0], 3) as f64;
        assert!(
            sent.0 <= tx_packets + 0.5 && sent.0 > 0.0,
            "{sent:?} vs {tx_packets}"
        );
        assert!(sent.1 <= tx_bytes + 0.5, "{sent:?} vs {tx_bytes}");
        let dropped = delta(&dropper, 4)
            + delta(&dropper, 5)
            + host_delta(&dropper, 4)
            + host_delta(&dropper, 5);
        assert!(drops <= dropped && drops > 0, "{drops} vs ip's {dropped}");

        // --sort drops puts the dropping pod first; the table shows +DROPS
        let v: Value = serde_json::from_slice(
            &podnet_on_node(&[
                "veth",
                "top",
                "--count",
                "1",
                "--interval",
                "0.3",
                "--sort",
                "drops",
                "-o",
                "json",
            ])
            .stdout,
        )
        .unwrap();
        assert_eq!(
            v["pods"][0]["netns_inode"].as_u64(),
            Some(dropper.inode),
            "{v}"
        );
        let out = podnet_on_node(&["veth", "top", "--count", "1", "--interval", "0.3"]);
        assert_eq!(out.status.code(), Some(0));
        let table = String::from_utf8_lossy(&out.stdout);
        let header = table
            .lines()
            .find(|l| l.contains("+DROPS"))
            .unwrap_or_else(|| panic!("{table}"));
        assert!(header.trim_end().ends_with("+DROPS  +ERRORS"), "{table}");
        let line = table
            .lines()
            .find(|l| l.contains(&format!("{p}drop")))
            .unwrap_or_else(|| panic!("{table}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        let drops: u64 = cols[cols.len() - 2].parse().unwrap();
        assert!(drops > 0, "+DROPS of the dropping pod: {table}");
        assert_eq!(cols[cols.len() - 1], "0", "{table}");

        // without --count: runs until SIGINT, then exits 130 cleanly (JSON and table)
        for format in ["json", "table"] {
            let mut top = podnet_command(&["veth", "top", "--interval", "0.3", "-o", format])
                .spawn()
                .unwrap();
            let lines = stdout_lines(&mut top);
            let first = lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("veth top -o {format} printed nothing"));
            if format == "json" {
                let v: Value = serde_json::from_str(&first).unwrap();
                assert_eq!(v["sample"].as_u64(), Some(1));
            }
            interrupt(&top);
            let status = wait_for(&mut top, Duration::from_secs(10), "veth top after SIGINT");
            let err = stderr_of(&mut top);
            assert_eq!(status.code(), Some(130), "-o {format}: {status} {err}");
            assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
            let rest: Vec<String> = lines.try_iter().collect();
            if format == "json" {
                for l in &rest {
                    serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}"));
                }
            }
        }
    }
}

/// One record of BSD process accounting (`struct acct_v3`, 64 bytes): the
/// kernel writes one when a process (not a thread) exits.
#[derive(Debug, Clone)]
struct AcctRecord {
    pid: u32,
    ppid: u32,
    /// `AFORK`: forked but never exec'd.
    forked_only: bool,
    comm: String,
}

/// Turns process accounting on (`acct(2)`) into `path`. Accounting is per
/// PID namespace: it sees exactly the processes of this private node.
fn accounting_on(path: &str) {
    write_file(std::path::Path::new(path), b"");
    let c = std::ffi::CString::new(path).unwrap();
    // SAFETY: acct(2) with a valid NUL-terminated path.
    let rc = unsafe { libc::acct(c.as_ptr()) };
    assert_eq!(rc, 0, "acct({path}): {}", std::io::Error::last_os_error());
}

fn accounting_off() {
    // SAFETY: acct(2) with NULL turns accounting off.
    let rc = unsafe { libc::acct(std::ptr::null()) };
    assert_eq!(rc, 0, "acct(NULL): {}", std::io::Error::last_os_error());
}

fn acct_records(path: &str) -> Vec<AcctRecord> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes.len() % 64, 0, "acct_v3 records are 64 bytes");
    bytes
        .chunks(64)
        .map(|r| {
            assert_eq!(r[1] & 0x7f, 3, "acct version 3");
            let u32_at = |o: usize| u32::from_ne_bytes([r[o], r[o + 1], r[o + 2], r[o + 3]]);
            let comm = &r[48..64];
            let end = comm.iter().position(|&c| c == 0).unwrap_or(16);
            AcctRecord {
                pid: u32_at(16),
                ppid: u32_at(20),
                forked_only: r[0] & 0x01 != 0,
                comm: String::from_utf8_lossy(&comm[..end]).into_owned(),
            }
        })
        .collect()
}

node_test! {
    /// No external process is spawned: the kernel's process accounting
    /// (acct(2), per PID namespace, one record per exiting process with its
    /// parent) records no child of any podnet run of veth list (--stats,
    /// --deep), veth pair, ethtool and veth top, and podnet never exec'd
    /// anything else. A shell that runs a child shows the oracle works.
    fn podnet_spawns_no_process() {
        let p = unique_prefix();
        let id = PodIdentity::new("default", "acct");
        let mut a = cni_bridge_pod(&format!("cni-{}", random_uid()), &id);
        a.add_process("sleep", &["600"]);
        let b = plain_pod(
            &format!("{p}b"),
            &cni_style_veth_name(0, &p),
            "10.77.0.2/24",
        );
        let held = plain_pod(&format!("{p}held"), &format!("{p}held"), "10.77.1.2/24");
        let holder = hold_by_fd(&held.path);

        let log = format!("/run/{p}acct");
        accounting_on(&log);
        // positive control: a shell running a child
        let mut control = Command::new("sh")
            .args(["-c", "/bin/true; /bin/true"])
            .spawn()
            .unwrap();
        let control_pid = control.id();
        control.wait().unwrap();
        let host_veth = a.host_veth.clone().unwrap();
        let runs: Vec<Vec<&str>> = vec![
            vec!["veth", "list", "--stats", "-o", "json"],
            vec!["veth", "list", "--deep"],
            vec!["veth", "pair", "default/acct", "--stats"],
            vec!["veth", "pair", &host_veth],
            vec!["ethtool", "default/acct"],
            vec!["ethtool", &host_veth],
            vec!["ethtool", "eth0", "-n", &b.path],
            vec![
                "veth",
                "top",
                "--count",
                "2",
                "--interval",
                "0.1",
                "-o",
                "json",
            ],
            vec!["ns", "list"],
        ];
        let mut pids = BTreeMap::new();
        for args in &runs {
            let mut c = podnet_command(args).spawn().unwrap();
            pids.insert(c.id(), args.join(" "));
            let st = wait_for(&mut c, Duration::from_secs(60), "podnet");
            assert!(st.success(), "{args:?}: {st} {}", stderr_of(&mut c));
        }
        accounting_off();
        let records = acct_records(&log);

        let control_children: Vec<&AcctRecord> =
            records.iter().filter(|r| r.ppid == control_pid).collect();
        assert!(
            control_children.iter().any(|r| r.comm == "true"),
            "the oracle sees a shell's child: {records:#?}"
        );
        for (pid, what) in &pids {
            let own: Vec<&AcctRecord> = records.iter().filter(|r| r.pid == *pid).collect();
            assert_eq!(own.len(), 1, "podnet {what}: {records:#?}");
            assert_eq!(
                own[0].comm, "podnet",
                "podnet {what} exec'd something else: {own:?}"
            );
            assert!(!own[0].forked_only, "{own:?}");
            let children: Vec<&AcctRecord> = records.iter().filter(|r| r.ppid == *pid).collect();
            assert!(children.is_empty(), "podnet {what} spawned {children:#?}");
        }
        eprintln!(
            "process accounting: {} records, none a child of the {} podnet runs",
            records.len(),
            pids.len()
        );
        stop(holder);
    }
}

node_test! {
    /// 1000 pods (netns + veth + pause process each), built without one
    /// process per command: `veth list --stats -o json` pairs every one with
    /// the host veth `ip -j -d link` and `ip -j netns list` name, with its
    /// pause PID, address and counters. Timings are printed, not asserted.
    fn a_thousand_pods_are_all_paired() {
        const PODS: usize = 1000;
        let p = unique_prefix();
        let node_inode = inode_of("/proc/self/ns/net");
        let started = Instant::now();
        let pods = fast_pods(&p, PODS, &|i| cni_style_veth_name(i, &p), &|i| {
            format!(
                "10.{}.{}.{}/8",
                100 + i / 62500,
                (i / 250) % 250,
                2 + i % 250
            )
        });
        let built = started.elapsed();
        assert_eq!(pods.len(), PODS);

        // the node side, from one `ip -j -d -s link` and `ip -j netns list`
        let ids = netns_ids();
        let host_links: HashMap<String, IpLink> = Snapshot::take(&[Ns::Node], &[]).links[&Ns::Node]
            .iter()
            .map(|l| (l.name.clone(), l.clone()))
            .collect();

        let started = Instant::now();
        let out = podnet_on_node(&["veth", "list", "--stats", "-o", "json"]);
        let listed = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !stderr.contains("panicked"),
            "{stderr}"
        );
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        let started = Instant::now();
        let table = podnet_on_node(&["veth", "list"]);
        let tabled = started.elapsed();
        assert!(table.status.success());
        eprintln!(
            "{PODS} pods: built in {built:.2?}; podnet veth list --stats -o json {listed:.2?}, \
             veth list (table) {tabled:.2?}"
        );
        assert_no_warnings(&list);
        assert_eq!(pairs(&list).len(), PODS, "one row per pod");
        let by_inode: HashMap<u64, &Value> = pairs(&list)
            .iter()
            .map(|r| (r["netns_inode"].as_u64().unwrap(), r))
            .collect();
        for pod in &pods {
            let veth = pod.host_veth.as_deref().unwrap();
            let r = by_inode
                .get(&pod.inode)
                .unwrap_or_else(|| panic!("{} not listed", pod.netns));
            let host = &host_links[veth];
            assert_eq!(r["status"], "paired", "{r:#}");
            assert_eq!(
                host.link_netnsid,
                Some(ids[&pod.netns]),
                "{veth}: ip's peer netns"
            );
            assert_eq!(r["host_if"]["name"], veth, "{r:#}");
            assert_eq!(r["host_if"]["ifindex"].as_u64(), Some(host.ifindex));
            assert_eq!(r["host_if"]["mac"].as_str(), host.mac.as_deref());
            assert_eq!(r["host_if"]["netns_inode"].as_u64(), Some(node_inode));
            assert_eq!(r["pod_if"]["name"], "eth0");
            assert_eq!(r["pod_if"]["ifindex"].as_u64(), host.link_index, "{r:#}");
            assert_eq!(r["pause_pid"].as_i64().map(|p| p as i32), pod.pause_pid());
            let ip = pod.ip.as_deref().unwrap();
            assert_eq!(
                r["pod_if"]["addresses"][0]
                    .as_str()
                    .map(|a| a.split('/').next().unwrap()),
                Some(ip),
                "{r:#}"
            );
            let st = &r["stats"];
            assert!(
                st["host_if"]["ethtool"]["peer_ifindex"].as_u64() == host.link_index
                    && st["pod_if"]["ethtool"]["peer_ifindex"].as_u64() == Some(host.ifindex),
                "{r:#}"
            );
        }
        // every pod's eth0 has the same ifindex
        let indexes: BTreeSet<u64> = pairs(&list)
            .iter()
            .map(|r| r["pod_if"]["ifindex"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes.len(), 1, "{indexes:?}");
        // a sample of pods checked from inside, with ip
        for pod in pods.iter().step_by(97) {
            let eth0 = Snapshot::take(&[Ns::of(pod)], &[])
                .link(&Ns::of(pod), "eth0")
                .clone();
            let host = &host_links[pod.host_veth.as_deref().unwrap()];
            assert_pair(by_inode[&pod.inode], &eth0, host, node_inode, &pod.netns);
        }
        let text = String::from_utf8_lossy(&table.stdout);
        assert_eq!(
            text.lines().count(),
            PODS + 1,
            "a header and one line per pod"
        );
    }
}
