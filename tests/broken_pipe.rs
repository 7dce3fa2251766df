//! A reader that closes at once (`lakekeeper-setup check --json | head -c 0`): every command
//! ends quietly with exit code 0, as ripgrep does, whichever stream was closed; no "internal
//! error", no panic. Each case first proves the command does write to that stream, so the
//! closed-pipe run cannot pass by printing nothing.

mod support;

use std::process::{Command, Stdio};

use support::http_mock::MockServer;
use support::oidc::{API_ID, BACKEND_ID, BACKEND_SECRET, OidcProvider, TENANT};
use support::project::Project;

const PROFILE: &str = "[entra]\ntenant = \"11111111-2222-3333-4444-555555555555\"\nauthority_host = \"http://127.0.0.1:9\"\n\n\
[lakekeeper_api]\nclient_id = \"aaaaaaaa-0000-4000-8000-000000000001\"\n\n\
[backend_service]\nclient_id = \"bbbbbbbb-0000-4000-8000-000000000002\"\n\n\
[postgres]\nhost = \"127.0.0.1\"\nport = 9\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n\
[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\n\n\
[lakekeeper]\nbase_uri = \"http://127.0.0.1:9\"\n";

const SECRETS: [(&str, &str); 2] = [
    (
        "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
        "fake-secret-Q~0123456789abcdef",
    ),
    ("POSTGRES_PASSWORD", "fake-pg-password"),
];

#[derive(Debug, Clone, Copy)]
enum Closed {
    Stdout,
    Stderr,
}

fn command(p: &Project, args: &[&str]) -> Command {
    let mut c = p.cmd();
    c.args(args).envs(SECRETS).stdin(Stdio::null());
    c
}

/// Runs the command with `closed`'s pipe already closed: its read end is dropped before the
/// child starts, so the very first write fails with EPIPE (no race with the child). Returns
/// (exit code, the other stream).
fn run_closed(mut c: Command, closed: Closed) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    match closed {
        Closed::Stdout => c.stdout(writer).stderr(Stdio::piped()),
        Closed::Stderr => c.stderr(writer).stdout(Stdio::piped()),
    };
    let out = c.output().expect("run");
    let other = match closed {
        Closed::Stdout => out.stderr,
        Closed::Stderr => out.stdout,
    };
    (
        out.status.code(),
        String::from_utf8_lossy(&other).into_owned(),
    )
}

fn assert_quiet_end(p: &Project, args: &[&str], closed: Closed) {
    let open = command(p, args).output().expect("run");
    let written = match closed {
        Closed::Stdout => open.stdout.len(),
        Closed::Stderr => open.stderr.len(),
    };
    assert!(
        written > 0,
        "{args:?} writes nothing to {closed:?}, so closing it proves nothing"
    );
    let (code, other) = run_closed(command(p, args), closed);
    assert!(
        !other.contains("internal error") && !other.contains("panicked"),
        "{args:?} with {closed:?} closed: {other}"
    );
    assert_eq!(
        code,
        Some(0),
        "{args:?} with {closed:?} closed ends quietly with 0, as ripgrep does: {other}"
    );
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let fixture = Project::fixture();
    assert_quiet_end(&fixture, &["check"], Closed::Stdout);
    assert_quiet_end(&fixture, &["check", "--json"], Closed::Stdout);

    let p = Project::empty();
    p.write("lakekeeper-setup.toml", PROFILE);
    for args in [
        &["apply", "--dry-run", "--generate-key"][..],
        &["apply", "--dry-run", "--generate-key", "--json"],
        &["completions", "bash"],
    ] {
        assert_quiet_end(&p, args, Closed::Stdout);
    }
    p.apply_ok(&SECRETS);
    assert_quiet_end(&p, &["apply", "--dry-run"], Closed::Stdout);
    // Only the loopback check: the storage check would look up the (fake) account's host.
    assert_quiet_end(
        &p,
        &["verify", "--json", "--only", "oidc-discovery"],
        Closed::Stdout,
    );
    assert_quiet_end(&p, &["verify", "--only", "oidc-discovery"], Closed::Stdout);
}

#[test]
fn a_closed_stderr_ends_quietly_too() {
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", PROFILE);
    // Without --generate-key the missing key is reported on stderr.
    assert_quiet_end(&p, &["apply", "--dry-run"], Closed::Stderr);
    assert_quiet_end(&Project::empty(), &["check"], Closed::Stderr);
}

#[test]
fn a_confirmed_apply_finishes_its_writes_when_stdout_closes() {
    // Once told to write (--yes), a closed stdout only silences the report: the files are
    // written and the exit code is apply's own.
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", PROFILE);
    let (code, stderr) = run_closed(
        command(&p, &["apply", "--generate-key", "--yes"]),
        Closed::Stdout,
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
    let env = p.read("backend/.env");
    assert!(
        env.contains("LAKEKEEPER__PG_ENCRYPTION_KEY="),
        "the .env was written: {env}"
    );
}

#[tokio::test]
async fn verify_create_warehouse_still_creates_it_when_stdout_closes() {
    // `verify --create-warehouse` changes Lakekeeper once the checks pass: a reader that closed
    // at once must not end it before the warehouse is created (as `warehouse` itself goes on).
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on("POST", "/management/v1/bootstrap", 204, "")
        .on(
            "GET",
            "/management/v1/warehouse",
            200,
            r#"{"warehouses":[]}"#,
        )
        .on(
            "POST",
            "/management/v1/warehouse",
            201,
            r#"{"warehouse-id":"0194b3c2-0000-7000-8000-000000000001"}"#,
        );
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "[entra]\ntenant = \"{TENANT}\"\nauthority_host = \"{}\"\n\n\
             [lakekeeper_api]\nclient_id = \"{API_ID}\"\n\n\
             [backend_service]\nclient_id = \"{BACKEND_ID}\"\n\n\
             [postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n\
             [storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\n\n\
             [lakekeeper]\nbase_uri = \"{}\"\n",
            idp.authority(),
            lk.base.trim_end_matches('/')
        ),
    );
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", BACKEND_SECRET),
        ("POSTGRES_PASSWORD", "fake-pg-password"),
    ]);
    let mut c = p.cmd();
    c.args(["verify", "--only", "oidc-discovery", "--create-warehouse"])
        .stdin(Stdio::null());
    let (code, stderr) = tokio::task::spawn_blocking(move || run_closed(c, Closed::Stdout))
        .await
        .expect("join");
    assert!(!stderr.contains("internal error"), "{stderr}");
    let created = lk
        .requests()
        .iter()
        .any(|r| r.method == "POST" && r.path == "/management/v1/warehouse");
    assert!(created, "the warehouse was not created: {stderr}");
    assert_eq!(code, Some(0), "verify's own exit code: {stderr}");
}
