//! Secrets from the team's Key Vault: the profile's `[secrets]` table (the vault's URL and the
//! *names* of the secrets — never a value), reading the named secrets, and saying where each
//! secret in a plan came from.
//!
//! ```toml
//! [secrets]
//! vault = "https://team-dev-kv.vault.azure.net"
//! backend_client_secret = "lakekeeper-backend-client-secret"
//! postgres_password = "lakekeeper-postgres-password"
//! storage_account_key = "adls-account-key"        # only for shared-key
//! encryption_key = "lakekeeper-encryption-key"
//! ```
//!
//! Precedence stays "environment > Key Vault > existing `.env`": the vault's values are one more
//! answer layer (source [`Source::KeyVault`]). Parsing and [`origins`] perform no I/O; [`fetch`]
//! reads the vault through a [`Session`].

use std::collections::BTreeMap;

use toml_edit::DocumentMut;

use super::Session;
use super::keyvault::{self, KvError, SecretName, VaultUrl};
use crate::model::{Answers, FieldId, Source};
use crate::secret::{Secret, mask};

/// The profile table.
pub const TABLE: &str = "secrets";

/// `[secrets]` keys naming a secret, and the field each fills.
pub const KEYS: [(&str, FieldId); 5] = [
    ("backend_client_secret", FieldId::BackendSecret),
    ("postgres_password", FieldId::PgPassword),
    ("storage_account_key", FieldId::StorageAccountKey),
    ("storage_client_secret", FieldId::StorageClientSecret),
    ("encryption_key", FieldId::EncryptionKey),
];

/// The `[secrets]` table, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsSpec {
    pub vault: VaultUrl,
    /// Field → the secret's name in the vault, in `KEYS` order.
    pub names: Vec<(FieldId, SecretName)>,
}

impl SecretsSpec {
    pub fn name_of(&self, field: FieldId) -> Option<&SecretName> {
        self.names.iter().find(|(f, _)| *f == field).map(|(_, n)| n)
    }
}

/// One thing wrong with the table (for `check`, and to refuse `apply`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecProblem {
    /// `secrets.<key>`.
    pub key: String,
    pub message: String,
    pub fix: String,
}

impl std::fmt::Display for SpecProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "lakekeeper-setup.toml: `{}` {}; fix: {}",
            self.key, self.message, self.fix
        )
    }
}

fn known() -> String {
    std::iter::once("vault")
        .chain(KEYS.iter().map(|(k, _)| *k))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads `[secrets]` from the profile text: `Ok(None)` without the table (or with invalid TOML,
/// which `profile::read` reports).
pub fn spec(profile_text: &str) -> Result<Option<SecretsSpec>, Vec<SpecProblem>> {
    let Ok(doc) = profile_text.parse::<DocumentMut>() else {
        return Ok(None);
    };
    let Some(item) = doc.get(TABLE) else {
        return Ok(None);
    };
    let mut problems = Vec::new();
    let problem = |key: &str, message: String, fix: String| SpecProblem {
        key: format!("{TABLE}.{key}"),
        message,
        fix,
    };
    let Some(table) = item.as_table_like() else {
        return Err(vec![problem(
            "",
            "must be a table".into(),
            "write it as [secrets] with vault = \"https://<vault>.vault.azure.net\" and the secrets' names".into(),
        )]);
    };
    let mut vault = None;
    let mut names = Vec::new();
    for (key, v) in table.iter() {
        let Some(text) = v.as_str().map(str::trim) else {
            problems.push(problem(
                key,
                "must be a string".into(),
                "quote the value".into(),
            ));
            continue;
        };
        if key == "vault" {
            match VaultUrl::parse(text) {
                Ok(u) => vault = Some(u),
                Err(e) => problems.push(problem(
                    key,
                    format!("is not a vault URL: {e}"),
                    "set it to the vault's URI, e.g. https://team-dev-kv.vault.azure.net".into(),
                )),
            }
            continue;
        }
        let Some((_, field)) = KEYS.iter().find(|(k, _)| *k == key) else {
            problems.push(problem(
                key,
                "is not a secret this tool reads from Key Vault".into(),
                format!("use one of: {}", known()),
            ));
            continue;
        };
        if text.is_empty() {
            continue;
        }
        match SecretName::parse(text) {
            Ok(n) => names.push((*field, n)),
            Err(e) => problems.push(problem(
                key,
                format!("is not a secret name: {e}"),
                "write the secret's name as it appears in the vault".into(),
            )),
        }
    }
    if vault.is_none() && !names.is_empty() && !problems.iter().any(|p| p.key == "secrets.vault") {
        problems.push(problem(
            "vault",
            "is missing: the table names secrets but not the vault that holds them".into(),
            "add vault = \"https://<vault name>.vault.azure.net\"".into(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    names.sort_by_key(|(f, _)| KEYS.iter().position(|(_, k)| k == f));
    Ok(vault.map(|vault| SecretsSpec { vault, names }))
}

/// One secret as read from the vault.
#[derive(Debug, Clone)]
pub struct VaultRead {
    pub field: FieldId,
    pub name: SecretName,
    pub result: Result<Secret, KvError>,
}

/// Reads the named secrets of `fields` (all named ones when `fields` is empty), concurrently.
pub async fn fetch(session: &Session, spec: &SecretsSpec, fields: &[FieldId]) -> Vec<VaultRead> {
    let mut set = tokio::task::JoinSet::new();
    for (i, (field, name)) in spec.names.iter().enumerate() {
        if !fields.is_empty() && !fields.contains(field) {
            continue;
        }
        let (session, vault, name, field) =
            (session.clone(), spec.vault.clone(), name.clone(), *field);
        set.spawn(async move {
            let result = keyvault::get_secret(&session, &vault, &name).await;
            (
                i,
                VaultRead {
                    field,
                    name,
                    result,
                },
            )
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(r) = joined {
            out.push(r);
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// The answers the reads give (source `KeyVault`), and the messages of those that failed.
pub fn answers(reads: &[VaultRead]) -> (Answers, Vec<String>) {
    let mut a = Answers::default();
    let mut errors = Vec::new();
    for r in reads {
        match &r.result {
            Ok(v) if !v.is_empty() => a.set(r.field, v.expose(), Source::KeyVault),
            Ok(_) => errors.push(format!("Key Vault: secret `{}` is empty", r.name.as_str())),
            Err(e) => errors.push(e.to_string()),
        }
    }
    (a, errors)
}

/// Where one secret of a plan came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretOrigin {
    /// The `.env` key.
    pub key: &'static str,
    /// "Key Vault team-dev-kv: lakekeeper-backend-client-secret", "environment", ".env", …
    pub from: String,
    /// The value, masked.
    pub masked: String,
    /// The vault's value differs from the one in `.env` (a rotated secret).
    pub rotated: bool,
}

impl SecretOrigin {
    pub fn line(&self) -> String {
        let mut s = format!("{} {} from {}", self.key, self.masked, self.from);
        if self.rotated {
            s.push_str(
                " — differs from the value in .env (rotated in the vault): the vault's replaces it",
            );
        }
        s
    }
}

/// For every secret the answers hold: where it came from, masked, and whether the vault holds a
/// different value than `.env` (`env_file`: the answers read from the existing `.env`).
pub fn origins(
    answers: &Answers,
    spec: Option<&SecretsSpec>,
    env_file: &Answers,
) -> Vec<SecretOrigin> {
    FieldId::ALL
        .into_iter()
        .filter(|f| f.is_secret())
        .filter_map(|f| {
            let a = answers.answer(f)?;
            let key = f.env_key()?;
            let from = match (a.source, spec.and_then(|s| s.name_of(f).map(|n| (s, n)))) {
                (Source::KeyVault, Some((s, n))) => {
                    format!("Key Vault {}: {}", s.vault.name(), n.as_str())
                }
                (Source::Environment, _) => "the environment".to_owned(),
                (Source::EnvFile, _) => "the existing .env".to_owned(),
                (Source::Wizard, _) => "what was typed in the wizard".to_owned(),
                (other, _) => other.to_string(),
            };
            let rotated = a.source == Source::KeyVault
                && env_file.get(f).is_some_and(|old| old != a.value.expose());
            Some(SecretOrigin {
                key,
                from,
                masked: mask(a.value.expose()),
                rotated,
            })
        })
        .collect()
}

/// The vault's values by field, for comparing with a `.env` (`verify`).
pub fn values(reads: &[VaultRead]) -> BTreeMap<FieldId, Secret> {
    reads
        .iter()
        .filter_map(|r| r.result.as_ref().ok().map(|v| (r.field, v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[entra]\ntenant = \"contoso.onmicrosoft.com\"\n\n[secrets]\nvault = \"https://team-dev-kv.vault.azure.net\"\nbackend_client_secret = \"lakekeeper-backend-client-secret\"\npostgres_password = \"lakekeeper-postgres-password\"\nencryption_key = \"lakekeeper-encryption-key\"\n";

    #[test]
    fn the_secrets_table_names_the_vault_and_the_secrets() {
        let s = spec(GOOD).expect("valid").expect("present");
        assert_eq!(s.vault.name(), "team-dev-kv");
        assert_eq!(
            s.names
                .iter()
                .map(|(f, n)| (*f, n.as_str()))
                .collect::<Vec<_>>(),
            [
                (FieldId::BackendSecret, "lakekeeper-backend-client-secret"),
                (FieldId::PgPassword, "lakekeeper-postgres-password"),
                (FieldId::EncryptionKey, "lakekeeper-encryption-key"),
            ]
        );
        assert_eq!(spec("[entra]\ntenant = \"x\"\n"), Ok(None));
    }

    #[test]
    fn unknown_keys_and_wrong_vault_urls_are_problems() {
        let bad = "[secrets]\nvault = \"team-dev-kv\"\nbackend_secret = \"x\"\npostgres_password = \"has space\"\n";
        let problems = spec(bad).expect_err("problems");
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "secrets.vault",
                "secrets.backend_secret",
                "secrets.postgres_password"
            ]
        );
        assert!(
            problems[1].fix.contains("backend_client_secret"),
            "{}",
            problems[1]
        );
        let no_vault = spec("[secrets]\npostgres_password = \"pg\"\n").expect_err("no vault");
        assert_eq!(no_vault[0].key, "secrets.vault");
    }

    #[test]
    fn origins_name_the_vault_and_flag_a_rotated_secret() {
        let s = spec(GOOD).expect("valid").expect("present");
        let mut answers = Answers::default();
        answers.set(
            FieldId::BackendSecret,
            "fake-vault-client-secret-0001",
            Source::KeyVault,
        );
        answers.set(
            FieldId::PgPassword,
            "fake-env-pg-password-00001",
            Source::Environment,
        );
        let mut file = Answers::default();
        file.set(
            FieldId::BackendSecret,
            "fake-old-client-secret-0000",
            Source::EnvFile,
        );
        let o = origins(&answers, Some(&s), &file);
        assert_eq!(
            o[0].from,
            "Key Vault team-dev-kv: lakekeeper-backend-client-secret"
        );
        assert_eq!(o[0].masked, "••••0001");
        assert!(o[0].rotated);
        assert_eq!(o[1].from, "the environment");
        assert!(!o[1].rotated);
        assert!(!o.iter().any(|x| x.line().contains("fake-")));
    }
}
