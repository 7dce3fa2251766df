//! `verify --fix` for PostgreSQL: creates Lakekeeper's own schema (the first of the URL's
//! `search_path`) when it is missing and the role may create it. The only write the tool ever
//! makes to the database; the caller asks first on a terminal.

use super::{connect, quote_ident, settings};
use crate::searchpath;
use crate::verify::VerifyConfig;

/// What `--fix` found to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaFix {
    /// No schema option in the URL, or the schema exists.
    Nothing,
    /// Missing, and the role may create it: the statement to run.
    Create { schema: String, sql: String },
    /// Missing, and only an administrator may create it: the one line to hand them.
    AskAdmin { schema: String, sql: String },
}

/// Looks: does the URL name a schema that is missing? Errors are in words (the `postgres`
/// check explains them in full afterwards).
pub async fn plan(cfg: &VerifyConfig) -> Result<SchemaFix, String> {
    let s = settings::resolve(&cfg.env).map_err(|e| e.to_string())?;
    let Some(path) = s.options.as_deref().and_then(searchpath::from_options) else {
        return Ok(SchemaFix::Nothing);
    };
    let client = connect::connect(&s, cfg.timeout)
        .await
        .map_err(|f| f.summary)?;
    let Some(schema) = searchpath::target(&path, &s.user) else {
        return Ok(SchemaFix::Nothing);
    };
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1), \
             COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) \
             OR has_database_privilege(current_database(), 'CREATE')",
            &[&schema],
        )
        .await
        .map_err(|e| e.to_string())?;
    if row.get::<_, bool>(0) {
        return Ok(SchemaFix::Nothing);
    }
    let create = format!("CREATE SCHEMA {}", quote_ident(&schema));
    Ok(if row.get::<_, bool>(1) {
        SchemaFix::Create {
            schema,
            sql: create,
        }
    } else {
        let sql = format!("{create} AUTHORIZATION {};", quote_ident(&s.user));
        SchemaFix::AskAdmin { schema, sql }
    })
}

/// Runs the `Create` statement as the configured role (which then owns the schema).
pub async fn apply(cfg: &VerifyConfig, sql: &str) -> Result<(), String> {
    let s = settings::resolve(&cfg.env).map_err(|e| e.to_string())?;
    let client = connect::connect(&s, cfg.timeout)
        .await
        .map_err(|f| f.summary)?;
    client.batch_execute(sql).await.map_err(|e| {
        e.as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned())
    })
}
