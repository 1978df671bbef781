//! Parses `/proc/<pid>/stat` lines (with procfs) and `net:[N]` namespace links. No I/O.

use procfs::FromRead;
use procfs::process::Stat;

use crate::model::Process;

/// The inode in a namespace link target such as `net:[4026531840]`.
pub fn parse_ns_link(link: &str) -> Option<u64> {
    let rest = link.strip_prefix("net:[")?;
    rest.strip_suffix(']')?.parse().ok()
}

/// Builds a process from its `ns/net` link and `stat` contents.
pub fn parse_process(pid: i32, netns_link: &str, stat: &str) -> Result<Process, String> {
    let netns_inode = parse_ns_link(netns_link)
        .ok_or_else(|| format!("pid {pid}: unexpected ns/net link {netns_link:?}"))?;
    let st =
        Stat::from_read(stat.as_bytes()).map_err(|e| format!("pid {pid}: bad stat line: {e}"))?;
    Ok(Process {
        pid,
        ppid: st.ppid,
        comm: st.comm,
        start_time: st.starttime,
        netns_inode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAUSE_STAT: &str = "4242 (pause) S 4100 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 1052672 1 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn parses_a_pause_process() {
        let p = parse_process(4242, "net:[4026532388]", PAUSE_STAT).unwrap();
        assert_eq!(p.pid, 4242);
        assert_eq!(p.ppid, 4100);
        assert_eq!(p.comm, "pause");
        assert_eq!(p.start_time, 123456);
        assert_eq!(p.netns_inode, 4026532388);
    }

    #[test]
    fn comm_with_spaces_and_parens() {
        let stat = PAUSE_STAT.replace("(pause)", "(my (odd) name)");
        let p = parse_process(4242, "net:[1]", &stat).unwrap();
        assert_eq!(p.comm, "my (odd) name");
    }

    #[test]
    fn rejects_bad_links_and_stat() {
        assert!(parse_process(1, "mnt:[1]", PAUSE_STAT).is_err());
        assert!(parse_process(1, "net:[x]", PAUSE_STAT).is_err());
        assert!(parse_process(1, "net:[1]", "garbage").is_err());
        assert_eq!(parse_ns_link("net:[4026531840]"), Some(4026531840));
        assert_eq!(parse_ns_link("net:[]"), None);
    }
}
