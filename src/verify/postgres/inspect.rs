//! Pure decisions of the PostgreSQL check: server version, extensions, and whether tables with
//! Lakekeeper's names belong to Lakekeeper. Takes what the server reported, returns findings;
//! performs no I/O.

#[cfg(test)]
use crate::verify::Status;
pub use crate::verify::finding::Finding;

/// Extensions Lakekeeper's migrations create.
pub const EXTENSIONS: [&str; 5] = [
    "uuid-ossp",
    "pgcrypto",
    "pg_trgm",
    "btree_gin",
    "btree_gist",
];

/// Lakekeeper's migrations use `NULLS NOT DISTINCT`, new in PostgreSQL 15.
pub const MIN_VERSION_NUM: i32 = 150_000;

/// Generic table names Lakekeeper's migrations create in the current schema: the ones a
/// backend sharing the schema is likely to have too.
pub const LAKEKEEPER_TABLES: [&str; 12] = [
    "_sqlx_migrations",
    "project",
    "users",
    "role",
    "task",
    "secret",
    "server",
    "warehouse",
    "namespace",
    "tabular",
    "table",
    "view",
];

/// The server version (`server_version_num`, e.g. 150018) against Lakekeeper's minimum.
pub fn version(num: i32, display: &str) -> Finding {
    if num >= MIN_VERSION_NUM {
        Finding::ok(format!("server version {display} (≥ 15)"))
    } else {
        Finding::failed(
            format!(
                "server version {display} is older than 15: Lakekeeper's migrations use NULLS NOT DISTINCT and fail with `syntax error at or near \"NULLS\"`"
            ),
            "point the database settings at a PostgreSQL 15 or newer server (upgrade this one, or use another)",
        )
    }
}

/// What the server said about one extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionState {
    pub name: String,
    /// Listed in `pg_available_extensions` (its files are installed on the server).
    pub available: bool,
    pub installed: bool,
    /// Marked trusted: a role with CREATE on the database may create it.
    pub trusted: bool,
}

/// What the connected role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    pub superuser: bool,
    pub create_on_database: bool,
}

/// Judges the five extensions. `azure_allow_list` is `azure.extensions` when the server is an
/// Azure Flexible Server (the setting exists), else `None`.
pub fn extensions(
    states: &[ExtensionState],
    rights: Rights,
    azure_allow_list: Option<&str>,
    user: &str,
    database: &str,
) -> Vec<Finding> {
    let allowed: Option<Vec<String>> = azure_allow_list.map(|l| {
        l.split(',')
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .collect()
    });
    let mut not_allowed = Vec::new();
    let mut unavailable = Vec::new();
    let mut not_creatable = Vec::new();
    let mut creatable = Vec::new();
    let mut installed = Vec::new();
    for s in states {
        if s.installed {
            installed.push(s.name.as_str());
        } else if allowed.as_ref().is_some_and(|a| !a.contains(&s.name)) {
            not_allowed.push(s.name.as_str());
        } else if !s.available {
            unavailable.push(s.name.as_str());
        } else if rights.superuser || (s.trusted && rights.create_on_database) {
            creatable.push(s.name.as_str());
        } else {
            not_creatable.push(s.name.as_str());
        }
    }
    let mut out = Vec::new();
    if !installed.is_empty() {
        out.push(Finding::ok(format!(
            "extensions installed: {}",
            installed.join(", ")
        )));
    }
    if !creatable.is_empty() {
        out.push(Finding::ok(format!(
            "extensions not yet installed, creatable by {user}: {}",
            creatable.join(", ")
        )));
    }
    if !not_allowed.is_empty() {
        out.push(Finding::failed(
            format!("extensions missing from the Azure allow-list (azure.extensions): {}", not_allowed.join(", ")),
            format!(
                "add {} to the server parameter azure.extensions (Azure portal → the server → Server parameters), then save",
                not_allowed.join(",").to_ascii_uppercase()
            ),
        ));
    }
    if !unavailable.is_empty() {
        out.push(Finding::failed(
            format!("extensions not available on the server: {} (their files are not installed)", unavailable.join(", ")),
            "install PostgreSQL's contrib extensions on the server (Debian/Ubuntu: the postgresql-contrib package), or use a server that ships them",
        ));
    }
    if !not_creatable.is_empty() {
        let list = not_creatable.join(", ");
        let creates: Vec<String> = not_creatable
            .iter()
            .map(|e| format!("CREATE EXTENSION IF NOT EXISTS \"{e}\";"))
            .collect();
        out.push(Finding::failed(
            format!("extensions not installed and role {user} may not create them: {list} (not a superuser, no CREATE privilege on database {database})"),
            format!(
                "as a superuser (or the database owner) in database {database}, run `{}`, or `GRANT CREATE ON DATABASE \"{database}\" TO \"{user}\";`",
                creates.join(" ")
            ),
        ));
    }
    out
}

/// Columns of one table found under a Lakekeeper name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableShape {
    pub name: String,
    pub columns: Vec<String>,
}

/// Warns when Lakekeeper-named tables exist in the target schema and are not Lakekeeper's.
/// They are taken as Lakekeeper's when its sqlx migrations table is there and its two core
/// tables have their key columns; then its own migrations made them.
pub fn schema(found: &[TableShape], schema: &str, user: &str) -> Finding {
    if found.is_empty() {
        return Finding::ok(format!(
            "schema {schema} holds no tables with Lakekeeper's names"
        ));
    }
    let has = |table: &str, column: &str| {
        found
            .iter()
            .any(|t| t.name == table && t.columns.iter().any(|c| c == column))
    };
    let migrations = found.iter().any(|t| t.name == "_sqlx_migrations");
    if migrations && has("project", "project_id") && has("warehouse", "warehouse_id") {
        return Finding::ok(format!(
            "schema {schema} already holds Lakekeeper's tables (migrated before)"
        ));
    }
    let mut names: Vec<&str> = found.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    let why = if migrations {
        "a _sqlx_migrations table of another application is there"
    } else {
        "they are not Lakekeeper's (no _sqlx_migrations of Lakekeeper)"
    };
    Finding::warning(
        format!(
            "schema {schema} already has tables with Lakekeeper's names: {} — {why}; Lakekeeper's migrations would collide with them",
            names.join(", ")
        ),
        format!(
            "isolate Lakekeeper: give it its own database on the same server (CREATE DATABASE lakekeeper; point the database settings at it), or a dedicated role with its own schema (CREATE SCHEMA lakekeeper AUTHORIZATION <role>; ALTER ROLE <role> SET search_path = lakekeeper, public — not {user} if the backend uses it), or on Lakekeeper main set LAKEKEEPER__PG_SCHEMA"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(name: &str, available: bool, installed: bool, trusted: bool) -> ExtensionState {
        ExtensionState {
            name: name.into(),
            available,
            installed,
            trusted,
        }
    }

    #[test]
    fn version_15_passes_and_14_fails_naming_nulls_not_distinct() {
        assert_eq!(version(150_018, "15.18").status, Status::Ok);
        assert_eq!(version(170_000, "17.0").status, Status::Ok);
        let old = version(140_011, "14.11");
        assert_eq!(old.status, Status::Failed);
        assert!(
            old.line.contains("14.11") && old.line.contains("NULLS NOT DISTINCT"),
            "{}",
            old.line
        );
    }

    #[test]
    fn extension_verdicts() {
        let none = Rights {
            superuser: false,
            create_on_database: false,
        };
        let owner = Rights {
            superuser: false,
            create_on_database: true,
        };
        let states = [
            ext("uuid-ossp", true, true, true),
            ext("pgcrypto", true, false, true),
            ext("pg_trgm", false, false, false),
        ];
        let f = extensions(&states, owner, None, "app", "appdb");
        assert_eq!(
            f.iter().map(|f| f.status).collect::<Vec<_>>(),
            [Status::Ok, Status::Ok, Status::Failed]
        );
        assert!(f[1].line.ends_with("pgcrypto"), "{}", f[1].line);
        assert!(
            f[2].line.contains("pg_trgm")
                && f[2].fix.as_deref().is_some_and(|x| x.contains("contrib"))
        );

        let f = extensions(
            &[ext("pgcrypto", true, false, true)],
            none,
            None,
            "app",
            "appdb",
        );
        assert_eq!(f[0].status, Status::Failed);
        assert!(
            f[0].fix
                .as_deref()
                .is_some_and(|x| x.contains("GRANT CREATE ON DATABASE \"appdb\" TO \"app\""))
        );
        // An untrusted extension needs a superuser even with CREATE on the database.
        assert_eq!(
            extensions(&[ext("x", true, false, false)], owner, None, "app", "d")[0].status,
            Status::Failed
        );
    }

    #[test]
    fn azure_allow_list_names_the_missing_ones() {
        let su = Rights {
            superuser: true,
            create_on_database: true,
        };
        let states: Vec<_> = EXTENSIONS
            .iter()
            .map(|e| ext(e, true, false, true))
            .collect();
        let f = extensions(
            &states,
            su,
            Some("UUID-OSSP, PGCRYPTO,pg_trgm"),
            "admin",
            "d",
        );
        let failed: Vec<_> = f.iter().filter(|f| f.status == Status::Failed).collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(
            failed[0].line,
            "extensions missing from the Azure allow-list (azure.extensions): btree_gin, btree_gist"
        );
        assert!(failed[0].fix.as_deref().is_some_and(|x| {
            x.starts_with("add BTREE_GIN,BTREE_GIST to the server parameter azure.extensions")
        }));
    }

    #[test]
    fn schema_collision_and_lakekeeper_own_tables() {
        let t = |n: &str, c: &[&str]| TableShape {
            name: n.into(),
            columns: c.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert_eq!(schema(&[], "public", "app").status, Status::Ok);
        let own = [
            t("_sqlx_migrations", &["version"]),
            t("project", &["project_id"]),
            t("warehouse", &["warehouse_id"]),
            t("users", &["id"]),
        ];
        assert_eq!(schema(&own, "public", "app").status, Status::Ok);
        let clash = schema(&[t("users", &["id", "email"])], "public", "app");
        assert_eq!(clash.status, Status::Warning);
        assert!(
            clash.line.contains("users")
                && clash
                    .fix
                    .as_deref()
                    .is_some_and(|f| f.contains("search_path = lakekeeper, public"))
        );
        let other_sqlx = schema(
            &[t("_sqlx_migrations", &["version"]), t("project", &["id"])],
            "public",
            "app",
        );
        assert_eq!(other_sqlx.status, Status::Warning);
        assert!(other_sqlx.line.contains("another application"));
    }
}
