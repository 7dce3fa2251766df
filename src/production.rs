//! The production answers the laptop does not have: the `[production]` table of the team
//! profile (public base URI, namespace, release, replicas, ingress, production database host,
//! how the release is deployed, where its secrets live), validated like every other answer.
//!
//! These values are read only by `export helm`: `profile::read` skips the table, so nothing
//! production-specific can reach `backend/.env`. No I/O: callers pass the profile text.

mod access;
mod rules;

use std::collections::BTreeMap;
use std::fmt;

use toml_edit::DocumentMut;

use crate::model::{ClientId, SetupConfig};

pub use access::{DEFAULT_APP_ROLE, SCOPE_NAME, chart_service_account, is_resource_group};
pub use rules::validate;

/// The profile table this module owns.
pub const TABLE: &str = "production";

/// Keys `[production]` accepts, with what each holds (also the "unknown key" hint).
pub const KEYS: [(&str, &str); 25] = [
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
    (
        "api_client_id",
        "the production API app's client ID (azure bootstrap --production)",
    ),
    (
        "api_app_id_uri",
        "the production API's Application ID URI: the audience; the scope is <uri>/lakekeeper",
    ),
    (
        "app_role",
        "the app role callers must hold (default Lakekeeper.Access)",
    ),
    ("ui_client_id", "the production UI app's client ID"),
    (
        "aks_cluster",
        "resource ID of the AKS cluster (its OIDC issuer signs the pods' tokens)",
    ),
    (
        "identity_resource_group",
        "resource group of the managed identities (default: the cluster's)",
    ),
    (
        "lakekeeper_identity_client_id",
        "client ID of Lakekeeper's managed identity (storage)",
    ),
    (
        "service_account",
        "Lakekeeper's service account (default: the chart's, <release>-lakekeeper or the release)",
    ),
    ("backend_namespace", "the production backend's namespace"),
    (
        "backend_service_account",
        "the production backend's service account",
    ),
    (
        "backend_identity_client_id",
        "client ID of the production backend's managed identity",
    ),
    (
        "postgres_user",
        "the PostgreSQL role Lakekeeper logs in as in production (default lakekeeper)",
    ),
    (
        "postgres_password_secret",
        "the Key Vault secret holding that role's password (default lakekeeper-production-postgres-password)",
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

    /// The value as `[production] deploy` spells it (`argocd` and `flux` are gitops).
    pub fn parse(s: &str) -> Option<Deploy> {
        match s {
            "helm-wait" => Some(Deploy::HelmWait),
            "helm" => Some(Deploy::Helm),
            "gitops" | "argocd" | "flux" => Some(Deploy::GitOps),
            _ => None,
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
    /// The production API app's client ID (`appId`).
    pub api_client_id: Option<ClientId>,
    /// The production API's Application ID URI: the audience production accepts.
    pub api_app_id_uri: Option<String>,
    /// The app role a caller of the production API must hold (default `Lakekeeper.Access`).
    pub app_role: String,
    /// The production UI app's client ID.
    pub ui_client_id: Option<ClientId>,
    /// The AKS cluster's ARM resource ID.
    pub aks_cluster: Option<String>,
    /// Where the managed identities live: the key's value, else the cluster's resource group.
    pub identity_resource_group: Option<String>,
    /// Lakekeeper's user-assigned managed identity (storage, workload identity).
    pub lakekeeper_identity_client_id: Option<ClientId>,
    /// Lakekeeper's service account (default: the name the official chart gives it).
    pub service_account: String,
    pub backend_namespace: Option<String>,
    pub backend_service_account: Option<String>,
    /// The production backend's user-assigned managed identity.
    pub backend_identity_client_id: Option<ClientId>,
    /// The role Lakekeeper logs in as in production: its own, never the backend's.
    pub postgres_user: String,
    /// The vault secret holding `postgres_user`'s password (external-secrets mode).
    pub postgres_password_secret: String,
}

/// `[production] postgres_user` when not given.
pub const DEFAULT_POSTGRES_USER: &str = "lakekeeper";
/// `[production] postgres_password_secret` when not given.
pub const DEFAULT_POSTGRES_PASSWORD_SECRET: &str = "lakekeeper-production-postgres-password";
/// Where `export helm --secrets kubernetes` and `verify --production --fix --yes` read the
/// production role's password from (never from a file).
pub const PASSWORD_VAR: &str = "LAKEKEEPER_PRODUCTION_PG_PASSWORD";

impl Production {
    /// The production scope callers ask a token for: `<api_app_id_uri>/lakekeeper`.
    pub fn api_scope(&self) -> Option<String> {
        self.api_app_id_uri
            .as_deref()
            .map(|u| format!("{u}/{SCOPE_NAME}"))
    }

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

/// One value of a table as text (strings trimmed, integers as their text); `None` for any
/// other type.
fn value_text(v: &toml_edit::Item) -> Option<String> {
    match (v.as_str(), v.as_integer()) {
        (Some(s), _) => Some(s.trim().to_owned()),
        (None, Some(i)) => Some(i.to_string()),
        _ => None,
    }
}

fn not_a_table(table: &str) -> ProductionError {
    ProductionError::new(
        table,
        None,
        "must be a table",
        format!("write it as [{table}] with one key per line"),
    )
}

fn wrong_type(key: &str) -> ProductionError {
    ProductionError::new(
        key,
        None,
        "must be a string (or a number for replicas)",
        "quote the value",
    )
}

/// The table's values key by key: the readable ones, and one problem per value of the wrong
/// type (the other keys are still read). `Err` when `table` is there but is not a table.
fn table_values_lenient(
    doc: &DocumentMut,
    table: &str,
) -> Result<Option<(Raw, Vec<ProductionError>)>, ProductionError> {
    let Some(item) = doc.get(table) else {
        return Ok(None);
    };
    let Some(t) = item.as_table_like() else {
        return Err(not_a_table(table));
    };
    let mut out = Raw::new();
    let mut problems = Vec::new();
    for (key, v) in t.iter() {
        match value_text(v) {
            Some(text) if text.is_empty() => {}
            Some(text) => {
                out.insert(key.to_owned(), text);
            }
            None => problems.push(wrong_type(key)),
        }
    }
    Ok(Some((out, problems)))
}

/// The table's values, refusing the first value of the wrong type (the export's strict read).
fn table_values(doc: &DocumentMut, table: &str) -> Result<Option<Raw>, ProductionError> {
    match table_values_lenient(doc, table)? {
        None => Ok(None),
        Some((_, mut problems)) if !problems.is_empty() => Err(problems.remove(0)),
        Some((raw, _)) => Ok(Some(raw)),
    }
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

/// The `[production]` table as far as it can be read, for the wizard's pre-fill and `check`:
/// the known keys' values (`None` without the table) and every problem reading it (invalid
/// TOML, not a table, a value of the wrong type, each unknown key).
pub fn read_known(profile_text: &str) -> (Option<Raw>, Vec<ProductionError>) {
    let doc = match parse(profile_text) {
        Ok(d) => d,
        Err(e) => return (None, vec![e]),
    };
    let (mut raw, mut problems) = match table_values_lenient(&doc, TABLE) {
        Ok(Some(r)) => r,
        Ok(None) => return (None, Vec::new()),
        Err(e) => return (None, vec![e]),
    };
    let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    let unknown: Vec<String> = raw
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .cloned()
        .collect();
    for k in unknown {
        raw.remove(&k);
        problems.push(ProductionError::new(
            &k,
            None,
            "is not a [production] key",
            format!("use one of {}", known.join(", ")),
        ));
    }
    (Some(raw), problems)
}

/// Whether `export helm` reads the Secret from a vault when not told otherwise (`--secrets`):
/// a vault is named in `[production]` or `[secrets]`.
pub fn vault_named(raw: Option<&Raw>, names: &VaultNames) -> bool {
    raw.is_some_and(|r| r.contains_key("vault")) || names.vault.is_some()
}

/// What `export helm` needs from `azure bootstrap --production` before it writes anything:
/// production's own API (audience and scope) and Lakekeeper's own managed identity. Without
/// them the export would hand production the laptop's API app, whose audience every
/// teammate's backend secret can get a token for.
pub fn identity_requirements(prod: &Production) -> Vec<ProductionError> {
    let missing = |key: &str, what: &str| {
        ProductionError::new(
            key,
            None,
            format!("is not set: production needs {what} of its own, not the laptop's"),
            "run `lakekeeper-setup azure bootstrap --production` (it creates them and records their IDs under [production])",
        )
    };
    let mut out = Vec::new();
    if prod.api_client_id.is_none() {
        out.push(missing("api_client_id", "an API app"));
    }
    if prod.api_app_id_uri.is_none() {
        out.push(missing(
            "api_app_id_uri",
            "an API app (its Application ID URI is the audience)",
        ));
    }
    if prod.lakekeeper_identity_client_id.is_none() {
        out.push(missing(
            "lakekeeper_identity_client_id",
            "a managed identity for Lakekeeper's storage access (workload identity, no secret)",
        ));
    }
    out
}

/// The `[production]` keys `export helm` needs from `azure bootstrap --production`.
pub const IDENTITY_KEYS: [&str; 3] = [
    "api_client_id",
    "api_app_id_uri",
    "lakekeeper_identity_client_id",
];

/// Whether a `[production]` table names production's own identities (the export needs them).
pub fn has_identities(raw: &Raw) -> bool {
    IDENTITY_KEYS.iter().all(|k| raw.contains_key(*k))
}

/// `export helm --secrets external-secrets` without a `vault_identity`.
pub fn missing_vault_identity() -> ProductionError {
    ProductionError::new(
        "vault_identity",
        None,
        "is required with --secrets external-secrets (what export helm uses when a vault is named): the operator signs in to the vault as this managed identity (workload identity)",
        "add `vault_identity = \"<client ID>\"` under [production]: a user-assigned managed identity with the role Key Vault Secrets User, federated with the service account export helm writes (or use --secrets kubernetes)",
    )
}

/// `export helm --secrets external-secrets` without the vault secret's name for `key`.
pub fn missing_vault_secret(key: &str) -> ProductionError {
    ProductionError::new(
        key,
        None,
        "names no vault secret, and production reads it from the vault",
        format!("add `{key} = \"<vault secret name>\"` under [secrets]"),
    )
    .in_table("secrets")
}

/// What `export helm` refuses beyond `validate` in the secrets mode it picks by itself: with a
/// vault named, external-secrets mode needs `vault_identity` and the `[secrets]` name of the
/// encryption key (the production role's password is `[production] postgres_password_secret`,
/// which has a default). Nothing without a vault.
pub fn export_requirements(raw: &Raw, names: &VaultNames) -> Vec<ProductionError> {
    if !vault_named(Some(raw), names) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if !raw.contains_key("vault_identity") {
        out.push(missing_vault_identity());
    }
    if names.encryption_key.is_none() {
        out.push(missing_vault_secret("encryption_key"));
    }
    out
}

/// Every problem of the profile's `[production]` table (nothing without the table): unknown
/// keys, values of the wrong type, and what `export helm` would refuse. What `check` reports.
pub fn lint(profile_text: &str) -> Vec<ProductionError> {
    let (raw, mut errors) = read_known(profile_text);
    let Some(raw) = raw else {
        return errors;
    };
    let names = match vault_names(profile_text) {
        Ok(n) => n,
        Err(e) => {
            errors.push(e.in_table("secrets"));
            VaultNames::default()
        }
    };
    match validate(Some(&raw), &names) {
        Ok((prod, _)) => {
            errors.extend(identity_requirements(&prod));
            if let Some(laptop) = profile_api(profile_text) {
                errors.extend(laptops_api(&prod, &laptop));
            }
        }
        Err(more) => {
            // A `[secrets] vault` that is no vault URL at all is `check`'s finding for the vault
            // spec already (a loopback stand-in passes there, and is said here).
            let said_for_the_spec = names
                .vault
                .as_deref()
                .is_some_and(|v| crate::azure::keyvault::VaultUrl::parse(v).is_err());
            errors.extend(
                more.into_iter()
                    .filter(|e| !(said_for_the_spec && e.key == rules::VAULT_FROM_SECRETS)),
            );
        }
    }
    errors.extend(export_requirements(&raw, &names));
    errors
}

/// The profile text with `[production]` keys set to `values`, edited in place (comments,
/// order and the other keys survive); an empty value removes its key. `replicas` is written as
/// a number. The table is created when missing.
pub fn update(existing: Option<&str>, values: &Raw) -> Result<String, ProductionError> {
    use toml_edit::{Item, value};
    let mut doc = parse(existing.unwrap_or(""))?;
    if doc.get(TABLE).is_none() {
        if values.values().all(|v| v.trim().is_empty()) {
            return Ok(doc.to_string());
        }
        doc[TABLE] = toml_edit::table();
    }
    let Some(table) = doc.get_mut(TABLE).and_then(Item::as_table_like_mut) else {
        // Writing around it would lose every answer.
        return Err(not_a_table(TABLE));
    };
    // New keys are added in the documented order (`KEYS`), whatever the map's.
    let ordered = KEYS
        .iter()
        .filter_map(|(k, _)| values.get_key_value(*k))
        .chain(
            values
                .iter()
                .filter(|(k, _)| !KEYS.iter().any(|(known, _)| known == k)),
        );
    for (key, wanted) in ordered {
        let wanted = wanted.trim();
        // `Some(None)`: the key is there with a value of the wrong type, which an answer
        // replaces and an empty answer removes.
        let current = table.get(key).map(value_text);
        match &current {
            None if wanted.is_empty() => continue,
            Some(Some(c)) if c == wanted => continue,
            _ => {}
        }
        if wanted.is_empty() {
            table.remove(key);
            continue;
        }
        let new = match (key.as_str(), wanted.parse::<i64>()) {
            ("replicas", Ok(n)) => value(n),
            _ => value(wanted),
        };
        match table.get_mut(key) {
            // Keep the key's decor (comments, spacing) and replace only the value.
            Some(Item::Value(v)) => {
                let decor = v.decor().clone();
                if let Ok(mut nv) = new.into_value() {
                    *nv.decor_mut() = decor;
                    *v = nv;
                }
            }
            _ => {
                table.insert(key, new);
            }
        }
    }
    Ok(doc.to_string())
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
/// the public base URI, production's database host in `POSTGRES_HOST` and both URLs, and
/// production's own API as the audience (and `<App ID URI>/.default` as the backend's scope),
/// as `export helm` renders them, so a token is judged by the rules production's pods apply.
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
    if let (Some(id), Some(uri)) = (&prod.api_client_id, &prod.api_app_id_uri) {
        out.insert(
            k::AUDIENCE.to_owned(),
            crate::derive::audience_of(uri, id.as_str()),
        );
        out.insert(
            k::OAUTH2_SCOPE.to_owned(),
            format!("{}/.default", uri.trim_end_matches('/')),
        );
    }
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

/// The profile's `[production]` table read and validated as `export helm` does (with the
/// `[secrets]` vault it may fall back on): every problem, or the typed answers.
pub fn load(profile_text: &str) -> Result<Production, Vec<ProductionError>> {
    let raw = read(profile_text).map_err(|e| vec![e])?;
    let names = vault_names(profile_text).map_err(|e| vec![e])?;
    validate(raw.as_ref(), &names).map(|(p, _)| p)
}

/// The laptop's API app as the profile names it (`[lakekeeper_api]`), for `check` to hold
/// `[production]` against; `None` when the profile names no valid client ID.
fn profile_api(profile_text: &str) -> Option<crate::model::ApiApp> {
    use crate::model::FieldId;
    let answers = crate::profile::read(profile_text).ok()?;
    let client_id = answers
        .get(FieldId::ApiClientId)?
        .trim()
        .to_ascii_lowercase();
    if !crate::validate::is_guid(&client_id) {
        return None;
    }
    let app_id_uri = answers
        .get(FieldId::AppIdUri)
        .map_or_else(|| format!("api://{client_id}"), str::to_owned);
    Some(crate::model::ApiApp {
        client_id: ClientId(client_id),
        app_id_uri,
    })
}

/// `[production]`'s API naming the laptop's API app (same client ID or App ID URI): every
/// teammate's backend secret gets a token for that audience, so the export refuses it.
pub fn laptops_api(prod: &Production, laptop: &crate::model::ApiApp) -> Vec<ProductionError> {
    let fix = "run `lakekeeper-setup azure bootstrap --production`: it creates production's own API app and records its IDs under [production]";
    let why = "is the laptop's API app: every teammate's backend secret gets a token for it";
    let mut out = Vec::new();
    if let Some(id) = prod
        .api_client_id
        .as_ref()
        .filter(|id| id.as_str().eq_ignore_ascii_case(laptop.client_id.as_str()))
    {
        out.push(ProductionError::new(
            "api_client_id",
            Some(id.as_str()),
            why,
            fix,
        ));
    }
    if let Some(uri) = prod.api_app_id_uri.as_ref().filter(|u| {
        u.trim_end_matches('/')
            .eq_ignore_ascii_case(laptop.app_id_uri.trim_end_matches('/'))
    }) {
        out.push(ProductionError::new("api_app_id_uri", Some(uri), why, fix));
    }
    out
}

/// "the [production] answers need fixing first: …", every problem on one line: what the Azure
/// commands that read `[production]` stop with.
pub fn needs_fixing(errors: &[ProductionError]) -> String {
    format!(
        "the [production] answers need fixing first: {}",
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    )
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

    fn values(pairs: &[(&str, &str)]) -> Raw {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn update_edits_the_table_in_place_and_keeps_everything_else() {
        let before = "# team\n[entra]\ntenant = \"t\"\n\n[production]\nbase_uri = \"https://old.example.com\"  # public URL\nvault_identity = \"dddddddd-0000-4000-8000-000000000004\"\ningress_host = \"old.example.com\"\n";
        let after = update(
            Some(before),
            &values(&[
                ("base_uri", "https://lakekeeper.example.com"),
                ("replicas", "3"),
                ("ingress_host", ""),
                ("namespace", ""),
            ]),
        )
        .expect("updates");
        assert_eq!(
            after,
            "# team\n[entra]\ntenant = \"t\"\n\n[production]\nbase_uri = \"https://lakekeeper.example.com\"  # public URL\nvault_identity = \"dddddddd-0000-4000-8000-000000000004\"\nreplicas = 3\n"
        );
        // The same values again change nothing.
        let again = update(
            Some(&after),
            &values(&[
                ("base_uri", "https://lakekeeper.example.com"),
                ("replicas", "3"),
            ]),
        )
        .expect("updates");
        assert_eq!(again, after);
        // No table and nothing to write: the text is left as it was.
        assert_eq!(
            update(Some("[entra]\n"), &values(&[("ingress_host", "")])).expect("ok"),
            "[entra]\n"
        );
        assert!(update(Some("[entra\n"), &Raw::new()).is_err());
    }

    #[test]
    fn update_replaces_or_removes_a_wrong_typed_key_and_refuses_a_non_table() {
        let before = "[production]\n# how many\nreplicas = 3.0  # pods\nrelease = true\nnamespace = \"lk\"\n";
        let after = update(
            Some(before),
            &values(&[("replicas", "3"), ("release", ""), ("namespace", "lk")]),
        )
        .expect("updates");
        assert_eq!(
            after,
            "[production]\n# how many\nreplicas = 3  # pods\nnamespace = \"lk\"\n"
        );
        let e = update(
            Some("production = \"x\"\n"),
            &values(&[("base_uri", "https://lk.example.com")]),
        )
        .expect_err("answers would be lost");
        assert_eq!(
            e.to_string(),
            "[production] production: must be a table; fix: write it as [production] with one key per line"
        );
    }

    #[test]
    fn read_known_reads_around_a_wrong_typed_value() {
        let (raw, problems) = read_known(
            "[production]\nbase_uri = \"https://lk.example.com\"\nreplicas = 3.0\nnamespace = \"lk\"\nvault = [\"x\"]\n",
        );
        assert_eq!(
            raw,
            Some(values(&[
                ("base_uri", "https://lk.example.com"),
                ("namespace", "lk")
            ]))
        );
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["replicas", "vault"]);
        assert_eq!(
            problems[0].message,
            "must be a string (or a number for replicas)"
        );
        // The export's strict read still refuses it.
        assert_eq!(
            read("[production]\nreplicas = 3.0\n")
                .expect_err("strict")
                .key,
            "replicas"
        );
    }

    #[test]
    fn lint_says_what_the_export_needs_in_the_mode_it_picks() {
        let keys = |text: &str| -> Vec<String> {
            lint(text)
                .iter()
                .map(|e| format!("{}.{}", e.table, e.key))
                .collect()
        };
        // Without production's own identities, the export refuses and `check` says so.
        assert_eq!(
            keys("[production]\nbase_uri = \"https://lk.example.com\"\n"),
            [
                "production.api_client_id",
                "production.api_app_id_uri",
                "production.lakekeeper_identity_client_id"
            ]
        );
        assert!(
            lint("[production]\nbase_uri = \"https://lk.example.com\"\n")[0]
                .fix
                .contains("lakekeeper-setup azure bootstrap --production")
        );
        let table = "[production]\nbase_uri = \"https://lk.example.com\"\napi_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\n";
        assert_eq!(
            keys(table),
            Vec::<String>::new(),
            "no vault: a Kubernetes Secret"
        );
        assert_eq!(
            keys(&format!(
                "[secrets]\nvault = \"https://team-kv.vault.azure.net\"\npostgres_password = \"pg\"\n\n{table}"
            )),
            ["production.vault_identity", "secrets.encryption_key"]
        );
        assert_eq!(
            keys(&format!(
                "{table}vault = \"https://team-kv.vault.azure.net\"\nvault_identity = \"dddddddd-0000-4000-8000-000000000004\"\n\n[secrets]\npostgres_password = \"pg\"\nencryption_key = \"key\"\n"
            )),
            Vec::<String>::new()
        );
        // A `[secrets] vault` that is no URL is the vault spec's finding, said once; a
        // loopback stand-in (fine for the laptop) is production's.
        let bad = keys(&format!(
            "[secrets]\nvault = \"team-kv\"\npostgres_password = \"pg\"\nencryption_key = \"k\"\n\n{table}vault_identity = \"dddddddd-0000-4000-8000-000000000004\"\n"
        ));
        assert_eq!(bad, Vec::<String>::new());
        let loopback = keys(&format!(
            "[secrets]\nvault = \"http://127.0.0.1:4567/team-kv\"\npostgres_password = \"pg\"\nencryption_key = \"k\"\n\n{table}vault_identity = \"dddddddd-0000-4000-8000-000000000004\"\n"
        ));
        assert_eq!(loopback, ["production.vault (from [secrets])"]);
    }

    #[test]
    fn read_known_keeps_the_known_keys_and_names_every_unknown_one() {
        let (raw, problems) = read_known(
            "[production]\nbase_uri = \"https://lk.example.com\"\nreplica = 3\nhost = \"x\"\n",
        );
        assert_eq!(raw, Some(values(&[("base_uri", "https://lk.example.com")])));
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["host", "replica"]);
        assert_eq!(read_known("[entra]\n"), (None, Vec::new()));
        let (raw, problems) = read_known("production = 1\n");
        assert_eq!(raw, None);
        assert_eq!(problems[0].message, "must be a table");
    }

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

        // With production's own API, the audience and the scope are its, as the pods get them.
        let mut raw = raw;
        raw.insert(
            "api_client_id".into(),
            "eeeeeeee-0000-4000-8000-000000000011".into(),
        );
        raw.insert(
            "api_app_id_uri".into(),
            "api://eeeeeeee-0000-4000-8000-000000000011".into(),
        );
        let (prod, _) = validate(Some(&raw), &VaultNames::default()).expect("valid");
        let out = production_env(&env, &prod);
        assert_eq!(
            out["LAKEKEEPER__OPENID_AUDIENCE"],
            "api://eeeeeeee-0000-4000-8000-000000000011,eeeeeeee-0000-4000-8000-000000000011"
        );
        assert_eq!(
            out["LAKEKEEPER__OAUTH2__SCOPE"],
            "api://eeeeeeee-0000-4000-8000-000000000011/.default"
        );
    }
}
