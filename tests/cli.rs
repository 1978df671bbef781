//! The command line as users meet it: --help text (snapshots), exit codes,
//! one-line errors, missing privileges, colour, a closed stdout pipe.

mod common;

use std::process::{Command, Stdio};

use common::PODNET;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(PODNET)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("PODNET_OUTPUT")
        .env_remove("PODNET_HOST_ROOT")
        .env_remove("NODE_NAME")
        .output()
        .expect("spawn podnet")
}

fn help(args: &[&str]) -> String {
    let mut a = args.to_vec();
    a.push("--help");
    let out = run(&a);
    assert_eq!(out.status.code(), Some(0), "{args:?} --help");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

#[test]
fn help_texts() {
    for cmd in [
        &[][..],
        &["ns"],
        &["ns", "list"],
        &["ns", "pids"],
        &["veth"],
        &["veth", "list"],
        &["veth", "pair"],
        &["veth", "top"],
        &["ethtool"],
        &["doctor"],
        &["trace"],
        &["exec"],
        &["probe"],
        &["drops"],
        &["completions"],
        &["man"],
        &["cni"],
        &["cni", "add"],
        &["cni", "del"],
        &["cni", "check"],
        &["cni", "ls"],
        &["cni", "gc"],
        &["lab"],
        &["lab", "up"],
        &["lab", "down"],
        &["lab", "status"],
        &["lab", "break"],
        &["lab", "fix"],
        &["lab", "exec"],
    ] {
        let name = if cmd.is_empty() {
            "podnet".to_string()
        } else {
            format!("podnet-{}", cmd.join("-"))
        };
        insta::assert_snapshot!(name, help(cmd));
    }
}

#[test]
fn a_commands_own_options_come_before_the_global_ones() {
    let h = help(&["veth", "pair"]);
    let global = h
        .find("\nGlobal options:\n")
        .expect("a Global options heading");
    assert!(h.find("--stats").expect("its own option") < global, "{h}");
    for opt in [
        "--output",
        "--color",
        "--host-root",
        "--verbose",
        "--no-kube",
    ] {
        assert!(
            h.find(opt).expect(opt) > global,
            "{opt} under Global options:\n{h}"
        );
    }
}

#[test]
fn kube_options_are_shown_only_on_commands_that_ask_the_api() {
    for cmd in [
        &["ns", "list"][..],
        &["veth", "pair"],
        &["doctor"],
        &["probe"],
    ] {
        assert!(help(cmd).contains("--kubeconfig <FILE>"), "{cmd:?}");
    }
    for cmd in [
        &["lab"][..],
        &["lab", "up"],
        &["cni", "add"],
        &["cni", "gc"],
        &["man"],
    ] {
        let h = help(cmd);
        assert!(
            !h.contains("--kube") && !h.contains("--node-name"),
            "{cmd:?}:\n{h}"
        );
    }
    // hidden, not gone: accepted before and after the command, as before
    for args in [
        &["--no-kube", "lab", "up", "--help"][..],
        &["lab", "up", "--no-kube", "--help"],
        &["cni", "ls", "--kube", "--help"],
        &["--no-kube", "ns", "list", "--help"],
        &["ns", "list", "--no-kube", "--help"],
    ] {
        assert_eq!(run(args).status.code(), Some(0), "{args:?}");
    }
}

/// The after-help prose is one line a paragraph, so clap wraps it to the
/// terminal (COLUMNS here, as there is no terminal), instead of a hand wrap
/// at 100 columns that a narrower terminal wraps again, leaving an orphan.
#[test]
fn after_help_prose_is_wrapped_by_the_terminal_not_by_hand() {
    fn walk(cmd: &clap::Command, path: String, bad: &mut Vec<String>) {
        if let Some(text) = cmd.get_after_help() {
            let text = text.to_string();
            let lines: Vec<&str> = text.lines().collect();
            for pair in lines.windows(2) {
                let continued = !pair[1].is_empty() && !pair[1].starts_with(' ');
                if !pair[0].starts_with(' ') && pair[0].chars().count() > 80 && continued {
                    bad.push(format!("{path}: {:?} / {:?}", pair[0], pair[1]));
                }
            }
        }
        for sc in cmd.get_subcommands() {
            walk(sc, format!("{path} {}", sc.get_name()), bad);
        }
    }
    let mut bad = Vec::new();
    walk(&podnet::cli::command(), "podnet".into(), &mut bad);
    assert!(bad.is_empty(), "hand-wrapped after-help: {bad:#?}");

    for cmd in [
        &["trace"][..],
        &["exec"],
        &["veth", "pair"],
        &["ethtool"],
        &["ns", "pids"],
    ] {
        let out = Command::new(PODNET)
            .args(cmd)
            .arg("--help")
            .env("NO_COLOR", "1")
            .env("COLUMNS", "80")
            .output()
            .expect("spawn podnet");
        let text = String::from_utf8(out.stdout).expect("utf-8 help");
        assert!(text.contains("Examples:"), "{cmd:?}");
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{cmd:?}: {line:?} is wider than 80"
            );
        }
    }
}

#[test]
fn no_arguments_prints_help_and_fails_as_usage() {
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: podnet"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["nosuch"][..],
        &["ns", "pids"],
        &["ns", "list", "-o", "yaml"],
        &["--color", "sometimes", "ns", "list"],
        &["ns", "list", "--kube", "--no-kube"],
        &["cni", "add", "default/web"],
        &["cni", "gc", "--min-age", "soon"],
        &["cni", "nosuch"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("error: "),
            "{args:?}"
        );
    }
}

#[test]
fn version() {
    let out = run(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("podnet {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Runs podnet as an unprivileged user with no capabilities (needs root to drop them;
/// as non-root the process has none anyway).
fn unprivileged(args: &[&str]) -> std::process::Output {
    let mut cmd = if common::is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
        ])
        .arg(PODNET);
        c
    } else {
        Command::new(PODNET)
    };
    cmd.args(args).env("NO_COLOR", "1").output().expect("spawn")
}

#[test]
fn missing_capabilities_are_named_in_one_line() {
    for (args, what) in [
        (&["ns", "list"][..], "ns list"),
        (&["ns", "pids", "x"], "ns pids"),
    ] {
        let out = unprivileged(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let mut lines = err.lines();
        assert_eq!(
            lines.next(),
            Some(format!("podnet: error: {what} needs CAP_SYS_ADMIN, CAP_SYS_PTRACE; this process lacks CAP_SYS_ADMIN, CAP_SYS_PTRACE").as_str()),
            "{err}"
        );
        assert!(
            lines
                .next()
                .unwrap_or("")
                .starts_with("hint: run it as root"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn help_completions_and_man_need_no_privileges() {
    for args in [
        &["--help"][..],
        &["ns", "list", "--help"],
        &["completions", "zsh"],
        &["man"],
    ] {
        let out = unprivileged(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty());
    }
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    // A fixture node large enough to overflow the pipe buffer.
    let f = common::fixture::FixtureRoot::new();
    f.process(1, 0, "init", 1, 1, None);
    for pid in 2..3000 {
        f.process(pid, 1, "pause", pid as u64, 10_000 + pid as u64, None);
    }
    let mut child = Command::new(PODNET)
        .args([
            "--host-root",
            &f.arg(),
            "--no-kube",
            "ns",
            "list",
            "-o",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("error"));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let f = common::fixture::FixtureRoot::new();
    f.process(1, 0, "init", 1, 1, None);
    let base = ["--host-root", &f.arg(), "--no-kube", "ns", "list"];
    let always = Command::new(PODNET)
        .args(base)
        .args(["--color", "always"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&always.stdout).contains("\x1b["),
        "--color always colours"
    );
    for extra in [&["--color", "never"][..], &["--color", "auto"]] {
        let out = Command::new(PODNET)
            .args(base)
            .args(extra)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("\x1b["),
            "{extra:?}"
        );
    }
}

#[test]
fn host_root_from_the_environment() {
    let f = common::fixture::FixtureRoot::new();
    f.process(1, 0, "init", 1, 4242, None);
    let out = Command::new(PODNET)
        .args(["--no-kube", "ns", "list", "-o", "json"])
        .env("PODNET_HOST_ROOT", f.arg())
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["namespaces"][0]["inode"], 4242);
}

#[test]
fn a_missing_proc_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "--host-root",
        &dir.path().display().to_string(),
        "--no-kube",
        "ns",
        "list",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "podnet: error: list {}/proc: No such file or directory",
            dir.path().display()
        )),
        "{err}"
    );
}

#[test]
fn cni_commands_name_missing_capabilities() {
    for (args, what, caps) in [
        (
            &["cni", "add", "default/web", "--net", "pods"][..],
            "cni add",
            "CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE",
        ),
        (
            &["cni", "gc", "--dry-run"],
            "cni gc",
            "CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE",
        ),
        (&["cni", "ls"], "cni ls", "CAP_SYS_PTRACE"),
    ] {
        let out = unprivileged(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with(&format!(
                "podnet: error: {what} needs {caps}; this process lacks"
            )),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn lab_commands_name_missing_capabilities() {
    for (args, what, caps) in [
        (&["lab", "up"][..], "lab up", "CAP_SYS_ADMIN, CAP_NET_ADMIN"),
        (&["lab", "down"], "lab down", "CAP_SYS_ADMIN, CAP_NET_ADMIN"),
        (
            &["lab", "break", "mtu"],
            "lab break",
            "CAP_SYS_ADMIN, CAP_NET_ADMIN",
        ),
        (
            &["lab", "fix", "--all"],
            "lab fix",
            "CAP_SYS_ADMIN, CAP_NET_ADMIN",
        ),
        (
            &["lab", "exec", "node1", "--", "true"],
            "lab exec",
            "CAP_SYS_ADMIN, CAP_NET_ADMIN",
        ),
        (
            &["lab", "status"],
            "lab status",
            "CAP_SYS_ADMIN, CAP_NET_RAW",
        ),
        (
            &["lab", "status", "--no-probe"],
            "lab status",
            "CAP_SYS_ADMIN",
        ),
    ] {
        let out = unprivileged(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with(&format!(
                "podnet: error: {what} needs {caps}; this process lacks"
            )),
            "{err}"
        );
        assert_eq!(err.lines().count(), 2, "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn lab_usage_errors_exit_2() {
    for args in [
        &["lab", "break"][..],
        &["lab", "break", "mtu", "--random"],
        &["lab", "break", "nonsense"],
        &["lab", "fix", "mtu", "--all"],
        &["lab", "exec", "node1"],
        &["lab", "up", "--overlay", "geneve"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
