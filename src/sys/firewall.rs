//! The firewall tools as processes (process I/O): where `nft`,
//! `iptables` and `ip6tables` are, running them (with a script on stdin),
//! and `iptables -S` quoting undone. No knowledge of whose rules they
//! are: the CNI wing's masquerade rules are `cni::masq`.

use std::io;
use std::path::PathBuf;
use std::process::{Command, Output};

const SEARCH: &[&str] = &[
    "/usr/sbin",
    "/sbin",
    "/usr/bin",
    "/bin",
    "/usr/local/sbin",
    "/usr/local/bin",
];

/// Where a tool is: on PATH, else in the usual sbin directories.
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .filter(|d| !d.is_empty())
        .chain(SEARCH.iter().copied())
        .map(|d| PathBuf::from(d).join(name))
        .find(|p| p.is_file())
}

/// Runs a tool (found by [`tool`]), with `stdin` piped in when given.
pub fn run(tool_name: &str, args: &[&str], stdin: Option<&str>) -> io::Result<Output> {
    let bin = tool(tool_name).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{tool_name} is not installed"),
        )
    })?;
    let mut cmd = Command::new(bin);
    cmd.args(args);
    let out = match stdin {
        None => cmd.output()?,
        Some(text) => {
            use std::io::Write;
            let mut child = cmd
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()?;
            if let Some(mut i) = child.stdin.take() {
                i.write_all(text.as_bytes())?;
            }
            child.wait_with_output()?
        }
    };
    Ok(out)
}

/// Runs a tool; its stdout, or an error naming it with its stderr when it fails.
pub fn run_ok(tool_name: &str, args: &[&str], stdin: Option<&str>) -> io::Result<String> {
    let out = run(tool_name, args, stdin)?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{tool_name} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Splits an `iptables -S` line into arguments (double quotes, backslashes).
pub fn split_rule(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut has = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    has = true;
                }
            }
            '"' => {
                in_quotes = !in_quotes;
                has = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_iptables_save_lines() {
        let a = split_rule(
            r#"-A POSTROUTING -s 10.88.0.2/32 -m comment --comment "podnet 1234abcd net1/abc/eth0" -j X"#,
        );
        assert_eq!(a[4], "-m");
        assert_eq!(a[7], "podnet 1234abcd net1/abc/eth0");
        assert_eq!(split_rule(r#"a "b \" c" d"#), vec!["a", "b \" c", "d"]);
    }
}
