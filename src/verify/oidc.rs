//! Check 1: OIDC discovery, fetched exactly as Lakekeeper fetches it, plus Entra's v1
//! document, whose issuer v1 tokens carry.
//!
//! Reads only public documents (no secret is sent). The discovery issuer and `jwks_uri` it
//! yields feed the token-claims check.

use tokio::time::Instant;

use super::http;
use super::{CheckName, CheckResult, Status, VerifyConfig};
use crate::keys;

const WELL_KNOWN: &str = ".well-known/openid-configuration";

/// What discovery established, for the token-claims check.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// `issuer` of the discovery document (the issuer Lakekeeper trusts).
    pub issuer: String,
    pub jwks_uri: String,
    /// The tenant GUID, taken from the issuer (a domain tenant resolves to it here).
    pub tenant_id: Option<String>,
    /// `issuer` of the v1 document (`https://sts.windows.net/<tid>/` on Entra), when fetched.
    pub v1_issuer: Option<String>,
}

/// Splits a Lakekeeper comma list exactly as Lakekeeper does: on `,`, nothing trimmed.
pub fn split_list(value: &str) -> Vec<&str> {
    value.split(',').collect()
}

/// The list in `key`, or empty when the key is unset or empty.
pub fn env_list<'a>(cfg: &'a VerifyConfig, key: &str) -> Vec<&'a str> {
    cfg.env
        .get(key)
        .filter(|v| !v.is_empty())
        .map(|v| split_list(v))
        .unwrap_or_default()
}

/// The discovery URL Lakekeeper fetches: the provider URI, a `/` unless it already ends in
/// one, then `.well-known/openid-configuration`.
pub fn discovery_url(provider_uri: &str) -> String {
    if provider_uri.ends_with('/') {
        format!("{provider_uri}{WELL_KNOWN}")
    } else {
        format!("{provider_uri}/{WELL_KNOWN}")
    }
}

/// One thing the check found. The check's status is the worst finding's.
struct Finding {
    status: Status,
    line: String,
    fix: Option<String>,
}

pub async fn check_discovery(
    cfg: &VerifyConfig,
    client: &reqwest::Client,
    deadline: Instant,
) -> (CheckResult, Option<Discovery>) {
    let name = CheckName::OidcDiscovery;
    let authority = cfg.authority_host.trim_end_matches('/');
    let Some(provider) = cfg.env.get(keys::PROVIDER_URI).filter(|v| !v.is_empty()) else {
        let r = CheckResult::new(
            name,
            Status::Failed,
            format!("{} is not set", keys::PROVIDER_URI),
        )
        .with_fix(format!(
            "set {}={authority}/<tenant-GUID>/v2.0",
            keys::PROVIDER_URI
        ));
        return (r, None);
    };
    let trimmed = provider.trim_end_matches('/');
    if let Some(base) = trimmed.strip_suffix("/.well-known/openid-configuration") {
        let r = CheckResult::new(
            name,
            Status::Failed,
            format!(
                "{} ends in /.well-known/openid-configuration",
                keys::PROVIDER_URI
            ),
        )
        .with_detail(format!(
            "Lakekeeper appends it again, fetches {} and exits at start-up",
            discovery_url(provider)
        ))
        .with_fix(format!("set {}={base}", keys::PROVIDER_URI));
        return (r, None);
    }
    let url_text = discovery_url(provider);
    let url = match http::parse_allowed(&url_text) {
        Ok(u) => u,
        Err(e) => {
            return (
                CheckResult::new(name, Status::Failed, e.to_string())
                    .with_fix(format!("check {}", keys::PROVIDER_URI)),
                None,
            );
        }
    };
    let doc = match http::send(client.get(url.clone()), &url, deadline).await {
        Ok(a) if a.status == 200 => a.json(),
        Ok(a) => {
            let r = CheckResult::new(name, Status::Failed, format!("{url} answered {}", a.status))
                .with_fix(format!(
                    "set {} to {authority}/<tenant>/v2.0 (the tenant GUID or domain)",
                    keys::PROVIDER_URI
                ));
            return (r, None);
        }
        Err(e) => {
            let r = CheckResult::new(name, Status::Failed, e.to_string()).with_http_error(&e);
            return (r, None);
        }
    };
    let field = |k: &str| {
        doc.as_ref()
            .and_then(|d| d.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let (Some(issuer), Some(jwks_uri)) = (field("issuer"), field("jwks_uri")) else {
        let r = CheckResult::new(name, Status::Failed, format!("{url} is not an OpenID configuration (no issuer / jwks_uri)"))
            .with_detail("Lakekeeper would exit: Failed to parse openid configuration. Expected fields: [\"jwks_uri\", \"issuer\"]")
            .with_fix(format!("set {} to {authority}/<tenant>/v2.0", keys::PROVIDER_URI));
        return (r, None);
    };

    let mut findings = vec![Finding {
        status: Status::Ok,
        line: format!("issuer {issuer}"),
        fix: None,
    }];
    let tenant_given = tenant_of(trimmed, authority);
    let tenant_id = tenant_of(&issuer, authority).filter(|t| super::entra::is_guid(t));
    findings.extend(issuer_findings(
        cfg,
        authority,
        &issuer,
        tenant_given.as_deref(),
        tenant_id.as_deref(),
    ));

    let mut discovery = Discovery {
        issuer,
        jwks_uri,
        tenant_id: tenant_id.clone(),
        v1_issuer: None,
    };
    if let Some(tid) = &tenant_id {
        let v1 = v1_issuer(client, authority, tid, deadline).await;
        findings.push(match v1 {
            Ok(v1) => {
                let f = v1_finding(cfg, &v1);
                discovery.v1_issuer = Some(v1);
                f
            }
            Err(e) => Finding {
                status: Status::Warning,
                line: format!("v1 document: {e}"),
                fix: None,
            },
        });
    }
    (into_result(findings), Some(discovery))
}

/// The tenant segment of `<authority>/<tenant>/…`.
fn tenant_of(uri: &str, authority: &str) -> Option<String> {
    let rest = uri.strip_prefix(authority)?.strip_prefix('/')?;
    rest.split('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn issuer_findings(
    cfg: &VerifyConfig,
    authority: &str,
    issuer: &str,
    given: Option<&str>,
    tid: Option<&str>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(tid) = tid else {
        out.push(Finding {
            status: Status::Warning,
            line: format!(
                "the issuer is not an Entra issuer on {authority} (no tenant GUID in it)"
            ),
            fix: Some(format!(
                "check the cloud / authority host and {}",
                keys::PROVIDER_URI
            )),
        });
        return out;
    };
    let expected = format!("{authority}/{tid}/v2.0");
    if issuer != expected {
        out.push(Finding {
            status: Status::Warning,
            line: format!("the issuer is not the v2.0 issuer {expected}"),
            fix: Some(format!("set {}={expected}", keys::PROVIDER_URI)),
        });
    }
    if let Some(given) = given.filter(|g| *g != tid) {
        out.push(Finding {
            status: Status::Ok,
            line: format!("tenant `{given}` resolves to {tid}"),
            fix: None,
        });
    }
    let sa_tenant = cfg
        .env
        .get(keys::OAUTH2_TENANT_ID)
        .map(String::as_str)
        .unwrap_or_default();
    if super::entra::is_guid(sa_tenant) && !sa_tenant.eq_ignore_ascii_case(tid) {
        out.push(Finding {
            status: Status::Warning,
            line: format!(
                "{} is {sa_tenant}, but the provider's tenant is {tid}",
                keys::OAUTH2_TENANT_ID
            ),
            fix: Some(format!(
                "use one tenant: set {}={tid} or change {}",
                keys::OAUTH2_TENANT_ID,
                keys::PROVIDER_URI
            )),
        });
    }
    out
}

async fn v1_issuer(
    client: &reqwest::Client,
    authority: &str,
    tid: &str,
    deadline: Instant,
) -> Result<String, String> {
    let url = http::parse_allowed(&format!("{authority}/{tid}/{WELL_KNOWN}"))
        .map_err(|e| e.to_string())?;
    let answer = http::send(client.get(url.clone()), &url, deadline)
        .await
        .map_err(|e| e.to_string())?;
    if answer.status != 200 {
        return Err(format!("{url} answered {}", answer.status));
    }
    answer
        .json()
        .and_then(|d| d.get("issuer").and_then(|v| v.as_str()).map(str::to_owned))
        .ok_or_else(|| format!("{url} has no issuer"))
}

/// The v1 issuer must be in the additional issuers, else v1 tokens are rejected.
fn v1_finding(cfg: &VerifyConfig, v1: &str) -> Finding {
    let list = env_list(cfg, keys::ADDITIONAL_ISSUERS);
    if list.contains(&v1) {
        return Finding {
            status: Status::Ok,
            line: format!("v1 issuer {v1} is in {}", keys::ADDITIONAL_ISSUERS),
            fix: None,
        };
    }
    let near = list
        .iter()
        .find(|i| i.trim().trim_end_matches('/') == v1.trim_end_matches('/'));
    let line = match near {
        Some(n) => format!(
            "{} has `{n}`, which never equals the v1 issuer `{v1}` (exact match, no trimming)",
            keys::ADDITIONAL_ISSUERS
        ),
        None => format!(
            "v1 tokens would be rejected: the v1 issuer {v1} is not in {}",
            keys::ADDITIONAL_ISSUERS
        ),
    };
    Finding {
        status: Status::Warning,
        line,
        fix: Some(format!("add {v1} to {}", keys::ADDITIONAL_ISSUERS)),
    }
}

fn into_result(findings: Vec<Finding>) -> CheckResult {
    let worst = findings
        .iter()
        .map(|f| f.status)
        .max_by_key(|s| severity(*s))
        .unwrap_or(Status::Ok);
    let summary = if worst == Status::Ok {
        "discovery document found, issuer as expected".to_owned()
    } else {
        findings
            .iter()
            .find(|f| f.status == worst)
            .map(|f| f.line.clone())
            .unwrap_or_default()
    };
    let fixes: Vec<String> = findings.iter().filter_map(|f| f.fix.clone()).collect();
    let mut r = CheckResult::new(CheckName::OidcDiscovery, worst, summary);
    // The summary is already the worst finding's line: don't repeat it below.
    r.details = findings
        .into_iter()
        .map(|f| f.line)
        .filter(|l| *l != r.summary)
        .collect();
    r.fix = (!fixes.is_empty()).then(|| fixes.join("; "));
    r
}

/// Orders statuses for "worst of": failed > warning > ok > skipped.
pub fn severity(s: Status) -> u8 {
    match s {
        Status::Skipped => 0,
        Status::Ok => 1,
        Status::Warning => 2,
        Status::Failed => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_url_is_built_like_lakekeeper() {
        assert_eq!(
            discovery_url("https://h/t/v2.0"),
            "https://h/t/v2.0/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://h/t/v2.0/"),
            "https://h/t/v2.0/.well-known/openid-configuration"
        );
    }

    #[test]
    fn lists_are_not_trimmed() {
        assert_eq!(split_list("a, b"), vec!["a", " b"]);
    }

    #[test]
    fn tenant_segment() {
        assert_eq!(
            tenant_of("https://h/contoso.com/v2.0", "https://h").as_deref(),
            Some("contoso.com")
        );
        assert_eq!(tenant_of("https://other/x", "https://h"), None);
    }
}
