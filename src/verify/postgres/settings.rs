//! Where the PostgreSQL check finds its connection settings in `backend/.env`.
//!
//! Order, as Lakekeeper reads them: `LAKEKEEPER__PG_DATABASE_URL_WRITE` (a URL wins over the
//! split form), then Lakekeeper's split `LAKEKEEPER__PG_*` variables, then the backend's
//! `POSTGRES_*`. Every problem names the variable to change. Pure: no I/O, and the password
//! never appears in a message.

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;
use url::Url;

use crate::keys;
use crate::secret::Secret;

/// libpq's `sslmode` values (tokio-postgres knows only three; the check maps the rest):
/// the same type the engine validates.
pub use crate::model::SslMode;

/// Which `.env` variables the settings came from, so a fix can name the one to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `LAKEKEEPER__PG_DATABASE_URL_WRITE`.
    Url,
    /// `LAKEKEEPER__PG_HOST_W`, `_PG_PORT`, `_PG_USER`, `_PG_PASSWORD`, `_PG_DATABASE`, `_PG_SSL_MODE`.
    LakekeeperSplit,
    /// The backend's `POSTGRES_HOST`, `_PORT`, `_DB`, `_USER`, `_PASSWORD`.
    Backend,
}

/// A part of the connection settings, for naming it in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Host,
    Port,
    Database,
    User,
    Password,
    SslMode,
}

impl Source {
    /// The `.env` name of `part`, e.g. `POSTGRES_PASSWORD` or `the password in
    /// LAKEKEEPER__PG_DATABASE_URL_WRITE`.
    pub fn field(self, part: Part) -> String {
        let (lk, backend, in_url) = match part {
            Part::Host => ("LAKEKEEPER__PG_HOST_W", keys::POSTGRES_HOST, "host"),
            Part::Port => ("LAKEKEEPER__PG_PORT", keys::POSTGRES_PORT, "port"),
            Part::Database => ("LAKEKEEPER__PG_DATABASE", keys::POSTGRES_DB, "database"),
            Part::User => ("LAKEKEEPER__PG_USER", keys::POSTGRES_USER, "user"),
            Part::Password => (
                "LAKEKEEPER__PG_PASSWORD",
                keys::POSTGRES_PASSWORD,
                "password",
            ),
            Part::SslMode => ("LAKEKEEPER__PG_SSL_MODE", "sslmode", "?sslmode="),
        };
        match (self, part) {
            (Source::Url, _) => format!("the {in_url} in {}", keys::PG_URL_WRITE),
            (Source::LakekeeperSplit, _) => lk.to_owned(),
            // The backend's split form has no sslmode variable; the URL form is how to set one.
            (Source::Backend, Part::SslMode) => {
                format!("sslmode (add ?sslmode=… to {})", keys::PG_URL_WRITE)
            }
            (Source::Backend, _) => backend.to_owned(),
        }
    }
}

/// Resolved connection settings.
#[derive(Debug, Clone)]
pub struct PgSettings {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    pub password: Secret,
    pub ssl_mode: SslMode,
    pub source: Source,
    /// The URL's libpq `options` (e.g. `-c search_path=lakekeeper,public`), sent at start-up
    /// as Lakekeeper's sqlx sends it.
    pub options: Option<String>,
}

/// Why settings could not be resolved. Never holds the password or the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("no database settings in backend/.env: set {key} or {list}", key = keys::PG_URL_WRITE, list = .0.join(", "))]
    Missing(Vec<&'static str>),
    #[error("{key} is not a valid postgresql:// URL ({0})", key = keys::PG_URL_WRITE)]
    BadUrl(String),
    #[error("{0} is not set; it has no default when LAKEKEEPER__PG_HOST_W is used")]
    MissingField(&'static str),
    #[error("{field} is `{value}`, not a port number (1-65535)")]
    BadPort { field: String, value: String },
    #[error(
        "{field} is `{value}`; use one of disable, allow, prefer, require, verify-ca, verify-full"
    )]
    BadSslMode { field: String, value: String },
}

const BACKEND_KEYS: [&str; 5] = [
    keys::POSTGRES_HOST,
    keys::POSTGRES_PORT,
    keys::POSTGRES_DB,
    keys::POSTGRES_USER,
    keys::POSTGRES_PASSWORD,
];

/// Resolves the settings from `.env`. When no `sslmode` is given, `prefer` applies: that is
/// the default of both sqlx (Lakekeeper) and libpq (most backends), so the check connects the
/// way they will; the result reports whether TLS was actually used.
pub fn resolve(env: &BTreeMap<String, String>) -> Result<PgSettings, SettingsError> {
    let get = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    if let Some(url) = get(keys::PG_URL_WRITE) {
        return from_url(url);
    }
    if let Some(host) = get("LAKEKEEPER__PG_HOST_W") {
        let source = Source::LakekeeperSplit;
        return Ok(PgSettings {
            host: host.to_owned(),
            // Lakekeeper gives PG_PORT no default: a missing one fails its start-up too.
            port: port(
                get("LAKEKEEPER__PG_PORT")
                    .ok_or(SettingsError::MissingField("LAKEKEEPER__PG_PORT"))?,
                source,
            )?,
            database: get("LAKEKEEPER__PG_DATABASE")
                .unwrap_or("postgres")
                .to_owned(),
            user: get("LAKEKEEPER__PG_USER").unwrap_or("postgres").to_owned(),
            password: Secret::new(
                env.get("LAKEKEEPER__PG_PASSWORD")
                    .cloned()
                    .unwrap_or_default(),
            ),
            ssl_mode: ssl_mode(get("LAKEKEEPER__PG_SSL_MODE"), source)?,
            source,
            options: None,
        });
    }
    backend(env)
}

/// The backend's own settings (`POSTGRES_*`). Its `sslmode` is `POSTGRES_SSLMODE` when the
/// file has one, else `prefer` (libpq's default).
pub fn backend(env: &BTreeMap<String, String>) -> Result<PgSettings, SettingsError> {
    let get = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let missing: Vec<&'static str> = BACKEND_KEYS
        .into_iter()
        .filter(|k| get(k).is_none())
        .collect();
    if missing.len() == BACKEND_KEYS.len() || get(keys::POSTGRES_HOST).is_none() {
        return Err(SettingsError::Missing(missing));
    }
    let source = Source::Backend;
    Ok(PgSettings {
        host: get(keys::POSTGRES_HOST).unwrap_or_default().to_owned(),
        port: port(get(keys::POSTGRES_PORT).unwrap_or("5432"), source)?,
        database: get(keys::POSTGRES_DB).unwrap_or("postgres").to_owned(),
        user: get(keys::POSTGRES_USER).unwrap_or("postgres").to_owned(),
        password: Secret::new(
            env.get(keys::POSTGRES_PASSWORD)
                .cloned()
                .unwrap_or_default(),
        ),
        ssl_mode: match get("POSTGRES_SSLMODE") {
            Some(m) => ssl_mode(Some(m), source)?,
            None => SslMode::Prefer,
        },
        source,
        options: None,
    })
}

/// Whether two settings reach a different database or log in differently (sslmode aside).
pub fn differs(a: &PgSettings, b: &PgSettings) -> bool {
    !a.host.eq_ignore_ascii_case(&b.host)
        || a.port != b.port
        || a.database != b.database
        || a.user != b.user
        || a.password.expose() != b.password.expose()
}

/// The settings in a `postgresql://` URL, percent-decoded (libpq's defaults for a missing user
/// or database).
pub fn from_url(raw: &str) -> Result<PgSettings, SettingsError> {
    let url = Url::parse(raw).map_err(|e| SettingsError::BadUrl(e.to_string()))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(SettingsError::BadUrl(format!(
            "scheme `{}`, expected postgresql",
            url.scheme()
        )));
    }
    let decode = |s: &str, what: &str| {
        percent_decode_str(s)
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
            .map_err(|_| {
                SettingsError::BadUrl(format!("the {what} is not valid percent-encoded UTF-8"))
            })
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| SettingsError::BadUrl("no host".into()))?;
    // `Url` keeps IPv6 hosts in brackets; a socket address wants them bare.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let user = match url.username() {
        "" => "postgres".to_owned(),
        u => decode(u, "user")?,
    };
    let password = Secret::new(decode(url.password().unwrap_or_default(), "password")?);
    let database = match url.path().trim_start_matches('/') {
        "" => user.clone(),
        d => decode(d, "database")?,
    };
    let mode = url
        .query_pairs()
        .find(|(k, _)| k == "sslmode")
        .map(|(_, v)| v.into_owned());
    Ok(PgSettings {
        host,
        port: url.port().unwrap_or(5432),
        database,
        user,
        password,
        ssl_mode: ssl_mode(mode.as_deref(), Source::Url)?,
        source: Source::Url,
        options: url
            .query_pairs()
            .find(|(k, _)| k == "options")
            .map(|(_, v)| v.into_owned()),
    })
}

fn port(value: &str, source: Source) -> Result<u16, SettingsError> {
    value
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| SettingsError::BadPort {
            field: source.field(Part::Port),
            value: value.to_owned(),
        })
}

fn ssl_mode(value: Option<&str>, source: Source) -> Result<SslMode, SettingsError> {
    match value {
        None => Ok(SslMode::Prefer),
        Some(v) => SslMode::parse(v).ok_or_else(|| SettingsError::BadSslMode {
            field: source.field(Part::SslMode),
            value: v.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn url_wins_and_is_percent_decoded() {
        let e = env(&[
            (
                keys::PG_URL_WRITE,
                "postgresql://lake%40keeper:fake-p%40ss%3Aw%2Frd@db.example.com:6432/cat%20alog?sslmode=verify-full",
            ),
            (keys::POSTGRES_HOST, "ignored"),
        ]);
        let s = resolve(&e).expect("valid");
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.database.as_str(),
                s.user.as_str()
            ),
            ("db.example.com", 6432, "cat alog", "lake@keeper")
        );
        assert_eq!(s.password.expose(), "fake-p@ss:w/rd");
        assert_eq!((s.ssl_mode, s.source), (SslMode::VerifyFull, Source::Url));
    }

    #[test]
    fn split_backend_variables_default_to_prefer_and_5432() {
        let e = env(&[
            (keys::POSTGRES_HOST, "db"),
            (keys::POSTGRES_USER, "app"),
            (keys::POSTGRES_PASSWORD, "fake-pw"),
            (keys::POSTGRES_DB, "appdb"),
        ]);
        let s = resolve(&e).expect("valid");
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.database.as_str(),
                s.user.as_str()
            ),
            ("db", 5432, "appdb", "app")
        );
        assert_eq!((s.ssl_mode, s.source), (SslMode::Prefer, Source::Backend));
    }

    #[test]
    fn errors_name_the_field_and_never_the_password() {
        let bad_mode = resolve(&env(&[(
            keys::PG_URL_WRITE,
            "postgresql://u:fake-secret@h/db?sslmode=on",
        )]))
        .expect_err("bad");
        assert_eq!(
            bad_mode.to_string(),
            "the ?sslmode= in LAKEKEEPER__PG_DATABASE_URL_WRITE is `on`; use one of disable, allow, prefer, require, verify-ca, verify-full"
        );
        let bad_port = resolve(&env(&[
            (keys::POSTGRES_HOST, "h"),
            (keys::POSTGRES_PORT, "54x"),
        ]))
        .expect_err("bad");
        assert_eq!(
            bad_port.to_string(),
            "POSTGRES_PORT is `54x`, not a port number (1-65535)"
        );
        let bad_url =
            resolve(&env(&[(keys::PG_URL_WRITE, "mysql://u:fake-secret@h/db")])).expect_err("bad");
        assert!(!bad_url.to_string().contains("fake-secret"), "{bad_url}");
        assert!(matches!(resolve(&env(&[])), Err(SettingsError::Missing(m)) if m.len() == 5));
        let no_port = resolve(&env(&[("LAKEKEEPER__PG_HOST_W", "db")])).expect_err("no port");
        assert_eq!(no_port, SettingsError::MissingField("LAKEKEEPER__PG_PORT"));
    }

    #[test]
    fn field_names_follow_the_source() {
        assert_eq!(Source::Backend.field(Part::Password), "POSTGRES_PASSWORD");
        assert_eq!(
            Source::Url.field(Part::Password),
            "the password in LAKEKEEPER__PG_DATABASE_URL_WRITE"
        );
        assert_eq!(
            Source::LakekeeperSplit.field(Part::Host),
            "LAKEKEEPER__PG_HOST_W"
        );
    }
}
