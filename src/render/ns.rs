//! Renders `ns list` and `ns pids` as tables or JSON.

use std::io::Write;

use colored::Colorize;
use serde::Serialize;

use crate::error::Written;
use crate::model::pod::short_id;
use crate::model::{LinkKind, Netns, NetnsReport, Process};

use super::{Esc, Style, esc, none, table, write_json, write_table};

/// `ns list` as JSON (the documented contract).
pub fn list_json(out: &mut dyn Write, report: &NetnsReport) -> Written {
    write_json(out, report)
}

/// `ns list` as a table; `-o wide` adds identity columns, `-v` a provenance section.
pub fn list_table(out: &mut dyn Write, report: &NetnsReport, style: &Style) -> Written {
    let mut headers = vec!["NETNS", "POD", "PAUSE", "PIDS", "INTERFACES", "PATH"];
    if style.wide {
        headers.extend(["UID", "SANDBOX", "RUNTIME", "SOURCES"]);
    }
    let mut t = table(&headers, style);
    for ns in &report.namespaces {
        let mut row = vec![
            ns.inode.to_string(),
            pod_cell(ns, style),
            ns.pause_pid
                .map(|p| p.to_string())
                .unwrap_or_else(|| none(style)),
            ns.pids.to_string(),
            interfaces_cell(ns, style),
            paths_cell(ns, style),
        ];
        if style.wide {
            let pod = ns.pod.as_ref();
            row.push(
                pod.and_then(|p| p.uid.as_deref())
                    .map(esc)
                    .unwrap_or_else(|| none(style)),
            );
            row.push(
                pod.and_then(|p| p.sandbox_id.as_deref())
                    .map(|s| esc(short_id(s)))
                    .unwrap_or_else(|| none(style)),
            );
            row.push(
                pod.and_then(|p| p.runtime)
                    .map(|r| r.as_str().to_string())
                    .unwrap_or_else(|| none(style)),
            );
            let kinds: Vec<&str> = pod
                .map(|p| p.sources.iter().map(|s| s.kind.as_str()).collect())
                .unwrap_or_default();
            row.push(if kinds.is_empty() {
                none(style)
            } else {
                kinds.join(",")
            });
        }
        t.add_row(row);
    }
    write_table(out, &t)?;
    if style.verbose > 0 && report.namespaces.iter().any(|n| n.pod.is_some()) {
        write_provenance(out, report, style)?;
    }
    Ok(())
}

fn pod_cell(ns: &Netns, style: &Style) -> String {
    match &ns.pod {
        Some(p) if !p.conflicts.is_empty() => {
            let s = format!("{} (!)", Esc(&p.display_name()));
            if style.color {
                s.yellow().to_string()
            } else {
                s
            }
        }
        Some(p) => esc(&p.display_name()),
        None if ns.host => {
            if style.color {
                "(host)".cyan().to_string()
            } else {
                "(host)".into()
            }
        }
        None => none(style),
    }
}

fn interfaces_cell(ns: &Netns, style: &Style) -> String {
    let shown: Vec<String> = ns
        .interfaces
        .iter()
        .filter(|i| style.wide || i.kind != LinkKind::Loopback)
        .map(|i| {
            let mut cell = esc(&i.name);
            for a in i
                .addresses
                .iter()
                .filter(|a| style.wide || a.addr().is_ipv4())
            {
                cell.push(' ');
                cell.push_str(&a.to_string());
            }
            cell
        })
        .collect();
    if shown.is_empty() {
        none(style)
    } else if !style.wide && ns.host && shown.len() > 3 {
        format!("{} … (+{})", shown[..2].join(", "), shown.len() - 2)
    } else {
        shown.join(", ")
    }
}

fn paths_cell(ns: &Netns, style: &Style) -> String {
    let mut all: Vec<&str> = ns.paths.iter().map(String::as_str).collect();
    all.extend(ns.fds.iter().map(String::as_str));
    match (all.len(), style.wide) {
        (0, _) => none(style),
        (_, true) | (1, false) => all.iter().map(|p| esc(p)).collect::<Vec<_>>().join(", "),
        (n, false) => format!("{} (+{})", Esc(all[0]), n - 1),
    }
}

fn write_provenance(out: &mut dyn Write, report: &NetnsReport, style: &Style) -> Written {
    writeln!(out)?;
    writeln!(out, "Where each pod name came from:")?;
    for ns in &report.namespaces {
        let Some(pod) = &ns.pod else { continue };
        writeln!(out, "  netns {} {}", ns.inode, Esc(&pod.display_name()))?;
        for s in &pod.sources {
            let kind = if style.color {
                s.kind.as_str().green().to_string()
            } else {
                s.kind.as_str().into()
            };
            writeln!(
                out,
                "    {kind:<12} {}  ({})",
                Esc(&s.from),
                s.fields
                    .iter()
                    .map(|f| esc(f))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        for c in &pod.conflicts {
            let vals: Vec<String> = c
                .values
                .iter()
                .map(|v| format!("\"{}\" from {}", Esc(&v.value), v.kind.as_str()))
                .collect();
            writeln!(
                out,
                "    conflict on {}: {}",
                Esc(c.field),
                vals.join(" vs ")
            )?;
        }
    }
    Ok(())
}

/// What `ns pids -o json` prints.
#[derive(Serialize)]
struct PidsJson<'a> {
    inode: u64,
    pod: Option<&'a crate::model::Pod>,
    pause_pid: Option<i32>,
    pids: &'a [i32],
    processes: Vec<&'a Process>,
}

/// `ns pids`: one line per process, pause first (table), or JSON.
pub fn pids(
    out: &mut dyn Write,
    ns: &Netns,
    procs: &[&Process],
    json: bool,
    style: &Style,
) -> Written {
    if json {
        return write_json(
            out,
            &PidsJson {
                inode: ns.inode,
                pod: ns.pod.as_ref(),
                pause_pid: ns.pause_pid,
                pids: &ns.pid_list,
                processes: procs.to_vec(),
            },
        );
    }
    let mut t = table(&["PID", "PPID", "COMMAND", "ROLE"], style);
    for p in procs {
        let role = if Some(p.pid) == ns.pause_pid {
            "pause".to_string()
        } else {
            none(style)
        };
        t.add_row(vec![
            p.pid.to_string(),
            p.ppid.to_string(),
            esc(&p.comm),
            role,
        ]);
    }
    write_table(out, &t)
}
