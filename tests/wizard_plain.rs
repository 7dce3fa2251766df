//! The wizard's other front doors, end to end: line prompts (`--plain`, `TERM=dumb`) driven
//! through tmux, and the refusal without a terminal.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::tmux::Tmux;
use support::tools::require_tool;
use support::wizard::{
    API_ID, BACKEND_ID, BACKEND_SECRET, BIN, PG_PASSWORD, TENANT, files_under, read_env, start,
};

#[test]
fn without_a_terminal_it_refuses_in_one_line_naming_apply() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = assert_cmd::Command::new(BIN)
        .current_dir(dir.path())
        .timeout(Duration::from_secs(20))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("lakekeeper-setup apply"), "{err}");
    assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn plain_line_prompts_fill_every_step_with_the_same_validation_and_write() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let t = start(dir.path(), &["--plain"]);
    let ask = |label: &str, keys: &[&str], text: Option<&str>| {
        t.wait_for(&[&format!("? {label}")]);
        if let Some(s) = text {
            t.type_text(s);
        }
        t.keys(keys);
    };
    ask("Directory (tenant) ID", &["Enter"], Some("common"));
    // The validator's message, as in the full-screen wizard; the prompt stays.
    t.wait_for(&["`common` is a multi-tenant alias"]);
    t.keys(&["BSpace"; 6]);
    t.type_text(TENANT);
    t.keys(&["Enter"]);
    ask("Azure cloud", &["Enter"], None);
    ask(
        "Lakekeeper API application (client) ID",
        &["Enter"],
        Some(&format!("{{{}}}", API_ID.to_uppercase())),
    );
    t.wait_for(&[&format!("normalised to {API_ID}")]);
    ask("Lakekeeper API Application ID URI", &["Enter"], None);
    ask(
        "Backend service account application (client) ID",
        &["Enter"],
        Some(BACKEND_ID),
    );
    t.wait_for(&["? Backend service account client secret (Value)"]);
    t.paste(BACKEND_SECRET);
    t.keys(&["Enter"]);
    // Line mode names only its own keys: an empty answer skips, there is no Ctrl-S.
    let ui = t.wait_for(&["? Lakekeeper UI application (client) ID"]);
    assert!(ui.contains("Leave the field empty to skip it"), "{ui}");
    ask("Lakekeeper UI application (client) ID", &["Enter"], None);
    ask("PostgreSQL host", &["Enter"], Some("db.example.test"));
    ask("PostgreSQL port", &["Enter"], None);
    ask("PostgreSQL database", &["Enter"], Some("lakekeeper"));
    ask("PostgreSQL user", &["Enter"], Some("lakekeeper"));
    ask("PostgreSQL password", &["Enter"], Some(PG_PASSWORD));
    ask("PostgreSQL sslmode", &["Enter"], None);
    ask("Lakekeeper's own schema", &["Enter"], None);
    ask("Storage account name", &["Enter"], Some("fakeaccount"));
    ask("Container (filesystem)", &["Enter"], Some("warehouse"));
    ask("Key prefix inside the container", &["Enter"], None);
    ask("Warehouse storage credential", &["Enter"], None);
    ask("Storage account key", &["Enter"], None);
    ask("Warehouse storage app (client) ID", &["Enter"], None);
    ask("Warehouse storage app client secret", &["Enter"], None);
    ask("Warehouse name", &["Enter"], None);
    ask("Encryption key", &["Enter"], None);
    // The optional Production step, taken: the same validator as `export helm`, its message
    // under the prompt, which stays.
    t.wait_for(&[
        "── Step 9 of 11: Production on Kubernetes (optional) ──",
        "? Deploy to Kubernetes?",
        "> Skip: no Kubernetes deployment for now",
    ]);
    t.keys(&["Down", "Enter"]);
    ask(
        "Production base URI (public https URL)",
        &["Enter"],
        Some("http://lakekeeper.example.com"),
    );
    t.wait_for(&["`http://lakekeeper.example.com` uses plain http"]);
    t.keys(&["BSpace"; 29]);
    t.type_text("https://LakeKeeper.example.com/");
    t.keys(&["Enter"]);
    t.wait_for(&["normalised to https://lakekeeper.example.com"]);
    ask("Kubernetes namespace", &["Enter"], None); // lakekeeper
    ask("Helm release name", &["Enter"], None); // lakekeeper
    ask("Lakekeeper replicas", &["Enter"], None); // 2
    ask(
        "Ingress host name",
        &["Enter"],
        Some("lakekeeper.example.com"),
    );
    ask("Ingress class", &["Enter"], None);
    ask("Ingress TLS Secret", &["Enter"], Some("lakekeeper-tls"));
    ask(
        "Production PostgreSQL host",
        &["Enter"],
        Some("prod-pg.postgres.database.azure.com"),
    );
    ask("How the release is deployed", &["Enter"], None); // helm-wait
    t.wait_for(&["? Next", "Write"]);
    let review = t.history();
    assert!(review.contains("Your answers"), "{review}");
    assert!(
        review.contains("Production on Kubernetes ([production])"),
        "{review}"
    );
    assert!(
        review.contains("The production answers go to [production] in"),
        "{review}"
    );
    assert!(
        review.contains("+ LAKEKEEPER__OAUTH2__CLIENT_SECRET=••••WXYZ"),
        "{review}"
    );
    for secret in [BACKEND_SECRET, PG_PASSWORD] {
        assert!(
            !review.contains(secret),
            "line mode shows a secret:\n{review}"
        );
    }
    for key in lakekeeper_setup::strings::FULL_SCREEN_ONLY_KEYS {
        assert!(
            !review.contains(key),
            "line mode mentions `{key}`:\n{review}"
        );
    }
    assert!(
        review.contains("Choose Write below to write these changes."),
        "{review}"
    );
    t.keys(&["Enter"]);
    // The live checks are offered, default no: Enter leaves without any network call.
    t.wait_for(&[
        "wrote",
        "? Check the setup live now (lakekeeper-setup verify)? (y/N)",
    ]);
    t.keys(&["Enter"]);
    // Then no export: production has no identities of its own yet (`export helm` would
    // refuse), and the end says which command records them.
    let end = t.wait_for(&["EXIT=0"]);
    assert!(!end.contains("Checking the setup live"), "{end}");
    let history = t.history();
    assert!(
        !history.contains("Write the Helm values for production now"),
        "{history}"
    );
    assert!(
        history.contains("run `lakekeeper-setup azure bootstrap --production`"),
        "{history}"
    );
    drop(t);
    // The profile holds the production answers (defaults left out), the .env none of them.
    let profile = std::fs::read_to_string(dir.path().join("lakekeeper-setup.toml"))
        .expect("the profile is written for the production answers");
    assert_eq!(
        profile,
        "[production]\nbase_uri = \"https://lakekeeper.example.com\"\ningress_host = \"lakekeeper.example.com\"\ntls_secret = \"lakekeeper-tls\"\npostgres_host = \"prod-pg.postgres.database.azure.com\"\n"
    );
    let env_text = std::fs::read_to_string(dir.path().join("backend/.env")).expect("written");
    for prod in ["lakekeeper.example.com", "prod-pg", "lakekeeper-tls"] {
        assert!(!env_text.contains(prod), "{prod} reached backend/.env");
    }
    assert!(!dir.path().join("deploy").exists(), "nothing exported");
    let env = read_env(&dir.path().join("backend/.env"));
    assert_eq!(
        env.get("LAKEKEEPER__OAUTH2__TENANT_ID").map(String::as_str),
        Some(TENANT)
    );
    assert_eq!(
        env.get("LAKEKEEPER__OPENID_AUDIENCE").map(String::as_str),
        Some(format!("api://{API_ID},{API_ID}").as_str())
    );
    assert_eq!(
        env.get("LAKEKEEPER__OAUTH2__CLIENT_SECRET")
            .map(String::as_str),
        Some(BACKEND_SECRET)
    );
    assert_eq!(
        env.get("POSTGRES_PASSWORD").map(String::as_str),
        Some(PG_PASSWORD)
    );
    assert_eq!(
        env.get("AZURE_STORAGE_ACCOUNT_KEY"),
        None,
        "client-credentials: no account key"
    );
    // Lakekeeper's own schema, by default, in both URLs.
    for key in [
        "LAKEKEEPER__PG_DATABASE_URL_READ",
        "LAKEKEEPER__PG_DATABASE_URL_WRITE",
    ] {
        assert!(
            env.get(key)
                .is_some_and(|u| u.ends_with("&options=-c%20search_path%3Dlakekeeper%2Cpublic")),
            "{key}: {:?}",
            env.get(key)
        );
    }
}

#[test]
fn term_dumb_falls_back_to_line_prompts() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().display().to_string();
    let t = Tmux::start(
        dir.path(),
        Path::new(BIN),
        &["--root", &root],
        &[("TERM", "dumb")],
        120,
        40,
    );
    t.wait_for(&[
        "── Step 2 of 11: Entra tenant and cloud ──",
        "? Directory (tenant) ID",
    ]);
    t.keys(&["C-c"]);
    t.wait_for(&["Leave without writing anything?"]);
    t.keys(&["Enter"]);
    t.wait_for(&["EXIT=130"]);
    assert_eq!(files_under(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn plain_help_wraps_at_word_boundaries_on_a_narrow_terminal() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().display().to_string();
    let t = Tmux::start(
        dir.path(),
        Path::new(BIN),
        &["--plain", "--root", &root],
        &[("NO_COLOR", "1")],
        50,
        60,
    );
    let screen = t.wait_for(&["? Directory (tenant) ID"]);
    // Every word of the welcome and tenant help arrives whole: the terminal broke none.
    let words: Vec<&str> = screen.split_whitespace().collect();
    for help in [
        include_str!("../assets/help/welcome.txt"),
        include_str!("../assets/help/tenant.txt"),
    ] {
        for w in help.split_whitespace() {
            assert!(words.contains(&w), "`{w}` was broken:\n{screen}");
        }
    }
    t.keys(&["C-c"]);
    t.wait_for(&["Leave without writing anything?"]);
    t.keys(&["Enter"]);
    t.wait_for(&["EXIT=130"]);
}

/// Answers the laptop's steps of a fresh project in line mode (the first test checks them).
fn laptop_steps(t: &Tmux) {
    let ask = |label: &str, text: Option<&str>| {
        t.wait_for(&[&format!("? {label}")]);
        if let Some(s) = text {
            t.type_text(s);
        }
        t.keys(&["Enter"]);
    };
    ask("Directory (tenant) ID", Some(TENANT));
    ask("Azure cloud", None);
    ask("Lakekeeper API application (client) ID", Some(API_ID));
    ask("Lakekeeper API Application ID URI", None);
    ask(
        "Backend service account application (client) ID",
        Some(BACKEND_ID),
    );
    t.wait_for(&["? Backend service account client secret (Value)"]);
    t.paste(BACKEND_SECRET);
    t.keys(&["Enter"]);
    ask("Lakekeeper UI application (client) ID", None);
    ask("PostgreSQL host", Some("db.example.test"));
    ask("PostgreSQL port", None);
    ask("PostgreSQL database", Some("lakekeeper"));
    ask("PostgreSQL user", Some("lakekeeper"));
    ask("PostgreSQL password", Some(PG_PASSWORD));
    for label in ["PostgreSQL sslmode", "Lakekeeper's own schema"] {
        ask(label, None);
    }
    ask("Storage account name", Some("fakeaccount"));
    ask("Container (filesystem)", Some("warehouse"));
    for label in [
        "Key prefix inside the container",
        "Warehouse storage credential",
        "Storage account key",
        "Warehouse storage app (client) ID",
        "Warehouse storage app client secret",
        "Warehouse name",
        "Encryption key",
    ] {
        ask(label, None);
    }
    t.wait_for(&["? Deploy to Kubernetes?"]);
}

#[test]
fn line_mode_keeps_a_gitops_alias_and_an_empty_base_uri_skips() {
    if require_tool("tmux").is_none() {
        return;
    }
    // `argocd` in the profile: the deploy question starts on gitops, Enter keeps it.
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("lakekeeper-setup.toml");
    std::fs::write(
        &profile,
        "[production]\nbase_uri = \"https://lakekeeper.example.com\"\ndeploy = \"argocd\"\n",
    )
    .expect("profile");
    let t = start(dir.path(), &["--plain"]);
    laptop_steps(&t);
    t.keys(&["Down", "Enter"]); // change the answers
    for label in [
        "Production base URI (public https URL)",
        "Kubernetes namespace",
        "Helm release name",
        "Lakekeeper replicas",
        "Ingress host name",
        "Ingress class",
        "Ingress TLS Secret",
        "Production PostgreSQL host",
    ] {
        t.wait_for(&[&format!("? {label}")]);
        t.keys(&["Enter"]);
    }
    t.wait_for(&["? How the release is deployed", "> gitops"]);
    t.keys(&["Enter"]);
    t.wait_for(&["? Next", "Write"]);
    t.keys(&["Enter"]);
    t.wait_for(&["? Check the setup live now"]);
    t.keys(&["Enter"]);
    // No identities of its own yet: the export is not offered, the end names bootstrap.
    let end = t.wait_for(&["EXIT=0"]);
    assert!(!end.contains("Write the Helm values"), "{end}");
    assert!(t.history().contains("azure bootstrap --production"));
    drop(t);
    let written = std::fs::read_to_string(&profile).expect("profile");
    assert_eq!(
        written,
        "[production]\nbase_uri = \"https://lakekeeper.example.com\"\ndeploy = \"gitops\"\n"
    );

    // No table, "Set up" chosen by mistake: an empty base URI skips the step.
    let dir = tempfile::tempdir().expect("tempdir");
    let t = start(dir.path(), &["--plain"]);
    laptop_steps(&t);
    t.keys(&["Down", "Enter"]);
    let screen = t.wait_for(&["? Production base URI (public https URL)"]);
    assert!(
        screen.contains("Enter with nothing skips production"),
        "{screen}"
    );
    t.keys(&["Enter"]);
    t.wait_for(&["? Next", "Write"]);
    let review = t.history();
    assert!(
        !review.contains("Production on Kubernetes ([production])"),
        "{review}"
    );
    t.keys(&["Enter"]);
    t.wait_for(&["? Check the setup live now"]);
    t.keys(&["Enter"]);
    let end = t.wait_for(&["EXIT=0"]);
    assert!(!end.contains("Write the Helm values"), "{end}");
    drop(t);
    assert!(!dir.path().join("lakekeeper-setup.toml").exists());
}

#[test]
fn line_mode_blocked_by_a_key_it_does_not_ask_asks_the_choice_again() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let profile = dir.path().join("lakekeeper-setup.toml");
    let before =
        "[production]\nbase_uri = \"https://lakekeeper.example.com\"\nsecret_name = \"Bad_Name\"\n";
    std::fs::write(&profile, before).expect("profile");
    let t = start(dir.path(), &["--plain"]);
    laptop_steps(&t);
    t.wait_for(&["! [production] secret_name: `Bad_Name` is not a Kubernetes Secret name"]);
    t.keys(&["Down", "Enter"]); // change the answers
    for label in [
        "Production base URI (public https URL)",
        "Kubernetes namespace",
        "Helm release name",
        "Lakekeeper replicas",
        "Ingress host name",
        "Ingress class",
        "Ingress TLS Secret",
        "Production PostgreSQL host",
        "How the release is deployed",
    ] {
        t.wait_for(&[&format!("? {label}")]);
        t.keys(&["Enter"]);
    }
    // Not the deploy question again: the choice, with what is wrong.
    t.wait_for(&[
        "✗ lakekeeper-setup.toml needs fixing before production can be set up",
        "> Change the production answers",
    ]);
    t.keys(&["Up", "Enter"]); // keep it as it is
    t.wait_for(&["? Next", "Write"]);
    t.keys(&["Enter"]);
    t.wait_for(&["? Check the setup live now"]);
    t.keys(&["Enter"]);
    let end = t.wait_for(&["EXIT=0"]);
    assert!(
        !end.contains("Write the Helm values"),
        "the export would refuse the table: {end}"
    );
    drop(t);
    assert_eq!(std::fs::read_to_string(&profile).expect("profile"), before);
}
