//! Live tests of the `postgres` and `storage` checks against real local stand-ins: a
//! throwaway PostgreSQL 15 cluster per test, Azurite for the Blob API, and an in-process HTTP
//! mock only for what those cannot produce (DFS, role failures).

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use lakekeeper_setup::verify::postgres::check_postgres;
use lakekeeper_setup::verify::{CheckResult, Status, VerifyConfig, WarehouseCredential};
use support::pg::{Cluster, Options, SUPERUSER_PASSWORD};

#[path = "verify_data/storage.rs"]
mod storage;

pub fn config(env: &[(&str, &str)]) -> VerifyConfig {
    VerifyConfig {
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        process_env: BTreeMap::new(),
        authority_host: "http://127.0.0.1:9".into(),
        blob_endpoint: "http://127.0.0.1:9/devstoreaccount1".into(),
        dfs_endpoint: "http://127.0.0.1:9/devstoreaccount1".into(),
        dfs_host: "dfs.core.windows.net".into(),
        storage_scope: "https://storage.azure.com/.default".into(),
        key_prefix: "lake/house".into(),
        warehouse_credential: WarehouseCredential::SharedKey,
        timeout: Duration::from_secs(10),
        only: None,
        token_source: lakekeeper_setup::verify::TokenSource::ServiceAccount,
    }
}

/// Every text a person could see, to prove no secret leaks into it.
pub fn all_text(r: &CheckResult) -> String {
    serde_json::to_string(r).expect("serializes")
}

fn backend_env(port: u16, db: &str, user: &str, password: &str) -> Vec<(String, String)> {
    vec![
        ("POSTGRES_HOST".into(), "127.0.0.1".into()),
        ("POSTGRES_PORT".into(), port.to_string()),
        ("POSTGRES_DB".into(), db.into()),
        ("POSTGRES_USER".into(), user.into()),
        ("POSTGRES_PASSWORD".into(), password.into()),
    ]
}

fn cfg_from(pairs: &[(String, String)]) -> VerifyConfig {
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    config(&borrowed)
}

fn has_detail(r: &CheckResult, needle: &str) -> bool {
    r.details.iter().any(|d| d.contains(needle))
}

#[tokio::test]
async fn postgres_superuser_on_fresh_cluster_is_ok() {
    let Some(pg) = Cluster::start(Options::default()) else {
        return;
    };
    let r = check_postgres(&cfg_from(&backend_env(
        pg.port,
        "postgres",
        "postgres",
        SUPERUSER_PASSWORD,
    )))
    .await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert_eq!(r.name, "postgres");
    assert!(has_detail(&r, "server version 15."), "{r:#?}");
    assert!(
        has_detail(
            &r,
            "extensions not yet installed, creatable by postgres: uuid-ossp, pgcrypto, pg_trgm, btree_gin, btree_gist"
        ),
        "{r:#?}"
    );
    assert!(has_detail(&r, "TLS not in use (sslmode=prefer)"), "{r:#?}");
    assert!(
        has_detail(
            &r,
            "schema public holds none of the 87 names Lakekeeper's migrations create"
        ),
        "{r:#?}"
    );
    assert!(!all_text(&r).contains(SUPERUSER_PASSWORD));
}

#[tokio::test]
async fn postgres_wrong_password_names_postgres_password() {
    let Some(pg) = Cluster::start(Options::default()) else {
        return;
    };
    let r = check_postgres(&cfg_from(&backend_env(
        pg.port,
        "postgres",
        "postgres",
        "fake-wrong-password",
    )))
    .await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        r.summary,
        format!(
            "password authentication failed for user postgres at 127.0.0.1:{}",
            pg.port
        )
    );
    assert!(
        r.fix.as_deref().is_some_and(
            |f| f.starts_with("set POSTGRES_PASSWORD to the password of role postgres")
        ),
        "{r:#?}"
    );
    assert!(!all_text(&r).contains("fake-wrong-password"));
}

#[tokio::test]
async fn postgres_role_without_create_cannot_add_extensions_until_granted() {
    let Some(pg) = Cluster::start(Options::default()) else {
        return;
    };
    pg.sql(
        "postgres",
        "CREATE ROLE app LOGIN PASSWORD 'fake-app-password'",
    );
    pg.sql("postgres", "CREATE DATABASE appdb");
    pg.sql("appdb", "CREATE EXTENSION pgcrypto");
    let env = backend_env(pg.port, "appdb", "app", "fake-app-password");
    let r = check_postgres(&cfg_from(&env)).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        r.summary,
        "extensions not installed and role app may not create them: uuid-ossp, pg_trgm, btree_gin, btree_gist (not a superuser, no CREATE privilege on database appdb)"
    );
    assert!(has_detail(&r, "extensions installed: pgcrypto"), "{r:#?}");
    assert!(
        has_detail(&r, "role app may not create tables in schema public"),
        "{r:#?}"
    );
    let fix = r.fix.as_deref().unwrap_or_default();
    assert!(
        fix.contains("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\";")
            && fix.contains("GRANT CREATE ON DATABASE \"appdb\" TO \"app\";"),
        "{fix}"
    );
    assert!(
        fix.contains("GRANT CREATE ON SCHEMA \"public\" TO \"app\";"),
        "{fix}"
    );

    // The fix works: with CREATE on the database and schema, the trusted contrib extensions
    // are creatable by a plain role.
    pg.sql(
        "appdb",
        "GRANT CREATE ON DATABASE appdb TO app; GRANT CREATE ON SCHEMA public TO app",
    );
    let r = check_postgres(&cfg_from(&env)).await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert!(
        has_detail(
            &r,
            "extensions not yet installed, creatable by app: uuid-ossp, pg_trgm, btree_gin, btree_gist"
        ),
        "{r:#?}"
    );
}

#[tokio::test]
async fn postgres_foreign_users_table_is_a_collision_but_lakekeepers_own_is_not() {
    let Some(pg) = Cluster::start(Options::default()) else {
        return;
    };
    pg.sql(
        "postgres",
        "CREATE TABLE users (id serial PRIMARY KEY, email text)",
    );
    let env = backend_env(pg.port, "postgres", "postgres", SUPERUSER_PASSWORD);
    let r = check_postgres(&cfg_from(&env)).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(
        r.summary.starts_with(
            "schema public already has 1 objects with the names Lakekeeper's migrations create, not made by Lakekeeper: table users"
        ),
        "{}",
        r.summary
    );
    let fix = r.fix.as_deref().unwrap_or_default();
    assert!(
        fix.contains("[postgres] schema = \"lakekeeper\"")
            && fix.contains("options=-c search_path=lakekeeper,public")
            && fix.contains("verify --fix"),
        "{fix}"
    );

    // Lakekeeper's own _sqlx_migrations (its first two versions) makes them its own.
    pg.sql("postgres", "CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY); INSERT INTO _sqlx_migrations VALUES (1), (20240620151429), (20240620151514)");
    let r = check_postgres(&cfg_from(&env)).await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert!(
        has_detail(
            &r,
            "schema public holds Lakekeeper's own objects (3 of its migrations applied before)"
        ),
        "{r:#?}"
    );
    // Another application's sqlx table is not Lakekeeper's.
    pg.sql("postgres", "DELETE FROM _sqlx_migrations WHERE version = 1");
    let r = check_postgres(&cfg_from(&env)).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(r.summary.contains("another application's"), "{}", r.summary);
}

#[tokio::test]
async fn postgres_tls_required_server_accepts_require_and_rejects_disable() {
    if support::tools::require_tool("openssl").is_none() {
        return;
    }
    let Some(pg) = Cluster::start(Options { tls_required: true }) else {
        return;
    };
    // A password with URL-special characters proves the percent-decoding.
    pg.sql(
        "postgres",
        "CREATE ROLE lake LOGIN SUPERUSER PASSWORD 'fake p@ss:w/rd%'",
    );
    let url = |mode: &str| {
        format!(
            "postgresql://lake:fake%20p%40ss%3Aw%2Frd%25@127.0.0.1:{}/postgres{mode}",
            pg.port
        )
    };
    let run = |u: String| async move {
        check_postgres(&config(&[("LAKEKEEPER__PG_DATABASE_URL_WRITE", &u)])).await
    };

    let r = run(url("?sslmode=require")).await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert!(has_detail(&r, "TLS in use (sslmode=require)"), "{r:#?}");
    assert!(!all_text(&r).contains("p@ss") && !all_text(&r).contains("p%40ss"));

    let r = run(url("?sslmode=disable")).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        r.summary,
        format!(
            "the server at 127.0.0.1:{} requires TLS, but sslmode=disable connected without it",
            pg.port
        )
    );
    assert_eq!(
        r.fix.as_deref(),
        Some(
            "set the ?sslmode= in LAKEKEEPER__PG_DATABASE_URL_WRITE to require (Azure Database for PostgreSQL always requires TLS)"
        )
    );

    // No sslmode: prefer, as sqlx and libpq default, negotiates TLS.
    let r = run(url("")).await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert!(has_detail(&r, "TLS in use (sslmode=prefer)"), "{r:#?}");

    // verify-full checks the certificate: a self-signed one is not trusted.
    let r = run(url("?sslmode=verify-full")).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(
        r.summary.contains("is not trusted for sslmode=verify-full"),
        "{}",
        r.summary
    );
}

#[tokio::test]
async fn postgres_nothing_listening_names_host_and_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind")
        .port();
    let r = check_postgres(&cfg_from(&backend_env(
        port, "postgres", "postgres", "fake-pw",
    )))
    .await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        r.summary,
        format!("nothing listens on 127.0.0.1:{port} (connection refused)")
    );
    assert_eq!(
        r.fix.as_deref(),
        Some("check POSTGRES_HOST and POSTGRES_PORT, and that the server is running")
    );
}

#[tokio::test]
async fn postgres_silent_server_fails_within_the_timeout() {
    // Accepts connections (the kernel backlog does) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let mut cfg = cfg_from(&backend_env(port, "postgres", "postgres", "fake-pw"));
    cfg.timeout = Duration::from_secs(1);
    let started = std::time::Instant::now();
    let r = check_postgres(&cfg).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        r.summary,
        format!("no answer from 127.0.0.1:{port} within 1 s")
    );
    assert!(
        r.fix
            .as_deref()
            .is_some_and(|f| f.starts_with("check POSTGRES_HOST and POSTGRES_PORT")),
        "{r:#?}"
    );
    drop(silent);
}

/// Lakekeeper's URL and the backend's `POSTGRES_*` on one real cluster (issue 11 §3): when they
/// differ, the backend's own login is tested too; when they agree, it is not tested twice.
#[tokio::test]
async fn postgres_tests_the_backends_own_settings_when_they_differ_from_lakekeepers_url() {
    let Some(pg) = Cluster::start(Options::default()) else {
        return;
    };
    let url = format!(
        "postgresql://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{}/postgres?sslmode=disable&options=-c%20search_path%3Dpublic",
        pg.port
    );
    let with = |backend: Vec<(String, String)>| {
        let mut pairs = backend;
        pairs.push(("LAKEKEEPER__PG_DATABASE_URL_WRITE".into(), url.clone()));
        cfg_from(&pairs)
    };
    // The same database and login: one connection, no extra line.
    let r = check_postgres(&with(backend_env(
        pg.port,
        "postgres",
        "postgres",
        SUPERUSER_PASSWORD,
    )))
    .await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert!(!has_detail(&r, "the backend's own settings"), "{r:#?}");

    // A stale POSTGRES_PASSWORD: Lakekeeper connects, the backend would not.
    let r = check_postgres(&with(backend_env(
        pg.port,
        "postgres",
        "postgres",
        "fake-stale-password",
    )))
    .await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(
        r.summary.starts_with(
            "the backend's own settings (POSTGRES_*) differ from LAKEKEEPER__PG_DATABASE_URL_WRITE and fail: password authentication failed for user postgres"
        ),
        "{r:#?}"
    );
    assert!(
        r.fix
            .as_deref()
            .is_some_and(|f| f.contains("set POSTGRES_PASSWORD")),
        "{r:#?}"
    );
    assert!(!all_text(&r).contains("fake-stale-password"));
    assert!(!all_text(&r).contains(SUPERUSER_PASSWORD));

    // Another database that exists: both work, and the report says the backend's does too.
    let r = check_postgres(&with(backend_env(
        pg.port,
        "template1",
        "postgres",
        SUPERUSER_PASSWORD,
    )))
    .await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert!(
        has_detail(
            &r,
            &format!(
                "the backend's own settings (POSTGRES_*, not the same as LAKEKEEPER__PG_DATABASE_URL_WRITE) connect too: 127.0.0.1:{}/template1 as postgres",
                pg.port
            )
        ),
        "{r:#?}"
    );
}
