//! Production's database, end to end on a real PostgreSQL 15 cluster shared with a backend that
//! already has a table under every name Lakekeeper's migrations create (and a table of
//! payments): `verify --production` fails naming the missing role; `verify --production --fix`
//! gives the administrator's SQL, which an administrator runs; `verify --production` passes,
//! connecting as the pods do. Then the migration Job the official chart renders from `export
//! helm`'s values (its split database variables and the Secret's password, nothing else)
//! runs a Lakekeeper-shaped migration (every one of Lakekeeper's object names, created
//! unqualified as its migrations do, using an extension function from `public`): everything
//! lands in Lakekeeper's schema, `public` is untouched, and that role cannot read the backend's
//! table. Loosened rights and a lost search path fail `verify --production` naming the fix.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::{Command, Output};

use lakekeeper_setup::verify::postgres::objects::{self, Kind};
use serde_json::Value;
use support::helm::{self, container_env, object, secrets_of};
use support::pg::{Cluster, Options};
use support::project::{API_ID, BACKEND_ID, FAKE_SECRET, Project, TENANT};
use support::tools::require_tool;

const APP_PASSWORD: &str = "fake-app-password-1";
const ROLE_PASSWORD: &str = "fake-lakekeeper-role-p@ss";
const KEY: &str = "fakeEncryptionKeyNotReal0123456789abcdef";

fn profile(port: u16) -> String {
    format!(
        "[entra]\ntenant = \"{TENANT}\"\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\n\
         [backend_service]\nclient_id = \"{BACKEND_ID}\"\n\
         [postgres]\nhost = \"127.0.0.1\"\nport = {port}\ndatabase = \"appdb\"\nuser = \"app\"\nsslmode = \"disable\"\nschema = \"lakekeeper\"\n\
         [storage]\naccount = \"fakeaccount\"\ncontainer = \"warehouse\"\ncredential = \"shared-key\"\n\n\
         [production]\nbase_uri = \"https://lakekeeper.example.com\"\n\
         api_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod.example.com\"\n\
         lakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\n"
    )
}

/// `verify --production --only postgres --json` plus `extra`, with `env`: (exit code, the
/// checks by name, stderr).
fn verify(
    p: &Project,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, BTreeMap<String, Value>, String) {
    let mut c = p.cmd();
    c.args(["verify", "--production", "--only", "postgres", "--json"])
        .args(extra);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run verify");
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let checks = json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (c["name"].as_str().expect("name").to_owned(), c.clone()))
        .collect();
    (
        out.status.code(),
        checks,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn names_in(pg: &Cluster, schema: &str) -> String {
    pg.sql(
        "appdb",
        &format!(
            "SELECT string_agg(n, ',' ORDER BY n) FROM ( \
               SELECT relname::text n FROM pg_class WHERE relnamespace = '{schema}'::regnamespace \
               UNION ALL SELECT typname FROM pg_type WHERE typnamespace = '{schema}'::regnamespace AND typrelid = 0 AND typelem = 0 \
               UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = '{schema}'::regnamespace \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = pg_proc.oid AND d.deptype = 'e')) x"
        ),
    )
}

/// Every one of Lakekeeper's object names, created unqualified as its migrations create
/// them (so the search path decides the schema), with its `CREATE EXTENSION IF NOT EXISTS`
/// and its use of an extension function that lives in `public`.
fn stand_in_migration() -> String {
    let mut sql = String::new();
    for e in [
        "uuid-ossp",
        "pgcrypto",
        "pg_trgm",
        "btree_gin",
        "btree_gist",
    ] {
        let _ = write!(sql, "CREATE EXTENSION IF NOT EXISTS \"{e}\";");
    }
    for name in objects::names(Kind::Table) {
        if name == "_sqlx_migrations" {
            // sqlx's own table, with Lakekeeper's first versions as sqlx records them.
            let versions: Vec<String> = objects::FIRST_VERSIONS
                .iter()
                .map(|v| format!("({v})"))
                .collect();
            let _ = write!(
                sql,
                "CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY); INSERT INTO _sqlx_migrations VALUES {};",
                versions.join(", ")
            );
            continue;
        }
        let _ = write!(
            sql,
            "CREATE TABLE \"{name}\" (id uuid DEFAULT uuid_generate_v1mc());"
        );
    }
    for name in objects::names(Kind::View) {
        let _ = write!(sql, "CREATE VIEW \"{name}\" AS SELECT 1 AS x;");
    }
    for name in objects::names(Kind::Sequence) {
        let _ = write!(sql, "CREATE SEQUENCE \"{name}\";");
    }
    for name in objects::names(Kind::Type) {
        let _ = write!(sql, "CREATE TYPE \"{name}\" AS ENUM ('a');");
    }
    for name in objects::names(Kind::Function) {
        let _ = write!(
            sql,
            "CREATE FUNCTION \"{name}\"() RETURNS int LANGUAGE sql AS 'SELECT 1';"
        );
    }
    sql
}

/// psql with exactly the database settings a rendered container gets (split variables and
/// the Secret's password), nothing from the URL.
fn as_the_pod(env: &BTreeMap<String, String>, sql: &str) -> Output {
    Command::new("psql")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PGHOST", &env["LAKEKEEPER__PG_HOST_W"])
        .env("PGPORT", &env["LAKEKEEPER__PG_PORT"])
        .env("PGDATABASE", &env["LAKEKEEPER__PG_DATABASE"])
        .env("PGUSER", &env["LAKEKEEPER__PG_USER"])
        .env("PGPASSWORD", &env["LAKEKEEPER__PG_PASSWORD"])
        .env("PGSSLMODE", &env["LAKEKEEPER__PG_SSL_MODE"])
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql")
}

#[test]
fn the_administrator_sql_isolates_lakekeepers_role_and_the_rendered_job_migrates_into_its_schema() {
    let Some(pg) = Cluster::start(Options::default()) else {
        return;
    };
    if require_tool("psql").is_none() {
        return;
    }
    pg.sql(
        "postgres",
        &format!("CREATE ROLE app LOGIN PASSWORD '{APP_PASSWORD}'"),
    );
    pg.sql("postgres", "CREATE DATABASE appdb OWNER app");
    // The backend got there first: a table under every one of Lakekeeper's names, and its
    // own payments.
    let mut backend = String::from(
        "SET ROLE app; CREATE TABLE customer_payments (id int, amount numeric); \
         INSERT INTO customer_payments VALUES (1, 99.5);",
    );
    for name in objects::names(Kind::Table) {
        let _ = write!(backend, "CREATE TABLE \"{name}\" (id int);");
    }
    pg.sql("appdb", &backend);

    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(pg.port));
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
        ("POSTGRES_PASSWORD", APP_PASSWORD),
        ("AZURE_STORAGE_ACCOUNT_KEY", "ZmFrZS1rZXk="),
        ("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY),
    ]);

    // No role yet: the role check fails naming the fix; without the role's password the
    // connection check says it did not connect as the pods do.
    let (code, checks, _) = verify(&p, &[], &[]);
    assert_eq!(code, Some(1), "{checks:#?}");
    let role = &checks["postgres-role"];
    assert_eq!(role["status"], "failed", "{role}");
    assert!(
        role["summary"].as_str().is_some_and(
            |s| s.starts_with("role lakekeeper does not exist in production's database appdb")
        ),
        "{role}"
    );
    assert!(
        role["fix"]
            .as_str()
            .is_some_and(|f| f.contains("lakekeeper-setup verify --production --fix")),
        "{role}"
    );
    assert_eq!(checks["postgres"]["status"], "skipped", "{checks:#?}");

    // --fix: the backend's role may not create roles, so it prints the administrator's SQL.
    let (_, _, stderr) = verify(&p, &["--fix"], &[]);
    assert!(stderr.contains("run it as an administrator"), "{stderr}");
    let sql: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.starts_with("fix: production's database appdb needs"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    assert_eq!(sql.len(), 11, "{stderr}");
    assert!(sql.contains(&"ALTER ROLE \"lakekeeper\" SET search_path = \"lakekeeper\", public;"));
    assert!(!stderr.contains(ROLE_PASSWORD));
    // The administrator runs it once, with the password that goes into the Secret.
    let script = sql.join("\n").replace(
        "'<the password in the Secret>'",
        &format!("'{ROLE_PASSWORD}'"),
    );
    pg.sql("appdb", &script);
    // (The extensions' own types are in public now too; the migration must add nothing.)
    let public_before = names_in(&pg, "public");
    assert!(
        public_before.contains("customer_payments,"),
        "{public_before}"
    );

    let pod_env = [("LAKEKEEPER_PRODUCTION_PG_PASSWORD", ROLE_PASSWORD)];
    let (code, checks, _) = verify(&p, &[], &pod_env);
    assert_eq!(code, Some(0), "{checks:#?}");
    assert_eq!(checks["postgres"]["status"], "ok", "{checks:#?}");
    assert!(
        checks["postgres"]["details"]
            .to_string()
            .contains("as lakekeeper"),
        "connected as the pods do: {checks:#?}"
    );
    assert_eq!(checks["postgres-role"]["status"], "ok", "{checks:#?}");

    // The migration Job the chart renders from the exported values.
    if !helm::ready() {
        return;
    }
    let out = p
        .cmd()
        .args(["export", "helm", "--secrets", "kubernetes", "--out"])
        .arg(p.path("deploy"))
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY)
        .env("LAKEKEEPER_PRODUCTION_PG_PASSWORD", ROLE_PASSWORD)
        .output()
        .expect("export");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = helm::render(&p.path("deploy/values.yaml"), &p.path("rendered.yaml"));
    let mut secrets = secrets_of(&docs);
    secrets.extend(secrets_of(&helm::load(
        &p.path("deploy/secrets/secret.yaml"),
    )));
    let job = container_env(object(&docs, "Job"), "migration", &secrets);
    assert_eq!(job["LAKEKEEPER__PG_USER"], "lakekeeper");
    assert_eq!(job["LAKEKEEPER__PG_HOST_W"], "127.0.0.1");
    assert!(
        !job.contains_key("LAKEKEEPER__PG_DATABASE_URL_WRITE"),
        "split variables only"
    );

    let out = as_the_pod(&job, &stand_in_migration());
    assert!(
        out.status.success(),
        "migration as the pod's role: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let landed = names_in(&pg, "lakekeeper");
    for kind in Kind::ALL {
        for name in objects::names(kind) {
            assert!(
                landed.split(',').any(|n| n == name),
                "{name} not in schema lakekeeper: {landed}"
            );
        }
    }
    assert_eq!(names_in(&pg, "public"), public_before, "public untouched");

    // That role cannot read the backend's table.
    let out = as_the_pod(&job, "SELECT count(*) FROM public.customer_payments");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("permission denied for table customer_payments"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, checks, _) = verify(&p, &[], &pod_env);
    assert_eq!(code, Some(0), "after the migration: {checks:#?}");

    // Loosened: a grant on a backend table, and a lost search path, each fail naming the fix.
    pg.sql("appdb", "GRANT SELECT ON customer_payments TO lakekeeper");
    pg.sql("appdb", "ALTER ROLE lakekeeper RESET search_path");
    let (code, checks, _) = verify(&p, &[], &pod_env);
    assert_eq!(code, Some(1), "{checks:#?}");
    let role = &checks["postgres-role"];
    let text = role.to_string();
    assert!(
        text.contains(
            "role lakekeeper can read 1 of the backend's tables and views: customer_payments"
        ),
        "{role}"
    );
    assert!(
        text.contains("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \\\"lakekeeper\\\""),
        "{role}"
    );
    assert!(
        text.contains("role lakekeeper has no default search_path"),
        "{role}"
    );
    assert!(
        text.contains(
            "ALTER ROLE \\\"lakekeeper\\\" SET search_path = \\\"lakekeeper\\\", public;"
        ),
        "{role}"
    );
}

/// Where the signed-in role may create roles (here the backend's own role, given CREATEROLE),
/// `verify --production --fix --yes` runs the administrator's SQL itself, with the password
/// from the environment; a second run finds nothing to do.
#[test]
fn fix_runs_the_sql_itself_where_the_signed_in_role_may() {
    let Some(pg) = Cluster::start(Options::default()) else {
        return;
    };
    if require_tool("psql").is_none() {
        return;
    }
    pg.sql(
        "postgres",
        &format!("CREATE ROLE app LOGIN CREATEROLE PASSWORD '{APP_PASSWORD}'"),
    );
    pg.sql("postgres", "CREATE DATABASE appdb OWNER app");
    pg.sql(
        "appdb",
        "SET ROLE app; CREATE TABLE customer_payments (id int, amount numeric)",
    );
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(pg.port));
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
        ("POSTGRES_PASSWORD", APP_PASSWORD),
        ("AZURE_STORAGE_ACCOUNT_KEY", "ZmFrZS1rZXk="),
        ("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY),
    ]);
    let pod_env = [("LAKEKEEPER_PRODUCTION_PG_PASSWORD", ROLE_PASSWORD)];
    // Without --yes and without a terminal it only says how.
    let (_, _, stderr) = verify(&p, &["--fix"], &pod_env);
    assert!(stderr.contains("this role may run it"), "{stderr}");
    assert!(stderr.contains("run again with --yes"), "{stderr}");
    assert_eq!(
        pg.sql(
            "appdb",
            "SELECT count(*) FROM pg_roles WHERE rolname = 'lakekeeper'"
        ),
        "0"
    );
    let (code, checks, stderr) = verify(&p, &["--fix", "--yes"], &pod_env);
    assert!(
        stderr.contains("fix: role lakekeeper set up in schema lakekeeper"),
        "{stderr}"
    );
    assert!(!stderr.contains(ROLE_PASSWORD), "{stderr}");
    assert_eq!(code, Some(0), "{checks:#?}");
    assert_eq!(checks["postgres-role"]["status"], "ok", "{checks:#?}");
    assert_eq!(
        checks["postgres"]["status"], "ok",
        "as the pods: {checks:#?}"
    );
    assert_eq!(
        pg.sql(
            "appdb",
            "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'lakekeeper'"
        ),
        "lakekeeper"
    );
    let (code, _, stderr) = verify(&p, &["--fix", "--yes"], &pod_env);
    assert_eq!(code, Some(0));
    assert!(!stderr.contains("fix: production's database"), "{stderr}");
}
