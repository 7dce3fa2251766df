//! A stateful Microsoft Graph (and a small Key Vault) behind the loopback stand-in: a tenant's
//! app registrations and service principals, served in the shapes of the official examples in
//! `tests/fixtures/azure/graph/` — upsert by `uniqueName` (201 created, 204 existed, 404
//! without `Prefer: create-if-missing`), get by unique name, client ID or object ID (honouring
//! `$select`), update (collections replaced wholesale, the documented refusals: an enabled scope
//! changed, a pre-authorisation naming a scope that does not exist yet, an identifier URI other
//! than `api://<appId>`), `addPassword` (a fresh fake `secretText` each time), service
//! principals (400 for an unknown app, 409 for a second one), `removePassword` (204), and vault
//! secrets get / put. The OIDC stand-in asks it (`OIDC_CLIENTS_URL`) which client secrets are
//! live, so a removed secret stops signing in as it does in Entra.
//!
//! Knobs for the tests: replication lag (the next N requests naming a just-created object
//! answer as Entra does before it caught up), the n-th write failing (before it is applied, or
//! applied with the answer lost), and a user who may not register apps. IDs are handed out in
//! order, so the same sequence of creates gives the same IDs in every tenant.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::azure::{Handler, Reply, Seen, StandIn, fixture, graph_body};

/// The stand-in's Graph root (as the fake `az cloud show` names it).
pub const GRAPH: &str = "/graph/v1.0";
/// The vault's path on the stand-in (`{base}/team-dev-kv` is its URL).
pub const VAULT: &str = "team-dev-kv";
/// Where the OIDC stand-in (`OIDC_CLIENTS_URL`) asks whether a client secret is live.
pub const OIDC_ACCEPTS: &str = "/_test/oidc-accepts";

/// How the n-th write fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A 500 before anything changes.
    Refused,
    /// Applied, then the connection drops: the client never learns it happened.
    Lost,
}

#[derive(Debug, Default)]
pub struct Tenant {
    pub apps: Vec<Value>,
    pub sps: Vec<Value>,
    /// Vault secrets by name.
    pub vault: BTreeMap<String, String>,
    /// Every `secretText` handed out: keyId → (appId, secret).
    pub issued: BTreeMap<String, (String, String)>,
    /// Writes seen (PATCH, POST, PUT), counting refused ones.
    pub writes: u32,
    /// The write with this number (1-based) fails.
    pub fail_write: Option<(u32, Failure)>,
    /// After each create, this many requests naming the new object answer as before replication.
    pub lag: u32,
    /// Creating an app answers 403 `Authorization_RequestDenied`.
    pub deny_create: bool,
    /// Users (`/me` is the first), groups (`members`: user IDs) and app role assignments
    /// (each with its `resourceId`).
    pub users: Vec<Value>,
    pub groups: Vec<Value>,
    pub assignments: Vec<Value>,
    /// The tenant has Entra ID P1: groups may be assigned.
    pub p1: bool,
    /// Writes on service principals (assignment required, app role assignments) answer 403:
    /// the signed-in user owns no enterprise app.
    pub deny_sp_writes: bool,
    lagging: BTreeMap<String, u32>,
    counter: u32,
}

fn guid(prefix: u32, n: u32) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", prefix + n, n)
}

fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::Json(
        status,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": "2026-01-01T00:00:00",
            "request-id": "00000000-0000-4000-8000-000000000000",
            "client-request-id": "00000000-0000-4000-8000-000000000000"}}})
        .to_string(),
    )
}

fn not_found(what: &str) -> Reply {
    error(
        404,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{what}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

/// `name='value'` inside `(…)`, percent-decoded.
fn key_in(segment: &str, name: &str) -> Option<String> {
    let start = segment.find(&format!("{name}='"))? + name.len() + 2;
    let rest = &segment[start..];
    Some(rest[..rest.find('\'')?].to_owned())
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The object with only the `$select`ed properties (and `@odata.context`), as Graph answers.
fn selected(obj: &Value, query: &str) -> Value {
    let Some(list) = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("$select="))
        .map(decode)
    else {
        return obj.clone();
    };
    let mut out = serde_json::Map::new();
    out.insert(
        "@odata.context".into(),
        json!("https://graph.microsoft.com/v1.0/$metadata#applications/$entity"),
    );
    for k in list.split(',') {
        out.insert(k.to_owned(), obj.get(k).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

/// Graph's PATCH: the given members replace the old ones; within `api`, `spa` and `web`,
/// member by member (each collection replaced whole).
fn merge(app: &mut Value, body: &Value) {
    let Some(fields) = body.as_object() else {
        return;
    };
    for (k, v) in fields {
        match (k.as_str(), v) {
            ("api" | "spa" | "web", Value::Object(members)) => {
                if !app[k.as_str()].is_object() {
                    app[k.as_str()] = json!({});
                }
                for (mk, mv) in members {
                    app[k.as_str()][mk.as_str()] = mv.clone();
                }
            }
            _ => app[k.as_str()] = v.clone(),
        }
    }
}

/// The signed-in user of the stand-in's tenant (`/me`): `user-get.md`'s example, renamed.
pub fn me() -> Value {
    let mut u = graph_body("graph/user-get--get_user.json");
    u["id"] = json!("e5000001-0000-4000-8000-000000000001");
    u["displayName"] = json!("Dana Lead");
    u["userPrincipalName"] = json!("dana@contoso.com");
    u["mail"] = json!("dana@contoso.com");
    u
}

/// Another user of the tenant.
pub fn user(n: u32, name: &str, upn: &str) -> Value {
    let mut u = graph_body("graph/user-get--get_user.json");
    u["id"] = json!(format!("e5000000-0000-4000-8000-{n:012x}"));
    u["displayName"] = json!(name);
    u["userPrincipalName"] = json!(upn);
    u["mail"] = json!(upn);
    u
}

impl Tenant {
    /// The service principal a managed identity has in the directory (ARM made it).
    pub fn add_identity_sp(&mut self, principal_id: &str, client_id: &str, name: &str) {
        if self.sps.iter().any(|s| s["id"] == json!(principal_id)) {
            return;
        }
        let mut sp = graph_body(
            "graph/serviceprincipal-post-serviceprincipals--create_serviceprincipal_from_serviceprincipals.json",
        );
        sp["id"] = json!(principal_id);
        sp["appId"] = json!(client_id);
        sp["displayName"] = json!(name);
        sp["servicePrincipalType"] = json!("ManagedIdentity");
        self.sps.push(sp);
    }

    fn principal(&self, id: &str) -> Option<(Value, &'static str)> {
        let find = |list: &[Value]| {
            list.iter()
                .find(|v| v["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
                .cloned()
        };
        find(&self.users)
            .map(|u| (u, "User"))
            .or_else(|| find(&self.groups).map(|g| (g, "Group")))
            .or_else(|| find(&self.sps).map(|s| (s, "ServicePrincipal")))
    }

    /// `/me`, `/users…`, `/groups…`, `/servicePrincipals/{id}…` and `appRoleAssignedTo`.
    #[allow(clippy::many_single_char_names)]
    fn directory_answer(
        &mut self,
        m: &str,
        rest: &str,
        query: &str,
        body: &Value,
    ) -> Option<Reply> {
        let q = decode(query);
        let filter_name = q
            .split("displayName eq '")
            .nth(1)
            .and_then(|r| r.rsplit_once('\'').map(|(n, _)| n.replace("''", "'")));
        let list = |items: Vec<Value>, what: &str| {
            Reply::Json(200, json!({"@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#{what}"), "value": items}).to_string())
        };
        if rest == "/me" && m == "GET" {
            return Some(match self.users.first() {
                Some(u) => Reply::Json(200, selected(u, query).to_string()),
                None => not_found("me"),
            });
        }
        for (collection, items) in [
            ("/users", self.users.clone()),
            ("/groups", self.groups.clone()),
        ] {
            if rest == collection && m == "GET" {
                let name = filter_name.clone().unwrap_or_default();
                let hits: Vec<Value> = items
                    .iter()
                    .filter(|v| v["displayName"] == json!(name))
                    .map(|v| selected(v, query))
                    .collect();
                return Some(list(hits, &collection[1..]));
            }
            if let Some(tail) = rest.strip_prefix(&format!("{collection}/")) {
                let (key, sub) = tail.split_once('/').unwrap_or((tail, ""));
                let key = decode(key);
                let hit = items.iter().find(|v| {
                    v["id"]
                        .as_str()
                        .is_some_and(|x| x.eq_ignore_ascii_case(&key))
                        || v["userPrincipalName"]
                            .as_str()
                            .is_some_and(|x| x.eq_ignore_ascii_case(&key))
                });
                return Some(match (hit, sub) {
                    (Some(v), "") => Reply::Json(200, selected(v, query).to_string()),
                    (Some(g), "members/microsoft.graph.user") => {
                        let ids: Vec<Value> = g["members"].as_array().cloned().unwrap_or_default();
                        let members: Vec<Value> = self
                            .users
                            .iter()
                            .filter(|u| ids.contains(&u["id"]))
                            .map(|u| selected(u, query))
                            .collect();
                        list(members, "users")
                    }
                    _ => not_found(&key),
                });
            }
        }
        if rest == "/servicePrincipals" && m == "GET" {
            let name = filter_name.unwrap_or_default();
            let hits: Vec<Value> = self
                .sps
                .iter()
                .filter(|v| v["displayName"] == json!(name))
                .map(|v| selected(v, query))
                .collect();
            return Some(list(hits, "servicePrincipals"));
        }
        let tail = rest.strip_prefix("/servicePrincipals/")?;
        let mut parts = tail.splitn(3, '/');
        let sp_id = parts.next().unwrap_or_default().to_owned();
        let sub = parts.next().unwrap_or_default();
        let assignment_id = parts.next();
        let Some(i) = self.sps.iter().position(|s| {
            s["id"]
                .as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(&sp_id))
        }) else {
            return Some(not_found(&sp_id));
        };
        let denied = || {
            error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            )
        };
        Some(match (m, sub, assignment_id) {
            ("GET", "", None) => {
                let mut sp = self.sps[i].clone();
                if sp["appRoleAssignmentRequired"].is_null() {
                    sp["appRoleAssignmentRequired"] = json!(false);
                }
                Reply::Json(200, selected(&sp, query).to_string())
            }
            ("PATCH", "", None) => {
                if self.deny_sp_writes {
                    return Some(denied());
                }
                if let Some(f) = body.as_object() {
                    for (k, v) in f {
                        self.sps[i][k.as_str()] = v.clone();
                    }
                }
                Reply::Json(204, String::new())
            }
            ("GET", "appRoleAssignedTo", None) => {
                let items: Vec<Value> = self
                    .assignments
                    .iter()
                    .filter(|a| a["resourceId"] == json!(sp_id))
                    .cloned()
                    .collect();
                let mut page = graph_body(
                    "graph/serviceprincipal-list-approleassignedto--serviceprincipal_get_approleassignedto.json",
                );
                page["@odata.context"] = json!(format!(
                    "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('{sp_id}')/appRoleAssignedTo"
                ));
                page["value"] = json!(items);
                Reply::Json(200, page.to_string())
            }
            ("POST", "appRoleAssignedTo", None) => {
                if self.deny_sp_writes {
                    return Some(denied());
                }
                let principal = s(&body["principalId"]);
                let role = s(&body["appRoleId"]);
                let app_id = s(&self.sps[i]["appId"]);
                let roles = self
                    .app_index("appId", &app_id)
                    .map_or(Value::Null, |a| self.apps[a]["appRoles"].clone());
                if !roles
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| r["id"] == json!(role) && r["isEnabled"] == true)
                {
                    return Some(error(
                        400,
                        "Request_BadRequest",
                        "Permission being assigned was not found on application",
                    ));
                }
                let Some((who, kind)) = self.principal(&principal) else {
                    return Some(not_found(&principal));
                };
                if kind == "Group" && !self.p1 {
                    // Modelled on Graph's refusal of a premium-only directory operation.
                    return Some(error(
                        403,
                        "Authorization_RequestDenied",
                        "Only companies who have purchased AAD Premium may perform this operation.",
                    ));
                }
                if self.assignments.iter().any(|a| {
                    a["resourceId"] == json!(sp_id)
                        && a["principalId"] == json!(principal)
                        && a["appRoleId"] == json!(role)
                }) {
                    return Some(error(
                        400,
                        "Request_BadRequest",
                        "Permission being assigned already exists on the object",
                    ));
                }
                let n = self.next();
                let mut a = graph_body(
                    "graph/serviceprincipal-post-approleassignedto--serviceprincipal_create_approleassignedto.json",
                );
                a["@odata.context"] = json!(format!(
                    "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('{sp_id}')/appRoleAssignedTo/$entity"
                ));
                a["id"] = json!(format!("AssIgNmEnT{n:04}-stand-in_key"));
                a["appRoleId"] = json!(role);
                a["principalId"] = json!(principal);
                a["principalType"] = json!(kind);
                a["principalDisplayName"] = who["displayName"].clone();
                a["resourceId"] = json!(sp_id);
                a["resourceDisplayName"] = self.sps[i]["displayName"].clone();
                let mut listed = a.clone();
                listed
                    .as_object_mut()
                    .expect("object")
                    .remove("@odata.context");
                self.assignments.push(listed);
                Reply::Json(201, a.to_string())
            }
            ("DELETE", "appRoleAssignedTo", Some(aid)) => {
                if self.deny_sp_writes {
                    return Some(denied());
                }
                let before = self.assignments.len();
                self.assignments
                    .retain(|a| !(a["resourceId"] == json!(sp_id) && a["id"] == json!(aid)));
                if self.assignments.len() == before {
                    not_found(aid)
                } else {
                    Reply::Json(204, String::new())
                }
            }
            _ => error(405, "Request_BadRequest", "not in the stand-in"),
        })
    }

    fn next(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }

    fn app_index(&self, key: &str, value: &str) -> Option<usize> {
        self.apps.iter().position(|a| {
            a[key]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(value))
        })
    }

    /// Whether `id` was just created and this request still sees Entra before replication.
    fn still_lagging(&mut self, id: &str) -> bool {
        match self.lagging.get_mut(&id.to_ascii_lowercase()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// Creates an app as Graph would (what someone did in the portal, when `unique_name` is
    /// `None`): IDs handed out in order, `body` merged in.
    pub fn new_app(&mut self, unique_name: Option<&str>, body: &Value) -> Value {
        let n = self.next();
        let mut app = graph_body(
            "graph/application-post-applications--create_application_from_applications.json",
        );
        app["id"] = json!(guid(0x0b00_0000, n));
        app["appId"] = json!(guid(0xa000_0000, n));
        app["identifierUris"] = json!([]);
        app["api"] = json!({"requestedAccessTokenVersion": null, "acceptMappedClaims": null,
            "knownClientApplications": [], "oauth2PermissionScopes": [], "preAuthorizedApplications": []});
        app["spa"] = json!({"redirectUris": []});
        app["passwordCredentials"] = json!([]);
        app["appRoles"] = json!([]);
        app["uniqueName"] = unique_name.map_or(Value::Null, |u| json!(u));
        merge(&mut app, body);
        for id in [&app["id"], &app["appId"]] {
            self.lagging
                .insert(id.as_str().unwrap_or_default().to_owned(), self.lag);
        }
        self.apps.push(app.clone());
        app
    }

    /// The checks Graph makes on an update.
    fn refuse_update(app: &Value, body: &Value) -> Option<Reply> {
        if let Some(uris) = body["identifierUris"].as_array() {
            let allowed = format!("api://{}", app["appId"].as_str().unwrap_or_default());
            if uris.iter().any(|u| u.as_str() != Some(allowed.as_str())) {
                return Some(error(
                    400,
                    "HostNameNotOnVerifiedDomain",
                    "Values of identifierUris property must use a verified domain of the organization or its subdomain",
                ));
            }
        }
        let old_scopes = app["api"]["oauth2PermissionScopes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(new_scopes) = body["api"]["oauth2PermissionScopes"].as_array() {
            for old in old_scopes.iter().filter(|s| s["isEnabled"] == true) {
                if !new_scopes.contains(old) {
                    return Some(error(
                        400,
                        "CannotDeleteOrUpdateEnabledEntitlement",
                        "Permission (scope or role) cannot be deleted or updated unless disabled first.",
                    ));
                }
            }
        }
        if let Some(pre) = body["api"]["preAuthorizedApplications"].as_array() {
            // Checked against the scopes that exist before this update.
            let known: Vec<&Value> = old_scopes.iter().map(|s| &s["id"]).collect();
            for p in pre {
                for id in p["delegatedPermissionIds"].as_array().into_iter().flatten() {
                    if !known.contains(&id) {
                        return Some(error(
                            400,
                            "InvalidValue",
                            "Property api.preAuthorizedApplications.delegatedPermissionIds has a Permission Id that cannot be found.",
                        ));
                    }
                }
            }
        }
        None
    }

    fn answer(&mut self, r: &Seen) -> Option<Reply> {
        let (raw_path, query) = r
            .path_and_query
            .split_once('?')
            .unwrap_or((r.path_and_query.as_str(), ""));
        let path = decode(raw_path);
        let vault_prefix = format!("/{VAULT}/secrets/");
        if let Some(name) = path.strip_prefix(&vault_prefix) {
            return Some(self.vault_answer(r, name));
        }
        if path == OIDC_ACCEPTS {
            // The OIDC stand-in asks whether a client secret is live (Entra checks the app's
            // credentials the same way): issued to the app and still listed on it.
            let b = r.json();
            let (id, secret) = (s(&b["client_id"]), s(&b["client_secret"]));
            let live = self.issued.iter().any(|(key, (app, value))| {
                app.eq_ignore_ascii_case(&id)
                    && *value == secret
                    && self.apps.iter().any(|a| {
                        s(&a["appId"]).eq_ignore_ascii_case(&id)
                            && a["passwordCredentials"]
                                .as_array()
                                .is_some_and(|l| l.iter().any(|c| c["keyId"] == json!(key)))
                    })
            });
            return Some(Reply::Json(if live { 200 } else { 401 }, "{}".into()));
        }
        let rest = path.strip_prefix(GRAPH)?.to_owned();
        let write = r.method != "GET";
        if write {
            self.writes += 1;
            if let Some((n, how)) = self.fail_write
                && n == self.writes
            {
                match how {
                    Failure::Refused => {
                        return Some(error(
                            500,
                            "UnknownError",
                            "The stand-in refused this write.",
                        ));
                    }
                    Failure::Lost => {
                        let _ = self.graph_answer(r, &rest, query);
                        return Some(Reply::Reset);
                    }
                }
            }
        }
        Some(self.graph_answer(r, &rest, query))
    }

    fn vault_answer(&mut self, r: &Seen, name: &str) -> Reply {
        let mut body =
            fixture("keyvault/7.5-SetSecret-example.json")["responses"]["200"]["body"].clone();
        body["id"] = json!(format!(
            "https://{VAULT}.vault.azure.net/secrets/{name}/4387e9f3d6e14c459867679a90fd0f79"
        ));
        match r.method.as_str() {
            "GET" => match self.vault.get(name) {
                Some(v) => {
                    body["value"] = json!(v);
                    Reply::Json(200, body.to_string())
                }
                None => Reply::Json(
                    404,
                    json!({"error": {"code": "SecretNotFound", "message": format!("A secret with (name/id) {name} was not found in this key vault.")}}).to_string(),
                ),
            },
            "PUT" => {
                self.writes += 1;
                if let Some((n, Failure::Refused)) = self.fail_write
                    && n == self.writes
                {
                    return Reply::Json(
                        403,
                        json!({"error": {"code": "Forbidden", "message": "Caller is not authorized to perform action on resource.", "innererror": {"code": "ForbiddenByRbac"}}}).to_string(),
                    );
                }
                let value = r.json()["value"].as_str().unwrap_or_default().to_owned();
                self.vault.insert(name.to_owned(), value.clone());
                if let Some((n, Failure::Lost)) = self.fail_write
                    && n == self.writes
                {
                    return Reply::Reset;
                }
                body["value"] = json!(value);
                Reply::Json(200, body.to_string())
            }
            _ => Reply::Json(405, "{}".into()),
        }
    }

    fn graph_answer(&mut self, r: &Seen, rest: &str, query: &str) -> Reply {
        let body = r.json();
        let m = r.method.as_str();
        if let Some(reply) = self.directory_answer(m, rest, query, &body) {
            return reply;
        }
        // /applications(uniqueName='…') and /applications(appId='…')
        if let Some(seg) = rest.strip_prefix("/applications(") {
            let (key, value) = if let Some(u) = key_in(seg, "uniqueName") {
                ("uniqueName", u)
            } else if let Some(a) = key_in(seg, "appId") {
                ("appId", a)
            } else {
                return error(400, "BadRequest", "unsupported key");
            };
            let found = self.app_index(key, &value);
            let object_id = found.map(|i| s(&self.apps[i]["id"]));
            if let Some(id) = object_id
                && self.still_lagging(&id)
            {
                return not_found(&value);
            }
            return match (m, found) {
                ("GET", Some(i)) => Reply::Json(200, selected(&self.apps[i], query).to_string()),
                ("GET", None) => not_found(&value),
                ("PATCH", Some(i)) if key == "uniqueName" => {
                    if let Some(refusal) = Self::refuse_update(&self.apps[i], &body) {
                        return refusal;
                    }
                    merge(&mut self.apps[i], &body);
                    Reply::Json(204, String::new())
                }
                ("PATCH", None) if key == "uniqueName" => {
                    if r.header("prefer") != Some("create-if-missing") {
                        return not_found(&value);
                    }
                    if self.deny_create {
                        return error(
                            403,
                            "Authorization_RequestDenied",
                            "Insufficient privileges to complete the operation.",
                        );
                    }
                    let app = self.new_app(Some(&value), &body);
                    Reply::Json(201, app.to_string())
                }
                _ => error(405, "Request_BadRequest", "not in the stand-in"),
            };
        }
        // The picker's list (`$select`, `$top`), one page.
        if rest == "/applications" && m == "GET" {
            let value: Vec<Value> = self.apps.iter().map(|a| selected(a, query)).collect();
            return Reply::Json(
                200,
                json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications", "value": value}).to_string(),
            );
        }
        if rest == "/applications" && m == "POST" {
            if self.deny_create {
                return error(
                    403,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                );
            }
            let app = self.new_app(None, &body);
            return Reply::Json(201, app.to_string());
        }
        if let Some(tail) = rest.strip_prefix("/applications/") {
            let (id, action) = tail.split_once('/').unwrap_or((tail, ""));
            let Some(i) = self.app_index("id", id) else {
                return not_found(id);
            };
            if self.still_lagging(id) {
                return not_found(id);
            }
            return match (m, action) {
                ("GET", "") => Reply::Json(200, selected(&self.apps[i], query).to_string()),
                ("PATCH", "") => {
                    if let Some(refusal) = Self::refuse_update(&self.apps[i], &body) {
                        return refusal;
                    }
                    merge(&mut self.apps[i], &body);
                    Reply::Json(204, String::new())
                }
                ("POST", "addPassword") => {
                    let n = self.next();
                    let mut answer =
                        graph_body("graph/application-addpassword--application_addpassword.json");
                    let key_id = guid(0xcd00_0000, n);
                    let secret = format!("S{n:02}~SENTINEL-graph-secret-Q~fake0123456789abcdefgh");
                    let cred = &body["passwordCredential"];
                    answer["keyId"] = json!(key_id);
                    answer["secretText"] = json!(secret);
                    answer["hint"] = json!(&secret[..3]);
                    answer["displayName"] = cred["displayName"].clone();
                    answer["endDateTime"] = cred["endDateTime"].clone();
                    let mut listed = answer.clone();
                    listed.as_object_mut().expect("object").remove("secretText");
                    self.apps[i]["passwordCredentials"]
                        .as_array_mut()
                        .expect("list")
                        .push(listed);
                    let app_id = self.apps[i]["appId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    self.issued.insert(key_id, (app_id, secret));
                    Reply::Json(200, answer.to_string())
                }
                ("POST", "removePassword") => {
                    // Microsoft's example: `{"keyId": …}` → 204 No Content; a body of another
                    // shape is refused.
                    let example = fixture(
                        "graph/application-removepassword--application_removepassword.json",
                    );
                    let keys = |v: &Value| {
                        v.as_object()
                            .map(|o| o.keys().cloned().collect::<Vec<_>>())
                            .unwrap_or_default()
                    };
                    if keys(&body) != keys(&example["request"]["body"]) {
                        return error(400, "Request_BadRequest", "Invalid request body.");
                    }
                    let key = body["keyId"].as_str().unwrap_or_default().to_owned();
                    let list = self.apps[i]["passwordCredentials"]
                        .as_array_mut()
                        .expect("list");
                    let before = list.len();
                    list.retain(|c| c["keyId"] != json!(key));
                    if list.len() == before {
                        // Graph's wording for an unknown keyId is not documented: a 400 of its shape.
                        return error(
                            400,
                            "Request_BadRequest",
                            &format!("No password credential found with keyId {key}."),
                        );
                    }
                    let status =
                        u16::try_from(example["response"]["status"].as_u64().unwrap_or(204))
                            .unwrap_or(204);
                    Reply::Json(status, String::new())
                }
                _ => error(405, "Request_BadRequest", "not in the stand-in"),
            };
        }
        if rest == "/servicePrincipals" && m == "POST" {
            let app_id = body["appId"].as_str().unwrap_or_default().to_owned();
            let unknown = self.app_index("appId", &app_id).is_none() || self.still_lagging(&app_id);
            if unknown {
                return error(
                    400,
                    "Request_BadRequest",
                    &format!(
                        "The appId '{app_id}' of the service principal does not reference a valid application object."
                    ),
                );
            }
            if self.sps.iter().any(|s| s["appId"] == json!(app_id)) {
                return error(
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    "Another object with the same value for property servicePrincipalNames already exists.",
                );
            }
            let n = self.next();
            let name = self.apps[self.app_index("appId", &app_id).expect("checked")]["displayName"]
                .clone();
            let mut sp = graph_body(
                "graph/serviceprincipal-post-serviceprincipals--create_serviceprincipal_from_serviceprincipals.json",
            );
            sp["id"] = json!(guid(0x5b00_0000, n));
            sp["appId"] = json!(app_id);
            sp["appDisplayName"] = name.clone();
            sp["displayName"] = name;
            sp["servicePrincipalNames"] = json!([app_id]);
            self.sps.push(sp.clone());
            return Reply::Json(201, sp.to_string());
        }
        if let Some(seg) = rest.strip_prefix("/servicePrincipals(")
            && m == "GET"
        {
            let app_id = key_in(seg, "appId").unwrap_or_default();
            return match self.sps.iter().find(|s| s["appId"] == json!(app_id)) {
                Some(sp) => Reply::Json(200, selected(sp, query).to_string()),
                None => not_found(&app_id),
            };
        }
        error(
            400,
            "Request_BadRequest",
            &format!("{m} {rest} is not in the stand-in"),
        )
    }
}

/// The model, shared between the stand-in's handler and the test.
#[derive(Clone, Default)]
pub struct GraphModel {
    pub tenant: Arc<Mutex<Tenant>>,
}

impl GraphModel {
    /// An empty tenant (but for the signed-in user) answering on `stand` together with the ARM
    /// model `arm`; a managed identity ARM creates gets its service principal in the directory.
    pub fn serve_with_arm(stand: &StandIn, arm: &super::azure_arm::Model) -> GraphModel {
        let model = GraphModel::default();
        model.with(|t| t.users.push(me()));
        let t = model.tenant.clone();
        let arm_handler = arm.handler(&stand.base);
        let arm = arm.clone();
        let handler: Handler = Arc::new(move |r: &Seen| {
            let reply = t.lock().expect("lock").answer(r).or_else(|| arm_handler(r));
            let ids: Vec<Value> = arm.with(|s| s.identities.values().cloned().collect());
            let mut tenant = t.lock().expect("lock");
            for v in ids {
                tenant.add_identity_sp(
                    &s(&v["properties"]["principalId"]),
                    &s(&v["properties"]["clientId"]),
                    &s(&v["name"]),
                );
            }
            reply
        });
        stand.handle(handler);
        model
    }

    /// The app role assignments on the service principal of the app `app_id`: (principal
    /// name, principal type) pairs.
    pub fn assignees(&self, app_id: &str) -> Vec<(String, String)> {
        self.with(|t| {
            let Some(sp) = t.sps.iter().find(|s| s["appId"] == json!(app_id)) else {
                return Vec::new();
            };
            t.assignments
                .iter()
                .filter(|a| a["resourceId"] == sp["id"])
                .map(|a| (s(&a["principalDisplayName"]), s(&a["principalType"])))
                .collect()
        })
    }

    /// The service principal of the app `app_id`.
    pub fn sp(&self, app_id: &str) -> Option<Value> {
        self.with(|t| t.sps.iter().find(|s| s["appId"] == json!(app_id)).cloned())
    }

    /// An empty tenant answering on `stand`.
    pub fn serve(stand: &StandIn) -> GraphModel {
        let model = GraphModel::default();
        let t = model.tenant.clone();
        let handler: Handler = Arc::new(move |r: &Seen| t.lock().expect("lock").answer(r));
        stand.handle(handler);
        model
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Tenant) -> T) -> T {
        f(&mut self.tenant.lock().expect("lock"))
    }

    /// The app with this unique name.
    pub fn app(&self, unique_name: &str) -> Option<Value> {
        self.with(|t| {
            t.apps
                .iter()
                .find(|a| a["uniqueName"] == json!(unique_name))
                .cloned()
        })
    }

    pub fn app_count(&self) -> usize {
        self.with(|t| t.apps.len())
    }

    pub fn sp_count(&self) -> usize {
        self.with(|t| t.sps.len())
    }

    pub fn has_sp(&self, app_id: &str) -> bool {
        self.with(|t| t.sps.iter().any(|s| s["appId"] == json!(app_id)))
    }

    /// Whether `secret` is a live client secret of the app `app_id` (issued to it and its
    /// credential still listed).
    pub fn accepts(&self, app_id: &str, secret: &str) -> bool {
        self.with(|t| {
            t.issued.iter().any(|(key, (app, s))| {
                app == app_id
                    && s == secret
                    && t.apps.iter().any(|a| {
                        a["appId"] == json!(app_id)
                            && a["passwordCredentials"]
                                .as_array()
                                .is_some_and(|l| l.iter().any(|c| c["keyId"] == json!(key)))
                    })
            })
        })
    }

    /// Every `secretText` handed out.
    pub fn secrets(&self) -> Vec<String> {
        self.with(|t| t.issued.values().map(|(_, s)| s.clone()).collect())
    }

    pub fn vault(&self, name: &str) -> Option<String> {
        self.with(|t| t.vault.get(name).cloned())
    }
}
