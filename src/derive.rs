//! Derived values: what `backend/.env` must hold, computed from a `SetupConfig` — never asked.
//!
//! Pure functions; each derived key carries a one-line reason shown on the review screen and in
//! `apply --dry-run`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::keys as k;
use crate::model::SetupConfig;
use crate::secret::Secret;
use crate::validate::base_uri_string;

/// A value to write: plain, or a secret (masked in every output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    Plain(String),
    Secret(Secret),
}

impl EnvValue {
    pub fn raw(&self) -> &str {
        match self {
            EnvValue::Plain(s) => s,
            EnvValue::Secret(s) => s.expose(),
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, EnvValue::Secret(_))
    }

    /// The value as it may be shown: plain values as they are, secrets masked.
    pub fn display(&self) -> String {
        match self {
            EnvValue::Plain(s) => s.clone(),
            EnvValue::Secret(s) if s.expose().starts_with("postgres") => mask_pg_url(s.expose()),
            EnvValue::Secret(s) => s.masked(),
        }
    }
}

/// One key of the intended `.env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub key: &'static str,
    pub value: EnvValue,
    /// Why this value, for computed keys (`None` for values taken as given).
    pub why: Option<&'static str>,
}

/// `<authority>/<tenant>/v2.0`; Lakekeeper appends `/.well-known/openid-configuration` itself.
pub fn provider_uri(cfg: &SetupConfig) -> String {
    format!("{}/{}/v2.0", cfg.authority_host, cfg.tenant.as_str())
}

/// The v1 issuer (`https://sts.windows.net/<tenant GUID>/`, trailing slash included).
pub fn v1_issuer(cfg: &SetupConfig) -> Option<String> {
    cfg.tenant_guid
        .as_ref()
        .map(|g| format!("https://{}/{g}/", cfg.cloud.v1_issuer_host()))
}

/// `<App ID URI>,<client id>`: v1 tokens carry the former, v2 tokens the latter. No spaces,
/// because Lakekeeper splits on `,` without trimming.
pub fn audience(cfg: &SetupConfig) -> String {
    audience_of(&cfg.api.app_id_uri, cfg.api.client_id.as_str())
}

/// `<App ID URI>,<client ID>` of an API app (v1 tokens carry the former, v2 the latter).
pub fn audience_of(app_id_uri: &str, client_id: &str) -> String {
    if app_id_uri == client_id {
        client_id.to_owned()
    } else {
        format!("{app_id_uri},{client_id}")
    }
}

/// `abfss://<container>@<account>.<dfs host>/<key prefix>`: the warehouse's storage, as the
/// review screen, `apply --dry-run` and `warehouse --dry-run` show it.
pub fn warehouse_location(cfg: &SetupConfig) -> String {
    crate::validate::AbfssLocation {
        filesystem: cfg.storage.container.clone(),
        account: cfg.storage.account.clone(),
        host: cfg.cloud.dfs_host().to_owned(),
        cloud: cfg.cloud,
        key_prefix: cfg.storage.key_prefix.clone(),
    }
    .to_uri()
}

pub fn scope(cfg: &SetupConfig) -> String {
    format!("{}/.default", cfg.api.app_id_uri.trim_end_matches('/'))
}

pub fn ui_scope(cfg: &SetupConfig) -> String {
    format!(
        "openid profile {}/lakekeeper",
        cfg.api.app_id_uri.trim_end_matches('/')
    )
}

/// Everything but RFC 3986 unreserved characters is encoded, so `@ : / ? # % $` and spaces in
/// a user or password cannot break the URL.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, URL_COMPONENT).to_string()
}

/// `postgresql://user:password@host:port/db?sslmode=…` with user, password and database
/// percent-encoded.
pub fn pg_url(cfg: &SetupConfig) -> Secret {
    let pg = &cfg.postgres;
    let host = if pg.host.contains(':') {
        format!("[{}]", pg.host)
    } else {
        pg.host.clone()
    };
    let options = pg
        .schema
        .as_deref()
        .map(|s| format!("&{}", crate::searchpath::url_option(s)))
        .unwrap_or_default();
    Secret::new(format!(
        "postgresql://{}:{}@{host}:{}/{}?sslmode={}{options}",
        encode_component(&pg.user),
        encode_component(pg.password.expose()),
        pg.port,
        encode_component(&pg.database),
        pg.sslmode.as_str()
    ))
}

/// A PostgreSQL URL for display: the password replaced by `••••`, the rest as it is (so a
/// reviewer sees host, port, database, user and sslmode).
pub fn mask_pg_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return crate::secret::mask(url);
    };
    let Some(at) = rest.rfind('@') else {
        return url.to_owned();
    };
    let (userinfo, host) = (&rest[..at], &rest[at..]);
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:••••{host}"),
        None => url.to_owned(),
    }
}

/// The intended value of every key the tool writes, in the order new keys are appended.
pub fn env_values(cfg: &SetupConfig) -> Vec<Derived> {
    let plain = |key, v: String, why| Derived {
        key,
        value: EnvValue::Plain(v),
        why,
    };
    let secret = |key, v: &Secret| Derived {
        key,
        value: EnvValue::Secret(v.clone()),
        why: None,
    };
    let mut out = vec![
        plain(k::POSTGRES_HOST, cfg.postgres.host.clone(), None),
        plain(k::POSTGRES_PORT, cfg.postgres.port.to_string(), None),
        plain(k::POSTGRES_DB, cfg.postgres.database.clone(), None),
        plain(k::POSTGRES_USER, cfg.postgres.user.clone(), None),
        secret(k::POSTGRES_PASSWORD, &cfg.postgres.password),
        plain(k::STORAGE_ACCOUNT, cfg.storage.account.clone(), None),
    ];
    if let Some(key) = &cfg.storage.account_key {
        out.push(secret(k::STORAGE_KEY, key));
    }
    out.push(plain(
        k::STORAGE_CONTAINER,
        cfg.storage.container.clone(),
        None,
    ));
    out.push(plain(
        k::WAREHOUSE_LOCATION,
        warehouse_location(cfg),
        Some("where the warehouse keeps its tables: container, account and key prefix in one abfss:// URI (the backend can use it too)"),
    ));
    out.push(plain(
        k::STORAGE_CREDENTIAL,
        cfg.storage.credential.as_str().to_owned(),
        Some("what the warehouse uses to reach storage, so `lakekeeper-setup warehouse` creates it the same way"),
    ));
    if let Some(app) = &cfg.storage.separate_app {
        out.push(plain(
            k::STORAGE_CLIENT_ID,
            app.client_id.as_str().to_owned(),
            None,
        ));
        out.push(secret(k::STORAGE_CLIENT_SECRET, &app.secret));
    }
    out.extend([
        secret(k::ENCRYPTION_KEY, &cfg.encryption_key),
        plain(k::BASE_URI, base_uri_string(&cfg.base_uri), None),
        plain(k::WAREHOUSE_NAME, cfg.warehouse_name.clone(), None),
        plain(
            k::PROVIDER_URI,
            provider_uri(cfg),
            Some("authority + tenant + /v2.0; Lakekeeper adds /.well-known/openid-configuration itself"),
        ),
        plain(
            k::AUDIENCE,
            audience(cfg),
            Some("App ID URI (aud of v1 tokens) and client ID (aud of v2 tokens), comma without spaces"),
        ),
    ]);
    if let Some(iss) = v1_issuer(cfg) {
        out.push(plain(
            k::ADDITIONAL_ISSUERS,
            iss,
            Some("v1 tokens (the portal default) are issued by sts…/<tenant GUID>/, trailing slash included"),
        ));
    }
    out.extend([
        plain(
            k::SUBJECT_CLAIM,
            "oid".into(),
            Some("oid is stable per user across apps"),
        ),
        plain(
            k::OAUTH2_CLIENT_ID,
            cfg.backend.client_id.as_str().to_owned(),
            None,
        ),
        secret(k::OAUTH2_CLIENT_SECRET, &cfg.backend.secret),
        plain(k::OAUTH2_TENANT_ID, cfg.tenant.as_str().to_owned(), None),
        plain(
            k::OAUTH2_SCOPE,
            scope(cfg),
            Some("client credentials ask for <App ID URI>/.default"),
        ),
    ]);
    if let Some(ui) = &cfg.ui_client_id {
        out.push(plain(k::UI_CLIENT_ID, ui.as_str().to_owned(), None));
        out.push(plain(
            k::UI_SCOPE,
            ui_scope(cfg),
            Some("sign-in scopes plus the scope the API app exposes"),
        ));
    }
    let url = pg_url(cfg);
    for key in [k::PG_URL_READ, k::PG_URL_WRITE] {
        out.push(Derived {
            key,
            value: EnvValue::Secret(url.clone()),
            why: Some(
                "built from POSTGRES_*, user and password percent-encoded, sslmode (and Lakekeeper's schema as the search_path option) in the query",
            ),
        });
    }
    out
}

/// Managed keys that must not be in the file for this configuration (removed, not left empty).
pub fn keys_to_remove(cfg: &SetupConfig) -> Vec<&'static str> {
    let written: Vec<&str> = env_values(cfg).iter().map(|d| d.key).collect();
    k::MANAGED
        .iter()
        .copied()
        .filter(|key| !written.contains(key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_urls_are_shown_with_only_the_password_masked() {
        assert_eq!(
            mask_pg_url("postgresql://app%40x:p%40ss@db.example.test:5432/app?sslmode=require"),
            "postgresql://app%40x:••••@db.example.test:5432/app?sslmode=require"
        );
        assert_eq!(mask_pg_url("postgresql://db/app"), "postgresql://db/app");
        assert_eq!(mask_pg_url("not a url but secret-ish"), "••••-ish");
    }

    #[test]
    fn a_password_with_every_url_special_character_is_encoded() {
        assert_eq!(
            encode_component("p@ss:w/rd?#%$ ~._-"),
            "p%40ss%3Aw%2Frd%3F%23%25%24%20~._-"
        );
    }
}
