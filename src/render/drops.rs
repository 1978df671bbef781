//! `podnet drops` output: one line per drop (JSON lines with `-o json`),
//! and the summary table.

use std::io::Write;

use crate::error::Written;
use crate::model::drops::{Drop, DropSummary};

use super::{Esc, Style, esc, table, write_table};

/// `10.244.2.2 → 10.244.1.2 icmp id 7`, `10.244.1.2:40000 → 10.244.2.2:8080 tcp`.
fn flow_text(d: &Drop) -> String {
    let (Some(src), Some(dst)) = (&d.src, &d.dst) else {
        return d.protocol.clone();
    };
    let side = |ip: &str, port: Option<u16>| match port {
        Some(p) if ip.contains(':') => format!("[{ip}]:{p}"),
        Some(p) => format!("{ip}:{p}"),
        None => ip.to_string(),
    };
    let mut s = format!(
        "{} → {} {}",
        side(src, d.sport),
        side(dst, d.dport),
        d.proto.as_deref().unwrap_or("?")
    );
    if let Some(id) = d.icmp_id {
        s.push_str(&format!(" id {id}"));
    }
    s
}

/// One drop as a line.
pub fn line(out: &mut dyn Write, d: &Drop, _style: &Style) -> Written {
    let count = if d.count > 1 {
        format!(" (×{} in the last second)", d.count)
    } else {
        String::new()
    };
    let place = d.place();
    let pod = match (&d.pod, &d.netns) {
        (Some(p), Some(n)) if n != &format!("pod {p}") => format!(" [pod {}]", Esc(p)),
        _ => String::new(),
    };
    writeln!(
        out,
        "{:>8.3}s  {:<22} {}  {}{}  at {}{count}",
        d.ms as f64 / 1000.0,
        Esc(&d.reason),
        Esc(&flow_text(d)),
        Esc(&place),
        pod,
        Esc(&d.location)
    )?;
    Ok(())
}

/// One drop as a JSON line.
pub fn json_line(out: &mut dyn Write, d: &Drop) -> Written {
    let mut buf = serde_json::to_vec(d).map_err(std::io::Error::other)?;
    buf.push(b'\n');
    out.write_all(&buf)?;
    Ok(())
}

/// A warning as a JSON line of its own (`{"warning": …}`), in a JSON stream.
pub fn json_warning(out: &mut dyn Write, w: &str) -> Written {
    let mut buf =
        serde_json::to_vec(&serde_json::json!({ "warning": w })).map_err(std::io::Error::other)?;
    buf.push(b'\n');
    out.write_all(&buf)?;
    Ok(())
}

/// The summary table.
pub fn summary(out: &mut dyn Write, s: &DropSummary, style: &Style) -> Written {
    writeln!(
        out,
        "{} drops in {:.1} s (from {})",
        s.total, s.seconds, s.source
    )?;
    if s.rows.is_empty() {
        return Ok(());
    }
    let mut t = table(&["COUNT", "REASON", "LOCATION", "POD", "NETNS"], style);
    for r in &s.rows {
        t.add_row(vec![
            r.count.to_string(),
            esc(&r.reason),
            esc(&r.location),
            r.pod.as_deref().map(esc).unwrap_or_else(|| "-".into()),
            r.netns.as_deref().map(esc).unwrap_or_else(|| "-".into()),
        ]);
    }
    write_table(out, &t)
}
