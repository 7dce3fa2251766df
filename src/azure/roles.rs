//! The storage roles the warehouse's principal needs on the storage account: Storage Blob Data
//! Contributor (read and write the warehouse's files) and Storage Blob Delegator (get the
//! user-delegation key Lakekeeper signs SAS tokens with). A role held at the account, its
//! resource group or subscription counts; Data Contributor on the warehouse's container counts
//! for data access (Delegator is only granted at the account or above).
//!
//! A grant is a role assignment with a name derived from scope, role and principal, so a re-run
//! (or a teammate's run) PUTs the same name and creates nothing twice. [`held`] and
//! [`assignment_name`] perform no I/O; [`service_principal`] reads Graph.

use serde_json::Value;

use super::arm::RoleAssignment;
use super::rest::{self, RestError};
use super::{AzureEndpoints, CallError, Session};

/// A built-in role by its GUID (MicrosoftDocs/azure-docs, built-in-roles/storage.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    pub name: &'static str,
    pub guid: &'static str,
    /// Why the warehouse needs it.
    pub why: &'static str,
}

pub const DATA_CONTRIBUTOR: Role = Role {
    name: "Storage Blob Data Contributor",
    guid: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    why: "read and write the warehouse's files",
};

pub const DELEGATOR: Role = Role {
    name: "Storage Blob Delegator",
    guid: "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",
    why: "get the user-delegation key Lakekeeper signs SAS tokens with",
};

/// The roles the warehouse's principal needs, in the order they are granted.
pub const NEEDED: [Role; 2] = [DATA_CONTRIBUTOR, DELEGATOR];

/// The command that grants the warehouse's roles (named in `verify`'s fix, and run by
/// `verify --fix`).
pub const COMMAND: &str = "lakekeeper-setup azure roles";

/// The command that grants Lakekeeper's production identity its roles.
pub const PRODUCTION_COMMAND: &str = "lakekeeper-setup azure roles --production";

/// The role assignment's name: a UUID (version 8, RFC 9562) from the SHA-256 of scope, role and
/// principal — the same on every run and every machine.
pub fn assignment_name(scope: &str, role_guid: &str, principal_id: &str) -> String {
    super::name_based_uuid(&format!(
        "lakekeeper-setup role assignment|{}|{}|{}",
        scope.to_ascii_lowercase(),
        role_guid.to_ascii_lowercase(),
        principal_id.to_ascii_lowercase()
    ))
}

/// Where an assignment applies relative to the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The account, its resource group, its subscription, a management group, or the root.
    AccountOrAbove,
    /// The warehouse's container only.
    WarehouseContainer,
    /// Elsewhere (another container).
    Elsewhere,
}

fn reach(scope: &str, account_id: &str, container: Option<&str>) -> Reach {
    let scope = scope.trim_end_matches('/').to_ascii_lowercase();
    let account = account_id.to_ascii_lowercase();
    if scope.is_empty() || scope == account || account.starts_with(&format!("{scope}/")) {
        return Reach::AccountOrAbove;
    }
    // Listed for the principal, an assignment at a management group is inherited: the list
    // by `principalId` returns those above the subscription too.
    if scope.starts_with("/providers/microsoft.management/managementgroups/") {
        return Reach::AccountOrAbove;
    }
    if let Some(c) = container
        && scope
            == format!(
                "{account}/blobservices/default/containers/{}",
                c.to_ascii_lowercase()
            )
    {
        return Reach::WarehouseContainer;
    }
    Reach::Elsewhere
}

/// One needed role and whether (and where) the principal holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub role: Role,
    /// The scope of an assignment that counts, if any.
    pub at: Option<String>,
}

/// For each needed role: the assignment that satisfies it, if any.
pub fn held(
    assignments: &[RoleAssignment],
    account_id: &str,
    container: Option<&str>,
) -> Vec<Holding> {
    NEEDED
        .iter()
        .map(|role| {
            let ok = |a: &&RoleAssignment| {
                a.role_guid() == role.guid
                    && match reach(&a.scope, account_id, container) {
                        Reach::AccountOrAbove => true,
                        Reach::WarehouseContainer => role.guid == DATA_CONTRIBUTOR.guid,
                        Reach::Elsewhere => false,
                    }
            };
            // Prefer the widest scope to report.
            let mut fits: Vec<&RoleAssignment> = assignments.iter().filter(ok).collect();
            fits.sort_by_key(|a| a.scope.len());
            Holding {
                role: *role,
                at: fits.first().map(|a| {
                    if a.scope.is_empty() {
                        "/".to_owned()
                    } else {
                        a.scope.clone()
                    }
                }),
            }
        })
        .collect()
}

/// One role the warehouse's principal should hold, at the scope it should hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub role: Role,
    /// The account's ID, or its warehouse container's scope.
    pub scope: String,
    /// Where it is held already (a scope that counts), if it is.
    pub held_at: Option<String>,
}

/// Why Data Contributor belongs on the container: on the account it reaches every container.
pub const CONTAINER_WHY: &str = "Storage Blob Data Contributor on the whole account lets the principal read and write every container in it (the backend's own documents too); on the warehouse's container it reaches only the warehouse. Storage Blob Delegator stays on the account: the user-delegation key is an account-level action";

/// The roles wanted: Data Contributor on the warehouse's `container` when given (least
/// privilege, what production asks for), else on the account; Delegator on the account. A
/// Data Contributor held on the account or above does not count for a container target (it
/// is wider than wanted; [`too_wide`] names it).
pub fn wanted(
    assignments: &[RoleAssignment],
    account_id: &str,
    container: Option<&str>,
) -> Vec<Wanted> {
    let holdings = held(assignments, account_id, container);
    NEEDED
        .iter()
        .zip(holdings)
        .map(|(role, h)| match container {
            Some(c) if role.guid == DATA_CONTRIBUTOR.guid => {
                let scope = super::arm::container_scope(account_id, c);
                let at = assignments
                    .iter()
                    .find(|a| {
                        a.role_guid() == role.guid
                            && reach(&a.scope, account_id, Some(c)) == Reach::WarehouseContainer
                    })
                    .map(|a| a.scope.clone());
                Wanted {
                    role: *role,
                    scope,
                    held_at: at,
                }
            }
            _ => Wanted {
                role: *role,
                scope: account_id.to_owned(),
                held_at: h.at,
            },
        })
        .collect()
}

/// A Data Contributor assignment on the account or above: wider than a container target.
pub fn too_wide(assignments: &[RoleAssignment], account_id: &str) -> Option<String> {
    assignments
        .iter()
        .find(|a| {
            a.role_guid() == DATA_CONTRIBUTOR.guid
                && reach(&a.scope, account_id, None) == Reach::AccountOrAbove
        })
        .map(|a| {
            if a.scope.is_empty() {
                "/".to_owned()
            } else {
                a.scope.clone()
            }
        })
}

/// A service principal: the identity an app has in a tenant (role assignments name it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePrincipal {
    /// Its object ID (what `principalId` in a role assignment is).
    pub id: String,
    pub app_id: String,
    pub name: String,
}

/// Why a service principal was not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpError {
    /// The app has no service principal in this tenant.
    Missing,
    Call(CallError),
}

/// The service principal of the app `app_id` (`GET /servicePrincipals(appId='…')`).
pub async fn service_principal(
    session: &Session,
    app_id: &str,
) -> Result<ServicePrincipal, SpError> {
    if !crate::validate::is_guid(app_id) {
        return Err(SpError::Call(CallError::Rest(RestError::Unexpected(
            format!("`{app_id}` is not a client ID"),
        ))));
    }
    let e = &session.endpoints;
    let token = session
        .token(&e.graph_resource)
        .await
        .map_err(SpError::Call)?;
    let url = AzureEndpoints::url(
        &e.graph,
        &format!("/servicePrincipals(appId='{app_id}')?$select=id,appId,displayName"),
    )
    .map_err(|x| SpError::Call(RestError::from(x).into()))?;
    match rest::get_json(session.http(), &url, &token, session.timeout()).await {
        Ok(v) => sp(&v).ok_or_else(|| {
            SpError::Call(
                RestError::Unexpected("Graph answered without the service principal's id".into())
                    .into(),
            )
        }),
        Err(RestError::Api(a)) if a.status == 404 => Err(SpError::Missing),
        Err(e) => Err(SpError::Call(e.into())),
    }
}

fn sp(v: &Value) -> Option<ServicePrincipal> {
    let id = v["id"].as_str()?.to_ascii_lowercase();
    crate::validate::is_guid(&id).then(|| ServicePrincipal {
        id,
        app_id: v["appId"].as_str().unwrap_or_default().to_owned(),
        name: v["displayName"].as_str().unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/res2627/providers/Microsoft.Storage/storageAccounts/sto1125";

    fn assignment(role: &str, scope: &str) -> RoleAssignment {
        RoleAssignment {
            name: "n".into(),
            role_definition_id: format!(
                "/subscriptions/22222222-2222-2222-2222-222222222222/providers/Microsoft.Authorization/roleDefinitions/{role}"
            ),
            principal_id: "p".into(),
            scope: scope.into(),
        }
    }

    #[test]
    fn a_container_target_wants_data_access_on_the_container_and_the_delegator_on_the_account() {
        let container = format!("{ACCOUNT}/blobServices/default/containers/warehouse");
        let w = wanted(&[], ACCOUNT, Some("warehouse"));
        assert_eq!(w[0].scope, container);
        assert_eq!(w[1].scope, ACCOUNT);
        assert!(w.iter().all(|x| x.held_at.is_none()));
        // Held on the account: wider than wanted, so not held for the container, and named.
        let wide = [
            assignment(DATA_CONTRIBUTOR.guid, ACCOUNT),
            assignment(DELEGATOR.guid, ACCOUNT),
        ];
        let w = wanted(&wide, ACCOUNT, Some("warehouse"));
        assert_eq!(w[0].held_at, None);
        assert_eq!(w[1].held_at.as_deref(), Some(ACCOUNT));
        assert_eq!(too_wide(&wide, ACCOUNT).as_deref(), Some(ACCOUNT));
        let exact = [assignment(DATA_CONTRIBUTOR.guid, &container)];
        assert_eq!(
            wanted(&exact, ACCOUNT, Some("warehouse"))[0]
                .held_at
                .as_deref(),
            Some(container.as_str())
        );
        assert_eq!(too_wide(&exact, ACCOUNT), None);
        // Without a container: the account, as before.
        assert_eq!(
            wanted(&wide, ACCOUNT, None)[0].held_at.as_deref(),
            Some(ACCOUNT)
        );
    }

    #[test]
    fn names_are_stable_guids_that_differ_by_scope_role_and_principal() {
        let a = assignment_name(
            ACCOUNT,
            DELEGATOR.guid,
            "00af5dfb-85da-4b41-a677-0c6b86dd34f8",
        );
        assert!(crate::validate::is_guid(&a), "{a}");
        assert_eq!(&a[14..15], "8", "version 8: {a}");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "variant: {a}");
        assert_eq!(
            a,
            assignment_name(
                &ACCOUNT.to_ascii_uppercase(),
                DELEGATOR.guid,
                "00AF5DFB-85DA-4B41-A677-0C6B86DD34F8"
            )
        );
        assert_ne!(
            a,
            assignment_name(
                ACCOUNT,
                DATA_CONTRIBUTOR.guid,
                "00af5dfb-85da-4b41-a677-0c6b86dd34f8"
            )
        );
        assert_ne!(
            a,
            assignment_name(
                ACCOUNT,
                DELEGATOR.guid,
                "00af5dfb-85da-4b41-a677-0c6b86dd34f9"
            )
        );
    }

    #[test]
    fn a_role_counts_at_the_account_or_above_and_data_access_at_the_container() {
        let rg = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/res2627";
        let h = held(
            &[
                assignment(DATA_CONTRIBUTOR.guid, rg),
                assignment(
                    DELEGATOR.guid,
                    &format!("{ACCOUNT}/blobServices/default/containers/warehouse"),
                ),
            ],
            ACCOUNT,
            Some("warehouse"),
        );
        assert_eq!(h[0].at.as_deref(), Some(rg));
        // Inherited from a management group: the list by principal returns it, and it counts.
        let mg = "/providers/Microsoft.Management/managementGroups/contoso-platform";
        let h2 = held(
            &[assignment(DELEGATOR.guid, mg)],
            ACCOUNT,
            Some("warehouse"),
        );
        assert_eq!(h2[1].at.as_deref(), Some(mg));
        // Delegator on a container does not count: the delegation key is an account-level action.
        assert_eq!(h[1].at, None);
        let h = held(
            &[assignment(
                DATA_CONTRIBUTOR.guid,
                &format!("{ACCOUNT}/blobServices/default/containers/other"),
            )],
            ACCOUNT,
            Some("warehouse"),
        );
        assert_eq!(h[0].at, None);
        let h = held(
            &[assignment(
                &DATA_CONTRIBUTOR.guid.to_ascii_uppercase(),
                &format!("{ACCOUNT}/blobServices/default/containers/Warehouse"),
            )],
            ACCOUNT,
            Some("warehouse"),
        );
        assert!(h[0].at.is_some());
        // Another account whose ID starts with this one's is not "above".
        let h = held(
            &[assignment(DELEGATOR.guid, &format!("{ACCOUNT}2"))],
            ACCOUNT,
            None,
        );
        assert_eq!(h[1].at, None);
    }
}
