//! Backups of `.env` and git, in real repositories: whatever the `.gitignore` says, `apply`
//! (run twice, so a backup exists) leaves no file holding a secret that `git add .` would
//! commit; and `check` names every copy of `.env` beside it that git would commit.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::project::{FAKE_SECRET, PROFILE, Project};
use support::tools::require_tool;

/// The second run's backend secret: the first run's secret then lives only in a backup.
const SECOND_SECRET: &str = "fake2Q~anotherNotARealSecret-9876543210zyx";
/// The fixture's own storage key: in every version of the file.
const FIXTURE_KEY: &str = "ZmFrZS1rZXktbm90LXJlYWw=";

fn apply(p: &Project, secret: &str) -> Output {
    let out = p
        .cmd()
        .args(["apply", "--generate-key"])
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", secret)
        .output()
        .expect("run apply");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn git_out(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Paths (relative to the root) that git would commit: tracked, or what `git add -n .` adds.
fn would_commit(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = git_out(root, &["ls-files"])
        .lines()
        .map(str::to_owned)
        .collect();
    v.extend(git_out(root, &["add", "-n", "."]).lines().filter_map(|l| {
        l.strip_prefix("add '")?
            .strip_suffix('\'')
            .map(str::to_owned)
    }));
    v.sort();
    v.dedup();
    v
}

/// Every file under `root` (not `.git`) that holds one of the sentinels, relative.
fn holding_secrets(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("ls").flatten() {
            let path = e.path();
            if e.file_name() == ".git" {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let text =
                    String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
                if [FAKE_SECRET, SECOND_SECRET, FIXTURE_KEY]
                    .iter()
                    .any(|s| text.contains(s))
                {
                    let rel = path.strip_prefix(root).expect("under root");
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn repo(gitignore: Option<&str>) -> Project {
    let p = Project::fixture();
    p.write("lakekeeper-setup.toml", PROFILE);
    p.git(&["init", "-q"]);
    if let Some(lines) = gitignore {
        p.write(".gitignore", lines);
    }
    p
}

#[test]
fn after_two_applies_no_secret_is_where_git_add_picks_it_up_whatever_gitignore_says() {
    if require_tool("git").is_none() {
        return;
    }
    for (label, lines) in [
        ("`.env`", Some(".env\n")),
        ("`*.env`", Some("*.env\n")),
        ("`/backend/.env`", Some("/backend/.env\n")),
        (
            "`backend/.env*` negated for backups",
            Some("backend/.env*\n!*.bak.*\n"),
        ),
        ("no .gitignore", None),
    ] {
        let p = repo(lines);
        apply(&p, FAKE_SECRET);
        apply(&p, SECOND_SECRET);
        let held = holding_secrets(p.root());
        assert!(
            held.iter()
                .any(|h| h.starts_with("backend/.lakekeeper-setup-backups/.env.")),
            "{label}: the first run's secret is in a backup: {held:?}"
        );
        let commit = would_commit(p.root());
        let leaked: Vec<&String> = held.iter().filter(|h| commit.contains(h)).collect();
        // With no .gitignore line the `.env` itself is exposed: apply warned about that one.
        let expected: Vec<&str> = if lines.is_none() {
            vec!["backend/.env"]
        } else {
            vec![]
        };
        assert_eq!(
            leaked, expected,
            "{label}: held {held:?}, git would commit {commit:?}"
        );
    }
}

#[test]
fn old_style_backups_are_moved_into_the_ignored_directory_and_pruned_to_five() {
    if require_tool("git").is_none() {
        return;
    }
    let p = repo(Some(".env\n"));
    let old = p.read("backend/.env");
    p.write("backend/.env.bak.20250101T000000Z", &old);
    for i in 0..7 {
        apply(&p, &format!("{FAKE_SECRET}-{i}"));
    }
    assert!(!p.path("backend/.env.bak.20250101T000000Z").exists());
    let backups = p.backups(".env");
    assert_eq!(backups.len(), 5, "{backups:?}");
    // The newest five survive: the last backup holds the sixth run's secret.
    let newest = p.read(&backups[4]);
    assert!(
        newest.contains(&format!("{FAKE_SECRET}-5")),
        "{backups:?}\n{newest}"
    );
    assert!(
        p.read("backend/.lakekeeper-setup-backups/.gitignore")
            .lines()
            .any(|l| l == "*")
    );
    assert_eq!(
        would_commit(p.root()),
        [
            ".gitignore",
            "backend/docker-compose.override.yml",
            "backend/docker-compose.yml",
            "lakekeeper-setup.toml"
        ]
    );
}

#[test]
fn check_names_each_copy_of_env_that_git_would_commit_and_its_fix() {
    if require_tool("git").is_none() {
        return;
    }
    let p = repo(Some("/backend/.env\n"));
    apply(&p, FAKE_SECRET);
    let env = p.read("backend/.env");
    // Copies a person or an editor leaves beside the file, and one without secrets.
    p.write("backend/.env.backup", &env);
    p.write("backend/.env~", &env);
    p.write("backend/.env.old", &env);
    p.write(
        "backend/.env.example",
        "POSTGRES_PASSWORD=\nAZURE_STORAGE_ACCOUNT_KEY=\n",
    );
    p.git(&["add", "backend/.env.old"]);
    let out = p.cmd().arg("check").output().expect("check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for name in [".env.backup", ".env~"] {
        assert!(
            stdout.contains(&format!(
                "backend/{name} holds secrets of {} and is not ignored by git",
                p.path("backend/.env").display()
            )),
            "{name}: {stdout}"
        );
    }
    assert!(stdout.contains(".env.old holds secrets of"), "{stdout}");
    assert!(stdout.contains("is tracked by git"), "{stdout}");
    assert!(stdout.contains("git rm --cached"), "{stdout}");
    assert!(stdout.contains("move it into"), "{stdout}");
    assert!(
        !stdout.contains(".env.example"),
        "no secret in it: {stdout}"
    );
    assert!(!stdout.contains(FAKE_SECRET), "{stdout}");

    // Once the copies are gone (or ignored), check has nothing to say about them.
    for name in [".env.backup", ".env~"] {
        std::fs::remove_file(p.path(&format!("backend/{name}"))).expect("rm");
    }
    p.git(&["rm", "-q", "--cached", "backend/.env.old"]);
    p.write(".gitignore", "/backend/.env\n/backend/.env.old\n");
    let out = p.cmd().args(["check", "--json"]).output().expect("check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("holds secrets of"), "{stdout}");
}

#[test]
fn the_wizards_welcome_screen_names_a_copy_of_env_git_would_commit() {
    if require_tool("git").is_none() || require_tool("tmux").is_none() {
        return;
    }
    let p = repo(Some(".env\n"));
    apply(&p, FAKE_SECRET);
    p.write("backend/.env.old", &p.read("backend/.env"));
    let root = p.root().display().to_string();
    let t = support::tmux::Tmux::start(
        p.root(),
        Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
        &["--root", &root],
        &[("NO_COLOR", "1")],
        160,
        40,
    );
    let screen = t.wait_for(&["Step 1 of 11", "warning:", ".env.old"]);
    assert!(!screen.contains(FAKE_SECRET), "{screen}");
    t.keys(&["C-c"]);
    drop(t);
    // Without the copy, the welcome screen has no warning at all (the .env itself is ignored).
    std::fs::remove_file(p.path("backend/.env.old")).expect("rm");
    let t = support::tmux::Tmux::start(
        p.root(),
        Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
        &["--root", &root],
        &[("NO_COLOR", "1")],
        160,
        40,
    );
    let screen = t.wait_for(&["Step 1 of 11", "git:"]);
    assert!(!screen.contains("warning:"), "{screen}");
}
