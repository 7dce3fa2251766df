//! Azure Resource Manager. Reads: tenants, subscriptions, storage accounts (with their
//! hierarchical-namespace flag), blob containers (management plane: no data role needed),
//! PostgreSQL flexible servers and their parameters, role assignments. Writes: a server
//! parameter (PATCH, polled to its end) and a role assignment (PUT), both through [`write`]
//! (retries while busy, follows a 202). Every list follows `nextLink`. ARM's JSON becomes the
//! typed values below at this edge; api-versions are pinned (reference §0).

pub mod identity;
pub mod write;

use reqwest::Method;
use serde_json::{Value, json};

use super::rest::{self, ApiError, RestError};
use super::{AzureEndpoints, CallError, Session};

const RESOURCES_API: &str = "2022-12-01";
const STORAGE_API: &str = "2023-05-01";
const POSTGRES_API: &str = "2024-08-01";
const AUTHORIZATION_API: &str = "2022-04-01";

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
    is_resource_id(id, "Microsoft.Storage", "storageAccounts")
}

/// A blob container's ARM scope: `<account ID>/blobServices/default/containers/<name>`.
pub fn container_scope(account_id: &str, container: &str) -> String {
    format!("{account_id}/blobServices/default/containers/{container}")
}

/// A storage account's or one of its blob containers' ARM ID: where a storage role can apply.
pub fn is_role_scope(id: &str) -> bool {
    if is_storage_account_id(id) {
        return true;
    }
    let parts: Vec<&str> = id.rsplitn(5, '/').collect();
    // [name, "containers", "default", "blobServices", account]
    parts.len() == 5
        && parts[1].eq_ignore_ascii_case("containers")
        && parts[2] == "default"
        && parts[3].eq_ignore_ascii_case("blobServices")
        && is_storage_account_id(parts[4])
        && (3..=63).contains(&parts[0].len())
        && parts[0]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A PostgreSQL flexible server's ARM resource ID, plain characters only.
pub fn is_postgres_server_id(id: &str) -> bool {
    is_resource_id(id, "Microsoft.DBforPostgreSQL", "flexibleServers")
}

/// An AKS managed cluster's ARM resource ID, plain characters only.
pub fn is_managed_cluster_id(id: &str) -> bool {
    is_resource_id(id, "Microsoft.ContainerService", "managedClusters")
}

/// The subscription named in an ARM resource ID.
pub fn subscription_of(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').collect();
    parts
        .windows(2)
        .find(|w| w[0].eq_ignore_ascii_case("subscriptions"))
        .map(|w| w[1].to_owned())
        .unwrap_or_default()
}

/// `/subscriptions/<id>/resourceGroups/<rg>/providers/<provider>/<kind>/<name>`, each part
/// plain characters (no `..`, no query), so the ID can go into a URL as a path.
fn is_resource_id(id: &str, provider: &str, kind: &str) -> bool {
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
        && parts[6].eq_ignore_ascii_case(provider)
        && parts[7].eq_ignore_ascii_case(kind)
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
        .map(server)
        .filter(|s| !s.name.is_empty())
        .collect())
}

fn server(s: &Value) -> PostgresServer {
    PostgresServer {
        id: text(s, &["id"]),
        name: text(s, &["name"]),
        fqdn: text(s, &["properties", "fullyQualifiedDomainName"]),
        version: text(s, &["properties", "version"]),
        state: text(s, &["properties", "state"]),
        location: text(s, &["location"]),
    }
}

fn checked(id: &str, ok: fn(&str) -> bool, what: &str) -> Result<(), CallError> {
    if ok(id) {
        Ok(())
    } else {
        Err(CallError::Rest(RestError::Unexpected(format!(
            "`{id}` is not {what}'s resource ID"
        ))))
    }
}

fn arm_url(session: &Session, path_and_query: &str) -> Result<url::Url, CallError> {
    Ok(AzureEndpoints::url(&session.endpoints.arm, path_and_query).map_err(RestError::from)?)
}

async fn get(session: &Session, path_and_query: &str) -> Result<Value, CallError> {
    let token = session.token(&session.endpoints.arm_resource).await?;
    let url = arm_url(session, path_and_query)?;
    Ok(rest::get_json(session.http(), &url, &token, session.timeout()).await?)
}

/// One PostgreSQL flexible server by its resource ID.
pub async fn postgres_server(session: &Session, id: &str) -> Result<PostgresServer, CallError> {
    checked(id, is_postgres_server_id, "a PostgreSQL flexible server")?;
    let v = get(session, &format!("{id}?api-version={POSTGRES_API}")).await?;
    Ok(server(&v))
}

/// A server parameter as ARM reports it (`…/configurations/<name>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    pub name: String,
    /// The current value (for `azure.extensions` a comma-separated list, possibly empty).
    pub value: String,
    /// What the server accepts (comma-separated), when ARM says.
    pub allowed_values: Option<String>,
    /// Takes effect without a restart.
    pub is_dynamic: Option<bool>,
    /// A change waits for a restart.
    pub pending_restart: bool,
    pub source: String,
}

fn configuration(v: &Value) -> Configuration {
    let p = &v["properties"];
    Configuration {
        name: text(v, &["name"]),
        value: text(p, &["value"]),
        allowed_values: p["allowedValues"]
            .as_str()
            .filter(|a| !a.trim().is_empty())
            .map(str::to_owned),
        is_dynamic: p["isDynamicConfig"].as_bool(),
        pending_restart: p["isConfigPendingRestart"].as_bool() == Some(true),
        source: text(p, &["source"]),
    }
}

fn configuration_path(server_id: &str, name: &str) -> Result<String, CallError> {
    checked(
        server_id,
        is_postgres_server_id,
        "a PostgreSQL flexible server",
    )?;
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(CallError::Rest(RestError::Unexpected(format!(
            "`{name}` is not a server parameter's name"
        ))));
    }
    Ok(format!(
        "{server_id}/configurations/{name}?api-version={POSTGRES_API}"
    ))
}

/// A server parameter (`GET …/configurations/<name>`).
pub async fn get_configuration(
    session: &Session,
    server_id: &str,
    name: &str,
) -> Result<Configuration, CallError> {
    let v = get(session, &configuration_path(server_id, name)?).await?;
    Ok(configuration(&v))
}

/// The URL and body of a server parameter's update (for the plan and `--dry-run`).
pub fn configuration_update(
    session: &Session,
    server_id: &str,
    name: &str,
    value: &str,
) -> Result<(url::Url, Value), CallError> {
    let url = arm_url(session, &configuration_path(server_id, name)?)?;
    Ok((
        url,
        json!({"properties": {"value": value, "source": "user-override"}}),
    ))
}

/// Whether a refused server-parameter write is worth another try: the server is busy with
/// another operation (`ServerBusy`, any 409), or ARM throttles (429).
pub fn server_busy(e: &ApiError) -> bool {
    e.status == 409 || e.status == 429 || super::consent::is_busy(&e.code)
}

/// Sets a server parameter (`PATCH`, `Configurations_Update`), retrying while the server is
/// busy and following the operation to its end; then reads it back.
pub async fn update_configuration(
    session: &Session,
    server_id: &str,
    name: &str,
    value: &str,
    progress: &dyn Fn(&str),
) -> Result<Configuration, CallError> {
    let (url, body) = configuration_update(session, server_id, name, value)?;
    let answer = write::write(
        session,
        Method::PATCH,
        &url,
        &body,
        server_busy,
        write::BUSY_RETRY,
        progress,
    )
    .await?;
    if answer["properties"]["value"].is_string() {
        return Ok(configuration(&answer));
    }
    get_configuration(session, server_id, name).await
}

/// One role assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    pub name: String,
    /// `…/roleDefinitions/<guid>` (with or without the subscription prefix).
    pub role_definition_id: String,
    pub principal_id: String,
    /// Where it applies: a subscription, resource group, account or container ID (or `/`).
    pub scope: String,
}

impl RoleAssignment {
    /// The role definition's GUID (the last part of its ID), lower case.
    pub fn role_guid(&self) -> String {
        self.role_definition_id
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }
}

/// The role assignments of `principal_id` at, above or below `scope` (ARM's
/// `$filter=principalId eq '<id>'`).
pub async fn role_assignments(
    session: &Session,
    scope: &str,
    principal_id: &str,
) -> Result<Vec<RoleAssignment>, CallError> {
    checked(scope, is_storage_account_id, "a storage account")?;
    if !crate::validate::is_guid(principal_id) {
        return Err(CallError::Rest(RestError::Unexpected(format!(
            "`{principal_id}` is not an object ID"
        ))));
    }
    let items = list_all(
        session,
        &format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments?api-version={AUTHORIZATION_API}&$filter=principalId%20eq%20'{principal_id}'"
        ),
    )
    .await?;
    Ok(items
        .iter()
        .map(|a| RoleAssignment {
            name: text(a, &["name"]),
            role_definition_id: text(a, &["properties", "roleDefinitionId"]),
            principal_id: text(a, &["properties", "principalId"]),
            scope: text(a, &["properties", "scope"]),
        })
        .collect())
}

/// The URL and body that grant `role_guid` to the service principal `principal_id` on
/// `scope` under the assignment name `name` (for the plan and `--dry-run`).
pub fn role_assignment_put(
    session: &Session,
    scope: &str,
    name: &str,
    role_guid: &str,
    principal_id: &str,
) -> Result<(url::Url, Value), CallError> {
    checked(scope, is_role_scope, "a storage account or blob container")?;
    for (what, id) in [
        ("assignment name", name),
        ("role", role_guid),
        ("object ID", principal_id),
    ] {
        if !crate::validate::is_guid(id) {
            return Err(CallError::Rest(RestError::Unexpected(format!(
                "`{id}` is not a {what} (a GUID)"
            ))));
        }
    }
    let url = arm_url(
        session,
        &format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={AUTHORIZATION_API}"
        ),
    )?;
    let sub = subscription_of(scope);
    Ok((
        url,
        json!({"properties": {
            "roleDefinitionId": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"),
            "principalId": principal_id,
            "principalType": "ServicePrincipal",
        }}),
    ))
}

/// What a role-assignment PUT came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granted {
    Created,
    /// 409 `RoleAssignmentExists`: the principal already holds the role there.
    AlreadyThere,
}

/// Grants a role (PUT). An assignment that already exists counts as done.
pub async fn put_role_assignment(
    session: &Session,
    scope: &str,
    name: &str,
    role_guid: &str,
    principal_id: &str,
    progress: &dyn Fn(&str),
) -> Result<Granted, CallError> {
    let (url, body) = role_assignment_put(session, scope, name, role_guid, principal_id)?;
    let throttled = |e: &ApiError| e.status == 429;
    match write::write(
        session,
        Method::PUT,
        &url,
        &body,
        throttled,
        write::BUSY_RETRY,
        progress,
    )
    .await
    {
        Ok(_) => Ok(Granted::Created),
        Err(CallError::Rest(RestError::Api(a)))
            if a.status == 409 && a.code == "RoleAssignmentExists" =>
        {
            Ok(Granted::AlreadyThere)
        }
        Err(e) => Err(e),
    }
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
