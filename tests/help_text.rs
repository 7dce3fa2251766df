//! What `--help` says, read the way a user reads it: piped (clap wraps at 100 columns then)
//! and per command.

use assert_cmd::Command;

fn help(args: &[&str]) -> String {
    let out = Command::cargo_bin("lakekeeper-setup")
        .expect("binary")
        .args(args)
        .arg("--help")
        .env_remove("COLUMNS")
        .output()
        .expect("run");
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The help of one flag: its line and the indented lines under it.
fn flag_help(help: &str, flag: &str) -> String {
    let mut lines = help
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(flag));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("{flag} not in:\n{help}"));
    std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with("          ")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn check_and_verify_say_they_read_the_env_file_and_the_override() {
    for command in ["check", "verify", "warehouse"] {
        let text = help(&[command]);
        let env = flag_help(&text, "--env-file");
        let over = flag_help(&text, "--override-file");
        assert!(!env.contains("file to edit"), "{command}: {env}");
        assert!(!over.contains("override to write"), "{command}: {over}");
        assert!(env.contains("read by every command"), "{command}: {env}");
        assert!(
            over.contains("only apply and the wizard write"),
            "{command}: {over}"
        );
    }
}

/// The global flags' help names every command that writes those files: `azure rotate-secret`
/// puts a new secret into `.env` without a vault and runs `apply`, which writes both.
#[test]
fn the_file_flags_name_every_command_that_writes_them() {
    for command in [&[][..], &["check"], &["azure", "rotate-secret"]] {
        let text = help(command);
        let words = |flag| {
            flag_help(&text, flag)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let env = words("--env-file");
        assert!(
            env.contains("only apply, the wizard, azure bootstrap and azure rotate-secret edit it"),
            "{command:?}: {env}"
        );
        let over = words("--override-file");
        assert!(
            over.contains("(azure rotate-secret runs apply)"),
            "{command:?}: {over}"
        );
    }
}

/// `azure bootstrap --tenant`'s default says what happens to a configured tenant the sign-in
/// cannot reach, without a terminal too (the run stops; tests/azure_bootstrap.rs proves it).
#[test]
fn bootstrap_tenant_help_says_what_a_stale_tenant_does() {
    let text = help(&["azure", "bootstrap"]);
    let tenant = flag_help(&text, "--tenant")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for said in [
        "when your Azure CLI sign-in reaches it",
        "with none configured, the signed-in tenant",
        "without one (or with --yes) the run stops naming both",
    ] {
        assert!(tenant.contains(said), "{said}: {tenant}");
    }
}

#[test]
fn completions_help_keeps_each_install_command_on_one_line() {
    let text = help(&["completions"]);
    for line in [
        "  bash:       lakekeeper-setup completions bash > ~/.local/share/bash-completion/completions/lakekeeper-setup",
        "  zsh:        lakekeeper-setup completions zsh > \"${fpath[1]}/_lakekeeper-setup\"",
        "  fish:       lakekeeper-setup completions fish > ~/.config/fish/completions/lakekeeper-setup.fish",
        "  powershell: lakekeeper-setup completions powershell >> $PROFILE",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "not one line: {line}\n{text}"
        );
    }
    // The rest of the page is still there.
    assert!(
        text.contains("Usage: lakekeeper-setup completions"),
        "{text}"
    );
    assert!(text.contains("<SHELL>"), "{text}");
    assert!(text.contains("--root <DIR>"), "{text}");
}

#[test]
fn verify_only_lists_key_vault() {
    let only = flag_help(&help(&["verify"]), "--only");
    for name in lakekeeper_setup::verify::only_names() {
        assert!(only.contains(name), "{name} missing: {only}");
    }
}
