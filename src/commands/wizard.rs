//! The wizard's driver: loads the project, builds the state machine, picks the front end
//! (full-screen, or line prompts with `--plain`, `TERM=dumb` or a small terminal), and executes
//! the machine's effects with the real engine: `validate` + `plan` for the review, `apply`
//! for the write, and the live checks (`verify`) on a background thread whose progress comes
//! back to the front end as messages. All of the wizard's I/O happens here and in the front
//! ends.

pub mod pick;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use super::{Exit, Project, RunError};
use std::path::{Path, PathBuf};

use crate::cli::{Global, Paths};
use crate::model::FieldId;
use crate::output::Style;
use crate::plan::{self, Plan};
use crate::root::Origin;
use crate::secret::generate_key;
use crate::wizard::{Context, Effect, Msg, Outcome, PlanSummary, Wizard, WrittenFile};
use crate::{apply, git, prompt, tui, validate, verify};

/// Each live check's timeout, as `verify`'s default.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// The one-line refusal without a terminal: scripts use `apply`.
pub const NO_TTY: &str = "the wizard needs a terminal on stdin; in scripts and CI run `lakekeeper-setup apply` (values from the environment, lakekeeper-setup.toml and backend/.env)";

/// The wizard from `main`: when no project root was found (and no `--root` or `--env-file`
/// given), it asks where to set up instead of creating `backend/` in the current directory.
pub fn run_from(
    g: &Global,
    paths: Paths,
    cwd: &Path,
    plain: bool,
    dry_run: bool,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    if !std::io::stdin().is_terminal() {
        return Err(RunError::Usage(NO_TTY.into()));
    }
    let paths = if paths.may_create(g) {
        paths
    } else {
        let Some(dir) = ask_root(cwd)? else {
            outln!("cancelled; nothing was written");
            return Ok(Exit::Cancelled);
        };
        Paths::at(g, dir, Origin::Explicit)
    };
    run(&paths, plain, dry_run, process_env)
}

/// Asks for the project root on the terminal (a line prompt, before any screen is set up).
fn ask_root(cwd: &Path) -> Result<Option<PathBuf>, RunError> {
    // Said before the question, wrapped at word boundaries: inquire prints its prompt as is.
    for line in prompt::said(&crate::strings::root_not_found(cwd), prompt::columns()) {
        outln!("{line}");
    }
    let answer = inquire::Text::new(crate::strings::ROOT_QUESTION)
        .with_default(&cwd.display().to_string())
        .with_help_message(crate::strings::ROOT_HELP)
        .prompt();
    match answer {
        Ok(dir) => {
            let dir = PathBuf::from(dir.trim());
            Ok(Some(if dir.is_absolute() {
                dir
            } else {
                cwd.join(dir)
            }))
        }
        Err(
            inquire::InquireError::OperationCanceled | inquire::InquireError::OperationInterrupted,
        ) => Ok(None),
        Err(e) => Err(terminal_error(&e)),
    }
}

pub fn run(
    paths: &Paths,
    plain: bool,
    dry_run: bool,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    if !std::io::stdin().is_terminal() {
        return Err(RunError::Usage(NO_TTY.into()));
    }
    let project = Project::load(paths)?;
    // Secrets the profile names in the team's Key Vault pre-fill the wizard (a `[secrets]` table
    // that cannot be used is left to the review's warnings and `check`).
    let vault = super::vault::read(&project, process_env, super::vault::Want::NotInEnvironment)
        .unwrap_or_else(|problems| super::vault::VaultLayer {
            warnings: problems.iter().map(ToString::to_string).collect(),
            ..super::vault::VaultLayer::default()
        });
    let answers = project.answers_with_vault(process_env, &vault.answers);
    let status = git::status(&paths.env);
    let git_status = match status {
        git::GitStatus::NotARepo => "not inside a git repository",
        git::GitStatus::Ignored => {
            "the .env is ignored by git (its secrets stay out of the repository)"
        }
        git::GitStatus::Tracked => "the .env is tracked by git",
        git::GitStatus::NotIgnored => "the .env is not ignored by git",
    }
    .to_owned();
    let strays = crate::backups::strays(&paths.env, &crate::backups::secret_values(&project.env));
    let env_label = paths.env.display().to_string();
    let git_warning = git::advice(&paths.env, status)
        .into_iter()
        .chain(strays.iter().map(|s| crate::backups::advice(s, &env_label)))
        .map(|(msg, fix)| format!("{msg}. Fix: {fix}"))
        .reduce(|a, b| format!("{a}\n{b}"));
    let secret_expiry = secret_expiry(&answers);
    let ctx = Context {
        secret_expiry,
        env_path: paths.env.display().to_string(),
        override_path: paths.override_file.display().to_string(),
        profile_path: paths.profile.display().to_string(),
        env_found: project.env_text.is_some(),
        override_found: project.override_text.is_some(),
        profile_found: project.profile_text.is_some(),
        git_status,
        git_warning,
        env_file_key: project.existing_key().map(crate::secret::Secret::new),
        dry_run,
        ..production_context(&project, paths)
    };
    tui::install_panic_hook();
    // The team's tenant goes to the Azure CLI's token requests only in a valid form.
    let answers_tenant = answers
        .get(FieldId::Tenant)
        .and_then(|t| validate::field(FieldId::Tenant, t, &answers).ok())
        .map(|c| c.value);
    let answers_base_uri = answers.get(FieldId::BaseUri).map(str::to_owned);
    let mut wizard = Wizard::new(answers, ctx, generate_key(48));
    if let Some(how) = pick::assist_off_at_start(process_env.get("PATH").map(String::as_str)) {
        wizard.update(Msg::AssistOff(how));
    }
    let (tx, inbox) = channel();
    let mut driver = Driver {
        project: &project,
        plan: None,
        vault: &vault,
        paths,
        process_env,
        tx,
        lister: pick::azure(
            answers_tenant,
            crate::azure::Hints {
                base_uri: answers_base_uri,
            },
        ),
    };
    let mut exec = |e: Effect| driver.execute(e);

    let term_dumb = process_env.get("TERM").is_some_and(|t| t == "dumb");
    let small = ratatui::crossterm::terminal::size()
        .map_or(true, |(w, h)| w < tui::MIN_WIDTH || h < tui::MIN_HEIGHT);
    let line_mode = plain || term_dumb || small || !std::io::stdout().is_terminal();
    let outcome = if line_mode {
        prompt::run(&mut wizard, &mut exec, &inbox).map_err(|e| terminal_error(&e))?
    } else {
        let o = tui::run(&mut wizard, &mut exec, &inbox).map_err(|e| terminal_error(&e))?;
        // The screen is gone: leave the outcome in the scrollback.
        if let Some(lines) = wizard.done().map(|_| crate::wizard::done_lines(&wizard)) {
            prompt::print_lines(&lines, Style::stdout());
        }
        o
    };
    if wizard.bootstrap_requested() {
        return bootstrap_then_again(paths, plain, dry_run, &wizard, process_env);
    }
    if wizard.export_requested() {
        // Asked for on the Done screen, which said the command: run it as if typed.
        outln!();
        outln!("$ {}", wizard.export_command());
        let args = crate::cli::HelmArgs {
            out: None,
            secrets: None,
            dry_run: false,
            force: false,
        };
        return super::export::run(paths, &crate::cli::ExportTarget::Helm(args), process_env);
    }
    // The exit code says whether the files were written; failed live checks are on the screen
    // (and `lakekeeper-setup verify` gives them their own exit code).
    Ok(match outcome {
        Outcome::Written | Outcome::DryRun | Outcome::UpToDate => Exit::Ok,
        Outcome::Cancelled => {
            outln!("cancelled; nothing was written");
            Exit::Cancelled
        }
        Outcome::Failed => Exit::CouldNotRun,
    })
}

/// The offer on the API app or backend step was taken: runs `azure bootstrap` as if typed (it
/// shows its plan and asks on this terminal), then the wizard again, which finds the new IDs in
/// the profile. A tenant typed in the wizard goes to both (as the environment would), so it is
/// not lost.
fn bootstrap_then_again(
    paths: &Paths,
    plain: bool,
    dry_run: bool,
    wizard: &Wizard,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let mut env = process_env.clone();
    let tenant = wizard.field(FieldId::Tenant).text.trim().to_owned();
    if crate::validate::tenant(&tenant).is_ok() {
        env.insert(crate::keys::OAUTH2_TENANT_ID.to_owned(), tenant);
    }
    // The wizard's prompts may have left the terminal raw (Enter would not end a line).
    let _ = ratatui::crossterm::terminal::disable_raw_mode();
    outln!();
    outln!("$ lakekeeper-setup azure bootstrap");
    let args = crate::cli::BootstrapArgs {
        write: crate::cli::AzureWriteArgs {
            dry_run,
            yes: false,
        },
        with_ui: false,
        prefix: crate::azure::bootstrap::DEFAULT_PREFIX.to_owned(),
        secret_months: None,
        new_secret: false,
        production: false,
        aks_cluster: None,
        tenant: None,
    };
    let exit = super::azure::bootstrap::run(paths, &args, &env)?;
    if exit != Exit::Ok {
        outln!(
            "the wizard was left; run `lakekeeper-setup` again when the app registrations exist"
        );
        return Ok(exit);
    }
    outln!();
    outln!("Starting the wizard again with the new app registrations …");
    run(paths, plain, dry_run, &env)
}

/// The welcome screen's line for each client secret with 30 days or fewer left, read from
/// Microsoft Graph with the user's `az login` (only when there is a secret to judge).
fn secret_expiry(answers: &crate::model::Answers) -> Vec<String> {
    use crate::keys as k;
    let env: std::collections::BTreeMap<String, String> = [
        (k::OAUTH2_CLIENT_ID, FieldId::BackendClientId),
        (k::OAUTH2_CLIENT_SECRET, FieldId::BackendSecret),
        (k::STORAGE_CLIENT_ID, FieldId::StorageClientId),
        (k::STORAGE_CLIENT_SECRET, FieldId::StorageClientSecret),
    ]
    .into_iter()
    .filter_map(|(key, f)| answers.get(f).map(|v| (key.to_owned(), v.to_owned())))
    .collect();
    if !env.contains_key(k::OAUTH2_CLIENT_SECRET) {
        return Vec::new();
    }
    let tenant = answers.get(FieldId::Tenant);
    super::verify::expiry_welcome(tenant, &env)
}

/// What the Production step starts from: the profile's `[production]` table (read leniently:
/// its problems are said on the step), the vault names it is validated with, and the exact
/// `export helm` command for this project.
fn production_context(project: &Project, paths: &Paths) -> Context {
    Context {
        export_command: export_command(paths),
        ..production_start(project.profile_text.as_deref())
    }
}

/// The Production step's part of the context from the profile's text.
pub(crate) fn production_start(profile_text: Option<&str>) -> Context {
    let text = profile_text.unwrap_or("");
    let (production, problems) = crate::production::read_known(text);
    Context {
        production,
        production_problems: problems,
        vault_names: crate::production::vault_names(text).unwrap_or_default(),
        ..Context::default()
    }
}

/// `lakekeeper-setup export helm` with the options that point it at this run's files.
fn export_command(paths: &Paths) -> String {
    let mut cmd = String::from("lakekeeper-setup");
    let default_env = paths.root.join("backend").join(".env");
    let default_profile = paths.root.join("lakekeeper-setup.toml");
    for (flag, path, given) in [
        ("--root", &paths.root, paths.origin == Origin::Explicit),
        ("--env-file", &paths.env, paths.env != default_env),
        (
            "--profile",
            &paths.profile,
            paths.profile != default_profile,
        ),
    ] {
        if given {
            cmd.push(' ');
            cmd.push_str(flag);
            cmd.push(' ');
            cmd.push_str(&shell_quote(&path.display().to_string()));
        }
    }
    cmd.push_str(" export helm");
    cmd
}

/// `s` as one POSIX shell word.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@,=%".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn terminal_error(e: &dyn std::fmt::Display) -> RunError {
    RunError::Read {
        path: "the terminal".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Executes effects; holds the last plan so `Write` applies exactly what was reviewed.
struct Driver<'a> {
    project: &'a Project,
    plan: Option<Plan>,
    /// What the team's Key Vault gave (for the review: where each secret came from).
    vault: &'a super::vault::VaultLayer,
    paths: &'a Paths,
    process_env: &'a BTreeMap<String, String>,
    /// To the front end's inbox, for the background checks' messages.
    tx: Sender<Msg>,
    /// Fetches the pickers' lists from Azure.
    lister: pick::Lister,
}

impl Driver<'_> {
    fn execute(&mut self, effect: Effect) -> Vec<Msg> {
        match effect {
            Effect::ComputePlan {
                answers,
                save_profile,
                production,
            } => {
                vec![Msg::PlanReady(self.compute(
                    &answers,
                    save_profile,
                    production,
                ))]
            }
            Effect::Write => vec![Msg::Written(self.write())],
            Effect::StartVerify => self
                .start_verify()
                .err()
                .map(|e| Msg::VerifyDone(Err(e)))
                .into_iter()
                .collect(),
            Effect::Fetch(kind) => pick::spawn_fetch(&self.lister, kind, &self.tx)
                .into_iter()
                .collect(),
            Effect::Exit(_) => Vec::new(),
        }
    }

    fn compute(
        &mut self,
        answers: &crate::model::Answers,
        save_profile: bool,
        production: Option<crate::production::Raw>,
    ) -> Result<PlanSummary, Vec<String>> {
        self.plan = None;
        let v = validate::answers(answers)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
        let inputs = plan::Inputs {
            production,
            ..self.project.plan_inputs(save_profile)
        };
        let p = plan::plan(&v.config, answers, &inputs).map_err(|e| vec![e.to_string()])?;
        let origins = crate::azure::secrets::origins(
            answers,
            self.vault.spec.as_ref(),
            &self.project.env_answers(),
        );
        let notes: Vec<String> = v.notes.iter().map(|(f, n)| format!("{f}: {n}")).collect();
        let mut warnings: Vec<String> = self.vault.warnings.clone();
        // Each secret's origin is said beside it on the review; a rotated one is also a warning.
        warnings.extend(
            origins
                .iter()
                .filter(|o| o.rotated)
                .map(crate::azure::secrets::SecretOrigin::line),
        );
        warnings.extend(
            v.warnings
                .iter()
                .map(|(f, w)| format!("{} ({f}): {w}", crate::strings::label(*f))),
        );
        let summary = PlanSummary {
            env_path: p.env.path.display().to_string(),
            changes: p.changes.clone(),
            file_diffs: [Some(&p.compose), p.profile.as_ref()]
                .into_iter()
                .flatten()
                .map(|f| (f.path.display().to_string(), f.text_diff()))
                .collect(),
            changes_anything: p.changes_anything(),
            notes,
            warnings,
            secrets: origins,
        };
        self.plan = Some(p);
        Ok(summary)
    }

    /// Starts the live checks on the files as they are now (re-read: the write just changed
    /// them) on their own thread and runtime, so the front end never waits on the network.
    /// Progress and the report go to the inbox; a send to a front end that has already left
    /// fails and is ignored, and the thread ends with its checks' timeouts.
    fn start_verify(&self) -> Result<(), String> {
        let failed = |e: &dyn std::fmt::Display| e.to_string();
        let project = Project::load(self.paths).map_err(|e| failed(&e))?;
        let cfg = super::verify::config(&project, self.process_env, VERIFY_TIMEOUT)
            .map_err(|e| failed(&e))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| failed(&e))?;
        let tx = self.tx.clone();
        std::thread::Builder::new()
            .name("verify".into())
            .spawn(move || {
                let (ptx, mut prx) = tokio::sync::mpsc::unbounded_channel();
                let forward = async {
                    while let Some(event) = prx.recv().await {
                        let _ = tx.send(Msg::VerifyProgress(event));
                    }
                };
                // `run` drops its sender when it returns, which ends `forward`: every progress
                // message is sent before the report.
                let (report, ()) =
                    rt.block_on(async { tokio::join!(verify::run(&cfg, Some(ptx)), forward) });
                let _ = tx.send(Msg::VerifyDone(Ok(report)));
            })
            .map(drop)
            .map_err(|e| failed(&e))
    }

    fn write(&mut self) -> Result<Vec<WrittenFile>, String> {
        let p = self
            .plan
            .as_ref()
            .ok_or_else(|| "no plan to write; go back to the review".to_owned())?;
        crate::output::stdio::committed();
        let written = apply::apply(p).map_err(|e| e.to_string())?;
        Ok(written
            .into_iter()
            .map(|w| WrittenFile {
                path: w.path.display().to_string(),
                backup: w.backup.map(|b| b.display().to_string()),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Global;

    fn global(env_file: Option<&str>) -> Global {
        Global {
            root: None,
            env_file: env_file.map(PathBuf::from),
            override_file: None,
            profile: None,
        }
    }

    /// Issue 20, item 17, through the driver: the plan summary the review shows carries each
    /// secret's origin, and a vault value that differs from `.env` is a warning.
    #[test]
    fn the_review_summary_says_where_each_secret_came_from() {
        use crate::model::{FieldId, Source};
        use crate::wizard::tests::{BACKEND_SECRET, complete};
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("backend")).expect("mkdir");
        std::fs::write(
            dir.path().join("backend/.env"),
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET=fake-old-secret-from-env-0000000000000000\n",
        )
        .expect("write");
        let profile = "[secrets]\nvault = \"https://team-dev-kv.vault.azure.net\"\nbackend_client_secret = \"lakekeeper-backend-client-secret\"\n";
        std::fs::write(dir.path().join("lakekeeper-setup.toml"), profile).expect("write");
        let paths = Paths::at(&global(None), dir.path().to_path_buf(), Origin::Explicit);
        let project = Project::load(&paths).expect("load");
        let mut vault = super::super::vault::VaultLayer {
            spec: crate::azure::secrets::spec(profile).expect("spec"),
            ..super::super::vault::VaultLayer::default()
        };
        vault
            .answers
            .set(FieldId::BackendSecret, BACKEND_SECRET, Source::KeyVault);
        let mut answers = complete();
        answers.set(FieldId::BackendSecret, BACKEND_SECRET, Source::KeyVault);
        let (tx, _rx) = std::sync::mpsc::channel();
        let env = BTreeMap::new();
        let mut driver = Driver {
            project: &project,
            plan: None,
            vault: &vault,
            paths: &paths,
            process_env: &env,
            tx,
            lister: std::sync::Arc::new(|_| Ok(Vec::new())),
        };
        let summary = driver.compute(&answers, false, None).expect("a plan");
        let secret = summary
            .secrets
            .iter()
            .find(|o| o.key == "LAKEKEEPER__OAUTH2__CLIENT_SECRET")
            .expect("the client secret's origin");
        assert_eq!(
            secret.from,
            "Key Vault team-dev-kv: lakekeeper-backend-client-secret"
        );
        assert!(secret.rotated);
        let password = summary
            .secrets
            .iter()
            .find(|o| o.key == "POSTGRES_PASSWORD")
            .expect("the password's origin");
        assert_eq!(password.from, "the existing .env");
        assert!(
            summary.warnings.iter().any(|w| w.starts_with(
                "LAKEKEEPER__OAUTH2__CLIENT_SECRET ••••WXYZ from Key Vault team-dev-kv"
            ) && w.contains("differs from the value in .env")),
            "{:?}",
            summary.warnings
        );
    }

    #[test]
    fn the_export_command_names_only_the_options_this_run_was_given() {
        let found = Paths::at(
            &global(None),
            PathBuf::from("/srv/team"),
            Origin::Found(crate::root::Marker::Profile),
        );
        assert_eq!(export_command(&found), "lakekeeper-setup export helm");
        let given = Paths::at(
            &global(Some("/home/me/my env/.env")),
            PathBuf::from("/srv/team's app"),
            Origin::Explicit,
        );
        assert_eq!(
            export_command(&given),
            "lakekeeper-setup --root '/srv/team'\\''s app' --env-file '/home/me/my env/.env' export helm"
        );
    }
}
