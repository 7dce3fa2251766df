//! `verify`: live checks that prove a setup works (issue 4).
//!
//! The orchestrator runs independent checks concurrently (tokio), each with its own timeout,
//! and collects a `VerifyReport`. It never prints a secret: results carry messages written for
//! people, built from non-secret values only.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;

use crate::secret::Secret;

pub mod access;
pub mod claims;
pub mod entra;
pub mod expiry;
pub mod finding;
pub mod http;
pub mod lakekeeper;
pub mod net;
pub mod oidc;
mod orchestrate;
pub mod postgres;
pub mod render;
pub mod shadowing;
pub mod storage;
pub mod warehouse;

pub use orchestrate::run;
pub use render::render_table;

/// Everything `verify` needs, resolved by the caller (the CLI) from `backend/.env`, the profile
/// and the process environment.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// Every key of `backend/.env` as read (literal values). The checks read Lakekeeper's and
    /// the backend's settings from here under their `.env` names, because what must be proved
    /// is what the file says.
    pub env: BTreeMap<String, String>,
    /// The process environment, for the shadowing check (a variable exported in the shell beats
    /// `.env` during Compose interpolation).
    pub process_env: BTreeMap<String, String>,
    /// Login host without trailing slash: `https://login.microsoftonline.com` (public), the
    /// usgov/china host, or `http://127.0.0.1:PORT` in tests (plain http only on loopback).
    pub authority_host: String,
    /// Blob endpoint of the account, no trailing slash: `https://<account>.blob.core.windows.net`
    /// (or Azurite's `http://127.0.0.1:10000/devstoreaccount1`).
    pub blob_endpoint: String,
    /// DFS endpoint of the account, no trailing slash: `https://<account>.dfs.core.windows.net`.
    pub dfs_endpoint: String,
    /// DFS host suffix for the warehouse storage profile (`dfs.core.windows.net`, …).
    pub dfs_host: String,
    /// Storage token audience: `https://storage.azure.com/.default` (same in every cloud's
    /// public form; usgov/china callers may pass their own).
    pub storage_scope: String,
    /// Key prefix under which the warehouse lives (no leading/trailing slash).
    pub key_prefix: String,
    /// What the warehouse will use to reach storage.
    pub warehouse_credential: WarehouseCredential,
    /// Per-check timeout (default 10 s, `--timeout`).
    pub timeout: Duration,
    /// `--only NAME,…`: run just these checks (names as in `CheckName::as_str`); `None` = all.
    pub only: Option<BTreeSet<String>>,
    /// Whose token the `token`, `token-claims` and `lakekeeper` checks judge.
    pub token_source: TokenSource,
}

/// Whose token `verify` judges and sends to Lakekeeper.
#[derive(Debug, Clone, Default)]
pub enum TokenSource {
    /// The backend's service account in `.env` (client credentials): the laptop.
    #[default]
    ServiceAccount,
    /// A token already had (`--production`: the person's, from the Azure CLI, for production's
    /// scope; production accepts no laptop's service account). `from` says whose, for the report.
    Given { token: entra::Token, from: String },
    /// Getting that token failed: what happened and the fix.
    Refused { why: String, fix: String },
}

/// The warehouse's storage credential.
#[derive(Debug, Clone)]
pub enum WarehouseCredential {
    /// An app's client credentials (needs Storage Blob Data Contributor + Storage Blob Delegator).
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
        tenant_id: String,
    },
    /// The storage account key (`AZURE_STORAGE_ACCOUNT_KEY`).
    SharedKey,
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Failed,
    Skipped,
}

/// One check's result. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Stable name: `oidc-discovery`, `token`, `token-claims`, `postgres`, `storage`,
    /// `lakekeeper`, `shadowing`.
    pub name: String,
    pub status: Status,
    /// One line for people.
    pub summary: String,
    /// Further lines (what was found).
    pub details: Vec<String>,
    /// The exact change to make, when there is one (`add https://sts.windows.net/<tid>/ to
    /// LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS`).
    pub fix: Option<String>,
    pub duration_ms: u64,
    /// The libraries' error chains behind the summary, shown only with `--verbose` (the CLI
    /// clears them otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<String>,
}

impl CheckResult {
    /// A result with no details and no fix; the orchestrator fills `duration_ms`.
    pub fn new(name: CheckName, status: Status, summary: impl Into<String>) -> Self {
        Self {
            name: name.as_str().to_owned(),
            status,
            summary: summary.into(),
            details: Vec::new(),
            fix: None,
            duration_ms: 0,
            trace: Vec::new(),
        }
    }

    /// Adds what an HTTP failure tells: its fix (unless one is set) and its error chain.
    #[must_use]
    pub fn with_http_error(mut self, e: &http::HttpError) -> Self {
        if self.fix.is_none() {
            self.fix = e.fix();
        }
        self.trace.extend(e.trace().map(str::to_owned));
        self
    }

    #[must_use]
    pub fn with_detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }

    #[must_use]
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// All results, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub checks: Vec<CheckResult>,
}

impl VerifyReport {
    /// True when any check failed (the CLI's exit code 1). Warnings and skips do not count.
    pub fn has_failures(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Failed)
    }

    /// The result of the check named `name`, if it ran.
    pub fn get(&self, name: CheckName) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.name == name.as_str())
    }
}

/// The checks, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckName {
    OidcDiscovery,
    Token,
    TokenClaims,
    Postgres,
    Storage,
    Lakekeeper,
    Shadowing,
}

impl CheckName {
    pub const ALL: [CheckName; 7] = [
        CheckName::OidcDiscovery,
        CheckName::Token,
        CheckName::TokenClaims,
        CheckName::Postgres,
        CheckName::Storage,
        CheckName::Lakekeeper,
        CheckName::Shadowing,
    ];

    /// The stable name used in `--only`, the table and the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::OidcDiscovery => "oidc-discovery",
            CheckName::Token => "token",
            CheckName::TokenClaims => "token-claims",
            CheckName::Postgres => "postgres",
            CheckName::Storage => "storage",
            CheckName::Lakekeeper => "lakekeeper",
            CheckName::Shadowing => "shadowing",
        }
    }

    pub fn parse(name: &str) -> Option<CheckName> {
        CheckName::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// The result `verify` adds when the profile names a Key Vault: `.env`'s secrets compared with
/// the vault's. Not one of the concurrent checks (the vault is read before them, by the
/// command), but a name `--only` takes like theirs.
pub const KEY_VAULT: &str = "key-vault";

/// `--only client-secret`: the backend's client secret's expiry, read from Microsoft Graph.
pub const CLIENT_SECRET: &str = "client-secret";

/// Every name `--only` takes, in report order: the concurrent checks, then the results the
/// command reads before them (the vault's, and the client secrets' expiry from Graph).
pub fn only_names() -> Vec<&'static str> {
    CheckName::ALL
        .map(CheckName::as_str)
        .into_iter()
        .chain([KEY_VAULT, expiry::BACKEND.check, expiry::STORAGE.check])
        .collect()
}

/// `--only` named a check that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a check; --only takes a comma list of: {list}", list = only_names().join(", "))]
pub struct UnknownCheck(pub String);

/// Parses `--only a,b`: names must be exact check names (no spaces are trimmed, like the
/// rest of the tool's comma lists, but empty items are ignored).
pub fn parse_only(value: &str) -> Result<BTreeSet<String>, UnknownCheck> {
    value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            only_names()
                .into_iter()
                .find(|n| *n == s)
                .map(str::to_owned)
                .ok_or_else(|| UnknownCheck(s.to_owned()))
        })
        .collect()
}

/// Live progress for the TUI / line mode: one `Started` per reported check as it begins its
/// own work, one `Finished` when its result is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    Started(CheckName),
    Finished(CheckResult),
}
