//! `VerifyConfig` builders for the identity tests: a `backend/.env` as the wizard writes it,
//! pointed at the local OIDC provider and Lakekeeper mock.

use std::collections::BTreeMap;
use std::time::Duration;

use lakekeeper_setup::secret::Secret;
use lakekeeper_setup::verify::{VerifyConfig, WarehouseCredential};

use super::oidc::{API_ID, BACKEND_ID, BACKEND_SECRET, STORAGE_ID, STORAGE_SECRET, TENANT};

pub const WAREHOUSE: &str = "analytics";
pub const ACCOUNT: &str = "fakeacct01";
pub const CONTAINER: &str = "lakehouse";
pub const KEY_PREFIX: &str = "warehouse";
pub const LOCATION: &str = "abfss://lakehouse@fakeacct01.dfs.core.windows.net/warehouse";

/// A complete, correct config: v1 issuer listed, both audience forms, `oid` subject claim.
pub fn config(authority: &str, lakekeeper: &str) -> VerifyConfig {
    let env: BTreeMap<String, String> = [
        (
            "LAKEKEEPER__OPENID_PROVIDER_URI",
            format!("{authority}/{TENANT}/v2.0"),
        ),
        (
            "LAKEKEEPER__OPENID_AUDIENCE",
            format!("api://{API_ID},{API_ID}"),
        ),
        (
            "LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS",
            format!("{authority}/sts/{TENANT}/"),
        ),
        ("LAKEKEEPER__OPENID_SUBJECT_CLAIM", "oid".to_owned()),
        ("LAKEKEEPER__OAUTH2__CLIENT_ID", BACKEND_ID.to_owned()),
        (
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
            BACKEND_SECRET.to_owned(),
        ),
        ("LAKEKEEPER__OAUTH2__TENANT_ID", TENANT.to_owned()),
        (
            "LAKEKEEPER__OAUTH2__SCOPE",
            format!("api://{API_ID}/.default"),
        ),
        ("LAKEKEEPER__BASE_URI", lakekeeper.to_owned()),
        ("LAKEKEEPER__WAREHOUSE_NAME", WAREHOUSE.to_owned()),
        ("AZURE_STORAGE_ACCOUNT_NAME", ACCOUNT.to_owned()),
        ("AZURE_STORAGE_CONTAINER_NAME", CONTAINER.to_owned()),
        ("AZURE_STORAGE_CLIENT_ID", STORAGE_ID.to_owned()),
        ("AZURE_STORAGE_CLIENT_SECRET", STORAGE_SECRET.to_owned()),
        ("POSTGRES_PASSWORD", "fake-pg-password-123456".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    VerifyConfig {
        env,
        process_env: BTreeMap::new(),
        authority_host: authority.to_owned(),
        blob_endpoint: format!("https://{ACCOUNT}.blob.core.windows.net"),
        dfs_endpoint: format!("https://{ACCOUNT}.dfs.core.windows.net"),
        dfs_host: "dfs.core.windows.net".to_owned(),
        storage_scope: "https://storage.azure.com/.default".to_owned(),
        key_prefix: KEY_PREFIX.to_owned(),
        warehouse_credential: WarehouseCredential::ClientCredentials {
            client_id: STORAGE_ID.to_owned(),
            client_secret: Secret::new(STORAGE_SECRET),
            tenant_id: TENANT.to_owned(),
        },
        timeout: Duration::from_secs(5),
        only: None,
        token_source: lakekeeper_setup::verify::TokenSource::ServiceAccount,
    }
}

/// Restricts the run to `names` (as `--only`).
pub fn only(mut cfg: VerifyConfig, names: &[&str]) -> VerifyConfig {
    cfg.only = Some(names.iter().map(|s| (*s).to_owned()).collect());
    cfg
}

pub fn set(cfg: &mut VerifyConfig, key: &str, value: &str) {
    cfg.env.insert(key.to_owned(), value.to_owned());
}

/// A `GET /management/v1/warehouse` body listing `analytics` at `key_prefix`.
pub fn warehouse_list(key_prefix: &str) -> String {
    serde_json::json!({"warehouses": [{
        "id": "0194b3c2-0000-7000-8000-000000000001",
        "warehouse-id": "0194b3c2-0000-7000-8000-000000000001",
        "project-id": "00000000-0000-0000-0000-000000000000",
        "name": WAREHOUSE,
        "protected": false,
        "status": "active",
        "delete-profile": {"type": "hard"},
        "allowed-format-versions": [1, 2],
        "storage-credential-type": {"type": "az", "credential-type": "client-credentials"},
        "storage-profile": {
            "type": "adls", "account-name": ACCOUNT, "filesystem": CONTAINER,
            "key-prefix": key_prefix, "host": "dfs.core.windows.net",
            "authority-host": "https://login.microsoftonline.com",
        },
    }]})
    .to_string()
}
