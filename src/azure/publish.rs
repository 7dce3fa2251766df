//! Publishing the team's secrets: for each secret the profile's `[secrets]` table names, compare
//! the value this machine has (environment, else `backend/.env`) with the vault's, and plan a
//! new version only where the vault's is missing or different. The team lead runs it once;
//! everyone else's `apply` then reads the vault. Performs no I/O; values only ever leave as
//! [`Secret`]s and masked text.

use super::change::{Change, Request};
use super::consent::Target;
use super::keyvault::{self, KvError, SecretName, VaultUrl};
use crate::model::FieldId;
use crate::secret::Secret;

/// The vault's side of one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InVault {
    Same,
    Differs,
    Missing,
}

/// One named secret and what happens to it.
#[derive(Debug, Clone)]
pub struct Item {
    pub field: FieldId,
    pub name: SecretName,
    /// The `.env` key the value lives under.
    pub key: &'static str,
    /// This machine's value and where it came from ("the environment", "backend/.env").
    pub local: Option<(Secret, String)>,
    /// `None` when there is no local value (the vault was not compared).
    pub vault: Option<InVault>,
}

impl Item {
    pub fn to_store(&self) -> bool {
        matches!(self.vault, Some(InVault::Differs | InVault::Missing))
    }

    /// What the plan says about this secret.
    pub fn line(&self, vault: &str) -> String {
        let name = self.name.as_str();
        let key = self.key;
        match (&self.local, &self.vault) {
            (None, _) => format!(
                "{name}: skipped — {key} is set neither in the environment nor in backend/.env"
            ),
            (Some((v, from)), Some(InVault::Same)) => format!(
                "{name}: {key} {} from {from} is already in {vault} (unchanged)",
                v.masked()
            ),
            (Some((v, from)), Some(InVault::Missing)) => format!(
                "store {key} {} from {from} as secret {name} in Key Vault {vault} (missing there)",
                v.masked()
            ),
            (Some((v, from)), Some(InVault::Differs)) => format!(
                "store {key} {} from {from} as a new version of secret {name} in Key Vault {vault} (differs from the vault's; the old value stays as an earlier version)",
                v.masked()
            ),
            (Some((v, from)), None) => {
                format!("{name}: {key} {} from {from} (not compared)", v.masked())
            }
        }
    }
}

/// How the vault's read compares with the local value. `Err` for a read that failed other than
/// "no such secret" (the command stops: it cannot tell what would change).
pub fn compare(local: &Secret, read: &Result<Secret, KvError>) -> Result<InVault, KvError> {
    match read {
        Ok(v) if v.expose() == local.expose() => Ok(InVault::Same),
        Ok(_) => Ok(InVault::Differs),
        Err(KvError::NotFound { .. }) => Ok(InVault::Missing),
        Err(e) => Err(e.clone()),
    }
}

/// The changes for the items to store.
pub fn changes(vault: &VaultUrl, items: &[Item]) -> Vec<Change> {
    items
        .iter()
        .filter(|i| i.to_store())
        .filter_map(|i| {
            let (value, _) = i.local.as_ref()?;
            let (url, body) = keyvault::set_secret_request(vault, &i.name, value).ok()?;
            let target = Target::VaultSecret {
                vault: vault.name().to_owned(),
                secret: i.name.as_str().to_owned(),
            };
            Some(Change {
                what: i.line(vault.name()),
                needs: target.needs(),
                requests: vec![Request {
                    method: "PUT",
                    url: url.to_string(),
                    body: Some(body),
                }],
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(local: Option<&str>, vault: Option<InVault>) -> Item {
        Item {
            field: FieldId::PgPassword,
            name: SecretName::parse("lakekeeper-postgres-password").expect("name"),
            key: "POSTGRES_PASSWORD",
            local: local.map(|v| (Secret::new(v), "backend/.env".to_owned())),
            vault,
        }
    }

    #[test]
    fn only_missing_or_different_secrets_are_stored_and_values_stay_masked() {
        let local = Secret::new("fake-local-password-0001");
        let nf = KvError::NotFound {
            vault: "v".into(),
            secret: "s".into(),
        };
        assert_eq!(compare(&local, &Ok(local.clone())), Ok(InVault::Same));
        assert_eq!(
            compare(&local, &Ok(Secret::new("fake-other-password-02"))),
            Ok(InVault::Differs)
        );
        assert_eq!(compare(&local, &Err(nf)), Ok(InVault::Missing));
        let rbac = KvError::Rbac {
            vault: "v".into(),
            secret: "s".into(),
            who: "u".into(),
        };
        assert!(compare(&local, &Err(rbac)).is_err());

        let vault = VaultUrl::parse("https://team-dev-kv.vault.azure.net").expect("vault");
        let items = [
            item(Some("fake-local-password-0001"), Some(InVault::Same)),
            item(Some("fake-local-password-0001"), Some(InVault::Differs)),
            item(None, None),
        ];
        let c = changes(&vault, &items);
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].requests[0].url,
            "https://team-dev-kv.vault.azure.net/secrets/lakekeeper-postgres-password?api-version=7.5"
        );
        assert!(
            c[0].what
                .contains("••••0001 from backend/.env as a new version"),
            "{}",
            c[0].what
        );
        assert!(
            c[0].needs
                .starts_with("Key Vault Secrets Officer on vault team-dev-kv")
        );
        let text = super::super::change::dry_run_text(&c);
        assert!(!text.contains("fake-local-password"), "{text}");
        assert!(items[2].line("team-dev-kv").contains("skipped"));
    }
}
