//! `lakekeeper-setup warehouse` (and `verify --create-warehouse`): bootstrap Lakekeeper if
//! needed, then create the ADLS warehouse from the config, idempotently.
//!
//! Idempotent means: an existing warehouse of the same name at the same location is success;
//! at another location it is an error (a warehouse's filesystem, key prefix and host cannot
//! change). An existing warehouse's storage credential follows the configuration: Lakekeeper
//! (v0.13.3) shows only its kind (`storage-credential-type`), never its client ID or secret, so
//! the configured one is sent again with `POST /management/v1/warehouse/{id}/storage-credential`
//! (Lakekeeper tests it against the storage account before it keeps it, and keeps the old one
//! when the test fails) — when [`Resend`] says so. A secret the whole team holds (a vault's, a
//! shared key, production's managed identity) is sent every time, so after a rotation or a
//! teammate's fix the warehouse signs with the current one. Without a team vault each teammate
//! may hold a client secret of their own: theirs is sent only when the stored kind differs or
//! they ask (`warehouse --update-credential`), so one teammate's `warehouse` does not silently
//! tie the shared warehouse to their personal secret. The storage secret goes only in the bodies
//! sent to `LAKEKEEPER__BASE_URI`; a dry run sends nothing but reads (the token, the warehouse
//! list) and shows the body it would send with every secret masked.

use serde_json::{Value, json};

use super::entra::{self, SERVICE_ACCOUNT_FIELDS, Token};
use super::http::{self, HttpError};
use super::lakekeeper::{base_uri, deadline, endpoint, error_text, error_type, list_warehouses};
use super::{VerifyConfig, WarehouseCredential};
use crate::keys;
use crate::secret::Secret;

/// A warehouse as listed by the management API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warehouse {
    pub name: String,
    /// `warehouse-id` (the deprecated `id` when absent).
    pub id: Option<String>,
    /// `abfss://…` for ADLS profiles; `None` for other storage.
    pub location: Option<String>,
    /// `storage-credential-type.credential-type` (`client-credentials`, `shared-access-key`…):
    /// all Lakekeeper shows of the stored credential, best effort (absent when none is stored or
    /// its secret store could not be read).
    pub credential_kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarehouseOutcome {
    /// `--dry-run`: the create request's body, pretty JSON, secrets masked. Nothing was sent.
    DryRun { body: String },
    /// `--dry-run` for a warehouse that exists: the storage-credential update it would send.
    DryRunUpdate {
        name: String,
        location: String,
        /// The kind Lakekeeper shows for the stored credential.
        stored: Option<String>,
        /// `POST /management/v1/warehouse/{id}/storage-credential`'s body, secrets masked.
        body: String,
    },
    Created {
        name: String,
        location: String,
        bootstrapped_now: bool,
    },
    /// Same name, same location; the configured storage credential was sent (Lakekeeper tested
    /// it and keeps it).
    CredentialUpdated {
        name: String,
        location: String,
        /// The kind stored before.
        was: Option<String>,
        /// The kind sent.
        now: String,
        bootstrapped_now: bool,
    },
    /// Same name, same location, a stored credential of the configured kind, left as it is
    /// ([`Resend::WhenKindDiffers`]); with `--dry-run`, what would happen.
    Kept {
        name: String,
        location: String,
        /// The kind Lakekeeper shows (the configured one).
        kind: String,
        bootstrapped_now: bool,
    },
}

/// When an existing warehouse (same name, same location) is sent the configured credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Every time: the credential is one the team shares (a vault's secret, a shared key,
    /// Lakekeeper's managed identity), or the user asked (`--update-credential`).
    Always,
    /// Only when Lakekeeper shows another kind, or none: the configured client secret may be one
    /// teammate's own, and the warehouse is the team's.
    WhenKindDiffers,
}

/// [`Resend`] for a laptop's configuration: `team_holds` when the profile keeps the warehouse's
/// client secret in the team's vault (everyone's `.env` holds that one value), `asked` for
/// `--update-credential`. A shared key is the storage account's, never one person's.
pub fn resend(cfg: &VerifyConfig, team_holds: bool, asked: bool) -> Resend {
    match cfg.warehouse_credential {
        WarehouseCredential::SharedKey => Resend::Always,
        WarehouseCredential::ClientCredentials { .. } if team_holds || asked => Resend::Always,
        WarehouseCredential::ClientCredentials { .. } => Resend::WhenKindDiffers,
    }
}

/// The storage credential that uses Lakekeeper's own managed identity (workload identity on
/// AKS): no secret. Lakekeeper v0.13.3 accepts it only with
/// `LAKEKEEPER__ENABLE_AZURE_SYSTEM_CREDENTIALS=true` (`AzCredential::AzureSystemIdentity`).
pub fn system_identity_credential() -> Value {
    json!({"type": "az", "credential-type": "azure-system-identity"})
}

/// What an update of the stored credential found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialUpdate {
    Updated {
        name: String,
        was: Option<String>,
    },
    /// No warehouse of that name yet (`warehouse` creates it with the configured credential).
    NoWarehouse {
        name: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("missing in backend/.env: {}", .0.join(", "))]
    Missing(Vec<&'static str>),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("no service-account token: {summary}{}", fix.as_ref().map(|f| format!(" (fix: {f})")).unwrap_or_default())]
    Token {
        summary: String,
        fix: Option<String>,
    },
    #[error(
        "Lakekeeper rejected the service-account token (401); run `lakekeeper-setup verify --only token-claims` to see why"
    )]
    Unauthorized,
    #[error("bootstrap failed: {0}")]
    Bootstrap(String),
    #[error(
        "warehouse `{name}` already exists at {existing}, not at {wanted}; its location cannot change: choose another {key} or restore the storage settings",
        key = keys::WAREHOUSE_NAME
    )]
    LocationMismatch {
        name: String,
        existing: String,
        wanted: String,
    },
    #[error("Lakekeeper refused to create the warehouse: {0}")]
    Rejected(String),
    #[error(
        "Lakekeeper refused the storage credential for warehouse `{name}` (it tests a new one against the storage account before keeping it): {text}; the warehouse keeps the one it had"
    )]
    CredentialRejected { name: String, text: String },
    #[error(
        "Lakekeeper rejected your token (401): sign in to the Azure CLI as someone who holds production's app role; run `lakekeeper-setup verify --production --only token-claims` to see the rules"
    )]
    UserUnauthorized,
}

/// `abfss://<filesystem>@<account>.<host>/<key-prefix>` of an ADLS storage profile.
pub fn location_of(profile: &Value) -> Option<String> {
    if profile.get("type")?.as_str()? != "adls" {
        return None;
    }
    let s = |k: &str| profile.get(k).and_then(Value::as_str).unwrap_or("");
    let host = Some(s("host"))
        .filter(|h| !h.is_empty())
        .unwrap_or("dfs.core.windows.net");
    Some(location(
        s("filesystem"),
        s("account-name"),
        host,
        s("key-prefix"),
    ))
}

fn location(filesystem: &str, account: &str, host: &str, prefix: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        format!("abfss://{filesystem}@{account}.{host}")
    } else {
        format!("abfss://{filesystem}@{account}.{host}/{prefix}")
    }
}

/// The location the config describes, when account and container are set.
pub fn expected_location(cfg: &VerifyConfig) -> Option<String> {
    let account = cfg
        .env
        .get(keys::STORAGE_ACCOUNT)
        .filter(|v| !v.is_empty())?;
    let container = cfg
        .env
        .get(keys::STORAGE_CONTAINER)
        .filter(|v| !v.is_empty())?;
    Some(location(container, account, &cfg.dfs_host, &cfg.key_prefix))
}

/// The configured credential's kind, as Lakekeeper names it.
pub fn configured_kind(cfg: &VerifyConfig) -> &'static str {
    match cfg.warehouse_credential {
        WarehouseCredential::ClientCredentials { .. } => "client-credentials",
        WarehouseCredential::SharedKey => "shared-access-key",
    }
}

/// The configured storage credential (`StorageCredential`, type `az`), and the keys it lacks.
/// `reveal` false masks every secret.
fn credential(cfg: &VerifyConfig, reveal: bool) -> (Value, Vec<&'static str>) {
    let get = |k: &'static str| cfg.env.get(k).filter(|v| !v.is_empty());
    let mut missing = Vec::new();
    let show = |s: &Secret| {
        if reveal {
            s.expose().to_owned()
        } else {
            s.masked()
        }
    };
    let credential = match &cfg.warehouse_credential {
        WarehouseCredential::ClientCredentials {
            client_id,
            client_secret,
            tenant_id,
        } => json!({
            "type": "az", "credential-type": "client-credentials",
            "client-id": client_id, "client-secret": show(client_secret), "tenant-id": tenant_id,
        }),
        WarehouseCredential::SharedKey => {
            let key = Secret::new(get(keys::STORAGE_KEY).cloned().unwrap_or_default());
            if key.is_empty() {
                missing.push(keys::STORAGE_KEY);
            }
            json!({"type": "az", "credential-type": "shared-access-key", "key": show(&key)})
        }
    };
    (credential, missing)
}

/// The storage-credential update's body (`UpdateWarehouseCredentialRequest`).
pub fn credential_body(cfg: &VerifyConfig, reveal: bool) -> Result<Value, WarehouseError> {
    let (credential, missing) = credential(cfg, reveal);
    if !missing.is_empty() {
        return Err(WarehouseError::Missing(missing));
    }
    Ok(json!({"new-storage-credential": credential}))
}

/// The create-warehouse body (reference §5). `reveal` false masks every secret.
pub fn request_body(cfg: &VerifyConfig, reveal: bool) -> Result<Value, WarehouseError> {
    let (credential, lacking) = credential(cfg, reveal);
    with_credential(cfg, credential, lacking)
}

/// The create-warehouse body with Lakekeeper's managed identity as the storage credential
/// (`warehouse --production`): nothing secret in it.
pub fn system_identity_body(cfg: &VerifyConfig) -> Result<Value, WarehouseError> {
    with_credential(cfg, system_identity_credential(), Vec::new())
}

/// The create body around `credential`; every missing key (the location's, and `lacking`, the
/// credential's) named at once.
fn with_credential(
    cfg: &VerifyConfig,
    credential: Value,
    lacking: Vec<&'static str>,
) -> Result<Value, WarehouseError> {
    let get = |k: &'static str| cfg.env.get(k).filter(|v| !v.is_empty());
    let mut missing: Vec<&'static str> = [
        keys::WAREHOUSE_NAME,
        keys::STORAGE_ACCOUNT,
        keys::STORAGE_CONTAINER,
    ]
    .into_iter()
    .filter(|k| get(k).is_none())
    .collect();
    missing.extend(lacking);
    if !missing.is_empty() {
        return Err(WarehouseError::Missing(missing));
    }
    let text = |k: &'static str| get(k).cloned().unwrap_or_default();
    let mut profile = json!({
        "type": "adls",
        "account-name": text(keys::STORAGE_ACCOUNT),
        "filesystem": text(keys::STORAGE_CONTAINER),
        "host": cfg.dfs_host,
        "authority-host": cfg.authority_host,
    });
    let prefix = cfg.key_prefix.trim_matches('/');
    if !prefix.is_empty() {
        profile["key-prefix"] = json!(prefix);
    }
    let mut body =
        json!({"warehouse-name": text(keys::WAREHOUSE_NAME), "storage-profile": profile});
    body["storage-credential"] = credential;
    Ok(body)
}

/// Bootstraps (if needed) and creates the warehouse, or sends the configured storage credential
/// to the one that exists. See the module doc for idempotency.
pub async fn create_warehouse(
    cfg: &VerifyConfig,
    dry_run: bool,
    resend: Resend,
) -> Result<WarehouseOutcome, WarehouseError> {
    if dry_run {
        // Missing settings are named before anything is read.
        request_body(cfg, false)?;
        return Ok(dry(cfg, resend).await);
    }
    let body = request_body(cfg, true)?;
    let client = http::client(cfg.timeout)?;
    let token = service_token(cfg, &client).await?;
    create_as(cfg, &client, &body, &token, resend).await
}

/// `warehouse --production`: the same steps as the person signed in to the Azure CLI
/// (`token`, for the production API's scope), with Lakekeeper's managed identity as the
/// storage credential; an existing warehouse at the same location gets that credential.
pub async fn create_production_warehouse(
    cfg: &VerifyConfig,
    token: &Token,
) -> Result<WarehouseOutcome, WarehouseError> {
    let body = system_identity_body(cfg)?;
    let client = http::client(cfg.timeout)?;
    match create_as(cfg, &client, &body, token, Resend::Always).await {
        Err(WarehouseError::Unauthorized) => Err(WarehouseError::UserUnauthorized),
        other => other,
    }
}

/// Bootstraps (if needed) as `token`'s holder, then creates the warehouse `body` describes, or
/// gives the one that exists at the same location `body`'s storage credential (as `resend` says).
async fn create_as(
    cfg: &VerifyConfig,
    client: &reqwest::Client,
    body: &Value,
    token: &Token,
    resend: Resend,
) -> Result<WarehouseOutcome, WarehouseError> {
    let name = body["warehouse-name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let wanted = location_of(&body["storage-profile"]).unwrap_or_default();
    let credential = &body["storage-credential"];
    let base = base_uri(cfg)?;
    let bootstrapped_now = bootstrap(client, &base, token, cfg).await?;

    let existing = |list: Vec<Warehouse>| list.into_iter().find(|w| w.name == name);
    let listed = existing(
        list_warehouses(client, &base, token, deadline(cfg))
            .await
            .map_err(WarehouseError::Rejected)?,
    );
    let now = credential["credential-type"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let follow = |w: Warehouse, wanted: String| async {
        let location = same_location(&w, wanted)?;
        if keeps(resend, &w, &now) {
            return Ok(WarehouseOutcome::Kept {
                name: w.name,
                location,
                kind: now,
                bootstrapped_now,
            });
        }
        send_credential(cfg, client, &base, token, &w, credential).await?;
        Ok(WarehouseOutcome::CredentialUpdated {
            name: w.name,
            location,
            was: w.credential_kind,
            now,
            bootstrapped_now,
        })
    };
    if let Some(w) = listed {
        return follow(w, wanted).await;
    }
    let url = endpoint(&base, "management/v1/warehouse")?;
    let request = client
        .post(url.clone())
        .bearer_auth(token.access_token.expose())
        .json(body);
    let answer = http::send(request, &url, deadline(cfg)).await?;
    match answer.status {
        200 | 201 => Ok(WarehouseOutcome::Created {
            name,
            location: wanted,
            bootstrapped_now,
        }),
        401 => Err(WarehouseError::Unauthorized),
        409 => {
            // Created concurrently since we listed: judge it like one we found.
            let list = list_warehouses(client, &base, token, deadline(cfg))
                .await
                .map_err(WarehouseError::Rejected)?;
            match existing(list) {
                Some(w) => follow(w, wanted).await,
                None => Err(WarehouseError::Rejected(error_text(&answer))),
            }
        }
        _ => Err(WarehouseError::Rejected(error_text(&answer))),
    }
}

/// `POST /management/v1/warehouse/{id}/storage-credential` with `credential`: only the
/// credential changes (Lakekeeper tests it against storage before keeping it).
async fn send_credential(
    cfg: &VerifyConfig,
    client: &reqwest::Client,
    base: &url::Url,
    token: &Token,
    w: &Warehouse,
    credential: &Value,
) -> Result<(), WarehouseError> {
    let body = json!({"new-storage-credential": credential});
    let Some(id) = w.id.as_deref().filter(|id| is_uuid(id)) else {
        return Err(WarehouseError::Rejected(format!(
            "the warehouse list gave `{}` no warehouse-id",
            w.name
        )));
    };
    let url = endpoint(
        base,
        &format!("management/v1/warehouse/{id}/storage-credential"),
    )?;
    let request = client
        .post(url.clone())
        .bearer_auth(token.access_token.expose())
        .json(&body);
    let answer = http::send(request, &url, deadline(cfg)).await?;
    match answer.status {
        200 | 204 => Ok(()),
        401 => Err(WarehouseError::Unauthorized),
        _ => Err(WarehouseError::CredentialRejected {
            name: w.name.clone(),
            text: error_text(&answer),
        }),
    }
}

/// Whether `w`'s stored credential is left as it is: [`Resend::WhenKindDiffers`] and Lakekeeper
/// shows the configured kind `now`.
fn keeps(resend: Resend, w: &Warehouse, now: &str) -> bool {
    resend == Resend::WhenKindDiffers && w.credential_kind.as_deref() == Some(now)
}

fn is_uuid(id: &str) -> bool {
    crate::validate::is_guid(&id.to_ascii_lowercase())
}

/// Sends the configured storage credential to the configured warehouse, if it exists (no
/// bootstrap, no create): what `azure rotate-secret` does once the new secret works.
pub async fn update_credential(cfg: &VerifyConfig) -> Result<CredentialUpdate, WarehouseError> {
    let name = cfg
        .env
        .get(keys::WAREHOUSE_NAME)
        .filter(|v| !v.is_empty())
        .cloned()
        .ok_or(WarehouseError::Missing(vec![keys::WAREHOUSE_NAME]))?;
    let client = http::client(cfg.timeout)?;
    let base = base_uri(cfg)?;
    let token = service_token(cfg, &client).await?;
    let list = list_warehouses(&client, &base, &token, deadline(cfg))
        .await
        .map_err(WarehouseError::Rejected)?;
    let Some(w) = list.into_iter().find(|w| w.name == name) else {
        return Ok(CredentialUpdate::NoWarehouse { name });
    };
    let body = credential_body(cfg, true)?;
    send_credential(
        cfg,
        &client,
        &base,
        &token,
        &w,
        &body["new-storage-credential"],
    )
    .await?;
    Ok(CredentialUpdate::Updated {
        name,
        was: w.credential_kind,
    })
}

/// `--dry-run`: with a token and a reachable Lakekeeper, the warehouse is looked up and the
/// update it would get is shown; otherwise (or when it does not exist) the create body.
async fn dry(cfg: &VerifyConfig, resend: Resend) -> WarehouseOutcome {
    let create = || {
        request_body(cfg, false).map(|body| WarehouseOutcome::DryRun {
            body: serde_json::to_string_pretty(&body).unwrap_or_default(),
        })
    };
    let name = cfg
        .env
        .get(keys::WAREHOUSE_NAME)
        .cloned()
        .unwrap_or_default();
    let found = async {
        let client = http::client(cfg.timeout).ok()?;
        let base = base_uri(cfg).ok()?;
        let token = service_token(cfg, &client).await.ok()?;
        let list = list_warehouses(&client, &base, &token, deadline(cfg))
            .await
            .ok()?;
        list.into_iter().find(|w| w.name == name)
    }
    .await;
    let body = credential_body(cfg, false);
    let kind = configured_kind(cfg);
    match (found, body) {
        (Some(w), Ok(_))
            if keeps(resend, &w, kind)
                && w.location.is_some()
                && w.location == expected_location(cfg) =>
        {
            WarehouseOutcome::Kept {
                location: w.location.clone().unwrap_or_default(),
                name: w.name,
                kind: kind.to_owned(),
                bootstrapped_now: false,
            }
        }
        (Some(w), Ok(body)) => WarehouseOutcome::DryRunUpdate {
            location: w.location.clone().unwrap_or_else(|| "(not ADLS)".into()),
            name: w.name,
            stored: w.credential_kind,
            body: serde_json::to_string_pretty(&body).unwrap_or_default(),
        },
        _ => create().unwrap_or_else(|e| WarehouseOutcome::DryRun {
            body: e.to_string(),
        }),
    }
}

fn same_location(w: &Warehouse, wanted: String) -> Result<String, WarehouseError> {
    let existing = w.location.clone().unwrap_or_else(|| "(not ADLS)".into());
    if existing == wanted {
        Ok(existing)
    } else {
        Err(WarehouseError::LocationMismatch {
            name: w.name.clone(),
            existing,
            wanted,
        })
    }
}

async fn service_token(
    cfg: &VerifyConfig,
    client: &reqwest::Client,
) -> Result<Token, WarehouseError> {
    let f = &SERVICE_ACCOUNT_FIELDS;
    let get = |k: &'static str| cfg.env.get(k).map(String::as_str).unwrap_or_default();
    let missing: Vec<&'static str> = [f.client_id, f.secret, f.tenant, keys::OAUTH2_SCOPE]
        .into_iter()
        .filter(|k| get(k).is_empty())
        .collect();
    if !missing.is_empty() {
        return Err(WarehouseError::Missing(missing));
    }
    let secret = Secret::new(get(f.secret));
    entra::token_before(
        client,
        &cfg.authority_host,
        get(f.tenant),
        get(f.client_id),
        &secret,
        get(keys::OAUTH2_SCOPE),
        deadline(cfg),
    )
    .await
    .map_err(|e| {
        let ex = entra::explain(&e, f);
        WarehouseError::Token {
            summary: ex.summary,
            fix: ex.fix,
        }
    })
}

/// `POST /management/v1/bootstrap`. Ok(true) when this call bootstrapped, Ok(false) when it
/// already was (`CatalogAlreadyBootstrapped`).
async fn bootstrap(
    client: &reqwest::Client,
    base: &url::Url,
    token: &Token,
    cfg: &VerifyConfig,
) -> Result<bool, WarehouseError> {
    let url = endpoint(base, "management/v1/bootstrap")?;
    let body = json!({"accept-terms-of-use": true, "is-operator": true});
    let answer = http::send(
        client
            .post(url.clone())
            .bearer_auth(token.access_token.expose())
            .json(&body),
        &url,
        deadline(cfg),
    )
    .await?;
    match answer.status {
        200 | 204 => Ok(true),
        401 => Err(WarehouseError::Unauthorized),
        400 if error_type(&answer).as_deref() == Some("CatalogAlreadyBootstrapped") => Ok(false),
        _ => Err(WarehouseError::Bootstrap(error_text(&answer))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_from_profile() {
        let p = json!({"type": "adls", "account-name": "acct", "filesystem": "fs", "key-prefix": "/wh/", "host": "dfs.core.usgovcloudapi.net"});
        assert_eq!(
            location_of(&p).as_deref(),
            Some("abfss://fs@acct.dfs.core.usgovcloudapi.net/wh")
        );
        assert_eq!(location_of(&json!({"type": "s3"})), None);
        let no_prefix = json!({"type": "adls", "account-name": "acct", "filesystem": "fs"});
        assert_eq!(
            location_of(&no_prefix).as_deref(),
            Some("abfss://fs@acct.dfs.core.windows.net")
        );
    }
}
