//! `verify` and `warehouse` through the binary: a `.env` written by `apply` is proved against a
//! real OIDC provider on loopback; exit codes, JSON and masking follow the documentation.

mod support;

use support::oidc::{API_ID, BACKEND_ID, BACKEND_SECRET, OidcProvider, TENANT};
use support::project::Project;

fn profile(authority: &str) -> String {
    format!(
        "[entra]\ntenant = \"{TENANT}\"\nauthority_host = \"{authority}\"\n\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\n\n[backend_service]\nclient_id = \"{BACKEND_ID}\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\n\n[lakekeeper]\nbase_uri = \"http://127.0.0.1:9\"\n"
    )
}

fn applied(authority: &str, secret: &str) -> Project {
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(authority));
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", secret),
        ("POSTGRES_PASSWORD", "fake-pg-password"),
    ]);
    p
}

fn verify(p: &Project, args: &[&str]) -> (Option<i32>, String, String) {
    let out = p.cmd().arg("verify").args(args).output().expect("verify");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_applied_env_passes_the_token_checks_against_a_real_provider() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let p = applied(&idp.authority(), BACKEND_SECRET);
    let (code, stdout, stderr) = verify(&p, &["--json", "--only", "token-claims"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["ok"], true);
    let checks = v["checks"].as_array().expect("checks");
    assert_eq!(
        checks.len(),
        1,
        "only the selected check is reported: {stdout}"
    );
    assert_eq!(checks[0]["name"], "token-claims");
    assert_eq!(checks[0]["status"], "ok");
    assert!(!stdout.contains(BACKEND_SECRET));
}

#[test]
fn a_wrong_secret_fails_with_the_value_not_id_hint_and_exit_one() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let wrong = "fake-wrong-secret-Q~0123456789abcdefghij";
    let p = applied(&idp.authority(), wrong);
    let (code, stdout, _) = verify(&p, &["--only", "token"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("token"), "{stdout}");
    assert!(stdout.contains("Value"), "{stdout}");
    assert!(!stdout.contains(wrong), "secret printed: {stdout}");
}

#[test]
fn verify_without_an_env_file_cannot_run() {
    let p = Project::empty();
    let (code, _, stderr) = verify(&p, &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no such file"), "{stderr}");
}

#[test]
fn an_unknown_check_name_is_a_usage_error() {
    let p = applied(
        "http://127.0.0.1:9",
        "fake-secret-Q~0123456789abcdefghijklmnop",
    );
    let (code, _, stderr) = verify(&p, &["--only", "tokn"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("tokn"), "{stderr}");
}

#[test]
fn warehouse_dry_run_prints_the_masked_request_and_sends_nothing() {
    let secret = "fake-secret-Q~0123456789abcdefghijklmnop";
    let p = applied("http://127.0.0.1:9", secret);
    let out = p
        .cmd()
        .args(["warehouse", "--dry-run", "--json"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["warehouse"], "dry-run");
    let req = &v["request"];
    assert_eq!(req["warehouse-name"], "lakekeeper");
    assert_eq!(req["storage-profile"]["account-name"], "fakeacct01");
    assert_eq!(req["storage-profile"]["key-prefix"], "lakekeeper");
    assert_eq!(req["storage-credential"]["client-id"], BACKEND_ID);
    assert!(!stdout.contains(secret), "{stdout}");
}
