//! `apply`'s look at the Lakekeeper API app in Entra ID: when the Azure CLI is at hand and
//! signed in, an App ID URI the app does not register (an old `.env`'s `api://lakekeeper`)
//! becomes a warning naming the right one. Only a URI that comes from the existing `.env` and
//! is not the app's default (`api://<client id>`) is looked up: one in the profile, the
//! environment or typed is the user's own, and the default is what `azure bootstrap` sets.
//! Without `az`, or when Graph does not answer, it says nothing: `apply` never depends on Azure.

use crate::azure::{Session, appid, az, graph};
use crate::model::{Answers, ClientId, FieldId, Source};

/// The warning, when the held App ID URI is not one of the API app's identifier URIs.
pub fn warning(answers: &Answers) -> Option<String> {
    let held = answers.get(FieldId::AppIdUri)?.trim().to_owned();
    let client = answers
        .get(FieldId::ApiClientId)?
        .trim()
        .to_ascii_lowercase();
    if held.is_empty()
        || !crate::validate::is_guid(&client)
        || answers.source(FieldId::AppIdUri) != Some(Source::EnvFile)
        || appid::is_registered(&held, &[format!("api://{client}")])
    {
        return None;
    }
    az::find_az(std::env::var_os("PATH").as_deref())?;
    let tenant = answers.get(FieldId::Tenant).map(str::to_owned);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let app = rt.block_on(super::vault::spinning(
        "asking Microsoft Graph for the API app's App ID URIs",
        async {
            let session = Session::from_az(tenant.as_deref()).await.ok()?;
            graph::application(&session, &ClientId(client)).await.ok()?
        },
    ))?;
    let right = appid::stale(&held, &app.identifier_uris, app.app_id_uri())?;
    let origin = match answers.source(FieldId::AppIdUri) {
        Some(s) => format!("from the {s}"),
        None => "as given".to_owned(),
    };
    let name = if app.name.is_empty() {
        app.client_id.as_str().to_owned()
    } else {
        app.name.clone()
    };
    Some(format!(
        "{}. Fix: set `app_id_uri = \"{right}\"` under [lakekeeper_api] in lakekeeper-setup.toml (or pick the app in the wizard) and run apply again",
        appid::line(&held, &origin, &name, &app.identifier_uris, right)
    ))
}
