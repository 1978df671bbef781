//! The `firewall` check (once `forward-policy`): runs packets standing for
//! pod traffic between nodes (both ways, new and reply, ICMP, TCP and UDP,
//! with every port a rule names) through every netfilter hook a forwarded
//! packet meets (raw, mangle and nat PREROUTING, FORWARD, mangle and nat
//! POSTROUTING) in both backends (nftables, which holds iptables-nft's
//! rules, and legacy iptables, which nft cannot see), and reports the rule
//! or policy that drops them. A rule podnet cannot read fully is never a
//! verdict. No I/O.

use std::collections::BTreeSet;

use crate::analyze::netfilter_path::{Block, Fate, PathKind, Proto, crossed, judge};
use crate::model::doctor::{Check, Evidence, FwField, FwVerdict, NodeFacts, Status};

pub use crate::analyze::netfilter_path::{ChainFate, Packet, forward_chains, walk};

use super::context::Context;
use super::facts::{ingress_of, sample_host, sample_pod};
use super::forwarding::{arrival_interface, route_dev};

/// Packets standing for pod traffic leaving this node and arriving from
/// other nodes, as ICMP: one pod (they share the bridge or the rules) to a
/// host of each remote pod CIDR, and back.
pub fn pod_packets(f: &NodeFacts, cx: &Context) -> Vec<Packet> {
    let Some(p) = sample_pod(f, cx) else {
        return Vec::new();
    };
    let Some(pod_ip) = p.pod_ip else {
        return Vec::new();
    };
    let ingress = ingress_of(f, p);
    let mut out = Vec::new();
    for r in &cx.remote_cidrs {
        let Some(remote) = sample_host(&r.cidr).filter(|h| h.is_ipv4() == pod_ip.is_ipv4()) else {
            continue;
        };
        let egress = route_dev(f, remote).unwrap_or_default();
        let arrival = arrival_interface(f, &r.cidr).unwrap_or_else(|| egress.clone());
        out.push(Packet::icmp(pod_ip, remote, &ingress, &egress));
        out.push(Packet::icmp(remote, pod_ip, &arrival, &ingress));
    }
    out
}

/// The most ports tried (kube-proxy names a port per Service: the check
/// stays fast on a node with thousands).
const MAX_PORTS: usize = 32;

/// The ports named by rules that drop, reject or jump (`dport 8080`,
/// `--sport 53`, a range's first port): a drop of one port is found only by
/// a packet to that port.
fn ports_named(f: &NodeFacts) -> BTreeSet<u16> {
    f.chains
        .iter()
        .flat_map(|c| &c.rules)
        .filter(|r| {
            !matches!(
                r.verdict,
                FwVerdict::Accept | FwVerdict::Return | FwVerdict::Continue
            )
        })
        .flat_map(|r| &r.matches)
        .filter(|m| matches!(m.field, FwField::Dport | FwField::Sport))
        .flat_map(|m| &m.values)
        .filter_map(|v| v.split('-').next()?.trim().parse::<u16>().ok())
        .take(MAX_PORTS)
        .collect()
}

/// Every variant of an ICMP packet the check tries: the same flow as ICMP,
/// TCP and UDP (no port, and to and from every port named), each as a new
/// connection and as a reply.
fn variants(icmp: &Packet, ports: &BTreeSet<u16>) -> Vec<Packet> {
    let mut out = vec![icmp.clone()];
    for proto in [Proto::Tcp, Proto::Udp] {
        let with = |sport, dport| Packet {
            proto,
            sport,
            dport,
            ..icmp.clone()
        };
        out.push(with(None, None));
        for &p in ports {
            out.push(with(Some(40000), Some(p)));
            out.push(with(Some(p), Some(40000)));
        }
    }
    let replies: Vec<Packet> = out
        .iter()
        .map(|p| Packet {
            reply: true,
            ..p.clone()
        })
        .collect();
    out.extend(replies);
    out
}

/// `icmp`, `tcp dport 8080`, `udp sport 53`.
fn traffic_name(p: &Packet) -> String {
    let mut s = p.proto.as_str().to_string();
    if let Some(d) = p.dport.filter(|d| *d != 40000) {
        s.push_str(&format!(" dport {d}"));
    }
    if let Some(d) = p.sport.filter(|d| *d != 40000) {
        s.push_str(&format!(" sport {d}"));
    }
    s
}

/// One rule that drops pod traffic, with the traffic it drops.
struct Dropper {
    block: Block,
    flows: Vec<String>,
    traffic: Vec<String>,
    /// Whether new connections, replies, or both are dropped.
    new: bool,
    reply: bool,
}

/// The rules that drop any variant of the pod packets, each once.
fn droppers(f: &NodeFacts, packets: &[Packet]) -> Vec<Dropper> {
    let ports = ports_named(f);
    let mut out: Vec<Dropper> = Vec::new();
    for icmp in packets {
        for p in variants(icmp, &ports) {
            let Fate::Dropped(block) = judge(&f.chains, &p, PathKind::Forwarded) else {
                continue;
            };
            let flow = format!(
                "{} → {} ({} → {})",
                p.src,
                p.dst,
                side(&p.iif),
                side(&p.oif)
            );
            let i = match out.iter().position(|d| d.block == block) {
                Some(i) => i,
                None => {
                    out.push(Dropper {
                        block,
                        flows: Vec::new(),
                        traffic: Vec::new(),
                        new: false,
                        reply: false,
                    });
                    out.len() - 1
                }
            };
            let d = &mut out[i];
            d.new |= !p.reply;
            d.reply |= p.reply;
            if !d.flows.contains(&flow) {
                d.flows.push(flow);
            }
            let t = traffic_name(&p);
            if !d.traffic.contains(&t) {
                d.traffic.push(t);
            }
        }
    }
    out
}

fn side(n: &str) -> &str {
    if n.is_empty() { "-" } else { n }
}

/// How many variants of each kind to name before "…".
const NAMED_TRAFFIC: usize = 4;

pub fn check(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "firewall";
    if let Some(skip) = super::facts::skip_on_ebpf(ID, f) {
        return skip;
    }
    let node = &cx.node_label;
    let mut evidence: Vec<Evidence> = f
        .netfilter_errors
        .iter()
        .map(|e| Evidence::new(e.clone(), "firewall tools"))
        .collect();
    let v6 = sample_pod(f, cx)
        .and_then(|p| p.pod_ip)
        .is_some_and(|i| i.is_ipv6());
    let chains = crossed(&f.chains, v6, PathKind::Forwarded);
    if chains.is_empty() {
        if !f.netfilter_errors.is_empty() {
            return Check::new(ID, Status::Skip, "the firewall could not be read").with(evidence);
        }
        return Check::new(
            ID,
            Status::Pass,
            "no netfilter chain on a forwarded packet's path, in nftables or legacy iptables",
        )
        .with(evidence);
    }
    evidence.extend(chains.iter().map(|c| {
        Evidence::new(
            c.clone(),
            format!("nft -j list ruleset and iptables-legacy-save in {node}"),
        )
    }));
    let packets = pod_packets(f, cx);
    if packets.is_empty() {
        return untestable(f, evidence);
    }
    let found = droppers(f, &packets);
    if found.is_empty() {
        evidence.extend(packets.iter().map(|p| {
            Evidence::new(
                format!("{} and its TCP/UDP variants pass every hook", p.describe()),
                format!("netfilter hooks of a forwarded packet in {node}"),
            )
        }));
        return Check::new(
            ID,
            Status::Pass,
            format!(
                "no rule or policy on a forwarded packet's path ({} chains) drops pod traffic between nodes",
                chains.len()
            ),
        )
        .with(evidence);
    }
    let what: Vec<String> = found.iter().map(dropper_text).collect();
    evidence.extend(found.iter().map(|d| {
        Evidence::new(
            format!("{}: {}", d.flows.join(", "), d.block.describe()),
            format!("{} in {node}", d.block.chain),
        )
    }));
    Check::new(
        ID,
        Status::Fail,
        format!("pod traffic between nodes is dropped by {}", what.join("; ")),
    )
    .with(evidence)
    .hint("accept pod traffic where it is dropped: delete the rule (`iptables -D …`, `nft delete rule … handle N`), accept the pod CIDRs before it, or set the policy back (`iptables -P FORWARD ACCEPT`; use iptables-legacy for legacy tables)")
}

/// No pod and remote pod CIDR to test rules with: only the policies say anything.
fn untestable(f: &NodeFacts, evidence: Vec<Evidence>) -> Check {
    const ID: &str = "firewall";
    let drops: Vec<String> = f
        .chains
        .iter()
        .filter(|c| c.hook.is_some() && c.policy.as_deref() == Some("drop"))
        .map(|c| c.label())
        .collect();
    if drops.is_empty() {
        return Check::new(
            ID,
            Status::Pass,
            "every base chain's policy is accept (no pod and remote pod CIDR to test rules with)",
        )
        .with(evidence);
    }
    Check::new(
        ID,
        Status::Warn,
        format!(
            "{} drop by default, and no pod and remote pod CIDR are known to test them with",
            drops.join(", ")
        ),
    )
    .with(evidence)
}

/// `FORWARD: `-s 10.244.1.0/24 -j DROP` (icmp, tcp/80, …, new connections only)`.
fn dropper_text(d: &Dropper) -> String {
    let mut traffic: Vec<String> = d.traffic.iter().take(NAMED_TRAFFIC).cloned().collect();
    if d.traffic.len() > NAMED_TRAFFIC {
        traffic.push("…".into());
    }
    let which = match (d.new, d.reply) {
        (true, false) => ", new connections only",
        (false, true) => ", replies only",
        _ => "",
    };
    format!(
        "{}: {} ({}{which})",
        d.block.chain,
        if d.block.rule.starts_with("policy ") {
            d.block.rule.clone()
        } else {
            format!("`{}`", d.block.rule)
        },
        traffic.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::doctor::{FwChain, FwField, FwMatch, FwRule, FwVerdict};

    fn chain(
        backend: &str,
        name: &str,
        hook: Option<&str>,
        policy: Option<&str>,
        rules: Vec<FwRule>,
    ) -> FwChain {
        FwChain {
            backend: backend.into(),
            family: "ip".into(),
            table: "filter".into(),
            name: name.into(),
            hook: hook.map(Into::into),
            policy: policy.map(Into::into),
            priority: None,
            chain_type: None,
            rules,
        }
    }

    fn rule(matches: Vec<FwMatch>, verdict: FwVerdict) -> FwRule {
        FwRule {
            text: format!("{matches:?} {verdict:?}"),
            matches,
            verdict,
        }
    }

    fn m(field: FwField, v: &str) -> FwMatch {
        FwMatch {
            field,
            negate: false,
            values: vec![v.into()],
        }
    }

    fn pkt() -> Packet {
        Packet::icmp(
            "10.244.1.5".parse().unwrap(),
            "10.244.2.2".parse().unwrap(),
            "cni0",
            "flannel.1",
        )
    }

    #[test]
    fn policy_drop_with_and_without_an_accepting_rule() {
        let bare = chain("nft", "FORWARD", Some("forward"), Some("drop"), vec![]);
        assert!(
            matches!(walk(std::slice::from_ref(&bare), &bare, &pkt(), 0), ChainFate::Dropped(s) if s.to_string().contains("policy drop"))
        );
        let ok = chain(
            "nft",
            "FORWARD",
            Some("forward"),
            Some("drop"),
            vec![rule(
                vec![m(FwField::Saddr, "10.244.0.0/16")],
                FwVerdict::Accept,
            )],
        );
        assert!(matches!(
            walk(std::slice::from_ref(&ok), &ok, &pkt(), 0),
            ChainFate::Accepted(_)
        ));
    }

    #[test]
    fn jumps_negations_wildcards_and_unknown_conditions() {
        let kube = chain(
            "iptables-legacy",
            "KUBE-FORWARD",
            None,
            None,
            vec![rule(vec![m(FwField::Iif, "cni+")], FwVerdict::Accept)],
        );
        let fwd = chain(
            "iptables-legacy",
            "FORWARD",
            Some("forward"),
            Some("drop"),
            vec![
                rule(
                    vec![m(FwField::Other("tcp dport 22".into()), "")],
                    FwVerdict::Drop,
                ),
                rule(
                    vec![FwMatch {
                        field: FwField::Saddr,
                        negate: true,
                        values: vec!["10.244.0.0/16".into()],
                    }],
                    FwVerdict::Drop,
                ),
                rule(vec![], FwVerdict::Jump("KUBE-FORWARD".into())),
            ],
        );
        let all = vec![fwd.clone(), kube];
        assert!(
            matches!(walk(&all, &fwd, &pkt(), 0), ChainFate::Accepted(s) if s.to_string().contains("KUBE-FORWARD"))
        );
        let mut outside = pkt();
        outside.src = "192.168.1.1".parse().unwrap();
        assert!(matches!(
            walk(&all, &fwd, &outside, 0),
            ChainFate::Dropped(_)
        ));
        let unconditional = chain(
            "nft",
            "f",
            Some("forward"),
            Some("accept"),
            vec![rule(vec![], FwVerdict::Drop)],
        );
        assert!(matches!(
            walk(
                std::slice::from_ref(&unconditional),
                &unconditional,
                &pkt(),
                0
            ),
            ChainFate::Dropped(_)
        ));
    }

    fn facts(chains: Vec<FwChain>) -> NodeFacts {
        NodeFacts {
            chains,
            ..Default::default()
        }
    }

    fn both_ways() -> Vec<Packet> {
        let out = pkt();
        let back = Packet::icmp(out.dst, out.src, "flannel.1", "cni0");
        vec![out, back]
    }

    /// A drop of one TCP port is found by a packet to that port, and only
    /// TCP to it is named: ICMP still passes.
    #[test]
    fn a_per_port_drop_is_found_with_the_port_the_rule_names() {
        let fwd = chain(
            "nft",
            "pnfwd",
            Some("forward"),
            Some("accept"),
            vec![rule(
                vec![m(FwField::Proto, "tcp"), m(FwField::Dport, "8080")],
                FwVerdict::Drop,
            )],
        );
        let found = droppers(&facts(vec![fwd]), &both_ways());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].traffic, vec!["tcp dport 8080".to_string()]);
        assert!(found[0].new && found[0].reply);
    }

    /// A raw PREROUTING drop of the remote pod CIDR catches only what
    /// arrives from it, before FORWARD is reached.
    #[test]
    fn a_raw_prerouting_drop_catches_what_arrives_from_the_remote_cidr() {
        let mut raw = chain(
            "iptables-legacy",
            "PREROUTING",
            Some("prerouting"),
            Some("accept"),
            vec![rule(
                vec![m(FwField::Saddr, "10.244.2.0/24")],
                FwVerdict::Drop,
            )],
        );
        raw.table = "raw".into();
        let found = droppers(&facts(vec![raw]), &both_ways());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].block.base_chain, "PREROUTING");
        assert_eq!(
            found[0].flows,
            vec!["10.244.2.2 → 10.244.1.5 (flannel.1 → cni0)".to_string()]
        );
        assert!(found[0].traffic.contains(&"icmp".to_string()));
    }

    /// A rule podnet cannot read (a mark, an ipset) is never a verdict.
    #[test]
    fn an_unreadable_drop_is_not_a_verdict() {
        let fwd = chain(
            "nft",
            "FORWARD",
            Some("forward"),
            Some("accept"),
            vec![rule(
                vec![m(FwField::Other("meta mark 0x4000".into()), "")],
                FwVerdict::Drop,
            )],
        );
        assert!(droppers(&facts(vec![fwd]), &both_ways()).is_empty());
    }

    /// No pod to test with: a drop policy warns; a firewall that could not
    /// be read skips; nothing on the path passes.
    #[test]
    fn firewall_warns_and_skips_when_it_cannot_judge() {
        let cx = Context::default();
        assert_eq!(check(&NodeFacts::default(), &cx).status, Status::Pass);
        let unread = NodeFacts {
            netfilter_errors: vec!["nft: not found".into()],
            ..Default::default()
        };
        assert_eq!(check(&unread, &cx).status, Status::Skip);
        let drop = chain("nft", "FORWARD", Some("forward"), Some("drop"), vec![]);
        let c = check(&facts(vec![drop]), &cx);
        assert_eq!(c.status, Status::Warn);
        assert!(
            c.summary.contains("nft ip filter FORWARD drop by default"),
            "{}",
            c.summary
        );
    }
}
