//! `apply` when the write itself fails: a full disk (a tiny tmpfs), a file-size limit
//! (`RLIMIT_FSIZE` → EFBIG), an immutable directory (`chattr +i`) and a read-only bind mount.
//! Tests run as root, so permission bits would not stop the write; these failures are real ones
//! the kernel produces. Each must give exit 2, a message naming the file and saying the old file
//! is untouched, and leave the old file byte-identical with no temp file behind.
//!
//! Mounting needs CAP_SYS_ADMIN: where `mount` is refused the mount variants say so and skip.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::project::{FAKE_SECRET, PROFILE, Project};
use support::tools::require_tool;

const KEY: &str = "fake-encryption-key-0123456789abcdefghijKLMN";

/// The fixture with the profile and a `.env` of about 40 KB (so a 64 KB disk cannot hold it,
/// its backup and the new version).
fn project() -> Project {
    let p = Project::fixture();
    p.write("lakekeeper-setup.toml", PROFILE);
    let mut env = p.read("backend/.env");
    for i in 0..1_000 {
        let _ = writeln!(env, "USER_SETTING_{i}=value-{i}-kept-byte-for-byte");
    }
    p.write("backend/.env", &env);
    p
}

fn apply_in(p: &Project, wrap: &[&str]) -> Output {
    let direct = p.cmd();
    let mut c = if wrap.is_empty() {
        direct
    } else {
        // Re-create the same invocation under a wrapper (`sh -c …`).
        let mut w = Command::new(wrap[0]);
        w.args(&wrap[1..])
            .arg(direct.get_program())
            .args(direct.get_args());
        w.env_clear();
        for (k, v) in direct.get_envs() {
            if let Some(v) = v {
                w.env(k, v);
            }
        }
        w
    };
    c.arg("apply")
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY)
        .stdin(Stdio::null());
    c.output().expect("run apply")
}

/// Asserts the clear failure: exit 2, the path and `hint` named, old file intact, no temp file.
fn assert_failed_cleanly(out: &Output, target: &Path, old: &[u8], hint: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&target.display().to_string()), "{err}");
    assert!(err.contains("the old file is untouched"), "{err}");
    assert!(err.contains(hint), "expected {hint:?} in: {err}");
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(!err.contains(FAKE_SECRET) && !err.contains(KEY), "{err}");
    assert!(
        std::fs::read(target).expect("old file") == old,
        "old file changed"
    );
    let dir = target.parent().expect("dir");
    for e in std::fs::read_dir(dir).expect("ls").flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        assert!(!n.starts_with(".lakekeeper-setup."), "temp left: {n}");
        assert!(!n.contains(".bak."), "partial backup left: {n}");
    }
    // The backup directory, if it was made, holds no temp file and no partial backup.
    if let Ok(rd) = std::fs::read_dir(dir.join(".lakekeeper-setup-backups")) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            assert!(!n.starts_with(".lakekeeper-setup."), "temp left: {n}");
            if n != ".gitignore" {
                let bytes = std::fs::read(e.path()).expect("backup");
                assert!(bytes == old, "partial backup left: {n}");
            }
        }
    }
}

/// Unmounts (lazily) on drop, so a failing assertion never leaves a mount behind.
struct Mount(PathBuf);

impl Mount {
    /// `mount args… dir`, or `None` (with a note) where mounting is not permitted here.
    fn new(dir: &Path, args: &[&str]) -> Option<Mount> {
        let out = Command::new("mount").args(args).arg(dir).output().ok()?;
        if out.status.success() {
            Some(Mount(dir.to_path_buf()))
        } else {
            eprintln!(
                "skipped: `mount {args:?}` is not permitted here: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// `backend/.env` becomes a symlink to `dir/.env`, which holds the old contents.
fn move_env_into(p: &Project, dir: &Path) -> (PathBuf, Vec<u8>) {
    let old = std::fs::read(p.path("backend/.env")).expect("old");
    let target = dir.join(".env");
    std::fs::write(&target, &old).expect("seed target");
    std::fs::remove_file(p.path("backend/.env")).expect("rm");
    std::os::unix::fs::symlink(&target, p.path("backend/.env")).expect("symlink");
    (target, old)
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_old_file_is_intact() {
    let p = project();
    let dir = p.path("tiny");
    std::fs::create_dir(&dir).expect("mkdir");
    let Some(_m) = Mount::new(&dir, &["-t", "tmpfs", "-o", "size=64k", "tmpfs"]) else {
        return;
    };
    let (target, old) = move_env_into(&p, &dir);
    let out = apply_in(&p, &[]);
    assert_failed_cleanly(&out, &target, &old, "disk full");
}

#[test]
fn a_read_only_mount_is_a_clear_error_and_the_old_file_is_intact() {
    let p = project();
    let dir = p.path("ro");
    std::fs::create_dir(&dir).expect("mkdir");
    let (target, old) = move_env_into(&p, &dir);
    let Some(_bind) = Mount::new(&dir, &["--bind", &dir.display().to_string()]) else {
        return;
    };
    let Some(_ro) = Mount::new(&dir, &["-o", "remount,ro,bind"]) else {
        return;
    };
    let out = apply_in(&p, &[]);
    assert_failed_cleanly(&out, &target, &old, "read-only file system");
}

#[test]
fn a_file_size_limit_is_a_clear_error_and_the_old_file_is_intact() {
    if require_tool("prlimit").is_none() {
        return;
    }
    let p = project();
    let target = p.path("backend/.env");
    let old = std::fs::read(&target).expect("old");
    // SIGXFSZ would kill the process before it could explain; an ignored signal stays ignored
    // across exec, so the write returns EFBIG instead, as it does under many quota setups.
    let out = apply_in(
        &p,
        &[
            "sh",
            "-c",
            "trap '' XFSZ; exec prlimit --fsize=8192 -- \"$@\"",
            "sh",
        ],
    );
    assert_failed_cleanly(&out, &target, &old, "file too large");
}

/// Clears the immutable flag on drop, or the temp dir could not be removed.
struct Immutable(PathBuf);

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn an_immutable_directory_is_a_clear_error_and_the_old_file_is_intact() {
    if require_tool("chattr").is_none() {
        return;
    }
    let p = project();
    let dir = p.path("backend");
    let target = dir.join(".env");
    let old = std::fs::read(&target).expect("old");
    let set = Command::new("chattr")
        .arg("+i")
        .arg(&dir)
        .output()
        .expect("chattr");
    if !set.status.success() {
        eprintln!(
            "skipped: this file system does not support chattr +i: {}",
            String::from_utf8_lossy(&set.stderr).trim()
        );
        return;
    }
    let _guard = Immutable(dir.clone());
    let out = apply_in(&p, &[]);
    assert_failed_cleanly(&out, &target, &old, "permission denied");
}
