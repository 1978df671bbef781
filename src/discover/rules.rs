//! Turns RTM_GETRULE messages into model policy-routing rules. No I/O.

use std::net::IpAddr;

use netlink_packet_route::AddressFamily;
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};

use crate::model::Rule;

/// One rule; `None` for families other than IPv4/IPv6.
pub fn rule(msg: &RuleMessage) -> Option<Rule> {
    let family = match msg.header.family {
        AddressFamily::Inet => "inet",
        AddressFamily::Inet6 => "inet6",
        _ => return None,
    };
    let mut r = Rule {
        priority: 0,
        family: family.into(),
        src: None,
        dst: None,
        iif: None,
        oif: None,
        fwmark: None,
        table: u32::from(msg.header.table),
        action: action_name(msg.header.action),
        invert: msg.header.flags.contains(RuleFlags::Invert),
        suppress_prefixlen: None,
        other_selector: None,
    };
    let (mut mark, mut mask) = (None, None);
    let mut other = Vec::new();
    if msg.header.tos != 0 {
        other.push(format!("tos {:#x}", msg.header.tos));
    }
    for attr in &msg.attributes {
        match attr {
            RuleAttribute::Source(a) => r.src = net(*a, msg.header.src_len),
            RuleAttribute::Destination(a) => r.dst = net(*a, msg.header.dst_len),
            RuleAttribute::Iifname(n) => r.iif = Some(n.clone()),
            RuleAttribute::Oifname(n) => r.oif = Some(n.clone()),
            RuleAttribute::Priority(p) => r.priority = *p,
            RuleAttribute::FwMark(m) => mark = Some(*m),
            RuleAttribute::FwMask(m) => mask = Some(*m),
            RuleAttribute::Table(t) => r.table = *t,
            // the kernel reports "no suppression" as 0xffffffff
            RuleAttribute::SuppressPrefixLen(p) if *p != u32::MAX => {
                r.suppress_prefixlen = Some(*p)
            }
            RuleAttribute::UidRange(u) => other.push(format!("uidrange {}-{}", u.start, u.end)),
            RuleAttribute::IpProtocol(p) => other.push(format!("ipproto {p:?}")),
            RuleAttribute::SourcePortRange(p) => other.push(format!("sport {}-{}", p.start, p.end)),
            RuleAttribute::DestinationPortRange(p) => {
                other.push(format!("dport {}-{}", p.start, p.end))
            }
            RuleAttribute::TunId(t) => other.push(format!("tun_id {t}")),
            _ => {}
        }
    }
    if mark.is_some_and(|m| m != 0) || mask.is_some_and(|m| m != 0) {
        r.fwmark = Some((mark.unwrap_or(0), mask.unwrap_or(u32::MAX)));
    }
    if !other.is_empty() {
        r.other_selector = Some(other.join(" "));
    }
    Some(r)
}

/// Every IPv4/IPv6 rule of the dump, by priority.
pub fn rules(msgs: &[RuleMessage]) -> Vec<Rule> {
    let mut out: Vec<Rule> = msgs.iter().filter_map(rule).collect();
    out.sort_by_key(|r| (r.is_ipv6(), r.priority));
    out
}

fn net(a: IpAddr, len: u8) -> Option<ipnet::IpNet> {
    ipnet::IpNet::new(a, len).ok().map(|n| n.trunc())
}

fn action_name(a: RuleAction) -> String {
    match a {
        RuleAction::ToTable => "lookup".into(),
        RuleAction::Goto => "goto".into(),
        RuleAction::Nop => "nop".into(),
        RuleAction::Blackhole => "blackhole".into(),
        RuleAction::Unreachable => "unreachable".into(),
        RuleAction::Prohibit => "prohibit".into(),
        RuleAction::Unspec => "unspec".into(),
        RuleAction::Other(n) => format!("action {n}"),
        _ => "other".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::rule::RuleHeader;

    fn msg(attrs: Vec<RuleAttribute>, header: RuleHeader) -> RuleMessage {
        let mut m = RuleMessage::default();
        m.header = header;
        m.attributes = attrs;
        m
    }

    #[test]
    fn a_rule_with_selectors_and_an_inverted_prohibit() {
        let h = RuleHeader {
            family: AddressFamily::Inet,
            src_len: 24,
            table: 100,
            action: RuleAction::ToTable,
            ..Default::default()
        };
        let r = rule(&msg(
            vec![
                RuleAttribute::Priority(100),
                RuleAttribute::Source("10.244.1.0".parse().unwrap()),
                RuleAttribute::Iifname("cni0".into()),
                RuleAttribute::Table(100),
                RuleAttribute::SuppressPrefixLen(u32::MAX),
            ],
            h,
        ))
        .unwrap();
        assert_eq!(r.summary(), "100: from 10.244.1.0/24 iif cni0 lookup 100");
        assert_eq!(r.suppress_prefixlen, None);
        let h = RuleHeader {
            family: AddressFamily::Inet,
            dst_len: 8,
            action: RuleAction::Prohibit,
            flags: RuleFlags::Invert,
            ..Default::default()
        };
        let r = rule(&msg(
            vec![
                RuleAttribute::Priority(200),
                RuleAttribute::Destination("10.0.0.0".parse().unwrap()),
                RuleAttribute::FwMark(0x10),
                RuleAttribute::FwMask(0xff),
            ],
            h,
        ))
        .unwrap();
        assert!(r.invert);
        assert_eq!(
            r.summary(),
            "200: not from all to 10.0.0.0/8 fwmark 0x10/0xff prohibit"
        );
        assert!(rule(&msg(vec![], RuleHeader::default())).is_none());
    }
}
