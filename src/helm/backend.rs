//! What the production backend's own deployment needs to call Lakekeeper with no secret:
//! workload identity on its service account and pods, and the token it asks for. Printed by
//! `export helm` (the backend's manifests are the team's, not this tool's). Pure.

use super::values::{WORKLOAD_IDENTITY_CLIENT_ID, WORKLOAD_IDENTITY_USE};
use crate::model::SetupConfig;
use crate::production::Production;

/// The lines `export helm` prints for the backend, empty before `azure bootstrap
/// --production` named the backend's identity.
pub fn instructions(cfg: &SetupConfig, prod: &Production) -> Vec<String> {
    let (Some(id), Some(uri)) = (&prod.backend_identity_client_id, &prod.api_app_id_uri) else {
        return Vec::new();
    };
    let tenant = cfg.tenant_guid.as_deref().unwrap_or(cfg.tenant.as_str());
    let scope = format!("{uri}/.default");
    let namespace = prod
        .backend_namespace
        .as_deref()
        .unwrap_or("<backend namespace>");
    let account = prod
        .backend_service_account
        .as_deref()
        .unwrap_or("<backend service account>");
    vec![
        format!(
            "ServiceAccount {account} (namespace {namespace}): annotation {WORKLOAD_IDENTITY_CLIENT_ID}: \"{}\"",
            id.as_str()
        ),
        format!(
            "the backend's pod template: label {WORKLOAD_IDENTITY_USE}: \"true\" and serviceAccountName: {account} (the webhook then sets AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE)"
        ),
        format!("tenant {tenant}, client ID {}", id.as_str()),
        format!(
            "scope {scope}: an application's token (it carries the app role {}); {uri}/lakekeeper is the scope people sign in to the UI with",
            prod.app_role
        ),
        format!(
            "no secret: PyIceberg (0.12 or newer, `pip install \"pyiceberg[entra-auth]\"`) signs in with its own Entra auth manager, load_catalog(…, **{{\"auth\": {{\"type\": \"entra\", \"entra\": {{\"scopes\": [\"{scope}\"]}}}}}}), which asks azure-identity's DefaultAzureCredential, whose WorkloadIdentityCredential reads the federated token file; other code can call azure.identity.WorkloadIdentityCredential().get_token(\"{scope}\") itself"
        ),
    ]
}
