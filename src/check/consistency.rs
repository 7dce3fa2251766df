//! Contradictions: keys each valid alone that cannot all be right together (a tenant here and
//! another there, a scope for an API the audience does not list, Lakekeeper's database URL and
//! the backend's `POSTGRES_*` apart, a warehouse location in another account…).
//!
//! Each finding names both variables and the one change that makes them agree; an error where
//! the setup cannot work, a warning where the difference may be intended. PostgreSQL URLs are
//! compared by their parts (host, port, database, user, password, sslmode), never as text, so
//! extra query parameters (`options=-c search_path=…`) do not count. A secret's value is never
//! quoted. Pure, like the rest of `check`.

use super::{CheckInput, Lint, Severity};
use crate::keys as k;
use crate::model::Cloud;
use crate::validate::{find_guid, is_guid};
use crate::verify::postgres::settings::{PgSettings, from_url};

/// The backend's own sslmode setting, when it has one (the tool itself writes none).
const POSTGRES_SSLMODE: &str = "POSTGRES_SSLMODE";

pub(super) fn rules(l: &mut Lint<'_>, input: &CheckInput<'_>) {
    tenants(l);
    scopes(l);
    postgres(l);
    storage(l);
    clients(l);
    clouds(l);
    ports(l, input);
}

/// `https://<authority>/<tenant>/v2.0` → `(host, tenant)`, both lower case.
fn provider(l: &Lint<'_>) -> Option<(String, String)> {
    let u = url::Url::parse(l.get(k::PROVIDER_URI)?.trim()).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    let tenant = u.path_segments()?.next()?.to_ascii_lowercase();
    (!tenant.is_empty()).then_some((host, tenant))
}

fn lower(l: &Lint<'_>, key: &str) -> Option<String> {
    l.get(key)
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
}

fn tenants(l: &mut Lint<'_>) {
    let provider = provider(l);
    let tenant_id = lower(l, k::OAUTH2_TENANT_ID);
    if let (Some((_, pt)), Some(t)) = (&provider, &tenant_id)
        // A GUID and a domain may name the same directory: only like is compared with like.
        && is_guid(pt) == is_guid(t)
        && pt != t
    {
        l.push(
            Severity::Error,
            k::OAUTH2_TENANT_ID,
            format!(
                "`{t}` is not the tenant in {} (`{pt}`): the backend's token is issued by another tenant than the one Lakekeeper trusts, and every call is rejected (401)",
                k::PROVIDER_URI
            ),
            format!("set {} to {pt}", k::OAUTH2_TENANT_ID),
        );
    }
    // The tenant GUID the issuers must name: the backend's, else the provider's.
    let reference = tenant_id
        .as_ref()
        .filter(|t| is_guid(t))
        .map(|t| (t.clone(), k::OAUTH2_TENANT_ID))
        .or_else(|| {
            provider
                .as_ref()
                .filter(|(_, t)| is_guid(t))
                .map(|(_, t)| (t.clone(), k::PROVIDER_URI))
        });
    let Some((guid, named_in)) = reference else {
        return;
    };
    let Some(issuers) = l.get(k::ADDITIONAL_ISSUERS) else {
        return;
    };
    for iss in issuers.split(',').map(str::trim) {
        if let Some(g) = find_guid(iss)
            && g != guid
        {
            let host = url::Url::parse(iss)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| "sts.windows.net".into());
            l.push(
                Severity::Error,
                k::ADDITIONAL_ISSUERS,
                format!(
                    "`{iss}` is tenant {g}, but {named_in} is tenant {guid}: v1 tokens from your tenant carry another issuer and are rejected (401)"
                ),
                format!("set {} to https://{host}/{guid}/", k::ADDITIONAL_ISSUERS),
            );
        }
    }
}

/// The audience's items, and whether `api` (an App ID URI or client ID, as a scope names it)
/// is one of them. `None` when the audience cannot tell (no App ID URI in it).
fn audience_has(l: &Lint<'_>, api: &str) -> Option<bool> {
    let aud = l.get(k::AUDIENCE)?;
    let items: Vec<&str> = aud
        .split(',')
        .map(|s| s.trim().trim_end_matches('/'))
        .collect();
    let api = api.trim_end_matches('/');
    if items.iter().any(|i| i.eq_ignore_ascii_case(api)) {
        return Some(true);
    }
    if let Some(g) = find_guid(api)
        && items.iter().any(|i| i.eq_ignore_ascii_case(&g))
    {
        return Some(true);
    }
    // With no App ID URI listed, a URI scope may still be the listed client ID's app.
    items.iter().any(|i| !is_guid(i)).then_some(false)
}

/// The App ID URI to suggest: the audience's non-GUID item, else its client ID.
fn audience_api(l: &Lint<'_>) -> String {
    let aud = l.get(k::AUDIENCE).unwrap_or_default();
    let items: Vec<&str> = aud.split(',').map(str::trim).collect();
    items
        .iter()
        .find(|i| !is_guid(i))
        .or_else(|| items.first())
        .map_or_else(|| "<App ID URI>".to_owned(), |s| (*s).to_owned())
}

fn scopes(l: &mut Lint<'_>) {
    if let Some(scope) = l.get(k::OAUTH2_SCOPE)
        && let Some(api) = scope.trim().strip_suffix("/.default")
        && audience_has(l, api) == Some(false)
    {
        let aud = l.get(k::AUDIENCE).unwrap_or_default();
        l.push(
            Severity::Error,
            k::OAUTH2_SCOPE,
            format!(
                "asks for a token for `{api}`, which {} (`{aud}`) does not list: Lakekeeper rejects the backend's token (401)",
                k::AUDIENCE
            ),
            format!("set {} to {}/.default", k::OAUTH2_SCOPE, audience_api(l)),
        );
    }
    if let Some(ui) = l.get(k::UI_SCOPE) {
        let apis: Vec<&str> = ui
            .split_whitespace()
            .filter(|w| w.contains("://") || find_guid(w).is_some())
            .filter_map(|w| w.rsplit_once('/').map(|(api, _)| api))
            .collect();
        for api in apis {
            if audience_has(l, api) == Some(false) {
                let aud = l.get(k::AUDIENCE).unwrap_or_default();
                l.push(
                    Severity::Error,
                    k::UI_SCOPE,
                    format!(
                        "asks for a scope of `{api}`, which {} (`{aud}`) does not list: tokens from the UI's sign-in are rejected",
                        k::AUDIENCE
                    ),
                    format!(
                        "set {} to openid profile {}/lakekeeper",
                        k::UI_SCOPE,
                        audience_api(l)
                    ),
                );
            }
        }
    }
}

fn pg(l: &Lint<'_>, key: &str) -> Option<PgSettings> {
    l.get(key).and_then(|u| from_url(u.trim()).ok())
}

fn same_host(a: &str, b: &str) -> bool {
    a.trim_matches(['[', ']'])
        .eq_ignore_ascii_case(b.trim_matches(['[', ']']))
}

fn postgres(l: &mut Lint<'_>) {
    let write = pg(l, k::PG_URL_WRITE);
    if let Some(w) = &write {
        backend_vs_url(l, w);
    }
    if let (Some(w), Some(r)) = (&write, pg(l, k::PG_URL_READ))
        && same_host(&w.host, &r.host)
    {
        let mut parts = Vec::new();
        for (part, differs) in [
            ("port", w.port != r.port),
            ("database", w.database != r.database),
            ("user", w.user != r.user),
            ("password", w.password.expose() != r.password.expose()),
            ("sslmode", w.ssl_mode != r.ssl_mode),
        ] {
            if differs {
                parts.push(part);
            }
        }
        if !parts.is_empty() {
            l.push(
                Severity::Warning,
                k::PG_URL_READ,
                format!(
                    "points at the same host as {} but differs in its {}: without a read replica the two are one database, so this is usually a half-edited file",
                    k::PG_URL_WRITE,
                    parts.join(", ")
                ),
                format!(
                    "set {} to the same value as {} (or run `lakekeeper-setup apply`, which writes both)",
                    k::PG_URL_READ,
                    k::PG_URL_WRITE
                ),
            );
        }
    }
}

/// Lakekeeper's URL against the backend's `POSTGRES_*`: the setup shares one database.
fn backend_vs_url(l: &mut Lint<'_>, w: &PgSettings) {
    let url_key = k::PG_URL_WRITE;
    let rebuild = "or run `lakekeeper-setup apply`, which builds the URL from POSTGRES_*";
    let host = l.get(k::POSTGRES_HOST).map(str::trim);
    let host_differs = host.is_some_and(|h| !same_host(h, &w.host));
    if let Some(h) = host
        && host_differs
    {
        l.push(
            Severity::Warning,
            url_key,
            format!(
                "names host `{}` but {} is `{h}`: Lakekeeper and the backend use different servers, while the setup shares one",
                w.host,
                k::POSTGRES_HOST
            ),
            format!("set the host in {url_key} to {h}, {rebuild}; keep it only if the split is intended"),
        );
    }
    let port = l
        .get(k::POSTGRES_PORT)
        .and_then(|p| p.trim().parse::<u16>().ok());
    if let Some(p) = port
        && p != w.port
        && !host_differs
    {
        l.push(
            Severity::Warning,
            url_key,
            format!(
                "uses port {} but {} is {p}: one of them is not the server's port (or one goes through a pooler such as PgBouncer on 6432)",
                w.port,
                k::POSTGRES_PORT
            ),
            format!("set the port in {url_key} to {p}, {rebuild}; keep it only for a pooler"),
        );
    }
    for (key, what, value) in [
        (k::POSTGRES_DB, "database", &w.database),
        (k::POSTGRES_USER, "user", &w.user),
    ] {
        if let Some(v) = l.get(key).map(str::trim)
            && v != value
        {
            l.push(
                Severity::Warning,
                url_key,
                format!(
                    "connects to {what} `{value}` but {key} is `{v}`: Lakekeeper and the backend use different {what}s, while the setup shares one"
                ),
                format!("set the {what} in {url_key} to {v}, {rebuild}; keep it only if the split is intended"),
            );
        }
    }
    let same_role = !host_differs
        && l.get(k::POSTGRES_USER)
            .is_none_or(|u| u.trim() == w.user.as_str());
    if same_role
        && let Some(pw) = l.get(k::POSTGRES_PASSWORD)
        && pw != w.password.expose()
    {
        l.push(
            Severity::Error,
            url_key,
            format!(
                "has another password than {} for the same user `{}` on the same server: one of the two logins fails",
                k::POSTGRES_PASSWORD,
                w.user
            ),
            format!("run `lakekeeper-setup apply` to rebuild {url_key} from POSTGRES_* (after setting {} to the current password)", k::POSTGRES_PASSWORD),
        );
    }
    if let Some(m) = l.get(POSTGRES_SSLMODE).map(str::trim)
        && !m.eq_ignore_ascii_case(w.ssl_mode.as_str())
    {
        l.push(
            Severity::Warning,
            url_key,
            format!(
                "has sslmode `{}` but {POSTGRES_SSLMODE} is `{m}`: Lakekeeper and the backend connect with different TLS settings",
                w.ssl_mode.as_str()
            ),
            format!("set ?sslmode={m} in {url_key}, or change {POSTGRES_SSLMODE} to {}", w.ssl_mode.as_str()),
        );
    }
}

/// Every `abfss://` location in the file against `AZURE_STORAGE_*`, and the storage credential
/// kind against the secrets it needs.
fn storage(l: &mut Lint<'_>) {
    let account = lower(l, k::STORAGE_ACCOUNT);
    let container = lower(l, k::STORAGE_CONTAINER);
    let locations: Vec<(String, String)> = l
        .vals
        .iter()
        .filter(|(_, (v, _))| v.trim().starts_with("abfss://"))
        .map(|(key, (v, _))| ((*key).to_owned(), v.trim().to_owned()))
        .collect();
    for (key, v) in locations {
        let Ok(loc) = crate::validate::abfss(&v, None) else {
            continue;
        };
        let loc = loc.value;
        for (env_key, want, have) in [
            (k::STORAGE_ACCOUNT, &account, &loc.account),
            (k::STORAGE_CONTAINER, &container, &loc.filesystem),
        ] {
            if let Some(want) = want
                && want != have
            {
                let fixed = crate::validate::AbfssLocation {
                    account: account.clone().unwrap_or_else(|| loc.account.clone()),
                    filesystem: container.clone().unwrap_or_else(|| loc.filesystem.clone()),
                    ..loc.clone()
                };
                l.push(
                    Severity::Error,
                    &key,
                    format!(
                        "`{v}` is in `{have}`, but {env_key} is `{want}`: the warehouse would be created in another place than the backend reads"
                    ),
                    format!("set {key} to {}", fixed.to_uri()),
                );
            }
        }
    }
    let kind = lower(l, k::STORAGE_CREDENTIAL);
    if kind.as_deref() == Some("shared-key") && l.get(k::STORAGE_KEY).is_none_or(str::is_empty) {
        l.push(
            Severity::Error,
            k::STORAGE_CREDENTIAL,
            format!(
                "is shared-key but {} is not set: the warehouse cannot be created without the account key",
                k::STORAGE_KEY
            ),
            format!(
                "set {} (Storage account → Access keys), or set {} to client-credentials",
                k::STORAGE_KEY,
                k::STORAGE_CREDENTIAL
            ),
        );
    }
    let has = |l: &Lint<'_>, key: &str| l.get(key).is_some_and(|v| !v.trim().is_empty());
    let storage_app = has(l, k::STORAGE_CLIENT_ID);
    if has(l, k::STORAGE_CLIENT_SECRET) && !storage_app {
        l.push(
            Severity::Error,
            k::STORAGE_CLIENT_SECRET,
            format!(
                "is set but {} is not: the secret belongs to no app, and the warehouse uses the backend's credentials ({}) instead",
                k::STORAGE_CLIENT_ID,
                k::OAUTH2_CLIENT_ID
            ),
            format!(
                "set {} to the storage app's client ID, or remove {}",
                k::STORAGE_CLIENT_ID,
                k::STORAGE_CLIENT_SECRET
            ),
        );
    }
    if kind.as_deref() == Some("shared-key") && storage_app {
        l.push(
            Severity::Warning,
            k::STORAGE_CLIENT_ID,
            format!(
                "is set but {} is shared-key: the warehouse uses the account key, so this app is never used",
                k::STORAGE_CREDENTIAL
            ),
            format!(
                "set {} to client-credentials, or remove {} and {}",
                k::STORAGE_CREDENTIAL,
                k::STORAGE_CLIENT_ID,
                k::STORAGE_CLIENT_SECRET
            ),
        );
    }
}

/// The three apps (API, backend service account, UI) must be three apps.
fn clients(l: &mut Lint<'_>) {
    // The API's client ID is the audience item that is a GUID (not one inside `api://<GUID>`).
    let api = l.get(k::AUDIENCE).and_then(|aud| {
        aud.split(',')
            .map(str::trim)
            .find(|i| is_guid(i))
            .map(str::to_ascii_lowercase)
    });
    let Some(api) = api else { return };
    for (key, role, severity, why) in [
        (
            k::OAUTH2_CLIENT_ID,
            "the backend service account",
            Severity::Warning,
            "a token the API app requests for itself carries none of the app roles an admin assigns to a service account, so Lakekeeper sees an unknown caller",
        ),
        (
            k::UI_CLIENT_ID,
            "the UI",
            Severity::Warning,
            "the UI signs in as a single-page app with a redirect URI, which the API app does not have: sign-in fails with AADSTS50011 or AADSTS9002326",
        ),
    ] {
        if lower(l, key).is_some_and(|v| v == api) {
            l.push(
                severity,
                key,
                format!(
                    "is the API app's own client ID (the GUID in {}): {role} needs an app registration of its own; {why}",
                    k::AUDIENCE
                ),
                format!("set {key} to {role}'s own application (client) ID"),
            );
        }
    }
    // The API app's App ID URI `api://<GUID>` names its client ID; another GUID there is a
    // half-edited audience.
    let aud = l.get(k::AUDIENCE).unwrap_or_default().to_owned();
    for item in aud.split(',').map(str::trim) {
        if let Some(inner) = item.strip_prefix("api://")
            && is_guid(inner.trim_end_matches('/'))
            && !inner.trim_end_matches('/').eq_ignore_ascii_case(&api)
        {
            l.push(
                Severity::Warning,
                k::AUDIENCE,
                format!(
                    "lists `{item}` and client ID {api}: an App ID URI of the form api://<GUID> names the app's own client ID, so these are two different apps"
                ),
                format!("set {} to api://{api},{api}", k::AUDIENCE),
            );
        }
    }
}

/// The provider's login host, the v1 issuers' host and the warehouse's DFS host must all be
/// one Azure cloud.
fn clouds(l: &mut Lint<'_>) {
    let Some(provider_cloud) = provider(l).and_then(|(h, _)| Cloud::from_authority_host(&h)) else {
        return;
    };
    let loc = l
        .get(k::WAREHOUSE_LOCATION)
        .and_then(|v| crate::validate::abfss(v, None).ok())
        .map(|c| c.value);
    if let Some(loc) = loc
        && loc.cloud != provider_cloud
    {
        l.push(
            Severity::Error,
            k::WAREHOUSE_LOCATION,
            format!(
                "is in the {} cloud ({}) but {} signs in to the {} cloud: tokens from one cloud are not accepted by the other's storage",
                loc.cloud.name(),
                loc.host,
                k::PROVIDER_URI,
                provider_cloud.name()
            ),
            format!(
                "use {} in {}, or the {} cloud's login host in {}",
                provider_cloud.dfs_host(),
                k::WAREHOUSE_LOCATION,
                loc.cloud.name(),
                k::PROVIDER_URI
            ),
        );
    }
    let issuers = l.get(k::ADDITIONAL_ISSUERS).unwrap_or_default().to_owned();
    for iss in issuers.split(',').map(str::trim) {
        let host = url::Url::parse(iss)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        let Some(host) = host.filter(|h| h.starts_with("sts.")) else {
            continue;
        };
        if host != provider_cloud.v1_issuer_host() {
            let guid = find_guid(iss).unwrap_or_else(|| "<tenant GUID>".into());
            l.push(
                Severity::Error,
                k::ADDITIONAL_ISSUERS,
                format!(
                    "`{iss}` is not the v1 issuer of the {} cloud that {} signs in to ({}): v1 tokens are rejected",
                    provider_cloud.name(),
                    k::PROVIDER_URI,
                    provider_cloud.v1_issuer_host()
                ),
                format!(
                    "set {} to https://{}/{guid}/",
                    k::ADDITIONAL_ISSUERS,
                    provider_cloud.v1_issuer_host()
                ),
            );
        }
    }
}

/// A base URI on this machine must be the port Compose publishes Lakekeeper's 8181 on.
fn ports(l: &mut Lint<'_>, input: &CheckInput<'_>) {
    let Some(base) = l
        .get(k::BASE_URI)
        .and_then(|b| url::Url::parse(b.trim()).ok())
    else {
        return;
    };
    let local = base
        .host_str()
        .is_some_and(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]");
    let Some(port) = base.port_or_known_default().filter(|_| local) else {
        return;
    };
    let mut published = Vec::new();
    let mut label = None;
    for (file, text) in [input.base, input.override_file].into_iter().flatten() {
        if let Some(svc) = crate::compose::lakekeeper_service(text)
            && !svc.published.is_empty()
        {
            published.extend(svc.published);
            label = Some(file);
        }
    }
    let Some(label) = label else { return };
    if !published.contains(&port) {
        let list = published
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        l.push(
            Severity::Error,
            k::BASE_URI,
            format!(
                "is on port {port}, but {label} publishes Lakekeeper's 8181 on {list}: the catalog tells clients an address where nothing listens"
            ),
            format!(
                "set {} to {}://{}:{} (or publish \"{port}:8181\" in {label})",
                k::BASE_URI,
                base.scheme(),
                base.host_str().unwrap_or("localhost"),
                published[0]
            ),
        );
    }
}
