//! Shared test harness: privileged tests each run on a private "node" (a
//! fresh mount + PID + network namespace with tmpfs over the runtime
//! directories), and helpers to run podnet and the oracles.
#![allow(dead_code)]

pub mod bounded;
pub mod corpus;
pub mod cri;
pub mod fake_api;
pub mod fixture;
pub mod hostile;
pub mod lab;
pub mod layouts;
pub mod node;
pub mod podman;
pub mod sandbox_oracle;
pub mod tracer;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const PODNET: &str = env!("CARGO_BIN_EXE_podnet");

/// Marker variable: set in the child that runs one test's body on its private node.
const CHILD_VAR: &str = "PODNET_TEST_NODE";
/// The cgroup directory (under each v1 controller) that the test may use; removed by the parent.
const CGROUP_VAR: &str = "PODNET_TEST_CGROUP";
/// How long one privileged test may take.
const NODE_TEST_TIMEOUT: Duration = Duration::from_secs(600);

/// Host directories hidden behind a fresh tmpfs on every private node.
pub const PRIVATE_DIRS: &[&str] = &[
    "/run",
    "/var/lib/cni",
    "/var/log/pods",
    "/var/lib/containers",
    "/etc/cni/net.d",
];

/// Declares a privileged test whose body runs on its own private node.
#[macro_export]
macro_rules! node_test {
    ($(#[$m:meta])* fn $name:ident() $body:block) => {
        $(#[$m])*
        #[test]
        fn $name() {
            $crate::common::on_private_node(stringify!($name), || $body);
        }
    };
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Runs `body` on a private node: a child copy of this test binary, run
/// for just this test under `unshare --mount --pid --net`, with tmpfs over
/// the runtime directories and `lo` up. Fails (never skips) as root; as
/// another user it fails too unless PODNET_SKIP_ROOT_TESTS=1.
pub fn on_private_node(test: &str, body: impl FnOnce()) {
    if std::env::var(CHILD_VAR).as_deref() == Ok(test) {
        setup_private_node();
        body();
        return;
    }
    if !is_root() {
        if std::env::var("PODNET_SKIP_ROOT_TESTS").as_deref() == Ok("1") {
            eprintln!("skipping {test}: needs root");
            return;
        }
        panic!("{test} needs root (it builds namespaces); set PODNET_SKIP_ROOT_TESTS=1 to skip it");
    }
    let exe = std::env::current_exe().expect("current test binary");
    let cgroup = format!("podnet-test-{}-{test}", std::process::id());
    let mut child = Command::new("unshare")
        .args([
            "--mount",
            "--pid",
            "--fork",
            "--mount-proc",
            "--net",
            "--propagation",
            "private",
            "--kill-child",
            "--",
        ])
        .arg(&exe)
        .args([
            test,
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_VAR, test)
        .env(CGROUP_VAR, &cgroup)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn unshare");
    // drain the pipes while the node runs: a child blocked on a full pipe
    // (a long panic message) would otherwise never exit
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    };
    let stdout_rx = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr_rx = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + NODE_TEST_TIMEOUT;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for the node") {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = child.wait();
    let collect = |rx: std::sync::mpsc::Receiver<Vec<u8>>| {
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| b"(output not collected: a process still holds the pipe)".to_vec())
    };
    let (stdout, stderr) = (collect(stdout_rx), collect(stderr_rx));
    remove_cgroups(&cgroup);
    eprintln!(
        "--- {test} on its private node: stdout ---\n{}",
        String::from_utf8_lossy(&stdout)
    );
    eprintln!("--- stderr ---\n{}", String::from_utf8_lossy(&stderr));
    match status {
        None => panic!("{test} timed out after {NODE_TEST_TIMEOUT:?}"),
        Some(st) => assert!(st.success(), "{test} failed on its private node: {st}"),
    }
    let text = String::from_utf8_lossy(&stdout);
    assert!(
        text.contains("1 passed"),
        "{test} did not run on its private node (is the name right?):\n{text}"
    );
}

fn setup_private_node() {
    for dir in PRIVATE_DIRS {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {dir}: {e}"));
        sh(&format!("mount -t tmpfs -o mode=755 podnet-test {dir}"));
    }
    std::fs::create_dir_all("/run/netns").expect("mkdir /run/netns");
    sh("ip link set lo up");
}

/// The cgroup directory name this test may create (under each v1
/// controller, or at the top of a v2 hierarchy).
pub fn test_cgroup() -> String {
    std::env::var(CGROUP_VAR).expect("only on a private node")
}

/// Removes this test's cgroup directories, deepest first (processes are
/// gone by now): under each v1 controller, and under a v2 hierarchy mounted
/// at /sys/fs/cgroup itself (where runtimes and the kubepods helper make
/// them on a v2-only host) or at /sys/fs/cgroup/unified.
fn remove_cgroups(name: &str) {
    let top = Path::new("/sys/fs/cgroup").join(name);
    if top.is_dir() {
        rmdir_tree(&top);
    }
    let Ok(controllers) = std::fs::read_dir("/sys/fs/cgroup") else {
        return;
    };
    for c in controllers.flatten() {
        let dir = c.path().join(name);
        if dir.is_dir() {
            rmdir_tree(&dir);
        }
    }
}

fn rmdir_tree(dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                rmdir_tree(&e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Runs a shell command; panics with its output when it fails.
pub fn sh(cmd: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("spawn sh");
    assert!(
        out.status.success(),
        "command failed: {cmd}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a shell command and parses its stdout as JSON.
pub fn sh_json(cmd: &str) -> serde_json::Value {
    let text = sh(cmd);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{cmd}: not JSON ({e}): {text}"))
}

/// Runs podnet with arguments; returns the whole output.
pub fn podnet(args: &[&str]) -> Output {
    Command::new(PODNET)
        .args(args)
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .output()
        .expect("spawn podnet")
}

/// Runs podnet, asserts exit 0, parses stdout as JSON.
pub fn podnet_json(args: &[&str]) -> serde_json::Value {
    let out = podnet(args);
    assert!(
        out.status.success(),
        "podnet {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "podnet {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A directory in the test crate's fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}
