//! `lakekeeper-setup azure roles`: the warehouse's principal (the separate storage app when the
//! setup has one, else the backend service account) must hold Storage Blob Data Contributor and
//! Storage Blob Delegator on the storage account (or above). Reads the app's service principal
//! (Graph) and its role assignments (ARM), shows what it holds and what it would grant with the
//! right that needs, asks once, then PUTs each missing assignment under a name derived from
//! scope, role and principal — an assignment that already exists counts as done.

use std::collections::BTreeMap;

use super::common::{self, Go};
use super::extensions::check_subscription;
use crate::azure::arm::{self, Granted};
use crate::azure::change::{Change, Request};
use crate::azure::consent::{self, Target};
use crate::azure::roles::{self, SpError};
use crate::azure::{CallError, Session};
use crate::cli::{Paths, RolesArgs};
use crate::commands::{Exit, RunError};
use crate::keys as k;
use crate::model::{Answers, FieldId, StorageCredentialKind};
use crate::output::Style;

/// The app whose service principal the warehouse uses, and how to call it in messages.
struct Principal {
    app_id: String,
    who: &'static str,
}

fn principal(answers: &Answers) -> Result<Principal, RunError> {
    let norm = |f| {
        answers
            .get(f)
            .map(|v: &str| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty())
    };
    let backend = norm(FieldId::BackendClientId);
    match (norm(FieldId::StorageClientId), backend) {
        (Some(s), b) if Some(&s) != b.as_ref() => Ok(Principal {
            app_id: s,
            who: "the warehouse app",
        }),
        (_, Some(b)) => Ok(Principal {
            app_id: b,
            who: "the backend service account",
        }),
        (_, None) => Err(RunError::Usage(format!(
            "no backend client ID ({} / backend_service.client_id) in the profile, backend/.env or the environment; the warehouse's roles belong to that app",
            k::OAUTH2_CLIENT_ID
        ))),
    }
}

/// The storage account's resource ID: `--account` as an ID, else found by name.
pub(crate) async fn account_id(
    session: &Session,
    query: &str,
    subscription: Option<&str>,
) -> Result<String, RunError> {
    if query.starts_with('/') {
        return if arm::is_storage_account_id(query) {
            Ok(query.to_owned())
        } else {
            Err(RunError::Usage(format!(
                "--account `{query}` is not a storage account's resource ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name>)"
            )))
        };
    }
    let failed = |e: CallError| RunError::Usage(format!("finding storage account {query}: {e}"));
    let subs: Vec<String> = match subscription {
        Some(s) => vec![s.to_owned()],
        None => arm::subscriptions(session)
            .await
            .map_err(failed)?
            .into_iter()
            .filter(|s| s.state.is_empty() || s.state == "Enabled")
            .map(|s| s.id)
            .collect(),
    };
    let mut failures = Vec::new();
    for sub in &subs {
        // One subscription that cannot be listed must not hide the account in another.
        match arm::storage_accounts(session, sub).await {
            Ok(accounts) => {
                if let Some(a) = accounts
                    .into_iter()
                    .find(|a| a.name.eq_ignore_ascii_case(query))
                {
                    return Ok(a.id);
                }
            }
            Err(e) => failures.push(format!("subscription {sub}: {e}")),
        }
    }
    let unlisted = if failures.is_empty() {
        String::new()
    } else {
        format!(
            " ({} could not be listed: {})",
            failures.len(),
            failures.join("; ")
        )
    };
    Err(RunError::Usage(format!(
        "no storage account named {query} in the {} subscription(s) you can see{unlisted}; pass --account <its resource ID>, or sign in to its tenant (`az login --tenant <tenant>`)",
        subs.len()
    )))
}

/// Lakekeeper's production identity: `[production] lakekeeper_identity_client_id`.
fn production_principal(project: &crate::commands::Project) -> Result<Principal, RunError> {
    let profile = project.profile_text.clone().unwrap_or_default();
    let prod = crate::production::load(&profile)
        .map_err(|errors| RunError::Usage(crate::production::needs_fixing(&errors)))?;
    let id = prod.lakekeeper_identity_client_id.ok_or_else(|| {
        RunError::Usage("production has no identity for Lakekeeper yet ([production] lakekeeper_identity_client_id): run `lakekeeper-setup azure bootstrap --production` first".into())
    })?;
    Ok(Principal {
        app_id: id.to_string(),
        who: "Lakekeeper's production identity",
    })
}

pub fn run(
    paths: &Paths,
    args: &RolesArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let (project, answers) = common::load(paths, process_env)?;
    let kind = answers
        .get(FieldId::StorageCredential)
        .and_then(|c| crate::validate::storage_credential(c).ok())
        .map_or(StorageCredentialKind::ClientCredentials, |c| c.value);
    if kind == StorageCredentialKind::SharedKey && !args.production {
        outln!(
            "The warehouse reaches storage with the account key (storage credential = shared-key): it needs no role. Nothing to do."
        );
        return Ok(Exit::Ok);
    }
    let principal = if args.production {
        production_principal(&project)?
    } else {
        principal(&answers)?
    };
    let account_query = args
        .account
        .as_deref()
        .or_else(|| answers.get(FieldId::StorageAccount))
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            RunError::Usage(format!(
                "no storage account ({} / storage.account) in the profile, backend/.env or the environment; pass --account <name or resource ID>",
                k::STORAGE_ACCOUNT
            ))
        })?;
    check_subscription(args.subscription.as_deref())?;
    let container = answers.get(FieldId::StorageContainer).map(str::to_owned);
    let by_container = args.production || args.container_scope;
    if by_container && container.is_none() {
        return Err(RunError::Usage(format!(
            "no warehouse container ({} / storage.container) in the profile, backend/.env or the environment: the container scope needs it",
            k::STORAGE_CONTAINER
        )));
    }
    let rt = common::runtime()?;
    rt.block_on(async {
        let session = common::session(&answers).await?;
        let who = common::who(&session);
        let account_id = account_id(&session, &account_query, args.subscription.as_deref()).await?;
        let account = account_id.rsplit('/').next().unwrap_or_default().to_owned();
        let app = &principal.app_id;
        let sp = match roles::service_principal(&session, app).await {
            Ok(sp) => sp,
            Err(SpError::Missing) => {
                eoutln!(
                    "{} app {app} ({}) has no service principal in tenant {}, so it cannot hold a role\n  fix: create it (`az ad sp create --id {app}`, or `lakekeeper-setup azure bootstrap`), then run this again",
                    Style::stderr().red("error:"),
                    principal.who,
                    who.tenant
                );
                return Ok(Exit::Problems);
            }
            Err(SpError::Call(e)) => {
                let read = Target::GraphRead {
                    what: format!("the service principal of app {app}"),
                };
                common::refused(&consent::explain(&read, &who, &e));
                return Ok(Exit::Problems);
            }
        };
        let assignments = match arm::role_assignments(&session, &account_id, &sp.id).await {
            Ok(a) => a,
            Err(e) => {
                let read = Target::ArmRead {
                    what: format!("the role assignments on storage account {account}"),
                };
                common::refused(&consent::explain(&read, &who, &e));
                return Ok(Exit::Problems);
            }
        };
        let target_container = container.as_deref().filter(|_| by_container);
        let wanted = roles::wanted(&assignments, &account_id, target_container);
        let mut exists = Vec::new();
        let mut changes = Vec::new();
        let mut missing = Vec::new();
        for w in &wanted {
            if let Some(at) = &w.held_at {
                exists.push(format!("{} at {at}", w.role.name));
                continue;
            }
            let name = roles::assignment_name(&w.scope, w.role.guid, &sp.id);
            let (url, body) = arm::role_assignment_put(&session, &w.scope, &name, w.role.guid, &sp.id)
                .map_err(|e| RunError::Usage(e.to_string()))?;
            let target = Target::RoleAssignment {
                account: account.clone(),
                scope: w.scope.clone(),
                role: w.role.name.into(),
                principal_id: sp.id.clone(),
            };
            let place = if w.scope == account_id {
                format!("storage account {account}")
            } else {
                format!("container {} of storage account {account}", container.as_deref().unwrap_or_default())
            };
            changes.push(Change {
                what: format!("grant {} on {place} (to {})", w.role.name, w.role.why),
                needs: target.needs(),
                requests: vec![Request {
                    method: "PUT",
                    url: url.to_string(),
                    body: Some(body),
                }],
            });
            missing.push((w.clone(), name, target, place));
        }
        let title = format!(
            "Storage roles of {} (app {app}, service principal {}{}) on storage account {account}:",
            principal.who,
            sp.id,
            if sp.name.is_empty() { String::new() } else { format!(", {}", sp.name) }
        );
        let notes = notes(&changes, &assignments, &account_id, container.as_deref(), by_container, &sp.id);
        if let Go::Stop(exit) = common::plan_and_confirm(
            &title,
            &exists,
            &changes,
            &notes,
            &args.write,
            &format!("Grant {} role(s) on storage account {account}?", changes.len()),
        ) {
            return Ok(exit);
        }
        for (w, name, target, place) in &missing {
            common::progress(&format!("granting {} on {place}", w.role.name));
            match arm::put_role_assignment(&session, &w.scope, name, w.role.guid, &sp.id, &common::progress).await {
                Ok(Granted::Created) => outln!("granted {} on {place}", w.role.name),
                Ok(Granted::AlreadyThere) => outln!(
                    "{} on {place}: already assigned (Azure: RoleAssignmentExists)",
                    w.role.name
                ),
                Err(e) => {
                    common::refused(&consent::explain(target, &who, &e));
                    return Ok(Exit::Problems);
                }
            }
        }
        outln!(
            "Role assignments take a few minutes to apply; then `lakekeeper-setup verify --only storage` checks the warehouse's access."
        );
        Ok(Exit::Ok)
    })
}

/// What the plan adds below the changes: everything held; a Data Contributor wider than a
/// container target (with the command that removes it); on the laptop, the container scope
/// offered, and why.
fn notes(
    changes: &[Change],
    assignments: &[arm::RoleAssignment],
    account_id: &str,
    container: Option<&str>,
    by_container: bool,
    principal_id: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    if changes.is_empty() {
        out.push("It holds every role the warehouse needs.".to_owned());
    }
    match (by_container, container, roles::too_wide(assignments, account_id)) {
        (true, _, Some(wide)) => out.push(format!(
            "note: it also holds Storage Blob Data Contributor at {wide}, which reaches every container there; once the container's role is in place remove it: az role assignment delete --assignee {principal_id} --role \"Storage Blob Data Contributor\" --scope {wide}"
        )),
        (false, Some(c), _) => out.push(format!(
            "note: {}. `--container-scope` grants it on container {c} only.",
            roles::CONTAINER_WHY
        )),
        _ => {}
    }
    out
}
