//! Check 3: the service-account token judged by Lakekeeper's rules, because a real
//! Lakekeeper's 401 never says why it rejected a token.
//!
//! Verifies the RS256 signature against the discovery `jwks_uri` key named by `kid`, then
//! `iss` (discovery issuer or an additional issuer, exact match) and `aud` (one of
//! `LAKEKEEPER__OPENID_AUDIENCE` split on `,`, no trimming). Reports claim values (issuer,
//! audience, version, tenant, object ID), which are not secret; never the token itself.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT as B64;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde_json::Value;
use tokio::time::Instant;

use super::entra::{Token, is_guid};
use super::http;
use super::oidc::{Discovery, env_list, severity};
use super::{CheckName, CheckResult, Status, VerifyConfig};
use crate::keys;

/// A decoded (not yet trusted) JWT.
struct Jwt {
    header: Value,
    claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
enum JwtError {
    #[error("the token is not a JWT (expected three dot-separated parts)")]
    Shape,
    #[error("the token's {0} is not base64url JSON")]
    Part(&'static str),
}

fn decode(token: &str) -> Result<Jwt, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Shape);
    };
    let json = |part: &str, what| {
        B64.decode(part)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .ok_or(JwtError::Part(what))
    };
    Ok(Jwt {
        header: json(h, "header")?,
        claims: json(c, "payload")?,
        signing_input: format!("{h}.{c}"),
        signature: B64.decode(s).map_err(|_| JwtError::Part("signature"))?,
    })
}

/// Verifies the signature with the JWKS key whose `kid` matches. Err is the reason for people.
async fn verify_signature(
    client: &reqwest::Client,
    jwks_uri: &str,
    jwt: &Jwt,
    deadline: Instant,
) -> Result<(), String> {
    let alg = jwt
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    if alg != "RS256" {
        return Err(format!(
            "the token is signed with {alg}; Entra and Lakekeeper use RS256"
        ));
    }
    let kid = jwt
        .header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or("the token has no `kid` header")?;
    let url = http::parse_allowed(jwks_uri).map_err(|e| e.to_string())?;
    let answer = http::send(client.get(url.clone()), &url, deadline)
        .await
        .map_err(|e| e.to_string())?;
    let keys = answer
        .json()
        .and_then(|d| d.get("keys").and_then(Value::as_array).cloned())
        .ok_or(format!("{url} is not a JWKS"))?;
    let key = keys
        .iter()
        .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
        .ok_or(format!("no key `{kid}` in {url}: the token comes from another tenant or cloud than the provider URI"))?;
    let comp = |name: &str| {
        key.get(name)
            .and_then(Value::as_str)
            .and_then(|v| B64.decode(v).ok())
    };
    let (Some(n), Some(e)) = (comp("n"), comp("e")) else {
        return Err(format!("key `{kid}` in {url} is not an RSA key"));
    };
    RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &RSA_PKCS1_2048_8192_SHA256,
            jwt.signing_input.as_bytes(),
            &jwt.signature,
        )
        .map_err(|_| format!("the signature does not verify with key `{kid}` from {url}"))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

struct Problem {
    status: Status,
    line: String,
    fix: String,
}

pub async fn check_claims(
    cfg: &VerifyConfig,
    client: &reqwest::Client,
    discovery: &Discovery,
    token: &Token,
    deadline: Instant,
) -> CheckResult {
    let name = CheckName::TokenClaims;
    let jwt = match decode(token.access_token.expose()) {
        Ok(j) => j,
        Err(e) => return CheckResult::new(name, Status::Failed, e.to_string()),
    };
    let claim = |k: &str| {
        jwt.claims
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let (iss, ver) = (claim("iss"), claim("ver"));
    let auds = strings(jwt.claims.get("aud"));
    let mut details = vec![
        format!(
            "token version {}",
            if ver.is_empty() {
                "(no ver claim)"
            } else {
                &ver
            }
        ),
        format!("iss {iss}"),
        format!("aud {}", auds.join(" ")),
    ];
    for k in ["tid", "oid"] {
        if !claim(k).is_empty() {
            details.push(format!("{k} {}", claim(k)));
        }
    }
    let mut problems = Vec::new();
    if let Err(reason) = verify_signature(client, &discovery.jwks_uri, &jwt, deadline).await {
        problems.push(Problem {
            status: Status::Failed,
            line: reason,
            fix: format!(
                "use one tenant and cloud for {} and {}",
                keys::PROVIDER_URI,
                keys::OAUTH2_TENANT_ID
            ),
        });
    } else {
        details.push("signature verified (RS256)".into());
    }
    problems.extend(issuer_problem(cfg, discovery, &iss, &ver));
    problems.extend(audience_problem(cfg, &auds));
    problems.extend(other_problems(cfg, &jwt.claims));

    let worst = problems
        .iter()
        .map(|p| p.status)
        .max_by_key(|s| severity(*s))
        .unwrap_or(Status::Ok);
    let summary = match problems.iter().find(|p| p.status == worst) {
        Some(p) => p.line.clone(),
        None => format!(
            "Lakekeeper would accept this v{} token (signature, issuer, audience)",
            ver.trim_end_matches(".0")
        ),
    };
    let mut r = CheckResult::new(name, worst, summary);
    // The summary is already the worst problem's line: don't repeat it below.
    details.extend(
        problems
            .iter()
            .map(|p| p.line.clone())
            .filter(|l| *l != r.summary),
    );
    r.details = details;
    let fixes: Vec<String> = problems.into_iter().map(|p| p.fix).collect();
    r.fix = (!fixes.is_empty()).then(|| fixes.join("; "));
    r
}

fn issuer_problem(
    cfg: &VerifyConfig,
    discovery: &Discovery,
    iss: &str,
    ver: &str,
) -> Option<Problem> {
    let additional = env_list(cfg, keys::ADDITIONAL_ISSUERS);
    if iss == discovery.issuer || additional.contains(&iss) {
        return None;
    }
    let near = additional
        .iter()
        .find(|a| a.trim().trim_end_matches('/') == iss.trim_end_matches('/'));
    let line = match near {
        Some(n) => format!(
            "the token's issuer {iss} is not accepted: {} has `{n}`, which never matches exactly",
            keys::ADDITIONAL_ISSUERS
        ),
        None => format!(
            "the token's issuer {iss} is not accepted (not the discovery issuer, not in {})",
            keys::ADDITIONAL_ISSUERS
        ),
    };
    let fix = if ver == "1.0" || discovery.v1_issuer.as_deref() == Some(iss) {
        format!("tokens are v1: add {iss} to {}", keys::ADDITIONAL_ISSUERS)
    } else {
        format!(
            "the token comes from another issuer than {} ({}): use the same tenant and cloud in {} and {}",
            keys::PROVIDER_URI,
            discovery.issuer,
            keys::PROVIDER_URI,
            keys::OAUTH2_TENANT_ID
        )
    };
    Some(Problem {
        status: Status::Failed,
        line,
        fix,
    })
}

fn audience_problem(cfg: &VerifyConfig, auds: &[String]) -> Option<Problem> {
    let list = env_list(cfg, keys::AUDIENCE);
    let recommended = recommended_audience(cfg, auds);
    if list.is_empty() {
        return Some(Problem {
            status: Status::Warning,
            line: format!(
                "{} is not set: Lakekeeper accepts tokens for any audience",
                keys::AUDIENCE
            ),
            fix: format!("set {}={recommended}", keys::AUDIENCE),
        });
    }
    if auds.iter().any(|a| list.contains(&a.as_str())) {
        return None;
    }
    let aud_text = auds.join(" ");
    if list
        .iter()
        .any(|item| item.trim() != *item && auds.iter().any(|a| a == item.trim()))
    {
        let cleaned: Vec<&str> = list.iter().map(|i| i.trim()).collect();
        return Some(Problem {
            status: Status::Failed,
            line: format!(
                "{} has spaces around its commas: the item matching the token's aud {aud_text} is never equal (no trimming)",
                keys::AUDIENCE
            ),
            fix: format!(
                "remove the spaces: set {}={}",
                keys::AUDIENCE,
                cleaned.join(",")
            ),
        });
    }
    Some(Problem {
        status: Status::Failed,
        line: format!("the token's aud {aud_text} is not in {}", keys::AUDIENCE),
        fix: format!("set {}={recommended}", keys::AUDIENCE),
    })
}

/// `<App ID URI>,<API client ID>` from the scope and the token: both forms, as reference §2 says.
fn recommended_audience(cfg: &VerifyConfig, auds: &[String]) -> String {
    let scope = cfg
        .env
        .get(keys::OAUTH2_SCOPE)
        .map(String::as_str)
        .unwrap_or_default();
    let app_id_uri = scope.strip_suffix("/.default").unwrap_or(scope);
    let mut items: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if !s.is_empty() && !items.iter().any(|i| i == s) {
            items.push(s.to_owned());
        }
    };
    push(app_id_uri);
    if let Some(g) = app_id_uri.strip_prefix("api://").filter(|g| is_guid(g)) {
        push(g);
    }
    for a in auds {
        push(a);
    }
    items.join(",")
}

fn other_problems(cfg: &VerifyConfig, claims: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    if cfg
        .env
        .get(keys::OPENID_SCOPE)
        .is_some_and(|v| !v.is_empty())
    {
        out.push(Problem {
            status: Status::Failed,
            line: format!("{} is set: Lakekeeper then requires a `scope` claim, which Entra tokens never carry (they have scp/roles)", keys::OPENID_SCOPE),
            fix: format!("remove {} from backend/.env", keys::OPENID_SCOPE),
        });
    }
    let subject = cfg.env.get(keys::SUBJECT_CLAIM).filter(|v| !v.is_empty());
    if let Some(sub) = subject.filter(|s| claims.get(s.as_str()).is_none()) {
        out.push(Problem {
            status: Status::Failed,
            line: format!(
                "the token has no `{sub}` claim ({} = {sub})",
                keys::SUBJECT_CLAIM
            ),
            fix: format!("set {}=oid", keys::SUBJECT_CLAIM),
        });
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if claims
        .get("exp")
        .and_then(Value::as_u64)
        .is_some_and(|exp| exp < now)
    {
        out.push(Problem {
            status: Status::Failed,
            line: "the token has already expired: this machine's clock may be wrong".into(),
            fix: "set the system clock (NTP)".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_non_jwts() {
        assert!(matches!(decode("abc"), Err(JwtError::Shape)));
        assert!(matches!(decode("a.b.c.d"), Err(JwtError::Shape)));
        assert!(matches!(decode("!!.e30.AA"), Err(JwtError::Part("header"))));
    }

    #[test]
    fn aud_may_be_a_string_or_a_list() {
        assert_eq!(strings(Some(&serde_json::json!("x"))), vec!["x"]);
        assert_eq!(
            strings(Some(&serde_json::json!(["x", "y"]))),
            vec!["x", "y"]
        );
        assert!(strings(None).is_empty());
    }
}
