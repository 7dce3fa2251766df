//! Lint findings, checked against the fixture base file (its defects are listed at its top).

use crate::compose::{ComposeFile, ComposeFinding, Severity, lint, lint_merged};

const FIXTURE: &str =
    include_str!("../../../tests/fixtures/team-project/backend/docker-compose.yml");

fn finding(severity: Severity, line: usize, message: &str, fix: &str) -> ComposeFinding {
    ComposeFinding {
        severity,
        line: Some(line),
        message: message.to_owned(),
        fix: fix.to_owned(),
    }
}

fn spliced(key: &str) -> String {
    format!(
        "`lakekeeper` builds `{key}` by splicing ${{POSTGRES_USER}}, ${{POSTGRES_PASSWORD}}, ${{POSTGRES_HOST}}, ${{POSTGRES_PORT}}, ${{POSTGRES_DB}} into a URL: a user or password containing @ : / ? # or % breaks it, and it sets no sslmode"
    )
}

fn spliced_fix(key: &str) -> String {
    format!(
        "let lakekeeper-setup write a percent-encoded URL with sslmode=require to .env and reference it whole: `{key}: ${{{key}}}`"
    )
}

const HEALTH_FIX: &str =
    "use `test: [\"CMD\", \"/home/nonroot/lakekeeper\", \"healthcheck\", \"-s\"]`";
const MIGRATE_MSG: &str = "no one-shot migrate service: `lakekeeper` can start before its tables exist in PostgreSQL, or on an old schema after an upgrade";
const MIGRATE_FIX: &str = "add a service running the same image with `command: [\"migrate\"]` and make `lakekeeper` depend on it with `condition: service_completed_successfully` (lakekeeper-setup's override does both)";

#[test]
fn fixture_base_file_defects_are_all_found() {
    let want = vec![
        finding(
            Severity::Warning,
            11,
            "`lakekeeper` image `quay.io/lakekeeper/catalog:latest` uses a moving tag: it is not pinned to a release",
            "use `image: quay.io/lakekeeper/catalog:v0.13.3`",
        ),
        finding(
            Severity::Error,
            27,
            "`lakekeeper` healthcheck runs a shell command (`CMD-SHELL`) with `curl`, but the Lakekeeper image has no shell and no curl, so the container never becomes healthy",
            HEALTH_FIX,
        ),
        finding(
            Severity::Warning,
            17,
            &spliced("LAKEKEEPER__PG_DATABASE_URL_READ"),
            &spliced_fix("LAKEKEEPER__PG_DATABASE_URL_READ"),
        ),
        finding(
            Severity::Warning,
            18,
            &spliced("LAKEKEEPER__PG_DATABASE_URL_WRITE"),
            &spliced_fix("LAKEKEEPER__PG_DATABASE_URL_WRITE"),
        ),
        finding(Severity::Warning, 10, MIGRATE_MSG, MIGRATE_FIX),
    ];
    assert_eq!(lint(FIXTURE).unwrap(), want);
    assert_eq!(
        want[1].to_string(),
        format!("line 27: error: {} (fix: {HEALTH_FIX})", want[1].message)
    );
}

#[test]
fn our_own_override_is_clean() {
    let out = crate::compose::render_override(None, &super::spec()).unwrap();
    assert_eq!(lint(&out).unwrap(), vec![]);
}

#[test]
fn literal_secrets_are_errors_that_never_show_the_value() {
    let text = "services:\n  lakekeeper:\n    image: quay.io/lakekeeper/catalog:v0.13.3\n    command: [\"serve\"]\n    environment:\n      LAKEKEEPER__PG_ENCRYPTION_KEY: fake-secret-key-0123456789\n      CLIENT_SECRET: ${CLIENT_SECRET}\n      LAKEKEEPER__PG_DATABASE_URL_WRITE: postgresql://u:fake-secret-pw@db:5432/x?sslmode=require\n      LAKEKEEPER__BASE_URI: http://localhost:8181\n  lakekeeper-migrate:\n    command: migrate\n";
    let found = lint(text).unwrap();
    let literal = |key: &str, line| {
        finding(
            Severity::Error,
            line,
            &format!(
                "`lakekeeper` environment sets `{key}` to a literal value: a secret in the compose file ends up in version control and in `docker compose config` output"
            ),
            &format!("put the value in .env and write `{key}: ${{{key}}}`"),
        )
    };
    assert_eq!(
        found,
        vec![
            literal("LAKEKEEPER__PG_ENCRYPTION_KEY", 6),
            literal("LAKEKEEPER__PG_DATABASE_URL_WRITE", 8)
        ]
    );
    assert!(found.iter().all(|f| !f.to_string().contains("fake-secret")));
}

#[test]
fn image_tags_and_healthchecks_table() {
    let image = |img: &str| {
        format!("services:\n  lakekeeper:\n    image: {img}\n  m:\n    command: [\"migrate\"]\n")
    };
    let msgs = |text: &str| {
        lint(text)
            .unwrap()
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        msgs(&image("quay.io/lakekeeper/catalog")),
        vec![
            "`lakekeeper` image `quay.io/lakekeeper/catalog` has no tag, which means `latest`: it is not pinned to a release"
        ]
    );
    assert_eq!(
        msgs(&image("quay.io/lakekeeper/catalog:latest-main")),
        vec![
            "`lakekeeper` image `quay.io/lakekeeper/catalog:latest-main` uses a moving tag: it is not pinned to a release"
        ]
    );
    assert!(msgs(&image("localhost:5000/lakekeeper/catalog:v0.13.3")).is_empty());
    assert!(msgs(&image("quay.io/lakekeeper/catalog@sha256:abc")).is_empty());
    assert_eq!(
        msgs(&image("localhost:5000/catalog")).len(),
        1,
        "a registry port is not a tag"
    );

    let health = |test: &str| {
        format!(
            "services:\n  lakekeeper:\n    healthcheck:\n      test: {test}\n  m:\n    command: migrate --x\n"
        )
    };
    let says = |what: &str| {
        format!(
            "`lakekeeper` healthcheck {what}, but the Lakekeeper image has no shell and no curl, so the container never becomes healthy"
        )
    };
    assert_eq!(
        msgs(&health("curl -f http://localhost:8181/health")),
        vec![says("runs a shell command (`CMD-SHELL`) with `curl`")]
    );
    assert_eq!(
        msgs(&health(
            "[\"CMD\", \"curl\", \"-f\", \"http://localhost:8181/health\"]"
        )),
        vec![says("runs `curl`")]
    );
    assert_eq!(
        msgs(&health(
            "[\"CMD-SHELL\", \"/home/nonroot/lakekeeper healthcheck\"]"
        )),
        vec![says("runs a shell command (`CMD-SHELL`)")]
    );
    assert!(
        msgs(&health(
            "[\"CMD\", \"/home/nonroot/lakekeeper\", \"healthcheck\", \"-s\"]"
        ))
        .is_empty()
    );
}

#[test]
fn files_without_lakekeeper_have_nothing_to_say_and_bad_yaml_is_an_error() {
    assert_eq!(
        lint("services:\n  backend:\n    image: b\n").unwrap(),
        vec![]
    );
    assert_eq!(lint("").unwrap(), vec![]);
    assert!(
        lint("services: [\n")
            .unwrap_err()
            .to_string()
            .starts_with("the compose file is not valid YAML: ")
    );
}

#[test]
fn merged_with_our_override_only_the_unfixed_base_settings_remain() {
    let ours = crate::compose::render_override(None, &super::spec()).unwrap();
    let found = lint_merged(FIXTURE, &ours).unwrap();
    // Our override sets image, healthcheck test and both PG URLs, and adds the migrate service.
    assert_eq!(found, vec![]);

    // An override that only pins the image leaves the rest of the base's defects in place.
    let partial = "services:\n  lakekeeper:\n    image: quay.io/lakekeeper/catalog:v0.13.3\n";
    let found = lint_merged(FIXTURE, partial).unwrap();
    let files_lines: Vec<(ComposeFile, Option<usize>)> =
        found.iter().map(|(f, x)| (*f, x.line)).collect();
    assert_eq!(
        files_lines,
        vec![
            (ComposeFile::Base, Some(27)),
            (ComposeFile::Base, Some(17)),
            (ComposeFile::Base, Some(18)),
            (ComposeFile::Base, Some(10)),
        ]
    );
    assert_eq!(found[3].1.message, MIGRATE_MSG);
}
