//! A real PgBouncer (Debian's `pgbouncer`) in transaction pool mode in front of a test cluster,
//! on 127.0.0.1 and a free port; stopped on drop. Runs as `postgres` when the tests run as root
//! (PgBouncer refuses root), like the cluster.

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

use super::tools::require_tool;

pub struct Bouncer {
    dir: TempDir,
    pub port: u16,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Bouncer {
    /// Starts PgBouncer for `database` on the cluster at `pg_port`, with one user and its
    /// password; `ignore` is `ignore_startup_parameters`. `None` outside CI when not installed.
    pub fn start(
        pg_port: u16,
        database: &str,
        user: &str,
        password: &str,
        ignore: &str,
    ) -> Option<Bouncer> {
        let bin = require_tool("pgbouncer").or_else(|| {
            let sbin = Path::new("/usr/sbin/pgbouncer");
            sbin.exists().then(|| sbin.to_path_buf())
        })?;
        let dir = tempfile::Builder::new()
            .prefix("lks-pgb-")
            .tempdir()
            .expect("temp dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let d = dir.path().display();
        std::fs::write(
            dir.path().join("users.txt"),
            format!("\"{user}\" \"{password}\"\n"),
        )
        .expect("auth file");
        std::fs::write(
            dir.path().join("pgbouncer.ini"),
            format!(
                "[databases]\n{database} = host=127.0.0.1 port={pg_port} dbname={database}\n\
                 [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
                 auth_type = plain\nauth_file = {d}/users.txt\npool_mode = transaction\n\
                 ignore_startup_parameters = {ignore}\nlogfile = {d}/pgbouncer.log\npidfile = {d}/pgbouncer.pid\n"
            ),
        )
        .expect("ini");
        let ini = dir.path().join("pgbouncer.ini");
        let status = if is_root() {
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&bin)
                .arg("-d")
                .arg(&ini)
                .status()
        } else {
            Command::new(&bin).arg("-d").arg(&ini).status()
        }
        .expect("pgbouncer starts");
        assert!(status.success(), "pgbouncer -d failed");
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Bouncer { dir, port });
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!(
            "pgbouncer did not listen: {}",
            std::fs::read_to_string(dir.path().join("pgbouncer.log")).unwrap_or_default()
        );
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("pgbouncer.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}
