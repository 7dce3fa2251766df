//! `azure.extensions`: which of Lakekeeper's extensions the server's allow-list lacks, and the
//! list to write back — every entry already there kept as written (order, case, even ones this
//! tool does not know), the missing ones appended in the upper case the portal uses. Names are
//! compared case-insensitively (the portal stores `UUID-OSSP`, SQL says `uuid-ossp`).
//!
//! The parameter is dynamic: a change applies without a restart. [`merge`] and [`plan`] perform
//! no I/O; [`find_server`] reads ARM.

use super::arm::{self, Configuration, PostgresServer, Subscription};
use super::{CallError, Session};
use crate::verify::postgres::inspect::EXTENSIONS;

/// The server parameter.
pub const PARAMETER: &str = "azure.extensions";

/// The command that adds Lakekeeper's extensions to the allow-list (named in `verify`'s fix,
/// and run by `verify --fix`).
pub const COMMAND: &str = "lakekeeper-setup azure extensions";

/// The allow-list after the merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// The entries that were there, as written.
    pub kept: Vec<String>,
    /// Needed entries that were missing (upper case).
    pub added: Vec<String>,
    /// Needed entries the server does not offer (not in `allowedValues`): left out, since ARM
    /// refuses the whole list when one entry is not allowed.
    pub unavailable: Vec<String>,
}

impl Merge {
    /// The value to write: kept entries, then added ones, comma-separated.
    pub fn value(&self) -> String {
        self.kept
            .iter()
            .chain(&self.added)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn changes_anything(&self) -> bool {
        !self.added.is_empty()
    }
}

fn entries(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

fn contains(list: &[String], name: &str) -> bool {
    list.iter().any(|e| e.eq_ignore_ascii_case(name))
}

/// Merges `needed` into the current list `current`; `allowed` is the server's `allowedValues`.
pub fn merge(current: &str, needed: &[&str], allowed: Option<&str>) -> Merge {
    let kept = entries(current);
    let allowed = allowed.map(entries);
    let mut added = Vec::new();
    let mut unavailable = Vec::new();
    for n in needed {
        if contains(&kept, n) || contains(&added, n) {
            continue;
        }
        if allowed.as_ref().is_some_and(|a| !contains(a, n)) {
            unavailable.push((*n).to_owned());
        } else {
            added.push(n.to_ascii_uppercase());
        }
    }
    Merge {
        kept,
        added,
        unavailable,
    }
}

/// Lakekeeper's extensions merged into the server's current parameter.
pub fn merge_needed(config: &Configuration) -> Merge {
    merge(&config.value, &EXTENSIONS, config.allowed_values.as_deref())
}

/// The extensions Lakekeeper's migrations create, for messages.
pub fn needed() -> &'static [&'static str] {
    &EXTENSIONS
}

/// How a server was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerQuery {
    /// Its ARM resource ID.
    Id(String),
    /// Its name (unique within a resource group; may repeat across them).
    Name(String),
    /// Its host name (`<name>.postgres.database.azure.com`), as the profile or `.env` says.
    Host(String),
}

/// Why the server was not found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    #[error("{0}")]
    Call(String),
    #[error(
        "no PostgreSQL flexible server {what} in the {subscriptions} subscription(s) you can see; pass --server <its resource ID>, or sign in to its tenant (`az login --tenant <tenant>`)"
    )]
    NotFound { what: String, subscriptions: usize },
    #[error("several PostgreSQL flexible servers {what}: {ids}; pass --server <one resource ID>")]
    Ambiguous { what: String, ids: String },
}

impl ServerQuery {
    fn describe(&self) -> String {
        match self {
            ServerQuery::Id(id) => format!("with ID {id}"),
            ServerQuery::Name(n) => format!("named {n}"),
            ServerQuery::Host(h) => format!("with host name {h}"),
        }
    }

    fn matches(&self, s: &PostgresServer) -> bool {
        match self {
            ServerQuery::Id(id) => s.id.eq_ignore_ascii_case(id),
            ServerQuery::Name(n) => s.name.eq_ignore_ascii_case(n),
            ServerQuery::Host(h) => s.fqdn.eq_ignore_ascii_case(h.trim_end_matches('.')),
        }
    }
}

/// Finds the server: by ID directly; by name or host name through the server lists of
/// `subscription` (or every enabled subscription the user can see).
pub async fn find_server(
    session: &Session,
    query: &ServerQuery,
    subscription: Option<&str>,
) -> Result<PostgresServer, FindError> {
    let call = |e: CallError| FindError::Call(e.to_string());
    if let ServerQuery::Id(id) = query {
        return arm::postgres_server(session, id).await.map_err(call);
    }
    let subs: Vec<String> = match subscription {
        Some(s) => vec![s.to_owned()],
        None => arm::subscriptions(session)
            .await
            .map_err(call)?
            .into_iter()
            .filter(|s: &Subscription| s.state.is_empty() || s.state == "Enabled")
            .map(|s| s.id)
            .collect(),
    };
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for sub in &subs {
        // One subscription that cannot be listed (no PostgreSQL provider registered there, no
        // Reader) must not hide the server in another.
        match arm::postgres_servers(session, sub).await {
            Ok(servers) => found.extend(servers.into_iter().filter(|s| query.matches(s))),
            Err(e) => failures.push(format!("subscription {sub}: {e}")),
        }
    }
    match found.len() {
        0 if !failures.is_empty() => Err(FindError::Call(format!(
            "{} not found, and {} of {} subscription(s) could not be listed ({})",
            query.describe(),
            failures.len(),
            subs.len(),
            failures.join("; ")
        ))),
        0 => Err(FindError::NotFound {
            what: query.describe(),
            subscriptions: subs.len(),
        }),
        1 => Ok(found.remove(0)),
        _ => Err(FindError::Ambiguous {
            what: query.describe(),
            ids: found
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_merge_keeps_every_entry_and_adds_only_what_is_missing_in_any_case() {
        // Existing entries of any case stay as written; no differently-cased duplicate.
        let m = merge("PG_TRGM,Vector", &EXTENSIONS, None);
        assert_eq!(m.kept, ["PG_TRGM", "Vector"]);
        assert_eq!(
            m.added,
            ["UUID-OSSP", "PGCRYPTO", "BTREE_GIN", "BTREE_GIST"]
        );
        assert_eq!(
            m.value(),
            "PG_TRGM,Vector,UUID-OSSP,PGCRYPTO,BTREE_GIN,BTREE_GIST"
        );
        let m = merge(
            " uuid-ossp , PgCrypto,pg_trgm,BTREE_GIN,btree_gist,postgis",
            &EXTENSIONS,
            None,
        );
        assert!(!m.changes_anything());
        assert_eq!(
            m.value(),
            "uuid-ossp,PgCrypto,pg_trgm,BTREE_GIN,btree_gist,postgis"
        );
        // Empty list (a new server).
        let m = merge("", &["uuid-ossp"], None);
        assert_eq!(m.value(), "UUID-OSSP");
    }

    #[test]
    fn extensions_the_server_does_not_offer_are_reported_not_written() {
        let m = merge(
            "VECTOR",
            &EXTENSIONS,
            Some("BTREE_GIN,BTREE_GIST,PGCRYPTO,UUID-OSSP,VECTOR"),
        );
        assert_eq!(m.unavailable, ["pg_trgm"]);
        assert_eq!(m.value(), "VECTOR,UUID-OSSP,PGCRYPTO,BTREE_GIN,BTREE_GIST");
    }

    #[test]
    fn servers_match_by_id_name_or_host_in_any_case() {
        let s = PostgresServer {
            id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/Lakehouse-PG".into(),
            name: "Lakehouse-PG".into(),
            fqdn: "lakehouse-pg.postgres.database.azure.com".into(),
            version: "16".into(),
            state: "Ready".into(),
            location: "eastus".into(),
        };
        assert!(ServerQuery::Host("LAKEHOUSE-PG.postgres.database.azure.com.".into()).matches(&s));
        assert!(ServerQuery::Name("lakehouse-pg".into()).matches(&s));
        assert!(!ServerQuery::Name("lakehouse".into()).matches(&s));
        assert!(ServerQuery::Id(s.id.to_ascii_lowercase()).matches(&s));
    }
}
