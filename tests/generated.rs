//! The checked-in completion scripts (completions/) and man pages
//! (docs/man/) must match what the code generates. Regenerate with
//! `PODNET_BLESS=1 cargo test --test generated`.

use std::path::Path;

use clap_complete::Shell;

const SHELLS: &[(Shell, &str)] = &[
    (Shell::Bash, "podnet.bash"),
    (Shell::Zsh, "_podnet"),
    (Shell::Fish, "podnet.fish"),
    (Shell::Elvish, "podnet.elv"),
    (Shell::PowerShell, "_podnet.ps1"),
];

fn check(path: &Path, want: &[u8], stale: &mut Vec<String>) {
    if std::env::var("PODNET_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, want).unwrap();
        return;
    }
    match std::fs::read(path) {
        Ok(have) if have == want => {}
        _ => stale.push(path.display().to_string()),
    }
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for (shell, file) in SHELLS {
        check(
            &root.join("completions").join(file),
            &podnet::commands::completions::script(*shell),
            &mut stale,
        );
    }
    let pages = podnet::commands::man::pages();
    assert!(pages.len() > 3, "one page per command");
    for (name, bytes) in &pages {
        check(&root.join("docs/man").join(name), bytes, &mut stale);
    }
    // no page for a command that no longer exists
    if let Ok(rd) = std::fs::read_dir(root.join("docs/man")) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if !pages.iter().any(|(p, _)| *p == n)
                && std::env::var("PODNET_BLESS").as_deref() != Ok("1")
            {
                stale.push(format!("docs/man/{n} (no such command)"));
            } else if !pages.iter().any(|(p, _)| *p == n) {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale: {stale:?}\nrun: PODNET_BLESS=1 cargo test --test generated"
    );
}

#[test]
fn the_binary_prints_the_same_scripts() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podnet"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        podnet::commands::completions::script(Shell::Bash)
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podnet"))
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with(".ie \\n(.g .ds Aq"),
        "roff output"
    );
}

#[test]
fn completions_leave_out_hidden_commands_and_kube_options_where_unused() {
    let bash = String::from_utf8(podnet::commands::completions::script(Shell::Bash)).unwrap();
    assert!(
        !bash.contains("pause"),
        "the hidden `pause` command is completed"
    );
    let opts = |cmd: &str| {
        let at = bash.find(&format!("        {cmd})\n")).expect(cmd);
        bash[at..].lines().nth(1).unwrap_or_default().to_string()
    };
    assert!(opts("podnet__subcmd__ns__subcmd__list").contains("--no-kube"));
    assert!(opts("podnet").contains("--no-kube"));
    assert!(!opts("podnet__subcmd__lab__subcmd__up").contains("--kube"));
    assert!(!opts("podnet__subcmd__cni__subcmd__add").contains("--kube"));
    for (shell, _) in SHELLS {
        let script = podnet::commands::completions::script(*shell);
        let text = String::from_utf8_lossy(&script);
        assert!(
            !text.contains("Hold a network namespace like a pod"),
            "{shell:?} completes `pause`"
        );
    }
}
