//! `verify`, Lakekeeper check: health, the management API with the service-account token
//! from the real (Entra-shaped) OIDC provider, bootstrap state and the warehouse, against an
//! in-process mock of Lakekeeper's documented answers; and no secret or token in the output.

mod support;

use std::time::Duration;

use lakekeeper_setup::verify::{self, CheckName, CheckResult, Status, VerifyReport};
use support::http_mock::{MockServer, closed_port_base};
use support::oidc::{BACKEND_SECRET, OidcProvider, STORAGE_SECRET};
use support::verify_env::{KEY_PREFIX, LOCATION, config, only, warehouse_list};

fn get(report: &VerifyReport, name: CheckName) -> &CheckResult {
    report
        .get(name)
        .unwrap_or_else(|| panic!("{} missing from {report:#?}", name.as_str()))
}

#[tokio::test]
async fn lakekeeper_healthy_bootstrapped_with_the_warehouse_is_ok_and_nothing_secret_is_printed() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on("GET", "/health", 200, r#"{"health":"ok","services":{}}"#)
        .on("GET", "/management/v1/info", 200, r#"{"version":"0.13.3","bootstrapped":true,"server-id":"00000000-0000-0000-0000-000000000000"}"#)
        .on("GET", "/management/v1/warehouse", 200, &warehouse_list(KEY_PREFIX));
    let cfg = config(&idp.authority(), &lk.base);
    let report = verify::run(&cfg, None).await;
    let l = get(&report, CheckName::Lakekeeper);
    assert_eq!(l.status, Status::Ok, "{l:#?}");
    assert_eq!(
        l.summary,
        "Lakekeeper 0.13.3 is healthy and accepts the service-account token"
    );
    assert!(
        l.details
            .contains(&format!("warehouse `analytics` exists at {LOCATION}"))
    );

    let bearer = lk
        .requests()
        .into_iter()
        .find_map(|r| r.bearer)
        .expect("the token was sent to Lakekeeper");
    let json = serde_json::to_string(&report).expect("json");
    let table = verify::render_table(&report, true);
    for out in [&json, &table] {
        for secret in [
            bearer.as_str(),
            BACKEND_SECRET,
            STORAGE_SECRET,
            "fake-pg-password-123456",
        ] {
            assert!(
                !out.contains(secret),
                "a secret or token leaked into the output"
            );
        }
    }
    assert!(
        json.contains(r#""name":"lakekeeper","status":"ok""#),
        "{json}"
    );
}

#[tokio::test]
async fn lakekeeper_503_is_reported_unhealthy() {
    let lk = MockServer::start().await;
    lk.on(
        "GET",
        "/health",
        503,
        r#"{"health":"error","services":{"catalog":"error"}}"#,
    );
    let cfg = only(config("http://127.0.0.1:9", &lk.base), &["lakekeeper"]);
    let report = verify::run(&cfg, None).await;
    let l = get(&report, CheckName::Lakekeeper);
    assert_eq!(l.status, Status::Failed);
    assert_eq!(l.summary, "Lakekeeper reports health `error` (503)");
    assert_eq!(
        l.details,
        vec![r#"services: {"catalog":"error"}"#.to_owned()]
    );
}

#[tokio::test]
async fn lakekeeper_401_points_at_the_token_claims_result() {
    let Some(idp) = OidcProvider::start(1) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on("GET", "/health", 200, r#"{"health":"ok"}"#).on(
        "GET",
        "/management/v1/info",
        401,
        r#"{"error":{"message":"Authentication failed","type":"AuthenticationFailed","code":401,"stack":["Error ID: x"]}}"#,
    );
    let mut cfg = only(
        config(&idp.authority(), &lk.base),
        &["lakekeeper", "token-claims"],
    );
    cfg.env.remove("LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS");
    let report = verify::run(&cfg, None).await;
    assert_eq!(get(&report, CheckName::TokenClaims).status, Status::Failed);
    let l = get(&report, CheckName::Lakekeeper);
    assert_eq!(l.status, Status::Failed);
    assert_eq!(
        l.summary,
        "Lakekeeper rejected the service-account token (401)"
    );
    assert_eq!(l.fix.as_deref(), Some("see the token-claims result"));
}

#[tokio::test]
async fn lakekeeper_not_bootstrapped_is_a_warning_with_the_command_to_run() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on("GET", "/health", 200, r#"{"health":"ok"}"#).on(
        "GET",
        "/management/v1/info",
        200,
        r#"{"version":"0.13.3","bootstrapped":false}"#,
    );
    let cfg = only(config(&idp.authority(), &lk.base), &["lakekeeper"]);
    let report = verify::run(&cfg, None).await;
    let l = get(&report, CheckName::Lakekeeper);
    assert_eq!(l.status, Status::Warning);
    assert_eq!(
        l.fix.as_deref(),
        Some("run `lakekeeper-setup warehouse` (bootstraps, then creates the warehouse)")
    );
}

#[tokio::test]
async fn lakekeeper_not_running_is_skipped_with_why() {
    let mut cfg = only(
        config("http://127.0.0.1:9", &closed_port_base().await),
        &["lakekeeper"],
    );
    cfg.timeout = Duration::from_secs(2);
    let report = verify::run(&cfg, None).await;
    let l = get(&report, CheckName::Lakekeeper);
    assert_eq!(l.status, Status::Skipped);
    assert!(
        l.summary
            .starts_with("Lakekeeper is not reachable at http://127.0.0.1:"),
        "{l:#?}"
    );
    assert!(!report.has_failures());
}
