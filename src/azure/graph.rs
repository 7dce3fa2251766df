//! Microsoft Graph: app registrations (`GET /applications`, paged through `@odata.nextLink`)
//! and one app by its client ID for the pickers; and, for `azure bootstrap`, the writes —
//! upsert by `uniqueName` (`PATCH /applications(uniqueName='…')` with
//! `Prefer: create-if-missing`), update, `addPassword`, service principals. Graph's JSON becomes
//! [`App`] / [`AppRecord`] at this edge, with client and object IDs checked to be GUIDs (they go
//! into URLs).

pub mod access;

use reqwest::Method;
use serde_json::{Value, json};

use super::rest::{self, RestError};
use super::{AzureEndpoints, CallError, Session};
use crate::model::ClientId;
use crate::secret::Secret;

/// Graph's default page is 100; the maximum is 999 (fewer round trips in big directories).
const SELECT: &str = "$select=id,appId,displayName,identifierUris,spa&$top=999";

/// An app registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub client_id: ClientId,
    pub name: String,
    /// App ID URIs (`api://…`), as registered.
    pub identifier_uris: Vec<String>,
    /// SPA redirect URIs.
    pub spa_redirects: Vec<String>,
}

impl App {
    /// The App ID URI a Lakekeeper API app is addressed by: the `api://` one if several.
    pub fn app_id_uri(&self) -> Option<&str> {
        self.identifier_uris
            .iter()
            .find(|u| u.starts_with("api://"))
            .or_else(|| self.identifier_uris.first())
            .map(String::as_str)
    }

    /// Whether `uri` is a registered SPA redirect (trailing slash ignored).
    pub fn has_spa_redirect(&self, uri: &str) -> bool {
        let want = uri.trim_end_matches('/');
        self.spa_redirects
            .iter()
            .any(|r| r.trim_end_matches('/').eq_ignore_ascii_case(want))
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn app(v: &Value) -> Option<App> {
    let id = v["appId"].as_str()?.to_ascii_lowercase();
    crate::validate::is_guid(&id).then(|| App {
        client_id: ClientId(id),
        name: v["displayName"].as_str().unwrap_or_default().to_owned(),
        identifier_uris: strings(&v["identifierUris"]),
        spa_redirects: strings(&v["spa"]["redirectUris"]),
    })
}

/// Every app registration in the directory, sorted by name.
pub async fn applications(session: &Session) -> Result<Vec<App>, CallError> {
    let e = &session.endpoints;
    let token = session.token(&e.graph_resource).await?;
    let url = AzureEndpoints::url(&e.graph, &format!("/applications?{SELECT}"))
        .map_err(RestError::from)?;
    let items = rest::get_all(
        session.http(),
        url,
        &token,
        session.timeout(),
        "@odata.nextLink",
    )
    .await?;
    let mut apps: Vec<App> = items.iter().filter_map(app).collect();
    apps.sort_by_key(|a| a.name.to_lowercase());
    Ok(apps)
}

/// One app by its client ID (`GET /applications(appId='…')`); `None` when there is none.
pub async fn application(
    session: &Session,
    client_id: &ClientId,
) -> Result<Option<App>, CallError> {
    let e = &session.endpoints;
    let token = session.token(&e.graph_resource).await?;
    // `ClientId` holds a validated GUID, so it is safe inside the URL as it is.
    let url = AzureEndpoints::url(
        &e.graph,
        &format!(
            "/applications(appId='{}')?$select=id,appId,displayName,identifierUris,spa",
            client_id.as_str()
        ),
    )
    .map_err(RestError::from)?;
    match rest::get_json(session.http(), &url, &token, session.timeout()).await {
        Ok(v) => Ok(app(&v)),
        Err(RestError::Api(a)) if a.status == 404 => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the bootstrap reads of an app registration: everything it may change.
const RECORD_SELECT: &str =
    "$select=id,appId,displayName,uniqueName,identifierUris,api,appRoles,spa,passwordCredentials";

/// A client secret of an app as Graph lists it (never its value: Graph cannot give it back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Password {
    pub key_id: String,
    pub display_name: String,
    /// The secret's first three characters, as Graph shows them (empty if not given).
    pub hint: String,
    /// `endDateTime` as Graph writes it (ISO 8601, UTC), empty if none.
    pub end: String,
}

/// An app registration as the bootstrap reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRecord {
    /// The application object's ID (`id`): what updates are addressed to.
    pub object_id: String,
    /// The client ID (`appId`).
    pub app_id: ClientId,
    pub name: String,
    pub unique_name: Option<String>,
    pub identifier_uris: Vec<String>,
    /// The `api` object as read (`Null` if absent): an update sends it back whole, changed,
    /// because Graph replaces its collections wholesale.
    pub api: Value,
    pub spa_redirects: Vec<String>,
    pub passwords: Vec<Password>,
    /// `appRoles` as read (`Null` if absent): sent back whole, changed (Graph replaces it).
    pub app_roles: Value,
}

impl AppRecord {
    /// The enabled app role with this `value`: its ID.
    pub fn app_role_id(&self, value: &str) -> Option<String> {
        self.app_roles
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["value"] == value && r["isEnabled"] != false)
            .and_then(|r| r["id"].as_str().map(str::to_ascii_lowercase))
    }

    /// Whether the app role `value` may be given to users and to applications.
    pub fn app_role_for_users_and_apps(&self, value: &str) -> bool {
        self.app_roles.as_array().into_iter().flatten().any(|r| {
            r["value"] == value
                && r["isEnabled"] != false
                && ["User", "Application"].iter().all(|t| {
                    r["allowedMemberTypes"]
                        .as_array()
                        .is_some_and(|m| m.iter().any(|x| x == t))
                })
        })
    }

    /// `api.requestedAccessTokenVersion` (`None` when unset, which Entra treats as 1).
    pub fn token_version(&self) -> Option<i64> {
        self.api["requestedAccessTokenVersion"].as_i64()
    }

    /// The delegated scopes (`api.oauth2PermissionScopes`) as `(id, value, enabled)`.
    pub fn scopes(&self) -> Vec<(String, String, bool)> {
        self.api["oauth2PermissionScopes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        (
                            s["id"].as_str().unwrap_or_default().to_owned(),
                            s["value"].as_str().unwrap_or_default().to_owned(),
                            s["isEnabled"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `uri` is a registered SPA redirect (trailing slash ignored).
    pub fn has_spa_redirect(&self, uri: &str) -> bool {
        let want = uri.trim_end_matches('/');
        self.spa_redirects
            .iter()
            .any(|r| r.trim_end_matches('/').eq_ignore_ascii_case(want))
    }

    /// The scope IDs `client` is pre-authorised for (`api.preAuthorizedApplications`).
    pub fn pre_authorized(&self, client: &ClientId) -> Vec<String> {
        self.api["preAuthorizedApplications"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| {
                p["appId"]
                    .as_str()
                    .is_some_and(|a| a.eq_ignore_ascii_case(client.as_str()))
            })
            .flat_map(|p| strings(&p["delegatedPermissionIds"]))
            .collect()
    }
}

fn record(v: &Value) -> Option<AppRecord> {
    let object_id = v["id"].as_str()?.to_ascii_lowercase();
    let base = app(v)?;
    crate::validate::is_guid(&object_id).then(|| AppRecord {
        object_id,
        app_id: base.client_id,
        name: base.name,
        unique_name: v["uniqueName"].as_str().map(str::to_owned),
        identifier_uris: base.identifier_uris,
        api: v["api"].clone(),
        spa_redirects: base.spa_redirects,
        app_roles: v["appRoles"].clone(),
        passwords: v["passwordCredentials"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| Password {
                key_id: p["keyId"].as_str().unwrap_or_default().to_owned(),
                display_name: p["displayName"].as_str().unwrap_or_default().to_owned(),
                hint: p["hint"].as_str().unwrap_or_default().to_owned(),
                end: p["endDateTime"].as_str().unwrap_or_default().to_owned(),
            })
            .collect(),
    })
}

/// Where an app is addressed by its unique name (`uniqueName` must be checked by the caller:
/// letters, digits, `-`, `_`, `.`).
pub fn unique_name_path(unique_name: &str) -> String {
    format!("/applications(uniqueName='{unique_name}')")
}

/// Where an app is addressed by its object ID.
pub fn object_path(object_id: &str) -> String {
    format!("/applications/{object_id}")
}

fn checked_object_id(id: &str) -> Result<&str, CallError> {
    if crate::validate::is_guid(id) {
        Ok(id)
    } else {
        Err(RestError::Unexpected(format!("`{id}` is not an object ID")).into())
    }
}

async fn graph_call(
    session: &Session,
    method: Method,
    path_and_query: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Result<rest::Written, CallError> {
    let e = &session.endpoints;
    let token = session.token(&e.graph_resource).await?;
    let url = AzureEndpoints::url(&e.graph, path_and_query).map_err(RestError::from)?;
    Ok(rest::send_json_with(
        session.http(),
        method,
        &url,
        &token,
        body,
        headers,
        session.timeout(),
    )
    .await?)
}

async fn get_record(session: &Session, path: &str) -> Result<Option<AppRecord>, CallError> {
    match graph_call(
        session,
        Method::GET,
        &format!("{path}?{RECORD_SELECT}"),
        None,
        &[],
    )
    .await
    {
        Ok(w) => record(&w.body).map(Some).ok_or_else(|| {
            RestError::Unexpected("Microsoft Graph answered with an app without IDs".into()).into()
        }),
        Err(CallError::Rest(RestError::Api(a))) if a.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// The app with this unique name, if any.
pub async fn app_by_unique_name(
    session: &Session,
    unique_name: &str,
) -> Result<Option<AppRecord>, CallError> {
    get_record(session, &unique_name_path(unique_name)).await
}

/// The app with this client ID, if any.
pub async fn app_by_client_id(
    session: &Session,
    client_id: &ClientId,
) -> Result<Option<AppRecord>, CallError> {
    get_record(
        session,
        &format!("/applications(appId='{}')", client_id.as_str()),
    )
    .await
}

/// The app with this object ID, if any.
pub async fn app_by_object_id(
    session: &Session,
    object_id: &str,
) -> Result<Option<AppRecord>, CallError> {
    get_record(session, &object_path(checked_object_id(object_id)?)).await
}

/// Creates the app `unique_name` with `body` unless it exists (then Graph applies `body` to it).
/// `Some(app)` when created (201), `None` when it existed (204: read it with
/// [`app_by_unique_name`]).
pub async fn upsert_app(
    session: &Session,
    unique_name: &str,
    body: &Value,
) -> Result<Option<AppRecord>, CallError> {
    let w = graph_call(
        session,
        Method::PATCH,
        &unique_name_path(unique_name),
        Some(body),
        &[("prefer", "create-if-missing")],
    )
    .await?;
    Ok(if w.status == 201 {
        record(&w.body)
    } else {
        None
    })
}

/// `PATCH /applications/{id}` with `body` (204).
pub async fn update_app(session: &Session, object_id: &str, body: &Value) -> Result<(), CallError> {
    let path = object_path(checked_object_id(object_id)?);
    graph_call(session, Method::PATCH, &path, Some(body), &[]).await?;
    Ok(())
}

/// A new client secret from `addPassword`: its key ID and its value (given once, never again).
#[derive(Debug, Clone)]
pub struct NewPassword {
    pub key_id: String,
    pub secret: Secret,
}

/// `addPassword` on the app: a new client secret named `display_name`, valid until `end`
/// (ISO 8601). The value is held as a [`Secret`] from the moment it is read.
pub async fn add_password(
    session: &Session,
    object_id: &str,
    display_name: &str,
    end: &str,
) -> Result<NewPassword, CallError> {
    let path = format!("{}/addPassword", object_path(checked_object_id(object_id)?));
    let body = json!({"passwordCredential": {"displayName": display_name, "endDateTime": end}});
    let w = graph_call(session, Method::POST, &path, Some(&body), &[]).await?;
    match (w.body["secretText"].as_str(), w.body["keyId"].as_str()) {
        (Some(s), Some(k)) if !s.is_empty() => Ok(NewPassword {
            key_id: k.to_owned(),
            secret: Secret::new(s),
        }),
        _ => Err(RestError::Unexpected(
            "Microsoft Graph answered addPassword without a secretText".into(),
        )
        .into()),
    }
}

/// The object ID of the app's service principal, if it has one.
pub async fn service_principal(
    session: &Session,
    client_id: &ClientId,
) -> Result<Option<String>, CallError> {
    let path = format!(
        "/servicePrincipals(appId='{}')?$select=id,appId",
        client_id.as_str()
    );
    match graph_call(session, Method::GET, &path, None, &[]).await {
        Ok(w) => Ok(w.body["id"].as_str().map(str::to_owned)),
        Err(CallError::Rest(RestError::Api(a))) if a.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
}

/// `POST /servicePrincipals {"appId"}`: the new service principal's object ID.
pub async fn create_service_principal(
    session: &Session,
    client_id: &ClientId,
) -> Result<String, CallError> {
    let body = json!({"appId": client_id.as_str()});
    let w = graph_call(
        session,
        Method::POST,
        "/servicePrincipals",
        Some(&body),
        &[],
    )
    .await?;
    w.body["id"].as_str().map(str::to_owned).ok_or_else(|| {
        RestError::Unexpected("Microsoft Graph answered without the service principal's id".into())
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_are_typed_at_the_edge() {
        let v: Value = serde_json::from_str(
            r#"{"appId":"631A96BC-A705-4EDA-9F99-FDAF9F54F6A2","displayName":"Lakekeeper UI","identifierUris":["http://contoso/","api://631a96bc-a705-4eda-9f99-fdaf9f54f6a2"],"spa":{"redirectUris":["http://localhost:8181/ui/callback/"]}}"#,
        )
        .expect("json");
        let a = app(&v).expect("an app");
        assert_eq!(a.client_id.as_str(), "631a96bc-a705-4eda-9f99-fdaf9f54f6a2");
        assert_eq!(
            a.app_id_uri(),
            Some("api://631a96bc-a705-4eda-9f99-fdaf9f54f6a2")
        );
        assert!(a.has_spa_redirect("http://localhost:8181/ui/callback"));
        assert!(!a.has_spa_redirect("http://localhost:8080/ui/callback"));
        assert_eq!(app(&serde_json::json!({"appId": "not-a-guid"})), None);
    }
}
