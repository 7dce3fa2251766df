//! `apply` end to end on a copy of the team-shaped fixture: values, files, modes, backups,
//! messages and exit codes.

mod support;

use std::process::Output;

use support::project::{API_ID, BACKEND_ID, FAKE_SECRET, PROFILE, Project, TENANT};

fn run(c: &mut std::process::Command) -> Output {
    c.output().expect("run binary")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A fixture copy with the profile and the backend secret in the environment: everything
/// `apply` needs except the encryption key.
fn ready() -> Project {
    let p = Project::fixture();
    p.write("lakekeeper-setup.toml", PROFILE);
    p
}

fn apply(p: &Project, extra: &[&str]) -> Output {
    let mut c = p.cmd();
    c.arg("apply")
        .args(extra)
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET);
    run(&mut c)
}

fn env_map(p: &Project) -> std::collections::BTreeMap<String, String> {
    dotenvy::from_path_iter(p.path("backend/.env"))
        .expect("dotenvy opens")
        .map(|r| r.expect("dotenvy parses"))
        .collect()
}

#[test]
fn apply_edits_the_fixture_in_place_and_keeps_every_user_line() {
    let p = ready();
    let before = p.read("backend/.env");
    let out = apply(&p, &["--generate-key"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");

    let after = p.read("backend/.env");
    // Every line the tool does not manage is still there, byte for byte and in order.
    let managed = |l: &str| {
        let key = l
            .trim_start_matches("export ")
            .split('=')
            .next()
            .unwrap_or("");
        lakekeeper_setup::keys::is_managed(key)
    };
    let user_before: Vec<&str> = before.lines().filter(|l| !managed(l)).collect();
    let user_after: Vec<&str> = after
        .lines()
        .filter(|l| !managed(l))
        .take(user_before.len())
        .collect();
    assert_eq!(user_before, user_after);
    assert!(after.contains("SECRET_KEY='dev-only-not-a-secret-$0mething'\n"));
    assert!(after.contains("export APPLICATIONINSIGHTS_CONNECTION_STRING=\n"));

    let m = env_map(&p);
    assert_eq!(
        m["LAKEKEEPER__OPENID_PROVIDER_URI"],
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    // The App ID URI the existing audience names (api://lakekeeper) is kept; the client ID from
    // the profile completes it.
    assert_eq!(
        m["LAKEKEEPER__OPENID_AUDIENCE"],
        format!("api://lakekeeper,{API_ID}")
    );
    assert_eq!(
        m["LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS"],
        format!("https://sts.windows.net/{TENANT}/")
    );
    assert_eq!(m["LAKEKEEPER__OPENID_SUBJECT_CLAIM"], "oid");
    assert_eq!(m["LAKEKEEPER__OAUTH2__SCOPE"], "api://lakekeeper/.default");
    assert_eq!(m["LAKEKEEPER__OAUTH2__CLIENT_ID"], BACKEND_ID);
    assert_eq!(m["LAKEKEEPER__OAUTH2__CLIENT_SECRET"], FAKE_SECRET);
    assert_eq!(m["LAKEKEEPER__OAUTH2__TENANT_ID"], TENANT);
    // The profile's host beats the old one in .env; the password with `#` is kept and encoded.
    assert_eq!(m["POSTGRES_HOST"], "dev-server.postgres.database.azure.com");
    assert_eq!(m["POSTGRES_PASSWORD"], "fake-pass#1");
    assert_eq!(
        m["LAKEKEEPER__PG_DATABASE_URL_WRITE"],
        "postgresql://app_admin:fake-pass%231@dev-server.postgres.database.azure.com:5432/investflow?sslmode=require&options=-c%20search_path%3Dlakekeeper%2Cpublic"
    );
    assert_eq!(
        m["LAKEKEEPER__PG_DATABASE_URL_READ"],
        m["LAKEKEEPER__PG_DATABASE_URL_WRITE"]
    );
    let key = &m["LAKEKEEPER__PG_ENCRYPTION_KEY"];
    assert!(
        key.len() >= 40 && key.bytes().all(|b| b.is_ascii_alphanumeric()),
        "generated key shape"
    );
    assert!(!m.contains_key("LAKEKEEPER__OPENID_SCOPE"));
    assert!(
        !m.contains_key("LAKEKEEPER__UI__OPENID_CLIENT_ID"),
        "no UI app given: UI keys omitted"
    );

    // New keys sit under the header; the secret never reached the output.
    assert!(after.contains("\n# --- Lakekeeper (managed by lakekeeper-setup) ---\n"));
    assert!(!stdout.contains(FAKE_SECRET) && !stderr.contains(FAKE_SECRET));
    assert!(!stdout.contains(key.as_str()), "generated key printed");

    // Backup of the old file, mode 0600 for both.
    let backups = p.backups(".env");
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(p.read(&backups[0]), before);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["backend/.env".to_owned(), backups[0].clone()] {
            let mode = std::fs::metadata(p.path(&f))
                .expect("meta")
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
    }
    let ov = p.read("backend/docker-compose.override.yml");
    assert!(ov.contains("quay.io/lakekeeper/catalog:v0.13.3"));
    assert!(!ov.contains(FAKE_SECRET));
}

#[test]
fn a_second_apply_changes_nothing_and_makes_no_backup() {
    let p = ready();
    assert_eq!(apply(&p, &["--generate-key"]).status.code(), Some(0));
    let env1 = p.read("backend/.env");
    let ov1 = p.read("backend/docker-compose.override.yml");
    let out = apply(&p, &["--generate-key"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("nothing was written"), "{stdout}");
    assert_eq!(p.read("backend/.env"), env1);
    assert_eq!(p.read("backend/docker-compose.override.yml"), ov1);
    assert_eq!(p.backups(".env").len(), 1);
}

#[test]
fn missing_values_list_every_problem_and_write_nothing() {
    let p = Project::fixture();
    let before = p.read("backend/.env");
    let out = run(p.cmd().arg("apply"));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    for needle in [
        "lakekeeper_api.client_id",
        "backend_service.client_id",
        "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
        "LAKEKEEPER__PG_ENCRYPTION_KEY",
        "--generate-key",
        "nothing was written",
    ] {
        assert!(stderr.contains(needle), "missing `{needle}` in:\n{stderr}");
    }
    assert_eq!(p.read("backend/.env"), before);
    assert!(!p.path("backend/docker-compose.override.yml").exists());
    assert!(p.backups(".env").is_empty());
}

#[test]
fn an_invalid_value_is_named_with_its_fix_and_secrets_are_not_echoed() {
    let p = ready();
    let mut c = p.cmd();
    c.args(["apply", "--generate-key"])
        .env("LAKEKEEPER__OAUTH2__TENANT_ID", "common")
        .env(
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
            "cccccccc-0000-4000-8000-000000000009",
        );
    let out = run(&mut c);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("`common` is a multi-tenant alias"),
        "{stderr}"
    );
    assert!(stderr.contains("looks like the Secret ID"), "{stderr}");
    assert!(
        !stderr.contains("cccccccc-0000-4000-8000-000000000009"),
        "secret echoed: {stderr}"
    );
}

#[test]
fn dry_run_prints_a_masked_plan_and_writes_nothing() {
    let p = ready();
    let before = p.read("backend/.env");
    let out = apply(&p, &["--generate-key", "--dry-run"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("~ LAKEKEEPER__OPENID_PROVIDER_URI"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+ LAKEKEEPER__OAUTH2__CLIENT_SECRET=••••9abc"),
        "{stdout}"
    );
    assert!(stdout.contains("dry run: nothing was written"));
    assert!(!stdout.contains(FAKE_SECRET));
    assert!(!stdout.contains("fake-pass#1"), "password printed");
    assert_eq!(p.read("backend/.env"), before);
    assert!(!p.path("backend/docker-compose.override.yml").exists());
}

#[test]
fn json_output_is_parseable_and_masked() {
    let p = ready();
    let out = apply(&p, &["--generate-key", "--dry-run", "--json"]);
    let (stdout, _) = text(&out);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["ok"], true);
    assert_eq!(v["dry_run"], true);
    let changes = v["changes"].as_array().expect("changes");
    let secret = changes
        .iter()
        .find(|c| c["key"] == "LAKEKEEPER__OAUTH2__CLIENT_SECRET")
        .expect("secret change");
    assert_eq!(secret["after"], "••••9abc");
    assert!(!stdout.contains(FAKE_SECRET));
}

#[test]
fn an_existing_encryption_key_is_never_replaced_without_rotate_key() {
    let p = ready();
    assert_eq!(apply(&p, &["--generate-key"]).status.code(), Some(0));
    let key = env_map(&p)["LAKEKEEPER__PG_ENCRYPTION_KEY"].clone();

    // --generate-key again keeps it.
    assert_eq!(apply(&p, &["--generate-key"]).status.code(), Some(0));
    assert_eq!(env_map(&p)["LAKEKEEPER__PG_ENCRYPTION_KEY"], key);

    // A different key from the environment is refused…
    let other = "OtherFakeEncryptionKeyOtherFakeEncryptionKey00";
    let mut c = p.cmd();
    c.arg("apply")
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("LAKEKEEPER__PG_ENCRYPTION_KEY", other);
    let out = run(&mut c);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("--rotate-key"), "{stderr}");
    assert!(!stderr.contains(other));
    assert_eq!(env_map(&p)["LAKEKEEPER__PG_ENCRYPTION_KEY"], key);

    // …unless --rotate-key, which warns.
    let mut c = p.cmd();
    c.args(["apply", "--rotate-key"])
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("LAKEKEEPER__PG_ENCRYPTION_KEY", other);
    let out = run(&mut c);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("become unreadable"), "{stdout}");
    assert_eq!(env_map(&p)["LAKEKEEPER__PG_ENCRYPTION_KEY"], other);
}

#[test]
fn a_symlinked_env_is_written_through_to_its_target() {
    let p = ready();
    let real = p.path("secrets/backend.env");
    std::fs::create_dir_all(real.parent().expect("parent")).expect("mkdir");
    std::fs::rename(p.path("backend/.env"), &real).expect("move");
    #[cfg(unix)]
    std::os::unix::fs::symlink("../secrets/backend.env", p.path("backend/.env")).expect("symlink");
    assert_eq!(apply(&p, &["--generate-key"]).status.code(), Some(0));
    let link = std::fs::symlink_metadata(p.path("backend/.env")).expect("meta");
    assert!(
        link.file_type().is_symlink(),
        "the link was replaced by a file"
    );
    assert!(
        p.read("secrets/backend.env")
            .contains("LAKEKEEPER__OPENID_SUBJECT_CLAIM=oid")
    );
}

#[test]
fn a_secret_in_the_profile_is_refused() {
    let p = ready();
    p.write(
        "lakekeeper-setup.toml",
        &format!("{PROFILE}\n[postgres_extra]\npassword = \"fake\"\n"),
    );
    let out = apply(&p, &["--generate-key"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("looks like a secret"), "{stderr}");
}

#[test]
fn a_git_tracked_or_unignored_env_is_reported_loudly() {
    let p = ready();
    p.git(&["init", "-q"]);
    let out = apply(&p, &["--generate-key", "--dry-run"]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("backend/.env is not ignored by git"),
        "{stdout}"
    );
    assert!(
        stdout.contains("add the line `/backend/.env` to .gitignore"),
        "{stdout}"
    );

    p.write(".gitignore", "backend/.env\n");
    let out = apply(&p, &["--generate-key", "--dry-run"]);
    assert!(!text(&out).0.contains("git"), "ignored: no warning");
}

#[test]
fn help_and_version_work_for_every_command() {
    let p = Project::empty();
    for args in [
        vec!["--help"],
        vec!["apply", "--help"],
        vec!["check", "--help"],
        vec!["verify", "--help"],
        vec!["warehouse", "--help"],
    ] {
        let out = run(p.cmd().args(&args));
        let (stdout, _) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(stdout.contains("Exit codes:"), "{args:?}: {stdout}");
    }
    let out = run(p.cmd().arg("--version"));
    assert!(text(&out).0.starts_with("lakekeeper-setup "));
    let out = run(p.cmd().args(["apply", "--client-secret", "x"]));
    assert_eq!(out.status.code(), Some(2), "no secret flags exist");
}

#[test]
fn an_empty_project_gets_every_value_from_the_environment_and_defaults() {
    let p = Project::empty();
    let mut c = p.cmd();
    c.args(["apply", "--generate-key"])
        .env(
            "LAKEKEEPER__OAUTH2__TENANT_ID",
            format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
        )
        .env("LAKEKEEPER__OPENID_AUDIENCE", API_ID)
        .env("LAKEKEEPER__OAUTH2__CLIENT_ID", BACKEND_ID)
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("POSTGRES_HOST", "localhost")
        .env("POSTGRES_DB", "lake")
        .env("POSTGRES_USER", "fake user@corp")
        .env("POSTGRES_PASSWORD", "fake$p@ss:w/rd?#%'x")
        .env("AZURE_STORAGE_ACCOUNT_NAME", "teamadls")
        .env("AZURE_STORAGE_CONTAINER_NAME", "documents")
        .env(
            "LAKEKEEPER__UI__OPENID_CLIENT_ID",
            "dddddddd-0000-4000-8000-000000000004",
        );
    let out = run(&mut c);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a password with both ' and $ cannot be written safely: {stdout}{stderr}"
    );
    assert!(stderr.contains("POSTGRES_PASSWORD"), "{stderr}");
    assert!(!stderr.contains("fake$p@ss"), "{stderr}");
    assert!(!p.path("backend/.env").exists());

    c.env("POSTGRES_PASSWORD", "fake$p@ss:w/rd?#% x");
    let out = run(&mut c);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let m = env_map(&p);
    assert_eq!(
        m["LAKEKEEPER__OAUTH2__TENANT_ID"], TENANT,
        "GUID pulled from the pasted URL"
    );
    assert_eq!(
        m["LAKEKEEPER__OPENID_AUDIENCE"],
        format!("api://{API_ID},{API_ID}")
    );
    assert_eq!(
        m["LAKEKEEPER__OAUTH2__SCOPE"],
        format!("api://{API_ID}/.default")
    );
    assert_eq!(
        m["LAKEKEEPER__UI__OPENID_SCOPE"],
        format!("openid profile api://{API_ID}/lakekeeper")
    );
    assert_eq!(m["POSTGRES_PASSWORD"], "fake$p@ss:w/rd?#% x");
    assert_eq!(
        m["LAKEKEEPER__PG_DATABASE_URL_WRITE"],
        "postgresql://fake%20user%40corp:fake%24p%40ss%3Aw%2Frd%3F%23%25%20x@localhost:5432/lake?sslmode=require&options=-c%20search_path%3Dlakekeeper%2Cpublic"
    );
    assert_eq!(m["LAKEKEEPER__BASE_URI"], "http://localhost:8181");
    assert_eq!(m["LAKEKEEPER__WAREHOUSE_NAME"], "lakekeeper");
    let written = p.read("backend/.env");
    assert!(
        written.starts_with("# --- Lakekeeper (managed by lakekeeper-setup) ---\n"),
        "{written}"
    );
    assert!(p.backups(".env").is_empty(), "nothing to back up");

    // A key that must not be there is removed (not left empty), and the plan says so.
    std::fs::write(
        p.path("backend/.env"),
        format!("{written}LAKEKEEPER__OPENID_SCOPE=lakekeeper\n"),
    )
    .expect("append");
    let mut c = p.cmd();
    c.args(["apply"]);
    let out = run(&mut c);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    assert!(
        stdout.contains("- LAKEKEEPER__OPENID_SCOPE (was lakekeeper)"),
        "{stdout}"
    );
    assert_eq!(
        p.read("backend/.env"),
        written,
        "removed line by line, nothing else touched"
    );
}

fn text_of(o: &Output) -> String {
    let (a, b) = text(o);
    a + &b
}

#[test]
fn an_existing_override_keeps_its_other_services_and_the_diff_is_shown() {
    let p = ready();
    let mine = "# my own override\nservices:\n  backend:\n    environment:\n      DEBUG: \"1\"\n";
    p.write("backend/docker-compose.override.yml", mine);
    let out = apply(&p, &["--generate-key"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let ov = p.read("backend/docker-compose.override.yml");
    assert!(
        ov.contains("  backend:\n    environment:\n      DEBUG: \"1\"\n"),
        "{ov}"
    );
    assert!(ov.contains("# my own override\n"), "{ov}");
    assert!(ov.contains("lakekeeper-migrate:"), "{ov}");
    assert!(
        stdout.contains("+  lakekeeper:") || stdout.contains("+  lakekeeper-migrate:"),
        "diff shown: {stdout}"
    );
    assert_eq!(
        p.backups("docker-compose.override.yml").len(),
        1,
        "the old override is backed up"
    );
}

#[test]
fn an_override_that_cannot_be_merged_safely_stops_everything() {
    let p = ready();
    let before = p.read("backend/.env");
    let tricky = "services:\n  lakekeeper: &lk\n    image: x\n  other:\n    <<: *lk\n";
    p.write("backend/docker-compose.override.yml", tricky);
    let out = apply(&p, &["--generate-key"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("docker-compose.override.yml"), "{stderr}");
    assert_eq!(p.read("backend/.env"), before, ".env untouched too");
    assert_eq!(p.read("backend/docker-compose.override.yml"), tricky);
}

#[test]
fn an_existing_compose_override_yaml_is_the_default_target() {
    let p = ready();
    p.write(
        "backend/compose.override.yaml",
        "services:\n  backend:\n    restart: \"no\"\n",
    );
    let out = apply(&p, &["--generate-key"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    assert!(
        p.read("backend/compose.override.yaml")
            .contains("lakekeeper-migrate:")
    );
    assert!(!p.path("backend/docker-compose.override.yml").exists());
}

#[test]
fn save_profile_writes_non_secret_answers_and_keeps_the_profile_comments() {
    let p = ready();
    let out = apply(&p, &["--generate-key", "--save-profile"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    let prof = p.read("lakekeeper-setup.toml");
    assert!(
        prof.starts_with("# Team profile: no secrets here.\n[entra]\n"),
        "{prof}"
    );
    assert!(
        prof.contains("database = \"investflow\""),
        "value from .env saved: {prof}"
    );
    assert!(prof.contains("app_id_uri = \"api://lakekeeper\""), "{prof}");
    assert!(
        !prof.contains(FAKE_SECRET) && !prof.contains("fake-pass"),
        "{prof}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.path("lakekeeper-setup.toml"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "the profile is shared, not secret");
    }
    // The saved profile alone (plus secrets) reproduces the same .env.
    let env1 = p.read("backend/.env");
    let out = apply(&p, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(p.read("backend/.env"), env1);
}
