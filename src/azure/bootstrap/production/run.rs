//! Production's network side: [`discover`] reads the cluster's OIDC issuer, the two managed
//! identities (by the client ID `[production]` records, else by name) and all their
//! federated credentials, the API's service principal (does it require
//! assignment, who holds the role) and the signed-in person; [`run`] sends the planned
//! [`ProdStep`]s one by one. A refusal stops the run with what was refused and the one-line
//! fix; what was done is handed back for the profile (every step is found again next time).

use std::collections::BTreeMap;
use std::time::Duration;

use super::{
    Found, Holder, Ident, ProdStep, Target, app_role_body, app_role_id, holder_text, right,
};
use crate::azure::arm::identity::{self as mi, Identity};
use crate::azure::bootstrap::Options;
use crate::azure::bootstrap::run::{detail, lag_error, retrying};
use crate::azure::consent::{self, Refusal, Target as Right, Who};
use crate::azure::graph::access;
use crate::azure::graph::{self, AppRecord};
use crate::azure::rest::RestError;
use crate::azure::{CallError, Session};

/// What production holds after the run (or up to a refusal).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Done {
    pub api: Option<AppRecord>,
    pub identities: BTreeMap<Ident, Identity>,
    pub changed: bool,
}

fn read_refusal(what: &str, arm: bool, session: &Session, e: &CallError) -> Refusal {
    let target = if arm {
        Right::ArmRead { what: what.into() }
    } else {
        Right::GraphRead { what: what.into() }
    };
    consent::explain(&target, &Who::of(session), e)
}

/// Reads what production has. A cluster without the OIDC issuer or workload identity stops
/// here with the command that turns them on.
pub async fn discover(
    session: &Session,
    t: &Target,
    api_sp: Option<&str>,
) -> Result<Found, Refusal> {
    let cluster = mi::cluster(session, &t.cluster_id)
        .await
        .map_err(|e| read_refusal(&format!("AKS cluster {}", t.cluster_id), true, session, &e))?
        .ok_or_else(|| Refusal {
            what: format!("AKS cluster {} does not exist (or you cannot see it)", t.cluster_id),
            fix: Some("set [production] aks_cluster to the cluster's resource ID: az aks show --resource-group <group> --name <name> --query id -o tsv".into()),
        })?;
    let issuer = match (&cluster.issuer, cluster.workload_identity) {
        (Some(i), true) => i.clone(),
        (issuer, _) => {
            let missing = match issuer {
                None => "neither the OIDC issuer nor workload identity",
                Some(_) => "no workload identity",
            };
            return Err(Refusal {
                what: format!(
                    "AKS cluster {} has {missing} enabled: its pods cannot sign in as a managed identity",
                    cluster.name
                ),
                fix: Some(cluster.enable_command()),
            });
        }
    };
    let identities = identities(session, t).await?;
    let mut federations = BTreeMap::new();
    for (i, found) in &identities {
        let all = mi::federations_of(session, &found.id).await.map_err(|e| {
            read_refusal(
                &format!(
                    "the federated credentials of managed identity {}",
                    found.name
                ),
                true,
                session,
                &e,
            )
        })?;
        federations.insert(*i, all);
    }
    let (assignment_required, assignments) = match api_sp {
        Some(sp) => {
            let what = "the production API's service principal";
            let required = access::assignment_required(session, sp)
                .await
                .map_err(|e| read_refusal(what, false, session, &e))?;
            let list = access::assignments(session, sp).await.map_err(|e| {
                read_refusal(
                    &format!("the app role assignments of {what}"),
                    false,
                    session,
                    &e,
                )
            })?;
            (required, list)
        }
        None => (None, Vec::new()),
    };
    let me = access::me(session)
        .await
        .map_err(|e| read_refusal("the signed-in user", false, session, &e))?;
    Ok(Found {
        cluster,
        issuer,
        assignment_required,
        identities,
        federations,
        assignments,
        me,
    })
}

/// The two identities: the one with the client ID `[production]` records (whatever its name:
/// a run under another `--prefix` must not make a second one), else the one named
/// `<prefix>-<suffix>`.
async fn identities(session: &Session, t: &Target) -> Result<BTreeMap<Ident, Identity>, Refusal> {
    let listed = if t.recorded.is_empty() {
        Vec::new()
    } else {
        mi::identities_in(session, &t.subscription, &t.identity_group)
            .await
            .map_err(|e| {
                read_refusal(
                    &format!(
                        "the managed identities in resource group {}",
                        t.identity_group
                    ),
                    true,
                    session,
                    &e,
                )
            })?
    };
    let mut out = BTreeMap::new();
    for i in Ident::ALL {
        let recorded = t.recorded.get(&i).and_then(|c| {
            listed
                .iter()
                .find(|x| x.client_id.eq_ignore_ascii_case(c) && mi::is_identity_id(&x.id))
        });
        if let Some(x) = recorded {
            out.insert(i, x.clone());
            continue;
        }
        let what = format!("managed identity {}", t.prefixed_name(i));
        if let Some(found) = mi::get_identity(session, &t.identity_id(i))
            .await
            .map_err(|e| read_refusal(&what, true, session, &e))?
        {
            out.insert(i, found);
        }
    }
    Ok(out)
}

/// Sends `steps` in order; `api` is the production API app as the laptop steps left it.
/// Each success prints one line; the first refusal stops the run.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    session: &Session,
    opts: &Options,
    t: &Target,
    found: &Found,
    api: AppRecord,
    steps: &[ProdStep],
    backoff: Duration,
    line: &mut dyn FnMut(&str),
) -> Result<Done, (Done, Refusal)> {
    let mut done = Done {
        api: Some(api.clone()),
        identities: found.identities.clone(),
        changed: false,
    };
    if steps.is_empty() {
        return Ok(done);
    }
    // The service principal may be minutes old: read it through Entra's replication lag.
    let what = format!("find the service principal of {}", api.name);
    let sp = match retrying(&what, backoff, line, || async {
        graph::service_principal(session, &api.app_id)
            .await?
            .ok_or_else(|| lag_error(&what))
    })
    .await
    {
        Ok(sp) => sp,
        Err(e) => {
            let r = read_refusal(
                &format!("the service principal of {}", api.name),
                false,
                session,
                &e,
            );
            return Err((done, r));
        }
    };
    for step in steps {
        match one(
            session, opts, t, found, &sp, *step, &mut done, backoff, line,
        )
        .await
        {
            Ok(text) => {
                done.changed = true;
                line(&format!("  ✓ {text}"));
            }
            Err(e) => {
                let api_name = done.api.as_ref().map_or(String::new(), |a| a.name.clone());
                let who = match step {
                    ProdStep::Assign(h) => holder_text(*h, found, t),
                    _ => String::new(),
                };
                let mut r =
                    consent::explain(&right(*step, &api_name, t, &who), &Who::of(session), &e);
                if r.fix.is_none() {
                    r.what = format!("{} ({})", r.what, detail(&e));
                    r.fix = Some("run `lakekeeper-setup azure bootstrap --production` again: it resumes where it stopped".into());
                }
                return Err((done, r));
            }
        }
    }
    Ok(done)
}

#[allow(clippy::too_many_arguments)]
async fn one(
    session: &Session,
    opts: &Options,
    t: &Target,
    found: &Found,
    sp: &str,
    step: ProdStep,
    done: &mut Done,
    backoff: Duration,
    line: &mut dyn FnMut(&str),
) -> Result<String, CallError> {
    let progress = |l: &str| eoutln!("    … {l}");
    let api = done.api.clone().ok_or_else(|| {
        CallError::Rest(RestError::Unexpected(
            "the production API app is missing".into(),
        ))
    })?;
    match step {
        ProdStep::SetAppRole => {
            let body = app_role_body(Some(&api), &t.app_role, opts);
            let what = format!("give {} the app role {}", api.name, t.app_role);
            retrying(&what, backoff, line, || {
                graph::update_app(session, &api.object_id, &body)
            })
            .await?;
            let mut api = api;
            api.app_roles = body["appRoles"].clone();
            let text = format!(
                "{} has the app role {} (users and applications)",
                api.name, t.app_role
            );
            done.api = Some(api);
            Ok(text)
        }
        ProdStep::RequireAssignment => {
            let what = format!("require assignment on {}", api.name);
            retrying(&what, backoff, line, || {
                access::require_assignment(session, sp)
            })
            .await?;
            Ok(format!(
                "{} requires assignment: only holders of {} get a token for it",
                api.name, t.app_role
            ))
        }
        ProdStep::PreAuthorizeCli => {
            let body = super::super::pre_authorize_client_body(Some(&api), super::AZURE_CLI, opts);
            let what = format!("pre-authorise the Azure CLI on {}", api.name);
            retrying(&what, backoff, line, || {
                graph::update_app(session, &api.object_id, &body)
            })
            .await?;
            let mut api = api;
            api.api = body["api"].clone();
            let text = format!(
                "the Azure CLI is pre-authorised on the scope `{}` of {}",
                super::SCOPE,
                api.name
            );
            done.api = Some(api);
            Ok(text)
        }
        ProdStep::CreateIdentity(i) => {
            let made = mi::put_identity(
                session,
                &t.identity_id(i),
                &found.cluster.location,
                &progress,
            )
            .await?;
            let text = format!(
                "created managed identity {} (client ID {})",
                made.name, made.client_id
            );
            done.identities.insert(i, made);
            Ok(text)
        }
        ProdStep::Federate(i) => {
            let f = t.federation(i, &found.issuer);
            mi::put_federation(session, &t.identity_id(i), &f, &progress).await?;
            Ok(format!(
                "{} trusts {} from cluster {}",
                t.identity_name(i),
                f.subject,
                found.cluster.name
            ))
        }
        ProdStep::Unfederate(i) => {
            let all = found.federations.get(&i).map_or(&[][..], Vec::as_slice);
            let gone = super::stale(all, &t.federation(i, &found.issuer));
            for s in &gone {
                mi::delete_federation(session, &t.identity_id(i), &s.federation.name, &progress)
                    .await?;
            }
            Ok(format!(
                "{} no longer trusts {}",
                t.identity_name(i),
                gone.iter()
                    .map(|s| format!("{} ({})", s.federation.subject, s.federation.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
        ProdStep::Assign(h) => {
            let principal = match h {
                Holder::Backend => done
                    .identities
                    .get(&Ident::Backend)
                    .map(|i| i.principal_id.clone()),
                Holder::Me => Some(found.me.id.clone()),
            }
            .ok_or_else(|| {
                CallError::Rest(RestError::Unexpected(
                    "the backend's identity is missing".into(),
                ))
            })?;
            let role = app_role_id(Some(&api), &t.app_role).ok_or_else(|| {
                CallError::Rest(RestError::Unexpected("the app role is missing".into()))
            })?;
            let who = holder_text(h, found, t);
            let what = format!("assign {} to {who}", t.app_role);
            // A new identity's service principal reaches Graph a little after ARM made it.
            let made = retrying(&what, backoff, line, || {
                access::assign(session, sp, &principal, &role)
            })
            .await;
            match made {
                Ok(_) => Ok(format!("{who} holds {} on {}", t.app_role, api.name)),
                // Graph refuses a second identical grant: check it is there, and count it.
                Err(CallError::Rest(RestError::Api(a))) if a.status == 400 => {
                    let now = access::assignments(session, sp).await?;
                    if super::holds(&now, &principal, &role) {
                        Ok(format!("{who} already held {} on {}", t.app_role, api.name))
                    } else {
                        Err(CallError::Rest(RestError::Api(a)))
                    }
                }
                Err(e) => Err(e),
            }
        }
    }
}
