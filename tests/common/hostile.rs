//! Running podnet against hostile input: bounded in time and address space,
//! never a panic; and checks that no control character reached the output.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::PODNET;

/// The address space podnet may use: reading a 1 GB file whole, or growing
/// without bound, fails under it; a normal scan needs a fraction.
pub const ADDRESS_SPACE: u64 = 1 << 30;
/// How long one podnet run may take before it counts as hung.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs podnet with `args` under `prlimit --as` and a deadline; panics if it
/// hangs, is killed by a signal or panics (exit 101), and returns its output.
/// Exit status 0, 1 (problems found) or 2 (could not do the job) are all
/// answers.
pub fn run_bounded(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={ADDRESS_SPACE}"))
        .arg("--")
        .arg(PODNET)
        .args(args)
        .env_remove("KUBECONFIG")
        .env_remove("PODNET_HOST_ROOT")
        .env_remove("PODNET_OUTPUT")
        .env("NO_COLOR", "1")
        .env("HOME", "/nonexistent-podnet-home")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn prlimit podnet");
    // drain both pipes while it runs, so a big output cannot block it
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    let read = |mut p: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = p.read_to_end(&mut buf);
            buf
        })
    };
    let (out, err) = (read(Box::new(out)), read(Box::new(err)));
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for podnet") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("podnet {args:?} hung (killed after {RUN_TIMEOUT:?})");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let output = Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    assert!(
        matches!(status.code(), Some(0..=2)),
        "podnet {args:?} ended with {status} (a panic is 101, a signal has no code):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
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
