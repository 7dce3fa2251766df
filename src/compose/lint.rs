//! `check`'s view of a compose file (base or override): the known ways the `lakekeeper`
//! service goes wrong. Reads text only; never prints or returns an environment value that
//! could be a secret (findings name the key, not the value).

use super::tree::{self, Kind, Node};
use super::{ComposeError, ComposeFinding, MANAGED_SERVICES, Severity, render};
use crate::strings::DEFAULT_IMAGE;

const SERVICE: &str = MANAGED_SERVICES[0];

/// Lint a compose file's lakekeeper service (base or override) for `check`.
/// A file without a `lakekeeper` service has nothing to report.
pub fn lint(text: &str) -> Result<Vec<ComposeFinding>, ComposeError> {
    let a = analyse(text)?;
    let Some(line) = a.lakekeeper_line else {
        return Ok(Vec::new());
    };
    let mut out: Vec<ComposeFinding> = a.findings.into_iter().map(|(_, f)| f).collect();
    if !a.has_migrate {
        out.push(migrate_finding(line));
    }
    Ok(out)
}

/// Which file a finding of [`lint_merged`] is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeFile {
    Base,
    Override,
}

/// Lint what Compose actually runs when `override_text` is layered over `base`: a base finding
/// the override fixes (it sets the image, the healthcheck test, or that environment key) is
/// dropped, and the migrate service may be in either file.
pub fn lint_merged(
    base: &str,
    override_text: &str,
) -> Result<Vec<(ComposeFile, ComposeFinding)>, ComposeError> {
    let b = analyse(base)?;
    let o = analyse(override_text)?;
    let mut out = Vec::new();
    for (setting, finding) in b.findings {
        let fixed = match &setting {
            Setting::Image => o.sets_image,
            Setting::HealthTest => o.sets_health_test,
            Setting::Env(key) => o.env_keys.contains(key),
        };
        if !fixed {
            out.push((ComposeFile::Base, finding));
        }
    }
    out.extend(
        o.findings
            .into_iter()
            .map(|(_, f)| (ComposeFile::Override, f)),
    );
    if !(b.has_migrate || o.has_migrate) {
        let at = b.lakekeeper_line.map(|l| (ComposeFile::Base, l));
        if let Some((file, line)) = at.or(o.lakekeeper_line.map(|l| (ComposeFile::Override, l))) {
            out.push((file, migrate_finding(line)));
        }
    }
    Ok(out)
}

/// What one file says about the `lakekeeper` service, and what is wrong with it.
#[derive(Default)]
struct Analysis {
    /// Line of the `lakekeeper:` key; `None` when the file has no such service.
    lakekeeper_line: Option<usize>,
    sets_image: bool,
    sets_health_test: bool,
    env_keys: Vec<String>,
    has_migrate: bool,
    findings: Vec<(Setting, ComposeFinding)>,
}

/// The setting a finding is about, so a later file that sets it can be seen to fix it.
enum Setting {
    Image,
    HealthTest,
    Env(String),
}

fn analyse(text: &str) -> Result<Analysis, ComposeError> {
    let docs = tree::parse(text).map_err(|e| ComposeError::Unparseable {
        detail: e.to_string(),
    })?;
    let services = docs.first().and_then(|root| root.get("services"));
    let entries = services.and_then(Node::entries).unwrap_or_default();
    let mut a = Analysis {
        has_migrate: entries.iter().any(|(_, s)| runs_migrate(s)),
        ..Analysis::default()
    };
    let Some((key, lk)) = entries.iter().find(|(k, _)| k.scalar() == Some(SERVICE)) else {
        return Ok(a);
    };
    a.lakekeeper_line = Some(key.line);
    if let Some(image) = lk.get("image") {
        a.sets_image = true;
        a.findings
            .extend(image_finding(image).map(|f| (Setting::Image, f)));
    }
    if let Some(test) = lk.get("healthcheck").and_then(|h| h.get("test")) {
        a.sets_health_test = true;
        a.findings
            .extend(healthcheck_finding(test).map(|f| (Setting::HealthTest, f)));
    }
    for (name, value, line) in environment(lk) {
        let finding = env_finding(&name, value.as_deref(), line);
        a.findings
            .extend(finding.map(|f| (Setting::Env(name.clone()), f)));
        a.env_keys.push(name);
    }
    Ok(a)
}

fn migrate_finding(line: usize) -> ComposeFinding {
    ComposeFinding {
        severity: Severity::Warning,
        line: Some(line),
        message: format!(
            "no one-shot migrate service: `{SERVICE}` can start before its tables exist in \
             PostgreSQL, or on an old schema after an upgrade"
        ),
        fix: format!(
            "add a service running the same image with `command: [\"migrate\"]` and make `{SERVICE}` \
             depend on it with `condition: service_completed_successfully` (lakekeeper-setup's \
             override does both)"
        ),
    }
}

fn image_finding(image: &Node) -> Option<ComposeFinding> {
    let name = image.scalar()?;
    if name.contains('$') || name.contains('@') {
        return None; // interpolated (cannot tell) or pinned by digest
    }
    let tag = name
        .rsplit('/')
        .next()
        .and_then(|last| last.split_once(':'))
        .map(|(_, t)| t);
    let why = match tag {
        None => "has no tag, which means `latest`",
        Some("latest" | "latest-main") => "uses a moving tag",
        Some(_) => return None,
    };
    Some(ComposeFinding {
        severity: Severity::Warning,
        line: Some(image.line),
        message: format!("`{SERVICE}` image `{name}` {why}: it is not pinned to a release"),
        fix: format!("use `image: {DEFAULT_IMAGE}`"),
    })
}

fn healthcheck_finding(test: &Node) -> Option<ComposeFinding> {
    let words: Vec<&str> = match &test.kind {
        Kind::Scalar(s, _) => vec!["CMD-SHELL", s.as_str()],
        Kind::Seq(items) => items.iter().filter_map(Node::scalar).collect(),
        _ => return None,
    };
    let shell = words.first() == Some(&"CMD-SHELL");
    let tool = words
        .iter()
        .find_map(|w| ["curl", "wget"].into_iter().find(|t| w.contains(t)));
    let what = match (shell, tool) {
        (true, Some(t)) => format!("runs a shell command (`CMD-SHELL`) with `{t}`"),
        (true, None) => "runs a shell command (`CMD-SHELL`)".to_owned(),
        (false, Some(t)) => format!("runs `{t}`"),
        (false, None) => return None,
    };
    Some(ComposeFinding {
        severity: Severity::Error,
        line: Some(test.line),
        message: format!(
            "`{SERVICE}` healthcheck {what}, but the Lakekeeper image has no shell and no curl, \
             so the container never becomes healthy"
        ),
        fix: format!(
            "use `test: [{}]`",
            render::HEALTHCHECK.map(|w| format!("\"{w}\"")).join(", ")
        ),
    })
}

/// The service's environment as (key, value, line), from either the map or the list form.
fn environment(service: &Node) -> Vec<(String, Option<String>, usize)> {
    let Some(env) = service.get("environment") else {
        return Vec::new();
    };
    match &env.kind {
        Kind::Map(entries) => entries
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.scalar()?.to_owned(),
                    v.scalar().map(str::to_owned),
                    k.line,
                ))
            })
            .collect(),
        Kind::Seq(items) => items
            .iter()
            .filter_map(|item| {
                let s = item.scalar()?;
                let (k, v) = s
                    .split_once('=')
                    .map_or((s, None), |(k, v)| (k, Some(v.to_owned())));
                Some((k.to_owned(), v, item.line))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn env_finding(key: &str, value: Option<&str>, line: usize) -> Option<ComposeFinding> {
    let value = value.filter(|v| !v.is_empty())?;
    let refs = references(value);
    let upper = key.to_ascii_uppercase();
    let is_url_key = upper.contains("DATABASE_URL");
    if refs.is_empty() {
        let secret_key = crate::keys::looks_secret(key) || upper.contains("KEY");
        let url_with_password = is_url_key
            && value.split_once('@').is_some_and(|(u, _)| {
                u.contains("://") && u.rsplit("//").next().is_some_and(|ui| ui.contains(':'))
            });
        if !(secret_key || url_with_password) {
            return None;
        }
        return Some(ComposeFinding {
            severity: Severity::Error,
            line: Some(line),
            message: format!(
                "`{SERVICE}` environment sets `{key}` to a literal value: a secret in the compose \
                 file ends up in version control and in `docker compose config` output"
            ),
            fix: format!("put the value in .env and write `{key}: ${{{key}}}`"),
        });
    }
    let whole_reference = value.starts_with("${")
        && value.ends_with('}')
        && refs.len() == 1
        && value.matches('$').count() == 1;
    if !is_url_key || whole_reference || !value.contains("://") {
        return None;
    }
    let spliced = refs
        .iter()
        .map(|r| format!("${{{r}}}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sslmode = if value.contains("sslmode=") {
        ""
    } else {
        ", and it sets no sslmode"
    };
    Some(ComposeFinding {
        severity: Severity::Warning,
        line: Some(line),
        message: format!(
            "`{SERVICE}` builds `{key}` by splicing {spliced} into a URL: a user or password \
             containing @ : / ? # or % breaks it{sslmode}"
        ),
        fix: format!(
            "let lakekeeper-setup write a percent-encoded URL with sslmode=require to .env and \
             reference it whole: `{key}: ${{{key}}}`"
        ),
    })
}

/// Names of the variables `value` interpolates (`${NAME…}` or `$NAME`), in order; `$$` is a
/// literal dollar sign and interpolates nothing.
fn references(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            rest = stripped;
            continue;
        }
        let braced = after.strip_prefix('{');
        let from = braced.unwrap_or(after);
        let len = from
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(from.len());
        if len > 0 {
            out.push(&from[..len]);
        }
        rest = &from[len..];
    }
    out
}

fn runs_migrate(service: &Node) -> bool {
    match service.get("command").map(|c| &c.kind) {
        Some(Kind::Scalar(s, _)) => s.split_whitespace().next() == Some("migrate"),
        Some(Kind::Seq(items)) => items.first().and_then(Node::scalar) == Some("migrate"),
        _ => false,
    }
}
