//! The typed setup model: the questions the tool answers (`FieldId`), the raw answers gathered
//! from the front doors (`Answers`), and the validated configuration (`SetupConfig`).
//!
//! Raw strings become typed values only in `validate`; everything downstream (`derive`, `plan`,
//! `verify`) works on `SetupConfig`, whose newtypes cannot hold an invalid value. This module
//! performs no I/O.

use std::collections::BTreeMap;
use std::fmt;

use crate::secret::Secret;

/// Every question the setup answers, in the order the wizard asks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldId {
    Tenant,
    Cloud,
    AuthorityHost,
    ApiClientId,
    AppIdUri,
    BackendClientId,
    BackendSecret,
    UiClientId,
    PgHost,
    PgPort,
    PgDatabase,
    PgUser,
    PgPassword,
    PgSslMode,
    StorageAccount,
    StorageContainer,
    StorageKeyPrefix,
    StorageAccountKey,
    StorageCredential,
    StorageClientId,
    StorageClientSecret,
    WarehouseName,
    EncryptionKey,
    BaseUri,
    Image,
}

impl FieldId {
    pub const ALL: [FieldId; 25] = [
        FieldId::Tenant,
        FieldId::Cloud,
        FieldId::AuthorityHost,
        FieldId::ApiClientId,
        FieldId::AppIdUri,
        FieldId::BackendClientId,
        FieldId::BackendSecret,
        FieldId::UiClientId,
        FieldId::PgHost,
        FieldId::PgPort,
        FieldId::PgDatabase,
        FieldId::PgUser,
        FieldId::PgPassword,
        FieldId::PgSslMode,
        FieldId::StorageAccount,
        FieldId::StorageContainer,
        FieldId::StorageKeyPrefix,
        FieldId::StorageAccountKey,
        FieldId::StorageCredential,
        FieldId::StorageClientId,
        FieldId::StorageClientSecret,
        FieldId::WarehouseName,
        FieldId::EncryptionKey,
        FieldId::BaseUri,
        FieldId::Image,
    ];

    /// Whether the value is a secret: never printed, never in the profile, never an argument.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            FieldId::BackendSecret
                | FieldId::PgPassword
                | FieldId::StorageAccountKey
                | FieldId::StorageClientSecret
                | FieldId::EncryptionKey
        )
    }

    /// The `.env` key that holds this value directly, if one does.
    pub fn env_key(self) -> Option<&'static str> {
        use crate::keys as k;
        Some(match self {
            FieldId::Tenant => k::OAUTH2_TENANT_ID,
            FieldId::BackendClientId => k::OAUTH2_CLIENT_ID,
            FieldId::BackendSecret => k::OAUTH2_CLIENT_SECRET,
            FieldId::UiClientId => k::UI_CLIENT_ID,
            FieldId::PgHost => k::POSTGRES_HOST,
            FieldId::PgPort => k::POSTGRES_PORT,
            FieldId::PgDatabase => k::POSTGRES_DB,
            FieldId::PgUser => k::POSTGRES_USER,
            FieldId::PgPassword => k::POSTGRES_PASSWORD,
            FieldId::StorageAccount => k::STORAGE_ACCOUNT,
            FieldId::StorageContainer => k::STORAGE_CONTAINER,
            FieldId::StorageAccountKey => k::STORAGE_KEY,
            FieldId::StorageClientId => k::STORAGE_CLIENT_ID,
            FieldId::StorageClientSecret => k::STORAGE_CLIENT_SECRET,
            FieldId::WarehouseName => k::WAREHOUSE_NAME,
            FieldId::EncryptionKey => k::ENCRYPTION_KEY,
            FieldId::BaseUri => k::BASE_URI,
            FieldId::Cloud
            | FieldId::AuthorityHost
            | FieldId::ApiClientId
            | FieldId::AppIdUri
            | FieldId::PgSslMode
            | FieldId::StorageKeyPrefix
            | FieldId::StorageCredential
            | FieldId::Image => return None,
        })
    }

    /// `(table, key)` in `lakekeeper-setup.toml`; `None` for secrets.
    pub fn profile_key(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            FieldId::Tenant => ("entra", "tenant"),
            FieldId::Cloud => ("entra", "cloud"),
            FieldId::AuthorityHost => ("entra", "authority_host"),
            FieldId::ApiClientId => ("lakekeeper_api", "client_id"),
            FieldId::AppIdUri => ("lakekeeper_api", "app_id_uri"),
            FieldId::BackendClientId => ("backend_service", "client_id"),
            FieldId::UiClientId => ("ui", "client_id"),
            FieldId::PgHost => ("postgres", "host"),
            FieldId::PgPort => ("postgres", "port"),
            FieldId::PgDatabase => ("postgres", "database"),
            FieldId::PgUser => ("postgres", "user"),
            FieldId::PgSslMode => ("postgres", "sslmode"),
            FieldId::StorageAccount => ("storage", "account"),
            FieldId::StorageContainer => ("storage", "container"),
            FieldId::StorageKeyPrefix => ("storage", "key_prefix"),
            FieldId::StorageCredential => ("storage", "credential"),
            FieldId::StorageClientId => ("storage", "client_id"),
            FieldId::BaseUri => ("lakekeeper", "base_uri"),
            FieldId::WarehouseName => ("lakekeeper", "warehouse_name"),
            FieldId::Image => ("lakekeeper", "image"),
            FieldId::BackendSecret
            | FieldId::PgPassword
            | FieldId::StorageAccountKey
            | FieldId::StorageClientSecret
            | FieldId::EncryptionKey => return None,
        })
    }

    /// A stable, human-readable name (`entra.tenant`, or the `.env` key for secrets).
    pub fn name(self) -> &'static str {
        match (self.profile_key(), self.env_key()) {
            (Some((table, key)), _) => profile_name(table, key),
            (None, Some(env)) => env,
            (None, None) => "?",
        }
    }
}

/// `table.key` as a static string (the set is closed, so a match keeps it allocation-free).
fn profile_name(table: &str, key: &str) -> &'static str {
    match (table, key) {
        ("entra", "tenant") => "entra.tenant",
        ("entra", "cloud") => "entra.cloud",
        ("entra", "authority_host") => "entra.authority_host",
        ("lakekeeper_api", "client_id") => "lakekeeper_api.client_id",
        ("lakekeeper_api", "app_id_uri") => "lakekeeper_api.app_id_uri",
        ("backend_service", "client_id") => "backend_service.client_id",
        ("ui", "client_id") => "ui.client_id",
        ("postgres", "host") => "postgres.host",
        ("postgres", "port") => "postgres.port",
        ("postgres", "database") => "postgres.database",
        ("postgres", "user") => "postgres.user",
        ("postgres", "sslmode") => "postgres.sslmode",
        ("storage", "account") => "storage.account",
        ("storage", "container") => "storage.container",
        ("storage", "key_prefix") => "storage.key_prefix",
        ("storage", "credential") => "storage.credential",
        ("storage", "client_id") => "storage.client_id",
        ("lakekeeper", "base_uri") => "lakekeeper.base_uri",
        ("lakekeeper", "warehouse_name") => "lakekeeper.warehouse_name",
        ("lakekeeper", "image") => "lakekeeper.image",
        _ => "?",
    }
}

impl fmt::Display for FieldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where an answer came from, for the plan and the wizard's pre-fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Environment,
    Profile,
    EnvFile,
    Wizard,
    Default,
    Generated,
    /// Read from the team's Key Vault (the profile's `[secrets]` table).
    KeyVault,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Environment => "environment",
            Source::Profile => "profile",
            Source::EnvFile => ".env",
            Source::Wizard => "wizard",
            Source::Default => "default",
            Source::Generated => "generated",
            Source::KeyVault => "Key Vault",
        })
    }
}

/// One raw answer. Secrets are held as `Secret` from the moment they are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub value: Secret,
    pub source: Source,
}

/// Raw answers before validation, one per field at most.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    map: BTreeMap<FieldId, Answer>,
    /// The tenant GUID read from an existing v1 issuer, used when the tenant is a domain.
    pub tenant_guid_hint: Option<String>,
}

impl Answers {
    pub fn set(&mut self, field: FieldId, value: impl Into<String>, source: Source) {
        self.map.insert(
            field,
            Answer {
                value: Secret::new(value),
                source,
            },
        );
    }

    pub fn remove(&mut self, field: FieldId) {
        self.map.remove(&field);
    }

    /// The raw value (call `Secret` fields' values only where they must be used).
    pub fn get(&self, field: FieldId) -> Option<&str> {
        self.map.get(&field).map(|a| a.value.expose())
    }

    pub fn answer(&self, field: FieldId) -> Option<&Answer> {
        self.map.get(&field)
    }

    pub fn source(&self, field: FieldId) -> Option<Source> {
        self.map.get(&field).map(|a| a.source)
    }

    /// Fills every field `other` has and `self` lacks (`self` wins).
    pub fn fill_from(&mut self, other: &Answers) {
        for (field, answer) in &other.map {
            self.map.entry(*field).or_insert_with(|| answer.clone());
        }
        if self.tenant_guid_hint.is_none() {
            self.tenant_guid_hint.clone_from(&other.tenant_guid_hint);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (FieldId, &Answer)> {
        self.map.iter().map(|(f, a)| (*f, a))
    }
}

/// Azure cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    #[default]
    Public,
    UsGov,
    China,
}

impl Cloud {
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Public => "public",
            Cloud::UsGov => "usgov",
            Cloud::China => "china",
        }
    }

    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::UsGov => "https://login.microsoftonline.us",
            Cloud::China => "https://login.partner.microsoftonline.cn",
        }
    }

    /// Host of v1 token issuers (`https://<host>/<tid>/`).
    pub fn v1_issuer_host(self) -> &'static str {
        match self {
            Cloud::Public | Cloud::UsGov => "sts.windows.net",
            Cloud::China => "sts.chinacloudapi.cn",
        }
    }

    pub fn dfs_host(self) -> &'static str {
        match self {
            Cloud::Public => "dfs.core.windows.net",
            Cloud::UsGov => "dfs.core.usgovcloudapi.net",
            Cloud::China => "dfs.core.chinacloudapi.cn",
        }
    }

    pub fn blob_host(self) -> &'static str {
        match self {
            Cloud::Public => "blob.core.windows.net",
            Cloud::UsGov => "blob.core.usgovcloudapi.net",
            Cloud::China => "blob.core.chinacloudapi.cn",
        }
    }

    pub fn storage_scope(self) -> &'static str {
        "https://storage.azure.com/.default"
    }

    /// The cloud whose login host this is (also the SDKs' alternative China host).
    pub fn from_authority_host(host: &str) -> Option<Cloud> {
        match host {
            "login.microsoftonline.com" => Some(Cloud::Public),
            "login.microsoftonline.us" => Some(Cloud::UsGov),
            "login.partner.microsoftonline.cn" | "login.chinacloudapi.cn" => Some(Cloud::China),
            _ => None,
        }
    }

    pub fn from_dfs_host(host: &str) -> Option<Cloud> {
        [Cloud::Public, Cloud::UsGov, Cloud::China]
            .into_iter()
            .find(|c| c.dfs_host() == host)
    }
}

/// A directory (tenant): its GUID, or a verified domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantId {
    Guid(String),
    Domain(String),
}

impl TenantId {
    pub fn as_str(&self) -> &str {
        match self {
            TenantId::Guid(s) | TenantId::Domain(s) => s,
        }
    }

    pub fn guid(&self) -> Option<&str> {
        match self {
            TenantId::Guid(g) => Some(g),
            TenantId::Domain(_) => None,
        }
    }
}

/// An application (client) ID: a lowercase GUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(pub(crate) String);

impl ClientId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// libpq `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub const NAMES: [&'static str; 6] = [
        "disable",
        "allow",
        "prefer",
        "require",
        "verify-ca",
        "verify-full",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    pub fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// What the warehouse uses to reach storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorageCredentialKind {
    ClientCredentials,
    SharedKey,
}

impl StorageCredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageCredentialKind::ClientCredentials => "client-credentials",
            StorageCredentialKind::SharedKey => "shared-key",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiApp {
    pub client_id: ClientId,
    /// `api://<client id>` by default; no trailing `/.default`.
    pub app_id_uri: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub client_id: ClientId,
    pub secret: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresConfig {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: Secret,
    pub sslmode: SslMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    pub account: String,
    pub container: String,
    /// Slashes trimmed at both ends; may be empty.
    pub key_prefix: String,
    pub account_key: Option<Secret>,
    pub credential: StorageCredentialKind,
    /// A warehouse app other than the backend service account, with its secret.
    pub separate_app: Option<ServiceAccount>,
}

/// A validated setup: every value Lakekeeper and Entra will accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupConfig {
    pub tenant: TenantId,
    /// The tenant's GUID when known (given as one, or read from an existing v1 issuer).
    pub tenant_guid: Option<String>,
    pub cloud: Cloud,
    /// Login host, no trailing slash (the cloud's, or a validated override).
    pub authority_host: String,
    pub api: ApiApp,
    pub backend: ServiceAccount,
    pub ui_client_id: Option<ClientId>,
    pub postgres: PostgresConfig,
    pub storage: StorageConfig,
    pub encryption_key: Secret,
    pub base_uri: url::Url,
    pub warehouse_name: String,
    pub image: String,
}

impl SetupConfig {
    /// The host port Lakekeeper is published on (the base URI's port).
    pub fn host_port(&self) -> u16 {
        self.base_uri.port_or_known_default().unwrap_or(8181)
    }
}
