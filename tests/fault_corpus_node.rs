//! The fault corpus: every fault of the Step 8 table, injected with plain
//! commands (ip, bridge, sysctl, nft, iptables, iptables-legacy) on the
//! layouts where it applies, its ground truth checked (the affected
//! traffic fails with it and works after its exact inverse), then judged:
//! doctor on the faulted node FAILS the expected check naming the object,
//! trace in the broken direction is blocked with the expected cause and
//! direction at a hop in the expected namespace, and after the revert both
//! nodes are clean and trace delivers both ways. One test per layout (they
//! run in parallel); each renders its rows of the accuracy table in
//! docs/troubleshooting.md (`PODNET_BLESS=1` rewrites them) and asserts
//! once, with the whole table. A plain test checks the totals.

mod common;

use common::corpus::{
    BEGIN, Case, END, Place, Step, Traffic, assert_all, between, docs_path, replace_between,
    run_all, sub_begin, sub_end, with_docs_lock,
};
use common::layouts::{Kind, Layout, ns_sh};

/// The layouts the corpus runs on (Cilium-like has no faults podnet may judge).
const LAYOUTS: [Kind; 6] = [
    Kind::FlannelVxlan,
    Kind::HostGw,
    Kind::CalicoBird,
    Kind::CalicoVxlan,
    Kind::LabVxlan,
    Kind::LabPtp,
];

const TOTALS_BEGIN: &str = "<!-- corpus:totals:begin -->";
const TOTALS_END: &str = "<!-- corpus:totals:end -->";

fn step(netns: &str, inject: impl Into<String>, revert: impl Into<String>) -> Step {
    Step {
        netns: netns.into(),
        inject: inject.into(),
        revert: revert.into(),
    }
}

/// The case builder: everything but the fault's own details defaults to
/// "node1's first pod → node2's first pod".
struct C<'a> {
    l: &'a Layout,
}

/// (from, to, direction, hop) of a case.
type Path = (usize, usize, &'static str, Place);

impl C<'_> {
    fn a(&self) -> usize {
        self.l.pods_on(0)[0]
    }

    fn b(&self) -> usize {
        self.l.pods_on(1)[0]
    }

    /// A fault on node `n` on the way out to the other node: traffic a → b
    /// dies in the request on node1, in the reply on node2.
    fn outbound(&self, n: usize) -> Path {
        let dir = if n == 0 { "request" } else { "reply" };
        (self.a(), self.b(), dir, Place::Node(n))
    }

    /// A fault on node `n` on the way in from the other node.
    fn inbound(&self, n: usize) -> Path {
        let dir = if n == 1 { "request" } else { "reply" };
        (self.a(), self.b(), dir, Place::Node(n))
    }

    /// A fault on node `n` that stops the first packet it forwards.
    fn forwarded(&self, n: usize) -> Path {
        (self.a(), self.b(), "request", Place::Node(n))
    }

    /// A pod on the other node than pod `x`'s.
    fn peer_of(&self, x: usize) -> usize {
        self.l.pods_on(1 - self.l.pod(x).node)[0]
    }

    #[allow(clippy::too_many_arguments)]
    fn case(
        &self,
        fault: &str,
        at: usize,
        steps: Vec<Step>,
        check: &'static str,
        names: Vec<String>,
        path: Path,
        traffic: Traffic,
        cause: &'static str,
    ) -> Case {
        Case {
            fault: fault.into(),
            at,
            steps,
            check,
            names,
            from: path.0,
            to: path.1,
            traffic,
            cause,
            direction: path.2,
            hop: path.3,
            kernel: kernel_reason(cause, path.3),
            kernel_at: None,
            kernel_wait: 1,
        }
    }

    /// Another pod on pod `x`'s node.
    fn sibling_of(&self, x: usize) -> Option<usize> {
        self.l
            .pods_on(self.l.pod(x).node)
            .into_iter()
            .find(|&s| s != x)
    }

    /// Seconds an unanswered neighbour on `dev` in `netns` holds the
    /// packets queued on it, plus one: a new entry sends mcast_solicit
    /// probes retrans_time apart, then neigh_invalidate frees the queue
    /// with NEIGH_FAILED (3 × 1 s by default); an entry the ground-truth
    /// ping left FAILED is re-armed by the probe's packet and may take one
    /// retrans_time more (seen: a 4 s wait missed the drop once).
    fn neigh_give_up(&self, netns: &str, dev: &str) -> u32 {
        let knob = |k: &str| {
            ns_sh(netns, &format!("cat /proc/sys/net/ipv4/neigh/{dev}/{k}"))
                .trim()
                .parse::<u32>()
                .unwrap_or_else(|e| panic!("neigh/{dev}/{k} in {netns}: {e}"))
        };
        ((knob("mcast_solicit") + 1) * knob("retrans_time_ms")).div_ceil(1000) + 1
    }

    /// The device of node `n`'s default route, if it has one.
    fn default_dev(&self, n: usize) -> Option<String> {
        let v: serde_json::Value =
            serde_json::from_str(&ns_sh(self.ns(n), "ip -j route show default")).ok()?;
        v[0]["dev"].as_str().map(String::from)
    }

    /// What the kernel does with a packet for pod `x` whose host veth is
    /// down or off its bridge. On a bridge, the pod's FDB entries went with
    /// the port (br_fdb_delete_by_port), so br_flood floods the frame to
    /// the other ports: a sibling pod's ip_rcv_core drops it, addressed to
    /// another MAC, as PACKET_OTHERHOST (no sibling: nothing judged).
    /// Routed: the /32 route went with the device; Calico's block
    /// blackhole route catches the packet (ip_error, no specific reason),
    /// podnet's ptp lab has none: no route (ip_error, IP_INNOROUTES).
    fn veth_gone_kernel(&self, mut case: Case, x: usize) -> Case {
        let n = self.l.pod(x).node;
        (case.kernel, case.kernel_at) = if self.l.node(n).bridge.is_some() {
            match self.sibling_of(x) {
                Some(s) => (Some("OTHERHOST"), Some(Place::Pod(s))),
                None => (None, None),
            }
        } else {
            match self.l.kind {
                Kind::CalicoBird | Kind::CalicoVxlan => (Some("NOT_SPECIFIED"), None),
                _ => (Some("IP_INNOROUTES"), None),
            }
        };
        case
    }

    /// An over-MTU frame on a veth: veth_xmit → __dev_forward_skb2, whose
    /// is_skb_forwardable refuses a frame longer than the peer's MTU (plus
    /// the Ethernet and a VLAN header) and frees it with plain kfree_skb
    /// (NOT_SPECIFIED), in the namespace of the sending end.
    fn veth_too_big(mut case: Case) -> Case {
        case.kernel = Some("NOT_SPECIFIED");
        case
    }

    fn ns(&self, n: usize) -> &str {
        &self.l.node(n).netns
    }

    fn other_cidr(&self, n: usize) -> String {
        self.l.node(1 - n).pod_cidr.clone()
    }

    fn remote_route(&self, n: usize) -> String {
        self.l
            .node(n)
            .remote_route
            .clone()
            .expect("a route to the other node")
    }

    // ---------------------------------------------------------------- faults

    fn ip_forward(&self, n: usize) -> Case {
        self.case(
            &format!("ip_forward off ({})", self.l.node(n).name),
            n,
            vec![step(
                self.ns(n),
                "sysctl -qw net.ipv4.ip_forward=0",
                "sysctl -qw net.ipv4.ip_forward=1",
            )],
            "ip-forward",
            vec!["ip_forward".into()],
            self.forwarded(n),
            Traffic::Ping,
            "forwarding-off",
        )
    }

    /// The reverse-path filter mode (0 off, 1 strict, 2 loose) node `n`
    /// applies to packets from the other node (the larger of `all` and the
    /// device they arrive on: the tunnel, or the underlay).
    fn rp_mode(&self, n: usize) -> u32 {
        let node = self.l.node(n);
        let dev = node
            .tunnel
            .as_ref()
            .map_or(node.underlay_if.as_str(), |t| t.dev.as_str());
        ["all", dev]
            .iter()
            .map(|i| {
                ns_sh(
                    self.ns(n),
                    &format!("cat /proc/sys/net/ipv4/conf/{i}/rp_filter"),
                )
                .trim()
                .parse::<u32>()
                .unwrap_or(0)
            })
            .max()
            .unwrap_or(0)
    }

    fn route_gone(&self, n: usize) -> Case {
        let cidr = self.other_cidr(n);
        // With node n's route back gone, a reverse-path filter on node n
        // (strict, or loose with no default route: podnet's lab runs
        // rp_filter 2 and no default) refuses the other node's packets on
        // arrival, since no route leads back to their source: on node2 that
        // is a→b's request, which dies before b can answer (tcpdump: it
        // reaches node2's flannel.1 and never leaves on cni0). With the
        // filter off, the request is delivered and b's reply finds no route.
        let no_default = ns_sh(self.ns(n), "ip -4 route show default")
            .trim()
            .is_empty();
        let refused_on_arrival = match self.rp_mode(n) {
            1 => true,
            2 => no_default,
            _ => false,
        };
        // (on node1 a's request dies first either way: no route out)
        let path = if n == 1 && refused_on_arrival {
            self.inbound(n)
        } else {
            self.outbound(n)
        };
        let mut case = self.case(
            &format!("route to remote pod CIDR missing ({})", self.l.node(n).name),
            n,
            vec![step(
                self.ns(n),
                format!("ip route del {cidr}"),
                format!("ip route add {}", self.remote_route(n)),
            )],
            "routes",
            vec![cidr],
            path,
            Traffic::Ping,
            "no-route",
        );
        // refused on arrival, the kernel says so: the reverse-path check
        // (fib_validate_source) fails before any forwarding lookup
        if n == 1 && refused_on_arrival {
            case.kernel = Some("IP_RPFILTER");
        }
        case
    }

    fn route_type(&self, n: usize, typ: &str, cause: &'static str) -> Case {
        let cidr = self.other_cidr(n);
        self.case(
            &format!("{typ} route to remote pod CIDR ({})", self.l.node(n).name),
            n,
            vec![step(
                self.ns(n),
                format!("ip route replace {typ} {cidr}"),
                format!("ip route replace {}", self.remote_route(n)),
            )],
            "routes",
            vec![cidr],
            self.outbound(n),
            Traffic::Ping,
            cause,
        )
    }

    fn ip_rule(&self, n: usize) -> Case {
        let cidr = self.other_cidr(n);
        self.case(
            &format!(
                "ip rule → table with only unreachable default ({})",
                self.l.node(n).name
            ),
            n,
            vec![
                step(
                    self.ns(n),
                    "ip route add unreachable default table 100",
                    "ip route del unreachable default table 100",
                ),
                step(
                    self.ns(n),
                    format!("ip rule add to {cidr} lookup 100 pref 100"),
                    "ip rule del pref 100",
                ),
            ],
            "routes",
            vec!["100".into()],
            self.outbound(n),
            Traffic::Ping,
            "route-unreachable",
        )
    }

    fn fw_policy_nft(&self, n: usize) -> Case {
        self.case(
            &format!("FORWARD policy drop, nft ({})", self.l.node(n).name),
            n,
            vec![step(
                self.ns(n),
                "nft add table ip pnfault && nft add chain ip pnfault pnfwd '{ type filter hook forward priority 0; policy drop; }'",
                "nft delete table ip pnfault",
            )],
            "firewall",
            vec!["pnfault".into()],
            self.forwarded(n),
            Traffic::Ping,
            "firewall",
        )
    }

    fn fw_policy(&self, n: usize, iptables: &str) -> Case {
        self.case(
            &format!("FORWARD policy DROP, {iptables} ({})", self.l.node(n).name),
            n,
            vec![step(
                self.ns(n),
                format!("{iptables} -w -P FORWARD DROP"),
                format!("{iptables} -w -P FORWARD ACCEPT"),
            )],
            "firewall",
            vec!["FORWARD".into()],
            self.forwarded(n),
            Traffic::Ping,
            "firewall",
        )
    }

    fn fw_icmp_reject(&self, n: usize, iptables: &str) -> Case {
        let rule = "FORWARD -p icmp -j REJECT";
        self.case(
            &format!(
                "FORWARD -p icmp -j REJECT, {iptables} ({})",
                self.l.node(n).name
            ),
            n,
            vec![step(
                self.ns(n),
                format!("{iptables} -w -A {rule}"),
                format!("{iptables} -w -D {rule}"),
            )],
            "firewall",
            vec!["REJECT".into()],
            self.forwarded(n),
            Traffic::Ping,
            "firewall",
        )
    }

    /// A per-protocol FORWARD drop: TCP 8080 or UDP 5353, nft or legacy.
    fn fw_proto(&self, n: usize, udp: bool, legacy: bool) -> Case {
        let (proto, port) = if udp { ("udp", 5353) } else { ("tcp", 8080) };
        let (inject, revert, backend) = if legacy {
            let rule = format!("FORWARD -p {proto} --dport {port} -j DROP");
            (
                format!("iptables-legacy -w -A {rule}"),
                format!("iptables-legacy -w -D {rule}"),
                "iptables-legacy",
            )
        } else {
            (
                format!(
                    "nft add table ip pnfault && nft add chain ip pnfault pnfwd '{{ type filter hook forward priority 0; policy accept; }}' && \
                     nft add rule ip pnfault pnfwd {proto} dport {port} drop"
                ),
                "nft delete table ip pnfault".to_string(),
                "nft",
            )
        };
        self.case(
            &format!(
                "FORWARD drop {proto}/{port}, {backend} ({})",
                self.l.node(n).name
            ),
            n,
            vec![step(self.ns(n), inject, revert)],
            "firewall",
            vec![port.to_string()],
            self.forwarded(n),
            if udp {
                Traffic::Udp(port)
            } else {
                Traffic::Tcp(port)
            },
            "firewall",
        )
    }

    fn fw_prerouting(&self, n: usize, table: &str, iptables: &str) -> Case {
        let rule = format!("PREROUTING -s {} -j DROP", self.other_cidr(n));
        self.case(
            &format!(
                "{table} PREROUTING drop from remote pods, {iptables} ({})",
                self.l.node(n).name
            ),
            n,
            vec![step(
                self.ns(n),
                format!("{iptables} -w -t {table} -A {rule}"),
                format!("{iptables} -w -t {table} -D {rule}"),
            )],
            "firewall",
            vec!["PREROUTING".into()],
            self.inbound(n),
            Traffic::Ping,
            "firewall",
        )
    }

    /// The steps that bring pod `x`'s host veth back up with what the
    /// kernel removed with it (a /32 route and neighbour on routed layouts).
    fn veth_up(&self, x: usize) -> String {
        let p = self.l.pod(x);
        let mut s = format!("ip link set {} up", p.host_veth);
        if let Some(r) = &p.host_route {
            s.push_str(&format!(" && ip route replace {r}"));
        }
        if let Some(nb) = &p.host_neigh {
            s.push_str(&format!(" && ip neigh replace {nb}"));
        }
        s
    }

    fn veth_down(&self, x: usize) -> Case {
        let p = self.l.pod(x);
        let n = p.node;
        let case = self.case(
            &format!("host veth down (pod {})", p.name),
            n,
            vec![step(
                self.ns(n),
                format!("ip link set {} down", p.host_veth),
                self.veth_up(x),
            )],
            "veth",
            vec![p.host_veth.clone()],
            (self.peer_of(x), x, "request", Place::Node(n)),
            Traffic::Ping,
            "link-down",
        );
        self.veth_gone_kernel(case, x)
    }

    fn veth_down_stale(&self, x: usize) -> Case {
        let p = self.l.pod(x);
        let n = p.node;
        let br = self.l.node(n).bridge.clone().expect("a bridge");
        let case = self.case(
            &format!("host veth down + stale neighbour (pod {})", p.name),
            n,
            vec![
                step(
                    self.ns(n),
                    format!("ip link set {} down", p.host_veth),
                    self.veth_up(x),
                ),
                step(
                    self.ns(n),
                    format!(
                        "ip neigh replace {} lladdr {} dev {br} nud stale",
                        p.ip, p.mac
                    ),
                    format!("ip neigh del {} dev {br}", p.ip),
                ),
            ],
            "veth",
            vec![p.host_veth.clone()],
            (self.peer_of(x), x, "request", Place::Node(n)),
            Traffic::Ping,
            "link-down",
        );
        // the stale entry sends the frame to the pod's MAC, which the
        // bridge no longer knows: flooded as when the port is just down
        self.veth_gone_kernel(case, x)
    }

    fn veth_detached(&self, x: usize) -> Case {
        let p = self.l.pod(x);
        let n = p.node;
        let br = self.l.node(n).bridge.clone().expect("a bridge");
        let case = self.case(
            &format!("host veth detached from the bridge (pod {})", p.name),
            n,
            vec![step(
                self.ns(n),
                format!("ip link set {} nomaster", p.host_veth),
                format!(
                    "ip link set {hv} master {br} && bridge link set dev {hv} hairpin on",
                    hv = p.host_veth
                ),
            )],
            "veth",
            vec![p.host_veth.clone()],
            (self.peer_of(x), x, "request", Place::Node(n)),
            Traffic::Ping,
            "veth-detached",
        );
        self.veth_gone_kernel(case, x)
    }

    fn proxy_arp_off(&self, x: usize) -> Case {
        let p = self.l.pod(x);
        let n = p.node;
        let knob = format!("/proc/sys/net/ipv4/conf/{}/proxy_arp", p.host_veth);
        let mut case = self.case(
            &format!("proxy_arp off on the host veth (pod {})", p.name),
            n,
            vec![
                step(
                    self.ns(n),
                    format!("echo 0 > {knob}"),
                    format!("echo 1 > {knob}"),
                ),
                // the pod forgets the gateway's MAC (it learns it again after the revert)
                step(&p.netns, "ip neigh flush dev eth0", "true"),
            ],
            "veth",
            vec![p.host_veth.clone()],
            (x, self.peer_of(x), "request", Place::Pod(x)),
            Traffic::Ping,
            "proxy-arp-off",
        );
        // nobody answers the pod's ARP for its gateway: the echo waits in
        // the neighbour's queue until its probes run out (NEIGH_FAILED)
        case.kernel = Some("NEIGH_FAILED");
        case.kernel_wait = self.neigh_give_up(&p.netns, "eth0");
        case
    }

    fn pod_route_gone(&self, x: usize) -> Case {
        let p = self.l.pod(x);
        let n = p.node;
        let r = p.host_route.clone().expect("a host route");
        let mut case = self.case(
            &format!("pod /32 host route missing (pod {})", p.name),
            n,
            vec![step(
                self.ns(n),
                format!("ip route del {r}"),
                format!("ip route add {r}"),
            )],
            "routes",
            vec![p.ip.clone()],
            (self.peer_of(x), x, "request", Place::Node(n)),
            Traffic::Ping,
            "pod-route-missing",
        );
        // Calico's block blackhole route catches the packet: ip_error,
        // no specific reason
        case.kernel = Some("NOT_SPECIFIED");
        case
    }

    fn pod_default_gone(&self, x: usize) -> Case {
        let p = self.l.pod(x);
        let onlink = if p.host_route.is_some() {
            " onlink"
        } else {
            ""
        };
        self.case(
            &format!("pod default route missing (pod {})", p.name),
            p.node,
            vec![step(
                &p.netns,
                "ip route del default",
                format!("ip route add default via {} dev eth0{onlink}", p.gateway),
            )],
            "pods",
            vec![p.name.clone()],
            (x, self.peer_of(x), "request", Place::Pod(x)),
            Traffic::Ping,
            "no-route",
        )
    }

    // ------------------------------------------------------------- overlay

    /// (tunnel dev on n, the other node's VTEP MAC, VTEP IP, underlay IP).
    fn overlay(&self, n: usize) -> (String, String, String, String) {
        let dev = self
            .l
            .node(n)
            .tunnel
            .as_ref()
            .expect("a tunnel")
            .dev
            .clone();
        let o = self.l.node(1 - n);
        let t = o.tunnel.as_ref().expect("a tunnel");
        (dev, t.mac.clone(), t.vtep_ip.clone(), o.underlay_ip.clone())
    }

    fn fdb_deleted(&self, n: usize) -> Case {
        let (dev, mac, _, dst) = self.overlay(n);
        self.case(
            &format!(
                "FDB entry of the remote VTEP deleted ({})",
                self.l.node(n).name
            ),
            n,
            vec![step(
                self.ns(n),
                format!("bridge fdb del {mac} dev {dev} dst {dst}"),
                format!("bridge fdb append {mac} dev {dev} dst {dst} self permanent"),
            )],
            "tunnel",
            vec![mac],
            self.outbound(n),
            Traffic::Ping,
            "fdb-missing",
        )
    }

    fn fdb_wrong_dst(&self, n: usize) -> Case {
        let (dev, mac, _, dst) = self.overlay(n);
        let bogus = format!("{}.99", dst.rsplit_once('.').expect("an IPv4 address").0);
        // not judged: what dies is the outer, encapsulated packet (on the
        // underlay, queued on the ARP for a VTEP IP nobody has), with the
        // nodes' addresses and the VXLAN UDP port, not the probe's: probe
        // --why matches the probe's own addresses and ICMP id and rightly
        // does not claim it (none, even when waiting 5 s)
        self.case(
            &format!(
                "FDB entry points at a VTEP IP that does not exist ({})",
                self.l.node(n).name
            ),
            n,
            vec![step(
                self.ns(n),
                format!("bridge fdb replace {mac} dev {dev} dst {bogus} self permanent"),
                format!("bridge fdb replace {mac} dev {dev} dst {dst} self permanent"),
            )],
            "tunnel",
            vec![bogus],
            self.outbound(n),
            Traffic::Ping,
            "fdb-wrong-dst",
        )
    }

    fn fdb_wrong_mac(&self, n: usize) -> Case {
        let (dev, mac, _, dst) = self.overlay(n);
        let bogus = "0e:de:ad:be:ef:01";
        self.case(
            &format!("FDB entry under a wrong MAC ({})", self.l.node(n).name),
            n,
            vec![
                step(
                    self.ns(n),
                    format!("bridge fdb del {mac} dev {dev} dst {dst}"),
                    format!("bridge fdb append {mac} dev {dev} dst {dst} self permanent"),
                ),
                step(
                    self.ns(n),
                    format!("bridge fdb append {bogus} dev {dev} dst {dst} self permanent"),
                    format!("bridge fdb del {bogus} dev {dev} dst {dst}"),
                ),
            ],
            "tunnel",
            vec![mac],
            self.outbound(n),
            Traffic::Ping,
            "fdb-missing",
        )
    }

    fn neigh_gone(&self, n: usize) -> Case {
        let (dev, mac, vtep, _) = self.overlay(n);
        let mut case = self.case(
            &format!(
                "VXLAN neighbour of the remote VTEP missing ({})",
                self.l.node(n).name
            ),
            n,
            vec![step(
                self.ns(n),
                format!("ip neigh del {vtep} dev {dev}"),
                format!("ip neigh replace {vtep} lladdr {mac} dev {dev} nud permanent"),
            )],
            "tunnel",
            vec![vtep],
            self.outbound(n),
            Traffic::Ping,
            "vxlan-neighbour-missing",
        );
        // the tunnel device does ARP: its broadcast request finds no FDB
        // entry to go to (NO_TX_TARGET for the ARP, not the echo) and the
        // echo waits queued until the neighbour's probes run out
        case.kernel = Some("NEIGH_FAILED");
        case.kernel_wait = self.neigh_give_up(self.ns(n), &dev);
        case
    }

    fn neigh_wrong(&self, n: usize) -> Case {
        let (dev, mac, vtep, _) = self.overlay(n);
        let mut case = self.case(
            &format!("VXLAN neighbour with a wrong MAC ({})", self.l.node(n).name),
            n,
            vec![step(
                self.ns(n),
                format!("ip neigh replace {vtep} lladdr 0e:de:ad:be:ef:02 dev {dev} nud permanent"),
                format!("ip neigh replace {vtep} lladdr {mac} dev {dev} nud permanent"),
            )],
            "tunnel",
            vec![vtep],
            self.outbound(n),
            Traffic::Ping,
            "vtep-mac-mismatch",
        );
        // the neighbour names a MAC the FDB has no VTEP for
        case.kernel = Some("NO_TX_TARGET");
        case
    }

    /// node2's VTEP changes its MAC (a flannel restart); node1's entries
    /// still point at the old one: node1's doctor and trace must see it.
    fn vtep_mac_changed(&self) -> Case {
        let (dev2, mac2, _, _) = self.overlay(0);
        // a MAC change flushes the device's neighbours (permanent ones too):
        // the inverse puts node2's entry for node1's VTEP back
        let (_, mac1, vtep1, _) = self.overlay(1);
        let mut case = self.case(
            "remote VTEP MAC changed (node2's tunnel)",
            0,
            vec![step(
                self.ns(1),
                format!("ip link set {dev2} address 0e:de:ad:be:ef:03"),
                format!(
                    "ip link set {dev2} address {mac2} && \
                     ip neigh replace {vtep1} lladdr {mac1} dev {dev2} nud permanent"
                ),
            )],
            "tunnel",
            vec![mac2],
            self.outbound(0),
            Traffic::Ping,
            "vtep-mac-mismatch",
        );
        // node1 still sends the frame to the old MAC: node2's vxlan_rcv
        // takes it (the VNI matches), eth_type_trans marks it for another
        // host and ip_rcv_core drops it as PACKET_OTHERHOST, on node2
        case.kernel = Some("OTHERHOST");
        case.kernel_at = Some(Place::Node(1));
        case
    }

    fn tunnel_down(&self, n: usize) -> Case {
        let (dev, mac, vtep, dst) = self.overlay(n);
        let mut case = self.case(
            &format!("tunnel device down ({})", self.l.node(n).name),
            n,
            vec![step(
                self.ns(n),
                format!("ip link set {dev} down"),
                format!(
                    "ip link set {dev} up && ip route replace {} && \
                     ip neigh replace {vtep} lladdr {mac} dev {dev} nud permanent && \
                     bridge fdb replace {mac} dev {dev} dst {dst} self permanent",
                    self.remote_route(n)
                ),
            )],
            "tunnel",
            vec![dev],
            self.outbound(n),
            Traffic::Ping,
            "link-down",
        );
        // the routes via the tunnel went with it (fib_sync_down_dev). With
        // no default route, no route is left (ip_error: IP_INNOROUTES);
        // Calico's nodes have one, into an uplink that leads nowhere: the
        // packet waits for its gateway's ARP until it fails (NEIGH_FAILED)
        match self.default_dev(n) {
            None => case.kernel = Some("IP_INNOROUTES"),
            Some(up) => {
                case.kernel = Some("NEIGH_FAILED");
                case.kernel_wait = self.neigh_give_up(self.ns(n), &up);
            }
        }
        case
    }

    // ----------------------------------------------------------------- MTU

    /// Forgets path MTUs the pod learnt from "fragmentation needed".
    fn forget_pmtu(&self, x: usize) -> Step {
        step(&self.l.pod(x).netns, "true", "ip route flush cache")
    }

    fn mtu_pod_above(&self, x: usize, big: u32) -> Case {
        let p = self.l.pod(x);
        Self::veth_too_big(self.case(
            &format!("pod eth0 MTU {big} above its host veth (pod {})", p.name),
            p.node,
            vec![step(
                &p.netns,
                format!("ip link set eth0 mtu {big}"),
                format!("ip link set eth0 mtu {}", p.mtu),
            )],
            "mtu",
            vec![p.name.clone()],
            (x, self.peer_of(x), "request", Place::Pod(x)),
            Traffic::Size {
                size: big - 28,
                df: false,
            },
            "mtu",
        ))
    }

    fn mtu_pod_below(&self, x: usize) -> Case {
        let p = self.l.pod(x);
        Self::veth_too_big(self.case(
            &format!("pod eth0 MTU below its host veth (pod {})", p.name),
            p.node,
            vec![step(
                &p.netns,
                format!("ip link set eth0 mtu {}", p.mtu - 50),
                format!("ip link set eth0 mtu {}", p.mtu),
            )],
            "mtu",
            vec![p.name.clone()],
            (x, self.peer_of(x), "reply", Place::Node(p.node)),
            Traffic::Size {
                size: p.mtu - 28,
                df: false,
            },
            "mtu",
        ))
    }

    fn mtu_veth_narrow(&self, x: usize) -> Case {
        let p = self.l.pod(x);
        let n = p.node;
        Self::veth_too_big(self.case(
            &format!("host veth MTU narrower than the pod (pod {})", p.name),
            n,
            vec![step(
                self.ns(n),
                format!("ip link set {} mtu {}", p.host_veth, p.mtu - 50),
                format!("ip link set {} mtu {}", p.host_veth, p.mtu),
            )],
            "mtu",
            vec![p.host_veth.clone()],
            (x, self.peer_of(x), "request", Place::Pod(x)),
            Traffic::Size {
                size: p.mtu - 28,
                df: false,
            },
            "mtu",
        ))
    }

    fn mtu_tunnel_narrow(&self, n: usize) -> Case {
        let (dev, ..) = self.overlay(n);
        let a = self.a();
        let mtu = self.l.pod(a).mtu;
        self.case(
            &format!("tunnel MTU below the pods' ({})", self.l.node(n).name),
            n,
            vec![
                self.forget_pmtu(a),
                step(
                    self.ns(n),
                    format!("ip link set {dev} mtu {}", mtu - 50),
                    format!("ip link set {dev} mtu {mtu}"),
                ),
            ],
            "mtu",
            vec![dev],
            self.outbound(n),
            Traffic::Size {
                size: mtu - 28,
                df: true,
            },
            "mtu",
        )
    }

    fn mtu_underlay(&self, n: usize) -> Case {
        let a = self.a();
        let mtu = self.l.pod(a).mtu;
        let dev = self.l.node(n).underlay_if.clone();
        let narrow = if mtu == 1500 { 1400 } else { 1450 };
        self.case(
            &format!(
                "underlay MTU too small for the pods' packets ({})",
                self.l.node(n).name
            ),
            n,
            vec![
                self.forget_pmtu(a),
                step(
                    self.ns(n),
                    format!("ip link set {dev} mtu {narrow}"),
                    format!("ip link set {dev} mtu 1500"),
                ),
            ],
            "mtu",
            vec![dev],
            self.outbound(n),
            Traffic::Size {
                size: mtu - 28,
                df: true,
            },
            "mtu",
        )
    }

    // ----------------------------------------------------------- rp_filter

    /// Strict rp_filter on node `n` with an asymmetric route: node n sends
    /// to the other node's first pod (or node2 to node1's) over the
    /// underlay, while that pod's packets come in over the tunnel.
    fn rp_filter(&self, n: usize) -> Case {
        let (dev, ..) = self.overlay(n);
        let far = if n == 0 { self.b() } else { self.a() };
        let far_ip = self.l.pod(far).ip.clone();
        let via = self.l.node(1 - n).underlay_ip.clone();
        let ul = self.l.node(n).underlay_if.clone();
        let knob = |i: &str| format!("/proc/sys/net/ipv4/conf/{i}/rp_filter");
        let was = |i: &str| {
            ns_sh(self.ns(n), &format!("cat {}", knob(i)))
                .trim()
                .to_string()
        };
        let (all, tun) = (was("all"), was(&dev));
        // The packet refused is the one arriving at node n over the tunnel
        // from the far pod, whose route back now leaves by the underlay:
        // on node1 that is b's REPLY (a's request leaves node1 by the
        // underlay, node2, not strict, delivers it, b answers over the
        // tunnel and node1 drops it: tcpdump shows the reply on node1's
        // flannel.1 and never on the pod's veth, IPReversePathFilter
        // counts it); on node2 it is a's request. Both are `inbound(n)`.
        let path = self.inbound(n);
        self.case(
            &format!(
                "strict rp_filter + asymmetric route ({})",
                self.l.node(n).name
            ),
            n,
            vec![
                step(
                    self.ns(n),
                    format!("ip route add {far_ip}/32 via {via} dev {ul}"),
                    format!("ip route del {far_ip}/32 via {via} dev {ul}"),
                ),
                step(
                    self.ns(n),
                    format!("echo 1 > {}", knob("all")),
                    format!("echo {all} > {}", knob("all")),
                ),
                step(
                    self.ns(n),
                    format!("echo 1 > {}", knob(&dev)),
                    format!("echo {tun} > {}", knob(&dev)),
                ),
            ],
            "rp-filter",
            vec![dev],
            path,
            Traffic::Ping,
            "rp-filter",
        )
    }
}

/// The drop reason the kernel gives, for a cause trace names, at the
/// trace's hop and direction (include/net/dropreason-core.h and the code
/// that frees the packet): a netfilter verdict is NETFILTER_DROP; the
/// reverse-path check IP_RPFILTER; forwarding off makes ip_error() count an
/// address error (IP_INADDRERRORS); no route at all is IP_INNOROUTES;
/// blackhole, unreachable and prohibit routes end in ip_error() or
/// dst_discard with no specific reason (NOT_SPECIFIED); a VXLAN device with
/// no FDB entry for the destination MAC has no target (NO_TX_TARGET).
/// `None` where the reason depends on more than the cause: the cases set
/// it themselves (a downed host veth, an unanswered neighbour, an over-MTU
/// frame on a veth, a changed VTEP MAC), or leave it unjudged where the
/// kernel frees no packet of the probe's (a pod with no route never builds
/// it: the socket gets ENETUNREACH).
fn kernel_reason(cause: &str, hop: Place) -> Option<&'static str> {
    match (cause, hop) {
        ("firewall", _) => Some("NETFILTER_DROP"),
        ("rp-filter", _) => Some("IP_RPFILTER"),
        ("forwarding-off", _) => Some("IP_INADDRERRORS"),
        ("no-route", Place::Node(_)) => Some("IP_INNOROUTES"),
        ("route-blackhole" | "route-unreachable" | "route-prohibit", _) => Some("NOT_SPECIFIED"),
        ("fdb-missing", _) => Some("NO_TX_TARGET"),
        _ => None,
    }
}

fn cases(l: &Layout) -> Vec<Case> {
    let c = C { l };
    let (a, b) = (c.a(), c.b());
    let a2 = l.pods_on(0)[1];
    match l.kind {
        Kind::FlannelVxlan => vec![
            c.ip_forward(0),
            c.ip_forward(1),
            c.fdb_deleted(0),
            c.fdb_deleted(1),
            c.fdb_wrong_dst(0),
            c.fdb_wrong_mac(0),
            c.neigh_gone(0),
            c.neigh_wrong(1),
            c.vtep_mac_changed(),
            c.tunnel_down(0),
            c.mtu_pod_above(a, 1500),
            c.mtu_pod_below(a2),
            c.mtu_veth_narrow(a),
            c.mtu_tunnel_narrow(0),
            c.mtu_underlay(0),
            c.route_gone(0),
            c.route_gone(1),
            c.route_type(0, "blackhole", "route-blackhole"),
            c.route_type(1, "unreachable", "route-unreachable"),
            c.route_type(0, "prohibit", "route-prohibit"),
            c.ip_rule(0),
            c.rp_filter(0),
            c.rp_filter(1),
            c.fw_policy_nft(0),
            c.fw_policy(1, "iptables-legacy"),
            c.fw_icmp_reject(0, "iptables"),
            c.fw_proto(1, false, false),
            c.fw_proto(0, true, true),
            c.fw_prerouting(1, "raw", "iptables"),
            c.fw_prerouting(0, "mangle", "iptables-legacy"),
            c.veth_down(b),
            c.veth_down_stale(a),
            c.veth_detached(b),
            c.pod_default_gone(a),
        ],
        Kind::HostGw => vec![
            c.ip_forward(1),
            c.route_gone(0),
            c.route_type(1, "blackhole", "route-blackhole"),
            c.route_type(0, "unreachable", "route-unreachable"),
            c.route_type(1, "prohibit", "route-prohibit"),
            c.ip_rule(1),
            c.fw_policy_nft(1),
            c.fw_policy(0, "iptables-legacy"),
            c.fw_icmp_reject(1, "iptables-legacy"),
            c.fw_proto(0, true, false),
            c.fw_prerouting(0, "raw", "iptables-legacy"),
            c.veth_down(a),
            c.veth_detached(b),
            c.pod_default_gone(b),
            c.mtu_pod_above(b, 9000),
            c.mtu_underlay(0),
        ],
        Kind::CalicoBird => vec![
            c.ip_forward(0),
            c.pod_route_gone(b),
            c.proxy_arp_off(a),
            c.route_type(1, "blackhole", "route-blackhole"),
            c.route_type(0, "unreachable", "route-unreachable"),
            c.route_type(1, "prohibit", "route-prohibit"),
            c.ip_rule(0),
            c.fw_policy_nft(1),
            c.fw_policy(0, "iptables-legacy"),
            c.fw_proto(0, false, false),
            c.fw_prerouting(1, "raw", "iptables-legacy"),
            c.fw_prerouting(0, "mangle", "iptables"),
            c.veth_down(b),
            c.pod_default_gone(a),
            c.mtu_pod_above(a, 9000),
        ],
        Kind::CalicoVxlan => vec![
            c.ip_forward(1),
            c.fdb_deleted(0),
            c.fdb_wrong_dst(1),
            c.neigh_gone(0),
            c.neigh_wrong(0),
            c.vtep_mac_changed(),
            c.tunnel_down(0),
            c.pod_route_gone(a),
            c.proxy_arp_off(b),
            c.rp_filter(1),
            c.mtu_underlay(0),
            c.mtu_tunnel_narrow(0),
            c.route_type(0, "blackhole", "route-blackhole"),
            c.fw_policy(1, "iptables-legacy"),
            c.fw_proto(0, true, true),
            c.pod_default_gone(b),
            c.veth_down(a),
        ],
        // the lab's seven faults (`podnet lab break`), made by plain commands
        Kind::LabVxlan => vec![
            c.mtu_pod_above(a, 1500),
            c.fdb_deleted(0),
            c.ip_forward(1),
            c.rp_filter(0),
            c.route_gone(1),
            c.fw_policy(0, "iptables"),
            c.veth_down(b),
        ],
        Kind::LabPtp => vec![
            c.mtu_pod_above(a, 9000),
            c.ip_forward(1),
            c.route_gone(0),
            c.fw_policy(1, "iptables"),
            c.fw_policy(0, "iptables-legacy"),
            c.veth_down(b),
        ],
        Kind::CiliumLike => Vec::new(),
    }
}

fn corpus(kind: Kind) {
    let l = Layout::build(kind);
    let cases = cases(&l);
    let rows = run_all(&l, &cases);
    assert_all(kind.slug(), &rows);
}

node_test! {
    fn corpus_flannel_vxlan() { corpus(Kind::FlannelVxlan) }
}

node_test! {
    fn corpus_host_gw() { corpus(Kind::HostGw) }
}

node_test! {
    fn corpus_calico_bird() { corpus(Kind::CalicoBird) }
}

node_test! {
    fn corpus_calico_vxlan() { corpus(Kind::CalicoVxlan) }
}

node_test! {
    fn corpus_lab_vxlan() { corpus(Kind::LabVxlan) }
}

node_test! {
    fn corpus_lab_ptp() { corpus(Kind::LabPtp) }
}

/// (right, all) rows of one layout's section.
fn count_rows(section: &str) -> (usize, usize) {
    let rows: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| layout "))
        .collect();
    let ok = rows
        .iter()
        .filter(|r| r.trim_end().ends_with("| ✓ |"))
        .count();
    (ok, rows.len())
}

/// The totals line of the corpus section, from every layout's rows.
fn totals(doc: &str) -> String {
    let corpus = between(doc, BEGIN, END).unwrap_or_default();
    let (mut ok, mut all, mut layouts) = (0, 0, 0);
    for k in LAYOUTS {
        if let Some(s) = between(corpus, &sub_begin(k.slug()), &sub_end(k.slug())) {
            let (o, a) = count_rows(s);
            ok += o;
            all += a;
            layouts += 1;
        }
    }
    let pct = if all == 0 {
        0.0
    } else {
        100.0 * ok as f64 / all as f64
    };
    format!("\n**{ok} of {all} cases right ({pct:.1} %) over {layouts} layouts.**\n")
}

/// The totals in docs/troubleshooting.md match the layouts' rows (a plain
/// test: it reads the file only); `PODNET_BLESS=1` rewrites them.
#[test]
fn corpus_totals_are_up_to_date() {
    with_docs_lock(|| {
        let path = docs_path();
        let doc = std::fs::read_to_string(&path).expect("read docs/troubleshooting.md");
        assert!(
            doc.contains(BEGIN) && doc.contains(END) && doc.contains(TOTALS_BEGIN),
            "docs/troubleshooting.md lacks the corpus markers"
        );
        let want = totals(&doc);
        if std::env::var("PODNET_BLESS").as_deref() == Ok("1") {
            let new = replace_between(&doc, TOTALS_BEGIN, TOTALS_END, &want).expect("markers");
            std::fs::write(&path, new).expect("write docs/troubleshooting.md");
            return;
        }
        assert_eq!(
            between(&doc, TOTALS_BEGIN, TOTALS_END),
            Some(want.as_str()),
            "the corpus totals in docs/troubleshooting.md are stale; run: \
             PODNET_BLESS=1 cargo test --test fault_corpus_node corpus_totals"
        );
    });
}

#[test]
fn row_counting_reads_the_check_column() {
    let s = "| layout | x |\n|---|---|\n| a | b | ✓ |\n| a | c | ✗ |\n";
    assert_eq!(count_rows(s), (1, 2));
}
