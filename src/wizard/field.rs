//! One field being edited: its text, cursor and validation status. Pure text editing; the
//! rules come from `validate::field`.

use crate::model::{FieldId, SslMode};
use crate::validate::FieldError;

/// How a field is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    /// Masked while typed; a key reveals it.
    Secret,
    /// One of a few values, cycled with ←/→ (a paste is still accepted and normalised).
    Choice(&'static [&'static str]),
}

const CLOUDS: [&str; 3] = ["public", "usgov", "china"];
const CREDENTIALS: [&str; 2] = ["client-credentials", "shared-key"];

impl FieldKind {
    pub fn of(f: FieldId) -> FieldKind {
        match f {
            FieldId::Cloud => FieldKind::Choice(&CLOUDS),
            FieldId::PgSslMode => FieldKind::Choice(&SslMode::NAMES),
            FieldId::StorageCredential => FieldKind::Choice(&CREDENTIALS),
            f if f.is_secret() => FieldKind::Secret,
            _ => FieldKind::Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldStatus {
    /// Not checked since it was last edited.
    Unchecked,
    Valid {
        notes: Vec<String>,
        warnings: Vec<String>,
    },
    Invalid(FieldError),
}

#[derive(Clone, PartialEq, Eq)]
pub struct FieldState {
    pub text: String,
    /// Cursor position in characters.
    pub cursor: usize,
    pub status: FieldStatus,
}

/// The text may be a secret: `Debug` shows its length, never the value.
impl std::fmt::Debug for FieldState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldState")
            .field(
                "text",
                &format_args!("<{} chars>", self.text.chars().count()),
            )
            .field("cursor", &self.cursor)
            .field("status", &self.status)
            .finish()
    }
}

/// What [`FieldState::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    /// A whole value was pasted: the caller validates it at once.
    Pasted,
    /// The text or the cursor changed.
    Typed,
    /// The message does not edit this field.
    Nothing,
}

impl FieldState {
    pub fn new(text: &str) -> FieldState {
        FieldState {
            text: text.to_owned(),
            cursor: text.chars().count(),
            status: FieldStatus::Unchecked,
        }
    }

    pub fn set_text(&mut self, text: &str) {
        text.clone_into(&mut self.text);
        self.cursor = text.chars().count();
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    pub fn insert(&mut self, s: &str) {
        let at = self.byte_at(self.cursor);
        self.text.insert_str(at, s);
        self.cursor += s.chars().count();
    }

    pub fn backspace(&mut self) {
        if self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        let at = self.byte_at(self.cursor);
        self.text.remove(at);
    }

    pub fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.text.chars().count();
    }

    /// Cycles a choice field by `step` (±1) through `options`.
    pub fn cycle(&mut self, options: &[&str], forward: bool) {
        let n = options.len();
        if n == 0 {
            return;
        }
        let current = options.iter().position(|o| *o == self.text.trim());
        let next = match (current, forward) {
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
            (None, _) => 0,
        };
        self.set_text(options[next]);
        self.status = FieldStatus::Unchecked;
    }

    /// One editing message on a field of `kind`: a paste (newlines dropped; it replaces a
    /// choice), a keystroke, a cursor move. A change leaves the status unchecked.
    pub fn apply(&mut self, msg: &super::Msg, kind: FieldKind) -> Edited {
        use super::Msg;
        match (msg, kind) {
            (Msg::Paste(text), kind) => {
                // A paste is a whole value: newlines are never part of one.
                let clean: String = text
                    .0
                    .chars()
                    .filter(|c| *c != '\n' && *c != '\r')
                    .collect();
                if matches!(kind, FieldKind::Choice(_)) {
                    self.set_text("");
                }
                self.insert(&clean);
                return Edited::Pasted;
            }
            (Msg::Left, FieldKind::Choice(opts)) => self.cycle(opts, false),
            (Msg::Right | Msg::Input(' '), FieldKind::Choice(opts)) => self.cycle(opts, true),
            (_, FieldKind::Choice(_)) => return Edited::Nothing,
            (Msg::Input(c), _) => self.insert(&c.to_string()),
            (Msg::Backspace, _) => self.backspace(),
            (Msg::Delete, _) => self.delete(),
            (Msg::Left, _) => self.left(),
            (Msg::Right, _) => self.right(),
            (Msg::Home, _) => self.home(),
            (Msg::End, _) => self.end(),
            (Msg::Clear, _) => self.set_text(""),
            _ => return Edited::Nothing,
        }
        self.status = FieldStatus::Unchecked;
        Edited::Typed
    }

    pub fn error(&self) -> Option<&FieldError> {
        match &self.status {
            FieldStatus::Invalid(e) => Some(e),
            _ => None,
        }
    }
}
