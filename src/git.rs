//! Whether git would commit a file. `.gitignore` rules, global excludes and `info/exclude`
//! all count: [`native`] reads them (and the index) as git does, and whatever it is not sure
//! of is asked of `git` itself (`check-ignore`, `ls-files`).
//!
//! I/O: reading the repository's files and running `git`; no secret is ever on its command
//! line (only paths).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

mod config;
mod ignore;
mod index;
pub mod native;
mod wildmatch;

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

/// `git -C dir args…` made by `git` (`Command::new("git")`, or a test's own environment).
fn command(git: &dyn Fn() -> Command, dir: &Path, args: &[&str]) -> Command {
    let mut c = git();
    c.arg("-C").arg(dir).args(args).stdin(Stdio::null());
    c
}

fn output(git: &dyn Fn() -> Command, dir: &Path, args: &[&str]) -> Option<std::process::Output> {
    command(git, dir, args).output().ok()
}

fn plain_git() -> Command {
    Command::new("git")
}

/// The nearest existing directory at or above `file`'s directory, and `file`'s path relative
/// to it (the file and its directory may not exist yet: `backend/` before the first run).
fn anchor(file: &Path) -> Option<(PathBuf, String)> {
    let parent_of = |p: &Path| {
        p.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    };
    let mut dir = parent_of(file);
    let mut rel = PathBuf::from(file.file_name()?);
    while !dir.is_dir() {
        rel = PathBuf::from(dir.file_name()?).join(rel);
        dir = parent_of(&dir);
    }
    Some((dir, rel.to_str()?.to_owned()))
}

/// Whether git could find a work tree from `dir`: `GIT_DIR` set, or a `.git` (directory or
/// gitfile) in `dir` or an ancestor of its physical path, which is where git looks. `false` is
/// certain and costs no child process; `true` is a maybe that git settles.
fn may_be_in_repo(dir: &Path) -> bool {
    if std::env::var_os("GIT_DIR").is_some() {
        return true;
    }
    std::fs::canonicalize(dir).map_or(true, |abs| abs.ancestors().any(|d| d.join(".git").exists()))
}

/// The status of `file` (which need not exist yet, nor its directory).
pub fn status(file: &Path) -> GitStatus {
    start(file).wait()
}

/// [`status`] under way: the first `git` child runs while the caller does its own work (a
/// child costs as much as the rest of `check`), and [`Probe::wait`] settles the answer.
pub struct Probe(Stage);

enum Stage {
    Known(GitStatus),
    Asking {
        dir: PathBuf,
        name: String,
        check_ignore: Option<Child>,
    },
}

/// Starts [`status`] for `file`.
///
/// Outside any repository, and whenever [`native`] is sure, no child at all; otherwise
/// one in the common case (an ignored `.env`): `check-ignore` exits 0 only for an ignored, untracked path (it never reports a tracked file
/// as ignored), 1 for "not ignored", and 128 outside a work tree. `ls-files` and `rev-parse`
/// are asked only when the answer still depends on them.
pub fn start(file: &Path) -> Probe {
    let Some((dir, name)) = anchor(file) else {
        return Probe(Stage::Known(GitStatus::NotARepo));
    };
    // Nearly always certain from the repository's files, and then no child at all.
    if let Some(status) = native::status(&native::Env::from_process(), &dir, &name) {
        return Probe(Stage::Known(status));
    }
    if !may_be_in_repo(&dir) {
        return Probe(Stage::Known(GitStatus::NotARepo));
    }
    let check_ignore = spawn_check_ignore(&plain_git, &dir, &name);
    Probe(Stage::Asking {
        dir,
        name,
        check_ignore,
    })
}

fn spawn_check_ignore(git: &dyn Fn() -> Command, dir: &Path, name: &str) -> Option<Child> {
    command(git, dir, &["check-ignore", "-q", "--", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

impl Probe {
    /// A `git` child is under way (the answer was not certain from the files).
    pub fn asks_git(&self) -> bool {
        matches!(self.0, Stage::Asking { .. })
    }

    pub fn wait(self) -> GitStatus {
        match self.0 {
            Stage::Known(status) => status,
            Stage::Asking {
                dir,
                name,
                check_ignore,
            } => settle(&plain_git, &dir, &name, check_ignore),
        }
    }
}

/// What `git` itself says about `name` below `dir` (no [`native`] answer), each command made
/// by `git`: how tests hold [`native`] to git's answers under their own environment.
pub fn ask_git(git: &dyn Fn() -> Command, dir: &Path, name: &str) -> GitStatus {
    settle(git, dir, name, spawn_check_ignore(git, dir, name))
}

fn settle(
    git: &dyn Fn() -> Command,
    dir: &Path,
    name: &str,
    check_ignore: Option<Child>,
) -> GitStatus {
    let code = check_ignore.and_then(|mut child| child.wait().ok()?.code());
    match code {
        Some(0) => GitStatus::Ignored,
        Some(1) => {
            if output(git, dir, &["ls-files", "--error-unmatch", "--", name])
                .is_some_and(|o| o.status.success())
            {
                GitStatus::Tracked
            } else {
                GitStatus::NotIgnored
            }
        }
        // Not a work tree, git missing, or another failure: only a work tree commits anything.
        _ => {
            let inside = output(git, dir, &["rev-parse", "--is-inside-work-tree"])
                .is_some_and(|o| o.status.success() && o.stdout.starts_with(b"true"));
            if inside {
                GitStatus::NotIgnored
            } else {
                GitStatus::NotARepo
            }
        }
    }
}

/// The file's path relative to the repository root, for a `.gitignore` line.
pub fn repo_relative(file: &Path) -> Option<String> {
    let (dir, name) = anchor(file)?;
    let out = output(&plain_git, &dir, &["rev-parse", "--show-prefix"])?;
    let prefix = String::from_utf8(out.stdout).ok()?;
    Some(format!("{}{name}", prefix.trim()))
}

/// The warning and fix for a file git would commit.
pub fn advice(file: &Path, status: GitStatus) -> Option<(String, String)> {
    if !status.would_commit() {
        return None;
    }
    // Only now: it is one more `git` child.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn git_in(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn a_file_in_a_directory_that_does_not_exist_yet_is_judged_by_the_repo_above() {
        let repo = tempfile::tempdir().expect("tmp");
        git_in(repo.path(), &["init", "-q"]);
        let env = repo.path().join("backend/.env");
        assert_eq!(status(&env), GitStatus::NotIgnored);
        assert_eq!(repo_relative(&env).as_deref(), Some("backend/.env"));
        std::fs::write(repo.path().join(".gitignore"), "backend/.env\n").expect("ignore");
        assert_eq!(status(&env), GitStatus::Ignored);
    }

    #[test]
    fn ignored_is_one_answer_and_a_tracked_file_that_gitignore_lists_is_still_tracked() {
        let repo = tempfile::tempdir().expect("tmp");
        git_in(repo.path(), &["init", "-q"]);
        std::fs::write(repo.path().join(".gitignore"), ".env\n").expect("ignore");
        std::fs::write(repo.path().join(".env"), "A=1\n").expect("write");
        let env = repo.path().join(".env");
        assert_eq!(status(&env), GitStatus::Ignored);
        assert_eq!(advice(&env, GitStatus::Ignored), None);
        // `check-ignore` never reports a tracked file as ignored, whatever .gitignore says.
        git_in(repo.path(), &["add", "-f", ".env"]);
        assert_eq!(status(&env), GitStatus::Tracked);
        // Inside `.git` is no work tree: nothing there is committed.
        assert_eq!(
            status(&repo.path().join(".git/backend/.env")),
            GitStatus::NotARepo
        );
    }

    #[test]
    fn tracked_and_outside_a_repo() {
        let repo = tempfile::tempdir().expect("tmp");
        git_in(repo.path(), &["init", "-q"]);
        std::fs::write(repo.path().join(".env"), "A=1\n").expect("write");
        git_in(repo.path(), &["add", ".env"]);
        assert_eq!(status(&repo.path().join(".env")), GitStatus::Tracked);
        let (msg, fix) = advice(&repo.path().join(".env"), GitStatus::Tracked).expect("advice");
        assert!(msg.contains("is tracked by git"), "{msg}");
        assert!(fix.contains("git rm --cached .env"), "{fix}");
        let outside = tempfile::tempdir().expect("tmp");
        assert_eq!(
            status(&outside.path().join("backend/.env")),
            GitStatus::NotARepo
        );
    }
}
