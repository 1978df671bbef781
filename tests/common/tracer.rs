//! The raw `skb:kfree_skb` tracepoint as a test oracle: a tracefs instance
//! of the test's own (tracefs mounted in the test's private mount
//! namespace when the node has none), its lines read without blocking.
//! Independent of podnet's code.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

const TRACEFS: &str = "/sys/kernel/tracing";

/// Mounts tracefs in the (private) mount namespace unless it is there.
pub fn ensure_tracefs() {
    if !std::path::Path::new(&format!("{TRACEFS}/events")).exists() {
        super::sh(&format!("mount -t tracefs nodev {TRACEFS}"));
    }
}

pub struct Tracer {
    dir: PathBuf,
    pipe: Option<std::fs::File>,
    text: String,
}

impl Tracer {
    /// An instance named `name` with kfree_skb enabled (tracefs instances
    /// are the machine's: the name must be unique across PID namespaces).
    pub fn start(name: &str) -> Tracer {
        ensure_tracefs();
        let dir = PathBuf::from(format!("{TRACEFS}/instances/{name}"));
        std::fs::create_dir(&dir).expect("create a trace instance");
        std::fs::write(dir.join("events/skb/kfree_skb/enable"), "1").expect("enable kfree_skb");
        let pipe = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(dir.join("trace_pipe"))
            .expect("open trace_pipe");
        Tracer {
            dir,
            pipe: Some(pipe),
            text: String::new(),
        }
    }

    /// Everything traced so far.
    pub fn read(&mut self) -> &str {
        let mut buf = [0u8; 65536];
        if let Some(p) = self.pipe.as_mut() {
            while let Ok(n) = p.read(&mut buf) {
                if n == 0 {
                    break;
                }
                self.text.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
        &self.text
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        let _ = std::fs::write(self.dir.join("events/skb/kfree_skb/enable"), "0");
        self.pipe = None;
        let _ = std::fs::remove_dir(&self.dir);
    }
}
