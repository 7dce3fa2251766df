//! `lakekeeper-setup azure extensions`: finds the PostgreSQL flexible server (by `--server`, or
//! by the PostgreSQL host the profile or `backend/.env` names), reads `azure.extensions`,
//! merges Lakekeeper's extensions in (every entry already there kept), shows the change and
//! the right it needs, asks once, writes it (PATCH, retried while the server is busy, polled to
//! its end) and reads it back. No restart is needed: the parameter is dynamic.

use std::collections::BTreeMap;

use super::common::{self, Go};
use crate::azure::arm::{self, PostgresServer};
use crate::azure::change::{Change, Request};
use crate::azure::consent::{self, Target};
use crate::azure::extensions::{self, FindError, PARAMETER, ServerQuery};
use crate::cli::{ExtensionsArgs, Paths};
use crate::commands::{Exit, RunError};
use crate::model::{Answers, FieldId};
use crate::output::Style;

/// The server the user means: `--server` (a resource ID or a name), else the PostgreSQL host.
fn query(args: &ExtensionsArgs, answers: &Answers) -> Result<ServerQuery, RunError> {
    if let Some(s) = args
        .server
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        return Ok(if s.starts_with('/') {
            if !arm::is_postgres_server_id(s) {
                return Err(RunError::Usage(format!(
                    "--server `{s}` is not a PostgreSQL flexible server's resource ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.DBforPostgreSQL/flexibleServers/<name>)"
                )));
            }
            ServerQuery::Id(s.to_owned())
        } else {
            ServerQuery::Name(s.to_owned())
        });
    }
    let host = args
        .host
        .as_deref()
        .or_else(|| answers.get(FieldId::PgHost))
        .map(str::trim)
        .unwrap_or_default();
    if host.is_empty() {
        return Err(RunError::Usage(
            "no PostgreSQL host in the profile, backend/.env or the environment; pass --server <name or resource ID>".into(),
        ));
    }
    if !host.contains('.') || host.parse::<std::net::IpAddr>().is_ok() {
        return Err(RunError::Usage(format!(
            "the PostgreSQL host `{host}` is not an Azure server's host name (<name>.postgres.database.azure.com); pass --server <name or resource ID>"
        )));
    }
    Ok(ServerQuery::Host(host.to_owned()))
}

pub fn check_subscription(sub: Option<&str>) -> Result<(), RunError> {
    match sub {
        Some(s) if !crate::validate::is_guid(s) => Err(RunError::Usage(format!(
            "--subscription `{s}` is not a subscription ID (a GUID; `az account list -o table` shows them)"
        ))),
        _ => Ok(()),
    }
}

fn describe(s: &PostgresServer) -> String {
    format!(
        "PostgreSQL flexible server {} (resource group {}, subscription {}), version {}, {}",
        s.name,
        arm::resource_group(&s.id),
        arm::subscription_of(&s.id),
        s.version,
        if s.state.is_empty() {
            "state unknown"
        } else {
            &s.state
        }
    )
}

pub fn run(
    paths: &Paths,
    args: &ExtensionsArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let (_project, answers) = common::load(paths, process_env)?;
    let query = query(args, &answers)?;
    check_subscription(args.subscription.as_deref())?;
    let rt = common::runtime()?;
    rt.block_on(async {
        let session = common::session(&answers).await?;
        let who = common::who(&session);
        let server = match extensions::find_server(&session, &query, args.subscription.as_deref()).await {
            Ok(s) => s,
            Err(e @ (FindError::NotFound { .. } | FindError::Ambiguous { .. })) => {
                return Err(RunError::Usage(e.to_string()));
            }
            Err(FindError::Call(e)) => {
                eoutln!("{} finding the PostgreSQL server: {e}", Style::stderr().red("error:"));
                return Ok(Exit::Problems);
            }
        };
        let group = arm::resource_group(&server.id);
        if !server.state.is_empty() && server.state != "Ready" {
            eoutln!(
                "{} server {} is {}: its parameters can be changed only while it runs\n  fix: start it, then run this again: az postgres flexible-server start --name {} --resource-group {group}",
                Style::stderr().red("error:"),
                server.name,
                server.state,
                server.name
            );
            return Ok(Exit::Problems);
        }
        let target = Target::ServerParameter {
            server: server.name.clone(),
            server_id: server.id.clone(),
            parameter: PARAMETER.into(),
        };
        let config = match arm::get_configuration(&session, &server.id, PARAMETER).await {
            Ok(c) => c,
            Err(e) => {
                let read = Target::ArmRead {
                    what: format!("{PARAMETER} of server {}", server.name),
                };
                common::refused(&consent::explain(&read, &who, &e));
                return Ok(Exit::Problems);
            }
        };
        let merge = extensions::merge_needed(&config);
        let exists = vec![format!(
            "{PARAMETER} = {}",
            if config.value.trim().is_empty() { "(empty)" } else { config.value.as_str() }
        )];
        let mut notes = Vec::new();
        if !merge.unavailable.is_empty() {
            notes.push(format!(
                "error: server {} (PostgreSQL {}) does not offer {} (not among azure.extensions' allowed values): Lakekeeper's migrations need them, so they will fail on this server",
                server.name,
                server.version,
                merge.unavailable.join(", ")
            ));
        }
        let mut changes = Vec::new();
        if merge.changes_anything() {
            let (url, body) = arm::configuration_update(&session, &server.id, PARAMETER, &merge.value())
                .map_err(|e| RunError::Usage(e.to_string()))?;
            let keeps = if merge.kept.is_empty() {
                "the list was empty".to_owned()
            } else {
                format!("keeps {}", merge.kept.join(", "))
            };
            changes.push(Change {
                what: format!(
                    "add {} to {PARAMETER} on server {} ({keeps}): {}",
                    merge.added.join(", "),
                    server.name,
                    merge.value()
                ),
                needs: target.needs(),
                requests: vec![Request {
                    method: "PATCH",
                    url: url.to_string(),
                    body: Some(body),
                }],
            });
            notes.push(format!(
                "No restart is needed: {PARAMETER} is a dynamic server parameter, the change applies to new connections at once."
            ));
        } else if merge.unavailable.is_empty() {
            notes.push(format!(
                "Lakekeeper's extensions ({}) are all allowed already.",
                extensions::needed().join(", ")
            ));
        }
        // An extension the server does not offer cannot be fixed here: the run ends with exit 1
        // whatever else it did.
        let end = if merge.unavailable.is_empty() { Exit::Ok } else { Exit::Problems };
        let title = format!("{PARAMETER} on {}:", describe(&server));
        let question = format!("Change {PARAMETER} on server {}?", server.name);
        if let Go::Stop(exit) = common::plan_and_confirm(&title, &exists, &changes, &notes, &args.write, &question) {
            return Ok(if exit == Exit::Ok { end } else { exit });
        }
        common::progress(&format!("setting {PARAMETER} on server {}", server.name));
        let after = match arm::update_configuration(&session, &server.id, PARAMETER, &merge.value(), &common::progress).await {
            Ok(a) => a,
            Err(e) => {
                common::refused(&consent::explain(&target, &who, &e));
                return Ok(Exit::Problems);
            }
        };
        let now = extensions::merge(&after.value, &merge.kept.iter().chain(&merge.added).map(String::as_str).collect::<Vec<_>>(), None);
        if now.changes_anything() {
            eoutln!(
                "{} Azure accepted the change but reports {PARAMETER} = {}; missing: {}. Look at the server's parameters in the portal.",
                Style::stderr().red("error:"),
                after.value,
                now.added.join(", ")
            );
            return Ok(Exit::Problems);
        }
        outln!("{PARAMETER} on server {} is now {}", server.name, after.value);
        if after.pending_restart {
            outln!(
                "Azure says the change waits for a restart: az postgres flexible-server restart --name {} --resource-group {group}",
                server.name
            );
        } else {
            outln!("No restart needed.");
        }
        outln!(
            "Next: Lakekeeper's migration creates the extensions; `lakekeeper-setup verify --only postgres` checks them."
        );
        Ok(end)
    })
}
