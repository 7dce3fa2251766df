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
//! A parse copies the text once and keeps each line as a range of that copy; only edited lines
//! own their text, so parsing and editing a large file cost no allocation per line.
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
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::OnceLock;

use parse::{Meta, Piece};

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
        closes_at_an_escaped_quote(self.quote, &self.raw_value)
    }
}

fn closes_at_an_escaped_quote(quote: Quote, raw_value: &str) -> bool {
    quote != Quote::None && raw_value.len() >= 3 && raw_value[..raw_value.len() - 1].ends_with('\\')
}

/// An [`Entry`] borrowed from the file: what [`EnvFile::find`] returns without copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub key: &'a str,
    /// As [`Entry::value`].
    pub value: &'a str,
    /// As [`Entry::raw_value`].
    pub raw_value: &'a str,
    pub quote: Quote,
    pub export: bool,
    pub line: usize,
    pub inline_comment: bool,
}

impl EntryRef<'_> {
    /// As [`Entry::closes_at_an_escaped_quote`].
    pub fn closes_at_an_escaped_quote(&self) -> bool {
        closes_at_an_escaped_quote(self.quote, self.raw_value)
    }

    fn to_owned_entry(self) -> Entry {
        Entry {
            key: self.key.to_owned(),
            value: self.value.to_owned(),
            raw_value: self.raw_value.to_owned(),
            quote: self.quote,
            export: self.export,
            line: self.line,
            inline_comment: self.inline_comment,
        }
    }
}

/// A piece of the file that renders to exactly the text it was parsed from (or, once
/// edited, the text the edit wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    text: Text,
    /// Line feeds in the text.
    newlines: usize,
    /// `None` for a blank or comment line; offsets are relative to the item's text.
    entry: Option<Meta>,
}

/// Where an item's text is: most items are never edited and stay a range of the parsed text,
/// so parsing copies the file once, not once per line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Text {
    Source(Range<usize>),
    Owned(String),
}

impl Item {
    fn new(piece: Piece) -> Item {
        Item {
            text: Text::Source(piece.span),
            newlines: piece.newlines,
            entry: piece.entry,
        }
    }

    fn text<'a>(&'a self, source: &'a str) -> &'a str {
        match &self.text {
            Text::Source(range) => &source[range.clone()],
            Text::Owned(text) => text,
        }
    }

    fn key<'a>(&'a self, source: &'a str) -> Option<&'a str> {
        Some(self.entry.as_ref()?.key(self.text(source)))
    }

    fn entry_ref<'a>(&'a self, source: &'a str) -> Option<EntryRef<'a>> {
        let meta = self.entry.as_ref()?;
        let text = self.text(source);
        Some(EntryRef {
            key: meta.key(text),
            value: meta.value(text),
            raw_value: meta.raw_value(text),
            quote: meta.quote,
            export: meta.export,
            line: meta.line,
            inline_comment: meta.inline_comment,
        })
    }
}

/// FNV-1a: the key lookups run once per entry of the file, and keys are short, known and not
/// attacker-chosen in a way that matters here (a slow lookup is the worst outcome).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by `.env` keys, with a hasher cheap for short keys.
type KeyMap<'k, V> = HashMap<&'k str, V, BuildHasherDefault<KeyHasher>>;

/// A parsed `.env` file that renders back to exactly the text it was parsed from, plus edits.
#[derive(Debug, Clone)]
pub struct EnvFile {
    /// A UTF-8 byte-order mark before the first line (dotenvy skips it; kept for losslessness).
    bom: bool,
    /// The parsed text (without byte-order mark): unedited items are ranges of it.
    source: String,
    items: Vec<Item>,
    /// The owned entries, made on the first [`EnvFile::entries`] and dropped by every edit.
    entries: OnceLock<Vec<Entry>>,
}

impl PartialEq for EnvFile {
    fn eq(&self, other: &EnvFile) -> bool {
        self.bom == other.bom
            && self.items.len() == other.items.len()
            && self.items.iter().zip(&other.items).all(|(a, b)| {
                a.text(&self.source) == b.text(&other.source)
                    && a.newlines == b.newlines
                    && a.entry == b.entry
            })
    }
}

impl Eq for EnvFile {}

impl EnvFile {
    pub fn parse(text: &str) -> Result<EnvFile, ParseError> {
        let (bom, body) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let items = parse::pieces(body)
            .map(|piece| piece.map(Item::new))
            .collect::<Result<_, _>>()?;
        Ok(EnvFile {
            bom,
            source: body.to_owned(),
            items,
            entries: OnceLock::new(),
        })
    }

    /// Every entry in file order, duplicates included.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .get_or_init(|| self.entry_refs().map(EntryRef::to_owned_entry).collect())
            .iter()
    }

    /// [`EnvFile::entries`], borrowed: no copy of any key or value.
    pub fn entry_refs(&self) -> impl Iterator<Item = EntryRef<'_>> {
        self.items
            .iter()
            .filter_map(|item| item.entry_ref(&self.source))
    }

    /// The effective value of `key`: its last occurrence, as python-dotenv reads it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.items
            .iter()
            .rev()
            .find(|item| item.key(&self.source) == Some(key))
            .and_then(|item| item.entry_ref(&self.source))
            .map(|e| e.value)
    }

    /// Every occurrence of each of `keys`, in file order: `find(keys)[i]` holds the entries of
    /// `keys[i]`. One pass over the file, however many keys are asked for.
    pub fn find(&self, keys: &[&str]) -> Vec<Vec<EntryRef<'_>>> {
        let mut slots: KeyMap<Vec<usize>> = KeyMap::default();
        for (i, key) in keys.iter().enumerate() {
            slots.entry(*key).or_default().push(i);
        }
        let mut found = vec![Vec::new(); keys.len()];
        for item in &self.items {
            let Some(key) = item.key(&self.source) else {
                continue;
            };
            let Some(slot) = slots.get(key) else { continue };
            if let Some(entry) = item.entry_ref(&self.source) {
                for &i in slot {
                    found[i].push(entry);
                }
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
        let len = self.items.iter().map(|item| item.text(&self.source).len());
        let mut out = String::with_capacity(3 + len.sum::<usize>());
        if self.bom {
            out.push('\u{feff}');
        }
        for item in &self.items {
            out.push_str(item.text(&self.source));
        }
        out
    }
}
