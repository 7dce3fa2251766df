//! `warehouse --production`: as the person signed in to the Azure CLI (a user token for the
//! production API's scope `<api_app_id_uri>/lakekeeper`), never a laptop's service account; the
//! storage credential is Lakekeeper's managed identity (`azure-system-identity`, Lakekeeper
//! v0.13.3's `AzCredential::AzureSystemIdentity`), so no secret goes anywhere. Against an
//! in-process mock of Lakekeeper's management API; the CLI's own part (the body, the `az`
//! call and its refusal) through the binary with a fake `az`.

mod support;

use std::os::unix::fs::PermissionsExt;

use lakekeeper_setup::secret::Secret;
use lakekeeper_setup::verify::entra::Token;
use lakekeeper_setup::verify::warehouse::{
    WarehouseError, WarehouseOutcome, create_production_warehouse,
};
use serde_json::{Value, json};
use support::http_mock::MockServer;
use support::project::{FAKE_SECRET, PROFILE, Project};
use support::verify_env::{
    ACCOUNT, CONTAINER, KEY_PREFIX, LOCATION, WAREHOUSE, config, only, warehouse_list,
};

const USER_TOKEN: &str = "fake-user-token-for-the-production-scope";
const EMPTY: &str = r#"{"warehouses":[]}"#;
const ALREADY: &str = r#"{"error":{"message":"Catalog already bootstrapped","type":"CatalogAlreadyBootstrapped","code":400}}"#;
const SCOPE: &str = "api://lakekeeper-prod.example.com/lakekeeper";

fn user_token() -> Token {
    Token {
        access_token: Secret::new(USER_TOKEN),
        expires_in: None,
    }
}

fn body(r: &support::http_mock::Recorded) -> Value {
    serde_json::from_str(&r.body).expect("json")
}

#[tokio::test]
async fn a_new_warehouse_uses_lakekeepers_managed_identity_and_the_persons_token() {
    let lk = MockServer::start().await;
    lk.on("POST", "/management/v1/bootstrap", 204, "")
        .on("GET", "/management/v1/warehouse", 200, EMPTY)
        .on(
            "POST",
            "/management/v1/warehouse",
            201,
            r#"{"warehouse-id":"0194b3c2-0000-7000-8000-000000000001"}"#,
        );
    // The laptop's config still holds a service account and a storage secret: neither is used.
    let cfg = config("http://127.0.0.1:9", &lk.base);
    let outcome = create_production_warehouse(&cfg, &user_token())
        .await
        .expect("created");
    assert_eq!(
        outcome,
        WarehouseOutcome::Created {
            name: WAREHOUSE.into(),
            location: LOCATION.into(),
            bootstrapped_now: true
        }
    );
    let requests = lk.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            r.bearer.as_deref(),
            Some(USER_TOKEN),
            "{} {}",
            r.method,
            r.path
        );
        assert!(!r.body.contains("client-secret") && !r.body.contains("fake-secret"));
    }
    let create = requests
        .iter()
        .find(|r| r.method == "POST" && r.path == "/management/v1/warehouse")
        .expect("create sent");
    assert_eq!(
        body(create)["storage-credential"],
        json!({"type": "az", "credential-type": "azure-system-identity"})
    );
    assert_eq!(
        body(create)["storage-profile"],
        json!({"type": "adls", "account-name": ACCOUNT, "filesystem": CONTAINER, "key-prefix": KEY_PREFIX,
            "host": "dfs.core.windows.net", "authority-host": "http://127.0.0.1:9"})
    );
}

#[tokio::test]
async fn an_existing_warehouse_gets_the_managed_identity_and_a_rerun_changes_nothing_else() {
    let lk = MockServer::start().await;
    lk.on("POST", "/management/v1/bootstrap", 400, ALREADY)
        .on(
            "GET",
            "/management/v1/warehouse",
            200,
            &warehouse_list(KEY_PREFIX),
        )
        .on(
            "POST",
            "/management/v1/warehouse/0194b3c2-0000-7000-8000-000000000001/storage-credential",
            200,
            "{}",
        );
    let cfg = config("http://127.0.0.1:9", &lk.base);
    for _ in 0..2 {
        let outcome = create_production_warehouse(&cfg, &user_token())
            .await
            .expect("updated");
        assert_eq!(
            outcome,
            WarehouseOutcome::CredentialUpdated {
                name: WAREHOUSE.into(),
                location: LOCATION.into(),
                // The list shows the laptop's kind; the managed identity is what is sent.
                was: Some("client-credentials".into()),
                now: "azure-system-identity".into(),
                bootstrapped_now: false
            }
        );
    }
    let requests = lk.requests();
    let updates: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/storage-credential"))
        .collect();
    assert_eq!(updates.len(), 2);
    assert_eq!(
        body(updates[0]),
        json!({"new-storage-credential": {"type": "az", "credential-type": "azure-system-identity"}})
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.method == "POST" && r.path == "/management/v1/warehouse"),
        "never created twice"
    );
}

/// `verify --production`'s `lakekeeper` check calls the management API with the person's
/// token (production refuses the laptop's service account), and says whose token is missing.
#[tokio::test]
async fn verify_production_calls_lakekeeper_with_the_persons_token() {
    let lk = MockServer::start().await;
    lk.on("GET", "/health", 200, r#"{"health":"ok"}"#).on(
        "GET",
        "/management/v1/info",
        200,
        r#"{"version":"0.13.3","bootstrapped":true}"#,
    );
    // The authority is a closed port: no client-credentials request may be needed.
    let mut cfg = only(config("http://127.0.0.1:9", &lk.base), &["lakekeeper"]);
    cfg.token_source = lakekeeper_setup::verify::TokenSource::Given {
        token: user_token(),
        from: "you".into(),
    };
    let report = lakekeeper_setup::verify::run(&cfg, None).await;
    let info: Vec<_> = lk
        .requests()
        .into_iter()
        .filter(|r| r.path == "/management/v1/info")
        .collect();
    assert_eq!(info.len(), 1, "{report:#?}");
    assert_eq!(info[0].bearer.as_deref(), Some(USER_TOKEN));

    cfg.token_source = lakekeeper_setup::verify::TokenSource::Refused {
        why: "no token".into(),
        fix: "az login".into(),
    };
    let report = lakekeeper_setup::verify::run(&cfg, None).await;
    let l = report
        .get(lakekeeper_setup::verify::CheckName::Lakekeeper)
        .expect("lakekeeper");
    assert_eq!(
        l.summary,
        "healthy; management API not checked: no token of yours for production's scope"
    );
}

#[tokio::test]
async fn a_person_without_the_app_role_is_told_what_to_do() {
    let lk = MockServer::start().await;
    lk.on("POST", "/management/v1/bootstrap", 401, "");
    let cfg = config("http://127.0.0.1:9", &lk.base);
    let e = create_production_warehouse(&cfg, &user_token())
        .await
        .expect_err("refused");
    assert!(matches!(e, WarehouseError::UserUnauthorized), "{e}");
    assert!(
        e.to_string()
            .contains("sign in to the Azure CLI as someone who holds production's app role"),
        "{e}"
    );
}

/// A fake `az` that logs its argv and answers `get-access-token --scope <SCOPE>` only when
/// `signed_in`.
fn fake_az(dir: &std::path::Path, signed_in: bool) {
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    let answer = if signed_in {
        format!(
            "echo '{{\"accessToken\": \"{USER_TOKEN}\", \"expires_on\": {expires}, \"tenant\": \"11111111-2222-3333-4444-555555555555\", \"tokenType\": \"Bearer\"}}'"
        )
    } else {
        "echo \"ERROR: Please run 'az login' to setup account.\" >&2; exit 1".to_owned()
    };
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}/argv.log'\ncase \"$*\" in\n  *'--scope {SCOPE}'*) {answer} ;;\n  *) echo \"ERROR: not in the fake: $*\" >&2; exit 2 ;;\nesac\n",
        dir.display()
    );
    let az = dir.join("az");
    std::fs::write(&az, script).expect("write az");
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn the_cli_asks_the_azure_cli_for_the_persons_token_and_sends_no_secret() {
    let p = Project::fixture();
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{PROFILE}\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\napi_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod.example.com\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\n"
        ),
    );
    p.apply_ok(&[("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)]);
    let tools = tempfile::tempdir().expect("tools");
    let path = format!(
        "{}:{}",
        tools.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The dry run shows the body: Lakekeeper's managed identity, no secret.
    fake_az(tools.path(), false);
    let out = p
        .cmd()
        .args(["warehouse", "--production", "--dry-run", "--json"])
        .env("PATH", &path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        json["request"]["storage-credential"],
        json!({"type": "az", "credential-type": "azure-system-identity"})
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(FAKE_SECRET));

    // Not signed in: refused before anything is sent, naming what to do.
    let out = p
        .cmd()
        .args(["warehouse", "--production"])
        .env("PATH", &path)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("no token for {SCOPE} from the Azure CLI")),
        "{err}"
    );
    assert!(
        err.contains("runs as you, never as a laptop's service account"),
        "{err}"
    );
    assert!(err.contains("az login"), "{err}");
    let argv = std::fs::read_to_string(tools.path().join("argv.log")).expect("az ran");
    assert!(
        argv.lines()
            .any(|l| l.starts_with("account get-access-token")
                && l.contains(&format!("--scope {SCOPE}"))),
        "{argv}"
    );
    assert!(!argv.contains("--resource"), "{argv}");
}
