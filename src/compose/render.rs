//! Fills the reviewed template `assets/compose/override.yml` from an [`OverrideSpec`], and
//! builds the same two services as a `Yaml` value so the output can be checked against what
//! was intended. Pure: no I/O, and never a secret value (only `${VAR}` references).

use yaml_rust2::Yaml;
use yaml_rust2::yaml::Hash;

use super::{ComposeError, MANAGED_SERVICES, OverrideSpec};

const TEMPLATE: &str = include_str!("../../assets/compose/override.yml");
const SERVICES_LINE: &str = "services:";
/// The template's indentation step; output is re-indented to the file's own step.
const TEMPLATE_UNIT: usize = 2;

pub(crate) const HEALTHCHECK: [&str; 4] = ["CMD", "/home/nonroot/lakekeeper", "healthcheck", "-s"];

/// The header comment lines (without line ends), ending with the blank line before `services:`.
pub(crate) fn header_lines() -> Vec<&'static str> {
    TEMPLATE
        .lines()
        .take_while(|l| *l != SERVICES_LINE)
        .collect()
}

/// How every header this tool writes begins (the template's first line starts with it), so a
/// header from an older version with other wording is still recognised and replaced.
pub(crate) const HEADER_MARKER: &str = "# Managed by lakekeeper-setup";

/// The two managed services as lines (without line ends), for a `services:` mapping whose
/// entries are indented by `unit` spaces.
pub(crate) fn service_lines(spec: &OverrideSpec, unit: usize) -> Result<Vec<String>, ComposeError> {
    check_spec(spec)?;
    let mut out = Vec::new();
    for line in TEMPLATE.lines().skip_while(|l| *l != SERVICES_LINE).skip(1) {
        let trimmed = line.trim_start();
        let level = (line.len() - trimmed.len()) / TEMPLATE_UNIT;
        let indent = " ".repeat(level * unit);
        let keys = match trimmed {
            "{{lakekeeper_environment}}" => Some(&spec.lakekeeper_env),
            "{{migrate_environment}}" => Some(&spec.migrate_env),
            _ => None,
        };
        if let Some(keys) = keys {
            out.extend(keys.iter().map(|k| format!("{indent}{k}: ${{{k}}}")));
        } else if trimmed.is_empty() {
            out.push(String::new());
        } else {
            let filled = trimmed
                .replace("{{image}}", &spec.image)
                .replace("{{host_port}}", &spec.host_port.to_string());
            out.push(format!("{indent}{filled}"));
        }
    }
    Ok(out)
}

/// What the two services must parse to, built independently of the template text.
pub(crate) fn expected_services(spec: &OverrideSpec) -> [(String, Yaml); 2] {
    let s = |v: &str| Yaml::String(v.to_owned());
    let seq = |items: &[&str]| Yaml::Array(items.iter().map(|i| s(i)).collect());
    let map = |pairs: Vec<(&str, Yaml)>| {
        Yaml::Hash(pairs.into_iter().map(|(k, v)| (s(k), v)).collect::<Hash>())
    };
    let env = |keys: &[String]| {
        Yaml::Hash(
            keys.iter()
                .map(|k| (s(k), s(&format!("${{{k}}}"))))
                .collect::<Hash>(),
        )
    };
    let serve = map(vec![
        ("image", s(&spec.image)),
        ("command", seq(&["serve"])),
        ("environment", env(&spec.lakekeeper_env)),
        ("ports", seq(&[&format!("{}:8181", spec.host_port)])),
        (
            "healthcheck",
            map(vec![
                ("test", seq(&HEALTHCHECK)),
                ("interval", s("10s")),
                ("timeout", s("5s")),
                ("retries", Yaml::Integer(5)),
                ("start_period", s("30s")),
            ]),
        ),
        (
            "depends_on",
            map(vec![(
                MANAGED_SERVICES[1],
                map(vec![("condition", s("service_completed_successfully"))]),
            )]),
        ),
    ]);
    let migrate = map(vec![
        ("image", s(&spec.image)),
        ("command", seq(&["migrate"])),
        ("environment", env(&spec.migrate_env)),
        ("restart", s("no")),
    ]);
    [
        (MANAGED_SERVICES[0].to_owned(), serve),
        (MANAGED_SERVICES[1].to_owned(), migrate),
    ]
}

/// True when every `$` in `text` starts a `${NAME}` reference: generated text never carries a
/// literal `$`, which Compose would try to interpolate.
pub(crate) fn dollars_are_references(text: &str) -> bool {
    text.match_indices('$').all(|(i, _)| {
        let rest = &text[i + 1..];
        rest.strip_prefix('{')
            .and_then(|r| r.split_once('}'))
            .is_some_and(|(name, _)| is_env_key(name))
    })
}

fn is_env_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_spec(spec: &OverrideSpec) -> Result<(), ComposeError> {
    let image_ok =
        spec.image
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && spec.image.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@')
            });
    if !image_ok {
        return Err(ComposeError::InvalidSpec {
            field: "image",
            value: spec.image.clone(),
            reason: "is not an image reference (letters, digits and . _ - / : @ only)".to_owned(),
            fix: format!(
                "use a pinned release, e.g. {}",
                crate::strings::DEFAULT_IMAGE
            ),
        });
    }
    if spec.host_port == 0 {
        return Err(ComposeError::InvalidSpec {
            field: "host port",
            value: "0".to_owned(),
            reason: "is not a usable port".to_owned(),
            fix: "take the port from the base URI, e.g. 8181 for http://localhost:8181".to_owned(),
        });
    }
    for (service, keys) in [
        (MANAGED_SERVICES[0], &spec.lakekeeper_env),
        (MANAGED_SERVICES[1], &spec.migrate_env),
    ] {
        if keys.is_empty() {
            return Err(ComposeError::InvalidSpec {
                field: "environment",
                value: service.to_owned(),
                reason: "has no keys".to_owned(),
                fix: "pass at least the database keys the service needs".to_owned(),
            });
        }
        for (i, key) in keys.iter().enumerate() {
            if !is_env_key(key) || keys[..i].contains(key) {
                return Err(ComposeError::InvalidSpec {
                    field: "environment key",
                    value: key.clone(),
                    reason: format!("is not a valid, unique variable name for `{service}`"),
                    fix: "use each name once, made of letters, digits and _".to_owned(),
                });
            }
        }
    }
    Ok(())
}
