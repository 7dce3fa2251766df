//! The team's Key Vault as an answer layer for `apply`, `verify` and the wizard's pre-fill:
//! reads the profile's `[secrets]` table, asks the Azure CLI for a Key Vault token and reads the
//! named secrets, all before the command's own work.
//!
//! A vault that cannot be read (no `az`, not signed in, no role, firewall) never stops a
//! command by itself: each failure becomes a warning naming the vault, the secret and the fix,
//! and a secret that is then missing is reported by validation as usual.

use std::collections::BTreeMap;

use super::Project;
use crate::azure::secrets::{self, SecretsSpec, SpecProblem, VaultRead};
use crate::azure::{ListError, Session};
use crate::model::{Answers, FieldId, Source};

/// Which named secrets to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Only those the environment does not already set (it wins anyway).
    NotInEnvironment,
    /// All of them (`verify` compares each with `.env`).
    All,
}

/// What the vault gave.
#[derive(Debug, Default)]
pub struct VaultLayer {
    pub spec: Option<SecretsSpec>,
    /// The values read (source `KeyVault`).
    pub answers: Answers,
    pub reads: Vec<VaultRead>,
    /// One line per failure (the vault, the secret, the fix).
    pub warnings: Vec<String>,
}

impl VaultLayer {
    pub fn vault_name(&self) -> Option<&str> {
        self.spec.as_ref().map(|s| s.vault.name())
    }
}

/// The `[secrets]` table of the project's profile, checked.
pub fn spec(project: &Project) -> Result<Option<SecretsSpec>, Vec<SpecProblem>> {
    project
        .profile_text
        .as_deref()
        .map_or(Ok(None), secrets::spec)
}

/// Reads the vault the profile names (nothing when it names none, or when every named secret is
/// already set in the environment and `want` is `NotInEnvironment`).
pub fn read(
    project: &Project,
    process_env: &BTreeMap<String, String>,
    want: Want,
) -> Result<VaultLayer, Vec<SpecProblem>> {
    let Some(spec) = spec(project)? else {
        return Ok(VaultLayer::default());
    };
    let without_vault = project.answers(process_env);
    let fields: Vec<FieldId> = spec
        .names
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| want == Want::All || without_vault.source(*f) != Some(Source::Environment))
        .collect();
    let mut layer = VaultLayer {
        spec: Some(spec),
        ..VaultLayer::default()
    };
    let Some(spec) = layer.spec.as_ref() else {
        return Ok(layer);
    };
    if fields.is_empty() {
        return Ok(layer);
    }
    let name = spec.vault.name().to_owned();
    let waiting = format!(
        "reading {} secret(s) from Key Vault {name} through the Azure CLI",
        fields.len()
    );
    let tenant = without_vault.get(FieldId::Tenant).map(str::to_owned);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let outcome = match runtime {
        Ok(rt) => rt.block_on(spinning(&waiting, async {
            let session = Session::from_az(tenant.as_deref()).await?;
            Ok::<_, ListError>(secrets::fetch(&session, spec, &fields).await)
        })),
        Err(e) => Err(ListError::Failed(e.to_string())),
    };
    match outcome {
        Ok(reads) => {
            let (answers, errors) = secrets::answers(&reads);
            layer.answers = answers;
            layer.warnings = errors;
            layer.reads = reads;
        }
        Err(e) => layer.warnings.push(format!(
            "Key Vault {name} was not read: {}",
            e.to_string().trim_start_matches("Azure assist off: ")
        )),
    }
    Ok(layer)
}

/// Runs `work`; meanwhile, on a terminal, shows `what` on stderr with a turning spinner and the
/// seconds waited (the Azure CLI often takes ten seconds and more), cut to the terminal's width,
/// and clears that line when `work` is done. Without a terminal it prints nothing.
pub(crate) async fn spinning<T>(what: &str, work: impl std::future::Future<Output = T>) -> T {
    let line = crate::output::progress::spinner(
        &format!("{what}… (the Azure CLI often takes 10 s or more)"),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let out = work.await;
    line.finish_and_clear();
    out
}
