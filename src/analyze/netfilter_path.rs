//! The netfilter hooks a packet meets on a node and what the chains at each
//! hook do to it, for both firewall backends (nftables, which holds
//! iptables-nft's rules, and legacy iptables): forwarded packets cross
//! PREROUTING, FORWARD, POSTROUTING; packets ending on the node PREROUTING
//! and INPUT; packets sent by it OUTPUT and POSTROUTING. Base chains at a
//! hook run in priority order; a drop anywhere is final, an accept only ends
//! its own chain. A rule with a condition podnet cannot evaluate is never
//! taken as a verdict either way. No I/O.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::model::doctor::{FwChain, FwField, FwMatch, FwRule, FwVerdict};

/// Layer-4 protocol of a traced packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    #[default]
    Icmp,
    Tcp,
    Udp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Icmp => "icmp",
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }

    /// Whether a rule's protocol value (`tcp`, `6`, `ipv6-icmp`…) names this protocol.
    fn is(self, value: &str) -> Option<bool> {
        let v = value.to_ascii_lowercase();
        let names: &[&str] = match self {
            Proto::Icmp => &["icmp", "1", "icmpv6", "ipv6-icmp", "58"],
            Proto::Tcp => &["tcp", "6"],
            Proto::Udp => &["udp", "17"],
        };
        if names.contains(&v.as_str()) {
            return Some(true);
        }
        let known = [
            "icmp",
            "1",
            "icmpv6",
            "ipv6-icmp",
            "58",
            "tcp",
            "6",
            "udp",
            "17",
            "sctp",
            "132",
            "all",
            "0",
        ];
        match v.as_str() {
            "all" | "0" => Some(true),
            _ if known.contains(&v.as_str()) => Some(false),
            // another protocol by name or number: not ours
            _ if v.parse::<u8>().is_ok() || v.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Some(false)
            }
            _ => None,
        }
    }
}

/// A netfilter hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
}

impl Hook {
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
            Hook::Postrouting => "postrouting",
        }
    }
}

/// How a packet crosses a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// Arrives and leaves (routed through).
    Forwarded,
    /// Arrives and is delivered to the node itself.
    Input,
    /// Sent by the node.
    Output,
}

/// The hooks of a path, in the order the packet meets them.
pub fn hooks(path: PathKind) -> &'static [Hook] {
    match path {
        PathKind::Forwarded => &[Hook::Prerouting, Hook::Forward, Hook::Postrouting],
        PathKind::Input => &[Hook::Prerouting, Hook::Input],
        PathKind::Output => &[Hook::Output, Hook::Postrouting],
    }
}

/// A packet standing for pod traffic. An empty `iif` / `oif` is none (the
/// kernel matches an empty name then: OUTPUT has no iif, INPUT no oif).
#[derive(Debug, Clone)]
pub struct Packet {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub iif: String,
    pub oif: String,
    pub proto: Proto,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    /// A reply of a connection (conntrack `established`); a request is `new`.
    pub reply: bool,
}

impl Packet {
    /// An ICMP echo request from `src` to `dst` through `iif` → `oif`.
    pub fn icmp(src: IpAddr, dst: IpAddr, iif: &str, oif: &str) -> Self {
        Packet {
            src,
            dst,
            iif: iif.into(),
            oif: oif.into(),
            proto: Proto::Icmp,
            sport: None,
            dport: None,
            reply: false,
        }
    }

    /// `10.244.1.5 → 10.244.2.2 tcp dport 80 (cni0 → flannel.1)`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} → {} {}", self.src, self.dst, self.proto.as_str());
        if let Some(p) = self.sport {
            s.push_str(&format!(" sport {p}"));
        }
        if let Some(p) = self.dport {
            s.push_str(&format!(" dport {p}"));
        }
        let side = |n: &str| {
            if n.is_empty() {
                "-".to_string()
            } else {
                n.to_string()
            }
        };
        s.push_str(&format!(" ({} → {})", side(&self.iif), side(&self.oif)));
        s
    }
}

/// The rule (or policy) a chain walk ended on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The chain holding the rule: `nft ip filter FORWARD`, `iptables-legacy raw PREROUTING`.
    pub chain: String,
    /// The rule as text, or `policy drop` / `policy accept`.
    pub rule: String,
    pub reject: bool,
}

impl fmt::Display for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rule.starts_with("policy ") {
            let tail = if self.rule == "policy drop" {
                " (no rule accepted it)"
            } else {
                ""
            };
            write!(f, "{}: {}{tail}", self.chain, self.rule)
        } else {
            write!(f, "{}: `{}`", self.chain, self.rule)
        }
    }
}

/// What one chain does to a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainFate {
    Accepted(Hit),
    Dropped(Hit),
    /// Fell off the end of a chain that is not a base chain.
    Returned,
}

/// What a node's firewall does to a packet on a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Accepted,
    Dropped(Block),
}

/// Where a packet is dropped: the backend, table, base chain, hook and rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    pub backend: String,
    pub family: String,
    pub table: String,
    /// The base chain the packet entered (`FORWARD`).
    pub base_chain: String,
    pub hook: Hook,
    /// The chain holding the rule (the base chain, or one it jumped to), as a label.
    pub chain: String,
    /// The rule's text, or `policy drop`.
    pub rule: String,
    pub reject: bool,
}

impl Block {
    /// `iptables-legacy filter FORWARD (hook forward): `-A FORWARD -p icmp -j REJECT``.
    pub fn describe(&self) -> String {
        let verb = if self.reject { "rejected" } else { "dropped" };
        let rule = if self.rule.starts_with("policy ") {
            format!("{} (no rule accepted it)", self.rule)
        } else {
            format!("`{}`", self.rule)
        };
        format!(
            "{verb} by {} (hook {}, {} table {}): {rule}",
            self.chain,
            self.hook.as_str(),
            self.backend,
            self.table
        )
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
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

/// `80` or `1000-2000` against a port; `None` for shapes podnet does not read.
fn port_matches(value: &str, port: u16) -> Option<bool> {
    match value.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi) = (
                lo.trim().parse::<u16>().ok()?,
                hi.trim().parse::<u16>().ok()?,
            );
            Some((lo..=hi).contains(&port))
        }
        None => value.trim().parse::<u16>().ok().map(|p| p == port),
    }
}

/// Any of `values` matched by `one`; `None` when one of them cannot be read.
fn any_of(values: &[String], one: impl Fn(&str) -> Option<bool>) -> Option<bool> {
    values
        .iter()
        .map(|v| one(v))
        .collect::<Option<Vec<bool>>>()
        .map(|v| v.contains(&true))
}

fn eval_match(m: &FwMatch, p: &Packet) -> Tri {
    let hit = match &m.field {
        FwField::Saddr => any_of(&m.values, |v| addr_matches(v, p.src)),
        FwField::Daddr => any_of(&m.values, |v| addr_matches(v, p.dst)),
        FwField::Iif => Some(m.values.iter().any(|v| name_matches(v, &p.iif))),
        FwField::Oif => Some(m.values.iter().any(|v| name_matches(v, &p.oif))),
        FwField::Proto => any_of(&m.values, |v| p.proto.is(v)),
        FwField::Sport | FwField::Dport if p.proto == Proto::Icmp => Some(false),
        FwField::Sport => p
            .sport
            .and_then(|port| any_of(&m.values, |v| port_matches(v, port))),
        FwField::Dport => p
            .dport
            .and_then(|port| any_of(&m.values, |v| port_matches(v, port))),
        FwField::CtState => {
            let state = if p.reply { "established" } else { "new" };
            Some(m.values.iter().any(|v| v.eq_ignore_ascii_case(state)))
        }
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

/// The deepest chain jump followed (the kernel allows more; real rule sets stay far below).
const MAX_JUMP_DEPTH: usize = 16;

/// Runs a packet through a chain, following jumps into chains of the same table.
pub fn walk(chains: &[FwChain], chain: &FwChain, p: &Packet, depth: usize) -> ChainFate {
    let hit = |rule: &str, reject| Hit {
        chain: chain.label(),
        rule: rule.to_string(),
        reject,
    };
    for r in &chain.rules {
        if depth > MAX_JUMP_DEPTH {
            break;
        }
        // a rule podnet cannot evaluate fully (Maybe) is passed over: an
        // accept may not apply, a drop may not either
        if eval_rule(r, p) != Tri::Yes {
            continue;
        }
        match &r.verdict {
            FwVerdict::Accept => return ChainFate::Accepted(hit(&r.text, false)),
            FwVerdict::Drop => return ChainFate::Dropped(hit(&r.text, false)),
            FwVerdict::Reject => return ChainFate::Dropped(hit(&r.text, true)),
            FwVerdict::Return => return ChainFate::Returned,
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
                        ChainFate::Returned => {}
                        fate => return fate,
                    }
                }
            }
        }
    }
    if chain.hook.is_none() {
        return ChainFate::Returned;
    }
    match chain.policy.as_deref() {
        Some("drop") => ChainFate::Dropped(hit("policy drop", false)),
        _ => ChainFate::Accepted(hit("policy accept", false)),
    }
}

fn sees_family(c: &FwChain, v6: bool) -> bool {
    matches!(
        (c.family.as_str(), v6),
        ("inet", _) | ("ip", false) | ("ip6", true)
    )
}

/// The base chains at `hook` that see a packet of this family, in the
/// order the kernel runs them (by priority; nft before legacy on a tie).
pub fn base_chains(chains: &[FwChain], hook: Hook, v6: bool) -> Vec<&FwChain> {
    let mut out: Vec<&FwChain> = chains
        .iter()
        .filter(|c| c.hook.as_deref() == Some(hook.as_str()) && sees_family(c, v6))
        .collect();
    out.sort_by_key(|c| (c.priority.unwrap_or(0), c.backend != "nft"));
    out
}

/// The forward base chains that see a packet of this family.
pub fn forward_chains(chains: &[FwChain], v6: bool) -> Vec<&FwChain> {
    base_chains(chains, Hook::Forward, v6)
}

/// Whether a chain is a NAT chain: those see only a connection's first packet.
fn is_nat(c: &FwChain) -> bool {
    c.chain_type.as_deref() == Some("nat")
}

/// What the firewall does to `p` on `path`: the first drop or reject, hook
/// by hook and chain by chain, or accepted.
pub fn judge(chains: &[FwChain], p: &Packet, path: PathKind) -> Fate {
    for &hook in hooks(path) {
        for c in base_chains(chains, hook, p.src.is_ipv6()) {
            if p.reply && is_nat(c) {
                continue;
            }
            if let ChainFate::Dropped(hit) = walk(chains, c, p, 0) {
                return Fate::Dropped(Block {
                    backend: c.backend.clone(),
                    family: c.family.clone(),
                    table: c.table.clone(),
                    base_chain: c.name.clone(),
                    hook,
                    chain: hit.chain,
                    rule: hit.rule,
                    reject: hit.reject,
                });
            }
        }
    }
    Fate::Accepted
}

/// The base chains a packet on `path` crosses, as labels with their hook
/// (`prerouting: nft ip raw PREROUTING`), for evidence.
pub fn crossed(chains: &[FwChain], v6: bool, path: PathKind) -> Vec<String> {
    hooks(path)
        .iter()
        .flat_map(|&h| {
            base_chains(chains, h, v6)
                .into_iter()
                .map(move |c| format!("{}: {}", h.as_str(), c.label()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::netfilter::iptables_save_chains;

    fn pkt(proto: Proto, dport: Option<u16>) -> Packet {
        Packet {
            proto,
            dport,
            ..Packet::icmp(
                "10.244.1.5".parse().unwrap(),
                "10.244.2.2".parse().unwrap(),
                "cni0",
                "flannel.1",
            )
        }
    }

    const LEGACY: &str = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -s 10.244.9.0/24 -j DROP\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p icmp -j REJECT --reject-with icmp-port-unreachable\n-A FORWARD -p tcp -m tcp --dport 22 -j DROP\n-A INPUT -p udp -m udp --dport 53 -j DROP\nCOMMIT\n";

    #[test]
    fn per_protocol_rules_and_the_hook_that_drops() {
        let chains = iptables_save_chains(LEGACY, "iptables-legacy");
        let icmp = judge(&chains, &pkt(Proto::Icmp, None), PathKind::Forwarded);
        let Fate::Dropped(b) = icmp else {
            panic!("{icmp:?}")
        };
        assert_eq!(
            (b.hook, b.table.as_str(), b.base_chain.as_str()),
            (Hook::Forward, "filter", "FORWARD")
        );
        assert!(b.reject && b.rule.contains("-p icmp"), "{b:?}");
        assert!(
            b.describe()
                .contains("rejected by iptables-legacy filter FORWARD (hook forward")
        );
        assert_eq!(
            judge(&chains, &pkt(Proto::Tcp, Some(80)), PathKind::Forwarded),
            Fate::Accepted
        );
        assert!(matches!(
            judge(&chains, &pkt(Proto::Tcp, Some(22)), PathKind::Forwarded),
            Fate::Dropped(_)
        ));
        // an unknown port (a reply's ephemeral one) is never a verdict
        assert_eq!(
            judge(&chains, &pkt(Proto::Tcp, None), PathKind::Forwarded),
            Fate::Accepted
        );
        // INPUT is met only by packets ending on the node
        let dns = pkt(Proto::Udp, Some(53));
        assert_eq!(judge(&chains, &dns, PathKind::Forwarded), Fate::Accepted);
        assert!(
            matches!(judge(&chains, &dns, PathKind::Input), Fate::Dropped(b) if b.hook == Hook::Input)
        );
        // raw PREROUTING comes first on every arriving path
        let mut from9 = pkt(Proto::Tcp, Some(80));
        from9.src = "10.244.9.9".parse().unwrap();
        assert!(
            matches!(judge(&chains, &from9, PathKind::Input), Fate::Dropped(b) if b.hook == Hook::Prerouting && b.table == "raw")
        );
        assert_eq!(judge(&chains, &from9, PathKind::Output), Fate::Accepted);
    }

    #[test]
    fn base_chains_run_by_priority_and_an_accept_ends_only_its_chain() {
        let mut chains = iptables_save_chains(
            "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j ACCEPT\nCOMMIT\n",
            "iptables-legacy",
        );
        chains.push(FwChain {
            backend: "nft".into(),
            family: "inet".into(),
            table: "t".into(),
            name: "late".into(),
            hook: Some("forward".into()),
            policy: Some("drop".into()),
            priority: Some(10),
            chain_type: Some("filter".into()),
            rules: vec![],
        });
        let order: Vec<String> = base_chains(&chains, Hook::Forward, false)
            .iter()
            .map(|c| c.label())
            .collect();
        assert_eq!(
            order,
            vec!["iptables-legacy filter FORWARD", "nft inet t late"]
        );
        let fate = judge(&chains, &pkt(Proto::Icmp, None), PathKind::Forwarded);
        assert!(matches!(fate, Fate::Dropped(b) if b.rule == "policy drop" && b.backend == "nft"));
        // conntrack: a reply is established, a request new
        chains[1].rules.push(FwRule {
            text: "ct state established accept".into(),
            matches: vec![FwMatch {
                field: FwField::CtState,
                negate: false,
                values: vec!["established".into()],
            }],
            verdict: FwVerdict::Accept,
        });
        let mut reply = pkt(Proto::Icmp, None);
        reply.reply = true;
        assert_eq!(judge(&chains, &reply, PathKind::Forwarded), Fate::Accepted);
    }

    #[test]
    fn jumps_negations_wildcards_and_unknown_conditions() {
        let text = "*filter\n:FORWARD DROP [0:0]\n:KUBE-FORWARD - [0:0]\n-A FORWARD -m mark --mark 0x4000 -j DROP\n-A FORWARD ! -s 10.244.0.0/16 -j DROP\n-A FORWARD -j KUBE-FORWARD\n-A KUBE-FORWARD -i cni+ -j ACCEPT\nCOMMIT\n";
        let chains = iptables_save_chains(text, "iptables-legacy");
        let fwd = chains.iter().find(|c| c.name == "FORWARD").unwrap();
        assert!(
            matches!(walk(&chains, fwd, &pkt(Proto::Icmp, None), 0), ChainFate::Accepted(h) if h.chain.contains("KUBE-FORWARD"))
        );
        let mut outside = pkt(Proto::Icmp, None);
        outside.src = "192.168.1.1".parse().unwrap();
        assert!(matches!(
            walk(&chains, fwd, &outside, 0),
            ChainFate::Dropped(_)
        ));
        let mut other_if = pkt(Proto::Icmp, None);
        other_if.iif = "eth0".into();
        assert!(
            matches!(walk(&chains, fwd, &other_if, 0), ChainFate::Dropped(h) if h.rule == "policy drop")
        );
    }
}
