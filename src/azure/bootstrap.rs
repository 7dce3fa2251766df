//! `azure bootstrap`: the Entra app registrations Lakekeeper needs, created or completed with
//! the user's own `az login` — the API app (`api://<appId>`, access tokens v2, a scope
//! `lakekeeper`, its service principal), the backend service account (its service principal and
//! a client secret that goes straight to Key Vault or `.env`, never to the screen) and,
//! optionally, the UI app (SPA redirect `<base URI>/ui/callback`, pre-authorised on the API's
//! scope in its own update once the scope exists).
//!
//! Three phases: [`discover`] reads what exists (by unique name — `<prefix>-api`,
//! `<prefix>-backend`, `<prefix>-ui` — then by the client IDs the profile already holds),
//! [`plan`] (pure) lists the [`Step`]s still missing, and [`run`] sends them one by one with a
//! line of progress each, retrying Entra's replication lag right after a create. Every step is
//! idempotent, so a re-run (or a second team member) finds everything and changes nothing, and
//! a run that stopped half way resumes where it stopped.

pub mod production;
mod run;

pub use run::{BACKOFF, Done, Failed, Progress, RETRIES, backoff_from_env, discover, run};

use serde_json::{Value, json};
use toml_edit::DocumentMut;

use super::change::{Change, Request};
use super::graph::{self, AppRecord};
use super::keyvault::{self, SecretName, VaultUrl};
use crate::model::{Answers, ClientId, FieldId, Source};
use crate::profile::{self, ProfileError};

/// The scope the API app exposes (Lakekeeper's docs and Terraform use this name).
pub const SCOPE: &str = "lakekeeper";

/// The `displayName` of the client secrets this tool adds.
pub const PASSWORD_NAME: &str = "lakekeeper-setup";

/// The unique-name prefix when none is given.
pub const DEFAULT_PREFIX: &str = "lakekeeper";

/// The vault secret's name when the profile names a vault but no `backend_client_secret`.
pub const DEFAULT_SECRET_NAME: &str = "lakekeeper-backend-client-secret";

/// One of the three app registrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Api,
    Backend,
    Ui,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Api, Role::Backend, Role::Ui];

    fn suffix(self) -> &'static str {
        match self {
            Role::Api => "api",
            Role::Backend => "backend",
            Role::Ui => "ui",
        }
    }

    /// The profile field holding its client ID.
    pub fn field(self) -> FieldId {
        match self {
            Role::Api => FieldId::ApiClientId,
            Role::Backend => FieldId::BackendClientId,
            Role::Ui => FieldId::UiClientId,
        }
    }

    /// What it is, for the plan.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Api => "the Lakekeeper API",
            Role::Backend => "the backend's service account",
            Role::Ui => "the Lakekeeper UI, a single-page app",
        }
    }
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Unique names are `<prefix>-api`, `<prefix>-backend`, `<prefix>-ui` (checked by
    /// [`check_prefix`]); they are also the display names.
    pub prefix: String,
    /// Also create the UI app (it is completed anyway when it exists).
    pub with_ui: bool,
    /// The new client secret's lifetime.
    pub secret_months: u32,
    /// Add a new client secret even when one is in place (the old one keeps working until it
    /// expires or is removed in the portal).
    pub new_secret: bool,
    /// Lakekeeper's base URI (the UI's redirect is `<base>/ui/callback`).
    pub base_uri: String,
    /// The production target (`azure bootstrap --production`): the same API and UI steps over
    /// production's names and base URI, and no backend app (production's backend signs in as
    /// a managed identity, see [`production`]).
    pub production: bool,
}

impl Options {
    /// The app registrations this target has: production has no backend app.
    pub fn roles(&self) -> &'static [Role] {
        if self.production {
            &[Role::Api, Role::Ui]
        } else {
            &Role::ALL
        }
    }

    pub fn unique_name(&self, role: Role) -> String {
        format!("{}-{}", self.prefix, role.suffix())
    }

    /// The UI app's SPA redirect.
    pub fn redirect(&self) -> String {
        format!("{}/ui/callback", self.base_uri.trim_end_matches('/'))
    }
}

/// A prefix Graph accepts inside `uniqueName` and that reads well as a display name.
pub fn check_prefix(p: &str) -> Result<String, String> {
    let p = p.trim();
    let ok = (1..=40).contains(&p.len())
        && p.starts_with(|c: char| c.is_ascii_alphanumeric())
        && p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(p.to_owned())
    } else {
        Err(format!(
            "`{p}` cannot prefix an app's unique name: use 1–40 lower-case letters, digits and hyphens (e.g. lakekeeper-dev)"
        ))
    }
}

/// Client IDs the project already holds (profile, then `.env`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    pub api: Option<ClientId>,
    pub backend: Option<ClientId>,
    pub ui: Option<ClientId>,
}

impl Stored {
    pub fn get(&self, role: Role) -> Option<&ClientId> {
        match role {
            Role::Api => self.api.as_ref(),
            Role::Backend => self.backend.as_ref(),
            Role::Ui => self.ui.as_ref(),
        }
    }
}

/// How an existing app was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    UniqueName,
    StoredId,
}

/// An app that exists, with its service principal's object ID if it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct AppFound {
    pub record: AppRecord,
    pub sp: Option<String>,
    pub by: FoundBy,
}

/// Where the backend's client secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretHome {
    /// The team's vault (the profile's `[secrets]`), under this name.
    Vault { vault: VaultUrl, name: SecretName },
    /// `backend/.env` (its path as shown to the user).
    EnvFile { label: String },
}

/// What exists before anything changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub api: Option<AppFound>,
    pub backend: Option<AppFound>,
    pub ui: Option<AppFound>,
    pub home: SecretHome,
    /// The secret's home already holds a value.
    pub home_has_secret: bool,
    /// `.env` holds a client secret (with a vault home: a copy an earlier run left there when
    /// the vault refused it).
    pub env_has_secret: bool,
}

impl Found {
    pub fn get(&self, role: Role) -> Option<&AppFound> {
        match role {
            Role::Api => self.api.as_ref(),
            Role::Backend => self.backend.as_ref(),
            Role::Ui => self.ui.as_ref(),
        }
    }
}

/// One change the bootstrap can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Upsert by unique name (`Prefer: create-if-missing`).
    CreateApp(Role),
    /// The API's Application ID URI `api://<appId>`.
    SetIdentifierUri,
    /// The API's access-token version 2 and an enabled scope `lakekeeper`.
    SetScope,
    CreateServicePrincipal(Role),
    /// `addPassword` on the backend app, the value straight to its home.
    AddSecret,
    /// The client secret an earlier run left in `.env` (the vault refused it then) into the vault.
    CopySecretToVault,
    /// The UI's SPA redirect `<base>/ui/callback`.
    SetRedirect,
    /// The UI app pre-authorised on the API's scope.
    PreAuthorize,
}

/// Whether a client secret's `endDateTime` is still ahead of `now` (both ISO 8601 UTC; a
/// missing end counts as valid).
fn unexpired(end: &str, now: &str) -> bool {
    end.is_empty() || end > now
}

/// Whether `value` can be a current secret of `app`: an unexpired credential whose hint (the
/// first three characters Graph shows) it starts with. A value kept from an older or another
/// app does not count, so it is never copied to the vault for the whole team.
pub fn secret_matches(app: &AppRecord, value: &str, now: &str) -> bool {
    app.passwords
        .iter()
        .any(|p| unexpired(&p.end, now) && (p.hint.is_empty() || value.starts_with(&p.hint)))
}

/// The steps still missing, in the order they must run: the API app complete (its URI and
/// scope before anything refers to them), then the backend account and its secret, then the
/// UI and its pre-authorisation.
pub fn plan(found: &Found, opts: &Options, now: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    match &found.api {
        None => steps.extend([
            Step::CreateApp(Role::Api),
            Step::SetIdentifierUri,
            Step::SetScope,
            Step::CreateServicePrincipal(Role::Api),
        ]),
        Some(a) => {
            let uri = format!("api://{}", a.record.app_id);
            if !a.record.identifier_uris.contains(&uri) {
                steps.push(Step::SetIdentifierUri);
            }
            if !scope_ready(&a.record) {
                steps.push(Step::SetScope);
            }
            if a.sp.is_none() {
                steps.push(Step::CreateServicePrincipal(Role::Api));
            }
        }
    }
    match &found.backend {
        _ if opts.production => {}
        None => steps.extend([
            Step::CreateApp(Role::Backend),
            Step::CreateServicePrincipal(Role::Backend),
            Step::AddSecret,
        ]),
        Some(b) => {
            if b.sp.is_none() {
                steps.push(Step::CreateServicePrincipal(Role::Backend));
            }
            let valid = b.record.passwords.iter().any(|p| unexpired(&p.end, now));
            let in_vault = matches!(found.home, SecretHome::Vault { .. });
            if opts.new_secret || !valid {
                steps.push(Step::AddSecret);
            } else if !found.home_has_secret {
                steps.push(if in_vault && found.env_has_secret {
                    Step::CopySecretToVault
                } else {
                    Step::AddSecret
                });
            }
        }
    }
    if opts.with_ui || found.ui.is_some() {
        match &found.ui {
            None => steps.extend([
                Step::CreateApp(Role::Ui),
                Step::CreateServicePrincipal(Role::Ui),
                Step::PreAuthorize,
            ]),
            Some(u) => {
                if !u.record.has_spa_redirect(&opts.redirect()) {
                    steps.push(Step::SetRedirect);
                }
                if u.sp.is_none() {
                    steps.push(Step::CreateServicePrincipal(Role::Ui));
                }
                let pre = found.api.as_ref().is_some_and(|a| {
                    scope_id(&a.record)
                        .is_some_and(|id| a.record.pre_authorized(&u.record.app_id).contains(&id))
                });
                if !pre || steps.contains(&Step::SetScope) {
                    steps.push(Step::PreAuthorize);
                }
            }
        }
    }
    steps
}

/// The API app has tokens v2 and an enabled `lakekeeper` scope.
fn scope_ready(app: &AppRecord) -> bool {
    app.token_version() == Some(2)
        && app
            .scopes()
            .iter()
            .any(|(_, value, enabled)| value == SCOPE && *enabled)
}

/// The ID of the API's `lakekeeper` scope: the existing one, else the one this tool gives it
/// (derived from the app's client ID, so every run and every team member agrees on it).
pub fn scope_id(app: &AppRecord) -> Option<String> {
    app.scopes()
        .into_iter()
        .find(|(_, value, _)| value == SCOPE)
        .map(|(id, _, _)| id)
        .or_else(|| Some(derived_scope_id(&app.app_id)))
}

/// A name-based UUID (RFC 9562 version 8, SHA-256) of the API's client ID and the scope.
pub fn derived_scope_id(app_id: &ClientId) -> String {
    super::name_based_uuid(&format!("lakekeeper-setup/scope/{app_id}/{SCOPE}"))
}

/// `now` plus `months` calendar months (a day the month lacks becomes its last), as Graph's
/// ISO 8601: a secret's `endDateTime`.
pub fn end_date(now: std::time::SystemTime, months: u32) -> String {
    crate::clock::iso8601_months_later(now, months)
}

/// `now` as Graph's ISO 8601 (for comparing with `endDateTime`).
pub fn iso_now(now: std::time::SystemTime) -> String {
    crate::clock::iso8601(now)
}

// ---- request bodies (shared by the dry run and the real run) ----

/// Stands for a value only known once an earlier step ran.
fn placeholder(what: &str, role: Role, opts: &Options) -> String {
    format!("<{what} of {}>", opts.unique_name(role))
}

fn app_id_text(app: Option<&AppRecord>, role: Role, opts: &Options) -> String {
    app.map_or_else(
        || placeholder("appId", role, opts),
        |a| a.app_id.to_string(),
    )
}

fn object_id_text(app: Option<&AppRecord>, role: Role, opts: &Options) -> String {
    app.map_or_else(|| placeholder("id", role, opts), |a| a.object_id.clone())
}

/// The upsert's body.
pub fn create_body(role: Role, opts: &Options) -> Value {
    let mut body = json!({
        "displayName": opts.unique_name(role),
        "signInAudience": "AzureADMyOrg",
    });
    match role {
        Role::Api => body["api"] = json!({"requestedAccessTokenVersion": 2}),
        Role::Ui => body["spa"] = json!({"redirectUris": [opts.redirect()]}),
        Role::Backend => {}
    }
    body
}

/// The identifier URIs with `api://<appId>` added (the existing ones kept).
pub fn identifier_uri_body(api: Option<&AppRecord>, opts: &Options) -> Value {
    let uri = format!("api://{}", app_id_text(api, Role::Api, opts));
    let mut uris: Vec<String> = api.map(|a| a.identifier_uris.clone()).unwrap_or_default();
    if !uris.contains(&uri) {
        uris.push(uri);
    }
    json!({"identifierUris": uris})
}

fn scope_object(id: &str) -> Value {
    json!({
        "id": id,
        "value": SCOPE,
        "type": "User",
        "isEnabled": true,
        "adminConsentDisplayName": "Access the Lakekeeper catalog",
        "adminConsentDescription": "Lets the app call the Lakekeeper Iceberg catalog on behalf of the signed-in user.",
        "userConsentDisplayName": "Access the Lakekeeper catalog",
        "userConsentDescription": "Lets the app call the Lakekeeper Iceberg catalog on your behalf.",
    })
}

/// The API's whole `api` object (what Graph replaces) as read, or the minimal one.
fn api_object(api: Option<&AppRecord>) -> serde_json::Map<String, Value> {
    api.and_then(|a| a.api.as_object().cloned())
        .unwrap_or_default()
}

/// The whole `api` object with tokens v2 and the `lakekeeper` scope enabled; every other scope
/// and pre-authorisation sent back unchanged (Graph replaces the collections wholesale).
pub fn scope_body(api: Option<&AppRecord>, opts: &Options) -> Value {
    let mut obj = api_object(api);
    obj.insert("requestedAccessTokenVersion".into(), json!(2));
    let mut scopes: Vec<Value> = obj
        .get("oauth2PermissionScopes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(s) = scopes.iter_mut().find(|s| s["value"] == SCOPE) {
        // A disabled one may be changed; an enabled one is left exactly as it is.
        s["isEnabled"] = json!(true);
    } else {
        let id = api.map_or_else(
            || placeholder("a scope id derived from the appId", Role::Api, opts),
            |a| derived_scope_id(&a.app_id),
        );
        scopes.push(scope_object(&id));
    }
    obj.insert("oauth2PermissionScopes".into(), Value::Array(scopes));
    obj.entry("preAuthorizedApplications")
        .or_insert_with(|| json!([]));
    json!({"api": Value::Object(obj)})
}

/// The whole `api` object with the UI app pre-authorised on the `lakekeeper` scope.
pub fn pre_authorize_body(
    api: Option<&AppRecord>,
    ui: Option<&AppRecord>,
    opts: &Options,
) -> Value {
    pre_authorize_client_body(api, &app_id_text(ui, Role::Ui, opts), opts)
}

/// The whole `api` object with the client `client_id` (the UI app, or the Azure CLI for
/// production) pre-authorised on the `lakekeeper` scope; every other entry kept.
pub fn pre_authorize_client_body(
    api: Option<&AppRecord>,
    client_id: &str,
    opts: &Options,
) -> Value {
    // Before the API exists (a dry run), the `api` object is the one the scope step will leave.
    let mut obj = match api {
        Some(_) => api_object(api),
        None => scope_body(None, opts)["api"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    let scope = api
        .and_then(scope_id)
        .unwrap_or_else(|| placeholder("a scope id derived from the appId", Role::Api, opts));
    let ui_id = client_id;
    let mut pre: Vec<Value> = obj
        .get("preAuthorizedApplications")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match pre.iter_mut().find(|p| {
        p["appId"]
            .as_str()
            .is_some_and(|a| a.eq_ignore_ascii_case(ui_id))
    }) {
        Some(p) => {
            let mut ids: Vec<Value> = p["delegatedPermissionIds"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !ids.iter().any(|i| *i == json!(scope)) {
                ids.push(json!(scope));
            }
            p["delegatedPermissionIds"] = Value::Array(ids);
        }
        None => pre.push(json!({"appId": ui_id, "delegatedPermissionIds": [scope]})),
    }
    obj.insert("preAuthorizedApplications".into(), Value::Array(pre));
    json!({"api": Value::Object(obj)})
}

/// The SPA redirects with `<base>/ui/callback` added (the existing ones kept: Graph replaces
/// the list).
pub fn redirect_body(ui: Option<&AppRecord>, opts: &Options) -> Value {
    let mut uris: Vec<String> = ui.map(|u| u.spa_redirects.clone()).unwrap_or_default();
    if !ui.is_some_and(|u| u.has_spa_redirect(&opts.redirect())) {
        uris.push(opts.redirect());
    }
    json!({"spa": {"redirectUris": uris}})
}

pub fn password_body(end: &str) -> Value {
    json!({"passwordCredential": {"displayName": PASSWORD_NAME, "endDateTime": end}})
}

const REGISTER: &str = "permission to register applications: the tenant setting \"Users can register applications\", or the Application Developer role";

fn owner_of(name: &str) -> String {
    format!(
        "owner of the app registration {name} (you are when this run creates it), or the Application Administrator role"
    )
}

/// The plan's and the dry run's view of one step: what it does, the right it needs, the
/// requests it sends (IDs not known yet shown as `<… of name>`).
pub fn change(step: Step, found: &Found, opts: &Options, graph_base: &str, end: &str) -> Change {
    let rec = |r: Role| found.get(r).map(|a| &a.record);
    // An app that exists is named as it is called (found by the profile's ID, it may be a
    // portal-made "Lakekeeper (portal)"); one to create, by its unique name.
    let name = |r: Role| rec(r).map_or_else(|| opts.unique_name(r), |a| a.name.clone());
    let app_url = |r: Role| {
        format!(
            "{graph_base}{}",
            graph::object_path(&object_id_text(rec(r), r, opts))
        )
    };
    let patch = |url: String, body: Value| Request {
        method: "PATCH",
        url,
        body: Some(body),
    };
    match step {
        Step::CreateApp(r) => Change {
            what: format!("create app registration {} ({})", name(r), r.describe()),
            needs: REGISTER.into(),
            requests: vec![patch(
                format!(
                    "{graph_base}{}  (Prefer: create-if-missing)",
                    graph::unique_name_path(&name(r))
                ),
                create_body(r, opts),
            )],
        },
        Step::SetIdentifierUri => Change {
            what: format!(
                "set the Application ID URI of {} to api://{}",
                name(Role::Api),
                app_id_text(rec(Role::Api), Role::Api, opts)
            ),
            needs: owner_of(&name(Role::Api)),
            requests: vec![patch(
                app_url(Role::Api),
                identifier_uri_body(rec(Role::Api), opts),
            )],
        },
        Step::SetScope => Change {
            what: format!(
                "expose the scope `{SCOPE}` on {} (access tokens v2)",
                name(Role::Api)
            ),
            needs: owner_of(&name(Role::Api)),
            requests: vec![patch(app_url(Role::Api), scope_body(rec(Role::Api), opts))],
        },
        Step::CreateServicePrincipal(r) => Change {
            what: format!(
                "create the service principal (enterprise app) of {}",
                name(r)
            ),
            needs: owner_of(&name(r)),
            requests: vec![Request {
                method: "POST",
                url: format!("{graph_base}/servicePrincipals"),
                body: Some(json!({"appId": app_id_text(rec(r), r, opts)})),
            }],
        },
        Step::AddSecret => {
            let mut requests = vec![Request {
                method: "POST",
                url: format!("{}/addPassword", app_url(Role::Backend)),
                body: Some(password_body(end)),
            }];
            let (to, needs) = match &found.home {
                SecretHome::Vault { vault, name: n } => {
                    requests.push(Request {
                        method: "PUT",
                        url: keyvault::set_secret_url(vault, n),
                        body: Some(keyvault::set_secret_body("<secretText from addPassword>")),
                    });
                    (
                        format!("Key Vault {} as {}", vault.name(), n.as_str()),
                        format!(
                            "{}; Key Vault Secrets Officer on {}",
                            owner_of(&name(Role::Backend)),
                            vault.name()
                        ),
                    )
                }
                SecretHome::EnvFile { label } => (label.clone(), owner_of(&name(Role::Backend))),
            };
            Change {
                what: format!(
                    "add a client secret to {} valid until {} (name {PASSWORD_NAME}); its value goes straight to {to}, never to the screen",
                    name(Role::Backend),
                    &end[..10.min(end.len())]
                ),
                needs,
                requests,
            }
        }
        Step::CopySecretToVault => {
            let (vault_text, requests) = match &found.home {
                SecretHome::Vault { vault, name: n } => (
                    format!("Key Vault {} as {}", vault.name(), n.as_str()),
                    vec![Request {
                        method: "PUT",
                        url: keyvault::set_secret_url(vault, n),
                        body: Some(keyvault::set_secret_body(
                            "<the client secret in backend/.env>",
                        )),
                    }],
                ),
                SecretHome::EnvFile { .. } => (String::new(), Vec::new()),
            };
            Change {
                what: format!(
                    "put the client secret an earlier run kept in backend/.env into {vault_text}"
                ),
                needs: "Key Vault Secrets Officer on the vault".into(),
                requests,
            }
        }
        Step::SetRedirect => Change {
            what: format!(
                "add the SPA redirect {} to {}",
                opts.redirect(),
                name(Role::Ui)
            ),
            needs: owner_of(&name(Role::Ui)),
            requests: vec![patch(app_url(Role::Ui), redirect_body(rec(Role::Ui), opts))],
        },
        Step::PreAuthorize => Change {
            what: format!(
                "pre-authorise {} on the scope `{SCOPE}` of {} (no consent prompt for the UI)",
                name(Role::Ui),
                name(Role::Api)
            ),
            needs: owner_of(&name(Role::Api)),
            requests: vec![patch(
                app_url(Role::Api),
                pre_authorize_body(rec(Role::Api), rec(Role::Ui), opts),
            )],
        },
    }
}

/// One line per thing that already exists, for the plan.
pub fn exists_lines(found: &Found, opts: &Options) -> Vec<String> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let Some(a) = found.get(role) else { continue };
        let by = match a.by {
            FoundBy::UniqueName => format!("unique name {}", opts.unique_name(role)),
            FoundBy::StoredId => "the client ID in your profile".to_owned(),
        };
        let sp = if a.sp.is_some() {
            ", with its service principal"
        } else {
            ""
        };
        out.push(format!(
            "app registration {} (appId {}; found by {by}){sp}",
            a.record.name, a.record.app_id
        ));
    }
    if found.home_has_secret {
        out.push(match &found.home {
            SecretHome::Vault { vault, name } => format!(
                "the backend's client secret in Key Vault {} ({})",
                vault.name(),
                name.as_str()
            ),
            SecretHome::EnvFile { label } => format!("the backend's client secret in {label}"),
        });
    }
    out
}

/// The profile with the bootstrap's non-secret results — the tenant (when it names none), the
/// client IDs, the API's App ID URI once registered and, with a vault home, the vault secret's
/// name under `[secrets]` — and everything else in the file as it was (comments, order). The
/// same results give the same bytes, so a re-run leaves the file untouched.
pub fn profile_text(
    existing: Option<&str>,
    tenant: &str,
    done: &Done,
    home: &SecretHome,
) -> Result<String, ProfileError> {
    let mut answers = match existing {
        Some(t) => profile::read(t)?,
        None => Answers::default(),
    };
    if answers.get(FieldId::Tenant).is_none() && !tenant.is_empty() {
        answers.set(FieldId::Tenant, tenant, Source::Generated);
    }
    for role in Role::ALL {
        if let Some(a) = done.get(role) {
            answers.set(role.field(), a.app_id.as_str(), Source::Generated);
        }
    }
    if let Some(api) = &done.api {
        let uri = format!("api://{}", api.app_id);
        let kept = answers
            .get(FieldId::AppIdUri)
            .is_some_and(|u| api.identifier_uris.iter().any(|x| x == u));
        if !kept && api.identifier_uris.contains(&uri) {
            answers.set(FieldId::AppIdUri, uri, Source::Generated);
        }
    }
    let text = profile::update(existing, &answers)?;
    let SecretHome::Vault { name, .. } = home else {
        return Ok(text);
    };
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| ProfileError::Syntax(e.to_string()))?;
    let table = super::secrets::TABLE;
    if doc.get(table).is_none() {
        doc[table] = toml_edit::table();
    }
    if doc[table].get("backend_client_secret").is_none() {
        doc[table]["backend_client_secret"] = toml_edit::value(name.as_str());
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests;
