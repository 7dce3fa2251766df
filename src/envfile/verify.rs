//! Proves a rendered file says what we meant: re-reads it with our own parser and with
//! dotenvy, and compares every expected key.
//!
//! Performs no I/O (dotenvy reads from memory). Errors name keys and readers, never values,
//! and never pass on dotenvy's message, which quotes the offending line.
//!
//! dotenvy is most of the cost of a large file, so on a machine with more than one core a
//! large file is read by it in two parts at once, split at a line end. The parts' verdict is
//! only trusted when it is a pass: dotenvy keeps no state across a line end that can make a
//! line fail (its `$NAME` substitution never fails), and a split inside a multi-line value
//! makes the first part fail at its end. Any failure is decided again by reading the whole
//! text in one piece, so every answer is whole-file dotenvy's.

use std::borrow::Cow;
use std::collections::HashMap;

use super::parse::{self, ParseError, Piece};

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

/// Below this size both readers run one after the other: a thread costs more than it saves.
const PARALLEL_MIN_BYTES: usize = 64 * 1024;

/// Re-reads `rendered` with this module's parser and with dotenvy; each `(key, value)` in
/// `expected` must occur once and read back as exactly `value` in both.
pub fn verify_round_trip(rendered: &str, expected: &[(&str, &str)]) -> Result<(), RoundTripError> {
    // Both readers skip a byte-order mark (dotenvy's loader does; `from_read_iter` does not).
    let body = rendered.strip_prefix('\u{feff}').unwrap_or(rendered);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    verify_split(body, expected, split_point(body, cores))
}

/// [`verify_round_trip`] of a text without byte-order mark; with `split`, dotenvy reads the
/// text's two parts at once on two threads.
fn verify_split(
    body: &str,
    expected: &[(&str, &str)],
    split: Option<usize>,
) -> Result<(), RoundTripError> {
    let keys: Vec<&str> = expected.iter().map(|&(key, _)| key).collect();
    let (own, theirs) = match split {
        Some(at) => std::thread::scope(|s| {
            let (first, second) = body.split_at(at);
            let first = s.spawn(|| read_with_dotenvy(first, &keys));
            let own = read_own(body, &keys);
            let second = read_with_dotenvy(second, &keys);
            let first = first
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (
                own,
                first.and_then(|first| second.map(|second| merge(first, second))),
            )
        }),
        None => (read_own(body, &keys), read_with_dotenvy(body, &keys)),
    };
    let own = own?;
    let verdict = theirs.and_then(|theirs| check(expected, &own, &theirs));
    match (verdict, split) {
        // The parts' failure may be the split's doing: the whole text decides.
        (Err(_), Some(_)) => {
            let theirs = read_with_dotenvy(body, &keys)?;
            check(expected, &own, &theirs)
        }
        (verdict, _) => verdict,
    }
}

/// Where a large text is cut for the parallel read: the first line end after the point that
/// gives the spawned thread about as much work as this one (which also runs our parser).
fn split_point(body: &str, cores: usize) -> Option<usize> {
    if body.len() < PARALLEL_MIN_BYTES || cores < 2 {
        return None;
    }
    let from = body.len() * 11 / 20;
    let nl = body.as_bytes()[from..].iter().position(|&b| b == b'\n')?;
    let at = from + nl + 1;
    (at < body.len()).then_some(at)
}

fn check(
    expected: &[(&str, &str)],
    own: &HashMap<&str, Vec<Cow<str>>>,
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
) -> Result<HashMap<&'k str, Vec<Cow<'t, str>>>, ParseError> {
    let mut found: HashMap<&str, Vec<Cow<str>>> =
        keys.iter().map(|&key| (key, Vec::new())).collect();
    for piece in parse::pieces(text) {
        if let Piece::Entry(entry) = piece?
            && let Some(values) = found.get_mut(entry.key)
        {
            values.push(entry.value);
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

/// The values of two consecutive parts: the first occurrence wins, as in one read.
fn merge(
    mut first: HashMap<String, String>,
    second: HashMap<String, String>,
) -> HashMap<String, String> {
    for (key, value) in second {
        first.entry(key).or_insert(value);
    }
    first
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::fmt::Write as _;

    use super::super::EnvFile;
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

    #[test]
    fn a_byte_order_mark_is_skipped_by_both_readers() {
        assert_eq!(
            verify_round_trip("\u{feff}A=1\nB='x y'\n", &[("A", "1"), ("B", "x y")]),
            Ok(())
        );
    }

    /// A file of `n` filler lines around the given middle.
    fn around(middle: &str, n: usize) -> String {
        let filler = |from: usize| -> String {
            (from..from + n).fold(String::new(), |mut s, i| {
                writeln!(s, "FILLER_{i}=value-{i}").unwrap();
                s
            })
        };
        format!("{}{middle}{}", filler(0), filler(n))
    }

    #[test]
    fn the_parallel_read_agrees_with_the_whole_read_wherever_the_split_falls() {
        let text = around(
            "ML='line one\nline # two\nline three'\nKEY='fake $ecret'\n",
            40,
        );
        let expected = [
            ("FILLER_0", "value-0"),
            ("ML", "line one\nline # two\nline three"),
            ("KEY", "fake $ecret"),
            ("FILLER_79", "value-79"),
        ];
        // Every line end is a split point, including the two inside the multi-line value
        // (where the first part ends in an open quote and the whole text decides).
        let ends = text.match_indices('\n').map(|(i, _)| i + 1);
        for at in ends.filter(|&at| at < text.len()) {
            assert_eq!(
                verify_split(&text, &expected, Some(at)),
                Ok(()),
                "split at {at}"
            );
        }
        assert_eq!(verify_split(&text, &expected, None), Ok(()));
    }

    #[test]
    fn the_parallel_read_reports_what_the_whole_read_reports() {
        // python-dotenv reads `a b`; dotenvy rejects the space.
        let text = around("BAD=a b\n", 30);
        let whole = verify_split(&text, &[("FILLER_0", "value-0")], None);
        assert_eq!(
            whole,
            Err(RoundTripError::DotenvyRejects {
                after_key: Some("FILLER_29".to_owned())
            })
        );
        for at in text
            .match_indices('\n')
            .map(|(i, _)| i + 1)
            .filter(|&at| at < text.len())
        {
            assert_eq!(
                verify_split(&text, &[("FILLER_0", "value-0")], Some(at)),
                whole
            );
        }
        // A key in both parts: dotenvy keeps the first, python-dotenv the last.
        let text = around("", 20) + "FILLER_0=other\n";
        let at = text.find("FILLER_10=").unwrap();
        assert_eq!(
            verify_split(&text, &[("FILLER_0", "value-0")], Some(at)),
            Err(RoundTripError::Duplicate {
                key: "FILLER_0".to_owned(),
                count: 2
            })
        );
    }

    #[test]
    fn only_a_large_file_on_more_than_one_core_is_split_and_at_a_line_end() {
        let small = around("", 100);
        assert_eq!(split_point(&small, 8), None);
        let large = around("", 2_000);
        assert!(large.len() >= PARALLEL_MIN_BYTES);
        assert_eq!(split_point(&large, 1), None);
        let at = split_point(&large, 2).unwrap();
        assert_eq!(&large[at - 1..at], "\n");
        assert!(
            at > large.len() / 2 && at < large.len() * 3 / 5,
            "{at} of {}",
            large.len()
        );
        assert_eq!(
            verify_round_trip(&large, &[("FILLER_3999", "value-3999")]),
            Ok(())
        );
    }
}
