//! A stateful model of the Azure a team lead writes to, behind the stand-in's handler: one
//! subscription with PostgreSQL flexible servers (the `azure.extensions` parameter of
//! `lakehouse-pg`, written by PATCH/PUT, answered at once, or with a 202 polled through
//! `Azure-AsyncOperation` or `Location`, or refused while "busy"), storage account `sto1125`
//! with its role assignments (PUT, 409 `RoleAssignmentExists` on a repeat), the service
//! principals Graph knows, and Key Vault `team-dev-kv` (GET/PUT secrets).
//!
//! Every answer is an official example payload (`tests/fixtures/azure/`) with IDs, names
//! and values adapted; error bodies are the documented ones (reference §3, §4). Refusals can be
//! switched on per kind of write. The model records what was written so tests can assert it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::azure::{
    Handler, Reply, SUB, Seen, adapt, arm_body, fixture, graph_body, one_subscription,
};

pub const SERVER: &str = "lakehouse-pg";
pub const SERVER_HOST: &str = "lakehouse-pg.postgres.database.azure.com";
pub const ACCOUNT: &str = "sto1125";
pub const VAULT: &str = "team-dev-kv";
/// The claims challenge of azure-sdk-for-python#41739's captured ARM 401 (`acrs` p1 essential).
pub const CLAIMS: &str =
    "eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlcyI6WyJwMSJdfX19";

pub fn server_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.DBforPostgreSQL/flexibleServers/{SERVER}"
    )
}

pub fn account_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/res2627/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}"
    )
}

/// How a configuration write is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// 200 with the configuration.
    Sync,
    /// 202 + `Azure-AsyncOperation` (and `Location`); the operation reports `InProgress` this
    /// many times, then `Succeeded`.
    AsyncOperation(u32),
    /// 202 + `Location` only; it answers 202 this many times, then 200 with the configuration.
    Location(u32),
}

/// A refusal a kind of write gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refuse {
    /// 403 `AuthorizationFailed` (ARM) / `ForbiddenByRbac` (Key Vault).
    Denied,
    /// 401 with ARM's MFA claims challenge.
    Mfa,
    /// Key Vault's access-policy refusal (`AccessDenied`).
    AccessPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub scope: String,
    pub name: String,
    pub role: String,
    pub principal: String,
}

#[derive(Debug)]
pub struct State {
    pub extensions: String,
    pub allowed: String,
    pub mode: WriteMode,
    /// The next this-many configuration writes get 409 `ServerBusy` (with `Retry-After: 0`).
    pub busy: u32,
    pub refuse_config: Option<Refuse>,
    pub assignments: Vec<Assignment>,
    /// The list leaves assignments out (one made by a teammate a moment ago).
    pub list_hides_assignments: bool,
    pub refuse_roles: Option<Refuse>,
    /// appId → service principal object ID.
    pub service_principals: BTreeMap<String, String>,
    pub vault: BTreeMap<String, String>,
    pub refuse_vault_writes: Option<Refuse>,
    /// Every write (method, path and query) the model accepted or refused, in order.
    pub writes: Vec<(String, String)>,
    /// Bodies of configuration writes.
    pub config_bodies: Vec<Value>,
    /// A configuration write in flight: its value and the polls left before it succeeds.
    pub pending: Option<(String, u32)>,
    /// The next this-many operations end `Failed` with `ServerBusy` (the value not applied).
    pub busy_at_end: u32,
    /// The subscription list starts with [`SUB_UNREGISTERED`], whose server and storage lists
    /// answer 409 `MissingSubscriptionRegistration`.
    pub unregistered_subscription: bool,
    /// AKS clusters by resource ID (lower case): `ManagedClustersGet.json` adapted.
    pub clusters: BTreeMap<String, Value>,
    /// User-assigned identities by resource ID (lower case): `IdentityCreate.json` adapted.
    pub identities: BTreeMap<String, Value>,
    /// Federated credentials by `<identity ID>/<name>` (lower case).
    pub federations: BTreeMap<String, Value>,
    /// Identity and federated-credential writes get this refusal.
    pub refuse_identities: Option<Refuse>,
    /// Federated-credential DELETEs answer 403 `AuthorizationFailed`.
    pub refuse_federation_delete: bool,
    /// Reading a cluster answers 403 `AuthorizationFailed`.
    pub refuse_cluster_read: bool,
}

/// The resource group the production cluster (and by default its identities) is in.
pub const AKS_GROUP: &str = "rg-aks";
pub const AKS_NAME: &str = "prod-aks";
/// The issuer the stand-in's cluster publishes (the shape of AKS's, placeholder GUIDs).
pub const ISSUER: &str = "https://eastus.oic.prod-aks.azure.com/11111111-1111-1111-1111-111111111111/22222222-0000-4000-8000-000000000001/";

pub fn cluster_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{AKS_GROUP}/providers/Microsoft.ContainerService/managedClusters/{AKS_NAME}"
    )
}

/// `ManagedClustersGet.json` as the production cluster: the OIDC issuer and workload
/// identity on or off (the example has neither profile; these are the API's property names,
/// `oidcIssuerProfile.issuerURL` and `securityProfile.workloadIdentity.enabled`).
pub fn cluster(oidc: bool) -> Value {
    let mut c = arm_body("arm/2024-09-01-ManagedClustersGet.json");
    c["id"] = json!(cluster_id());
    c["name"] = json!(AKS_NAME);
    c["location"] = json!("eastus");
    c["properties"]["oidcIssuerProfile"] = if oidc {
        json!({"enabled": true, "issuerURL": ISSUER})
    } else {
        json!({"enabled": false})
    };
    c["properties"]["securityProfile"] = json!({"workloadIdentity": {"enabled": oidc}});
    c
}

/// A subscription where neither resource provider is registered.
pub const SUB_UNREGISTERED: &str = "99999999-0000-4000-8000-00000000dead";

impl Default for State {
    fn default() -> Self {
        State {
            extensions: String::new(),
            allowed: "ADDRESS_STANDARDIZER,AMCHECK,BLOOM,BTREE_GIN,BTREE_GIST,CITEXT,CUBE,HSTORE,PG_TRGM,PGCRYPTO,POSTGIS,UUID-OSSP,VECTOR".into(),
            mode: WriteMode::Sync,
            busy: 0,
            refuse_config: None,
            assignments: Vec::new(),
            list_hides_assignments: false,
            refuse_roles: None,
            service_principals: BTreeMap::new(),
            vault: BTreeMap::new(),
            refuse_vault_writes: None,
            writes: Vec::new(),
            config_bodies: Vec::new(),
            pending: None,
            busy_at_end: 0,
            unregistered_subscription: false,
            clusters: BTreeMap::new(),
            identities: BTreeMap::new(),
            federations: BTreeMap::new(),
            refuse_identities: None,
            refuse_federation_delete: false,
            refuse_cluster_read: false,
        }
    }
}

#[derive(Clone, Default)]
pub struct Model {
    pub state: Arc<Mutex<State>>,
}

// The handler answers `Option<Reply>`; these helpers keep each match arm one expression.
#[allow(clippy::unnecessary_wraps)]
fn reply(status: u16, body: &Value) -> Option<Reply> {
    Some(Reply::Json(status, body.to_string()))
}

fn decode(s: &str) -> String {
    s.replace("%27", "'")
        .replace("%20", " ")
        .replace("%24", "$")
}

#[allow(clippy::unnecessary_wraps)]
fn mfa() -> Option<Reply> {
    Some(Reply::WithHeaders(
        401,
        vec![(
            "WWW-Authenticate".into(),
            format!("Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", error=\"insufficient_claims\", claims=\"{CLAIMS}\""),
        )],
        // ARM's 401 body here is not documented (the SDKs discard it); the header carries the challenge.
        json!({"error": {"code": "InvalidAuthenticationTokenClaims", "message": "The access token does not satisfy the claims challenge."}}).to_string(),
    ))
}

fn authorization_failed(action: &str, scope: &str) -> Option<Reply> {
    reply(
        403,
        &json!({"error": {"code": "AuthorizationFailed", "message": format!("The client 'user@contoso.com' with object id '9f4e2b1a-0000-4000-8000-000000000099' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.")}}),
    )
}

impl Model {
    pub fn new(state: State) -> Model {
        Model {
            state: Arc::new(Mutex::new(state)),
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("lock"))
    }

    /// The role assignments `principal` holds, as (scope, role definition ID), sorted.
    pub fn roles_of(&self, principal: &str) -> Vec<(String, String)> {
        let mut got: Vec<(String, String)> = self.with(|st| {
            st.assignments
                .iter()
                .filter(|a| a.principal == principal)
                .map(|a| (a.scope.clone(), a.role.clone()))
                .collect()
        });
        got.sort();
        got
    }

    /// The stand-in handler answering from this model (`base`: the stand-in's URL, for the
    /// polling links).
    pub fn handler(&self, base: &str) -> Handler {
        let model = self.clone();
        let base = base.to_owned();
        Arc::new(move |seen: &Seen| model.answer(&base, seen))
    }

    fn answer(&self, base: &str, seen: &Seen) -> Option<Reply> {
        let target = decode(&seen.path_and_query);
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let mut s = self.state.lock().expect("lock");
        if seen.method != "GET" {
            s.writes.push((seen.method.clone(), target.clone()));
        }
        let config = format!("{}/configurations/azure.extensions", server_id());
        let roles = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments",
            account_id()
        );
        match (seen.method.as_str(), path) {
            ("GET", "/subscriptions") => {
                let mut subs = one_subscription();
                if s.unregistered_subscription {
                    let mut other = subs["value"][0].clone();
                    other["subscriptionId"] = json!(SUB_UNREGISTERED);
                    other["id"] = json!(format!("/subscriptions/{SUB_UNREGISTERED}"));
                    other["displayName"] = json!("Sandbox");
                    subs["value"].as_array_mut().expect("list").insert(0, other);
                }
                reply(200, &subs)
            }
            ("GET", p) if p.starts_with(&format!("/subscriptions/{SUB_UNREGISTERED}/")) => reply(
                409,
                &json!({"error": {"code": "MissingSubscriptionRegistration", "message": "The subscription is not registered to use namespace 'Microsoft.DBforPostgreSQL'. See https://aka.ms/rps-not-found for how to register subscriptions."}}),
            ),
            ("GET", p)
                if p == format!(
                    "/subscriptions/{SUB}/providers/Microsoft.DBforPostgreSQL/flexibleServers"
                ) =>
            {
                reply(200, &servers())
            }
            ("GET", p) if p == server_id() => reply(200, &servers()["value"][2]),
            ("GET", p)
                if p == format!(
                    "/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts"
                ) =>
            {
                let mut a = adapt(&arm_body("arm/2023-05-01-StorageAccountList.json"));
                a.as_object_mut().expect("object").remove("nextLink");
                reply(200, &a)
            }
            ("GET", p) if p == config => reply(200, &configuration(&s)),
            ("PATCH" | "PUT", p) if p == config => {
                s.config_bodies.push(seen.json());
                match s.refuse_config {
                    Some(Refuse::Mfa) => return mfa(),
                    Some(_) => {
                        return authorization_failed(
                            "Microsoft.DBforPostgreSQL/flexibleServers/configurations/write",
                            &server_id(),
                        );
                    }
                    None => {}
                }
                if s.busy > 0 {
                    s.busy -= 1;
                    return Some(Reply::WithHeaders(
                        409,
                        vec![("Retry-After".into(), "0".into())],
                        json!({"error": {"code": "ServerBusy", "message": format!("Server '{SERVER}' is busy with another operation. Please try again later.")}}).to_string(),
                    ));
                }
                let value = seen.json()["properties"]["value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let op = "e276a03a-1770-4549-86f5-0edffae8997c";
                let ops = format!(
                    "{base}/subscriptions/{SUB}/providers/Microsoft.DBforPostgreSQL/locations/eastus"
                );
                match s.mode {
                    WriteMode::Sync => {
                        s.extensions = value;
                        reply(200, &configuration(&s))
                    }
                    WriteMode::AsyncOperation(n) => {
                        s.pending = Some((value, n));
                        Some(Reply::WithHeaders(
                            202,
                            vec![
                                (
                                    "Azure-AsyncOperation".into(),
                                    format!(
                                        "{ops}/azureAsyncOperation/{op}?api-version=2024-08-01"
                                    ),
                                ),
                                (
                                    "Location".into(),
                                    format!("{ops}/operationResults/{op}?api-version=2024-08-01"),
                                ),
                                ("Retry-After".into(), "0".into()),
                            ],
                            String::new(),
                        ))
                    }
                    WriteMode::Location(n) => {
                        s.pending = Some((value, n));
                        Some(Reply::WithHeaders(
                            202,
                            vec![
                                (
                                    "Location".into(),
                                    format!("{ops}/operationResults/{op}?api-version=2024-08-01"),
                                ),
                                ("Retry-After".into(), "0".into()),
                            ],
                            String::new(),
                        ))
                    }
                }
            }
            ("GET", p) if p.contains("/azureAsyncOperation/") => {
                let status = step(&mut s);
                let mut body = json!({"name": "e276a03a-1770-4549-86f5-0edffae8997c", "status": status, "startTime": "2024-08-01T10:00:00Z"});
                if status == "Failed" {
                    body["error"] = json!({"code": "ServerBusy", "message": "The server is busy with another operation. Please try again later."});
                }
                Some(Reply::WithHeaders(
                    200,
                    vec![("Retry-After".into(), "0".into())],
                    body.to_string(),
                ))
            }
            ("GET", p) if p.contains("/operationResults/") => {
                if step(&mut s) == "InProgress" {
                    Some(Reply::WithHeaders(
                        202,
                        vec![("Retry-After".into(), "0".into())],
                        String::new(),
                    ))
                } else {
                    reply(200, &configuration(&s))
                }
            }
            ("GET", p) if p == roles => {
                let principal = query
                    .split("principalId eq '")
                    .nth(1)
                    .and_then(|r| r.split('\'').next())
                    .unwrap_or_default()
                    .to_owned();
                let listed: Vec<Value> = if s.list_hides_assignments {
                    Vec::new()
                } else {
                    s.assignments
                        .iter()
                        .filter(|a| a.principal == principal)
                        .map(assignment_body)
                        .collect()
                };
                reply(200, &json!({"value": listed}))
            }
            ("GET", p) if s.clusters.contains_key(&p.to_ascii_lowercase()) => {
                if s.refuse_cluster_read {
                    return authorization_failed(
                        "Microsoft.ContainerService/managedClusters/read",
                        p,
                    );
                }
                reply(200, &s.clusters[&p.to_ascii_lowercase()])
            }
            ("GET", p) if p.contains("/providers/Microsoft.ContainerService/managedClusters/") => {
                reply(
                    404,
                    &json!({"error": {"code": "ResourceNotFound", "message": format!("The Resource 'Microsoft.ContainerService/managedClusters/{}' under resource group was not found.", p.rsplit('/').next().unwrap_or_default())}}),
                )
            }
            ("GET", p)
                if p.ends_with("/providers/Microsoft.ManagedIdentity/userAssignedIdentities") =>
            {
                let group = p[..p.len()
                    - "/providers/Microsoft.ManagedIdentity/userAssignedIdentities".len()]
                    .to_ascii_lowercase();
                let mut page =
                    fixture("arm/2023-01-31-IdentityListByResourceGroup.json")["responses"]["200"]
                        ["body"]
                        .clone();
                page["value"] = json!(
                    s.identities
                        .iter()
                        .filter(|(k, _)| k.starts_with(&format!("{group}/")))
                        .map(|(_, v)| v.clone())
                        .collect::<Vec<_>>()
                );
                page.as_object_mut().expect("object").remove("nextLink");
                reply(200, &page)
            }
            ("GET", p) if p.ends_with("/federatedIdentityCredentials") => {
                let identity =
                    p[..p.len() - "/federatedIdentityCredentials".len()].to_ascii_lowercase();
                let mut page = fixture("arm/2023-01-31-FederatedIdentityCredentialList.json")["responses"]["200"]["body"].clone();
                page["value"] = json!(
                    s.federations
                        .iter()
                        .filter(|(k, _)| k
                            .starts_with(&format!("{identity}/federatedidentitycredentials/")))
                        .map(|(_, v)| v.clone())
                        .collect::<Vec<_>>()
                );
                page.as_object_mut().expect("object").remove("nextLink");
                reply(200, &page)
            }
            (m, p)
                if p.contains("/providers/Microsoft.ManagedIdentity/userAssignedIdentities/") =>
            {
                identity_answer(&mut s, m, p, &seen.json())
            }
            ("PUT", p)
                if p.starts_with(&format!("{roles}/"))
                    || (p.starts_with(&format!(
                        "{}/blobServices/default/containers/",
                        account_id()
                    )) && p
                        .contains("/providers/Microsoft.Authorization/roleAssignments/")) =>
            {
                match s.refuse_roles {
                    Some(Refuse::Mfa) => return mfa(),
                    Some(_) => {
                        return authorization_failed(
                            "Microsoft.Authorization/roleAssignments/write",
                            &account_id(),
                        );
                    }
                    None => {}
                }
                let body = seen.json();
                let props = &body["properties"];
                if props["principalType"] != "ServicePrincipal" {
                    return reply(
                        400,
                        &json!({"error": {"code": "InvalidPrincipalType", "message": "the model expects principalType ServicePrincipal"}}),
                    );
                }
                let a = Assignment {
                    scope: p[..p
                        .find("/providers/Microsoft.Authorization/")
                        .unwrap_or(p.len())]
                        .to_owned(),
                    name: p.rsplit('/').next().unwrap_or_default().to_owned(),
                    role: props["roleDefinitionId"]
                        .as_str()
                        .unwrap_or_default()
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    principal: props["principalId"].as_str().unwrap_or_default().to_owned(),
                };
                let exists = s.assignments.iter().any(|x| {
                    x.role == a.role
                        && x.principal == a.principal
                        && (x.scope == a.scope || a.scope.starts_with(&format!("{}/", x.scope)))
                });
                if exists {
                    return reply(
                        409,
                        &json!({"error": {"code": "RoleAssignmentExists", "message": "The role assignment already exists."}}),
                    );
                }
                let body = assignment_body(&a);
                s.assignments.push(a);
                reply(201, &body)
            }
            ("GET", p) if p.starts_with("/graph/v1.0/servicePrincipals(appId='") => {
                let app = p
                    .trim_start_matches("/graph/v1.0/servicePrincipals(appId='")
                    .trim_end_matches("')");
                match s.service_principals.get(app) {
                    Some(id) => {
                        let mut b =
                            graph_body("graph/serviceprincipal-get--get_serviceprincipal.json");
                        b["id"] = json!(id);
                        b["appId"] = json!(app);
                        b["displayName"] = json!("lakekeeper-backend");
                        reply(200, &b)
                    }
                    None => reply(
                        404,
                        &json!({"error": {"code": "Request_ResourceNotFound", "message": format!("Resource '{app}' does not exist or one of its queried reference-property objects are not present."), "innerError": {"date": "2025-01-01T00:00:00", "request-id": "00000000-0000-0000-0000-000000000000"}}}),
                    ),
                }
            }
            (method, p) if p.starts_with(&format!("/{VAULT}/secrets/")) => {
                let name = p.rsplit('/').next().unwrap_or_default().to_owned();
                match method {
                    "GET" => {
                        match s.vault.get(&name) {
                            Some(v) => {
                                let mut b = fixture("keyvault/7.5-GetSecret-example.json")["responses"]["200"]["body"].clone();
                                b["value"] = json!(v);
                                b["id"] = json!(format!(
                                    "https://{VAULT}.vault.azure.net/secrets/{name}/4387e9f3d6e14c459867679a90fd0f79"
                                ));
                                reply(200, &b)
                            }
                            None => reply(
                                404,
                                &json!({"error": {"code": "SecretNotFound", "message": format!("A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182")}}),
                            ),
                        }
                    }
                    "PUT" => {
                        match s.refuse_vault_writes {
                            Some(Refuse::AccessPolicy) => {
                                return reply(
                                    403,
                                    &json!({"error": {"code": "Forbidden", "message": format!("The user, group or application 'appid=04b07795-8ddb-461a-bbee-02f9e1bf7b46;oid=9f4e2b1a-0000-4000-8000-000000000099;numgroups=2;iss=https://sts.windows.net/11111111-1111-1111-1111-111111111111/' does not have secrets set permission on key vault '{VAULT};location=eastus'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"), "innererror": {"code": "AccessDenied"}}}),
                                );
                            }
                            Some(_) => {
                                return reply(
                                    403,
                                    &json!({"error": {"code": "Forbidden", "message": format!("Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=04b07795-8ddb-461a-bbee-02f9e1bf7b46;oid=9f4e2b1a-0000-4000-8000-000000000099;iss=https://sts.windows.net/11111111-1111-1111-1111-111111111111/\r\nAction: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'\r\nResource: '/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.keyvault/vaults/{VAULT}/secrets/{name}'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: {VAULT};location=eastus\r\n"), "innererror": {"code": "ForbiddenByRbac"}}}),
                                );
                            }
                            None => {}
                        }
                        let value = seen.json()["value"].as_str().unwrap_or_default().to_owned();
                        s.vault.insert(name.clone(), value.clone());
                        let mut b = fixture("keyvault/7.5-SetSecret-example.json")["responses"]["200"]["body"].clone();
                        b["value"] = json!(value);
                        b["id"] = json!(format!(
                            "https://{VAULT}.vault.azure.net/secrets/{name}/03bcccc7c8cf4546a0e3e21e52560441"
                        ));
                        reply(200, &b)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// Managed identities and their federated credentials: GET (404 `ResourceNotFound` when
/// missing), PUT (201 created, 200 updated), DELETE of a credential, shaped like `IdentityCreate.json` and
/// `FederatedIdentityCredentialCreate.json`, IDs handed out in order.
fn identity_answer(s: &mut State, method: &str, path: &str, body: &Value) -> Option<Reply> {
    let key = path.to_ascii_lowercase();
    let (identity, fic) = match key.split_once("/federatedidentitycredentials/") {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (key.clone(), None),
    };
    let not_found = |what: &str| {
        reply(
            404,
            &json!({"error": {"code": "ResourceNotFound", "message": format!("The Resource '{what}' under resource group was not found.")}}),
        )
    };
    if method == "DELETE" && fic.is_some() && s.refuse_federation_delete {
        let group = &path[..path.find("/providers/").unwrap_or(path.len())];
        return authorization_failed(
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
            group,
        );
    }
    if method != "GET" {
        match s.refuse_identities {
            Some(Refuse::Mfa) => return mfa(),
            Some(_) => {
                let action = if fic.is_some() {
                    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write"
                } else {
                    "Microsoft.ManagedIdentity/userAssignedIdentities/write"
                };
                let group = &path[..path.find("/providers/").unwrap_or(path.len())];
                return authorization_failed(action, group);
            }
            None => {}
        }
    }
    match (method, fic) {
        ("GET", None) => match s.identities.get(&identity) {
            Some(v) => reply(200, v),
            None => not_found(path),
        },
        ("PUT", None) => {
            let created = !s.identities.contains_key(&identity);
            let n = s.identities.len() + 1;
            let mut v =
                fixture("arm/2023-01-31-IdentityCreate.json")["responses"]["201"]["body"].clone();
            v["id"] = json!(path);
            v["name"] = json!(path.rsplit('/').next().unwrap_or_default());
            v["location"] = body["location"].clone();
            v["tags"] = body["tags"].clone();
            let kept = s.identities.get(&identity).cloned();
            v["properties"] = match kept {
                Some(old) => old["properties"].clone(),
                None => json!({
                    "clientId": format!("c1000000-0000-4000-8000-{n:012x}"),
                    "principalId": format!("9e000000-0000-4000-8000-{n:012x}"),
                    "tenantId": "11111111-1111-1111-1111-111111111111",
                }),
            };
            s.identities.insert(identity, v.clone());
            reply(if created { 201 } else { 200 }, &v)
        }
        // `FederatedIdentityCredentialDelete.json`: 200 when it was there, 204 when not; no body.
        ("DELETE", Some(_)) => {
            let code: u16 = if s.federations.remove(&key).is_some() {
                200
            } else {
                204
            };
            let answer = &fixture("arm/2023-01-31-FederatedIdentityCredentialDelete.json")["responses"]
                [code.to_string()];
            assert!(answer.is_object(), "the example answers {code}");
            // The example's answers have no body.
            let body = answer.get("body").map_or(String::new(), Value::to_string);
            Some(Reply::Json(code, body))
        }
        ("GET", Some(_)) => match s.federations.get(&key) {
            Some(v) => reply(200, v),
            None => not_found(path),
        },
        ("PUT", Some(_)) => {
            if !s.identities.contains_key(&identity) {
                return not_found(&identity);
            }
            let created = !s.federations.contains_key(&key);
            let mut v = fixture("arm/2023-01-31-FederatedIdentityCredentialCreate.json")["responses"]["201"]["body"].clone();
            v["id"] = json!(path);
            v["name"] = json!(path.rsplit('/').next().unwrap_or_default());
            v["properties"] = body["properties"].clone();
            s.federations.insert(key, v.clone());
            reply(if created { 201 } else { 200 }, &v)
        }
        _ => None,
    }
}

/// Advances the pending configuration write by one poll: `InProgress` until its count runs
/// out, then applies the value and reports `Succeeded` (or, while `busy_at_end` lasts, drops it
/// and reports `Failed`).
fn step(s: &mut State) -> &'static str {
    match s.pending.take() {
        Some((value, n)) if n > 0 => {
            s.pending = Some((value, n - 1));
            "InProgress"
        }
        Some(_) if s.busy_at_end > 0 => {
            s.busy_at_end -= 1;
            "Failed"
        }
        Some((value, _)) => {
            s.extensions = value;
            "Succeeded"
        }
        None => "Succeeded",
    }
}

/// The servers list: the example's two, then `lakehouse-pg` (Ready, 16) and `paused-pg`
/// (Stopped), all in [`SUB`], on one page.
pub fn servers() -> Value {
    let mut list = super::azure::servers_with_ready_and_stopped();
    list.as_object_mut().expect("object").remove("nextLink");
    for s in list["value"].as_array_mut().expect("list") {
        let name = s["name"].as_str().expect("name").to_owned();
        s["id"] = json!(format!(
            "/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.DBforPostgreSQL/flexibleServers/{name}"
        ));
        s["properties"]["fullyQualifiedDomainName"] =
            json!(format!("{name}.postgres.database.azure.com"));
    }
    list
}

/// `azure.extensions` as `ConfigurationGet.json` shapes a parameter.
fn configuration(s: &State) -> Value {
    let mut c = arm_body("arm/2024-08-01-ConfigurationGet.json");
    c["name"] = json!("azure.extensions");
    c["id"] = json!(format!("{}/configurations/azure.extensions", server_id()));
    let p = &mut c["properties"];
    p["value"] = json!(s.extensions);
    p["description"] = json!("Specifies which extensions are allowed to be created in the server.");
    p["defaultValue"] = json!("");
    p["dataType"] = json!("Set");
    p["allowedValues"] = json!(s.allowed);
    p["source"] = json!(if s.extensions.is_empty() {
        "system-default"
    } else {
        "user-override"
    });
    p["documentationLink"] = json!("https://go.microsoft.com/fwlink/?linkid=2274269");
    c
}

/// An assignment as `RoleAssignments_ListForScope.json` shapes one.
fn assignment_body(a: &Assignment) -> Value {
    let mut v = arm_body("arm/2022-04-01-RoleAssignments_ListForScope.json")["value"][0].clone();
    v["properties"]["roleDefinitionId"] = json!(format!(
        "/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{}",
        a.role
    ));
    v["properties"]["principalId"] = json!(a.principal);
    v["properties"]["principalType"] = json!("ServicePrincipal");
    v["properties"]["scope"] = json!(a.scope);
    v["id"] = json!(format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{}",
        a.scope, a.name
    ));
    v["name"] = json!(a.name);
    v
}
