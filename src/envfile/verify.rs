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
//! makes the first part fail at its end. Substitution can change a value, though (a later part
//! does not see the earlier lines' keys), so a later part that supplies an expected key's
//! value is trusted only when it holds no `$`. Any failure is decided again by reading the
//! whole text in one piece, so every answer is whole-file dotenvy's.
//!
//! `plan` goes further: a second thread reads the original text ahead in parts
//! ([`super::ReadAhead`]) and the check reuses every part the rendered text holds byte for
//! byte ([`verify_reusing`]; its soundness argument is the `ahead` module doc). Same rules: a
//! pass of the segments is trusted, anything else goes to the whole-file read.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use super::KeyMap;
use super::ahead::{PartRead, ReadAhead, read_part};
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

/// Below this size both readers run one after the other: a thread costs more than it saves.
const PARALLEL_MIN_BYTES: usize = 64 * 1024;

/// Re-reads `rendered` with this module's parser and with dotenvy; each `(key, value)` in
/// `expected` must occur once and read back as exactly `value` in both.
pub fn verify_round_trip(rendered: &str, expected: &[(&str, &str)]) -> Result<(), RoundTripError> {
    // Both readers skip a byte-order mark (dotenvy's loader does; `from_read_iter` does not).
    let body = rendered.strip_prefix('\u{feff}').unwrap_or(rendered);
    let cores = super::cores();
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
    let Some(at) = split else {
        let own = read_own(body, &keys)?;
        let theirs = read_with_dotenvy(body, &keys)?;
        return check(expected, &own, &theirs);
    };
    let (first, second) = body.split_at(at);
    let (own, first, second) = std::thread::scope(|s| {
        let first = s.spawn(|| read_part(first, &keys));
        let own = read_own(body, &keys);
        let second = read_part(second, &keys);
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (own, first, second)
    });
    decide(
        body,
        expected,
        &own?,
        merge([first.as_ref(), second.as_ref()]),
    )
}

/// The verdict from the parts' merged read when that passes; otherwise (the failure may be
/// the parts' doing) from one whole-file read, so every answer is whole-file dotenvy's.
fn decide(
    body: &str,
    expected: &[(&str, &str)],
    own: &KeyMap<Vec<Cow<str>>>,
    parts: Option<HashMap<String, String>>,
) -> Result<(), RoundTripError> {
    if let Some(theirs) = parts
        && check(expected, own, &theirs) == Ok(())
    {
        return Ok(());
    }
    let keys: Vec<&str> = expected.iter().map(|&(key, _)| key).collect();
    let theirs = read_with_dotenvy(body, &keys)?;
    check(expected, own, &theirs)
}

/// [`verify_round_trip`] of `rendered`, reusing the parts of `ahead` that it holds byte for
/// byte where `hints` (`(position in the rendered text, range of the read-ahead text)`, in
/// order; only hints, every one is checked) says they are. See the `ahead` module doc for why
/// every verdict is still whole-file dotenvy's.
pub(super) fn verify_reusing(
    rendered: &str,
    expected: &[(&str, &str)],
    ahead: &ReadAhead,
    hints: &[(usize, Range<usize>)],
) -> Result<(), RoundTripError> {
    let body = rendered.strip_prefix('\u{feff}').unwrap_or(rendered);
    let keys: Vec<&str> = expected.iter().map(|&(key, _)| key).collect();
    let own = read_own(body, &keys)?;
    // A part keeps only the keys it was asked for: one missing could hide a first occurrence.
    let layout = if keys.iter().all(|key| ahead.keys().contains(key)) {
        layout(body, ahead, hints)
    } else {
        vec![Segment::Fresh(0..body.len())]
    };
    let fresh: Vec<Option<PartRead>> = layout
        .iter()
        .map(|segment| match segment {
            Segment::Fresh(range) => read_part(&body[range.clone()], &keys),
            Segment::Reused(_) => None,
        })
        .collect();
    ahead.work(true);
    let reads = layout
        .iter()
        .zip(&fresh)
        .map(|(segment, fresh)| match segment {
            Segment::Fresh(_) => fresh.as_ref(),
            Segment::Reused(i) => ahead.read(*i),
        });
    decide(body, expected, &own, merge(reads))
}

/// A region of the rendered text: read afresh, or the read-ahead's part `i`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Fresh(Range<usize>),
    Reused(usize),
}

/// The rendered text `body` as consecutive segments: every part of `ahead` that the hints
/// place in `body` and that is there byte for byte, at a line start, ending at a line end (or
/// the end), is reused; the regions between are read afresh.
fn layout(body: &str, ahead: &ReadAhead, hints: &[(usize, Range<usize>)]) -> Vec<Segment> {
    let (bytes, text) = (body.as_bytes(), ahead.text().as_bytes());
    let mut out = Vec::new();
    let mut at = 0;
    let mut hints = hints.iter().peekable();
    for (i, part) in ahead.parts().iter().enumerate() {
        while hints.next_if(|(_, range)| range.end < part.end).is_some() {}
        let Some((rendered_at, range)) = hints.peek() else {
            break;
        };
        if range.start > part.start {
            continue;
        }
        let p = rendered_at + (part.start - range.start);
        let end = p + part.len();
        let fits = p >= at
            && end <= bytes.len()
            && bytes[p..end] == text[part.clone()]
            && (p == 0 || bytes[p - 1] == b'\n')
            && (bytes[end - 1] == b'\n' || end == bytes.len());
        if !fits {
            continue;
        }
        if p > at {
            out.push(Segment::Fresh(at..p));
        }
        out.push(Segment::Reused(i));
        at = end;
    }
    if at < bytes.len() || out.is_empty() {
        out.push(Segment::Fresh(at..bytes.len()));
    }
    out
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
pub(super) fn read_with_dotenvy(
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

/// The values of consecutive segments as one read sees them (the first occurrence wins), or
/// `None` when one failed, or when a segment after the first supplies a value and holds a `$`
/// (dotenvy's substitution could have read it differently with the earlier lines before it).
fn merge<'r>(
    segments: impl IntoIterator<Item = Option<&'r PartRead>>,
) -> Option<HashMap<String, String>> {
    let mut merged: HashMap<String, String> = HashMap::new();
    for (n, segment) in segments.into_iter().enumerate() {
        let segment = segment?;
        for (key, value) in &segment.values {
            if !merged.contains_key(key) {
                if n > 0 && segment.dollar {
                    return None;
                }
                merged.insert(key.clone(), value.clone());
            }
        }
    }
    Some(merged)
}

/// What the read-ahead tests need to see of the layout.
#[cfg(test)]
pub(super) mod tests_support {
    use std::ops::Range;

    use super::super::{EnvFile, ReadAhead};
    use std::collections::HashMap;

    use super::super::ahead::PartRead;
    use super::Segment;

    /// The merged values of consecutive segments.
    pub fn merge(segments: &[Option<&PartRead>]) -> Option<HashMap<String, String>> {
        super::merge(segments.iter().copied())
    }

    /// How many parts the check of `file`'s `rendered` text reuses.
    pub fn reused_count(rendered: &str, ahead: &ReadAhead, file: &EnvFile) -> usize {
        layout_with(rendered, ahead, &file.unchanged_spans()).len()
    }

    /// The parts reused with these hints.
    pub fn layout_with(
        rendered: &str,
        ahead: &ReadAhead,
        hints: &[(usize, Range<usize>)],
    ) -> Vec<usize> {
        let body = rendered.strip_prefix('\u{feff}').unwrap_or(rendered);
        super::layout(body, ahead, hints)
            .into_iter()
            .filter_map(|segment| match segment {
                Segment::Reused(i) => Some(i),
                Segment::Fresh(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "verify_tests.rs"]
mod tests;
