//! `azure bootstrap --production`: what production needs beyond the app registrations the
//! laptop's steps make (the same [`super::Step`]s over production's names and base URI):
//! the API's app role, its service principal requiring assignment, the Azure CLI
//! pre-authorised on the scope, Lakekeeper's and the backend's user-assigned managed
//! identities federated with their service accounts on the AKS cluster (and no longer with a
//! service account they were federated with before: see [`stale`]), and the app role
//! assigned to exactly the backend's identity and the signed-in first person.
//!
//! [`plan`] is pure: it compares what [`Found`] holds with the [`Target`]. [`change`] is the
//! plan's and the dry run's view of a step. The network side is in [`run`].

pub mod run;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{AppFound, Options, Role, SCOPE, object_id_text, placeholder};
use crate::azure::arm::identity::{self as mi, Cluster, Federation, Identity};
use crate::azure::change::{Change, Request};
use crate::azure::consent::Target as Right;
use crate::azure::graph::access::{self, Assignment, Principal};
use crate::azure::graph::{self, AppRecord};

/// The Azure CLI's public client ID (Microsoft's first-party "Microsoft Azure CLI" app):
/// pre-authorised on the production scope so `az account get-access-token --scope
/// <uri>/lakekeeper` works without a consent prompt for a person who holds the app role.
pub const AZURE_CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// One of production's two managed identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ident {
    /// Lakekeeper's own identity: storage (Storage Blob Data Contributor, Delegator).
    Lakekeeper,
    /// The production backend's identity: it calls the production API with the app role.
    Backend,
}

impl Ident {
    pub const ALL: [Ident; 2] = [Ident::Lakekeeper, Ident::Backend];

    fn suffix(self) -> &'static str {
        match self {
            Ident::Lakekeeper => "catalog",
            Ident::Backend => "backend",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Ident::Lakekeeper => "Lakekeeper's identity (storage)",
            Ident::Backend => "the production backend's identity",
        }
    }

    /// The `[production]` key its client ID is recorded under.
    pub fn key(self) -> &'static str {
        match self {
            Ident::Lakekeeper => "lakekeeper_identity_client_id",
            Ident::Backend => "backend_identity_client_id",
        }
    }
}

/// Who gets the app role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The production backend's managed identity.
    Backend,
    /// The person running the bootstrap (the first person: they sign in to the production UI
    /// and create the warehouse).
    Me,
}

/// What production is made of, from `[production]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The app role's value (default `Lakekeeper.Access`).
    pub app_role: String,
    pub cluster_id: String,
    pub subscription: String,
    /// Where the identities are created.
    pub identity_group: String,
    /// New identities' names are `<prefix>-catalog` and `<prefix>-backend`.
    pub prefix: String,
    /// The namespace and service account each identity is federated with.
    pub accounts: BTreeMap<Ident, (String, String)>,
    /// The client IDs `[production]` records (`lakekeeper_identity_client_id`, …): an
    /// identity with one of them is used whatever its name.
    pub recorded: BTreeMap<Ident, String>,
    /// The names of identities found by a recorded client ID (see [`Target::adopt`]).
    pub found_names: BTreeMap<Ident, String>,
}

impl Target {
    /// The identity's name: the one found by its recorded client ID, else `<prefix>-<suffix>`.
    pub fn identity_name(&self, i: Ident) -> String {
        self.found_names
            .get(&i)
            .cloned()
            .unwrap_or_else(|| self.prefixed_name(i))
    }

    /// The name `--prefix` gives a new identity.
    pub fn prefixed_name(&self, i: Ident) -> String {
        format!("{}-{}", self.prefix, i.suffix())
    }

    /// The target with the identities `found` holds named as they are (one found by its
    /// recorded client ID keeps its name under another `--prefix`).
    #[must_use]
    pub fn adopt(mut self, found: &Found) -> Target {
        self.found_names = found
            .identities
            .iter()
            .map(|(i, id)| (*i, id.name.clone()))
            .collect();
        self
    }

    pub fn identity_id(&self, i: Ident) -> String {
        mi::identity_id(
            &self.subscription,
            &self.identity_group,
            &self.identity_name(i),
        )
    }

    pub fn group_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            self.subscription, self.identity_group
        )
    }

    /// The federated credential `i` needs on a cluster with `issuer`.
    pub fn federation(&self, i: Ident, issuer: &str) -> Federation {
        let (ns, sa) = &self.accounts[&i];
        Federation::for_service_account(&federation_name(ns, sa), issuer, ns, sa)
    }
}

/// `aks-<namespace>-<service account>` in the characters a credential name may hold.
pub fn federation_name(namespace: &str, service_account: &str) -> String {
    let raw = format!("aks-{namespace}-{service_account}");
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(120)
        .collect()
}

/// Why a federated credential of an identity the tool manages is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleWhy {
    /// It trusts another service account on this cluster (its issuer).
    OtherAccount,
    /// The tool named it (`aks-<namespace>-<service account>` of its subject) for a service
    /// account on a cluster it no longer federates with.
    OwnOldName,
}

impl StaleWhy {
    pub fn describe(self) -> &'static str {
        match self {
            StaleWhy::OtherAccount => {
                "it trusts another service account on this cluster: a pod running as it can act as the identity"
            }
            StaleWhy::OwnOldName => {
                "lakekeeper-setup made it for a service account it no longer federates: a pod running as it can act as the identity"
            }
        }
    }
}

/// A federated credential that is removed after the wanted one is in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub federation: Federation,
    pub why: StaleWhy,
}

/// The credentials among `all` (one identity's) that let in a service account other than
/// `want`'s. The rule never touches what another tool or person may rely on: a credential is
/// stale only when its subject is a Kubernetes service account other than the wanted one and
/// either its issuer is this cluster's, or its name is the one this tool gives that subject.
/// The credential named like `want` is kept (the wanted PUT replaces it).
pub fn stale(all: &[Federation], want: &Federation) -> Vec<Stale> {
    all.iter()
        .filter(|f| !f.matches(want) && f.name != want.name && f.subject != want.subject)
        .filter_map(|f| {
            let (ns, sa) = service_account_of(&f.subject)?;
            let why = if f.issuer == want.issuer {
                StaleWhy::OtherAccount
            } else if f.name == federation_name(ns, sa) {
                StaleWhy::OwnOldName
            } else {
                return None;
            };
            Some(Stale {
                federation: f.clone(),
                why,
            })
        })
        .collect()
}

/// The namespace and service account of a `system:serviceaccount:<ns>:<sa>` subject.
fn service_account_of(subject: &str) -> Option<(&str, &str)> {
    let (ns, sa) = subject
        .strip_prefix("system:serviceaccount:")?
        .split_once(':')?;
    (!ns.is_empty() && !sa.is_empty() && !sa.contains(':')).then_some((ns, sa))
}

/// What exists in production before anything changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The cluster, with its OIDC issuer (discovery stops when it has none).
    pub cluster: Cluster,
    pub issuer: String,
    /// Whether the API's service principal requires assignment (`None`: no service principal).
    pub assignment_required: Option<bool>,
    pub identities: BTreeMap<Ident, Identity>,
    /// Every federated credential of each identity found.
    pub federations: BTreeMap<Ident, Vec<Federation>>,
    /// The app role assignments on the API's service principal.
    pub assignments: Vec<Assignment>,
    /// The signed-in person.
    pub me: Principal,
}

/// One production change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProdStep {
    /// The API app's role (`appRoles`), assignable to users and applications.
    SetAppRole,
    /// `appRoleAssignmentRequired: true` on the API's service principal.
    RequireAssignment,
    /// The Azure CLI pre-authorised on the scope.
    PreAuthorizeCli,
    CreateIdentity(Ident),
    Federate(Ident),
    /// Remove the identity's [`stale`] credentials (after the wanted one is in place).
    Unfederate(Ident),
    Assign(Holder),
}

/// The app role's ID: the existing one, else one derived from the API's client ID and the
/// role's value (the same on every run and machine).
pub fn app_role_id(api: Option<&AppRecord>, value: &str) -> Option<String> {
    let api = api?;
    api.app_role_id(value).or_else(|| {
        Some(crate::azure::name_based_uuid(&format!(
            "lakekeeper-setup/app-role/{}/{value}",
            api.app_id
        )))
    })
}

/// The principal ID of a holder, when known.
pub fn holder_id(h: Holder, found: &Found) -> Option<&str> {
    match h {
        Holder::Backend => found
            .identities
            .get(&Ident::Backend)
            .map(|i| i.principal_id.as_str()),
        Holder::Me => Some(found.me.id.as_str()),
    }
}

/// Whether `principal` holds the role `role_id` among `assignments`.
pub fn holds(assignments: &[Assignment], principal: &str, role_id: &str) -> bool {
    assignments.iter().any(|a| {
        a.principal_id.eq_ignore_ascii_case(principal)
            && a.app_role_id.eq_ignore_ascii_case(role_id)
    })
}

/// The production steps still missing, in order. `scope_changes`: the laptop steps change
/// the scope this run (so the CLI's pre-authorisation is sent again after them).
pub fn plan(
    api: Option<&AppFound>,
    found: &Found,
    t: &Target,
    scope_changes: bool,
) -> Vec<ProdStep> {
    let mut steps = Vec::new();
    let rec = api.map(|a| &a.record);
    if !rec.is_some_and(|a| a.app_role_for_users_and_apps(&t.app_role)) {
        steps.push(ProdStep::SetAppRole);
    }
    if api.is_none_or(|a| a.sp.is_none()) || found.assignment_required != Some(true) {
        steps.push(ProdStep::RequireAssignment);
    }
    let cli = crate::model::ClientId(AZURE_CLI.to_owned());
    let pre = rec
        .is_some_and(|a| super::scope_id(a).is_some_and(|id| a.pre_authorized(&cli).contains(&id)));
    if !pre || scope_changes {
        steps.push(ProdStep::PreAuthorizeCli);
    }
    for i in Ident::ALL {
        if !found.identities.contains_key(&i) {
            steps.push(ProdStep::CreateIdentity(i));
        }
        let want = t.federation(i, &found.issuer);
        let all = found.federations.get(&i).map_or(&[][..], Vec::as_slice);
        if !all.iter().any(|f| f.matches(&want)) {
            steps.push(ProdStep::Federate(i));
        }
        if !stale(all, &want).is_empty() {
            steps.push(ProdStep::Unfederate(i));
        }
    }
    let role = app_role_id(rec, &t.app_role);
    for h in [Holder::Backend, Holder::Me] {
        let held = match (holder_id(h, found), &role) {
            (Some(p), Some(r)) => {
                rec.is_some_and(|a| a.app_role_id(&t.app_role).is_some())
                    && holds(&found.assignments, p, r)
            }
            _ => false,
        };
        if !held {
            steps.push(ProdStep::Assign(h));
        }
    }
    steps
}

/// The `appRoles` with the role `value` present, enabled and assignable to users and
/// applications; every other role sent back unchanged (Graph replaces the collection).
pub fn app_role_body(api: Option<&AppRecord>, value: &str, opts: &Options) -> Value {
    let mut roles: Vec<Value> = api
        .and_then(|a| a.app_roles.as_array().cloned())
        .unwrap_or_default();
    let types = json!(["User", "Application"]);
    if let Some(r) = roles.iter_mut().find(|r| r["value"] == value) {
        r["isEnabled"] = json!(true);
        r["allowedMemberTypes"] = types;
    } else {
        let id = app_role_id(api, value)
            .unwrap_or_else(|| placeholder("a role id derived from the appId", Role::Api, opts));
        roles.push(json!({
            "id": id,
            "value": value,
            "displayName": "Lakekeeper access",
            "description": "May get a token for the production Lakekeeper API (people through the UI or the Azure CLI, applications with their own identity).",
            "allowedMemberTypes": types,
            "isEnabled": true,
        }));
    }
    json!({"appRoles": roles})
}

fn owner_of_app(name: &str) -> String {
    format!(
        "owner of the app registration {name} (you are when this run creates it), or the Application Administrator role"
    )
}

/// The right a step needs and where a refusal is explained.
pub fn right(step: ProdStep, api_name: &str, t: &Target, who: &str) -> Right {
    match step {
        ProdStep::CreateIdentity(i) => Right::ManagedIdentity {
            what: format!("creating managed identity {}", t.identity_name(i)),
            group: t.identity_group.clone(),
            group_id: t.group_id(),
        },
        ProdStep::Federate(i) => Right::ManagedIdentity {
            what: format!(
                "adding the federated credential to managed identity {}",
                t.identity_name(i)
            ),
            group: t.identity_group.clone(),
            group_id: t.group_id(),
        },
        ProdStep::Unfederate(i) => Right::ManagedIdentity {
            what: format!(
                "removing a stale federated credential from managed identity {}",
                t.identity_name(i)
            ),
            group: t.identity_group.clone(),
            group_id: t.group_id(),
        },
        ProdStep::RequireAssignment => Right::EnterpriseApp {
            what: "requiring assignment".into(),
            app: api_name.to_owned(),
        },
        ProdStep::Assign(_) => Right::EnterpriseApp {
            what: format!("assigning {} to {who}", t.app_role),
            app: api_name.to_owned(),
        },
        ProdStep::SetAppRole | ProdStep::PreAuthorizeCli => Right::EnterpriseApp {
            what: format!("changing the app registration {api_name}"),
            app: api_name.to_owned(),
        },
    }
}

/// Who a holder is, for the plan.
pub fn holder_text(h: Holder, found: &Found, t: &Target) -> String {
    match h {
        Holder::Backend => format!("{} (managed identity)", t.identity_name(Ident::Backend)),
        Holder::Me => {
            if found.me.detail.is_empty() {
                found.me.name.clone()
            } else {
                found.me.detail.clone()
            }
        }
    }
}

/// The plan's and the dry run's view of one production step.
pub fn change(
    step: ProdStep,
    api: Option<&AppRecord>,
    api_sp: Option<&str>,
    found: &Found,
    t: &Target,
    opts: &Options,
    endpoints: &crate::azure::AzureEndpoints,
) -> Change {
    let graph_base = &endpoints.graph;
    let api_name = api.map_or_else(|| opts.unique_name(Role::Api), |a| a.name.clone());
    let sp_text = api_sp.map_or_else(
        || placeholder("service principal id", Role::Api, opts),
        str::to_owned,
    );
    let app_url = format!(
        "{graph_base}{}",
        graph::object_path(&object_id_text(api, Role::Api, opts))
    );
    let arm = |path: String| format!("{}{path}", endpoints.arm);
    let req =
        |method: &'static str, url: String, body: Option<Value>| Request { method, url, body };
    match step {
        ProdStep::SetAppRole => Change {
            what: format!(
                "give {api_name} the app role {} (assignable to users and applications)",
                t.app_role
            ),
            needs: owner_of_app(&api_name),
            requests: vec![req(
                "PATCH",
                app_url,
                Some(app_role_body(api, &t.app_role, opts)),
            )],
        },
        ProdStep::RequireAssignment => Change {
            what: format!(
                "require assignment on {api_name}'s service principal: Entra then issues tokens for the production API only to those holding {}",
                t.app_role
            ),
            needs: right(step, &api_name, t, "").needs(),
            requests: vec![req(
                "PATCH",
                format!("{graph_base}/servicePrincipals/{sp_text}"),
                Some(access::require_assignment_body()),
            )],
        },
        ProdStep::PreAuthorizeCli => Change {
            what: format!(
                "pre-authorise the Azure CLI ({AZURE_CLI}) on the scope `{SCOPE}` of {api_name}, so `az account get-access-token --scope <App ID URI>/{SCOPE}` works for a holder of the role"
            ),
            needs: owner_of_app(&api_name),
            requests: vec![req(
                "PATCH",
                app_url,
                Some(super::pre_authorize_client_body(api, AZURE_CLI, opts)),
            )],
        },
        ProdStep::CreateIdentity(i) => Change {
            what: format!(
                "create the managed identity {} ({}) in resource group {}",
                t.identity_name(i),
                i.describe(),
                t.identity_group
            ),
            needs: right(step, &api_name, t, "").needs(),
            requests: vec![req(
                "PUT",
                arm(format!(
                    "{}?api-version={}",
                    t.identity_id(i),
                    mi::MANAGED_IDENTITY_API
                )),
                Some(mi::identity_body(&found.cluster.location)),
            )],
        },
        ProdStep::Federate(i) => {
            let f = t.federation(i, &found.issuer);
            Change {
                what: format!(
                    "federate {} with {} on cluster {} (issuer {})",
                    t.identity_name(i),
                    f.subject,
                    found.cluster.name,
                    found.issuer
                ),
                needs: right(step, &api_name, t, "").needs(),
                requests: vec![req(
                    "PUT",
                    arm(format!(
                        "{}/federatedIdentityCredentials/{}?api-version={}",
                        t.identity_id(i),
                        f.name,
                        mi::MANAGED_IDENTITY_API
                    )),
                    Some(mi::federation_body(&f)),
                )],
            }
        }
        ProdStep::Unfederate(i) => {
            let all = found.federations.get(&i).map_or(&[][..], Vec::as_slice);
            let gone = stale(all, &t.federation(i, &found.issuer));
            let list: Vec<String> = gone
                .iter()
                .map(|s| {
                    format!(
                        "{} (subject {}, issuer {}): {}",
                        s.federation.name,
                        s.federation.subject,
                        s.federation.issuer,
                        s.why.describe()
                    )
                })
                .collect();
            Change {
                what: format!(
                    "remove from {} the stale federated credential(s) {}",
                    t.identity_name(i),
                    list.join("; ")
                ),
                needs: right(step, &api_name, t, "").needs(),
                requests: gone
                    .iter()
                    .map(|s| {
                        req(
                            "DELETE",
                            arm(format!(
                                "{}/federatedIdentityCredentials/{}?api-version={}",
                                t.identity_id(i),
                                s.federation.name,
                                mi::MANAGED_IDENTITY_API
                            )),
                            None,
                        )
                    })
                    .collect(),
            }
        }
        ProdStep::Assign(h) => {
            let who = holder_text(h, found, t);
            let principal = holder_id(h, found).map_or_else(
                || format!("<principalId of {}>", t.identity_name(Ident::Backend)),
                str::to_owned,
            );
            let role = app_role_id(api, &t.app_role).unwrap_or_else(|| {
                placeholder("a role id derived from the appId", Role::Api, opts)
            });
            Change {
                what: format!("assign {} on {api_name} to {who}", t.app_role),
                needs: right(step, &api_name, t, &who).needs(),
                requests: vec![req(
                    "POST",
                    format!("{graph_base}/servicePrincipals/{sp_text}/appRoleAssignedTo"),
                    Some(access::assign_body(&sp_text, &principal, &role)),
                )],
            }
        }
    }
}

/// One line per production object that already exists, for the plan.
pub fn exists_lines(found: &Found, t: &Target) -> Vec<String> {
    let mut out = vec![format!(
        "AKS cluster {} (OIDC issuer {}{})",
        found.cluster.name,
        found.issuer,
        if found.cluster.workload_identity {
            ", workload identity on"
        } else {
            ""
        }
    )];
    for i in Ident::ALL {
        if let Some(id) = found.identities.get(&i) {
            let want = t.federation(i, &found.issuer);
            let fed = found
                .federations
                .get(&i)
                .and_then(|all| all.iter().find(|f| f.matches(&want)))
                .map_or(String::new(), |f| format!(", federated with {}", f.subject));
            let by_client_id = if id.name == t.prefixed_name(i) {
                String::new()
            } else {
                format!(
                    ", found by the client ID [production] {} records (used instead of making {})",
                    i.key(),
                    t.prefixed_name(i)
                )
            };
            out.push(format!(
                "managed identity {} (client ID {}){fed}{by_client_id}",
                id.name, id.client_id
            ));
        }
    }
    out
}

/// The `[production]` values a run leaves (IDs only): what the profile records.
pub fn profile_values(
    api: Option<&AppRecord>,
    ui: Option<&AppRecord>,
    identities: &BTreeMap<Ident, Identity>,
    cluster_id: &str,
) -> crate::production::Raw {
    let mut raw = crate::production::Raw::new();
    if let Some(a) = api {
        raw.insert("api_client_id".into(), a.app_id.to_string());
        let uri = format!("api://{}", a.app_id);
        if a.identifier_uris.contains(&uri) {
            raw.insert("api_app_id_uri".into(), uri);
        }
    }
    if let Some(u) = ui {
        raw.insert("ui_client_id".into(), u.app_id.to_string());
    }
    raw.insert("aks_cluster".into(), cluster_id.to_owned());
    for (i, id) in identities {
        raw.insert(i.key().into(), id.client_id.clone());
    }
    raw
}

#[cfg(test)]
mod tests;
