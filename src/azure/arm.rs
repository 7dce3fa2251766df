//! Azure Resource Manager, read-only: tenants, subscriptions, storage accounts (with their
//! hierarchical-namespace flag), blob containers (management plane: no data role needed) and
//! PostgreSQL flexible servers. Every list follows `nextLink`. ARM's JSON becomes the typed
//! values below at this edge; api-versions are pinned (reference §0).

use serde_json::Value;

use super::rest::{self, RestError};
use super::{AzureEndpoints, CallError, Session};

const RESOURCES_API: &str = "2022-12-01";
const STORAGE_API: &str = "2023-05-01";
const POSTGRES_API: &str = "2024-08-01";

/// A directory the signed-in user can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The tenant GUID.
    pub id: String,
    pub name: String,
    pub default_domain: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub name: String,
    pub tenant_id: String,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageAccount {
    /// ARM resource ID (`/subscriptions/…/storageAccounts/<name>`).
    pub id: String,
    pub name: String,
    pub resource_group: String,
    pub location: String,
    /// Hierarchical namespace on (ADLS Gen2). ARM omits the flag for accounts without it.
    pub hns: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresServer {
    pub id: String,
    pub name: String,
    pub fqdn: String,
    /// Major version as ARM reports it (`"12"` … `"17"`).
    pub version: String,
    /// `Ready`, `Stopped`, `Starting`, …
    pub state: String,
    pub location: String,
}

impl PostgresServer {
    pub fn major(&self) -> Option<u32> {
        self.version
            .split('.')
            .next()
            .and_then(|v| v.trim().parse().ok())
    }
}

fn text(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The resource group named in an ARM resource ID.
pub fn resource_group(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    parts
        .windows(2)
        .find(|w| w[0].eq_ignore_ascii_case("resourceGroups"))
        .map(|w| w[1].to_owned())
        .unwrap_or_default()
}

/// An ARM resource ID we may put into a URL: `/subscriptions/<id>/resourceGroups/<rg>/
/// providers/Microsoft.Storage/storageAccounts/<name>`, plain characters only.
pub fn is_storage_account_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('/').collect();
    let plain = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'(' | b')'))
    };
    parts.len() == 9
        && parts[0].is_empty()
        && parts[1].eq_ignore_ascii_case("subscriptions")
        && parts[3].eq_ignore_ascii_case("resourceGroups")
        && parts[5].eq_ignore_ascii_case("providers")
        && parts[6].eq_ignore_ascii_case("Microsoft.Storage")
        && parts[7].eq_ignore_ascii_case("storageAccounts")
        && parts[1..].iter().all(|p| plain(p))
}

async fn list_all(session: &Session, path_and_query: &str) -> Result<Vec<Value>, CallError> {
    let e = &session.endpoints;
    let token = session.token(&e.arm_resource).await?;
    let url = AzureEndpoints::url(&e.arm, path_and_query).map_err(RestError::from)?;
    Ok(rest::get_all(session.http(), url, &token, session.timeout(), "nextLink").await?)
}

pub async fn tenants(session: &Session) -> Result<Vec<Tenant>, CallError> {
    let items = list_all(session, &format!("/tenants?api-version={RESOURCES_API}")).await?;
    Ok(items
        .iter()
        .map(|t| Tenant {
            id: text(t, &["tenantId"]),
            name: text(t, &["displayName"]),
            default_domain: text(t, &["defaultDomain"]),
        })
        .filter(|t| !t.id.is_empty())
        .collect())
}

pub async fn subscriptions(session: &Session) -> Result<Vec<Subscription>, CallError> {
    let items = list_all(
        session,
        &format!("/subscriptions?api-version={RESOURCES_API}"),
    )
    .await?;
    Ok(items
        .iter()
        .map(|s| Subscription {
            id: text(s, &["subscriptionId"]),
            name: text(s, &["displayName"]),
            tenant_id: text(s, &["tenantId"]),
            state: text(s, &["state"]),
        })
        .filter(|s| !s.id.is_empty() && s.id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
        .collect())
}

pub async fn storage_accounts(
    session: &Session,
    subscription: &str,
) -> Result<Vec<StorageAccount>, CallError> {
    let items = list_all(
        session,
        &format!(
            "/subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts?api-version={STORAGE_API}"
        ),
    )
    .await?;
    Ok(items
        .iter()
        .map(|a| {
            let id = text(a, &["id"]);
            StorageAccount {
                resource_group: resource_group(&id),
                id,
                name: text(a, &["name"]),
                location: text(a, &["location"]),
                hns: a["properties"]["isHnsEnabled"].as_bool() == Some(true),
            }
        })
        .filter(|a| !a.name.is_empty())
        .collect())
}

/// Containers of the account named by its ARM resource ID (checked by
/// [`is_storage_account_id`] before it goes into the URL).
pub async fn containers(session: &Session, account_id: &str) -> Result<Vec<Container>, CallError> {
    if !is_storage_account_id(account_id) {
        return Err(CallError::Rest(RestError::Unexpected(format!(
            "`{account_id}` is not a storage account's resource ID"
        ))));
    }
    let items = list_all(
        session,
        &format!("{account_id}/blobServices/default/containers?api-version={STORAGE_API}"),
    )
    .await?;
    Ok(items
        .iter()
        .map(|c| Container {
            name: text(c, &["name"]),
        })
        .filter(|c| !c.name.is_empty())
        .collect())
}

pub async fn postgres_servers(
    session: &Session,
    subscription: &str,
) -> Result<Vec<PostgresServer>, CallError> {
    let items = list_all(
        session,
        &format!(
            "/subscriptions/{subscription}/providers/Microsoft.DBforPostgreSQL/flexibleServers?api-version={POSTGRES_API}"
        ),
    )
    .await?;
    Ok(items
        .iter()
        .map(|s| PostgresServer {
            id: text(s, &["id"]),
            name: text(s, &["name"]),
            fqdn: text(s, &["properties", "fullyQualifiedDomainName"]),
            version: text(s, &["properties", "version"]),
            state: text(s, &["properties", "state"]),
            location: text(s, &["location"]),
        })
        .filter(|s| !s.name.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_account_ids_are_checked_before_they_enter_a_url() {
        let ok = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/res2627/providers/Microsoft.Storage/storageAccounts/sto1125";
        assert!(is_storage_account_id(ok));
        assert_eq!(resource_group(ok), "res2627");
        for bad in [
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a?b",
            "/subscriptions/x/resourceGroups/../providers/Microsoft.Storage/storageAccounts/a",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Sql/servers/a",
            "https://evil.example/subscriptions/x",
            "",
        ] {
            assert!(!is_storage_account_id(bad), "{bad}");
        }
    }

    #[test]
    fn postgres_major_version_is_read_from_arm_text() {
        let s = |v: &str| PostgresServer {
            id: String::new(),
            name: "pg".into(),
            fqdn: String::new(),
            version: v.into(),
            state: "Ready".into(),
            location: String::new(),
        };
        assert_eq!(s("12").major(), Some(12));
        assert_eq!(s("16").major(), Some(16));
        assert_eq!(s("").major(), None);
    }
}
