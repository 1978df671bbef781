//! Replaces this process with a program running in another network
//! namespace (the `nsenter --net` equivalent): setns on the calling thread,
//! then execvp. Only the network namespace changes; argv goes to the
//! program as given, without a shell.

use std::fs::File;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Never returns on success; on failure, says which step failed.
pub fn exec_in(netns: &File, argv: &[String]) -> (&'static str, io::Error) {
    exec_after_entering(|| super::netns::enter(netns), argv)
}

/// [`exec_in`] for the namespace bind-mounted at `netns`.
pub fn exec_in_path(netns: &std::path::Path, argv: &[String]) -> (&'static str, io::Error) {
    exec_after_entering(|| super::netns_run::enter(netns), argv)
}

fn exec_after_entering(
    enter: impl FnOnce() -> io::Result<()>,
    argv: &[String],
) -> (&'static str, io::Error) {
    let Some((prog, args)) = argv.split_first() else {
        return (
            "exec",
            io::Error::new(io::ErrorKind::InvalidInput, "no command given"),
        );
    };
    if let Err(e) = enter() {
        return ("setns", e);
    }
    ("exec", Command::new(prog).args(args).exec())
}
