//! `verify`, identity side: OIDC discovery, the service-account token and its claims against a
//! real OIDC provider (oauth2-mock-server, Entra-shaped) on 127.0.0.1; `--only`, progress and
//! shadowing; timeouts against a listener that never answers.

mod support;

use std::time::{Duration, Instant};

use lakekeeper_setup::verify::{self, CheckName, CheckResult, ProgressEvent, Status, VerifyReport};
use support::http_mock::{SilentServer, closed_port_base};
use support::oidc::{API_ID, BACKEND_SECRET, OidcProvider, TENANT, TENANT_DOMAIN};
use support::verify_env::{config, only, set};

const IDENTITY: [&str; 3] = ["oidc-discovery", "token", "token-claims"];

fn get(report: &VerifyReport, name: CheckName) -> &CheckResult {
    report
        .get(name)
        .unwrap_or_else(|| panic!("{} missing from {report:#?}", name.as_str()))
}

#[tokio::test]
async fn v2_tokens_with_a_correct_config_pass_every_identity_check() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let cfg = only(config(&idp.authority(), "http://127.0.0.1:9"), &IDENTITY);
    let report = verify::run(&cfg, None).await;

    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, IDENTITY, "only the selected checks, in report order");
    for c in &report.checks {
        assert_eq!(c.status, Status::Ok, "{c:#?}");
        assert_eq!(c.fix, None);
    }
    let claims = get(&report, CheckName::TokenClaims);
    assert!(
        claims.details.contains(&"token version 2.0".to_owned()),
        "{claims:#?}"
    );
    assert!(
        claims
            .details
            .contains(&"signature verified (RS256)".to_owned())
    );
    assert!(claims.details.contains(&format!("aud {API_ID}")));
    let discovery = get(&report, CheckName::OidcDiscovery);
    assert!(discovery.details.contains(&format!(
        "v1 issuer {} is in LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS",
        idp.v1_issuer()
    )));
}

#[tokio::test]
async fn a_domain_tenant_resolves_to_its_guid() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let mut cfg = only(
        config(&idp.authority(), "http://127.0.0.1:9"),
        &["oidc-discovery"],
    );
    set(
        &mut cfg,
        "LAKEKEEPER__OPENID_PROVIDER_URI",
        &format!("{}/{TENANT_DOMAIN}/v2.0", idp.authority()),
    );
    let report = verify::run(&cfg, None).await;
    let d = get(&report, CheckName::OidcDiscovery);
    assert_eq!(d.status, Status::Ok, "{d:#?}");
    assert!(
        d.details
            .contains(&format!("tenant `{TENANT_DOMAIN}` resolves to {TENANT}")),
        "{d:#?}"
    );
}

#[tokio::test]
async fn v1_tokens_without_the_additional_issuer_get_the_exact_fix() {
    let Some(idp) = OidcProvider::start(1) else {
        return;
    };
    let mut cfg = only(config(&idp.authority(), "http://127.0.0.1:9"), &IDENTITY);
    cfg.env.remove("LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS");
    let report = verify::run(&cfg, None).await;

    let v1 = idp.v1_issuer();
    let discovery = get(&report, CheckName::OidcDiscovery);
    assert_eq!(discovery.status, Status::Warning);
    assert_eq!(
        discovery.fix.as_deref(),
        Some(format!("add {v1} to LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS").as_str())
    );
    assert_eq!(get(&report, CheckName::Token).status, Status::Ok);
    let claims = get(&report, CheckName::TokenClaims);
    assert_eq!(claims.status, Status::Failed, "{claims:#?}");
    assert!(claims.details.contains(&"token version 1.0".to_owned()));
    assert_eq!(
        claims.fix.as_deref(),
        Some(format!("tokens are v1: add {v1} to LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS").as_str())
    );
}

#[tokio::test]
async fn a_v1_issuer_without_its_trailing_slash_never_matches() {
    let Some(idp) = OidcProvider::start(1) else {
        return;
    };
    let mut cfg = only(
        config(&idp.authority(), "http://127.0.0.1:9"),
        &["token-claims"],
    );
    let v1 = idp.v1_issuer();
    set(
        &mut cfg,
        "LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS",
        v1.trim_end_matches('/'),
    );
    let report = verify::run(&cfg, None).await;
    assert_eq!(
        report.checks.len(),
        1,
        "dependencies run silently under --only"
    );
    let claims = get(&report, CheckName::TokenClaims);
    assert_eq!(claims.status, Status::Failed);
    assert!(
        claims.summary.contains("which never matches exactly"),
        "{claims:#?}"
    );
    assert_eq!(
        claims.fix.as_deref(),
        Some(format!("tokens are v1: add {v1} to LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS").as_str())
    );
}

#[tokio::test]
async fn an_audience_list_with_a_space_is_rejected_like_lakekeeper_does() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let mut cfg = only(config(&idp.authority(), "http://127.0.0.1:9"), &IDENTITY);
    set(
        &mut cfg,
        "LAKEKEEPER__OPENID_AUDIENCE",
        &format!("api://{API_ID}, {API_ID}"),
    );
    let report = verify::run(&cfg, None).await;
    let claims = get(&report, CheckName::TokenClaims);
    assert_eq!(claims.status, Status::Failed, "{claims:#?}");
    assert!(claims.summary.contains("spaces around its commas"));
    assert_eq!(
        claims.fix.as_deref(),
        Some(
            format!("remove the spaces: set LAKEKEEPER__OPENID_AUDIENCE=api://{API_ID},{API_ID}")
                .as_str()
        )
    );
}

#[tokio::test]
async fn openid_scope_set_is_flagged() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let mut cfg = only(
        config(&idp.authority(), "http://127.0.0.1:9"),
        &["token-claims"],
    );
    set(&mut cfg, "LAKEKEEPER__OPENID_SCOPE", "lakekeeper");
    let report = verify::run(&cfg, None).await;
    let claims = get(&report, CheckName::TokenClaims);
    assert_eq!(claims.status, Status::Failed);
    assert_eq!(
        claims.fix.as_deref(),
        Some("remove LAKEKEEPER__OPENID_SCOPE from backend/.env")
    );
}

#[tokio::test]
async fn a_wrong_secret_says_value_not_id_and_skips_the_claims_check() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let mut cfg = only(config(&idp.authority(), "http://127.0.0.1:9"), &IDENTITY);
    set(
        &mut cfg,
        "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
        "fake-secret-wrong-value",
    );
    let report = verify::run(&cfg, None).await;
    let token = get(&report, CheckName::Token);
    assert_eq!(token.status, Status::Failed);
    assert!(
        token
            .summary
            .starts_with("Entra refused the token (AADSTS7000215): "),
        "{token:#?}"
    );
    assert_eq!(
        token.fix.as_deref(),
        Some(
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET is not a valid secret for LAKEKEEPER__OAUTH2__CLIENT_ID: copy the secret's Value (not the Secret ID) from App registrations → Certificates & secrets, or create a new secret"
        )
    );
    let claims = get(&report, CheckName::TokenClaims);
    assert_eq!(claims.status, Status::Skipped);
    assert!(
        claims
            .summary
            .starts_with("needs token: Entra refused the token (AADSTS7000215)"),
        "{claims:#?}"
    );
    assert!(
        !serde_json::to_string(&report)
            .expect("json")
            .contains("fake-secret-wrong-value")
    );
}

#[tokio::test]
async fn a_guid_secret_is_called_the_secret_id() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let mut cfg = only(config(&idp.authority(), "http://127.0.0.1:9"), &["token"]);
    set(
        &mut cfg,
        "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
        "0b5c9a3e-1d2f-4a6b-8c7d-9e0f1a2b3c4d",
    );
    let report = verify::run(&cfg, None).await;
    let token = get(&report, CheckName::Token);
    assert_eq!(token.status, Status::Failed);
    assert!(
        token.fix.as_deref().is_some_and(|f| f.starts_with(
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET holds the secret's ID (a GUID), not its value"
        )),
        "{token:#?}"
    );
}

#[tokio::test]
async fn a_wrong_app_id_uri_names_the_scope() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let mut cfg = only(config(&idp.authority(), "http://127.0.0.1:9"), &["token"]);
    set(
        &mut cfg,
        "LAKEKEEPER__OAUTH2__SCOPE",
        "api://not-the-api/.default",
    );
    let report = verify::run(&cfg, None).await;
    let token = get(&report, CheckName::Token);
    assert!(token.summary.contains("AADSTS500011"), "{token:#?}");
    assert!(token.fix.as_deref().is_some_and(|f| f.contains(
        "set LAKEKEEPER__OAUTH2__SCOPE to `<the API app's Application ID URI>/.default`"
    )));
}

#[tokio::test]
async fn a_silent_authority_fails_within_the_timeout() {
    let silent = SilentServer::start().await;
    let mut cfg = config(&silent.base, &closed_port_base().await);
    cfg.timeout = Duration::from_secs(1);
    cfg.only = None;
    let started = Instant::now();
    let report = verify::run(&cfg, None).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(2500), "took {elapsed:?}");
    let d = get(&report, CheckName::OidcDiscovery);
    assert_eq!(d.status, Status::Failed);
    assert!(
        d.summary
            .starts_with(&format!("no answer from {}/", silent.base)),
        "{d:#?}"
    );
    assert_eq!(get(&report, CheckName::Token).status, Status::Failed);
    assert_eq!(get(&report, CheckName::TokenClaims).status, Status::Skipped);
    assert_eq!(
        get(&report, CheckName::Lakekeeper).status,
        Status::Skipped,
        "nothing listens at LAKEKEEPER__BASE_URI"
    );
    assert!(report.has_failures());
}

#[tokio::test]
async fn plain_http_to_a_non_loopback_authority_is_refused_before_sending() {
    let mut cfg = only(
        config("http://login.example.invalid", "http://127.0.0.1:9"),
        &["token"],
    );
    cfg.timeout = Duration::from_secs(1);
    let report = verify::run(&cfg, None).await;
    let token = get(&report, CheckName::Token);
    assert_eq!(token.status, Status::Failed);
    assert!(
        token
            .summary
            .contains("uses plain http on a non-loopback host"),
        "{token:#?}"
    );
}

#[tokio::test]
async fn progress_reports_each_selected_check_once() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let cfg = only(
        config(&idp.authority(), "http://127.0.0.1:9"),
        &["token", "shadowing"],
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let report = verify::run(&cfg, Some(tx)).await;
    let mut started = Vec::new();
    let mut finished = Vec::new();
    while let Ok(e) = rx.try_recv() {
        match e {
            ProgressEvent::Started(n) => started.push(n),
            ProgressEvent::Finished(r) => finished.push(r.name),
        }
    }
    started.sort();
    finished.sort();
    assert_eq!(started, vec![CheckName::Token, CheckName::Shadowing]);
    assert_eq!(finished, vec!["shadowing".to_owned(), "token".to_owned()]);
    assert_eq!(report.checks.len(), 2);
}

#[tokio::test]
async fn shadowing_names_the_variable_and_hides_secret_values() {
    let mut cfg = only(
        config("http://127.0.0.1:9", "http://127.0.0.1:9"),
        &["shadowing"],
    );
    cfg.process_env.insert(
        "LAKEKEEPER__OAUTH2__CLIENT_SECRET".into(),
        "fake-secret-from-shell-xyz".into(),
    );
    cfg.process_env
        .insert("LAKEKEEPER__WAREHOUSE_NAME".into(), "other".into());
    cfg.process_env
        .insert("POSTGRES_PASSWORD".into(), "fake-pg-password-123456".into()); // same as .env
    cfg.process_env.insert("HOME".into(), "/root".into());
    let report = verify::run(&cfg, None).await;
    let s = get(&report, CheckName::Shadowing);
    assert_eq!(s.status, Status::Warning);
    assert!(
        s.summary
            .ends_with("LAKEKEEPER__OAUTH2__CLIENT_SECRET, LAKEKEEPER__WAREHOUSE_NAME"),
        "{s:#?}"
    );
    assert!(s.details.contains(
        &"LAKEKEEPER__WAREHOUSE_NAME: shell `other`, backend/.env `analytics`".to_owned()
    ));
    let text = verify::render_table(&report, false);
    assert!(
        !text.contains("fake-secret-from-shell-xyz") && !text.contains(BACKEND_SECRET),
        "{text}"
    );
}

#[tokio::test]
async fn an_unset_audience_is_a_warning_with_both_forms_to_write() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let mut cfg = only(
        config(&idp.authority(), "http://127.0.0.1:9"),
        &["token-claims"],
    );
    cfg.env.remove("LAKEKEEPER__OPENID_AUDIENCE");
    let report = verify::run(&cfg, None).await;
    let claims = get(&report, CheckName::TokenClaims);
    assert_eq!(claims.status, Status::Warning, "{claims:#?}");
    assert_eq!(
        claims.fix.as_deref(),
        Some(format!("set LAKEKEEPER__OPENID_AUDIENCE=api://{API_ID},{API_ID}").as_str())
    );
}

#[tokio::test]
async fn a_provider_uri_with_the_well_known_suffix_is_caught_before_lakekeeper_dies_on_it() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let mut cfg = only(
        config(&idp.authority(), "http://127.0.0.1:9"),
        &["oidc-discovery"],
    );
    let base = format!("{}/{TENANT}/v2.0", idp.authority());
    set(
        &mut cfg,
        "LAKEKEEPER__OPENID_PROVIDER_URI",
        &format!("{base}/.well-known/openid-configuration"),
    );
    let report = verify::run(&cfg, None).await;
    let d = get(&report, CheckName::OidcDiscovery);
    assert_eq!(d.status, Status::Failed);
    assert_eq!(
        d.fix.as_deref(),
        Some(format!("set LAKEKEEPER__OPENID_PROVIDER_URI={base}").as_str())
    );
}
