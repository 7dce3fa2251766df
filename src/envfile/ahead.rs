//! Reading ahead with dotenvy: while `plan` parses and edits a large `.env`, a second thread
//! reads the ORIGINAL text with dotenvy in parts, and the round-trip check
//! ([`super::EnvFile::verify_rendered`]) reuses a part's result wherever the rendered text
//! holds that part byte for byte, reading only the rest itself.
//!
//! This module only reads and records; it never decides a verdict. Every verdict stays what a
//! whole-file dotenvy read says, for these reasons (see `verify::verify_reusing`):
//! - a part's result is a function of its bytes alone (dotenvy reads from memory; the process
//!   environment does not change during a plan), so it is reused only after the rendered
//!   region was compared with the part byte for byte;
//! - the rendered text is cut into segments (reused parts, and regions read afresh) at line
//!   ends only: each segment starts at the text's start or right after a `\n`, and ends with a
//!   `\n` or at the text's end;
//! - a segment is trusted only when it passes and every segment before it passed: a passing
//!   read ends in dotenvy's "complete" state, so the whole-file read is at the same line start
//!   in the same state and reads the next segment's lines exactly as a fresh read does;
//! - the one state dotenvy carries across lines is its `$NAME` substitution table, which
//!   changes values but never a line's success; so a segment after the first that supplies an
//!   expected key's value is trusted only when it holds no `$` at all;
//! - anything else (a failed part or segment, a `$`, a missing key) is decided again by one
//!   whole-file read.

use std::collections::HashMap;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, OnceLock, PoisonError};

use super::verify::read_with_dotenvy;

/// Bytes per part: small enough that an edit invalidates little, large enough that the fixed
/// cost of a dotenvy read (its buffer and table) stays small.
const PART_BYTES: usize = 8 * 1024;

/// Below this size the check reads the rendered text as it is: a thread costs more than
/// reading ahead saves (measured: at 500 lines, about 20 KiB, reading ahead still wins).
const READ_AHEAD_MIN_BYTES: usize = 16 * 1024;

/// dotenvy's reading of a text, part by part, shared by the threads that do it.
pub struct ReadAhead<'a> {
    /// The text without byte-order mark.
    text: &'a str,
    keys: &'a [&'a str],
    parts: Vec<Range<usize>>,
    reads: Vec<OnceLock<Option<PartRead>>>,
    /// The next unclaimed part from the front, and one past the last unclaimed from the back.
    claim: Mutex<(usize, usize)>,
}

/// One region as a fresh dotenvy read sees it; `None` where that read fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PartRead {
    /// The first value of each key asked for that occurs.
    pub values: HashMap<String, String>,
    /// The region holds a `$` (substitution could make its values depend on earlier lines).
    pub dollar: bool,
}

/// A fresh dotenvy read of `text`, keeping the values of `keys`.
pub(super) fn read_part(text: &str, keys: &[&str]) -> Option<PartRead> {
    let values = read_with_dotenvy(text, keys).ok()?;
    Some(PartRead {
        values,
        dollar: text.as_bytes().contains(&b'$'),
    })
}

impl<'a> ReadAhead<'a> {
    /// A read-ahead of `text` (a byte-order mark skipped) keeping the values of `keys`, or
    /// `None` when the text is small or there is one core: then a second thread costs more than
    /// it saves, and the check reads the rendered text as it is.
    pub fn new(text: &'a str, keys: &'a [&'a str]) -> Option<ReadAhead<'a>> {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let cores = super::cores();
        (body.len() >= READ_AHEAD_MIN_BYTES && cores >= 2)
            .then(|| ReadAhead::with_parts(body, keys, PART_BYTES))
    }

    /// Cuts `text` after the first `\n` at or beyond every `part_bytes`.
    pub(super) fn with_parts(text: &'a str, keys: &'a [&'a str], part_bytes: usize) -> Self {
        let bytes = text.as_bytes();
        let part_bytes = part_bytes.max(1);
        let mut parts = Vec::new();
        let mut start = 0;
        while start < bytes.len() {
            let from = (start + part_bytes).min(bytes.len()) - 1;
            let end = bytes[from..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |at| from + at + 1);
            parts.push(start..end);
            start = end;
        }
        let count = parts.len();
        ReadAhead {
            text,
            keys,
            parts,
            reads: (0..count).map(|_| OnceLock::new()).collect(),
            claim: Mutex::new((0, count)),
        }
    }

    /// Reads unclaimed parts, taking them from the front (the helper thread) or from the back
    /// (the thread that will check, once its own work is done), until none is left.
    pub fn work(&self, from_back: bool) {
        while let Some(i) = self.claim(from_back) {
            let part = &self.text[self.parts[i].clone()];
            // A panic inside dotenvy must not leave the checking thread waiting forever: the
            // part counts as failed, and the whole-file read (which would panic again, on the
            // checking thread) decides.
            let read = catch_unwind(AssertUnwindSafe(|| read_part(part, self.keys)))
                .ok()
                .flatten();
            // Each part is claimed once, so the cell is empty.
            let _ = self.reads[i].set(read);
        }
    }

    fn claim(&self, from_back: bool) -> Option<usize> {
        let mut claim = self.claim.lock().unwrap_or_else(PoisonError::into_inner);
        let (front, back) = &mut *claim;
        if front >= back {
            return None;
        }
        if from_back {
            *back -= 1;
            Some(*back)
        } else {
            *front += 1;
            Some(*front - 1)
        }
    }

    pub(super) fn text(&self) -> &'a str {
        self.text
    }

    pub(super) fn keys(&self) -> &'a [&'a str] {
        self.keys
    }

    pub(super) fn parts(&self) -> &[Range<usize>] {
        &self.parts
    }

    /// Part `i`'s read, waiting for the thread reading it. Call [`ReadAhead::work`] first:
    /// then every part has been claimed, and each claimed part gets its read.
    pub(super) fn read(&self, i: usize) -> Option<&PartRead> {
        self.reads[i].wait().as_ref()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "ahead_tests.rs"]
mod tests;
