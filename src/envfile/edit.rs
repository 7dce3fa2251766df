//! `set_all` and `remove_all`: surgical edits that leave every byte they do not own untouched.
//!
//! Each batch is one pass over the file plus one renumbering, whatever the number of keys, so
//! editing a large file stays linear. A batch is atomic: when one value cannot be quoted,
//! nothing changes. Never reformats other lines, never writes inline comments, and never
//! changes the file's line-ending style.

use std::collections::HashMap;

use super::parse::{Item, RawEntry, newlines};
use super::quote::{check_key, quoted};
use super::{Entry, EnvFile, MANAGED_HEADER, Quote, QuoteError};

/// A `set_all` pair that cannot be written; `index` is its position in the batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source}")]
pub struct SetError {
    pub index: usize,
    pub source: QuoteError,
}

/// A pair of the batch, ready to write.
struct Pending<'a> {
    key: &'a str,
    value: &'a str,
    quote: Quote,
    rhs: String,
    /// The file already had the key (its first occurrence was rewritten).
    placed: bool,
}

pub(super) fn set_all(file: &mut EnvFile, pairs: &[(&str, &str)]) -> Result<(), SetError> {
    // Quote everything first, so that a refused value leaves the file untouched.
    let mut pending: Vec<Pending> = Vec::with_capacity(pairs.len());
    let mut slot: HashMap<&str, usize> = HashMap::with_capacity(pairs.len());
    for (index, &(key, value)) in pairs.iter().enumerate() {
        let (quote, rhs) = check_key(key)
            .and_then(|()| quoted(value))
            .map_err(|source| SetError { index, source })?;
        let next = Pending {
            key,
            value,
            quote,
            rhs,
            placed: false,
        };
        // A key given twice behaves like two `set`s: the first position, the last value.
        if let Some(&at) = slot.get(key) {
            pending[at] = next;
        } else {
            slot.insert(key, pending.len());
            pending.push(next);
        }
    }
    if pending.is_empty() {
        return Ok(());
    }

    // Later duplicates of a set key go: python-dotenv would read the last, dotenvy the first.
    let mut doomed = Vec::new();
    for (index, item) in file.items.iter_mut().enumerate() {
        let Item::Entry(raw) = item else { continue };
        let Some(&at) = slot.get(raw.entry.key.as_str()) else {
            continue;
        };
        let p = &mut pending[at];
        if p.placed {
            doomed.push(index);
        } else {
            p.placed = true;
            rewrite(raw, p);
        }
    }
    if !doomed.is_empty() {
        let mut index = 0;
        let mut doomed = doomed.into_iter().peekable();
        file.items.retain(|_| {
            let keep = doomed.next_if_eq(&index).is_none();
            index += 1;
            keep
        });
    }

    let nl = file_line_ending(file);
    let new: Vec<Item> = pending
        .into_iter()
        .filter(|p| !p.placed)
        .map(|p| {
            Item::Entry(RawEntry {
                text: format!("{}={}{nl}", p.key, p.rhs),
                lead_len: p.key.len(),
                entry: Entry {
                    key: p.key.to_owned(),
                    value: p.value.to_owned(),
                    raw_value: p.rhs,
                    quote: p.quote,
                    export: false,
                    line: 0,
                    inline_comment: false,
                },
            })
        })
        .collect();
    if !new.is_empty() {
        append(file, new, nl);
    }
    renumber(file);
    Ok(())
}

/// Replaces the value of an existing entry, keeping its indent, `export` and key as written.
fn rewrite(raw: &mut RawEntry, p: &Pending) {
    let eol = line_ending_of(&raw.text);
    let mut text = String::with_capacity(raw.lead_len + 1 + p.rhs.len() + eol.len());
    text.push_str(&raw.text[..raw.lead_len]);
    text.push('=');
    text.push_str(&p.rhs);
    text.push_str(eol);
    raw.text = text;
    p.value.clone_into(&mut raw.entry.value);
    p.rhs.clone_into(&mut raw.entry.raw_value);
    raw.entry.quote = p.quote;
    raw.entry.inline_comment = false;
}

pub(super) fn remove_all(file: &mut EnvFile, keys: &[&str]) -> usize {
    let before = file.items.len();
    file.items
        .retain(|item| !matches!(item, Item::Entry(raw) if keys.contains(&raw.entry.key.as_str())));
    let removed = before - file.items.len();
    if removed > 0 {
        renumber(file);
    }
    removed
}

/// Inserts `new` at the end of the block under the managed header, creating it when absent.
fn append(file: &mut EnvFile, new: Vec<Item>, nl: &str) {
    let header = file
        .items
        .iter()
        .position(|item| matches!(item, Item::Trivia(t) if t.trim_end() == MANAGED_HEADER));
    if let Some(header) = header {
        let mut at = header + 1;
        while matches!(file.items.get(at), Some(Item::Entry(_))) {
            at += 1;
        }
        terminate(&mut file.items[at - 1], nl);
        file.items.splice(at..at, new);
        return;
    }
    if let Some(last) = file.items.last_mut() {
        terminate(last, nl);
        let ends_blank = matches!(last, Item::Trivia(t) if t.trim().is_empty());
        if !ends_blank {
            file.items.push(Item::Trivia(nl.to_owned()));
        }
    }
    file.items
        .push(Item::Trivia(format!("{MANAGED_HEADER}{nl}")));
    file.items.extend(new);
}

/// Gives the item a final line ending if it is the file's unterminated last line.
fn terminate(item: &mut Item, nl: &str) {
    let text = match item {
        Item::Trivia(text) => text,
        Item::Entry(raw) => &mut raw.text,
    };
    if !text.ends_with('\n') {
        text.push_str(nl);
    }
}

fn line_ending_of(text: &str) -> &'static str {
    if text.ends_with("\r\n") {
        "\r\n"
    } else if text.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}

/// The file's line ending: that of its first terminated line (CRLF files stay CRLF), LF by
/// default. An item's own ending is what counts, not a line break inside a quoted value.
fn file_line_ending(file: &EnvFile) -> &'static str {
    let first = file
        .items
        .iter()
        .map(Item::text)
        .find(|text| text.ends_with('\n'));
    if first.is_some_and(|text| text.ends_with("\r\n")) {
        "\r\n"
    } else {
        "\n"
    }
}

fn renumber(file: &mut EnvFile) {
    let mut line = 1;
    for item in &mut file.items {
        let text = match item {
            Item::Trivia(text) => text,
            Item::Entry(raw) => {
                raw.entry.line = line;
                &raw.text
            }
        };
        line += newlines(text);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "edit_tests.rs"]
mod tests;
