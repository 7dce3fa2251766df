//! Pure decisions of the PostgreSQL check: server version, extensions, and whether objects with
//! Lakekeeper's names belong to Lakekeeper. Takes what the server reported, returns findings;
//! performs no I/O.

use super::objects::{self, Kind};
use crate::searchpath;
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
                "run `{}` or `lakekeeper-setup verify --fix` (adds them, keeps every entry there, no restart), or add {} to the server parameter azure.extensions (Azure portal → the server → Server parameters) and save",
                crate::azure::extensions::COMMAND,
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

/// An object found in the target schema under one of Lakekeeper's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    /// `table`, `view`, `sequence`, `enum type`, `type` or `function`.
    pub kind: String,
}

/// Whether the target schema's `_sqlx_migrations` is Lakekeeper's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// No `_sqlx_migrations` there.
    Nobody,
    /// It holds Lakekeeper's first migrations: Lakekeeper's own migrate made these objects.
    Lakekeeper { migrations: i64 },
    /// It exists and is another application's.
    Other,
}

/// Judges the objects found under Lakekeeper's names in `schema`. Those the pinned image
/// creates stop its `lakekeeper migrate` (`relation "users" already exists`, `type "user_type"
/// already exists`) unless Lakekeeper's own migrations made them: a failure. Those only a later
/// Lakekeeper creates do not stop the pinned image: a warning naming the release and what to do
/// before upgrading. `own_schema`: the URL already gives Lakekeeper a schema of its own (so
/// the fix is another name, not the option).
pub fn collisions(found: &[Found], owner: Owner, schema: &str, own_schema: bool) -> Vec<Finding> {
    if let Owner::Lakekeeper { migrations } = owner {
        return vec![Finding::ok(format!(
            "schema {schema} holds Lakekeeper's own objects ({migrations} of its migrations applied before)"
        ))];
    }
    let (now, later): (Vec<&Found>, Vec<&Found>) = found
        .iter()
        .partition(|f| objects::is_pinned(&f.name) || objects::later_release(&f.name).is_none());
    let pinned = objects::meta("pinned").unwrap_or_default();
    let mut out = Vec::new();
    let count = |names: fn(Kind) -> &'static [String]| -> usize {
        Kind::ALL.iter().map(|k| names(*k).len()).sum()
    };
    if found.is_empty() {
        out.push(Finding::ok(format!(
            "schema {schema} holds none of the {} names Lakekeeper's migrations create",
            count(objects::names)
        )));
    } else if now.is_empty() {
        out.push(Finding::ok(format!(
            "schema {schema} holds none of the {} names Lakekeeper {pinned} (the pinned image) creates",
            count(objects::pinned)
        )));
    } else {
        let why = if owner == Owner::Other {
            " (its _sqlx_migrations is another application's)"
        } else {
            ""
        };
        out.push(Finding::failed(
            format!(
                "schema {schema} already has {} objects with the names Lakekeeper's migrations create, not made by Lakekeeper{why}: {} — `lakekeeper migrate` stops at the first (`relation … already exists`)",
                now.len(),
                by_kind(&now)
            ),
            own_schema_fix(schema, own_schema, why),
        ));
    }
    let mut releases: Vec<&str> = later
        .iter()
        .filter_map(|f| objects::later_release(&f.name))
        .collect();
    releases.dedup();
    for release in releases {
        let these: Vec<&Found> = later
            .iter()
            .copied()
            .filter(|f| objects::later_release(&f.name) == Some(release))
            .collect();
        out.push(Finding::warning(
            format!(
                "schema {schema} has {} objects with names that Lakekeeper {pinned} (the pinned image) does not create but a later Lakekeeper does ({release}): {} — {pinned} migrates fine; the upgrade's `lakekeeper migrate` would stop at the first",
                these.len(),
                by_kind(&these)
            ),
            format!(
                "before upgrading the image past {pinned}: {}, or rename those objects",
                own_schema_fix(schema, own_schema, "")
            ),
        ));
    }
    out
}

/// "tables tag, users; enum type user_type", in the order found.
fn by_kind(found: &[&Found]) -> String {
    let mut by_kind: Vec<(&str, Vec<&str>)> = Vec::new();
    for f in found {
        match by_kind.iter_mut().find(|(k, _)| *k == f.kind) {
            Some((_, names)) => names.push(&f.name),
            None => by_kind.push((&f.kind, vec![&f.name])),
        }
    }
    by_kind
        .iter()
        .map(|(kind, names)| format!("{} {}", plural(kind, names.len()), names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The way out of a name clash: Lakekeeper's own schema (or another one, when it has one).
fn own_schema_fix(schema: &str, own_schema: bool, why: &str) -> String {
    if own_schema {
        format!(
            "schema {schema} is in use by something else{why}: choose another schema for Lakekeeper (`[postgres] schema` in lakekeeper-setup.toml, or the wizard's PostgreSQL step), then run `lakekeeper-setup apply`"
        )
    } else {
        format!(
            "give Lakekeeper its own schema in this database: set `[postgres] schema = \"{}\"` in lakekeeper-setup.toml (or answer the wizard's PostgreSQL step) and run `lakekeeper-setup apply` — both URLs get `options=-c search_path={},public` — then `lakekeeper-setup verify --fix` creates the schema. Or give Lakekeeper a database of its own",
            searchpath::DEFAULT_SCHEMA,
            searchpath::DEFAULT_SCHEMA
        )
    }
}

fn plural(kind: &str, n: usize) -> String {
    if n == 1 {
        kind.to_owned()
    } else {
        format!("{kind}s")
    }
}

/// The schema the URL's search path names does not exist: the migration would create
/// nothing there (PostgreSQL skips a missing schema and falls through to `public`).
pub fn missing_schema(schema: &str, user: &str, database: &str, may_create: bool) -> Finding {
    let sql = format!("CREATE SCHEMA \"{schema}\" AUTHORIZATION \"{user}\";");
    Finding::failed(
        format!(
            "schema {schema} (first on the URL's search_path) does not exist in database {database}: Lakekeeper's objects would land in public instead"
        ),
        if may_create {
            format!(
                "run `lakekeeper-setup verify --fix` to create it (role {user} may), or run `{sql}`"
            )
        } else {
            format!(
                "role {user} may not create schemas here: as the database owner or a superuser, run `{sql}`"
            )
        },
    )
}

/// Installed extensions (name, schema) that Lakekeeper's unqualified calls (`uuid_generate_v1mc()`,
/// `gen_random_uuid()`, trigram operators) cannot reach on `path` (the schemas the connection
/// searches, as `current_schemas(true)` lists them).
pub fn extension_reach(installed: &[(String, String)], path: &[String]) -> Option<Finding> {
    let unreachable: Vec<&(String, String)> = installed
        .iter()
        .filter(|(_, schema)| !path.contains(schema))
        .collect();
    if unreachable.is_empty() {
        return None;
    }
    let list: Vec<String> = unreachable
        .iter()
        .map(|(e, s)| format!("{e} (in schema {s})"))
        .collect();
    let moves: Vec<String> = unreachable
        .iter()
        .map(|(e, _)| format!("ALTER EXTENSION \"{e}\" SET SCHEMA public;"))
        .collect();
    Some(Finding::failed(
        format!(
            "extensions outside the search path {}: {} — the migration fails with `function uuid_generate_v1mc() does not exist`",
            path.join(","),
            list.join(", ")
        ),
        format!(
            "move them where the search path reaches (as the extensions' owner: `{}`), or add their schema after Lakekeeper's in the URL's search_path",
            moves.join(" ")
        ),
    ))
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
            x.starts_with("run `lakekeeper-setup azure extensions`")
                && x.contains(
                    "or add BTREE_GIN,BTREE_GIST to the server parameter azure.extensions",
                )
        }));
    }

    fn found(n: &str, k: &str) -> Found {
        Found {
            name: n.into(),
            kind: k.into(),
        }
    }

    fn statuses(findings: &[Finding]) -> Vec<Status> {
        findings.iter().map(|f| f.status).collect()
    }

    #[test]
    fn collisions_fail_naming_each_object_by_kind() {
        let f = found;
        assert_eq!(
            statuses(&collisions(&[], Owner::Nobody, "public", false)),
            [Status::Ok]
        );
        let own = collisions(
            &[f("users", "table")],
            Owner::Lakekeeper { migrations: 70 },
            "public",
            false,
        );
        assert_eq!(statuses(&own), [Status::Ok]);
        let clash = collisions(
            &[
                f("users", "table"),
                f("task_log", "table"),
                f("user_type", "enum type"),
                f("set_updated_at", "function"),
            ],
            Owner::Nobody,
            "public",
            false,
        );
        assert_eq!(statuses(&clash), [Status::Failed]);
        assert!(
            clash[0].line.contains(
                "4 objects with the names Lakekeeper's migrations create, not made by Lakekeeper: tables users, task_log; enum type user_type; function set_updated_at"
            ),
            "{}",
            clash[0].line
        );
        assert!(
            clash[0]
                .fix
                .as_deref()
                .is_some_and(|x| x.contains("[postgres] schema = \"lakekeeper\"")
                    && x.contains("options=-c search_path=lakekeeper,public"))
        );
        let taken = collisions(
            &[f("_sqlx_migrations", "table")],
            Owner::Other,
            "lakekeeper",
            true,
        );
        assert!(
            taken[0].line.contains("another application's"),
            "{}",
            taken[0].line
        );
        assert!(
            taken[0]
                .fix
                .as_deref()
                .is_some_and(|x| x.contains("choose another schema"))
        );
    }

    #[test]
    fn names_only_a_later_lakekeeper_creates_warn_naming_the_release_and_do_not_fail() {
        // Issue 20, item 14: the pinned v0.13.3 creates no `tag` table or `tag_source` type, so
        // a backend's own ones do not stop its migrations; an upgrade to main's would.
        let later = collisions(
            &[
                found("tag", "table"),
                found("tag_source", "enum type"),
                found("gc_orphaned_columns", "function"),
            ],
            Owner::Nobody,
            "public",
            false,
        );
        assert_eq!(statuses(&later), [Status::Ok, Status::Warning]);
        assert!(
            later[0]
                .line
                .starts_with("schema public holds none of the ")
                && later[0]
                    .line
                    .ends_with(" names Lakekeeper v0.13.3 (the pinned image) creates"),
            "{}",
            later[0].line
        );
        assert_eq!(
            later[1].line,
            "schema public has 3 objects with names that Lakekeeper v0.13.3 (the pinned image) does not create but a later Lakekeeper does (no release yet: Lakekeeper's main branch after v0.13.3 (at 90892e9)): table tag; enum type tag_source; function gc_orphaned_columns — v0.13.3 migrates fine; the upgrade's `lakekeeper migrate` would stop at the first"
        );
        let fix = later[1].fix.as_deref().unwrap_or_default();
        assert!(
            fix.starts_with(
                "before upgrading the image past v0.13.3: give Lakekeeper its own schema"
            ) && fix.ends_with("or rename those objects"),
            "{fix}"
        );
        // Both at once: the pinned name fails, the later one still only warns.
        let both = collisions(
            &[found("tag", "table"), found("users", "table")],
            Owner::Nobody,
            "public",
            false,
        );
        assert_eq!(statuses(&both), [Status::Failed, Status::Warning]);
        assert!(both[0].line.contains(": table users —"), "{}", both[0].line);
        assert!(both[1].line.contains(": table tag —"), "{}", both[1].line);
    }

    #[test]
    fn extensions_off_the_search_path_are_named_with_the_move() {
        let path = vec![
            "lakekeeper".to_owned(),
            "public".to_owned(),
            "pg_catalog".to_owned(),
        ];
        let inst = |e: &str, s: &str| (e.to_owned(), s.to_owned());
        assert_eq!(extension_reach(&[inst("pgcrypto", "public")], &path), None);
        let f = extension_reach(
            &[inst("pgcrypto", "public"), inst("uuid-ossp", "ext")],
            &path,
        )
        .expect("unreachable");
        assert_eq!(f.status, Status::Failed);
        assert!(f.line.contains("uuid-ossp (in schema ext)"), "{}", f.line);
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x.contains("ALTER EXTENSION \"uuid-ossp\" SET SCHEMA public;"))
        );
    }
}
