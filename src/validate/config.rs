//! Raw answers → `SetupConfig`: every field through its validator, defaults filled, cross-field
//! rules applied, every problem collected (not just the first).

use super::{
    Checked, FieldError, FieldResult, app_id_uri, authority_host, base_uri, base_uri_string,
    client_id, client_secret, cloud, container, encryption_key, image, key_prefix, password,
    pg_host, pg_name, port, sslmode, storage_account, storage_credential, tenant, warehouse_name,
};
use crate::model::{
    Answers, ApiApp, Cloud, FieldId, PostgresConfig, ServiceAccount, SetupConfig, SslMode,
    StorageConfig, StorageCredentialKind, TenantId,
};
use crate::secret::Secret;
use crate::strings;

/// A valid configuration, with what was normalised and what looks suspicious.
#[derive(Debug, Clone)]
pub struct Validated {
    pub config: SetupConfig,
    pub notes: Vec<(FieldId, String)>,
    pub warnings: Vec<(FieldId, String)>,
}

/// The default for a field given the other answers, if it has one.
pub fn default_for(field: FieldId, a: &Answers) -> Option<String> {
    Some(match field {
        FieldId::Cloud => "public".into(),
        FieldId::AppIdUri => format!(
            "api://{}",
            a.get(FieldId::ApiClientId)?.trim().to_ascii_lowercase()
        ),
        FieldId::PgPort => "5432".into(),
        FieldId::PgSslMode => "require".into(),
        FieldId::PgSchema => crate::searchpath::DEFAULT_SCHEMA.into(),
        FieldId::StorageKeyPrefix => strings::DEFAULT_KEY_PREFIX.into(),
        FieldId::StorageCredential => "client-credentials".into(),
        FieldId::WarehouseName => strings::DEFAULT_WAREHOUSE.into(),
        FieldId::BaseUri => strings::DEFAULT_BASE_URI.into(),
        FieldId::Image => strings::DEFAULT_IMAGE.into(),
        _ => return None,
    })
}

/// Fields that may stay empty.
pub fn is_optional(field: FieldId, a: &Answers) -> bool {
    match field {
        // The App ID URI defaults to api://<client id>; without a client ID, only that is reported.
        FieldId::AuthorityHost
        | FieldId::UiClientId
        | FieldId::StorageClientId
        | FieldId::AppIdUri => true,
        FieldId::StorageAccountKey => a
            .get(FieldId::StorageCredential)
            .and_then(|v| storage_credential(v).ok())
            .is_none_or(|c| c.value != StorageCredentialKind::SharedKey),
        FieldId::StorageClientSecret => !separate_storage_app(a),
        _ => default_for(field, a).is_some(),
    }
}

fn separate_storage_app(a: &Answers) -> bool {
    let norm = |f| {
        a.get(f)
            .map(|v: &str| v.trim().to_ascii_lowercase())
            .filter(|v| !v.is_empty())
    };
    matches!((norm(FieldId::StorageClientId), norm(FieldId::BackendClientId)), (Some(s), b) if Some(&s) != b.as_ref())
}

/// Validates one field's raw text as a front end would: returns the normalised text to keep.
/// An empty optional field is `Ok` with an empty value.
pub fn field(field: FieldId, raw: &str, a: &Answers) -> FieldResult<String> {
    if raw.trim().is_empty() {
        if is_optional(field, a) {
            return Ok(Checked::ok(String::new()));
        }
        return Err(FieldError::missing(field));
    }
    let cloud_ctx = a
        .get(FieldId::Cloud)
        .and_then(|c| cloud(c).ok())
        .map(|c| c.value);
    match field {
        FieldId::Tenant => tenant(raw).map(|c| c.map(|t| t.as_str().to_owned())),
        FieldId::Cloud => cloud(raw).map(|c| c.map(|c| c.name().to_owned())),
        FieldId::AuthorityHost => authority_host(raw),
        FieldId::ApiClientId
        | FieldId::BackendClientId
        | FieldId::UiClientId
        | FieldId::StorageClientId => client_id(field, raw).map(|c| c.map(|id| id.0)),
        FieldId::AppIdUri => app_id_uri(raw),
        FieldId::BackendSecret | FieldId::StorageClientSecret => client_secret(field, raw),
        FieldId::PgHost => pg_host(raw),
        FieldId::PgPort => port(field, raw).map(|c| c.map(|p| p.to_string())),
        FieldId::PgDatabase | FieldId::PgUser => pg_name(field, raw),
        FieldId::PgPassword | FieldId::StorageAccountKey => password(field, raw),
        FieldId::PgSslMode => sslmode(raw).map(|c| c.map(|m| m.as_str().to_owned())),
        FieldId::PgSchema => super::pg_schema(raw),
        FieldId::StorageAccount => {
            // A pasted abfss:// URI is accepted here; `answers` splits it into its parts.
            if raw.trim().starts_with("abfss://") {
                super::abfss(raw, cloud_ctx).map(|c| c.map(|l| l.to_uri()))
            } else {
                storage_account(raw)
            }
        }
        FieldId::StorageContainer => container(raw),
        FieldId::StorageKeyPrefix => key_prefix(raw),
        FieldId::StorageCredential => {
            storage_credential(raw).map(|c| c.map(|k| k.as_str().to_owned()))
        }
        FieldId::WarehouseName => warehouse_name(raw),
        FieldId::EncryptionKey => encryption_key(raw),
        FieldId::BaseUri => base_uri(raw).map(|c| c.map(|u| base_uri_string(&u))),
        FieldId::Image => image(raw),
    }
}

/// Splits a pasted `abfss://` location in the account answer into account, container and
/// prefix answers (the location wins over separately given parts, with a note).
pub fn expand_location(a: &mut Answers) -> Result<Vec<(FieldId, String)>, FieldError> {
    let Some(raw) = a
        .get(FieldId::StorageAccount)
        .filter(|v| v.trim().starts_with("abfss://"))
    else {
        return Ok(Vec::new());
    };
    let source = a
        .source(FieldId::StorageAccount)
        .unwrap_or(crate::model::Source::Profile);
    let cloud_ctx = a
        .get(FieldId::Cloud)
        .and_then(|c| cloud(c).ok())
        .map(|c| c.value);
    let loc = super::abfss(raw, cloud_ctx)?;
    let mut notes = vec![(
        FieldId::StorageAccount,
        format!(
            "split {} into account, container and key prefix",
            loc.value.to_uri()
        ),
    )];
    notes.extend(
        loc.notes
            .iter()
            .map(|n| (FieldId::StorageAccount, n.clone())),
    );
    let l = loc.value;
    a.set(FieldId::StorageAccount, l.account, source);
    a.set(FieldId::StorageContainer, l.filesystem, source);
    a.set(FieldId::StorageKeyPrefix, l.key_prefix, source);
    if cloud_ctx.is_none() {
        a.set(FieldId::Cloud, l.cloud.name(), source);
    }
    Ok(notes)
}

struct Collector<'a> {
    answers: &'a Answers,
    errors: Vec<FieldError>,
    notes: Vec<(FieldId, String)>,
    warnings: Vec<(FieldId, String)>,
}

impl Collector<'_> {
    /// The raw answer, or the default, or `None` (recording "missing" when required).
    fn raw(&mut self, field: FieldId) -> Option<String> {
        if let Some(v) = self.answers.get(field).filter(|v| !v.trim().is_empty()) {
            return Some(v.to_owned());
        }
        // An empty key prefix is an answer (the container's root), not a missing one: a pasted
        // location without a path, or one read back from `.env`.
        if field == FieldId::StorageKeyPrefix
            && let Some(v) = self.answers.get(field)
        {
            return Some(v.to_owned());
        }
        let d = default_for(field, self.answers);
        if d.is_none() && !is_optional(field, self.answers) {
            self.errors.push(FieldError::missing(field));
        }
        d
    }

    fn take<T>(&mut self, field: FieldId, r: FieldResult<T>) -> Option<T> {
        match r {
            Ok(c) => {
                self.notes.extend(c.notes.into_iter().map(|n| (field, n)));
                self.warnings
                    .extend(c.warnings.into_iter().map(|w| (field, w)));
                Some(c.value)
            }
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    fn check<T>(&mut self, field: FieldId, f: impl FnOnce(&str) -> FieldResult<T>) -> Option<T> {
        let raw = self.raw(field)?;
        let r = f(&raw);
        self.take(field, r)
    }
}

/// Validates every answer into a `SetupConfig`, or returns every problem found.
pub fn answers(input: &Answers) -> Result<Validated, Vec<FieldError>> {
    let mut a = input.clone();
    let split_notes = match expand_location(&mut a) {
        Ok(n) => n,
        Err(e) => return Err(vec![e]),
    };
    let mut c = Collector {
        answers: &a,
        errors: Vec::new(),
        notes: split_notes,
        warnings: Vec::new(),
    };

    let tenant_v = c.check(FieldId::Tenant, tenant);
    let cloud_v = c.check(FieldId::Cloud, cloud);
    let authority = c.check(FieldId::AuthorityHost, authority_host);
    let api_id = c.check(FieldId::ApiClientId, |r| client_id(FieldId::ApiClientId, r));
    let app_uri = c.check(FieldId::AppIdUri, app_id_uri);
    let backend_id = c.check(FieldId::BackendClientId, |r| {
        client_id(FieldId::BackendClientId, r)
    });
    let backend_secret = c.check(FieldId::BackendSecret, |r| {
        client_secret(FieldId::BackendSecret, r)
    });
    let ui = c.check(FieldId::UiClientId, |r| client_id(FieldId::UiClientId, r));
    let host = c.check(FieldId::PgHost, pg_host);
    let pg_port = c.check(FieldId::PgPort, |r| port(FieldId::PgPort, r));
    let db = c.check(FieldId::PgDatabase, |r| pg_name(FieldId::PgDatabase, r));
    let user = c.check(FieldId::PgUser, |r| pg_name(FieldId::PgUser, r));
    let pg_pw = c.check(FieldId::PgPassword, |r| password(FieldId::PgPassword, r));
    let ssl = c.check(FieldId::PgSslMode, sslmode);
    let schema = c.check(FieldId::PgSchema, super::pg_schema);
    let account = c.check(FieldId::StorageAccount, storage_account);
    let fs = c.check(FieldId::StorageContainer, container);
    let prefix = c.check(FieldId::StorageKeyPrefix, key_prefix);
    let cred = c.check(FieldId::StorageCredential, storage_credential);
    let account_key = c.check(FieldId::StorageAccountKey, |r| {
        password(FieldId::StorageAccountKey, r)
    });
    let storage_id = c.check(FieldId::StorageClientId, |r| {
        client_id(FieldId::StorageClientId, r)
    });
    let storage_secret = c.check(FieldId::StorageClientSecret, |r| {
        client_secret(FieldId::StorageClientSecret, r)
    });
    let key = c.check(FieldId::EncryptionKey, encryption_key);
    let base = c.check(FieldId::BaseUri, base_uri);
    let wh = c.check(FieldId::WarehouseName, warehouse_name);
    let img = c.check(FieldId::Image, image);

    // Cross-field rules.
    let tenant_guid = match &tenant_v {
        Some(TenantId::Guid(g)) => Some(g.clone()),
        Some(TenantId::Domain(d)) => {
            let hint = a.tenant_guid_hint.clone();
            if hint.is_none() {
                c.errors.push(FieldError::new(
                    FieldId::Tenant,
                    d,
                    "is a domain; the v1 token issuer LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS (https://sts.windows.net/<tenant GUID>/) needs the GUID",
                    "give the 'Tenant ID' GUID from Entra ID → Overview (`lakekeeper-setup verify --only oidc-discovery` also resolves the domain to it)",
                ));
            }
            hint
        }
        None => None,
    };
    if let (Some(h), Some(m)) = (&host, ssl)
        && h.ends_with(".postgres.database.azure.com")
        && matches!(m, SslMode::Disable | SslMode::Allow | SslMode::Prefer)
    {
        c.warnings.push((
            FieldId::PgSslMode,
            format!("Azure Database for PostgreSQL requires TLS; `{}` may connect without it and be refused: use require", m.as_str()),
        ));
    }
    let cloud_v = cloud_v.unwrap_or_default();
    if let Some(auth) = &authority
        && let Some(host_cloud) = url::Url::parse(auth)
            .ok()
            .and_then(|u| u.host_str().and_then(Cloud::from_authority_host))
        && host_cloud != cloud_v
    {
        c.errors.push(FieldError::new(
            FieldId::AuthorityHost,
            auth,
            format!(
                "is the {} cloud's login host but entra.cloud is {}",
                host_cloud.name(),
                cloud_v.name()
            ),
            format!(
                "set entra.cloud = \"{}\" or drop authority_host",
                host_cloud.name()
            ),
        ));
    }
    // The three apps are three registrations (what `check` flags in an existing file).
    for (field, other, role) in [
        (
            FieldId::BackendClientId,
            &backend_id,
            "the backend service account",
        ),
        (FieldId::UiClientId, &ui, "the UI"),
    ] {
        if let (Some(api), Some(id)) = (&api_id, other)
            && api == id
        {
            c.warnings.push((
                field,
                format!("is the Lakekeeper API app's own client ID: {role} needs an app registration of its own"),
            ));
        }
    }
    let separate_app = match (storage_id, &backend_id) {
        (Some(s), Some(b)) if &s == b => None,
        (Some(s), _) => storage_secret.map(|secret| ServiceAccount {
            client_id: s,
            secret: Secret::new(secret),
        }),
        (None, _) => None,
    };

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let (Some(tenant), Some(api_id), Some(app_uri), Some(backend_id), Some(backend_secret)) =
        (tenant_v, api_id, app_uri, backend_id, backend_secret)
    else {
        return Err(c.errors);
    };
    let (Some(host), Some(pg_port), Some(db), Some(user), Some(pg_pw), Some(ssl)) =
        (host, pg_port, db, user, pg_pw, ssl)
    else {
        return Err(c.errors);
    };
    let (
        Some(account),
        Some(fs),
        Some(prefix),
        Some(cred),
        Some(key),
        Some(base),
        Some(wh),
        Some(img),
    ) = (account, fs, prefix, cred, key, base, wh, img)
    else {
        return Err(c.errors);
    };
    let config = SetupConfig {
        tenant,
        tenant_guid,
        cloud: cloud_v,
        authority_host: authority.unwrap_or_else(|| cloud_v.authority_host().to_owned()),
        api: ApiApp {
            client_id: api_id,
            app_id_uri: app_uri,
        },
        backend: ServiceAccount {
            client_id: backend_id,
            secret: Secret::new(backend_secret),
        },
        ui_client_id: ui,
        postgres: PostgresConfig {
            host,
            port: pg_port,
            database: db,
            user,
            password: Secret::new(pg_pw),
            sslmode: ssl,
            schema: schema.filter(|s| s != crate::searchpath::OFF),
        },
        storage: StorageConfig {
            account,
            container: fs,
            key_prefix: prefix,
            account_key: account_key.map(Secret::new),
            credential: cred,
            separate_app,
        },
        encryption_key: Secret::new(key),
        base_uri: base,
        warehouse_name: wh,
        image: img,
    };
    Ok(Validated {
        config,
        notes: c.notes,
        warnings: c.warnings,
    })
}
