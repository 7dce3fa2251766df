//! `check`: an offline lint of an existing `backend/.env` (and the compose file that runs
//! Lakekeeper), catching the classic hand-written mistakes before anything starts.
//!
//! Pure over its inputs (file texts and git's verdict, gathered by the caller); every finding names the key, the line,
//! what is wrong and the fix. A secret's value never appears in a finding.

mod consistency;
mod production;
mod search_path;

pub use production::production;

use std::collections::BTreeMap;

use crate::compose;
use crate::envfile::{EnvFile, Quote};
use crate::keys as k;
use crate::model::{Answers, FieldId};
use crate::validate::{self, is_guid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub file: String,
    pub key: Option<String>,
    pub line: Option<usize>,
    pub message: String,
    pub fix: String,
}

/// What `check` looks at.
pub struct CheckInput<'a> {
    pub env_label: &'a str,
    pub env: &'a EnvFile,
    /// `(label, text)` of the base compose file, if found.
    pub base: Option<(&'a str, &'a str)>,
    /// `(label, text)` of the override, if it exists.
    pub override_file: Option<(&'a str, &'a str)>,
    /// What git would do with the `.env` (`git::advice`): the warning and its fix.
    pub git_advice: Option<(String, String)>,
}

struct Lint<'a> {
    label: &'a str,
    env: &'a EnvFile,
    out: Vec<Finding>,
    /// Effective (last) value and line of every key.
    vals: BTreeMap<&'a str, (&'a str, usize)>,
}

impl<'a> Lint<'a> {
    fn push(
        &mut self,
        severity: Severity,
        key: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        let line = self.vals.get(key).map(|(_, l)| *l);
        self.out.push(Finding {
            severity,
            file: self.label.to_owned(),
            key: Some(key.to_owned()),
            line,
            message: message.into(),
            fix: fix.into(),
        });
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.vals.get(key).map(|(v, _)| *v)
    }
}

/// Runs every rule; findings sorted errors first, then by line.
pub fn check(input: &CheckInput<'_>) -> Vec<Finding> {
    let mut l = Lint {
        label: input.env_label,
        env: input.env,
        out: Vec::new(),
        vals: input
            .env
            .entries()
            .map(|e| (e.key.as_str(), (e.value.as_str(), e.line)))
            .collect(),
    };
    syntax_rules(&mut l);
    openid_rules(&mut l);
    value_rules(&mut l);
    postgres_rules(&mut l);
    consistency::rules(&mut l, input);
    search_path::rules(&mut l);
    if let Some((msg, fix)) = input.git_advice.clone() {
        l.out.push(Finding {
            severity: Severity::Error,
            file: l.label.to_owned(),
            key: None,
            line: None,
            message: msg,
            fix,
        });
    }
    compose_rules(&mut l, input);
    let mut out = l.out;
    out.sort_by_key(|f| (f.severity, f.line.unwrap_or(usize::MAX)));
    out
}

/// What Compose runs: the override layered over the base (base findings the override fixes
/// are dropped), or whichever file exists.
fn compose_rules(l: &mut Lint<'_>, input: &CheckInput<'_>) {
    let found = match (input.base, input.override_file) {
        (Some((bl, bt)), Some((ol, ot))) => compose::lint_merged(bt, ot).map(|v| {
            v.into_iter()
                .map(|(which, f)| {
                    (
                        if which == compose::ComposeFile::Base {
                            bl
                        } else {
                            ol
                        },
                        f,
                    )
                })
                .collect::<Vec<_>>()
        }),
        (Some((label, text)), None) | (None, Some((label, text))) => {
            compose::lint(text).map(|v| v.into_iter().map(|f| (label, f)).collect())
        }
        (None, None) => return,
    };
    match found {
        Ok(list) => l.out.extend(list.into_iter().map(|(label, f)| Finding {
            severity: match f.severity {
                compose::Severity::Error => Severity::Error,
                compose::Severity::Warning => Severity::Warning,
            },
            file: label.to_owned(),
            key: None,
            line: f.line,
            message: f.message,
            fix: f.fix,
        })),
        Err(e) => l.out.push(Finding {
            severity: Severity::Error,
            file: input
                .override_file
                .or(input.base)
                .map_or("compose", |(label, _)| label)
                .to_owned(),
            key: None,
            line: None,
            message: e.to_string(),
            fix: "fix the YAML so Docker Compose can read it".into(),
        }),
    }
}

/// Quoting and interpolation: what Compose would mangle, duplicates, stale legacy keys.
fn syntax_rules(l: &mut Lint<'_>) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let entries: Vec<_> = l.env.entries().collect();
    for e in &entries {
        let secret = k::is_secret_key(&e.key);
        if let Some(first) = seen.insert(e.key.as_str(), e.line) {
            l.out.push(Finding {
                severity: Severity::Warning,
                file: l.label.to_owned(),
                key: Some(e.key.clone()),
                line: Some(e.line),
                message: format!(
                    "is set twice (lines {first} and {}); readers disagree on which wins",
                    e.line
                ),
                fix: "keep one".into(),
            });
        }
        if e.quote != Quote::Single && e.value.contains('$') {
            let shown = if secret {
                String::from("the value")
            } else {
                format!("`{}`", e.value)
            };
            l.out.push(Finding {
                severity: Severity::Error,
                file: l.label.to_owned(),
                key: Some(e.key.clone()),
                line: Some(e.line),
                message: format!("{shown} contains `$`, which Docker Compose interpolates in {} values: the value is silently cut", if e.quote == Quote::Double { "double-quoted" } else { "unquoted" }),
                fix: "single-quote the value ('…'), or run `lakekeeper-setup apply`, which quotes for you".into(),
            });
        }
        if e.closes_at_an_escaped_quote() {
            l.out.push(Finding {
                severity: Severity::Warning,
                file: l.label.to_owned(),
                key: Some(e.key.clone()),
                line: Some(e.line),
                message: "the quoted value ends at an escaped quote (`\\'` or `\\\"`) because no plain closing quote follows: python-dotenv reads it that way only by backtracking, and a quote written anywhere below (by hand or by `apply`, which then refuses to write) moves its end and swallows the lines between".into(),
                fix: "end the value with a plain closing quote".into(),
            });
        }
        if e.inline_comment && e.quote == Quote::None {
            l.out.push(Finding {
                severity: Severity::Warning,
                file: l.label.to_owned(),
                key: Some(e.key.clone()),
                line: Some(e.line),
                message: "has ` #` after the value: everything from ` #` on is a comment, not part of the value".into(),
                fix: "if the `#…` belongs to the value, single-quote the whole value; else move the comment to its own line".into(),
            });
        }
        if let Some(rest) = e.key.strip_prefix("ICEBERG_REST__") {
            let modern = format!("LAKEKEEPER__{rest}");
            let shadowed =
                seen.contains_key(modern.as_str()) || entries.iter().any(|x| x.key == modern);
            l.out.push(Finding {
                severity: Severity::Warning,
                file: l.label.to_owned(),
                key: Some(e.key.clone()),
                line: Some(e.line),
                message: if shadowed {
                    format!("is the legacy name of {modern}, which is also set: this one is ignored and will mislead the next reader")
                } else {
                    format!("is the legacy name of {modern}; Lakekeeper still reads it, so a stale value here applies silently")
                },
                fix: format!("remove it, or rename it to {modern}"),
            });
        }
    }
}

fn openid_rules(l: &mut Lint<'_>) {
    if let Some(p) = l.get(k::PROVIDER_URI) {
        match validate::provider_uri(p) {
            Ok(c) if !c.notes.is_empty() => l.push(
                Severity::Error,
                k::PROVIDER_URI,
                format!("`{p}` must not end in `/.well-known/openid-configuration` or `/`: Lakekeeper appends it and start-up fails with `Failed to parse openid configuration. Expected fields: [\"jwks_uri\", \"issuer\"]`"),
                format!("set it to {}", c.value),
            ),
            Ok(_) => {}
            Err(msg) => l.push(Severity::Error, k::PROVIDER_URI, format!("`{p}` {msg}"), "use https://login.microsoftonline.com/<tenant GUID>/v2.0"),
        }
    }
    for key in [k::PROVIDER_URI, k::OAUTH2_TENANT_ID] {
        if let Some(v) = l.get(key)
            && let Err(e) = validate::tenant(v)
            && e.message.contains("multi-tenant alias")
        {
            l.push(Severity::Error, key, e.problem(), e.fix);
        }
    }
    match l.get(k::AUDIENCE) {
        None | Some("") => l.push(
            Severity::Error,
            k::AUDIENCE,
            "is not set: Lakekeeper then accepts tokens minted for any application",
            "set it to <App ID URI>,<API client ID>, e.g. api://<api-id>,<api-id>",
        ),
        Some(a) => {
            if a.contains(", ") || a.contains(' ') {
                l.push(Severity::Error, k::AUDIENCE, format!("`{a}` has a space: Lakekeeper splits on `,` without trimming, so ` item` never matches"), format!("write it without spaces: {}", a.split(',').map(str::trim).collect::<Vec<_>>().join(",")));
            }
            let items: Vec<&str> = a.split(',').map(str::trim).collect();
            let has_guid = items.iter().any(|i| is_guid(i));
            let has_uri = items.iter().any(|i| !is_guid(i));
            if !has_guid {
                l.push(Severity::Warning, k::AUDIENCE, format!("`{a}` has no client-ID GUID: v2 tokens (aud = the API app's client ID) are rejected"), "append ,<API client ID>");
            } else if !has_uri {
                l.push(
                    Severity::Warning,
                    k::AUDIENCE,
                    format!("`{a}` has no App ID URI: v1 tokens (aud = api://…) are rejected"),
                    "prepend <App ID URI>, e.g. api://<api-id>,",
                );
            }
        }
    }
    if l.get(k::OPENID_SCOPE).is_some() {
        l.push(Severity::Error, k::OPENID_SCOPE, "is set: Lakekeeper then requires a `scope` claim, which Entra tokens never carry (they have `scp`/`roles`), so every token is rejected", "remove the line");
    }
    match l.get(k::ADDITIONAL_ISSUERS) {
        None => l.push(
            Severity::Warning,
            k::ADDITIONAL_ISSUERS,
            "is not set: v1 tokens (the portal default) are rejected",
            "set it to https://sts.windows.net/<tenant GUID>/",
        ),
        Some(v) => {
            if v.contains(' ') {
                l.push(
                    Severity::Error,
                    k::ADDITIONAL_ISSUERS,
                    format!("`{v}` has a space: the list is split on `,` without trimming"),
                    "remove the spaces",
                );
            }
            for iss in v.split(',').map(str::trim) {
                if iss.contains("sts.") && !iss.ends_with('/') {
                    l.push(Severity::Error, k::ADDITIONAL_ISSUERS, format!("`{iss}` has no trailing `/`: v1 tokens carry `iss` = https://sts.windows.net/<tid>/ exactly"), format!("write {iss}/"));
                }
            }
        }
    }
    if l.get(k::SUBJECT_CLAIM).is_none() {
        l.push(
            Severity::Warning,
            k::SUBJECT_CLAIM,
            "is not set",
            "set it to oid (stable per user across apps)",
        );
    }
    if let Some(s) = l.get(k::OAUTH2_SCOPE)
        && !s.ends_with("/.default")
    {
        l.push(Severity::Error, k::OAUTH2_SCOPE, format!("`{s}` does not end in /.default: client credentials only accept <App ID URI>/.default"), "set it to <App ID URI>/.default");
    }
}

/// Values through the shared validators, and Lakekeeper's own parsing rules.
fn value_rules(l: &mut Lint<'_>) {
    let direct = [
        FieldId::BackendClientId,
        FieldId::BackendSecret,
        FieldId::UiClientId,
        FieldId::PgHost,
        FieldId::PgPort,
        FieldId::StorageAccount,
        FieldId::StorageContainer,
        FieldId::BaseUri,
        FieldId::WarehouseName,
        FieldId::EncryptionKey,
    ];
    for f in direct {
        let (Some(key), Some(raw)) = (f.env_key(), l.get(f.env_key().unwrap_or_default())) else {
            continue;
        };
        match validate::field(f, raw, &Answers::default()) {
            Err(e) => l.push(Severity::Error, key, e.problem(), e.fix.clone()),
            Ok(c) => {
                for w in c.warnings {
                    l.push(
                        Severity::Warning,
                        key,
                        format!("{}: {w}", crate::strings::label(f)),
                        crate::strings::hint(f),
                    );
                }
            }
        }
    }
    if l.get(k::ENCRYPTION_KEY).is_none() {
        l.push(
            Severity::Error,
            k::ENCRYPTION_KEY,
            "is not set: Lakekeeper falls back to a built-in default key",
            "run `lakekeeper-setup apply --generate-key` (before any warehouse exists)",
        );
    }
    match l.get(k::AUTHZ_BACKEND) {
        Some(v) if v != "allowall" && v != "openfga" => l.push(
            Severity::Error,
            k::AUTHZ_BACKEND,
            format!("`{v}` is not allowall or openfga: any other value silently runs with NO authorization"),
            "use allowall or openfga (lower case)",
        ),
        _ => {}
    }
    if let Some(v) = l.get(k::SECRET_BACKEND)
        && v != "postgres"
        && v != "kv2"
    {
        l.push(
            Severity::Error,
            k::SECRET_BACKEND,
            format!("`{v}` is not postgres or kv2 (case matters: migrate fails)"),
            "use postgres",
        );
    }
    let keys: Vec<(String, String)> = l
        .env
        .entries()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    for (key, v) in &keys {
        if !key.starts_with("LAKEKEEPER__")
            || key.starts_with("LAKEKEEPER__UI__")
            || key == k::ENCRYPTION_KEY
        {
            continue;
        }
        let secret = k::is_secret_key(key);
        let numeric_ok =
            key.ends_with("PORT") || key.ends_with("_CONNECTIONS") || key.ends_with("_SECONDS");
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && !numeric_ok {
            l.push(Severity::Warning, key, "is all digits: Lakekeeper's config parser turns it into a number (leading zeros are lost)", "check the value");
        }
        if v.trim_start().starts_with(['[', '{', '"', '\'']) {
            let shown = if secret {
                String::from("the value")
            } else {
                format!("`{v}`")
            };
            l.push(Severity::Warning, key, format!("{shown} starts with a bracket or quote, which Lakekeeper's config parser reads as an array, map or quoted string"), "check the value");
        }
        if key.starts_with("LAKEKEEPER__ENABLE_") && !matches!(v.as_str(), "true" | "false") {
            l.push(Severity::Warning, key, format!("`{v}` is not exactly true or false (True, yes and 1 are not booleans to Lakekeeper)"), "use true or false");
        }
    }
    for (key, v) in &keys {
        let storage_like =
            key.contains("WAREHOUSE") || key.contains("STORAGE") || key.contains("LOCATION");
        // A secret (a storage key or client secret) may hold `://` by chance; it is no location,
        // and its value must never be printed.
        if storage_like && !k::is_secret_key(key) && v.contains("://") && !v.starts_with("abfss://")
        {
            l.push(
                Severity::Error,
                key,
                format!(
                    "`{v}` is not an abfss:// location; Lakekeeper accepts only abfss for ADLS Gen2"
                ),
                "write it as abfss://<container>@<account>.dfs.core.windows.net/<prefix>",
            );
        }
    }
}

/// A PostgreSQL URL's user and password must be percent-encoded; TLS should be on.
fn postgres_rules(l: &mut Lint<'_>) {
    for key in [k::PG_URL_READ, k::PG_URL_WRITE] {
        let Some(url) = l.get(key) else { continue };
        let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
            l.push(
                Severity::Error,
                key,
                "is not a postgresql:// URL",
                "use postgresql://user:password@host:5432/db?sslmode=require",
            );
            continue;
        };
        // The host part begins after the LAST `@`; everything before it is user info.
        let userinfo = rest.rfind('@').map(|i| &rest[..i]);
        let bad = userinfo.is_some_and(|u| {
            let colons = u.matches(':').count();
            colons > 1
                || u.chars().any(|c| matches!(c, '@' | '/' | '?' | '#' | ' '))
                || u.match_indices('%').any(|(i, _)| {
                    u.get(i + 1..i + 3)
                        .is_none_or(|h| !h.bytes().all(|b| b.is_ascii_hexdigit()))
                })
        });
        let hashed = rest
            .find('#')
            .is_some_and(|h| rest.rfind('@').is_some_and(|a| h < a));
        if bad || hashed {
            l.push(Severity::Error, key, "has a user or password with an unencoded special character (@ : / ? # % or space): the URL breaks", "percent-encode them (e.g. @ → %40), or run `lakekeeper-setup apply`, which builds the URL for you");
        } else if url::Url::parse(url).is_err() {
            l.push(
                Severity::Error,
                key,
                "is not a valid URL",
                "use postgresql://user:password@host:5432/db?sslmode=require",
            );
        }
        if !url.contains("sslmode=")
            && l.get(k::POSTGRES_HOST)
                .is_some_and(|h| h.ends_with(".postgres.database.azure.com"))
        {
            l.push(
                Severity::Warning,
                key,
                "has no sslmode; Azure Database for PostgreSQL requires TLS",
                "append ?sslmode=require",
            );
        }
    }
}
