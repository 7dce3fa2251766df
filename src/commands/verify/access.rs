//! `verify --production`'s Azure side: reads what Graph and ARM hold about production's API,
//! its callers, Lakekeeper's identity and the federated credentials (with the user's own
//! `az login`, on its own runtime like the vault check), and hands the facts to
//! [`crate::verify::access`], which judges them. A read that fails becomes a result naming its
//! fix; nothing is written.

use std::collections::BTreeMap;

use crate::azure::arm::identity::{self as mi, Federation};
use crate::azure::bootstrap::production::federation_name;
use crate::azure::consent::{self, Target, Who};
use crate::azure::graph::{self, access};
use crate::azure::{CallError, Session};
use crate::commands::Project;
use crate::model::{Answers, FieldId};
use crate::production::Production;
use crate::verify::access as judge;
use crate::verify::{CheckResult, Status};

fn read_failed(name: &str, what: &str, session: &Session, e: &CallError, arm: bool) -> CheckResult {
    let target = if arm {
        Target::ArmRead { what: what.into() }
    } else {
        Target::GraphRead { what: what.into() }
    };
    let r = consent::explain(&target, &Who::of(session), e);
    CheckResult {
        name: name.into(),
        status: Status::Failed,
        summary: r.what,
        details: Vec::new(),
        fix: r.fix,
        duration_ms: 0,
        trace: Vec::new(),
    }
}

/// The four production-access results; empty when `[production]` does not validate (the
/// command said so already).
pub fn checks(project: &Project, process_env: &BTreeMap<String, String>) -> Vec<CheckResult> {
    let Ok(prod) = crate::production::load(project.profile_text.as_deref().unwrap_or_default())
    else {
        return Vec::new();
    };
    let answers = project.answers(process_env);
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    rt.block_on(async {
        let tenant = answers.get(FieldId::Tenant).map(str::to_owned);
        let session = match Session::from_az(tenant.as_deref()).await {
            Ok(s) => s,
            Err(e) => {
                return vec![CheckResult {
                    name: "production-access".into(),
                    status: Status::Skipped,
                    summary: format!("who can get into production was not checked: {e}"),
                    details: Vec::new(),
                    fix: Some(
                        "sign in with the Azure CLI (az login) and run verify --production again"
                            .into(),
                    ),
                    duration_ms: 0,
                    trace: Vec::new(),
                }];
            }
        };
        let mut out = Vec::new();
        let (api, callers) = api_and_callers(&session, &prod, &answers).await;
        out.push(api);
        out.push(callers);
        out.push(storage(&session, &prod, &answers).await);
        out.push(federation(&session, &prod).await);
        out
    })
}

async fn api_and_callers(
    session: &Session,
    prod: &Production,
    answers: &Answers,
) -> (CheckResult, CheckResult) {
    let laptop_backend = answers
        .get(FieldId::BackendClientId)
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty());
    let mut facts = judge::ApiFacts {
        client_id: prod.api_client_id.as_ref().map(ToString::to_string),
        app_id_uri: prod.api_app_id_uri.clone(),
        laptop_client_id: answers
            .get(FieldId::ApiClientId)
            .map(|v| v.trim().to_ascii_lowercase()),
        laptop_app_id_uri: answers.get(FieldId::AppIdUri).map(|v| v.trim().to_owned()),
        name: None,
        assignment_required: None,
        app_role: prod.app_role.clone(),
        holders: 0,
    };
    let mut callers = judge::CallerFacts {
        laptop_backend: laptop_backend.clone(),
        holds_role: false,
        assignment_required: false,
    };
    let fail = |e: &CallError| {
        let r = read_failed(
            "production-api",
            "the production API app",
            session,
            e,
            false,
        );
        let c = CheckResult {
            name: "production-callers".into(),
            status: Status::Skipped,
            summary: "not checked: the production API could not be read".into(),
            ..r.clone()
        };
        (r, c)
    };
    if let Some(id) = &prod.api_client_id
        && facts.laptop_client_id.as_deref() != Some(id.as_str())
    {
        match graph::app_by_client_id(session, id).await {
            Ok(app) => facts.name = app.map(|a| a.name),
            Err(e) => return fail(&e),
        }
        let sp = match graph::service_principal(session, id).await {
            Ok(sp) => sp,
            Err(e) => return fail(&e),
        };
        if let Some(sp) = sp {
            facts.assignment_required = match access::assignment_required(session, &sp).await {
                Ok(r) => r,
                Err(e) => return fail(&e),
            };
            let assignments = match access::assignments(session, &sp).await {
                Ok(a) => a,
                Err(e) => return fail(&e),
            };
            facts.holders = assignments.len();
            if let Some(b) = &laptop_backend
                && let Ok(cid) = crate::validate::client_id(FieldId::BackendClientId, b)
            {
                match graph::service_principal(session, &cid.value).await {
                    Ok(Some(bsp)) => {
                        callers.holds_role = assignments.iter().any(|a| a.principal_id == bsp);
                    }
                    Ok(None) => {}
                    Err(e) => return fail(&e),
                }
            }
        }
    }
    callers.assignment_required = facts.assignment_required == Some(true);
    (judge::api(&facts), judge::callers(&callers))
}

async fn storage(session: &Session, prod: &Production, answers: &Answers) -> CheckResult {
    const NAME: &str = "production-storage";
    let Some(identity) = &prod.lakekeeper_identity_client_id else {
        return judge::storage(None, "", &[], None);
    };
    let (Some(account), Some(container)) = (
        answers.get(FieldId::StorageAccount),
        answers.get(FieldId::StorageContainer),
    ) else {
        return CheckResult {
            name: NAME.into(),
            status: Status::Skipped,
            summary: "no storage account and container in the setup".into(),
            details: Vec::new(),
            fix: None,
            duration_ms: 0,
            trace: Vec::new(),
        };
    };
    let sp = match graph::service_principal(session, identity).await {
        Ok(Some(sp)) => sp,
        Ok(None) => {
            return judge::storage(None, account, &[], None);
        }
        Err(e) => return read_failed(NAME, "Lakekeeper's identity", session, &e, false),
    };
    let account_id = match crate::commands::azure::roles::account_id(session, account, None).await {
        Ok(id) => id,
        Err(e) => {
            return CheckResult {
                name: NAME.into(),
                status: Status::Failed,
                summary: e.to_string(),
                details: Vec::new(),
                fix: None,
                duration_ms: 0,
                trace: Vec::new(),
            };
        }
    };
    let assignments = match crate::azure::arm::role_assignments(session, &account_id, &sp).await {
        Ok(a) => a,
        Err(e) => {
            return read_failed(
                NAME,
                &format!("the role assignments on storage account {account}"),
                session,
                &e,
                true,
            );
        }
    };
    let wanted = crate::azure::roles::wanted(&assignments, &account_id, Some(container));
    let wide = crate::azure::roles::too_wide(&assignments, &account_id);
    judge::storage(Some(identity.as_str()), account, &wanted, wide.as_deref())
}

async fn federation(session: &Session, prod: &Production) -> CheckResult {
    const NAME: &str = "production-federation";
    let Some(cluster_id) = &prod.aks_cluster else {
        return judge::federation(
            "(none)",
            Err((
                "[production] aks_cluster is not set",
                "lakekeeper-setup azure bootstrap --production --aks-cluster <its resource ID>",
            )),
            &[],
        );
    };
    let cluster = match mi::cluster(session, cluster_id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return judge::federation(
                cluster_id,
                Err((
                    "it does not exist (or you cannot see it)",
                    "set [production] aks_cluster to the cluster's resource ID",
                )),
                &[],
            );
        }
        Err(e) => {
            return read_failed(
                NAME,
                &format!("AKS cluster {cluster_id}"),
                session,
                &e,
                true,
            );
        }
    };
    let fix = cluster.enable_command();
    let issuer = match (&cluster.issuer, cluster.workload_identity) {
        (Some(i), true) => i.clone(),
        _ => {
            return judge::federation(
                &cluster.name,
                Err((
                    "the OIDC issuer or workload identity is not enabled",
                    fix.as_str(),
                )),
                &[],
            );
        }
    };
    let group = prod
        .identity_resource_group
        .clone()
        .unwrap_or_else(|| cluster.resource_group.clone());
    let subscription = crate::azure::arm::subscription_of(cluster_id);
    let identities = match mi::identities_in(session, &subscription, &group).await {
        Ok(i) => i,
        Err(e) => {
            return read_failed(
                NAME,
                &format!("the managed identities in resource group {group}"),
                session,
                &e,
                true,
            );
        }
    };
    let mut facts = Vec::new();
    let backend = prod
        .backend_namespace
        .clone()
        .zip(prod.backend_service_account.clone());
    let rows = [
        (
            "Lakekeeper's identity",
            prod.lakekeeper_identity_client_id.as_ref(),
            Some((prod.namespace.clone(), prod.service_account.clone())),
        ),
        (
            "the production backend's identity",
            prod.backend_identity_client_id.as_ref(),
            backend,
        ),
    ];
    for (who, client, account) in rows {
        let Some((ns, sa)) = account else { continue };
        let want = Federation::for_service_account(&federation_name(&ns, &sa), &issuer, &ns, &sa);
        let found_identity = client.and_then(|c| {
            identities
                .iter()
                .find(|i| i.client_id.eq_ignore_ascii_case(c.as_str()))
        });
        let found = match found_identity {
            Some(i) => match mi::federations_of(session, &i.id).await {
                Ok(f) => f,
                Err(e) => {
                    return read_failed(
                        NAME,
                        &format!("the federated credentials of {}", i.name),
                        session,
                        &e,
                        true,
                    );
                }
            },
            None => Vec::new(),
        };
        facts.push(judge::FederationFacts {
            who: who.into(),
            client_id: client.map(ToString::to_string),
            name: found_identity.map(|i| i.name.clone()),
            want,
            found,
        });
    }
    judge::federation(&cluster.name, Ok(&issuer), &facts)
}
