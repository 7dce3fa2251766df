//! The README is a manual: every `lakekeeper-setup` command and flag it names must exist, and
//! `--help` must agree. Flags of other tools the README shows (cargo's, git's) are listed here
//! by name, so a new one has to be looked at.

use std::collections::BTreeSet;

use assert_cmd::Command;

/// Flags in the README that belong to `cargo`, `git`, `az`, `helm` or `kubectl`, not to this tool.
const OTHER_TOOLS: [&str; 27] = [
    "--name",
    "--resource",
    "--tenant",
    "--wait",
    "--install",
    "--namespace",
    "--create-namespace",
    "--from-env-file",
    "--strict",
    "--for",
    "--release",
    "--locked",
    "--git",
    "--no-fail-fast",
    "--lib",
    "--path",
    "--cached",
    "--porcelain",
    "--ignored",
    "--scope",
    "--claims-challenge",
    "--role",
    "--assignee",
    "--assignee-object-id",
    "--assignee-principal-type",
    "--secret-permissions",
    "--id",
];

const SUBCOMMANDS: [&str; 8] = [
    "apply",
    "check",
    "verify",
    "warehouse",
    "export",
    "completions",
    "man",
    "azure",
];

/// The `--help`s that list a command's flags (`export`'s are its `helm` target's, `azure`'s
/// those of its subcommands).
fn sub_help_args(sub: &str) -> Vec<Vec<&str>> {
    match sub {
        "export" => vec![vec!["export", "helm"]],
        "azure" => ["bootstrap", "extensions", "roles", "store-secrets"]
            .into_iter()
            .map(|s| vec!["azure", s])
            .collect(),
        other => vec![vec![other]],
    }
}

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

/// Every piece of code in the README: inline `spans` and the lines of fenced blocks.
fn code(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in readme.lines() {
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

fn flags(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.as_bytes().get(2).is_some_and(u8::is_ascii_lowercase))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_command_and_flag_the_readme_names_exists() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let top = help(&[]);
    for sub in SUBCOMMANDS {
        assert!(
            top.contains(&format!("  {sub} ")),
            "{sub} missing from --help"
        );
    }
    let sub_help: Vec<(&str, String)> = SUBCOMMANDS
        .iter()
        .map(|s| {
            let text: String = sub_help_args(s).iter().map(|a| help(a)).collect();
            (*s, text)
        })
        .collect();
    let mut seen = BTreeSet::new();
    for span in code(&readme) {
        // What follows `lakekeeper-setup` (or `cargo run … --`) is this tool's command line.
        let line = match (span.find("lakekeeper-setup "), span.find(" -- ")) {
            (Some(at), _) => &span[at + "lakekeeper-setup ".len()..],
            (None, Some(at)) => &span[at + 4..],
            (None, None) => span.as_str(),
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let sub = words.first().copied().filter(|w| SUBCOMMANDS.contains(w));
        if span.contains("lakekeeper-setup ")
            && let Some(word) = words.first()
            && word.chars().all(|c| c.is_ascii_lowercase())
            && !word.is_empty()
        {
            assert!(
                sub.is_some(),
                "`{span}`: `{word}` is no lakekeeper-setup command"
            );
        }
        for flag in flags(line) {
            if OTHER_TOOLS.contains(&flag.as_str()) {
                continue;
            }
            let known_in =
                |h: &str| h.contains(&format!("{flag} ")) || h.contains(&format!("{flag}\n"));
            let ok = match sub {
                Some(sub) => sub_help.iter().any(|(s, h)| *s == sub && known_in(h)),
                None => known_in(&top) || sub_help.iter().any(|(_, h)| known_in(h)),
            };
            assert!(
                ok,
                "`{span}`: {flag} is in no --help{}",
                sub.map(|s| format!(" of {s}")).unwrap_or_default()
            );
            seen.insert(flag);
        }
    }
    // The README does name the flags (the test reads what it means to read).
    for flag in ["--dry-run", "--only", "--generate-key", "--root", "--plain"] {
        assert!(seen.contains(flag), "{flag} not found in the README's code");
    }
    // Every check `--only` may name in the README is one `verify --help` lists.
    let verify = &sub_help[2].1;
    for span in code(&readme) {
        let mut words = span
            .split_whitespace()
            .skip_while(|w| *w != "--only")
            .skip(1);
        if let Some(list) = words.next() {
            for name in list.split(',').filter(|n| n.len() > 1) {
                assert!(verify.contains(name), "`{span}`: no check named {name}");
            }
        }
    }
}
