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

use std::io::{IsTerminal, Write};

use crate::cli::{
    Cli, ColorChoice, Command, GlobalArgs, KubeArgs, NsCommand, OutputFormat, VethCommand,
};
use crate::error::{Outcome, Result};
use crate::render::Style;
use crate::sys::HostRoot;

/// What every command gets from the global options.
pub struct Ctx {
    pub output: OutputFormat,
    pub style: Style,
    pub root: HostRoot,
    pub kube: KubeArgs,
}

impl Ctx {
    fn new(g: &GlobalArgs) -> Self {
        let color = use_color(g.color, std::io::stdout().is_terminal());
        colored::control::set_override(color);
        Ctx {
            output: g.output,
            style: Style {
                color,
                wide: g.output == OutputFormat::Wide,
                verbose: g.verbose,
            },
            root: HostRoot::new(&g.host_root),
            kube: g.kube.clone(),
        }
    }

    pub fn json(&self) -> bool {
        self.output == OutputFormat::Json
    }

    /// Prints warnings on stderr unless they go into the JSON document.
    pub fn warn(&self, warnings: &[String]) {
        if !self.json() && !warnings.is_empty() {
            let style = Style {
                color: use_color_stderr(self.style.color),
                ..self.style
            };
            let _ = crate::render::write_warnings(&mut std::io::stderr().lock(), warnings, &style);
        }
    }
}

/// Prints one warning line on stderr now (for steps whose warnings cannot
/// wait for the command's document), escaped like every other line.
pub fn warn_line(msg: &str) {
    eprintln!("podnet: warning: {}", crate::render::Esc(msg));
}

fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_tty
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map(|t| t != "dumb").unwrap_or(true)
        }
    }
}

fn use_color_stderr(stdout_color: bool) -> bool {
    stdout_color && std::io::stderr().is_terminal()
}

/// Whether error lines on stderr are coloured.
pub fn stderr_color(g: &GlobalArgs) -> bool {
    use_color(g.color, std::io::stderr().is_terminal())
}

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
