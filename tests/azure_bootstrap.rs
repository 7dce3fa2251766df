//! `lakekeeper-setup azure bootstrap` through the binary, against a stateful Microsoft Graph
//! (tests/support/azure_graph.rs, the official example shapes) and the fake `az`: from an empty
//! tenant to a complete set of app registrations and a profile; a re-run and a teammate change
//! nothing; a run stopped at any write resumes to the same end state without duplicates;
//! replication lag is waited out; the refusal to register apps gets its fix; `--dry-run` sends
//! no write. The client secret is found only in its home (the vault or `.env`). Then the profile
//! and the secret drive `apply` and `verify` against the OIDC stand-in: identity checks green.

mod support;

use std::process::Output;

use serde_json::{Value, json};
use support::azure::{AzMode, FakeAz, SIGNED_IN_TENANT, StandIn, token_for};
use support::azure_graph::{Failure, GraphModel, VAULT};
use support::project::Project;

/// The default unique names.
const API: &str = "lakekeeper-api";
const BACKEND: &str = "lakekeeper-backend";
const UI: &str = "lakekeeper-ui";

struct World {
    stand: StandIn,
    graph: GraphModel,
    az: FakeAz,
}

async fn world() -> World {
    let stand = StandIn::start().await;
    let graph = GraphModel::serve(&stand);
    let az = FakeAz::new(&stand.base, AzMode::SignedIn);
    World { stand, graph, az }
}

impl World {
    fn vault_profile(&self) -> String {
        format!("[secrets]\nvault = \"{}/{VAULT}\"\n", self.stand.base)
    }

    /// Runs `lakekeeper-setup azure bootstrap <args>` off the runtime (the stand-in keeps
    /// serving meanwhile), with the fake `az` first on PATH and short retry waits.
    async fn bootstrap(&self, p: &Project, args: &[&str]) -> Output {
        let mut c = p.cmd();
        c.args(["azure", "bootstrap"])
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
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every file under the project (backups, lock and temp files included) but `allowed`, audited.
fn assert_files_clean(p: &Project, allowed: &[&str], secrets: &[String]) {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(p.root(), &mut files);
    assert!(!files.is_empty());
    for f in files {
        let rel = f
            .strip_prefix(p.root())
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        if allowed.contains(&rel.as_str()) {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f).expect("read")).into_owned();
        assert_clean(&rel, &text, secrets);
    }
}

/// No 12-character piece of any secret Graph handed out, or of a token, in `hay`.
fn assert_clean(what: &str, hay: &str, secrets: &[String]) {
    assert!(
        !secrets.is_empty(),
        "the audit needs the secrets to look for"
    );
    // The fake az's tokens share their tail; the resource part tells them apart.
    let tokens = [
        token_for("https://vault.azure.net"),
        token_for("https://management.core.windows.net/"),
    ];
    for s in secrets.iter().chain(tokens.iter()) {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(12) {
            let piece: String = w.iter().collect();
            assert!(!hay.contains(&piece), "{what} leaks {piece:?}:\n{hay}");
        }
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The API, backend and UI apps are complete and wired together, exactly once each.
fn assert_complete(g: &GraphModel, with_ui: bool) -> (String, String, Option<String>) {
    let api = g.app(API).expect("the API app");
    let backend = g.app(BACKEND).expect("the backend app");
    let api_id = s(&api["appId"]);
    let backend_id = s(&backend["appId"]);
    assert_eq!(api["displayName"], API);
    assert_eq!(api["signInAudience"], "AzureADMyOrg");
    assert_eq!(api["identifierUris"], json!([format!("api://{api_id}")]));
    assert_eq!(api["api"]["requestedAccessTokenVersion"], 2);
    let scopes = api["api"]["oauth2PermissionScopes"]
        .as_array()
        .expect("scopes");
    assert_eq!(scopes.len(), 1, "{scopes:?}");
    assert_eq!(scopes[0]["value"], "lakekeeper");
    assert_eq!(scopes[0]["isEnabled"], true);
    assert_eq!(scopes[0]["type"], "User");
    let creds = backend["passwordCredentials"].as_array().expect("creds");
    assert_eq!(creds.len(), 1, "one client secret: {creds:?}");
    assert_eq!(creds[0]["displayName"], "lakekeeper-setup");
    assert!(g.has_sp(&api_id) && g.has_sp(&backend_id));
    let ui_id = if with_ui {
        let ui = g.app(UI).expect("the UI app");
        let ui_id = s(&ui["appId"]);
        assert_eq!(
            ui["spa"]["redirectUris"],
            json!(["http://localhost:8181/ui/callback"])
        );
        assert_eq!(
            api["api"]["preAuthorizedApplications"],
            json!([{"appId": ui_id, "delegatedPermissionIds": [scopes[0]["id"]]}])
        );
        assert!(g.has_sp(&ui_id));
        Some(ui_id)
    } else {
        assert!(g.app(UI).is_none());
        None
    };
    let n = if with_ui { 3 } else { 2 };
    assert_eq!((g.app_count(), g.sp_count()), (n, n), "no duplicates");
    (api_id, backend_id, ui_id)
}

#[tokio::test]
async fn from_an_empty_tenant_then_again_nothing_new_and_the_secret_only_in_env() {
    let w = world().await;
    let p = Project::empty();
    let out = w.bootstrap(&p, &["--yes", "--with-ui"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let (api_id, backend_id, ui_id) = assert_complete(&w.graph, true);
    let ui_id = ui_id.expect("ui");

    // The plan came first (what, and the right it needs), then one line per step.
    let plan_at = all
        .find("1. create app registration lakekeeper-api")
        .expect(&all);
    assert!(
        all.contains("needs: permission to register applications"),
        "{all}"
    );
    let progress_at = all
        .find(&format!(
            "✓ created app registration lakekeeper-api (appId {api_id})"
        ))
        .expect(&all);
    assert!(plan_at < progress_at, "{all}");
    for line in [
        format!("✓ Application ID URI of lakekeeper-api is api://{api_id}"),
        format!("✓ lakekeeper-api exposes api://{api_id}/lakekeeper (access tokens v2)"),
        "✓ created the service principal of lakekeeper-backend".to_owned(),
        "✓ lakekeeper-ui is pre-authorised on the scope `lakekeeper` of lakekeeper-api".to_owned(),
    ] {
        assert!(all.contains(&line), "{line}:\n{all}");
    }
    // The upsert carried Prefer: create-if-missing.
    let upserts: Vec<_> = w
        .stand
        .seen()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path_and_query.contains("uniqueName="))
        .collect();
    assert_eq!(upserts.len(), 3);
    assert!(
        upserts
            .iter()
            .all(|r| r.header("prefer") == Some("create-if-missing"))
    );

    // The profile holds the tenant and the IDs; the .env only the secret.
    let profile = p.read("lakekeeper-setup.toml");
    assert_eq!(
        profile,
        format!(
            "[entra]\ntenant = \"{SIGNED_IN_TENANT}\"\n\n[lakekeeper_api]\nclient_id = \"{api_id}\"\napp_id_uri = \"api://{api_id}\"\n\n[backend_service]\nclient_id = \"{backend_id}\"\n\n[ui]\nclient_id = \"{ui_id}\"\n"
        )
    );
    let secrets = w.graph.secrets();
    assert_eq!(secrets.len(), 1);
    let env = support::wizard::read_env(&p.path("backend/.env"));
    assert_eq!(
        env.get("LAKEKEEPER__OAUTH2__CLIENT_SECRET"),
        Some(&secrets[0])
    );
    assert!(w.graph.accepts(&backend_id, &secrets[0]));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.path("backend/.env"))
            .expect("env")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_clean("the output", &all, &secrets);
    assert_clean("the profile", &profile, &secrets);
    assert_clean("az's argv", &w.az.argv().join("\n"), &secrets);
    assert_files_clean(&p, &["backend/.env"], &secrets);
    assert!(all.contains("the backend's client secret is in"), "{all}");

    // Again: everything is found, nothing is sent, nothing is rewritten.
    let writes = w.writes().len();
    let env_before = p.read("backend/.env");
    let again = w.bootstrap(&p, &["--yes", "--with-ui"]).await;
    let all = text(&again);
    assert_eq!(again.status.code(), Some(0), "{all}");
    assert!(
        all.contains("everything is in place; nothing was changed"),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "exists:  app registration lakekeeper-api (appId {api_id}; found by the client ID in your profile), with its service principal"
        )),
        "{all}"
    );
    assert_eq!(w.writes().len(), writes, "{:?}", w.writes());
    assert_eq!(p.read("lakekeeper-setup.toml"), profile);
    assert_eq!(p.read("backend/.env"), env_before);
    assert_complete(&w.graph, true);
}

#[tokio::test]
async fn with_a_vault_the_secret_goes_only_there_and_a_teammate_creates_nothing() {
    let w = world().await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &w.vault_profile());
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let (api_id, backend_id, _) = assert_complete(&w.graph, false);
    let secrets = w.graph.secrets();
    let stored = w
        .graph
        .vault("lakekeeper-backend-client-secret")
        .expect("the secret is in the vault");
    assert_eq!(secrets, std::slice::from_ref(&stored));
    assert!(w.graph.accepts(&backend_id, &stored));
    assert!(
        !p.path("backend/.env").exists(),
        "no copy of the secret on disk"
    );
    assert!(
        all.contains("Key Vault team-dev-kv as lakekeeper-backend-client-secret"),
        "{all}"
    );
    assert!(
        all.contains("needs: owner of the app registration lakekeeper-backend (you are when this run creates it), or the Application Administrator role; Key Vault Secrets Officer on team-dev-kv"),
        "{all}"
    );
    let profile = p.read("lakekeeper-setup.toml");
    assert_eq!(
        profile,
        format!(
            "[secrets]\nvault = \"{}/{VAULT}\"\nbackend_client_secret = \"lakekeeper-backend-client-secret\"\n\n[entra]\ntenant = \"{SIGNED_IN_TENANT}\"\n\n[lakekeeper_api]\nclient_id = \"{api_id}\"\napp_id_uri = \"api://{api_id}\"\n\n[backend_service]\nclient_id = \"{backend_id}\"\n",
            w.stand.base
        )
    );
    assert_clean("the output", &all, &secrets);
    assert_clean("the profile", &profile, &secrets);
    assert_clean("az's argv", &w.az.argv().join("\n"), &secrets);
    // With a vault, no file of the project holds the secret at all.
    assert_files_clean(&p, &[], &secrets);

    // A teammate with the committed profile (and nothing else) finds everything.
    let writes = w.writes().len();
    let mate = Project::empty();
    mate.write("lakekeeper-setup.toml", &profile);
    let out = w.bootstrap(&mate, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("everything is in place; nothing was changed"),
        "{all}"
    );
    assert!(
        all.contains("exists:  the backend's client secret in Key Vault team-dev-kv"),
        "{all}"
    );
    assert_eq!(w.writes().len(), writes, "{:?}", w.writes());
    assert_eq!(mate.read("lakekeeper-setup.toml"), profile);
    assert!(!mate.path("backend/.env").exists());
    assert_complete(&w.graph, false);
}

#[tokio::test]
async fn stopped_at_any_write_it_resumes_to_the_same_end_state() {
    // The reference: one uninterrupted run.
    let reference = world().await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &reference.vault_profile());
    let out = reference.bootstrap(&p, &["--yes", "--with-ui"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let writes = reference.writes();
    assert_eq!(
        writes.len(),
        11,
        "3 upserts, URI, scope, 3 service principals, addPassword, vault, pre-authorisation: {writes:?}"
    );
    let want = p
        .read("lakekeeper-setup.toml")
        .replace(&reference.stand.base, "BASE");
    let want_ids: Vec<String> = [API, BACKEND, UI]
        .iter()
        .map(|n| s(&reference.graph.app(n).expect("app")["appId"]))
        .collect();

    for n in 1..=u32::try_from(writes.len()).expect("small") {
        let w = world().await;
        w.graph.with(|t| t.fail_write = Some((n, Failure::Refused)));
        let p = Project::empty();
        p.write("lakekeeper-setup.toml", &w.vault_profile());
        let out = w.bootstrap(&p, &["--yes", "--with-ui"]).await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "write {n}: {all}");
        assert!(all.contains("error: "), "write {n}: {all}");
        assert!(all.contains("fix: "), "write {n}: {all}");
        w.graph.with(|t| t.fail_write = None);
        let out = w.bootstrap(&p, &["--yes", "--with-ui"]).await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "resume after write {n}: {all}");
        let (_, backend_id, _) = assert_complete(&w.graph, true);
        let ids: Vec<String> = [API, BACKEND, UI]
            .iter()
            .map(|x| s(&w.graph.app(x).expect("app")["appId"]))
            .collect();
        assert_eq!(ids, want_ids, "write {n}");
        assert_eq!(
            p.read("lakekeeper-setup.toml")
                .replace(&w.stand.base, "BASE"),
            want,
            "write {n}"
        );
        let stored = w
            .graph
            .vault("lakekeeper-backend-client-secret")
            .expect("vault");
        assert!(w.graph.accepts(&backend_id, &stored), "write {n}");
        assert_clean("the output", &all, &w.graph.secrets());
        // And a third run has nothing left to do.
        let before = w.writes().len();
        let out = w.bootstrap(&p, &["--yes", "--with-ui"]).await;
        assert!(text(&out).contains("nothing was changed"), "write {n}");
        assert_eq!(w.writes().len(), before, "write {n}");
    }
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_found_again_not_duplicated() {
    let w = world().await;
    w.graph.with(|t| t.fail_write = Some((1, Failure::Lost)));
    let p = Project::empty();
    let out = w.bootstrap(&p, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(w.graph.app_count(), 1, "the API app was created");
    assert!(
        !p.path("lakekeeper-setup.toml").exists(),
        "nothing known was done, nothing written"
    );
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("exists:  app registration lakekeeper-api"),
        "{all}"
    );
    assert_complete(&w.graph, false);
}

#[tokio::test]
async fn replication_lag_after_a_create_is_waited_out() {
    let w = world().await;
    w.graph.with(|t| t.lag = 2);
    let p = Project::empty();
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("Entra has not caught up yet; retry 1 of 4"),
        "{all}"
    );
    assert!(!all.contains("retry 3 of 4"), "{all}");
    assert_complete(&w.graph, false);
}

#[tokio::test]
async fn a_user_who_may_not_register_apps_is_told_the_setting_and_the_role() {
    let w = world().await;
    w.graph.with(|t| t.deny_create = true);
    let p = Project::empty();
    let out = w.bootstrap(&p, &["--yes"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr.contains("error: could not create app registration lakekeeper-api: HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation."),
        "{stderr}"
    );
    assert!(
        stderr.contains("fix: you may not register applications in this tenant: ask an administrator to turn on \"Users can register applications\" (Entra admin center › Identity › Users › User settings) or to give you the Application Developer role"),
        "{stderr}"
    );
    assert_eq!(w.graph.app_count(), 0);
    assert!(!p.path("lakekeeper-setup.toml").exists());
}

#[tokio::test]
async fn a_vault_that_refuses_the_secret_leaves_it_in_env_and_the_rerun_moves_it() {
    let w = world().await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &w.vault_profile());
    // Writes: API upsert, URI, scope, API principal, backend upsert, backend principal,
    // addPassword, then (the eighth) the vault PUT.
    w.graph.with(|t| t.fail_write = Some((8, Failure::Refused)));
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    let secrets = w.graph.secrets();
    assert_eq!(secrets.len(), 1);
    assert!(w.graph.vault("lakekeeper-backend-client-secret").is_none());
    assert!(
        all.contains("error: added a client secret to lakekeeper-backend, but storing secret lakekeeper-backend-client-secret in Key Vault team-dev-kv was refused: user@contoso.com may not write secrets in vault team-dev-kv (the vault uses Azure RBAC; writing needs Key Vault Secrets Officer)"),
        "{all}"
    );
    assert!(all.contains("the secret is kept in"), "{all}");
    assert!(
        all.contains(
            "fix: ask its owner: az role assignment create --role \"Key Vault Secrets Officer\" --assignee user@contoso.com --scope"
        ),
        "{all}"
    );
    assert!(all.contains("wrote what was done so far to"), "{all}");
    let env = support::wizard::read_env(&p.path("backend/.env"));
    assert_eq!(
        env.get("LAKEKEEPER__OAUTH2__CLIENT_SECRET"),
        Some(&secrets[0]),
        "nothing is lost"
    );
    assert_clean("the output", &all, &secrets);
    // With the role granted, a re-run puts that secret into the vault: no second secret.
    w.graph.with(|t| t.fail_write = None);
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("1. put the client secret an earlier run kept in backend/.env into Key Vault team-dev-kv as lakekeeper-backend-client-secret"),
        "{all}"
    );
    assert_eq!(
        w.graph.vault("lakekeeper-backend-client-secret").as_ref(),
        Some(&secrets[0])
    );
    assert_eq!(w.graph.secrets(), secrets);
    assert_complete(&w.graph, false);
    assert_clean("the output", &all, &secrets);
}

#[tokio::test]
async fn an_app_made_in_the_portal_and_named_in_the_profile_is_completed_not_duplicated() {
    let w = world().await;
    let portal = w
        .graph
        .with(|t| t.new_app(None, &json!({"displayName": "Lakekeeper (portal)"})));
    let id = s(&portal["appId"]);
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!("[lakekeeper_api]\nclient_id = \"{id}\"  # made by hand\n"),
    );
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!(
            "exists:  app registration Lakekeeper (portal) (appId {id}; found by the client ID in your profile)"
        )),
        "{all}"
    );
    assert!(
        !all.contains("create app registration lakekeeper-api"),
        "{all}"
    );
    let api = w
        .graph
        .with(|t| t.apps.iter().find(|a| a["appId"] == json!(id)).cloned())
        .expect("the portal app");
    assert_eq!(api["identifierUris"], json!([format!("api://{id}")]));
    assert_eq!(api["api"]["requestedAccessTokenVersion"], 2);
    assert_eq!(
        api["api"]["oauth2PermissionScopes"][0]["value"],
        "lakekeeper"
    );
    assert_eq!(w.graph.app_count(), 2, "the portal app and the backend");
    let profile = p.read("lakekeeper-setup.toml");
    assert!(
        profile.starts_with(&format!(
            "[lakekeeper_api]\nclient_id = \"{id}\"  # made by hand\napp_id_uri = \"api://{id}\"\n"
        )),
        "the comment is kept: {profile}"
    );
}

/// Without a team vault, a teammate's fresh clone has no secret: one of their own is added, and
/// the plan says why and how a vault avoids it.
#[tokio::test]
async fn without_a_vault_a_teammate_adds_their_own_secret_and_is_told_why() {
    let w = world().await;
    let lead = Project::empty();
    let out = w.bootstrap(&lead, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mate = Project::empty();
    mate.write("lakekeeper-setup.toml", &lead.read("lakekeeper-setup.toml"));
    let out = w.bootstrap(&mate, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("note: lakekeeper-backend already has a current client secret that this machine does not hold: each teammate without one adds their own. With a team Key Vault ([secrets] vault in the profile, then `lakekeeper-setup azure store-secrets` once) everyone shares one"),
        "{all}"
    );
    assert_eq!(w.graph.secrets().len(), 2);
    assert_eq!(w.graph.app_count(), 2, "no app is created twice");
    let env = support::wizard::read_env(&mate.path("backend/.env"));
    let backend_id = s(&w.graph.app(BACKEND).expect("the backend app")["appId"]);
    assert!(
        w.graph
            .accepts(&backend_id, &env["LAKEKEEPER__OAUTH2__CLIENT_SECRET"])
    );
}

/// A secret in `.env` that is none of the backend app's current ones (kept from an older app)
/// is not copied into the team's vault: a new one is added and stored there instead.
#[tokio::test]
async fn a_stale_env_secret_is_not_published_to_the_vault() {
    let w = world().await;
    let backend = w.graph.with(|t| {
        t.new_app(
            None,
            &json!({"displayName": "backend (portal)", "passwordCredentials": [
                {"keyId": "0f0f0f0f-0000-4000-8000-000000000001", "displayName": "portal",
                 "hint": "P01", "endDateTime": "2099-01-01T00:00:00Z"}
            ]}),
        )
    });
    let backend_id = s(&backend["appId"]);
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{}\n[backend_service]\nclient_id = \"{backend_id}\"\n",
            w.vault_profile()
        ),
    );
    let stale = "OLD~SENTINEL-stale-secret-from-another-app-0123";
    p.write(
        "backend/.env",
        &format!("LAKEKEEPER__OAUTH2__CLIENT_SECRET={stale}\n"),
    );
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        !all.contains("put the client secret an earlier run kept"),
        "{all}"
    );
    let stored = w
        .graph
        .vault("lakekeeper-backend-client-secret")
        .expect("a secret in the vault");
    assert_ne!(stored, stale);
    assert!(
        w.graph.accepts(&backend_id, &stored),
        "the vault's secret is not the app's"
    );
    assert!(!all.contains(&stored) && !all.contains(stale), "{all}");
}

/// `uniqueName` is unique in the whole tenant: another team's `lakekeeper-api` must not take the
/// place of the app this team's profile names. The profile's ID wins; the other app is not
/// touched.
#[tokio::test]
async fn the_profile_s_client_id_wins_over_another_team_s_app_with_the_unique_name() {
    let w = world().await;
    // Another team ran bootstrap first, in its own project.
    let theirs = Project::empty();
    let out = w.bootstrap(&theirs, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (their_api, _, _) = assert_complete(&w.graph, false);
    let their_object = s(&w.graph.app("lakekeeper-api").expect("their app")["id"]);
    // This team's API app was made in the portal; its profile names it.
    let ours = w
        .graph
        .with(|t| t.new_app(None, &json!({"displayName": "Lakekeeper (portal)"})));
    let our_api = s(&ours["appId"]);
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!("[lakekeeper_api]\nclient_id = \"{our_api}\"\n"),
    );
    let before = w.stand.seen().len();
    let out = w.bootstrap(&p, &["--yes"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!(
            "app registration Lakekeeper (portal) (appId {our_api}; found by the client ID in your profile)"
        )),
        "{all}"
    );
    // The plan's changes name our app as it is called, never the other team's unique name.
    let changes: Vec<&str> = all
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert!(
        !changes.is_empty()
            && changes.iter().any(|l| l.contains("Lakekeeper (portal)"))
            && changes.iter().all(|l| !l.contains("lakekeeper-api")),
        "{all}"
    );
    let profile = p.read("lakekeeper-setup.toml");
    assert!(
        profile.contains(&format!("client_id = \"{our_api}\"")) && !profile.contains(&their_api),
        "{profile}"
    );
    // Ours was completed (URI, scope, service principal); theirs got no write at all.
    let ours_now = w
        .graph
        .with(|t| {
            t.apps
                .iter()
                .find(|a| a["appId"] == our_api.as_str())
                .cloned()
        })
        .expect("our app");
    assert_eq!(
        ours_now["identifierUris"],
        json!([format!("api://{our_api}")])
    );
    assert!(w.graph.has_sp(&our_api));
    let later: Vec<String> = w.stand.seen()[before..]
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.path_and_query.clone())
        .collect();
    assert!(
        !later.is_empty() && later.iter().all(|w| !w.contains(&their_object)),
        "{later:?}"
    );
}

#[tokio::test]
async fn a_client_id_the_tenant_does_not_know_stops_before_any_change() {
    let w = world().await;
    let p = Project::empty();
    let text_before = "[backend_service]\nclient_id = \"bbbbbbbb-0000-4000-8000-000000000002\"\n";
    p.write("lakekeeper-setup.toml", text_before);
    let out = w.bootstrap(&p, &["--yes"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr.contains("error: backend_service.client_id = bbbbbbbb-0000-4000-8000-000000000002 in your setup is not an app registration in this tenant"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fix: sign in to the tenant that holds it (az login --tenant <tenant>), or remove backend_service.client_id from lakekeeper-setup.toml and backend/.env so bootstrap finds or creates lakekeeper-backend"),
        "{stderr}"
    );
    assert!(w.writes().is_empty());
    assert_eq!(p.read("lakekeeper-setup.toml"), text_before);
}

#[tokio::test]
async fn dry_run_prints_the_requests_and_sends_no_write() {
    let w = world().await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &w.vault_profile());
    let profile = p.read("lakekeeper-setup.toml");
    let out = w.bootstrap(&p, &["--dry-run", "--with-ui"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let methods: Vec<String> = w.stand.seen().iter().map(|r| r.method.clone()).collect();
    assert!(
        !methods.is_empty() && methods.iter().all(|m| m == "GET"),
        "{methods:?}"
    );
    let graph = format!("{}/graph/v1.0", w.stand.base);
    for want in [
        format!(
            "PATCH {graph}/applications(uniqueName='lakekeeper-api')  (Prefer: create-if-missing)"
        ),
        format!("PATCH {graph}/applications/<id of lakekeeper-api>"),
        "\"identifierUris\": [\n    \"api://<appId of lakekeeper-api>\"\n  ]".to_owned(),
        format!("POST {graph}/applications/<id of lakekeeper-backend>/addPassword"),
        format!(
            "PUT {}/{VAULT}/secrets/lakekeeper-backend-client-secret?api-version=7.5",
            w.stand.base
        ),
        "\"appId\": \"<appId of lakekeeper-ui>\"".to_owned(),
        "dry run: nothing was sent or written".to_owned(),
    ] {
        assert!(all.contains(&want), "{want}:\n{all}");
    }
    assert_eq!(w.graph.app_count(), 0);
    assert_eq!(p.read("lakekeeper-setup.toml"), profile);
    assert!(!p.path("backend/.env").exists());
}

#[tokio::test]
async fn the_profile_and_secret_it_made_pass_verify_against_the_oidc_stand_in() {
    use support::oidc::{OidcProvider, TENANT};
    let w = world().await;
    let p = Project::empty();
    let profile = format!(
        "[entra]\ntenant = \"{TENANT}\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\n\n[lakekeeper]\nbase_uri = \"http://127.0.0.1:9\"\n"
    );
    p.write("lakekeeper-setup.toml", &profile);
    let out = w.bootstrap(&p, &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // `az` was asked for the profile's tenant.
    assert!(
        w.az.argv()
            .iter()
            .any(|a| a.contains(&format!("--tenant {TENANT}"))),
        "{:?}",
        w.az.argv()
    );
    let (api_id, backend_id, _) = assert_complete(&w.graph, false);
    let secret = support::wizard::read_env(&p.path("backend/.env"))
        .get("LAKEKEEPER__OAUTH2__CLIENT_SECRET")
        .cloned()
        .expect("the secret");

    let Some(idp) = OidcProvider::start_for(2, TENANT, &api_id, &[(&backend_id, &secret)]) else {
        return;
    };
    let written = p.read("lakekeeper-setup.toml");
    p.write(
        "lakekeeper-setup.toml",
        &written.replacen(
            "[entra]\n",
            &format!("[entra]\nauthority_host = \"{}\"\n", idp.authority()),
            1,
        ),
    );
    p.apply_ok(&[("POSTGRES_PASSWORD", "fake-pg-password")]);
    // apply derived Entra's v1 issuer from the tenant; the stand-in serves it loopback-shaped.
    let env = p.read("backend/.env");
    let v1 = format!("https://sts.windows.net/{TENANT}/");
    assert!(
        env.contains(&format!("LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS={v1}")),
        "{env}"
    );
    p.write("backend/.env", &env.replace(&v1, &idp.v1_issuer()));
    let out = p
        .cmd()
        .args([
            "verify",
            "--json",
            "--only",
            "oidc-discovery,token,token-claims",
        ])
        .output()
        .expect("verify");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).expect("json");
    let checks = v["checks"].as_array().expect("checks");
    let names: Vec<&str> = checks.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["oidc-discovery", "token", "token-claims"]);
    for c in checks {
        assert_eq!(c["status"], "ok", "{c}");
    }
    assert!(!stdout.contains(&secret));
}

/// The wizard's offer, taken in line mode: Azure lists no app, the wizard asks, `azure
/// bootstrap` shows its plan and asks on the same terminal, creates the apps, and the wizard
/// starts again with their IDs (and the tenant typed before).
#[test]
fn the_wizard_runs_bootstrap_when_azure_lists_no_app_and_comes_back_with_the_ids() {
    use support::tmux::Tmux;
    use support::tools::require_tool;
    if require_tool("tmux").is_none() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let w = rt.block_on(world());
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().display().to_string();
    let path = w.az.path_var();
    let t = Tmux::start(
        dir.path(),
        std::path::Path::new(support::wizard::BIN),
        &["--plain", "--root", &root],
        &[
            ("NO_COLOR", "1"),
            ("PATH", &path),
            ("LAKEKEEPER_SETUP_AZ_TIMEOUT", "20"),
            ("LAKEKEEPER_SETUP_AZURE_RETRY_MS", "5"),
        ],
        140,
        50,
    );
    t.wait_for(&["? Directory (tenant) ID"]);
    t.type_text(SIGNED_IN_TENANT);
    t.keys(&["Enter"]);
    t.wait_for(&["? Azure cloud"]);
    t.keys(&["Enter"]);
    // Before Azure answers, the offer says how; no question holds up Enter.
    t.wait_for(&[
        "`lakekeeper-setup azure bootstrap` creates them",
        "Type ? to list the tenant's apps",
        "? Lakekeeper API application (client) ID",
    ]);
    t.type_text("?");
    t.keys(&["Enter"]);
    t.wait_for(&[
        "Your Azure login sees no app registrations in this tenant.",
        "? Create the app registrations now with `lakekeeper-setup azure bootstrap`",
    ]);
    t.keys(&["y", "Enter"]);
    t.wait_for(&[
        "$ lakekeeper-setup azure bootstrap",
        "? Client secret lifetime in months (1–24) (12)",
    ]);
    t.keys(&["Enter"]);
    t.wait_for(&["? Make these changes? (y/N)"]);
    t.keys(&["y", "Enter"]);
    t.wait_for(&["Starting the wizard again with the new app registrations"]);
    let (api_id, backend_id, _) = assert_complete(&w.graph, false);
    let profile =
        std::fs::read_to_string(dir.path().join("lakekeeper-setup.toml")).expect("profile");
    assert!(
        profile.contains(&format!("tenant = \"{SIGNED_IN_TENANT}\""))
            && profile.contains(&format!("client_id = \"{api_id}\""))
            && profile.contains(&format!("client_id = \"{backend_id}\"")),
        "{profile}"
    );
    // The wizard again: the tenant and the new IDs are the defaults.
    t.wait_for(&[&format!("? Directory (tenant) ID ({SIGNED_IN_TENANT})")]);
    t.keys(&["Enter"]);
    t.wait_for(&["? Azure cloud"]);
    t.keys(&["Enter"]);
    t.wait_for(&[&format!(
        "? Lakekeeper API application (client) ID ({api_id})"
    )]);
    t.keys(&["Escape"]);
    t.wait_for(&["Leave without writing anything?"]);
    t.keys(&["y", "Enter"]);
    t.wait_for(&["EXIT=130"]);
    // The secret went to .env (no vault), never to the screen.
    let secrets = w.graph.secrets();
    assert_eq!(secrets.len(), 1);
    assert_clean("the terminal", &t.history(), &secrets);
}

/// Issue 20, item 15: the team's `.env` names a placeholder tenant while the user is signed in
/// to their real one. Bootstrap says where the tenant came from, offers the signed-in tenant by
/// name and domain, and takes `--tenant`.
#[tokio::test]
async fn a_stale_env_tenant_is_named_with_its_source_and_the_signed_in_one_offered() {
    let stand = StandIn::start().await;
    let graph = GraphModel::serve(&stand);
    let az = FakeAz::new(&stand.base, AzMode::WrongTenant);
    let w = World { stand, graph, az };
    let p = Project::empty();
    let stale = "11111111-2222-3333-4444-555555555555";
    p.write(
        "backend/.env",
        &format!(
            "LAKEKEEPER__OPENID_PROVIDER_URI=https://login.microsoftonline.com/{stale}/v2.0/.well-known/openid-configuration\n"
        ),
    );

    let out = w.bootstrap(&p, &["--yes"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr.contains(&format!(
            "error: the tenant {stale} comes from {} (LAKEKEEPER__OPENID_PROVIDER_URI), but the Azure CLI's sign-in cannot reach it; it is signed in to tenant {SIGNED_IN_TENANT} (Contoso, contoso.onmicrosoft.com); nothing was changed",
            p.path("backend/.env").display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "fix: to set up the signed-in tenant, run again with `--tenant {SIGNED_IN_TENANT}`; to use {stale}, run `az login --tenant {stale}` first"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("sign in to that tenant"), "{stderr}");
    assert!(
        w.stand.seen().is_empty(),
        "no Azure request before the tenant is settled"
    );
    assert!(!p.path("lakekeeper-setup.toml").exists());

    // `--tenant` settles it: the run works in the signed-in tenant and says so.
    let out = w
        .bootstrap(&p, &["--yes", "--tenant", SIGNED_IN_TENANT])
        .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!(
            "Tenant {SIGNED_IN_TENANT} (Contoso, contoso.onmicrosoft.com), from --tenant · signed in as user@contoso.com"
        )),
        "{all}"
    );
    assert_complete(&w.graph, false);
    let profile = p.read("lakekeeper-setup.toml");
    assert!(
        profile.contains(&format!("tenant = \"{SIGNED_IN_TENANT}\"")),
        "{profile}"
    );

    // A bad value is refused by the wizard's own validator.
    let out = w.bootstrap(&p, &["--tenant", "common"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("multi-tenant alias"), "{}", text(&out));
}

/// Issue 20, item 16: the profile names the API app's client ID, not its App ID URI; the old
/// `.env` says `api://lakekeeper`. With the Azure CLI signed in, `apply` asks Graph and warns,
/// naming the app's own identifier URI.
#[tokio::test]
async fn apply_warns_about_an_app_id_uri_the_api_app_does_not_register() {
    let w = world().await;
    let app_id = w.graph.with(|t| {
        let app = t.new_app(Some(API), &json!({"displayName": API}));
        let id = s(&app["appId"]);
        if let Some(last) = t.apps.last_mut() {
            last["identifierUris"] = json!([format!("api://{id}")]);
        }
        id
    });
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "[entra]\ntenant = \"{SIGNED_IN_TENANT}\"\n\n[lakekeeper_api]\nclient_id = \"{app_id}\"\n\n[backend_service]\nclient_id = \"bbbbbbbb-0000-4000-8000-000000000002\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\n"
        ),
    );
    p.write(
        "backend/.env",
        "LAKEKEEPER__OPENID_AUDIENCE=api://lakekeeper\n",
    );
    let mut c = p.cmd();
    c.args(["apply", "--dry-run", "--generate-key"])
        .env("PATH", w.az.path_var())
        .env(
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
            "fake-secret-Q~0123456789abcdef",
        )
        .env("POSTGRES_PASSWORD", "fake-pg-password")
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let right = format!("api://{app_id}");
    assert!(
        all.contains(&format!(
            "warning: the App ID URI api://lakekeeper (from the .env) is not one Entra ID registers for the API app {API} ({right}): the audience and scope would be wrong; the right one is {right}. Fix: set `app_id_uri = \"{right}\"` under [lakekeeper_api] in lakekeeper-setup.toml"
        )),
        "{all}"
    );
    // With the right URI in the profile there is nothing to say.
    let profile = p.read("lakekeeper-setup.toml").replace(
        &format!("client_id = \"{app_id}\"\n"),
        &format!("client_id = \"{app_id}\"\napp_id_uri = \"{right}\"\n"),
    );
    p.write("lakekeeper-setup.toml", &profile);
    let mut c = p.cmd();
    c.args(["apply", "--dry-run", "--generate-key"])
        .env("PATH", w.az.path_var())
        .env(
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
            "fake-secret-Q~0123456789abcdef",
        )
        .env("POSTGRES_PASSWORD", "fake-pg-password")
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !text(&out).contains("is not one Entra ID registers"),
        "{}",
        text(&out)
    );
}

/// On a terminal the stale tenant is not an error: bootstrap asks, offering the signed-in
/// tenant by name and domain first, and goes on in the one chosen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_the_signed_in_tenant_is_offered_by_name_and_domain() {
    if support::tools::require_tool("tmux").is_none() {
        return;
    }
    let stand = StandIn::start().await;
    let _graph = GraphModel::serve(&stand);
    let az = FakeAz::new(&stand.base, AzMode::WrongTenant);
    let p = Project::empty();
    let stale = "11111111-2222-3333-4444-555555555555";
    p.write(
        "backend/.env",
        &format!(
            "LAKEKEEPER__OPENID_PROVIDER_URI=https://login.microsoftonline.com/{stale}/v2.0/.well-known/openid-configuration\n"
        ),
    );
    let root = p.root().display().to_string();
    let path = az.path_var();
    let t = support::tmux::Tmux::start(
        p.root(),
        std::path::Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
        &["azure", "bootstrap", "--dry-run", "--root", &root],
        &[
            ("PATH", &path),
            ("NO_COLOR", "1"),
            ("LAKEKEEPER_SETUP_AZURE_RETRY_MS", "5"),
        ],
        240,
        30,
    );
    let asked = t.wait_for(&[
        "Which tenant should bootstrap work in?",
        &format!("the signed-in tenant {SIGNED_IN_TENANT} (Contoso, contoso.onmicrosoft.com)"),
        &format!("{stale}, from {}", p.path("backend/.env").display()),
    ]);
    assert!(
        asked.contains("the Azure CLI's sign-in cannot reach it"),
        "{asked}"
    );
    t.keys(&["Enter"]);
    t.wait_for(&["EXIT="]);
    let done = t.history();
    assert!(
        done.contains(&format!(
            "Tenant {SIGNED_IN_TENANT} (Contoso, contoso.onmicrosoft.com), the one the Azure CLI is signed in to"
        )),
        "{done}"
    );
    assert!(
        done.contains("dry run: nothing was sent or written"),
        "{done}"
    );
    assert!(done.contains("EXIT=0"), "{done}");
}
