//! `lakekeeper-setup azure store-secrets`: the team lead publishes the setup's secrets once.
//! For each secret the profile's `[secrets]` table names, this machine's value (environment,
//! else `backend/.env`) is compared with the vault's; those missing or different there are
//! shown (masked) with the right the write needs, and after one question each is stored as a
//! new version (`PUT`, api-version 7.5). Values never reach the screen, a log or a command line.

use std::collections::BTreeMap;

use super::common::{self, Go};
use crate::azure::consent::{self, Refusal, Target};
use crate::azure::keyvault::{self, KvError};
use crate::azure::publish::{self, Item};
use crate::azure::secrets;
use crate::cli::{AzureWriteArgs, Paths};
use crate::commands::{Exit, RunError, vault};
use crate::model::{FieldId, Source};
use crate::output::Style;
use crate::secret::Secret;

const NO_TABLE: &str = "the profile (lakekeeper-setup.toml) names no Key Vault: add a [secrets] table with the vault and the secrets' names, e.g.\n  [secrets]\n  vault = \"https://team-dev-kv.vault.azure.net\"\n  backend_client_secret = \"lakekeeper-backend-client-secret\"\n  postgres_password = \"lakekeeper-postgres-password\"\n  encryption_key = \"lakekeeper-encryption-key\"";

fn origin(source: Source) -> String {
    match source {
        Source::Environment => "the environment".into(),
        Source::EnvFile => "backend/.env".into(),
        other => other.to_string(),
    }
}

/// A read that failed other than "no such secret", as a refusal naming what writing needs.
fn read_refusal(e: &KvError, user: &str) -> Refusal {
    match e {
        KvError::Rbac { vault, secret, .. } => Refusal {
            what: format!(
                "reading secret {secret} in Key Vault {vault} was refused: {user} may not read or write its secrets (the vault uses Azure RBAC)"
            ),
            fix: Some(format!(
                "ask its owner for Key Vault Secrets Officer (it reads and writes): az role assignment create --role \"Key Vault Secrets Officer\" --assignee {user} --scope <the vault's resource ID>"
            )),
        },
        KvError::AccessPolicy { vault, secret, .. } => Refusal {
            what: format!(
                "reading secret {secret} in Key Vault {vault} was refused by its access policy"
            ),
            fix: Some(format!(
                "ask its owner: az keyvault set-policy --name {vault} --upn {user} --secret-permissions get list set"
            )),
        },
        other => Refusal {
            what: other.to_string(),
            fix: None,
        },
    }
}

pub fn run(
    paths: &Paths,
    args: &AzureWriteArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let (project, answers) = common::load(paths, process_env)?;
    let spec = match vault::spec(&project) {
        Ok(Some(s)) => s,
        Ok(None) => return Err(RunError::Usage(NO_TABLE.into())),
        Err(problems) => {
            for p in problems {
                eoutln!("{} {p}", Style::stderr().red("error:"));
            }
            return Ok(Exit::Problems);
        }
    };
    if spec.names.is_empty() {
        return Err(RunError::Usage(format!(
            "the [secrets] table names vault {} but no secret; add the names to store (backend_client_secret, postgres_password, …)",
            spec.vault.name()
        )));
    }
    let mut items: Vec<Item> = spec
        .names
        .iter()
        .map(|(field, name)| Item {
            field: *field,
            name: name.clone(),
            key: field.env_key().unwrap_or("?"),
            local: answers
                .answer(*field)
                .filter(|a| !a.value.is_empty())
                .map(|a| (a.value.clone(), origin(a.source))),
            vault: None,
        })
        .collect();
    let with_value: Vec<FieldId> = items
        .iter()
        .filter(|i| i.local.is_some())
        .map(|i| i.field)
        .collect();
    let vault_name = spec.vault.name().to_owned();
    let rt = common::runtime()?;
    rt.block_on(async {
        let session = common::session(&answers).await?;
        let who = common::who(&session);
        if !with_value.is_empty() {
            let reads = secrets::fetch(&session, &spec, &with_value).await;
            for item in &mut items {
                let (Some((local, _)), Some(read)) = (
                    &item.local,
                    reads.iter().find(|r| r.field == item.field),
                ) else {
                    continue;
                };
                match publish::compare(local, &read.result) {
                    Ok(state) => item.vault = Some(state),
                    Err(e) => {
                        common::refused(&read_refusal(&e, &who.user));
                        return Ok(Exit::Problems);
                    }
                }
            }
        }
        let exists: Vec<String> = items
            .iter()
            .filter(|i| !i.to_store())
            .map(|i| i.line(&vault_name))
            .collect();
        let changes = publish::changes(&spec.vault, &items);
        let title = format!("Secrets named in [secrets], Key Vault {vault_name}:");
        let notes = if changes.is_empty() && with_value.is_empty() {
            vec!["No secret to store: none of them is set here.".to_owned()]
        } else if changes.is_empty() {
            vec!["The vault holds every value already.".to_owned()]
        } else {
            Vec::new()
        };
        if let Go::Stop(exit) = common::plan_and_confirm(
            &title,
            &exists,
            &changes,
            &notes,
            args,
            &format!("Store {} secret(s) in Key Vault {vault_name}?", changes.len()),
        ) {
            return Ok(exit);
        }
        for item in items.iter().filter(|i| i.to_store()) {
            let Some((value, _)) = &item.local else { continue };
            let value: &Secret = value;
            common::progress(&format!("storing {} in {vault_name}", item.name.as_str()));
            if let Err(e) = keyvault::set_secret(&session, &spec.vault, &item.name, value).await {
                let target = Target::VaultSecret {
                    vault: vault_name.clone(),
                    secret: item.name.as_str().to_owned(),
                };
                common::refused(&consent::explain(&target, &who, &e));
                return Ok(Exit::Problems);
            }
            outln!("stored {} ({}) in Key Vault {vault_name}", item.name.as_str(), item.key);
        }
        outln!(
            "Everyone else on the team: `az login`, then `lakekeeper-setup apply --yes` (or the wizard) reads these from the vault."
        );
        Ok(Exit::Ok)
    })
}
