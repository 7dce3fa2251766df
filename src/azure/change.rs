//! What every Azure write command shares: a [`Change`] names the object it touches, the right it
//! needs and the request it sends; [`plan_text`] says all of that before anything runs,
//! [`dry_run_text`] prints the requests (secrets masked) instead of sending them, and [`confirm`]
//! asks once (or takes `--yes`). The commands build their own lists of changes; nothing here
//! sends a request.

use std::fmt::Write as _;
use std::io::IsTerminal;

use serde_json::Value;

/// JSON keys whose values are secrets in a request body. `value` only counts at the top level:
/// there it is Key Vault's set-secret body; nested it is a plain value (a server parameter's
/// `properties.value`, a scope's `value`) that a dry run must show.
pub const SECRET_KEYS: [&str; 4] = ["secretText", "value", "password", "clientSecret"];

/// Of [`SECRET_KEYS`], those masked only at the top of a body: Key Vault's `{"value": …}` is a
/// secret, a Graph scope's nested `"value": "lakekeeper"` is its name.
const TOP_LEVEL_ONLY: [&str; 1] = ["value"];

/// One request a change sends, for `--dry-run` (the URL may hold placeholders such as
/// `<appId of lakekeeper-api>` for IDs only known once an earlier step ran).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub body: Option<Value>,
}

/// One write: what it does, to what, and the right it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// "create app registration lakekeeper-api (Lakekeeper API)".
    pub what: String,
    /// "Application Developer role, or 'Users can register applications' in the tenant".
    pub needs: String,
    pub requests: Vec<Request>,
}

/// A copy of `body` with every value under a [`SECRET_KEYS`] key masked (`value` only at the
/// top level).
pub fn masked(body: &Value) -> Value {
    masked_at(body, 0)
}

fn masked_at(body: &Value, depth: usize) -> Value {
    match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let secret = SECRET_KEYS.contains(&k.as_str())
                        && (depth == 0 || !TOP_LEVEL_ONLY.contains(&k.as_str()));
                    let v = if secret && v.is_string() {
                        Value::String(crate::secret::mask(v.as_str().unwrap_or_default()))
                    } else {
                        masked_at(v, depth + 1)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| masked_at(v, depth + 1)).collect())
        }
        other => other.clone(),
    }
}

/// The plan: what already exists (one line each), then each change with the right it needs.
pub fn plan_text(exists: &[String], changes: &[Change]) -> String {
    let mut out = String::new();
    for line in exists {
        let _ = writeln!(out, "  exists:  {line}");
    }
    if changes.is_empty() {
        out.push_str("  nothing to change\n");
    }
    for (i, c) in changes.iter().enumerate() {
        let _ = writeln!(out, "  {}. {}\n     needs: {}", i + 1, c.what, c.needs);
    }
    out
}

/// `--dry-run`: every request the changes would send, bodies with secrets masked.
pub fn dry_run_text(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let _ = writeln!(out, "# {}", c.what);
        for r in &c.requests {
            let _ = writeln!(out, "{} {}", r.method, r.url);
            if let Some(body) = &r.body {
                let pretty = serde_json::to_string_pretty(&masked(body)).unwrap_or_default();
                let _ = writeln!(out, "{pretty}");
            }
        }
    }
    out
}

/// Whether to go ahead: `yes` does; on a terminal the user is asked once (default no); without a terminal and without `yes`, no, with a line saying to add
/// `--yes`.
pub fn confirm(question: &str, yes: bool) -> bool {
    if yes {
        crate::output::stdio::committed();
        return true;
    }
    if !std::io::stdin().is_terminal() {
        eoutln!(
            "Nothing changed: not on a terminal, so nobody could confirm. Run again with --yes to go ahead."
        );
        return false;
    }
    // inquire owns the terminal while it asks (raw mode, Esc), as every other question does.
    let go = inquire::Confirm::new(question)
        .with_default(false)
        .prompt()
        .unwrap_or(false);
    if go {
        crate::output::stdio::committed();
    } else {
        eoutln!("Nothing changed.");
    }
    go
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_masked_at_any_depth_and_nothing_else_is() {
        let body = json!({
            "displayName": "lakekeeper-backend",
            "passwordCredential": {"displayName": "lakekeeper-setup", "secretText": "fake-secret-0123456789"},
            "value": "short",
            "identifierUris": ["api://x"],
        });
        let m = masked(&body);
        assert_eq!(m["passwordCredential"]["secretText"], "••••6789");
        assert_eq!(m["value"], "••••");
        assert_eq!(m["displayName"], "lakekeeper-backend");
        assert_eq!(m["identifierUris"][0], "api://x");
        // A Graph scope's `value` is its name, not a secret.
        let scope = json!({"api": {"oauth2PermissionScopes": [{"value": "lakekeeper"}]}});
        assert_eq!(masked(&scope), scope);
        // Nested, `value` is a plain value: a server parameter's list, a scope's name.
        let config =
            json!({"properties": {"value": "PG_TRGM,UUID-OSSP", "source": "user-override"}});
        assert_eq!(masked(&config), config);
        let text = dry_run_text(&[Change {
            what: "store secret".into(),
            needs: "Key Vault Secrets Officer".into(),
            requests: vec![Request {
                method: "PUT",
                url: "https://v.vault.azure.net/secrets/x?api-version=7.5".into(),
                body: Some(body),
            }],
        }]);
        assert!(!text.contains("fake-secret-0123456789"), "{text}");
        assert!(
            text.starts_with(
                "# store secret\nPUT https://v.vault.azure.net/secrets/x?api-version=7.5\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_plan_names_what_exists_and_what_each_change_needs() {
        let text = plan_text(
            &["app registration lakekeeper-api (appId 1111)".into()],
            &[Change {
                what: "create service principal for lakekeeper-api".into(),
                needs: "owner of the app registration".into(),
                requests: vec![],
            }],
        );
        assert_eq!(
            text,
            "  exists:  app registration lakekeeper-api (appId 1111)\n  1. create service principal for lakekeeper-api\n     needs: owner of the app registration\n"
        );
        assert_eq!(plan_text(&[], &[]), "  nothing to change\n");
    }
}
