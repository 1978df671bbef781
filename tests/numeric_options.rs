//! Every numeric option of every command meets NaN, infinities, negative,
//! huge, 2^64, empty and valid values: the invalid ones are refused when the
//! command line is parsed (exit 2, a line naming the option, at once), the
//! valid ones are accepted. Needs no privileges: nothing is run past the
//! parser (an invalid value is first checked to be refused in-process, so a
//! command is never started by accident).

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use podnet::cli::Cli;

/// One numeric option: the words before it, its name, and a valid value.
struct NumericOption {
    command: &'static [&'static str],
    option: &'static str,
    valid: &'static str,
}

const fn opt(
    command: &'static [&'static str],
    option: &'static str,
    valid: &'static str,
) -> NumericOption {
    NumericOption {
        command,
        option,
        valid,
    }
}

/// Every numeric option in src/cli.rs.
const OPTIONS: &[NumericOption] = &[
    opt(&["veth", "top"], "--interval", "0.5"),
    opt(&["veth", "top"], "--count", "3"),
    opt(&["probe", "web", "10.0.0.1"], "--count", "2"),
    opt(&["probe", "web", "10.0.0.1"], "--interval", "0.2"),
    opt(&["probe", "web", "10.0.0.1"], "--timeout", "1.5"),
    opt(&["probe", "web", "10.0.0.1"], "--size", "1400"),
    opt(&["probe", "web", "10.0.0.1"], "--tcp", "443"),
    opt(&["probe", "web", "10.0.0.1"], "--udp", "53"),
    opt(&["probe", "web", "10.0.0.1"], "--port", "8080"),
    opt(&["doctor"], "--sample", "0.5"),
    opt(&["drops"], "--duration", "2.5"),
    opt(&["drops"], "--rate", "10"),
    opt(&["cni", "gc"], "--min-age", "60"),
    opt(&["lab", "up"], "--nodes", "2"),
    opt(&["lab", "up"], "--pods", "3"),
    opt(&["lab", "status"], "--timeout", "500"),
];

/// Values no numeric option takes.
const INVALID: &[&str] = &[
    "NaN",
    "nan",
    "inf",
    "-inf",
    "infinity",
    "-1",
    "-0.5",
    "1e30",
    "18446744073709551616",
    "18446744073709551615",
    "340282366920938463463374607431768211456",
    "",
    " ",
    "1x",
    "0x10",
];

fn argv(o: &NumericOption, value: &str) -> Vec<String> {
    let mut v = vec!["podnet".to_string()];
    v.extend(o.command.iter().map(|s| s.to_string()));
    v.push(format!("{}={value}", o.option));
    v
}

#[test]
fn every_numeric_option_accepts_a_valid_value() {
    for o in OPTIONS {
        let args = argv(o, o.valid);
        if let Err(e) = Cli::try_parse_from(&args) {
            panic!("{args:?} refused: {e}");
        }
    }
}

#[test]
fn every_numeric_option_refuses_nan_infinities_negatives_and_extremes_at_parse_time() {
    let mut accepted = Vec::new();
    for o in OPTIONS {
        for v in INVALID {
            let args = argv(o, v);
            if Cli::try_parse_from(&args).is_ok() {
                accepted.push(args);
            }
        }
    }
    assert!(accepted.is_empty(), "accepted at parse time: {accepted:#?}");
}

#[test]
fn the_binary_exits_2_at_once_on_every_invalid_numeric_value() {
    for o in OPTIONS {
        for v in INVALID {
            let args = argv(o, v);
            // never start a command: only what the parser refuses is run
            assert!(Cli::try_parse_from(&args).is_err(), "{args:?} is accepted");
            let mut child = Command::new(common::PODNET)
                .args(&args[1..])
                .env("NO_COLOR", "1")
                .env_remove("PODNET_HOST_ROOT")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn podnet");
            let deadline = Instant::now() + Duration::from_secs(20);
            let status = loop {
                if let Some(st) = child.try_wait().expect("wait") {
                    break st;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    panic!("{args:?} did not exit");
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            let out = child.wait_with_output().expect("output");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(status.code(), Some(2), "{args:?}: {err}");
            let first = err.lines().next().unwrap_or_default();
            assert!(
                first.starts_with("error: invalid value") && first.contains(o.option),
                "{args:?}: the first line should name the option: {err}"
            );
        }
    }
}

#[test]
fn parsed_durations_are_the_seconds_given() {
    let cli = Cli::try_parse_from(["podnet", "doctor", "--sample", "0.25"]).unwrap();
    let podnet::cli::Command::Doctor(d) = cli.command else {
        panic!("not doctor");
    };
    assert_eq!(d.sample, Duration::from_millis(250));
    let cli = Cli::try_parse_from(["podnet", "veth", "top"]).unwrap();
    let podnet::cli::Command::Veth(podnet::cli::VethCommand::Top(t)) = cli.command else {
        panic!("not veth top");
    };
    assert_eq!(t.interval, Duration::from_secs(2), "the default");
}
