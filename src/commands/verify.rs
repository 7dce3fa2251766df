//! `verify` and `warehouse`: build a `VerifyConfig` from `backend/.env`, the profile and the
//! environment, run the live checks (or the warehouse creation) on a tokio runtime, and report.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::time::Duration;

use serde_json::json;

use super::{Exit, Project, RunError};
use crate::cli::{Paths, VerifyArgs, WarehouseArgs};
use crate::keys as k;
use crate::model::{Cloud, FieldId, StorageCredentialKind};
use crate::output::Style;
use crate::profile;
use crate::secret::Secret;
use crate::validate;
use crate::verify::postgres::role::RoleSpec;
use crate::verify::{self, VerifyConfig, WarehouseCredential, warehouse::WarehouseOutcome};

mod access;
mod live;
mod production;

/// Builds the checks' input. Fails (exit 2) when there is no `.env` to verify.
pub fn config(
    project: &Project,
    process_env: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<VerifyConfig, RunError> {
    if project.env_text.is_none() {
        return Err(RunError::Usage(format!(
            "{}: no such file; create it with `lakekeeper-setup` (the wizard) or `lakekeeper-setup apply`",
            project.paths.env.display()
        )));
    }
    let env = project.env_map();
    let answers = project.answers(process_env);
    let cloud = answers
        .get(FieldId::Cloud)
        .and_then(|c| validate::cloud(c).ok())
        .map_or(Cloud::Public, |c| c.value);
    let authority_host = answers
        .get(FieldId::AuthorityHost)
        .and_then(|a| validate::authority_host(a).ok())
        .map_or_else(|| cloud.authority_host().to_owned(), |c| c.value);
    let account = env.get(k::STORAGE_ACCOUNT).cloned().unwrap_or_default();
    let endpoints = project
        .profile_text
        .as_deref()
        .map(profile::endpoints)
        .unwrap_or_default();
    let blob_endpoint = endpoints
        .blob
        .unwrap_or_else(|| format!("https://{account}.{}", cloud.blob_host()));
    let dfs_endpoint = endpoints
        .dfs
        .unwrap_or_else(|| format!("https://{account}.{}", cloud.dfs_host()));
    let key_prefix = answers
        .get(FieldId::StorageKeyPrefix)
        .and_then(|p| validate::key_prefix(p).ok())
        .map_or_else(
            || crate::strings::DEFAULT_KEY_PREFIX.to_owned(),
            |c| c.value,
        );
    let kind = answers
        .get(FieldId::StorageCredential)
        .and_then(|c| validate::storage_credential(c).ok())
        .map_or(StorageCredentialKind::ClientCredentials, |c| c.value);
    let warehouse_credential = match kind {
        StorageCredentialKind::SharedKey => WarehouseCredential::SharedKey,
        StorageCredentialKind::ClientCredentials => {
            let separate = env.get(k::STORAGE_CLIENT_ID).filter(|v| !v.is_empty());
            let (id, secret) = match separate {
                Some(id) => (
                    id.clone(),
                    env.get(k::STORAGE_CLIENT_SECRET)
                        .cloned()
                        .unwrap_or_default(),
                ),
                None => (
                    env.get(k::OAUTH2_CLIENT_ID).cloned().unwrap_or_default(),
                    env.get(k::OAUTH2_CLIENT_SECRET)
                        .cloned()
                        .unwrap_or_default(),
                ),
            };
            WarehouseCredential::ClientCredentials {
                client_id: id,
                client_secret: Secret::new(secret),
                tenant_id: env.get(k::OAUTH2_TENANT_ID).cloned().unwrap_or_default(),
            }
        }
    };
    Ok(VerifyConfig {
        env,
        process_env: process_env.clone(),
        authority_host,
        blob_endpoint,
        dfs_endpoint,
        dfs_host: cloud.dfs_host().to_owned(),
        storage_scope: cloud.storage_scope().to_owned(),
        key_prefix,
        warehouse_credential,
        timeout,
        only: None,
        token_source: verify::TokenSource::ServiceAccount,
    })
}

/// `--production`: the `[production]` answers replace the laptop's base URI and database host.
/// `Err` carries the exit code after the problems were printed.
fn use_production(
    project: &Project,
    cfg: &mut VerifyConfig,
) -> Result<crate::production::Production, Exit> {
    let text = project.profile_text.clone().unwrap_or_default();
    let validated = crate::production::read(&text)
        .and_then(|raw| crate::production::vault_names(&text).map(|names| (raw, names)));
    let result = match validated {
        Ok((raw, names)) => crate::production::validate(raw.as_ref(), &names).map(|(p, _)| p),
        Err(e) => Err(vec![e]),
    };
    match result {
        Ok(prod) => {
            cfg.env = crate::production::production_env(&cfg.env, &prod);
            Ok(prod)
        }
        Err(errors) => {
            eoutln!("{} production answers:", Style::stderr().red("error:"));
            for e in errors {
                eoutln!("  - {e}");
            }
            Err(Exit::Problems)
        }
    }
}

/// `key-vault`: each secret the profile's `[secrets]` table names, read from the vault and
/// compared with `.env` (a rotated secret leaves `.env` stale). `None` without the table.
pub fn key_vault_check(
    project: &Project,
    process_env: &BTreeMap<String, String>,
) -> Option<verify::CheckResult> {
    use crate::verify::{CheckResult, Status};
    let result = |status, summary: String| CheckResult {
        name: verify::KEY_VAULT.into(),
        status,
        summary,
        details: Vec::new(),
        fix: None,
        duration_ms: 0,
        trace: Vec::new(),
    };
    let started = std::time::Instant::now();
    let layer = match super::vault::read(project, process_env, super::vault::Want::All) {
        Ok(l) => l,
        Err(problems) => {
            let mut r = result(
                Status::Failed,
                "the profile's [secrets] table cannot be used".into(),
            );
            r.details = problems.iter().map(ToString::to_string).collect();
            r.fix = Some(
                "correct [secrets] in lakekeeper-setup.toml (see `lakekeeper-setup check`)".into(),
            );
            return Some(r);
        }
    };
    let name = layer.vault_name()?.to_owned();
    let env = project.env_map();
    let mut stale = Vec::new();
    let mut r = result(Status::Ok, String::new());
    for read in &layer.reads {
        let key = read.field.env_key().unwrap_or_default();
        let Ok(value) = &read.result else { continue };
        let from = format!("Key Vault {name}: {}", read.name.as_str());
        match env.get(key) {
            Some(v) if v == value.expose() => r.details.push(format!("{key} matches {from}")),
            Some(_) => {
                r.details.push(format!(
                    "{key} in .env differs from {from} (rotated in the vault?)"
                ));
                stale.push(key);
            }
            None => {
                r.details
                    .push(format!("{key} is not in .env; {from} holds it"));
                stale.push(key);
            }
        }
    }
    r.details.extend(layer.warnings.iter().cloned());
    let wanted = layer.spec.as_ref().map_or(0, |s| s.names.len());
    let matched = layer
        .reads
        .iter()
        .filter(|x| x.result.is_ok())
        .count()
        .saturating_sub(stale.len());
    (r.status, r.summary) = if !stale.is_empty() {
        r.fix = Some("run `lakekeeper-setup apply` to write the vault's values into .env".into());
        (
            Status::Failed,
            format!(
                "{} secret(s) in .env differ from Key Vault {name}",
                stale.len()
            ),
        )
    } else if !layer.warnings.is_empty() {
        (
            Status::Warning,
            format!(
                "{matched} of {wanted} secret(s) checked against Key Vault {name}; the rest could not be read"
            ),
        )
    } else {
        (
            Status::Ok,
            format!("{matched} secret(s) in .env match Key Vault {name}"),
        )
    };
    r.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Some(r)
}

/// `--only key-vault` with no vault in the profile: said, not silently an empty report.
fn no_vault_named() -> verify::CheckResult {
    verify::CheckResult {
        name: verify::KEY_VAULT.into(),
        status: verify::Status::Skipped,
        summary: "the profile names no Key Vault ([secrets] vault)".into(),
        details: Vec::new(),
        fix: None,
        duration_ms: 0,
        trace: Vec::new(),
    }
}

/// How long the wizard waits for `az` and Graph before its welcome opens without the expiry
/// line: every start of the wizard asks, and an offline laptop's `az` may take its whole
/// timeout (60 s by default) for each call.
pub const WELCOME_WAIT: Duration = Duration::from_secs(8);

/// Runs `work` with the user's own Azure CLI session (the team's tenant), off any other runtime,
/// with a spinner while `az` answers, within `limit` when given (an unfinished `az` is killed);
/// `Err` says why there is no result.
fn with_graph<T>(
    tenant: Option<&str>,
    limit: Option<Duration>,
    work: impl AsyncFnOnce(&crate::azure::Session) -> T,
) -> Result<T, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let all = async {
        let session = crate::azure::Session::from_az(tenant).await.map_err(|e| {
            e.to_string()
                .trim_start_matches("Azure assist off: ")
                .to_owned()
        })?;
        Ok(work(&session).await)
    };
    rt.block_on(super::vault::spinning(
        "reading the apps' client secrets from Microsoft Graph through the Azure CLI",
        async {
            match limit {
                Some(limit) => tokio::time::timeout(limit, all).await.unwrap_or_else(|_| {
                    Err(format!(
                        "the Azure CLI and Microsoft Graph did not answer within {} s",
                        limit.as_secs()
                    ))
                }),
                None => all.await,
            }
        },
    ))
}

/// The expiry results `--only` asks for (all of them without `--only`); `run` reads Graph only
/// when one is asked. `--only storage-client-secret` without a separate warehouse app says so.
fn expiry_asked(
    asked: Option<&BTreeSet<String>>,
    env: &BTreeMap<String, String>,
    run: impl FnOnce() -> Vec<verify::CheckResult>,
) -> Vec<verify::CheckResult> {
    use crate::verify::expiry::{self, BACKEND, STORAGE};
    let Some(only) = asked else {
        return run();
    };
    if !only.contains(BACKEND.check) && !only.contains(STORAGE.check) {
        return Vec::new();
    }
    let mut out: Vec<_> = run()
        .into_iter()
        .filter(|c| only.contains(&c.name))
        .collect();
    if only.contains(STORAGE.check) && !expiry::wanted(env).contains(&STORAGE) {
        out.push(expiry::skipped(
            STORAGE,
            format!(
                "the warehouse has no app of its own ({} and {} are not set, or name the backend's app): its secret is the backend's, see client-secret",
                STORAGE.id_key, STORAGE.secret_key
            ),
        ));
    }
    out
}

/// `client-secret` (and `storage-client-secret` for a separate warehouse app): each client
/// secret in `.env` judged against its app's credentials in Microsoft Graph, with the user's own
/// `az login`. Skipped, with the reason, when `az` cannot be used.
pub fn expiry_checks(
    tenant: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Vec<verify::CheckResult> {
    use crate::verify::expiry;
    let wanted = expiry::wanted(env);
    if env
        .get(expiry::BACKEND.secret_key)
        .is_none_or(|v| v.trim().is_empty())
    {
        // Nothing to judge: `az` is not asked.
        return vec![expiry::skipped(
            expiry::BACKEND,
            format!("{} is not set", expiry::BACKEND.secret_key),
        )];
    }
    let started = std::time::Instant::now();
    let now = crate::clock::now();
    let outcome = with_graph(tenant, None, async |session| {
        let mut out = Vec::new();
        for w in &wanted {
            out.push(expiry::check(session, *w, env, now).await);
        }
        out
    });
    let mut out = outcome.unwrap_or_else(|why| {
        wanted
            .iter()
            .map(|w| {
                expiry::skipped(
                    *w,
                    format!(
                        "expiry not checked: it needs your Azure CLI sign-in to read the app from Microsoft Graph ({why})"
                    ),
                )
            })
            .collect()
    });
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    for r in &mut out {
        r.duration_ms = ms;
    }
    out
}

/// The wizard's welcome lines: each client secret with 30 days or fewer left (or none of its
/// app's). Nothing when `az` cannot be used or takes longer than [`WELCOME_WAIT`] (the wizard
/// never waits long on a failure).
pub fn expiry_welcome(tenant: Option<&str>, env: &BTreeMap<String, String>) -> Vec<String> {
    use crate::verify::expiry;
    let wanted = expiry::wanted(env);
    let now = crate::clock::now();
    let limit = WELCOME_WAIT.min(crate::azure::az::timeout_from_env());
    with_graph(tenant, Some(limit), async |session| {
        let mut out = Vec::new();
        for w in &wanted {
            if let Ok((app, e)) = expiry::lookup(session, *w, env, now).await {
                out.extend(expiry::welcome_line(*w, &app, &e));
            }
        }
        out
    })
    .unwrap_or_default()
}

fn runtime() -> Result<tokio::runtime::Runtime, RunError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::Read {
            path: "tokio runtime".into(),
            source: e,
        })
}

pub fn run(
    paths: &Paths,
    args: &VerifyArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let project = Project::load(paths)?;
    let mut cfg = config(&project, process_env, args.timeout)?;
    // With --production: Lakekeeper's own role in production's database.
    let prod = if args.production {
        match use_production(&project, &mut cfg) {
            Ok(prod) => Some(prod),
            Err(exit) => return Ok(exit),
        }
    } else {
        None
    };
    let role = prod
        .as_ref()
        .map(|p| RoleSpec::for_env(&cfg.env, &p.postgres_user));
    if !args.only.is_empty() {
        let joined = args.only.join(",");
        cfg.only = Some(verify::parse_only(&joined).map_err(|e| RunError::Usage(e.to_string()))?);
    }
    // What the user asked for, before production narrows `cfg.only` for the pods' checks.
    let asked = cfg.only.clone();
    // The catalog about the production role is read, and its SQL run, as the backend's role
    // (the production role may not exist yet).
    let backend_cfg = cfg.clone();
    let role = role.filter(|_| cfg.only.as_ref().is_none_or(|o| o.contains("postgres")));
    let mut not_as_the_pod: Vec<verify::CheckResult> = role
        .as_ref()
        .and_then(|spec| production::as_the_pod(&mut cfg, spec, process_env))
        .into_iter()
        .collect();
    if prod.is_some() {
        not_as_the_pod.extend(production::storage_as_the_identity(&mut cfg));
    }
    // The vault is read first (its own runtime), so a slow `az` never eats into a check's
    // timeout.
    // (`asked`, not `cfg.only`: production may have set the latter to skip `postgres`.)
    let vault_check = match &asked {
        None => key_vault_check(&project, process_env),
        Some(only) if only.contains(verify::KEY_VAULT) => {
            Some(key_vault_check(&project, process_env).unwrap_or_else(no_vault_named))
        }
        Some(_) => None,
    };
    // Who can get into production: Graph and ARM, read before the live checks like the vault.
    let access_checks = if args.production && asked.is_none() {
        access::checks(&project, process_env)
    } else {
        Vec::new()
    };
    let expiry = expiry_asked(asked.as_ref(), &cfg.env, || {
        let answers = project.answers(process_env);
        expiry_checks(answers.get(FieldId::Tenant), &cfg.env)
    });
    let rt = runtime()?;
    if let Some(prod) = &prod {
        production::as_the_person(&rt, &mut cfg, prod);
    }
    match (&role, args.fix) {
        (Some(spec), true) => {
            production::fix_production_role(&rt, &backend_cfg, spec, args.yes, process_env);
        }
        (None, true) => fix_schema(&rt, &cfg, args.yes),
        _ => {}
    }
    // The libraries' error chains are for --verbose only.
    let verbose = args.verbose;
    let strip = move |c: &mut verify::CheckResult| {
        if !verbose {
            c.trace.clear();
        }
    };
    let color = Style::stdout().color;
    // On a terminal, results appear as they come; pipes and --json get today's output.
    let columns = crossterm::terminal::size()
        .ok()
        .map(|(w, _)| usize::from(w))
        .filter(|_| !args.json && std::io::stdout().is_terminal());
    let mut report = match columns {
        Some(columns) => rt.block_on(live::run(&cfg, color, columns, strip)),
        None => rt.block_on(verify::run(&cfg, None)),
    };
    report.checks.iter_mut().for_each(strip);
    if let (Some(columns), Some(vault)) = (columns, &vault_check) {
        // Live output printed each check as it finished; the vault's was read before them.
        out!(
            "{}",
            verify::render::render_check(vault, verify::render::name_width(), color, Some(columns))
        );
    }
    if let Some(columns) = columns {
        // Checks production left out, with why: live output printed only those that ran.
        for c in &not_as_the_pod {
            out!(
                "{}",
                verify::render::render_check(c, verify::render::name_width(), color, Some(columns))
            );
        }
    }
    report.checks.extend(not_as_the_pod);
    if let Some(spec) = &role {
        let checked = rt.block_on(verify::postgres::role::check_role(&backend_cfg, spec));
        if columns.is_some() {
            out!(
                "{}",
                verify::render::render_check(
                    &checked,
                    verify::render::name_width(),
                    color,
                    columns
                )
            );
        }
        report.checks.push(checked);
    }
    if let Some(columns) = columns {
        for c in access_checks.iter().chain(&expiry) {
            out!(
                "{}",
                verify::render::render_check(c, verify::render::name_width(), color, Some(columns))
            );
        }
    }
    report.checks.extend(vault_check);
    report.checks.extend(access_checks);
    report.checks.extend(expiry);
    let failed = report.has_failures();
    if args.json {
        outln!("{}", json!({"ok": !failed, "checks": report.checks}));
    } else if columns.is_some() {
        out!("{}", verify::render::render_counts(&report));
    } else {
        out!("{}", verify::render_table(&report, color));
    }
    if failed {
        if args.fix && args.json {
            for command in azure_fixes(&report) {
                eoutln!(
                    "fix: not with --json (its output would break the document): run `{command}`"
                );
            }
        } else if args.fix {
            drop(rt);
            fix_in_azure(paths, &cfg, &report, args.yes, process_env);
        }
        return Ok(Exit::Problems);
    }
    if args.create_warehouse {
        return Ok(warehouse(&rt, &project, &cfg, false, args.json, false));
    }
    Ok(Exit::Ok)
}

/// `--fix`: creates Lakekeeper's missing schema (asking first on a terminal unless `yes`), or
/// prints the one SQL line an administrator must run. The checks that follow report the result.
fn fix_schema(rt: &tokio::runtime::Runtime, cfg: &VerifyConfig, yes: bool) {
    use std::io::{BufRead, IsTerminal, Write};
    use verify::postgres::fix::{self, SchemaFix};
    let s = Style::stderr();
    match rt.block_on(fix::plan(cfg)) {
        Ok(SchemaFix::Nothing) => {}
        Ok(SchemaFix::AskAdmin { schema, sql }) => eoutln!(
            "fix: schema {schema} is missing and this role may not create it; ask the database owner or an administrator to run:\n  {sql}"
        ),
        Ok(SchemaFix::Create { schema, sql }) => {
            if !yes && std::io::stdin().is_terminal() {
                eout!("fix: create schema {schema} in the database (`{sql}`)? [y/N] ");
                let _ = std::io::stderr().flush();
                let mut line = String::new();
                let _ = std::io::stdin().lock().read_line(&mut line);
                if !matches!(line.trim(), "y" | "Y" | "yes") {
                    eoutln!("fix: left as it is");
                    return;
                }
            } else if !yes {
                eoutln!(
                    "fix: schema {schema} is missing; run again with --yes to create it (`{sql}`), or run that SQL yourself"
                );
                return;
            }
            crate::output::stdio::committed();
            match rt.block_on(fix::apply(cfg, &sql)) {
                Ok(()) => eoutln!("{}", s.green(&format!("fix: created schema {schema}"))),
                Err(e) => eoutln!("{} could not create schema {schema}: {e}", s.red("fix:")),
            }
        }
        Err(e) => eoutln!("fix: could not look at PostgreSQL: {e}"),
    }
}

/// The Azure commands whose fix a failed check names, in the order they should run.
pub fn azure_fixes(report: &verify::VerifyReport) -> Vec<&'static str> {
    let named = |command: &str| {
        report.checks.iter().any(|c| {
            c.status == verify::Status::Failed
                && c.fix
                    .as_deref()
                    .is_some_and(|f| f.contains(&format!("`{command}`")))
        })
    };
    [
        crate::azure::extensions::COMMAND,
        crate::azure::roles::COMMAND,
        crate::azure::roles::PRODUCTION_COMMAND,
    ]
    .into_iter()
    .filter(|c| named(c))
    .collect()
}

/// `--fix` after the checks: runs the Azure commands the failures name (each shows its plan and
/// asks, unless `yes`), then says to verify again. The server is the one the check connected
/// to (with `--production`, production's), not the profile's host. Not run with `--json`: the
/// commands print their plans.
fn fix_in_azure(
    paths: &Paths,
    cfg: &VerifyConfig,
    report: &verify::VerifyReport,
    yes: bool,
    process_env: &BTreeMap<String, String>,
) {
    use crate::cli::{AzureWriteArgs, ExtensionsArgs, RolesArgs};
    let fixes = azure_fixes(report);
    if fixes.is_empty() {
        return;
    }
    let s = Style::stderr();
    for command in &fixes {
        eoutln!("fix: running `{command}`");
        let write = AzureWriteArgs {
            dry_run: false,
            yes,
        };
        let outcome = if *command == crate::azure::extensions::COMMAND {
            super::azure::extensions::run(
                paths,
                &ExtensionsArgs {
                    write,
                    server: None,
                    subscription: None,
                    host: verify::postgres::settings::resolve(&cfg.env)
                        .ok()
                        .map(|s| s.host),
                },
                process_env,
            )
        } else {
            super::azure::roles::run(
                paths,
                &RolesArgs {
                    write,
                    account: None,
                    subscription: None,
                    container_scope: false,
                    production: *command == crate::azure::roles::PRODUCTION_COMMAND,
                },
                process_env,
            )
        };
        if let Err(e) = outcome {
            eoutln!("{} {e}", s.red("fix:"));
        }
    }
    eoutln!(
        "fix: run `lakekeeper-setup verify` again to see the result (new role assignments take a few minutes to apply)"
    );
}

pub fn run_warehouse(
    paths: &Paths,
    args: &WarehouseArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let project = Project::load(paths)?;
    let mut cfg = config(&project, process_env, args.timeout)?;
    if !args.production {
        let rt = runtime()?;
        return Ok(warehouse(
            &rt,
            &project,
            &cfg,
            args.dry_run,
            args.json,
            args.update_credential,
        ));
    }
    let prod = match use_production(&project, &mut cfg) {
        Ok(p) => p,
        Err(exit) => return Ok(exit),
    };
    let rt = runtime()?;
    Ok(production::production_warehouse(
        &rt,
        &cfg,
        &prod,
        args.dry_run,
        args.json,
    ))
}

/// Whether the profile keeps the warehouse's client secret in the team's vault: the backend's,
/// or a separate warehouse app's (`AZURE_STORAGE_CLIENT_ID` set). Then every teammate's `.env`
/// holds the same value, and sending it to the shared warehouse ties it to no one person.
fn team_holds_warehouse_secret(project: &Project, cfg: &VerifyConfig) -> bool {
    let field = if cfg
        .env
        .get(k::STORAGE_CLIENT_ID)
        .is_some_and(|v| !v.is_empty())
    {
        FieldId::StorageClientSecret
    } else {
        FieldId::BackendSecret
    };
    super::vault::spec(project)
        .ok()
        .flatten()
        .is_some_and(|s| s.name_of(field).is_some())
}

/// `warehouse` (and `verify --create-warehouse`) for the laptop: an existing warehouse's
/// client-credentials storage credential is sent again when the team shares the secret (a
/// vault) or `update_credential`; otherwise only when the stored kind differs. Says whose
/// secret the shared warehouse signs with after a send.
fn warehouse(
    rt: &tokio::runtime::Runtime,
    project: &Project,
    cfg: &VerifyConfig,
    dry_run: bool,
    json_out: bool,
    update_credential: bool,
) -> Exit {
    let team_holds = team_holds_warehouse_secret(project, cfg);
    let resend = verify::warehouse::resend(cfg, team_holds, update_credential);
    let env_label = project.paths.env.display().to_string();
    match rt.block_on(verify::warehouse::create_warehouse(cfg, dry_run, resend)) {
        Ok(WarehouseOutcome::Kept {
            name,
            location,
            kind,
            ..
        }) if !json_out => {
            outln!(
                "{}",
                crate::strings::warehouse_credential_kept(&name, &location, &kind, &env_label)
            );
            Exit::Ok
        }
        Ok(outcome) => {
            let exit = report_warehouse(&outcome, json_out);
            if let (
                false,
                WarehouseOutcome::CredentialUpdated { .. },
                WarehouseCredential::ClientCredentials { client_id, .. },
            ) = (json_out, &outcome, &cfg.warehouse_credential)
            {
                outln!(
                    "{}",
                    crate::strings::warehouse_signs_with(client_id, &env_label, team_holds)
                );
            }
            exit
        }
        Err(e) => {
            if json_out {
                outln!("{}", json!({"ok": false, "error": e.to_string()}));
            } else {
                eoutln!("{} {e}", Style::stderr().red("error:"));
            }
            Exit::Problems
        }
    }
}

fn report_warehouse(outcome: &WarehouseOutcome, json_out: bool) -> Exit {
    let s = Style::stdout();
    let (status, text) = match outcome {
        WarehouseOutcome::DryRun { body } => (
            "dry-run",
            format!("would POST /management/v1/warehouse:\n{body}"),
        ),
        WarehouseOutcome::Created { name, location, .. } => (
            "created",
            format!("created warehouse `{name}` at {location}"),
        ),
        WarehouseOutcome::DryRunUpdate {
            name,
            location,
            stored,
            body,
        } => (
            "dry-run",
            format!(
                "warehouse `{name}` exists at {location}; {}\nwould POST /management/v1/warehouse/<its id>/storage-credential:\n{body}",
                crate::strings::stored_credential(stored.as_deref())
            ),
        ),
        WarehouseOutcome::CredentialUpdated {
            name,
            location,
            was,
            now,
            ..
        } => (
            "exists",
            format!(
                "warehouse `{name}` already exists at {location}; its storage credential is now the configured one ({now}{}): Lakekeeper shows only a credential's kind, so the configured one was sent again",
                match was.as_deref() {
                    Some(w) if w != now => format!(", was {w}"),
                    None => ", none was shown before".to_owned(),
                    _ => String::new(),
                }
            ),
        ),
        WarehouseOutcome::Kept {
            name,
            location,
            kind,
            ..
        } => (
            "kept",
            crate::strings::warehouse_credential_kept(name, location, kind, "your backend/.env"),
        ),
    };
    if json_out {
        let body = match outcome {
            WarehouseOutcome::DryRun { body } | WarehouseOutcome::DryRunUpdate { body, .. } => {
                serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        };
        outln!(
            "{}",
            json!({"ok": true, "warehouse": status, "request": body})
        );
    } else {
        outln!("{}", s.green(&text));
    }
    Exit::Ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{CheckName, CheckResult, Status, VerifyReport};

    #[test]
    fn only_asks_graph_for_the_expiry_results_it_names() {
        use crate::verify::expiry::{self, BACKEND, STORAGE};
        let judged = || vec![expiry::skipped(BACKEND, "b"), expiry::skipped(STORAGE, "s")];
        let separate: BTreeMap<String, String> = [
            (STORAGE.id_key, "cccccccc-0000-4000-8000-000000000003"),
            (STORAGE.secret_key, "fake-storage-secret"),
            (BACKEND.secret_key, "fake-backend-secret"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let only = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        let names = |r: Vec<CheckResult>| r.into_iter().map(|c| c.name).collect::<Vec<_>>();
        for (asked, env, want) in [
            (None, &separate, vec![BACKEND.check, STORAGE.check]),
            (Some(only(&["token"])), &separate, vec![]),
            (
                Some(only(&["client-secret"])),
                &separate,
                vec![BACKEND.check],
            ),
            (
                Some(only(&["storage-client-secret", "token"])),
                &separate,
                vec![STORAGE.check],
            ),
            // No warehouse app of its own: the name is answered, skipped with why.
            (
                Some(only(&["storage-client-secret"])),
                &BTreeMap::new(),
                vec![STORAGE.check],
            ),
        ] {
            let got = names(expiry_asked(asked.as_ref(), env, || {
                let all = judged();
                if env.is_empty() {
                    all[..1].to_vec()
                } else {
                    all
                }
            }));
            assert_eq!(got, want, "{asked:?}");
        }
        // Graph is not asked when no expiry result is.
        let none = expiry_asked(Some(&only(&["postgres"])), &separate, || {
            panic!("Graph was asked")
        });
        assert!(none.is_empty());
    }

    #[test]
    fn fix_runs_the_azure_commands_failed_checks_name_in_order_and_only_those() {
        let report = |checks: Vec<CheckResult>| VerifyReport { checks };
        let storage = CheckResult::new(CheckName::Storage, Status::Failed, "no delegation key")
            .with_fix(format!(
                "assign the role … or run `{}` (or `lakekeeper-setup verify --fix`)",
                crate::azure::roles::COMMAND
            ));
        let postgres = CheckResult::new(CheckName::Postgres, Status::Failed, "not allowed")
            .with_fix(format!(
                "run `{}` or `lakekeeper-setup verify --fix`",
                crate::azure::extensions::COMMAND
            ));
        assert_eq!(
            azure_fixes(&report(vec![storage.clone(), postgres.clone()])),
            [
                "lakekeeper-setup azure extensions",
                "lakekeeper-setup azure roles"
            ]
        );
        // A warning naming a command does not run it; neither does a failure with other fixes.
        let mut warned = postgres;
        warned.status = Status::Warning;
        let other = CheckResult::new(CheckName::Token, Status::Failed, "bad secret")
            .with_fix("paste the secret's Value, not its ID");
        assert!(azure_fixes(&report(vec![warned, other])).is_empty());
        assert_eq!(
            azure_fixes(&report(vec![storage])),
            ["lakekeeper-setup azure roles"]
        );
    }
}
