//! `set` and `remove`: surgical edits that leave every byte they do not own untouched.
//!
//! Never reformats other lines, never writes inline comments, and never changes the file's
//! line-ending style.

use super::parse::{Item, RawEntry};
use super::quote::{check_key, quoted};
use super::{Entry, EnvFile, MANAGED_HEADER, QuoteError};

pub(super) fn set(file: &mut EnvFile, key: &str, value: &str) -> Result<(), QuoteError> {
    check_key(key)?;
    let (quote, rhs) = quoted(value)?;
    let positions: Vec<usize> = entry_positions(file, key).collect();
    if let Some((&first, duplicates)) = positions.split_first() {
        if let Item::Entry(raw) = &mut file.items[first] {
            let eol = line_ending_of(&raw.text).to_owned();
            let lead = raw.text[..raw.lead_len].to_owned();
            raw.text = format!("{lead}={rhs}{eol}");
            value.clone_into(&mut raw.entry.value);
            raw.entry.raw_value = rhs;
            raw.entry.quote = quote;
            raw.entry.inline_comment = false;
        }
        for &index in duplicates.iter().rev() {
            file.items.remove(index);
        }
    } else {
        let nl = file_line_ending(file);
        let lead_len = key.len();
        let new = Item::Entry(RawEntry {
            entry: Entry {
                key: key.to_owned(),
                value: value.to_owned(),
                raw_value: rhs.clone(),
                quote,
                export: false,
                line: 0,
                inline_comment: false,
            },
            text: format!("{key}={rhs}{nl}"),
            lead_len,
        });
        append(file, new, nl);
    }
    renumber(file);
    Ok(())
}

pub(super) fn remove(file: &mut EnvFile, key: &str) -> bool {
    let before = file.items.len();
    file.items
        .retain(|item| !matches!(item, Item::Entry(raw) if raw.entry.key == key));
    let removed = file.items.len() != before;
    if removed {
        renumber(file);
    }
    removed
}

fn entry_positions<'a>(file: &'a EnvFile, key: &'a str) -> impl Iterator<Item = usize> + 'a {
    file.items
        .iter()
        .enumerate()
        .filter(move |(_, item)| matches!(item, Item::Entry(raw) if raw.entry.key == key))
        .map(|(index, _)| index)
}

/// Inserts `new` at the end of the block under the managed header, creating it when absent.
fn append(file: &mut EnvFile, new: Item, nl: &str) {
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
        file.items.insert(at, new);
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
    file.items.push(new);
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

fn line_ending_of(text: &str) -> &str {
    if text.ends_with("\r\n") {
        "\r\n"
    } else if text.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}

/// The file's line ending: that of its first line (CRLF files stay CRLF), LF by default.
fn file_line_ending(file: &EnvFile) -> &'static str {
    let first_terminated = file.items.iter().find_map(|item| {
        let text = item.text();
        text.find('\n')
            .map(|nl| nl > 0 && text.as_bytes()[nl - 1] == b'\r')
    });
    if first_terminated == Some(true) {
        "\r\n"
    } else {
        "\n"
    }
}

fn renumber(file: &mut EnvFile) {
    let mut line = 1;
    for item in &mut file.items {
        if let Item::Entry(raw) = item {
            raw.entry.line = line;
        }
        line += item.text().matches('\n').count();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "edit_tests.rs"]
mod tests;
