//! Proves a rendered file says what we meant: re-reads it with our own parser and with
//! dotenvy, and compares every expected key.
//!
//! Performs no I/O (dotenvy reads from memory). Errors name keys and readers, never values,
//! and never pass on dotenvy's message, which quotes the offending line.

use std::collections::HashMap;

use super::EnvFile;
use super::parse::ParseError;

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
    let own = EnvFile::parse(rendered)?;
    let keys: Vec<&str> = expected.iter().map(|&(key, _)| key).collect();
    let dotenvy = read_with_dotenvy(rendered, &keys)?;
    for (&(key, value), occurrences) in expected.iter().zip(own.find(&keys)) {
        if occurrences.len() > 1 {
            return Err(RoundTripError::Duplicate {
                key: key.to_owned(),
                count: occurrences.len(),
            });
        }
        let ours = occurrences.last().map(|e| e.value.as_str());
        compare("lakekeeper-setup's parser", key, value, ours)?;
        compare("dotenvy", key, value, dotenvy.get(key).map(String::as_str))?;
    }
    Ok(())
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
mod tests {
    use super::*;

    #[test]
    fn accepts_what_set_wrote() {
        let mut file = EnvFile::parse("A=1\n").unwrap();
        file.set("B", "fake-secret-'quote'").unwrap();
        file.set("C", "fake $ecret #1").unwrap();
        let expected = [
            ("A", "1"),
            ("B", "fake-secret-'quote'"),
            ("C", "fake $ecret #1"),
        ];
        assert_eq!(verify_round_trip(&file.render(), &expected), Ok(()));
    }

    #[test]
    fn catches_a_value_that_reads_back_differently() {
        // Unquoted `\ ` is an escaped space to dotenvy but two characters to python-dotenv.
        let rendered = "C=fake\\ secret\n";
        assert_eq!(
            verify_round_trip(rendered, &[("C", "fake\\ secret")]),
            Err(RoundTripError::Mismatch {
                reader: "dotenvy",
                key: "C".to_owned(),
                expected_len: 12,
                actual_len: 11,
            })
        );
    }

    #[test]
    fn catches_a_mismatch_in_the_own_parser() {
        let err = verify_round_trip("A=x # note\n", &[("A", "x # note")]).unwrap_err();
        assert!(
            matches!(err, RoundTripError::Mismatch { reader, .. } if reader.contains("parser"))
        );
        let message = err.to_string();
        assert!(!message.contains("note"), "value leaked: {message}");
    }

    #[test]
    fn catches_missing_duplicate_and_unreadable() {
        assert_eq!(
            verify_round_trip("A=1\n", &[("B", "1")]),
            Err(RoundTripError::Missing {
                reader: "lakekeeper-setup's parser",
                key: "B".to_owned()
            })
        );
        assert_eq!(
            verify_round_trip("A=1\nA=1\n", &[("A", "1")]),
            Err(RoundTripError::Duplicate {
                key: "A".to_owned(),
                count: 2
            })
        );
        // python-dotenv and our parser read `a b`; dotenvy rejects the space and stops there.
        assert_eq!(
            verify_round_trip("A=1\nB=a b\nC=1\n", &[("C", "1")]),
            Err(RoundTripError::DotenvyRejects {
                after_key: Some("A".to_owned())
            })
        );
        assert!(matches!(
            verify_round_trip("A='open\n", &[]),
            Err(RoundTripError::Unparsable(_))
        ));
    }

    #[test]
    fn an_unterminated_last_line_ending_in_a_blank_is_refused_for_dotenvy() {
        // python-dotenv and our parser read these files; dotenvy's line splitter waits for
        // more input after the blank and fails at the end of the file.
        for text in ["A=1\nB = ", "A=1\n ", "A=1\nB=2\t"] {
            assert_eq!(
                verify_round_trip(text, &[("A", "1")]),
                Err(RoundTripError::DotenvyRejects {
                    after_key: Some("A".to_owned())
                }),
                "{text:?}"
            );
            let terminated = format!("{text}\n");
            assert_eq!(verify_round_trip(&terminated, &[("A", "1")]), Ok(()));
        }
    }
}
