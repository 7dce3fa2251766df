//! Helpers for the wizard's end-to-end tests: the binary, fake answers, starting it in tmux,
//! reading what it wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::tmux::Tmux;

pub const BIN: &str = env!("CARGO_BIN_EXE_lakekeeper-setup");
pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const API_ID: &str = "aaaaaaaa-0000-4000-8000-000000000001";
pub const BACKEND_ID: &str = "bbbbbbbb-0000-4000-8000-000000000002";
pub const BACKEND_SECRET: &str = "fake-secret-backend-value-0123456789WXYZ";
pub const PG_PASSWORD: &str = "fake-secret-pg p@ss:word/5678";
pub const ACCOUNT_KEY: &str = "fake-secret-account-key-ABCD";

pub fn start(dir: &Path, args: &[&str]) -> Tmux {
    // An empty temporary directory is no project: `--root` says to set up there.
    let root = dir.display().to_string();
    let mut all = vec!["--root", root.as_str()];
    all.extend_from_slice(args);
    Tmux::start(dir, Path::new(BIN), &all, &[("NO_COLOR", "1")], 120, 40)
}

pub fn read_env(path: &Path) -> BTreeMap<String, String> {
    dotenvy::from_path_iter(path)
        .expect("the .env parses")
        .map(|kv| kv.expect("every line parses"))
        .collect()
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Types a value into the focused field and presses Enter.
pub fn answer(t: &Tmux, value: &str) {
    t.type_text(value);
    t.keys(&["Enter"]);
}
