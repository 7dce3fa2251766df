//! `lakekeeper-setup azure bootstrap --production`: production's own identities, with the
//! laptop bootstrap's steps (API app, scope, UI app, pre-authorisation) over production's
//! names and base URI, then production's own (app role, assignment required, the Azure CLI
//! pre-authorised, two federated managed identities, the role for the backend's identity and
//! you). Same shape as the laptop's: read → plan → one question (`--dry-run`, `--yes`) →
//! steps with progress → the IDs (never a secret) into `[production]`. A re-run finds
//! everything and changes nothing; a stopped run resumes.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::common::{self, Go};
use crate::apply::write_atomic;
use crate::azure::Session;
use crate::azure::bootstrap::production::{self as prod, Ident, ProdStep, Target};
use crate::azure::bootstrap::{self, Options, Progress, SecretHome, Step, Stored};
use crate::azure::change::Change;
use crate::azure::consent::Refusal;
use crate::cli::{BootstrapArgs, Paths};
use crate::commands::{Exit, RunError};
use crate::output::Style;
use crate::production::{self as production_answers, Production};

pub fn run(
    paths: &Paths,
    args: &BootstrapArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let (project, answers) = common::load(paths, process_env)?;
    let profile = project.profile_text.clone().unwrap_or_default();
    let answers_prod = match production_answers::load(&profile) {
        Ok(p) => p,
        Err(errors) => return Ok(problems(&errors)),
    };
    let prefix = bootstrap::check_prefix(&format!("{}-prod", args.prefix.trim()))
        .map_err(RunError::Usage)?;
    let target = target(&answers_prod, args, &prefix).map_err(RunError::Usage)?;
    let opts = Options {
        prefix,
        with_ui: true,
        secret_months: 0,
        new_secret: false,
        base_uri: crate::validate::base_uri_string(&answers_prod.base_uri),
        production: true,
    };
    let stored = Stored {
        api: answers_prod.api_client_id.clone(),
        backend: None,
        ui: answers_prod.ui_client_id.clone(),
    };
    let rt = common::runtime()?;
    let chosen = match super::bootstrap::tenant_session(&rt, args, &answers, paths)? {
        Ok(c) => c,
        Err(exit) => return Ok(exit),
    };
    if let Some(r) = other_tenant(&chosen) {
        return Ok(refused(&r));
    }
    outln!(
        "{} · signed in as {} · production target {}",
        chosen.describe(),
        chosen.session.account.user,
        answers_prod.base_uri
    );
    let session = chosen.session;
    rt.block_on(async {
        let now = bootstrap::iso_now(SystemTime::now());
        let home = SecretHome::EnvFile {
            label: String::new(),
        };
        let found = match bootstrap::discover(&session, &opts, &stored, home, None, &now).await {
            Ok(f) => f,
            Err(f) => {
                return Ok(refused(&Refusal {
                    what: f.message,
                    fix: f.fix,
                }));
            }
        };
        let api_sp = found.api.as_ref().and_then(|a| a.sp.clone());
        let pfound = match prod::run::discover(&session, &target, api_sp.as_deref()).await {
            Ok(f) => f,
            Err(r) => return Ok(refused(&r)),
        };
        let target = target.adopt(&pfound);
        let steps = bootstrap::plan(&found, &opts, &now);
        let prod_steps = prod::plan(
            found.api.as_ref(),
            &pfound,
            &target,
            steps.contains(&Step::SetScope),
        );
        let changes = changes(
            &session,
            &found,
            &pfound,
            &opts,
            &target,
            &steps,
            &prod_steps,
        );
        let values = prod::profile_values(
            found.api.as_ref().map(|a| &a.record),
            found.ui.as_ref().map(|a| &a.record),
            &pfound.identities,
            &target.cluster_id,
        );
        let profile_now = production_answers::update(Some(&profile), &values)
            .map_err(|e| RunError::Usage(e.to_string()))?;
        let mut exists = bootstrap::exists_lines(&found, &opts);
        exists.extend(prod::exists_lines(&pfound, &target));
        let notes = notes(&changes, profile_now != profile, paths);
        let question = format!("Make these {} changes?", changes.len());
        if let Go::Stop(exit) = common::plan_and_confirm(
            "Plan for production's own identities:",
            &exists,
            &changes,
            &notes,
            &args.write,
            &question,
        ) {
            if exit == Exit::Ok
                && changes.is_empty()
                && !args.write.dry_run
                && profile_now != profile
            {
                write_profile(paths, &values)?;
            }
            return Ok(exit);
        }
        let outcome = apply(
            &session,
            &opts,
            &target,
            &found,
            &pfound,
            &steps,
            &prod_steps,
        )
        .await;
        let (values, failure) = match outcome {
            Ok(v) => (v, None),
            Err((v, r)) => (v, Some(r)),
        };
        if let Some(values) = &values {
            write_profile(paths, values)?;
        }
        if let Some(r) = failure {
            return Ok(refused(&r));
        }
        report(&target);
        Ok(Exit::Ok)
    })
}

/// A tenant other than the team's (`--tenant`, or the signed-in one picked over it): `export
/// helm` points production's Lakekeeper at the team's tenant (`[entra] tenant`), so identities
/// made elsewhere would never be accepted. The laptop's bootstrap records a new tenant first.
fn other_tenant(chosen: &super::bootstrap::Chosen) -> Option<Refusal> {
    let (team, origin) = chosen.configured.as_ref()?;
    if team.eq_ignore_ascii_case(&chosen.tenant) {
        return None;
    }
    Some(Refusal {
        what: format!(
            "production's identities must be in the team's tenant {team} ({}), the one `export helm` points Lakekeeper at, not in {}; nothing was changed",
            origin.describe(),
            chosen.tenant
        ),
        fix: Some(format!(
            "to move the team to {t}, run `lakekeeper-setup azure bootstrap --tenant {t}` first (it records the tenant in [entra]); else run again without --tenant, signed in to {team} (az login --tenant {team})",
            t = chosen.tenant
        )),
    })
}

/// The production answers `--production` needs beyond `base_uri`, as a [`Target`].
fn target(p: &Production, args: &BootstrapArgs, prefix: &str) -> Result<Target, String> {
    let cluster_id = match (&args.aks_cluster, &p.aks_cluster) {
        (Some(c), _) if crate::azure::arm::is_managed_cluster_id(c.trim()) => c.trim().to_owned(),
        (Some(c), _) => {
            return Err(format!(
                "--aks-cluster `{c}` is not an AKS cluster's resource ID (az aks show --resource-group <group> --name <name> --query id -o tsv)"
            ));
        }
        (None, Some(c)) => c.clone(),
        (None, None) => {
            return Err("production's identities are federated with an AKS cluster: add `aks_cluster = \"<its resource ID>\"` under [production] (az aks show --resource-group <group> --name <name> --query id -o tsv), or pass --aks-cluster".into());
        }
    };
    let (Some(ns), Some(sa)) = (&p.backend_namespace, &p.backend_service_account) else {
        return Err("the production backend gets an identity of its own: add `backend_namespace = \"…\"` and `backend_service_account = \"…\"` under [production] (the namespace and service account the backend's pods run as)".into());
    };
    let mut accounts = BTreeMap::new();
    accounts.insert(
        Ident::Lakekeeper,
        (p.namespace.clone(), p.service_account.clone()),
    );
    accounts.insert(Ident::Backend, (ns.clone(), sa.clone()));
    let recorded = [
        (Ident::Lakekeeper, &p.lakekeeper_identity_client_id),
        (Ident::Backend, &p.backend_identity_client_id),
    ]
    .into_iter()
    .filter_map(|(i, c)| c.as_ref().map(|c| (i, c.to_string())))
    .collect();
    Ok(Target {
        app_role: p.app_role.clone(),
        subscription: crate::azure::arm::subscription_of(&cluster_id),
        identity_group: p
            .identity_resource_group
            .clone()
            .unwrap_or_else(|| crate::azure::arm::resource_group(&cluster_id)),
        cluster_id,
        prefix: prefix.to_owned(),
        accounts,
        recorded,
        found_names: BTreeMap::new(),
    })
}

#[allow(clippy::too_many_arguments)]
fn changes(
    session: &Session,
    found: &bootstrap::Found,
    pfound: &prod::Found,
    opts: &Options,
    target: &Target,
    steps: &[Step],
    prod_steps: &[ProdStep],
) -> Vec<Change> {
    let graph = &session.endpoints.graph;
    let api = found.api.as_ref();
    let mut out: Vec<Change> = steps
        .iter()
        .map(|s| bootstrap::change(*s, found, opts, graph, ""))
        .collect();
    out.extend(prod_steps.iter().map(|s| {
        prod::change(
            *s,
            api.map(|a| &a.record),
            api.and_then(|a| a.sp.as_deref()),
            pfound,
            target,
            opts,
            &session.endpoints,
        )
    }));
    out
}

fn notes(changes: &[Change], profile_changes: bool, paths: &Paths) -> Vec<String> {
    let mut out = Vec::new();
    if profile_changes {
        out.push(format!(
            "  then: record the IDs (no secret) under [production] in {}",
            paths.profile.display()
        ));
    }
    if changes.is_empty() {
        out.push("Everything is in place; nothing to change in Azure.".into());
    }
    out
}

/// Runs the laptop-shaped steps, then production's. The profile values of what exists
/// afterwards (also after a refusal, so the next run and the profile agree), and the refusal.
async fn apply(
    session: &Session,
    opts: &Options,
    target: &Target,
    found: &bootstrap::Found,
    pfound: &prod::Found,
    steps: &[Step],
    prod_steps: &[ProdStep],
) -> Result<Option<production_answers::Raw>, (Option<production_answers::Raw>, Refusal)> {
    let backoff = bootstrap::backoff_from_env();
    let mut line = |l: &str| outln!("{l}");
    let mut no_env =
        |_: &crate::secret::Secret| Err("production keeps no client secret".to_owned());
    let mut progress = Progress {
        line: &mut line,
        save_env: &mut no_env,
        env_secret: None,
        backoff,
        resume: "lakekeeper-setup azure bootstrap --production",
        redo: "lakekeeper-setup azure bootstrap --production",
    };
    let done = match bootstrap::run(session, opts, found, steps, "", &mut progress).await {
        Ok(d) => d,
        Err(f) => {
            let values = f.done.changed.then(|| {
                prod::profile_values(
                    f.done.api.as_ref(),
                    f.done.ui.as_ref(),
                    &pfound.identities,
                    &target.cluster_id,
                )
            });
            return Err((
                values,
                Refusal {
                    what: f.message,
                    fix: f.fix,
                },
            ));
        }
    };
    let Some(api) = done.api.clone() else {
        return Err((
            None,
            Refusal {
                what: "the production API app is missing".into(),
                fix: None,
            },
        ));
    };
    let mut line = |l: &str| outln!("{l}");
    let result = prod::run::run(
        session, opts, target, pfound, api, prod_steps, backoff, &mut line,
    )
    .await;
    let values = |p: &prod::run::Done| {
        prod::profile_values(
            p.api.as_ref(),
            done.ui.as_ref(),
            &p.identities,
            &target.cluster_id,
        )
    };
    match result {
        Ok(p) => Ok(Some(values(&p))),
        Err((p, r)) => Err((Some(values(&p)), r)),
    }
}

/// Writes `values` into `[production]` of the profile as it is now (read again: the run can
/// take minutes). Nothing when it changes nothing.
fn write_profile(paths: &Paths, values: &production_answers::Raw) -> Result<(), RunError> {
    let now = crate::commands::read_optional(&paths.profile)?;
    let text = production_answers::update(now.as_deref(), values)
        .map_err(|e| RunError::Usage(e.to_string()))?;
    if Some(&text) != now.as_ref() {
        write_atomic(&paths.profile, &text, false)?;
        outln!(
            "{} the IDs under [production] in {} — commit it",
            Style::stdout().green("wrote"),
            paths.profile.display()
        );
    }
    Ok(())
}

fn report(target: &Target) {
    outln!(
        "Only holders of {} get a token for the production API. Next: `lakekeeper-setup azure roles --production` (Lakekeeper's storage roles), `lakekeeper-setup azure grant <user or app>` for everyone else, then `lakekeeper-setup export helm`.",
        target.app_role
    );
}

fn problems(errors: &[production_answers::ProductionError]) -> Exit {
    eoutln!(
        "{} the [production] answers need fixing first; nothing was changed:",
        Style::stderr().red("error:")
    );
    for e in errors {
        eoutln!("  - {e}");
    }
    Exit::Problems
}

fn refused(r: &Refusal) -> Exit {
    common::refused(r);
    Exit::Problems
}
