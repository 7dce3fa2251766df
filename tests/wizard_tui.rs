//! The wizard end to end: the real binary in a real pseudo-terminal (tmux), typed and pasted
//! into like a person would, then the files on disk read back with dotenvy.

mod support;

use std::path::PathBuf;

use support::project::{FAKE_SECRET, PROFILE, Project};
use support::tools::require_tool;
use support::wizard::{
    ACCOUNT_KEY, API_ID, BACKEND_ID, BACKEND_SECRET, PG_PASSWORD, TENANT, answer, files_under,
    read_env, start,
};

#[test]
fn fills_every_step_writes_then_a_rerun_of_only_enter_changes_nothing() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let t = start(dir.path(), &[]);
    t.wait_for(&["Step 1 of 11: Welcome", "not found, will be created"]);
    t.keys(&["Enter"]);

    t.wait_for(&["Step 2 of 11"]);
    // A pasted login URL: the tenant GUID is taken out of it, with a note.
    t.paste(&format!(
        "https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration"
    ));
    t.wait_for(&["took the tenant ID"]);
    t.keys(&["Enter", "Enter"]);

    t.wait_for(&["Step 3 of 11"]);
    answer(&t, API_ID);
    t.wait_for(&[&format!("api://{API_ID}")]);
    t.keys(&["Enter"]);

    t.wait_for(&["Step 4 of 11"]);
    answer(&t, BACKEND_ID);
    // A secret pasted into the masked field shows as bullets only.
    t.paste(BACKEND_SECRET);
    let s = t.wait_for(&["••••••••••"]);
    assert!(
        !s.contains(BACKEND_SECRET),
        "the pasted secret is masked:\n{s}"
    );
    t.keys(&["Enter"]);

    t.wait_for(&["Step 5 of 11"]);
    t.keys(&["C-s"]);

    t.wait_for(&["Step 6 of 11", "Lakekeeper needs PostgreSQL 15"]);
    answer(&t, "DB.Example.Test");
    t.keys(&["Enter"]); // port 5432
    answer(&t, "lakekeeper_catalog");
    answer(&t, "lakekeeper");
    answer(&t, PG_PASSWORD);
    t.keys(&["Enter"]); // sslmode require
    t.keys(&["Enter"]); // Lakekeeper's own schema: lakekeeper

    t.wait_for(&["Step 7 of 11"]);
    t.paste("abfss://warehouse@fakeaccount.dfs.core.windows.net/team/lakekeeper/");
    t.wait_for(&["split abfss://warehouse@fakeaccount.dfs.core.windows.net/team/lakekeeper"]);
    t.keys(&["Enter", "Enter", "Enter"]); // account, container, prefix
    t.keys(&["Right", "Enter"]); // shared-key
    answer(&t, ACCOUNT_KEY);
    t.keys(&["Enter", "Enter"]); // no separate storage app
    t.keys(&["C-u"]); // the field holds the default
    answer(&t, "main_warehouse");

    t.wait_for(&["Step 8 of 11", "(•) Generate a new random key"]);
    t.keys(&["Enter"]);

    // The optional Production step: one Enter skips it.
    t.wait_for(&[
        "Step 9 of 11: Production on Kubernetes (optional)",
        "(•) Skip: no Kubernetes deployment for now",
    ]);
    t.keys(&["Enter"]);

    let review = t.wait_for(&["Step 10 of 11: Review", "Your answers", "••••WXYZ"]);
    assert!(
        !review.contains("Production on Kubernetes"),
        "a skipped step adds nothing to the review:\n{review}"
    );
    for secret in [BACKEND_SECRET, PG_PASSWORD, ACCOUNT_KEY] {
        assert!(!review.contains(secret), "review shows a secret:\n{review}");
    }
    // Also save the team profile; the review is recomputed with it.
    t.keys(&["p"]);
    t.wait_for(&["don't save profile"]);
    t.keys(&["Enter"]);
    let done = t.wait_for(&["Step 11 of 11: Done", "wrote", "lakekeeper-setup verify"]);
    assert!(done.contains("lakekeeper-setup.toml"), "{done}");
    assert!(done.contains("backend/.env"), "{done}");
    assert!(
        !done.contains("export helm"),
        "no export is offered without production answers:\n{done}"
    );
    t.keys(&["Enter"]);
    t.wait_for(&["EXIT=0"]);
    drop(t);

    let env_path = dir.path().join("backend/.env");
    let env = read_env(&env_path);
    let get = |k: &str| env.get(k).map(String::as_str);
    assert_eq!(get("LAKEKEEPER__OAUTH2__TENANT_ID"), Some(TENANT));
    assert_eq!(get("LAKEKEEPER__OAUTH2__CLIENT_ID"), Some(BACKEND_ID));
    assert_eq!(
        get("LAKEKEEPER__OAUTH2__CLIENT_SECRET"),
        Some(BACKEND_SECRET)
    );
    assert_eq!(
        get("LAKEKEEPER__OAUTH2__SCOPE"),
        Some(format!("api://{API_ID}/.default").as_str())
    );
    assert_eq!(
        get("LAKEKEEPER__OPENID_AUDIENCE"),
        Some(format!("api://{API_ID},{API_ID}").as_str())
    );
    assert_eq!(
        get("POSTGRES_HOST"),
        Some("db.example.test"),
        "host normalised to lower case"
    );
    assert_eq!(get("POSTGRES_PORT"), Some("5432"));
    assert_eq!(get("POSTGRES_DB"), Some("lakekeeper_catalog"));
    assert_eq!(get("POSTGRES_PASSWORD"), Some(PG_PASSWORD));
    assert_eq!(
        get("LAKEKEEPER__PG_DATABASE_URL_WRITE"),
        Some(
            "postgresql://lakekeeper:fake-secret-pg%20p%40ss%3Aword%2F5678@db.example.test:5432/lakekeeper_catalog?sslmode=require&options=-c%20search_path%3Dlakekeeper%2Cpublic"
        )
    );
    assert_eq!(get("AZURE_STORAGE_ACCOUNT_NAME"), Some("fakeaccount"));
    assert_eq!(get("AZURE_STORAGE_CONTAINER_NAME"), Some("warehouse"));
    assert_eq!(get("AZURE_STORAGE_ACCOUNT_KEY"), Some(ACCOUNT_KEY));
    assert_eq!(get("LAKEKEEPER__WAREHOUSE_NAME"), Some("main_warehouse"));
    assert_eq!(
        get("LAKEKEEPER__UI__OPENID_CLIENT_ID"),
        None,
        "the UI step was skipped"
    );
    let key = get("LAKEKEEPER__PG_ENCRYPTION_KEY").expect("a key was generated");
    assert!(
        key.len() >= 48 && key.bytes().all(|b| b.is_ascii_alphanumeric()),
        "generated key shape"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env_path)
            .expect("written")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, ".env holds secrets");
    }
    let profile =
        std::fs::read_to_string(dir.path().join("lakekeeper-setup.toml")).expect("profile written");
    assert!(
        profile.contains(&format!("tenant = \"{TENANT}\"")),
        "{profile}"
    );
    assert!(
        profile.contains("warehouse_name = \"main_warehouse\""),
        "{profile}"
    );
    assert!(
        !profile.contains("[production]"),
        "a skipped Production step writes no [production] table:\n{profile}"
    );
    for secret in [BACKEND_SECRET, PG_PASSWORD, ACCOUNT_KEY, key] {
        assert!(
            !profile.contains(secret),
            "the profile holds no secret:\n{profile}"
        );
    }
    let override_path = dir.path().join("backend/docker-compose.override.yml");
    let before: Vec<(PathBuf, Vec<u8>)> = files_under(dir.path())
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("readable");
            (p, bytes)
        })
        .collect();
    assert!(
        before.iter().any(|(p, _)| *p == override_path),
        "the override was written: {before:?}"
    );

    // Second run: Enter through every step; nothing on disk changes (no backup either).
    let t = start(dir.path(), &[]);
    t.wait_for(&["Step 1 of 11", "exists, will be edited in place"]);
    let enters = [
        (1, "Step 2 of 11"),
        (2, "Step 3 of 11"),
        (2, "Step 4 of 11"),
        (2, "Step 5 of 11"),
        (1, "Step 6 of 11"),
        (7, "Step 7 of 11"),
        (8, "Step 8 of 11"),
        (1, "Step 9 of 11"),
        (1, "Step 10 of 11"),
    ];
    for (n, next) in enters {
        for _ in 0..n {
            t.keys(&["Enter"]);
        }
        t.wait_for(&[next]);
    }
    t.wait_for(&["Your answers", "already up to date"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Step 11 of 11", "nothing was written"]);
    t.keys(&["Enter"]);
    t.wait_for(&["EXIT=0"]);
    drop(t);
    let after: Vec<(PathBuf, Vec<u8>)> = files_under(dir.path())
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("readable");
            (p, bytes)
        })
        .collect();
    assert_eq!(
        before, after,
        "a re-run of only Enter leaves every file byte-identical"
    );
}

#[test]
fn ctrl_c_asks_once_then_leaves_without_writing_anything() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let t = start(dir.path(), &[]);
    t.wait_for(&["Step 1 of 11"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Step 2 of 11"]);
    answer(&t, TENANT);
    t.keys(&["Escape"]);
    t.wait_for(&["Leave without writing anything?"]);
    t.keys(&["n"]);
    let s = t.wait_gone("Leave without writing");
    assert!(s.contains("Step 2 of 11"), "n resumes where it was:\n{s}");
    t.keys(&["C-c"]);
    t.wait_for(&["Leave without writing anything?"]);
    t.keys(&["C-c"]);
    t.wait_for(&["EXIT=130", "cancelled; nothing was written"]);
    assert_eq!(
        files_under(dir.path()),
        Vec::<PathBuf>::new(),
        "no file was created"
    );
}

#[test]
fn a_window_below_the_minimum_says_how_big_it_must_be() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let t = start(dir.path(), &[]);
    t.wait_for(&["Step 1 of 11"]);
    t.resize(70, 20);
    t.wait_for(&["needs at least 80×24"]);
    t.resize(120, 40);
    t.wait_for(&["Step 1 of 11"]);
    t.keys(&["C-c", "y"]);
    t.wait_for(&["EXIT=130"]);
}

#[cfg(target_os = "linux")]
#[test]
fn sigterm_restores_the_terminal_and_writes_nothing() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let t = start(dir.path(), &[]);
    t.wait_for(&["Step 1 of 11"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Step 2 of 11"]);
    answer(&t, TENANT);
    let pid = t.child_pid();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let s = t.wait_for(&["EXIT=130", "cancelled; nothing was written"]);
    assert!(
        !s.contains("Step 2 of 11"),
        "the alternate screen was left:\n{s}"
    );
    assert_eq!(
        files_under(dir.path()),
        Vec::<PathBuf>::new(),
        "no file was created"
    );
}

/// Closing the terminal window (here: killing the tmux server, which hangs the terminal up)
/// ends the wizard; it must not go on reading the dead terminal's end-of-file forever.
#[cfg(target_os = "linux")]
#[test]
fn a_terminal_that_hangs_up_ends_the_wizard() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let t = start(dir.path(), &[]);
    t.wait_for(&["Step 1 of 11"]);
    let pid = t.child_pid();
    drop(t);
    let alive = || std::path::Path::new(&format!("/proc/{pid}")).exists();
    let start = std::time::Instant::now();
    while alive() && start.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // A zombie (state Z) has ended; only its parent has not reaped it yet.
    assert!(
        !alive() || state.split_whitespace().nth(2) == Some("Z"),
        "the wizard is still running 10 s after its terminal hung up: {state}"
    );
    assert_eq!(
        files_under(dir.path()),
        Vec::<PathBuf>::new(),
        "no file was created"
    );
}

#[test]
fn dry_run_goes_through_the_review_and_writes_nothing() {
    if require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let env_text = format!(
        "LAKEKEEPER__OAUTH2__TENANT_ID={TENANT}\nLAKEKEEPER__OAUTH2__CLIENT_ID={BACKEND_ID}\nLAKEKEEPER__OAUTH2__CLIENT_SECRET={BACKEND_SECRET}\nLAKEKEEPER__OPENID_AUDIENCE=api://{API_ID},{API_ID}\nPOSTGRES_HOST=db.example.test\nPOSTGRES_DB=lakekeeper\nPOSTGRES_USER=lakekeeper\nPOSTGRES_PASSWORD=fake-secret-pg-password-5678\nAZURE_STORAGE_ACCOUNT_NAME=fakeaccount\nAZURE_STORAGE_CONTAINER_NAME=warehouse\n"
    );
    std::fs::create_dir(dir.path().join("backend")).expect("mkdir");
    std::fs::write(dir.path().join("backend/.env"), &env_text).expect("seed .env");
    let t = start(dir.path(), &["--dry-run"]);
    t.wait_for(&[
        "Step 1 of 11",
        "dry run: nothing will be written",
        "exists, will be edited in place",
    ]);
    // Every value is pre-filled from the .env: Ctrl-N moves step by step.
    t.keys(&["Enter"]);
    for n in 3..=9 {
        t.keys(&["C-n"]);
        t.wait_for(&[&format!("Step {n} of 11")]);
    }
    t.keys(&["C-n"]);
    t.wait_for(&["Step 10 of 11", "will change"]);
    t.keys(&["Enter"]);
    t.wait_for(&["Step 11 of 11", "Dry run: nothing was written."]);
    t.keys(&["Enter"]);
    t.wait_for(&["EXIT=0"]);
    let files = files_under(dir.path());
    assert_eq!(
        files,
        vec![dir.path().join("backend/.env")],
        "only the seeded file exists"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("backend/.env")).expect("read"),
        env_text
    );
}

/// `[production]` keys `azure bootstrap --production` records.
const BOOTSTRAPPED: &str = "api_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod.example.com\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\n";

/// A team whose profile has a `[production]` table: the step offers to keep it; changing it
/// shows every value pre-filled, the review lists the answers, and `e` on the Done screen runs
/// `export helm`, which writes the chart's values from the changed table.
#[test]
fn a_profiles_production_table_is_pre_filled_changed_and_exported_from_the_done_screen() {
    if require_tool("tmux").is_none() {
        return;
    }
    let p = Project::fixture();
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{PROFILE}\n[production]\nbase_uri = \"https://lakekeeper.example.com\"  # the public URL\ningress_host = \"lakekeeper.example.com\"\ntls_secret = \"lakekeeper-tls\"\n{BOOTSTRAPPED}"
        ),
    );
    p.apply_ok(&[("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)]);
    let env_before = p.read("backend/.env");

    // The export writes a Kubernetes Secret: the production role's password comes from the
    // environment.
    let root = p.root().display().to_string();
    let t = support::tmux::Tmux::start(
        p.root(),
        std::path::Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
        &["--root", &root],
        &[
            ("NO_COLOR", "1"),
            ("LAKEKEEPER_PRODUCTION_PG_PASSWORD", "fake-prod-role-pass#3"),
        ],
        120,
        40,
    );
    t.wait_for(&["Step 1 of 11", "exists, will be edited in place"]);
    t.keys(&["Enter"]);
    for n in 3..=9 {
        t.keys(&["C-n"]);
        t.wait_for(&[&format!("Step {n} of 11")]);
    }
    t.wait_for(&[
        "(•) Keep the profile's [production] as it is (base_uri https://lakekeeper.example.com)",
        "Ctrl-S skip",
    ]);
    t.keys(&["Right", "Enter"]);
    t.wait_for(&[
        "▸ Production base URI (public https URL)",
        "> https://lakekeeper.example.com",
    ]);
    t.keys(&["Enter", "Enter", "Enter"]); // base URI, namespace, release as they are
    t.wait_for(&["▸ Lakekeeper replicas", "> 2"]);
    t.keys(&["C-u"]);
    answer(&t, "3");
    let s = t.wait_for(&["▸ Ingress host name (optional)"]);
    assert!(s.contains("> lakekeeper.example.com"), "pre-filled:\n{s}");
    t.keys(&["Enter"]);
    answer(&t, "webapprouting.kubernetes.azure.com");
    t.wait_for(&["▸ Ingress TLS Secret (optional)", "> lakekeeper-tls"]);
    t.keys(&["Enter"]);
    answer(&t, "prod-pg.postgres.database.azure.com");
    t.wait_for(&["▸ How the release is deployed", "◂ helm-wait ▸"]);
    t.keys(&["Enter"]);

    t.wait_for(&[
        "Step 10 of 11: Review",
        "Production on Kubernetes ([production])",
        "will change",
    ]);
    t.keys(&["Enter"]);
    t.wait_for(&[
        "Step 11 of 11: Done",
        "Production on Kubernetes",
        &format!("lakekeeper-setup --root {root} export helm"),
        "e quit and export helm now",
    ]);
    t.keys(&["e"]);
    t.wait_for(&["EXIT=0"]);
    let history = t.history();
    drop(t);
    assert!(
        history.contains(&format!("$ lakekeeper-setup --root {root} export helm")),
        "{history}"
    );

    let profile = p.read("lakekeeper-setup.toml");
    assert!(
        profile.ends_with("[production]\nbase_uri = \"https://lakekeeper.example.com\"  # the public URL\ningress_host = \"lakekeeper.example.com\"\ntls_secret = \"lakekeeper-tls\"\napi_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod.example.com\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\nreplicas = 3\ningress_class = \"webapprouting.kubernetes.azure.com\"\npostgres_host = \"prod-pg.postgres.database.azure.com\"\n"),
        "edited in place, comment kept, defaults left out:\n{profile}"
    );
    assert_eq!(
        p.read("backend/.env"),
        env_before,
        "nothing production-specific reaches backend/.env"
    );
    let values = p.read("deploy/helm/values.yaml");
    for line in [
        "  replicas: 3",
        "  host_read: \"prod-pg.postgres.database.azure.com\"",
        "    ingressClassName: \"webapprouting.kubernetes.azure.com\"",
        "    LAKEKEEPER__BASE_URI: \"https://lakekeeper.example.com\"",
    ] {
        assert!(
            values.lines().any(|l| l.starts_with(line)),
            "`{line}` not in values.yaml:\n{values}"
        );
    }
}
