//! Network failures in words: stand-ins on 127.0.0.1 that refuse, reset, stall or present a
//! certificate this machine does not trust (a self-signed one from `openssl`), and a proxy
//! that cannot be reached. Each check says what failed and the fix in one line; the
//! libraries' error chain appears only with `--verbose`. On a terminal (tmux), `verify`
//! shows each check live while a stand-in stalls, and wraps at word boundaries.

mod support;

use std::net::TcpListener as StdListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lakekeeper_setup::verify::{self, CheckName, CheckResult, VerifyReport};
use support::http_mock::{SilentServer, closed_port_base};
use support::oidc::{API_ID, BACKEND_ID, BACKEND_SECRET, TENANT};
use support::project::Project;
use support::tmux::Tmux;
use support::tools::require_tool;
use support::verify_env::{config, only};

fn get(report: &VerifyReport, name: CheckName) -> &CheckResult {
    report
        .get(name)
        .unwrap_or_else(|| panic!("{} missing from {report:#?}", name.as_str()))
}

/// Discovery alone against `authority`, with a `secs` timeout.
async fn discovery(authority: &str, secs: u64) -> CheckResult {
    let mut cfg = only(config(authority, "http://127.0.0.1:9"), &["oidc-discovery"]);
    cfg.timeout = Duration::from_secs(secs);
    let report = verify::run(&cfg, None).await;
    get(&report, CheckName::OidcDiscovery).clone()
}

/// No line of the result is reqwest's chain: that is for --verbose.
fn assert_in_words(r: &CheckResult) {
    for line in std::iter::once(&r.summary).chain(&r.details) {
        assert!(
            !line.contains("error sending request") && !line.contains("client error"),
            "library chain in a line: {r:#?}"
        );
    }
}

#[tokio::test]
async fn a_refused_connection_says_nothing_listens_and_to_start_the_service() {
    let base = closed_port_base().await;
    let r = discovery(&base, 3).await;
    let target = base.trim_start_matches("http://");
    assert_eq!(
        r.summary,
        format!(
            "could not reach {base}/{TENANT}/v2.0/.well-known/openid-configuration: nothing listens on {target} (connection refused)"
        )
    );
    assert_eq!(
        r.fix.as_deref(),
        Some("start the service, or correct the host and port in backend/.env")
    );
    assert!(
        r.trace.iter().any(|t| t.contains("error sending request")),
        "the chain is kept for --verbose: {r:#?}"
    );
    assert_in_words(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_connection_is_named_with_the_vpn_and_proxy_fix() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            // SO_LINGER 0: closing sends RST, as a firewall cutting the connection does.
            let _ = stream.set_zero_linger();
            drop(stream);
        }
    });
    let r = discovery(&base, 3).await;
    task.abort();
    assert!(
        r.summary
            .ends_with(": the connection was reset by the other side")
            || r.summary
                .ends_with(": the server closed the connection without answering"),
        "{r:#?}"
    );
    let fix = r.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("connect the VPN"), "{fix}");
    assert!(fix.contains("HTTPS_PROXY"), "{fix}");
    assert!(
        fix.contains("NO_PROXY for hosts to reach directly"),
        "{fix}"
    );
    assert_eq!(fix.matches("HTTPS_PROXY").count(), 1, "{fix}");
    assert_in_words(&r);
}

#[tokio::test]
async fn a_stalled_host_times_out_after_the_configured_seconds() {
    let silent = SilentServer::start().await;
    let started = Instant::now();
    let r = discovery(&silent.base, 1).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        r.summary
            .starts_with(&format!("no answer from {}/", silent.base))
            && r.summary.ends_with("within 1 s (timed out)"),
        "{r:#?}"
    );
    let fix = r.fix.as_deref().unwrap_or_default();
    assert!(fix.contains("--timeout") && fix.contains("VPN"), "{fix}");
}

/// `openssl s_server` on a loopback port with a fresh self-signed certificate.
struct TlsStandIn {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl TlsStandIn {
    fn start(openssl: &Path) -> TlsStandIn {
        let dir = tempfile::tempdir().expect("tmp");
        let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
        let made = Command::new(openssl)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            // A server (not CA) certificate from an issuer nobody trusts, as a TLS-inspecting
            // proxy presents.
            .args([
                "-subj",
                "/CN=localhost",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
            ])
            .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl req");
        assert!(made.success(), "openssl req failed");
        let port = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let child = Command::new(openssl)
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "s_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsStandIn {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for TlsStandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn an_untrusted_certificate_points_at_a_tls_inspecting_proxy() {
    let Some(openssl) = require_tool("openssl") else {
        return;
    };
    let tls = TlsStandIn::start(&openssl);
    let r = discovery(&format!("https://127.0.0.1:{}", tls.port), 5).await;
    assert!(
        r.summary.ends_with(
            ": TLS certificate not trusted by this machine (a corporate proxy inspecting TLS?)"
        ),
        "{r:#?}"
    );
    assert!(
        r.fix
            .as_deref()
            .is_some_and(|f| f.contains("install its root certificate")),
        "{r:#?}"
    );
    assert_in_words(&r);
}

fn profile(authority: &str) -> String {
    format!(
        "[entra]\ntenant = \"{TENANT}\"\nauthority_host = \"{authority}\"\n\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\n\n[backend_service]\nclient_id = \"{BACKEND_ID}\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\n\n[lakekeeper]\nbase_uri = \"http://127.0.0.1:9\"\n"
    )
}

/// A project whose `.env` (written by `apply`) points discovery at `authority`.
fn applied(authority: &str) -> Project {
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(authority));
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", BACKEND_SECRET),
        ("POSTGRES_PASSWORD", "fake-pg-password"),
    ]);
    p
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

#[test]
fn an_unreachable_proxy_is_named_and_the_chain_shows_only_with_verbose() {
    let target = format!("http://127.0.0.1:{}", free_port());
    let proxy = format!("http://127.0.0.1:{}", free_port());
    let p = applied(&target);
    let run = |extra: &[&str]| {
        let out = p
            .cmd()
            .args(["verify", "--only", "oidc-discovery", "--timeout", "3"])
            .args(extra)
            .env("HTTP_PROXY", &proxy)
            .output()
            .expect("verify");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let plain = run(&[]);
    assert!(
        plain.contains(&format!("the proxy {proxy} cannot be reached")),
        "{plain}"
    );
    assert!(plain.contains("fix: check the proxy"), "{plain}");
    assert!(
        !plain.contains("cause:"),
        "no chain without --verbose: {plain}"
    );
    assert!(!plain.contains("error sending request"), "{plain}");
    let verbose = run(&["--verbose"]);
    assert!(
        verbose.contains("cause: error sending request for url"),
        "{verbose}"
    );
    let json = run(&["--json"]);
    assert!(!json.contains("\"trace\""), "{json}");
}

#[test]
fn on_a_terminal_each_check_shows_live_while_a_host_stalls_and_lines_wrap_at_words() {
    if require_tool("tmux").is_none() {
        return;
    }
    // Accepts (the kernel's backlog does) and never answers.
    let silent = StdListener::bind("127.0.0.1:0").expect("bind");
    let authority = format!("http://{}", silent.local_addr().expect("addr"));
    let p = applied(&authority);
    let t = Tmux::start(
        p.root(),
        Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
        &[
            "--root",
            &p.root().display().to_string(),
            "verify",
            "--only",
            "oidc-discovery,lakekeeper",
            "--timeout",
            "4",
        ],
        &[("NO_COLOR", "1")],
        64,
        30,
    );
    // Lakekeeper (nothing listening) is done at once, and shown while discovery still waits.
    let during = t.wait_for(&["skip  lakekeeper", "running: oidc-discovery ("]);
    assert!(!during.contains("FAIL  oidc-discovery"), "{during}");
    assert!(!during.contains("EXIT="), "{during}");
    let after = t.wait_for(&["EXIT=1"]);
    assert!(
        !after.contains("running:"),
        "the status line is erased: {after}"
    );
    assert!(after.contains("FAIL  oidc-discovery"), "{after}");
    assert!(
        after.contains("0 ok, 0 warning, 1 failed, 1 skipped"),
        "{after}"
    );
    // Every line fits, and the fix's words arrive whole (no word broken across lines).
    for line in after.lines() {
        assert!(line.chars().count() <= 64, "{line:?}");
    }
    let words: Vec<&str> = after.split_whitespace().collect();
    for w in
        "a firewall is dropping the traffic or the host is down: connect the VPN or set HTTPS_PROXY"
            .split(' ')
    {
        assert!(words.contains(&w), "`{w}` broken in:\n{after}");
    }
    drop(silent);
}

/// On a terminal, `verify --production` shows the checks production leaves out, with why,
/// beside the ones it ran (before, they were only counted).
#[test]
fn on_a_terminal_production_shows_the_checks_it_leaves_out() {
    if require_tool("tmux").is_none() {
        return;
    }
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{}\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\napi_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://eeeeeeee-0000-4000-8000-000000000011\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\n",
            profile("http://127.0.0.1:9")
        ),
    );
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", BACKEND_SECRET),
        ("POSTGRES_PASSWORD", "fake-pg-password"),
    ]);
    let t = Tmux::start(
        p.root(),
        Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
        &[
            "--root",
            &p.root().display().to_string(),
            "verify",
            "--production",
            "--only",
            "storage",
        ],
        &[("NO_COLOR", "1")],
        100,
        30,
    );
    let after = t.wait_for(&["EXIT=0"]);
    assert!(after.contains("skip  storage"), "{after}");
    assert!(
        after.contains("not checked with the laptop's storage credential"),
        "{after}"
    );
    assert!(
        after.contains("0 ok, 0 warning, 0 failed, 1 skipped"),
        "{after}"
    );
}
