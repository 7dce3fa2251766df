//! Who may call the production API, in Microsoft Graph: the API's service principal requiring
//! assignment (`appRoleAssignmentRequired`), its app role assignments (`appRoleAssignedTo`:
//! list, grant, remove), the signed-in user (`/me`), and the user, group or service principal a
//! person names (UPN, object ID, client ID or display name). Graph's JSON becomes [`Principal`]
//! and [`Assignment`] here; IDs are checked to be GUIDs before they go into a URL.

use reqwest::Method;
use serde_json::{Value, json};

use super::{CallError, RestError, checked_object_id, graph_call};

/// What kind of directory object holds (or would hold) an app role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    User,
    Group,
    ServicePrincipal,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::ServicePrincipal => "app",
        }
    }

    fn from_graph(t: &str) -> Kind {
        match t {
            "User" | "#microsoft.graph.user" => Kind::User,
            "Group" | "#microsoft.graph.group" => Kind::Group,
            _ => Kind::ServicePrincipal,
        }
    }
}

/// A user, group or service principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The object ID (`principalId` of an assignment).
    pub id: String,
    pub name: String,
    pub kind: Kind,
    /// A user's UPN or a service principal's client ID, when known.
    pub detail: String,
}

/// One app role assignment on a resource service principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Graph's key for the assignment (not a GUID).
    pub id: String,
    pub app_role_id: String,
    pub principal_id: String,
    pub principal_name: String,
    pub kind: Kind,
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_owned()
}

fn assignment(v: &Value) -> Assignment {
    Assignment {
        id: s(v, "id"),
        app_role_id: s(v, "appRoleId").to_ascii_lowercase(),
        principal_id: s(v, "principalId").to_ascii_lowercase(),
        principal_name: s(v, "principalDisplayName"),
        kind: Kind::from_graph(&s(v, "principalType")),
    }
}

/// Whether the service principal `sp_id` requires assignment; `None` when it does not exist.
pub async fn assignment_required(
    session: &super::Session,
    sp_id: &str,
) -> Result<Option<bool>, CallError> {
    let path = format!(
        "/servicePrincipals/{}?$select=id,appRoleAssignmentRequired",
        checked_object_id(sp_id)?
    );
    match graph_call(session, Method::GET, &path, None, &[]).await {
        Ok(w) => Ok(Some(
            w.body["appRoleAssignmentRequired"]
                .as_bool()
                .unwrap_or(false),
        )),
        Err(CallError::Rest(RestError::Api(a))) if a.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// `PATCH /servicePrincipals/{id}` `{"appRoleAssignmentRequired": true}` (204).
pub async fn require_assignment(session: &super::Session, sp_id: &str) -> Result<(), CallError> {
    let path = format!("/servicePrincipals/{}", checked_object_id(sp_id)?);
    graph_call(
        session,
        Method::PATCH,
        &path,
        Some(&require_assignment_body()),
        &[],
    )
    .await?;
    Ok(())
}

pub fn require_assignment_body() -> Value {
    json!({"appRoleAssignmentRequired": true})
}

/// Every app role assignment on the resource service principal `sp_id` (all pages).
pub async fn assignments(
    session: &super::Session,
    sp_id: &str,
) -> Result<Vec<Assignment>, CallError> {
    let mut path = format!(
        "/servicePrincipals/{}/appRoleAssignedTo",
        checked_object_id(sp_id)?
    );
    let mut out = Vec::new();
    for _ in 0..100 {
        let w = graph_call(session, Method::GET, &path, None, &[]).await?;
        out.extend(
            w.body["value"]
                .as_array()
                .into_iter()
                .flatten()
                .map(assignment),
        );
        match w.body["@odata.nextLink"].as_str() {
            // Graph's link is absolute; the stand-in's and the real one share `/v1.0`.
            Some(next) => match next.find("/servicePrincipals/") {
                Some(i) => next[i..].clone_into(&mut path),
                None => break,
            },
            None => break,
        }
    }
    Ok(out)
}

pub fn assign_body(resource_sp: &str, principal_id: &str, app_role_id: &str) -> Value {
    json!({"principalId": principal_id, "resourceId": resource_sp, "appRoleId": app_role_id})
}

/// Grants `app_role_id` of `resource_sp` to `principal_id` (201). A second grant of the same
/// role is refused by Graph (400 `Permission being assigned already exists`): the caller lists
/// first.
pub async fn assign(
    session: &super::Session,
    resource_sp: &str,
    principal_id: &str,
    app_role_id: &str,
) -> Result<Assignment, CallError> {
    let path = format!(
        "/servicePrincipals/{}/appRoleAssignedTo",
        checked_object_id(resource_sp)?
    );
    checked_object_id(principal_id)?;
    let body = assign_body(resource_sp, principal_id, app_role_id);
    let w = graph_call(session, Method::POST, &path, Some(&body), &[]).await?;
    Ok(assignment(&w.body))
}

/// Removes one assignment (`DELETE /servicePrincipals/{id}/appRoleAssignedTo/{assignment}`).
pub async fn unassign(
    session: &super::Session,
    resource_sp: &str,
    assignment_id: &str,
) -> Result<(), CallError> {
    // Graph's assignment keys are base64url: letters, digits, `-` and `_`.
    if assignment_id.is_empty()
        || !assignment_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(
            RestError::Unexpected(format!("`{assignment_id}` is not an assignment ID")).into(),
        );
    }
    let path = format!(
        "/servicePrincipals/{}/appRoleAssignedTo/{assignment_id}",
        checked_object_id(resource_sp)?
    );
    graph_call(session, Method::DELETE, &path, None, &[]).await?;
    Ok(())
}

/// The signed-in user (`GET /me`).
pub async fn me(session: &super::Session) -> Result<Principal, CallError> {
    let w = graph_call(
        session,
        Method::GET,
        "/me?$select=id,displayName,userPrincipalName",
        None,
        &[],
    )
    .await?;
    let me = user(&w.body);
    checked_object_id(&me.id)?;
    Ok(me)
}

async fn get_opt(session: &super::Session, path: &str) -> Result<Option<Value>, CallError> {
    match graph_call(session, Method::GET, path, None, &[]).await {
        Ok(w) => Ok(Some(w.body)),
        Err(CallError::Rest(RestError::Api(a))) if a.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// A Graph directory object as a principal of `kind`; `detail_key` names what identifies it to
/// a person (a user's UPN, an app's client ID; groups have none).
fn principal(v: &Value, kind: Kind, detail_key: Option<&str>) -> Principal {
    Principal {
        id: s(v, "id").to_ascii_lowercase(),
        name: s(v, "displayName"),
        kind,
        detail: detail_key.map(|k| s(v, k)).unwrap_or_default(),
    }
}

fn user(v: &Value) -> Principal {
    principal(v, Kind::User, Some("userPrincipalName"))
}

fn sp(v: &Value) -> Principal {
    principal(v, Kind::ServicePrincipal, Some("appId"))
}

fn group(v: &Value) -> Principal {
    principal(v, Kind::Group, None)
}

/// A display name as an OData string literal (`'` doubled), percent-encoded for the query.
fn odata_literal(name: &str) -> String {
    let quoted = format!("'{}'", name.replace('\'', "''"));
    percent_encoding::utf8_percent_encode(&quoted, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Everything `who` can name: a UPN (a user), a GUID (a user, group or service principal by
/// object ID, or a service principal by client ID), else a display name (users, groups and
/// service principals with exactly that name). Several answers mean the name is ambiguous.
pub async fn find(session: &super::Session, who: &str) -> Result<Vec<Principal>, CallError> {
    let who = who.trim();
    if who.contains('@') {
        let upn = percent_encoding::utf8_percent_encode(who, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        return Ok(get_opt(
            session,
            &format!("/users/{upn}?$select=id,displayName,userPrincipalName"),
        )
        .await?
        .iter()
        .map(user)
        .collect());
    }
    if crate::validate::is_guid(who) {
        let id = who.to_ascii_lowercase();
        if let Some(v) = get_opt(
            session,
            &format!("/users/{id}?$select=id,displayName,userPrincipalName"),
        )
        .await?
        {
            return Ok(vec![user(&v)]);
        }
        if let Some(v) = get_opt(session, &format!("/groups/{id}?$select=id,displayName")).await? {
            return Ok(vec![group(&v)]);
        }
        if let Some(v) = get_opt(
            session,
            &format!("/servicePrincipals/{id}?$select=id,appId,displayName"),
        )
        .await?
        {
            return Ok(vec![sp(&v)]);
        }
        return Ok(get_opt(
            session,
            &format!("/servicePrincipals(appId='{id}')?$select=id,appId,displayName"),
        )
        .await?
        .iter()
        .map(sp)
        .collect());
    }
    let filter = format!("$filter=displayName%20eq%20{}", odata_literal(who));
    let mut out = Vec::new();
    for (collection, select, make) in [
        (
            "users",
            "id,displayName,userPrincipalName",
            user as fn(&Value) -> Principal,
        ),
        ("groups", "id,displayName", group),
        ("servicePrincipals", "id,appId,displayName", sp),
    ] {
        let v = graph_call(
            session,
            Method::GET,
            &format!("/{collection}?{filter}&$select={select}"),
            None,
            &[],
        )
        .await?
        .body;
        out.extend(v["value"].as_array().into_iter().flatten().map(make));
    }
    Ok(out)
}

/// The members of a group who are users (direct members), for offering them one by one when
/// the tenant cannot assign the group.
pub async fn group_users(
    session: &super::Session,
    group_id: &str,
) -> Result<Vec<Principal>, CallError> {
    let path = format!(
        "/groups/{}/members/microsoft.graph.user?$select=id,displayName,userPrincipalName",
        checked_object_id(group_id)?
    );
    let w = graph_call(session, Method::GET, &path, None, &[]).await?;
    Ok(w.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .map(user)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_are_typed_at_the_edge() {
        let a = assignment(&json!({
            "id": "41W1zT6z1U-kJxf62svfp1HFE8pMZhxDun-ThPczmJE",
            "appRoleId": "EF7437E6-4F94-4A0A-A110-A439EB2AA8F7",
            "principalDisplayName": "Parents of Contoso",
            "principalId": "33AD69F9-DA99-4BED-ACD0-3F24235CB296",
            "principalType": "Group"
        }));
        assert_eq!(a.kind, Kind::Group);
        assert_eq!(a.app_role_id, "ef7437e6-4f94-4a0a-a110-a439eb2aa8f7");
        assert_eq!(a.principal_id, "33ad69f9-da99-4bed-acd0-3f24235cb296");
        assert_eq!(Kind::from_graph("ServicePrincipal"), Kind::ServicePrincipal);
    }

    #[test]
    fn a_display_name_becomes_a_quoted_odata_literal() {
        assert_eq!(odata_literal("Data team"), "%27Data%20team%27");
        assert_eq!(odata_literal("O'Brien"), "%27O%27%27Brien%27");
    }
}
