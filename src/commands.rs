//! The commands: each reads the files once (`Project::load`), runs the pure core, and maps the
//! outcome to an exit code. Shared by the non-interactive commands and the wizard's driver.

pub mod appid;
pub mod apply;
pub mod azure;
pub mod check;
pub mod export;
pub mod shell;
pub mod vault;
pub mod verify;
pub mod wizard;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use crate::cli::Paths;
use crate::envfile::EnvFile;
use crate::model::{Answers, FieldId, Source};
use crate::{keys, plan, profile, resolve};

/// Documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Problems = 1,
    CouldNotRun = 2,
    Cancelled = 130,
}

/// A failure that stops a command before it could do its job (exit 2, or 1 for bad values).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error(transparent)]
    Profile(#[from] profile::ProfileError),
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    Apply(#[from] crate::apply::ApplyError),
    #[error("{0}")]
    Usage(String),
}

impl RunError {
    pub fn exit(&self) -> Exit {
        match self {
            RunError::Profile(_) | RunError::Plan(plan::PlanError::Quote { .. }) => Exit::Problems,
            _ => Exit::CouldNotRun,
        }
    }
}

pub fn read_optional(path: &Path) -> Result<Option<String>, RunError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| RunError::Parse {
                path: path.display().to_string(),
                message: "is not UTF-8 text".into(),
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(RunError::Read {
            path: path.display().to_string(),
            source: e,
        }),
    }
}

/// The project's files as found.
#[derive(Debug, Clone)]
pub struct Project {
    pub paths: Paths,
    pub env_text: Option<String>,
    pub env: EnvFile,
    pub override_text: Option<String>,
    pub base_text: Option<String>,
    pub profile_text: Option<String>,
    pub profile: Answers,
}

impl Project {
    pub fn load(paths: &Paths) -> Result<Project, RunError> {
        let env_text = read_optional(&paths.env)?;
        let env =
            EnvFile::parse(env_text.as_deref().unwrap_or("")).map_err(|e| RunError::Parse {
                path: paths.env.display().to_string(),
                message: e.to_string(),
            })?;
        let override_text = read_optional(&paths.override_file)?;
        let base_text = match &paths.base_compose {
            Some(p) => read_optional(p)?,
            None => None,
        };
        let profile_text = read_optional(&paths.profile)?;
        let profile = match &profile_text {
            Some(t) => profile::read(t)?,
            None => Answers::default(),
        };
        Ok(Project {
            paths: paths.clone(),
            env_text,
            env,
            override_text,
            base_text,
            profile_text,
            profile,
        })
    }

    /// Every key of the `.env` with its effective value.
    pub fn env_map(&self) -> BTreeMap<String, String> {
        self.env
            .entries()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect()
    }

    /// Answers in order of precedence: environment, profile, existing `.env`, the compose
    /// override (for the image, which only it holds).
    pub fn answers(&self, process_env: &BTreeMap<String, String>) -> Answers {
        self.answers_with_vault(process_env, &Answers::default())
    }

    /// Answers in order of precedence: environment, profile, Key Vault (`vault`: the secrets read
    /// from the team's vault), existing `.env`, the compose override (for the image, which only
    /// it holds). The profile never holds a secret, so for secrets this is "environment > Key
    /// Vault > .env".
    pub fn answers_with_vault(
        &self,
        process_env: &BTreeMap<String, String>,
        vault: &Answers,
    ) -> Answers {
        let from_env = resolve::from_map(
            &resolve::relevant_env(process_env.clone().into_iter()),
            Source::Environment,
        );
        let from_file = self.env_answers();
        let from_override = self
            .override_text
            .as_deref()
            .map(resolve::from_override)
            .unwrap_or_default();
        resolve::merge(&[&from_env, &self.profile, vault, &from_file, &from_override])
    }

    /// The answers the existing `.env` alone gives.
    pub fn env_answers(&self) -> Answers {
        resolve::from_map(&self.env_map(), Source::EnvFile)
    }

    pub fn plan_inputs(&self, save_profile: bool) -> plan::Inputs {
        plan::Inputs {
            env_path: self.paths.env.clone(),
            env_text: self.env_text.clone(),
            override_path: self.paths.override_file.clone(),
            override_text: self.override_text.clone(),
            profile_path: self.paths.profile.clone(),
            profile_text: self.profile_text.clone(),
            save_profile,
            production: None,
        }
    }

    /// The existing encryption key in `.env`, if any.
    pub fn existing_key(&self) -> Option<&str> {
        self.env.get(keys::ENCRYPTION_KEY).filter(|v| !v.is_empty())
    }
}

/// What to do about the encryption key, decided before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyDecision {
    /// Keep what the answers hold (the existing key, or one from the environment when none
    /// existed).
    Keep,
    /// Generate a new key (none existed and `--generate-key`, or `--rotate-key` without a new
    /// key in the environment).
    Generate,
    /// Refused: an existing key would be replaced without `--rotate-key`.
    Refuse(String),
}

/// Never replaces an existing key silently: reference §2 — a changed key makes stored
/// warehouse secrets unreadable and there is no rotation.
pub fn decide_key(
    existing: Option<&str>,
    answers: &Answers,
    generate: bool,
    rotate: bool,
) -> KeyDecision {
    // A key from the team's Key Vault is treated like one from the environment: it may not
    // silently replace a different key already in `.env` either.
    let source = answers.source(FieldId::EncryptionKey);
    let from_env = matches!(source, Some(Source::Environment | Source::KeyVault))
        .then(|| answers.get(FieldId::EncryptionKey))
        .flatten();
    let place = if source == Some(Source::KeyVault) {
        "from Key Vault"
    } else {
        "in the environment"
    };
    match (existing, from_env) {
        (Some(old), Some(new)) if old != new && !rotate => KeyDecision::Refuse(format!(
            "{} {place} differs from the key already in .env; replacing it makes every warehouse secret stored with the old key unreadable. Pass --rotate-key only if no warehouse exists yet (or you accept re-entering their credentials)",
            keys::ENCRYPTION_KEY
        )),
        (Some(_), None) if rotate => KeyDecision::Generate,
        (None, None) if generate || rotate => KeyDecision::Generate,
        _ => KeyDecision::Keep,
    }
}
