//! Renders `veth list`, `veth pair` and `veth top` as tables or JSON.

use std::io::Write;

use colored::Colorize;

use crate::error::Written;
use crate::model::netns::LinkStats;
use crate::model::{OperState, PairStatus, SideStats, VethPair, VethReport};

use super::{Esc, Style, esc, none, table, write_json, write_table};

pub fn json(out: &mut dyn Write, report: &VethReport) -> Written {
    write_json(out, report)
}

fn status_cell(p: &VethPair, style: &Style) -> String {
    let s = match p.status {
        PairStatus::Paired => "paired",
        PairStatus::PeerNotFound => "peer-not-found",
        PairStatus::PeerInSameNetns => "peer-in-same-netns",
        PairStatus::NotVeth => "not-veth",
        PairStatus::Orphan => "orphan",
    };
    if !style.color {
        return s.into();
    }
    match p.status {
        PairStatus::Paired => s.green().to_string(),
        PairStatus::NotVeth | PairStatus::PeerInSameNetns => s.normal().to_string(),
        PairStatus::PeerNotFound | PairStatus::Orphan => s.red().to_string(),
    }
}

fn state(st: &OperState, style: &Style) -> String {
    let s = st.as_str();
    if !style.color {
        return s.into();
    }
    match st {
        OperState::Up => s.green().to_string(),
        OperState::Down | OperState::LowerLayerDown => s.red().to_string(),
        _ => s.normal().to_string(),
    }
}

/// `eth0@if17`, the way `ip link` names a veth by its peer.
fn pod_if_name(p: &VethPair) -> Option<String> {
    let i = p.pod_if.as_ref()?;
    Some(match &p.host_if {
        Some(h) => format!("{}@if{}", Esc(&i.name), h.ifindex),
        None => esc(&i.name),
    })
}

fn pod_cell(p: &VethPair, style: &Style) -> String {
    match (&p.pod, p.status) {
        (Some(pod), _) => esc(&pod.display_name()),
        (None, PairStatus::Orphan) => {
            if style.color {
                "(no pod)".yellow().to_string()
            } else {
                "(no pod)".into()
            }
        }
        (None, _) => none(style),
    }
}

/// `veth list` as a table; `--stats` adds counters, `-o wide` MACs, MTUs and the netns.
pub fn list_table(out: &mut dyn Write, report: &VethReport, stats: bool, style: &Style) -> Written {
    let mut headers = vec![
        "POD", "POD IF", "ADDRESS", "HOST IF", "MASTER", "STATE", "STATUS",
    ];
    if style.wide {
        headers.extend(["NETNS", "PAUSE", "POD MAC", "HOST MAC", "MTU"]);
    }
    if stats {
        headers.extend(["RX PKTS", "TX PKTS", "RX DROP", "TX DROP", "ERRORS"]);
    }
    let mut t = table(&headers, style);
    for p in &report.pairs {
        let pod_if = p.pod_if.as_ref();
        let host_if = p.host_if.as_ref();
        let states = format!(
            "{}/{}",
            pod_if
                .map(|i| state(&i.oper_state, style))
                .unwrap_or_else(|| none(style)),
            host_if
                .map(|h| state(&h.oper_state, style))
                .unwrap_or_else(|| none(style))
        );
        let mut row = vec![
            pod_cell(p, style),
            pod_if_name(p).unwrap_or_else(|| none(style)),
            pod_if
                .and_then(|i| {
                    i.addresses
                        .iter()
                        .find(|a| a.addr().is_ipv4())
                        .or(i.addresses.first())
                        .map(|a| a.to_string())
                })
                .unwrap_or_else(|| none(style)),
            host_if.map(|h| esc(&h.name)).unwrap_or_else(|| none(style)),
            host_if
                .and_then(|h| h.master.as_deref())
                .map(esc)
                .unwrap_or_else(|| none(style)),
            states,
            status_cell(p, style),
        ];
        if style.wide {
            row.push(
                p.netns_inode
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| none(style)),
            );
            row.push(
                p.pause_pid
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| none(style)),
            );
            row.push(
                pod_if
                    .and_then(|i| i.mac.as_deref())
                    .map(esc)
                    .unwrap_or_else(|| none(style)),
            );
            row.push(
                host_if
                    .and_then(|h| h.mac.as_deref())
                    .map(esc)
                    .unwrap_or_else(|| none(style)),
            );
            let mtu = |m: Option<u32>| m.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
            row.push(format!(
                "{}/{}",
                mtu(pod_if.and_then(|i| i.mtu)),
                mtu(host_if.and_then(|h| h.mtu))
            ));
        }
        if stats {
            // counters of the pod side, or of the host side for an orphan
            let s = p
                .stats
                .as_ref()
                .and_then(|s| s.pod_if.as_ref().or(s.host_if.as_ref()));
            let v = |f: fn(&SideStats) -> u64| {
                s.map(|s| f(s).to_string()).unwrap_or_else(|| none(style))
            };
            row.push(v(|s| s.link.rx_packets));
            row.push(v(|s| s.link.tx_packets));
            row.push(v(|s| s.link.rx_dropped));
            row.push(v(|s| s.link.tx_dropped));
            row.push(v(|s| s.link.rx_errors + s.link.tx_errors));
        }
        t.add_row(row);
    }
    write_table(out, &t)
}

/// `veth pair`: one attachment, vertically, with its proof and counters.
pub fn pair_detail(out: &mut dyn Write, p: &VethPair, style: &Style) -> Written {
    let label = |s: &str| {
        if style.color {
            format!("{:<10}", s).bold().to_string()
        } else {
            format!("{s:<10}")
        }
    };
    let who = p
        .pod
        .as_ref()
        .map(|x| esc(&x.display_name()))
        .unwrap_or_else(|| "(no pod)".into());
    let mut where_ = Vec::new();
    if let Some(i) = p.netns_inode {
        where_.push(format!("netns {i}"));
    }
    if let Some(pid) = p.pause_pid {
        where_.push(format!("pause {pid}"));
    }
    if where_.is_empty() {
        writeln!(out, "{} {who}", label("Pod"))?;
    } else {
        writeln!(out, "{} {who} ({})", label("Pod"), where_.join(", "))?;
    }
    if let Some(i) = &p.pod_if {
        writeln!(
            out,
            "{} {}  ifindex {}  {}  mtu {}  {}  {}  {}",
            label("Pod side"),
            pod_if_name(p).unwrap_or_default(),
            i.ifindex,
            Esc(i.kind.as_str()),
            i.mtu.map(|m| m.to_string()).unwrap_or_else(|| "?".into()),
            Esc(i.mac.as_deref().unwrap_or("-")),
            state(&i.oper_state, style),
            if i.addresses.is_empty() {
                "-".into()
            } else {
                i.addresses
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        )?;
        if let Some(routes) = i.routes.as_ref().filter(|r| !r.is_empty()) {
            let routes: Vec<String> = routes.iter().map(|r| esc(r)).collect();
            writeln!(out, "{} routes: {}", label(""), routes.join("; "))?;
        }
    }
    match &p.host_if {
        Some(h) => writeln!(
            out,
            "{} {}  ifindex {}  mtu {}  {}  {}  master {}  (netns {})",
            label("Host side"),
            Esc(&h.name),
            h.ifindex,
            h.mtu.map(|m| m.to_string()).unwrap_or_else(|| "?".into()),
            Esc(h.mac.as_deref().unwrap_or("-")),
            state(&h.oper_state, style),
            Esc(h.master.as_deref().unwrap_or("-")),
            h.netns_inode
        )?,
        None => writeln!(out, "{} {}", label("Host side"), none(style))?,
    }
    writeln!(out, "{} {}", label("Status"), status_cell(p, style))?;
    for (i, line) in p.proof.iter().enumerate() {
        writeln!(
            out,
            "{} {}",
            label(if i == 0 { "Proof" } else { "" }),
            Esc(line)
        )?;
    }
    if let Some(stats) = &p.stats {
        writeln!(out)?;
        stats_table(out, p, stats.pod_if.as_ref(), stats.host_if.as_ref(), style)?;
    }
    Ok(())
}

fn stats_table(
    out: &mut dyn Write,
    p: &VethPair,
    pod: Option<&SideStats>,
    host: Option<&SideStats>,
    style: &Style,
) -> Written {
    let pod_name = p
        .pod_if
        .as_ref()
        .map(|i| esc(&i.name))
        .unwrap_or_else(|| "pod".into());
    let host_name = p
        .host_if
        .as_ref()
        .map(|h| esc(&h.name))
        .unwrap_or_else(|| "host".into());
    let mut t = table(&["COUNTER", &pod_name, &host_name], style);
    let cell = |s: Option<&SideStats>, f: &dyn Fn(&SideStats) -> Option<u64>| {
        s.and_then(f)
            .map(|v| v.to_string())
            .unwrap_or_else(|| none(style))
    };
    let counter = |s: Option<&SideStats>, i: usize| {
        s.map(|s| s.link.fields()[i].1.to_string())
            .unwrap_or_else(|| none(style))
    };
    for (i, (name, _)) in LinkStats::default().fields().iter().enumerate() {
        t.add_row(vec![name.to_string(), counter(pod, i), counter(host, i)]);
    }
    let mut names: Vec<&String> = pod
        .iter()
        .chain(host.iter())
        .flat_map(|s| s.ethtool.keys())
        .collect();
    names.sort();
    names.dedup();
    for n in names {
        t.add_row(vec![
            format!("ethtool {}", Esc(n)),
            cell(pod, &|s| s.ethtool.get(n).copied()),
            cell(host, &|s| s.ethtool.get(n).copied()),
        ]);
    }
    write_table(out, &t)
}

/// `12.3 KB/s`, `1.2 MB/s`.
fn human_rate(bytes_per_s: f64) -> String {
    const UNITS: [&str; 5] = ["B/s", "KB/s", "MB/s", "GB/s", "TB/s"];
    let mut v = bytes_per_s;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", UNITS[0])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// One `veth top` sample as a table; on a terminal the screen is redrawn.
/// One `veth top` frame. With `fit` (the rows a terminal has room for,
/// a redrawn screen only), the busiest rows that fit and a line for the
/// rest, so the header stays on screen.
pub fn top_table(
    out: &mut dyn Write,
    rows: &[crate::model::TopRow],
    interval: f64,
    redraw: bool,
    fit: Option<usize>,
    style: &Style,
) -> Written {
    if redraw {
        write!(out, "\x1b[H\x1b[2J")?;
        writeln!(
            out,
            "podnet veth top: every {interval}s, {} interfaces; Ctrl-C to quit\n",
            rows.len()
        )?;
    } else {
        writeln!(out)?;
    }
    let mut t = table(
        &[
            "POD", "POD IF", "HOST IF", "RX", "TX", "RX PPS", "TX PPS", "+DROPS", "+ERRORS",
        ],
        style,
    );
    let shown = fit.map_or(rows.len(), |n| n.min(rows.len()));
    for r in &rows[..shown] {
        let flag = |n: u64| {
            if n > 0 && style.color {
                n.to_string().red().bold().to_string()
            } else {
                n.to_string()
            }
        };
        t.add_row(vec![
            r.pod.as_deref().map(esc).unwrap_or_else(|| none(style)),
            esc(&r.pod_if),
            r.host_if.as_deref().map(esc).unwrap_or_else(|| none(style)),
            human_rate(r.rx_bytes_per_s),
            human_rate(r.tx_bytes_per_s),
            format!("{:.0}", r.rx_packets_per_s),
            format!("{:.0}", r.tx_packets_per_s),
            flag(r.drops),
            flag(r.errors),
        ]);
    }
    write_table(out, &t)?;
    if shown < rows.len() {
        writeln!(
            out,
            "… {} more (a taller window shows them; -o json has every row)",
            rows.len() - shown
        )?;
    }
    Ok(())
}

/// One `veth top -o json` sample: a JSON object on one line.
pub fn top_json_line(
    out: &mut dyn Write,
    sample: u64,
    secs: f64,
    rows: &[crate::model::TopRow],
) -> Written {
    let v = serde_json::json!({ "sample": sample, "interval_s": secs, "pods": rows });
    serde_json::to_writer(&mut *out, &v).map_err(std::io::Error::other)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HostSide;

    #[test]
    fn an_orphan_has_no_empty_parentheses() {
        let p = VethPair {
            pod: None,
            netns_inode: None,
            pause_pid: None,
            pod_if: None,
            host_if: Some(HostSide {
                name: "cali0123456789a".into(),
                ifindex: 7,
                mac: None,
                mtu: Some(1500),
                oper_state: "up".into(),
                master: None,
                netns_inode: 1,
            }),
            status: PairStatus::Orphan,
            proof: vec!["no peer".into()],
            stats: None,
        };
        let style = Style {
            color: false,
            wide: false,
            verbose: 0,
        };
        let mut out = Vec::new();
        pair_detail(&mut out, &p, &style).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().next(), Some("Pod        (no pod)"), "{text}");
    }

    #[test]
    fn a_top_frame_that_fits_the_screen_keeps_its_header_and_counts_the_rest() {
        let row = |i: usize| crate::model::TopRow {
            pod: Some(format!("default/web-{i}")),
            netns_inode: i as u64,
            pod_if: "eth0".into(),
            host_if: Some(format!("veth{i}")),
            rx_bytes_per_s: 0.0,
            tx_bytes_per_s: 0.0,
            rx_packets_per_s: 0.0,
            tx_packets_per_s: 0.0,
            drops: 0,
            errors: 0,
        };
        let rows: Vec<_> = (0..5).map(row).collect();
        let style = Style {
            color: false,
            wide: false,
            verbose: 0,
        };
        let mut out = Vec::new();
        top_table(&mut out, &rows, 2.0, true, Some(2), &style).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("POD"), "{text}");
        assert!(text.contains("web-1") && !text.contains("web-2"), "{text}");
        assert!(text.contains("… 3 more"), "{text}");
        let mut all = Vec::new();
        top_table(&mut all, &rows, 2.0, false, None, &style).unwrap();
        let all = String::from_utf8(all).unwrap();
        assert!(all.contains("web-4") && !all.contains("more"), "{all}");
    }
}
