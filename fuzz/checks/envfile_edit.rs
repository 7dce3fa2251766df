//! The `.env` editor (`EnvFile::set` / `set_all` / `remove` / `remove_all` / `render`, and
//! `verify_round_trip`, which `plan` runs before anything is written) on arbitrary files with
//! arbitrary edits.
//!
//! Properties: no input panics, and
//! - a refused `set` leaves the file unchanged; `set_all` / `remove_all` equal `set` / `remove`
//!   applied one pair or key at a time (for `set_all`, up to blank lines before the managed
//!   header; a refused `set_all` changes nothing);
//! - every byte not owned by an edited key is kept: with the edited keys removed from both,
//!   the edited file is the original plus at most blank lines and the managed header;
//! - the edited file parses again to exactly the edited entries, each value set reads back and
//!   each key removed is gone; the one exception is a file python-dotenv only reads by
//!   backtracking (a quote closed by an escaped quote, so a quote written below re-closes it
//!   and swallows the lines between): then `verify_round_trip` must refuse the result, as
//!   `plan` relies on;
//! - when dotenvy reads the original exactly as we do, `verify_round_trip` accepts the edit;
//! - applying the result a second time (every final value set again, every removed key
//!   removed again) changes nothing.

use arbitrary::Arbitrary;
use lakekeeper_setup::envfile::{EnvFile, MANAGED_HEADER, verify_round_trip};

#[derive(Debug, Arbitrary)]
enum Key {
    /// The key of the n-th entry of the original (so edits hit existing keys often).
    Existing(u8),
    /// One of a few valid keys, including the `export` oddity.
    Known(u8),
    /// Anything, mostly refused.
    New(String),
}

#[derive(Debug, Arbitrary)]
enum Edit {
    Set(Key, String),
    Remove(Key),
    /// `set_all`: the same as `set` pair by pair, or (if one pair is refused) no change.
    SetAll(Vec<(Key, String)>),
    /// `remove_all`: the same as `remove` key by key.
    RemoveAll(Vec<Key>),
}

/// An edit with its keys resolved: a batch of sets or of removals.
enum Op {
    Set(Vec<(String, String)>, bool),
    Remove(Vec<String>, bool),
}

#[derive(Debug, Arbitrary)]
struct Input {
    text: String,
    edits: Vec<Edit>,
}

const KNOWN: [&str; 4] = ["LAKEKEEPER__PG_URL_READ", "A", "x.y", "export"];

fn key_of(file: &EnvFile, key: &Key) -> String {
    match key {
        Key::Existing(n) => {
            let keys: Vec<&str> = file.entries().map(|e| e.key.as_str()).collect();
            keys.get(usize::from(*n) % keys.len().max(1))
                .unwrap_or(&"A")
                .to_string()
        }
        Key::Known(n) => KNOWN[usize::from(*n) % KNOWN.len()].to_owned(),
        Key::New(k) => k.clone(),
    }
}

/// Applies the edits; returns the ones that took effect as (key, value or `None` if removed).
fn apply(file: &mut EnvFile, ops: &[Op]) -> Vec<(String, Option<String>)> {
    let mut done = Vec::new();
    for op in ops {
        let before = file.clone();
        let mut one_by_one = file.clone();
        match op {
            Op::Set(pairs, batch) => {
                let all_ok = pairs
                    .iter()
                    .fold(true, |ok, (k, v)| one_by_one.set(k, v).is_ok() && ok);
                let result = if *batch {
                    let refs: Vec<(&str, &str)> = pairs
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    file.set_all(&refs)
                        .map_err(|e| assert!(e.index < pairs.len()))
                } else {
                    *file = one_by_one.clone();
                    all_ok.then_some(()).ok_or(())
                };
                assert_eq!(
                    result.is_ok(),
                    all_ok,
                    "set_all and set disagree on refusal"
                );
                if all_ok {
                    assert!(
                        alike(file, &one_by_one),
                        "set_all differs from set pair by pair:\n{:?}\n{:?}",
                        file.render(),
                        one_by_one.render()
                    );
                    done.extend(pairs.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
                } else {
                    assert_eq!(*file, before, "a refused set changed the file");
                }
            }
            Op::Remove(keys, batch) => {
                let present = file.entries().filter(|e| keys.contains(&e.key)).count();
                for key in keys {
                    one_by_one.remove(key);
                }
                if *batch {
                    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                    assert_eq!(file.remove_all(&refs), present, "remove_all count");
                } else {
                    *file = one_by_one.clone();
                }
                assert_eq!(
                    *file, one_by_one,
                    "remove_all differs from remove key by key"
                );
                done.extend(keys.iter().map(|k| (k.clone(), None)));
            }
        }
    }
    done
}

/// The same entries and the same text but for blank lines: a batch removes a key's later
/// duplicates before appending new keys, so a blank line a one-at-a-time append put before the
/// managed header may not be needed (tests/envfile_props.rs pins the case).
fn alike(a: &EnvFile, b: &EnvFile) -> bool {
    let entries = |f: &EnvFile| -> Vec<(String, String, String, bool)> {
        f.entries()
            .map(|e| {
                (
                    e.key.clone(),
                    e.value.clone(),
                    e.raw_value.clone(),
                    e.export,
                )
            })
            .collect()
    };
    let text = |f: &EnvFile| -> String {
        f.render()
            .split_inclusive('\n')
            .filter(|l| !l.trim().is_empty())
            .collect()
    };
    entries(a) == entries(b) && text(a) == text(b)
}

/// dotenvy reads `text` without error and sees exactly our entries.
fn dotenvy_agrees(text: &str, file: &EnvFile) -> bool {
    let theirs: Result<Vec<(String, String)>, _> =
        dotenvy::from_read_iter(text.as_bytes()).collect();
    let ours = file.entries().map(|e| (e.key.clone(), e.value.clone()));
    theirs.is_ok_and(|theirs| theirs.into_iter().eq(ours))
}

/// An entry whose quote closed on an escaped quote (`'a\'`): python-dotenv's regex backtracks
/// there only because no plain closing quote follows anywhere in the file.
fn closed_by_backtracking(file: &EnvFile, untouched: impl Fn(&str) -> bool) -> bool {
    file.entries()
        .any(|e| untouched(&e.key) && e.closes_at_an_escaped_quote())
}

fn without(file: &EnvFile, keys: &[String]) -> String {
    let mut file = file.clone();
    for key in keys {
        file.remove(key);
    }
    file.render()
}

/// One input, decoded as `fuzz_target!` decodes a typed input.
pub fn run(data: &[u8]) {
    let Ok(input) =
        <Input as arbitrary::Arbitrary>::arbitrary_take_rest(arbitrary::Unstructured::new(data))
    else {
        return;
    };
    let Ok(original) = EnvFile::parse(&input.text) else {
        return;
    };
    let key = |k| key_of(&original, k);
    let edits: Vec<Op> = input
        .edits
        .iter()
        .map(|edit| match edit {
            Edit::Set(k, v) => Op::Set(vec![(key(k), v.clone())], false),
            Edit::Remove(k) => Op::Remove(vec![key(k)], false),
            Edit::SetAll(pairs) => Op::Set(
                pairs.iter().map(|(k, v)| (key(k), v.clone())).collect(),
                true,
            ),
            Edit::RemoveAll(keys) => Op::Remove(keys.iter().map(key).collect(), true),
        })
        .collect();
    let mut file = original.clone();
    let done = apply(&mut file, &edits);
    let rendered = file.render();

    // Untouched bytes survive.
    let touched: Vec<String> = done.iter().map(|(k, _)| k.clone()).collect();
    let before = without(&original, &touched);
    let after = without(&file, &touched);
    let Some(added) = after.strip_prefix(before.as_str()) else {
        panic!("untouched text changed:\n{before:?}\n{after:?}");
    };
    assert!(
        added
            .lines()
            .all(|l| l.trim().is_empty() || l == MANAGED_HEADER),
        "unexpected added text {added:?}"
    );

    // The edited file reads back as edited.
    let mut expected: Vec<(&str, &str)> = Vec::new();
    for (key, value) in &done {
        expected.retain(|(k, _)| k != key);
        if let Some(value) = value {
            expected.push((key, value));
        }
    }
    let reparsed = EnvFile::parse(&rendered);
    if let Some(reparsed) = reparsed.ok().filter(|r| r.entries().eq(file.entries())) {
        for (key, value) in &expected {
            assert_eq!(
                reparsed.get(key),
                Some(*value),
                "{key} reads back differently"
            );
            assert_eq!(reparsed.entries().filter(|e| e.key == *key).count(), 1);
        }
        for (key, _) in &done {
            if !expected.iter().any(|(k, _)| k == key) {
                assert_eq!(reparsed.get(key), None, "{key} was removed");
            }
        }
    } else {
        assert!(
            closed_by_backtracking(&original, |k| !touched.iter().any(|t| t == k)),
            "the edited file does not read back as edited: {rendered:?}"
        );
        assert!(
            verify_round_trip(&rendered, &expected).is_err(),
            "plan would write a file that reads back differently: {rendered:?}"
        );
    }
    if dotenvy_agrees(&input.text, &original)
        && let Err(e) = verify_round_trip(&rendered, &expected)
    {
        panic!("round trip failed: {e}\n{rendered:?}");
    }

    // Idempotent: making the file say the same thing again (each final value set again, each
    // removed key removed again, as `plan` does) changes nothing. Replaying the raw sequence
    // need not: `remove A; set A` moves A to the end each time.
    let mut twice = file.clone();
    for (key, value) in &expected {
        assert!(twice.set(key, value).is_ok(), "{key} was set once");
    }
    for (key, _) in &done {
        if !expected.iter().any(|(k, _)| k == key) {
            twice.remove(key);
        }
    }
    assert_eq!(twice.render(), rendered, "the edit applied twice differs");
}
