//! The one-line error (`podnet: error: …`) and its `hint: …` line, on stderr.

use std::io::Write;

use colored::Colorize;

use crate::error::Error;

/// Formats an error and its hint as the lines printed on stderr.
pub fn format_error(err: &Error, color: bool) -> String {
    let label = if color {
        "error".red().bold().to_string()
    } else {
        "error".into()
    };
    let mut s = format!(
        "podnet: {label}: {}",
        super::Esc(&one_line(&err.to_string()))
    );
    if let Some(hint) = err.hint() {
        let hint = super::esc(&hint);
        let h = if color {
            "hint".cyan().to_string()
        } else {
            "hint".into()
        };
        s.push_str(&format!("\n{h}: {hint}"));
    }
    s
}

/// Prints the error to stderr.
pub fn print_error(err: &Error, color: bool) {
    let _ = writeln!(std::io::stderr().lock(), "{}", format_error(err, color));
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_capability_names_it_and_hints() {
        let e = Error::MissingCapability {
            what: "ns list".into(),
            needed: vec!["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"],
            missing: vec!["CAP_SYS_ADMIN"],
        };
        let s = format_error(&e, false);
        assert_eq!(
            s.lines().next().unwrap(),
            "podnet: error: ns list needs CAP_SYS_ADMIN, CAP_SYS_PTRACE; this process lacks CAP_SYS_ADMIN"
        );
        assert!(
            s.lines()
                .nth(1)
                .unwrap()
                .starts_with("hint: run it as root")
        );
    }
}
