//! The `firewall` check (once `forward-policy`): walks every FORWARD-hook chain of both
//! firewall backends (nftables, which holds iptables-nft's rules, and legacy
//! iptables, which nft cannot see) with packets standing for pod traffic
//! between nodes, and reports the rule or policy that drops them. No I/O.

use crate::model::doctor::{Check, Evidence, FwChain, NodeFacts, Status};

pub use crate::analyze::netfilter_path::{ChainFate as Fate, Packet, forward_chains, walk};

use super::forwarding::{arrival_interface, route_dev};
use super::{Context, ingress_of, sample_host, sample_pod};

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
        out.push(Packet::icmp(pod_ip, remote, &ingress, &egress));
        out.push(Packet::icmp(remote, pod_ip, &arrival, &ingress));
    }
    out
}

pub fn check(f: &NodeFacts, cx: &Context) -> Check {
    const ID: &str = "firewall";
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
    use crate::model::doctor::{FwField, FwMatch, FwRule, FwVerdict};

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
            matches!(walk(std::slice::from_ref(&bare), &bare, &pkt(), 0), Fate::Dropped(s) if s.to_string().contains("policy drop"))
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
            matches!(walk(&all, &fwd, &pkt(), 0), Fate::Accepted(s) if s.to_string().contains("KUBE-FORWARD"))
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
