//! Apply: the careful I/O step. Each changed file is written atomically (a temp file in the same
//! directory, fsync, rename, fsync of the directory), the previous version is kept as a
//! timestamped backup where git never sees it ([`crate::backups`]), secret-bearing files get
//! mode 0600, a symlink is written through to its target, and a lock file beside the `.env`
//! stops two runs from interleaving.
//!
//! An interrupted run leaves either the complete old file or the complete new one.
//!
//! Platforms: on Linux and macOS the files get mode 0600 (secret) or 0644. Windows has no mode
//! bits: a new file inherits the access list of its directory (inside the user's profile: the
//! user, SYSTEM and Administrators), which this tool leaves as it is. The lock is an OS lock
//! (`flock` / `LockFileEx`) on [`LOCK_NAME`], released by the OS when the run ends however it
//! ends, so a file left behind by a killed run never blocks the next one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::backups;
use crate::plan::{FilePlan, Plan};

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{path}: {action} failed: {source}{hint}")]
    Io {
        path: String,
        action: &'static str,
        source: io::Error,
        hint: &'static str,
    },
    #[error(
        "{0}: another lakekeeper-setup is writing here right now; wait for it to finish (nothing was written)"
    )]
    Locked(String),
    #[error("{0}: too many levels of symbolic links")]
    SymlinkLoop(String),
}

fn io_err(path: &Path, action: &'static str, source: io::Error) -> ApplyError {
    let hint = match source.kind() {
        io::ErrorKind::PermissionDenied => {
            " (permission denied: check the directory's owner, mode and attributes (`lsattr -d`); the old file is untouched)"
        }
        io::ErrorKind::ReadOnlyFilesystem => " (read-only file system; the old file is untouched)",
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            " (disk full or over quota: free some space; the old file is untouched)"
        }
        // EFBIG: a file-size limit (`ulimit -f`) or quota, not a bug in the file.
        io::ErrorKind::FileTooLarge => {
            " (file too large for this file system, quota or `ulimit -f`; the old file is untouched)"
        }
        _ => " (the old file is untouched)",
    };
    ApplyError::Io {
        path: path.display().to_string(),
        action,
        source,
        hint,
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The path written (a symlink's target, when the path was a link).
    pub path: PathBuf,
    pub backup: Option<PathBuf>,
}

/// Follows symlinks to the file that should be written, even when the final target does not
/// exist yet.
pub fn resolve_target(path: &Path) -> Result<PathBuf, ApplyError> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&current)
                    .map_err(|e| io_err(&current, "reading the symlink", e))?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(ApplyError::SymlinkLoop(path.display().to_string()))
}

/// `YYYYMMDDTHHMMSSZ` (UTC), for backup names.
pub fn timestamp(now: SystemTime) -> String {
    let t = crate::clock::utc(now);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// A temp file in `dir` with this tool's prefix: it is never mistaken for the real file, and
/// [`remove_stale_temps`] can find the ones a killed run left behind.
fn temp_in(dir: &Path, mode: u32) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    // Windows: no mode bits; the file inherits its directory's access list (see the module doc).
    #[cfg(not(unix))]
    let _ = mode;
    builder.tempfile_in(dir)
}

const TEMP_PREFIX: &str = ".lakekeeper-setup.";
const TEMP_SUFFIX: &str = ".tmp";

/// Copies the current file to `.lakekeeper-setup-backups/<name>.<timestamp>` beside it (mode
/// 0600 for secret files; see [`crate::backups`] for why there), then prunes that file's older
/// backups. The copy is written to a temp file in the backup directory and linked into place
/// without overwriting, so a run killed midway never leaves a truncated backup that looks like
/// a good one.
fn backup(target: &Path, contents: &[u8], mode: u32) -> Result<PathBuf, ApplyError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = backups::dir_for(target);
    backups::ensure_dir(&dir).map_err(|e| io_err(target, "creating the backup directory", e))?;
    // Backups this tool made beside the file before it had a directory for them.
    backups::adopt_old_style(target)
        .map_err(|e| io_err(target, "moving old backups into the backup directory", e))?;
    let stamp = timestamp(SystemTime::now());
    let mut tmp = temp_in(&dir, mode).map_err(|e| io_err(target, "creating the backup", e))?;
    tmp.write_all(contents)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| io_err(target, "writing the backup", e))?;
    let first = backups::next_counter(&dir, &name, &stamp);
    for n in first..first + 1000 {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let path = dir.join(format!("{name}.{stamp}{suffix}"));
        match tmp.persist_noclobber(&path) {
            Ok(_) => {
                backups::prune(&dir, &name);
                return Ok(path);
            }
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => tmp = e.file,
            Err(e) => return Err(io_err(&path, "creating the backup", e.error)),
        }
    }
    Err(io_err(
        target,
        "naming the backup",
        io::Error::other("1000 backups in one second"),
    ))
}

/// Removes this tool's temp files in `dir` that are older than `started`: leftovers of a run
/// that was killed between creating and renaming them. Only called under the lock, so
/// no live run of ours is using them; failures are ignored (they are only clutter).
fn remove_stale_temps(dir: &Path, started: SystemTime) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let stale = entry
            .metadata()
            .ok()
            .filter(fs::Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .is_some_and(|t| t < started);
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `contents` to `path` atomically; keeps a backup of a different previous version.
pub fn write_atomic(path: &Path, contents: &str, secret: bool) -> Result<Written, ApplyError> {
    let target = resolve_target(path)?;
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    fs::create_dir_all(&dir).map_err(|e| io_err(&dir, "creating the directory", e))?;
    let mode = if secret { 0o600 } else { 0o644 };
    let old = match fs::read(&target) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(&target, "reading", e)),
    };
    let backup = match &old {
        Some(b) if b.as_slice() != contents.as_bytes() => Some(backup(&target, b, mode)?),
        _ => None,
    };
    let mut tmp = temp_in(&dir, mode).map_err(|e| io_err(&dir, "creating a temporary file", e))?;
    // Errors name the real file: the temp file is gone by the time the message is read.
    tmp.write_all(contents.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| io_err(&target, "writing the new version", e))?;
    tmp.persist(&target)
        .map_err(|e| io_err(&target, "replacing", e.error))?;
    // The rename is durable only once the directory entry is. (Windows cannot open a directory
    // as a file; NTFS journals the rename itself.)
    #[cfg(unix)]
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(Written {
        path: target,
        backup,
    })
}

/// The lock file's name, in the `.env`'s directory.
pub const LOCK_NAME: &str = ".lakekeeper-setup.lock";

/// Holds the exclusive lock on a directory's [`LOCK_NAME`] for the duration of a write.
pub struct DirLock {
    file: File,
    path: PathBuf,
}

/// Locks the directory of `file` through its [`LOCK_NAME`] file (created if absent), refusing
/// at once if another run holds it. The lock is the OS's, not the file's existence: a file a
/// killed run left behind is simply locked again. Errors name `file` (the one the user knows).
pub fn lock_beside(file: &Path) -> Result<DirLock, ApplyError> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let path = dir.join(LOCK_NAME);
    // A run that released between our open and our lock has removed the file we now hold
    // (Unix): start over on the file the name now gives.
    for _ in 0..3 {
        let handle = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_err(file, "creating the lock file beside it", e))?;
        match handle.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(ApplyError::Locked(dir.display().to_string()));
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(io_err(file, "locking the lock file beside it", e));
            }
        }
        if still_named(&handle, &path) {
            return Ok(DirLock { file: handle, path });
        }
    }
    Err(ApplyError::Locked(dir.display().to_string()))
}

/// Whether `path` still names the file we locked.
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(held), Ok(named)) => held.dev() == named.dev() && held.ino() == named.ino(),
        _ => false,
    }
}

/// Windows: the lock file is never removed (see [`DirLock`]'s `Drop`), so the name always
/// gives the file we locked.
#[cfg(not(unix))]
fn still_named(_file: &File, _path: &Path) -> bool {
    true
}

impl Drop for DirLock {
    /// Unix: the file is removed while still locked (a run that opened it meanwhile sees the
    /// name gone and starts over), then closing it releases the lock. Windows keeps the empty
    /// file: a file another process has open cannot be safely replaced there, and closing the
    /// handle alone releases the lock.
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = fs::remove_file(&self.path);
        #[cfg(not(unix))]
        let _ = &self.path;
        let _ = self.file.unlock();
    }
}

/// Writes every changed file of the plan, under the lock beside the `.env`.
pub fn apply(plan: &Plan) -> Result<Vec<Written>, ApplyError> {
    let started = SystemTime::now();
    let env_target = resolve_target(&plan.env.path)?;
    let dir = env_target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io_err(dir, "creating the directory", e))?;
    let _lock = lock_beside(&env_target)?;
    // Re-check under the lock: if the file changed since the plan was made, writing would lose
    // someone else's edit.
    let now = fs::read_to_string(&env_target).ok();
    if now != plan.env.before {
        return Err(io_err(
            &env_target,
            "checking for concurrent edits",
            io::Error::other("the file changed while the plan was being made; run again"),
        ));
    }
    remove_stale_temps(dir, started);
    remove_stale_temps(&dir.join(backups::DIR), started);
    plan.files()
        .filter(|f| f.changes())
        .map(|f: &FilePlan| write_atomic(&f.path, &f.after, f.secret))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        fs::metadata(p).expect("meta").permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn a_write_keeps_a_backup_and_sets_0600_on_both() {
        let dir = tempfile::tempdir().expect("tmp");
        let env = dir.path().join(".env");
        fs::write(&env, "OLD=1\n").expect("seed");
        fs::set_permissions(&env, fs::Permissions::from_mode(0o644)).expect("chmod");
        let w = write_atomic(&env, "NEW=2\n", true).expect("write");
        assert_eq!(fs::read_to_string(&env).expect("read"), "NEW=2\n");
        assert_eq!(mode(&env), 0o600);
        let backup = w.backup.expect("backup");
        assert_eq!(fs::read_to_string(&backup).expect("read"), "OLD=1\n");
        assert_eq!(mode(&backup), 0o600);
        assert!(
            backup
                .file_name()
                .expect("name")
                .to_string_lossy()
                .starts_with(".env.2")
        );
        assert_eq!(
            backup.parent(),
            Some(dir.path().join(backups::DIR).as_path())
        );
        // No temp file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("e").file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let in_backups: Vec<_> = fs::read_dir(dir.path().join(backups::DIR))
            .expect("ls")
            .map(|e| e.expect("e").file_name())
            .collect();
        assert_eq!(
            in_backups.len(),
            2,
            "the backup and .gitignore: {in_backups:?}"
        );
    }

    #[test]
    fn identical_content_makes_no_backup_and_two_backups_in_one_second_do_not_collide() {
        let dir = tempfile::tempdir().expect("tmp");
        let env = dir.path().join(".env");
        fs::write(&env, "A=1\n").expect("seed");
        assert_eq!(
            write_atomic(&env, "A=1\n", true).expect("same").backup,
            None
        );
        let b1 = write_atomic(&env, "A=2\n", true)
            .expect("w1")
            .backup
            .expect("b1");
        let b2 = write_atomic(&env, "A=3\n", true)
            .expect("w2")
            .backup
            .expect("b2");
        assert_ne!(b1, b2);
        assert_eq!(fs::read_to_string(b2).expect("read"), "A=2\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_is_written_through() {
        let dir = tempfile::tempdir().expect("tmp");
        let link = dir.path().join(".env");
        std::os::unix::fs::symlink("real.env", &link).expect("symlink");
        let w = write_atomic(&link, "A=1\n", true).expect("write");
        assert_eq!(w.path, dir.path().join("real.env"));
        assert!(
            fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&link).expect("read"), "A=1\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = dir.path().join("a");
        std::os::unix::fs::symlink("b", &a).expect("a");
        std::os::unix::fs::symlink("a", dir.path().join("b")).expect("b");
        assert!(matches!(
            write_atomic(&a, "x", true),
            Err(ApplyError::SymlinkLoop(_))
        ));
    }

    #[test]
    fn a_second_run_is_refused_while_the_lock_file_is_held() {
        let dir = tempfile::tempdir().expect("tmp");
        let env = dir.path().join(".env");
        let held = lock_beside(&env).expect("first lock");
        let err = lock_beside(&env).err().expect("second is refused");
        assert!(
            err.to_string()
                .contains("another lakekeeper-setup is writing here"),
            "{err}"
        );
        assert!(dir.path().join(LOCK_NAME).is_file());
        drop(held);
        #[cfg(unix)]
        assert!(!dir.path().join(LOCK_NAME).exists(), "removed on release");
        assert!(lock_beside(&env).is_ok(), "released on drop");
        // A lock file left behind by a killed run is no lock.
        fs::write(dir.path().join(LOCK_NAME), "").expect("leftover");
        let again = lock_beside(&env).expect("a leftover file does not block");
        drop(again);
    }

    #[test]
    fn only_our_own_temp_files_older_than_the_run_are_removed() {
        let dir = tempfile::tempdir().expect("tmp");
        let ours = dir.path().join(".lakekeeper-setup.AbC123.tmp");
        let other = dir.path().join(".editor.AbC123.tmp");
        fs::write(&ours, "half").expect("ours");
        fs::write(&other, "x").expect("other");
        remove_stale_temps(dir.path(), UNIX_EPOCH);
        assert!(ours.exists(), "newer than the run: kept");
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        remove_stale_temps(dir.path(), later);
        assert!(!ours.exists(), "older than the run: removed");
        assert!(other.exists(), "not ours: kept");
    }

    #[test]
    fn timestamps_are_utc_civil_dates() {
        assert_eq!(timestamp(UNIX_EPOCH), "19700101T000000Z");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_775_696);
        assert_eq!(timestamp(t), "20261127T103456Z");
        let leap = UNIX_EPOCH + std::time::Duration::from_hours(264_384);
        assert_eq!(timestamp(leap), "20000229T000000Z");
    }
}
