//! Check 4, `postgres`: the database Lakekeeper will use accepts it and can hold its schema.
//!
//! Connects with the settings from `backend/.env` (`sslmode` as libpq means it), then checks
//! the server version (≥ 15), the five extensions Lakekeeper's migrations create, and whether
//! the target schema already has tables with Lakekeeper's names that belong to something else.
//! It only reads: it never creates an extension or a table, and never prints the password.

mod connect;
pub mod inspect;
pub mod settings;
mod tls;

use tokio_postgres::Client;

use super::{CheckName, CheckResult, Status, VerifyConfig, finding};
use inspect::{ExtensionState, Finding, Rights, TableShape};
use settings::{PgSettings, SettingsError, SslMode};

/// Runs the PostgreSQL check. Bounded by `cfg.timeout` for the connection and again for the
/// queries.
pub async fn check_postgres(cfg: &VerifyConfig) -> CheckResult {
    let settings = match settings::resolve(&cfg.env) {
        Ok(s) => s,
        Err(e) => {
            let fix = match &e {
                SettingsError::Missing(_) => {
                    "set the database settings in backend/.env (the wizard writes them)".to_owned()
                }
                other => other.to_string(),
            };
            return CheckResult::new(CheckName::Postgres, Status::Failed, e.to_string())
                .with_fix(fix);
        }
    };
    let target = format!(
        "{}:{}/{} as {}",
        settings.host, settings.port, settings.database, settings.user
    );
    let client = match connect::connect(&settings, cfg.timeout).await {
        Ok(c) => c,
        Err(f) => {
            let mut r = CheckResult::new(CheckName::Postgres, Status::Failed, f.summary)
                .with_detail(format!(
                    "connecting to {target}, sslmode={}",
                    settings.ssl_mode.as_str()
                ));
            r.fix = f.fix;
            return r;
        }
    };
    let mut findings =
        match tokio::time::timeout(cfg.timeout, inspect_server(&client, &settings)).await {
            Ok(Ok(f)) => f,
            Ok(Err(e)) => vec![Finding::failed(
                format!(
                    "connected, but a catalog query failed: {}",
                    e.as_db_error()
                        .map_or_else(|| e.to_string(), |d| d.message().to_owned())
                ),
                "check that the role may read pg_catalog (a normal role can)",
            )],
            Err(_) => vec![Finding::failed(
                format!(
                    "connected, but the server did not answer catalog queries within {} s",
                    cfg.timeout.as_secs()
                ),
                "check the server's load, or raise --timeout",
            )],
        };
    findings.extend(backend_connection(cfg, &settings).await);
    finding::assemble(
        CheckName::Postgres,
        &format!("PostgreSQL at {target} is ready for Lakekeeper"),
        &format!("connected to {target}"),
        &findings,
    )
}

/// The backend's own connection (`POSTGRES_*`), when it is not the one just tested: the setup
/// shares one database, and a backend that cannot log in fails as surely as Lakekeeper.
/// Without its own sslmode the backend is tried with Lakekeeper's.
async fn backend_connection(cfg: &VerifyConfig, lakekeeper: &PgSettings) -> Option<Finding> {
    if lakekeeper.source == settings::Source::Backend {
        return None;
    }
    let mut b = settings::backend(&cfg.env).ok()?;
    if !settings::differs(&b, lakekeeper) {
        return None;
    }
    if !cfg.env.contains_key("POSTGRES_SSLMODE") {
        b.ssl_mode = lakekeeper.ssl_mode;
    }
    let target = format!("{}:{}/{} as {}", b.host, b.port, b.database, b.user);
    Some(match connect::connect(&b, cfg.timeout).await {
        Ok(_) => Finding::ok(format!(
            "the backend's own settings (POSTGRES_*, not the same as {}) connect too: {target}",
            crate::keys::PG_URL_WRITE
        )),
        Err(f) => Finding::failed(
            format!(
                "the backend's own settings (POSTGRES_*) differ from {} and fail: {}",
                crate::keys::PG_URL_WRITE,
                f.summary
            ),
            f.fix.unwrap_or_else(|| {
                "make POSTGRES_* match the database Lakekeeper uses (`lakekeeper-setup check` names each difference)".to_owned()
            }),
        ),
    })
}

async fn inspect_server(
    client: &Client,
    s: &PgSettings,
) -> Result<Vec<Finding>, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT current_setting('server_version_num')::int, current_setting('server_version'), \
             current_user::text, current_database()::text, current_schema()::text, \
             COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false), \
             has_database_privilege(current_database(), 'CREATE'), \
             COALESCE(has_schema_privilege(current_schema(), 'CREATE'), false), \
             COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false), \
             current_setting('azure.extensions', true)",
            &[],
        )
        .await?;
    let version_num: i32 = row.get(0);
    let version_text: String = row.get(1);
    let user: String = row.get(2);
    let database: String = row.get(3);
    let schema: Option<String> = row.get(4);
    let rights = Rights {
        superuser: row.get(5),
        create_on_database: row.get(6),
    };
    let create_on_schema: bool = row.get(7);
    let tls: bool = row.get(8);
    let azure: Option<String> = row.get(9);

    let mut findings = vec![Finding::ok(format!(
        "TLS {} (sslmode={})",
        if tls { "in use" } else { "not in use" },
        s.ssl_mode.as_str()
    ))];
    if !tls && s.ssl_mode == SslMode::Prefer && s.host.ends_with(".postgres.database.azure.com") {
        findings.push(Finding::warning(
            "TLS is not in use with an Azure server",
            format!("set {} to require", s.source.field(settings::Part::SslMode)),
        ));
    }
    findings.push(inspect::version(version_num, &version_text));

    let names: Vec<&str> = inspect::EXTENSIONS.to_vec();
    let rows = client
        .query(
            "SELECT n.name, a.name IS NOT NULL, a.installed_version IS NOT NULL, \
             COALESCE((SELECT v.trusted FROM pg_available_extension_versions v \
                       WHERE v.name = n.name AND v.version = a.default_version), false) \
             FROM unnest($1::text[]) WITH ORDINALITY AS n(name, i) \
             LEFT JOIN pg_available_extensions a ON a.name = n.name ORDER BY n.i",
            &[&names],
        )
        .await?;
    let states: Vec<ExtensionState> = rows
        .iter()
        .map(|r| ExtensionState {
            name: r.get(0),
            available: r.get(1),
            installed: r.get(2),
            trusted: r.get(3),
        })
        .collect();
    findings.extend(inspect::extensions(
        &states,
        rights,
        azure.as_deref(),
        &user,
        &database,
    ));

    let Some(schema) = schema else {
        findings.push(Finding::failed(
            format!("role {user} has no current schema (its search_path names no existing schema)"),
            format!("ALTER ROLE \"{user}\" SET search_path = <schema>; with a schema that exists and {user} may create in"),
        ));
        return Ok(findings);
    };
    let tables: Vec<&str> = inspect::LAKEKEEPER_TABLES.to_vec();
    let rows = client
        .query(
            "SELECT c.relname::text, COALESCE(array_agg(a.attname::text) FILTER (WHERE a.attname IS NOT NULL), '{}') \
             FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace \
             LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             WHERE ns.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = ANY($2::text[]) \
             GROUP BY c.relname ORDER BY c.relname",
            &[&schema, &tables],
        )
        .await?;
    let found: Vec<TableShape> = rows
        .iter()
        .map(|r| TableShape {
            name: r.get(0),
            columns: r.get(1),
        })
        .collect();
    let state = inspect::schema(&found, &schema, &user);
    let lakekeeper_there = state.status == Status::Ok && !found.is_empty();
    findings.push(state);
    if !create_on_schema && !lakekeeper_there {
        findings.push(Finding::failed(
            format!("role {user} may not create tables in schema {schema} (PostgreSQL 15 no longer grants CREATE on public to everyone)"),
            format!("GRANT CREATE ON SCHEMA \"{schema}\" TO \"{user}\"; (as the schema owner or a superuser), or give {user} its own schema"),
        ));
    }
    Ok(findings)
}
