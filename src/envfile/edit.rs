//! `set_all` and `remove_all`: surgical edits that leave every byte they do not own untouched.
//!
//! Each batch is one pass over the file plus one renumbering, whatever the number of keys, so
//! editing a large file stays linear. A batch is atomic: when one value cannot be quoted,
//! nothing changes. Never reformats other lines, never writes inline comments, and never
//! changes the file's line-ending style.

use super::parse::{Meta, Value};
use super::quote::{check_key, quoted};
use super::{EnvFile, Item, KeyMap, MANAGED_HEADER, Quote, QuoteError, Text};

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
    let mut slot: KeyMap<usize> = KeyMap::default();
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
    file.entries.take();

    // Later duplicates of a set key go: python-dotenv would read the last, dotenvy the first.
    let mut doomed = Vec::new();
    let source = &file.source;
    for (index, item) in file.items.iter_mut().enumerate() {
        let Some(key) = item.key(source) else {
            continue;
        };
        let Some(&at) = slot.get(key) else {
            continue;
        };
        let p = &mut pending[at];
        if p.placed {
            doomed.push(index);
        } else {
            p.placed = true;
            rewrite(item, source, p);
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
            let text = format!("{}={}{nl}", p.key, p.rhs);
            let entry = meta(&text, 0, p.key.len(), false, &p);
            Item {
                text: Text::Owned(text),
                newlines: 1,
                entry: Some(entry),
            }
        })
        .collect();
    if !new.is_empty() {
        append(file, new, nl);
    }
    renumber(file);
    Ok(())
}

/// The parts of an entry whose text is `lead` `=` `p.rhs` (line ending), the lead being
/// `text[..lead_len]` with the key at `key_start`.
fn meta(text: &str, key_start: usize, lead_len: usize, export: bool, p: &Pending) -> Meta {
    let raw = lead_len + 1..lead_len + 1 + p.rhs.len();
    let inner = if p.quote == Quote::None {
        raw.clone()
    } else {
        raw.start + 1..raw.end - 1
    };
    // The value is a slice of what was written unless quoting escaped something in it.
    let value = if text[inner.clone()] == *p.value {
        Value::Slice(inner)
    } else {
        Value::Owned(p.value.to_owned())
    };
    Meta {
        key_start,
        lead_len,
        raw,
        value,
        quote: p.quote,
        export,
        line: 0,
        inline_comment: false,
    }
}

/// Replaces the value of an existing entry, keeping its indent, `export` and key as written.
fn rewrite(item: &mut Item, source: &str, p: &Pending) {
    let Some(old) = &item.entry else { return };
    let (key_start, lead_len, export) = (old.key_start, old.lead_len, old.export);
    let old_text = item.text(source);
    let eol = line_ending_of(old_text);
    let mut text = String::with_capacity(lead_len + 1 + p.rhs.len() + eol.len());
    text.push_str(&old_text[..lead_len]);
    text.push('=');
    text.push_str(&p.rhs);
    text.push_str(eol);
    let mut entry = meta(&text, key_start, lead_len, export, p);
    entry.line = old.line;
    item.newlines = usize::from(!eol.is_empty());
    item.entry = Some(entry);
    item.text = Text::Owned(text);
}

pub(super) fn remove_all(file: &mut EnvFile, keys: &[&str]) -> usize {
    let before = file.items.len();
    let source = &file.source;
    file.items
        .retain(|item| item.key(source).is_none_or(|key| !keys.contains(&key)));
    let removed = before - file.items.len();
    if removed > 0 {
        file.entries.take();
        renumber(file);
    }
    removed
}

/// Inserts `new` at the end of the block under the managed header, creating it when absent.
fn append(file: &mut EnvFile, new: Vec<Item>, nl: &str) {
    let source = &file.source;
    let header = file
        .items
        .iter()
        .position(|item| item.entry.is_none() && item.text(source).trim_end() == MANAGED_HEADER);
    if let Some(header) = header {
        let mut at = header + 1;
        while file.items.get(at).is_some_and(|item| item.entry.is_some()) {
            at += 1;
        }
        terminate(&mut file.items[at - 1], source, nl);
        file.items.splice(at..at, new);
        return;
    }
    if let Some(last) = file.items.last_mut() {
        terminate(last, source, nl);
        let ends_blank = last.entry.is_none() && last.text(source).trim().is_empty();
        if !ends_blank {
            file.items.push(trivia(nl.to_owned()));
        }
    }
    file.items.push(trivia(format!("{MANAGED_HEADER}{nl}")));
    file.items.extend(new);
}

/// A blank or comment line of one terminated line.
fn trivia(text: String) -> Item {
    Item {
        text: Text::Owned(text),
        newlines: 1,
        entry: None,
    }
}

/// Gives the item a final line ending if it is the file's unterminated last line.
fn terminate(item: &mut Item, source: &str, nl: &str) {
    let text = item.text(source);
    if !text.ends_with('\n') {
        let mut text = text.to_owned();
        text.push_str(nl);
        item.text = Text::Owned(text);
        item.newlines += 1;
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
        .map(|item| item.text(&file.source))
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
        if let Some(entry) = &mut item.entry {
            entry.line = line;
        }
        line += item.newlines;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "edit_tests.rs"]
mod tests;
