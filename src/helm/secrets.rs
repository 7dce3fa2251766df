//! The Secret the chart reads (`passwordSecret` / `encryptionKeySecret`): External Secrets
//! Operator objects that build it from Azure Key Vault with workload identity (no value in any
//! file), or a plain `Secret` manifest holding the values.

use super::yaml::{MapBuilder, Node};
use super::{KEY_ENCRYPTION, KEY_PASSWORD, MARKER};
use crate::model::{Cloud, SetupConfig};
use crate::production::{Production, ProductionError, VaultNames};
use crate::secret::Secret;

fn s(v: impl Into<String>) -> Node {
    Node::str(v)
}

fn metadata(name: &str, namespace: &str) -> MapBuilder {
    MapBuilder::new()
        .put("name", s(name))
        .put("namespace", s(namespace))
}

pub fn external_header() -> Vec<&'static str> {
    vec![
        &MARKER[2..],
        "External Secrets Operator objects that build the Secret the chart reads from Azure Key Vault.",
        "Apply before `helm upgrade --install`: the pods and the migration Job need the Secret at start.",
        "No secret value is in this file, only the names of the vault's secrets.",
    ]
}

pub fn kubernetes_header() -> Vec<&'static str> {
    vec![
        &MARKER[2..],
        "SECRET VALUES IN PLAIN TEXT: keep this file out of git (this directory ignores itself).",
        "Apply before `helm upgrade --install`, then delete the file.",
    ]
}

fn environment(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Public => "PublicCloud",
        Cloud::UsGov => "USGovernmentCloud",
        Cloud::China => "ChinaCloud",
    }
}

/// ServiceAccount (workload identity) + SecretStore (Azure Key Vault) + ExternalSecret.
pub fn external(
    cfg: &SetupConfig,
    prod: &Production,
    names: &VaultNames,
) -> Result<Vec<Node>, Vec<ProductionError>> {
    let mut errors = Vec::new();
    if prod.vault.is_none() {
        errors.push(ProductionError::new(
            "vault",
            None,
            "names no Key Vault, which --secrets external-secrets reads from",
            "add `vault = \"https://<name>.vault.azure.net\"` under [production] (or [secrets]), or use --secrets kubernetes",
        ));
    }
    if prod.vault_identity.is_none() {
        errors.push(crate::production::missing_vault_identity());
    }
    // The password is the production role's own (never the laptop's shared one).
    let pw_name = prod.postgres_password_secret.clone();
    let key_name = names.encryption_key.clone().unwrap_or_else(|| {
        errors.push(crate::production::missing_vault_secret("encryption_key"));
        String::new()
    });
    let (Some(vault), Some(identity), true) =
        (&prod.vault, &prod.vault_identity, errors.is_empty())
    else {
        return Err(errors);
    };
    let store = format!("{}-keyvault", prod.release);
    let mut sa_annotations =
        MapBuilder::new().put("azure.workload.identity/client-id", s(identity.as_str()));
    if let Some(tid) = &cfg.tenant_guid {
        sa_annotations = sa_annotations.put("azure.workload.identity/tenant-id", s(tid.clone()));
    }
    let service_account = MapBuilder::new()
        .put("apiVersion", s("v1"))
        .put("kind", s("ServiceAccount"))
        .put(
            "metadata",
            metadata(&store, &prod.namespace)
                .why("annotations", sa_annotations.build(), "the managed identity the operator uses for this vault (workload identity federation)")
                .build(),
        )
        .build();
    let mut azurekv = MapBuilder::new()
        .why(
            "authType",
            s("WorkloadIdentity"),
            "no client secret to store or rotate",
        )
        .put("vaultUrl", s(vault.clone()))
        .put("environmentType", s(environment(cfg.cloud)));
    if let Some(tid) = &cfg.tenant_guid {
        azurekv = azurekv.put("tenantId", s(tid.clone()));
    }
    let azurekv = azurekv
        .put(
            "serviceAccountRef",
            MapBuilder::new().put("name", s(store.clone())).build(),
        )
        .build();
    let secret_store = MapBuilder::new()
        .put("apiVersion", s("external-secrets.io/v1"))
        .put("kind", s("SecretStore"))
        .put("metadata", metadata(&store, &prod.namespace).build())
        .put(
            "spec",
            MapBuilder::new()
                .put(
                    "provider",
                    MapBuilder::new().put("azurekv", azurekv).build(),
                )
                .build(),
        )
        .build();
    let item = |secret_key: &str, vault_name: &str| {
        MapBuilder::new()
            .put("secretKey", s(secret_key))
            .put(
                "remoteRef",
                MapBuilder::new()
                    .put("key", s(format!("secret/{vault_name}")))
                    .build(),
            )
            .build()
    };
    let external_secret = MapBuilder::new()
        .put("apiVersion", s("external-secrets.io/v1"))
        .put("kind", s("ExternalSecret"))
        .put("metadata", metadata(&prod.secret_name, &prod.namespace).build())
        .put(
            "spec",
            MapBuilder::new()
                .why("refreshInterval", s("1h"), "a rotated PostgreSQL password reaches the Secret within the hour")
                .put(
                    "secretStoreRef",
                    MapBuilder::new()
                        .put("kind", s("SecretStore"))
                        .put("name", s(store))
                        .build(),
                )
                .put(
                    "target",
                    MapBuilder::new()
                        .why("name", s(prod.secret_name.clone()), "the Secret values.yaml names")
                        .put("creationPolicy", s("Owner"))
                        .why("deletionPolicy", s("Retain"), "a vault secret deleted by mistake never takes the encryption key out of the cluster")
                        .build(),
                )
                .put(
                    "data",
                    Node::List(vec![
                        (item(KEY_PASSWORD, &pw_name), Some(format!("the password of role {} ([production] postgres_password_secret)", prod.postgres_user))),
                        (item(KEY_ENCRYPTION, &key_name), Some("must be the key the database's warehouse secrets were stored with".into())),
                    ]),
                )
                .build(),
        )
        .build();
    Ok(vec![service_account, secret_store, external_secret])
}

/// A `Secret` with the values (for `--secrets kubernetes`): the production role's password
/// and the encryption key, nothing else.
pub fn kubernetes(cfg: &SetupConfig, prod: &Production, password: &Secret) -> Node {
    MapBuilder::new()
        .put("apiVersion", s("v1"))
        .put("kind", s("Secret"))
        .put(
            "metadata",
            metadata(&prod.secret_name, &prod.namespace).build(),
        )
        .put("type", s("Opaque"))
        .put(
            "stringData",
            MapBuilder::new()
                .put(KEY_PASSWORD, s(password.expose()))
                .put(KEY_ENCRYPTION, s(cfg.encryption_key.expose()))
                .build(),
        )
        .build()
}
