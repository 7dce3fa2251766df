//! Workload identity in Azure Resource Manager: the AKS cluster's OIDC issuer
//! (`managedClusters` → `properties.oidcIssuerProfile.issuerURL`, and whether workload
//! identity is on), user-assigned managed identities (`Microsoft.ManagedIdentity/
//! userAssignedIdentities`, GET and PUT) and their federated identity credentials (GET, PUT
//! and DELETE). Every write goes through [`super::write`]; ARM's JSON becomes [`Cluster`],
//! [`Identity`] and [`Federation`] here.

use reqwest::Method;
use serde_json::{Value, json};

use super::super::rest::{ApiError, RestError};
use super::super::{CallError, Session};
use super::{arm_url, get, is_resource_id, text, write};

pub const CONTAINER_SERVICE_API: &str = "2024-09-01";
pub const MANAGED_IDENTITY_API: &str = "2023-01-31";

/// The audience every federated credential for AKS workload identity uses.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// An AKS cluster as workload identity needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub id: String,
    pub name: String,
    pub resource_group: String,
    pub location: String,
    /// `oidcIssuerProfile.issuerURL`, when the OIDC issuer is on.
    pub issuer: Option<String>,
    /// `securityProfile.workloadIdentity.enabled`.
    pub workload_identity: bool,
}

impl Cluster {
    /// The one-line fix for a cluster without the OIDC issuer or workload identity.
    pub fn enable_command(&self) -> String {
        format!(
            "az aks update --resource-group {} --name {} --enable-oidc-issuer --enable-workload-identity",
            self.resource_group, self.name
        )
    }
}

/// A user-assigned managed identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: String,
    pub name: String,
    /// Its client ID (what pods name in `azure.workload.identity/client-id`).
    pub client_id: String,
    /// Its service principal's object ID (what role assignments name).
    pub principal_id: String,
}

/// A federated identity credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Federation {
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
}

impl Federation {
    /// The credential a pod of `namespace`/`service_account` on a cluster with `issuer` needs.
    pub fn for_service_account(
        name: &str,
        issuer: &str,
        namespace: &str,
        service_account: &str,
    ) -> Federation {
        Federation {
            name: name.to_owned(),
            issuer: issuer.to_owned(),
            subject: subject(namespace, service_account),
            audiences: vec![TOKEN_EXCHANGE_AUDIENCE.to_owned()],
        }
    }

    /// Whether `self` lets the same tokens in as `want` (issuer, subject, audience).
    pub fn matches(&self, want: &Federation) -> bool {
        self.issuer == want.issuer
            && self.subject == want.subject
            && self.audiences.iter().any(|a| a == TOKEN_EXCHANGE_AUDIENCE)
    }
}

/// The token subject of a Kubernetes service account.
pub fn subject(namespace: &str, service_account: &str) -> String {
    format!("system:serviceaccount:{namespace}:{service_account}")
}

/// A user-assigned identity's resource ID.
pub fn identity_id(subscription: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )
}

pub fn is_identity_id(id: &str) -> bool {
    is_resource_id(id, "Microsoft.ManagedIdentity", "userAssignedIdentities")
}

fn checked(id: &str, ok: fn(&str) -> bool, what: &str) -> Result<(), CallError> {
    if ok(id) {
        Ok(())
    } else {
        Err(RestError::Unexpected(format!("`{id}` is not {what}'s resource ID")).into())
    }
}

/// A federated credential's name: 3-120 letters, digits, `-` and `_`, starting with a letter
/// or digit.
pub fn is_federation_name(n: &str) -> bool {
    (3..=120).contains(&n.len())
        && n.starts_with(|c: char| c.is_ascii_alphanumeric())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn not_found(e: &CallError) -> bool {
    matches!(e, CallError::Rest(RestError::Api(a)) if a.status == 404)
}

/// The cluster by its resource ID; `None` when there is none.
pub async fn cluster(session: &Session, id: &str) -> Result<Option<Cluster>, CallError> {
    checked(
        id,
        crate::azure::arm::is_managed_cluster_id,
        "an AKS cluster",
    )?;
    match get(
        session,
        &format!("{id}?api-version={CONTAINER_SERVICE_API}"),
    )
    .await
    {
        Ok(v) => Ok(Some(Cluster {
            id: id.to_owned(),
            name: text(&v, &["name"]),
            resource_group: super::resource_group(id),
            location: text(&v, &["location"]),
            issuer: v["properties"]["oidcIssuerProfile"]["issuerURL"]
                .as_str()
                .filter(|u| {
                    !u.is_empty() && v["properties"]["oidcIssuerProfile"]["enabled"] != false
                })
                .map(str::to_owned),
            workload_identity: v["properties"]["securityProfile"]["workloadIdentity"]["enabled"]
                .as_bool()
                .unwrap_or(false),
        })),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn identity(v: &Value) -> Identity {
    Identity {
        id: text(v, &["id"]),
        name: text(v, &["name"]),
        client_id: text(v, &["properties", "clientId"]).to_ascii_lowercase(),
        principal_id: text(v, &["properties", "principalId"]).to_ascii_lowercase(),
    }
}

/// The identity by its resource ID; `None` when there is none.
pub async fn get_identity(session: &Session, id: &str) -> Result<Option<Identity>, CallError> {
    checked(id, is_identity_id, "a managed identity")?;
    match get(session, &format!("{id}?api-version={MANAGED_IDENTITY_API}")).await {
        Ok(v) => Ok(Some(identity(&v))),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn identity_body(location: &str) -> Value {
    json!({"location": location, "tags": {"managed-by": "lakekeeper-setup"}})
}

/// Where a PUT of the identity `id` goes.
pub fn identity_url(session: &Session, id: &str) -> Result<url::Url, CallError> {
    checked(id, is_identity_id, "a managed identity")?;
    arm_url(session, &format!("{id}?api-version={MANAGED_IDENTITY_API}"))
}

fn throttled(e: &ApiError) -> bool {
    e.status == 429
}

/// Creates the identity (or leaves it as it is: a PUT of the same location and tags changes
/// nothing).
pub async fn put_identity(
    session: &Session,
    id: &str,
    location: &str,
    progress: &dyn Fn(&str),
) -> Result<Identity, CallError> {
    let url = identity_url(session, id)?;
    let v = write::write(
        session,
        Method::PUT,
        &url,
        &identity_body(location),
        throttled,
        write::BUSY_RETRY,
        progress,
    )
    .await?;
    let made = identity(&v);
    if made.client_id.is_empty() {
        return get_identity(session, id).await?.ok_or_else(|| {
            RestError::Unexpected(format!(
                "managed identity {id} is not readable after it was created"
            ))
            .into()
        });
    }
    Ok(made)
}

fn federation_path(identity_id: &str, name: &str) -> Result<String, CallError> {
    checked(identity_id, is_identity_id, "a managed identity")?;
    if !is_federation_name(name) {
        return Err(
            RestError::Unexpected(format!("`{name}` is not a federated credential name")).into(),
        );
    }
    Ok(format!(
        "{identity_id}/federatedIdentityCredentials/{name}?api-version={MANAGED_IDENTITY_API}"
    ))
}

fn federation(v: &Value) -> Federation {
    Federation {
        name: text(v, &["name"]),
        issuer: text(v, &["properties", "issuer"]),
        subject: text(v, &["properties", "subject"]),
        audiences: v["properties"]["audiences"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
    }
}

/// The identity's federated credential `name`; `None` when there is none.
pub async fn get_federation(
    session: &Session,
    identity_id: &str,
    name: &str,
) -> Result<Option<Federation>, CallError> {
    match get(session, &federation_path(identity_id, name)?).await {
        Ok(v) => Ok(Some(federation(&v))),
        Err(e) if not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn federation_body(f: &Federation) -> Value {
    json!({"properties": {"issuer": f.issuer, "subject": f.subject, "audiences": f.audiences}})
}

/// Where a PUT of the credential goes.
pub fn federation_url(
    session: &Session,
    identity_id: &str,
    name: &str,
) -> Result<url::Url, CallError> {
    arm_url(session, &federation_path(identity_id, name)?)
}

/// Every user-assigned identity in a resource group.
pub async fn identities_in(
    session: &Session,
    subscription: &str,
    group: &str,
) -> Result<Vec<Identity>, CallError> {
    if !crate::validate::is_guid(subscription) || !crate::production::is_resource_group(group) {
        return Err(RestError::Unexpected(format!(
            "`{subscription}`/`{group}` is not a subscription and resource group"
        ))
        .into());
    }
    let items = super::list_all(
        session,
        &format!(
            "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MANAGED_IDENTITY_API}"
        ),
    )
    .await?;
    Ok(items.iter().map(identity).collect())
}

/// Every federated credential of an identity.
pub async fn federations_of(
    session: &Session,
    identity_id: &str,
) -> Result<Vec<Federation>, CallError> {
    checked(identity_id, is_identity_id, "a managed identity")?;
    let items = super::list_all(
        session,
        &format!("{identity_id}/federatedIdentityCredentials?api-version={MANAGED_IDENTITY_API}"),
    )
    .await?;
    Ok(items.iter().map(federation).collect())
}

/// Creates or replaces the federated credential.
pub async fn put_federation(
    session: &Session,
    identity_id: &str,
    f: &Federation,
    progress: &dyn Fn(&str),
) -> Result<(), CallError> {
    let url = federation_url(session, identity_id, &f.name)?;
    write::write(
        session,
        Method::PUT,
        &url,
        &federation_body(f),
        throttled,
        write::BUSY_RETRY,
        progress,
    )
    .await?;
    Ok(())
}

/// Deletes the federated credential `name` (one already gone counts as deleted: ARM answers
/// 204, or 404 when the identity itself is gone).
pub async fn delete_federation(
    session: &Session,
    identity_id: &str,
    name: &str,
    progress: &dyn Fn(&str),
) -> Result<(), CallError> {
    let url = federation_url(session, identity_id, name)?;
    match write::write(
        session,
        Method::DELETE,
        &url,
        &Value::Null,
        throttled,
        write::BUSY_RETRY,
        progress,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_federation_matches_on_issuer_subject_and_the_exchange_audience() {
        let want = Federation::for_service_account(
            "aks-lk",
            "https://oidc.example/abc/",
            "lakekeeper",
            "lakekeeper",
        );
        assert_eq!(want.subject, "system:serviceaccount:lakekeeper:lakekeeper");
        assert!(want.matches(&want));
        let mut other = want.clone();
        other.subject = subject("lakekeeper", "default");
        assert!(!other.matches(&want));
        let mut other = want.clone();
        other.issuer = "https://oidc.example/other/".into();
        assert!(!other.matches(&want));
        let mut other = want.clone();
        other.audiences = vec!["api://something-else".into()];
        assert!(!other.matches(&want));
    }

    #[test]
    fn names_and_ids_are_checked_before_they_go_into_a_url() {
        assert!(is_federation_name("aks-lakekeeper-lakekeeper"));
        assert!(!is_federation_name("-x"));
        assert!(!is_federation_name("a.b.c"));
        let id = identity_id(
            "22222222-2222-2222-2222-222222222222",
            "rg-aks",
            "lakekeeper-prod-catalog",
        );
        assert!(is_identity_id(&id));
        assert!(!is_identity_id(&format!("{id}/../x")));
    }
}
