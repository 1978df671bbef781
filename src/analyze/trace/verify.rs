//! `trace --verify`: whether a real probe, and the kernel's drops of its
//! packets, agree with the hop trace marked as the one that stops the
//! flow. No I/O.

use crate::model::drops::ProbeDrop;
use crate::model::probe::ProbeRun;
use crate::model::trace::{Agreement, Hop, HopStatus};

/// The probe's fate against the trace's `hops`.
pub fn judge(hops: &[Hop], run: &ProbeRun) -> (Agreement, String) {
    let drops = run.why.as_deref().unwrap_or_default();
    let stop = hops.iter().find(|h| h.status != HopStatus::Ok);
    let through = run.received > 0;
    let tally = format!("{} of {} answered", run.received, run.sent);
    let not_sent = run
        .attempts
        .iter()
        .find(|a| a.result.starts_with("not sent"));
    if let (false, true, Some(a)) = (through, drops.is_empty(), not_sent) {
        return (Agreement::Unconfirmed, format!("the probe {}", a.result));
    }
    match stop {
        None if through => (Agreement::Agrees, format!("delivered, as traced ({tally})")),
        None => match drops.first() {
            Some(d) => (
                Agreement::Disagrees,
                format!("traced as delivered, but the kernel dropped {}", said(d)),
            ),
            None => (
                Agreement::Disagrees,
                format!(
                    "traced as delivered, but the probe was lost ({tally}) and no kernel drop on this machine names it"
                ),
            ),
        },
        Some(h) if h.status == HopStatus::Unknown => {
            let what = if through {
                format!("the probe got through ({tally})")
            } else {
                match drops.first() {
                    Some(d) => format!("the kernel dropped {}", said(d)),
                    None => format!("the probe was lost ({tally}) beyond this machine"),
                }
            };
            let agreement = if through {
                Agreement::Agrees
            } else {
                Agreement::Unconfirmed
            };
            (
                agreement,
                format!("trace sees no further than hop {}; {what}", h.index),
            )
        }
        Some(h) if through => (
            Agreement::Disagrees,
            format!(
                "traced as blocked in the {} at hop {}, but the probe got through ({tally})",
                h.direction.as_str(),
                h.index
            ),
        ),
        Some(h) => blocked_and_lost(h, drops, &tally),
    }
}

/// A blocked hop `h`, the probe lost: where the kernel dropped it.
fn blocked_and_lost(h: &Hop, drops: &[ProbeDrop], tally: &str) -> (Agreement, String) {
    let same_way = |d: &&ProbeDrop| d.direction == h.direction.as_str();
    let at_hop = drops
        .iter()
        .filter(same_way)
        .find(|d| h.netns_inode.is_some() && d.drop.netns_inode == h.netns_inode);
    if let Some(d) = at_hop {
        return (
            Agreement::Agrees,
            format!(
                "the kernel agrees with hop {}: it dropped {}",
                h.index,
                said(d)
            ),
        );
    }
    if let Some(d) = drops.iter().find(same_way) {
        return (
            Agreement::AgreesInDirection,
            format!(
                "the kernel dropped {}, not in hop {}'s namespace",
                said(d),
                h.index
            ),
        );
    }
    match drops.first() {
        Some(d) => (
            Agreement::Disagrees,
            format!(
                "traced as blocked in the {} at hop {}, but the kernel dropped {}",
                h.direction.as_str(),
                h.index,
                said(d)
            ),
        ),
        None => (
            Agreement::Unconfirmed,
            format!(
                "lost ({tally}), and no kernel drop on this machine names it: hop {} stands unconfirmed (a packet the pod never builds leaves none)",
                h.index
            ),
        ),
    }
}

/// `the request: IP_RPFILTER in netns … on eth0 at ip_rcv_finish_core+0x260`.
fn said(d: &ProbeDrop) -> String {
    format!("the {}: {}", d.direction, d.drop.said())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::drops::Drop;
    use crate::model::probe::ProbeAttempt;
    use crate::model::trace::Direction;

    fn hop(index: usize, direction: Direction, inode: u64, status: HopStatus) -> Hop {
        Hop {
            index,
            direction,
            at: format!("netns {inode}"),
            netns_inode: Some(inode),
            step: "FIB lookup".into(),
            detail: String::new(),
            status,
            reason: None,
            cause: None,
        }
    }

    fn path(blocked_at: Option<(Direction, u64, HopStatus)>) -> Vec<Hop> {
        let mut hops = vec![
            hop(1, Direction::Request, 1, HopStatus::Ok),
            hop(2, Direction::Request, 2, HopStatus::Ok),
        ];
        if let Some((d, inode, status)) = blocked_at {
            hops.push(hop(3, d, inode, status));
        }
        hops
    }

    fn dropped(direction: &str, inode: u64, reason: &str) -> ProbeDrop {
        ProbeDrop {
            direction: direction.into(),
            drop: Drop {
                reason: reason.into(),
                location: "ip_error+0x94".into(),
                netns_inode: Some(inode),
                netns: Some(format!("netns {inode}")),
                interface: Some("eth0".into()),
                ..Default::default()
            },
        }
    }

    fn run(received: usize, why: Vec<ProbeDrop>) -> ProbeRun {
        let attempts: Vec<ProbeAttempt> = (0..2)
            .map(|i| ProbeAttempt {
                seq: i + 1,
                ok: (i as usize) < received,
                result: "timeout".into(),
                latency_ms: None,
            })
            .collect();
        ProbeRun {
            from: "pod a".into(),
            from_netns: 1,
            target: "10.0.0.2".into(),
            mode: "icmp".into(),
            attempts,
            sent: 2,
            received,
            loss_pct: 0.0,
            rtt: None,
            icmp_id: Some(7),
            why: Some(why),
        }
    }

    #[test]
    fn a_drop_in_the_blocked_hops_direction_and_namespace_agrees() {
        let hops = path(Some((Direction::Reply, 2, HopStatus::Blocked)));
        let (a, v) = judge(&hops, &run(0, vec![dropped("reply", 2, "IP_RPFILTER")]));
        assert_eq!(a, Agreement::Agrees);
        assert!(v.contains("hop 3") && v.contains("IP_RPFILTER"), "{v}");
    }

    #[test]
    fn the_same_direction_elsewhere_or_the_other_direction_are_told_apart() {
        let hops = path(Some((Direction::Request, 2, HopStatus::Blocked)));
        let (a, _) = judge(&hops, &run(0, vec![dropped("request", 9, "OTHERHOST")]));
        assert_eq!(a, Agreement::AgreesInDirection);
        let (a, v) = judge(&hops, &run(0, vec![dropped("reply", 2, "NETFILTER_DROP")]));
        assert_eq!(a, Agreement::Disagrees);
        assert!(v.contains("the reply"), "{v}");
    }

    #[test]
    fn getting_through_a_blocked_hop_or_dying_on_a_delivered_path_disagrees() {
        let blocked = path(Some((Direction::Request, 2, HopStatus::Blocked)));
        assert_eq!(judge(&blocked, &run(2, vec![])).0, Agreement::Disagrees);
        let clear = path(None);
        assert_eq!(judge(&clear, &run(2, vec![])).0, Agreement::Agrees);
        let (a, v) = judge(&clear, &run(0, vec![dropped("request", 1, "NEIGH_FAILED")]));
        assert_eq!(a, Agreement::Disagrees);
        assert!(v.contains("NEIGH_FAILED"), "{v}");
        assert_eq!(judge(&clear, &run(0, vec![])).0, Agreement::Disagrees);
    }

    #[test]
    fn no_drop_on_this_machine_leaves_a_blocked_or_unseen_hop_unconfirmed() {
        let blocked = path(Some((Direction::Request, 1, HopStatus::Blocked)));
        assert_eq!(judge(&blocked, &run(0, vec![])).0, Agreement::Unconfirmed);
        let unseen = path(Some((Direction::Request, 2, HopStatus::Unknown)));
        assert_eq!(judge(&unseen, &run(0, vec![])).0, Agreement::Unconfirmed);
        assert_eq!(judge(&unseen, &run(1, vec![])).0, Agreement::Agrees);
    }

    #[test]
    fn a_probe_that_could_not_be_sent_confirms_nothing() {
        let mut r = run(0, vec![]);
        r.attempts[0].result = "not sent: no such namespace".into();
        let (a, v) = judge(&path(None), &r);
        assert_eq!(a, Agreement::Unconfirmed);
        assert!(v.contains("not sent"), "{v}");
    }
}
