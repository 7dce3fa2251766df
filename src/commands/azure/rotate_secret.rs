//! `lakekeeper-setup azure rotate-secret`: the backend's client secret replaced without a
//! moment in which nothing works. Reads the backend app and the secret's home, prints the plan
//! ([`rotate::plan`]: what is left to do, and the right each step needs), asks once, then runs
//! the steps — `addPassword` through bootstrap's shared step (the value straight to the vault or
//! `backend/.env`), `apply`, verify's token check with the new secret, the warehouse's stored
//! credential, and `removePassword` of the old one after a second question. A stop leaves the
//! old secret working and says how to resume; a re-run reads how far it got from Graph.

use std::collections::BTreeMap;
use std::time::Duration;

use super::bootstrap::{DEFAULT_MONTHS, secret_home, write_env_secret};
use super::common;
use crate::azure::bootstrap::{self, AddFailed, Progress, SecretHome};
use crate::azure::change;
use crate::azure::graph::{self, Password};
use crate::azure::keyvault::{self, KvError};
use crate::azure::rotate::{self, Found, Stage, Step};
use crate::azure::{CallError, Session, consent};
use crate::cli::{ApplyArgs, Paths, RotateSecretArgs};
use crate::commands::{Exit, Project, RunError};
use crate::keys;
use crate::model::{ClientId, FieldId, StorageCredentialKind};
use crate::output::Style;
use crate::secret::Secret;
use crate::verify::warehouse::{self, CredentialUpdate, WarehouseError};
use crate::verify::{Status, entra, http::HttpError};

const COMMAND: &str = "lakekeeper-setup azure rotate-secret";

/// How long the token check and the warehouse update may take.
const TIMEOUT: Duration = Duration::from_secs(20);

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
    let session = rt.block_on(common::session(&answers))?;
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
            Ok(Some(line)) => println!("  ✓ {line}"),
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
        Stage::Start { .. } => {}
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

struct Runner<'a> {
    rt: &'a tokio::runtime::Runtime,
    session: &'a Session,
    paths: &'a Paths,
    process_env: &'a BTreeMap<String, String>,
    found: Found,
    /// The new credential, once added (or found from an earlier run).
    new: Option<Password>,
    end: String,
    yes: bool,
    keep_old: bool,
}

type StepResult = Result<Option<String>, Stop>;

impl Runner<'_> {
    /// Runs one step: `Ok(Some(line))` done, `Ok(None)` the user chose to stop here.
    fn step(&mut self, step: &Step) -> StepResult {
        match step {
            Step::RemoveUnheld(p) => self.remove(p, "nobody holds it").map(Some),
            Step::AddSecret { replaces } => self.add(replaces.as_ref()).map(Some),
            Step::CopyToVault => self.copy_to_vault().map(Some),
            Step::Apply => self.apply().map(Some),
            Step::CheckToken => self.check_token().map(Some),
            Step::UpdateWarehouse => self.update_warehouse().map(Some),
            Step::RemoveOld(p) => {
                let question = format!(
                    "Remove the old client secret {}? Whoever still uses it loses access.",
                    rotate::describe(p)
                );
                if !change::confirm(&question, self.yes) {
                    println!(
                        "kept the old client secret: it works until {}; run `{COMMAND}` again to remove it",
                        p.end.get(..10).unwrap_or("it expires")
                    );
                    return Ok(None);
                }
                self.remove(p, "the new one works everywhere it is used")
                    .map(Some)
            }
        }
    }

    fn remove(&mut self, p: &Password, why: &str) -> Result<String, Stop> {
        let app = &self.found.app;
        // Read again: a run whose answer was lost may have removed it already.
        let now = self
            .rt
            .block_on(graph::app_by_object_id(self.session, &app.object_id))
            .map_err(|e| self.graph_stop(&format!("could not read {}", app.name), &e))?;
        let listed = now
            .as_ref()
            .is_some_and(|a| a.passwords.iter().any(|x| x.key_id == p.key_id));
        if listed {
            self.rt
                .block_on(graph::remove_password(
                    self.session,
                    &app.object_id,
                    &p.key_id,
                ))
                .map_err(|e| {
                    self.graph_stop(
                        &format!("could not remove the client secret {}", rotate::describe(p)),
                        &e,
                    )
                })?;
        }
        Ok(format!(
            "removed the client secret {} from {} ({why})",
            rotate::describe(p),
            app.name
        ))
    }

    fn graph_stop(&self, what: &str, e: &CallError) -> Stop {
        let fix = match e {
            CallError::Rest(crate::azure::rest::RestError::Api(a)) if a.status == 403 => format!(
                "you are not an owner of {}: ask one of its owners to add you (Entra admin center › App registrations › {} › Owners), or an Application Administrator to run `{COMMAND}`",
                self.found.app.name, self.found.app.name
            ),
            _ => format!("run `{COMMAND}` again: it resumes where it stopped"),
        };
        Stop::new(format!("{what}: {e}"), fix)
    }

    fn add(&mut self, replaces: Option<&Password>) -> Result<String, Stop> {
        let env_path = self.paths.env.clone();
        let mut line = |l: &str| println!("{l}");
        let mut save_env = |s: &Secret| {
            write_env_secret(&env_path, s)
                .map(|()| env_path.display().to_string())
                .map_err(|e| e.to_string())
        };
        let mut progress = Progress {
            line: &mut line,
            save_env: &mut save_env,
            env_secret: None,
            backoff: bootstrap::backoff_from_env(),
            resume: COMMAND,
            redo: COMMAND,
        };
        let name = rotate::display_name(replaces);
        let added = self.rt.block_on(bootstrap::add_secret(
            self.session,
            &self.found.app,
            &name,
            &self.end,
            &self.found.home,
            &mut progress,
        ));
        match added {
            Ok((password, to)) => {
                let line = format!(
                    "added a new client secret to {} (valid until {}); it is in {to}, never shown",
                    self.found.app.name,
                    self.end.get(..10).unwrap_or_default()
                );
                self.found.app.passwords.push(password.clone());
                self.new = Some(password);
                Ok(line)
            }
            Err(AddFailed::Graph(e)) => Err(self.graph_stop(
                &format!("could not add a client secret to {}", self.found.app.name),
                &e,
            )),
            Err(AddFailed::Store { message, fix, .. }) => Err(Stop::new(
                format!(
                    "added a new client secret to {}, but {message}",
                    self.found.app.name
                ),
                fix.unwrap_or_else(|| {
                    format!("run `{COMMAND}` again: it resumes where it stopped")
                }),
            )),
        }
    }

    fn copy_to_vault(&mut self) -> Result<String, Stop> {
        let SecretHome::Vault { vault, name } = &self.found.home else {
            return Ok("nothing to copy".into());
        };
        let project =
            Project::load(self.paths).map_err(|e| Stop::new(e.to_string(), "then run again"))?;
        let Some(value) = project
            .env
            .get(keys::OAUTH2_CLIENT_SECRET)
            .filter(|v| !v.is_empty())
            .map(Secret::new)
        else {
            return Err(Stop::new(
                "backend/.env no longer holds the new client secret",
                format!(
                    "run `{COMMAND}` again: it removes the secret nobody holds and adds a new one"
                ),
            ));
        };
        self.rt
            .block_on(keyvault::set_secret(self.session, vault, name, &value))
            .map_err(|e| {
                let target = consent::Target::VaultSecret {
                    vault: vault.name().to_owned(),
                    secret: name.as_str().to_owned(),
                };
                let r = consent::explain(&target, &consent::Who::of(self.session), &e);
                Stop::new(
                    format!("{}; the new secret stays in backend/.env meanwhile", r.what),
                    r.fix.map_or_else(
                        || format!("run `{COMMAND}` again"),
                        |f| format!("{f}; then run `{COMMAND}` again"),
                    ),
                )
            })?;
        Ok(format!(
            "put the new client secret from backend/.env into Key Vault {} as {}",
            vault.name(),
            name.as_str()
        ))
    }

    fn apply(&mut self) -> Result<String, Stop> {
        let args = ApplyArgs {
            dry_run: false,
            yes: true,
            json: false,
            generate_key: false,
            rotate_key: false,
            save_profile: false,
        };
        let resume = format!(
            "fix what apply says above, then run `{COMMAND}` again: it resumes where it stopped (the old secret still works)"
        );
        match crate::commands::apply::run(self.paths, &args, self.process_env) {
            Ok(Exit::Ok) => Ok(format!(
                "wrote {} with the new secret (`lakekeeper-setup apply`)",
                self.paths.env.display()
            )),
            Ok(_) => Err(Stop::new(
                "`lakekeeper-setup apply` did not write backend/.env",
                resume,
            )),
            Err(e) => Err(Stop::new(
                format!("`lakekeeper-setup apply` failed: {e}"),
                resume,
            )),
        }
    }

    /// The `.env` as `apply` left it, as verify reads it.
    fn verify_config(&self) -> Result<crate::verify::VerifyConfig, Stop> {
        let project =
            Project::load(self.paths).map_err(|e| Stop::new(e.to_string(), "then run again"))?;
        crate::commands::verify::config(&project, self.process_env, TIMEOUT)
            .map_err(|e| Stop::new(e.to_string(), format!("run `{COMMAND}` again")))
    }

    fn check_token(&mut self) -> Result<String, Stop> {
        let cfg = self.verify_config()?;
        let in_env = cfg.env.get(keys::OAUTH2_CLIENT_SECRET).map(String::as_str);
        let held = rotate::credential_of(&self.found.app, in_env);
        if let Some(new) = &self.new
            && held.is_none_or(|h| h.key_id != new.key_id)
        {
            return Err(Stop::new(
                format!(
                    "{} does not hold the new client secret after apply",
                    self.paths.env.display()
                ),
                format!(
                    "check what sets {} (the profile's [secrets], the shell), then run `{COMMAND}` again",
                    keys::OAUTH2_CLIENT_SECRET
                ),
            ));
        }
        let client = crate::verify::http::client(TIMEOUT)
            .map_err(|e| Stop::new(e.to_string(), "then run again"))?;
        // A new secret can take a few seconds to reach every Entra replica: asked again with
        // bootstrap's backoff before the run stops.
        let backoff = bootstrap::backoff_from_env();
        let mut attempt = 0;
        let result = loop {
            let (result, _) = self.rt.block_on(entra::check_token(
                &cfg,
                &client,
                tokio::time::Instant::now() + TIMEOUT,
            ));
            if result.status == Status::Ok || attempt == bootstrap::RETRIES {
                break result;
            }
            let wait = backoff * 2u32.pow(attempt);
            attempt += 1;
            println!(
                "    … no token yet ({}); retry {attempt} of {} in {:.0} s",
                result.summary,
                bootstrap::RETRIES,
                wait.as_secs_f64().max(1.0)
            );
            std::thread::sleep(wait);
        };
        if result.status == Status::Ok {
            Ok(format!(
                "Entra ID gives a token for the new secret ({})",
                result.summary
            ))
        } else {
            Err(Stop::new(
                format!("the new secret does not get a token yet: {}", result.summary),
                result.fix.map_or_else(
                    || format!("wait a minute (Entra may still be replicating it), then run `{COMMAND}` again; the old secret still works"),
                    |f| format!("{f}; then run `{COMMAND}` again (the old secret still works)"),
                ),
            ))
        }
    }

    fn update_warehouse(&mut self) -> Result<String, Stop> {
        let cfg = self.verify_config()?;
        let outcome = self.rt.block_on(warehouse::update_credential(&cfg));
        let stop = |message: String, fix: String| {
            if self.keep_old {
                // The old secret stays, so the warehouse keeps working: say so and go on.
                Ok(format!(
                    "{message} — the warehouse keeps the old secret, which --keep-old leaves in place; {fix}"
                ))
            } else {
                Err(Stop::new(message, fix))
            }
        };
        match outcome {
            Ok(CredentialUpdate::Updated { name, .. }) => Ok(format!(
                "warehouse `{name}` signs with the new secret (its storage credential in Lakekeeper)"
            )),
            Ok(CredentialUpdate::NoWarehouse { name }) => Ok(format!(
                "no warehouse `{name}` in Lakekeeper yet: `lakekeeper-setup warehouse` creates it with the new secret"
            )),
            Err(WarehouseError::Http(e @ HttpError::Unreachable { .. })) => stop(
                format!(
                    "Lakekeeper is not reachable ({e}), so warehouse's stored credential was not updated"
                ),
                format!(
                    "start it (`docker compose up -d`) and run `{COMMAND}` again, or `lakekeeper-setup warehouse` later and `{COMMAND} --keep-old` now"
                ),
            ),
            Err(e) => stop(
                format!("the warehouse's storage credential was not updated: {e}"),
                format!("run `{COMMAND}` again once that is fixed: it resumes here"),
            ),
        }
    }
}

fn stopped(stop: &Stop, started: bool) -> Exit {
    let err = Style::stderr();
    eprintln!("{} {}", err.red("error:"), stop.message);
    eprintln!("fix: {}", stop.fix);
    if started {
        eprintln!(
            "the old client secret still works until this run finishes (`{COMMAND}` resumes where it stopped)"
        );
    }
    Exit::CouldNotRun
}

/// What the rest of the team does now.
fn teammates(home: &SecretHome, keep_old: bool) {
    let out = Style::stdout();
    println!("{}", out.green("the client secret is rotated"));
    match home {
        SecretHome::Vault { vault, .. } => println!(
            "teammates: nothing to do — their next `lakekeeper-setup apply` (or the wizard) reads the new version from Key Vault {}",
            vault.name()
        ),
        SecretHome::EnvFile { label } => {
            println!(
                "teammates: the new secret is only in your {label}. Pass it on through a channel meant for secrets (a password manager's shared vault), never chat or email; each teammate puts it in backend/.env as {} (or runs `lakekeeper-setup azure bootstrap`, which adds a secret of their own).{}",
                keys::OAUTH2_CLIENT_SECRET,
                if keep_old {
                    ""
                } else {
                    " Until then the old one no longer works for them."
                }
            );
            println!(
                "a team Key Vault is better: name it under [secrets] in lakekeeper-setup.toml, run `lakekeeper-setup azure store-secrets` once, and every later rotation reaches everyone with their next apply — no secret passed by hand"
            );
        }
    }
}
