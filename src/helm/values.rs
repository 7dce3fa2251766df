//! The chart's `values.yaml` as a commented tree. Every value comes from `derive` (the same
//! functions that write the laptop's `.env`) or from the validated `[production]` answers; no
//! rule is re-implemented here.

use super::yaml::{MapBuilder, Node};
use super::{KEY_ENCRYPTION, KEY_PASSWORD, MARKER};
use crate::derive;
use crate::keys as k;
use crate::model::SetupConfig;
use crate::production::Production;
use crate::validate::base_uri_string;

/// Liveness failures tolerated before a restart: 36 × 5 s = 3 minutes.
pub const LIVENESS_FAILURES: i64 = 36;

pub fn header() -> Vec<&'static str> {
    vec![
        &MARKER[2..],
        "Values for Lakekeeper's official chart (helm repo https://lakekeeper.github.io/lakekeeper-charts/,",
        "chart lakekeeper, tested with version 0.11.0). Re-run the export rather than editing by hand.",
        "No secret is in this file: the chart reads them from the Secret named below.",
    ]
}

fn s(v: impl Into<String>) -> Node {
    Node::str(v)
}

/// The laptop's configuration with production's own apps in place of the laptop's: the same
/// derivations (audience, UI scope) then give production's values.
pub fn production_apps(cfg: &SetupConfig, prod: &Production) -> SetupConfig {
    let mut out = cfg.clone();
    if let (Some(id), Some(uri)) = (&prod.api_client_id, &prod.api_app_id_uri) {
        out.api = crate::model::ApiApp {
            client_id: id.clone(),
            app_id_uri: uri.clone(),
        };
    }
    out.ui_client_id.clone_from(&prod.ui_client_id);
    out
}

pub fn values(cfg: &SetupConfig, prod: &Production, image: &(String, String)) -> Node {
    let cfg = &production_apps(cfg, prod);
    let pg = &cfg.postgres;
    let host = prod.postgres_host(cfg).to_owned();
    let host_why = if prod.postgres_host.is_some() {
        "production's server ([production] postgres_host)"
    } else {
        "the laptop's server: set [production] postgres_host when production has its own"
    };
    let database = MapBuilder::new()
        .put("type", s("postgres"))
        .why("host_read", s(host.clone()), host_why)
        .put("host_write", s(host))
        .put("port", Node::Int(i64::from(pg.port)))
        .put("database", s(pg.database.clone()))
        .why(
            "user",
            s(prod.postgres_user.clone()),
            "Lakekeeper's own role ([production] postgres_user), never the backend's: its default search_path is Lakekeeper's schema and it can read no backend table (`lakekeeper-setup verify --production --fix` prints the SQL)",
        )
        .why(
            "passwordSecret",
            s(prod.secret_name.clone()),
            "the role's password comes from this Secret, never from this file",
        )
        .put("passwordSecretKey", s(KEY_PASSWORD))
        .build();
    let encryption = MapBuilder::new()
        .why(
            "encryptionKeySecret",
            s(prod.secret_name.clone()),
            "always a named Secret: left empty, the chart mints a new random key on every offline render (helm template, Argo CD, Flux) and stored credentials become unreadable",
        )
        .put("encryptionKeySecretKey", s(KEY_ENCRYPTION))
        .build();
    let secret_backend = MapBuilder::new()
        .why(
            "type",
            s("Postgres"),
            "warehouse credentials stored encrypted in PostgreSQL, as on the laptop",
        )
        .put("postgres", encryption)
        .build();

    let mut oauth2 = MapBuilder::new()
        .why(
            "providerUri",
            s(derive::provider_uri(cfg)),
            "authority + tenant + /v2.0; Lakekeeper appends /.well-known/openid-configuration itself",
        )
        .why(
            "audience",
            s(derive::audience(cfg)),
            "production's own API app (App ID URI: aud of v1 tokens; client ID: aud of v2 tokens), never the laptop's; comma without spaces",
        );
    if let Some(iss) = derive::v1_issuer(cfg) {
        oauth2 = oauth2.why(
            "additionalIssuers",
            Node::List(vec![(s(iss), None)]),
            "v1 tokens (the portal default) are issued by sts…/<tenant GUID>/, trailing slash included",
        );
    }
    if let Some(ui) = &cfg.ui_client_id {
        oauth2 = oauth2.put(
            "ui",
            MapBuilder::new()
                .why(
                    "clientID",
                    s(ui.as_str()),
                    "production's UI app (single-page), whose redirect URI is <base_uri>/ui/callback",
                )
                .put("scopes", s(derive::ui_scope(cfg)))
                .build(),
        );
    }
    let auth = MapBuilder::new().put("oauth2", oauth2.build()).build();

    let config = MapBuilder::new()
        .why(
            k::BASE_URI,
            s(base_uri_string(&prod.base_uri)),
            "the public URL: without it the UI behind the Ingress hangs or loops",
        )
        .why(
            k::SUBJECT_CLAIM,
            s("oid"),
            "the chart has no key for it; oid is stable per user, and must never change after bootstrap",
        )
        .why(
            "LAKEKEEPER__ENABLE_AZURE_SYSTEM_CREDENTIALS",
            s("true"),
            "warehouses may use the azure-system-identity storage credential: Lakekeeper's managed identity through workload identity, no client secret",
        )
        .why(
            "LAKEKEEPER__PG_SSL_MODE",
            s(pg.sslmode.as_str()),
            "split connection variables (password in its own Secret key, no URL encoding), where Lakekeeper honours PG_SSL_MODE",
        )
        .build();
    let mut catalog = MapBuilder::new()
        .why(
            "podLabels",
            MapBuilder::new()
                .put(WORKLOAD_IDENTITY_USE, s("true"))
                .build(),
            "the workload identity webhook gives the pods the service account's identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE)",
        )
        .why(
            "replicas",
            Node::Int(i64::from(prod.replicas)),
            "stateless; two or more keep Lakekeeper up through rolling updates and node drains",
        )
        .why(
            "image",
            MapBuilder::new()
                .put("repository", s(image.0.clone()))
                .put("tag", s(image.1.clone()))
                .build(),
            "the same pinned image as the laptop, not the chart's default",
        )
        .put("config", config)
        .why(
            "livenessProbe",
            MapBuilder::new()
                .why(
                    "failureThreshold",
                    Node::Int(LIVENESS_FAILURES),
                    "36 × 5 s = 3 minutes: /health reports the database, and an Azure PostgreSQL failover takes 1-2 minutes",
                )
                .build(),
            "restart only a pod that is really stuck; readiness still takes it out of the Service at once",
        );
    if prod.replicas >= 2 {
        catalog = catalog.why(
            "podDisruptionBudget",
            MapBuilder::new()
                .put("enabled", Node::Bool(true))
                .put("maxUnavailable", Node::Int(1))
                .build(),
            "a node drain takes down at most one pod at a time",
        );
    }
    if let Some(ing) = &prod.ingress {
        let mut ingress = MapBuilder::new()
            .put("enabled", Node::Bool(true))
            .put("host", s(ing.host.clone()))
            .why(
                "path",
                s("/"),
                "the chart requires a leading / and no trailing one",
            );
        if let Some(class) = &ing.class {
            ingress = ingress.put("ingressClassName", s(class.clone()));
        }
        if let Some(tls) = &ing.tls_secret {
            ingress = ingress.put(
                "tls",
                MapBuilder::new()
                    .put("enabled", Node::Bool(true))
                    .put("secretName", s(tls.clone()))
                    .build(),
            );
        }
        catalog = catalog.why("ingress", ingress.build(), "[production] ingress_host");
    }

    let helm_wait_why = if prod.deploy.helm_wait() {
        "the migration Job becomes a normal resource: with the chart's post-install hook, `helm install --wait` and GitOps syncs wait forever"
    } else {
        "[production] deploy = helm: the migration runs as the chart's post-install hook (do not use --wait)"
    };
    MapBuilder::new()
        .why("helmWait", Node::Bool(prod.deploy.helm_wait()), helm_wait_why)
        .why(
            "postgresql",
            MapBuilder::new()
                .why(
                    "enabled",
                    Node::Bool(false),
                    "the chart's default (true) deploys an embedded PostgreSQL and silently ignores externalDatabase",
                )
                .build(),
            "the team's Azure PostgreSQL, not an embedded one",
        )
        .put("externalDatabase", database)
        .put("secretBackend", secret_backend)
        .put("auth", auth)
        .why(
            "authz",
            MapBuilder::new().put("backend", s("allowall")).build(),
            "as on the laptop; it must not change after bootstrap",
        )
        .put("catalog", catalog.build())
        .why(
            "serviceAccount",
            service_account(prod),
            "the federated credential of Lakekeeper's managed identity names exactly this service account",
        )
        .build()
}

/// The pod label the workload identity webhook acts on.
pub const WORKLOAD_IDENTITY_USE: &str = "azure.workload.identity/use";
/// The service account annotation naming the managed identity.
pub const WORKLOAD_IDENTITY_CLIENT_ID: &str = "azure.workload.identity/client-id";

fn service_account(prod: &Production) -> Node {
    let mut annotations = MapBuilder::new();
    if let Some(id) = &prod.lakekeeper_identity_client_id {
        annotations = annotations.put(WORKLOAD_IDENTITY_CLIENT_ID, s(id.as_str()));
    }
    MapBuilder::new()
        .put("create", Node::Bool(true))
        .why(
            "name",
            s(prod.service_account.clone()),
            "[production] service_account",
        )
        .why(
            "annotations",
            annotations.build(),
            "Lakekeeper's managed identity ([production] lakekeeper_identity_client_id)",
        )
        .build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_header_names_the_chart_version_the_values_are_tested_with() {
        assert!(
            super::header()
                .concat()
                .contains(crate::helm::CHART_VERSION)
        );
    }
}
