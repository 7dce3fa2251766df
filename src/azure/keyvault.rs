//! Key Vault's data plane: one secret's current value
//! (`GET {vault}/secrets/{name}?api-version=7.5`, token resource `https://vault.azure.net` or
//! the cloud's own), and a new version of one (`PUT`, [`set_secret`]).
//!
//! A vault URL and a secret name are typed ([`VaultUrl`], [`SecretName`]) before any request,
//! and every failure becomes a [`KvError`] that names the vault, the secret and the fix — the
//! role for an RBAC vault, the access policy for a policy vault, the name for a missing secret,
//! the network for a firewall — branching on Azure's error codes, never on its wording.

use url::Url;

use super::az::AzError;
use super::rest::{self, ApiError, RestError};
use super::{CallError, Session};
use crate::secret::Secret;
use crate::verify::http;

const API_VERSION: &str = "7.5";

/// Key Vault DNS suffixes of the public, US Government and China clouds.
pub const SUFFIXES: [&str; 3] = [
    ".vault.azure.net",
    ".vault.usgovcloudapi.net",
    ".vault.azure.cn",
];

/// A vault's URL: `https://<name>.vault.azure.net` (or another cloud's suffix). On loopback
/// (tests' stand-in) `http://127.0.0.1:<port>/<name>` is accepted, the path naming the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultUrl {
    base: String,
    name: String,
}

impl VaultUrl {
    /// Checks the form; the error says what is wrong and what a vault URL looks like.
    pub fn parse(text: &str) -> Result<VaultUrl, String> {
        let example =
            "https://<vault name>.vault.azure.net (the vault's \"Vault URI\" on its Overview page)";
        let text = text.trim();
        let url = Url::parse(text).map_err(|_| format!("`{text}` is not a URL; use {example}"))?;
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(format!(
                "`{text}` must be just the vault's address; use {example}"
            ));
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if http::is_loopback(&url) {
            http::ensure_allowed(&url).map_err(|e| e.to_string())?;
            let path = url.path().trim_matches('/');
            let name = if path.is_empty() {
                format!("{host}:{}", url.port_or_known_default().unwrap_or(0))
            } else {
                path.to_owned()
            };
            if !path.is_empty() && !valid_vault_name(path) {
                return Err(format!(
                    "`{path}` is not a vault name (3–24 letters, digits and single hyphens)"
                ));
            }
            return Ok(VaultUrl {
                base: url.as_str().trim_end_matches('/').to_owned(),
                name,
            });
        }
        if url.scheme() != "https" {
            return Err(format!("`{text}` must use https; use {example}"));
        }
        if url.port().is_some() || !url.path().trim_matches('/').is_empty() {
            return Err(format!("`{text}` must have no port or path; use {example}"));
        }
        let Some(name) = SUFFIXES.iter().find_map(|s| host.strip_suffix(s)) else {
            return Err(format!(
                "`{text}` is not a Key Vault address (the host must end in {}); use {example}",
                SUFFIXES.join(", ")
            ));
        };
        if !valid_vault_name(name) {
            return Err(format!(
                "`{name}` is not a vault name (3–24 letters, digits and single hyphens, starting with a letter)"
            ));
        }
        Ok(VaultUrl {
            base: format!("https://{host}"),
            name: name.to_owned(),
        })
    }

    /// The vault's name (`team-dev-kv`), for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }
}

fn valid_vault_name(n: &str) -> bool {
    (3..=24).contains(&n.len())
        && n.starts_with(|c: char| c.is_ascii_alphabetic())
        && n.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !n.contains("--")
        && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A secret's name in the vault: 1–127 letters, digits and hyphens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretName(String);

impl SecretName {
    pub fn parse(text: &str) -> Result<SecretName, String> {
        let t = text.trim();
        if (1..=127).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            Ok(SecretName(t.to_owned()))
        } else {
            Err("a Key Vault secret name is 1–127 letters, digits and hyphens (the profile holds the secret's name, never its value)".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a secret could not be read. Each message names the vault, the secret and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error(
        "Key Vault {vault}: cannot read `{secret}`: {who} needs the role Key Vault Secrets User on {vault} (the vault uses Azure RBAC); ask its owner: az role assignment create --role \"Key Vault Secrets User\" --assignee {who} --scope <the vault's resource ID>"
    )]
    Rbac {
        vault: String,
        secret: String,
        who: String,
    },
    #[error(
        "Key Vault {vault}: cannot read `{secret}`: the vault's access policy does not give you `get` on secrets; ask its owner: az keyvault set-policy --name {vault} --upn {who} --secret-permissions get list"
    )]
    AccessPolicy {
        vault: String,
        secret: String,
        who: String,
    },
    #[error(
        "Key Vault {vault}: cannot read `{secret}`: the vault's firewall does not let your network in; connect to the VPN or ask its owner to allow your IP address (az keyvault network-rule add --name {vault} --ip-address <your IP>)"
    )]
    Firewall { vault: String, secret: String },
    #[error(
        "Key Vault {vault} has no secret named `{secret}`; check the name under [secrets] in lakekeeper-setup.toml (list them: az keyvault secret list --vault-name {vault} --query \"[].name\")"
    )]
    NotFound { vault: String, secret: String },
    #[error("Key Vault {vault}: cannot read `{secret}`: {detail}")]
    Other {
        vault: String,
        secret: String,
        detail: String,
    },
    #[error("Key Vault {vault}: cannot read `{secret}`: {source}")]
    Az {
        vault: String,
        secret: String,
        source: AzError,
    },
}

impl KvError {
    pub fn from_call(vault: &VaultUrl, secret: &SecretName, who: &str, e: CallError) -> KvError {
        let (vault, secret) = (vault.name().to_owned(), secret.as_str().to_owned());
        let who = if who.is_empty() {
            "<your sign-in name>".to_owned()
        } else {
            who.to_owned()
        };
        match e {
            CallError::Az(source) => KvError::Az {
                vault,
                secret,
                source,
            },
            CallError::Rest(RestError::Api(a)) => classify(&a, vault, secret, who),
            CallError::Rest(RestError::Network(n)) => KvError::Other {
                vault,
                secret,
                detail: format!("{n}; check your network (VPN) and the vault's address"),
            },
            CallError::Rest(RestError::Unexpected(u)) => KvError::Other {
                vault,
                secret,
                detail: u,
            },
        }
    }
}

fn classify(a: &ApiError, vault: String, secret: String, who: String) -> KvError {
    let inner = a.inner.as_deref().unwrap_or_default();
    match (a.status, a.code.as_str(), inner) {
        (403, _, "ForbiddenByRbac") => KvError::Rbac { vault, secret, who },
        (403, _, "AccessDenied") => KvError::AccessPolicy { vault, secret, who },
        (403, _, "ForbiddenByFirewall") | (403, "ForbiddenByFirewall", _) => KvError::Firewall { vault, secret },
        // Older answers carry the firewall only in the message.
        (403, _, _) if a.message.contains("Client address is not authorized") => {
            KvError::Firewall { vault, secret }
        }
        (404, "SecretNotFound", _) => KvError::NotFound { vault, secret },
        (401, _, _) => KvError::Other {
            vault,
            secret,
            detail: "the vault did not accept your sign-in (is it in another tenant?); run `az login --tenant <the vault's tenant>`".into(),
        },
        (status, code, _) => KvError::Other {
            vault,
            secret,
            detail: format!("HTTP {status} {code}: {}", a.message),
        },
    }
}

/// The current value of `name` in `vault`.
pub async fn get_secret(
    session: &Session,
    vault: &VaultUrl,
    name: &SecretName,
) -> Result<Secret, KvError> {
    let fail = |e: CallError| KvError::from_call(vault, name, &session.account.user, e);
    let token = session
        .token(&session.endpoints.keyvault_resource)
        .await
        .map_err(fail)?;
    let url = http::parse_allowed(&format!(
        "{}/secrets/{}?api-version={API_VERSION}",
        vault.as_str(),
        name.as_str()
    ))
    .map_err(|e| fail(CallError::Rest(e.into())))?;
    let v = rest::get_json(session.http(), &url, &token, session.timeout())
        .await
        .map_err(|e| fail(e.into()))?;
    match v.get("value").and_then(|x| x.as_str()) {
        Some(s) => Ok(Secret::new(s)),
        None => Err(fail(CallError::Rest(RestError::Unexpected(
            "the vault answered without a `value`".into(),
        )))),
    }
}

/// The URL and body that store `value` as the new version of `name` (for the plan and
/// `--dry-run`, where [`super::change::masked`] hides the value).
pub fn set_secret_request(
    vault: &VaultUrl,
    name: &SecretName,
    value: &Secret,
) -> Result<(url::Url, serde_json::Value), RestError> {
    let url = http::parse_allowed(&set_secret_url(vault, name))?;
    Ok((url, set_secret_body(value.expose())))
}

/// `{vault}/secrets/{name}?api-version=…`, the URL a secret is set at.
pub fn set_secret_url(vault: &VaultUrl, name: &SecretName) -> String {
    format!(
        "{}/secrets/{}?api-version={API_VERSION}",
        vault.as_str(),
        name.as_str()
    )
}

/// The body of a set-secret request, tagged as written by this tool.
pub fn set_secret_body(value: &str) -> serde_json::Value {
    serde_json::json!({
        "value": value,
        "contentType": "text/plain",
        "tags": {"managed-by": "lakekeeper-setup"},
    })
}

/// Stores `value` as the new version of `name` in `vault`. The answer (which echoes the value)
/// is dropped unread.
pub async fn set_secret(
    session: &Session,
    vault: &VaultUrl,
    name: &SecretName,
    value: &Secret,
) -> Result<(), CallError> {
    let token = session.token(&session.endpoints.keyvault_resource).await?;
    let (url, body) = set_secret_request(vault, name, value)?;
    rest::send_json(
        session.http(),
        reqwest::Method::PUT,
        &url,
        &token,
        Some(&body),
        session.timeout(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_urls_are_checked_for_form() {
        let v = VaultUrl::parse("https://team-dev-kv.vault.azure.net/").expect("valid");
        assert_eq!(
            (v.name(), v.as_str()),
            ("team-dev-kv", "https://team-dev-kv.vault.azure.net")
        );
        assert_eq!(
            VaultUrl::parse("https://kv-gov1.vault.usgovcloudapi.net")
                .expect("gov")
                .name(),
            "kv-gov1"
        );
        let s = VaultUrl::parse("http://127.0.0.1:4567/team-dev-kv").expect("stand-in");
        assert_eq!(s.name(), "team-dev-kv");
        for bad in [
            "team-dev-kv",
            "http://team-dev-kv.vault.azure.net",
            "https://team-dev-kv.blob.core.windows.net",
            "https://team-dev-kv.vault.azure.net/secrets/x",
            "https://x.vault.azure.net",
            "https://team--kv.vault.azure.net",
            "https://team-dev-kv.vault.azure.net?x=1",
        ] {
            assert!(VaultUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_names_are_checked() {
        assert!(SecretName::parse("lakekeeper-backend-client-secret").is_ok());
        for bad in ["", "has space", "p@ss", &"a".repeat(128)] {
            assert!(SecretName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_branch_on_codes_and_name_the_fix() {
        let v = VaultUrl::parse("https://team-dev-kv.vault.azure.net").expect("valid");
        let n = SecretName::parse("lakekeeper-postgres-password").expect("valid");
        let err = |status, body: &str| {
            KvError::from_call(
                &v,
                &n,
                "dev@contoso.com",
                CallError::Rest(RestError::Api(rest::api_error(status, body))),
            )
            .to_string()
        };
        let rbac = err(
            403,
            r#"{"error":{"code":"Forbidden","message":"Caller is not authorized","innererror":{"code":"ForbiddenByRbac"}}}"#,
        );
        assert!(
            rbac.contains("dev@contoso.com needs the role Key Vault Secrets User on team-dev-kv"),
            "{rbac}"
        );
        let policy = err(
            403,
            r#"{"error":{"code":"Forbidden","message":"The user ... does not have secrets get permission","innererror":{"code":"AccessDenied"}}}"#,
        );
        assert!(
            policy.contains("access policy") && policy.contains("set-policy --name team-dev-kv"),
            "{policy}"
        );
        let fw = err(
            403,
            r#"{"error":{"code":"Forbidden","message":"Client address is not authorized and caller is not a trusted service.","innererror":{"code":"ForbiddenByFirewall"}}}"#,
        );
        assert!(fw.contains("firewall") && fw.contains("VPN"), "{fw}");
        let missing = err(
            404,
            r#"{"error":{"code":"SecretNotFound","message":"A secret with (name/id) foo was not found in this key vault."}}"#,
        );
        assert!(
            missing.contains("no secret named `lakekeeper-postgres-password`"),
            "{missing}"
        );
    }
}
