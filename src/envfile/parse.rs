//! Splits `.env` text into items (trivia lines and entries) that concatenate back to the input.
//!
//! Values are decoded with python-dotenv's rules (1.2.x `parser.py`), because the backend
//! reads the file with python-dotenv; dotenvy and Compose differ on edge cases that
//! [`super::quote_value`] never writes. Never interpolates and never echoes file content in
//! errors (a line may hold a secret).

use std::borrow::Cow;

use super::{Entry, Quote};

/// A piece of the file that renders to exactly the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// A blank or comment line, with its line ending.
    Trivia(String),
    Entry(RawEntry),
}

impl Item {
    pub(super) fn text(&self) -> &str {
        match self {
            Item::Trivia(text) => text,
            Item::Entry(raw) => &raw.text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RawEntry {
    pub entry: Entry,
    /// All lines of the entry, through the line ending of its last line ("" at EOF).
    pub text: String,
    /// Length of the text up to and including the key (indent, `export `, key): kept on `set`.
    pub lead_len: usize,
}

/// A line that cannot be read; names the line and the problem, never the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the .env file: {problem}")]
pub struct ParseError {
    pub line: usize,
    pub problem: ParseProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseProblem {
    #[error(
        "the value opens a {quote} quote that is never closed; add the closing {quote} \
         (a quoted value may span lines, so the quote may be missing further up)"
    )]
    UnterminatedQuote { quote: char },
    #[error(
        "expected `KEY=value`, a `# comment` or a blank line; a key starts with a letter or `_` \
         and has only letters, digits, `_` and `.`"
    )]
    InvalidKey,
    #[error("the key has no `=` after it; write `KEY=value` (or `KEY=` for an empty value)")]
    MissingEquals,
    #[error("text follows the closing quote; remove it or start it with ` #` to make it a comment")]
    TextAfterQuote,
    #[error(
        "a carriage return that does not end a line; save the file with LF or CRLF line endings"
    )]
    BareCarriageReturn,
}

/// One piece of the file, borrowed from its text: what [`parse_items`] makes owned, and what
/// a read that keeps only a few values walks without allocating per line.
pub(super) enum Piece<'a> {
    Trivia(&'a str),
    Entry(EntryRef<'a>),
}

/// An entry borrowed from the text; `value` is owned only when decoding changed it.
pub(super) struct EntryRef<'a> {
    pub key: &'a str,
    pub value: Cow<'a, str>,
    pub raw_value: &'a str,
    pub quote: Quote,
    pub export: bool,
    pub line: usize,
    pub inline_comment: bool,
    /// All lines of the entry, through the line ending of its last line.
    pub text: &'a str,
    pub lead_len: usize,
}

impl From<Piece<'_>> for Item {
    fn from(piece: Piece<'_>) -> Item {
        match piece {
            Piece::Trivia(text) => Item::Trivia(text.to_owned()),
            Piece::Entry(e) => Item::Entry(RawEntry {
                entry: Entry {
                    key: e.key.to_owned(),
                    value: e.value.into_owned(),
                    raw_value: e.raw_value.to_owned(),
                    quote: e.quote,
                    export: e.export,
                    line: e.line,
                    inline_comment: e.inline_comment,
                },
                text: e.text.to_owned(),
                lead_len: e.lead_len,
            }),
        }
    }
}

pub(super) fn parse_items(text: &str) -> Result<Vec<Item>, ParseError> {
    pieces(text).map(|piece| piece.map(Item::from)).collect()
}

/// The pieces of `text` in order; stops after the first error.
pub(super) fn pieces(text: &str) -> Pieces<'_> {
    Pieces {
        text,
        pos: 0,
        line: 1,
    }
}

pub(super) struct Pieces<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Result<Piece<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let piece = self.piece();
        if piece.is_err() {
            self.pos = self.text.len();
        }
        Some(piece)
    }
}

impl<'a> Pieces<'a> {
    fn piece(&mut self) -> Result<Piece<'a>, ParseError> {
        let (text, pos, line) = (self.text, self.pos, self.line);
        let (content_end, next) = line_bounds(text, pos);
        let content = &text[pos..content_end];
        if content.as_bytes().contains(&b'\r') {
            return Err(ParseError {
                line,
                problem: ParseProblem::BareCarriageReturn,
            });
        }
        let trimmed = content.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            self.line += 1;
            self.pos = next;
            return Ok(Piece::Trivia(&text[pos..next]));
        }
        let (entry, end) =
            parse_entry(text, pos, line).map_err(|(at_line, problem)| ParseError {
                line: at_line,
                problem,
            })?;
        self.line += newlines(entry.text);
        self.pos = end;
        Ok(Piece::Entry(entry))
    }
}

pub(super) fn newlines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

/// (end of the line's content, start of the next line) for the line starting at `pos`.
fn line_bounds(text: &str, pos: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    // Lines are short: a plain loop beats a vectorised search's set-up cost here.
    match bytes[pos..].iter().position(|&b| b == b'\n') {
        Some(offset) => {
            let nl = pos + offset;
            let content_end = if nl > pos && bytes[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            (content_end, nl + 1)
        }
        None => (text.len(), text.len()),
    }
}

type Failure = (usize, ParseProblem);

fn skip_blanks(text: &str, mut i: usize) -> usize {
    while matches!(text.as_bytes().get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

fn is_key_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

fn parse_entry(text: &str, start: usize, line: usize) -> Result<(EntryRef<'_>, usize), Failure> {
    let bytes = text.as_bytes();
    let mut i = skip_blanks(text, start);
    let mut export = false;
    if text[i..].starts_with("export") && matches!(bytes.get(i + 6), Some(b' ' | b'\t')) {
        let after = skip_blanks(text, i + 6);
        // `export =x` assigns the key `export`, as in dotenvy.
        if bytes.get(after).copied().is_some_and(is_key_start) {
            export = true;
            i = after;
        }
    }
    let key_start = i;
    if !bytes.get(i).copied().is_some_and(is_key_start) {
        return Err((line, ParseProblem::InvalidKey));
    }
    while bytes.get(i).copied().is_some_and(is_key_char) {
        i += 1;
    }
    let key = &text[key_start..i];
    let lead_len = i - start;
    i = skip_blanks(text, i);
    match bytes.get(i) {
        Some(b'=') => i += 1,
        Some(b'\r' | b'\n') | None => return Err((line, ParseProblem::MissingEquals)),
        Some(_) => return Err((line, ParseProblem::InvalidKey)),
    }
    i = skip_blanks(text, i);

    let parsed = match bytes.get(i) {
        Some(&q @ (b'\'' | b'"')) => parse_quoted(text, start, i, q, line)?,
        _ => parse_unquoted(text, i),
    };
    let (_, next) = line_bounds(text, parsed.end);
    let entry = EntryRef {
        key,
        value: parsed.value,
        raw_value: parsed.raw_value,
        quote: parsed.quote,
        export,
        line,
        inline_comment: parsed.inline_comment,
        text: &text[start..next],
        lead_len,
    };
    Ok((entry, next))
}

/// A value as read, and where its line's content ends.
struct ParsedValue<'a> {
    value: Cow<'a, str>,
    raw_value: &'a str,
    quote: Quote,
    inline_comment: bool,
    end: usize,
}

/// The quoted value opening with `q` at `open` (the entry starts at `start` on `line`).
fn parse_quoted(
    text: &str,
    start: usize,
    open: usize,
    q: u8,
    line: usize,
) -> Result<ParsedValue<'_>, Failure> {
    let close = find_close(text.as_bytes(), open + 1, q).ok_or((
        line,
        ParseProblem::UnterminatedQuote {
            quote: char::from(q),
        },
    ))?;
    // python reads the file with universal newlines: a CRLF (or lone CR) inside a value is LF.
    let content = &text[open + 1..close];
    let content: Cow<str> = if content.contains('\r') {
        Cow::Owned(content.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(content)
    };
    let (value, quote) = if q == b'\'' {
        (decode_single(content), Quote::Single)
    } else {
        (decode_double(content), Quote::Double)
    };
    let (content_end, _) = line_bounds(text, close + 1);
    let rest = text[close + 1..content_end].trim_start_matches([' ', '\t']);
    let inline_comment = rest.starts_with('#');
    let close_line = || line + newlines(&text[start..close]);
    if !rest.is_empty() && !inline_comment {
        return Err((close_line(), ParseProblem::TextAfterQuote));
    }
    // The first line was checked for a bare CR; the closing line of a multi-line value is here.
    if rest.contains('\r') {
        return Err((close_line(), ParseProblem::BareCarriageReturn));
    }
    Ok(ParsedValue {
        value,
        raw_value: &text[open..=close],
        quote,
        inline_comment,
        end: close + 1,
    })
}

fn parse_unquoted(text: &str, from: usize) -> ParsedValue<'_> {
    let (content_end, _) = line_bounds(text, from);
    let (value, inline_comment) = strip_unquoted(&text[from..content_end]);
    ParsedValue {
        value: Cow::Borrowed(value),
        raw_value: value,
        quote: Quote::None,
        inline_comment,
        end: from,
    }
}
/// The closing quote, as python-dotenv's `'((?:\\'|[^'])*)'` finds it: the first quote not
/// escaped by `\`; failing that, the last escaped one (the regex backtracks into it).
fn find_close(bytes: &[u8], from: usize, q: u8) -> Option<usize> {
    let mut last_escaped = None;
    let mut j = from;
    while j < bytes.len() {
        if bytes[j] == b'\\' && bytes.get(j + 1) == Some(&q) {
            last_escaped = Some(j + 1);
            j += 2;
        } else if bytes[j] == q {
            return Some(j);
        } else {
            j += 1;
        }
    }
    last_escaped
}

/// python-dotenv's unquoted value: cut at the first whitespace-then-`#`, then strip the right.
fn strip_unquoted(part: &str) -> (&str, bool) {
    let mut prev_ws = false;
    for (idx, c) in part.char_indices() {
        if c == '#' && prev_ws {
            return (part[..idx].trim_end(), true);
        }
        prev_ws = c.is_whitespace();
    }
    (part.trim_end(), false)
}

fn decode_single(content: Cow<'_, str>) -> Cow<'_, str> {
    decode(content, |c| matches!(c, '\\' | '\'').then_some(c))
}

fn decode_double(content: Cow<'_, str>) -> Cow<'_, str> {
    decode(content, |c| match c {
        '\\' | '\'' | '"' => Some(c),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        _ => None,
    })
}

/// Replaces `\x` with `escape(x)` where defined, left to right without overlap (like `re.sub`).
/// Most values hold no backslash and are returned as they are.
fn decode(content: Cow<'_, str>, escape: impl Fn(char) -> Option<char>) -> Cow<'_, str> {
    if !content.contains('\\') {
        return content;
    }
    let mut out = String::with_capacity(content.len());
    let mut chars = content.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(decoded) = chars.peek().copied().and_then(&escape)
        {
            out.push(decoded);
            chars.next();
            continue;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "parse_tests.rs"]
mod tests;
