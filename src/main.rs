//! The `podnet` binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use podnet::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = podnet::commands::stderr_color(&cli.global);
    match podnet::commands::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            podnet::render::error::print_error(&err, color);
            ExitCode::from(err.exit_code())
        }
    }
}
