//! The `podnet` binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    // A runtime runs podnet as a CNI plugin: the CNI environment, not argv, says so.
    if std::env::var_os("CNI_COMMAND").is_some() {
        return ExitCode::from(podnet::commands::cni_plugin::main());
    }
    let cli = podnet::cli::parse();
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
