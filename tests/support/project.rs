//! A throwaway copy of the team-shaped fixture project, and the binary to run against it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The fixture project shipped in `tests/fixtures/team-project` (a copy of
/// `../shared/fixtures/team-project`, checked for drift by `fixtures_match_shared`).
pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/team-project")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::write(&dest, std::fs::read(entry.path()).expect("read")).expect("write");
        }
    }
}

pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A copy of the fixture project.
    pub fn fixture() -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&fixture_dir(), dir.path());
        Project { dir }
    }

    /// An empty project root.
    pub fn empty() -> Project {
        Project {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// The binary with a clean environment (only PATH and HOME), `--root` set.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lakekeeper-setup"));
        c.env_clear();
        for var in ["PATH", "HOME"] {
            if let Some(v) = std::env::var_os(var) {
                c.env(var, v);
            }
        }
        c.env("NO_COLOR", "1");
        c.arg("--root").arg(self.root());
        c
    }

    /// Runs `apply --generate-key` with `env` set and asserts that it succeeded.
    pub fn apply_ok(&self, env: &[(&str, &str)]) {
        let mut c = self.cmd();
        c.args(["apply", "--generate-key"]);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().expect("run apply");
        assert_eq!(
            out.status.code(),
            Some(0),
            "apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs `git -C <root> args…` and asserts that it succeeded.
    pub fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.root())
            .args(args)
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The backups of `backend/<name>` (in `backend/.lakekeeper-setup-backups/`), oldest first,
    /// as paths relative to the root.
    pub fn backups(&self, name: &str) -> Vec<String> {
        let dir = self.path("backend/.lakekeeper-setup-backups");
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .filter(|n| {
                        n.strip_prefix(name)
                            .and_then(|r| r.strip_prefix('.'))
                            .is_some_and(|r| r.starts_with('2'))
                    })
                    .map(|n| format!("backend/.lakekeeper-setup-backups/{n}"))
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Files in `backend/` whose names start with `prefix`.
    pub fn backend_files(&self, prefix: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path("backend"))
            .expect("backend dir")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.starts_with(prefix))
            .collect();
        v.sort();
        v
    }
}

/// Obviously fake values for every required input that the fixture's `.env` lacks.
pub const FAKE_SECRET: &str = "fake1Q~notARealSecretValue-0123456789abc";
pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const API_ID: &str = "aaaaaaaa-0000-4000-8000-000000000001";
pub const BACKEND_ID: &str = "bbbbbbbb-0000-4000-8000-000000000002";
pub const PROFILE: &str = "# Team profile: no secrets here.\n[entra]\ntenant = \"11111111-2222-3333-4444-555555555555\"\n\n[lakekeeper_api]\nclient_id = \"aaaaaaaa-0000-4000-8000-000000000001\"\n\n[backend_service]\nclient_id = \"bbbbbbbb-0000-4000-8000-000000000002\"\n\n[postgres]\nhost = \"dev-server.postgres.database.azure.com\"\n\n[storage]\nkey_prefix = \"lakekeeper\"\ncredential = \"client-credentials\"\n";
