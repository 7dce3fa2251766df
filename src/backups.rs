//! Where the previous versions of written files go, and the copies of `.env` that git would
//! commit.
//!
//! Backups live in `.lakekeeper-setup-backups/` beside the file they copy. The directory
//! carries its own `.gitignore` holding `*`: the nearest `.gitignore` wins in git's rules, so
//! nothing in it is ever picked up by `git add .`, whatever the repository's own `.gitignore`
//! says (or does not say). Only the newest [`KEEP`] backups of each file are kept.
//!
//! [`strays`] finds files beside `.env` (old-style `.env.bak.*`, `.env.old`, editor copies …)
//! that hold one of its secret values and that git would commit. The scan never prints or
//! returns a secret, only paths.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::envfile::EnvFile;
use crate::git::{self, GitStatus};
use crate::keys;

/// The backup directory's name, beside the file it backs up.
pub const DIR: &str = ".lakekeeper-setup-backups";

/// How many backups of one file are kept (the newest).
pub const KEEP: usize = 5;

/// The `.gitignore` written into [`DIR`]: everything in it, itself included, is ignored.
const GITIGNORE: &str =
    "# Written by lakekeeper-setup: backups hold secrets, never commit them.\n*\n";

/// Files larger than this are not read when looking for secrets (no `.env` copy is this big).
const MAX_SCAN: u64 = 4 << 20;

/// The backup directory for `target` (a file).
pub fn dir_for(target: &Path) -> PathBuf {
    target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(DIR)
}

/// Creates the backup directory (mode 0700) and its `.gitignore` if missing or changed. The
/// `.gitignore` is in place before any backup is, so no backup is ever visible to git.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    let ignore = dir.join(".gitignore");
    if fs::read_to_string(&ignore).ok().as_deref() != Some(GITIGNORE) {
        fs::write(&ignore, GITIGNORE)?;
    }
    Ok(())
}

/// `(stamp, n)` of a backup's name `<name>.<YYYYMMDDTHHMMSSZ>[-n]`, or `None` when `file` is
/// not a backup of `name`. `infix` is `"."` for new-style names, `".bak."` for old-style ones.
fn stamp_of<'a>(file: &'a str, name: &str, infix: &str) -> Option<(&'a str, u32)> {
    let rest = file.strip_prefix(name)?.strip_prefix(infix)?;
    let (stamp, n) = match rest.split_once('-') {
        Some((s, n)) => (s, n.parse().ok()?),
        None => (rest, 0),
    };
    let b = stamp.as_bytes();
    let shaped = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit);
    shaped.then_some((stamp, n))
}

/// The backups of `name` in `dir`, oldest first.
pub fn list(dir: &Path, name: &str) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(String, u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let file = e.file_name().to_str()?.to_owned();
            let (stamp, n) = stamp_of(&file, name, ".")?;
            Some((stamp.to_owned(), n, e.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, _, p)| p).collect()
}

/// The first counter to try for a new backup of `name` stamped `stamp`: past every existing
/// one of that second, so a new backup always sorts after the older ones (a pruned `-0` is
/// never reused for a newer file, which pruning would then take for the oldest).
pub fn next_counter(dir: &Path, name: &str, stamp: &str) -> u32 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| {
            let file = e.file_name().to_str()?.to_owned();
            let (s, n) = stamp_of(&file, name, ".")?;
            (s == stamp).then_some(n + 1)
        })
        .max()
        .unwrap_or(0)
}

/// Removes all but the newest [`KEEP`] backups of `name` in `dir`; returns what was removed.
/// Failures are ignored: an extra old backup is clutter, not harm.
pub fn prune(dir: &Path, name: &str) -> Vec<PathBuf> {
    let all = list(dir, name);
    let excess = all.len().saturating_sub(KEEP);
    all.into_iter()
        .take(excess)
        .filter(|p| fs::remove_file(p).is_ok())
        .collect()
}

/// Moves this tool's old-style backups of `target` (`<name>.bak.<stamp>` beside it) into the
/// backup directory, unless git tracks them (then `check` tells the user to `git rm` them:
/// moving would only make git see them as deleted). Returns the new paths.
pub fn adopt_old_style(target: &Path) -> io::Result<Vec<PathBuf>> {
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Ok(Vec::new());
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let name = name.to_string_lossy();
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(Vec::new());
    };
    let dir = dir_for(target);
    let mut moved = Vec::new();
    for e in entries.flatten() {
        let Some(file) = e.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Some((stamp, n)) = stamp_of(&file, &name, ".bak.") else {
            continue;
        };
        if !e.file_type().is_ok_and(|t| t.is_file()) || git::status(&e.path()) == GitStatus::Tracked
        {
            continue;
        }
        ensure_dir(&dir)?;
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let to = dir.join(format!("{name}.{stamp}{suffix}"));
        if !to.exists() {
            fs::rename(e.path(), &to)?;
            moved.push(to);
        }
    }
    Ok(moved)
}

/// Secret values of `env` worth searching for: those of secret keys (and the password inside
/// a PostgreSQL URL), at least 8 characters long so a short value cannot match by chance.
pub fn secret_values(env: &EnvFile) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in env.entries().filter(|e| keys::is_secret_key(&e.key)) {
        out.push(e.value.clone());
        if let Some(pw) = url::Url::parse(&e.value)
            .ok()
            .and_then(|u| u.password().map(str::to_owned))
        {
            out.push(pw);
        }
    }
    out.retain(|v| v.len() >= 8);
    out.sort();
    out.dedup();
    out
}

/// A file beside `.env` that holds one of its secrets and that git would commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stray {
    pub path: PathBuf,
    pub status: GitStatus,
}

/// Whether a file named `file` beside `.env` (named `env_name`) may be a copy of it: its name
/// contains the `.env`'s name (`.env.bak.*`, `.env.old`, `.env~`, `..env.swp`, `#.env#`, …).
fn may_be_a_copy(file: &str, env_name: &str) -> bool {
    file != env_name && file.contains(env_name)
}

fn holds_any(path: &Path, secrets: &[String]) -> bool {
    let small = fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= MAX_SCAN);
    let Some(bytes) = small.then(|| fs::read(path).ok()).flatten() else {
        return false;
    };
    secrets.iter().any(|s| {
        let needle = s.as_bytes();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

/// The files beside `env_path` that hold one of `secrets` and that git would commit (tracked,
/// or untracked and not ignored), sorted by name.
pub fn strays(env_path: &Path, secrets: &[String]) -> Vec<Stray> {
    let (Some(parent), Some(env_name)) = (env_path.parent(), env_path.file_name()) else {
        return Vec::new();
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let env_name = env_name.to_string_lossy();
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut out: Vec<Stray> = entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|f| may_be_a_copy(f, &env_name))
        })
        .map(|e| e.path())
        .filter(|p| holds_any(p, secrets))
        .filter_map(|path| {
            let status = git::status(&path);
            status.would_commit().then_some(Stray { path, status })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The message and fix for a stray copy; `env_label` names the `.env`.
pub fn advice(stray: &Stray, env_label: &str) -> (String, String) {
    let shown = stray.path.display();
    let dir = dir_for(&stray.path);
    if stray.status == GitStatus::Tracked {
        (
            format!("{shown} holds secrets of {env_label} and is tracked by git"),
            format!(
                "run `git rm --cached {shown}`, then delete it or move it into {} (ignored by its own .gitignore); rotate the secrets if it was ever pushed",
                dir.display()
            ),
        )
    } else {
        (
            format!(
                "{shown} holds secrets of {env_label} and is not ignored by git: `git add .` would commit it"
            ),
            format!(
                "delete it, or move it into {} (ignored by its own .gitignore)",
                dir.display()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_are_recognised_only_with_a_full_timestamp() {
        assert_eq!(
            stamp_of(".env.20261127T073000Z", ".env", "."),
            Some(("20261127T073000Z", 0))
        );
        assert_eq!(
            stamp_of(".env.20261127T073000Z-12", ".env", "."),
            Some(("20261127T073000Z", 12))
        );
        assert_eq!(
            stamp_of(".env.bak.20261127T073000Z", ".env", ".bak."),
            Some(("20261127T073000Z", 0))
        );
        for not in [
            ".env.old",
            ".env.2026",
            ".env.20261127T0730000",
            ".env.20261127T073000Z-x",
            "x.env.20261127T073000Z",
        ] {
            assert_eq!(stamp_of(not, ".env", "."), None, "{not}");
        }
    }

    #[test]
    fn pruning_keeps_the_newest_five_in_timestamp_then_counter_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let names = [
            ".env.20260101T000000Z",
            ".env.20260101T000000Z-2",
            ".env.20260101T000000Z-10",
            ".env.20250101T000000Z",
            ".env.20270101T000000Z",
            ".env.20260601T000000Z",
            ".env.20260101T000000Z-1",
            "docker-compose.override.yml.20200101T000000Z",
        ];
        for n in names {
            fs::write(dir.path().join(n), "x").expect("seed");
        }
        let removed: Vec<String> = prune(dir.path(), ".env")
            .iter()
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        assert_eq!(removed, [".env.20250101T000000Z", ".env.20260101T000000Z"]);
        let kept: Vec<String> = list(dir.path(), ".env")
            .iter()
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            kept,
            [
                ".env.20260101T000000Z-1",
                ".env.20260101T000000Z-2",
                ".env.20260101T000000Z-10",
                ".env.20260601T000000Z",
                ".env.20270101T000000Z",
            ]
        );
        assert!(
            dir.path()
                .join("docker-compose.override.yml.20200101T000000Z")
                .exists(),
            "another file's backups are not counted"
        );
    }

    #[test]
    fn only_files_named_after_the_env_are_copies() {
        for yes in [
            ".env.bak.20261127T073000Z",
            ".env.backup",
            ".env.old",
            ".env~",
            "..env.swp",
            "#.env#",
            ".env.example",
        ] {
            assert!(may_be_a_copy(yes, ".env"), "{yes}");
        }
        for no in [".env", "main.py", "settings.toml"] {
            assert!(!may_be_a_copy(no, ".env"), "{no}");
        }
    }
}
