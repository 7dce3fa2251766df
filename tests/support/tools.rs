//! Finding the external tools that tests use as real readers and stand-ins.
//!
//! When `CI` is set, a missing tool is a test failure, never a silent skip: CI installs every
//! tool in `.ci/run`, so a missing one means the install step broke.

use std::path::PathBuf;
use std::process::Command;

/// Returns the tool's path, or `None` (with a note on stderr) when it is missing outside CI.
/// Panics when it is missing and `CI` is set.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim().to_owned()));
    match found {
        Some(path) => Some(path),
        None if std::env::var_os("CI").is_some() => {
            panic!("required test tool `{name}` is missing; .ci/run must install it")
        }
        None => {
            eprintln!("skipping: test tool `{name}` is not installed (CI would fail here)");
            None
        }
    }
}

/// Same as [`require_tool`] for a Python module importable by `python3`.
pub fn require_python_module(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "required python module `{module}` is missing; .ci/run must install it"
        );
        eprintln!("skipping: python module `{module}` is not installed (CI would fail here)");
    }
    ok
}
