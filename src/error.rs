//! podnet's error type: what went wrong, the hint that fixes it, and the exit code. No I/O.

use std::fmt;
use std::io;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that stops a command from doing its job (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line or an argument is wrong.
    #[error("{0}")]
    Usage(String),

    /// The process lacks a capability the command needs.
    #[error("{what} needs {}; this process lacks {}", .needed.join(", "), .missing.join(", "))]
    MissingCapability {
        what: String,
        needed: Vec<&'static str>,
        missing: Vec<&'static str>,
    },

    /// A pod, namespace or interface the user named does not exist.
    #[error("{0}")]
    NotFound(String),

    /// A name matched more than one object.
    #[error("{what} is ambiguous: it matches {}", .candidates.join(", "))]
    Ambiguous {
        what: String,
        candidates: Vec<String>,
    },

    /// A system call or file operation failed.
    #[error("{op}: {source}")]
    Io {
        op: String,
        #[source]
        source: io::Error,
    },

    /// `exec` could not start the program (exit 127 when it does not exist, else 126).
    #[error("{what}: {source}")]
    ExecFailed {
        what: String,
        #[source]
        source: io::Error,
    },

    /// Anything else, already worded for the user.
    #[error("{msg}")]
    Other { msg: String, hint: Option<String> },
}

impl Error {
    /// An I/O error with the operation and object that failed, e.g. `open /run/netns/x`.
    pub fn io(op: impl fmt::Display, source: io::Error) -> Self {
        Error::Io {
            op: op.to_string(),
            source,
        }
    }

    pub fn other(msg: impl Into<String>) -> Self {
        Error::Other {
            msg: msg.into(),
            hint: None,
        }
    }

    pub fn with_hint(msg: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Other {
            msg: msg.into(),
            hint: Some(hint.into()),
        }
    }

    /// The fix, where there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::MissingCapability { .. } => Some(
                "run it as root (sudo podnet …), or grant the capabilities (setcap, or securityContext.capabilities in a DaemonSet)".into(),
            ),
            Error::Ambiguous { .. } => {
                Some("name the pod as namespace/name, or by UID, sandbox id, PID or IP".into())
            }
            Error::Io { source, .. } => match crate::sys::io_context::errno(source) {
                Some(libc::EPERM) | Some(libc::EACCES) => Some(
                    "run it as root; entering namespaces needs CAP_SYS_ADMIN and reading other processes needs CAP_SYS_PTRACE".into(),
                ),
                _ => None,
            },
            Error::Other { hint, .. } => hint.clone(),
            Error::Usage(_) | Error::NotFound(_) | Error::ExecFailed { .. } => None,
        }
    }

    /// Exit status: 2 (could not do the job), or the shell's 127/126 when a
    /// program to run is missing or not executable.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::ExecFailed { source, .. } if source.kind() == io::ErrorKind::NotFound => 127,
            Error::ExecFailed { .. } => 126,
            _ => 2,
        }
    }

    /// Writing to a closed stdout pipe is not an error (`podnet … | head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// A failed write of a command's output (a closed pipe, a full disk): what
/// every `render` function returns, so only output writes are labelled
/// "write output" when they become an [`Error`]; any other I/O error must
/// say what it was doing ([`Error::io`]).
#[derive(Debug)]
pub struct OutputError(pub io::Error);

impl From<io::Error> for OutputError {
    fn from(e: io::Error) -> Self {
        OutputError(e)
    }
}

impl From<OutputError> for Error {
    fn from(OutputError(source): OutputError) -> Self {
        Error::Io {
            op: "write output".into(),
            source,
        }
    }
}

/// What a `render` function returns.
pub type Written = std::result::Result<(), OutputError>;

impl Error {
    /// A failed write of output done in a command itself (a blank line, a flush).
    pub fn output(source: io::Error) -> Self {
        OutputError(source).into()
    }
}

/// How a command that ran to the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was found and is fine (exit 0).
    Clean,
    /// The command ran but found problems: a failed check, an unpaired veth (exit 1).
    Problems,
    /// Stopped by Ctrl-C after cleaning up (exit 130).
    Interrupted,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Problems => 1,
            Outcome::Interrupted => 130,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::io_context::context;

    #[test]
    fn a_worded_permission_error_keeps_its_hint() {
        let e = context(
            io::Error::from_raw_os_error(libc::EACCES),
            "open /run/netns/a",
        );
        let hint = Error::io("enter pod default/a", e)
            .hint()
            .unwrap_or_default();
        assert!(hint.starts_with("run it as root"), "{hint:?}");
        assert_eq!(Error::io("read", io::Error::other("short")).hint(), None);
    }
}
