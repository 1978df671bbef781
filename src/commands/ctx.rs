//! What every command gets from the global options (output format, style,
//! host root, API options), and where warnings go. Reads only whether
//! stdout and stderr are terminals and the colour environment.

use std::io::IsTerminal;

use crate::cli::{ColorChoice, GlobalArgs, KubeArgs, OutputFormat};
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
    pub(super) fn new(g: &GlobalArgs) -> Self {
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
