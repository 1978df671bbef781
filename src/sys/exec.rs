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
    let Some((prog, args)) = argv.split_first() else {
        return (
            "exec",
            io::Error::new(io::ErrorKind::InvalidInput, "no command given"),
        );
    };
    if let Err(e) = super::netns::enter(netns) {
        return ("setns", e);
    }
    ("exec", Command::new(prog).args(args).exec())
}
