//! docs/secrets.md names only commands and flags that exist: every `lakekeeper-setup …` in its
//! code is a command whose `--help` lists each flag it shows, and every result name it gives is
//! one `verify` reports.

use assert_cmd::Command;

fn help(args: &[&str]) -> String {
    let out = Command::cargo_bin("lakekeeper-setup")
        .expect("binary")
        .args(args)
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Inline `spans` and the lines of fenced blocks (comments after ` #` dropped).
fn code(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            out.push(line.split(" #").next().unwrap_or(line).to_owned());
        } else {
            out.extend(line.split('`').skip(1).step_by(2).map(str::to_owned));
        }
    }
    out
}

#[test]
fn every_command_and_flag_the_secrets_guide_names_exists() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/secrets.md"))
        .expect("docs/secrets.md");
    assert!(doc.starts_with("# Secrets: expiry and rotation\n"));
    let mut commands = 0;
    for span in code(&doc) {
        let Some(at) = span.find("lakekeeper-setup ") else {
            continue;
        };
        let words: Vec<&str> = span[at + "lakekeeper-setup ".len()..]
            .split_whitespace()
            .collect();
        let mut cmd: Vec<&str> = words
            .iter()
            .take_while(|w| {
                w.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !w.starts_with("--")
            })
            .copied()
            .collect();
        if cmd.first() == Some(&"azure") {
            cmd.truncate(2);
        } else {
            cmd.truncate(1);
        }
        let text = help(&cmd);
        commands += 1;
        for flag in words.iter().filter(|w| w.starts_with("--")) {
            assert!(
                text.contains(&format!("{flag} ")) || text.contains(&format!("{flag}\n")),
                "`{span}`: {flag} is not in `lakekeeper-setup {} --help`",
                cmd.join(" ")
            );
        }
    }
    assert!(
        commands >= 8,
        "only {commands} commands found in the guide's code"
    );
    let rotate = help(&["azure", "rotate-secret"]);
    for flag in ["--dry-run", "--yes", "--months", "--keep-old"] {
        assert!(rotate.contains(flag) && doc.contains(flag), "{flag}");
    }
    assert!(help(&["azure", "bootstrap"]).contains("--secret-months"));
    for result in [
        "`client-secret`",
        "`storage-client-secret`",
        "`lakekeeper`",
        "`key-vault`",
    ] {
        assert!(doc.contains(result), "{result}");
    }
}
