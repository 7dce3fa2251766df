//! `verify` and `warehouse`: build a `VerifyConfig` from `backend/.env`, the profile and the
//! environment, run the live checks (or the warehouse creation) on a tokio runtime, and report.

use std::collections::BTreeMap;
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
use crate::verify::{self, VerifyConfig, WarehouseCredential, warehouse::WarehouseOutcome};

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
    })
}

/// `key-vault`: each secret the profile's `[secrets]` table names, read from the vault and
/// compared with `.env` (a rotated secret leaves `.env` stale). `None` without the table.
pub fn key_vault_check(
    project: &Project,
    process_env: &BTreeMap<String, String>,
) -> Option<verify::CheckResult> {
    use crate::verify::{CheckResult, Status};
    let result = |status, summary: String| CheckResult {
        name: "key-vault".into(),
        status,
        summary,
        details: Vec::new(),
        fix: None,
        duration_ms: 0,
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
    if !args.only.is_empty() {
        let joined = args.only.join(",");
        cfg.only = Some(verify::parse_only(&joined).map_err(|e| RunError::Usage(e.to_string()))?);
    }
    // The vault is read first (its own runtime), so a slow `az` never eats into a check's
    // timeout.
    let vault_check = if cfg.only.is_none() {
        key_vault_check(&project, process_env)
    } else {
        None
    };
    let rt = runtime()?;
    let mut report = rt.block_on(verify::run(&cfg, None));
    report.checks.extend(vault_check);
    let failed = report.has_failures();
    if args.json {
        println!("{}", json!({"ok": !failed, "checks": report.checks}));
    } else {
        print!("{}", verify::render_table(&report, Style::stdout().color));
    }
    if failed {
        return Ok(Exit::Problems);
    }
    if args.create_warehouse {
        return Ok(warehouse(&rt, &cfg, false, args.json));
    }
    Ok(Exit::Ok)
}

pub fn run_warehouse(
    paths: &Paths,
    args: &WarehouseArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let project = Project::load(paths)?;
    let cfg = config(&project, process_env, args.timeout)?;
    let rt = runtime()?;
    Ok(warehouse(&rt, &cfg, args.dry_run, args.json))
}

fn warehouse(
    rt: &tokio::runtime::Runtime,
    cfg: &VerifyConfig,
    dry_run: bool,
    json_out: bool,
) -> Exit {
    let s = Style::stdout();
    match rt.block_on(verify::warehouse::create_warehouse(cfg, dry_run)) {
        Ok(outcome) => {
            let (status, text) = match &outcome {
                WarehouseOutcome::DryRun { body } => (
                    "dry-run",
                    format!("would POST /management/v1/warehouse:\n{body}"),
                ),
                WarehouseOutcome::Created { name, location, .. } => (
                    "created",
                    format!("created warehouse `{name}` at {location}"),
                ),
                WarehouseOutcome::AlreadyExists { name, location, .. } => (
                    "exists",
                    format!("warehouse `{name}` already exists at {location}: nothing to do"),
                ),
            };
            if json_out {
                let body = match &outcome {
                    WarehouseOutcome::DryRun { body } => {
                        serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
                    }
                    _ => serde_json::Value::Null,
                };
                println!(
                    "{}",
                    json!({"ok": true, "warehouse": status, "request": body})
                );
            } else {
                println!("{}", s.green(&text));
            }
            Exit::Ok
        }
        Err(e) => {
            if json_out {
                println!("{}", json!({"ok": false, "error": e.to_string()}));
            } else {
                eprintln!("{} {e}", Style::stderr().red("error:"));
            }
            Exit::Problems
        }
    }
}
