//! Splits `.env` text into items (trivia lines and entries) that concatenate back to the input.
//!
//! Values are decoded with python-dotenv's rules (1.2.x `parser.py`), because the backend
//! reads the file with python-dotenv; dotenvy and Compose differ on edge cases that
//! [`super::quote_value`] never writes. Never interpolates and never echoes file content in
//! errors (a line may hold a secret).

use std::borrow::Cow;
use std::ops::Range;

use super::Quote;

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

/// One piece of the file (a trivia line or an entry) as offsets into the parsed text:
/// what [`super::EnvFile`] keeps without copying, and what a read that keeps only a few
/// values walks without allocating per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Piece {
    /// The piece's text in the parsed text: all its lines, through the last line ending.
    pub span: Range<usize>,
    /// Line feeds in the piece's text (1 for a terminated one-line piece).
    pub newlines: usize,
    /// `None` for a blank or comment line.
    pub entry: Option<Meta>,
}

/// An entry's parts, as offsets relative to the start of the entry's text (so they stay
/// valid when the text is moved or rewritten after its lead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Meta {
    pub key_start: usize,
    /// Length of the text up to and including the key (indent, `export `, key): kept on
    /// `set`; also where the key ends.
    pub lead_len: usize,
    /// The value exactly as in the file, quotes included (without any inline comment).
    pub raw: Range<usize>,
    pub value: Value,
    pub quote: Quote,
    pub export: bool,
    /// 1-based line where the entry starts.
    pub line: usize,
    pub inline_comment: bool,
}

/// A value as python-dotenv reads it: most values are a slice of the entry's text; only a
/// value that decoding changed is owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    Slice(Range<usize>),
    Owned(String),
}

impl Meta {
    pub fn key<'t>(&self, text: &'t str) -> &'t str {
        &text[self.key_start..self.lead_len]
    }

    pub fn raw_value<'t>(&self, text: &'t str) -> &'t str {
        &text[self.raw.clone()]
    }

    /// The value; `text` is the entry's text (the one the offsets are relative to).
    pub fn value<'t>(&'t self, text: &'t str) -> &'t str {
        match &self.value {
            Value::Slice(range) => &text[range.clone()],
            Value::Owned(value) => value,
        }
    }
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

impl Iterator for Pieces<'_> {
    type Item = Result<Piece, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let piece = self.piece();
        match &piece {
            Ok(piece) => {
                self.pos = piece.span.end;
                self.line += piece.newlines;
            }
            Err(_) => self.pos = self.text.len(),
        }
        Some(piece)
    }
}

impl Pieces<'_> {
    fn piece(&self) -> Result<Piece, ParseError> {
        let (text, pos, line) = (self.text, self.pos, self.line);
        let Some((content_end, next)) = first_line(text.as_bytes(), pos) else {
            return Err(ParseError {
                line,
                problem: ParseProblem::BareCarriageReturn,
            });
        };
        let trimmed = skip_blanks(text, pos);
        if trimmed == content_end || text.as_bytes()[trimmed] == b'#' {
            return Ok(Piece {
                span: pos..next,
                newlines: usize::from(next > content_end),
                entry: None,
            });
        }
        parse_entry(text, pos, line, content_end, next).map_err(|(at_line, problem)| ParseError {
            line: at_line,
            problem,
        })
    }
}

pub(super) fn newlines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

/// (end of the line's content, start of the next line) for the line starting at `pos`, or
/// `None` when a carriage return occurs in it other than right before its line feed. One
/// pass over the line: this runs for every line of the file.
fn first_line(bytes: &[u8], pos: usize) -> Option<(usize, usize)> {
    let mut i = pos;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => return Some((i, i + 1)),
            b'\r' => {
                return (bytes.get(i + 1) == Some(&b'\n')).then_some((i, i + 2));
            }
            _ => i += 1,
        }
    }
    Some((bytes.len(), bytes.len()))
}

/// (end of the line's content, start of the next line) for the line holding `pos`.
fn line_bounds(text: &str, pos: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
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

/// The entry starting at `start` on `line`, whose first line's content ends at
/// `content_end` and is followed by `next`.
fn parse_entry(
    text: &str,
    start: usize,
    line: usize,
    content_end: usize,
    next: usize,
) -> Result<Piece, Failure> {
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
    let lead_len = i - start;
    i = skip_blanks(text, i);
    match bytes.get(i) {
        Some(b'=') => i += 1,
        Some(b'\r' | b'\n') | None => return Err((line, ParseProblem::MissingEquals)),
        Some(_) => return Err((line, ParseProblem::InvalidKey)),
    }
    i = skip_blanks(text, i);

    let (parsed, end, newlines) = match bytes.get(i) {
        Some(&q @ (b'\'' | b'"')) => {
            let parsed = parse_quoted(text, start, i, q, line)?;
            if parsed.end <= content_end {
                (parsed, next, usize::from(next > content_end))
            } else {
                // A multi-line value: the entry runs through the line of its closing quote.
                let (_, end) = line_bounds(text, parsed.end);
                (parsed, end, newlines(&text[start..end]))
            }
        }
        _ => (
            parse_unquoted(text, i, content_end),
            next,
            usize::from(next > content_end),
        ),
    };
    let relative = |range: Range<usize>| range.start - start..range.end - start;
    Ok(Piece {
        span: start..end,
        newlines,
        entry: Some(Meta {
            key_start: key_start - start,
            lead_len,
            raw: relative(parsed.raw),
            value: match parsed.value {
                Decoded::Same(range) => Value::Slice(relative(range)),
                Decoded::Changed(value) => Value::Owned(value),
            },
            quote: parsed.quote,
            export,
            line,
            inline_comment: parsed.inline_comment,
        }),
    })
}

/// A value as read (offsets into the whole text), and where it ends.
struct ParsedValue {
    value: Decoded,
    raw: Range<usize>,
    quote: Quote,
    inline_comment: bool,
    /// Just after the closing quote, or the end of an unquoted value's line content.
    end: usize,
}

/// A decoded value: the text as it stands, or what decoding made of it.
enum Decoded {
    Same(Range<usize>),
    Changed(String),
}

/// The quoted value opening with `q` at `open` (the entry starts at `start` on `line`).
fn parse_quoted(
    text: &str,
    start: usize,
    open: usize,
    q: u8,
    line: usize,
) -> Result<ParsedValue, Failure> {
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
    let value = match value {
        Cow::Borrowed(_) => Decoded::Same(open + 1..close),
        Cow::Owned(value) => Decoded::Changed(value),
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
        raw: open..close + 1,
        quote,
        inline_comment,
        end: close + 1,
    })
}

/// The unquoted value starting at `from`, on a line whose content ends at `content_end`.
fn parse_unquoted(text: &str, from: usize, content_end: usize) -> ParsedValue {
    let (value_len, inline_comment) = strip_unquoted(&text[from..content_end]);
    ParsedValue {
        value: Decoded::Same(from..from + value_len),
        raw: from..from + value_len,
        quote: Quote::None,
        inline_comment,
        end: content_end,
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
/// Returns the value's length (it starts where `part` does).
fn strip_unquoted(part: &str) -> (usize, bool) {
    let mut prev_ws = false;
    for (idx, c) in part.char_indices() {
        if c == '#' && prev_ws {
            return (part[..idx].trim_end().len(), true);
        }
        prev_ws = c.is_whitespace();
    }
    (part.trim_end().len(), false)
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
