//! Check 6: a running Lakekeeper at `LAKEKEEPER__BASE_URI`: health, the management API with
//! the service-account token, bootstrap state, the configured warehouse, and then the catalog
//! call PyIceberg makes first ([`catalog`]). Also the small management-API client that
//! `warehouse` shares.
//!
//! A 401 is never "explained" from its body: a real Lakekeeper answers every rejected token
//! with the same `AuthenticationFailed` body, so the token-claims check is the diagnosis.
//! The token goes only to `LAKEKEEPER__BASE_URI` (https, or http on loopback).

use std::future::Future;

use serde_json::Value;
use tokio::time::{Duration, Instant};
use url::Url;

use super::entra::Token;
use super::http::{self, Answer, HttpError};
use super::warehouse::{Warehouse, expected_location, location_of};
use super::{CheckName, CheckResult, Status, VerifyConfig};
use crate::keys;

mod catalog;
use catalog::ConfigOutcome;

/// Lakekeeper's default when `LAKEKEEPER__BASE_URI` is unset.
pub const DEFAULT_BASE_URI: &str = "http://localhost:8181";

/// What the management part of the check waits for.
#[derive(Debug, Clone)]
pub struct TokenInput {
    pub token: Option<Token>,
    /// Why there is no token (the token check's summary), when there is none.
    pub why_missing: Option<String>,
    /// The token-claims check's status, to word a 401.
    pub claims: Option<Status>,
}

/// `LAKEKEEPER__BASE_URI` (or the default) as a URL with a trailing slash, for joining.
pub fn base_uri(cfg: &VerifyConfig) -> Result<Url, HttpError> {
    let raw = cfg
        .env
        .get(keys::BASE_URI)
        .filter(|v| !v.is_empty())
        .map_or(DEFAULT_BASE_URI, String::as_str);
    let with_slash = if raw.ends_with('/') {
        raw.to_owned()
    } else {
        format!("{raw}/")
    };
    http::parse_allowed(&with_slash)
}

/// Joins a path (no leading slash) to the base URI.
pub fn endpoint(base: &Url, path: &str) -> Result<Url, HttpError> {
    base.join(path).map_err(|e| HttpError::BadUrl {
        url: format!("{base}{path}"),
        reason: e.to_string(),
    })
}

/// `error.message` of a Lakekeeper error body, else the status alone.
pub fn error_text(answer: &Answer) -> String {
    let j = answer.json();
    let field = |k: &str| {
        j.as_ref()
            .and_then(|v| v.pointer(&format!("/error/{k}")))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match (field("type"), field("message")) {
        (Some(t), Some(m)) => format!("{} {t}: {m}", answer.status),
        (None, Some(m)) => format!("{}: {m}", answer.status),
        _ => format!("status {}", answer.status),
    }
}

/// `error.type` of a Lakekeeper error body.
pub fn error_type(answer: &Answer) -> Option<String> {
    answer
        .json()?
        .pointer("/error/type")?
        .as_str()
        .map(str::to_owned)
}

/// `GET /management/v1/warehouse`: the warehouses of the default project.
pub async fn list_warehouses(
    client: &reqwest::Client,
    base: &Url,
    token: &Token,
    deadline: Instant,
) -> Result<Vec<Warehouse>, String> {
    let url = endpoint(base, "management/v1/warehouse").map_err(|e| e.to_string())?;
    let answer = http::send(
        client
            .get(url.clone())
            .bearer_auth(token.access_token.expose()),
        &url,
        deadline,
    )
    .await
    .map_err(|e| e.to_string())?;
    if answer.status != 200 {
        return Err(format!("listing warehouses: {}", error_text(&answer)));
    }
    let list = answer
        .json()
        .and_then(|j| j.get("warehouses").and_then(Value::as_array).cloned())
        .ok_or("listing warehouses: not a warehouse list")?;
    Ok(list
        .iter()
        .filter_map(|w| {
            let text = |k: &str| w.get(k).and_then(Value::as_str).map(str::to_owned);
            Some(Warehouse {
                name: w.get("name")?.as_str()?.to_owned(),
                id: text("warehouse-id").or_else(|| text("id")),
                location: w.get("storage-profile").and_then(location_of),
                credential_kind: w
                    .pointer("/storage-credential-type/credential-type")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect())
}

pub async fn check_lakekeeper(
    cfg: &VerifyConfig,
    client: &reqwest::Client,
    input: impl Future<Output = TokenInput>,
) -> CheckResult {
    let name = CheckName::Lakekeeper;
    let base = match base_uri(cfg) {
        Ok(b) => b,
        Err(e) => {
            return CheckResult::new(name, Status::Failed, e.to_string())
                .with_fix(format!("check {}", keys::BASE_URI));
        }
    };
    let deadline = Instant::now() + cfg.timeout;
    if let Err(r) = health(client, &base, deadline).await {
        return *r;
    }
    let input = input.await;
    let Some(token) = input.token else {
        let why = input.why_missing.unwrap_or_else(|| "no token".into());
        let whose = match cfg.token_source {
            super::TokenSource::ServiceAccount => "no service-account token",
            _ => "no token of yours for production's scope",
        };
        return CheckResult::new(
            name,
            Status::Warning,
            format!("healthy; management API not checked: {whose}"),
        )
        .with_detail(format!("token check: {why}"));
    };
    management(
        cfg,
        client,
        &base,
        &token,
        input.claims,
        Instant::now() + cfg.timeout,
    )
    .await
}

/// `GET /health`. Err holds the finished result (not reachable, unhealthy, …).
async fn health(
    client: &reqwest::Client,
    base: &Url,
    deadline: Instant,
) -> Result<(), Box<CheckResult>> {
    let name = CheckName::Lakekeeper;
    let fail = |s: Status, m: String| Err(Box::new(CheckResult::new(name, s, m)));
    let url = endpoint(base, "health")
        .map_err(|e| Box::new(CheckResult::new(name, Status::Failed, e.to_string())))?;
    let answer = match http::send(client.get(url.clone()), &url, deadline).await {
        Ok(a) => a,
        Err(e) => {
            let r = if let HttpError::Unreachable { failure, .. } = &e {
                let r = CheckResult::new(
                    name,
                    Status::Skipped,
                    format!("Lakekeeper is not reachable at {base} (not started yet?)"),
                )
                .with_detail(failure.to_string());
                if http::is_loopback(base) {
                    r.with_fix(format!(
                        "start it (`docker compose up -d`), or correct {}",
                        keys::BASE_URI
                    ))
                } else {
                    r
                }
            } else {
                CheckResult::new(name, Status::Failed, e.to_string())
            };
            return Err(Box::new(r.with_http_error(&e)));
        }
    };
    let Some(body) = answer.json() else {
        return fail(
            Status::Failed,
            format!(
                "{url} answered {} without JSON: is {} Lakekeeper?",
                answer.status,
                keys::BASE_URI
            ),
        );
    };
    match body.get("health").and_then(Value::as_str) {
        Some("ok") => Ok(()),
        Some(other) => {
            let mut r = CheckResult::new(
                name,
                Status::Failed,
                format!("Lakekeeper reports health `{other}` ({})", answer.status),
            );
            if let Some(obj) = body.as_object() {
                r.details = obj
                    .iter()
                    .filter(|(k, _)| *k != "health")
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
            }
            Err(Box::new(r.with_fix(
                "see `docker compose logs lakekeeper` (database reachable? migrations run?)",
            )))
        }
        None => fail(
            Status::Failed,
            format!("{url} answered {} without a `health` field", answer.status),
        ),
    }
}

async fn management(
    cfg: &VerifyConfig,
    client: &reqwest::Client,
    base: &Url,
    token: &Token,
    claims: Option<Status>,
    deadline: Instant,
) -> CheckResult {
    let name = CheckName::Lakekeeper;
    let url = match endpoint(base, "management/v1/info") {
        Ok(u) => u,
        Err(e) => return CheckResult::new(name, Status::Failed, e.to_string()),
    };
    let answer = match http::send(
        client
            .get(url.clone())
            .bearer_auth(token.access_token.expose()),
        &url,
        deadline,
    )
    .await
    {
        Ok(a) => a,
        Err(e) => {
            return CheckResult::new(name, Status::Failed, format!("healthy, but {e}"))
                .with_http_error(&e);
        }
    };
    match answer.status {
        200 => {}
        401 => {
            return rejected(
                claims,
                "Lakekeeper rejected the service-account token (401)",
            );
        }
        403 => {
            return CheckResult::new(name, Status::Failed, "the service account may not read the management API (403)")
                .with_fix("grant the service account access in Lakekeeper (it is the operator if it bootstrapped)");
        }
        _ => {
            return CheckResult::new(
                name,
                Status::Failed,
                format!("/management/v1/info: {}", error_text(&answer)),
            );
        }
    }
    let info = answer.json().unwrap_or(Value::Null);
    let version = info
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let mut r = CheckResult::new(
        name,
        Status::Ok,
        format!("Lakekeeper {version} is healthy and accepts the service-account token"),
    );
    if info.get("bootstrapped").and_then(Value::as_bool) != Some(true) {
        r.status = Status::Warning;
        r.summary = format!("Lakekeeper {version} accepts the token but is not bootstrapped");
        return r
            .with_fix("run `lakekeeper-setup warehouse` (bootstraps, then creates the warehouse)");
    }
    r = r.with_detail("bootstrapped");
    let Some(wanted) = cfg.env.get(keys::WAREHOUSE_NAME).filter(|v| !v.is_empty()) else {
        return r.with_detail(format!(
            "{} is not set: warehouse not looked up",
            keys::WAREHOUSE_NAME
        ));
    };
    match list_warehouses(client, base, token, deadline).await {
        Err(e) => {
            // The backend never lists warehouses: what it needs is the config call below.
            r.status = Status::Warning;
            r.summary = format!("healthy and bootstrapped; {e}");
            let outcome = catalog::get_config(client, base, token, wanted, deadline).await;
            return catalog_result(r, wanted, outcome, claims, false);
        }
        Ok(list) => match list.iter().find(|w| &w.name == wanted) {
            None => {
                r.status = Status::Warning;
                r.summary = format!("warehouse `{wanted}` does not exist yet");
                r.fix = Some("run `lakekeeper-setup warehouse`".into());
            }
            Some(w) => {
                let expected = expected_location(cfg);
                let found = w.location.clone().unwrap_or_else(|| "(not ADLS)".into());
                r = r.with_detail(format!("warehouse `{wanted}` exists at {found}"));
                if expected.as_ref().is_some_and(|e| *e != found) {
                    r.status = Status::Warning;
                    r.summary = format!(
                        "warehouse `{wanted}` exists at another location than the config says"
                    );
                    r.fix = Some(format!(
                        "the warehouse's location cannot change: use another {} or restore the storage settings ({})",
                        keys::WAREHOUSE_NAME,
                        expected.unwrap_or_default()
                    ));
                }
                r = credential_verdict(r, cfg, wanted, w.credential_kind.as_deref());
                let outcome = catalog::get_config(client, base, token, wanted, deadline).await;
                return catalog_result(r, wanted, outcome, claims, true);
            }
        },
    }
    r
}

/// What the warehouse's stored credential tells against the configuration: Lakekeeper shows its
/// kind only, so a different kind (or none) is a warning; the same kind is said to be all it
/// can tell (the client ID and secret it holds are never shown).
fn credential_verdict(
    mut r: CheckResult,
    cfg: &VerifyConfig,
    wanted: &str,
    stored: Option<&str>,
) -> CheckResult {
    let configured = super::warehouse::configured_kind(cfg);
    r.details.push(format!(
        "warehouse `{wanted}`: {}",
        crate::strings::stored_credential(stored)
    ));
    if stored == Some(configured) {
        r.details.push(format!(
            "whether it is the configured client ID and secret cannot be read back; after a new secret, `lakekeeper-setup warehouse --update-credential` sends the configured {configured} credential"
        ));
        return r;
    }
    if r.status == Status::Ok {
        r.status = Status::Warning;
        r.summary = format!(
            "warehouse `{wanted}`'s storage credential is not the configured one ({}, the configuration says {configured})",
            stored.unwrap_or("none shown")
        );
        r.fix = Some(format!(
            "run `lakekeeper-setup warehouse`: it sends the configured {configured} credential"
        ));
    } else {
        r.details.push(format!(
            "its storage credential is not the configured {configured} one: `lakekeeper-setup warehouse` sends it"
        ));
    }
    r
}

/// A 401 from Lakekeeper: its body never says why, so the token-claims check is the diagnosis.
fn rejected(claims: Option<Status>, summary: &str) -> CheckResult {
    let r = CheckResult::new(CheckName::Lakekeeper, Status::Failed, summary)
        .with_detail("Lakekeeper's 401 never says why; the token-claims check repeats its rules");
    if claims == Some(Status::Ok) {
        r.with_detail(
            "the token passes signature, issuer and audience here: the reason is in Lakekeeper's log",
        )
        .with_fix("see the token-claims result, then `docker compose logs lakekeeper`")
    } else {
        r.with_fix("see the token-claims result")
    }
}

/// Adds the catalog-config call's verdict to the result so far (which found the warehouse).
fn catalog_result(
    mut r: CheckResult,
    wanted: &str,
    outcome: Result<ConfigOutcome, HttpError>,
    claims: Option<Status>,
    listed: bool,
) -> CheckResult {
    let call = format!("GET /catalog/v1/config?warehouse={wanted}");
    let fail = |mut r: CheckResult, status: Status, summary: String, fix: String| {
        // A failure here outranks a location warning; keep the warning's words as a detail.
        if r.status == Status::Warning {
            r.details.push(r.summary.clone());
        }
        r.status = status;
        r.summary = summary;
        r.fix = Some(fix);
        r
    };
    match outcome {
        Ok(ConfigOutcome::Ok { prefix: Some(p) }) => {
            if !listed {
                // The list failed, but the warehouse answers: what the backend needs works.
                r.details.push(r.summary.clone());
                r.status = Status::Ok;
                r.summary = format!("warehouse `{wanted}` answers the catalog API");
            }
            r.with_detail(format!(
                "{call} (PyIceberg's first call): catalog prefix `{p}`"
            ))
        }
        Ok(ConfigOutcome::Ok { prefix: None }) => fail(
            r,
            Status::Warning,
            format!("{call} answered without a catalog prefix"),
            format!("is {} a Lakekeeper (v0.13 or later)? PyIceberg needs the prefix for every table call", keys::BASE_URI),
        ),
        Ok(ConfigOutcome::NoSuchWarehouse) if listed => fail(
            r,
            Status::Failed,
            format!("{call}: Lakekeeper says warehouse `{wanted}` does not exist for the service account (NoSuchWarehouseException)"),
            "the warehouse is listed but hidden from this account: grant the service account access to it in Lakekeeper; if it was just deleted, run `lakekeeper-setup warehouse`".into(),
        ),
        Ok(ConfigOutcome::NoSuchWarehouse) => fail(
            r,
            Status::Failed,
            format!("{call}: warehouse `{wanted}` does not exist (NoSuchWarehouseException)"),
            format!("run `lakekeeper-setup warehouse` to create it (or set {} to an existing one)", keys::WAREHOUSE_NAME),
        ),
        Ok(ConfigOutcome::Unauthorized) => {
            let mut out = rejected(claims, &format!("{call}: Lakekeeper rejected the service-account token (401)"));
            out.details.splice(0..0, r.details);
            out
        }
        Ok(ConfigOutcome::Forbidden) => fail(
            r,
            Status::Failed,
            format!("{call}: the service account may not use warehouse `{wanted}` (403)"),
            "grant the service account access to the warehouse in Lakekeeper (e.g. the `select` or `modify` role on it)".into(),
        ),
        Ok(ConfigOutcome::Other(text)) => fail(
            r,
            Status::Failed,
            format!("{call}: {text}"),
            "see `docker compose logs lakekeeper`".into(),
        ),
        Err(e) => {
            let fix = e
                .fix()
                .unwrap_or_else(|| "see `docker compose logs lakekeeper`".into());
            let mut out = fail(r, Status::Failed, format!("{call} failed: {e}"), fix);
            out.trace.extend(e.trace().map(str::to_owned));
            out
        }
    }
}

/// A per-call deadline: now plus the configured timeout.
pub fn deadline(cfg: &VerifyConfig) -> Instant {
    Instant::now() + cfg.timeout.max(Duration::from_millis(1))
}
