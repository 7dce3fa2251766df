//! Entra ID client-credentials tokens (check 2) and the translation of Entra's AADSTS errors
//! into the `.env` field to fix.
//!
//! The client secret is sent only in the form body of a POST to
//! `<authority>/<tenant>/oauth2/v2.0/token` (https, or http on loopback; redirects are never
//! followed). Neither the secret nor the token is ever put in a message: `Token` has a
//! redacted `Debug`, and Entra's error text is scrubbed of the secret before it is kept.

use std::fmt;

use serde::Deserialize;
use tokio::time::Instant;

use super::http::{self, HttpError};
use super::{CheckName, CheckResult, Status, VerifyConfig};
use crate::keys;
use crate::secret::Secret;

/// An access token. `Debug` never shows it.
#[derive(Clone)]
pub struct Token {
    pub access_token: Secret,
    pub expires_in: Option<u64>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Why no token was issued. Messages never contain the secret or a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "tenant `{0}` cannot issue client-credentials tokens; use the tenant GUID or its domain (e.g. contoso.onmicrosoft.com)"
    )]
    BadTenant(String),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("Entra answered {status}: {description}")]
    Entra {
        status: u16,
        /// The first AADSTS code (`7000215`), when Entra sent one.
        code: Option<u32>,
        /// First line of `error_description`, scrubbed of the secret.
        description: String,
        /// The configured secret is GUID-shaped: almost always the Secret ID.
        secret_looks_like_guid: bool,
    },
    #[error("unexpected answer from {url} ({status}): {reason}")]
    BadResponse {
        url: String,
        status: u16,
        reason: String,
    },
}

/// Whether `s` is a GUID in its usual 8-4-4-4-12 hex form.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: Option<String>,
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<u32>,
}

/// Client-credentials grant at `<authority_host>/<tenant>/oauth2/v2.0/token`.
pub async fn client_credentials_token(
    http: &reqwest::Client,
    authority_host: &str,
    tenant: &str,
    client_id: &str,
    secret: &Secret,
    scope: &str,
) -> Result<Token, TokenError> {
    // reqwest's client carries the per-request timeout; this deadline only bounds the body read.
    let deadline = Instant::now() + std::time::Duration::from_hours(1);
    token_before(
        http,
        authority_host,
        tenant,
        client_id,
        secret,
        scope,
        deadline,
    )
    .await
}

/// Same as [`client_credentials_token`], giving up at `deadline` with a message naming the URL.
pub async fn token_before(
    http: &reqwest::Client,
    authority_host: &str,
    tenant: &str,
    client_id: &str,
    secret: &Secret,
    scope: &str,
    deadline: Instant,
) -> Result<Token, TokenError> {
    if tenant.is_empty()
        || ["common", "organizations", "consumers"].contains(&tenant.to_ascii_lowercase().as_str())
    {
        return Err(TokenError::BadTenant(tenant.to_owned()));
    }
    let url = http::parse_allowed(&format!(
        "{}/{tenant}/oauth2/v2.0/token",
        authority_host.trim_end_matches('/')
    ))?;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret.expose()),
        ("scope", scope),
    ];
    let answer = http::send(http.post(url.clone()).form(&form), &url, deadline).await?;
    if answer.status == 200 {
        let parsed: TokenAnswer =
            serde_json::from_str(&answer.body).map_err(|e| TokenError::BadResponse {
                url: url.to_string(),
                status: 200,
                reason: format!("not a token response: {e}"),
            })?;
        return match parsed.access_token {
            Some(t) if !t.is_empty() => Ok(Token {
                access_token: Secret::new(t),
                expires_in: parsed.expires_in,
            }),
            _ => Err(TokenError::BadResponse {
                url: url.to_string(),
                status: 200,
                reason: "no access_token".into(),
            }),
        };
    }
    let Ok(err) = serde_json::from_str::<ErrorAnswer>(&answer.body) else {
        return Err(TokenError::BadResponse {
            url: url.to_string(),
            status: answer.status,
            reason: "not JSON: is the authority host right?".into(),
        });
    };
    let raw = err.error_description.or(err.error).unwrap_or_default();
    let first_line = raw.lines().next().unwrap_or_default();
    let description = scrub(first_line, secret);
    let code = err
        .error_codes
        .first()
        .copied()
        .or_else(|| aadsts_code(&description));
    Err(TokenError::Entra {
        status: answer.status,
        code,
        description,
        secret_looks_like_guid: is_guid(secret.expose()),
    })
}

/// Replaces any occurrence of the secret (Entra never echoes it, but a proxy might).
fn scrub(text: &str, secret: &Secret) -> String {
    if secret.expose().len() >= 4 {
        text.replace(secret.expose(), "<redacted>")
    } else {
        text.to_owned()
    }
}

fn aadsts_code(description: &str) -> Option<u32> {
    let rest = description.split("AADSTS").nth(1)?;
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

/// The `.env` names behind one credential, so a fix can name the field to change.
#[derive(Debug, Clone, Copy)]
pub struct CredentialFields {
    pub client_id: &'static str,
    pub secret: &'static str,
    pub tenant: &'static str,
    /// `None` when the scope is not a `.env` value (the storage scope).
    pub scope: Option<&'static str>,
}

pub const SERVICE_ACCOUNT_FIELDS: CredentialFields = CredentialFields {
    client_id: keys::OAUTH2_CLIENT_ID,
    secret: keys::OAUTH2_CLIENT_SECRET,
    tenant: keys::OAUTH2_TENANT_ID,
    scope: Some(keys::OAUTH2_SCOPE),
};

pub const STORAGE_FIELDS: CredentialFields = CredentialFields {
    client_id: keys::STORAGE_CLIENT_ID,
    secret: keys::STORAGE_CLIENT_SECRET,
    tenant: keys::OAUTH2_TENANT_ID,
    scope: None,
};

/// A token failure told for people: what happened, and the change to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub summary: String,
    pub fix: Option<String>,
}

/// Translates a token failure into the field to fix (reference §3's AADSTS list).
pub fn explain(err: &TokenError, f: &CredentialFields) -> Explanation {
    let scope = f.scope.unwrap_or("the storage scope");
    let (summary, fix) = match err {
        TokenError::Entra {
            code: Some(code),
            description,
            secret_looks_like_guid,
            ..
        } => {
            let summary = format!("Entra refused the token (AADSTS{code}): {description}");
            let fix = match code {
                7_000_215 if *secret_looks_like_guid => format!(
                    "{} holds the secret's ID (a GUID), not its value: in App registrations → Certificates & secrets, copy the Value column (shown only when the secret is created; make a new one if it is hidden)",
                    f.secret
                ),
                7_000_215 => format!(
                    "{} is not a valid secret for {}: copy the secret's Value (not the Secret ID) from App registrations → Certificates & secrets, or create a new secret",
                    f.secret, f.client_id
                ),
                7_000_222 => format!(
                    "the secret in {} has expired: create a new client secret and put its Value in {}",
                    f.secret, f.secret
                ),
                700_016 | 700_011 => format!(
                    "{} is not an app registration in the tenant {}: check both (the Application (client) ID and the Directory (tenant) ID on the app's Overview page)",
                    f.client_id, f.tenant
                ),
                90_002 => format!(
                    "tenant in {} was not found in this cloud: check the tenant ID, and the cloud / authority host",
                    f.tenant
                ),
                90_038 => format!(
                    "tenant in {} belongs to another national cloud: choose that cloud's authority host",
                    f.tenant
                ),
                9_001_023 => format!(
                    "{} must be the tenant GUID or domain, not common/organizations/consumers",
                    f.tenant
                ),
                70_011 => format!(
                    "{scope} must be `<App ID URI>/.default`, e.g. api://<api-client-id>/.default"
                ),
                500_011 => format!(
                    "the API app named in {scope} is not in this tenant, or its App ID URI differs: set {scope} to `<the API app's Application ID URI>/.default`"
                ),
                _ => return Explanation { summary, fix: None },
            };
            (summary, Some(fix))
        }
        TokenError::Entra { description, .. } => {
            (format!("Entra refused the token: {description}"), None)
        }
        TokenError::BadTenant(_) => (
            err.to_string(),
            Some(format!("set {} to the tenant GUID or its domain", f.tenant)),
        ),
        TokenError::Http(HttpError::Insecure { .. }) => (
            err.to_string(),
            Some("use an https authority host (plain http is allowed only on loopback)".into()),
        ),
        TokenError::Http(e) => (err.to_string(), e.fix()),
        TokenError::BadResponse { .. } => (err.to_string(), None),
    };
    Explanation { summary, fix }
}

/// Check 2: the backend's service account gets a token for `LAKEKEEPER__OAUTH2__SCOPE`.
pub async fn check_token(
    cfg: &VerifyConfig,
    http: &reqwest::Client,
    deadline: Instant,
) -> (CheckResult, Option<Token>) {
    match &cfg.token_source {
        super::TokenSource::Given { token, from } => {
            let r = CheckResult::new(CheckName::Token, Status::Ok, from.clone());
            return (r, Some(token.clone()));
        }
        super::TokenSource::Refused { why, fix } => {
            let r = CheckResult::new(CheckName::Token, Status::Failed, why.clone()).with_fix(fix);
            return (r, None);
        }
        super::TokenSource::ServiceAccount => {}
    }
    let f = &SERVICE_ACCOUNT_FIELDS;
    let get = |k: &str| cfg.env.get(k).map(String::as_str).unwrap_or_default();
    let missing: Vec<&str> = [f.client_id, f.secret, f.tenant, keys::OAUTH2_SCOPE]
        .into_iter()
        .filter(|k| get(k).is_empty())
        .collect();
    if !missing.is_empty() {
        let result = CheckResult::new(
            CheckName::Token,
            Status::Failed,
            format!("missing in backend/.env: {}", missing.join(", ")),
        )
        .with_fix(format!("set {}", missing.join(", ")));
        return (result, None);
    }
    let secret = Secret::new(get(f.secret));
    let scope = get(keys::OAUTH2_SCOPE);
    match token_before(
        http,
        &cfg.authority_host,
        get(f.tenant),
        get(f.client_id),
        &secret,
        scope,
        deadline,
    )
    .await
    {
        Ok(token) => {
            let mut r = CheckResult::new(
                CheckName::Token,
                Status::Ok,
                format!(
                    "service account {} got a token for {scope}",
                    get(f.client_id)
                ),
            );
            if let Some(s) = token.expires_in {
                r = r.with_detail(format!("expires in {s} s"));
            }
            (r, Some(token))
        }
        Err(e) => {
            let ex = explain(&e, f);
            let mut r = CheckResult::new(CheckName::Token, Status::Failed, ex.summary);
            r.fix = ex.fix;
            if let TokenError::Http(h) = &e {
                r = r.with_http_error(h);
            }
            (r, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_shape() {
        assert!(is_guid("0b5c9a3e-1d2f-4a6b-8c7d-9e0f1a2b3c4d"));
        assert!(!is_guid("fake-secret-abc"));
        assert!(!is_guid("0b5c9a3e1d2f4a6b8c7d9e0f1a2b3c4d"));
    }

    #[test]
    fn aadsts_code_is_read_from_the_description() {
        assert_eq!(
            aadsts_code("AADSTS7000215: Invalid client secret provided."),
            Some(7_000_215)
        );
        assert_eq!(aadsts_code("no code"), None);
    }

    #[test]
    fn token_debug_is_redacted() {
        let t = Token {
            access_token: Secret::new("fake-token-value"),
            expires_in: Some(1),
        };
        assert!(!format!("{t:?}").contains("fake-token-value"));
    }

    #[test]
    fn explain_names_the_storage_fields() {
        let e = TokenError::Entra {
            status: 401,
            code: Some(7_000_222),
            description: "AADSTS7000222: expired".into(),
            secret_looks_like_guid: false,
        };
        let ex = explain(&e, &STORAGE_FIELDS);
        assert_eq!(
            ex.fix.as_deref(),
            Some(
                "the secret in AZURE_STORAGE_CLIENT_SECRET has expired: create a new client secret and put its Value in AZURE_STORAGE_CLIENT_SECRET"
            )
        );
    }
}
