//! Validators: one pure function per kind of value, shared by every front door (flags, profile,
//! environment, wizard, line prompts) and by `check`.
//!
//! Each takes the raw text (pasted values included), normalises what can be normalised safely
//! (trim, strip a well-known suffix, pull a GUID out of a URL) with a visible note, and rejects
//! the rest with a message that names the field and the fix. Nothing here performs I/O.

mod config;
mod storage;

pub use config::{Validated, answers, default_for, field, is_optional};
pub use storage::{AbfssLocation, abfss, container, key_prefix, storage_account};

use std::fmt;
use std::net::IpAddr;

use crate::model::{ClientId, Cloud, FieldId, SslMode, StorageCredentialKind, TenantId};
use crate::strings;

/// A value that passed, with notes on what was normalised and warnings on what looks off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked<T> {
    pub value: T,
    /// "stripped …", "took the GUID from the pasted URL": shown, never fatal.
    pub notes: Vec<String>,
    /// Accepted but suspicious: shown as warnings.
    pub warnings: Vec<String>,
}

impl<T> Checked<T> {
    pub fn ok(value: T) -> Self {
        Self {
            value,
            notes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(text.into());
        self
    }

    pub fn warn(mut self, text: impl Into<String>) -> Self {
        self.warnings.push(text.into());
        self
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Checked<U> {
        Checked {
            value: f(self.value),
            notes: self.notes,
            warnings: self.warnings,
        }
    }
}

/// A rejected value: which field, the value (never a secret's), what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    #[serde(serialize_with = "ser_field")]
    pub field: FieldId,
    /// The offending value, `None` for secrets.
    pub value: Option<String>,
    pub message: String,
    pub fix: String,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `serialize_with` passes a reference
fn ser_field<S: serde::Serializer>(f: &FieldId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(f.name())
}

impl FieldError {
    pub fn new(
        field: FieldId,
        raw: &str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            field,
            value: (!field.is_secret()).then(|| without_url_password(raw)),
            message: message.into(),
            fix: fix.into(),
        }
    }

    pub fn missing(field: FieldId) -> Self {
        let source = match (field.env_key(), field.profile_key()) {
            (Some(env), Some((t, k))) => {
                format!("set {env} in the environment or `{k}` under [{t}] in the profile")
            }
            (Some(env), None) => format!("set {env} in the environment or in backend/.env"),
            (None, Some((t, k))) => format!("set `{k}` under [{t}] in lakekeeper-setup.toml"),
            (None, None) => String::from("provide it"),
        };
        Self {
            field,
            value: None,
            message: "is required but was not given".into(),
            fix: format!("{source} ({})", strings::hint(field)),
        }
    }
}

/// `raw` with the password of a URL's user info (`scheme://user:password@host`) masked: an
/// echoed value must not carry a credential even in a field that is not a secret.
fn without_url_password(raw: &str) -> String {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return raw.to_owned();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    match authority.rsplit_once('@') {
        Some((user_info, _)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            let after = &rest[user_info.len()..];
            format!("{scheme}://{user}:••••{after}")
        }
        _ => raw.to_owned(),
    }
}

impl FieldError {
    /// The problem without the fix: label, field name, the value (unless secret), the message.
    pub fn problem(&self) -> String {
        match &self.value {
            Some(v) => format!(
                "{} ({}): `{v}` {}",
                strings::label(self.field),
                self.field,
                self.message
            ),
            None => format!(
                "{} ({}): {}",
                strings::label(self.field),
                self.field,
                self.message
            ),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; fix: {}", self.problem(), self.fix)
    }
}

impl std::error::Error for FieldError {}

pub type FieldResult<T> = Result<Checked<T>, FieldError>;

const WELL_KNOWN: &str = "/.well-known/openid-configuration";
const RESERVED_TENANTS: [&str; 3] = ["common", "organizations", "consumers"];

/// The first GUID (8-4-4-4-12 hex) inside `s`, lowercased.
pub fn find_guid(s: &str) -> Option<String> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(35)).find_map(|i| {
        let cand = s.get(i..i + 36)?;
        let before_ok = i == 0 || !b[i - 1].is_ascii_hexdigit();
        let after_ok = b.get(i + 36).is_none_or(|c| !c.is_ascii_hexdigit());
        (before_ok && after_ok && is_guid(cand)).then(|| cand.to_ascii_lowercase())
    })
}

pub fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A GUID given alone, in braces, upper case, or inside a pasted URL such as `api://<guid>`.
fn guid_field(field: FieldId, raw: &str, what: &str) -> FieldResult<String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    let bare = t.trim_start_matches('{').trim_end_matches('}');
    if is_guid(bare) {
        let lower = bare.to_ascii_lowercase();
        let mut c = Checked::ok(lower.clone());
        if lower != t {
            c = c.note(format!("normalised to {lower}"));
        }
        return Ok(c);
    }
    if let Some(g) = find_guid(t) {
        return Ok(Checked::ok(g.clone()).note(format!("took the GUID {g} from the pasted text")));
    }
    Err(FieldError::new(
        field,
        t,
        format!("is not a GUID; {what} looks like 00000000-0000-0000-0000-000000000000"),
        strings::hint(field),
    ))
}

pub fn client_id(field: FieldId, raw: &str) -> FieldResult<ClientId> {
    Ok(guid_field(field, raw, "an application (client) ID")?.map(ClientId))
}

/// Tenant: a GUID (also pulled out of a pasted URL) or a verified domain; never
/// `common`/`organizations`/`consumers`.
pub fn tenant(raw: &str) -> FieldResult<TenantId> {
    let field = FieldId::Tenant;
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    let lower = t.to_ascii_lowercase();
    let candidate = if lower.contains('/') {
        // A pasted URL: the tenant is the first path segment (login.../<tenant>/v2.0).
        lower
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').nth(1))
            .unwrap_or("")
            .to_owned()
    } else {
        lower.clone()
    };
    if RESERVED_TENANTS.contains(&candidate.as_str()) {
        return Err(FieldError::new(
            field,
            t,
            String::from(
                "is a multi-tenant alias, not your directory: its issuer is a template that never matches, and client credentials fail there (AADSTS9001023)",
            ),
            "use your directory's Tenant ID (a GUID) from Entra ID → Overview",
        ));
    }
    if let Some(g) = find_guid(&lower) {
        let mut c = Checked::ok(TenantId::Guid(g.clone()));
        if g != t {
            c = c.note(format!("took the tenant ID {g} from the pasted text"));
        }
        return Ok(c);
    }
    if is_domain(&candidate) {
        let c = Checked::ok(TenantId::Domain(candidate.clone()));
        let c = if candidate == t {
            c
        } else {
            c.note(format!("normalised to {candidate}"))
        };
        return Ok(c.warn(
            "a domain works for sign-in, but the v1 token issuer needs the tenant GUID: give the GUID, or keep an existing LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS",
        ));
    }
    Err(FieldError::new(
        field,
        t,
        "is neither a GUID nor a domain",
        strings::hint(field),
    ))
}

pub fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && s.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_lowercase()))
}

pub fn cloud(raw: &str) -> FieldResult<Cloud> {
    let t = raw.trim().to_ascii_lowercase();
    match t.as_str() {
        "" | "public" | "azurecloud" | "azurepubliccloud" => Ok(Checked::ok(Cloud::Public)),
        "usgov" | "azureusgovernment" | "usgovernment" => Ok(Checked::ok(Cloud::UsGov)),
        "china" | "azurechinacloud" => Ok(Checked::ok(Cloud::China)),
        "germany" | "azuregermancloud" => Err(FieldError::new(
            FieldId::Cloud,
            raw.trim(),
            "is closed: Microsoft Cloud Deutschland no longer exists",
            "use public",
        )),
        _ => Err(FieldError::new(
            FieldId::Cloud,
            raw.trim(),
            "is not a known cloud",
            "use one of public, usgov, china",
        )),
    }
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// An `https` URL, or `http` on loopback only. Returns the parsed URL.
fn secure_url(field: FieldId, raw: &str) -> Result<url::Url, FieldError> {
    let t = raw.trim();
    let u = url::Url::parse(t).map_err(|e| {
        FieldError::new(
            field,
            t,
            format!("is not an absolute URL ({e})"),
            "give a full https://… URL",
        )
    })?;
    let host = u.host_str().unwrap_or("");
    match u.scheme() {
        "https" => Ok(u),
        "http" if is_loopback_host(host) => Ok(u),
        "http" => Err(FieldError::new(
            field,
            t,
            "uses plain http on a non-loopback host",
            "use https (plain http is allowed only for 127.0.0.1 test servers)",
        )),
        s => Err(FieldError::new(
            field,
            t,
            format!("has scheme `{s}`"),
            "use https://",
        )),
    }
}

/// Login host override: origin only, no path.
pub fn authority_host(raw: &str) -> FieldResult<String> {
    let field = FieldId::AuthorityHost;
    let u = secure_url(field, raw)?;
    let extra = u.path() != "/"
        || u.query().is_some()
        || u.fragment().is_some()
        || !u.username().is_empty()
        || u.password().is_some();
    if extra {
        return Err(FieldError::new(
            field,
            raw.trim(),
            "has a path, query, fragment or user name",
            "give only the scheme and host, e.g. https://login.microsoftonline.com",
        ));
    }
    let origin = u.as_str().trim_end_matches('/').to_owned();
    Ok(Checked::ok(origin))
}

/// An OpenID provider URI as Lakekeeper wants it: no `/.well-known/openid-configuration`, no
/// trailing slash, https (http only on loopback).
pub fn provider_uri(raw: &str) -> Result<Checked<String>, String> {
    let mut value = raw.trim();
    let (mut well_known, mut slash) = (false, false);
    // Strip until nothing changes (`…/x /`, a doubled suffix): `check` tells the user to "set
    // it to" the result, so the result must pass unchanged.
    loop {
        let bare = value.trim_end_matches('/').trim_end();
        if let Some(rest) = bare.strip_suffix(WELL_KNOWN) {
            value = rest;
            well_known = true;
        } else if bare.len() < value.len() {
            value = bare;
            slash = true;
        } else {
            break;
        }
    }
    let mut c_notes = Vec::new();
    if well_known {
        c_notes.push(format!(
            "stripped `{WELL_KNOWN}`: Lakekeeper appends it itself and fails with \"Expected fields: [\\\"jwks_uri\\\", \\\"issuer\\\"]\" when it is there twice"
        ));
    }
    if slash {
        c_notes.push("stripped the trailing `/`".to_owned());
    }
    let value = value.to_owned();
    secure_url(FieldId::AuthorityHost, &value).map_err(|e| e.message)?;
    Ok(Checked {
        value,
        notes: c_notes,
        warnings: Vec::new(),
    })
}

/// App ID URI: `api://…` or `https://…`, no whitespace or commas, no `/.default`.
pub fn app_id_uri(raw: &str) -> FieldResult<String> {
    let field = FieldId::AppIdUri;
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    let mut c = Checked::ok(t.to_owned());
    // Every `/.default`, so the result passes unchanged when validated again.
    let mut bare = t;
    while let Some(s) = bare
        .strip_suffix("/.default")
        .or_else(|| bare.strip_suffix("/.default/"))
    {
        bare = s;
    }
    if bare.len() < t.len() {
        c = Checked::ok(bare.to_owned())
            .note("stripped `/.default`: that belongs to the scope, which is derived");
    }
    let v = c.value.clone();
    if v.chars()
        .any(|ch| ch.is_whitespace() || ch.is_control() || ch == ',')
    {
        return Err(FieldError::new(
            field,
            t,
            "contains a space or comma (or a control character)",
            "paste the single Application ID URI",
        ));
    }
    let rest = v
        .strip_prefix("api://")
        .or_else(|| v.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() => Ok(c),
        _ => Err(FieldError::new(
            field,
            t,
            "is not an Application ID URI",
            "it starts with api:// (usually api://<client id>) or https:// in a verified domain",
        )),
    }
}

/// A client secret value. Shape is only warned about; a GUID is the Secret ID, not the value.
pub fn client_secret(field: FieldId, raw: &str) -> FieldResult<String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    if is_guid(t.trim_start_matches('{').trim_end_matches('}')) {
        return Err(FieldError::new(
            field,
            t,
            "looks like the Secret ID (a GUID), not the secret Value; Entra would answer AADSTS7000215",
            "paste the Value column from Certificates & secrets (it is shown only once; create a new secret if it is hidden)",
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            t,
            "contains a control character",
            "paste the value again",
        ));
    }
    let mut c = Checked::ok(t.to_owned());
    if t != raw {
        c = c.note("trimmed surrounding whitespace");
    }
    let portal_shape = t.len() == 40
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_~.-".contains(&b));
    if !portal_shape {
        c = c.warn("does not look like a current portal secret (40 characters of A-Z a-z 0-9 _ ~ . -): check that you copied the whole Value");
    }
    Ok(c)
}

/// Encryption key: at least 32 characters (team policy). All-digit and `[{"'`-leading keys work
/// in Lakekeeper (reference §1), so they are warnings, not errors.
pub fn encryption_key(raw: &str) -> FieldResult<String> {
    let field = FieldId::EncryptionKey;
    if raw.is_empty() {
        return Err(FieldError::missing(field));
    }
    let n = raw.chars().count();
    if n < 32 {
        return Err(FieldError::new(
            field,
            raw,
            format!("is {n} characters; the minimum is 32"),
            "generate one with `lakekeeper-setup apply --generate-key` (only when no warehouse exists yet)",
        ));
    }
    if raw.chars().any(char::is_control) || raw.trim() != raw {
        return Err(FieldError::new(
            field,
            raw,
            "has surrounding whitespace or a control character (Lakekeeper trims values)",
            "remove them",
        ));
    }
    let mut c = Checked::ok(raw.to_owned());
    if raw.bytes().all(|b| b.is_ascii_digit()) {
        c = c.warn("is all digits: Lakekeeper's config parser turns it into a number, so leading zeros may not survive");
    }
    if raw.starts_with(['[', '{', '"', '\'']) {
        c = c.warn(
            "starts with a bracket or quote, which Lakekeeper's config parser treats specially",
        );
    }
    Ok(c)
}

pub fn pg_host(raw: &str) -> FieldResult<String> {
    let field = FieldId::PgHost;
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    if t.contains("://") {
        return Err(FieldError::new(
            field,
            t,
            "is a URL",
            "give the host name only, e.g. myserver.postgres.database.azure.com",
        ));
    }
    let bare_ipv6 = t.parse::<IpAddr>().is_ok();
    if !bare_ipv6 && t.contains(':') {
        return Err(FieldError::new(
            field,
            t,
            "contains a port",
            "give the port separately (POSTGRES_PORT)",
        ));
    }
    let ok = bare_ipv6
        || t.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !ok {
        return Err(FieldError::new(
            field,
            t,
            "is not a valid host name or IP address",
            strings::hint(field),
        ));
    }
    Ok(Checked::ok(t.to_ascii_lowercase()))
}

pub fn port(field: FieldId, raw: &str) -> FieldResult<u16> {
    let t = raw.trim();
    match t.parse::<u16>() {
        Ok(p) if p > 0 => Ok(Checked::ok(p)),
        _ => Err(FieldError::new(
            field,
            t,
            "is not a port number (1-65535)",
            strings::hint(field),
        )),
    }
}

/// Database and role names: non-empty, at most 63 bytes (PostgreSQL's NAMEDATALEN), no control
/// characters.
pub fn pg_name(field: FieldId, raw: &str) -> FieldResult<String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    if t.len() > 63 || t.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            t,
            "is longer than 63 bytes or has a control character",
            strings::hint(field),
        ));
    }
    Ok(Checked::ok(t.to_owned()))
}

/// Passwords may hold any printable character; the URL writer percent-encodes them.
pub fn password(field: FieldId, raw: &str) -> FieldResult<String> {
    if raw.is_empty() {
        return Err(FieldError::missing(field));
    }
    if raw.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            raw,
            "contains a control character or line break",
            "paste it again",
        ));
    }
    Ok(Checked::ok(raw.to_owned()))
}

/// Lakekeeper's own schema: a plain identifier, or `none` (`public` counts as none).
pub fn pg_schema(raw: &str) -> FieldResult<String> {
    crate::searchpath::validate(raw)
        .map(Checked::ok)
        .map_err(|why| FieldError::new(FieldId::PgSchema, raw.trim(), "is not a schema name", why))
}

pub fn sslmode(raw: &str) -> FieldResult<SslMode> {
    let t = raw.trim().to_ascii_lowercase();
    SslMode::parse(&t).map(Checked::ok).ok_or_else(|| {
        FieldError::new(
            FieldId::PgSslMode,
            raw.trim(),
            "is not a libpq sslmode",
            format!("use one of {}", SslMode::NAMES.join(", ")),
        )
    })
}

/// Lakekeeper's base URI: absolute http(s), no query or fragment; returned without a trailing `/`.
pub fn base_uri(raw: &str) -> FieldResult<url::Url> {
    let field = FieldId::BaseUri;
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    let u = url::Url::parse(t).map_err(|e| {
        FieldError::new(
            field,
            t,
            format!("is not an absolute URL ({e})"),
            strings::hint(field),
        )
    })?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(FieldError::new(
            field,
            t,
            "is not an http(s) URL",
            strings::hint(field),
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(FieldError::new(
            field,
            t,
            "has a query or fragment",
            strings::hint(field),
        ));
    }
    // `.env` holds the URI without a trailing `/`: the value must be the one read back.
    let u = match url::Url::parse(&base_uri_string(&u)) {
        Ok(bare) => bare,
        Err(_) => u,
    };
    Ok(Checked::ok(u))
}

/// `Url` renders `http://h:1` as `http://h:1/`; the `.env` value has no trailing slash.
pub fn base_uri_string(u: &url::Url) -> String {
    u.as_str().trim_end_matches('/').to_owned()
}

pub fn warehouse_name(raw: &str) -> FieldResult<String> {
    let field = FieldId::WarehouseName;
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    if t.chars().count() > 128 || t.contains('/') || t.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            t,
            "must be 1-128 characters without `/`",
            strings::hint(field),
        ));
    }
    Ok(Checked::ok(t.to_owned()))
}

/// An image reference; an unpinned tag is a warning.
pub fn image(raw: &str) -> FieldResult<String> {
    let field = FieldId::Image;
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    let valid = !t
        .chars()
        .any(|c| c.is_whitespace() || c == '$' || c.is_control())
        && !t.starts_with(['/', ':', '@'])
        && !t.ends_with([':', '/', '@']);
    if !valid {
        return Err(FieldError::new(
            field,
            t,
            "is not an image reference",
            strings::hint(field),
        ));
    }
    let c = Checked::ok(t.to_owned());
    let last = t.rsplit('/').next().unwrap_or(t);
    let tag = last.split_once(':').map(|(_, tag)| tag);
    if t.contains('@') {
        return Ok(c);
    }
    match tag {
        None | Some("latest" | "latest-main") => Ok(c.warn(format!(
            "is not pinned to a release; use e.g. {}",
            strings::DEFAULT_IMAGE
        ))),
        Some(_) => Ok(c),
    }
}

pub fn storage_credential(raw: &str) -> FieldResult<StorageCredentialKind> {
    match raw.trim().to_ascii_lowercase().replace('_', "-").as_str() {
        "" | "client-credentials" => Ok(Checked::ok(StorageCredentialKind::ClientCredentials)),
        "shared-key" | "shared-access-key" | "account-key" => {
            Ok(Checked::ok(StorageCredentialKind::SharedKey))
        }
        _ => Err(FieldError::new(
            FieldId::StorageCredential,
            raw.trim(),
            "is not a warehouse credential kind",
            "use client-credentials or shared-key",
        )),
    }
}

#[cfg(test)]
mod tests;
