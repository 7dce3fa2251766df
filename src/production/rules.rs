//! `[production]` answers → `Production`, with the shared validators where a rule already
//! exists (base URI, PostgreSQL host, client ID, domain names) and Kubernetes' own naming rules
//! for the rest. Every problem is collected, not just the first.

use super::{Deploy, Ingress, Production, ProductionError, Raw, VaultNames, missing_base_uri};
use crate::model::FieldId;
use crate::validate;

/// A DNS-1123 label (namespaces, release names): lowercase letters, digits and `-`, starting
/// and ending with a letter or digit, at most `max` characters.
pub(super) fn dns_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1123 subdomain (Secret and IngressClass names): labels joined by dots, at most 253.
fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|l| dns_label(l, 63))
}

/// A role name that needs no quoting and is not reserved: what `CREATE ROLE lakekeeper` makes.
fn role_name(s: &str) -> bool {
    s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.starts_with("pg_")
}

/// Key Vault's rule for secret names: 1-127 alphanumerics and dashes.
fn vault_secret_name(s: &str) -> bool {
    (1..=127).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

const VAULT_HOSTS: [&str; 3] = [
    ".vault.azure.net",
    ".vault.usgovcloudapi.net",
    ".vault.azure.cn",
];

fn vault_url(key: &str, raw: &str) -> Result<String, ProductionError> {
    let t = raw.trim().trim_end_matches('/');
    let ok = url::Url::parse(t).ok().is_some_and(|u| {
        u.scheme() == "https"
            && u.path() == "/"
            && u.host_str().is_some_and(|h| {
                VAULT_HOSTS.iter().any(|suffix| {
                    h.strip_suffix(suffix)
                        .is_some_and(|name| dns_label(name, 24))
                })
            })
    });
    if ok {
        Ok(t.to_ascii_lowercase())
    } else {
        Err(ProductionError::new(
            key,
            Some(raw),
            "is not a Key Vault URL",
            "give the vault's 'Vault URI', e.g. https://team-prod-kv.vault.azure.net",
        ))
    }
}

/// The key a bad `[secrets] vault` is reported under.
pub const VAULT_FROM_SECRETS: &str = "vault (from [secrets])";

/// Validates the production answers against the validated laptop configuration.
pub fn validate(
    raw: Option<&Raw>,
    names: &VaultNames,
) -> Result<(Production, Vec<String>), Vec<ProductionError>> {
    let empty = Raw::new();
    let raw = raw.unwrap_or(&empty);
    let get = |k: &str| raw.get(k).map(String::as_str);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    let base_uri = match get("base_uri") {
        None => {
            errors.push(missing_base_uri());
            None
        }
        Some(v) => match validate::base_uri(v) {
            Err(e) => {
                errors.push(ProductionError::new("base_uri", Some(v), e.message, e.fix));
                None
            }
            Ok(c) => {
                let u = c.value;
                let host = u.host_str().unwrap_or_default();
                if validate::is_loopback_host(host) {
                    errors.push(ProductionError::new(
                        "base_uri",
                        Some(v),
                        "is a loopback address: that is the laptop's base URI, not production's",
                        "give the public URL, e.g. https://lakekeeper.example.com",
                    ));
                    None
                } else if u.scheme() != "https" {
                    errors.push(ProductionError::new(
                        "base_uri",
                        Some(v),
                        "uses plain http: tokens would cross the network in clear text",
                        "use https:// (terminate TLS at the Ingress with tls_secret)",
                    ));
                    None
                } else {
                    if u.path() != "/" {
                        warnings.push(format!("[production] base_uri `{v}` has a path: the Ingress serves `/`, so the controller must rewrite the prefix"));
                    }
                    Some(u)
                }
            }
        },
    };

    let namespace = get("namespace").unwrap_or("lakekeeper").to_owned();
    if !dns_label(&namespace, 63) {
        errors.push(ProductionError::new(
            "namespace",
            Some(&namespace),
            "is not a Kubernetes namespace name",
            "use at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
        ));
    }
    let release = get("release").unwrap_or("lakekeeper").to_owned();
    if !dns_label(&release, 53) || !release.starts_with(|c: char| c.is_ascii_lowercase()) {
        errors.push(ProductionError::new(
            "release",
            Some(&release),
            "is not a Helm release name",
            "use at most 53 lowercase letters, digits and `-`, starting with a letter",
        ));
    }
    let replicas = match get("replicas").map(str::parse::<u16>) {
        None => 2,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            errors.push(ProductionError::new(
                "replicas",
                get("replicas"),
                "is not a number of replicas (1-100)",
                "use 2 or more so a rolling update or a node drain keeps Lakekeeper up",
            ));
            2
        }
    };
    if replicas == 1 {
        warnings.push("[production] replicas = 1: Lakekeeper is unavailable whenever its one pod restarts; 2 or more is the default".into());
    }

    let ingress = match get("ingress_host") {
        None => {
            for k in ["ingress_class", "tls_secret"] {
                if let Some(v) = get(k) {
                    errors.push(ProductionError::new(
                        k,
                        Some(v),
                        "is set but ingress_host is not, so no Ingress is written",
                        "add ingress_host, or remove this key",
                    ));
                }
            }
            None
        }
        Some(h) => {
            let host = h.trim().to_ascii_lowercase();
            if !validate::is_domain(&host) {
                errors.push(ProductionError::new(
                    "ingress_host",
                    Some(h),
                    "is not a host name",
                    "give the DNS name only, e.g. lakekeeper.example.com (no scheme, port or path)",
                ));
            }
            if let Some(u) = &base_uri
                && u.host_str() != Some(host.as_str())
            {
                warnings.push(format!("[production] ingress_host `{host}` is not the host of base_uri `{}`: fine behind a front door that forwards to it, otherwise the UI and clients are sent to a host that does not serve Lakekeeper", validate::base_uri_string(u)));
            }
            let mut name = |k: &str| {
                get(k).map(|v| {
                    if !dns_subdomain(v) {
                        errors.push(ProductionError::new(
                            k,
                            Some(v),
                            "is not a Kubernetes object name",
                            "use lowercase letters, digits, `-` and `.`",
                        ));
                    }
                    v.to_owned()
                })
            };
            let class = name("ingress_class");
            let tls_secret = name("tls_secret");
            if tls_secret.is_none() {
                warnings.push("[production] no tls_secret: the Ingress serves plain http unless the controller terminates TLS by default".into());
            }
            Some(Ingress {
                host,
                class,
                tls_secret,
            })
        }
    };

    let postgres_host = get("postgres_host").and_then(|v| match validate::pg_host(v) {
        Ok(c) => Some(c.value),
        Err(e) => {
            errors.push(ProductionError::new(
                "postgres_host",
                Some(v),
                e.message,
                e.fix,
            ));
            None
        }
    });

    let deploy = match get("deploy").map(|v| (v, Deploy::parse(v))) {
        None => Deploy::HelmWait,
        Some((_, Some(d))) => d,
        Some((v, None)) => {
            errors.push(ProductionError::new(
                "deploy",
                Some(v),
                "is not a way of deploying",
                "use helm-wait (helm upgrade --install --wait), helm (without --wait) or gitops (Argo CD, Flux)",
            ));
            Deploy::HelmWait
        }
    };

    let secret_name =
        get("secret_name").map_or_else(|| format!("{release}-credentials"), str::to_owned);
    if !dns_subdomain(&secret_name) {
        errors.push(ProductionError::new(
            "secret_name",
            Some(&secret_name),
            "is not a Kubernetes Secret name",
            "use lowercase letters, digits, `-` and `.`",
        ));
    }

    let vault = match get("vault")
        .map(|v| ("vault", v))
        .or_else(|| names.vault.as_deref().map(|v| (VAULT_FROM_SECRETS, v)))
    {
        None => None,
        Some((key, v)) => match vault_url(key, v) {
            Ok(u) => Some(u),
            Err(e) => {
                errors.push(e);
                None
            }
        },
    };
    let vault_identity = get("vault_identity").and_then(|v| {
        let id = validate::client_id(FieldId::StorageClientId, v).ok();
        if id.is_none() {
            errors.push(ProductionError::new(
                "vault_identity",
                Some(v),
                "is not a client ID (GUID)",
                "give the managed identity's 'Client ID' (Managed Identities → the identity → Overview)",
            ));
        }
        id.map(|c| c.value)
    });

    let access = super::access::validate(raw, &release, &mut errors);
    let postgres_user = get("postgres_user")
        .unwrap_or(super::DEFAULT_POSTGRES_USER)
        .to_owned();
    if !role_name(&postgres_user) {
        errors.push(ProductionError::new(
            "postgres_user",
            Some(&postgres_user),
            "is not a plain PostgreSQL role name",
            "use at most 63 lowercase letters, digits and _, starting with a letter, not pg_… (e.g. lakekeeper)",
        ));
    }
    let postgres_password_secret = get("postgres_password_secret")
        .unwrap_or(super::DEFAULT_POSTGRES_PASSWORD_SECRET)
        .to_owned();
    if !vault_secret_name(&postgres_password_secret) {
        errors.push(ProductionError::new(
            "postgres_password_secret",
            Some(&postgres_password_secret),
            "is not a Key Vault secret name",
            "use 1-127 letters, digits and `-`",
        ));
    }

    match (errors.is_empty(), base_uri) {
        (true, Some(base_uri)) => Ok((
            Production {
                base_uri,
                namespace,
                release,
                replicas,
                ingress,
                postgres_host,
                deploy,
                secret_name,
                vault,
                vault_identity,
                api_client_id: access.api_client_id,
                api_app_id_uri: access.api_app_id_uri,
                app_role: access.app_role,
                ui_client_id: access.ui_client_id,
                aks_cluster: access.aks_cluster,
                identity_resource_group: access.identity_resource_group,
                lakekeeper_identity_client_id: access.lakekeeper_identity_client_id,
                service_account: access.service_account,
                backend_namespace: access.backend_namespace,
                backend_service_account: access.backend_service_account,
                backend_identity_client_id: access.backend_identity_client_id,
                postgres_user,
                postgres_password_secret,
            },
            warnings,
        )),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> Raw {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn errors(pairs: &[(&str, &str)]) -> Vec<String> {
        validate(Some(&raw(pairs)), &VaultNames::default())
            .expect_err("invalid")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn defaults_fill_everything_but_the_base_uri() {
        let (p, warnings) = validate(
            Some(&raw(&[("base_uri", "https://lakekeeper.example.com/")])),
            &VaultNames::default(),
        )
        .expect("valid");
        assert_eq!(p.namespace, "lakekeeper");
        assert_eq!(p.release, "lakekeeper");
        assert_eq!(p.replicas, 2);
        assert_eq!(p.secret_name, "lakekeeper-credentials");
        assert_eq!(p.deploy, Deploy::HelmWait);
        assert!(p.deploy.helm_wait());
        assert_eq!(p.ingress, None);
        assert_eq!(p.postgres_user, "lakekeeper");
        assert_eq!(
            p.postgres_password_secret,
            "lakekeeper-production-postgres-password"
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn without_a_base_uri_the_export_says_exactly_that() {
        let e = validate(None, &VaultNames::default()).expect_err("missing");
        assert_eq!(e, vec![missing_base_uri()]);
        assert!(
            e[0].to_string()
                .starts_with("[production] base_uri: is required but was not given")
        );
    }

    #[test]
    fn each_bad_value_is_named_with_its_fix() {
        for (pairs, needle) in [
            (
                vec![("base_uri", "http://localhost:8181")],
                "base_uri: `http://localhost:8181` is a loopback address",
            ),
            (
                vec![("base_uri", "http://lk.example.com")],
                "uses plain http",
            ),
            (
                vec![("base_uri", "https://lk.example.com?x=1")],
                "has a query or fragment",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("namespace", "Lake_Keeper"),
                ],
                "namespace: `Lake_Keeper` is not a Kubernetes namespace name",
            ),
            (
                vec![("base_uri", "https://lk.example.com"), ("release", "1lake")],
                "release: `1lake` is not a Helm release name",
            ),
            (
                vec![("base_uri", "https://lk.example.com"), ("replicas", "0")],
                "replicas: `0` is not a number of replicas",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("tls_secret", "tls"),
                ],
                "tls_secret: `tls` is set but ingress_host is not",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("ingress_host", "https://lk.example.com"),
                ],
                "ingress_host: `https://lk.example.com` is not a host name",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("postgres_host", "prod:5432"),
                ],
                "postgres_host: `prod:5432` contains a port",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("deploy", "kubectl"),
                ],
                "deploy: `kubectl` is not a way of deploying",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("vault", "https://kv.example.com"),
                ],
                "vault: `https://kv.example.com` is not a Key Vault URL",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("vault_identity", "my-identity"),
                ],
                "vault_identity: `my-identity` is not a client ID",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("postgres_user", "Lake-Keeper"),
                ],
                "postgres_user: `Lake-Keeper` is not a plain PostgreSQL role name",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("postgres_user", "pg_lake"),
                ],
                "postgres_user: `pg_lake` is not a plain PostgreSQL role name",
            ),
            (
                vec![
                    ("base_uri", "https://lk.example.com"),
                    ("postgres_password_secret", "pg/password"),
                ],
                "postgres_password_secret: `pg/password` is not a Key Vault secret name",
            ),
        ] {
            let e = errors(&pairs);
            assert!(
                e.iter().any(|m| m.contains(needle)),
                "{needle} not in {e:?}"
            );
        }
    }

    #[test]
    fn the_vault_comes_from_secrets_unless_production_names_its_own() {
        let names = VaultNames {
            vault: Some("https://team-dev-kv.vault.azure.net/".into()),
            ..VaultNames::default()
        };
        let base = [("base_uri", "https://lk.example.com")];
        let (p, _) = validate(Some(&raw(&base)), &names).expect("valid");
        assert_eq!(
            p.vault.as_deref(),
            Some("https://team-dev-kv.vault.azure.net")
        );
        assert_eq!(p.vault_name(), Some("team-dev-kv"));
        let own = [
            ("base_uri", "https://lk.example.com"),
            ("vault", "https://team-prod-kv.vault.azure.net"),
        ];
        let (p, _) = validate(Some(&raw(&own)), &names).expect("valid");
        assert_eq!(p.vault_name(), Some("team-prod-kv"));
    }
}
