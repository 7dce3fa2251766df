//! The one HTTP client every live check uses, and the rules for where a request may go.
//!
//! TLS certificate verification is always on (rustls with the ring provider and the platform
//! verifier); plain `http` is refused unless the host is loopback, so tests can point every
//! check at local servers without opening a way to send a secret in clear text. Redirects are
//! never followed: a client secret must reach the token endpoint it belongs to and no other.
//! This module never logs a request body or header. Proxies come from the environment
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`): reqwest reads them for every client
//! it builds (its default "system proxy"), and [`net`] words a failure of the proxy as such.

use std::time::Duration;

use tokio::time::Instant;
use url::{Host, Url};

use super::net::{self, NetFailure};

/// Why a request could not be made or answered.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("`{url}` is not a valid URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error(
        "`{url}` uses plain http on a non-loopback host; use https (http is allowed only for 127.0.0.1/localhost)"
    )]
    Insecure { url: String },
    #[error("`{url}` uses scheme `{scheme}`; only https (or http on loopback) is allowed")]
    Scheme { url: String, scheme: String },
    #[error("no answer from {url} within {secs} s (timed out)")]
    Timeout { url: String, secs: u64 },
    /// No HTTP answer: `failure` says why in words, `chain` is every library error (shown
    /// only with `--verbose`).
    #[error("could not reach {url}: {failure}")]
    Unreachable {
        url: String,
        failure: NetFailure,
        chain: String,
    },
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
}

impl HttpError {
    /// The change most likely to help, for a request that got no answer.
    pub fn fix(&self) -> Option<String> {
        match self {
            HttpError::Unreachable { failure, .. } => Some(failure.fix()),
            HttpError::Timeout { url, secs } => Some(
                NetFailure::TimedOut {
                    target: url.clone(),
                    secs: *secs,
                }
                .fix(),
            ),
            _ => None,
        }
    }

    /// The libraries' whole error chain, for `--verbose`.
    pub fn trace(&self) -> Option<&str> {
        match self {
            HttpError::Unreachable { chain, .. } => Some(chain),
            _ => None,
        }
    }
}

/// Builds the shared client. Installs the ring crypto provider once (a second install by
/// another caller is fine: whichever is installed is ring, the only provider compiled in).
pub fn client(timeout: Duration) -> Result<reqwest::Client, HttpError> {
    // Err means a provider is already installed; that is the state we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .build()
        .map_err(|e| HttpError::Client(e.to_string()))
}

/// Whether `host` is loopback: 127.0.0.0/8, ::1 or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Refuses plain http unless the host is loopback, and any scheme but http(s).
pub fn ensure_allowed(url: &Url) -> Result<(), HttpError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(HttpError::Insecure {
            url: url.to_string(),
        }),
        other => Err(HttpError::Scheme {
            url: url.to_string(),
            scheme: other.to_owned(),
        }),
    }
}

/// Parses and checks a URL in one step.
pub fn parse_allowed(url: &str) -> Result<Url, HttpError> {
    let parsed = Url::parse(url).map_err(|e| HttpError::BadUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    ensure_allowed(&parsed)?;
    Ok(parsed)
}

/// A response read in full: status, the few headers callers branch on, and body text.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// Only [`KEPT_HEADERS`], names in lower case.
    pub headers: Vec<(String, String)>,
}

/// The response headers kept in an [`Answer`]: where to poll a long-running Azure operation,
/// how long to wait, and the claims challenge ARM sends when a write needs MFA.
pub const KEPT_HEADERS: [&str; 4] = [
    "location",
    "azure-asyncoperation",
    "retry-after",
    "www-authenticate",
];

impl Answer {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The value of a kept header (`name` in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` (already aimed at `url`) and reads the whole body, giving up at
/// `deadline` with a message naming the URL. The URL is named for people, so it must not
/// carry a secret (none of ours do: secrets travel in bodies and headers).
pub async fn send(
    request: reqwest::RequestBuilder,
    url: &Url,
    deadline: Instant,
) -> Result<Answer, HttpError> {
    let secs = deadline
        .saturating_duration_since(Instant::now())
        .as_secs()
        .max(1);
    let timeout = || HttpError::Timeout {
        url: url.to_string(),
        secs,
    };
    let work = async {
        let response = request.send().await.map_err(|e| classify(url, &e, secs))?;
        let status = response.status().as_u16();
        let headers = KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let value = response.headers().get(*name)?.to_str().ok()?;
                Some(((*name).to_owned(), value.to_owned()))
            })
            .collect();
        let body = response.text().await.map_err(|e| classify(url, &e, secs))?;
        Ok(Answer {
            status,
            body,
            headers,
        })
    };
    tokio::time::timeout_at(deadline, work)
        .await
        .map_err(|_| timeout())?
}

fn classify(url: &Url, e: &reqwest::Error, secs: u64) -> HttpError {
    if e.is_timeout() {
        return HttpError::Timeout {
            url: url.to_string(),
            secs,
        };
    }
    // reqwest's own text is only "error sending request for url (…)"; the words come from the
    // typed errors below it, the whole chain is kept for --verbose.
    let proxy = net::proxy_for(url);
    HttpError::Unreachable {
        url: url.to_string(),
        failure: net::classify(url, e, proxy.as_deref(), secs),
        chain: net::chain(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_allowed_only_on_loopback() {
        for ok in [
            "https://login.microsoftonline.com/x",
            "http://127.0.0.1:8080/",
            "http://[::1]:1/",
            "http://localhost:8181",
        ] {
            assert!(parse_allowed(ok).is_ok(), "{ok}");
        }
        assert!(matches!(
            parse_allowed("http://login.microsoftonline.com/x"),
            Err(HttpError::Insecure { .. })
        ));
        assert!(matches!(
            parse_allowed("http://10.0.0.1/"),
            Err(HttpError::Insecure { .. })
        ));
        assert!(matches!(
            parse_allowed("ftp://127.0.0.1/"),
            Err(HttpError::Scheme { .. })
        ));
        assert!(matches!(
            parse_allowed("not a url"),
            Err(HttpError::BadUrl { .. })
        ));
    }
}
