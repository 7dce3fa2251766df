//! Gathering raw answers: the environment, the profile and the existing `.env`, merged field by
//! field in that order of precedence (so what is already in `.env` is kept unless something
//! newer says otherwise).
//!
//! `.env`-shaped sources (the file and the process environment) share one reader, because
//! both use the `.env` key names; values derived by the tool (audience, scope, provider URI,
//! PostgreSQL URL) are read back into the answers they came from. No I/O: callers pass maps.

use std::collections::BTreeMap;

use crate::keys as k;
use crate::model::{Answers, Cloud, FieldId, Source};
use crate::validate::{find_guid, is_guid};

/// Reads answers from `.env`-named variables (`get` returns a variable's value, if set).
pub fn from_env_vars(get: &dyn Fn(&str) -> Option<String>, source: Source) -> Answers {
    let mut a = Answers::default();
    let val = |key: &str| {
        get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let set = |a: &mut Answers, f: FieldId, v: Option<String>| {
        if let Some(v) = v {
            a.set(f, v, source);
        }
    };

    for field in FieldId::ALL {
        if let Some(key) = field.env_key() {
            // Secrets are taken verbatim: trimming would silently change a password.
            let v = if field.is_secret() {
                get(key).filter(|v| !v.is_empty())
            } else {
                val(key)
            };
            set(&mut a, field, v);
        }
    }

    let provider = val(k::PROVIDER_URI);
    if let Some(p) = provider.as_deref().and_then(|p| url::Url::parse(p).ok()) {
        let host = p.host_str().unwrap_or("");
        let origin = p.origin().ascii_serialization();
        match Cloud::from_authority_host(host) {
            Some(c) => {
                set(&mut a, FieldId::Cloud, Some(c.name().to_owned()));
                // The cloud's other login host (China's `login.chinacloudapi.cn`) is kept.
                if origin != c.authority_host() {
                    set(&mut a, FieldId::AuthorityHost, Some(origin));
                }
            }
            None if !host.is_empty() => set(&mut a, FieldId::AuthorityHost, Some(origin)),
            None => {}
        }
        if a.get(FieldId::Tenant).is_none() {
            let tenant = p
                .path_segments()
                .and_then(|mut s| s.next())
                .map(str::to_owned);
            set(&mut a, FieldId::Tenant, tenant.filter(|t| !t.is_empty()));
        }
    }

    // The API app: the GUID in the audience (or scope) is its client ID; the non-GUID audience
    // item (exactly as written, a trailing `/` included) or else the scope without `/.default`
    // is its App ID URI.
    let audience = val(k::AUDIENCE);
    let scope = val(k::OAUTH2_SCOPE);
    let items: Vec<String> = audience
        .as_deref()
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let api_id = items
        .iter()
        .find(|i| is_guid(i))
        .cloned()
        .or_else(|| scope.as_deref().and_then(find_guid));
    set(&mut a, FieldId::ApiClientId, api_id);
    let app_uri = items.iter().find(|i| !is_guid(i)).cloned().or_else(|| {
        scope
            .as_deref()
            .and_then(|s| s.strip_suffix("/.default"))
            .map(str::to_owned)
    });
    set(&mut a, FieldId::AppIdUri, app_uri);

    if let Some(url) = val(k::PG_URL_WRITE).and_then(|u| url::Url::parse(&u).ok()) {
        let mode = url
            .query_pairs()
            .find(|(key, _)| key == "sslmode")
            .map(|(_, v)| v.into_owned());
        set(&mut a, FieldId::PgSslMode, mode);
        // A URL without the option means Lakekeeper lives in the role's default schema: keep
        // it there (a new schema would start an empty catalog beside the old one).
        let schema = crate::searchpath::from_url(url.as_str())
            .and_then(|path| crate::searchpath::target(&path, ""))
            .filter(|s| !s.is_empty() && s != "public")
            .unwrap_or_else(|| crate::searchpath::OFF.to_owned());
        set(&mut a, FieldId::PgSchema, Some(schema));
    }
    read_location(&mut a, val(k::WAREHOUSE_LOCATION).as_deref(), source);
    set(
        &mut a,
        FieldId::StorageCredential,
        val(k::STORAGE_CREDENTIAL),
    );
    a.tenant_guid_hint = val(k::ADDITIONAL_ISSUERS).as_deref().and_then(find_guid);
    a
}

/// The warehouse location gives the key prefix (which no other key holds, and may be empty),
/// the account and container when their own keys are missing, and the cloud when the provider
/// URI did not say (a loopback authority).
fn read_location(a: &mut Answers, location: Option<&str>, source: Source) {
    let Some(loc) = location.and_then(|l| crate::validate::abfss(l, None).ok()) else {
        return;
    };
    let loc = loc.value;
    a.set(FieldId::StorageKeyPrefix, loc.key_prefix, source);
    for (field, value) in [
        (FieldId::StorageAccount, loc.account),
        (FieldId::StorageContainer, loc.filesystem),
        (FieldId::Cloud, loc.cloud.name().to_owned()),
    ] {
        if a.get(field).is_none() {
            a.set(field, value, source);
        }
    }
}

/// The answers a compose override holds that no `.env` key does: the image.
pub fn from_override(text: &str) -> Answers {
    let mut a = Answers::default();
    if let Some(image) = crate::compose::lakekeeper_service(text)
        .and_then(|s| s.image)
        .filter(|i| !i.is_empty())
    {
        a.set(FieldId::Image, image, Source::Override);
    }
    a
}

/// Answers from a `.env`-style map.
pub fn from_map(map: &BTreeMap<String, String>, source: Source) -> Answers {
    from_env_vars(&|key| map.get(key).cloned(), source)
}

/// Merges sources: the first has precedence.
pub fn merge(layers: &[&Answers]) -> Answers {
    let mut out = Answers::default();
    for layer in layers {
        out.fill_from(layer);
    }
    out
}

/// The environment variables the tool reads (the managed `.env` names), for `from_map`.
pub fn relevant_env(all: impl Iterator<Item = (String, String)>) -> BTreeMap<String, String> {
    all.filter(|(key, _)| k::is_managed(key)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn reads_back_the_derived_values_into_their_answers() {
        let m = map(&[
            (
                k::PROVIDER_URI,
                "https://login.microsoftonline.us/11111111-2222-3333-4444-555555555555/v2.0",
            ),
            (
                k::AUDIENCE,
                "api://lakekeeper-api,aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            ),
            (k::OAUTH2_SCOPE, "api://lakekeeper-api/.default"),
            (
                k::ADDITIONAL_ISSUERS,
                "https://sts.windows.net/11111111-2222-3333-4444-555555555555/",
            ),
            (
                k::PG_URL_WRITE,
                "postgresql://u:p%40ss@h:5432/db?sslmode=verify-full",
            ),
        ]);
        let a = from_map(&m, Source::EnvFile);
        assert_eq!(
            a.get(FieldId::Tenant),
            Some("11111111-2222-3333-4444-555555555555")
        );
        assert_eq!(a.get(FieldId::Cloud), Some("usgov"));
        assert_eq!(
            a.get(FieldId::ApiClientId),
            Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
        );
        assert_eq!(a.get(FieldId::AppIdUri), Some("api://lakekeeper-api"));
        assert_eq!(a.get(FieldId::PgSslMode), Some("verify-full"));
        assert_eq!(
            a.tenant_guid_hint.as_deref(),
            Some("11111111-2222-3333-4444-555555555555")
        );
    }

    #[test]
    fn a_loopback_provider_becomes_the_authority_override() {
        let m = map(&[(
            k::PROVIDER_URI,
            "http://127.0.0.1:9999/contoso.onmicrosoft.com/v2.0",
        )]);
        let a = from_map(&m, Source::EnvFile);
        assert_eq!(a.get(FieldId::AuthorityHost), Some("http://127.0.0.1:9999"));
        assert_eq!(a.get(FieldId::Tenant), Some("contoso.onmicrosoft.com"));
        assert_eq!(a.get(FieldId::Cloud), None);
    }

    #[test]
    fn secrets_are_kept_verbatim_and_the_first_layer_wins() {
        let env = from_map(
            &map(&[(k::POSTGRES_PASSWORD, " sp ace ")]),
            Source::Environment,
        );
        let file = from_map(
            &map(&[(k::POSTGRES_PASSWORD, "old"), (k::POSTGRES_HOST, "h")]),
            Source::EnvFile,
        );
        let merged = merge(&[&env, &file]);
        assert_eq!(merged.get(FieldId::PgPassword), Some(" sp ace "));
        assert_eq!(
            merged.source(FieldId::PgPassword),
            Some(Source::Environment)
        );
        assert_eq!(merged.get(FieldId::PgHost), Some("h"));
        assert_eq!(merged.source(FieldId::PgHost), Some(Source::EnvFile));
    }
}
