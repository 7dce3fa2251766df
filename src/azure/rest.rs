//! What the three Azure clients share: an authenticated GET read in full, Azure's error body
//! (`{"error":{"code","message","innererror":{"code"}}}`), and paging through `nextLink` /
//! `@odata.nextLink`.
//!
//! A next link is followed verbatim (it carries its own api-version) but only to the origin
//! the first request went to: the bearer token must never travel to a host the endpoints did not
//! name. Requests go through `verify::http`, so TLS is always verified and plain http is allowed
//! only on loopback. Nothing here logs a header or a body.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::secret::Secret;
use crate::verify::http::{self, HttpError};

/// At most this many pages are followed (a loop in `nextLink` must not hang the picker).
pub const MAX_PAGES: usize = 200;

/// Azure's own error: the status and the codes to branch on (never the message's wording).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// `error.code` (`AuthorizationFailed`, `Forbidden`, `SecretNotFound`, …), or empty.
    pub code: String,
    /// `error.innererror.code` (`ForbiddenByRbac`, `AccessDenied`, …), if any.
    pub inner: Option<String>,
    /// `error.message`, first line.
    pub message: String,
    /// The base64 `claims` of a `WWW-Authenticate: … error="insufficient_claims"` header (ARM's
    /// answer to a write without MFA): `az login --claims-challenge <this>` fixes it.
    pub claims: Option<String>,
}

/// Why a call gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestError {
    /// No answer (timeout, refused, reset, TLS): the text names the URL.
    #[error("{0}")]
    Network(String),
    #[error("HTTP {} {}: {}", .0.status, .0.code, .0.message)]
    Api(ApiError),
    /// An answer we cannot read (not JSON, no `value`, a next link elsewhere).
    #[error("{0}")]
    Unexpected(String),
}

impl From<HttpError> for RestError {
    fn from(e: HttpError) -> Self {
        RestError::Network(e.to_string())
    }
}

/// Reads Azure's error body; a body in another shape keeps the status and an empty code.
pub fn api_error(status: u16, body: &str) -> ApiError {
    let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let e = &v["error"];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let inner = text(&e["innererror"]["code"]).or_else(|| text(&e["innerError"]["code"]));
    ApiError {
        status,
        code: text(&e["code"]).unwrap_or_default(),
        inner,
        message: text(&e["message"])
            .and_then(|m| m.lines().next().map(str::to_owned))
            .unwrap_or_default(),
        claims: None,
    }
}

/// The `claims="…"` parameter of a `WWW-Authenticate` header that asks for more claims
/// (`error="insufficient_claims"`), as sent (base64).
pub fn claims_challenge(www_authenticate: &str) -> Option<String> {
    if !www_authenticate.contains("insufficient_claims") {
        return None;
    }
    let start = www_authenticate.find("claims=\"")? + "claims=\"".len();
    let rest = &www_authenticate[start..];
    let value = &rest[..rest.find('"')?];
    (!value.is_empty()).then(|| value.to_owned())
}

/// A write's answer: its status, the kept headers (`Location`, `Azure-AsyncOperation`,
/// `Retry-After`) and the JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug, Clone)]
pub struct Written {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Written {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request with any method and an optional JSON body, with the bearer token, read in full
/// within `timeout`, whatever its status: callers that branch on a non-2xx answer's headers
/// (`Retry-After` on a busy server, a 202's polling URL) use this. The body is never logged.
pub async fn send_raw(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &Url,
    token: &Secret,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<http::Answer, RestError> {
    send_raw_with(client, method, url, token, body, &[], timeout).await
}

/// [`send_raw`] with extra request headers (Graph's `Prefer: create-if-missing`).
pub async fn send_raw_with(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &Url,
    token: &Secret,
    body: Option<&Value>,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<http::Answer, RestError> {
    http::ensure_allowed(url)?;
    let mut request = client
        .request(method, url.clone())
        .bearer_auth(token.expose())
        .header("accept", "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    Ok(http::send(request, url, Instant::now() + timeout).await?)
}

/// Azure's error for a non-2xx answer, with the claims challenge when its `WWW-Authenticate`
/// header carries one.
pub fn answer_error(answer: &http::Answer) -> ApiError {
    let mut e = api_error(answer.status, &answer.body);
    e.claims = answer.header("www-authenticate").and_then(claims_challenge);
    e
}

/// A request with any method and an optional JSON body, with the bearer token, read in full
/// within `timeout`. A 2xx answer is `Ok`; anything else is Azure's error, with the claims
/// challenge when the header carries one. The body is never logged.
pub async fn send_json(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &Url,
    token: &Secret,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<Written, RestError> {
    send_json_with(client, method, url, token, body, &[], timeout).await
}

/// [`send_json`] with extra request headers (Graph's `Prefer: create-if-missing`).
pub async fn send_json_with(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &Url,
    token: &Secret,
    body: Option<&Value>,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<Written, RestError> {
    let answer = send_raw_with(client, method, url, token, body, headers, timeout).await?;
    if !(200..300).contains(&answer.status) {
        return Err(RestError::Api(answer_error(&answer)));
    }
    Ok(Written {
        status: answer.status,
        body: answer.json().unwrap_or(Value::Null),
        headers: answer.headers,
    })
}

/// A GET with the bearer token, read in full within `timeout`; 2xx answers parsed as JSON.
pub async fn get_json(
    client: &reqwest::Client,
    url: &Url,
    token: &Secret,
    timeout: Duration,
) -> Result<Value, RestError> {
    let answer = send_raw(client, reqwest::Method::GET, url, token, None, timeout).await?;
    if !(200..300).contains(&answer.status) {
        return Err(RestError::Api(answer_error(&answer)));
    }
    answer
        .json()
        .ok_or_else(|| RestError::Unexpected(format!("{} did not answer with JSON", origin(url))))
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Every item of a paged collection: `value` of each page, following `next_key` until a page has
/// none.
pub async fn get_all(
    client: &reqwest::Client,
    first: Url,
    token: &Secret,
    timeout: Duration,
    next_key: &str,
) -> Result<Vec<Value>, RestError> {
    let home = first.origin();
    let mut url = first;
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = get_json(client, &url, token, timeout).await?;
        let Some(Value::Array(values)) = page.get("value") else {
            return Err(RestError::Unexpected(format!(
                "{} answered without a `value` list",
                origin(&url)
            )));
        };
        items.extend(values.iter().cloned());
        let next = match page.get(next_key) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Ok(items),
        };
        let parsed = Url::parse(&next).map_err(|_| {
            RestError::Unexpected(format!(
                "{} sent a next-page link that is not a URL",
                origin(&url)
            ))
        })?;
        if parsed.origin() != home {
            return Err(RestError::Unexpected(format!(
                "{} sent a next-page link to another host ({}); not following it with your token",
                origin(&url),
                origin(&parsed)
            )));
        }
        url = parsed;
    }
    Err(RestError::Unexpected(format!(
        "{} kept sending next-page links ({MAX_PAGES} pages); stopped",
        origin(&url)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_yield_their_codes() {
        let kv = r#"{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.\r\nIf role assignments...","innererror":{"code":"ForbiddenByRbac"}}}"#;
        let e = api_error(403, kv);
        assert_eq!(
            (e.code.as_str(), e.inner.as_deref()),
            ("Forbidden", Some("ForbiddenByRbac"))
        );
        assert_eq!(
            e.message,
            "Caller is not authorized to perform action on resource."
        );
        let graph = r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2024-01-01T00:00:00","request-id":"x"}}}"#;
        let e = api_error(403, graph);
        assert_eq!(e.code, "Authorization_RequestDenied");
        assert_eq!(e.inner, None);
        assert_eq!(api_error(502, "<html>").code, "");
    }

    #[test]
    fn the_claims_challenge_is_read_from_the_header() {
        let h = r#"Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnt9fQ==""#;
        assert_eq!(
            claims_challenge(h).as_deref(),
            Some("eyJhY2Nlc3NfdG9rZW4iOnt9fQ==")
        );
        assert_eq!(
            claims_challenge(r#"Bearer error="invalid_token", claims="x""#),
            None
        );
        assert_eq!(
            claims_challenge(r#"Bearer error="insufficient_claims""#),
            None
        );
    }
}
