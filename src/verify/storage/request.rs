//! Sending one Azure Storage request (Blob or Data Lake API), authorized with Shared Key or a
//! bearer token, and reading the answer with Azure's error code.
//!
//! Requests go only to the configured endpoints, over https (http only on loopback, per
//! `verify::http`), never following redirects. Neither the key, the signature nor the token
//! appears in an error: errors carry the URL (which holds no secret) and the cause.

use std::collections::BTreeMap;
use std::time::SystemTime;

use reqwest::Method;
use tokio::time::Instant;
use url::Url;

use super::sharedkey::SharedKey;
use crate::secret::Secret;
use crate::verify::http;
use crate::verify::net::{self, NetFailure};

/// A service version that supports bearer tokens, user-delegation keys and
/// `x-ms-namespace-enabled` on the Data Lake API.
pub const VERSION: &str = "2021-08-06";

/// How requests are authorized.
#[derive(Debug, Clone)]
pub enum Auth {
    SharedKey(SharedKey),
    Bearer(Secret),
}

/// An answer: status, Azure's error code (header `x-ms-error-code`, else the body's), the
/// headers and the body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub code: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `<Message>` of an XML error body, when there is one.
    pub fn message(&self) -> Option<String> {
        let body = String::from_utf8_lossy(&self.body);
        let start = body.find("<Message>")? + "<Message>".len();
        let end = body[start..].find("</Message>")? + start;
        Some(body[start..end].trim().to_owned())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    NotAllowed(String),
    #[error("host {host} does not resolve")]
    Dns { host: String },
    #[error("could not connect to {url}: {reason}")]
    Connect {
        url: String,
        reason: String,
        /// What to change, from [`crate::verify::net`].
        fix: String,
    },
    #[error("no answer from {url} within the timeout")]
    Timeout { url: String },
    #[error("request to {url} failed: {reason}")]
    Other {
        url: String,
        reason: String,
        fix: String,
    },
}

/// Sends `method url` with `extra` headers (lower-case names) and `body`, giving up at
/// `deadline`.
pub async fn send(
    client: &reqwest::Client,
    auth: &Auth,
    method: Method,
    url: &Url,
    extra: &[(&str, &str)],
    body: Vec<u8>,
    deadline: Instant,
) -> Result<Reply, SendError> {
    http::ensure_allowed(url).map_err(|e| SendError::NotAllowed(e.to_string()))?;
    let mut headers: BTreeMap<String, String> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    headers.insert(
        "x-ms-date".into(),
        httpdate::fmt_http_date(SystemTime::now()),
    );
    headers.insert("x-ms-version".into(), VERSION.into());
    let authorization = match auth {
        Auth::SharedKey(key) => key.authorization(method.as_str(), url, &headers, body.len()),
        Auth::Bearer(token) => format!("Bearer {}", token.expose()),
    };
    let mut request = client.request(method, url.clone());
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    request = request
        .header("authorization", authorization)
        .timeout(remaining);
    if !body.is_empty() {
        request = request.body(body);
    }
    let work = async {
        let response = request.send().await.map_err(|e| classify(url, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| classify(url, &e))?
            .to_vec();
        Ok::<_, SendError>((status, headers, body))
    };
    let (status, headers, body) =
        tokio::time::timeout_at(deadline, work)
            .await
            .map_err(|_| SendError::Timeout {
                url: url.to_string(),
            })??;
    let code = headers
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| code_in_body(&String::from_utf8_lossy(&body)));
    Ok(Reply {
        status,
        code,
        headers,
        body,
    })
}

/// The error code in an XML (`<Code>…</Code>`, Blob API) or JSON (`{"error":{"code"}}`, Data
/// Lake API) error body.
fn code_in_body(body: &str) -> Option<String> {
    if let Some(start) = body.find("<Code>") {
        let rest = &body[start + 6..];
        return rest
            .find("</Code>")
            .map(|end| rest[..end].trim().to_owned());
    }
    serde_json::from_str::<serde_json::Value>(body)
        .ok()?
        .pointer("/error/code")?
        .as_str()
        .map(str::to_owned)
}

fn classify(url: &Url, e: &reqwest::Error) -> SendError {
    if e.is_timeout() {
        return SendError::Timeout {
            url: url.to_string(),
        };
    }
    let proxy = net::proxy_for(url);
    let failure = net::classify(url, e, proxy.as_deref(), 0);
    let (reason, fix) = (failure.to_string(), failure.fix());
    match failure {
        NetFailure::DoesNotResolve { host } => SendError::Dns { host },
        _ if e.is_connect() => SendError::Connect {
            url: url.to_string(),
            reason,
            fix,
        },
        _ => SendError::Other {
            url: url.to_string(),
            reason,
            fix,
        },
    }
}

/// `YYYY-MM-DDThh:mm:ssZ` (UTC), as the user-delegation key request wants.
pub fn iso8601(t: SystemTime) -> String {
    crate::clock::iso8601(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn iso8601_formats_utc() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            iso8601(UNIX_EPOCH + std::time::Duration::from_secs(1_795_763_045)),
            "2026-11-27T07:04:05Z"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + std::time::Duration::from_hours(264_384)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn error_codes_come_from_xml_or_json_bodies() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>ContainerNotFound</Code><Message>x</Message></Error>";
        assert_eq!(code_in_body(xml).as_deref(), Some("ContainerNotFound"));
        let json = r#"{"error":{"code":"FilesystemNotFound","message":"x"}}"#;
        assert_eq!(code_in_body(json).as_deref(), Some("FilesystemNotFound"));
        assert_eq!(code_in_body(""), None);
    }
}
