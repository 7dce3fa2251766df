//! The rotation's steps, one method each: what each sends, and the stop (what happened, the fix)
//! when it fails. Every stop leaves the old secret working; the next run resumes.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{COMMAND, Stop};
use crate::azure::bootstrap::{self, AddFailed, Progress, SecretHome};
use crate::azure::change;
use crate::azure::graph::{self, Password};
use crate::azure::keyvault;
use crate::azure::rotate::{self, Found, Step};
use crate::azure::{CallError, Session, consent};
use crate::cli::{ApplyArgs, Paths};
use crate::commands::azure::bootstrap::write_env_secret;
use crate::commands::{Exit, Project};
use crate::keys;
use crate::secret::Secret;
use crate::verify::warehouse::{self, CredentialUpdate, WarehouseError};
use crate::verify::{Status, entra, http::HttpError};

/// How long the token check and the warehouse update may take.
const TIMEOUT: Duration = Duration::from_secs(20);

pub(super) struct Runner<'a> {
    pub(super) rt: &'a tokio::runtime::Runtime,
    pub(super) session: &'a Session,
    pub(super) paths: &'a Paths,
    pub(super) process_env: &'a BTreeMap<String, String>,
    pub(super) found: Found,
    /// The new credential, once added (or found from an earlier run).
    pub(super) new: Option<Password>,
    pub(super) end: String,
    pub(super) yes: bool,
    pub(super) keep_old: bool,
}

type StepResult = Result<Option<String>, Stop>;

impl Runner<'_> {
    /// Runs one step: `Ok(Some(line))` done, `Ok(None)` the user chose to stop here.
    pub(super) fn step(&mut self, step: &Step) -> StepResult {
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
                    outln!(
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
        let mut line = |l: &str| outln!("{l}");
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
        let name = rotate::display_name(replaces, &self.found.by);
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
            outln!(
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
