//! Chooses a network namespace's pause (infra) process. No I/O.

use std::collections::{HashMap, HashSet};

use crate::discover::mountinfo::NsfsMount;
use crate::model::{Claim, ClaimKey, Process};

/// Commands of infra processes: kubelet/containerd/CRI-O `pause`, podman `catatonit`.
const INFRA_COMMS: &[&str] = &["pause", "catatonit"];

/// Whether a parent command is a runtime shim whose first child is the sandbox.
fn is_shim(comm: &str) -> bool {
    comm.starts_with("containerd-shim") || comm == "conmon"
}

/// The pause PID among `members` (the processes of one netns), oldest first:
/// a process the runtime named as the sandbox's init, else one whose
/// command is `pause`/`catatonit`, else a direct child of a runtime shim.
pub fn choose(
    members: &[&Process],
    by_pid: &HashMap<i32, &Process>,
    runtime_infra: &HashSet<i32>,
) -> Option<i32> {
    let oldest = |pred: &dyn Fn(&Process) -> bool| {
        members
            .iter()
            .filter(|p| pred(p))
            .min_by_key(|p| (p.start_time, p.pid))
            .map(|p| p.pid)
    };
    oldest(&|p| runtime_infra.contains(&p.pid))
        .or_else(|| oldest(&|p| INFRA_COMMS.contains(&p.comm.as_str())))
        .or_else(|| {
            oldest(&|p| {
                by_pid
                    .get(&p.ppid)
                    .is_some_and(|parent| is_shim(&parent.comm))
            })
        })
}

/// The infra PIDs runtimes name in their pid files, minus those that can
/// no longer be theirs: a PID now in a different namespace than the
/// sandbox's bind mount, or whose sandbox mount is gone (the PID was reused).
pub fn trusted_infra_pids(
    claims: &[Claim],
    mounts: &[NsfsMount],
    processes: &[Process],
) -> HashSet<i32> {
    let mount_inode: HashMap<String, u64> = mounts
        .iter()
        .map(|m| {
            (
                super::identity::normalize_netns_path(&m.mount_point),
                m.inode,
            )
        })
        .collect();
    let pid_inode: HashMap<i32, u64> = processes.iter().map(|p| (p.pid, p.netns_inode)).collect();
    claims
        .iter()
        .filter_map(|c| {
            let pid = c.infra_pid?;
            let mount_path = c.keys.iter().find_map(|k| match k {
                ClaimKey::NetnsPath(p) if !p.starts_with("/proc/") => {
                    Some(super::identity::normalize_netns_path(p))
                }
                _ => None,
            });
            match mount_path {
                None => Some(pid),
                Some(path) => {
                    let want = mount_inode.get(&path)?;
                    (pid_inode.get(&pid) == Some(want)).then_some(pid)
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i32, ppid: i32, comm: &str, start: u64) -> Process {
        Process {
            pid,
            ppid,
            comm: comm.into(),
            start_time: start,
            netns_inode: 7,
        }
    }

    fn choose_among(all: &[Process], infra: &[i32]) -> Option<i32> {
        let by_pid: HashMap<i32, &Process> = all.iter().map(|p| (p.pid, p)).collect();
        let members: Vec<&Process> = all.iter().filter(|p| p.netns_inode == 7).collect();
        choose(&members, &by_pid, &infra.iter().copied().collect())
    }

    #[test]
    fn the_oldest_pause_wins() {
        let all = [
            p(10, 1, "nginx", 50),
            p(11, 1, "pause", 40),
            p(9, 1, "pause", 45),
        ];
        assert_eq!(choose_among(&all, &[]), Some(11));
    }

    #[test]
    fn catatonit_and_shim_children() {
        assert_eq!(
            choose_among(&[p(5, 1, "app", 9), p(6, 1, "catatonit", 10)], &[]),
            Some(6)
        );
        let mut shim = p(3, 1, "containerd-shim", 1);
        shim.netns_inode = 1;
        let all = [shim, p(20, 3, "sleep", 30), p(21, 20, "sh", 31)];
        assert_eq!(choose_among(&all, &[]), Some(20));
    }

    #[test]
    fn a_pid_file_is_trusted_only_where_its_sandbox_mount_is() {
        let claim = |path: &str, pid: i32| {
            let mut c = Claim::new(crate::model::SourceKind::OciConfig, "c");
            c.keys = vec![ClaimKey::NetnsPath(path.into())];
            c.infra_pid = Some(pid);
            c
        };
        let procs = [p(10, 1, "pause", 1), p(20, 1, "sh", 2)];
        let mounts = [NsfsMount {
            inode: 7,
            mount_point: "/run/netns/cni-a".into(),
        }];
        let claims = [
            claim("/var/run/netns/cni-a", 10),
            claim("/run/netns/cni-gone", 20),
            claim("/run/netns/cni-a", 99),
        ];
        let mut nomount = Claim::new(crate::model::SourceKind::OciConfig, "c");
        nomount.infra_pid = Some(20);
        let mut all = claims.to_vec();
        all.push(nomount);
        let got = trusted_infra_pids(&all, &mounts, &procs);
        assert_eq!(got, [10, 20].into_iter().collect());
        assert_eq!(
            trusted_infra_pids(&claims, &mounts, &procs),
            [10].into_iter().collect()
        );
    }

    #[test]
    fn the_runtime_pid_file_beats_guesses_and_plain_processes_have_none() {
        let all = [p(11, 1, "pause", 40), p(12, 1, "whatever", 41)];
        assert_eq!(choose_among(&all, &[12]), Some(12));
        assert_eq!(choose_among(&[p(12, 1, "sleep", 41)], &[]), None);
    }
}
