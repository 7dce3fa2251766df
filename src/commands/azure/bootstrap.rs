//! `lakekeeper-setup azure bootstrap`: the app registrations from an empty tenant to a profile
//! the team commits. Reads what exists, prints the plan (what exists, what will be created and
//! the right each change needs), asks once (`--yes` for scripts), runs each step with a line of
//! progress, puts the new client secret in Key Vault (when the profile names one) or
//! `backend/.env` — never on the screen — and writes the non-secret results into the profile.
//! `--dry-run` prints the requests instead (secrets masked) and writes nothing.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::time::SystemTime;

use crate::apply::{lock_beside, write_atomic};
use crate::azure::bootstrap::{
    self, DEFAULT_SECRET_NAME, Done, Failed, Options, Progress, Role, SecretHome, Step, Stored,
};
use crate::azure::change::{self, Change};
use crate::azure::keyvault::SecretName;
use crate::azure::tenant::{self, Choice, Origin, SignedIn};
use crate::azure::{ListError, Session};
use crate::cli::{BootstrapArgs, Paths};
use crate::commands::{Exit, Project, RunError};
use crate::envfile::EnvFile;
use crate::keys;
use crate::model::{ClientId, FieldId, Source};
use crate::output::Style;
use crate::secret::Secret;

/// The lifetime of a new client secret when none is given.
pub(crate) const DEFAULT_MONTHS: u32 = 12;

fn stored_id(text: Option<&str>) -> Option<ClientId> {
    let t = text?.trim().to_ascii_lowercase();
    crate::validate::is_guid(&t).then_some(ClientId(t))
}

pub fn run(
    paths: &Paths,
    args: &BootstrapArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let out = Style::stdout();
    let err = Style::stderr();
    let prefix = bootstrap::check_prefix(&args.prefix).map_err(RunError::Usage)?;
    let project = Project::load(paths)?;
    let spec = match crate::commands::vault::spec(&project) {
        Ok(s) => s,
        Err(problems) => {
            for p in &problems {
                eoutln!("{} {p}", err.red("error:"));
            }
            eoutln!("nothing was changed");
            return Ok(Exit::Problems);
        }
    };
    let answers = project.answers(process_env);
    let stored = Stored {
        api: stored_id(answers.get(FieldId::ApiClientId)),
        backend: stored_id(answers.get(FieldId::BackendClientId)),
        ui: stored_id(answers.get(FieldId::UiClientId)),
    };
    let opts = Options {
        prefix,
        with_ui: args.with_ui,
        secret_months: args.secret_months.unwrap_or(DEFAULT_MONTHS),
        new_secret: args.new_secret,
        base_uri: answers
            .get(FieldId::BaseUri)
            .unwrap_or(crate::strings::DEFAULT_BASE_URI)
            .to_owned(),
        production: false,
    };
    let home = secret_home(spec.as_ref(), paths);
    let env_secret = project
        .env
        .get(keys::OAUTH2_CLIENT_SECRET)
        .filter(|v| !v.is_empty())
        .map(Secret::new);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::Usage(format!("could not start the Azure client: {e}")))?;
    let chosen = match tenant_session(&rt, args, &answers, paths)? {
        Ok(c) => c,
        Err(exit) => return Ok(exit),
    };
    outln!(
        "{} · signed in as {}",
        chosen.describe(),
        chosen.session.account.user
    );
    let Chosen {
        session,
        tenant: tenant_text,
        ..
    } = chosen;
    outln!(
        "Looking for the app registrations {}, {}, {} …",
        opts.unique_name(Role::Api),
        opts.unique_name(Role::Backend),
        opts.unique_name(Role::Ui)
    );

    let now = SystemTime::now();
    let found = match rt.block_on(bootstrap::discover(
        &session,
        &opts,
        &stored,
        home.clone(),
        env_secret.as_ref(),
        &bootstrap::iso_now(now),
    )) {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f, false, err);
            return Ok(Exit::CouldNotRun);
        }
    };

    let steps = bootstrap::plan(&found, &opts, &bootstrap::iso_now(now));
    let months = if steps.contains(&Step::AddSecret)
        && args.secret_months.is_none()
        && !args.write.yes
        && !args.write.dry_run
        && std::io::stdin().is_terminal()
    {
        ask_months()
    } else {
        opts.secret_months
    };
    let opts = Options {
        secret_months: months,
        ..opts
    };
    let end = bootstrap::end_date(now, months);
    let graph_base = session.endpoints.graph.clone();
    let changes: Vec<Change> = steps
        .iter()
        .map(|s| bootstrap::change(*s, &found, &opts, &graph_base, &end))
        .collect();

    let before = project.profile_text.clone();
    let known = Done {
        api: found.api.as_ref().map(|a| a.record.clone()),
        backend: found.backend.as_ref().map(|a| a.record.clone()),
        ui: found.ui.as_ref().map(|a| a.record.clone()),
        ..Done::default()
    };
    let profile_now = bootstrap::profile_text(before.as_deref(), &tenant_text, &known, &home)?;
    let profile_changes = !steps.is_empty() || Some(&profile_now) != before.as_ref();

    outln!("{}", out.bold("Plan:"));
    out!(
        "{}",
        change::plan_text(&bootstrap::exists_lines(&found, &opts), &changes)
    );
    if found.ui.is_none() && !opts.with_ui {
        outln!(
            "  {}",
            out.dim("the UI app is not asked for (--with-ui adds it)")
        );
    }
    let someone_holds_one = found.backend.as_ref().is_some_and(|b| {
        b.record
            .passwords
            .iter()
            .any(|p| p.end.is_empty() || p.end.as_str() > bootstrap::iso_now(now).as_str())
    });
    if matches!(home, SecretHome::EnvFile { .. })
        && steps.contains(&Step::AddSecret)
        && someone_holds_one
        && !opts.new_secret
    {
        outln!(
            "  {} {} already has a current client secret that this machine does not hold: each teammate without one adds their own. With a team Key Vault ([secrets] vault in the profile, then `lakekeeper-setup azure store-secrets` once) everyone shares one",
            out.yellow("note:"),
            found
                .backend
                .as_ref()
                .map_or("", |b| b.record.name.as_str())
        );
    }
    if profile_changes {
        outln!(
            "  then: write the client IDs and the App ID URI (no secret) into {}",
            paths.profile.display()
        );
    }

    if args.write.dry_run {
        if !changes.is_empty() {
            outln!("{}", out.bold("Requests it would send (secrets masked):"));
            out!("{}", change::dry_run_text(&changes));
        }
        outln!("dry run: nothing was sent or written");
        return Ok(Exit::Ok);
    }
    if !profile_changes {
        outln!(
            "{}",
            out.green("everything is in place; nothing was changed")
        );
        return Ok(Exit::Ok);
    }
    if !args.write.yes && !std::io::stdin().is_terminal() {
        eoutln!(
            "Nothing changed: not on a terminal, so nobody could confirm. Run again with --yes to go ahead."
        );
        return Ok(Exit::CouldNotRun);
    }
    // Said before the question: a secret headed for a `.env` git would commit.
    if matches!(home, SecretHome::EnvFile { .. }) && steps.contains(&Step::AddSecret) {
        let status = crate::git::start(&paths.env).wait();
        if let Some((msg, fix)) = crate::git::advice(&paths.env, status) {
            outln!("{} {msg}. Fix: {fix}", out.yellow("warning:"));
        }
    }
    if !change::confirm("Make these changes?", args.write.yes) {
        return Ok(Exit::Cancelled);
    }

    let mut line = |l: &str| outln!("{l}");
    let env_path = paths.env.clone();
    let mut save_env = |s: &Secret| {
        write_env_secret(&env_path, s)
            .map(|()| env_path.display().to_string())
            .map_err(|e| e.to_string())
    };
    let mut progress = Progress {
        line: &mut line,
        save_env: &mut save_env,
        env_secret,
        backoff: bootstrap::backoff_from_env(),
        resume: "lakekeeper-setup azure bootstrap",
        redo: "lakekeeper-setup azure bootstrap --new-secret",
    };
    let result = rt.block_on(bootstrap::run(
        &session,
        &opts,
        &found,
        &steps,
        &end,
        &mut progress,
    ));
    let (done, failed) = match result {
        Ok(d) => (d, None),
        Err(f) => (f.done.clone(), Some(f)),
    };
    // What was done is saved even when a step failed: the next run starts from there. The
    // profile is read again first: the run can take minutes, and an edit made meanwhile (an
    // editor, the wizard) is kept.
    let saved = save_profile(&paths.profile, &tenant_text, &done, &home, failed.is_some());
    if let Some(f) = failed {
        if matches!(saved, Ok(true)) {
            outln!("wrote what was done so far to {}", paths.profile.display());
        }
        report_failure(&f, true, err);
        if let Err(e) = saved {
            eoutln!("{} {e}", err.red("error:"));
        }
        return Ok(Exit::CouldNotRun);
    }
    let wrote_profile = saved?;
    if wrote_profile {
        outln!(
            "{} {} — commit it: everyone on the team gets the same app registrations",
            out.green("wrote"),
            paths.profile.display()
        );
    }
    if let Some(to) = &done.secret_to {
        outln!("the backend's client secret is in {to} (it was never shown)");
    }
    outln!(
        "next: `lakekeeper-setup apply` (or the wizard) writes backend/.env from the profile{}",
        if matches!(home, SecretHome::Vault { .. }) {
            " and the vault"
        } else {
            ""
        }
    );
    outln!(
        "and the other portal steps: `lakekeeper-setup azure extensions` (PostgreSQL) and `lakekeeper-setup azure roles` (storage); `lakekeeper-setup verify --fix` checks everything"
    );
    Ok(Exit::Ok)
}

/// Where the backend's client secret lives: the profile's vault (under its
/// `backend_client_secret` name, or the default), else `backend/.env`.
pub(crate) fn secret_home(
    spec: Option<&crate::azure::secrets::SecretsSpec>,
    paths: &Paths,
) -> SecretHome {
    match spec {
        Some(s) => SecretHome::Vault {
            vault: s.vault.clone(),
            name: s
                .name_of(FieldId::BackendSecret)
                .cloned()
                .unwrap_or_else(|| {
                    SecretName::parse(DEFAULT_SECRET_NAME).expect("the default name is valid")
                }),
        },
        None => SecretHome::EnvFile {
            label: paths.env.display().to_string(),
        },
    }
}

/// The tenant `azure bootstrap` works in (laptop and `--production` alike), where that answer
/// came from, and the Azure CLI session for it.
pub(crate) struct Chosen {
    pub session: Session,
    pub tenant: String,
    pub origin: Origin,
    /// " (Contoso, contoso.onmicrosoft.com)" when it is the signed-in tenant, else empty.
    known: String,
    /// The tenant the answers name (profile, `.env`, environment) and where, if any.
    pub configured: Option<(String, Origin)>,
}

impl Chosen {
    /// "Tenant 1111… (Contoso, contoso.onmicrosoft.com), from --tenant".
    pub fn describe(&self) -> String {
        format!(
            "Tenant {}{}, {}",
            self.tenant,
            self.known,
            self.origin.describe()
        )
    }
}

/// Chooses the tenant as [`tenant::choose`] says (`--tenant`, else the answers' when the
/// sign-in reaches it, else the signed-in one; a mismatch is offered on a terminal or stops
/// naming both) and returns the session for it. `Err(exit)` after the reason was printed.
pub(crate) fn tenant_session(
    rt: &tokio::runtime::Runtime,
    args: &BootstrapArgs,
    answers: &crate::model::Answers,
    paths: &Paths,
) -> Result<Result<Chosen, Exit>, RunError> {
    let err = Style::stderr();
    let configured = answers.get(FieldId::Tenant).map(|t| {
        (
            t.to_owned(),
            Origin::Answer {
                source: answers.source(FieldId::Tenant).unwrap_or(Source::Profile),
                profile: paths.profile.display().to_string(),
                env: paths.env.display().to_string(),
            },
        )
    });
    let tenant = args
        .tenant
        .clone()
        .or_else(|| configured.as_ref().map(|(t, _)| t.clone()));
    let session = match rt.block_on(Session::from_az(None)) {
        Ok(s) => s,
        Err(e) => {
            let why = match e {
                ListError::AssistOff(s) | ListError::Forbidden(s) | ListError::Failed(s) => s,
            };
            eoutln!(
                "{} {}",
                err.red("error:"),
                why.trim_start_matches("Azure assist off: ")
            );
            eoutln!(
                "bootstrap works with your own Azure CLI sign-in: install az 2.54 or newer and run az login{}; nothing was changed",
                tenant
                    .as_deref()
                    .map_or_else(String::new, |t| format!(" --tenant {t}"))
            );
            return Ok(Err(Exit::CouldNotRun));
        }
    };
    let signed_in = rt.block_on(signed_in_tenant(&session));
    let reachable = match configured.as_ref() {
        Some((t, _)) if args.tenant.is_none() && !t.eq_ignore_ascii_case(&signed_in.id) => {
            rt.block_on(reaches(&session, t))
        }
        _ => false,
    };
    let borrowed = configured
        .as_ref()
        .map(|(t, origin)| (t.as_str(), origin.clone()));
    let Some((tenant_text, origin)) = choose_tenant(args, borrowed, reachable, &signed_in, err)
    else {
        return Ok(Err(Exit::CouldNotRun));
    };
    let session = session
        .with_tenant(Some(&tenant_text))
        .map_err(|e| RunError::Usage(e.to_string()))?;
    let known = if tenant_text.eq_ignore_ascii_case(&signed_in.id) {
        match signed_in.label() {
            l if l.is_empty() => String::new(),
            l => format!(" ({l})"),
        }
    } else {
        String::new()
    };
    Ok(Ok(Chosen {
        session,
        tenant: tenant_text,
        origin,
        known,
        configured,
    }))
}

/// The tenant the Azure CLI is signed in to, with its name and default domain: from `az account
/// show`, else (an `az` older than 2.37) from ARM's tenants list, as the wizard's picker reads it.
pub(crate) async fn signed_in_tenant(session: &Session) -> SignedIn {
    let a = &session.account;
    let mut me = SignedIn {
        id: a.tenant_id.clone(),
        name: a.tenant_name.clone().filter(|n| !n.is_empty()),
        domain: a.tenant_domain.clone().filter(|d| !d.is_empty()),
    };
    if (me.name.is_none() || me.domain.is_none())
        && let Ok(list) = crate::azure::arm::tenants(session).await
        && let Some(t) = list.iter().find(|t| t.id.eq_ignore_ascii_case(&me.id))
    {
        me.name = me
            .name
            .or_else(|| Some(t.name.clone()).filter(|n| !n.is_empty()));
        me.domain = me
            .domain
            .or_else(|| Some(t.default_domain.clone()).filter(|d| !d.is_empty()));
    }
    me
}

/// Whether the sign-in gets a Microsoft Graph token for `tenant` (a guest may work in a tenant
/// other than its default subscription's; a placeholder or stale tenant fails here).
pub(crate) async fn reaches(session: &Session, tenant: &str) -> bool {
    match session.with_tenant(Some(tenant)) {
        Ok(s) => s.token(&s.endpoints.graph_resource).await.is_ok(),
        Err(_) => false,
    }
}

/// The tenant to work in and where it came from. A configured tenant that is not the signed-in
/// one is offered against the signed-in one on a terminal; otherwise the run stops naming both
/// (`None`).
fn choose_tenant(
    args: &BootstrapArgs,
    configured: Option<(&str, Origin)>,
    reachable: bool,
    signed_in: &SignedIn,
    err: Style,
) -> Option<(String, Origin)> {
    match tenant::choose(args.tenant.as_deref(), configured, reachable, signed_in) {
        Choice::Use { id, origin } => Some((id, origin)),
        Choice::Mismatch {
            configured,
            origin,
            signed_in,
        } => {
            let (line, fix) = tenant::mismatch(&configured, &origin, &signed_in);
            if args.write.yes || !std::io::stdin().is_terminal() {
                eoutln!("{} {line}; nothing was changed", err.red("error:"));
                eoutln!("fix: {fix}");
                return None;
            }
            eoutln!("{line}.");
            let mine = format!("the signed-in tenant {}", signed_in.describe());
            let theirs = format!(
                "{configured}, {} (you must be signed in to it: az login --tenant {configured})",
                origin.describe()
            );
            match inquire::Select::new(
                "Which tenant should bootstrap work in?",
                vec![mine.clone(), theirs],
            )
            .prompt()
            {
                Ok(pick) if pick == mine => Some((signed_in.id.clone(), Origin::SignedIn)),
                Ok(_) => Some((configured, origin)),
                Err(_) => {
                    eoutln!("Nothing changed.");
                    None
                }
            }
        }
    }
}

/// Writes the bootstrap's results into the profile as it is now (read again), unless that
/// changes nothing or a failed run changed nothing in Azure. Whether it wrote.
fn save_profile(
    path: &Path,
    tenant: &str,
    done: &bootstrap::Done,
    home: &SecretHome,
    failed: bool,
) -> Result<bool, RunError> {
    if failed && !done.changed {
        return Ok(false);
    }
    let now = crate::commands::read_optional(path)?;
    let profile = bootstrap::profile_text(now.as_deref(), tenant, done, home)?;
    if Some(&profile) == now.as_ref() {
        return Ok(false);
    }
    write_atomic(path, &profile, false)?;
    Ok(true)
}

fn report_failure(f: &Failed, resumable: bool, err: Style) {
    eoutln!("{} {}", err.red("error:"), f.message);
    if let Some(fix) = &f.fix {
        eoutln!("fix: {fix}");
    } else if resumable {
        eoutln!("fix: run `lakekeeper-setup azure bootstrap` again: it resumes where it stopped");
    }
}

/// Asks for the client secret's lifetime on a terminal (Enter keeps the default).
fn ask_months() -> u32 {
    inquire::CustomType::<u32>::new("Client secret lifetime in months (1–24)")
        .with_default(DEFAULT_MONTHS)
        .with_error_message("a whole number from 1 to 24, please")
        .with_validator(|n: &u32| {
            Ok(if (1..=24).contains(n) {
                inquire::validator::Validation::Valid
            } else {
                inquire::validator::Validation::Invalid(
                    "a whole number from 1 to 24, please".into(),
                )
            })
        })
        .prompt()
        .unwrap_or(DEFAULT_MONTHS)
}

/// Writes the client secret into `.env` (edited in place, everything else kept; mode 0600), under
/// the lock beside it.
pub(crate) fn write_env_secret(path: &Path, secret: &Secret) -> Result<(), RunError> {
    let target = crate::apply::resolve_target(path)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| RunError::Read {
            path: dir.display().to_string(),
            source: e,
        })?;
    }
    let _lock = lock_beside(&target)?;
    let before = crate::commands::read_optional(&target)?;
    let mut env = EnvFile::parse(before.as_deref().unwrap_or("")).map_err(|e| RunError::Parse {
        path: target.display().to_string(),
        message: e.to_string(),
    })?;
    env.set(keys::OAUTH2_CLIENT_SECRET, secret.expose())
        .map_err(|e| RunError::Parse {
            path: target.display().to_string(),
            message: e.to_string(),
        })?;
    write_atomic(&target, &env.render(), true)?;
    Ok(())
}
