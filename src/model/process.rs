//! A process as the /proc scan saw it. No I/O.

use serde::Serialize;

/// One process and the network namespace it was in when scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Process {
    pub pid: i32,
    pub ppid: i32,
    /// Short command name (`/proc/<pid>/stat` field 2, at most 15 bytes).
    pub comm: String,
    /// Start time in clock ticks since boot; orders processes by age.
    pub start_time: u64,
    /// Inode of the nsfs file `/proc/<pid>/ns/net` points at.
    pub netns_inode: u64,
}
