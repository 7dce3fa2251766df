//! The production answers the laptop does not have: the `[production]` table of the team
//! profile (public base URI, namespace, release, replicas, ingress, production database host,
//! how the release is deployed, where its secrets live), validated like every other answer.
//!
//! These values are read only by `export helm`: `profile::read` skips the table, so nothing
//! production-specific can reach `backend/.env`. No I/O: callers pass the profile text.

mod rules;

use std::collections::BTreeMap;
use std::fmt;

use toml_edit::DocumentMut;

use crate::model::{ClientId, SetupConfig};

pub use rules::validate;

/// The profile table this module owns.
pub const TABLE: &str = "production";

/// Keys `[production]` accepts, with what each holds (also the "unknown key" hint).
pub const KEYS: [(&str, &str); 12] = [
    ("base_uri", "the public URL (required)"),
    ("namespace", "Kubernetes namespace (default lakekeeper)"),
    ("release", "Helm release name (default lakekeeper)"),
    ("replicas", "catalog replicas (default 2)"),
    ("ingress_host", "host name for an Ingress (none without it)"),
    (
        "ingress_class",
        "the Ingress class, e.g. webapprouting.kubernetes.azure.com",
    ),
    ("tls_secret", "the Secret holding the Ingress certificate"),
    (
        "postgres_host",
        "production's PostgreSQL host (default: the laptop's)",
    ),
    ("deploy", "helm-wait (default), helm or gitops"),
    (
        "secret_name",
        "the Secret the chart reads credentials from (default <release>-credentials)",
    ),
    (
        "vault",
        "the production Key Vault URL (default: [secrets] vault)",
    ),
    (
        "vault_identity",
        "client ID of the managed identity that may read the vault",
    ),
];

/// How the release is rolled out: decides the chart's `helmWait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deploy {
    /// `helm upgrade --install --wait`.
    HelmWait,
    /// `helm upgrade --install` without `--wait` (the chart's hook-based migration).
    Helm,
    /// Argo CD or Flux render offline and wait for health.
    GitOps,
}

impl Deploy {
    pub fn as_str(self) -> &'static str {
        match self {
            Deploy::HelmWait => "helm-wait",
            Deploy::Helm => "helm",
            Deploy::GitOps => "gitops",
        }
    }

    /// Whether the chart must run the migration Job as a plain resource (`helmWait: true`).
    pub fn helm_wait(self) -> bool {
        !matches!(self, Deploy::Helm)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    pub host: String,
    pub class: Option<String>,
    pub tls_secret: Option<String>,
}

/// A validated `[production]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Production {
    pub base_uri: url::Url,
    pub namespace: String,
    pub release: String,
    pub replicas: u16,
    pub ingress: Option<Ingress>,
    /// Production's database host when it differs from the laptop's.
    pub postgres_host: Option<String>,
    pub deploy: Deploy,
    pub secret_name: String,
    /// The Key Vault URL (no trailing slash), from `[production]` or `[secrets]`.
    pub vault: Option<String>,
    pub vault_identity: Option<ClientId>,
}

impl Production {
    /// The database host production uses.
    pub fn postgres_host<'a>(&'a self, cfg: &'a SetupConfig) -> &'a str {
        self.postgres_host.as_deref().unwrap_or(&cfg.postgres.host)
    }

    /// The vault's short name (`team-kv` of `https://team-kv.vault.azure.net`).
    pub fn vault_name(&self) -> Option<&str> {
        self.vault.as_deref().and_then(|v| {
            v.split("://")
                .nth(1)
                .and_then(|rest| rest.split('.').next())
        })
    }
}

/// The `[secrets]` names `export` needs (the rest of that table belongs to the Key Vault
/// reader).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaultNames {
    pub vault: Option<String>,
    pub postgres_password: Option<String>,
    pub encryption_key: Option<String>,
}

/// A rejected production answer: the key, the value, what is wrong and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionError {
    /// The profile table the key is in (`production`, or `secrets` for vault secret names).
    pub table: &'static str,
    pub key: String,
    pub value: Option<String>,
    pub message: String,
    pub fix: String,
}

impl ProductionError {
    pub fn new(
        key: &str,
        value: Option<&str>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            table: TABLE,
            key: key.to_owned(),
            value: value.map(str::to_owned),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

impl ProductionError {
    /// The same error for a key of another profile table.
    pub fn in_table(mut self, table: &'static str) -> Self {
        self.table = table;
        self
    }
}

impl fmt::Display for ProductionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.table;
        match &self.value {
            Some(v) => write!(
                f,
                "[{t}] {}: `{v}` {}; fix: {}",
                self.key, self.message, self.fix
            ),
            None => write!(f, "[{t}] {}: {}; fix: {}", self.key, self.message, self.fix),
        }
    }
}

impl std::error::Error for ProductionError {}

/// The raw `[production]` answers (strings; integers as their text). `None` when the profile
/// has no such table.
pub type Raw = BTreeMap<String, String>;

fn table_values(doc: &DocumentMut, table: &str) -> Result<Option<Raw>, ProductionError> {
    let Some(item) = doc.get(table) else {
        return Ok(None);
    };
    let Some(t) = item.as_table_like() else {
        return Err(ProductionError::new(
            table,
            None,
            "must be a table",
            format!("write it as [{table}] with one key per line"),
        ));
    };
    let mut out = Raw::new();
    for (key, v) in t.iter() {
        let text = match (v.as_str(), v.as_integer()) {
            (Some(s), _) => s.trim().to_owned(),
            (None, Some(i)) => i.to_string(),
            _ => {
                return Err(ProductionError::new(
                    key,
                    None,
                    "must be a string (or a number for replicas)",
                    "quote the value",
                ));
            }
        };
        if !text.is_empty() {
            out.insert(key.to_owned(), text);
        }
    }
    Ok(Some(out))
}

fn parse(profile_text: &str) -> Result<DocumentMut, ProductionError> {
    profile_text.parse().map_err(|e: toml_edit::TomlError| {
        ProductionError::new(
            "lakekeeper-setup.toml",
            None,
            format!("is not valid TOML: {e}"),
            "fix the syntax",
        )
    })
}

/// The `[production]` table's answers (`None` without the table); unknown keys are errors.
pub fn read(profile_text: &str) -> Result<Option<Raw>, ProductionError> {
    let doc = parse(profile_text)?;
    let raw = table_values(&doc, TABLE)?;
    if let Some(raw) = &raw
        && let Some(unknown) = raw
            .keys()
            .find(|k| !KEYS.iter().any(|(known, _)| known == k))
    {
        let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
        return Err(ProductionError::new(
            unknown,
            None,
            "is not a [production] key",
            format!("use one of {}", known.join(", ")),
        ));
    }
    Ok(raw)
}

/// The vault URL and the two secret names production needs from `[secrets]`.
pub fn vault_names(profile_text: &str) -> Result<VaultNames, ProductionError> {
    let doc = parse(profile_text)?;
    let raw = table_values(&doc, "secrets")?.unwrap_or_default();
    Ok(VaultNames {
        vault: raw.get("vault").cloned(),
        postgres_password: raw.get("postgres_password").cloned(),
        encryption_key: raw.get("encryption_key").cloned(),
    })
}

/// The laptop's `.env` values as production has them, for `verify`/`warehouse --production`:
/// the public base URI, and production's database host in `POSTGRES_HOST` and both URLs.
pub fn production_env(
    env: &BTreeMap<String, String>,
    prod: &Production,
) -> BTreeMap<String, String> {
    use crate::keys as k;
    let mut out = env.clone();
    out.insert(
        k::BASE_URI.to_owned(),
        crate::validate::base_uri_string(&prod.base_uri),
    );
    if let Some(host) = &prod.postgres_host {
        out.insert(k::POSTGRES_HOST.to_owned(), host.clone());
        for key in [k::PG_URL_READ, k::PG_URL_WRITE] {
            if let Some(mut u) = env.get(key).and_then(|v| url::Url::parse(v).ok())
                && u.set_host(Some(host)).is_ok()
            {
                out.insert(key.to_owned(), u.to_string());
            }
        }
    }
    out
}

/// The message `export` gives when the profile has no production base URI.
pub fn missing_base_uri() -> ProductionError {
    ProductionError::new(
        "base_uri",
        None,
        "is required but was not given: it is the public URL users, engines and the UI reach production's Lakekeeper at",
        "add `base_uri = \"https://lakekeeper.example.com\"` under [production] in lakekeeper-setup.toml",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_env_swaps_only_the_base_uri_and_the_database_host() {
        let raw: Raw = [
            ("base_uri", "https://lakekeeper.example.com"),
            ("postgres_host", "prod-pg.postgres.database.azure.com"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let (prod, _) = validate(Some(&raw), &VaultNames::default()).expect("valid");
        let env: BTreeMap<String, String> = [
            ("LAKEKEEPER__BASE_URI", "http://localhost:8181"),
            ("POSTGRES_HOST", "dev.postgres.database.azure.com"),
            (
                "LAKEKEEPER__PG_DATABASE_URL_WRITE",
                "postgresql://u:p%40ss@dev.postgres.database.azure.com:5432/db?sslmode=require",
            ),
            ("LAKEKEEPER__OPENID_AUDIENCE", "api://x,y"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let out = production_env(&env, &prod);
        assert_eq!(
            out["LAKEKEEPER__BASE_URI"],
            "https://lakekeeper.example.com"
        );
        assert_eq!(out["POSTGRES_HOST"], "prod-pg.postgres.database.azure.com");
        assert_eq!(
            out["LAKEKEEPER__PG_DATABASE_URL_WRITE"],
            "postgresql://u:p%40ss@prod-pg.postgres.database.azure.com:5432/db?sslmode=require"
        );
        assert_eq!(out["LAKEKEEPER__OPENID_AUDIENCE"], "api://x,y");
        assert!(!out.contains_key("LAKEKEEPER__PG_DATABASE_URL_READ"));
    }
}
