//! What the wizard's pickers list: the kinds of Azure object a field can be picked from, one row of
//! such a list, and why a list could not be had. Shared by the Azure clients (which produce
//! `Choice`s from typed Azure objects) and the wizard (which shows them and applies `fills`).
//!
//! This module performs no I/O.

use crate::model::FieldId;

/// A list a picker can open.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// ARM `/tenants`: display name, default domain, ID.
    Tenant,
    /// Graph applications; picking fills the API app's client ID and App ID URI.
    ApiApp,
    /// Graph applications; picking fills the backend service account's client ID.
    BackendApp,
    /// Graph applications; shows whether the SPA redirect `<base>/ui/callback` is registered.
    UiApp,
    /// ARM storage accounts; those without hierarchical namespace are listed unavailable.
    StorageAccount,
    /// ARM blob containers of one storage account, named by its ARM resource ID.
    Container { account_id: String },
    /// ARM PostgreSQL flexible servers; below 15 or not `Ready` are listed unavailable.
    PostgresServer,
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What the row shows first (a display name).
    pub label: String,
    /// What it shows after (an ID, a domain, an FQDN and version).
    pub detail: String,
    /// `Some(why)` when the row is shown greyed and cannot be chosen.
    pub unavailable: Option<String>,
    /// The fields choosing this row fills, with their values (validators run on them as typed).
    pub fills: Vec<(FieldId, String)>,
    /// Other values equally right for a field this row fills (an API app's other registered
    /// identifier URIs): a field already holding one is not flagged as stale.
    pub accepts: Vec<(FieldId, String)>,
    /// For a storage account: the ARM resource ID, so its containers can be listed next.
    pub next: Option<ListKind>,
}

/// Why a list could not be had, in words a user acts on (never a bare HTTP status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// No `az`, or not signed in: the assist is off; the text says how to turn it on.
    AssistOff(String),
    /// The signed-in user may not list these; the text names the role or directory setting.
    Forbidden(String),
    /// Anything else (network, timeout, an unexpected answer), said in one line.
    Failed(String),
}

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListError::AssistOff(s) | ListError::Forbidden(s) | ListError::Failed(s) => {
                f.write_str(s)
            }
        }
    }
}
