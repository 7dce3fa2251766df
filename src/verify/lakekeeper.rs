//! Check 6: a running Lakekeeper at `LAKEKEEPER__BASE_URI`: health, the management API with
//! the service-account token, bootstrap state and the configured warehouse. Also the small
//! management-API client that `warehouse` shares.
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
            Some(Warehouse {
                name: w.get("name")?.as_str()?.to_owned(),
                location: w.get("storage-profile").and_then(location_of),
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
        return CheckResult::new(
            name,
            Status::Warning,
            "healthy; management API not checked: no service-account token",
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
        Err(HttpError::Unreachable { reason, .. }) => {
            return Err(Box::new(
                CheckResult::new(
                    name,
                    Status::Skipped,
                    format!("Lakekeeper is not reachable at {base} (not started yet?)"),
                )
                .with_detail(reason),
            ));
        }
        Err(e) => return fail(Status::Failed, e.to_string()),
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
        Err(e) => return CheckResult::new(name, Status::Failed, format!("healthy, but {e}")),
    };
    match answer.status {
        200 => {}
        401 => {
            let r = CheckResult::new(
                name,
                Status::Failed,
                "Lakekeeper rejected the service-account token (401)",
            )
            .with_detail(
                "Lakekeeper's 401 never says why; the token-claims check repeats its rules",
            );
            return if claims == Some(Status::Ok) {
                r.with_detail("the token passes signature, issuer and audience here: the reason is in Lakekeeper's log")
                    .with_fix("see the token-claims result, then `docker compose logs lakekeeper`")
            } else {
                r.with_fix("see the token-claims result")
            };
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
            r.status = Status::Warning;
            r.summary = format!("healthy and bootstrapped; {e}");
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
            }
        },
    }
    r
}

/// A per-call deadline: now plus the configured timeout.
pub fn deadline(cfg: &VerifyConfig) -> Instant {
    Instant::now() + cfg.timeout.max(Duration::from_millis(1))
}
