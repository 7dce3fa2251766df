//! Lossless reading, editing and rendering of a `.env` file (the backend's `backend/.env`).
//!
//! The file belongs to the user: it is *edited*, never regenerated. Comments, blank lines,
//! order, `export` prefixes, CRLF line endings and every key we do not touch survive
//! byte-for-byte, and [`EnvFile::render`] of an unedited parse is identical to its input.
//!
//! Values are read the way python-dotenv (the backend's reader) reads them, without
//! interpolation. Values are written in the one form that dotenvy, python-dotenv and Docker
//! Compose all read back unchanged (see [`quote_value`]); a value no form can carry is refused
//! with a [`QuoteError`] rather than written in a form one of them would misread.
//!
//! This module performs no I/O and never prints a value: values may be secrets, so errors name
//! lines, keys and positions, never contents.

mod edit;
mod parse;
mod quote;
mod verify;

pub use edit::SetError;
pub use parse::{ParseError, ParseProblem};
pub use quote::{QuoteError, quote_value};
pub use verify::{RoundTripError, verify_round_trip};

use std::collections::HashMap;

use parse::Item;

/// The comment line under which keys new to the file are appended.
pub const MANAGED_HEADER: &str = "# --- Lakekeeper (managed by lakekeeper-setup) ---";

/// How a value is quoted in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    None,
    Single,
    Double,
}

/// One `KEY=value` assignment as it appears in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// The literal value as python-dotenv reads it, WITHOUT interpolation (escapes decoded,
    /// inline comment and trailing whitespace of unquoted values removed).
    pub value: String,
    /// The value exactly as in the file, quotes included (without any inline comment).
    pub raw_value: String,
    pub quote: Quote,
    /// The line starts with `export `.
    pub export: bool,
    /// 1-based line where the entry starts.
    pub line: usize,
    /// A `# comment` follows the value on the same line.
    pub inline_comment: bool,
}

impl Entry {
    /// The quoted value ends at an escaped quote (`'…\'`): no plain closing quote followed, so
    /// the reader backtracked, and a quote written anywhere below would move its end.
    pub fn closes_at_an_escaped_quote(&self) -> bool {
        self.quote != Quote::None
            && self.raw_value.len() >= 3
            && self.raw_value[..self.raw_value.len() - 1].ends_with('\\')
    }
}

/// A parsed `.env` file that renders back to exactly the text it was parsed from, plus edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFile {
    /// A UTF-8 byte-order mark before the first line (dotenvy skips it; kept for losslessness).
    bom: bool,
    items: Vec<Item>,
}

impl EnvFile {
    pub fn parse(text: &str) -> Result<EnvFile, ParseError> {
        let (bom, body) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        Ok(EnvFile {
            bom,
            items: parse::parse_items(body)?,
        })
    }

    /// Every entry in file order, duplicates included.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().filter_map(|item| match item {
            Item::Entry(raw) => Some(&raw.entry),
            Item::Trivia(_) => None,
        })
    }

    /// The effective value of `key`: its last occurrence, as python-dotenv reads it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries()
            .filter(|e| e.key == key)
            .last()
            .map(|e| e.value.as_str())
    }

    /// Every occurrence of each of `keys`, in file order: `find(keys)[i]` holds the entries of
    /// `keys[i]`. One pass over the file, however many keys are asked for.
    pub fn find(&self, keys: &[&str]) -> Vec<Vec<&Entry>> {
        let mut slots: HashMap<&str, Vec<usize>> = HashMap::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            slots.entry(*key).or_default().push(i);
        }
        let mut found = vec![Vec::new(); keys.len()];
        for entry in self.entries() {
            for &i in slots.get(entry.key.as_str()).into_iter().flatten() {
                found[i].push(entry);
            }
        }
        found
    }

    /// Sets `key` to `value`: in place when the key exists (first occurrence replaced, later
    /// duplicates removed), else appended under [`MANAGED_HEADER`].
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), QuoteError> {
        edit::set_all(self, &[(key, value)]).map_err(|e| e.source)
    }

    /// [`EnvFile::set`] for every pair, in one pass over the file. New keys are appended in the
    /// order given; a key given twice takes its last value. Atomic: when a value cannot be
    /// written, the error names its index and the file is unchanged.
    pub fn set_all(&mut self, pairs: &[(&str, &str)]) -> Result<(), SetError> {
        edit::set_all(self, pairs)
    }

    /// Removes every occurrence of `key`; returns whether there was one.
    pub fn remove(&mut self, key: &str) -> bool {
        edit::remove_all(self, &[key]) > 0
    }

    /// Removes every occurrence of each of `keys` in one pass; returns how many entries went.
    pub fn remove_all(&mut self, keys: &[&str]) -> usize {
        edit::remove_all(self, keys)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.bom {
            out.push('\u{feff}');
        }
        for item in &self.items {
            out.push_str(item.text());
        }
        out
    }
}
