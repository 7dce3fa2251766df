//! The Docker Compose override for Lakekeeper: renders the two managed services
//! (`lakekeeper`, `lakekeeper-migrate`) into a new or existing override file, and lints a compose
//! file's `lakekeeper` service for `check`.
//!
//! Pure text in, text out: this module never reads or writes files (apart from probing which
//! override file name exists) and never writes a secret value: every environment value is a
//! `${VAR}` reference that Compose resolves from `.env`. An existing override is changed only
//! in the managed services' lines; when that cannot be done safely it refuses and says why.

mod lint;
mod merge;
mod read;
mod render;
mod tree;

use std::fmt;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

pub use lint::{ComposeFile, lint, lint_merged};
pub use read::{LakekeeperService, lakekeeper_service};

/// The services this tool owns in the override file.
pub const MANAGED_SERVICES: [&str; 2] = ["lakekeeper", "lakekeeper-migrate"];

/// Override file names Compose loads beside the base file, in its order of preference.
pub const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// What goes into the managed services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideSpec {
    /// Pinned image, e.g. `quay.io/lakekeeper/catalog:v0.13.3`.
    pub image: String,
    /// Host port published for Lakekeeper's 8181 (from the base URI).
    pub host_port: u16,
    /// `.env` keys passed to the `lakekeeper` (serve) service, in output order.
    pub lakekeeper_env: Vec<String>,
    /// `.env` keys passed to `lakekeeper-migrate`, in output order.
    pub migrate_env: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("{field} `{value}` {reason}; {fix}")]
    InvalidSpec {
        field: &'static str,
        value: String,
        reason: String,
        fix: String,
    },
    #[error(
        "the compose file is not valid YAML: {detail}; fix it (or move it aside) and run again"
    )]
    Unparseable { detail: String },
    #[error(
        "cannot safely update the existing override file{}: {reason}; nothing was written. {fix}",
        line.map(|l| format!(" (line {l})")).unwrap_or_default()
    )]
    Refused {
        line: Option<usize>,
        reason: String,
        fix: String,
    },
    #[error(
        "the updated override file did not read back as intended ({detail}); nothing was written. \
         Move the existing override aside and run again, then copy your own services back"
    )]
    Verification { detail: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem `lint` found, with the 1-based line it is on when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeFinding {
    pub severity: Severity,
    pub line: Option<usize>,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for ComposeFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{severity}: {} (fix: {})", self.message, self.fix)
    }
}

/// Override path Compose would load from `backend_dir`: the first existing of
/// compose.override.yml, compose.override.yaml, docker-compose.override.yml,
/// docker-compose.override.yaml; else `backend_dir/docker-compose.override.yml`.
pub fn default_override_path(backend_dir: &Path) -> PathBuf {
    OVERRIDE_NAMES
        .iter()
        .map(|name| backend_dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| backend_dir.join(OVERRIDE_NAMES[2]))
}

/// New override text. `existing` = current override file content, if any.
///
/// Everything outside the two managed services is kept byte for byte; the result is re-read
/// and compared with the input before it is returned, and rendering the result again gives
/// the same text.
pub fn render_override(
    existing: Option<&str>,
    spec: &OverrideSpec,
) -> Result<String, ComposeError> {
    // A byte-order mark would end up inside the first key once the header goes before it.
    let existing = existing.unwrap_or_default();
    let existing = existing.strip_prefix('\u{feff}').unwrap_or(existing);
    let nl = if existing.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let body = strip_header(existing);
    let merged = merge::merge(body, spec, nl)?;
    let mut out = render::header_lines().join(nl);
    out.push_str(nl);
    out.push_str(&merged.text);
    if !render::dollars_are_references(&out[..out.len() - merged.text.len()])
        || !merged
            .inserted
            .iter()
            .all(|l| render::dollars_are_references(l))
    {
        return Err(ComposeError::Verification {
            detail: "generated text has a bare `$`".to_owned(),
        });
    }
    verify(body, &out, spec)?;
    Ok(out)
}

/// Drops a header this tool wrote earlier: from its first line through the first blank line.
fn strip_header(text: &str) -> &str {
    if !text.starts_with(render::HEADER_MARKER) {
        return text;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if line.trim().is_empty() {
            return &text[offset..];
        }
        if !line.starts_with('#') {
            // Not our header's shape after all (no blank line closes it): keep everything.
            return text;
        }
    }
    ""
}

/// Re-reads `out` and checks that everything but the managed services equals `before`, and that
/// the managed services are exactly what `spec` asks for.
fn verify(before: &str, out: &str, spec: &OverrideSpec) -> Result<(), ComposeError> {
    let fail = |detail: String| ComposeError::Verification { detail };
    let load = |text: &str| {
        YamlLoader::load_from_str(text)
            .map_err(|e| fail(format!("re-parse failed: {e}")))
            .map(|docs| docs.into_iter().next().unwrap_or(Yaml::Null))
    };
    let old = load(before)?;
    let new = load(out)?;
    let (Some(new_root), old_root) = (new.as_hash(), old.as_hash()) else {
        return Err(fail("the top level is not a mapping".to_owned()));
    };
    let key = |k: &str| Yaml::String(k.to_owned());
    let services = key("services");
    let mut old_keys: Vec<&Yaml> = old_root.map(|h| h.keys().collect()).unwrap_or_default();
    if !old_keys.contains(&&services) {
        old_keys.push(&services);
    }
    if new_root.keys().collect::<Vec<_>>() != old_keys {
        return Err(fail("top-level keys changed".to_owned()));
    }
    for (k, v) in old_root.into_iter().flatten() {
        if *k != services && new_root.get(k) != Some(v) {
            return Err(fail(format!("top-level key {k:?} changed")));
        }
    }
    let Some(new_services) = new_root.get(&services).and_then(Yaml::as_hash) else {
        return Err(fail("`services` is not a mapping".to_owned()));
    };
    let managed: Vec<Yaml> = MANAGED_SERVICES.iter().map(|s| key(s)).collect();
    let unmanaged = |h: &yaml_rust2::yaml::Hash| -> Vec<(Yaml, Yaml)> {
        h.iter()
            .filter(|(k, _)| !managed.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let old_services = old_root
        .and_then(|h| h.get(&services))
        .and_then(Yaml::as_hash);
    if unmanaged(new_services) != old_services.map(unmanaged).unwrap_or_default() {
        return Err(fail(
            "a service other than the managed ones changed".to_owned(),
        ));
    }
    for (name, want) in render::expected_services(spec) {
        if new_services.get(&key(&name)) != Some(&want) {
            return Err(fail(format!("service `{name}` is not what was intended")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
