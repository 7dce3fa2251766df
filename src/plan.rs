//! Plan: what would change, computed from a `SetupConfig` and the current file contents.
//!
//! Pure: takes text, returns text. The `.env` is edited (not regenerated) by `envfile`, the
//! result is re-read to prove every value reads back identically, and a key-level diff with
//! secrets masked is produced for dry runs and the wizard's review screen.

use std::path::PathBuf;

use similar::TextDiff;

use crate::compose::{self, OverrideSpec};
use crate::derive::{self, Derived};
use crate::envfile::{self, EnvFile};
use crate::keys as k;
use crate::model::{Answers, SetupConfig};
use crate::profile;
use crate::secret::mask;

/// The current contents of the files a plan touches (`None`: the file does not exist).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub env_path: PathBuf,
    pub env_text: Option<String>,
    pub override_path: PathBuf,
    pub override_text: Option<String>,
    pub profile_path: PathBuf,
    pub profile_text: Option<String>,
    /// Also write the non-secret answers to the profile.
    pub save_profile: bool,
    /// `[production]` keys to set in the profile (an empty value removes its key): the wizard's
    /// Production step. Never part of the `.env`.
    pub production: Option<crate::production::Raw>,
}

/// One file's before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePlan {
    pub path: PathBuf,
    pub before: Option<String>,
    pub after: String,
    /// The file holds secrets: written 0600 and never shown as text.
    pub secret: bool,
}

impl FilePlan {
    pub fn changes(&self) -> bool {
        self.before.as_deref() != Some(self.after.as_str())
    }

    /// A unified diff (only for files without secrets).
    pub fn text_diff(&self) -> Option<String> {
        if self.secret || !self.changes() {
            return None;
        }
        let before = self.before.as_deref().unwrap_or("");
        let name = self.path.display().to_string();
        Some(
            TextDiff::from_lines(before, &self.after)
                .unified_diff()
                .header(&format!("{name} (current)"), &format!("{name} (new)"))
                .to_string(),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Changed,
    Removed,
    Unchanged,
}

/// A key-level change; `before`/`after` are display forms (secrets masked).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyChange {
    pub key: String,
    pub kind: ChangeKind,
    pub before: Option<String>,
    pub after: Option<String>,
    pub secret: bool,
    pub why: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub env: FilePlan,
    pub compose: FilePlan,
    pub profile: Option<FilePlan>,
    pub changes: Vec<KeyChange>,
}

impl Plan {
    pub fn files(&self) -> impl Iterator<Item = &FilePlan> {
        [Some(&self.env), Some(&self.compose), self.profile.as_ref()]
            .into_iter()
            .flatten()
    }

    pub fn changes_anything(&self) -> bool {
        self.files().any(FilePlan::changes)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{path}: {source}")]
    EnvParse {
        path: String,
        source: envfile::ParseError,
    },
    #[error("{key}: {source}")]
    Quote {
        key: &'static str,
        source: envfile::QuoteError,
    },
    #[error("refusing to write: {0}")]
    RoundTrip(#[from] envfile::RoundTripError),
    #[error("{path}: {source}")]
    Compose {
        path: String,
        source: compose::ComposeError,
    },
    #[error(transparent)]
    Profile(#[from] profile::ProfileError),
    #[error(transparent)]
    Production(#[from] crate::production::ProductionError),
}

/// Keys Lakekeeper's containers need, referenced as `${KEY}` from the override.
pub fn override_spec(cfg: &SetupConfig, values: &[Derived]) -> OverrideSpec {
    let has = |key: &str| values.iter().any(|d| d.key == key);
    let db = [k::PG_URL_READ, k::PG_URL_WRITE, k::ENCRYPTION_KEY];
    let serve = db
        .iter()
        .chain(&[
            k::BASE_URI,
            k::PROVIDER_URI,
            k::AUDIENCE,
            k::ADDITIONAL_ISSUERS,
            k::SUBJECT_CLAIM,
            k::UI_CLIENT_ID,
            k::UI_SCOPE,
        ])
        .filter(|key| has(key))
        .map(|key| (*key).to_owned())
        .collect();
    OverrideSpec {
        image: cfg.image.clone(),
        host_port: cfg.host_port(),
        lakekeeper_env: serve,
        migrate_env: db.iter().map(|key| (*key).to_owned()).collect(),
    }
}

const REQUOTED: &str = "same value, re-quoted (or a duplicate removed) so Compose, python-dotenv and dotenvy all read it alike";

fn display(key: &str, value: &str) -> String {
    match key {
        k::PG_URL_READ | k::PG_URL_WRITE => derive::mask_pg_url(value),
        _ if k::is_secret_key(key) => mask(value),
        _ => value.to_owned(),
    }
}

/// Computes the plan. Fails (writing nothing) if the `.env` cannot be parsed, a value cannot be
/// quoted safely, the result would not read back identically, or the override cannot be merged.
pub fn plan(cfg: &SetupConfig, answers: &Answers, inputs: &Inputs) -> Result<Plan, PlanError> {
    let before = inputs.env_text.clone();
    let values = derive::env_values(cfg);
    let keys: Vec<&str> = values.iter().map(|d| d.key).collect();
    let text = before.as_deref().unwrap_or("");
    let (after, changes) = edit_env(cfg, &values, &keys, text, inputs)?;

    let compose_label = inputs.override_path.display().to_string();
    let override_after = compose::render_override(
        inputs.override_text.as_deref(),
        &override_spec(cfg, &values),
    )
    .map_err(|source| PlanError::Compose {
        path: compose_label,
        source,
    })?;

    let profile = if inputs.save_profile || inputs.production.is_some() {
        let mut after = if inputs.save_profile {
            profile::update(inputs.profile_text.as_deref(), answers)?
        } else {
            inputs.profile_text.clone().unwrap_or_default()
        };
        if let Some(values) = &inputs.production {
            after = crate::production::update(Some(&after), values)?;
        }
        Some(FilePlan {
            path: inputs.profile_path.clone(),
            before: inputs.profile_text.clone(),
            after,
            secret: false,
        })
    } else {
        None
    };

    Ok(Plan {
        env: FilePlan {
            path: inputs.env_path.clone(),
            before,
            after,
            secret: true,
        },
        compose: FilePlan {
            path: inputs.override_path.clone(),
            before: inputs.override_text.clone(),
            after: override_after,
            secret: false,
        },
        profile,
        changes,
    })
}

/// The `.env` part of [`plan`]: the edited text, checked, and the key-level changes.
fn edit_env(
    cfg: &SetupConfig,
    values: &[Derived],
    keys: &[&str],
    text: &str,
    inputs: &Inputs,
) -> Result<(String, Vec<KeyChange>), PlanError> {
    let mut file = EnvFile::parse(text).map_err(|source| PlanError::EnvParse {
        path: inputs.env_path.display().to_string(),
        source,
    })?;
    let mut changes = Vec::new();
    let mut sets = Vec::new();
    for (d, occurrences) in values.iter().zip(file.find(keys)) {
        let old = occurrences.last().map(|e| e.value);
        let rendered = envfile::quote_value(d.value.raw())
            .map_err(|source| PlanError::Quote { key: d.key, source })?;
        // A line that already says exactly this is left alone, byte for byte; a right value in
        // a form some reader would misread (e.g. `$` unquoted) is re-quoted.
        let untouched = matches!(occurrences.as_slice(), [only] if only.raw_value == rendered);
        if !untouched {
            sets.push((d.key, d.value.raw()));
        }
        let (kind, why) = match old {
            None => (ChangeKind::Added, d.why),
            Some(_) if untouched => (ChangeKind::Unchanged, d.why),
            Some(o) if o == d.value.raw() => (ChangeKind::Changed, Some(REQUOTED)),
            Some(_) => (ChangeKind::Changed, d.why),
        };
        changes.push(KeyChange {
            key: d.key.to_owned(),
            kind,
            before: old.map(|o| display(d.key, o)),
            after: Some(d.value.display()),
            secret: d.value.is_secret(),
            why,
        });
    }
    file.set_all(&sets).map_err(|e| PlanError::Quote {
        key: sets[e.index].0,
        source: e.source,
    })?;
    let stale = derive::keys_to_remove(cfg);
    for (key, occurrences) in stale.iter().zip(file.find(&stale)) {
        if let Some(old) = occurrences.last() {
            changes.push(KeyChange {
                key: (*key).to_owned(),
                kind: ChangeKind::Removed,
                before: Some(display(key, old.value)),
                after: None,
                secret: k::is_secret_key(key),
                why: (*key == k::OPENID_SCOPE)
                    .then_some("must not be set for Entra: Lakekeeper checks a `scope` claim Entra tokens do not have"),
            });
        }
    }
    file.remove_all(&stale);
    let after = file.render();
    let expected: Vec<(&str, &str)> = values.iter().map(|d| (d.key, d.value.raw())).collect();
    envfile::verify_round_trip(&after, &expected)?;
    Ok((after, changes))
}
