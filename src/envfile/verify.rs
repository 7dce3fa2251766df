//! Proves a rendered file says what we meant: re-reads it, whole, with our own parser and with
//! dotenvy, and compares every expected key.
//!
//! Performs no I/O (dotenvy reads from memory). Errors name keys and readers, never values,
//! and never pass on dotenvy's message, which quotes the offending line.

use std::borrow::Cow;
use std::collections::HashMap;

use super::KeyMap;
use super::parse::{self, ParseError, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundTripError {
    #[error("the rendered .env does not parse again: {0}")]
    Unparsable(#[from] ParseError),
    #[error(
        "dotenvy cannot read the rendered .env (first failure {}); every later key would be \
         lost to it: fix or remove that line",
        after_key.as_ref().map_or_else(|| "before the first entry".to_owned(), |k| format!("after `{k}`"))
    )]
    DotenvyRejects { after_key: Option<String> },
    #[error("`{key}` is missing from the rendered .env as {reader} reads it")]
    Missing { reader: &'static str, key: String },
    #[error(
        "`{key}` occurs {count} times in the rendered .env; dotenvy keeps the first and \
         python-dotenv the last, so remove the duplicates"
    )]
    Duplicate { key: String, count: usize },
    #[error(
        "`{key}` reads back differently with {reader} than it was written (written {expected_len} \
         characters, read {actual_len}); this is a quoting bug: please report it"
    )]
    Mismatch {
        reader: &'static str,
        key: String,
        expected_len: usize,
        actual_len: usize,
    },
}

/// Re-reads `rendered` with this module's parser and with dotenvy; each `(key, value)` in
/// `expected` must occur once and read back as exactly `value` in both.
pub fn verify_round_trip(rendered: &str, expected: &[(&str, &str)]) -> Result<(), RoundTripError> {
    // Both readers skip a byte-order mark (dotenvy's loader does; `from_read_iter` does not).
    let body = rendered.strip_prefix('\u{feff}').unwrap_or(rendered);
    let keys: Vec<&str> = expected.iter().map(|&(key, _)| key).collect();
    let own = read_own(body, &keys)?;
    let theirs = read_with_dotenvy(body, &keys)?;
    check(expected, &own, &theirs)
}

fn check(
    expected: &[(&str, &str)],
    own: &KeyMap<Vec<Cow<str>>>,
    theirs: &HashMap<String, String>,
) -> Result<(), RoundTripError> {
    for &(key, value) in expected {
        let occurrences = own.get(key).map_or(&[][..], Vec::as_slice);
        if occurrences.len() > 1 {
            return Err(RoundTripError::Duplicate {
                key: key.to_owned(),
                count: occurrences.len(),
            });
        }
        let ours = occurrences.last().map(AsRef::as_ref);
        compare("lakekeeper-setup's parser", key, value, ours)?;
        compare("dotenvy", key, value, theirs.get(key).map(String::as_str))?;
    }
    Ok(())
}

/// Every value of each of `keys` as our parser reads `text`, in file order; allocates only
/// for values whose quoting changed them.
fn read_own<'t, 'k>(
    text: &'t str,
    keys: &[&'k str],
) -> Result<KeyMap<'k, Vec<Cow<'t, str>>>, ParseError> {
    let mut found: KeyMap<Vec<Cow<str>>> = keys.iter().map(|&key| (key, Vec::new())).collect();
    for piece in parse::pieces(text) {
        let piece = piece?;
        let Some(meta) = piece.entry else { continue };
        let entry = &text[piece.span];
        if let Some(values) = found.get_mut(meta.key(entry)) {
            values.push(match meta.value {
                Value::Slice(range) => Cow::Borrowed(&entry[range]),
                Value::Owned(value) => Cow::Owned(value),
            });
        }
    }
    Ok(found)
}

fn compare(
    reader: &'static str,
    key: &str,
    expected: &str,
    actual: Option<&str>,
) -> Result<(), RoundTripError> {
    match actual {
        None => Err(RoundTripError::Missing {
            reader,
            key: key.to_owned(),
        }),
        Some(actual) if actual != expected => Err(RoundTripError::Mismatch {
            reader,
            key: key.to_owned(),
            expected_len: expected.chars().count(),
            actual_len: actual.chars().count(),
        }),
        Some(_) => Ok(()),
    }
}

/// Reads like `dotenvy::from_read`, which stops at the first line it cannot parse; keeps the
/// values of `keys` only.
fn read_with_dotenvy(
    rendered: &str,
    keys: &[&str],
) -> Result<HashMap<String, String>, RoundTripError> {
    let mut values = HashMap::new();
    let mut last_key = None;
    for item in dotenvy::from_read_iter(rendered.as_bytes()) {
        match item {
            Ok((key, value)) => {
                // dotenvy's loader never overrides, so the first occurrence is what it uses.
                if keys.contains(&key.as_str()) && !values.contains_key(&key) {
                    values.insert(key.clone(), value);
                }
                last_key = Some(key);
            }
            Err(_) => {
                return Err(RoundTripError::DotenvyRejects {
                    after_key: last_key,
                });
            }
        }
    }
    Ok(values)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "verify_tests.rs"]
mod tests;
