//! One file per command; the only place that wires sys → discover →
//! analyze → render. `run` dispatches a parsed command line.

pub mod cni;
pub mod cni_gc;
pub mod cni_plugin;
pub mod cni_runtime;
pub mod completions;
pub mod doctor;
mod doctor_env;
mod doctor_lab;
pub mod doctor_peers;
pub mod drops;
pub mod ethtool;
pub mod exec;
pub mod inventory;
pub mod lab;
pub mod lab_down;
pub mod lab_exec;
pub mod lab_fault;
pub mod lab_status;
pub mod lab_up;
pub mod man;
pub mod node_facts;
pub mod ns_list;
pub mod ns_pids;
pub mod pause;
pub mod probe;
pub mod trace;
pub mod veth_list;
pub mod veth_pair;
pub mod veth_top;

mod ctx;

use std::io::Write;

use crate::cli::{Cli, Command, NsCommand, VethCommand};
use crate::error::{Outcome, Result};

pub use ctx::{Ctx, stderr_color, warn_line};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<Outcome> {
    let ctx = Ctx::new(&cli.global);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let outcome = match cli.command {
        Command::Ns(NsCommand::List(args)) => ns_list::run(&ctx, &args, &mut out)?,
        Command::Ns(NsCommand::Pids(args)) => ns_pids::run(&ctx, &args, &mut out)?,
        Command::Veth(VethCommand::List(args)) => veth_list::run(&ctx, &args, &mut out)?,
        Command::Veth(VethCommand::Pair(args)) => veth_pair::run(&ctx, &args, &mut out)?,
        Command::Veth(VethCommand::Top(args)) => veth_top::run(&ctx, &args, &mut out)?,
        Command::Ethtool(args) => ethtool::run(&ctx, &args, &mut out)?,
        Command::Doctor(args) => doctor::run(&ctx, &args, &mut out)?,
        Command::Trace(args) => trace::run(&ctx, &args, &mut out)?,
        Command::Probe(args) => probe::run(&ctx, &args, &mut out)?,
        Command::Drops(args) => drops::run(&ctx, &args, &mut out)?,
        Command::Exec(args) => {
            drop(out);
            return exec::run(&ctx, &args);
        }
        Command::Completions { shell } => completions::run(shell, &mut out)?,
        Command::Pause { netns } => pause::run(netns.as_deref())?,
        Command::Man { out_dir } => man::run(out_dir.as_deref(), &mut out)?,
        Command::Cni(c) => cni::run(&ctx, &c, &mut out)?,
        Command::Lab(c) => lab::run(&ctx, &c, &mut out)?,
    };
    out.flush().map_err(crate::error::Error::output)?;
    Ok(outcome)
}
