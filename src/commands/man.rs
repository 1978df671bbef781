//! `podnet man`: the roff man page(s) generated from the clap definition.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Outcome, Result};
use crate::sys::files;

/// Every page: `podnet.1`, then `podnet-<cmd>[-<sub>].1` for each subcommand.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let cmd = crate::cli::command();
    let mut out = Vec::new();
    collect(&cmd, "podnet", &mut out);
    out
}

fn collect(cmd: &clap::Command, name: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let mut buf = Vec::new();
    let page = cmd.clone().name(name.to_string());
    if clap_mangen::Man::new(page).render(&mut buf).is_ok() {
        out.push((format!("{name}.1"), buf));
    }
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        collect(sub, &format!("{name}-{}", sub.get_name()), out);
    }
}

pub fn run(out_dir: Option<&Path>, out: &mut dyn Write) -> Result<Outcome> {
    let pages = pages();
    match out_dir {
        None => {
            if let Some((_, main)) = pages.first() {
                out.write_all(main).map_err(Error::output)?;
            }
        }
        Some(dir) => {
            for (name, bytes) in &pages {
                let path = dir.join(name);
                files::write_creating_dirs(&path, bytes)
                    .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
            }
        }
    }
    Ok(Outcome::Clean)
}
