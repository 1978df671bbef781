//! The README's set-up commands and `.ci/run` stay in step: CI runs the
//! README's test command and installs every package the README names.

use std::collections::BTreeSet;

fn read(rel: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn packages(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| l.contains("apt-get install")) {
        let after = line.split("apt-get install").nth(1).unwrap_or("");
        for word in after.split_whitespace().take_while(|w| *w != "&&") {
            if !word.starts_with('-') && word != "\\" {
                out.insert(word.to_string());
            }
        }
    }
    out
}

#[test]
fn ci_runs_the_readme_test_command_with_its_packages() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    let test_line = readme
        .lines()
        .find(|l| l.contains("cargo test"))
        .expect("a test command in the README");
    let cmd = test_line
        .split("env \"PATH=$PATH\" ")
        .nth(1)
        .expect("run as root with the caller's PATH")
        .trim();
    assert!(
        ci.lines().any(|l| l.trim() == cmd),
        ".ci/run must run `{cmd}`"
    );
    let ci_joined = ci.replace("\\\n", " ");
    let missing: Vec<String> = packages(test_line)
        .difference(&packages(&ci_joined))
        .cloned()
        .collect();
    assert!(missing.is_empty(), ".ci/run does not install {missing:?}");
    assert!(ci.contains("apt-get update"));
}
