//! Opening the PostgreSQL connection and explaining why it failed, in terms of the `.env`
//! field to change. The password goes to the server only (SCRAM never sends it in clear) and
//! never into a message.

use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::settings::{Part, PgSettings, SslMode};
use super::tls;

/// A failed connection, told for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    pub summary: String,
    pub fix: Option<String>,
}

/// Connects and spawns the connection task. The client closes the connection when dropped.
pub async fn connect(s: &PgSettings, timeout: Duration) -> Result<Client, ConnectFailure> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(&s.host)
        .port(s.port)
        .dbname(&s.database)
        .user(&s.user)
        .password(s.password.expose())
        .application_name("lakekeeper-setup verify")
        .connect_timeout(timeout)
        .ssl_mode(match s.ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
    if let Some(options) = &s.options {
        config.options(options);
    }
    let tls = tls::client_config(s.ssl_mode).map_err(|e| ConnectFailure {
        summary: format!(
            "could not set up TLS for sslmode={}: {e}",
            s.ssl_mode.as_str()
        ),
        fix: None,
    })?;
    let work = async {
        match tls {
            None => config.connect(NoTls).await.map(|(client, conn)| {
                tokio::spawn(conn);
                client
            }),
            Some(tls) => config
                .connect(MakeRustlsConnect::new(tls))
                .await
                .map(|(client, conn)| {
                    tokio::spawn(conn);
                    client
                }),
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(explain(s, &e)),
        Err(_) => Err(timed_out(s, timeout)),
    }
}

fn timed_out(s: &PgSettings, timeout: Duration) -> ConnectFailure {
    ConnectFailure {
        summary: format!(
            "no answer from {}:{} within {} s",
            s.host,
            s.port,
            timeout.as_secs()
        ),
        fix: Some(format!(
            "check {} and {} and that this machine may reach the server (firewall / Azure networking rules)",
            s.source.field(Part::Host),
            s.source.field(Part::Port)
        )),
    }
}

/// The error and its sources in one line (tokio-postgres's top-level text alone is vague).
fn chain(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text
}

/// Translates a connection error into the field to fix.
pub fn explain(s: &PgSettings, e: &tokio_postgres::Error) -> ConnectFailure {
    let at = format!("{}:{}", s.host, s.port);
    let field = |p: Part| s.source.field(p);
    if let Some(db) = e.as_db_error() {
        let message = db.message();
        let (summary, fix) = if *db.code() == SqlState::INVALID_PASSWORD {
            (
                format!("password authentication failed for user {} at {at}", s.user),
                format!(
                    "set {} to the password of role {} (or check {})",
                    field(Part::Password),
                    s.user,
                    field(Part::User)
                ),
            )
        } else if *db.code() == SqlState::INVALID_CATALOG_NAME {
            (
                format!("database {} does not exist on {at}", s.database),
                format!(
                    "create it (CREATE DATABASE \"{}\";) or set {} to an existing database",
                    s.database,
                    field(Part::Database)
                ),
            )
        } else if message.contains("unsupported startup parameter") {
            (
                format!(
                    "the server at {at} refused the connection: {message} — a connection pooler (PgBouncer; Azure's listens on 6432) refuses the URL's search-path option"
                ),
                crate::strings::POOLER_FIX.to_owned(),
            )
        } else if message.contains("no encryption")
            || (message.contains("SSL") && message.contains("required"))
        {
            (
                format!(
                    "the server at {at} requires TLS, but sslmode={} connected without it",
                    s.ssl_mode.as_str()
                ),
                format!(
                    "set {} to require (Azure Database for PostgreSQL always requires TLS)",
                    field(Part::SslMode)
                ),
            )
        } else if message.contains("does not exist") && message.contains("role") {
            (
                format!("role {} does not exist on {at}", s.user),
                format!("set {} to an existing role", field(Part::User)),
            )
        } else if message.contains("pg_hba.conf") {
            (
                format!("the server at {at} does not accept this client: {message}"),
                format!(
                    "allow this host for user {} in the server's pg_hba.conf / firewall rules, or check {}",
                    s.user,
                    field(Part::Host)
                ),
            )
        } else {
            (
                format!("the server at {at} refused the connection: {message}"),
                format!("check {} and {}", field(Part::User), field(Part::Database)),
            )
        };
        return ConnectFailure {
            summary,
            fix: Some(fix),
        };
    }
    let text = chain(e);
    let lower = text.to_ascii_lowercase();
    let (summary, fix) = if lower.contains("server does not support tls") {
        (
            format!(
                "the server at {at} does not offer TLS, and sslmode={} requires it",
                s.ssl_mode.as_str()
            ),
            format!(
                "enable TLS on the server, or set {} to prefer (or disable) for a local server",
                field(Part::SslMode)
            ),
        )
    } else if lower.contains("certificate") || lower.contains("invalidcertificate") {
        (
            format!(
                "the TLS certificate of {at} is not trusted for sslmode={}: {text}",
                s.ssl_mode.as_str()
            ),
            format!(
                "install the server's CA in the system trust store, or set {} to require (encrypts without verifying)",
                field(Part::SslMode)
            ),
        )
    } else if lower.contains("connection refused") {
        (
            format!("nothing listens on {at} (connection refused)"),
            format!(
                "check {} and {}, and that the server is running",
                field(Part::Host),
                field(Part::Port)
            ),
        )
    } else if lower.contains("lookup address")
        || lower.contains("name or service not known")
        || lower.contains("no such host")
    {
        (
            format!("host name {} does not resolve", s.host),
            format!(
                "set {} to the server's host name (a Compose service name resolves only inside the Compose network: run verify where it resolves, or use the host's published name)",
                field(Part::Host)
            ),
        )
    } else if lower.contains("timed out") || lower.contains("timeout") {
        return timed_out(s, Duration::from_secs(0));
    } else {
        (
            format!("could not connect to {at}: {text}"),
            format!("check {} and {}", field(Part::Host), field(Part::Port)),
        )
    };
    ConnectFailure {
        summary,
        fix: Some(fix),
    }
}
