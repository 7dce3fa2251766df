//! `verify`, Lakekeeper check: health, the management API with the service-account token
//! from the real (Entra-shaped) OIDC provider, bootstrap state and the warehouse, against an
//! in-process mock of Lakekeeper's documented answers; and no secret or token in the output.

mod support;

use std::time::Duration;

use lakekeeper_setup::verify::{self, CheckName, CheckResult, Status, VerifyReport};
use support::http_mock::{MockServer, closed_port_base};
use support::oidc::{BACKEND_SECRET, OidcProvider, STORAGE_SECRET};
use support::verify_env::{KEY_PREFIX, LOCATION, config, only, warehouse_list};

/// The catalog prefix Lakekeeper returns: the warehouse's id (its default `{warehouse_id}`
/// prefix template).
const PREFIX: &str = "0194b3c2-0000-7000-8000-000000000001";

/// `GET /catalog/v1/config` as Lakekeeper v0.13.3 answers it (`server/config.rs`): the prefix
/// and page size in `defaults`, the catalog URI in `overrides`.
fn catalog_config(base: &str) -> String {
    format!(
        r#"{{"defaults":{{"prefix":"{PREFIX}","rest-page-size":"100"}},"overrides":{{"uri":"{base}/catalog"}}}}"#
    )
}

/// Lakekeeper's answer for an unknown warehouse, or one the caller may not see (the same on
/// purpose): `WarehouseNameNotFound` as an Iceberg error.
const NO_SUCH_WAREHOUSE: &str = r#"{"error":{"message":"A warehouse 'analytics' does not exist","type":"NoSuchWarehouseException","code":404,"stack":["Error ID: 0193"]}}"#;

/// A healthy, bootstrapped Lakekeeper whose warehouse list is `list` (status, body) and whose
/// config endpoint answers `config` (status, body).
async fn lakekeeper(list: (u16, &str), config: (u16, &str)) -> MockServer {
    let lk = MockServer::start().await;
    lk.on("GET", "/health", 200, r#"{"health":"ok"}"#)
        .on(
            "GET",
            "/management/v1/info",
            200,
            r#"{"version":"0.13.3","bootstrapped":true}"#,
        )
        .on("GET", "/management/v1/warehouse", list.0, list.1)
        .on("GET", "/catalog/v1/config", config.0, config.1);
    lk
}

#[tokio::test]
async fn the_catalog_config_call_turns_each_failure_into_its_fix() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let listed = warehouse_list(KEY_PREFIX);
    let forbidden_list = r#"{"error":{"message":"Forbidden","type":"Forbidden","code":403}}"#;
    let rejected =
        r#"{"error":{"message":"Authentication failed","type":"AuthenticationFailed","code":401}}"#;
    let ok_body = catalog_config("http://127.0.0.1:8181");
    for (label, list, answer, status, summary, fix) in [
        (
            "listed but hidden",
            (200, listed.as_str()),
            (404, NO_SUCH_WAREHOUSE),
            Status::Failed,
            "GET /catalog/v1/config?warehouse=analytics: Lakekeeper says warehouse `analytics` does not exist for the service account (NoSuchWarehouseException)",
            "grant the service account access to it in Lakekeeper",
        ),
        (
            "not listable and unknown",
            (403, forbidden_list),
            (404, NO_SUCH_WAREHOUSE),
            Status::Failed,
            "GET /catalog/v1/config?warehouse=analytics: warehouse `analytics` does not exist (NoSuchWarehouseException)",
            "run `lakekeeper-setup warehouse`",
        ),
        (
            "token rejected",
            (200, listed.as_str()),
            (401, rejected),
            Status::Failed,
            "GET /catalog/v1/config?warehouse=analytics: Lakekeeper rejected the service-account token (401)",
            "see the token-claims result",
        ),
        (
            "forbidden",
            (200, listed.as_str()),
            (403, forbidden_list),
            Status::Failed,
            "GET /catalog/v1/config?warehouse=analytics: the service account may not use warehouse `analytics` (403)",
            "grant the service account access to the warehouse",
        ),
        (
            "not listable but usable",
            (403, forbidden_list),
            (200, ok_body.as_str()),
            Status::Ok,
            "warehouse `analytics` answers the catalog API",
            "",
        ),
    ] {
        let lk = lakekeeper(list, answer).await;
        let cfg = only(config(&idp.authority(), &lk.base), &["lakekeeper"]);
        let report = verify::run(&cfg, None).await;
        let l = get(&report, CheckName::Lakekeeper);
        assert_eq!(l.status, status, "{label}: {l:#?}");
        assert_eq!(l.summary, summary, "{label}");
        assert!(
            l.fix.as_deref().unwrap_or_default().contains(fix),
            "{label}: {l:#?}"
        );
    }
}

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
        .on("GET", "/management/v1/warehouse", 200, &warehouse_list(KEY_PREFIX))
        .on("GET", "/catalog/v1/config", 200, &catalog_config(&lk.base));
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

    assert!(
        l.details.contains(&format!(
            "GET /catalog/v1/config?warehouse=analytics (PyIceberg's first call): catalog prefix `{PREFIX}`"
        )),
        "{l:#?}"
    );
    let config_call = lk
        .requests()
        .into_iter()
        .find(|r| r.path == "/catalog/v1/config")
        .expect("PyIceberg's first call was made");
    assert_eq!(config_call.query, "warehouse=analytics");
    assert!(
        config_call.bearer.is_some(),
        "with the service-account token"
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
