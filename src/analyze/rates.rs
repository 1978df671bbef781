//! Turns two samples of link counters into per-pod rates and drop/error
//! deltas for `veth top`. No I/O.

use std::cmp::Ordering;

use crate::model::netns::LinkStats;
use crate::model::{TopRow, VethPair};

/// The counters of one attachment at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    pub pod: LinkStats,
    pub host: Option<LinkStats>,
}

/// A counter's growth; a counter that went backwards (interface recreated) counts from zero.
fn grew(now: u64, before: u64) -> u64 {
    now.checked_sub(before).unwrap_or(now)
}

/// One row from the previous and current samples, `secs` apart.
pub fn row(pair: &VethPair, before: &Sample, now: &Sample, secs: f64) -> Option<TopRow> {
    let pod_if = pair.pod_if.as_ref()?;
    let per_s = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    let side_drops = |a: &LinkStats, b: &LinkStats| {
        grew(a.rx_dropped, b.rx_dropped) + grew(a.tx_dropped, b.tx_dropped)
    };
    let side_errors = |a: &LinkStats, b: &LinkStats| {
        grew(a.rx_errors, b.rx_errors) + grew(a.tx_errors, b.tx_errors)
    };
    let (host_drops, host_errors) = match (&now.host, &before.host) {
        (Some(n), Some(b)) => (side_drops(n, b), side_errors(n, b)),
        _ => (0, 0),
    };
    Some(TopRow {
        pod: pair.pod.as_ref().map(|p| p.display_name()),
        netns_inode: pair.netns_inode.unwrap_or(0),
        pod_if: pod_if.name.clone(),
        host_if: pair.host_if.as_ref().map(|h| h.name.clone()),
        rx_bytes_per_s: per_s(grew(now.pod.rx_bytes, before.pod.rx_bytes)),
        tx_bytes_per_s: per_s(grew(now.pod.tx_bytes, before.pod.tx_bytes)),
        rx_packets_per_s: per_s(grew(now.pod.rx_packets, before.pod.rx_packets)),
        tx_packets_per_s: per_s(grew(now.pod.tx_packets, before.pod.tx_packets)),
        drops: side_drops(&now.pod, &before.pod) + host_drops,
        errors: side_errors(&now.pod, &before.pod) + host_errors,
    })
}

/// Compares names as a person reads them: runs of digits by their value,
/// so `web-3-4` comes before `web-3-38`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (da, ra) = digit_run(a);
                let (db, rb) = digit_run(b);
                let (ta, tb) = (trim_zeros(da), trim_zeros(db));
                let by_value = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                let ord = by_value.then_with(|| da.len().cmp(&db.len()));
                if ord != Ordering::Equal {
                    return ord;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            _ => (a, b) = (&a[1..], &b[1..]),
        }
    }
}

/// The leading digits of `s` and what follows them.
fn digit_run(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|c| **c == b'0').count();
    &d[n.min(d.len().saturating_sub(1))..]
}

/// Busiest first, by bytes per second or by new drops and errors; ties by
/// name, in natural order.
pub fn sort(rows: &mut [TopRow], by_drops: bool, by_name: bool) {
    let name = |r: &TopRow| (r.pod.clone().unwrap_or_default(), r.pod_if.clone());
    let by_names = |a: &TopRow, b: &TopRow| {
        let ((pa, ia), (pb, ib)) = (name(a), name(b));
        natural_cmp(&pa, &pb).then_with(|| natural_cmp(&ia, &ib))
    };
    rows.sort_by(|a, b| {
        let primary = if by_name {
            Ordering::Equal
        } else if by_drops {
            (b.drops + b.errors).cmp(&(a.drops + a.errors))
        } else {
            (b.rx_bytes_per_s + b.tx_bytes_per_s)
                .partial_cmp(&(a.rx_bytes_per_s + a.tx_bytes_per_s))
                .unwrap_or(Ordering::Equal)
        };
        primary.then_with(|| by_names(a, b))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PairStatus, PodSide};

    fn pair(name: &str) -> VethPair {
        VethPair {
            pod: None,
            netns_inode: Some(7),
            pause_pid: None,
            pod_if: Some(PodSide {
                name: name.into(),
                ifindex: 2,
                mac: None,
                mtu: None,
                oper_state: "up".into(),
                addresses: vec![],
                kind: "veth".into(),
                routes: None,
            }),
            host_if: None,
            status: PairStatus::Paired,
            proof: vec![],
            stats: None,
        }
    }

    #[test]
    fn rates_and_deltas() {
        let before = Sample {
            pod: LinkStats {
                rx_bytes: 1000,
                tx_packets: 10,
                tx_dropped: 1,
                ..Default::default()
            },
            host: Some(LinkStats {
                rx_dropped: 5,
                ..Default::default()
            }),
        };
        let now = Sample {
            pod: LinkStats {
                rx_bytes: 5000,
                tx_packets: 30,
                tx_dropped: 3,
                ..Default::default()
            },
            host: Some(LinkStats {
                rx_dropped: 9,
                ..Default::default()
            }),
        };
        let r = row(&pair("eth0"), &before, &now, 2.0).unwrap();
        assert_eq!(r.rx_bytes_per_s, 2000.0);
        assert_eq!(r.tx_packets_per_s, 10.0);
        assert_eq!(r.drops, 2 + 4);
    }

    #[test]
    fn a_reset_counter_counts_from_zero_and_sorting() {
        let before = Sample {
            pod: LinkStats {
                rx_bytes: 900,
                ..Default::default()
            },
            host: None,
        };
        let now = Sample {
            pod: LinkStats {
                rx_bytes: 100,
                ..Default::default()
            },
            host: None,
        };
        let r = row(&pair("a"), &before, &now, 1.0).unwrap();
        assert_eq!(r.rx_bytes_per_s, 100.0);
        let mut rows = vec![
            r.clone(),
            TopRow {
                rx_bytes_per_s: 500.0,
                pod_if: "b".into(),
                ..r.clone()
            },
            TopRow {
                drops: 3,
                pod_if: "c".into(),
                ..r
            },
        ];
        sort(&mut rows, false, false);
        assert_eq!(rows[0].pod_if, "b");
        sort(&mut rows, true, false);
        assert_eq!(rows[0].pod_if, "c");
        sort(&mut rows, false, true);
        assert_eq!(
            rows.iter().map(|r| r.pod_if.as_str()).collect::<Vec<_>>(),
            vec!["a", "b", "c"]
        );
    }

    #[test]
    fn names_sort_as_people_read_them() {
        let mut names = vec![
            "web-3-4", "web-3-38", "web-3-39", "web-10-1", "web-2-1", "web-3-04", "api",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "api", "web-2-1", "web-3-4", "web-3-04", "web-3-38", "web-3-39", "web-10-1"
            ]
        );
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
        assert_eq!(natural_cmp("a9", "a10"), Ordering::Less);
        assert_eq!(natural_cmp("eth0", "eth"), Ordering::Greater);
        assert_eq!(natural_cmp("x00", "x0"), Ordering::Greater);
    }
}
