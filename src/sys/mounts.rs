//! Mounts (mount I/O): the mount points at or under a directory in this
//! mount namespace, unmounting them all, the network namespaces
//! bind-mounted there, and a namespace file's inode.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::io_context::context as ctx;
use nix::mount::{MntFlags, umount2};

/// Mount points at or under `dir` in this mount namespace, deepest first.
pub fn mounts_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| ctx(e, "read /proc/self/mountinfo"))?;
    Ok(mount_points_under(&text, dir))
}

/// The mount points of a mountinfo text at or under `dir`, deepest (and
/// latest) first. Paths with spaces are not unescaped (the lab's and the CNI's hold none), so no unescaping is needed.
pub fn mount_points_under(mountinfo: &str, dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
        .filter(|p| p.starts_with(dir))
        .collect();
    v.reverse();
    v.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    v
}

/// Unmounts everything at or under `dir` (lazily, as `ip netns del` does).
pub fn unmount_all(dir: &Path) -> io::Result<usize> {
    let mut n = 0;
    // a mount point may be stacked; go round until nothing is left
    for _ in 0..8 {
        let points = mounts_under(dir)?;
        if points.is_empty() {
            break;
        }
        for p in points {
            match umount2(&p, MntFlags::MNT_DETACH) {
                Ok(()) => n += 1,
                Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => {}
                Err(e) => return Err(ctx(e, format!("umount {}", p.display()))),
            }
        }
    }
    Ok(n)
}

/// The network namespaces bind-mounted at or under `dir`, with their inodes.
pub fn netns_mounts(dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
    Ok(mounts_under(dir)?
        .into_iter()
        .filter(|p| super::netns_create::is_nsfs(p))
        .filter_map(|p| inode_of(&p).map(|i| (p, i)))
        .collect())
}

/// The inode of a namespace file (a bind mount), if it is there.
pub fn inode_of(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.ino())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_mounts_under_a_lab_deepest_first() {
        let text = "\
22 1 0:21 / /run rw shared:5 - tmpfs tmpfs rw
30 22 0:4 / /run/podnet/lab/a/netns rw shared:9 - tmpfs tmpfs rw
31 30 0:4 net:[4026532300] /run/podnet/lab/a/netns/node1 rw shared:9 - nsfs nsfs rw
32 30 0:4 net:[4026532301] /run/podnet/lab/a/netns/switch rw shared:9 - nsfs nsfs rw
33 22 0:4 net:[4026532302] /run/podnet/lab/ab/netns/node1 rw - nsfs nsfs rw
";
        let v = mount_points_under(text, Path::new("/run/podnet/lab/a"));
        assert_eq!(
            v,
            vec![
                PathBuf::from("/run/podnet/lab/a/netns/switch"),
                PathBuf::from("/run/podnet/lab/a/netns/node1"),
                PathBuf::from("/run/podnet/lab/a/netns"),
            ]
        );
    }
}
