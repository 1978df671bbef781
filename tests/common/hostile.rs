//! Running podnet against hostile input: bounded in time and address space,
//! never a panic; and checks that no control character reached the output.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Output};
use std::time::Duration;

use super::PODNET;
use super::bounded::{Limits, run};

/// The address space podnet may use: reading a 1 GB file whole, or growing
/// without bound, fails under it; a normal scan needs a fraction.
pub const ADDRESS_SPACE: u64 = 1 << 30;
/// How long one podnet run may take before it counts as hung.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs podnet with `args` under an address-space limit and a deadline
/// (see [`super::bounded`]); panics if it hangs, is killed by a signal or
/// panics (exit 101), and returns its output. Exit status 0, 1 (problems
/// found) or 2 (could not do the job) are all answers.
pub fn run_bounded(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(PODNET);
    cmd.args(args)
        .env_remove("KUBECONFIG")
        .env_remove("PODNET_HOST_ROOT")
        .env_remove("PODNET_OUTPUT")
        .env("NO_COLOR", "1")
        .env("HOME", "/nonexistent-podnet-home");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let limits = Limits {
        timeout: RUN_TIMEOUT,
        address_space: Some(ADDRESS_SPACE),
        cgroup: None,
    };
    let ended = run(cmd, b"", &limits);
    assert!(
        !ended.timed_out,
        "podnet {args:?} hung (killed after {RUN_TIMEOUT:?})"
    );
    assert!(
        matches!(ended.code, Some(0..=2)),
        "podnet {args:?} ended with code {:?}, signal {:?} (a panic is 101):\n{}",
        ended.code,
        ended.signal,
        ended.stderr_text()
    );
    Output {
        status: ExitStatus::from_raw(ended.code.unwrap_or(0) << 8),
        stdout: ended.stdout,
        stderr: ended.stderr,
    }
}

/// Characters no podnet table or text line may carry raw: C0 controls but
/// newline, DEL, C1 controls, bidirectional overrides and isolates.
pub fn raw_controls(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|c| format!("U+{:04X}", c as u32))
        .collect()
}

/// Panics if stdout or stderr holds a raw control character.
pub fn assert_no_raw_controls(what: &str, out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let found = raw_controls(bytes);
        assert!(
            found.is_empty(),
            "{what}: raw control characters {found:?} on {stream}:\n{}",
            String::from_utf8_lossy(bytes).escape_debug()
        );
    }
}
