//! Names and attributes the kernel's packet drops: the reason by the
//! running kernel's own names, the location from kallsyms, the namespace
//! and the pod from the machine's inventory and the flow's addresses.
//! Filters them, thins a stream to a few lines a second per kind of drop
//! (counting the rest), and tallies a summary. No I/O.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use crate::discover::drop_event::RawDrop;
use crate::discover::kallsyms::Symbols;
use crate::discover::tracepoint::KfreeSkbLine;
use crate::model::Netns;
use crate::model::drops::{Drop, ProbeDrop, SummaryRow};

/// What names reasons and locations.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub reasons: BTreeMap<u32, String>,
    pub symbols: Symbols,
}

impl Names {
    pub fn reason(&self, code: u32) -> String {
        self.reasons
            .get(&code)
            .cloned()
            .unwrap_or_else(|| format!("reason {code}"))
    }
}

/// The machine's namespaces and pods, for attribution.
#[derive(Debug, Clone, Default)]
pub struct Places {
    /// inode → (how the namespace is named, its pod).
    netns: HashMap<u64, (String, Option<String>)>,
    /// A pod's address → the pod.
    pod_ips: HashMap<IpAddr, String>,
}

impl Places {
    pub fn from_namespaces(nss: &[Netns]) -> Places {
        let mut p = Places::default();
        for n in nss {
            let pod = n.pod.as_ref().map(|x| x.display_name());
            let label = match (&pod, n.host) {
                (Some(name), _) => format!("pod {name}"),
                (None, true) => "the host".to_string(),
                (None, false) => match n.paths.first() {
                    Some(path) => format!("netns {} ({path})", n.inode),
                    None => format!("netns {}", n.inode),
                },
            };
            if let Some(name) = &pod {
                for ip in n.global_ips() {
                    p.pod_ips.insert(ip, name.clone());
                }
            }
            p.netns.insert(n.inode, (label, pod));
        }
        p
    }

    pub fn knows(&self, inode: u64) -> bool {
        self.netns.contains_key(&inode)
    }
}

/// A drop from the probe's record, named and attributed.
pub fn attribute(raw: &RawDrop, names: &Names, places: &Places, ms: u64) -> Drop {
    let ns = (raw.netns != 0).then_some(raw.netns);
    let (netns, ns_pod) = match ns.and_then(|i| places.netns.get(&i)) {
        Some((label, pod)) => (Some(label.clone()), pod.clone()),
        None => (ns.map(|i| format!("netns {i}")), None),
    };
    // a pod by its address only where the namespace is one podnet sees: an
    // address means nothing in a namespace it cannot see (another PID
    // namespace's pods may reuse it)
    let flow = raw
        .flow
        .as_ref()
        .filter(|_| ns.is_some_and(|i| places.knows(i)));
    let src_pod = flow.and_then(|f| places.pod_ips.get(&f.src).cloned());
    let dst_pod = flow.and_then(|f| places.pod_ips.get(&f.dst).cloned());
    let flow = raw.flow.as_ref();
    Drop {
        ms,
        reason: names.reason(raw.reason),
        location: names.symbols.name(raw.location),
        netns_inode: ns,
        netns,
        pod: ns_pod
            .or_else(|| src_pod.clone())
            .or_else(|| dst_pod.clone()),
        src_pod,
        dst_pod,
        interface: (!raw.ifname.is_empty()).then(|| raw.ifname.clone()),
        protocol: match raw.protocol {
            0x0800 => "ipv4".into(),
            0x86dd => "ipv6".into(),
            p => format!("{p:#06x}"),
        },
        src: flow.map(|f| f.src.to_string()),
        dst: flow.map(|f| f.dst.to_string()),
        proto: flow.map(|f| f.proto.clone()),
        sport: flow.and_then(|f| f.sport),
        dport: flow.and_then(|f| f.dport),
        icmp_id: flow.and_then(|f| f.icmp_id),
        count: 1,
    }
}

/// A drop from a tracefs line: the reason and location only.
pub fn from_trace_line(l: &KfreeSkbLine, ms: u64) -> Drop {
    Drop {
        ms,
        reason: l.reason.clone(),
        location: l.location.clone(),
        netns_inode: None,
        netns: None,
        pod: None,
        src_pod: None,
        dst_pod: None,
        interface: None,
        protocol: match l.protocol {
            Some(0x0800) => "ipv4".into(),
            Some(0x86dd) => "ipv6".into(),
            Some(p) => format!("{p:#06x}"),
            None => "?".into(),
        },
        src: None,
        dst: None,
        proto: None,
        sport: None,
        dport: None,
        icmp_id: None,
        count: 1,
    }
}

/// Which drops to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Pods (as named in drops) and their namespaces.
    pub pods: Vec<(String, u64)>,
    pub netns: Option<u64>,
    /// Reason names, upper case.
    pub reasons: Vec<String>,
    pub proto: Option<String>,
}

impl Filter {
    pub fn admits(&self, d: &Drop) -> bool {
        let pod_ok = self.pods.is_empty()
            || self.pods.iter().any(|(name, inode)| {
                [&d.pod, &d.src_pod, &d.dst_pod]
                    .iter()
                    .any(|p| p.as_deref() == Some(name.as_str()))
                    || d.netns_inode == Some(*inode)
            });
        let ns_ok = self.netns.is_none_or(|n| d.netns_inode == Some(n));
        let reason_ok = self.reasons.is_empty() || self.reasons.contains(&d.reason);
        let proto_ok = self
            .proto
            .as_ref()
            .is_none_or(|p| d.proto.as_deref() == Some(p.as_str()));
        pod_ok && ns_ok && reason_ok && proto_ok
    }
}

/// A probe's packets: from the pod's address to the target, with the
/// ICMP identifier or the target's port.
#[derive(Debug, Clone)]
pub struct ProbeFlow {
    pub from: IpAddr,
    pub target: IpAddr,
    /// `icmp`, `tcp` or `udp`.
    pub proto: String,
    pub icmp_id: Option<u16>,
    pub port: Option<u16>,
    /// The prober's namespace.
    pub from_netns: u64,
}

/// The kernel's copy of an echo reply for ping sockets, freed when none is
/// open: podnet's prober reads the reply on a raw socket, which got its own.
fn unclaimed_echo_copy(d: &Drop, p: &ProbeFlow) -> bool {
    p.proto == "icmp" && d.reason == "NO_SOCKET" && d.netns_inode == Some(p.from_netns)
}

/// The drops that are the probe's own packets, request or reply.
pub fn of_probe(drops: &[Drop], p: &ProbeFlow) -> Vec<ProbeDrop> {
    let (from, target) = (p.from.to_string(), p.target.to_string());
    let same_proto = |d: &Drop| {
        d.proto.as_deref() == Some(p.proto.as_str())
            || (p.proto == "icmp" && d.proto.as_deref() == Some("icmpv6"))
    };
    let id_ok = |d: &Drop| p.icmp_id.is_none() || d.icmp_id.is_none() || d.icmp_id == p.icmp_id;
    drops
        .iter()
        .filter(|d| same_proto(d) && id_ok(d) && !unclaimed_echo_copy(d, p))
        .filter_map(|d| {
            let (src, dst) = (d.src.as_deref()?, d.dst.as_deref()?);
            let direction =
                if src == from && dst == target && (p.port.is_none() || d.dport == p.port) {
                    "request"
                } else if src == target && dst == from && (p.port.is_none() || d.sport == p.port) {
                    "reply"
                } else {
                    return None;
                };
            Some(ProbeDrop {
                direction: direction.into(),
                drop: d.clone(),
            })
        })
        .collect()
}

/// What makes two drops "alike" for thinning and the summary.
type Kind = (String, String, Option<String>, Option<String>);

fn kind(d: &Drop) -> Kind {
    (
        d.reason.clone(),
        d.location.clone(),
        d.pod.clone(),
        d.netns.clone(),
    )
}

/// Lets through the first `per_second` drops of each kind in every second,
/// and then one line per kind with the count of the rest.
#[derive(Debug)]
pub struct Limiter {
    per_second: u64,
    window: u64,
    seen: HashMap<Kind, (u64, Option<Drop>)>,
}

impl Limiter {
    pub fn new(per_second: u64) -> Limiter {
        Limiter {
            per_second,
            window: 0,
            seen: HashMap::new(),
        }
    }

    /// The lines to print now for `d` (none when it is counted for later).
    pub fn admit(&mut self, d: Drop) -> Vec<Drop> {
        let mut out = self.flush_before(d.ms / 1000);
        let e = self.seen.entry(kind(&d)).or_insert((0, None));
        e.0 += 1;
        if e.0 <= self.per_second {
            out.push(d);
        } else {
            match &mut e.1 {
                Some(s) => s.count += 1,
                None => e.1 = Some(d),
            }
        }
        out
    }

    /// The counted lines of windows before `second`.
    pub fn flush_before(&mut self, second: u64) -> Vec<Drop> {
        if second <= self.window {
            return Vec::new();
        }
        self.window = second;
        let mut out: Vec<Drop> = self.seen.drain().filter_map(|(_, (_, s))| s).collect();
        out.sort_by_key(|d| d.ms);
        out
    }

    /// Everything still counted.
    pub fn finish(&mut self) -> Vec<Drop> {
        self.flush_before(u64::MAX)
    }
}

/// Counts by reason × location × pod.
#[derive(Debug, Default)]
pub struct Tally {
    counts: BTreeMap<Kind, u64>,
    pub total: u64,
}

impl Tally {
    pub fn add(&mut self, d: &Drop) {
        *self.counts.entry(kind(d)).or_default() += d.count;
        self.total += d.count;
    }

    /// Most frequent first.
    pub fn rows(&self) -> Vec<SummaryRow> {
        let mut rows: Vec<SummaryRow> = self
            .counts
            .iter()
            .map(|((reason, location, pod, netns), n)| SummaryRow {
                reason: reason.clone(),
                location: location.clone(),
                pod: pod.clone(),
                netns: netns.clone(),
                count: *n,
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.count));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::drop_event::Flow;

    fn raw(netns: u64, src: &str, dst: &str) -> RawDrop {
        RawDrop {
            location: 0xffff_ffff_81a0_01a0,
            reason: 31,
            netns,
            ifindex: 3,
            ifname: "cni0".into(),
            protocol: 0x0800,
            flow: Some(Flow {
                src: src.parse().unwrap(),
                dst: dst.parse().unwrap(),
                proto: "icmp".into(),
                sport: None,
                dport: None,
                icmp_id: Some(7),
            }),
        }
    }

    fn places() -> Places {
        let mut p = Places::default();
        p.netns.insert(10, ("the host".into(), None));
        p.netns
            .insert(20, ("pod default/a".into(), Some("default/a".into())));
        p.pod_ips
            .insert("10.244.1.2".parse().unwrap(), "default/a".into());
        p
    }

    fn names() -> Names {
        Names {
            reasons: [(31, "IP_RPFILTER".to_string())].into(),
            symbols: Symbols::parse("ffffffff81a00000 T ip_rcv_finish_core\n"),
        }
    }

    #[test]
    fn a_drop_on_the_node_is_the_pod_whose_packet_it_was() {
        let d = attribute(&raw(10, "10.244.2.2", "10.244.1.2"), &names(), &places(), 5);
        assert_eq!(d.reason, "IP_RPFILTER");
        assert_eq!(d.location, "ip_rcv_finish_core+0x1a0");
        assert_eq!(d.netns.as_deref(), Some("the host"));
        assert_eq!(d.pod.as_deref(), Some("default/a"));
        assert_eq!((d.src_pod, d.dst_pod.as_deref()), (None, Some("default/a")));
        assert_eq!(d.interface.as_deref(), Some("cni0"));
        assert_eq!(d.icmp_id, Some(7));
        // an unknown namespace and a flow of no pod: nothing invented
        let d = attribute(&raw(99, "192.0.2.1", "192.0.2.2"), &names(), &places(), 5);
        assert_eq!((d.netns.as_deref(), d.pod), (Some("netns 99"), None));
        // a pod's address in a namespace podnet cannot see is not that pod
        let d = attribute(&raw(99, "10.244.2.2", "10.244.1.2"), &names(), &places(), 5);
        assert_eq!((d.pod, d.dst_pod), (None, None));
        let mut r = raw(0, "192.0.2.1", "192.0.2.2");
        r.reason = 500;
        let d = attribute(&r, &names(), &places(), 5);
        assert_eq!((d.netns_inode, d.reason.as_str()), (None, "reason 500"));
    }

    #[test]
    fn filters() {
        let d = attribute(&raw(10, "10.244.2.2", "10.244.1.2"), &names(), &places(), 5);
        assert!(Filter::default().admits(&d));
        let by_pod = Filter {
            pods: vec![("default/a".into(), 20)],
            ..Default::default()
        };
        assert!(by_pod.admits(&d));
        let other_pod = Filter {
            pods: vec![("default/b".into(), 30)],
            ..Default::default()
        };
        assert!(!other_pod.admits(&d));
        let reason = Filter {
            reasons: vec!["NETFILTER_DROP".into()],
            ..Default::default()
        };
        assert!(!reason.admits(&d));
        let proto = Filter {
            proto: Some("icmp".into()),
            netns: Some(10),
            ..Default::default()
        };
        assert!(proto.admits(&d));
    }

    #[test]
    fn a_flood_is_thinned_and_counted_and_the_tally_sees_all() {
        let mut lim = Limiter::new(2);
        let mut tally = Tally::default();
        let mut printed = Vec::new();
        for ms in 0..100 {
            let d = attribute(
                &raw(10, "10.244.2.2", "10.244.1.2"),
                &names(),
                &places(),
                ms,
            );
            tally.add(&d);
            printed.extend(lim.admit(d));
        }
        printed.extend(lim.finish());
        assert_eq!(printed.len(), 3);
        assert_eq!(printed[2].count, 98);
        assert_eq!(printed.iter().map(|d| d.count).sum::<u64>(), 100);
        assert_eq!(tally.total, 100);
        assert_eq!(tally.rows()[0].count, 100);
    }

    #[test]
    fn a_probes_own_packets_in_both_directions_and_no_one_elses() {
        let p = ProbeFlow {
            from: "10.244.1.2".parse().unwrap(),
            target: "10.244.2.2".parse().unwrap(),
            proto: "icmp".into(),
            icmp_id: Some(7),
            port: None,
            from_netns: 20,
        };
        let request = attribute(&raw(10, "10.244.1.2", "10.244.2.2"), &names(), &places(), 1);
        let reply = attribute(&raw(10, "10.244.2.2", "10.244.1.2"), &names(), &places(), 2);
        let mut other_id = request.clone();
        other_id.icmp_id = Some(8);
        let other_pod = attribute(&raw(10, "10.244.1.3", "10.244.2.2"), &names(), &places(), 3);
        let mut copy = reply.clone();
        copy.reason = "NO_SOCKET".into();
        copy.netns_inode = Some(20);
        let got = of_probe(&[request, reply, other_id, other_pod, copy], &p);
        let dirs: Vec<&str> = got.iter().map(|d| d.direction.as_str()).collect();
        assert_eq!(dirs, vec!["request", "reply"]);
    }
}
