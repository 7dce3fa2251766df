//! The Azure pickers end to end: the real binary in tmux, the fake `az` first on `PATH` and the
//! loopback Azure stand-in serving the official example payloads. Ctrl-L opens a list, typing
//! filters it, Enter chooses; the fields and the written `.env` hold the chosen values, a greyed
//! row shows why, and no token ever reaches `az`'s command line. Nothing reaches Azure.

mod support;

use serde_json::{Value, json};
use support::azure::{
    AzMode, FakeAz, SIGNED_IN_TENANT, SUB, StandIn, adapt, arm_body, containers, graph_body,
    one_subscription, servers_with_ready_and_stopped,
};
use support::tmux::Tmux;
use support::tools::require_tool;
use support::wizard::{API_ID, BACKEND_ID, BACKEND_SECRET, BIN, TENANT, read_env};

/// "Contoso Corp." in ARM's GetTenants example.
const CONTOSO: &str = "83abe5cd-bcc3-441a-bd86-e6a75360cecc";

/// Tenants, one subscription, its storage accounts and sto1125's containers, PostgreSQL servers
/// (the example's v12 ones plus a Ready v16 one and a Stopped one), and the team's three apps.
fn serve(stand: &StandIn) {
    let mut tenants = arm_body("arm/2022-12-01-GetTenants.json");
    tenants.as_object_mut().expect("object").remove("nextLink");
    stand.json("/tenants", 200, &tenants);
    stand.json("/subscriptions", 200, &one_subscription());
    let mut accounts = adapt(&arm_body("arm/2023-05-01-StorageAccountList.json"));
    accounts.as_object_mut().expect("object").remove("nextLink");
    stand.json(
        &format!("/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts"),
        200,
        &accounts,
    );
    let (containers_path, containers) = containers();
    stand.json(&containers_path, 200, &containers);
    // PostgreSQL: the example's two v12 servers, then a v16 one that is Ready and a v16 one that
    // is Stopped.
    let mut servers = servers_with_ready_and_stopped();
    servers.as_object_mut().expect("object").remove("nextLink");
    stand.json(
        &format!("/subscriptions/{SUB}/providers/Microsoft.DBforPostgreSQL/flexibleServers"),
        200,
        &servers,
    );
    let base = graph_body("graph/application-list--list_application.json");
    let template = base["value"][0].clone();
    let app = |name: &str, id: &str, uris: Value| {
        let mut a = template.clone();
        a["displayName"] = json!(name);
        a["appId"] = json!(id);
        a["identifierUris"] = uris;
        a["spa"] = json!({"redirectUris": []});
        a
    };
    let mut body = base.clone();
    body["value"] = json!([
        app("Lakekeeper API", API_ID, json!(["api://lakekeeper-api"])),
        app("Lakekeeper backend", BACKEND_ID, json!([])),
    ]);
    body.as_object_mut()
        .expect("object")
        .remove("@odata.nextLink");
    stand.json("/graph/v1.0/applications", 200, &body);
}

/// Waits for `needles` on one screen line each.
fn wait_line(t: &Tmux, needles: &[&str]) -> String {
    let s = t.wait_for(needles);
    for n in needles {
        assert!(s.lines().any(|l| l.contains(n)), "{n}:\n{s}");
    }
    s
}

#[test]
fn ctrl_l_lists_filters_and_chooses_and_the_env_holds_the_choices() {
    if require_tool("tmux").is_none() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let stand = rt.block_on(StandIn::start());
    serve(&stand);
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);

    // Everything but the picked values is in the .env already.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("backend")).expect("mkdir");
    std::fs::write(
        dir.path().join("backend/.env"),
        format!(
            "LAKEKEEPER__OAUTH2__TENANT_ID={SIGNED_IN_TENANT}\nLAKEKEEPER__OAUTH2__CLIENT_ID={BACKEND_ID}\nLAKEKEEPER__OAUTH2__CLIENT_SECRET={BACKEND_SECRET}\nLAKEKEEPER__OPENID_AUDIENCE=api://{API_ID},{API_ID}\nPOSTGRES_HOST=db.example.test\nPOSTGRES_DB=lakekeeper\nPOSTGRES_USER=lakekeeper\nPOSTGRES_PASSWORD=fake-secret-pg-password-5678\nAZURE_STORAGE_ACCOUNT_NAME=fakeaccount\nAZURE_STORAGE_CONTAINER_NAME=warehouse\nAZURE_STORAGE_ACCOUNT_KEY=fake-secret-account-key-ABCD\n"
        ),
    )
    .expect("seed .env");
    let path = fake.path_var();
    let t = Tmux::start(
        dir.path(),
        std::path::Path::new(BIN),
        &[],
        &[
            ("NO_COLOR", "1"),
            ("PATH", &path),
            ("LAKEKEEPER_SETUP_AZ_TIMEOUT", "20"),
        ],
        120,
        40,
    );
    let welcome = t.wait_for(&["Step 1 of 11"]);
    assert!(
        !welcome.contains("Azure assist off"),
        "az is on PATH:\n{welcome}"
    );
    t.keys(&["Enter"]);

    // Tenant: the list, filtered to one row, chosen.
    t.wait_for(&["Step 2 of 11", "Ctrl-L pick from Azure"]);
    t.keys(&["C-l"]);
    wait_line(&t, &["Contoso Corp.", "auxteststagemanual.ccsctp.net"]);
    t.wait_for(&["3 of 3 shown", "TEST_TEST_RDV"]);
    t.type_text("contoso");
    let s = t.wait_for(&["Filter: contoso", "1 of 3 shown"]);
    assert!(!s.contains("TEST_TEST_RDV"), "filtered out:\n{s}");
    t.keys(&["Enter"]);
    let s = t.wait_gone("Tenants you can sign in to");
    assert!(
        s.contains(&format!("> {CONTOSO}")),
        "the field holds the pick:\n{s}"
    );
    t.keys(&["C-n"]);

    // The API app: client ID and App ID URI from one row.
    t.wait_for(&["Step 3 of 11"]);
    t.keys(&["C-l"]);
    t.wait_for(&["Lakekeeper API", "Lakekeeper backend"]);
    t.type_text("api");
    t.wait_for(&["1 of 2 shown"]);
    t.keys(&["Enter"]);
    let s = t.wait_for(&["api://lakekeeper-api"]);
    assert!(s.contains(API_ID), "{s}");
    t.keys(&["C-n"]);
    t.wait_for(&["Step 4 of 11"]);
    t.keys(&["C-n"]);
    t.wait_for(&["Step 5 of 11"]);
    t.keys(&["C-n"]);

    // PostgreSQL: an old and a stopped server are greyed with why; the Ready v16 fills the host.
    t.wait_for(&["Step 6 of 11"]);
    t.keys(&["C-l"]);
    wait_line(&t, &["paused-pg", "Stopped: start the server first"]);
    wait_line(&t, &["Lakekeeper needs 15 or newer"]);
    t.type_text("lakehouse");
    t.keys(&["Enter"]);
    t.wait_gone("PostgreSQL flexible servers");
    t.wait_for(&["> lakehouse-pg.postgres.database.azure.com"]);
    t.keys(&["C-n"]);

    // Storage: accounts without hierarchical namespace greyed; choosing sto1125 offers its
    // containers next.
    t.wait_for(&["Step 7 of 11"]);
    t.keys(&["C-l"]);
    wait_line(&t, &["sto3699", "no hierarchical namespace"]);
    t.type_text("sto3699");
    t.keys(&["Enter"]);
    t.wait_for(&["✗ sto3699 can't be chosen: no hierarchical namespace"]);
    t.keys(&["C-u"]);
    t.type_text("sto1125");
    t.keys(&["Enter"]);
    t.wait_for(&[
        "Containers of the storage account",
        "container1644",
        "container4052",
    ]);
    t.type_text("4052");
    t.keys(&["Enter"]);
    t.wait_gone("Containers of the storage account");
    let s = t.wait_for(&["> container4052"]);
    assert!(s.contains("sto1125"), "{s}");
    t.keys(&["C-n"]);

    t.wait_for(&["Step 8 of 11"]);
    t.keys(&["C-n"]);
    t.wait_for(&["Step 9 of 11: Production"]);
    t.keys(&["Enter"]); // skipped
    t.wait_for(&["Step 10 of 11", "will change"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Step 11 of 11", "wrote"]);
    t.keys(&["Enter"]);
    t.wait_for(&["EXIT=0"]);
    drop(t);

    let env = read_env(&dir.path().join("backend/.env"));
    let get = |k: &str| env.get(k).map(String::as_str);
    assert_eq!(get("LAKEKEEPER__OAUTH2__TENANT_ID"), Some(CONTOSO));
    assert_eq!(
        get("LAKEKEEPER__OPENID_AUDIENCE"),
        Some(format!("api://lakekeeper-api,{API_ID}").as_str())
    );
    assert_eq!(
        get("POSTGRES_HOST"),
        Some("lakehouse-pg.postgres.database.azure.com")
    );
    assert_eq!(get("POSTGRES_PORT"), Some("5432"));
    assert_eq!(get("AZURE_STORAGE_ACCOUNT_NAME"), Some("sto1125"));
    assert_eq!(get("AZURE_STORAGE_CONTAINER_NAME"), Some("container4052"));
    let argv = fake.argv();
    assert!(
        argv.iter()
            .any(|a| a.starts_with("account get-access-token")),
        "{argv:?}"
    );
    assert!(
        argv.iter().all(|a| !a.contains("SENTINEL")),
        "no token on az's command line: {argv:?}"
    );
}

#[test]
fn without_az_the_wizard_says_so_in_one_line_and_works_as_before() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // An empty directory is no project: `--root` says to set up there.
    let root = dir.path().display().to_string();
    // PATH without any az.
    let t = Tmux::start(
        dir.path(),
        std::path::Path::new(BIN),
        &["--root", &root],
        &[("NO_COLOR", "1"), ("PATH", "/usr/bin:/bin")],
        120,
        40,
    );
    let s = t.wait_for(&["Step 1 of 11", "Azure assist off"]);
    let lines: Vec<&str> = s
        .lines()
        .filter(|l| l.contains("Azure assist off"))
        .collect();
    assert_eq!(lines.len(), 1, "{s}");
    assert!(s.contains("az login"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for(&["Step 2 of 11"]);
    t.keys(&["C-l"]);
    // Asking again finds no `az` at once: the list closes and the one line stays.
    let s = t.wait_gone("Tenants you can sign in to");
    assert!(s.contains("Azure assist off"), "{s}");
    assert!(!s.contains("Could not list"), "no error box:\n{s}");
    t.type_text(TENANT);
    t.keys(&["Enter"]);
    t.wait_for(&["Azure cloud"]);
    t.keys(&["C-c", "y"]);
    t.wait_for(&["EXIT=130"]);
}

#[test]
fn line_mode_answers_a_question_mark_with_a_select_and_asks_again_with_the_pick() {
    if require_tool("tmux").is_none() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let stand = rt.block_on(StandIn::start());
    serve(&stand);
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().display().to_string();
    let path = fake.path_var();
    let t = Tmux::start(
        dir.path(),
        std::path::Path::new(BIN),
        &["--plain", "--root", &root],
        &[
            ("NO_COLOR", "1"),
            ("PATH", &path),
            ("LAKEKEEPER_SETUP_AZ_TIMEOUT", "20"),
        ],
        120,
        40,
    );
    t.wait_for(&["? Directory (tenant) ID", "? and Enter picks from Azure"]);
    t.type_text("?");
    t.keys(&["Enter"]);
    t.wait_for(&[
        "Tenants you can sign in to",
        "Contoso Corp.",
        "TEST_TEST_RDV",
    ]);
    t.type_text("contoso");
    t.keys(&["Enter"]);
    // The question again, the pick as its default.
    t.wait_for(&[&format!("? Directory (tenant) ID ({CONTOSO})")]);
    t.keys(&["Enter"]);
    t.wait_for(&["? Azure cloud"]);
    t.keys(&["Enter"]);
    t.wait_for(&["? Lakekeeper API application (client) ID"]);
    t.type_text("?");
    t.keys(&["Enter"]);
    t.wait_for(&[
        "App registrations: the Lakekeeper API app",
        "Lakekeeper backend",
    ]);
    t.type_text("Lakekeeper API");
    t.keys(&["Enter"]);
    t.wait_for(&[&format!(
        "? Lakekeeper API application (client) ID ({API_ID})"
    )]);
    t.keys(&["Enter"]);
    t.wait_for(&["? Lakekeeper API Application ID URI (api://lakekeeper-api)"]);
    t.keys(&["Escape"]);
    t.wait_for(&["Leave without writing anything?"]);
    t.keys(&["y", "Enter"]);
    t.wait_for(&["EXIT=130"]);
}
