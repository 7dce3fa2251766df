//! The Done screen's live checks end to end: the real binary in tmux writes a `.env` whose
//! services are loopback ports that refuse connections (or never answer), `v` runs `verify`,
//! every check's final line appears within seconds, and the wizard leaves cleanly — also
//! while checks are still waiting on the network.

mod support;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use support::tmux::Tmux;
use support::tools::require_tool;
use support::wizard::{API_ID, BACKEND_ID, BACKEND_SECRET, BIN, PG_PASSWORD, TENANT};

const CHECKS: [&str; 7] = [
    "oidc-discovery",
    "token",
    "token-claims",
    "postgres",
    "storage",
    "lakekeeper",
    "shadowing",
];

/// Every non-secret answer, with every service on `addr` (loopback).
fn profile(addr: &str) -> String {
    format!(
        "[entra]\ntenant = \"{TENANT}\"\nauthority_host = \"http://{addr}\"\n\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\n\n[backend_service]\nclient_id = \"{BACKEND_ID}\"\n\n[postgres]\nhost = \"127.0.0.1\"\nport = {port}\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\nblob_endpoint = \"http://{addr}/fakeacct01\"\ndfs_endpoint = \"http://{addr}/fakeacct01\"\n\n[lakekeeper]\nbase_uri = \"http://{addr}\"\n",
        port = addr.rsplit(':').next().unwrap_or("9"),
    )
}

/// Starts the wizard with the secrets in its environment and walks it to a written Done screen.
fn written(dir: &Path, addr: &str) -> Tmux {
    std::fs::write(dir.join("lakekeeper-setup.toml"), profile(addr)).expect("profile");
    let t = Tmux::start(
        dir,
        Path::new(BIN),
        &[],
        &[
            ("NO_COLOR", "1"),
            ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", BACKEND_SECRET),
            ("POSTGRES_PASSWORD", PG_PASSWORD),
        ],
        120,
        40,
    );
    t.wait_for(&["Step 1 of 11", "lakekeeper-setup.toml"]);
    t.keys(&["Enter"]);
    for n in 3..=10 {
        t.keys(&["C-n"]);
        t.wait_for(&[&format!("Step {n} of 11")]);
    }
    t.wait_for(&["Your answers", "Enter/w write"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Step 11 of 11: Done", "wrote", "v check the setup now"]);
    t
}

/// The screen's row for `name`, when it shows a final status (long rows are re-wrapped, which
/// collapses the column padding, so words are compared, not columns).
fn final_row<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|l| {
        let mut words = l.trim_start_matches(['│', ' ']).split_whitespace();
        words.next() == Some(name)
            && words
                .next()
                .is_some_and(|w| ["ok", "warning", "failed", "skipped"].contains(&w))
    })
}

#[test]
fn v_after_a_write_shows_every_check_final_line_and_exits_zero() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // Port 9 (discard) is closed on loopback: every connection is refused at once.
    let t = written(dir.path(), "127.0.0.1:9");
    let pressed = Instant::now();
    t.keys(&["v"]);
    let s = t.wait_for(&["Live checks (lakekeeper-setup verify):", "exits 0"]);
    let took = pressed.elapsed();
    assert!(took < Duration::from_secs(8), "checks took {took:?}:\n{s}");
    for name in CHECKS {
        assert!(
            final_row(&s, name).is_some(),
            "{name} has no final line:\n{s}"
        );
    }
    let pg = final_row(&s, "postgres").unwrap_or_default();
    assert!(
        pg.contains("failed"),
        "postgres on a closed port fails:\n{s}"
    );
    assert!(s.contains("fix:"), "a failure names its fix:\n{s}");
    for secret in [BACKEND_SECRET, PG_PASSWORD] {
        assert!(!s.contains(secret), "the screen shows a secret:\n{s}");
    }
    t.keys(&["Enter"]);
    t.wait_for(&["EXIT=0"]);
    let end = t.history();
    assert!(
        end.contains("Live checks") && end.contains("postgres"),
        "the results stay in the scrollback:\n{end}"
    );
    assert!(
        dir.path().join("backend/.env").is_file(),
        "the .env was written"
    );
}

#[test]
fn leaving_while_checks_wait_on_a_silent_host_exits_at_once() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // Accepts connections and never answers: the checks wait for their 10 s timeout.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = silent.local_addr().expect("addr").to_string();
    let t = written(dir.path(), &addr);
    t.keys(&["v"]);
    t.wait_for(&["Checking the setup live", "running"]);
    let pressed = Instant::now();
    t.keys(&["q"]);
    t.wait_for(&["EXIT=0"]);
    let took = pressed.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "q while checks run leaves without waiting for them ({took:?})"
    );
    drop(silent);
}

#[test]
fn plain_mode_prints_a_line_per_check_then_the_table_after_yes() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("lakekeeper-setup.toml"),
        profile("127.0.0.1:9"),
    )
    .expect("w");
    let t = Tmux::start(
        dir.path(),
        Path::new(BIN),
        &["--plain"],
        &[
            ("NO_COLOR", "1"),
            ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", BACKEND_SECRET),
            ("POSTGRES_PASSWORD", PG_PASSWORD),
        ],
        120,
        40,
    );
    // Every answer is pre-filled: Enter accepts each prompt, one at a time.
    // An answered prompt stays as `? Label value`; the next one adds a `? ` line.
    let answered = |s: &str| s.lines().filter(|l| l.starts_with("? ")).count();
    for _ in 0..40 {
        let s = t.wait_for(&["? "]);
        if s.contains("? Next") {
            break;
        }
        let before = answered(&t.history());
        t.keys(&["Enter"]);
        let start = Instant::now();
        while answered(&t.history()) == before {
            assert!(start.elapsed() < Duration::from_secs(10), "{}", t.history());
            std::thread::sleep(Duration::from_millis(40));
        }
    }
    t.wait_for(&["? Next", "Write"]);
    t.keys(&["Enter"]);
    t.wait_for(&["wrote", "? Check the setup live now"]);
    t.keys(&["y", "Enter"]);
    t.wait_for(&["the wizard still exits 0", "EXIT=0"]);
    let out = t.history();
    let live = out
        .find("Checking the setup live")
        .unwrap_or_else(|| panic!("{out}"));
    let after = &out[live..];
    for name in CHECKS {
        // The live line as it finished, then the table's row.
        assert!(final_row(after, name).is_some(), "{name} line:\n{after}");
        assert!(
            after.lines().any(|l| ["ok  ", "warn", "FAIL", "skip"]
                .iter()
                .any(|tag| l.starts_with(&format!("{tag}  {name} ")))),
            "{name} table row:\n{after}"
        );
    }
    for secret in [BACKEND_SECRET, PG_PASSWORD] {
        assert!(!out.contains(secret), "line mode shows a secret:\n{out}");
    }
}

/// SIGTERM on the Done screen while checks wait on the network ends the process at once (it
/// once kept spinning there, ignoring the signal), with exit 0 because the files were written.
#[cfg(target_os = "linux")]
#[test]
fn sigterm_while_checks_run_ends_the_process_at_once() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = silent.local_addr().expect("addr").to_string();
    let t = written(dir.path(), &addr);
    t.keys(&["v"]);
    t.wait_for(&["Checking the setup live", "running"]);
    let pid = t.child_pid();
    let sent = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    t.wait_for(&["EXIT=0"]);
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "took {:?}",
        sent.elapsed()
    );
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the wizard is gone"
    );
    drop(silent);
}
