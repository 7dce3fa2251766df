//! `verify --production`, database side: Lakekeeper's own role in the shared database, isolated
//! with least privilege. The chart passes split connection variables (no URL, so no
//! `options=-c search_path=…`), so the schema must come from the role's own default
//! (`ALTER ROLE … SET search_path`), which also survives PgBouncer.
//!
//! The check connects with the laptop's settings aimed at production's host (the backend's
//! role, which needs no extra right for this) and reads the catalog about the production role:
//! it exists and may log in; it owns Lakekeeper's schema; its default search path puts that
//! schema first and `public` second; the five extensions are installed; and it can read none of
//! the backend's tables. `admin_sql` is the one-time SQL an administrator runs to get there
//! (`verify --production --fix` prints it, and runs it where the signed-in role may).
//! `judge` and `admin_sql` are pure; only `inspect` and `run_admin_sql` touch the server.

use tokio_postgres::Client;

use super::inspect::EXTENSIONS;
use super::{connect, quote_ident, settings};
use crate::searchpath;
use crate::verify::finding::{self, Finding};
use crate::verify::{CheckName, CheckResult, Status, VerifyConfig};

/// The name of this check in reports and JSON (run only with `--production`).
pub const NAME: &str = "postgres-role";

/// What production's database must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    /// `[production] postgres_user`.
    pub user: String,
    /// Lakekeeper's schema: the laptop's (`[postgres] schema`), or `lakekeeper` when the laptop
    /// keeps Lakekeeper in `public`.
    pub schema: String,
}

impl RoleSpec {
    /// The spec for `user`, with the schema the laptop's URL gives Lakekeeper.
    pub fn for_env(env: &std::collections::BTreeMap<String, String>, user: &str) -> RoleSpec {
        let schema = env
            .get(crate::keys::PG_URL_WRITE)
            .and_then(|u| searchpath::from_url(u))
            .and_then(|path| searchpath::target(&path, user))
            .filter(|s| s != "public")
            .unwrap_or_else(|| searchpath::DEFAULT_SCHEMA.to_owned());
        RoleSpec {
            user: user.to_owned(),
            schema,
        }
    }

    /// `ALTER ROLE … SET search_path` as written in the SQL and the fixes.
    pub fn search_path(&self) -> String {
        format!("{}, public", quote_ident(&self.schema))
    }
}

/// The laptop's `.env` (already aimed at production's host) as Lakekeeper's pods connect: as
/// `user` with `password`, and without the URL's `options` (the chart passes split variables,
/// so the role's own default search path is all the pods get).
pub fn as_the_pod(
    env: &std::collections::BTreeMap<String, String>,
    user: &str,
    password: &str,
) -> std::collections::BTreeMap<String, String> {
    let mut out = env.clone();
    for key in [crate::keys::PG_URL_READ, crate::keys::PG_URL_WRITE] {
        let Some(mut u) = env.get(key).and_then(|v| url::Url::parse(v).ok()) else {
            continue;
        };
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| k != "options")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        u.query_pairs_mut().clear().extend_pairs(kept);
        if u.query() == Some("") {
            u.set_query(None);
        }
        if u.set_username(user).is_ok() && u.set_password(Some(password)).is_ok() {
            out.insert(key.to_owned(), u.to_string());
        }
    }
    out
}

/// What the server says about the production role (read as another role).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleState {
    pub database: String,
    /// The role the check connected as (the backend's).
    pub connected_as: String,
    pub exists: bool,
    pub can_login: bool,
    pub superuser: bool,
    /// Owner of the schema named in the spec, when the schema exists.
    pub schema_owner: Option<String>,
    /// The role's default `search_path` (for this database or all), when it has one.
    pub search_path: Option<Vec<String>>,
    /// Extensions of the five not installed.
    pub missing_extensions: Vec<String>,
    /// Tables and views outside Lakekeeper's schema, not the role's own, it may read.
    pub readable: Vec<String>,
}

/// The SQL an administrator runs once, in production's database, in this order. The password
/// is a placeholder unless given (it is never printed).
pub fn admin_sql(spec: &RoleSpec, database: &str, password: Option<&str>) -> Vec<String> {
    let role = quote_ident(&spec.user);
    let schema = quote_ident(&spec.schema);
    let password = password.map_or_else(
        || "'<the password in the Secret>'".to_owned(),
        |p| format!("'{}'", p.replace('\'', "''")),
    );
    let mut sql = vec![
        format!("CREATE ROLE {role} LOGIN PASSWORD {password};"),
        format!(
            "GRANT CONNECT ON DATABASE {} TO {role};",
            quote_ident(database)
        ),
        // Azure's administrator is not a superuser: it must be a member of the role to make
        // it a schema's owner.
        format!("GRANT {role} TO CURRENT_USER;"),
        format!("CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role};"),
        format!(
            "ALTER ROLE {role} SET search_path = {};",
            spec.search_path()
        ),
    ];
    sql.extend(
        EXTENSIONS
            .iter()
            .map(|e| format!("CREATE EXTENSION IF NOT EXISTS \"{e}\" SCHEMA public;")),
    );
    sql.push(format!(
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};"
    ));
    sql
}

fn fix_line(spec: &RoleSpec, what: &str) -> String {
    format!(
        "{what}; `lakekeeper-setup verify --production --fix` prints the SQL an administrator runs once (role {}, schema {}, search path, extensions)",
        spec.user, spec.schema
    )
}

/// Judges what the server said. Pure.
pub fn judge(spec: &RoleSpec, s: &RoleState) -> Vec<Finding> {
    let role = &spec.user;
    if !s.exists {
        return vec![Finding::failed(
            format!(
                "role {role} does not exist in production's database {}: Lakekeeper would log in as nobody (or, set to the backend's role, could read the backend's tables)",
                s.database
            ),
            fix_line(spec, &format!("create role {role}")),
        )];
    }
    let mut out = Vec::new();
    if s.can_login {
        out.push(Finding::ok(format!("role {role} exists and may log in")));
    } else {
        out.push(Finding::failed(
            format!("role {role} may not log in"),
            format!("ALTER ROLE {} LOGIN;", quote_ident(role)),
        ));
    }
    if s.superuser {
        out.push(Finding::failed(
            format!("role {role} is a superuser: it can read every table in the database"),
            format!("ALTER ROLE {} NOSUPERUSER;", quote_ident(role)),
        ));
    }
    match &s.schema_owner {
        None => out.push(Finding::failed(
            format!(
                "schema {} does not exist: with the chart's split variables Lakekeeper's migration would land in public, beside the backend's tables",
                spec.schema
            ),
            fix_line(spec, &format!("create schema {} owned by {role}", spec.schema)),
        )),
        Some(owner) if owner == role => out.push(Finding::ok(format!(
            "schema {} is owned by {role}",
            spec.schema
        ))),
        Some(owner) => out.push(Finding::failed(
            format!(
                "schema {} is owned by {owner}, not {role}",
                spec.schema
            ),
            format!(
                "ALTER SCHEMA {} OWNER TO {};",
                quote_ident(&spec.schema),
                quote_ident(role)
            ),
        )),
    }
    let want = vec![spec.schema.clone(), "public".to_owned()];
    let set_path = format!(
        "ALTER ROLE {} SET search_path = {};",
        quote_ident(role),
        spec.search_path()
    );
    match &s.search_path {
        Some(path) if *path == want => out.push(Finding::ok(format!(
            "role {role}'s default search_path is {}",
            path.join(", ")
        ))),
        Some(path) => out.push(Finding::failed(
            format!(
                "role {role}'s default search_path is `{}`, not `{}, public`: Lakekeeper's objects would not land in schema {}{}",
                path.join(", "),
                spec.schema,
                spec.schema,
                searchpath::problems(path)
                    .first()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ),
            set_path,
        )),
        None => out.push(Finding::failed(
            format!(
                "role {role} has no default search_path: the chart passes split connection variables (no URL option), so Lakekeeper would create its tables in public"
            ),
            set_path,
        )),
    }
    if !s.missing_extensions.is_empty() {
        let creates: Vec<String> = s
            .missing_extensions
            .iter()
            .map(|e| format!("CREATE EXTENSION IF NOT EXISTS \"{e}\" SCHEMA public;"))
            .collect();
        out.push(Finding::failed(
            format!(
                "extensions not installed: {} (role {role} has no right to create them)",
                s.missing_extensions.join(", ")
            ),
            format!("as an administrator, run `{}`", creates.join(" ")),
        ));
    }
    if s.readable.is_empty() {
        out.push(Finding::ok(format!(
            "role {role} can read none of the backend's tables"
        )));
    } else {
        let shown: Vec<&str> = s.readable.iter().take(8).map(String::as_str).collect();
        let more = s.readable.len().saturating_sub(shown.len());
        out.push(Finding::failed(
            format!(
                "role {role} can read {} of the backend's tables and views: {}{}",
                s.readable.len(),
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ),
            format!(
                "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {} (and from PUBLIC where granted), and make sure {role} is no member of {}",
                quote_ident(role),
                s.connected_as
            ),
        ));
    }
    out
}

/// Reads the catalog about `spec` (any role may: `pg_roles`, `pg_namespace`,
/// `has_table_privilege(role, …)`).
pub async fn inspect(client: &Client, spec: &RoleSpec) -> Result<RoleState, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT current_database()::text, current_user::text, r.oid IS NOT NULL, \
             COALESCE(r.rolcanlogin, false), COALESCE(r.rolsuper, false), \
             (SELECT pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname = $2), \
             (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = r.oid \
                AND s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database())) \
                AND EXISTS (SELECT 1 FROM unnest(s.setconfig) c WHERE c LIKE 'search_path=%') \
                ORDER BY s.setdatabase DESC LIMIT 1) \
             FROM (SELECT 1) one LEFT JOIN pg_roles r ON r.rolname = $1",
            &[&spec.user, &spec.schema],
        )
        .await?;
    let exists: bool = row.get(2);
    let config: Option<Vec<String>> = row.get(6);
    let search_path = config.and_then(|c| {
        c.iter()
            .find_map(|s| s.strip_prefix("search_path=").map(searchpath::parse_list))
    });
    let names: Vec<&str> = EXTENSIONS.to_vec();
    let missing: Vec<String> = client
        .query(
            "SELECT n FROM unnest($1::text[]) n WHERE NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = n)",
            &[&names],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let readable: Vec<String> = if exists {
        client
            .query(
                "SELECT c.oid::regclass::text FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') \
                   AND n.nspname <> $2 AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                   AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' \
                   AND pg_get_userbyid(c.relowner) <> $1 \
                   AND has_table_privilege($1, c.oid, 'SELECT') \
                 ORDER BY 1",
                &[&spec.user, &spec.schema],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect()
    } else {
        Vec::new()
    };
    Ok(RoleState {
        database: row.get(0),
        connected_as: row.get(1),
        exists,
        can_login: row.get(3),
        superuser: row.get(4),
        schema_owner: row.get(5),
        search_path,
        missing_extensions: missing,
        readable,
    })
}

/// The `postgres-role` check.
pub async fn check_role(cfg: &VerifyConfig, spec: &RoleSpec) -> CheckResult {
    let started = std::time::Instant::now();
    let mut r = match connect_and_inspect(cfg, spec).await {
        Ok((state, target)) => {
            let mut r = finding::assemble(
                CheckName::Postgres,
                &format!(
                    "role {} is isolated in schema {} with least privilege",
                    spec.user, spec.schema
                ),
                &format!("read the catalog of {target} about role {}", spec.user),
                &judge(spec, &state),
            );
            NAME.clone_into(&mut r.name);
            r
        }
        Err(e) => CheckResult {
            name: NAME.to_owned(),
            status: Status::Failed,
            summary: format!("could not look at production's database: {e}"),
            details: Vec::new(),
            fix: Some("the `postgres` check above says why the connection failed".into()),
            duration_ms: 0,
            trace: Vec::new(),
        },
    };
    r.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    r
}

async fn connect_and_inspect(
    cfg: &VerifyConfig,
    spec: &RoleSpec,
) -> Result<(RoleState, String), String> {
    let s = settings::resolve(&cfg.env).map_err(|e| e.to_string())?;
    let target = format!("{}:{}/{} as {}", s.host, s.port, s.database, s.user);
    let client = connect::connect(&s, cfg.timeout)
        .await
        .map_err(|f| f.summary)?;
    let state = tokio::time::timeout(cfg.timeout, inspect(&client, spec))
        .await
        .map_err(|_| "the server did not answer catalog queries in time".to_owned())?
        .map_err(|e| db_message(&e))?;
    Ok((state, target))
}

fn db_message(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_owned())
}

/// What `--fix` can do with the connected role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminFix {
    /// Nothing to do: the check passes.
    Nothing,
    /// The connected role may create roles, schemas and extensions: it can run `sql` itself.
    Run { database: String, sql: Vec<String> },
    /// Only an administrator may: the SQL to hand them.
    AskAdmin { database: String, sql: Vec<String> },
}

/// Looks at the server: is anything to do, and may the signed-in role do it?
pub async fn plan_fix(cfg: &VerifyConfig, spec: &RoleSpec) -> Result<AdminFix, String> {
    let s = settings::resolve(&cfg.env).map_err(|e| e.to_string())?;
    let client = connect::connect(&s, cfg.timeout)
        .await
        .map_err(|f| f.summary)?;
    let state = inspect(&client, spec).await.map_err(|e| db_message(&e))?;
    if judge(spec, &state)
        .iter()
        .all(|f| f.status != Status::Failed)
    {
        return Ok(AdminFix::Nothing);
    }
    let may: bool = client
        .query_one(
            "SELECT COALESCE((SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user), false) \
             AND has_database_privilege(current_database(), 'CREATE')",
            &[],
        )
        .await
        .map_err(|e| db_message(&e))?
        .get(0);
    let database = state.database.clone();
    let sql = admin_sql(spec, &database, None);
    Ok(if may {
        AdminFix::Run { database, sql }
    } else {
        AdminFix::AskAdmin { database, sql }
    })
}

/// Runs the administrator SQL as the signed-in role, with the role's real password; a role
/// that already exists only gets its password set again. Errors name the statement.
pub async fn run_admin_sql(
    cfg: &VerifyConfig,
    spec: &RoleSpec,
    password: &str,
) -> Result<(), String> {
    let s = settings::resolve(&cfg.env).map_err(|e| e.to_string())?;
    let client = connect::connect(&s, cfg.timeout)
        .await
        .map_err(|f| f.summary)?;
    let exists: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
            &[&spec.user],
        )
        .await
        .map_err(|e| db_message(&e))?
        .get(0);
    let database: String = client
        .query_one("SELECT current_database()::text", &[])
        .await
        .map_err(|e| db_message(&e))?
        .get(0);
    for (i, statement) in admin_sql(spec, &database, Some(password))
        .iter()
        .enumerate()
    {
        let statement = if i == 0 && exists {
            format!(
                "ALTER ROLE {} LOGIN PASSWORD '{}';",
                quote_ident(&spec.user),
                password.replace('\'', "''")
            )
        } else {
            statement.clone()
        };
        if let Err(e) = client.batch_execute(&statement).await {
            let shown = if i == 0 {
                format!("CREATE/ALTER ROLE {} … PASSWORD …", spec.user)
            } else {
                statement
            };
            return Err(format!("`{shown}` failed: {}", db_message(&e)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RoleSpec {
        RoleSpec {
            user: "lakekeeper".into(),
            schema: "lakekeeper".into(),
        }
    }

    fn good() -> RoleState {
        RoleState {
            database: "appdb".into(),
            connected_as: "app".into(),
            exists: true,
            can_login: true,
            superuser: false,
            schema_owner: Some("lakekeeper".into()),
            search_path: Some(vec!["lakekeeper".into(), "public".into()]),
            missing_extensions: Vec::new(),
            readable: Vec::new(),
        }
    }

    fn failures(s: &RoleState) -> Vec<(String, String)> {
        judge(&spec(), s)
            .into_iter()
            .filter(|f| f.status == Status::Failed)
            .map(|f| (f.line, f.fix.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn an_isolated_role_passes() {
        assert!(failures(&good()).is_empty());
    }

    #[test]
    fn each_gap_fails_naming_its_fix() {
        let cases: Vec<(RoleState, &str, &str)> = vec![
            (
                RoleState {
                    exists: false,
                    ..good()
                },
                "role lakekeeper does not exist",
                "verify --production --fix",
            ),
            (
                RoleState {
                    schema_owner: None,
                    ..good()
                },
                "schema lakekeeper does not exist",
                "verify --production --fix",
            ),
            (
                RoleState {
                    schema_owner: Some("app".into()),
                    ..good()
                },
                "schema lakekeeper is owned by app, not lakekeeper",
                "ALTER SCHEMA \"lakekeeper\" OWNER TO \"lakekeeper\";",
            ),
            (
                RoleState {
                    search_path: None,
                    ..good()
                },
                "role lakekeeper has no default search_path",
                "ALTER ROLE \"lakekeeper\" SET search_path = \"lakekeeper\", public;",
            ),
            (
                RoleState {
                    search_path: Some(vec!["public".into(), "lakekeeper".into()]),
                    ..good()
                },
                "default search_path is `public, lakekeeper`",
                "ALTER ROLE \"lakekeeper\" SET search_path",
            ),
            (
                RoleState {
                    readable: vec!["customer_payments".into(), "users".into()],
                    ..good()
                },
                "role lakekeeper can read 2 of the backend's tables and views: customer_payments, users",
                "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \"lakekeeper\"",
            ),
            (
                RoleState {
                    missing_extensions: vec!["btree_gist".into()],
                    ..good()
                },
                "extensions not installed: btree_gist",
                "CREATE EXTENSION IF NOT EXISTS \"btree_gist\" SCHEMA public;",
            ),
            (
                RoleState {
                    superuser: true,
                    ..good()
                },
                "is a superuser",
                "NOSUPERUSER",
            ),
        ];
        for (state, line, fix) in cases {
            let f = failures(&state);
            assert!(
                f.iter().any(|(l, x)| l.contains(line) && x.contains(fix)),
                "{line} / {fix} not in {f:?}"
            );
        }
    }

    #[test]
    fn the_admin_sql_makes_the_role_the_schema_the_path_and_the_five_extensions() {
        let sql = admin_sql(&spec(), "appdb", None);
        assert_eq!(
            sql,
            [
                "CREATE ROLE \"lakekeeper\" LOGIN PASSWORD '<the password in the Secret>';",
                "GRANT CONNECT ON DATABASE \"appdb\" TO \"lakekeeper\";",
                "GRANT \"lakekeeper\" TO CURRENT_USER;",
                "CREATE SCHEMA IF NOT EXISTS \"lakekeeper\" AUTHORIZATION \"lakekeeper\";",
                "ALTER ROLE \"lakekeeper\" SET search_path = \"lakekeeper\", public;",
                "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" SCHEMA public;",
                "CREATE EXTENSION IF NOT EXISTS \"pgcrypto\" SCHEMA public;",
                "CREATE EXTENSION IF NOT EXISTS \"pg_trgm\" SCHEMA public;",
                "CREATE EXTENSION IF NOT EXISTS \"btree_gin\" SCHEMA public;",
                "CREATE EXTENSION IF NOT EXISTS \"btree_gist\" SCHEMA public;",
                "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \"lakekeeper\";",
            ]
        );
        assert_eq!(
            admin_sql(&spec(), "appdb", Some("it's"))[0],
            "CREATE ROLE \"lakekeeper\" LOGIN PASSWORD 'it''s';"
        );
    }

    #[test]
    fn the_pod_logs_in_as_its_role_without_the_urls_search_path() {
        let env = [(
            crate::keys::PG_URL_WRITE.to_owned(),
            format!(
                "postgresql://app:app-pass@prod:5432/appdb?sslmode=require&{}",
                searchpath::url_option("lakekeeper")
            ),
        )]
        .into_iter()
        .collect();
        let pod = as_the_pod(&env, "lakekeeper", "p@ss word");
        assert_eq!(
            pod[crate::keys::PG_URL_WRITE],
            "postgresql://lakekeeper:p%40ss%20word@prod:5432/appdb?sslmode=require"
        );
        assert!(!pod.contains_key(crate::keys::PG_URL_READ));
    }

    #[test]
    fn the_schema_is_the_laptops_or_lakekeeper() {
        let env = |url: &str| {
            [(crate::keys::PG_URL_WRITE.to_owned(), url.to_owned())]
                .into_iter()
                .collect()
        };
        let with = env(&format!(
            "postgresql://app:p@h:5432/appdb?sslmode=require&{}",
            searchpath::url_option("lk_catalog")
        ));
        assert_eq!(RoleSpec::for_env(&with, "lakekeeper").schema, "lk_catalog");
        let without = env("postgresql://app:p@h:5432/appdb?sslmode=require");
        assert_eq!(
            RoleSpec::for_env(&without, "lakekeeper").schema,
            "lakekeeper"
        );
    }
}
