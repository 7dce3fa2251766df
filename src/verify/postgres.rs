//! Check 4, `postgres`: the database Lakekeeper will use accepts it and can hold its schema.
//!
//! Connects with the settings from `backend/.env` (`sslmode` as libpq means it, the URL's
//! `options` sent as Lakekeeper sends them), then checks the server version (≥ 15), the five
//! extensions Lakekeeper's migrations create and whether its search path reaches them, that the
//! schema Lakekeeper creates into exists and is usable, and whether any object there already
//! has one of the names Lakekeeper's migrations create (`assets/lakekeeper-objects.toml`)
//! without being Lakekeeper's: a failure for the names the pinned image creates, a warning
//! (with the release and what to do before upgrading) for those only a later Lakekeeper does.
//! It only reads: it never creates an extension or a table, and never prints the password.

mod connect;
pub mod fix;
pub mod inspect;
pub mod objects;
pub mod role;
pub mod settings;
mod tls;

use tokio_postgres::Client;

use super::{CheckName, CheckResult, Status, VerifyConfig, finding};
use crate::searchpath;
use inspect::{ExtensionState, Finding, Found, Owner, Rights};
use objects::Kind;
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
    let tls: bool = row.get(7);
    let azure: Option<String> = row.get(8);

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

    // The schema Lakekeeper creates into: the first of the URL's search_path when it sets one
    // (that schema must exist: PostgreSQL skips a missing one and would create into the next,
    // public), else the connection's current schema.
    let configured = s.options.as_deref().and_then(searchpath::from_options);
    let schema = match &configured {
        Some(path) => searchpath::target(path, &user),
        None => schema,
    };
    let Some(schema) = schema else {
        findings.push(Finding::failed(
            format!("role {user} has no current schema (its search_path names no existing schema)"),
            format!("ALTER ROLE \"{user}\" SET search_path = <schema>; with a schema that exists and {user} may create in"),
        ));
        return Ok(findings);
    };
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1), \
             CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) \
                  THEN has_schema_privilege($1, 'CREATE') AND has_schema_privilege($1, 'USAGE') END, \
             current_schemas(true)::text[], current_setting('search_path')",
            &[&schema],
        )
        .await?;
    let exists: bool = row.get(0);
    let create_on_schema: bool = row.get::<_, Option<bool>>(1).unwrap_or(false);
    let searched: Vec<String> = row.get(2);
    let session_path: String = row.get(3);
    if let Some(path) = &configured
        && searchpath::parse_list(&session_path) != *path
    {
        findings.push(Finding::failed(
            format!(
                "the URL sets search_path={}, but the session's is `{session_path}`: something between here and the server (a pooler such as PgBouncer with ignore_startup_parameters) dropped the option, so Lakekeeper's objects would land in the wrong schema",
                path.join(",")
            ),
            crate::strings::POOLER_FIX,
        ));
        return Ok(findings);
    }
    if configured.is_some() && schema != "public" {
        findings.extend(catalog_left_in_public(client, &schema).await?);
    }
    if !exists {
        let may = rights.superuser || rights.create_on_database;
        findings.push(inspect::missing_schema(&schema, &user, &database, may));
        return Ok(findings);
    }

    let relations: Vec<String> = [Kind::Table, Kind::View, Kind::Sequence]
        .iter()
        .flat_map(|k| objects::names(*k).iter().cloned())
        .collect();
    let all_types: Vec<String> = relations
        .iter()
        .chain(objects::names(Kind::Type))
        .cloned()
        .collect();
    let functions: Vec<String> = objects::names(Kind::Function).to_vec();
    let rows = client
        .query(
            "WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1) \
             SELECT c.relname::text, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' \
                    WHEN c.relkind = 'S' THEN 'sequence' WHEN c.relkind = 'i' THEN 'index' ELSE 'table' END \
               FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relname = ANY($2) \
             UNION \
             SELECT t.typname::text, CASE WHEN t.typtype = 'e' THEN 'enum type' ELSE 'type' END \
               FROM pg_type t WHERE t.typnamespace = (SELECT oid FROM ns) AND t.typrelid = 0 \
               AND t.typname = ANY($3) \
             UNION \
             SELECT p.proname::text, 'function' \
               FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns) AND p.proname = ANY($4) \
             ORDER BY 1",
            &[&schema, &relations, &all_types, &functions],
        )
        .await?;
    let found: Vec<Found> = rows
        .iter()
        .map(|r| Found {
            name: r.get(0),
            kind: r.get(1),
        })
        .collect();
    let owner = if found.iter().any(|f| f.name == "_sqlx_migrations") {
        let versions: Vec<i64> = objects::FIRST_VERSIONS.to_vec();
        let sql = format!(
            "SELECT count(*) FILTER (WHERE version = ANY($1)), count(*) FROM {}._sqlx_migrations",
            quote_ident(&schema)
        );
        match client.query_one(&sql, &[&versions]).await {
            Ok(r) if r.get::<_, i64>(0) == i64::try_from(versions.len()).unwrap_or(0) => {
                Owner::Lakekeeper {
                    migrations: r.get(1),
                }
            }
            _ => Owner::Other,
        }
    } else {
        Owner::Nobody
    };
    let lakekeeper_there = matches!(owner, Owner::Lakekeeper { .. });
    findings.extend(inspect::collisions(
        &found,
        owner,
        &schema,
        configured.is_some(),
    ));
    let installed = client
        .query(
            "SELECT e.extname::text, n.nspname::text FROM pg_extension e \
             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ANY($1) ORDER BY 1",
            &[&names],
        )
        .await?;
    let installed: Vec<(String, String)> = installed.iter().map(|r| (r.get(0), r.get(1))).collect();
    findings.extend(inspect::extension_reach(&installed, &searched));
    if !create_on_schema && !lakekeeper_there {
        findings.push(Finding::failed(
            format!("role {user} may not create tables in schema {schema} (PostgreSQL 15 no longer grants CREATE on public to everyone)"),
            format!("GRANT CREATE ON SCHEMA \"{schema}\" TO \"{user}\"; (as the schema owner or a superuser), or give {user} its own schema"),
        ));
    }
    Ok(findings)
}

/// With Lakekeeper's own schema configured: warns when `public` already holds a Lakekeeper
/// catalog (its `_sqlx_migrations`), which the new search path would leave behind.
async fn catalog_left_in_public(
    client: &Client,
    schema: &str,
) -> Result<Option<Finding>, tokio_postgres::Error> {
    let there: bool = client
        .query_one(
            "SELECT to_regclass('public._sqlx_migrations') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !there {
        return Ok(None);
    }
    let versions: Vec<i64> = objects::FIRST_VERSIONS.to_vec();
    let own = client
        .query_one(
            "SELECT count(*) FILTER (WHERE version = ANY($1)) FROM public._sqlx_migrations",
            &[&versions],
        )
        .await
        .is_ok_and(|r| r.get::<_, i64>(0) == i64::try_from(versions.len()).unwrap_or(0));
    Ok(own.then(|| {
        Finding::warning(
            format!("public already holds a Lakekeeper catalog, but the URL's search_path makes Lakekeeper use schema {schema}: it would start a new, empty catalog there"),
            "to keep using the existing catalog, set `[postgres] schema = \"none\"` in lakekeeper-setup.toml and run `lakekeeper-setup apply`",
        )
    }))
}

/// `"name"` with inner quotes doubled, for a schema name in SQL text.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
