//! `podnet completions <shell>`: prints a completion script generated from the clap definition.

use std::io::Write;

use clap_complete::Shell;

use crate::error::{Outcome, Result};

/// The completion script for `shell` (hidden commands left out).
pub fn script(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(
        shell,
        &mut crate::cli::completion_command(),
        "podnet",
        &mut buf,
    );
    buf
}

pub fn run(shell: Shell, out: &mut dyn Write) -> Result<Outcome> {
    out.write_all(&script(shell))
        .map_err(crate::error::Error::output)?;
    Ok(Outcome::Clean)
}
