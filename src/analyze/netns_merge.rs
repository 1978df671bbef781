//! Merges the namespace sources (processes, nsfs bind mounts, open fds)
//! into one entry per nsfs inode. No I/O.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::discover::mountinfo::NsfsMount;
use crate::model::{Netns, Process};

use super::pause;

/// A descriptor holding a namespace open (`/proc/<pid>/fd/<n>`).
#[derive(Debug, Clone)]
pub struct FdHolder {
    pub pid: i32,
    pub fd: String,
    pub inode: u64,
}

/// One entry per namespace, pids and paths filled, pause chosen; host first,
/// then by inode. Interfaces and pods are filled later.
pub fn merge(
    processes: &[Process],
    mounts: &[NsfsMount],
    fds: &[FdHolder],
    host_inode: Option<u64>,
    runtime_infra: &HashSet<i32>,
) -> Vec<Netns> {
    let mut members: BTreeMap<u64, Vec<&Process>> = BTreeMap::new();
    for p in processes {
        members.entry(p.netns_inode).or_default().push(p);
    }
    let mut paths: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for m in mounts {
        let v = paths.entry(m.inode).or_default();
        if !v.contains(&m.mount_point) {
            v.push(m.mount_point.clone());
        }
    }
    let mut held: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for f in fds {
        held.entry(f.inode)
            .or_default()
            .push(format!("/proc/{}/fd/{}", f.pid, f.fd));
    }
    let by_pid: HashMap<i32, &Process> = processes.iter().map(|p| (p.pid, p)).collect();
    let inodes: Vec<u64> = {
        let mut all: HashSet<u64> = members
            .keys()
            .chain(paths.keys())
            .chain(held.keys())
            .copied()
            .collect();
        all.extend(host_inode);
        let mut v: Vec<u64> = all.into_iter().collect();
        v.sort_by_key(|i| (Some(*i) != host_inode, *i));
        v
    };
    inodes
        .into_iter()
        .map(|inode| {
            let procs = members.get(&inode).map(Vec::as_slice).unwrap_or(&[]);
            let host = Some(inode) == host_inode;
            // The host netns also holds hostNetwork pods' pause processes: it has no single pause.
            let pause_pid = if host {
                None
            } else {
                pause::choose(procs, &by_pid, runtime_infra)
            };
            let mut pid_list: Vec<i32> = procs
                .iter()
                .map(|p| p.pid)
                .filter(|p| Some(*p) != pause_pid)
                .collect();
            pid_list.sort_unstable();
            pid_list.splice(0..0, pause_pid);
            Netns {
                inode,
                host,
                paths: paths.remove(&inode).unwrap_or_default(),
                pids: procs.len(),
                pause_pid,
                interfaces: Vec::new(),
                pod: None,
                fds: held.remove(&inode).unwrap_or_default(),
                pid_list,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i32, comm: &str, ns: u64) -> Process {
        Process {
            pid,
            ppid: 1,
            comm: comm.into(),
            start_time: pid as u64,
            netns_inode: ns,
        }
    }

    #[test]
    fn merges_processes_mounts_and_fds_by_inode() {
        let procs = [
            p(1, "init", 100),
            p(50, "pause", 200),
            p(51, "nginx", 200),
            p(2, "sshd", 100),
        ];
        let mounts = [
            NsfsMount {
                inode: 200,
                mount_point: "/run/netns/cni-a".into(),
            },
            NsfsMount {
                inode: 200,
                mount_point: "/run/netns/cni-a".into(),
            },
            NsfsMount {
                inode: 300,
                mount_point: "/run/netns/leaked".into(),
            },
        ];
        let fds = [FdHolder {
            pid: 2,
            fd: "7".into(),
            inode: 400,
        }];
        let ns = merge(&procs, &mounts, &fds, Some(100), &HashSet::new());
        let got: Vec<(u64, bool, usize, Option<i32>)> = ns
            .iter()
            .map(|n| (n.inode, n.host, n.pids, n.pause_pid))
            .collect();
        assert_eq!(
            got,
            vec![
                (100, true, 2, None),
                (200, false, 2, Some(50)),
                (300, false, 0, None),
                (400, false, 0, None)
            ]
        );
        assert_eq!(ns[1].paths, vec!["/run/netns/cni-a"]);
        assert_eq!(ns[1].pid_list, vec![50, 51]);
        assert_eq!(ns[3].fds, vec!["/proc/2/fd/7"]);
    }

    #[test]
    fn pause_comes_first_in_the_pid_list() {
        let procs = [p(10, "sh", 5), p(30, "pause", 5), p(20, "app", 5)];
        let mut procs = procs.to_vec();
        procs[1].start_time = 1;
        let ns = merge(&procs, &[], &[], None, &HashSet::new());
        assert_eq!(ns[0].pid_list, vec![30, 10, 20]);
    }
}
