//! Whether git would commit a file, asked of `git` itself: `check-ignore` for every path in
//! one child (started as early as possible, so it runs while the caller reads and plans), and
//! `ls-files` only for the paths it does not report ignored (tracked or not). Whether a file
//! holding secrets would be committed is a security answer, and the authority on it is git
//! (its ignore rules, global excludes, `core.ignoreCase`, worktrees, submodules…).
//!
//! I/O: runs `git` only; no secret is ever on its command line (only paths). No `git` on
//! `PATH`, or no work tree: [`GitStatus::NotARepo`], and the caller says so once.

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

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
    c.arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn plain_git() -> Command {
    Command::new("git")
}

/// The nearest existing directory at or above `dir`, and the `/`-separated path from it to
/// `dir` (`""` when `dir` exists): `backend/` need not exist before the first run.
fn existing_base(dir: &Path) -> Option<(PathBuf, String)> {
    let mut base = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    };
    let mut missing: Vec<String> = Vec::new();
    while !base.is_dir() {
        missing.push(base.file_name()?.to_str()?.to_owned());
        base = base
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
    }
    missing.reverse();
    Some((base, missing.join("/")))
}

/// `path` (relative to the base, below `prefix`) as git is given it: `/`-separated on every
/// platform, so that git's output (always `/`) can be compared with it.
fn git_path(prefix: &str, path: &Path) -> Option<String> {
    let mut parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Whether git could find a work tree from `dir`: `GIT_DIR` set, or a `.git` (directory or
/// gitfile) in `dir` or an ancestor of its physical path, which is where git looks. `false` is
/// certain and costs no child process.
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

/// The status of each of `paths` (relative to `dir`, or absolute), asked of git in one
/// `check-ignore` child (and one `ls-files` child if any is not ignored): for a `.env` and
/// the files beside it. `dir` need not exist yet.
pub fn statuses<P: AsRef<Path>>(dir: &Path, paths: &[P]) -> Vec<GitStatus> {
    start_many(dir, paths).wait()
}

/// [`statuses`], each `git` command made by `git`: how tests run git under their own
/// environment (`HOME`, `GIT_CONFIG_SYSTEM`).
pub fn statuses_with<P: AsRef<Path>>(
    git: &dyn Fn() -> Command,
    dir: &Path,
    paths: &[P],
) -> Vec<GitStatus> {
    let probe = spawn(git, dir, paths);
    probe.settle(git)
}

/// [`status`] under way: the `check-ignore` child runs while the caller does its own work (a
/// child costs as much as the rest of `check`), and [`Probe::wait`] settles the answer.
pub struct Probe(ProbeMany);

/// [`statuses`] under way.
pub struct ProbeMany {
    /// One per path: its name for git (relative to `base`), or `None` (no answer possible:
    /// a path that is not UTF-8, or above the base).
    names: Vec<Option<String>>,
    stage: Stage,
}

enum Stage {
    NotARepo,
    Asking {
        base: PathBuf,
        check_ignore: Option<Child>,
    },
}

/// Starts [`status`] for `file`: outside any repository no child at all, otherwise one.
pub fn start(file: &Path) -> Probe {
    let dir = file.parent().unwrap_or(Path::new(""));
    let name = file.file_name().map_or_else(PathBuf::new, PathBuf::from);
    Probe(spawn(&plain_git, dir, &[name]))
}

/// Starts [`statuses`].
pub fn start_many<P: AsRef<Path>>(dir: &Path, paths: &[P]) -> ProbeMany {
    spawn(&plain_git, dir, paths)
}

fn spawn<P: AsRef<Path>>(git: &dyn Fn() -> Command, dir: &Path, paths: &[P]) -> ProbeMany {
    let not_a_repo = |n| ProbeMany {
        names: vec![None; n],
        stage: Stage::NotARepo,
    };
    let Some((base, prefix)) = existing_base(dir) else {
        return not_a_repo(paths.len());
    };
    let names: Vec<Option<String>> = paths
        .iter()
        .map(|p| {
            let p = p.as_ref();
            if p.is_absolute() {
                git_path("", p.strip_prefix(&base).ok()?)
            } else {
                git_path(&prefix, p)
            }
        })
        .collect();
    if !may_be_in_repo(&base) || names.iter().all(Option::is_none) {
        return ProbeMany {
            names,
            stage: Stage::NotARepo,
        };
    }
    let check_ignore = spawn_check_ignore(git, &base, names.iter().flatten());
    ProbeMany {
        names,
        stage: Stage::Asking { check_ignore, base },
    }
}

/// `git check-ignore --stdin -z`, the names written to it at once (a few short paths: far
/// below a pipe's buffer, so the write never waits on git reading).
fn spawn_check_ignore<'n>(
    git: &dyn Fn() -> Command,
    base: &Path,
    names: impl Iterator<Item = &'n String>,
) -> Option<Child> {
    let mut child = command(git, base, &["check-ignore", "--stdin", "-z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut input = Vec::new();
    for name in names {
        input.extend_from_slice(name.as_bytes());
        input.push(0);
    }
    // Dropped after the write: git sees the end of its input.
    let mut stdin = child.stdin.take()?;
    if stdin.write_all(&input).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    Some(child)
}

impl Probe {
    /// A `git` child is under way (`false`: certainly outside any repository).
    pub fn asks_git(&self) -> bool {
        matches!(self.0.stage, Stage::Asking { .. })
    }

    pub fn wait(self) -> GitStatus {
        self.0
            .wait()
            .into_iter()
            .next()
            .unwrap_or(GitStatus::NotARepo)
    }
}

impl ProbeMany {
    /// One status per path, in order.
    pub fn wait(self) -> Vec<GitStatus> {
        self.settle(&plain_git)
    }

    fn settle(self, git: &dyn Fn() -> Command) -> Vec<GitStatus> {
        let Stage::Asking { base, check_ignore } = self.stage else {
            return vec![GitStatus::NotARepo; self.names.len()];
        };
        // `check-ignore` exits 0 when some path is ignored, 1 when none is (it never reports a
        // tracked file), 128 outside a work tree (or inside `.git`); no git: no child.
        let Some(out) = check_ignore.and_then(|c| c.wait_with_output().ok()) else {
            return vec![GitStatus::NotARepo; self.names.len()];
        };
        if !matches!(out.status.code(), Some(0 | 1)) {
            return vec![GitStatus::NotARepo; self.names.len()];
        }
        let ignored = nul_separated(&out);
        let mut statuses: Vec<GitStatus> = self
            .names
            .iter()
            .map(|n| match n {
                Some(n) if ignored.contains(&n.as_str()) => GitStatus::Ignored,
                Some(_) => GitStatus::NotIgnored,
                None => GitStatus::NotARepo,
            })
            .collect();
        let open: Vec<&str> = self
            .names
            .iter()
            .zip(&statuses)
            .filter(|(_, s)| **s == GitStatus::NotIgnored)
            .filter_map(|(n, _)| n.as_deref())
            .collect();
        if open.is_empty() {
            return statuses;
        }
        // Literal pathspecs: a `*` or `[` in a file name is no glob here (`check-ignore`
        // takes paths literally already, and refuses the option).
        let mut c = command(git, &base, &["ls-files", "-z", "--cached", "--"]);
        c.env("GIT_LITERAL_PATHSPECS", "1");
        c.args(&open).stdout(Stdio::piped());
        let Some(listed) = c.output().ok().filter(|o| o.status.success()) else {
            // Not ignored is already certain; "tracked" would only change the advice.
            return statuses;
        };
        let tracked = nul_separated(&listed);
        for (name, status) in self.names.iter().zip(&mut statuses) {
            let Some(name) = name else { continue };
            // `core.ignoreCase` (macOS, Windows): the index may spell the name differently.
            if *status == GitStatus::NotIgnored
                && tracked.iter().any(|t| t.eq_ignore_ascii_case(name))
            {
                *status = GitStatus::Tracked;
            }
        }
        statuses
    }
}

/// The NUL-separated paths git printed with `-z`.
fn nul_separated(out: &Output) -> Vec<&str> {
    out.stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::str::from_utf8(p).ok())
        .collect()
}

/// The file's path relative to the repository root, for a `.gitignore` line.
pub fn repo_relative(file: &Path) -> Option<String> {
    let (dir, prefix) = existing_base(file.parent().unwrap_or(Path::new("")))?;
    let name = git_path(&prefix, Path::new(file.file_name()?))?;
    let out = command(&plain_git, &dir, &["rev-parse", "--show-prefix"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let repo_prefix = String::from_utf8(out.stdout).ok()?;
    Some(format!("{}{name}", repo_prefix.trim()))
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
    fn paths_for_git_are_slash_separated_and_stay_below_the_base() {
        assert_eq!(
            git_path("backend", Path::new(".env")).as_deref(),
            Some("backend/.env")
        );
        assert_eq!(
            git_path("", Path::new("./a/../b/.env")).as_deref(),
            Some("b/.env")
        );
        assert_eq!(git_path("", Path::new("../x")), None);
        assert_eq!(git_path("", Path::new("")), None);
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
        let probe = start(&outside.path().join("backend/.env"));
        assert!(!probe.asks_git(), "no repository above: no child");
        assert_eq!(probe.wait(), GitStatus::NotARepo);
    }

    #[test]
    fn several_paths_one_answer_each_in_order() {
        let repo = tempfile::tempdir().expect("tmp");
        git_in(repo.path(), &["init", "-q"]);
        std::fs::create_dir(repo.path().join("backend")).expect("dir");
        std::fs::write(repo.path().join(".gitignore"), "backend/.env\n").expect("ignore");
        std::fs::write(repo.path().join("backend/.env.bak.1"), "A=1\n").expect("write");
        std::fs::write(repo.path().join("backend/app [1].py"), "x\n").expect("write");
        git_in(repo.path(), &["add", "backend/app [1].py"]);
        let dir = repo.path().join("backend");
        assert_eq!(
            statuses(
                &dir,
                &[
                    Path::new(".env"),
                    Path::new(".env.bak.1"),
                    Path::new("app [1].py"),
                    &dir.join(".env"),
                    Path::new("../../elsewhere"),
                ]
            ),
            [
                GitStatus::Ignored,
                GitStatus::NotIgnored,
                GitStatus::Tracked,
                GitStatus::Ignored,
                GitStatus::NotARepo,
            ]
        );
        // A glob character in a name is literal: `app [1].py` does not match `app 1.py`.
        assert_eq!(
            statuses(&dir, &["app 1.py", "app [1].py"]),
            [GitStatus::NotIgnored, GitStatus::Tracked]
        );
        assert!(statuses::<&str>(&dir, &[]).is_empty());
    }
}
