//! Parses mountinfo for nsfs bind mounts of network namespaces
//! (`/run/netns/cni-…`, `/run/docker/netns/…`), and for where a file
//! system type is mounted (tracefs). No I/O.

/// One bind mount of a network namespace file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsfsMount {
    pub inode: u64,
    /// Mount point as the reading process sees it, unescaped.
    pub mount_point: String,
}

/// Every nsfs mount of a *network* namespace in a mountinfo text.
/// Malformed lines are skipped and counted.
pub fn parse_netns_mounts(text: &str) -> (Vec<NsfsMount>, usize) {
    let mut mounts = Vec::new();
    let mut malformed = 0;
    for line in text.lines().filter(|l| !l.is_empty()) {
        match parse_line(line) {
            Some(Some(m)) => mounts.push(m),
            Some(None) => {}
            None => malformed += 1,
        }
    }
    (mounts, malformed)
}

/// The first mount point of a file system type (`tracefs`), unescaped.
pub fn mount_point_of(text: &str, fstype: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        if right.split(' ').next()? != fstype {
            return None;
        }
        left.split(' ').nth(4).map(unescape)
    })
}

/// `None` for a malformed line, `Some(None)` for a mount that is not a netns.
fn parse_line(line: &str) -> Option<Option<NsfsMount>> {
    // id parent major:minor root mount-point options [optional…] - fstype source super-options
    let (left, right) = line.split_once(" - ")?;
    let mut l = left.split(' ');
    let _id = l.next()?;
    let _parent = l.next()?;
    let _dev = l.next()?;
    let root = l.next()?;
    let mount_point = l.next()?;
    let fstype = right.split(' ').next()?;
    if fstype != "nsfs" {
        return Some(None);
    }
    let Some(inode) = crate::discover::proc_stat::parse_ns_link(root) else {
        return Some(None); // an nsfs mount of another namespace type
    };
    Some(Some(NsfsMount {
        inode,
        mount_point: unescape(mount_point),
    }))
}

/// Undoes the kernel's octal escapes (`\040` space, `\011` tab, `\012`, `\134`).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u32::from(b[i + 1] - b'0') * 64
                + u32::from(b[i + 2] - b'0') * 8
                + u32::from(b[i + 3] - b'0');
            if let Ok(v) = u8::try_from(v) {
                out.push(v);
                i += 4;
                continue;
            }
            out.push(b[i]);
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = "\
22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
64 63 0:4 net:[4026532178] /run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b rw shared:2 - nsfs nsfs rw
65 63 0:4 net:[4026532178] /var/run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b rw shared:2 - nsfs nsfs rw
66 22 0:4 net:[4026532300] /run/docker/netns/1a2b3c4d5e6f rw - nsfs nsfs rw
67 22 0:4 mnt:[4026532301] /run/some/mnt-ns rw - nsfs nsfs rw
68 22 0:4 net:[4026532400] /run/netns/with\\040space rw - nsfs nsfs rw
69 22 0:45 / /run/netns rw,nosuid shared:3 - tmpfs tmpfs rw
garbage line without separator
";

    #[test]
    fn finds_network_namespace_bind_mounts() {
        let (mounts, malformed) = parse_netns_mounts(FIXTURE);
        assert_eq!(malformed, 1);
        let got: Vec<(u64, &str)> = mounts
            .iter()
            .map(|m| (m.inode, m.mount_point.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    4026532178,
                    "/run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b"
                ),
                (
                    4026532178,
                    "/var/run/netns/cni-5f0c3a4e-1b2d-4e6f-8a9b-0c1d2e3f4a5b"
                ),
                (4026532300, "/run/docker/netns/1a2b3c4d5e6f"),
                (4026532400, "/run/netns/with space"),
            ]
        );
    }

    #[test]
    fn unescapes_octal() {
        assert_eq!(unescape("a\\011b\\134c"), "a\tb\\c");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
        assert_eq!(unescape("\\777"), "\\777");
    }

    #[test]
    fn where_a_file_system_type_is_mounted() {
        let text = "22 1 0:21 / /proc rw - proc proc rw\n40 22 0:12 / /sys/kernel/trac\\040ing rw - tracefs nodev rw\n";
        assert_eq!(
            mount_point_of(text, "tracefs").as_deref(),
            Some("/sys/kernel/trac ing")
        );
        assert_eq!(mount_point_of(text, "debugfs"), None);
    }
}
