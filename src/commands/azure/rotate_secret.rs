//! `lakekeeper-setup azure rotate-secret`: the backend's client secret replaced without a
//! moment in which nothing works. Reads the backend app and the secret's home, prints the plan
//! ([`rotate::plan`]: what is left to do, and the right each step needs), asks once, then runs
//! the steps — `addPassword` through bootstrap's shared step (the value straight to the vault or
//! `backend/.env`), `apply`, verify's token check with the new secret, the warehouse's stored
//! credential, and `removePassword` of the old one after a second question. A stop leaves the
//! old secret working and says how to resume; a re-run reads how far it got from Graph.

use std::collections::BTreeMap;

use super::bootstrap::{DEFAULT_MONTHS, reaches, secret_home, signed_in_tenant};
use super::common;
use crate::azure::Session;
use crate::azure::bootstrap::{self, SecretHome};
use crate::azure::change;
use crate::azure::graph;
use crate::azure::keyvault::{self, KvError};
use crate::azure::rotate::{self, Found, Stage, Step};
use crate::azure::tenant::{self, Choice, Origin};
use crate::cli::{Paths, RotateSecretArgs};
use crate::commands::{Exit, Project, RunError};
use crate::keys;
use crate::model::{ClientId, FieldId, Source, StorageCredentialKind};
use crate::output::Style;

mod steps;
use steps::Runner;

const COMMAND: &str = "lakekeeper-setup azure rotate-secret";

/// Why the run stopped: what happened and the fix.
struct Stop {
    message: String,
    fix: String,
}

impl Stop {
    fn new(message: impl Into<String>, fix: impl Into<String>) -> Stop {
        Stop {
            message: message.into(),
            fix: fix.into(),
        }
    }
}

pub fn run(
    paths: &Paths,
    args: &RotateSecretArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let (project, answers) = common::load(paths, process_env)?;
    refuse_a_shadowing_secret(process_env)?;
    let home = home(&project, paths)?;
    let rt = common::runtime()?;
    let signed_in = rt.block_on(common::session_in(None))?;
    let session = match rt.block_on(in_team_tenant(signed_in, &answers, paths)) {
        Ok(s) => s,
        Err(stop) => return Ok(stopped(&stop, false)),
    };
    let found = match rt.block_on(discover(&session, &project, &answers, home)) {
        Ok(f) => f,
        Err(stop) => return Ok(stopped(&stop, false)),
    };
    let stage = rotate::stage(&found);
    let opts = rotate::Options {
        keep_old: args.keep_old,
        warehouse_uses_it: warehouse_uses(&answers, &found.app.app_id),
    };
    let steps = rotate::plan(&stage, opts);
    let end = bootstrap::end_date(crate::clock::now(), args.months.unwrap_or(DEFAULT_MONTHS));
    let changes = changes(&steps, &found, &session, &answers, &end);
    let go = common::plan_and_confirm(
        &format!(
            "Rotating the client secret of {} (appId {}):",
            found.app.name, found.app.app_id
        ),
        &exists_lines(&found, &stage),
        &changes,
        &notes(&found, opts),
        &args.write,
        "Start the rotation?",
    );
    if let common::Go::Stop(exit) = go {
        return Ok(exit);
    }
    let mut runner = Runner {
        rt: &rt,
        session: &session,
        paths,
        process_env,
        new: stage.added().cloned(),
        found,
        end,
        yes: args.write.yes,
        keep_old: args.keep_old,
    };
    for step in &steps {
        match runner.step(step) {
            Ok(Some(line)) => outln!("  ✓ {line}"),
            Ok(None) => return Ok(Exit::Ok),
            Err(stop) => return Ok(stopped(&stop, true)),
        }
    }
    teammates(&runner.found.home, args.keep_old);
    Ok(Exit::Ok)
}

/// A client secret exported in the shell wins over `.env` in every command: the rotation would
/// prove and spread the old one.
fn refuse_a_shadowing_secret(process_env: &BTreeMap<String, String>) -> Result<(), RunError> {
    if process_env.contains_key(keys::OAUTH2_CLIENT_SECRET) {
        return Err(RunError::Usage(format!(
            "{} is set in your shell; it would win over the new secret in every command: unset it, then run `{COMMAND}` again",
            keys::OAUTH2_CLIENT_SECRET
        )));
    }
    Ok(())
}

/// The session in the team's tenant (the profile's, else `.env`'s provider URI; none: the
/// sign-in's own). One the sign-in cannot reach — a stale `.env`, the wrong `az login` — stops
/// the run before anything is read, naming both tenants and where the configured one came from
/// (bootstrap's rule, [`tenant::choose`]): the app to rotate is the configured tenant's.
async fn in_team_tenant(
    session: Session,
    answers: &crate::model::Answers,
    paths: &Paths,
) -> Result<Session, Stop> {
    let Some(configured) = answers
        .get(FieldId::Tenant)
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Ok(session);
    };
    let origin = Origin::Answer {
        source: answers.source(FieldId::Tenant).unwrap_or(Source::Profile),
        profile: paths.profile.display().to_string(),
        env: paths.env.display().to_string(),
    };
    let me = signed_in_tenant(&session).await;
    let reachable = !configured.eq_ignore_ascii_case(&me.id) && reaches(&session, configured).await;
    match tenant::choose(None, Some((configured, origin)), reachable, &me) {
        Choice::Use { id, .. } => session.with_tenant(Some(&id)).map_err(|e| {
            Stop::new(
                e.to_string(),
                "correct the tenant in lakekeeper-setup.toml ([entra] tenant)",
            )
        }),
        Choice::Mismatch {
            configured,
            origin,
            signed_in,
        } => {
            let (line, _) = tenant::mismatch(&configured, &origin, &signed_in);
            Err(Stop::new(
                format!("{line}; nothing was changed"),
                format!(
                    "run `az login --tenant {configured}`, then `{COMMAND}` again; if the team's apps are in the signed-in tenant {} instead, correct the tenant (it comes {}) and run `lakekeeper-setup apply` first",
                    signed_in.id,
                    origin.describe()
                ),
            ))
        }
    }
}

/// Where the secret lives: the profile's vault, else `backend/.env`.
fn home(project: &Project, paths: &Paths) -> Result<SecretHome, RunError> {
    let spec = crate::commands::vault::spec(project).map_err(|problems| {
        RunError::Usage(format!(
            "the profile's [secrets] table cannot be used: {}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    Ok(secret_home(spec.as_ref(), paths))
}

/// The plan's view of each step.
fn changes(
    steps: &[Step],
    found: &Found,
    session: &Session,
    answers: &crate::model::Answers,
    end: &str,
) -> Vec<change::Change> {
    let lakekeeper = answers
        .get(FieldId::BaseUri)
        .unwrap_or(crate::strings::DEFAULT_BASE_URI);
    let warehouse = answers
        .get(FieldId::WarehouseName)
        .unwrap_or(crate::strings::DEFAULT_WAREHOUSE);
    steps
        .iter()
        .map(|s| {
            rotate::change(
                s,
                found,
                &session.endpoints.graph,
                end,
                lakekeeper,
                warehouse,
            )
        })
        .collect()
}

/// The backend app (the profile's client ID, else `.env`'s, else the default unique name) and
/// which of its credentials the secret's home — and, with a vault, `.env` — hold.
async fn discover(
    session: &Session,
    project: &Project,
    answers: &crate::model::Answers,
    home: SecretHome,
) -> Result<Found, Stop> {
    let read_fix = "check your az login (az login --tenant <the team's tenant>) and that you may read app registrations, then run again";
    let id = answers
        .get(FieldId::BackendClientId)
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| crate::validate::is_guid(t));
    let app = match &id {
        Some(id) => graph::app_by_client_id(session, &ClientId(id.clone())).await,
        None => {
            graph::app_by_unique_name(session, &format!("{}-backend", bootstrap::DEFAULT_PREFIX))
                .await
        }
    }
    .map_err(|e| {
        Stop::new(
            format!("could not read the backend's app registration: {e}"),
            read_fix,
        )
    })?;
    let Some(app) = app else {
        return Err(Stop::new(
            match &id {
                Some(id) => format!("backend_service.client_id = {id} is not an app registration in this tenant"),
                None => "no backend app registration: the profile names none and lakekeeper-backend does not exist".into(),
            },
            "run `lakekeeper-setup azure bootstrap` first (or sign in to the team's tenant)",
        ));
    };
    let env_secret = project
        .env
        .get(keys::OAUTH2_CLIENT_SECRET)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let home_secret = match &home {
        SecretHome::Vault { vault, name } => match keyvault::get_secret(session, vault, name).await
        {
            Ok(v) => Some(v.expose().to_owned()),
            Err(KvError::NotFound { .. }) => None,
            Err(e) => return Err(Stop::new(e.to_string(), "then run again")),
        },
        SecretHome::EnvFile { .. } => env_secret.clone(),
    };
    let in_home = rotate::credential_of(&app, home_secret.as_deref()).cloned();
    let in_env = match &home {
        SecretHome::Vault { .. } => rotate::credential_of(&app, env_secret.as_deref()).cloned(),
        SecretHome::EnvFile { .. } => None,
    };
    Ok(Found {
        app,
        home,
        in_home,
        in_env,
        by: session.account.user.clone(),
    })
}

/// Whether the warehouse signs storage requests with this app's secret (client credentials and
/// no separate warehouse app).
fn warehouse_uses(answers: &crate::model::Answers, app: &ClientId) -> bool {
    let kind = answers
        .get(FieldId::StorageCredential)
        .and_then(|c| crate::validate::storage_credential(c).ok())
        .map_or(StorageCredentialKind::ClientCredentials, |c| c.value);
    let separate = answers
        .get(FieldId::StorageClientId)
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty());
    kind == StorageCredentialKind::ClientCredentials && separate.is_none_or(|s| s == app.as_str())
}

fn exists_lines(f: &Found, stage: &Stage) -> Vec<String> {
    let mut out: Vec<String> = f
        .app
        .passwords
        .iter()
        .map(|p| {
            let held = if f.in_home.as_ref().is_some_and(|h| h.key_id == p.key_id) {
                match &f.home {
                    SecretHome::Vault { vault, .. } => {
                        format!(" — the one in Key Vault {}", vault.name())
                    }
                    SecretHome::EnvFile { label } => format!(" — the one in {label}"),
                }
            } else {
                String::new()
            };
            format!("client secret {}{held}", rotate::describe(p))
        })
        .collect();
    match stage {
        Stage::Start { old: None, .. } => out.push(
            "the secret's home holds none of these (missing, expired or from another app): the new one replaces nothing".into(),
        ),
        Stage::InEnv { new, .. } | Stage::Stored { new, .. } => out.push(format!(
            "an earlier run added {}: this run resumes it",
            rotate::describe(new)
        )),
        Stage::Start { others, .. } => out.extend(others.iter().map(|p| {
            format!(
                "{} is another person's rotation of the same secret (without a team vault it may be only in their backend/.env): left as it is; ask them to finish theirs (`{COMMAND}`) or pass the new secret on",
                rotate::describe(p)
            )
        })),
    }
    out
}

fn notes(f: &Found, opts: rotate::Options) -> Vec<String> {
    let mut out = Vec::new();
    if !opts.warehouse_uses_it {
        out.push("  the warehouse does not use this secret (a shared key or a separate app): Lakekeeper is left as it is".into());
    }
    if opts.keep_old {
        out.push("  --keep-old: the old secret stays until it expires".into());
    } else if matches!(f.home, SecretHome::EnvFile { .. }) {
        out.push("  without a team vault, whoever uses the old secret loses access when it is removed: pass the new one on first (the end of this run says how)".into());
    }
    out
}

fn stopped(stop: &Stop, started: bool) -> Exit {
    let err = Style::stderr();
    eoutln!("{} {}", err.red("error:"), stop.message);
    eoutln!("fix: {}", stop.fix);
    if started {
        eoutln!(
            "the old client secret still works until this run finishes (`{COMMAND}` resumes where it stopped)"
        );
    }
    Exit::CouldNotRun
}

/// What the rest of the team does now.
fn teammates(home: &SecretHome, keep_old: bool) {
    let out = Style::stdout();
    outln!("{}", out.green("the client secret is rotated"));
    match home {
        SecretHome::Vault { vault, .. } => outln!(
            "teammates: nothing to do — their next `lakekeeper-setup apply` (or the wizard) reads the new version from Key Vault {}",
            vault.name()
        ),
        SecretHome::EnvFile { label } => {
            outln!(
                "teammates: the new secret is only in your {label}. Pass it on through a channel meant for secrets (a password manager's shared vault), never chat or email; each teammate puts it in backend/.env as {} (or runs `lakekeeper-setup azure bootstrap`, which adds a secret of their own).{}",
                keys::OAUTH2_CLIENT_SECRET,
                if keep_old {
                    ""
                } else {
                    " Until then the old one no longer works for them."
                }
            );
            outln!(
                "a team Key Vault is better: name it under [secrets] in lakekeeper-setup.toml, run `lakekeeper-setup azure store-secrets` once, and every later rotation reaches everyone with their next apply — no secret passed by hand"
            );
        }
    }
}
