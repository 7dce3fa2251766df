//! The `.env` keys the tool manages or inspects, in one place.

pub const POSTGRES_HOST: &str = "POSTGRES_HOST";
pub const POSTGRES_PORT: &str = "POSTGRES_PORT";
pub const POSTGRES_DB: &str = "POSTGRES_DB";
pub const POSTGRES_USER: &str = "POSTGRES_USER";
pub const POSTGRES_PASSWORD: &str = "POSTGRES_PASSWORD";
pub const STORAGE_ACCOUNT: &str = "AZURE_STORAGE_ACCOUNT_NAME";
pub const STORAGE_KEY: &str = "AZURE_STORAGE_ACCOUNT_KEY";
pub const STORAGE_CONTAINER: &str = "AZURE_STORAGE_CONTAINER_NAME";
pub const STORAGE_CLIENT_ID: &str = "AZURE_STORAGE_CLIENT_ID";
pub const STORAGE_CLIENT_SECRET: &str = "AZURE_STORAGE_CLIENT_SECRET";
pub const ENCRYPTION_KEY: &str = "LAKEKEEPER__PG_ENCRYPTION_KEY";
pub const BASE_URI: &str = "LAKEKEEPER__BASE_URI";
pub const WAREHOUSE_NAME: &str = "LAKEKEEPER__WAREHOUSE_NAME";
pub const PROVIDER_URI: &str = "LAKEKEEPER__OPENID_PROVIDER_URI";
pub const AUDIENCE: &str = "LAKEKEEPER__OPENID_AUDIENCE";
pub const ADDITIONAL_ISSUERS: &str = "LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS";
pub const SUBJECT_CLAIM: &str = "LAKEKEEPER__OPENID_SUBJECT_CLAIM";
pub const OPENID_SCOPE: &str = "LAKEKEEPER__OPENID_SCOPE";
pub const OAUTH2_CLIENT_ID: &str = "LAKEKEEPER__OAUTH2__CLIENT_ID";
pub const OAUTH2_CLIENT_SECRET: &str = "LAKEKEEPER__OAUTH2__CLIENT_SECRET";
pub const OAUTH2_TENANT_ID: &str = "LAKEKEEPER__OAUTH2__TENANT_ID";
pub const OAUTH2_SCOPE: &str = "LAKEKEEPER__OAUTH2__SCOPE";
pub const UI_CLIENT_ID: &str = "LAKEKEEPER__UI__OPENID_CLIENT_ID";
pub const UI_SCOPE: &str = "LAKEKEEPER__UI__OPENID_SCOPE";
pub const PG_URL_READ: &str = "LAKEKEEPER__PG_DATABASE_URL_READ";
pub const PG_URL_WRITE: &str = "LAKEKEEPER__PG_DATABASE_URL_WRITE";
/// The full `abfss://` warehouse location (account, container and key prefix), for the tool
/// and the backend. Not a name Lakekeeper reads: it reads only `LAKEKEEPER__*` and
/// `ICEBERG_REST__*` (v0.13.3, `crates/lakekeeper/src/config.rs`), and this has one underscore.
pub const WAREHOUSE_LOCATION: &str = "LAKEKEEPER_WAREHOUSE_LOCATION";
/// What the warehouse uses to reach storage: `client-credentials` or `shared-key`.
pub const STORAGE_CREDENTIAL: &str = "LAKEKEEPER_STORAGE_CREDENTIAL";
pub const AUTHZ_BACKEND: &str = "LAKEKEEPER__AUTHZ_BACKEND";
pub const SECRET_BACKEND: &str = "LAKEKEEPER__SECRET_BACKEND";

/// Every key the tool may write or remove. Any other key belongs to the user.
pub const MANAGED: [&str; 28] = [
    POSTGRES_HOST,
    POSTGRES_PORT,
    POSTGRES_DB,
    POSTGRES_USER,
    POSTGRES_PASSWORD,
    STORAGE_ACCOUNT,
    STORAGE_KEY,
    STORAGE_CONTAINER,
    STORAGE_CLIENT_ID,
    STORAGE_CLIENT_SECRET,
    WAREHOUSE_LOCATION,
    STORAGE_CREDENTIAL,
    ENCRYPTION_KEY,
    BASE_URI,
    WAREHOUSE_NAME,
    PROVIDER_URI,
    AUDIENCE,
    ADDITIONAL_ISSUERS,
    SUBJECT_CLAIM,
    OPENID_SCOPE,
    OAUTH2_CLIENT_ID,
    OAUTH2_CLIENT_SECRET,
    OAUTH2_TENANT_ID,
    OAUTH2_SCOPE,
    UI_CLIENT_ID,
    UI_SCOPE,
    PG_URL_READ,
    PG_URL_WRITE,
];

/// Keys whose values are secrets (masked in every output).
pub fn is_secret_key(key: &str) -> bool {
    matches!(
        key,
        POSTGRES_PASSWORD
            | STORAGE_KEY
            | STORAGE_CLIENT_SECRET
            | ENCRYPTION_KEY
            | OAUTH2_CLIENT_SECRET
            | PG_URL_READ
            | PG_URL_WRITE
    ) || looks_secret(key)
}

/// Heuristic for keys the tool does not know: anything named like a credential.
pub fn looks_secret(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    ["SECRET", "PASSWORD", "PASSWD", "TOKEN", "CONNECTION_STRING"]
        .iter()
        .any(|w| upper.contains(w))
        || (upper.ends_with("KEY") && !upper.ends_with("_PREFIX"))
        || upper.contains("_KEY_")
}

pub fn is_managed(key: &str) -> bool {
    MANAGED.contains(&key)
}
