//! The bootstrap's network side: [`discover`] reads what exists, [`run`] sends the planned
//! steps one by one. A failure stops the run with one line saying what was refused and one
//! saying how to fix it; what was done so far is handed back so the caller can save it (the
//! next run resumes from there in any case: every step is found again by unique name).

use std::future::Future;
use std::time::Duration;

use super::{
    AppFound, Found, FoundBy, Options, PASSWORD_NAME, Role, SecretHome, Step, Stored,
    identifier_uri_body, pre_authorize_body, redirect_body, scope_body,
};
use crate::azure::consent;
use crate::azure::graph::{self, AppRecord, Password};
use crate::azure::keyvault::{self, KvError, SecretName, VaultUrl};
use crate::azure::rest::{ApiError, RestError};
use crate::azure::{CallError, Session};
use crate::secret::Secret;

/// How many times a replication-lag or throttling answer is retried.
pub const RETRIES: u32 = 4;

/// The first wait before a retry; doubled each time (2, 4, 8, 16 s: Entra usually catches up
/// within 30 s). `LAKEKEEPER_SETUP_AZURE_RETRY_MS` overrides it (tests make it short).
pub const BACKOFF: Duration = Duration::from_secs(2);

const BACKOFF_VAR: &str = "LAKEKEEPER_SETUP_AZURE_RETRY_MS";

/// [`BACKOFF`], or the environment's override in milliseconds (at most a minute).
pub fn backoff_from_env() -> Duration {
    std::env::var(BACKOFF_VAR)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|ms| *ms <= 60_000)
        .map_or(BACKOFF, Duration::from_millis)
}

/// What the run reports as it goes, and where a secret for `.env` is written.
pub struct Progress<'a> {
    /// One line per step (and per retry).
    pub line: &'a mut dyn FnMut(&str),
    /// Writes the client secret into `.env`; returns where it went (for the message).
    pub save_env: &'a mut dyn FnMut(&Secret) -> Result<String, String>,
    /// The client secret `.env` holds (for [`Step::CopySecretToVault`]).
    pub env_secret: Option<Secret>,
    pub backoff: Duration,
}

/// The apps as they are now, and where the client secret went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Done {
    pub api: Option<AppRecord>,
    pub backend: Option<AppRecord>,
    pub ui: Option<AppRecord>,
    /// Where a new client secret was put ("Key Vault team-dev-kv as …", "backend/.env").
    pub secret_to: Option<String>,
    /// Something in Entra or the vault was changed.
    pub changed: bool,
}

impl Done {
    fn from_found(found: &Found) -> Done {
        Done {
            api: found.api.as_ref().map(|a| a.record.clone()),
            backend: found.backend.as_ref().map(|a| a.record.clone()),
            ui: found.ui.as_ref().map(|a| a.record.clone()),
            secret_to: None,
            changed: false,
        }
    }

    pub fn get(&self, role: Role) -> Option<&AppRecord> {
        match role {
            Role::Api => self.api.as_ref(),
            Role::Backend => self.backend.as_ref(),
            Role::Ui => self.ui.as_ref(),
        }
    }

    fn set(&mut self, role: Role, app: AppRecord) {
        match role {
            Role::Api => self.api = Some(app),
            Role::Backend => self.backend = Some(app),
            Role::Ui => self.ui = Some(app),
        }
    }
}

/// Why the run (or the discovery) stopped, with what was done before.
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// "could not create app registration lakekeeper-api: HTTP 403 …".
    pub message: String,
    /// The one-line fix, when there is one.
    pub fix: Option<String>,
    pub done: Done,
}

fn retryable(e: &CallError) -> bool {
    match e {
        CallError::Rest(RestError::Api(a)) => lagging(a) || matches!(a.status, 429 | 503 | 504),
        _ => false,
    }
}

/// Entra has not replicated a new object yet: a 404 on it, or (creating a service principal)
/// Graph's 400 "… does not reference a valid application object", which has no code of its own.
fn lagging(a: &ApiError) -> bool {
    a.status == 404
        || a.code == "Request_ResourceNotFound"
        || (a.status == 400
            && a.message
                .contains("does not reference a valid application object"))
}

/// A request Graph did not carry out: replication lag or throttling (429), never a 5xx, after
/// which a create may have happened. For calls that must not run twice (`addPassword`).
fn not_carried_out(e: &CallError) -> bool {
    match e {
        CallError::Rest(RestError::Api(a)) => lagging(a) || a.status == 429,
        _ => false,
    }
}

/// Runs `call` until it succeeds or fails for good, waiting `backoff`, twice that, … between
/// tries when Entra is still replicating or Graph is throttling.
pub(super) async fn retrying<T, F, Fut>(
    what: &str,
    backoff: Duration,
    line: &mut dyn FnMut(&str),
    call: F,
) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    retrying_when(what, backoff, line, retryable, call).await
}

/// [`retrying`], retrying only the failures `retry` accepts.
async fn retrying_when<T, F, Fut>(
    what: &str,
    backoff: Duration,
    line: &mut dyn FnMut(&str),
    retry: fn(&CallError) -> bool,
    mut call: F,
) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(e) if attempt < RETRIES && retry(&e) => {
                let wait = backoff * 2u32.pow(attempt);
                attempt += 1;
                let why = match &e {
                    CallError::Rest(RestError::Api(a)) if lagging(a) => {
                        "Entra has not caught up yet".to_owned()
                    }
                    CallError::Rest(RestError::Api(a)) => {
                        format!("Azure is busy (HTTP {})", a.status)
                    }
                    _ => "no answer".to_owned(),
                };
                line(&format!(
                    "    … {what}: {why}; retry {attempt} of {RETRIES} in {:.0} s",
                    wait.as_secs_f64().max(1.0)
                ));
                tokio::time::sleep(wait).await;
            }
            r => return r,
        }
    }
}

pub(super) fn lag_error(what: &str) -> CallError {
    CallError::Rest(RestError::Api(ApiError {
        status: 404,
        code: "Request_ResourceNotFound".into(),
        inner: None,
        message: format!("{what} is not readable yet"),
        claims: None,
    }))
}

/// Reads what exists: each app by the client ID stored for it, else by unique name; its
/// service principal; whether the secret's home already holds a value. Changes nothing.
pub async fn discover(
    session: &Session,
    opts: &Options,
    stored: &Stored,
    home: SecretHome,
    env_secret: Option<&Secret>,
    now: &str,
) -> Result<Found, Failed> {
    let fail = |what: &str, e: &CallError| Failed {
        message: format!("could not read {what}: {}", detail(e)),
        fix: read_fix(e, session),
        done: Done::default(),
    };
    let mut found = Found {
        api: None,
        backend: None,
        ui: None,
        home,
        home_has_secret: false,
        env_has_secret: false,
    };
    for &role in opts.roles() {
        let name = opts.unique_name(role);
        // The client ID the team committed wins: `uniqueName` is unique in the whole tenant,
        // and another team may own an app under the same name.
        let mut app = None;
        if let Some(id) = stored.get(role) {
            match graph::app_by_client_id(session, id)
                .await
                .map_err(|e| fail(&format!("the app registration {id}"), &e))?
            {
                Some(r) => app = Some((r, FoundBy::StoredId)),
                None => {
                    return Err(Failed {
                        message: format!(
                            "{} = {id} in your setup is not an app registration in this tenant",
                            role.field()
                        ),
                        fix: Some(format!(
                            "sign in to the tenant that holds it (az login --tenant <tenant>), or remove {} from lakekeeper-setup.toml and backend/.env so bootstrap finds or creates {name}",
                            role.field()
                        )),
                        done: Done::default(),
                    });
                }
            }
        }
        if app.is_none() {
            app = graph::app_by_unique_name(session, &name)
                .await
                .map_err(|e| fail(&format!("app registration {name}"), &e))?
                .map(|r| (r, FoundBy::UniqueName));
        }
        let Some((record, by)) = app else { continue };
        let sp = graph::service_principal(session, &record.app_id)
            .await
            .map_err(|e| fail(&format!("the service principal of {name}"), &e))?;
        let a = AppFound { record, sp, by };
        match role {
            Role::Api => found.api = Some(a),
            Role::Backend => found.backend = Some(a),
            Role::Ui => found.ui = Some(a),
        }
    }
    // A secret counts only if it can be one of the backend app's current ones.
    let current = |value: &str| {
        !value.is_empty()
            && found
                .backend
                .as_ref()
                .is_none_or(|b| super::secret_matches(&b.record, value, now))
    };
    found.env_has_secret = env_secret.is_some_and(|s| current(s.expose()));
    found.home_has_secret = match &found.home {
        SecretHome::Vault { vault, name } => {
            match keyvault::get_secret(session, vault, name).await {
                Ok(v) => current(v.expose()),
                Err(KvError::NotFound { .. }) => false,
                Err(e) => {
                    return Err(Failed {
                        message: e.to_string(),
                        fix: None,
                        done: Done::default(),
                    });
                }
            }
        }
        SecretHome::EnvFile { .. } => found.env_has_secret,
    };
    Ok(found)
}

/// Sends `steps` in order. Each success prints one line; the first failure stops the run.
pub async fn run(
    session: &Session,
    opts: &Options,
    found: &Found,
    steps: &[Step],
    end: &str,
    p: &mut Progress<'_>,
) -> Result<Done, Failed> {
    let mut done = Done::from_found(found);
    for step in steps {
        match one(session, opts, found, *step, end, &mut done, p).await {
            Ok(line) => {
                done.changed = true;
                (p.line)(&format!("  ✓ {line}"));
            }
            Err((message, fix)) => {
                return Err(Failed { message, fix, done });
            }
        }
    }
    Ok(done)
}

type StepResult = Result<String, (String, Option<String>)>;

fn need<'a>(
    done: &'a Done,
    role: Role,
    opts: &Options,
) -> Result<&'a AppRecord, (String, Option<String>)> {
    done.get(role).ok_or_else(|| {
        (
            format!("app registration {} is missing", opts.unique_name(role)),
            Some("run `lakekeeper-setup azure bootstrap` again".into()),
        )
    })
}

async fn one(
    session: &Session,
    opts: &Options,
    found: &Found,
    step: Step,
    end: &str,
    done: &mut Done,
    p: &mut Progress<'_>,
) -> StepResult {
    let backoff = p.backoff;
    let failed = |what: &str, e: &CallError| {
        (
            format!("could not {what}: {}", detail(e)),
            write_fix(step, e, opts, found, session),
        )
    };
    match step {
        Step::CreateApp(role) => {
            let name = opts.unique_name(role);
            let body = super::create_body(role, opts);
            let what = format!("create app registration {name}");
            let created = retrying(&what, backoff, p.line, || {
                graph::upsert_app(session, &name, &body)
            })
            .await
            .map_err(|e| failed(&what, &e))?;
            let (record, line) = if let Some(r) = created {
                let line = format!("created app registration {name} (appId {})", r.app_id);
                (r, line)
            } else {
                // 204: it existed (another run or a teammate made it meanwhile).
                let r = retrying(&what, backoff, p.line, || async {
                    graph::app_by_unique_name(session, &name)
                        .await?
                        .ok_or_else(|| lag_error(&name))
                })
                .await
                .map_err(|e| failed(&what, &e))?;
                let line = format!(
                    "app registration {name} already existed (appId {})",
                    r.app_id
                );
                (r, line)
            };
            done.set(role, record);
            Ok(line)
        }
        Step::SetIdentifierUri => {
            let api = need(done, Role::Api, opts)?.clone();
            let body = identifier_uri_body(Some(&api), opts);
            let what = format!("set the Application ID URI of {}", api.name);
            retrying(&what, backoff, p.line, || {
                graph::update_app(session, &api.object_id, &body)
            })
            .await
            .map_err(|e| failed(&what, &e))?;
            let mut api = api;
            api.identifier_uris = string_list(&body["identifierUris"]);
            let line = format!("Application ID URI of {} is api://{}", api.name, api.app_id);
            done.api = Some(api);
            Ok(line)
        }
        Step::SetScope => {
            let api = need(done, Role::Api, opts)?.clone();
            let body = scope_body(Some(&api), opts);
            let what = format!("expose the scope `{}` on {}", super::SCOPE, api.name);
            retrying(&what, backoff, p.line, || {
                graph::update_app(session, &api.object_id, &body)
            })
            .await
            .map_err(|e| failed(&what, &e))?;
            let mut api = api;
            api.api = body["api"].clone();
            let line = format!(
                "{} exposes api://{}/{} (access tokens v2)",
                api.name,
                api.app_id,
                super::SCOPE
            );
            done.api = Some(api);
            Ok(line)
        }
        Step::CreateServicePrincipal(role) => {
            let app = need(done, role, opts)?.clone();
            let what = format!("create the service principal of {}", app.name);
            let made = retrying(&what, backoff, p.line, || {
                graph::create_service_principal(session, &app.app_id)
            })
            .await;
            match made {
                Ok(_) => Ok(format!("created the service principal of {}", app.name)),
                // Someone made it meanwhile: that is what was wanted.
                Err(CallError::Rest(RestError::Api(a))) if a.status == 409 => Ok(format!(
                    "the service principal of {} already existed",
                    app.name
                )),
                Err(e) => Err(failed(&what, &e)),
            }
        }
        Step::AddSecret => {
            let backend = need(done, Role::Backend, opts)?.clone();
            let what = format!("add a client secret to {}", backend.name);
            // Not sent again after a 5xx: Graph may have made the secret, and a second one
            // would be left behind unheld.
            let new = retrying_when(&what, backoff, p.line, not_carried_out, || {
                graph::add_password(session, &backend.object_id, PASSWORD_NAME, end)
            })
            .await
            .map_err(|e| failed(&what, &e))?;
            let mut backend = backend;
            backend.passwords.push(Password {
                key_id: new.key_id.clone(),
                display_name: PASSWORD_NAME.into(),
                hint: new.secret.expose().chars().take(3).collect(),
                end: end.to_owned(),
            });
            let name = backend.name.clone();
            done.backend = Some(backend);
            done.changed = true;
            let to = store(session, &found.home, &new.secret, backoff, p)
                .await
                .map_err(|(m, f)| (format!("added a client secret to {name}, but {m}"), f))?;
            done.secret_to = Some(to.clone());
            Ok(format!(
                "added a client secret to {name} (valid until {}); it is in {to}",
                &end[..10.min(end.len())]
            ))
        }
        Step::CopySecretToVault => {
            let SecretHome::Vault { vault, name } = &found.home else {
                return Ok("nothing to copy".into());
            };
            let Some(secret) = p.env_secret.clone() else {
                return Err((
                    "backend/.env no longer holds the client secret".into(),
                    Some("run `lakekeeper-setup azure bootstrap --new-secret`".into()),
                ));
            };
            put(session, vault, name, &secret, backoff, p.line)
                .await
                .map_err(|e| vault_failure(vault, name, &e, session))?;
            let to = format!("Key Vault {} as {}", vault.name(), name.as_str());
            done.secret_to = Some(to.clone());
            Ok(format!("put the client secret from backend/.env into {to}"))
        }
        Step::SetRedirect => {
            let ui = need(done, Role::Ui, opts)?.clone();
            let body = redirect_body(Some(&ui), opts);
            let what = format!("add the SPA redirect to {}", ui.name);
            retrying(&what, backoff, p.line, || {
                graph::update_app(session, &ui.object_id, &body)
            })
            .await
            .map_err(|e| failed(&what, &e))?;
            let mut ui = ui;
            ui.spa_redirects = string_list(&body["spa"]["redirectUris"]);
            let line = format!("{} redirects to {}", ui.name, opts.redirect());
            done.ui = Some(ui);
            Ok(line)
        }
        Step::PreAuthorize => {
            let api = need(done, Role::Api, opts)?.clone();
            let ui = need(done, Role::Ui, opts)?.clone();
            let body = pre_authorize_body(Some(&api), Some(&ui), opts);
            let what = format!("pre-authorise {} on {}", ui.name, api.name);
            retrying(&what, backoff, p.line, || {
                graph::update_app(session, &api.object_id, &body)
            })
            .await
            .map_err(|e| failed(&what, &e))?;
            let mut api = api;
            api.api = body["api"].clone();
            done.api = Some(api);
            Ok(format!(
                "{} is pre-authorised on the scope `{}` of {}",
                ui.name,
                super::SCOPE,
                opts.unique_name(Role::Api)
            ))
        }
    }
}

fn string_list(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// Puts the new secret in its home. When the vault refuses it, the secret goes to `.env`
/// instead (it cannot be read back from Entra, so it must not be lost) and the error says so.
async fn store(
    session: &Session,
    home: &SecretHome,
    secret: &Secret,
    backoff: Duration,
    p: &mut Progress<'_>,
) -> Result<String, (String, Option<String>)> {
    match home {
        SecretHome::EnvFile { .. } => (p.save_env)(secret).map_err(|e| {
            (
                format!(
                    "could not write it ({e}); the new secret is lost (Entra never shows it again)"
                ),
                Some("fix the file's problem and run `lakekeeper-setup azure bootstrap --new-secret`".into()),
            )
        }),
        SecretHome::Vault { vault, name } => {
            match put(session, vault, name, secret, backoff, p.line).await {
                Ok(()) => Ok(format!("Key Vault {} as {}", vault.name(), name.as_str())),
                Err(e) => {
                    let (why, fix) = vault_failure(vault, name, &e, session);
                    match (p.save_env)(secret) {
                        Ok(kept) => Err((
                            format!("{why}; the secret is kept in {kept} instead, so nothing is lost"),
                            fix.map(|f| format!("{f}; then run `lakekeeper-setup azure bootstrap` again: it moves the secret into the vault")),
                        )),
                        Err(e2) => Err((
                            format!("{why}, and writing it to .env failed too ({e2}); the new secret is lost"),
                            fix.map(|f| format!("{f}; then run `lakekeeper-setup azure bootstrap --new-secret`")),
                        )),
                    }
                }
            }
        }
    }
}

/// Stores the secret in the vault, retried through replication lag and throttling.
async fn put(
    session: &Session,
    vault: &VaultUrl,
    name: &SecretName,
    secret: &Secret,
    backoff: Duration,
    line: &mut dyn FnMut(&str),
) -> Result<(), CallError> {
    let what = format!("store the secret in Key Vault {}", vault.name());
    retrying(&what, backoff, line, || {
        keyvault::set_secret(session, vault, name, secret)
    })
    .await
}

/// What the vault's refusal was, and its fix (the same words `azure store-secrets` uses).
fn vault_failure(
    vault: &VaultUrl,
    name: &SecretName,
    e: &CallError,
    session: &Session,
) -> (String, Option<String>) {
    let target = consent::Target::VaultSecret {
        vault: vault.name().to_owned(),
        secret: name.as_str().to_owned(),
    };
    let refusal = consent::explain(&target, &consent::Who::of(session), e);
    (refusal.what, refusal.fix)
}

pub(super) fn detail(e: &CallError) -> String {
    match e {
        CallError::Az(a) => a.to_string(),
        CallError::Rest(RestError::Api(a)) if a.code.is_empty() => {
            format!("HTTP {}: {}", a.status, a.message)
        }
        CallError::Rest(r) => r.to_string(),
    }
}

fn tenant_arg(session: &Session) -> String {
    session
        .az
        .tenant()
        .map_or_else(String::new, |t| format!(" --tenant {t}"))
}

/// The fix for a failed read.
fn read_fix(e: &CallError, session: &Session) -> Option<String> {
    match e {
        CallError::Rest(RestError::Api(a)) if a.status == 401 => Some(format!(
            "Microsoft Graph did not accept your sign-in: run az login{}",
            tenant_arg(session)
        )),
        CallError::Rest(RestError::Api(a)) if a.status == 403 => Some(
            "your account may not read app registrations in this tenant (guests usually cannot): ask an administrator, or a member with the Application Developer role, to run this command".into(),
        ),
        CallError::Rest(RestError::Network(_)) => {
            Some("check your network (VPN, proxy) and run again".into())
        }
        _ => None,
    }
}

/// The one-line fix for a refused write, by Graph's error code (never its wording).
fn write_fix(
    step: Step,
    e: &CallError,
    opts: &Options,
    found: &Found,
    session: &Session,
) -> Option<String> {
    let again = "run `lakekeeper-setup azure bootstrap` again: it resumes where it stopped";
    let CallError::Rest(rest) = e else {
        return None;
    };
    let a = match rest {
        RestError::Api(a) => a,
        RestError::Network(_) => {
            return Some(format!("check your network (VPN, proxy), then {again}"));
        }
        RestError::Unexpected(_) => return Some(again.to_owned()),
    };
    // An existing app by the name it has (the profile's may be a portal-made one).
    let app = |role: Role| {
        found
            .get(role)
            .map_or_else(|| opts.unique_name(role), |a| a.record.name.clone())
    };
    let role_of = |s: Step| match s {
        Step::CreateApp(r) | Step::CreateServicePrincipal(r) => r,
        Step::SetIdentifierUri | Step::SetScope | Step::PreAuthorize => Role::Api,
        Step::AddSecret | Step::CopySecretToVault => Role::Backend,
        Step::SetRedirect => Role::Ui,
    };
    Some(match (a.status, a.code.as_str(), step) {
        (403, "Authorization_RequestDenied", Step::CreateApp(_)) => format!(
            "you may not register applications in this tenant: ask an administrator to turn on \"Users can register applications\" (Entra admin center › Identity › Users › User settings) or to give you the Application Developer role, then {again}"
        ),
        (403, _, s) => format!(
            "you are not an owner of {}: ask one of its owners to add you (Entra admin center › App registrations › {} › Owners), or an Application Administrator to run `lakekeeper-setup azure bootstrap`",
            app(role_of(s)),
            app(role_of(s))
        ),
        (401, _, _) => format!(
            "Microsoft Graph did not accept your sign-in: run az login{}, then {again}",
            tenant_arg(session)
        ),
        (400, "HostNameNotOnVerifiedDomain", _) => format!(
            "an app-management policy in your tenant refuses api://<appId> as an Application ID URI: ask an administrator to allow it, then {again}"
        ),
        (400, _, Step::AddSecret) => format!(
            "your tenant may limit how long client secrets live: run again with a shorter --secret-months (e.g. --secret-months 6); now {} months",
            opts.secret_months
        ),
        (400, "CannotDeleteOrUpdateEnabledEntitlement", _) => format!(
            "{} has an enabled scope `{}` that differs from this tool's: disable it in the portal (App registrations › {} › Expose an API), then {again}",
            app(Role::Api),
            super::SCOPE,
            app(Role::Api)
        ),
        (status, _, _) if lagging(a) || matches!(status, 429 | 503 | 504) => {
            format!("Entra had not caught up after {RETRIES} retries: wait a minute, then {again}")
        }
        _ => again.to_owned(),
    })
}
