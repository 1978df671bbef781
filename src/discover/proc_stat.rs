//! Parses `/proc/<pid>/stat` lines and `net:[N]` namespace links. No I/O.

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
    let st = parse_stat(stat).ok_or_else(|| format!("pid {pid}: bad stat line"))?;
    Ok(Process {
        pid,
        ppid: st.ppid,
        comm: st.comm.to_string(),
        start_time: st.start_time,
        netns_inode,
    })
}

/// The fields of a stat line podnet uses.
struct Stat<'a> {
    comm: &'a str,
    ppid: i32,
    start_time: u64,
}

/// `pid (comm) state ppid … starttime …` (proc(5)): the comm is everything
/// between the first `(` and the last `)`, since a process may put spaces
/// and parentheses in its name; the fields after it are counted from there.
fn parse_stat(line: &str) -> Option<Stat<'_>> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    if close < open {
        return None;
    }
    line[..open].trim().parse::<i32>().ok()?;
    let mut rest = line[close + 1..].split_ascii_whitespace();
    // after the comm: state (field 3), ppid (4), … starttime (22)
    let ppid = rest.nth(1)?.parse().ok()?;
    let start_time = rest.nth(17)?.parse().ok()?;
    Some(Stat {
        comm: &line[open + 1..close],
        ppid,
        start_time,
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
    fn comm_with_multibyte_and_replaced_bytes() {
        let stat = PAUSE_STAT.replace("(pause)", "(\u{fffd}é\u{1b}]0;x\u{7})");
        let p = parse_process(4242, "net:[1]", &stat).unwrap();
        assert_eq!(p.comm, "\u{fffd}é\u{1b}]0;x\u{7}");
        assert_eq!((p.ppid, p.start_time), (4100, 123456));
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
        for bad in [
            "",
            "(",
            ")(",
            "1 ) (x) S",
            "é(pause) S 1",
            "1 (pause)",
            "1 (pause) S x",
            "1 (pause) S 1 2 3",
            "1 (pause) S 99999999999 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0",
        ] {
            assert!(parse_process(1, "net:[1]", bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_ns_link("net:[4026531840]"), Some(4026531840));
        assert_eq!(parse_ns_link("net:[]"), None);
    }
}
