//! Secrets from the team's Key Vault, end to end through the binary: a committed profile naming
//! the vault + a signed-in (fake) `az` → `apply --yes` writes a `.env` whose secrets equal the
//! vault's (read back by python-dotenv); `--dry-run` says where each secret came from, masked,
//! and flags a rotated one; vault errors name the role, the access policy or the name; without
//! `az`, signed out, slow or in the wrong tenant the run goes on with a one-line reason; `check`
//! flags a bad `[secrets]` table. No token or vault value is ever printed or on `az`'s argv.

mod support;

use std::process::Output;

use serde_json::{Value, json};
use support::azure::{AzMode, FakeAz, StandIn, fixture, token_for};
use support::project::Project;
use support::readers::python_dotenv;
use support::tools::require_python_module;

const V_CLIENT: &str = "SENTINEL-kvA-Q~9d8c7b6a5f4e3d2c1b0a";
const V_PG: &str = "SENTINEL-kvB-pa$$w0rd-1a2b3c4d5e";
const V_STORAGE: &str = "SENTINEL-kvC-7e6d5c4b3a29f8e7";
const V_ENC: &str = "SENTINEL-kvD-00112233445566778899aabbccdd";
const FILE_CLIENT: &str = "SENTINEL-fA-Q~0f1e2d3c4b5a6978";
const FILE_PG: &str = "SENTINEL-fB-9a8b7c6d5e4f3a2b";
const FILE_STORAGE: &str = "SENTINEL-fC-1f2e3d4c5b6a7988";
const ENV_ENC: &str = "SENTINEL-eD-99887766554433221100ffeeddccbb";

fn profile(base: &str) -> String {
    format!(
        "[entra]\ntenant = \"11111111-2222-3333-4444-555555555555\"\nauthority_host = \"http://127.0.0.1:9\"\n\n[lakekeeper_api]\nclient_id = \"aaaaaaaa-0000-4000-8000-000000000001\"\n\n[backend_service]\nclient_id = \"bbbbbbbb-0000-4000-8000-000000000002\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\ncredential = \"shared-key\"\n\n[lakekeeper]\nbase_uri = \"http://127.0.0.1:9\"\n\n[secrets]\nvault = \"{base}/team-dev-kv\"\nbackend_client_secret = \"lakekeeper-backend-client-secret\"\npostgres_password = \"lakekeeper-postgres-password\"\nstorage_account_key = \"adls-account-key\"\nencryption_key = \"lakekeeper-encryption-key\"\n"
    )
}

fn secret_body(name: &str, value: &str) -> Value {
    let mut b = fixture("keyvault/7.5-GetSecret-example.json")["responses"]["200"]["body"].clone();
    b["value"] = json!(value);
    b["id"] = json!(format!(
        "https://team-dev-kv.vault.azure.net/secrets/{name}/4387e9f3d6e14c459867679a90fd0f79"
    ));
    b
}

fn serve_vault(stand: &StandIn, values: &[(&str, &str)]) {
    for (name, value) in values {
        stand.json(
            &format!("/team-dev-kv/secrets/{name}"),
            200,
            &secret_body(name, value),
        );
    }
}

/// Runs the binary off the runtime (the stand-in keeps serving meanwhile).
async fn run(p: &Project, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = p.cmd();
    c.args(args).stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// No 12-character piece of any vault value, file secret or token in `hay`.
fn assert_clean(what: &str, hay: &str, extra: &[&str]) {
    let tokens = [
        token_for("https://vault.azure.net"),
        token_for("https://management.core.windows.net/"),
    ];
    for s in [
        V_CLIENT,
        V_PG,
        V_STORAGE,
        V_ENC,
        FILE_CLIENT,
        FILE_PG,
        FILE_STORAGE,
        ENV_ENC,
    ]
    .into_iter()
    .chain(tokens.iter().map(String::as_str))
    .chain(extra.iter().copied())
    {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(12) {
            let piece: String = w.iter().collect();
            assert!(!hay.contains(&piece), "{what} leaks {piece:?}:\n{hay}");
        }
    }
}

#[tokio::test]
async fn apply_yes_with_a_profile_naming_the_vault_writes_the_vaults_secrets() {
    let stand = StandIn::start().await;
    serve_vault(
        &stand,
        &[
            ("lakekeeper-backend-client-secret", V_CLIENT),
            ("lakekeeper-postgres-password", V_PG),
            ("adls-account-key", V_STORAGE),
            ("lakekeeper-encryption-key", V_ENC),
        ],
    );
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(&stand.base));
    let out = run(&p, &["apply", "--yes"], &[("PATH", &fake.path_var())]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("wrote"), "{all}");
    assert!(
        all.contains("from Key Vault team-dev-kv: lakekeeper-backend-client-secret"),
        "{all}"
    );
    assert_clean("apply output", &all, &[]);

    // The file holds exactly the vault's values, as the backend's reader reads them.
    if require_python_module("dotenv") {
        let read = python_dotenv(&p.path("backend/.env"));
        for (key, want) in [
            ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", V_CLIENT),
            ("POSTGRES_PASSWORD", V_PG),
            ("AZURE_STORAGE_ACCOUNT_KEY", V_STORAGE),
            ("LAKEKEEPER__PG_ENCRYPTION_KEY", V_ENC),
        ] {
            assert_eq!(
                read.get(key).cloned().flatten().as_deref(),
                Some(want),
                "{key}"
            );
        }
    }
    // The vault saw the Key Vault token (and only it); az's argv never held a token or value.
    let vault_token = token_for("https://vault.azure.net");
    let seen = stand.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(
        seen.iter()
            .all(|r| r.bearer.as_deref() == Some(vault_token.as_str()))
    );
    assert!(
        seen.iter()
            .all(|r| r.path_and_query.ends_with("?api-version=7.5")),
        "{seen:?}"
    );
    let argv = fake.argv().join("\n");
    assert!(argv.contains("account get-access-token -o json --resource https://vault.azure.net --tenant 11111111-2222-3333-4444-555555555555"), "{argv}");
    assert_clean("az argv", &argv, &[]);
    let profile_text = p.read("lakekeeper-setup.toml");
    assert_clean("the profile", &profile_text, &[]);
}

#[tokio::test]
async fn dry_run_says_where_each_secret_came_from_and_vault_errors_name_the_fix() {
    let stand = StandIn::start().await;
    serve_vault(&stand, &[("lakekeeper-backend-client-secret", V_CLIENT)]);
    stand.json(
        "/team-dev-kv/secrets/lakekeeper-postgres-password",
        403,
        &json!({"error": {"code": "Forbidden", "message": "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n", "innererror": {"code": "ForbiddenByRbac"}}}),
    );
    stand.json(
        "/team-dev-kv/secrets/adls-account-key",
        404,
        &json!({"error": {"code": "SecretNotFound", "message": "A secret with (name/id) adls-account-key was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"}}),
    );
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(&stand.base));
    let env_text = format!(
        "LAKEKEEPER__OAUTH2__CLIENT_SECRET={FILE_CLIENT}\nPOSTGRES_PASSWORD={FILE_PG}\nAZURE_STORAGE_ACCOUNT_KEY={FILE_STORAGE}\n"
    );
    p.write("backend/.env", &env_text);
    let path = fake.path_var();
    let out = run(
        &p,
        &["apply", "--dry-run"],
        &[("PATH", &path), ("LAKEKEEPER__PG_ENCRYPTION_KEY", ENV_ENC)],
    )
    .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("LAKEKEEPER__OAUTH2__CLIENT_SECRET ••••1b0a from Key Vault team-dev-kv: lakekeeper-backend-client-secret — differs from the value in .env (rotated in the vault)"), "{all}");
    assert!(all.contains("warning: LAKEKEEPER__OAUTH2__CLIENT_SECRET in Key Vault differs from the one in .env (rotated)"), "{all}");
    assert!(
        all.contains("POSTGRES_PASSWORD ••••3a2b from the existing .env"),
        "{all}"
    );
    assert!(
        all.contains("LAKEKEEPER__PG_ENCRYPTION_KEY ••••ccbb from the environment"),
        "{all}"
    );
    assert!(
        all.contains("user@contoso.com needs the role Key Vault Secrets User on team-dev-kv"),
        "{all}"
    );
    assert!(
        all.contains("Key Vault team-dev-kv has no secret named `adls-account-key`"),
        "{all}"
    );
    assert!(all.contains("dry run: nothing was written"), "{all}");
    assert_eq!(p.read("backend/.env"), env_text);
    assert_clean("dry-run output", &all, &[]);
    // The environment wins, so the vault was not asked for the encryption key.
    assert!(
        !stand
            .seen()
            .iter()
            .any(|r| r.path_and_query.contains("encryption"))
    );
    assert_clean("az argv", &fake.argv().join("\n"), &[]);

    // JSON: the same provenance, machine-readable.
    let out = run(
        &p,
        &["apply", "--dry-run", "--json"],
        &[("PATH", &path), ("LAKEKEEPER__PG_ENCRYPTION_KEY", ENV_ENC)],
    )
    .await;
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let client = v["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .find(|s| s["key"] == "LAKEKEEPER__OAUTH2__CLIENT_SECRET")
        .expect("client secret listed")
        .clone();
    assert_eq!(
        client["from"],
        "Key Vault team-dev-kv: lakekeeper-backend-client-secret"
    );
    assert_eq!(client["rotated"], true);
    assert_clean("dry-run JSON", &text(&out), &[]);
}

#[tokio::test]
async fn without_az_signed_out_slow_or_in_another_tenant_apply_goes_on_with_one_line() {
    let stand = StandIn::start().await;
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(&stand.base));
    p.write(
        "backend/.env",
        &format!("LAKEKEEPER__OAUTH2__CLIENT_SECRET={FILE_CLIENT}\nPOSTGRES_PASSWORD={FILE_PG}\nAZURE_STORAGE_ACCOUNT_KEY={FILE_STORAGE}\nLAKEKEEPER__PG_ENCRYPTION_KEY={ENV_ENC}\n"),
    );
    let empty = tempfile::tempdir().expect("dir");
    let cases: Vec<(Option<AzMode>, &str)> = vec![
        (
            None,
            "Key Vault team-dev-kv was not read: the Azure CLI (`az`) is not installed or not on PATH",
        ),
        (
            Some(AzMode::NotSignedIn),
            "Key Vault team-dev-kv was not read: not signed in to the Azure CLI; run `az login --tenant 11111111-2222-3333-4444-555555555555`",
        ),
        (Some(AzMode::Slow(4)), "did not finish within 1 s"),
        (
            Some(AzMode::WrongTenant),
            "sign in to that tenant with `az login --tenant 11111111-2222-3333-4444-555555555555`",
        ),
    ];
    for (mode, want) in cases {
        let fake = mode.map(|m| FakeAz::new(&stand.base, m));
        let path = fake.as_ref().map_or_else(
            || format!("{}:/usr/bin:/bin", empty.path().display()),
            FakeAz::path_var,
        );
        let out = run(
            &p,
            &["apply", "--dry-run"],
            &[("PATH", &path), ("LAKEKEEPER_SETUP_AZ_TIMEOUT", "1")],
        )
        .await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "{mode:?}: {all}");
        assert!(all.contains(want), "{mode:?}: {all}");
        assert!(
            all.contains("LAKEKEEPER__OAUTH2__CLIENT_SECRET ••••6978 from the existing .env"),
            "{mode:?}: {all}"
        );
        assert_clean("output", &all, &[]);
    }
    assert!(stand.seen().is_empty(), "no vault request without a token");
}

#[test]
fn check_flags_a_secrets_table_with_an_unknown_key_or_a_wrong_vault_url() {
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        "[secrets]\nvault = \"https://team-dev-kv.blob.core.windows.net\"\nbackend_secret = \"lakekeeper-backend-client-secret\"\n",
    );
    p.write("backend/.env", "POSTGRES_HOST=db\n");
    let out = p.cmd().arg("check").output().expect("check");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("secrets.vault: is not a vault URL: `https://team-dev-kv.blob.core.windows.net` is not a Key Vault address"), "{all}");
    assert!(
        all.contains("secrets.backend_secret: is not a secret this tool reads from Key Vault"),
        "{all}"
    );
    assert!(
        all.contains("use one of: vault, backend_client_secret, postgres_password"),
        "{all}"
    );
}

/// On a terminal, the wait for the Azure CLI turns a spinner with the seconds waited; the line
/// is gone once the secrets are read (and the dry run prints its plan as usual).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_a_slow_az_shows_a_spinner_with_the_seconds_waited() {
    if support::tools::require_tool("tmux").is_none() {
        return;
    }
    let stand = StandIn::start().await;
    serve_vault(
        &stand,
        &[
            ("lakekeeper-backend-client-secret", V_CLIENT),
            ("lakekeeper-postgres-password", V_PG),
            ("adls-account-key", V_STORAGE),
            ("lakekeeper-encryption-key", V_ENC),
        ],
    );
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(&stand.base));
    let fake = FakeAz::new(&stand.base, AzMode::Slow(2));
    let root = p.root().display().to_string();
    let path = fake.path_var();
    let start = |width: u16| {
        support::tmux::Tmux::start(
            p.root(),
            std::path::Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
            &["apply", "--dry-run", "--root", &root],
            &[
                ("PATH", &path),
                ("NO_COLOR", "1"),
                ("LAKEKEEPER_SETUP_AZ_TIMEOUT", "30"),
            ],
            width,
            30,
        )
    };
    let t = start(120);
    let waiting = "reading 4 secret(s) from Key Vault team-dev-kv through the Azure CLI… ";
    t.wait_for(&[waiting, "(the Azure CLI often takes 10 s or more)"]);
    // The seconds go on counting while `az` takes its time.
    t.wait_for(&[&format!(" 2s {waiting}")]);
    let done = t.wait_for(&["EXIT="]);
    assert!(!done.contains(waiting), "the spinner line stayed:\n{done}");
    assert!(done.contains("EXIT=0"), "{done}");
    assert!(
        !done.contains(V_CLIENT),
        "a vault secret reached the screen:\n{done}"
    );

    // Issue 20, item 18: on a 60-column terminal the line is cut to fit, and its redraws
    // (ten a second for seconds) replace it: it never fills the scrollback.
    let narrow = start(60);
    let shown = narrow.wait_for(&[" 1s reading 4 secret(s) from Key Vault"]);
    assert!(shown.lines().all(|l| l.chars().count() <= 60), "{shown}");
    narrow.wait_for(&["EXIT="]);
    let history = narrow.history();
    let spinner_lines = history
        .lines()
        .filter(|l| l.contains("reading 4 secret(s)") || l.contains("often takes 10 s"))
        .count();
    assert_eq!(spinner_lines, 0, "redraws left lines behind:\n{history}");
}
