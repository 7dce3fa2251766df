//! The `[production]` keys that name production's own identities (what
//! `azure bootstrap --production` creates and records): the production API and UI apps, the
//! app role callers must hold, the AKS cluster whose OIDC issuer the managed identities trust,
//! and the two managed identities with the service accounts they are federated with.
//!
//! IDs only, never a secret. No I/O.

use super::{ProductionError, Raw};
use crate::model::ClientId;
use crate::validate;

/// The app role callers of the production API must hold when no other is named.
pub const DEFAULT_APP_ROLE: &str = "Lakekeeper.Access";

/// The scope name on the production API (`<api_app_id_uri>/lakekeeper`).
pub const SCOPE_NAME: &str = "lakekeeper";

/// The validated identity keys (see `Production` for what each holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub api_client_id: Option<ClientId>,
    pub api_app_id_uri: Option<String>,
    pub app_role: String,
    pub ui_client_id: Option<ClientId>,
    pub aks_cluster: Option<String>,
    pub identity_resource_group: Option<String>,
    pub lakekeeper_identity_client_id: Option<ClientId>,
    pub service_account: String,
    pub backend_namespace: Option<String>,
    pub backend_service_account: Option<String>,
    pub backend_identity_client_id: Option<ClientId>,
}

/// The service account the official chart creates for `release` when `serviceAccount.name`
/// is not set: its `iceberg-catalog.fullname` (the release when it contains the chart's name
/// `lakekeeper`, else `<release>-lakekeeper`, cut to 63 characters without a trailing `-`).
pub fn chart_service_account(release: &str) -> String {
    let full = if release.contains("lakekeeper") {
        release.to_owned()
    } else {
        format!("{release}-lakekeeper")
    };
    let cut: String = full.chars().take(63).collect();
    cut.strip_suffix('-').unwrap_or(&cut).to_owned()
}

/// A GUID exactly (lowercased): a profile value is not a pasted text to search.
fn guid_key(
    key: &str,
    raw: &str,
    what: &str,
    errors: &mut Vec<ProductionError>,
) -> Option<ClientId> {
    let t = raw.trim();
    if validate::is_guid(t) {
        return validate::client_id(crate::model::FieldId::ApiClientId, t)
            .ok()
            .map(|c| c.value);
    }
    errors.push(ProductionError::new(
        key,
        Some(raw),
        "is not a GUID (00000000-0000-0000-0000-000000000000)",
        format!("give {what}, or remove the key and run `lakekeeper-setup azure bootstrap --production` to fill it"),
    ));
    None
}

/// An Application ID URI production can use as its audience: `api://…` or `https://…`, no
/// query, fragment or trailing `/` (the scope is this URI plus `/lakekeeper`).
fn app_id_uri(raw: &str) -> Result<String, ProductionError> {
    let t = raw.trim();
    let ok = url::Url::parse(t).ok().is_some_and(|u| {
        matches!(u.scheme(), "api" | "https")
            && u.query().is_none()
            && u.fragment().is_none()
            && !t.ends_with('/')
            && !t.contains(char::is_whitespace)
    });
    if ok {
        Ok(t.to_owned())
    } else {
        Err(ProductionError::new(
            "api_app_id_uri",
            Some(raw),
            "is not an Application ID URI",
            "give the production API app's 'Application ID URI' (Expose an API), e.g. api://lakekeeper-prod.contoso.com, without a trailing /",
        ))
    }
}

/// An app role's `value` as Microsoft Graph accepts it: at most 120 printable ASCII
/// characters, no space, not starting with `.`.
fn is_app_role_value(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= 120
        && !raw.starts_with('.')
        && raw.bytes().all(|b| b.is_ascii_graphic())
}

/// An Azure resource group name: 1-90 letters, digits, `_`, `-`, `.`, `(`, `)`, not ending
/// with `.`.
pub fn is_resource_group(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 90
        && !s.ends_with('.')
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')'))
}

/// A Kubernetes service account name (a DNS-1123 subdomain).
fn service_account_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// Validates the identity keys of `raw` (`release` names the chart's default service
/// account), pushing one error per bad value.
pub fn validate(raw: &Raw, release: &str, errors: &mut Vec<ProductionError>) -> Access {
    let get = |k: &str| raw.get(k).map(String::as_str);
    let mut guid = |key: &str, what: &str| get(key).and_then(|v| guid_key(key, v, what, errors));
    let api_client_id = guid(
        "api_client_id",
        "the production API app's 'Application (client) ID'",
    );
    let ui_client_id = guid(
        "ui_client_id",
        "the production UI app's 'Application (client) ID'",
    );
    let lakekeeper_identity_client_id = guid(
        "lakekeeper_identity_client_id",
        "the 'Client ID' of Lakekeeper's managed identity",
    );
    let backend_identity_client_id = guid(
        "backend_identity_client_id",
        "the 'Client ID' of the production backend's managed identity",
    );

    let api_app_id_uri = get("api_app_id_uri").and_then(|v| match app_id_uri(v) {
        Ok(u) => Some(u),
        Err(e) => {
            errors.push(e);
            None
        }
    });

    let app_role = get("app_role").unwrap_or(DEFAULT_APP_ROLE).to_owned();
    if !is_app_role_value(&app_role) {
        errors.push(ProductionError::new(
            "app_role",
            Some(&app_role),
            "is not an app role value (at most 120 characters, no spaces, not starting with `.`)",
            format!("use {DEFAULT_APP_ROLE} (the default), or the value of the role on the production API"),
        ));
    }

    let aks_cluster = get("aks_cluster").and_then(|v| {
        if crate::azure::arm::is_managed_cluster_id(v.trim()) {
            Some(v.trim().to_owned())
        } else {
            errors.push(ProductionError::new(
                "aks_cluster",
                Some(v),
                "is not an AKS cluster's resource ID",
                "give /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name> (az aks show -g <group> -n <name> --query id -o tsv)",
            ));
            None
        }
    });

    let identity_resource_group = match get("identity_resource_group") {
        Some(v) if is_resource_group(v) => Some(v.to_owned()),
        Some(v) => {
            errors.push(ProductionError::new(
                "identity_resource_group",
                Some(v),
                "is not a resource group name",
                "use at most 90 letters, digits, `_`, `-`, `.`, `(` and `)`, not ending with `.`",
            ));
            None
        }
        None => aks_cluster
            .as_deref()
            .map(crate::azure::arm::resource_group),
    };

    let mut sa = |key: &str| {
        get(key).and_then(|v| {
            if service_account_name(v) {
                Some(v.to_owned())
            } else {
                errors.push(ProductionError::new(
                    key,
                    Some(v),
                    "is not a Kubernetes service account name",
                    "use lowercase letters, digits, `-` and `.`",
                ));
                None
            }
        })
    };
    let service_account = sa("service_account").unwrap_or_else(|| chart_service_account(release));
    let backend_service_account = sa("backend_service_account");

    let backend_namespace = get("backend_namespace").and_then(|v| {
        if super::rules::dns_label(v, 63) {
            Some(v.to_owned())
        } else {
            errors.push(ProductionError::new(
                "backend_namespace",
                Some(v),
                "is not a Kubernetes namespace name",
                "use at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
            ));
            None
        }
    });
    for (set, missing) in [
        ("backend_service_account", "backend_namespace"),
        ("backend_namespace", "backend_service_account"),
    ] {
        if raw.contains_key(set) && !raw.contains_key(missing) {
            errors.push(ProductionError::new(
                missing,
                None,
                format!("is required with {set}: the backend's identity is federated with one service account in one namespace"),
                format!("add `{missing} = \"…\"` under [production]"),
            ));
        }
    }

    Access {
        api_client_id,
        api_app_id_uri,
        app_role,
        ui_client_id,
        aks_cluster,
        identity_resource_group,
        lakekeeper_identity_client_id,
        service_account,
        backend_namespace,
        backend_service_account,
        backend_identity_client_id,
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

    const CLUSTER: &str = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/prod-aks";

    #[test]
    fn the_chart_names_its_service_account_after_the_release() {
        for (release, sa) in [
            ("lakekeeper", "lakekeeper"),
            ("lakekeeper-prod", "lakekeeper-prod"),
            ("catalog", "catalog-lakekeeper"),
            (
                "a23456789-123456789-123456789-123456789-123456789-12",
                "a23456789-123456789-123456789-123456789-123456789-12-lakekeeper",
            ),
            (
                "a23456789-123456789-123456789-123456789-123456789-123",
                "a23456789-123456789-123456789-123456789-123456789-123-lakekeepe",
            ),
        ] {
            assert_eq!(chart_service_account(release), sa, "{release}");
        }
        // Cut at 63, then one trailing `-` dropped (Helm's `trunc 63 | trimSuffix "-"`).
        assert_eq!(chart_service_account(&"a".repeat(62)), "a".repeat(62));
    }

    #[test]
    fn defaults_are_the_role_the_chart_account_and_the_clusters_group() {
        let mut errors = Vec::new();
        let a = validate(&raw(&[("aks_cluster", CLUSTER)]), "lakekeeper", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(a.app_role, "Lakekeeper.Access");
        assert_eq!(a.service_account, "lakekeeper");
        assert_eq!(a.identity_resource_group.as_deref(), Some("rg-aks"));
        assert_eq!(a.aks_cluster.as_deref(), Some(CLUSTER));
        let a = validate(&Raw::new(), "catalog", &mut errors);
        assert_eq!(a.service_account, "catalog-lakekeeper");
        assert_eq!(a.identity_resource_group, None);
    }

    #[test]
    fn every_key_is_read_into_its_field() {
        let mut errors = Vec::new();
        let a = validate(
            &raw(&[
                ("api_client_id", "AAAAAAAA-0000-4000-8000-000000000001"),
                ("api_app_id_uri", "api://lakekeeper-prod"),
                ("app_role", "Catalog.Use"),
                ("ui_client_id", "aaaaaaaa-0000-4000-8000-000000000002"),
                ("aks_cluster", CLUSTER),
                ("identity_resource_group", "rg-identities"),
                (
                    "lakekeeper_identity_client_id",
                    "aaaaaaaa-0000-4000-8000-000000000003",
                ),
                ("service_account", "lk"),
                ("backend_namespace", "backend"),
                ("backend_service_account", "backend-api"),
                (
                    "backend_identity_client_id",
                    "aaaaaaaa-0000-4000-8000-000000000004",
                ),
            ]),
            "lakekeeper",
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            a.api_client_id.as_ref().map(ClientId::as_str),
            Some("aaaaaaaa-0000-4000-8000-000000000001")
        );
        assert_eq!(a.api_app_id_uri.as_deref(), Some("api://lakekeeper-prod"));
        assert_eq!(a.app_role, "Catalog.Use");
        assert_eq!(a.identity_resource_group.as_deref(), Some("rg-identities"));
        assert_eq!(a.service_account, "lk");
        assert_eq!(a.backend_namespace.as_deref(), Some("backend"));
        assert_eq!(a.backend_service_account.as_deref(), Some("backend-api"));
        assert_eq!(
            a.backend_identity_client_id.as_ref().map(ClientId::as_str),
            Some("aaaaaaaa-0000-4000-8000-000000000004")
        );
    }

    #[test]
    fn each_bad_value_is_named_with_its_fix() {
        for (pairs, needle) in [
            (
                vec![(
                    "api_client_id",
                    "api://aaaaaaaa-0000-4000-8000-000000000001",
                )],
                "api_client_id: `api://aaaaaaaa-0000-4000-8000-000000000001` is not a GUID",
            ),
            (
                vec![("backend_identity_client_id", "backend")],
                "backend_identity_client_id: `backend` is not a GUID",
            ),
            (
                vec![("api_app_id_uri", "api://lakekeeper-prod/")],
                "api_app_id_uri: `api://lakekeeper-prod/` is not an Application ID URI",
            ),
            (
                vec![("api_app_id_uri", "lakekeeper-prod")],
                "is not an Application ID URI",
            ),
            (
                vec![("app_role", "Lakekeeper Access")],
                "app_role: `Lakekeeper Access` is not an app role value",
            ),
            (
                vec![("aks_cluster", "prod-aks")],
                "aks_cluster: `prod-aks` is not an AKS cluster's resource ID; fix: give /subscriptions/",
            ),
            (
                vec![("identity_resource_group", "rg.")],
                "identity_resource_group: `rg.` is not a resource group name",
            ),
            (
                vec![("service_account", "Lakekeeper_SA")],
                "service_account: `Lakekeeper_SA` is not a Kubernetes service account name",
            ),
            (
                vec![("backend_namespace", "Backend")],
                "backend_namespace: `Backend` is not a Kubernetes namespace name",
            ),
            (
                vec![("backend_service_account", "backend-api")],
                "backend_namespace: is required with backend_service_account",
            ),
        ] {
            let mut errors = Vec::new();
            validate(&raw(&pairs), "lakekeeper", &mut errors);
            let e: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert!(
                e.iter().any(|m| m.contains(needle)),
                "{needle} not in {e:?}"
            );
        }
    }
}
