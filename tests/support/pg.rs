//! A throwaway PostgreSQL 15 cluster per test, on 127.0.0.1 and a free port.
//!
//! `initdb`/`pg_ctl` come from `/usr/lib/postgresql/15/bin` and run as the `postgres` user when
//! the tests run as root (PostgreSQL refuses to run as root). Each cluster lives in its own temp
//! dir (data, unix socket, log) and is stopped with `pg_ctl stop -m immediate` on drop, so tests
//! run in parallel safely. Password auth is scram-sha-256 over TCP; the unix socket trusts, and
//! only the test's own admin commands (`psql`) use it.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use tempfile::TempDir;

pub const BIN: &str = "/usr/lib/postgresql/15/bin";
/// The cluster superuser's password (a test value).
pub const SUPERUSER_PASSWORD: &str = "fake-superuser-password";

/// How to set the cluster up.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `hostssl` only (plus `hostnossl … reject`) with a self-signed certificate.
    pub tls_required: bool,
}

pub struct Cluster {
    dir: TempDir,
    pub port: u16,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL tool, as `postgres` when we are root.
fn run_pg(tool: &str, args: &[&str]) -> Output {
    let path = format!("{BIN}/{tool}");
    let output = if is_root() {
        Command::new("runuser")
            .args(["-u", "postgres", "--", &path])
            .args(args)
            .output()
    } else {
        Command::new(&path).args(args).output()
    };
    output.unwrap_or_else(|e| panic!("could not run {path}: {e}"))
}

fn chown_to_postgres(path: &Path) {
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(path)
            .status()
            .expect("chown");
        assert!(status.success(), "chown postgres {}", path.display());
    }
}

/// A cluster made once per machine (and per test process at most) by `initdb`, kept under
/// the temp dir and copied for each test. It is built in a staging dir and renamed into place,
/// so parallel test processes never see half of one.
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let root = std::env::temp_dir().join("lakekeeper-setup-pg15-template-v1");
        if root.join("complete").exists() {
            return root;
        }
        let staging = tempfile::Builder::new()
            .prefix("lks-pg-template-")
            .tempdir()
            .expect("temp dir");
        let data = staging.path().join("data");
        let pwfile = staging.path().join("pwfile");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).expect("pwfile");
        chown_to_postgres(staging.path());
        let out = run_pg(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                "--pwfile",
                path(&pwfile),
                "-A",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(staging.path().join("complete"), "").expect("marker");
        let staged = staging.keep();
        // Another process may have won the race; then its template is as good as ours.
        if std::fs::rename(&staged, &root).is_err() {
            let _ = std::fs::remove_dir_all(&staged);
        }
        root
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

impl Cluster {
    /// Starts a cluster, or returns `None` (outside CI) when PostgreSQL 15 is not installed.
    /// Under `CI` a missing `initdb` fails the test.
    pub fn start(options: Options) -> Option<Cluster> {
        if !Path::new(BIN).join("initdb").exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{BIN}/initdb is missing; .ci/run must install postgresql-15"
            );
            eprintln!("skipping: {BIN}/initdb is not installed (CI would fail here)");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("lks-pg-")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        // Each test gets its own copy of one initdb'd template: initdb is the slow part.
        let out = Command::new("cp")
            .arg("-a")
            .arg(template().join("data"))
            .arg(&data)
            .output()
            .expect("cp");
        assert!(
            out.status.success(),
            "copying the template cluster: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut hba = String::from("local all all trust\n");
        let mut conf = format!(
            "listen_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\nmax_connections = 20\nshared_buffers = 16MB\n",
            dir.path().display()
        );
        if options.tls_required {
            make_certificate(dir.path());
            let _ = write!(
                conf,
                "ssl = on\nssl_cert_file = '{0}/server.crt'\nssl_key_file = '{0}/server.key'\n",
                dir.path().display()
            );
            hba.push_str("hostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 127.0.0.1/32 reject\n");
        } else {
            hba.push_str("host all all 127.0.0.1/32 scram-sha-256\n");
        }
        std::fs::write(data.join("pg_hba.conf"), hba).expect("pg_hba.conf");
        let mut existing =
            std::fs::read_to_string(data.join("postgresql.conf")).expect("postgresql.conf");
        existing.push_str(&conf);
        std::fs::write(data.join("postgresql.conf"), existing).expect("postgresql.conf");
        chown_to_postgres(dir.path());
        // A port taken between probing and binding makes `pg_ctl start` fail: try a few.
        let log = dir.path().join("log");
        for _ in 0..5 {
            let port = free_port();
            let out = run_pg(
                "pg_ctl",
                &[
                    "-D",
                    path(&data),
                    "-l",
                    path(&log),
                    "-w",
                    "-t",
                    "30",
                    "-o",
                    &format!("-p {port}"),
                    "start",
                ],
            );
            if out.status.success() {
                return Some(Cluster { dir, port });
            }
        }
        panic!(
            "pg_ctl start failed: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Runs SQL as the superuser over the unix socket; panics on error.
    pub fn sql(&self, database: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let socket = self.dir.path().display().to_string();
        let out = run_pg(
            "psql",
            &[
                "-h",
                &socket,
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atqc",
                sql,
            ],
        );
        assert!(
            out.status.success(),
            "psql `{sql}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = run_pg(
            "pg_ctl",
            &["-D", path(&data), "-m", "immediate", "-w", "stop"],
        );
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// A self-signed EC certificate for 127.0.0.1, made with the `openssl` CLI; the key is 0600
/// and owned by postgres, as the server insists.
fn make_certificate(dir: &Path) {
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .arg("-keyout")
        .arg(dir.join("server.key"))
        .arg("-out")
        .arg(dir.join("server.crt"))
        .output()
        .expect("openssl is needed for the TLS cluster");
    assert!(
        status.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let status = Command::new("chmod")
        .arg("600")
        .arg(dir.join("server.key"))
        .status()
        .expect("chmod");
    assert!(status.success());
}
