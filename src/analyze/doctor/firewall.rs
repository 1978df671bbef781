//! The `forward-policy` check: walks every FORWARD-hook chain of both
//! firewall backends (nftables, which holds iptables-nft's rules, and legacy
//! iptables, which nft cannot see) with packets standing for pod traffic
//! between nodes, and reports the rule or policy that drops them. No I/O.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::doctor::{
    Check, Evidence, FwChain, FwField, FwMatch, FwRule, FwVerdict, NodeFacts, Status,
};

use super::forwarding::{arrival_interface, route_dev};
use super::{Context, ingress_of, sample_host, sample_pod};

/// A packet standing for pod traffic.
#[derive(Debug, Clone)]
pub struct Packet {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub iif: String,
    pub oif: String,
}

impl Packet {
    fn describe(&self) -> String {
        format!("{} → {} ({} → {})", self.src, self.dst, self.iif, self.oif)
    }
}

/// What a chain does to a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Accepted(String),
    Dropped(String),
    /// Fell off the end of a chain that is not a base chain.
    Returned,
}

#[derive(PartialEq, Eq)]
enum Tri {
    Yes,
    No,
    Maybe,
}

fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern
        .strip_suffix('+')
        .or_else(|| pattern.strip_suffix('*'))
    {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

fn addr_matches(value: &str, ip: IpAddr) -> Option<bool> {
    if let Ok(n) = value.parse::<IpNet>() {
        return Some(n.contains(&ip));
    }
    value.parse::<IpAddr>().ok().map(|a| a == ip)
}

fn eval_match(m: &FwMatch, p: &Packet) -> Tri {
    let hit = match &m.field {
        FwField::Saddr => m
            .values
            .iter()
            .map(|v| addr_matches(v, p.src))
            .collect::<Option<Vec<bool>>>()
            .map(|v| v.contains(&true)),
        FwField::Daddr => m
            .values
            .iter()
            .map(|v| addr_matches(v, p.dst))
            .collect::<Option<Vec<bool>>>()
            .map(|v| v.contains(&true)),
        FwField::Iif => Some(m.values.iter().any(|v| name_matches(v, &p.iif))),
        FwField::Oif => Some(m.values.iter().any(|v| name_matches(v, &p.oif))),
        FwField::Other(_) => None,
    };
    match hit {
        Some(h) if h != m.negate => Tri::Yes,
        Some(_) => Tri::No,
        None => Tri::Maybe,
    }
}

fn eval_rule(r: &FwRule, p: &Packet) -> Tri {
    let mut all = Tri::Yes;
    for m in &r.matches {
        match eval_match(m, p) {
            Tri::No => return Tri::No,
            Tri::Maybe => all = Tri::Maybe,
            Tri::Yes => {}
        }
    }
    all
}

/// Runs a packet through a chain (following jumps into chains of the same table).
pub fn walk(chains: &[FwChain], chain: &FwChain, p: &Packet, depth: usize) -> Fate {
    for r in &chain.rules {
        if depth > 16 {
            break;
        }
        let verdict = match eval_rule(r, p) {
            Tri::No => continue,
            // a rule podnet cannot evaluate fully: an accept may not apply, a drop may not either
            Tri::Maybe => continue,
            Tri::Yes => &r.verdict,
        };
        let at = format!("{}: `{}`", chain.label(), r.text);
        match verdict {
            FwVerdict::Accept => return Fate::Accepted(at),
            FwVerdict::Drop | FwVerdict::Reject => return Fate::Dropped(at),
            FwVerdict::Return => return Fate::Returned,
            FwVerdict::Continue => {}
            FwVerdict::Jump(t) | FwVerdict::Goto(t) => {
                let target = chains.iter().find(|c| {
                    c.backend == chain.backend
                        && c.family == chain.family
                        && c.table == chain.table
                        && &c.name == t
                });
                if let Some(target) = target {
                    match walk(chains, target, p, depth + 1) {
                        Fate::Returned => {}
                        fate => return fate,
                    }
                }
            }
        }
    }
    if chain.hook.is_none() {
        return Fate::Returned;
    }
    match chain.policy.as_deref() {
        Some("drop") => Fate::Dropped(format!(
            "{}: policy drop (no rule accepted it)",
            chain.label()
        )),
        _ => Fate::Accepted(format!("{}: policy accept", chain.label())),
    }
}

/// The forward base chains that see a packet of this family.
pub fn forward_chains(chains: &[FwChain], v6: bool) -> Vec<&FwChain> {
    chains
        .iter()
        .filter(|c| c.hook.as_deref() == Some("forward"))
        .filter(|c| {
            matches!(
                (c.family.as_str(), v6),
                ("inet", _) | ("ip", false) | ("ip6", true)
            )
        })
        .collect()
}

/// Packets standing for pod traffic leaving this node and arriving from other nodes.
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
        let egress = route_dev(f, remote).unwrap_or_else(|| "?".into());
        let arrival = arrival_interface(f, &r.cidr).unwrap_or_else(|| egress.clone());
        out.push(Packet {
            src: pod_ip,
            dst: remote,
            iif: ingress.clone(),
            oif: egress,
        });
        out.push(Packet {
            src: remote,
            dst: pod_ip,
            iif: arrival,
            oif: ingress.clone(),
        });
    }
    out
}

pub fn check(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "forward-policy";
    let node = &cx.node_label;
    let mut evidence: Vec<Evidence> = f
        .netfilter_errors
        .iter()
        .map(|e| Evidence::new(e.clone(), "firewall tools"))
        .collect();
    let forward: Vec<&FwChain> = f
        .chains
        .iter()
        .filter(|c| c.hook.as_deref() == Some("forward"))
        .collect();
    if forward.is_empty() {
        let status = if f.netfilter_errors.is_empty() {
            Status::Pass
        } else {
            Status::Skip
        };
        let summary = if f.netfilter_errors.is_empty() {
            "no FORWARD chain in nftables or legacy iptables: nothing filters forwarded pod traffic"
                .to_string()
        } else {
            "the firewall could not be read".to_string()
        };
        return Check::new(ID, status, summary).with(evidence);
    }
    for c in &forward {
        evidence.push(Evidence::new(
            format!(
                "{}: policy {}, {} rules",
                c.label(),
                c.policy.as_deref().unwrap_or("accept"),
                c.rules.len()
            ),
            if c.backend == "nft" {
                format!("nft -j list ruleset in {node}")
            } else {
                format!("iptables-legacy-save -t filter in {node}")
            },
        ));
    }
    let packets = pod_packets(f, cx);
    if packets.is_empty() {
        let drops: Vec<String> = forward
            .iter()
            .filter(|c| c.policy.as_deref() == Some("drop"))
            .map(|c| c.label())
            .collect();
        if drops.is_empty() {
            return Check::new(ID, Status::Pass, "every FORWARD chain's policy is accept")
                .with(evidence);
        }
        return Check::new(
            ID,
            Status::Warn,
            format!(
                "{} drop by default, and no pod and remote CIDR are known to test them with",
                drops.join(", ")
            ),
        )
        .with(evidence);
    }
    let mut dropped = Vec::new();
    for p in &packets {
        for c in forward_chains(&f.chains, p.src.is_ipv6()) {
            match walk(&f.chains, c, p, 0) {
                Fate::Dropped(at) => {
                    evidence.push(Evidence::new(
                        format!("{} is dropped by {at}", p.describe()),
                        c.label(),
                    ));
                    dropped.push(c.label());
                }
                Fate::Accepted(at) => evidence.push(Evidence::new(
                    format!("{} is accepted by {at}", p.describe()),
                    c.label(),
                )),
                Fate::Returned => {}
            }
        }
    }
    if !dropped.is_empty() {
        dropped.sort();
        dropped.dedup();
        let verb = if dropped.len() == 1 { "drops" } else { "drop" };
        return Check::new(ID, Status::Fail, format!("{} {verb} pod traffic between nodes", dropped.join(" and ")))
            .with(evidence)
            .hint("accept the pod CIDR in FORWARD (`iptables -A FORWARD -s <cluster cidr> -j ACCEPT` and `-d …`), or set the policy back: `iptables -P FORWARD ACCEPT` (use iptables-legacy for legacy tables)");
    }
    Check::new(
        ID,
        Status::Pass,
        format!(
            "every FORWARD chain ({}) lets pod traffic between nodes through",
            forward.len()
        ),
    )
    .with(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Packet {
            src: "10.244.1.5".parse().unwrap(),
            dst: "10.244.2.2".parse().unwrap(),
            iif: "cni0".into(),
            oif: "flannel.1".into(),
        }
    }

    #[test]
    fn policy_drop_with_and_without_an_accepting_rule() {
        let bare = chain("nft", "FORWARD", Some("forward"), Some("drop"), vec![]);
        assert!(
            matches!(walk(std::slice::from_ref(&bare), &bare, &pkt(), 0), Fate::Dropped(s) if s.contains("policy drop"))
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
            Fate::Accepted(_)
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
            matches!(walk(&all, &fwd, &pkt(), 0), Fate::Accepted(s) if s.contains("KUBE-FORWARD"))
        );
        let mut outside = pkt();
        outside.src = "192.168.1.1".parse().unwrap();
        assert!(matches!(walk(&all, &fwd, &outside, 0), Fate::Dropped(_)));
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
            Fate::Dropped(_)
        ));
    }
}
