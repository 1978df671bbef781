//! Chooses a network namespace's pause (infra) process. No I/O.

use std::collections::{HashMap, HashSet};

use crate::model::Process;

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
    fn the_runtime_pid_file_beats_guesses_and_plain_processes_have_none() {
        let all = [p(11, 1, "pause", 40), p(12, 1, "whatever", 41)];
        assert_eq!(choose_among(&all, &[12]), Some(12));
        assert_eq!(choose_among(&[p(12, 1, "sleep", 41)], &[]), None);
    }
}
