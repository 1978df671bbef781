//! Renders the plumbing kit's commands (`cni add`, `del`, `check`, `ls`,
//! `gc`) as tables or text; their JSON is `model::cni`'s. No I/O but the
//! writer.

use std::io::Write;

use crate::error::Written;
use crate::model::cni::{AttachmentInfo, CheckOutcome, CniDeleted, GcReport};

use super::{Esc, Style, esc, none, table, write_table};

fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

/// `cni del`'s line.
pub fn deleted(out: &mut dyn Write, d: &CniDeleted) -> Written {
    let n = d.deleted.len();
    writeln!(
        out,
        "deleted {} ({} attachment{}, sandbox {})",
        Esc(&d.pod),
        n,
        if n == 1 { "" } else { "s" },
        Esc(&short(&d.sandbox_id))
    )?;
    Ok(())
}

/// `cni check`'s table.
pub fn checked(out: &mut dyn Write, results: &[CheckOutcome], style: &Style) -> Written {
    let mut t = table(&["NETWORK", "IFNAME", "CHECK", "DETAIL"], style);
    for r in results {
        let status = if !r.ok {
            "FAILED"
        } else if r.skipped.is_some() {
            "skipped"
        } else {
            "ok"
        };
        t.add_row(vec![
            esc(&r.network),
            esc(&r.ifname),
            status.to_string(),
            esc(r
                .problem
                .as_deref()
                .or(r.skipped.as_deref())
                .unwrap_or_default()),
        ]);
    }
    write_table(out, &t)
}

/// `cni gc` as tables: the leaks with what was done, what was kept and
/// why, the CNI GC calls.
pub fn gc(out: &mut dyn Write, report: &GcReport, style: &Style) -> Written {
    let none = none(style);
    if report.leaks.is_empty() {
        writeln!(out, "nothing leaked")?;
    } else {
        let mut t = table(&["KIND", "OBJECT", "POD", "WHY", "ACTION"], style);
        for l in &report.leaks {
            let action = match (&l.error, l.removed, report.dry_run) {
                (Some(e), _, _) => format!("failed: {}", Esc(e)),
                (None, true, _) => "removed".to_string(),
                (None, false, true) => "would remove".to_string(),
                (None, false, false) => "kept".to_string(),
            };
            t.add_row(vec![
                l.kind.to_string(),
                esc(&l.object),
                l.pod.as_deref().map(esc).unwrap_or_else(|| none.clone()),
                esc(&l.reason),
                action,
            ]);
        }
        write_table(out, &t)?;
    }
    if !report.kept.is_empty() {
        writeln!(out, "\nleft alone (may be alive):")?;
        let mut t = table(&["KIND", "OBJECT", "POD", "WHY"], style);
        for k in &report.kept {
            t.add_row(vec![
                k.kind.to_string(),
                esc(&k.object),
                k.pod.as_deref().map(esc).unwrap_or_else(|| none.clone()),
                esc(&k.reason),
            ]);
        }
        write_table(out, &t)?;
    }
    for c in &report.gc_calls {
        if let Some(why) = &c.skipped {
            writeln!(
                out,
                "CNI GC skipped for network {}: {}",
                Esc(&c.network),
                Esc(why)
            )?;
            continue;
        }
        writeln!(
            out,
            "CNI GC {} network {} ({}; {} valid attachments){}",
            if report.dry_run {
                "would run for"
            } else {
                "ran for"
            },
            Esc(&c.network),
            Esc(&c.plugins.join(", ")),
            c.valid_attachments,
            c.error
                .as_ref()
                .map(|e| format!(": {}", Esc(e)))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

/// The attachments of `cni add` and `cni ls`.
pub fn attachments(out: &mut dyn Write, atts: &[AttachmentInfo], style: &Style) -> Written {
    let wide = style.wide;
    let mut headers = vec![
        "POD", "NETWORK", "IFNAME", "IPS", "SANDBOX", "PAUSE", "STATE", "NETNS",
    ];
    if wide {
        headers.push("PLUGINS");
        headers.push("CACHE");
    }
    let mut t = table(&headers, style);
    let none = none(style);
    for a in atts {
        let mut row = vec![
            a.pod.as_deref().map(esc).unwrap_or_else(|| none.clone()),
            esc(&a.network),
            esc(&a.ifname),
            if a.ips.is_empty() {
                none.clone()
            } else {
                esc(&a.ips.join(", "))
            },
            esc(&short(&a.sandbox_id)),
            a.pause_pid
                .map(|p| p.to_string())
                .unwrap_or_else(|| none.clone()),
            a.state.as_str().to_string(),
            a.netns.as_deref().map(esc).unwrap_or_else(|| none.clone()),
        ];
        if wide {
            row.push(esc(&a.plugins.join(",")));
            row.push(esc(&a.cache_file));
        }
        t.add_row(row);
    }
    write_table(out, &t)
}
