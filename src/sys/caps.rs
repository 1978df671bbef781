//! Effective capabilities of this process (reads /proc/self/status) and the
//! check that a command has the ones it needs.

use crate::error::{Error, Result};

pub const CAP_NET_ADMIN: Cap = Cap(12, "CAP_NET_ADMIN");
pub const CAP_NET_RAW: Cap = Cap(13, "CAP_NET_RAW");
pub const CAP_SYS_PTRACE: Cap = Cap(19, "CAP_SYS_PTRACE");
pub const CAP_SYS_ADMIN: Cap = Cap(21, "CAP_SYS_ADMIN");

/// A capability: its number and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap(pub u32, pub &'static str);

/// The effective capability mask (`CapEff` of /proc/self/status).
pub fn effective() -> std::io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    parse_cap_eff(&status).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "no CapEff line in /proc/self/status",
        )
    })
}

fn parse_cap_eff(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line["CapEff:".len()..].trim(), 16).ok()
}

/// Fails with a one-line error naming every missing capability.
pub fn require(what: &str, needed: &[Cap]) -> Result<()> {
    let mask = effective().map_err(|e| Error::io("read /proc/self/status", e))?;
    let missing: Vec<&'static str> = needed
        .iter()
        .filter(|c| mask & (1u64 << c.0) == 0)
        .map(|c| c.1)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::MissingCapability {
        what: what.to_string(),
        needed: needed.iter().map(|c| c.1).collect(),
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_effective_mask() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        assert_eq!(parse_cap_eff(status), Some(0x1ff_ffff_ffff));
        assert_eq!(parse_cap_eff("Name: x\n"), None);
    }
}
