//! `lakekeeper-setup.toml`, the team-shared profile: read into answers, and updated with
//! `toml_edit` so comments, order and formatting survive.
//!
//! The profile never holds a secret: a secret-looking key is an error, and `update` writes only
//! non-secret fields. No I/O here; callers pass and take text.

use toml_edit::{DocumentMut, Item, value};

use crate::model::{Answers, FieldId, Source};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    #[error("lakekeeper-setup.toml is not valid TOML: {0}")]
    Syntax(String),
    #[error(
        "lakekeeper-setup.toml: `{0}` looks like a secret; the profile is shared with the team and must not hold secrets. Remove it and set the value in the environment or backend/.env instead"
    )]
    SecretKey(String),
    #[error(
        "lakekeeper-setup.toml: unknown key `{0}`; known keys are listed in the README (`{1}`?)"
    )]
    UnknownKey(String, String),
    #[error("lakekeeper-setup.toml: `{0}` must be {1}")]
    WrongType(String, &'static str),
}

const EXTRA_KEYS: [(&str, &str); 3] = [
    ("storage", "warehouse_location"),
    // Storage endpoints for sovereign clouds and local stand-ins (Azurite): read by `verify`.
    ("storage", "blob_endpoint"),
    ("storage", "dfs_endpoint"),
];

/// Storage endpoint overrides from the profile (`verify` only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub blob: Option<String>,
    pub dfs: Option<String>,
}

/// Reads `[storage] blob_endpoint` / `dfs_endpoint` (no trailing slash); invalid TOML yields none
/// (`read` reports it).
pub fn endpoints(text: &str) -> Endpoints {
    let doc: Option<DocumentMut> = text.parse().ok();
    let get = |key: &str| {
        doc.as_ref()
            .and_then(|d| d.get("storage"))
            .and_then(|t| t.get(key))
            .and_then(|v| v.as_str())
            .map(|v| v.trim().trim_end_matches('/').to_owned())
            .filter(|v| !v.is_empty())
    };
    Endpoints {
        blob: get("blob_endpoint"),
        dfs: get("dfs_endpoint"),
    }
}

/// The same credential-name heuristic as for `.env` keys (profile keys are lower case).
fn looks_secret(key: &str) -> bool {
    crate::keys::looks_secret(&key.to_ascii_uppercase())
}

fn field_for(table: &str, key: &str) -> Option<FieldId> {
    FieldId::ALL
        .into_iter()
        .find(|f| f.profile_key() == Some((table, key)))
}

fn known_keys() -> Vec<String> {
    FieldId::ALL
        .iter()
        .filter_map(|f| f.profile_key())
        .chain(EXTRA_KEYS)
        .map(|(t, k)| format!("{t}.{k}"))
        .collect()
}

fn closest(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    known_keys()
        .into_iter()
        .find(|k| k.ends_with(&format!(".{last}")) || k.split('.').next() == name.split('.').next())
        .unwrap_or_else(|| "entra.tenant".to_owned())
}

/// Reads a profile into answers (source `Profile`). Empty strings count as unset.
pub fn read(text: &str) -> Result<Answers, ProfileError> {
    let doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| ProfileError::Syntax(e.to_string()))?;
    let mut a = Answers::default();
    for (table, item) in doc.iter() {
        // Names of Key Vault secrets, not secrets: read by `azure::secrets::spec`.
        if table == crate::azure::secrets::TABLE {
            continue;
        }
        let Some(t) = item.as_table_like() else {
            if looks_secret(table) {
                return Err(ProfileError::SecretKey(table.to_owned()));
            }
            return Err(ProfileError::UnknownKey(table.to_owned(), closest(table)));
        };
        for (key, v) in t.iter() {
            let name = format!("{table}.{key}");
            if looks_secret(key) {
                return Err(ProfileError::SecretKey(name));
            }
            let text = match (v.as_str(), v.as_integer()) {
                (Some(s), _) => s.to_owned(),
                (None, Some(i)) => i.to_string(),
                _ => {
                    return Err(ProfileError::WrongType(
                        name,
                        "a string (or a number for postgres.port)",
                    ));
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            if table == "storage" && (key == "blob_endpoint" || key == "dfs_endpoint") {
                continue;
            }
            if (table, key) == ("storage", "warehouse_location") {
                // `validate::answers` splits the location into account, container and prefix.
                a.set(FieldId::StorageAccount, text, Source::Profile);
                continue;
            }
            let Some(field) = field_for(table, key) else {
                return Err(ProfileError::UnknownKey(name.clone(), closest(&name)));
            };
            a.set(field, text, Source::Profile);
        }
    }
    Ok(a)
}

/// The profile text with every non-secret answer written (edited in place when the key exists,
/// added to its table otherwise). An empty answer removes the key. `existing` is the current
/// file, if any.
pub fn update(existing: Option<&str>, answers: &Answers) -> Result<String, ProfileError> {
    let mut doc: DocumentMut = existing
        .unwrap_or("")
        .parse()
        .map_err(|e: toml_edit::TomlError| ProfileError::Syntax(e.to_string()))?;
    let location_given = doc
        .get("storage")
        .and_then(|t| t.get("warehouse_location"))
        .is_some();
    for field in FieldId::ALL {
        let Some((table, key)) = field.profile_key() else {
            continue;
        };
        if location_given
            && matches!(
                field,
                FieldId::StorageAccount | FieldId::StorageContainer | FieldId::StorageKeyPrefix
            )
        {
            continue;
        }
        let wanted = answers.get(field).map_or("", str::trim);
        let current = doc.get(table).and_then(|t| t.get(key));
        let current_text = current.and_then(|c| {
            c.as_str()
                .map(str::to_owned)
                .or_else(|| c.as_integer().map(|i| i.to_string()))
        });
        if current_text.as_deref().unwrap_or("") == wanted {
            continue;
        }
        if wanted.is_empty() {
            if let Some(t) = doc.get_mut(table).and_then(Item::as_table_like_mut) {
                t.remove(key);
            }
            continue;
        }
        let new = match (field, wanted.parse::<i64>()) {
            (FieldId::PgPort, Ok(n)) => value(n),
            _ => value(wanted),
        };
        if doc.get(table).is_none() {
            doc[table] = toml_edit::table();
        }
        match doc[table].get_mut(key) {
            // Keep the key's decor (comments, spacing) and replace only the value.
            Some(Item::Value(v)) => {
                let decor = v.decor().clone();
                let mut nv = new
                    .into_value()
                    .map_err(|_| ProfileError::WrongType(field.name().into(), "a value"))?;
                *nv.decor_mut() = decor;
                *v = nv;
            }
            _ => doc[table][key] = new,
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# team profile\n[entra]\ntenant = \"11111111-2222-3333-4444-555555555555\"  # our directory\ncloud = \"public\"\n\n[postgres]\nport = 5432\nhost = \"\"\n";

    #[test]
    fn reads_strings_and_integers_and_skips_empty_values() {
        let a = read(SAMPLE).expect("valid");
        assert_eq!(
            a.get(FieldId::Tenant),
            Some("11111111-2222-3333-4444-555555555555")
        );
        assert_eq!(a.get(FieldId::PgPort), Some("5432"));
        assert_eq!(a.get(FieldId::PgHost), None);
        assert_eq!(a.source(FieldId::Cloud), Some(Source::Profile));
    }

    #[test]
    fn rejects_secret_looking_and_unknown_keys() {
        assert_eq!(
            read("[backend_service]\nclient_secret = \"x\"\n"),
            Err(ProfileError::SecretKey(
                "backend_service.client_secret".into()
            ))
        );
        assert!(matches!(
            read("[postgres]\npassword = \"x\"\n"),
            Err(ProfileError::SecretKey(_))
        ));
        assert!(
            matches!(read("[postgres]\nhots = \"x\"\n"), Err(ProfileError::UnknownKey(k, _)) if k == "postgres.hots")
        );
        assert!(matches!(read("[entra\n"), Err(ProfileError::Syntax(_))));
    }

    #[test]
    fn a_warehouse_location_becomes_the_account_answer_for_splitting() {
        let a =
            read("[storage]\nwarehouse_location = \"abfss://fs@acct.dfs.core.windows.net/p\"\n")
                .expect("valid");
        assert_eq!(
            a.get(FieldId::StorageAccount),
            Some("abfss://fs@acct.dfs.core.windows.net/p")
        );
    }

    #[test]
    fn update_keeps_comments_and_order_and_never_writes_secrets() {
        let mut a = read(SAMPLE).expect("valid");
        a.set(FieldId::PgHost, "db.example.test", Source::Wizard);
        a.set(FieldId::PgPassword, "fake-password", Source::Wizard);
        a.set(
            FieldId::Image,
            "quay.io/lakekeeper/catalog:v0.13.3",
            Source::Wizard,
        );
        let out = update(Some(SAMPLE), &a).expect("updates");
        assert!(out.starts_with("# team profile\n[entra]\ntenant = \"11111111-2222-3333-4444-555555555555\"  # our directory\n"), "{out}");
        assert!(out.contains("host = \"db.example.test\""), "{out}");
        assert!(
            out.contains("[lakekeeper]\nimage = \"quay.io/lakekeeper/catalog:v0.13.3\""),
            "{out}"
        );
        assert!(!out.contains("fake-password"));
        // Idempotent: a second update with the same answers changes nothing.
        assert_eq!(update(Some(&out), &a).expect("updates"), out);
    }
}
