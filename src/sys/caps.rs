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

/// The effective capability mask (`CapEff` of /proc/self/status, read
/// with procfs: this process's own status, which the kernel writes).
pub fn effective() -> std::io::Result<u64> {
    let proc_error = |e: procfs::ProcError| std::io::Error::other(e.to_string());
    let me = procfs::process::Process::myself().map_err(proc_error)?;
    Ok(me.status().map_err(proc_error)?.capeff)
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
    fn the_effective_mask_is_the_kernels() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("CapEff:")).unwrap();
        let theirs = u64::from_str_radix(line["CapEff:".len()..].trim(), 16).unwrap();
        assert_eq!(effective().unwrap(), theirs);
    }
}
