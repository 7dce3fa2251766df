//! `check` end to end: the classic hand-written mistakes are each caught, with the key, the
//! line and the fix; a file written by `apply` is clean; exit codes follow the documentation.

mod support;

use support::project::{FAKE_SECRET, PROFILE, Project};

fn check(p: &Project, json: bool) -> (Option<i32>, String) {
    let mut c = p.cmd();
    c.arg("check");
    if json {
        c.arg("--json");
    }
    let out = c.output().expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_fixture_env_is_caught_with_its_real_mistakes() {
    let p = Project::fixture();
    let (code, out) = check(&p, false);
    assert_eq!(code, Some(1), "{out}");
    for needle in [
        ".env:23 LAKEKEEPER__OPENID_PROVIDER_URI: `https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration` must not end in",
        "set it to https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
        "LAKEKEEPER__OPENID_AUDIENCE: `api://lakekeeper` has no client-ID GUID",
        "LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS: is not set: v1 tokens",
        "LAKEKEEPER__PG_ENCRYPTION_KEY: is not set",
        // The base compose file's defects (there is no override yet).
        "docker-compose.yml",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
    // Single-quoted `$` (SECRET_KEY) is fine: no finding on line 5.
    assert!(!out.contains(".env:5 "), "{out}");
}

const MISTAKES: &str = "\
LAKEKEEPER__OPENID_PROVIDER_URI=https://login.microsoftonline.com/common/v2.0
LAKEKEEPER__OPENID_AUDIENCE=api://aaaaaaaa-0000-4000-8000-000000000001, aaaaaaaa-0000-4000-8000-000000000001
LAKEKEEPER__OPENID_SCOPE=lakekeeper
LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS=https://sts.windows.net/11111111-2222-3333-4444-555555555555
LAKEKEEPER__OPENID_SUBJECT_CLAIM=oid
LAKEKEEPER__AUTHZ_BACKEND=allow-all
LAKEKEEPER__SECRET_BACKEND=POSTGRES
LAKEKEEPER__PG_ENCRYPTION_KEY=too-short
LAKEKEEPER__WAREHOUSE_LOCATION=wasbs://documents@teamadls.blob.core.windows.net/lake
POSTGRES_PASSWORD=fake$ecret
LAKEKEEPER__OAUTH2__CLIENT_SECRET=\"fake-value-with-#-and-$HOME\"
LAKEKEEPER__PG_DATABASE_URL_WRITE=postgresql://app:fake@pass@db.example.test:5432/app
ICEBERG_REST__BASE_URI=http://localhost:8181
LAKEKEEPER__ENABLE_AZURE_SYSTEM_CREDENTIALS=True
LAKEKEEPER__OAUTH2__SCOPE=api://aaaaaaaa-0000-4000-8000-000000000001
COMMENTED=value #this is cut
LAKEKEEPER__OAUTH2__CLIENT_ID=cccccccc-0000-4000-8000-000000000003
LAKEKEEPER__OAUTH2__CLIENT_ID=cccccccc-0000-4000-8000-000000000004
";

#[test]
fn every_classic_mistake_is_reported_on_its_line() {
    let p = Project::empty();
    p.write("backend/.env", MISTAKES);
    let (code, out) = check(&p, false);
    assert_eq!(code, Some(1));
    let expect: &[(&str, &str)] = &[
        (
            ":1 LAKEKEEPER__OPENID_PROVIDER_URI",
            "`https://login.microsoftonline.com/common/v2.0` is a multi-tenant alias",
        ),
        (":2 LAKEKEEPER__OPENID_AUDIENCE", "has a space"),
        (":3 LAKEKEEPER__OPENID_SCOPE", "every token is rejected"),
        (
            ":4 LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS",
            "no trailing `/`",
        ),
        (":6 LAKEKEEPER__AUTHZ_BACKEND", "NO authorization"),
        (":7 LAKEKEEPER__SECRET_BACKEND", "migrate fails"),
        (
            ":8 LAKEKEEPER__PG_ENCRYPTION_KEY",
            "9 characters; the minimum is 32",
        ),
        (
            ":9 LAKEKEEPER__WAREHOUSE_LOCATION",
            "not an abfss:// location",
        ),
        (":10 POSTGRES_PASSWORD", "contains `$`"),
        (":11 LAKEKEEPER__OAUTH2__CLIENT_SECRET", "double-quoted"),
        (
            ":12 LAKEKEEPER__PG_DATABASE_URL_WRITE",
            "unencoded special character",
        ),
        (
            ":13 ICEBERG_REST__BASE_URI",
            "legacy name of LAKEKEEPER__BASE_URI",
        ),
        (
            ":14 LAKEKEEPER__ENABLE_AZURE_SYSTEM_CREDENTIALS",
            "not exactly true or false",
        ),
        (":15 LAKEKEEPER__OAUTH2__SCOPE", "does not end in /.default"),
        (":16 COMMENTED", "is a comment"),
        (":18 LAKEKEEPER__OAUTH2__CLIENT_ID", "is set twice"),
    ];
    for (place, msg) in expect {
        let line = out
            .lines()
            .find(|l| l.contains(place))
            .unwrap_or_else(|| panic!("no finding at `{place}`:\n{out}"));
        assert!(line.contains(msg), "`{place}` should say `{msg}`: {line}");
    }
    // Secret values are never printed, even when quoted wrongly.
    assert!(
        !out.contains("fake$ecret") && !out.contains("fake-value-with"),
        "{out}"
    );
}

#[test]
fn json_findings_have_stable_fields() {
    let p = Project::empty();
    p.write("backend/.env", MISTAKES);
    let (code, out) = check(&p, true);
    assert_eq!(code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["ok"], false);
    let f = &v["findings"][0];
    for field in ["severity", "file", "key", "line", "message", "fix"] {
        assert!(f.get(field).is_some(), "missing {field}: {f}");
    }
}

#[test]
fn an_applied_setup_checks_clean_and_warnings_alone_exit_zero() {
    let p = Project::fixture();
    p.write("lakekeeper-setup.toml", PROFILE);
    p.apply_ok(&[("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)]);
    let (code, out) = check(&p, false);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("0 error(s)"), "{out}");
}

/// The `[production]` keys `azure bootstrap --production` records.
const IDENTITIES: &str = "api_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod.example.com\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\n";

#[test]
fn a_bad_production_table_in_the_profile_is_an_error_per_problem_with_its_fix() {
    let p = Project::fixture();
    p.write("lakekeeper-setup.toml", PROFILE);
    p.apply_ok(&[("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)]);
    // The same applied setup with a [production] table `export helm` would refuse.
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{PROFILE}\n[production]\nbase_uri = \"http://lakekeeper.example.com\"\nreplica = 3\nnamespace = \"Lake_Keeper\"\ntls_secret = \"lakekeeper-tls\"\n"
        ),
    );
    let (code, out) = check(&p, false);
    assert_eq!(code, Some(1), "{out}");
    let profile = p.path("lakekeeper-setup.toml").display().to_string();
    for (key, message, fix) in [
        (
            "production.replica",
            "is not a [production] key",
            "use one of base_uri, namespace, release, replicas,",
        ),
        (
            "production.base_uri",
            "`http://lakekeeper.example.com` uses plain http: tokens would cross the network in clear text",
            "use https:// (terminate TLS at the Ingress with tls_secret)",
        ),
        (
            "production.namespace",
            "`Lake_Keeper` is not a Kubernetes namespace name",
            "use at most 63 lowercase letters",
        ),
        (
            "production.tls_secret",
            "`lakekeeper-tls` is set but ingress_host is not, so no Ingress is written",
            "add ingress_host, or remove this key",
        ),
    ] {
        let head = format!("error: {profile} {key}: {message}");
        let i = out
            .find(&head)
            .unwrap_or_else(|| panic!("no `{head}` in:\n{out}"));
        let fix_line = out[i..].lines().nth(1).unwrap_or_default();
        assert!(
            fix_line.trim_start().starts_with(&format!("fix: {fix}")),
            "{key}: {fix_line}"
        );
    }
    assert!(out.contains("4 error(s), 0 warning(s)"), "{out}");

    // Fixed, the table still lacks production's own identities, which the export needs.
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{PROFILE}\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\nreplicas = 3\n"
        ),
    );
    let (code, out) = check(&p, false);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(
            "production.api_client_id: is not set: production needs an API app of its own"
        ),
        "{out}"
    );
    assert!(
        out.contains("lakekeeper-setup azure bootstrap --production"),
        "{out}"
    );
    // With them, the table checks clean; no table at all is fine too (it is optional).
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{PROFILE}\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\nreplicas = 3\n{IDENTITIES}"
        ),
    );
    let (code, out) = check(&p, false);
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("production"), "{out}");

    // A vault named: `export helm` reads the Secret from it and needs the identity.
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{PROFILE}\n[secrets]\nvault = \"https://team-kv.vault.azure.net\"\npostgres_password = \"pg-password\"\nencryption_key = \"lk-encryption-key\"\n\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\n{IDENTITIES}"
        ),
    );
    let (code, out) = check(&p, false);
    assert_eq!(code, Some(1), "{out}");
    let profile = p.path("lakekeeper-setup.toml").display().to_string();
    assert!(
        out.contains(&format!(
            "error: {profile} production.vault_identity: is required with --secrets external-secrets"
        )),
        "{out}"
    );
    assert!(out.contains("1 error(s)"), "{out}");
}

/// Found by fuzzing the editor: a value whose quote closes only at an escaped quote moves its
/// end to the first plain quote written below it, so `check` warns before `apply` refuses.
#[test]
fn a_value_closed_only_by_an_escaped_quote_is_warned_about() {
    let warned = |env: &str| -> Vec<(String, u64)> {
        let p = Project::empty();
        p.write("backend/.env", env);
        let (_, out) = check(&p, true);
        let json: serde_json::Value = serde_json::from_str(&out).expect(&out);
        let findings = json["findings"].as_array().expect("findings").clone();
        findings
            .iter()
            .filter(|f| {
                f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("escaped quote"))
            })
            .map(|f| {
                (
                    f["key"].as_str().unwrap_or_default().to_owned(),
                    f["line"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    // No plain `'` follows B's escaped one, so python-dotenv ends B there by backtracking.
    assert_eq!(
        warned("A=1\nB='fake\\' # note\nC=\"ok\"\n"),
        [("B".to_owned(), 2)]
    );
    // `D='x\'y'` holds an escaped quote but closes at a plain one: nothing to say.
    assert_eq!(warned("A=1\nD='x\\'y'\n"), []);
}

#[test]
fn a_missing_env_file_cannot_be_checked() {
    let p = Project::empty();
    let (code, out) = check(&p, false);
    assert_eq!(code, Some(2));
    assert!(out.contains("no such file"), "{out}");
}

#[test]
fn fixtures_match_shared() {
    // tests/fixtures is a copy of ../shared/fixtures (so a clone is self-sufficient); when the
    // shared copy is beside the checkout (this machine's CI), the two must not drift. A plain
    // clone (GitHub's CI) has no ../shared and runs on its own copy.
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/team-project/backend");
    if !shared.exists() {
        return;
    }
    for f in [".env", "docker-compose.yml"] {
        let ours =
            std::fs::read(support::project::fixture_dir().join("backend").join(f)).expect("ours");
        let theirs = std::fs::read(shared.join(f)).expect("shared");
        assert_eq!(ours, theirs, "{f} drifted from shared/fixtures");
    }
    // The Azure payloads: every file handed to us in shared/ is in tests/fixtures/azure as it was
    // (ours may hold more: stand-in payloads for calls shared/ has no example of).
    let shared_azure = shared.join("../../azure");
    let ours_azure = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azure");
    let mut compared = 0;
    for dir in ["arm", "az", "graph", "keyvault"] {
        for entry in std::fs::read_dir(shared_azure.join(dir)).expect("shared azure dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().expect("name");
            let ours = std::fs::read(ours_azure.join(dir).join(name)).expect("ours");
            assert_eq!(
                ours,
                std::fs::read(&path).expect("shared"),
                "{} drifted",
                path.display()
            );
            compared += 1;
        }
    }
    assert!(compared > 30, "only {compared} Azure fixtures compared");
}

#[test]
fn an_env_git_would_commit_is_an_error() {
    let p = Project::fixture();
    p.git(&["init", "-q"]);
    let (_, out) = check(&p, false);
    assert!(out.contains("backend/.env is not ignored by git"), "{out}");
    p.git(&["add", "backend/.env"]);
    let (code, out) = check(&p, false);
    assert_eq!(code, Some(1));
    assert!(out.contains("backend/.env is tracked by git"), "{out}");
    assert!(out.contains("git rm --cached backend/.env"), "{out}");
}
