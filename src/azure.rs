//! Azure assist: values picked from the user's Azure login (Azure CLI tokens, Microsoft Graph,
//! ARM) and secrets read from the team's Key Vault.
//!
//! A [`Session`] is the signed-in Azure CLI plus the active cloud's [`AzureEndpoints`]; every
//! client (`arm`, `graph`, `keyvault`) takes one, and no base URL is written anywhere else.
//! [`list`] turns a [`ListKind`] into the picker's rows. Without `az`, or with nobody signed in,
//! [`Session::from_az`] fails with [`ListError::AssistOff`] and a one-line how-to; nothing else
//! in the tool depends on the assist.

pub mod appid;
pub mod arm;
pub mod az;
pub mod bootstrap;
pub mod change;
pub mod consent;
pub mod endpoints;
pub mod extensions;
pub mod graph;
pub mod keyvault;
mod list;
pub mod pick;
pub mod publish;
pub mod rest;
pub mod roles;
pub mod rotate;
pub mod secrets;
pub mod tenant;

use std::time::Duration;

pub use endpoints::AzureEndpoints;
pub use list::{Hints, list, list_with};
pub use pick::{Choice, ListError, ListKind};

use az::{Account, Az, AzError};
use rest::RestError;

use crate::secret::Secret;

/// What a client call can fail with: `az` (no token), or the service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Az(#[from] AzError),
    #[error(transparent)]
    Rest(#[from] RestError),
}

/// The signed-in Azure CLI, the active cloud's endpoints and one HTTP client. Cheap to clone
/// (clones share the token cache).
#[derive(Debug, Clone)]
pub struct Session {
    pub az: Az,
    pub endpoints: AzureEndpoints,
    /// Who is signed in (`az account show`).
    pub account: Account,
    http: reqwest::Client,
    /// Each HTTP request's timeout.
    timeout: Duration,
}

impl Session {
    /// Finds `az` on `PATH`, checks someone is signed in (`az account show`) and reads the
    /// active cloud (`az cloud show`), both at once. `tenant` (the team's, when known) goes to
    /// every token request as `--tenant`. Takes as long as `az` does (often 10 s+): call it off
    /// the render path.
    pub async fn from_az(tenant: Option<&str>) -> Result<Session, ListError> {
        let az = Az::from_env(tenant).map_err(|e| to_list_error(&CallError::Az(e)))?;
        Session::start(az, az::timeout_from_env()).await
    }

    /// As [`Session::from_az`] with an explicit `az`.
    pub async fn start(az: Az, timeout: Duration) -> Result<Session, ListError> {
        if !az.installed() {
            return Err(to_list_error(&CallError::Az(AzError::NotInstalled)));
        }
        let (account, cloud) = tokio::join!(az.account(), az.cloud_show());
        let account = account.map_err(|e| to_list_error(&CallError::Az(e)))?;
        let cloud = cloud.map_err(|e| to_list_error(&CallError::Az(e)))?;
        let endpoints = AzureEndpoints::from_cloud_show(&cloud)
            .map_err(|e| ListError::Failed(e.to_string()))?;
        let http =
            crate::verify::http::client(timeout).map_err(|e| ListError::Failed(e.to_string()))?;
        Ok(Session {
            az,
            endpoints,
            account,
            http,
            timeout,
        })
    }

    /// This session working in `tenant` (tokens are asked for with `--tenant`); the account and
    /// endpoints already read are kept.
    pub fn with_tenant(&self, tenant: Option<&str>) -> Result<Session, ListError> {
        let az = self
            .az
            .with_tenant(tenant)
            .map_err(|e| to_list_error(&CallError::Az(e)))?;
        Ok(Session { az, ..self.clone() })
    }

    /// A token for `resource` (cached per resource for the run).
    pub async fn token(&self, resource: &str) -> Result<Secret, CallError> {
        Ok(self.az.token(resource).await?.value)
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// A name-based UUID (RFC 9562 version 8) from the SHA-256 of `name`: the same on every run
/// and every machine, for IDs Azure wants chosen by the caller (a scope, a role assignment).
pub fn name_based_uuid(name: &str) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write as _;
    let digest = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    });
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The one line the wizard shows when the assist is off.
pub fn assist_off_line(why: &str) -> String {
    format!("Azure assist off: {why}")
}

/// Maps a failure to what a picker shows, without a role (callers that know which list add it).
pub(crate) fn to_list_error(e: &CallError) -> ListError {
    match e {
        CallError::Az(a) if a.assist_off() => ListError::AssistOff(assist_off_line(&a.to_string())),
        CallError::Az(a) => ListError::Failed(a.to_string()),
        CallError::Rest(r) => ListError::Failed(r.to_string()),
    }
}
