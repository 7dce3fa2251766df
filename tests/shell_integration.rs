//! Shell integration: `--version`, the completion scripts (parsed, and for bash driven, by the
//! shells themselves) and the manual pages (checked by groff).

mod support;

use std::process::Command;

use support::tools::require_tool;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lakekeeper-setup"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    c
}

fn stdout_of(args: &[&str]) -> String {
    let out = bin().args(args).output().expect("run lakekeeper-setup");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

const COMMANDS: [&str; 8] = [
    "apply",
    "check",
    "verify",
    "warehouse",
    "export",
    "azure",
    "completions",
    "man",
];

#[test]
fn version_names_the_pinned_lakekeeper_image() {
    let out = stdout_of(&["--version"]);
    assert_eq!(
        out.trim(),
        format!(
            "lakekeeper-setup {} (pins Lakekeeper {})",
            env!("CARGO_PKG_VERSION"),
            lakekeeper_setup::strings::DEFAULT_IMAGE
        )
    );
}

/// Writes the script to a file and has the shell parse it without running it.
fn shell_parses(shell: &str, script: &str) {
    let Some(path) = require_tool(shell) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(format!("completion.{shell}"));
    std::fs::write(&file, script).expect("write script");
    let out = Command::new(path)
        .arg("-n")
        .arg(&file)
        .output()
        .expect("run shell");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{shell} -n rejected the completion script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completion_scripts_parse_in_their_shells_and_name_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout_of(&["completions", shell]);
        for command in COMMANDS {
            assert!(script.contains(command), "{shell} script lacks `{command}`");
        }
        assert!(script.contains("dry-run"), "{shell} script lacks --dry-run");
        shell_parses(shell, &script);
    }
    // No PowerShell on Debian: check what registers the completer instead.
    let ps = stdout_of(&["completions", "powershell"]);
    assert!(ps.contains("Register-ArgumentCompleter -Native -CommandName 'lakekeeper-setup'"));
    for command in COMMANDS {
        assert!(
            ps.contains(&format!("'{command}'")),
            "powershell lacks `{command}`"
        );
    }
}

/// Sources the bash script and asks its completion function what `lakekeeper-setup <words>`
/// completes to, as bash does on Tab.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = stdout_of(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("lakekeeper-setup.bash");
    std::fs::write(&file, script).expect("write script");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let driver = format!(
        "source '{}'\nCOMP_WORDS=(lakekeeper-setup {})\nCOMP_CWORD={}\n\
         _lakekeeper__setup lakekeeper-setup '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display(),
        quoted.join(" "),
        words.len(),
        words.last().copied().unwrap_or(""),
        if words.len() > 1 {
            words[words.len() - 2]
        } else {
            "lakekeeper-setup"
        },
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(driver)
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completion_completes_commands_flags_and_shells() {
    if require_tool("bash").is_none() {
        return;
    }
    assert_eq!(bash_completes(&["ap"]), ["apply"]);
    assert_eq!(bash_completes(&["verify", "--ti"]), ["--timeout"]);
    let shells = bash_completes(&["completions", ""]);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert!(
            shells.iter().any(|s| s == shell),
            "{shells:?} lacks {shell}"
        );
    }
}

#[test]
fn fish_completion_completes_a_commands_flags() {
    let Some(fish) = require_tool("fish") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("lakekeeper-setup.fish");
    std::fs::write(&file, stdout_of(&["completions", "fish"])).expect("write script");
    let out = Command::new(fish)
        .arg("-c")
        .arg(format!(
            "source '{}'; complete -C 'lakekeeper-setup verify --ti'",
            file.display()
        ))
        .output()
        .expect("run fish");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["--timeout\tSeconds each check may take"]
    );
}

#[test]
fn man_page_is_valid_roff_naming_every_command() {
    let page = stdout_of(&["man"]);
    assert!(
        page.contains(".TH lakekeeper-setup 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    for command in COMMANDS {
        assert!(page.contains(command), "the page lacks `{command}`");
    }
    let Some(groff) = require_tool("groff") else {
        return;
    };
    let mut child = Command::new(groff)
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run groff");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), page.as_bytes())
        .expect("feed groff");
    let out = child.wait_with_output().expect("groff");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "groff warns: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn man_out_writes_one_page_per_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("man1");
    stdout_of(&["man", "--out", out_dir.to_str().expect("utf-8 path")]);
    let mut pages: Vec<String> = std::fs::read_dir(&out_dir)
        .expect("read man dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .chain(&[
            "export-helm",
            "azure-bootstrap",
            "azure-extensions",
            "azure-grant",
            "azure-revoke",
            "azure-roles",
            "azure-rotate-secret",
            "azure-store-secrets",
        ])
        .map(|c| format!("lakekeeper-setup-{c}.1"))
        .chain(["lakekeeper-setup.1".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(pages, expected);
    let apply = std::fs::read_to_string(out_dir.join("lakekeeper-setup-apply.1")).expect("page");
    assert!(apply.contains("dry\\-run"), "apply's page lacks --dry-run");
}
