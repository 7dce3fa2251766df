//! The chart's silent traps, checked on a values file's text: the embedded database left on,
//! a generated encryption key, a password in the file, an audience with a space, a provider URI
//! with the discovery suffix. Run on every generated file (it must be clean) and on a values
//! file of the user's that `export` would replace.

use std::fmt;

use yaml_rust2::{Yaml, YamlLoader};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The dotted values path.
    pub path: &'static str,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn at<'a>(doc: &'a Yaml, path: &str) -> &'a Yaml {
    path.split('.').fold(doc, |node, key| &node[key])
}

fn text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// Everything in `text` that would deploy something other than what the user expects.
pub fn lint_values(source: &str) -> Vec<Finding> {
    let doc = match YamlLoader::load_from_str(source) {
        Ok(docs) => docs.into_iter().next().unwrap_or(Yaml::Null),
        Err(e) => {
            return vec![Finding {
                path: "(file)",
                message: format!("is not valid YAML: {e}"),
            }];
        }
    };
    let mut out = Vec::new();
    let mut push = |path: &'static str, message: &str| {
        out.push(Finding {
            path,
            message: message.to_owned(),
        });
    };
    if at(&doc, "postgresql.enabled") != &Yaml::Boolean(false) {
        push(
            "postgresql.enabled",
            "is not false: the chart deploys its embedded PostgreSQL and silently ignores externalDatabase",
        );
    }
    if text(at(&doc, "secretBackend.postgres.encryptionKeySecret")).is_none() {
        push(
            "secretBackend.postgres.encryptionKeySecret",
            "is empty: the chart generates the encryption key, a new one on every offline render (helm template, Argo CD, Flux), and stored credentials become unreadable",
        );
    }
    if text(at(&doc, "externalDatabase.password")).is_some() {
        push(
            "externalDatabase.password",
            "holds the password in the values file; use passwordSecret",
        );
    } else if text(at(&doc, "externalDatabase.passwordSecret")).is_none() {
        push(
            "externalDatabase.passwordSecret",
            "is empty: Lakekeeper connects without a password",
        );
    }
    if let Some(aud) = text(at(&doc, "auth.oauth2.audience"))
        && aud.contains(char::is_whitespace)
    {
        push(
            "auth.oauth2.audience",
            "contains a space: Lakekeeper splits on `,` without trimming, so that audience never matches",
        );
    }
    match text(at(&doc, "auth.oauth2.providerUri")) {
        None => push(
            "auth.oauth2.providerUri",
            "is empty: the chart then writes no OIDC settings and Lakekeeper accepts no token",
        ),
        Some(p)
            if p.trim_end_matches('/')
                .ends_with("/.well-known/openid-configuration") =>
        {
            push(
                "auth.oauth2.providerUri",
                "ends in /.well-known/openid-configuration, which Lakekeeper appends itself",
            );
        }
        Some(_) => {}
    }
    let config_pg = [
        "LAKEKEEPER__PG_PASSWORD",
        "LAKEKEEPER__PG_ENCRYPTION_KEY",
        "LAKEKEEPER__PG_DATABASE_URL_READ",
        "LAKEKEEPER__PG_DATABASE_URL_WRITE",
    ];
    if config_pg
        .iter()
        .any(|k| text(&doc["catalog"]["config"][*k]).is_some())
    {
        push(
            "catalog.config",
            "holds a PostgreSQL password, URL or the encryption key in plain text; they belong in a Secret",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "postgresql:\n  enabled: false\nexternalDatabase:\n  passwordSecret: s\nsecretBackend:\n  postgres:\n    encryptionKeySecret: s\nauth:\n  oauth2:\n    providerUri: https://login.microsoftonline.com/t/v2.0\n    audience: api://x,y\n";

    #[test]
    fn a_clean_file_has_no_findings() {
        assert_eq!(lint_values(GOOD), Vec::new());
    }

    #[test]
    fn each_trap_is_named() {
        for (from, to, path) in [
            ("enabled: false", "enabled: true", "postgresql.enabled"),
            ("postgresql:\n  enabled: false\n", "", "postgresql.enabled"),
            (
                "encryptionKeySecret: s",
                "encryptionKeySecret: \"\"",
                "secretBackend.postgres.encryptionKeySecret",
            ),
            (
                "passwordSecret: s",
                "password: fake",
                "externalDatabase.password",
            ),
            (
                "audience: api://x,y",
                "audience: api://x, y",
                "auth.oauth2.audience",
            ),
            (
                "v2.0\n",
                "v2.0/.well-known/openid-configuration\n",
                "auth.oauth2.providerUri",
            ),
        ] {
            let bad = GOOD.replace(from, to);
            assert_ne!(bad, GOOD);
            let f = lint_values(&bad);
            assert!(f.iter().any(|f| f.path == path), "{path}: {f:?}");
        }
    }
}
