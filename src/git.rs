//! Whether git would commit a file: asks `git` itself (`ls-files`, `check-ignore`), since
//! `.gitignore` rules, global excludes and `info/exclude` all count.
//!
//! The only I/O is running `git`; no secret is ever on its command line (only paths).

use std::path::Path;
use std::process::{Command, Stdio};

/// How git sees a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GitStatus {
    /// Not inside a git work tree (or git is not installed).
    NotARepo,
    /// Tracked: it is (or will be) committed.
    Tracked,
    /// Untracked and not ignored: `git add .` would commit it.
    NotIgnored,
    Ignored,
}

impl GitStatus {
    pub fn would_commit(self) -> bool {
        matches!(self, GitStatus::Tracked | GitStatus::NotIgnored)
    }
}

fn git(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()
}

/// The status of `file` (which need not exist yet).
pub fn status(file: &Path) -> GitStatus {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
        return GitStatus::NotARepo;
    };
    let inside = git(dir, &["rev-parse", "--is-inside-work-tree"])
        .is_some_and(|o| o.status.success() && o.stdout.starts_with(b"true"));
    if !inside {
        return GitStatus::NotARepo;
    }
    if git(dir, &["ls-files", "--error-unmatch", "--", name]).is_some_and(|o| o.status.success()) {
        return GitStatus::Tracked;
    }
    match git(dir, &["check-ignore", "-q", "--", name]).and_then(|o| o.status.code()) {
        Some(0) => GitStatus::Ignored,
        _ => GitStatus::NotIgnored,
    }
}

/// The file's path relative to the repository root, for a `.gitignore` line.
pub fn repo_relative(file: &Path) -> Option<String> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let out = git(dir, &["rev-parse", "--show-prefix"])?;
    let prefix = String::from_utf8(out.stdout).ok()?;
    Some(format!("{}{}", prefix.trim(), file.file_name()?.to_str()?))
}

/// The warning and fix for a file git would commit.
pub fn advice(file: &Path, status: GitStatus) -> Option<(String, String)> {
    let rel = repo_relative(file).unwrap_or_else(|| file.display().to_string());
    match status {
        GitStatus::Tracked => Some((
            format!(
                "{rel} is tracked by git: its secrets are (or will be) in the repository history"
            ),
            format!(
                "run `git rm --cached {rel}`, add `/{rel}` to .gitignore, and rotate the secrets it held"
            ),
        )),
        GitStatus::NotIgnored => Some((
            format!("{rel} is not ignored by git: `git add .` would commit its secrets"),
            format!("add the line `/{rel}` to .gitignore"),
        )),
        GitStatus::NotARepo | GitStatus::Ignored => None,
    }
}
