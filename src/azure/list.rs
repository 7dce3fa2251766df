//! The pickers' lists: each [`ListKind`] fetched through its client and turned into
//! [`Choice`]s — what a row shows, why it is greyed, and the fields choosing it fills. A
//! failure becomes a [`ListError`] that names the role or directory setting the list needs.

use super::arm::{self, PostgresServer, StorageAccount};
use super::graph::{self, App};
use super::rest::RestError;
use super::{CallError, ListError, ListKind, Session, to_list_error};
use crate::azure::pick::Choice;
use crate::model::FieldId;

/// Lakekeeper needs PostgreSQL 15 or newer.
const MIN_PG_MAJOR: u32 = 15;

/// What some lists need from the wizard's other answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// Lakekeeper's base URI (for the UI app's SPA redirect `<base>/ui/callback`); the default
    /// base URI when `None`.
    pub base_uri: Option<String>,
}

/// The rows for `kind`, with the default hints.
pub async fn list(session: &Session, kind: &ListKind) -> Result<Vec<Choice>, ListError> {
    list_with(session, kind, &Hints::default()).await
}

/// The rows for `kind`.
pub async fn list_with(
    session: &Session,
    kind: &ListKind,
    hints: &Hints,
) -> Result<Vec<Choice>, ListError> {
    let who = session.account.user.as_str();
    match kind {
        ListKind::Tenant => {
            let tenants = arm::tenants(session).await.map_err(|e| {
                explain(
                    &e,
                    who,
                    "list your directories (tenants)",
                    "no role: any signed-in account may; sign in again with `az login`",
                )
            })?;
            Ok(tenants
                .into_iter()
                .map(|t| Choice {
                    label: if t.name.is_empty() {
                        t.default_domain.clone()
                    } else {
                        t.name.clone()
                    },
                    detail: format!("{} · {}", t.default_domain, t.id),
                    unavailable: None,
                    fills: vec![(FieldId::Tenant, t.id)],
                    accepts: Vec::new(),
                    next: None,
                })
                .collect())
        }
        ListKind::ApiApp | ListKind::BackendApp | ListKind::UiApp => {
            let apps = graph::applications(session).await.map_err(|e| {
                explain(
                    &e,
                    who,
                    "read the directory's app registrations",
                    "members may by default; a guest needs the directory role Directory Readers (or an admin lifting the guest restriction in Entra ID → User settings)",
                )
            })?;
            let base = hints
                .base_uri
                .clone()
                .unwrap_or_else(|| crate::strings::DEFAULT_BASE_URI.to_owned());
            Ok(apps.iter().map(|a| app_choice(kind, a, &base)).collect())
        }
        ListKind::StorageAccount => {
            let accounts =
                per_subscription(session, who, "storage accounts", arm::storage_accounts).await?;
            Ok(accounts.iter().map(storage_choice).collect())
        }
        ListKind::Container { account_id } => {
            let account = account_id.rsplit('/').next().unwrap_or(account_id);
            let containers = arm::containers(session, account_id).await.map_err(|e| {
                explain(
                    &e,
                    who,
                    &format!("list the containers of storage account {account}"),
                    &format!("the role Reader on storage account {account} (management plane: no data role is needed)"),
                )
            })?;
            Ok(containers
                .into_iter()
                .map(|c| Choice {
                    label: c.name.clone(),
                    detail: format!("container in {account}"),
                    unavailable: None,
                    fills: vec![(FieldId::StorageContainer, c.name)],
                    accepts: Vec::new(),
                    next: None,
                })
                .collect())
        }
        ListKind::PostgresServer => {
            let servers = per_subscription(
                session,
                who,
                "PostgreSQL flexible servers",
                arm::postgres_servers,
            )
            .await?;
            Ok(servers.iter().map(postgres_choice).collect())
        }
    }
}

/// Lists `what` in every visible subscription. A subscription the user may not read is skipped
/// when others answered; when none did, the error names the role.
async fn per_subscription<T, F>(
    session: &Session,
    who: &str,
    what: &str,
    fetch: F,
) -> Result<Vec<T>, ListError>
where
    F: AsyncFn(&Session, &str) -> Result<Vec<T>, CallError>,
{
    let role =
        format!("the role Reader on the subscription (or resource group) holding the {what}");
    let subs = arm::subscriptions(session)
        .await
        .map_err(|e| explain(&e, who, "list your subscriptions", &role))?;
    let subs: Vec<_> = subs
        .into_iter()
        .filter(|s| s.state.is_empty() || s.state == "Enabled")
        .collect();
    if subs.is_empty() {
        return Err(ListError::Forbidden(format!(
            "{} sees no enabled Azure subscription in this tenant, so no {what} can be listed; needs {role}",
            display_who(who)
        )));
    }
    let mut found = Vec::new();
    let mut first_error = None;
    let mut answered = false;
    for s in &subs {
        match fetch(session, &s.id).await {
            Ok(items) => {
                answered = true;
                found.extend(items);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if !answered => Err(explain(&e, who, &format!("list {what}"), &role)),
        _ => Ok(found),
    }
}

fn display_who(who: &str) -> &str {
    if who.is_empty() { "your account" } else { who }
}

/// A failure in words: 401/403 name what was attempted and the role needed.
fn explain(e: &CallError, who: &str, attempt: &str, needs: &str) -> ListError {
    match e {
        CallError::Rest(RestError::Api(a)) if a.status == 403 => ListError::Forbidden(format!(
            "{} may not {attempt} ({}); needs {needs}",
            display_who(who),
            if a.code.is_empty() {
                "HTTP 403"
            } else {
                a.code.as_str()
            }
        )),
        CallError::Rest(RestError::Api(a)) if a.status == 401 => ListError::Failed(format!(
            "Azure did not accept your sign-in ({}); run `az login` again",
            if a.code.is_empty() {
                "HTTP 401"
            } else {
                a.code.as_str()
            }
        )),
        CallError::Rest(RestError::Api(a)) => ListError::Failed(format!(
            "could not {attempt}: HTTP {} {} {}",
            a.status, a.code, a.message
        )),
        CallError::Rest(r) => ListError::Failed(format!("could not {attempt}: {r}")),
        CallError::Az(_) => to_list_error(e),
    }
}

fn app_choice(kind: &ListKind, a: &App, base: &str) -> Choice {
    let id = a.client_id.as_str().to_owned();
    let mut c = Choice {
        label: if a.name.is_empty() {
            id.clone()
        } else {
            a.name.clone()
        },
        detail: id.clone(),
        unavailable: None,
        fills: Vec::new(),
        accepts: Vec::new(),
        next: None,
    };
    match kind {
        ListKind::ApiApp => {
            if let Some(uri) = a.app_id_uri() {
                c.detail = format!("{id} · {uri}");
                c.fills = vec![
                    (FieldId::ApiClientId, id),
                    (FieldId::AppIdUri, uri.to_owned()),
                ];
                c.accepts = a
                    .identifier_uris
                    .iter()
                    .map(|u| (FieldId::AppIdUri, u.clone()))
                    .collect();
            } else {
                c.unavailable = Some(format!(
                    "no App ID URI: set one under Expose an API (api://{id}) first"
                ));
                c.fills = vec![(FieldId::ApiClientId, id)];
            }
        }
        ListKind::UiApp => {
            let callback = format!("{}/ui/callback", base.trim_end_matches('/'));
            let has = a.has_spa_redirect(&callback);
            c.detail = if has {
                format!("{id} · SPA redirect {callback} registered")
            } else {
                format!(
                    "{id} · no SPA redirect {callback} (add it under Authentication → Single-page application)"
                )
            };
            c.fills = vec![(FieldId::UiClientId, id)];
        }
        _ => c.fills = vec![(FieldId::BackendClientId, id)],
    }
    c
}

fn storage_choice(a: &StorageAccount) -> Choice {
    Choice {
        label: a.name.clone(),
        detail: format!("{} · {}", a.resource_group, a.location),
        unavailable: (!a.hns)
            .then(|| "no hierarchical namespace: not ADLS Gen2, which Lakekeeper needs".to_owned()),
        fills: vec![(FieldId::StorageAccount, a.name.clone())],
        accepts: Vec::new(),
        next: Some(ListKind::Container {
            account_id: a.id.clone(),
        }),
    }
}

fn postgres_choice(s: &PostgresServer) -> Choice {
    let unavailable = match s.major() {
        Some(v) if v < MIN_PG_MAJOR => Some(format!(
            "PostgreSQL {v}: Lakekeeper needs {MIN_PG_MAJOR} or newer"
        )),
        None => Some(format!("unknown PostgreSQL version `{}`", s.version)),
        _ if s.state != "Ready" => Some(format!(
            "{}: start the server first",
            if s.state.is_empty() {
                "state unknown"
            } else {
                s.state.as_str()
            }
        )),
        _ if s.fqdn.is_empty() => Some("no host name (FQDN) reported".to_owned()),
        _ => None,
    };
    Choice {
        label: s.name.clone(),
        detail: format!("{} · PostgreSQL {} · {}", s.fqdn, s.version, s.state),
        unavailable,
        fills: vec![
            (FieldId::PgHost, s.fqdn.clone()),
            (FieldId::PgPort, "5432".to_owned()),
        ],
        accepts: Vec::new(),
        next: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ClientId;

    fn pg(version: &str, state: &str) -> PostgresServer {
        PostgresServer {
            id: String::new(),
            name: "pg".into(),
            fqdn: "pg.postgres.database.azure.com".into(),
            version: version.into(),
            state: state.into(),
            location: "eastus".into(),
        }
    }

    #[test]
    fn postgres_rows_grey_old_or_stopped_servers_and_fill_host_and_port() {
        assert_eq!(
            postgres_choice(&pg("12", "Ready")).unavailable.as_deref(),
            Some("PostgreSQL 12: Lakekeeper needs 15 or newer")
        );
        assert_eq!(
            postgres_choice(&pg("16", "Stopped")).unavailable.as_deref(),
            Some("Stopped: start the server first")
        );
        let ok = postgres_choice(&pg("16", "Ready"));
        assert_eq!(ok.unavailable, None);
        assert_eq!(
            ok.fills,
            vec![
                (FieldId::PgHost, "pg.postgres.database.azure.com".to_owned()),
                (FieldId::PgPort, "5432".to_owned())
            ]
        );
    }

    #[test]
    fn app_rows_fill_what_each_field_needs() {
        let a = App {
            client_id: ClientId("aaaaaaaa-0000-4000-8000-000000000001".into()),
            name: "Lakekeeper API".into(),
            identifier_uris: vec!["api://lakekeeper".into()],
            spa_redirects: vec!["https://lk.example.test/ui/callback".into()],
        };
        let api = app_choice(&ListKind::ApiApp, &a, "http://localhost:8181");
        assert_eq!(
            api.fills,
            vec![
                (
                    FieldId::ApiClientId,
                    "aaaaaaaa-0000-4000-8000-000000000001".to_owned()
                ),
                (FieldId::AppIdUri, "api://lakekeeper".to_owned())
            ]
        );
        let ui = app_choice(&ListKind::UiApp, &a, "https://lk.example.test/");
        assert!(
            ui.detail
                .contains("SPA redirect https://lk.example.test/ui/callback registered"),
            "{}",
            ui.detail
        );
        let ui = app_choice(&ListKind::UiApp, &a, "http://localhost:8181");
        assert!(
            ui.detail
                .contains("no SPA redirect http://localhost:8181/ui/callback"),
            "{}",
            ui.detail
        );
        let no_uri = App {
            identifier_uris: vec![],
            ..a
        };
        assert!(
            app_choice(&ListKind::ApiApp, &no_uri, "")
                .unavailable
                .is_some()
        );
    }
}
