//! `check` on `.env` files whose values are each valid alone but contradict each other
//! (issue 11 §3): one row per contradiction of the issue's table, each an edit of a consistent
//! file, asserting the severity, the key, both variables named and the one change that makes
//! them agree. Then the hidden-case files in `tests/fixtures/contradictions/` (our own broken
//! files, each declaring what must be caught), and a file written by `apply` from any valid
//! answers, which must contradict nothing.

use lakekeeper_setup::check::{CheckInput, Finding, Severity, check};
use lakekeeper_setup::compose::{OverrideSpec, render_override};
use lakekeeper_setup::envfile::EnvFile;

const T: &str = "11111111-2222-3333-4444-555555555555";
const A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const B: &str = "bbbbbbbb-0000-4000-8000-000000000002";
const U: &str = "cccccccc-0000-4000-8000-000000000003";
const OTHER: &str = "99999999-8888-4777-8666-555555555555";

const URL: &str = "postgresql://app:fake-pg-password@db.example.test:5432/app?sslmode=require&options=-c%20search_path%3Dlakekeeper%2Cpublic";

/// A consistent file, as `apply` writes one (plus the i10-style `options` in the URLs).
fn consistent() -> Vec<(String, String)> {
    [
        ("POSTGRES_HOST", "db.example.test".to_owned()),
        ("POSTGRES_PORT", "5432".into()),
        ("POSTGRES_DB", "app".into()),
        ("POSTGRES_USER", "app".into()),
        ("POSTGRES_PASSWORD", "fake-pg-password".into()),
        ("AZURE_STORAGE_ACCOUNT_NAME", "teamadls".into()),
        ("AZURE_STORAGE_CONTAINER_NAME", "lake".into()),
        (
            "LAKEKEEPER_WAREHOUSE_LOCATION",
            "abfss://lake@teamadls.dfs.core.windows.net/warehouse/dev".into(),
        ),
        ("LAKEKEEPER_STORAGE_CREDENTIAL", "client-credentials".into()),
        (
            "LAKEKEEPER__PG_ENCRYPTION_KEY",
            "fake-encryption-key-0123456789abcdefghij".into(),
        ),
        ("LAKEKEEPER__BASE_URI", "http://localhost:8181".into()),
        ("LAKEKEEPER__WAREHOUSE_NAME", "lakekeeper".into()),
        (
            "LAKEKEEPER__OPENID_PROVIDER_URI",
            format!("https://login.microsoftonline.com/{T}/v2.0"),
        ),
        ("LAKEKEEPER__OPENID_AUDIENCE", format!("api://{A},{A}")),
        (
            "LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS",
            format!("https://sts.windows.net/{T}/"),
        ),
        ("LAKEKEEPER__OPENID_SUBJECT_CLAIM", "oid".into()),
        ("LAKEKEEPER__OAUTH2__CLIENT_ID", B.into()),
        (
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
            "fake1Q~notARealSecretValue-0123456789abc".into(),
        ),
        ("LAKEKEEPER__OAUTH2__TENANT_ID", T.into()),
        ("LAKEKEEPER__OAUTH2__SCOPE", format!("api://{A}/.default")),
        ("LAKEKEEPER__UI__OPENID_CLIENT_ID", U.into()),
        (
            "LAKEKEEPER__UI__OPENID_SCOPE",
            format!("openid profile api://{A}/lakekeeper"),
        ),
        ("LAKEKEEPER__PG_DATABASE_URL_READ", URL.into()),
        ("LAKEKEEPER__PG_DATABASE_URL_WRITE", URL.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The override `apply` writes (Lakekeeper's 8181 published on 8181).
fn override_text() -> String {
    render_override(
        None,
        &OverrideSpec {
            image: "quay.io/lakekeeper/catalog:v0.13.3".into(),
            host_port: 8181,
            lakekeeper_env: vec!["LAKEKEEPER__BASE_URI".into()],
            migrate_env: vec!["LAKEKEEPER__PG_DATABASE_URL_WRITE".into()],
        },
    )
    .expect("renders")
}

fn render(pairs: &[(String, String)]) -> String {
    pairs.iter().fold(String::new(), |mut out, (k, v)| {
        out.push_str(k);
        out.push_str("='");
        out.push_str(v);
        out.push_str("'\n");
        out
    })
}

fn findings(text: &str) -> Vec<Finding> {
    let env = EnvFile::parse(text).expect("parses");
    check(&CheckInput {
        env_label: "backend/.env",
        env: &env,
        base: None,
        override_file: Some(("backend/docker-compose.override.yml", &override_text())),
        git_advice: None,
    })
}

fn edited(edits: &[(&str, Option<&str>)]) -> String {
    let mut pairs = consistent();
    for (key, value) in edits {
        pairs.retain(|(k, _)| k != key);
        if let Some(v) = value {
            pairs.push(((*key).to_owned(), (*v).to_owned()));
        }
    }
    render(&pairs)
}

fn shown(all: &[Finding]) -> String {
    all.iter()
        .map(|f| {
            format!(
                "{:?} {:?}: {} (fix: {})",
                f.severity, f.key, f.message, f.fix
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A table row: its name, the edits to the consistent file, what must be caught.
type Row<'a> = (&'a str, Vec<(&'a str, Option<&'a str>)>, Expect<'a>);

/// What a row expects: a finding of `severity` on `key` whose message or fix names every one
/// of `names`, and whose fix says `fix`.
struct Expect<'a> {
    severity: Severity,
    key: &'a str,
    names: &'a [&'a str],
    fix: &'a str,
}

fn assert_caught(name: &str, text: &str, e: &Expect<'_>) {
    let all = findings(text);
    let hit = all.iter().find(|f| {
        f.key.as_deref() == Some(e.key)
            && f.severity == e.severity
            && e.names
                .iter()
                .all(|n| f.key.as_deref() == Some(*n) || f.message.contains(n) || f.fix.contains(n))
    });
    let Some(f) = hit else {
        panic!(
            "{name}: no {:?} on {} naming {:?}; findings:\n{}",
            e.severity,
            e.key,
            e.names,
            shown(&all)
        );
    };
    assert!(
        f.fix.contains(e.fix),
        "{name}: fix `{}` lacks `{}`",
        f.fix,
        e.fix
    );
    assert!(
        !f.message.contains("fake-pg-password") && !f.fix.contains("fake-pg-password"),
        "{name}: a password is quoted: {}",
        f.message
    );
}

/// Findings only contradictions produce (the rest of `check` is tested elsewhere).
fn contradictions(all: &[Finding]) -> Vec<&Finding> {
    all.iter()
        .filter(|f| {
            [
                "agree",
                "differ",
                "another",
                "does not list",
                "not the",
                "own client ID",
                "same host",
                "never used",
                "no app",
                "without the account key",
                "where nothing listens",
                "different",
            ]
            .iter()
            .any(|w| f.message.contains(w))
        })
        .collect()
}

/// A storage secret that happens to hold `://` is no location: no finding, and above all its
/// value never in a message (found by the answers property test after the merge).
#[test]
fn a_storage_secret_with_a_scheme_like_part_is_neither_flagged_nor_printed() {
    let secret = "fake-secret-q~://not-a-location";
    for key in ["AZURE_STORAGE_CLIENT_SECRET", "AZURE_STORAGE_ACCOUNT_KEY"] {
        let all = findings(&edited(&[(key, Some(secret))]));
        let text = shown(&all);
        assert!(
            !text.contains(secret),
            "{key}: the secret is printed: {text}"
        );
        assert!(
            !all.iter().any(|f| f.message.contains("abfss")),
            "{key}: flagged as a location: {text}"
        );
    }
}

#[test]
fn the_consistent_file_has_no_finding_at_all() {
    let all = findings(&render(&consistent()));
    assert!(all.is_empty(), "{}", shown(&all));
}

#[test]
fn every_contradiction_of_the_issue_table_is_caught_naming_both_variables_and_the_fix() {
    let rows: Vec<Row<'_>> = vec![
        (
            "tenant ID is not the provider's tenant",
            vec![("LAKEKEEPER__OAUTH2__TENANT_ID", Some(OTHER))],
            Expect {
                severity: Severity::Error,
                key: "LAKEKEEPER__OAUTH2__TENANT_ID",
                names: &[
                    "LAKEKEEPER__OAUTH2__TENANT_ID",
                    "LAKEKEEPER__OPENID_PROVIDER_URI",
                ],
                fix: "set LAKEKEEPER__OAUTH2__TENANT_ID to 11111111-2222-3333-4444-555555555555",
            },
        ),
        (
            "additional issuer names another tenant than the tenant ID",
            vec![(
                "LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS",
                Some("https://sts.windows.net/99999999-8888-4777-8666-555555555555/"),
            )],
            Expect {
                severity: Severity::Error,
                key: "LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS",
                names: &[
                    "LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS",
                    "LAKEKEEPER__OAUTH2__TENANT_ID",
                ],
                fix: "set LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS to https://sts.windows.net/11111111-2222-3333-4444-555555555555/",
            },
        ),
        (
            "the backend's scope names an API the audience does not list",
            vec![(
                "LAKEKEEPER__OAUTH2__SCOPE",
                Some("api://99999999-8888-4777-8666-555555555555/.default"),
            )],
            Expect {
                severity: Severity::Error,
                key: "LAKEKEEPER__OAUTH2__SCOPE",
                names: &["LAKEKEEPER__OAUTH2__SCOPE", "LAKEKEEPER__OPENID_AUDIENCE"],
                fix: "set LAKEKEEPER__OAUTH2__SCOPE to api://aaaaaaaa-0000-4000-8000-000000000001/.default",
            },
        ),
        (
            "the UI's scope names another API",
            vec![(
                "LAKEKEEPER__UI__OPENID_SCOPE",
                Some("openid profile api://lakekeeper-old/lakekeeper"),
            )],
            Expect {
                severity: Severity::Error,
                key: "LAKEKEEPER__UI__OPENID_SCOPE",
                names: &[
                    "LAKEKEEPER__UI__OPENID_SCOPE",
                    "LAKEKEEPER__OPENID_AUDIENCE",
                ],
                fix: "set LAKEKEEPER__UI__OPENID_SCOPE to openid profile api://aaaaaaaa-0000-4000-8000-000000000001/lakekeeper",
            },
        ),
        (
            "Lakekeeper's URL is on another host than POSTGRES_HOST",
            vec![(
                "POSTGRES_HOST",
                Some("other-server.postgres.database.azure.com"),
            )],
            Expect {
                severity: Severity::Warning,
                key: "LAKEKEEPER__PG_DATABASE_URL_WRITE",
                names: &["LAKEKEEPER__PG_DATABASE_URL_WRITE", "POSTGRES_HOST"],
                fix: "set the host in LAKEKEEPER__PG_DATABASE_URL_WRITE to other-server.postgres.database.azure.com",
            },
        ),
        (
            "another port (a pooler, or a mistake)",
            vec![("POSTGRES_PORT", Some("6432"))],
            Expect {
                severity: Severity::Warning,
                key: "LAKEKEEPER__PG_DATABASE_URL_WRITE",
                names: &["LAKEKEEPER__PG_DATABASE_URL_WRITE", "POSTGRES_PORT"],
                fix: "set the port in LAKEKEEPER__PG_DATABASE_URL_WRITE to 6432",
            },
        ),
        (
            "another database",
            vec![("POSTGRES_DB", Some("investflow"))],
            Expect {
                severity: Severity::Warning,
                key: "LAKEKEEPER__PG_DATABASE_URL_WRITE",
                names: &["LAKEKEEPER__PG_DATABASE_URL_WRITE", "POSTGRES_DB"],
                fix: "set the database in LAKEKEEPER__PG_DATABASE_URL_WRITE to investflow",
            },
        ),
        (
            "another user",
            vec![("POSTGRES_USER", Some("app_admin"))],
            Expect {
                severity: Severity::Warning,
                key: "LAKEKEEPER__PG_DATABASE_URL_WRITE",
                names: &["LAKEKEEPER__PG_DATABASE_URL_WRITE", "POSTGRES_USER"],
                fix: "set the user in LAKEKEEPER__PG_DATABASE_URL_WRITE to app_admin",
            },
        ),
        (
            "the same user with another password cannot log in twice",
            vec![("POSTGRES_PASSWORD", Some("fake-rotated-password"))],
            Expect {
                severity: Severity::Error,
                key: "LAKEKEEPER__PG_DATABASE_URL_WRITE",
                names: &["LAKEKEEPER__PG_DATABASE_URL_WRITE", "POSTGRES_PASSWORD"],
                fix: "run `lakekeeper-setup apply` to rebuild LAKEKEEPER__PG_DATABASE_URL_WRITE",
            },
        ),
        (
            "another sslmode than the backend's own",
            vec![("POSTGRES_SSLMODE", Some("disable"))],
            Expect {
                severity: Severity::Warning,
                key: "LAKEKEEPER__PG_DATABASE_URL_WRITE",
                names: &["LAKEKEEPER__PG_DATABASE_URL_WRITE", "POSTGRES_SSLMODE"],
                fix: "set ?sslmode=disable in LAKEKEEPER__PG_DATABASE_URL_WRITE",
            },
        ),
        (
            "READ differs from WRITE on the same host",
            vec![(
                "LAKEKEEPER__PG_DATABASE_URL_READ",
                Some(
                    "postgresql://app:fake-pg-password@db.example.test:5432/app_old?sslmode=require",
                ),
            )],
            Expect {
                severity: Severity::Warning,
                key: "LAKEKEEPER__PG_DATABASE_URL_READ",
                names: &[
                    "LAKEKEEPER__PG_DATABASE_URL_READ",
                    "LAKEKEEPER__PG_DATABASE_URL_WRITE",
                ],
                fix: "set LAKEKEEPER__PG_DATABASE_URL_READ to the same value as LAKEKEEPER__PG_DATABASE_URL_WRITE",
            },
        ),
        (
            "the warehouse location is in another account",
            vec![("AZURE_STORAGE_ACCOUNT_NAME", Some("teamadls2"))],
            Expect {
                severity: Severity::Error,
                key: "LAKEKEEPER_WAREHOUSE_LOCATION",
                names: &[
                    "LAKEKEEPER_WAREHOUSE_LOCATION",
                    "AZURE_STORAGE_ACCOUNT_NAME",
                ],
                fix: "set LAKEKEEPER_WAREHOUSE_LOCATION to abfss://lake@teamadls2.dfs.core.windows.net/warehouse/dev",
            },
        ),
        (
            "the warehouse location is in another container",
            vec![("AZURE_STORAGE_CONTAINER_NAME", Some("documents"))],
            Expect {
                severity: Severity::Error,
                key: "LAKEKEEPER_WAREHOUSE_LOCATION",
                names: &[
                    "LAKEKEEPER_WAREHOUSE_LOCATION",
                    "AZURE_STORAGE_CONTAINER_NAME",
                ],
                fix: "set LAKEKEEPER_WAREHOUSE_LOCATION to abfss://documents@teamadls.dfs.core.windows.net/warehouse/dev",
            },
        ),
    ];
    for (name, edits, expect) in &rows {
        assert_caught(name, &edited(edits), expect);
    }
}

#[test]
fn differences_that_are_no_contradiction_are_not_flagged() {
    for (name, edits) in [
        (
            "READ on a replica host",
            vec![(
                "LAKEKEEPER__PG_DATABASE_URL_READ",
                "postgresql://app:fake-pg-password@replica.example.test:5432/app?sslmode=require&options=-c%20search_path%3Dlakekeeper%2Cpublic",
            )],
        ),
        (
            // (A different search path between the two URLs is an error of its own: the
            // shared-database rules in `check`.)
            "the same server spelled differently, default port, another query parameter",
            vec![(
                "LAKEKEEPER__PG_DATABASE_URL_READ",
                "postgresql://app:fake-pg-password@DB.example.test/app?sslmode=require&application_name=lakekeeper&options=-c%20search_path%3Dlakekeeper%2Cpublic",
            )],
        ),
        (
            "a tenant domain beside a tenant GUID may be the same directory",
            vec![("LAKEKEEPER__OAUTH2__TENANT_ID", "contoso.onmicrosoft.com")],
        ),
        (
            "a base URI on another machine is not a published port",
            vec![("LAKEKEEPER__BASE_URI", "https://lakekeeper.example.test")],
        ),
    ] {
        let edits: Vec<(&str, Option<&str>)> = edits.iter().map(|(k, v)| (*k, Some(*v))).collect();
        let all = findings(&edited(&edits));
        let c = contradictions(&all);
        assert!(c.is_empty(), "{name}: {c:?}");
    }
}

/// `# expect: <error|warning> <KEY> <OTHER VARIABLE>…` then `# fix: <text>` at the top of each
/// hidden-case file.
#[test]
fn every_hidden_case_file_is_caught_as_it_declares() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/contradictions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "env"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "at least five hidden cases: {files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let expect_line = text
            .lines()
            .find_map(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name}: no `# expect:` line"));
        let fix = text
            .lines()
            .find_map(|l| l.strip_prefix("# fix: "))
            .unwrap_or_else(|| panic!("{name}: no `# fix:` line"));
        let mut words = expect_line.split_whitespace();
        let severity = match words.next() {
            Some("error") => Severity::Error,
            Some("warning") => Severity::Warning,
            other => panic!("{name}: severity {other:?}"),
        };
        let key = words.next().expect("key");
        let mut names: Vec<&str> = vec![key];
        names.extend(words);
        assert!(names.len() >= 2, "{name}: name both variables");
        assert_caught(
            &name,
            &text,
            &Expect {
                severity,
                key,
                names: &names,
                fix,
            },
        );
        // The consistent file does not have it: the file's own contradiction is what is caught.
        assert!(
            !findings(&render(&consistent()))
                .iter()
                .any(|f| f.key.as_deref() == Some(key)),
            "{name}"
        );
    }
}
