//! `lakekeeper-setup azure grant | revoke`: who may call the production API. Production's API
//! requires assignment (`azure bootstrap --production`), so holding its app role is what lets
//! a person (through the UI or the Azure CLI) or an app get a token. `grant` assigns the role,
//! `grant --list` shows who holds it, `revoke` removes it — each with the plan, one question
//! (`--dry-run`, `--yes`) and the one-line fix when Graph refuses. A group needs Entra ID P1:
//! without it Graph refuses, and the group's users are offered one by one instead.

use std::collections::BTreeMap;

use super::common::{self, Go};
use crate::azure::CallError;
use crate::azure::Session;
use crate::azure::change::{Change, Request};
use crate::azure::consent::{self, Refusal, Target, Who};
use crate::azure::graph::access::{self, Assignment, Kind, Principal};
use crate::azure::graph::{self, AppRecord};
use crate::azure::rest::RestError;
use crate::cli::{GrantArgs, Paths, RevokeArgs};
use crate::commands::{Exit, RunError};
use crate::output::Style;

/// The production API as the grants need it.
struct Api {
    app: AppRecord,
    sp: String,
    role: String,
    role_id: String,
    required: bool,
}

fn who_text(p: &Principal) -> String {
    match (p.kind, p.detail.is_empty()) {
        (_, true) => format!("{} ({} {})", p.name, p.kind.as_str(), p.id),
        (Kind::User, false) => format!("{} ({})", p.detail, p.name),
        (_, false) => format!("{} ({} {})", p.name, p.kind.as_str(), p.detail),
    }
}

fn assignment_text(a: &Assignment) -> String {
    format!(
        "{} ({} {})",
        a.principal_name,
        a.kind.as_str(),
        a.principal_id
    )
}

/// The production API from `[production]`, its service principal and the app role's ID.
async fn production_api(session: &Session, profile: &str) -> Result<Api, Refusal> {
    let prod = crate::production::load(profile).map_err(|errors| Refusal {
        what: crate::production::needs_fixing(&errors),
        fix: None,
    })?;
    let setup = || Refusal {
        what: "production has no API app of its own yet ([production] api_client_id)".into(),
        fix: Some("run `lakekeeper-setup azure bootstrap --production` first".into()),
    };
    let id = prod.api_client_id.clone().ok_or_else(setup)?;
    let read = |what: String, e: &CallError| {
        consent::explain(&Target::GraphRead { what }, &Who::of(session), e)
    };
    let app = graph::app_by_client_id(session, &id)
        .await
        .map_err(|e| read(format!("the production API app {id}"), &e))?
        .ok_or_else(setup)?;
    let sp = graph::service_principal(session, &id)
        .await
        .map_err(|e| read(format!("the service principal of {}", app.name), &e))?
        .ok_or_else(setup)?;
    let role_id = app.app_role_id(&prod.app_role).ok_or_else(|| Refusal {
        what: format!("{} has no app role {}", app.name, prod.app_role),
        fix: Some("run `lakekeeper-setup azure bootstrap --production`: it adds the role".into()),
    })?;
    let required = access::assignment_required(session, &sp)
        .await
        .map_err(|e| read(format!("the service principal of {}", app.name), &e))?
        .unwrap_or(false);
    Ok(Api {
        app,
        sp,
        role: prod.app_role,
        role_id,
        required,
    })
}

/// The production API and its app role assignments: what grant and revoke start from.
async fn api_and_holders(
    session: &Session,
    profile: &str,
) -> Result<(Api, Vec<Assignment>), Refusal> {
    let api = production_api(session, profile).await?;
    let assignments = access::assignments(session, &api.sp).await.map_err(|e| {
        consent::explain(
            &Target::GraphRead {
                what: format!("the assignments of {}", api.app.name),
            },
            &Who::of(session),
            &e,
        )
    })?;
    Ok((api, assignments))
}

/// The one principal `name` names, or why not (none, or several: named with their IDs).
async fn resolve(session: &Session, name: &str) -> Result<Principal, Refusal> {
    let found = access::find(session, name).await.map_err(|e| {
        consent::explain(
            &Target::GraphRead {
                what: format!("the directory for {name}"),
            },
            &Who::of(session),
            &e,
        )
    })?;
    match found.len() {
        1 => Ok(found.into_iter().next().expect("one")),
        0 => Err(Refusal {
            what: format!("no user, group or app in the tenant is named `{name}`"),
            fix: Some("give a user's sign-in name (UPN), an object ID, an app's client ID, or the exact display name".into()),
        }),
        _ => Err(Refusal {
            what: format!(
                "`{name}` names {} objects: {}",
                found.len(),
                found.iter().map(who_text).collect::<Vec<_>>().join(", ")
            ),
            fix: Some("name the one you mean by its object ID".into()),
        }),
    }
}

/// The laptop's backend app: its client secret is in every teammate's `backend/.env` (and the
/// team vault), so the role on it would let every laptop into production again.
fn laptops_backend(answers: &crate::model::Answers, p: &Principal) -> Option<Refusal> {
    let laptop = answers.get(crate::model::FieldId::BackendClientId)?;
    (p.kind == Kind::ServicePrincipal && p.detail.eq_ignore_ascii_case(laptop.trim())).then(|| {
        Refusal {
            what: format!(
                "{} is the laptop's backend app ([backend_service] client_id): its client secret is in every teammate's backend/.env, so holding the role would let every laptop into production; nothing was changed",
                who_text(p)
            ),
            fix: Some("give the caller an identity of its own (the production backend has one: [production] backend_identity_client_id) and grant that".into()),
        }
    })
}

fn holding<'a>(api: &Api, assignments: &'a [Assignment], p: &Principal) -> Vec<&'a Assignment> {
    assignments
        .iter()
        .filter(|a| a.principal_id == p.id && a.app_role_id == api.role_id)
        .collect()
}

fn right(api: &Api, what: String) -> Target {
    Target::EnterpriseApp {
        what,
        app: api.app.name.clone(),
    }
}

/// Loads the profile, signs in and reads the API: shared by grant and revoke.
fn prepare(
    paths: &Paths,
    process_env: &BTreeMap<String, String>,
) -> Result<(String, crate::model::Answers), RunError> {
    let (project, answers) = common::load(paths, process_env)?;
    Ok((project.profile_text.unwrap_or_default(), answers))
}

pub fn grant(
    paths: &Paths,
    args: &GrantArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let (profile, answers) = prepare(paths, process_env)?;
    let rt = common::runtime()?;
    rt.block_on(async {
        let session = common::session(&answers).await?;
        let (api, assignments) = match api_and_holders(&session, &profile).await {
            Ok(found) => found,
            Err(r) => return Ok(stop(&r)),
        };
        if args.list {
            list(&api, &assignments);
            return Ok(Exit::Ok);
        }
        let mut exists = Vec::new();
        let mut todo = Vec::new();
        for name in &args.who {
            let p = match resolve(&session, name).await {
                Ok(p) => p,
                Err(r) => return Ok(stop(&r)),
            };
            if let Some(r) = laptops_backend(&answers, &p) {
                return Ok(stop(&r));
            }
            if holding(&api, &assignments, &p).is_empty() {
                todo.push(p);
            } else {
                exists.push(format!("{} holds {}", who_text(&p), api.role));
            }
        }
        let changes: Vec<Change> = todo
            .iter()
            .map(|p| {
                let what = format!("assign {} on {} to {}", api.role, api.app.name, who_text(p));
                Change {
                    needs: right(&api, what.clone()).needs(),
                    what,
                    requests: vec![Request {
                        method: "POST",
                        url: format!(
                            "{}/servicePrincipals/{}/appRoleAssignedTo",
                            session.endpoints.graph, api.sp
                        ),
                        body: Some(access::assign_body(&api.sp, &p.id, &api.role_id)),
                    }],
                }
            })
            .collect();
        let title = format!(
            "Who may call the production API {} ({}):",
            api.app.name, api.role
        );
        if let Go::Stop(exit) = common::plan_and_confirm(
            &title,
            &exists,
            &changes,
            &required_note(&api),
            &args.write,
            &format!("Assign {} to {} more?", api.role, changes.len()),
        ) {
            return Ok(exit);
        }
        for p in &todo {
            match access::assign(&session, &api.sp, &p.id, &api.role_id).await {
                Ok(_) => outln!(
                    "{} may now get a token for the production API ({})",
                    who_text(p),
                    api.role
                ),
                Err(e) => {
                    let r = if p.kind == Kind::Group {
                        group_refusal(&session, &api, p, &e).await
                    } else {
                        refusal(&session, &api, p, &e)
                    };
                    return Ok(stop(&r));
                }
            }
        }
        Ok(Exit::Ok)
    })
}

pub fn revoke(
    paths: &Paths,
    args: &RevokeArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let (profile, answers) = prepare(paths, process_env)?;
    let rt = common::runtime()?;
    rt.block_on(async {
        let session = common::session(&answers).await?;
        let (api, assignments) = match api_and_holders(&session, &profile).await {
            Ok(found) => found,
            Err(r) => return Ok(stop(&r)),
        };
        let mut exists = Vec::new();
        let mut todo: Vec<(Principal, Assignment)> = Vec::new();
        for name in &args.who {
            let p = match resolve(&session, name).await {
                Ok(p) => p,
                Err(r) => return Ok(stop(&r)),
            };
            let held = holding(&api, &assignments, &p);
            if held.is_empty() {
                exists.push(format!("{} does not hold {}", who_text(&p), api.role));
            }
            todo.extend(held.into_iter().map(|a| (p.clone(), a.clone())));
        }
        let changes: Vec<Change> = todo
            .iter()
            .map(|(p, a)| {
                let what = format!("remove {} on {} from {}", api.role, api.app.name, who_text(p));
                Change {
                    needs: right(&api, what.clone()).needs(),
                    what,
                    requests: vec![Request {
                        method: "DELETE",
                        url: format!("{}/servicePrincipals/{}/appRoleAssignedTo/{}", session.endpoints.graph, api.sp, a.id),
                        body: None,
                    }],
                }
            })
            .collect();
        let title = format!("Who may call the production API {} ({}):", api.app.name, api.role);
        if let Go::Stop(exit) = common::plan_and_confirm(&title, &exists, &changes, &[], &args.write, &format!("Remove {} from {}?", api.role, changes.len())) {
            return Ok(exit);
        }
        for (p, a) in &todo {
            if let Err(e) = access::unassign(&session, &api.sp, &a.id).await {
                return Ok(stop(&refusal(&session, &api, p, &e)));
            }
            outln!("{} no longer holds {} (a token it already has lasts until it expires, about an hour)", who_text(p), api.role);
        }
        Ok(Exit::Ok)
    })
}

fn required_note(api: &Api) -> Vec<String> {
    if api.required {
        Vec::new()
    } else {
        vec![format!(
            "{} {} does not require assignment: anyone in the tenant gets a token, holding {} or not. Fix: `lakekeeper-setup azure bootstrap --production`",
            Style::stdout().yellow("warning:"),
            api.app.name,
            api.role
        )]
    }
}

fn list(api: &Api, assignments: &[Assignment]) {
    let held: Vec<&Assignment> = assignments
        .iter()
        .filter(|a| a.app_role_id == api.role_id)
        .collect();
    outln!(
        "{} on {} is held by {}:",
        api.role,
        api.app.name,
        held.len()
    );
    for a in &held {
        outln!("  {}", assignment_text(a));
    }
    for n in required_note(api) {
        outln!("{n}");
    }
}

fn refusal(session: &Session, api: &Api, p: &Principal, e: &CallError) -> Refusal {
    consent::explain(
        &right(api, format!("assigning {} to {}", api.role, who_text(p))),
        &Who::of(session),
        e,
    )
}

/// A refused group: without Entra ID P1 (or P2) Graph does not assign groups to an app. The
/// group's users are offered one by one.
async fn group_refusal(session: &Session, api: &Api, p: &Principal, e: &CallError) -> Refusal {
    let CallError::Rest(RestError::Api(a)) = e else {
        return refusal(session, api, p, e);
    };
    if a.status != 403 {
        return refusal(session, api, p, e);
    }
    let users = access::group_users(session, &p.id)
        .await
        .unwrap_or_default();
    let offer = if users.is_empty() {
        "assign its members one by one: `lakekeeper-setup azure grant <user>`".to_owned()
    } else {
        format!(
            "assign its {} user(s) instead: lakekeeper-setup azure grant {}",
            users.len(),
            users
                .iter()
                .map(|u| if u.detail.is_empty() {
                    u.id.clone()
                } else {
                    u.detail.clone()
                })
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    Refusal {
        what: format!(
            "Microsoft Graph refused to assign the group {} ({}): assigning a group to an app needs Entra ID P1 or P2 in the tenant (without it only users and apps can be assigned); with P1, it needs ownership of the enterprise app {}",
            p.name, a.code, api.app.name
        ),
        fix: Some(offer),
    }
}

fn stop(r: &Refusal) -> Exit {
    common::refused(r);
    Exit::Problems
}
