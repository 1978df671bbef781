//! Renders `podnet ethtool` like `ethtool -i` followed by `ethtool -S`.

use std::io::Write;

use colored::Colorize;

use crate::error::Written;
use crate::model::ethtool::EthtoolReport;

use super::{Esc, Style};

pub fn text(out: &mut dyn Write, report: &EthtoolReport, style: &Style) -> Written {
    for (n, i) in report.interfaces.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let title = format!(
            "{} (ifindex {}, netns {}{})",
            Esc(&i.interface),
            i.ifindex,
            i.netns_inode,
            i.owner
                .as_ref()
                .map(|o| format!(", {}", Esc(o)))
                .unwrap_or_default()
        );
        writeln!(
            out,
            "{}",
            if style.color {
                title.bold().to_string()
            } else {
                title
            }
        )?;
        if let Some(d) = &i.driver {
            writeln!(out, "driver: {}", Esc(&d.driver))?;
            writeln!(out, "version: {}", Esc(&d.version))?;
            writeln!(out, "firmware-version: {}", Esc(&d.firmware_version))?;
            writeln!(out, "bus-info: {}", Esc(&d.bus_info))?;
        }
        if i.stats.is_empty() {
            writeln!(out, "no statistics available")?;
        } else {
            writeln!(out, "NIC statistics:")?;
            for (k, v) in &i.stats {
                writeln!(out, "     {}: {v}", Esc(k))?;
            }
        }
    }
    Ok(())
}
