//! `lakekeeper-setup azure bootstrap --production` through the binary, against the stateful
//! Graph and ARM stand-ins (tests/support/azure_graph.rs, azure_arm.rs; Microsoft's example
//! shapes) and the fake `az`: from an empty tenant to a production API that requires
//! assignment, with the role held by exactly the backend's identity and the first person, two
//! managed identities federated with the cluster's issuer and the service accounts, the IDs in
//! `[production]`; a re-run sends nothing; a cluster without the OIDC issuer, and each refused
//! right, end with their one-line fix.

mod support;

use std::process::Output;

use serde_json::{Value, json};
use support::azure::{AzMode, FakeAz, SIGNED_IN_TENANT, StandIn};
use support::azure_arm::{self, ISSUER, Model, Refuse, State};
use support::azure_graph::GraphModel;
use support::project::Project;

const API: &str = "lakekeeper-prod-api";
const UI: &str = "lakekeeper-prod-ui";

struct World {
    stand: StandIn,
    graph: GraphModel,
    arm: Model,
    az: FakeAz,
}

async fn world(oidc: bool) -> World {
    let stand = StandIn::start().await;
    let arm = Model::new(State::default());
    arm.with(|s| {
        s.clusters.insert(
            azure_arm::cluster_id().to_ascii_lowercase(),
            azure_arm::cluster(oidc),
        );
    });
    let graph = GraphModel::serve_with_arm(&stand, &arm);
    let az = FakeAz::new(&stand.base, AzMode::SignedIn);
    World {
        stand,
        graph,
        arm,
        az,
    }
}

fn profile() -> String {
    format!(
        "# team\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\nbackend_namespace = \"backend\"\nbackend_service_account = \"backend-api\"\naks_cluster = \"{}\"\n",
        azure_arm::cluster_id()
    )
}

impl World {
    async fn bootstrap(&self, p: &Project, args: &[&str]) -> Output {
        let mut c = p.cmd();
        c.args(["azure", "bootstrap", "--production"])
            .args(args)
            .env("PATH", self.az.path_var())
            .env("LAKEKEEPER_SETUP_AZURE_RETRY_MS", "5")
            .stdin(std::process::Stdio::null());
        tokio::task::spawn_blocking(move || c.output().expect("run"))
            .await
            .expect("join")
    }

    fn writes(&self) -> Vec<String> {
        self.stand
            .seen()
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path_and_query))
            .collect()
    }

    fn identity(&self, name: &str) -> Option<Value> {
        self.arm.with(|s| {
            s.identities
                .values()
                .find(|v| v["name"] == json!(name))
                .cloned()
        })
    }

    /// Adds a federated credential to the identity `identity` as someone else would.
    fn add_federation(&self, identity: &str, name: &str, issuer: &str, subject: &str) {
        let id = s(&self.identity(identity).expect("identity")["id"]);
        let path = format!("{id}/federatedIdentityCredentials/{name}");
        self.arm.with(|st| {
            st.federations.insert(
                path.to_ascii_lowercase(),
                json!({"id": path, "name": name,
                    "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
                    "properties": {"issuer": issuer, "subject": subject, "audiences": ["api://AzureADTokenExchange"]}}),
            );
        });
    }

    fn federation_of(&self, name: &str) -> Vec<Value> {
        self.arm.with(|s| {
            s.federations
                .iter()
                .filter(|(k, _)| k.contains(&format!("/userassignedidentities/{name}/")))
                .map(|(_, v)| v["properties"].clone())
                .collect()
        })
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn from_an_empty_tenant_production_gets_its_own_identities_and_a_rerun_changes_nothing() {
    let w = world(true).await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");

    // The API app: its own App ID URI, the scope, tokens v2, the role for users and apps.
    let api = w.graph.app(API).expect("the production API app");
    let api_id = s(&api["appId"]);
    assert_eq!(api["identifierUris"], json!([format!("api://{api_id}")]));
    assert_eq!(api["api"]["requestedAccessTokenVersion"], 2);
    let scope = api["api"]["oauth2PermissionScopes"][0].clone();
    assert_eq!(scope["value"], "lakekeeper");
    let roles = api["appRoles"].as_array().expect("roles");
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert_eq!(roles[0]["value"], "Lakekeeper.Access");
    assert_eq!(
        roles[0]["allowedMemberTypes"],
        json!(["User", "Application"])
    );
    assert_eq!(roles[0]["isEnabled"], true);
    // Only assigned callers get a token.
    let sp = w.graph.sp(&api_id).expect("its service principal");
    assert_eq!(sp["appRoleAssignmentRequired"], true);
    // The UI app with production's redirect, and both the UI and the Azure CLI pre-authorised.
    let ui = w.graph.app(UI).expect("the production UI app");
    let ui_id = s(&ui["appId"]);
    assert_eq!(
        ui["spa"]["redirectUris"],
        json!(["https://lakekeeper.example.com/ui/callback"])
    );
    assert_eq!(
        api["api"]["preAuthorizedApplications"],
        json!([
            {"appId": ui_id, "delegatedPermissionIds": [scope["id"]]},
            {"appId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "delegatedPermissionIds": [scope["id"]]}
        ])
    );
    assert!(
        w.graph.app("lakekeeper-prod-backend").is_none(),
        "no backend app, no secret"
    );
    assert!(w.graph.secrets().is_empty());

    // Two managed identities, each federated with the cluster's issuer and its account.
    let catalog = w
        .identity("lakekeeper-prod-catalog")
        .expect("Lakekeeper's identity");
    let backend = w
        .identity("lakekeeper-prod-backend")
        .expect("the backend's identity");
    assert_eq!(catalog["location"], "eastus");
    for (name, subject) in [
        (
            "lakekeeper-prod-catalog",
            "system:serviceaccount:lakekeeper:lakekeeper",
        ),
        (
            "lakekeeper-prod-backend",
            "system:serviceaccount:backend:backend-api",
        ),
    ] {
        assert_eq!(
            w.federation_of(name),
            vec![
                json!({"issuer": ISSUER, "subject": subject, "audiences": ["api://AzureADTokenExchange"]})
            ],
            "{name}"
        );
    }

    // The role: exactly the backend's identity and the first person.
    let mut holders = w.graph.assignees(&api_id);
    holders.sort();
    assert_eq!(
        holders,
        [
            ("Dana Lead".to_owned(), "User".to_owned()),
            (
                "lakekeeper-prod-backend".to_owned(),
                "ServicePrincipal".to_owned()
            )
        ]
    );

    // [production] holds the IDs, nothing else changed in the file.
    let catalog_client = s(&catalog["properties"]["clientId"]);
    let backend_client = s(&backend["properties"]["clientId"]);
    assert_eq!(
        p.read("lakekeeper-setup.toml"),
        format!(
            "{}api_client_id = \"{api_id}\"\napi_app_id_uri = \"api://{api_id}\"\nui_client_id = \"{ui_id}\"\nlakekeeper_identity_client_id = \"{catalog_client}\"\nbackend_identity_client_id = \"{backend_client}\"\n",
            profile()
        )
    );
    // The plan named each change and its right before the progress.
    let plan_at = all
        .find("require assignment on lakekeeper-prod-api")
        .expect(&all);
    let done_at = all
        .find("✓ lakekeeper-prod-api requires assignment")
        .expect(&all);
    assert!(plan_at < done_at, "{all}");
    assert!(
        all.contains(
            "needs: Managed Identity Contributor (or Contributor) on resource group rg-aks"
        ),
        "{all}"
    );

    // Again: found by the recorded IDs, nothing sent, the profile untouched.
    let writes = w.writes().len();
    let before = p.read("lakekeeper-setup.toml");
    let again = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&again);
    assert_eq!(again.status.code(), Some(0), "{all}");
    assert_eq!(w.writes().len(), writes, "{:?}", &w.writes()[writes..]);
    assert_eq!(p.read("lakekeeper-setup.toml"), before);
    assert!(all.contains("Everything is in place"), "{all}");
    assert!(
        all.contains("managed identity lakekeeper-prod-catalog (client ID"),
        "{all}"
    );
}

#[tokio::test]
async fn a_dry_run_prints_the_requests_and_sends_nothing() {
    let w = world(true).await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let out = w.bootstrap(&p, &["--dry-run"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(w.writes().is_empty(), "{:?}", w.writes());
    assert!(all.contains("PATCH"), "{all}");
    assert!(
        all.contains("federatedIdentityCredentials/aks-backend-backend-api?api-version=2023-01-31"),
        "{all}"
    );
    assert!(
        all.contains("\"appRoleAssignmentRequired\": true")
            || all.contains("\"appRoleAssignmentRequired\":true"),
        "{all}"
    );
    assert_eq!(p.read("lakekeeper-setup.toml"), profile());
}

#[tokio::test]
async fn a_cluster_without_the_oidc_issuer_gets_the_one_line_fix_and_nothing_changes() {
    let w = world(false).await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(
            "AKS cluster prod-aks has neither the OIDC issuer nor workload identity enabled"
        ),
        "{all}"
    );
    assert!(
        all.contains("fix: az aks update --resource-group rg-aks --name prod-aks --enable-oidc-issuer --enable-workload-identity"),
        "{all}"
    );
    assert!(w.writes().is_empty());
}

/// The production bootstrap chooses its tenant as the laptop's does (`--tenant`, the answers,
/// the sign-in; a tenant the sign-in cannot reach stops naming both), and never makes
/// production's identities in a tenant other than the team's, which `export helm` points
/// Lakekeeper at.
#[tokio::test]
async fn the_tenant_is_chosen_as_for_the_laptop_and_never_another_than_the_teams() {
    let mut w = world(true).await;
    w.az = FakeAz::new(&w.stand.base, AzMode::WrongTenant);
    let team = "11111111-2222-3333-4444-555555555555";
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!("[entra]\ntenant = \"{team}\"\n\n{}", profile()),
    );

    // The team's tenant is out of the sign-in's reach: both are named, nothing is sent.
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains(&format!(
            "error: the tenant {team} comes from {} ([entra] tenant), but the Azure CLI's sign-in cannot reach it; it is signed in to tenant {SIGNED_IN_TENANT} (Contoso, contoso.onmicrosoft.com); nothing was changed",
            p.path("lakekeeper-setup.toml").display()
        )),
        "{all}"
    );
    assert!(w.stand.seen().is_empty(), "{:?}", w.stand.seen());

    // `--tenant` is taken, but another tenant than the team's is refused before any request.
    let out = w
        .bootstrap(&p, &["--yes", "--tenant", SIGNED_IN_TENANT])
        .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&format!(
            "error: production's identities must be in the team's tenant {team} (from {} ([entra] tenant)), the one `export helm` points Lakekeeper at, not in {SIGNED_IN_TENANT}; nothing was changed",
            p.path("lakekeeper-setup.toml").display()
        )),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "fix: to move the team to {SIGNED_IN_TENANT}, run `lakekeeper-setup azure bootstrap --tenant {SIGNED_IN_TENANT}` first"
        )),
        "{all}"
    );
    assert!(w.stand.seen().is_empty(), "{:?}", w.stand.seen());
    assert!(w.identity("lakekeeper-prod-catalog").is_none());

    // The team's own tenant by flag: the run works in it and says where it came from.
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let asked_before = w.az.argv().len();
    let out = w
        .bootstrap(&p, &["--yes", "--tenant", SIGNED_IN_TENANT])
        .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!(
            "Tenant {SIGNED_IN_TENANT} (Contoso, contoso.onmicrosoft.com), from --tenant · signed in as user@contoso.com · production target https://lakekeeper.example.com/"
        )),
        "{all}"
    );
    let tokens: Vec<String> = w.az.argv()[asked_before..]
        .iter()
        .filter(|l| l.starts_with("account get-access-token"))
        .cloned()
        .collect();
    assert!(!tokens.is_empty());
    assert!(
        tokens
            .iter()
            .all(|l| l.contains(&format!("--tenant {SIGNED_IN_TENANT}"))),
        "{tokens:?}"
    );
}

#[tokio::test]
async fn missing_production_answers_are_named_before_anything_is_read() {
    let w = world(true).await;
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        "[production]\nbase_uri = \"https://lakekeeper.example.com\"\nbackend_namespace = \"backend\"\nbackend_service_account = \"backend-api\"\n",
    );
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("add `aks_cluster = \"<its resource ID>\"` under [production]"),
        "{all}"
    );
    assert!(w.stand.seen().is_empty());
}

#[tokio::test]
async fn a_refused_identity_write_names_the_role_and_the_command_and_a_rerun_resumes() {
    let w = world(true).await;
    w.arm.with(|s| s.refuse_identities = Some(Refuse::Denied));
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("creating managed identity lakekeeper-prod-catalog was refused"),
        "{all}"
    );
    assert!(
        all.contains("fix: ask an Owner of the resource group: az role assignment create --role \"Managed Identity Contributor\" --assignee"),
        "{all}"
    );
    // What was made is recorded; the next run (with the right) finishes from there.
    let api_id = s(&w.graph.app(API).expect("api")["appId"]);
    assert!(
        p.read("lakekeeper-setup.toml")
            .contains(&format!("api_client_id = \"{api_id}\""))
    );
    w.arm.with(|s| s.refuse_identities = None);
    let again = w.bootstrap(&p, &["--yes"]).await;
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(w.graph.assignees(&api_id).len(), 2);
    assert_eq!(w.graph.app_count(), 2, "no duplicate apps");
}

#[tokio::test]
async fn a_user_who_owns_no_enterprise_app_is_told_who_can_require_assignment() {
    let w = world(true).await;
    w.graph.with(|t| t.deny_sp_writes = true);
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("error: requiring assignment was refused: user@contoso.com is not an owner of the enterprise app lakekeeper-prod-api (Authorization_RequestDenied)"),
        "{all}"
    );
    assert!(
        all.contains("fix: ask a Cloud Application Administrator to add you as an owner (Entra admin center › Enterprise applications › lakekeeper-prod-api › Owners)"),
        "{all}"
    );
}

/// A production bootstrapped from an empty tenant, with two more users, a group of both
/// and an app of its own in the directory.
async fn bootstrapped() -> (World, Project, String) {
    let w = world(true).await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let out = w.bootstrap(&p, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    w.graph.with(|t| {
        t.users.push(support::azure_graph::user(2, "Sam Analyst", "sam@contoso.com"));
        t.users.push(support::azure_graph::user(3, "Kim Analyst", "kim@contoso.com"));
        t.groups.push(json!({"id": "6a000000-0000-4000-8000-000000000001", "displayName": "Data team",
            "members": ["e5000000-0000-4000-8000-000000000002", "e5000000-0000-4000-8000-000000000003"]}));
        t.add_identity_sp("5c000000-0000-4000-8000-000000000001", "ac000000-0000-4000-8000-000000000001", "reporting-job");
    });
    let api_id = s(&w.graph.app(API).expect("api")["appId"]);
    (w, p, api_id)
}

impl World {
    async fn azure(&self, p: &Project, args: &[&str]) -> Output {
        let mut c = p.cmd();
        c.arg("azure")
            .args(args)
            .env("PATH", self.az.path_var())
            .stdin(std::process::Stdio::null());
        tokio::task::spawn_blocking(move || c.output().expect("run"))
            .await
            .expect("join")
    }
}

#[tokio::test]
async fn grant_list_and_revoke_let_people_and_apps_in_by_name() {
    let (w, p, api_id) = bootstrapped().await;
    // A user by UPN and an app by its display name, in one go.
    let out = w
        .azure(&p, &["grant", "sam@contoso.com", "reporting-job", "--yes"])
        .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(
            "1. assign Lakekeeper.Access on lakekeeper-prod-api to sam@contoso.com (Sam Analyst)"
        ),
        "{all}"
    );
    assert!(
        all.contains("needs: owner of the enterprise app lakekeeper-prod-api"),
        "{all}"
    );
    assert!(all.contains("sam@contoso.com (Sam Analyst) may now get a token for the production API (Lakekeeper.Access)"), "{all}");
    let mut holders = w.graph.assignees(&api_id);
    holders.sort();
    assert_eq!(
        holders,
        [
            ("Dana Lead".to_owned(), "User".to_owned()),
            ("Sam Analyst".to_owned(), "User".to_owned()),
            (
                "lakekeeper-prod-backend".to_owned(),
                "ServicePrincipal".to_owned()
            ),
            ("reporting-job".to_owned(), "ServicePrincipal".to_owned()),
        ]
    );
    // Again: already held, nothing sent.
    let writes = w.writes().len();
    let again = w
        .azure(
            &p,
            &["grant", "e5000000-0000-4000-8000-000000000002", "--yes"],
        )
        .await;
    let all = text(&again);
    assert_eq!(again.status.code(), Some(0), "{all}");
    assert!(
        all.contains("exists:  sam@contoso.com (Sam Analyst) holds Lakekeeper.Access"),
        "{all}"
    );
    assert_eq!(w.writes().len(), writes);

    let listed = w.azure(&p, &["grant", "--list"]).await;
    let all = text(&listed);
    assert_eq!(listed.status.code(), Some(0), "{all}");
    assert!(
        all.contains("Lakekeeper.Access on lakekeeper-prod-api is held by 4:"),
        "{all}"
    );
    assert!(
        all.contains("  reporting-job (app 5c000000-0000-4000-8000-000000000001)"),
        "{all}"
    );
    assert!(!all.contains("does not require assignment"), "{all}");

    let out = w.azure(&p, &["revoke", "sam@contoso.com", "--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("sam@contoso.com (Sam Analyst) no longer holds Lakekeeper.Access"),
        "{all}"
    );
    assert_eq!(w.graph.assignees(&api_id).len(), 3);
    assert!(
        w.writes()
            .last()
            .expect("a write")
            .starts_with("DELETE /graph/v1.0/servicePrincipals/"),
        "{:?}",
        w.writes()
    );
}

/// The laptop's backend app holds a client secret every teammate has: `grant` refuses it by
/// name or by client ID, before anything is sent.
#[tokio::test]
async fn grant_refuses_the_laptops_backend_app() {
    let (w, p, api_id) = bootstrapped().await;
    let laptop = "bbbbbbbb-0000-4000-8000-000000000002";
    w.graph.with(|t| {
        t.add_identity_sp(
            "5c000000-0000-4000-8000-000000000009",
            laptop,
            "lakekeeper-backend",
        );
    });
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "[backend_service]\nclient_id = \"{laptop}\"\n\n{}",
            p.read("lakekeeper-setup.toml")
        ),
    );
    let writes = w.writes().len();
    for name in ["lakekeeper-backend", laptop] {
        let out = w.azure(&p, &["grant", name, "--yes"]).await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(
            all.contains("lakekeeper-backend (app bbbbbbbb-0000-4000-8000-000000000002) is the laptop's backend app ([backend_service] client_id): its client secret is in every teammate's backend/.env"),
            "{all}"
        );
        assert!(
            all.contains("fix: give the caller an identity of its own"),
            "{all}"
        );
    }
    assert_eq!(w.writes().len(), writes);
    assert_eq!(w.graph.assignees(&api_id).len(), 2);
}

#[tokio::test]
async fn a_group_without_entra_id_p1_is_refused_and_its_users_are_offered() {
    let (w, p, api_id) = bootstrapped().await;
    let out = w.azure(&p, &["grant", "Data team", "--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("Microsoft Graph refused to assign the group Data team (Authorization_RequestDenied): assigning a group to an app needs Entra ID P1 or P2"),
        "{all}"
    );
    assert!(
        all.contains("fix: assign its 2 user(s) instead: lakekeeper-setup azure grant sam@contoso.com kim@contoso.com"),
        "{all}"
    );
    assert_eq!(w.graph.assignees(&api_id).len(), 2);
    // With P1 the group is assigned.
    w.graph.with(|t| t.p1 = true);
    let out = w
        .azure(
            &p,
            &["grant", "6a000000-0000-4000-8000-000000000001", "--yes"],
        )
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        w.graph
            .assignees(&api_id)
            .contains(&("Data team".to_owned(), "Group".to_owned()))
    );
}

#[tokio::test]
async fn grant_refusals_and_unknown_names_say_the_fix() {
    let (w, p, _) = bootstrapped().await;
    w.graph.with(|t| {
        t.users.push(support::azure_graph::user(
            4,
            "Kim Analyst",
            "kim2@contoso.com",
        ));
        t.deny_sp_writes = true;
    });
    let out = w.azure(&p, &["grant", "Kim Analyst", "--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("`Kim Analyst` names 2 objects: kim@contoso.com (Kim Analyst), kim2@contoso.com (Kim Analyst)"), "{all}");
    assert!(
        all.contains("fix: name the one you mean by its object ID"),
        "{all}"
    );
    let out = w.azure(&p, &["grant", "nobody@contoso.com", "--yes"]).await;
    assert!(
        text(&out).contains("no user, group or app in the tenant is named `nobody@contoso.com`"),
        "{}",
        text(&out)
    );
    let out = w.azure(&p, &["grant", "sam@contoso.com", "--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("assigning Lakekeeper.Access to sam@contoso.com (Sam Analyst) was refused: user@contoso.com is not an owner of the enterprise app lakekeeper-prod-api"), "{all}");
    assert!(
        all.contains("fix: ask a Cloud Application Administrator to add you as an owner"),
        "{all}"
    );
    // Before the production bootstrap there is nothing to grant on.
    let fresh = Project::empty();
    fresh.write("lakekeeper-setup.toml", &profile());
    let out = w.azure(&fresh, &["grant", "--list"]).await;
    let all = text(&out);
    assert!(
        all.contains("production has no API app of its own yet ([production] api_client_id)"),
        "{all}"
    );
    assert!(
        all.contains("fix: run `lakekeeper-setup azure bootstrap --production` first"),
        "{all}"
    );
}

#[tokio::test]
async fn roles_production_grants_lakekeepers_identity_the_container_and_the_delegator_on_the_account()
 {
    let (w, p, _) = bootstrapped().await;
    let text_now = p.read("lakekeeper-setup.toml");
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "[storage]\naccount = \"{}\"\ncontainer = \"warehouse\"\n\n{text_now}",
            azure_arm::ACCOUNT
        ),
    );
    let catalog = w.identity("lakekeeper-prod-catalog").expect("identity");
    let principal = s(&catalog["properties"]["principalId"]);
    let out = w.azure(&p, &["roles", "--production", "--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("Storage roles of Lakekeeper's production identity"),
        "{all}"
    );
    assert!(all.contains("1. grant Storage Blob Data Contributor on container warehouse of storage account sto1125"), "{all}");
    assert!(
        all.contains("2. grant Storage Blob Delegator on storage account sto1125"),
        "{all}"
    );
    let account = azure_arm::account_id();
    let got = w.arm.roles_of(&principal);
    assert_eq!(
        got,
        [
            (
                account.clone(),
                "db58b8e5-c6ad-4a2a-8342-4190687cbf4a".to_owned()
            ),
            (
                format!("{account}/blobServices/default/containers/warehouse"),
                "ba92f5b4-2d11-453d-a403-e96b0029c9fe".to_owned()
            ),
        ]
    );
    // Again: both held at the right scope, nothing sent.
    let writes = w.writes().len();
    let again = w.azure(&p, &["roles", "--production", "--yes"]).await;
    let all = text(&again);
    assert_eq!(again.status.code(), Some(0), "{all}");
    assert!(
        all.contains("It holds every role the warehouse needs."),
        "{all}"
    );
    assert_eq!(w.writes().len(), writes);

    // Refused: the one-line fix names the container scope.
    w.arm.with(|st| {
        st.assignments.clear();
        st.refuse_roles = Some(Refuse::Denied);
    });
    let out = w.azure(&p, &["roles", "--production", "--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&format!("--assignee-object-id {principal} --assignee-principal-type ServicePrincipal --scope {account}/blobServices/default/containers/warehouse")),
        "{all}"
    );
}

#[tokio::test]
async fn the_laptops_roles_offer_the_container_scope_and_say_why() {
    let (w, p, _) = bootstrapped().await;
    // A laptop backend app with its service principal.
    let backend = "bbbbbbbb-0000-4000-8000-000000000002";
    w.graph.with(|t| {
        t.add_identity_sp(
            "5b4f0c1e-8a2d-4e6f-9c3b-7d1a2e3f4b5c",
            backend,
            "lakekeeper-backend",
        );
    });
    p.write(
        "lakekeeper-setup.toml",
        &format!("[backend_service]\nclient_id = \"{backend}\"\n\n[storage]\naccount = \"{}\"\ncontainer = \"warehouse\"\n", azure_arm::ACCOUNT),
    );
    let out = w.azure(&p, &["roles", "--dry-run"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("1. grant Storage Blob Data Contributor on storage account sto1125"),
        "{all}"
    );
    assert!(
        all.contains("note: Storage Blob Data Contributor on the whole account lets the principal read and write every container in it (the backend's own documents too)"),
        "{all}"
    );
    assert!(
        all.contains("`--container-scope` grants it on container warehouse only."),
        "{all}"
    );
    let out = w
        .azure(&p, &["roles", "--container-scope", "--dry-run"])
        .await;
    let all = text(&out);
    assert!(all.contains("1. grant Storage Blob Data Contributor on container warehouse of storage account sto1125"), "{all}");
    assert!(all.contains("/blobServices/default/containers/warehouse/providers/Microsoft.Authorization/roleAssignments/"), "{all}");
    assert!(
        w.writes().iter().all(|x| !x.contains("roleAssignments")),
        "{:?}",
        w.writes()
    );
}

/// `verify --production --json`'s production-access results, by name.
async fn access_results(w: &World, p: &Project) -> std::collections::BTreeMap<String, Value> {
    let mut c = p.cmd();
    c.args(["verify", "--production", "--json", "--timeout", "2"])
        .env("PATH", w.az.path_var())
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join");
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| s(&c["name"]).starts_with("production-"))
        .map(|c| (s(&c["name"]), c.clone()))
        .collect()
}

#[tokio::test]
async fn verify_production_proves_who_can_get_in_and_names_each_fix() {
    let (w, p, api_id) = bootstrapped().await;
    let laptop_backend = "bbbbbbbb-0000-4000-8000-000000000002";
    w.graph.with(|t| {
        t.add_identity_sp(
            "5b4f0c1e-8a2d-4e6f-9c3b-7d1a2e3f4b5c",
            laptop_backend,
            "lakekeeper-backend",
        );
    });
    let prod = p.read("lakekeeper-setup.toml");
    p.write(
        "lakekeeper-setup.toml",
        &format!("[lakekeeper_api]\nclient_id = \"aaaaaaaa-0000-4000-8000-000000000001\"\n\n[backend_service]\nclient_id = \"{laptop_backend}\"\n\n[storage]\naccount = \"{}\"\ncontainer = \"warehouse\"\n\n{prod}", azure_arm::ACCOUNT),
    );
    let out = w.azure(&p, &["roles", "--production", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The laptop's checks have nothing to reach here; only production's access is looked at.
    p.write("backend/.env", "");

    let r = access_results(&w, &p).await;
    assert_eq!(
        r.keys().cloned().collect::<Vec<_>>(),
        [
            "production-api",
            "production-callers",
            "production-federation",
            "production-storage"
        ]
    );
    for name in r.keys() {
        assert_eq!(s(&r[name]["status"]), "ok", "{name}: {}", r[name]);
    }
    // A credential still trusting another service account on the cluster: a warning that names
    // it, fixed by the bootstrap (which removes it).
    w.add_federation(
        "lakekeeper-prod-catalog",
        "by-hand",
        ISSUER,
        "system:serviceaccount:lakekeeper:default",
    );
    let r = access_results(&w, &p).await;
    let fed = &r["production-federation"];
    assert_eq!(s(&fed["status"]), "warning", "{fed}");
    assert_eq!(
        s(&fed["summary"]),
        format!(
            "lakekeeper-prod-catalog also trusts system:serviceaccount:lakekeeper:default (by-hand, issuer {ISSUER}): it trusts another service account on this cluster: a pod running as it can act as the identity"
        )
    );
    assert_eq!(
        s(&fed["fix"]),
        "lakekeeper-setup azure bootstrap --production"
    );
    w.arm
        .with(|st| st.federations.retain(|k, _| !k.ends_with("/by-hand")));
    assert_eq!(
        s(&r["production-api"]["summary"]),
        "lakekeeper-prod-api requires assignment; 2 principal(s) hold Lakekeeper.Access"
    );

    // Break each in turn: assignment off, the laptop backend granted, a federation for
    // another service account, Lakekeeper's identity without its container role.
    let sp_id = s(&w.graph.sp(&api_id).expect("sp")["id"]);
    w.graph.with(|t| {
        let sp = t
            .sps
            .iter_mut()
            .find(|x| x["id"] == json!(sp_id))
            .expect("sp");
        sp["appRoleAssignmentRequired"] = json!(false);
    });
    // `grant` refuses the laptop's backend app it knows; granted where the profile does not
    // name it (or in the portal), verify still finds it.
    let profile_text = p.read("lakekeeper-setup.toml");
    p.write(
        "lakekeeper-setup.toml",
        &profile_text.replace(
            &format!("[backend_service]\nclient_id = \"{laptop_backend}\"\n"),
            "",
        ),
    );
    let out = w.azure(&p, &["grant", laptop_backend, "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    p.write("lakekeeper-setup.toml", &profile_text);
    w.arm.with(|st| {
        for (k, v) in &mut st.federations {
            if k.contains("lakekeeper-prod-catalog") {
                v["properties"]["subject"] = json!("system:serviceaccount:lakekeeper:default");
            }
        }
        st.assignments.retain(|a| !a.scope.contains("/containers/"));
    });
    let r = access_results(&w, &p).await;
    for name in r.keys() {
        assert_eq!(s(&r[name]["status"]), "failed", "{name}: {}", r[name]);
    }
    assert!(s(&r["production-api"]["summary"]).contains("lakekeeper-prod-api does not require assignment: any user or app in the tenant gets a token"), "{}", r["production-api"]);
    assert!(
        s(&r["production-api"]["fix"]).contains("lakekeeper-setup azure bootstrap --production")
    );
    assert!(
        s(&r["production-callers"]["summary"]).contains(&format!(
            "the laptop's backend app {laptop_backend} holds a role on the production API"
        )),
        "{}",
        r["production-callers"]
    );
    assert_eq!(
        s(&r["production-callers"]["fix"]),
        format!("lakekeeper-setup azure revoke {laptop_backend}")
    );
    assert!(s(&r["production-federation"]["summary"]).contains("Lakekeeper's identity (lakekeeper-prod-catalog) trusts no token for system:serviceaccount:lakekeeper:lakekeeper from prod-aks"), "{}", r["production-federation"]);
    assert!(
        s(&r["production-storage"]["summary"])
            .contains("lacks Storage Blob Data Contributor at the right scope"),
        "{}",
        r["production-storage"]
    );
    assert_eq!(
        s(&r["production-storage"]["fix"]),
        "run `lakekeeper-setup azure roles --production`"
    );

    // --fix runs the command the storage result names, for production's identity.
    let catalog = w.identity("lakekeeper-prod-catalog").expect("identity");
    let principal = s(&catalog["properties"]["principalId"]);
    let mut c = p.cmd();
    c.args(["verify", "--production", "--fix", "--yes", "--timeout", "2"])
        .env("PATH", w.az.path_var())
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join");
    let all = text(&out);
    assert!(
        all.contains("fix: running `lakekeeper-setup azure roles --production`"),
        "{all}"
    );
    assert!(
        w.arm
            .with(|st| st.assignments.iter().any(|a| a.principal == principal
                && a.scope
                    .ends_with("/blobServices/default/containers/warehouse"))),
        "{all}"
    );

    // Production values that still name the laptop's API app.
    let text_now = p.read("lakekeeper-setup.toml");
    p.write(
        "lakekeeper-setup.toml",
        &text_now.replace(
            &format!("api_client_id = \"{api_id}\""),
            "api_client_id = \"aaaaaaaa-0000-4000-8000-000000000001\"",
        ),
    );
    let r = access_results(&w, &p).await;
    assert!(
        s(&r["production-api"]["summary"])
            .contains("the production values still use the laptop's API app"),
        "{}",
        r["production-api"]
    );
}

#[tokio::test]
async fn a_cluster_the_user_cannot_read_and_a_refused_federation_each_get_their_fix() {
    let w = world(true).await;
    w.arm.with(|st| st.refuse_cluster_read = true);
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&format!(
            "reading AKS cluster {} failed: user@contoso.com may not read it (AuthorizationFailed)",
            azure_arm::cluster_id()
        )),
        "{all}"
    );
    assert!(
        all.contains("fix: ask for Reader on the subscription or resource group"),
        "{all}"
    );
    assert!(w.writes().is_empty());

    // Set up, then the backend's service account is renamed: only its credential is put
    // again, and a refusal of that write names the role that allows it.
    w.arm.with(|st| st.refuse_cluster_read = false);
    let out = w.bootstrap(&p, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let renamed = p.read("lakekeeper-setup.toml").replace(
        "backend_service_account = \"backend-api\"",
        "backend_service_account = \"backend-v2\"",
    );
    p.write("lakekeeper-setup.toml", &renamed);
    w.arm.with(|st| st.refuse_identities = Some(Refuse::Denied));
    let writes = w.writes().len();
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("1. federate lakekeeper-prod-backend with system:serviceaccount:backend:backend-v2 on cluster prod-aks"), "{all}");
    assert!(all.contains("adding the federated credential to managed identity lakekeeper-prod-backend was refused"), "{all}");
    assert!(all.contains("fix: ask an Owner of the resource group: az role assignment create --role \"Managed Identity Contributor\""), "{all}");
    assert_eq!(w.writes()[writes..].len(), 1, "{:?}", &w.writes()[writes..]);
    w.arm.with(|st| st.refuse_identities = None);
    let out = w.bootstrap(&p, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        w.federation_of("lakekeeper-prod-backend")
            .iter()
            .any(|f| f["subject"] == "system:serviceaccount:backend:backend-v2")
    );
}

#[tokio::test]
async fn a_renamed_service_account_loses_its_old_credential_after_the_new_one_is_in_place() {
    let w = world(true).await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let out = w.bootstrap(&p, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Someone federated the backend's identity with a staging cluster by hand: not ours, kept.
    let staging =
        "https://westeurope.oic.prod-aks.azure.com/33333333-3333-3333-3333-333333333333/staging/";
    w.add_federation(
        "lakekeeper-prod-backend",
        "staging",
        staging,
        "system:serviceaccount:backend:backend-api",
    );
    let renamed = p.read("lakekeeper-setup.toml").replace(
        "backend_service_account = \"backend-api\"",
        "backend_service_account = \"backend-v2\"",
    );
    p.write("lakekeeper-setup.toml", &renamed);

    // The dry run names the stale credential, why it goes and the DELETE; sends nothing.
    let writes = w.writes().len();
    let out = w.bootstrap(&p, &["--dry-run"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(w.writes().len(), writes, "{:?}", &w.writes()[writes..]);
    assert!(all.contains(&format!("2. remove from lakekeeper-prod-backend the stale federated credential(s) aks-backend-backend-api (subject system:serviceaccount:backend:backend-api, issuer {ISSUER}): it trusts another service account on this cluster: a pod running as it can act as the identity")), "{all}");
    assert!(all.contains("DELETE"), "{all}");
    assert!(
        all.contains("/userAssignedIdentities/lakekeeper-prod-backend/federatedIdentityCredentials/aks-backend-backend-api?api-version=2023-01-31"),
        "{all}"
    );
    assert!(!all.contains("staging ("), "{all}");

    // A refused delete names the right and the command; the new credential is already in.
    w.arm.with(|st| st.refuse_federation_delete = true);
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let sent = w.writes()[writes..].to_vec();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[0].starts_with("PUT ") && sent[0].contains("/aks-backend-backend-v2?"),
        "{sent:?}"
    );
    assert!(
        sent[1].starts_with("DELETE ") && sent[1].contains("/aks-backend-backend-api?"),
        "{sent:?}"
    );
    assert!(
        all.contains("removing a stale federated credential from managed identity lakekeeper-prod-backend was refused: user@contoso.com may not create managed identities or change their federated credentials in resource group rg-aks"),
        "{all}"
    );
    assert!(
        all.contains("fix: ask an Owner of the resource group: az role assignment create --role \"Managed Identity Contributor\" --assignee user@contoso.com --scope /subscriptions/"),
        "{all}"
    );

    // With the right: the old subject is gone, the new one and the staging one stay.
    w.arm.with(|st| st.refuse_federation_delete = false);
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("✓ lakekeeper-prod-backend no longer trusts system:serviceaccount:backend:backend-api (aks-backend-backend-api)"),
        "{all}"
    );
    let mut subjects: Vec<(String, String)> = w
        .federation_of("lakekeeper-prod-backend")
        .iter()
        .map(|f| (s(&f["issuer"]), s(&f["subject"])))
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            (
                ISSUER.to_owned(),
                "system:serviceaccount:backend:backend-v2".to_owned()
            ),
            (
                staging.to_owned(),
                "system:serviceaccount:backend:backend-api".to_owned()
            ),
        ]
    );
    assert_eq!(w.federation_of("lakekeeper-prod-catalog").len(), 1);

    // Again: nothing to send.
    let writes = w.writes().len();
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(w.writes().len(), writes, "{:?}", &w.writes()[writes..]);
    assert!(all.contains("Everything is in place"), "{all}");
}

#[tokio::test]
async fn identities_recorded_in_the_profile_are_used_under_another_prefix() {
    let w = world(true).await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile());
    let out = w.bootstrap(&p, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let before = p.read("lakekeeper-setup.toml");
    let writes = w.writes().len();
    let out = w.bootstrap(&p, &["--prefix", "other", "--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(w.writes().len(), writes, "{:?}", &w.writes()[writes..]);
    assert_eq!(w.arm.with(|st| st.identities.len()), 2);
    assert!(w.identity("other-prod-catalog").is_none());
    assert_eq!(p.read("lakekeeper-setup.toml"), before);
    for (name, key, other) in [
        (
            "lakekeeper-prod-catalog",
            "lakekeeper_identity_client_id",
            "other-prod-catalog",
        ),
        (
            "lakekeeper-prod-backend",
            "backend_identity_client_id",
            "other-prod-backend",
        ),
    ] {
        assert!(
            all.contains(&format!("managed identity {name} (client ID ")) && all.contains(&format!(
                "found by the client ID [production] {key} records (used instead of making {other})"
            )),
            "{all}"
        );
    }
}
