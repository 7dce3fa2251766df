//! Microsoft Graph, read-only: app registrations (`GET /applications`, paged through
//! `@odata.nextLink`) and one app by its client ID. Graph's JSON becomes [`App`] at this edge,
//! with its client ID checked to be a GUID.

use serde_json::Value;

use super::rest::{self, RestError};
use super::{AzureEndpoints, CallError, Session};
use crate::model::ClientId;

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
