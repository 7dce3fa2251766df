//! `verify`'s `key-vault` result can be asked for by name, as the docs name it:
//! `verify --only key-vault` compares `.env`'s secrets with the team's vault (a fake `az` and the
//! loopback Key Vault stand-in), alone or with another check; a name that is not a check still
//! lists every name `--only` takes.

mod support;

use std::process::Output;

use serde_json::{Value, json};
use support::azure::{AzMode, FakeAz, StandIn, fixture};
use support::project::Project;

const V_CLIENT: &str = "fake-kv-client-secret-0123456789";
const V_PG: &str = "fake-kv-postgres-password-0123";

fn profile(base: &str) -> String {
    format!(
        "[entra]\ntenant = \"11111111-2222-3333-4444-555555555555\"\nauthority_host = \"http://127.0.0.1:9\"\n\n[lakekeeper_api]\nclient_id = \"aaaaaaaa-0000-4000-8000-000000000001\"\n\n[backend_service]\nclient_id = \"bbbbbbbb-0000-4000-8000-000000000002\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\ncredential = \"shared-key\"\n\n[lakekeeper]\nbase_uri = \"http://127.0.0.1:9\"\n\n[secrets]\nvault = \"{base}/team-dev-kv\"\nbackend_client_secret = \"lakekeeper-backend-client-secret\"\npostgres_password = \"lakekeeper-postgres-password\"\n"
    )
}

fn serve(stand: &StandIn, name: &str, value: &str) {
    let mut b = fixture("keyvault/7.5-GetSecret-example.json")["responses"]["200"]["body"].clone();
    b["value"] = json!(value);
    b["id"] = json!(format!(
        "https://team-dev-kv.vault.azure.net/secrets/{name}/4387e9f3d6e14c459867679a90fd0f79"
    ));
    stand.json(&format!("/team-dev-kv/secrets/{name}"), 200, &b);
}

async fn run(p: &Project, args: &[&str], path: &str) -> Output {
    let mut c = p.cmd();
    c.args(args)
        .env("PATH", path)
        .stdin(std::process::Stdio::null());
    tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join")
}

fn checks(out: &Output) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    doc["checks"].as_array().expect("checks").clone()
}

#[tokio::test]
async fn verify_only_key_vault_runs_that_result_alone() {
    let stand = StandIn::start().await;
    serve(&stand, "lakekeeper-backend-client-secret", V_CLIENT);
    serve(&stand, "lakekeeper-postgres-password", V_PG);
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(&stand.base));
    p.write(
        "backend/.env",
        &format!(
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET={V_CLIENT}\nPOSTGRES_PASSWORD=fake-stale-password-99\n"
        ),
    );

    let out = run(
        &p,
        &["verify", "--only", "key-vault", "--json"],
        &fake.path_var(),
    )
    .await;
    let found = checks(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["name"], "key-vault");
    assert_eq!(found[0]["status"], "failed", "{found:?}");
    assert!(
        found[0]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("1 secret(s) in .env differ from Key Vault team-dev-kv")),
        "{found:?}"
    );
    assert_eq!(out.status.code(), Some(1));

    // With another check: both, and only those two.
    let out = run(
        &p,
        &["verify", "--only", "shadowing,key-vault", "--json"],
        &fake.path_var(),
    )
    .await;
    let names: Vec<String> = checks(&out)
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["shadowing", "key-vault"]);
}

#[tokio::test]
async fn verify_only_key_vault_without_a_vault_says_so() {
    let p = Project::empty();
    p.write("backend/.env", "POSTGRES_PASSWORD=fake-password-1\n");
    let out = run(
        &p,
        &["verify", "--only", "key-vault", "--json"],
        &std::env::var("PATH").unwrap_or_default(),
    )
    .await;
    let found = checks(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["status"], "skipped", "{found:?}");
    assert_eq!(
        found[0]["summary"],
        "the profile names no Key Vault ([secrets] vault)"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test]
async fn an_unknown_name_lists_key_vault_among_the_checks() {
    let p = Project::empty();
    p.write("backend/.env", "POSTGRES_PASSWORD=fake-password-1\n");
    let out = run(
        &p,
        &["verify", "--only", "keyvault"],
        &std::env::var("PATH").unwrap_or_default(),
    )
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`keyvault` is not a check; --only takes a comma list of: oidc-discovery, token, token-claims, postgres, storage, lakekeeper, shadowing, key-vault"),
        "{err}"
    );
}
