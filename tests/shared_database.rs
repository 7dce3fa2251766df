//! The shared database, end to end on a real PostgreSQL 15 cluster: a backend that already has
//! an object under every name Lakekeeper's migrations create; `verify` fails naming each; with
//! `[postgres] schema`, `apply` writes the search-path option into both URLs (read back the
//! same by python-dotenv and Compose), `verify --fix --yes` creates the schema, `verify`
//! passes, and a stand-in migration (Lakekeeper-shaped statements run by psql through the
//! written URL) lands in the schema without touching `public`.

mod support;

use std::fmt::Write as _;
use std::process::{Command, Output};

use lakekeeper_setup::verify::postgres::objects::{self, Kind};
use support::pg::{Cluster, Options};
use support::pgbouncer::Bouncer;
use support::project::{API_ID, BACKEND_ID, FAKE_SECRET, Project, TENANT};
use support::readers;
use support::tools::{require_python_module, require_tool};

const APP_PASSWORD: &str = "fake-app-p@ss word";
const OPTION: &str = "&options=-c%20search_path%3Dlakekeeper%2Cpublic";

fn profile(port: u16, schema: Option<&str>) -> String {
    let schema = schema.map_or(String::new(), |s| format!("schema = \"{s}\"\n"));
    format!(
        "[entra]\ntenant = \"{TENANT}\"\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\n\
         [backend_service]\nclient_id = \"{BACKEND_ID}\"\n\
         [postgres]\nhost = \"127.0.0.1\"\nport = {port}\ndatabase = \"appdb\"\nuser = \"app\"\nsslmode = \"disable\"\n{schema}\
         [storage]\naccount = \"fakeaccount\"\ncontainer = \"warehouse\"\ncredential = \"shared-key\"\n"
    )
}

fn apply(p: &Project) -> Output {
    let out = p
        .cmd()
        .args(["apply", "--generate-key", "--yes"])
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("POSTGRES_PASSWORD", APP_PASSWORD)
        .env("AZURE_STORAGE_ACCOUNT_KEY", "ZmFrZS1rZXk=")
        .output()
        .expect("run apply");
    assert_eq!(
        out.status.code(),
        Some(0),
        "apply: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `verify --only postgres --json` plus `extra`: (exit code, the postgres check as JSON, stderr).
fn verify(p: &Project, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = p
        .cmd()
        .args(["verify", "--only", "postgres", "--json"])
        .args(extra)
        .output()
        .expect("run verify");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let check = json["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "postgres"))
        .cloned()
        .unwrap_or_else(|| panic!("no postgres check in {json}"));
    (
        out.status.code(),
        check,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn url(p: &Project) -> String {
    let env = readers::python_dotenv(&p.path("backend/.env"));
    env["LAKEKEEPER__PG_DATABASE_URL_WRITE"]
        .clone()
        .expect("a URL")
}

fn names_in(pg: &Cluster, schema: &str) -> String {
    pg.sql(
        "appdb",
        &format!(
            "SELECT string_agg(n, ',' ORDER BY n) FROM ( \
               SELECT relname::text n FROM pg_class WHERE relnamespace = '{schema}'::regnamespace \
               UNION ALL SELECT typname FROM pg_type WHERE typnamespace = '{schema}'::regnamespace AND typrelid = 0 AND typelem = 0 \
               UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = '{schema}'::regnamespace) x"
        ),
    )
}

/// A cluster with role `app` owning database `appdb`, the extensions in `public` as on Azure.
fn backend_database() -> Option<Cluster> {
    let pg = Cluster::start(Options::default())?;
    if require_tool("psql").is_none() || !require_python_module("dotenv") {
        return None;
    }
    pg.sql(
        "postgres",
        &format!("CREATE ROLE app LOGIN PASSWORD '{APP_PASSWORD}'"),
    );
    pg.sql("postgres", "CREATE DATABASE appdb OWNER app");
    pg.sql(
        "appdb",
        "CREATE EXTENSION \"uuid-ossp\"; CREATE EXTENSION pgcrypto; CREATE EXTENSION pg_trgm; \
         CREATE EXTENSION btree_gin; CREATE EXTENSION btree_gist",
    );
    Some(pg)
}

/// Issue 20, item 14: the 13 names only Lakekeeper's main branch creates (no release yet) do
/// not stop the pinned v0.13.3's migrations, so a backend holding them passes `verify`, with a
/// warning that says what to do before upgrading.
#[test]
fn names_only_a_later_lakekeeper_creates_warn_and_pass() {
    let Some(pg) = backend_database() else {
        return;
    };
    let mut backend = String::from("SET ROLE app;");
    for later in objects::later() {
        let _ = match later.kind {
            Kind::Table => write!(backend, "CREATE TABLE \"{}\" (id int);", later.name),
            Kind::Type => write!(backend, "CREATE TYPE \"{}\" AS ENUM ('a');", later.name),
            Kind::Function => write!(
                backend,
                "CREATE FUNCTION \"{}\"() RETURNS int LANGUAGE sql AS 'SELECT 1';",
                later.name
            ),
            Kind::View | Kind::Sequence => panic!("{later:?}: no later view or sequence expected"),
        };
    }
    pg.sql("appdb", &backend);
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(pg.port, Some("none")));
    apply(&p);
    let (code, check, _) = verify(&p, &[]);
    assert_eq!(code, Some(0), "{check}");
    assert_eq!(check["status"], "warning", "{check}");
    let summary = check["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with(
            "schema public has 13 objects with names that Lakekeeper v0.13.3 (the pinned image) does not create but a later Lakekeeper does (no release yet: Lakekeeper's main branch after v0.13.3 (at 90892e9)): "
        ) && summary.ends_with(" — v0.13.3 migrates fine; the upgrade's `lakekeeper migrate` would stop at the first"),
        "{summary}"
    );
    for name in [
        "grant_assignment",
        "schema_field",
        "tabular_field",
        "tag",
        "tag_allowed_value",
        "tag_definition",
        "grant_principal_type",
        "grant_resource_type",
        "iceberg_type_kind",
        "tag_source",
        "tag_value_kind",
        "gc_orphaned_columns",
        "reject_schema_write",
    ] {
        assert!(summary.contains(name), "{name} not named in {summary}");
    }
    assert!(!summary.contains("already has"), "{summary}");
    assert!(
        check["fix"].as_str().is_some_and(|f| f.starts_with(
            "before upgrading the image past v0.13.3: give Lakekeeper its own schema"
        )),
        "{check}"
    );
}

#[test]
fn every_collision_fails_verify_and_lakekeepers_own_schema_isolates_it() {
    let Some(pg) = backend_database() else {
        return;
    };
    // The backend got there first: an object under every one of Lakekeeper's names.
    let mut backend = String::from("SET ROLE app;");
    for name in objects::names(Kind::Table)
        .iter()
        .chain(objects::names(Kind::View))
    {
        let _ = write!(backend, "CREATE TABLE \"{name}\" (id int);");
    }
    for name in objects::names(Kind::Sequence) {
        let _ = write!(backend, "CREATE SEQUENCE \"{name}\";");
    }
    for name in objects::names(Kind::Type) {
        let _ = write!(backend, "CREATE TYPE \"{name}\" AS ENUM ('a');");
    }
    for name in objects::names(Kind::Function) {
        let _ = write!(
            backend,
            "CREATE FUNCTION \"{name}\"() RETURNS int LANGUAGE sql AS 'SELECT 1';"
        );
    }
    pg.sql("appdb", &backend);
    let public_before = names_in(&pg, "public");

    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(pg.port, Some("none")));
    apply(&p);
    assert!(!url(&p).contains("options="), "{}", url(&p));
    let (code, check, _) = verify(&p, &[]);
    assert_eq!(code, Some(1), "{check}");
    assert_eq!(check["status"], "failed", "{check}");
    let summary = check["summary"].as_str().unwrap_or_default();
    // Only the pinned image's names fail; the later ones are a warning of their own.
    let total: usize = Kind::ALL.iter().map(|k| objects::pinned(*k).len()).sum();
    assert!(
        summary.starts_with(&format!(
            "schema public already has {total} objects with the names Lakekeeper's migrations create"
        )),
        "{summary}"
    );
    let named = |text: &str, name: &str| {
        text.contains(&format!(" {name},"))
            || text.contains(&format!(" {name};"))
            || text.contains(&format!(" {name} —"))
    };
    for kind in Kind::ALL {
        for name in objects::pinned(kind) {
            assert!(named(summary, name), "{name} not named in {summary}");
        }
    }
    let details = check["details"].to_string();
    for later in objects::later() {
        assert!(
            !named(summary, &later.name),
            "{} failed: {summary}",
            later.name
        );
        assert!(
            details.contains(&later.name),
            "{} not warned: {details}",
            later.name
        );
    }
    // The names a FastAPI backend plausibly has, by kind, as the issue measured them.
    for (kind, name) in [
        ("tables", "users"),
        ("tables", "task_log"),
        ("tables", "role_membership"),
        ("enum types", "user_type"),
        ("functions", "set_updated_at"),
    ] {
        let list = summary
            .split("; ")
            .find(|part| part.contains(&format!("{kind} ")))
            .unwrap_or_else(|| panic!("no {kind} in {summary}"));
        assert!(list.contains(name), "{name} not among {kind}: {list}");
    }
    assert!(
        check["fix"]
            .as_str()
            .is_some_and(|f| f.contains("[postgres] schema = \"lakekeeper\"")),
        "{check}"
    );

    // Lakekeeper's own schema: both URLs carry the option; every reader sees it the same.
    p.write(
        "lakekeeper-setup.toml",
        &profile(pg.port, Some("lakekeeper")),
    );
    apply(&p);
    let env_path = p.path("backend/.env");
    let written = url(&p);
    assert!(
        written.ends_with(&format!("sslmode=disable{OPTION}")),
        "{written}"
    );
    let py = readers::python_dotenv(&env_path);
    let keys = [
        "LAKEKEEPER__PG_DATABASE_URL_READ",
        "LAKEKEEPER__PG_DATABASE_URL_WRITE",
    ];
    let (interpolated, env_file) = readers::compose(&p.path("backend"), &keys);
    for key in keys {
        assert_eq!(py[key].as_deref(), Some(written.as_str()), "{key}");
        assert_eq!(interpolated[key], written, "compose ${{{key}}}");
        assert_eq!(env_file[key], written, "compose env_file {key}");
    }
    // The override's migrate service takes the URLs from .env.
    let override_text = p.read("backend/docker-compose.override.yml");
    let migrate = &override_text[override_text
        .find("lakekeeper-migrate:")
        .expect("migrate service")..];
    assert!(
        migrate.contains("LAKEKEEPER__PG_DATABASE_URL_WRITE: ${LAKEKEEPER__PG_DATABASE_URL_WRITE}"),
        "{migrate}"
    );

    // The schema is not there yet: verify says so and offers --fix.
    let (code, check, _) = verify(&p, &[]);
    assert_eq!(code, Some(1), "{check}");
    assert!(
        check["summary"]
            .as_str()
            .is_some_and(|s| s
                .starts_with("schema lakekeeper (first on the URL's search_path) does not exist")),
        "{check}"
    );
    assert!(
        check["fix"]
            .as_str()
            .is_some_and(|f| f.contains("lakekeeper-setup verify --fix")),
        "{check}"
    );
    // Without a terminal and without --yes, --fix only says what it would run.
    let (_, _, stderr) = verify(&p, &["--fix"]);
    assert!(stderr.contains("run again with --yes"), "{stderr}");
    assert_eq!(
        pg.sql(
            "appdb",
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'lakekeeper'"
        ),
        "0"
    );

    let (code, check, stderr) = verify(&p, &["--fix", "--yes"]);
    assert!(
        stderr.contains("fix: created schema lakekeeper"),
        "{stderr}"
    );
    assert_eq!(code, Some(0), "{check}");
    assert_eq!(check["status"], "ok", "{check}");
    assert_eq!(
        pg.sql(
            "appdb",
            "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'lakekeeper'"
        ),
        "app"
    );

    // A stand-in migration through the written URL (libpq sends the options, as sqlx does):
    // Lakekeeper-shaped statements, including its use of an extension function from public.
    let out = Command::new("psql")
        .arg(&written)
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(
            "CREATE TYPE user_type AS ENUM ('application', 'human'); \
             CREATE TABLE users (id text PRIMARY KEY, user_type user_type NOT NULL); \
             CREATE TABLE tag (tag_id uuid PRIMARY KEY DEFAULT uuid_generate_v1mc(), name text); \
             CREATE TABLE table_metadata_log (table_id uuid, sequence_number bigserial); \
             CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END; $$ LANGUAGE plpgsql; \
             INSERT INTO tag (name) VALUES ('x');",
        )
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "stand-in migration: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        names_in(&pg, "lakekeeper"),
        "set_updated_at,table_metadata_log,table_metadata_log_sequence_number_seq,tag,tag_pkey,user_type,users,users_pkey"
    );
    assert_eq!(names_in(&pg, "public"), public_before, "public untouched");

    // The schema is recoverable from .env alone: without the profile's key, apply keeps it.
    p.write("lakekeeper-setup.toml", &profile(pg.port, None));
    apply(&p);
    assert_eq!(url(&p), written);
}

/// PgBouncer in transaction mode (what Azure runs on 6432): Debian's 1.18 refuses the startup
/// `options` outright; told to ignore it, it drops it silently and the session's search path
/// is the default. `verify` fails either way and says what to do; `check` warns offline.
#[tokio::test]
async fn pgbouncer_refuses_or_drops_the_option_and_verify_says_what_to_do() {
    use lakekeeper_setup::verify::Status;
    use lakekeeper_setup::verify::postgres::check_postgres;

    let Some(pg) = Cluster::start(Options::default()) else {
        return;
    };
    pg.sql(
        "postgres",
        &format!("CREATE ROLE app LOGIN PASSWORD '{APP_PASSWORD}'"),
    );
    pg.sql("postgres", "CREATE DATABASE appdb OWNER app");
    pg.sql("appdb", "CREATE SCHEMA lakekeeper AUTHORIZATION app");
    let url = |port: u16| {
        format!(
            "postgresql://app:fake-app-p%40ss%20word@127.0.0.1:{port}/appdb?sslmode=disable{OPTION}"
        )
    };
    let cfg = |port: u16| {
        let mut c = support::verify_env::config("http://127.0.0.1:9", "http://127.0.0.1:9");
        c.env = [("LAKEKEEPER__PG_DATABASE_URL_WRITE".to_owned(), url(port))]
            .into_iter()
            .collect();
        c
    };
    // Straight to the server: the option works.
    let r = check_postgres(&cfg(pg.port)).await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    // A catalog Lakekeeper made in public before would be left behind by the new schema.
    pg.sql(
        "appdb",
        "SET ROLE app; CREATE TABLE public._sqlx_migrations (version bigint PRIMARY KEY); \
         INSERT INTO public._sqlx_migrations VALUES (1), (20240620151429)",
    );
    let r = check_postgres(&cfg(pg.port)).await;
    assert_eq!(r.status, Status::Warning, "{r:#?}");
    assert!(
        r.summary
            .starts_with("public already holds a Lakekeeper catalog")
            && r.fix
                .as_deref()
                .is_some_and(|f| f.contains("schema = \"none\"")),
        "{r:#?}"
    );
    pg.sql("appdb", "DROP TABLE public._sqlx_migrations");

    let Some(strict) = Bouncer::start(pg.port, "appdb", "app", APP_PASSWORD, "extra_float_digits")
    else {
        return;
    };
    let r = check_postgres(&cfg(strict.port)).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(
        r.summary.contains("unsupported startup parameter: options")
            && r.summary.contains("refuses the URL's search-path option"),
        "{}",
        r.summary
    );
    assert!(
        r.fix.as_deref().is_some_and(|f| f.contains("port 5432")
            && f.contains("ALTER ROLE lakekeeper SET search_path = lakekeeper, public")),
        "{r:#?}"
    );

    let Some(lax) = Bouncer::start(pg.port, "appdb", "app", APP_PASSWORD, "options") else {
        return;
    };
    let r = check_postgres(&cfg(lax.port)).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(
        r.summary.starts_with(
            "the URL sets search_path=lakekeeper,public, but the session's is `\"$user\", public`"
        ),
        "{}",
        r.summary
    );
}
