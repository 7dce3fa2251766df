//! Azurite's Blob service (npm `azurite`, pinned in `tests/support/azurite/package.json`),
//! one instance per test on 127.0.0.1 and a port the OS picks, in memory, telemetry off.
//!
//! `.ci/run` installs it with `npm ci --prefix tests/support/azurite`; when it is missing
//! and `CI` is set, the test fails. The instance is killed on drop.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Azurite's well-known development account and key (public, documented by Microsoft).
pub const ACCOUNT: &str = "devstoreaccount1";
pub const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

pub struct Azurite {
    child: Child,
    _workdir: tempfile::TempDir,
    pub port: u16,
}

impl Azurite {
    /// `http://127.0.0.1:<port>/devstoreaccount1`, the path-style blob endpoint.
    pub fn blob_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{ACCOUNT}", self.port)
    }

    /// Starts Azurite, or returns `None` (outside CI) when it is not installed.
    pub fn start() -> Option<Azurite> {
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/support/azurite/node_modules/.bin/azurite-blob");
        if !bin.exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "Azurite is missing; .ci/run must run `npm ci --prefix tests/support/azurite`"
            );
            eprintln!(
                "skipping: Azurite is not installed (npm ci --prefix tests/support/azurite; CI would fail here)"
            );
            return None;
        }
        let workdir = tempfile::Builder::new()
            .prefix("lks-azurite-")
            .tempdir()
            .expect("temp dir");
        let mut child = Command::new(&bin)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                "0",
                "--inMemoryPersistence",
                "--extentMemoryLimit",
                "64",
            ])
            .args(["--disableTelemetry", "--skipApiVersionCheck", "--silent"])
            .current_dir(workdir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start azurite-blob");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // Azurite prints `… successfully listens on http://127.0.0.1:PORT` once it is ready.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listens on http://127.0.0.1:").nth(1) {
                    let _ = tx.send(rest.trim().parse::<u16>().ok());
                }
            }
        });
        match rx.recv_timeout(Duration::from_mins(1)) {
            Ok(Some(port)) => Some(Azurite {
                child,
                _workdir: workdir,
                port,
            }),
            other => {
                let _ = child.kill();
                panic!("Azurite did not report its port: {other:?}");
            }
        }
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
