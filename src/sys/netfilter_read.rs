//! Reads the firewall of the calling thread's network namespace, never
//! changing it: `nft -j list ruleset` (nftables, including iptables-nft's
//! rules) and, only where legacy tables exist, `iptables-legacy-save`.
//! Spawns those tools from the calling thread, so they run in its netns.

use std::io;
use std::process::{Command, Stdio};

use super::firewall::tool;

/// nft's JSON view of every table; `Ok(None)` when nft is not installed.
pub fn nft_ruleset_json() -> io::Result<Option<String>> {
    let Some(nft) = tool("nft") else {
        return Ok(None);
    };
    let out = Command::new(nft)
        .args(["-j", "list", "ruleset"])
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "nft -j list ruleset: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// The legacy iptables tables loaded in this namespace (`ip_tables_names`);
/// reading it loads nothing.
pub fn legacy_tables() -> Vec<String> {
    super::files::read_capped_to_string(
        std::path::Path::new("/proc/thread-self/net/ip_tables_names"),
        NET_FILE_BYTES,
    )
    .map(|s| {
        s.lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// `iptables-legacy-save -t <table>`; `Ok(None)` when the tool is not installed.
pub fn legacy_save(table: &str) -> io::Result<Option<String>> {
    let (bin, args): (std::path::PathBuf, Vec<&str>) = match tool("iptables-legacy-save") {
        Some(b) => (b, vec!["-t", table]),
        None => match tool("xtables-legacy-multi") {
            Some(b) => (b, vec!["iptables-save", "-t", table]),
            None => return Ok(None),
        },
    };
    let out = Command::new(bin)
        .args(&args)
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "iptables-legacy-save: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// The most podnet reads of one /proc/net file (snmp and netstat are a few KB).
const NET_FILE_BYTES: u64 = 4 << 20;

/// `/proc/thread-self/net/<name>`: per-netns /proc/net files as this thread sees them.
pub fn thread_net_file(name: &str) -> io::Result<String> {
    super::files::read_capped_to_string(
        std::path::Path::new(&format!("/proc/thread-self/net/{name}")),
        NET_FILE_BYTES,
    )
}
