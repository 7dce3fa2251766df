//! The question steps (tenant … encryption key): editing, inline validation through the shared
//! `validate::field`, normalisation with notes, blocked forward, never-blocked back, skip.

use super::{Edited, Effect, FieldKind, FieldStatus, KeyChoice, Msg, Step, Wizard};
use crate::model::{FieldId, Source};
use crate::validate;

impl Wizard {
    pub(super) fn on_form(&mut self, msg: Msg) -> Vec<Effect> {
        self.blocked = None;
        let focused = self.focused();
        match msg {
            Msg::Back => return self.go_back(),
            Msg::Forward => return self.forward(),
            Msg::Skip if self.step == Step::Ui => {
                let st = self.field_mut(FieldId::UiClientId);
                st.set_text("");
                st.status = FieldStatus::Unchecked;
                self.answers.remove(FieldId::UiClientId);
                return self.enter_step(self.step.next());
            }
            Msg::ChooseKey(c)
                if self.step == Step::EncryptionKey && self.key.options().contains(&c) =>
            {
                self.key.choice = c;
            }
            Msg::Pick => return self.open_picker(),
            Msg::ToggleReveal => {
                self.reveal = focused.is_some_and(FieldId::is_secret) && !self.reveal;
            }
            Msg::NextField => self.move_focus(true),
            Msg::PrevField => self.move_focus(false),
            Msg::Enter => return self.enter(),
            Msg::Submit(text) => {
                if let Some(f) = focused {
                    self.field_mut(f).set_text(&text.0);
                    self.field_mut(f).status = FieldStatus::Unchecked;
                }
                return self.enter();
            }
            Msg::Left | Msg::Right if self.step == Step::EncryptionKey && self.focus == 0 => {
                self.cycle_key(msg == Msg::Right);
            }
            edit => {
                if let Some(f) = focused {
                    self.edit(f, &edit);
                }
            }
        }
        Vec::new()
    }

    pub(super) fn field_mut(&mut self, f: FieldId) -> &mut super::FieldState {
        self.fields
            .entry(f)
            .or_insert_with(|| super::FieldState::new(""))
    }

    fn edit(&mut self, f: FieldId, msg: &Msg) {
        let kind = FieldKind::of(f);
        let st = self.field_mut(f);
        let was_invalid = matches!(st.status, FieldStatus::Invalid(_));
        match st.apply(msg, kind) {
            Edited::Pasted => {
                self.commit(f);
                return;
            }
            Edited::Nothing => return,
            Edited::Typed => {}
        }
        // Once an error is showing, re-check on every keystroke so it clears as soon as the
        // value is right (without rewriting the text under the cursor).
        if was_invalid {
            let r = validate::field(f, &self.field(f).text, &self.answers);
            self.field_mut(f).status = match r {
                Ok(c) => FieldStatus::Valid {
                    notes: c.notes,
                    warnings: c.warnings,
                },
                Err(e) => FieldStatus::Invalid(e),
            };
        }
    }

    /// Validates the field's text; on success the text becomes the normalised value and the
    /// answer is updated (keeping its source when the value did not change).
    pub(super) fn commit(&mut self, f: FieldId) -> bool {
        let mut raw = self.field(f).text.clone();
        if raw.trim().is_empty()
            && let Some(d) = validate::default_for(f, &self.answers)
        {
            raw = d;
        }
        if f == FieldId::StorageAccount && raw.trim().starts_with("abfss://") {
            return self.split_location(&raw);
        }
        match validate::field(f, &raw, &self.answers) {
            Ok(c) => {
                let st = self.field_mut(f);
                // Re-checking an already normalised value yields no notes; keep the ones that
                // explain how it got that way.
                let (notes, warnings) = match &st.status {
                    FieldStatus::Valid { notes, warnings }
                        if st.text == c.value && c.notes.is_empty() =>
                    {
                        (notes.clone(), warnings.clone())
                    }
                    _ => (c.notes, c.warnings),
                };
                st.set_text(&c.value);
                st.status = FieldStatus::Valid { notes, warnings };
                self.set_answer(f, &c.value);
                true
            }
            Err(e) => {
                self.field_mut(f).status = FieldStatus::Invalid(e);
                false
            }
        }
    }

    /// Records a value. A value equal to the default, where there was no answer, stays
    /// unrecorded: the default applies anyway, and a re-run must hand back the same answers.
    fn set_answer(&mut self, f: FieldId, value: &str) {
        let is_default = validate::default_for(f, &self.answers).as_deref() == Some(value);
        if value.is_empty() {
            self.answers.remove(f);
        } else if is_default && self.answers.get(f).is_none() {
            // Leave it to the default.
        } else if self.answers.get(f) != Some(value) {
            self.answers.set(f, value, Source::Wizard);
        }
    }

    /// A pasted `abfss://` location fills account, container and prefix, with a note.
    fn split_location(&mut self, raw: &str) -> bool {
        let cloud = self
            .answers
            .get(FieldId::Cloud)
            .and_then(|c| validate::cloud(c).ok())
            .map(|c| c.value);
        match validate::abfss(raw, cloud) {
            Ok(loc) => {
                let l = loc.value;
                let mut notes = vec![format!(
                    "split {} into account, container and key prefix",
                    l.to_uri()
                )];
                notes.extend(loc.notes);
                for (f, v) in [
                    (FieldId::StorageAccount, &l.account),
                    (FieldId::StorageContainer, &l.filesystem),
                    (FieldId::StorageKeyPrefix, &l.key_prefix),
                ] {
                    let st = self.field_mut(f);
                    st.set_text(v);
                    st.status = FieldStatus::Valid {
                        notes: Vec::new(),
                        warnings: Vec::new(),
                    };
                    self.set_answer(f, v);
                }
                self.field_mut(FieldId::StorageAccount).status = FieldStatus::Valid {
                    notes,
                    warnings: Vec::new(),
                };
                true
            }
            Err(e) => {
                self.field_mut(FieldId::StorageAccount).status = FieldStatus::Invalid(e);
                false
            }
        }
    }

    /// Fills an empty, unchecked field with its default (e.g. `api://<client id>`).
    pub(super) fn fill_default(&mut self, f: FieldId) {
        if f == FieldId::EncryptionKey {
            return;
        }
        let st = self.field(f);
        if st.text.is_empty()
            && st.status == FieldStatus::Unchecked
            && let Some(d) = validate::default_for(f, &self.answers)
        {
            self.field_mut(f).set_text(&d);
        }
    }

    fn row_count(&self) -> usize {
        if self.step == Step::EncryptionKey {
            if self.key.choice == KeyChoice::Paste {
                2
            } else {
                1
            }
        } else {
            self.step.fields().len()
        }
    }

    fn move_focus(&mut self, down: bool) {
        if let Some(f) = self.focused() {
            // Leaving a field checks it (the error shows), but never blocks moving.
            self.commit(f);
        }
        let n = self.row_count();
        self.focus = if down {
            (self.focus + 1).min(n.saturating_sub(1))
        } else {
            self.focus.saturating_sub(1)
        };
        self.reveal = false;
        if let Some(f) = self.focused() {
            self.fill_default(f);
        }
    }

    fn enter(&mut self) -> Vec<Effect> {
        if self.step == Step::EncryptionKey && self.focus == 0 {
            if self.key.choice == KeyChoice::Paste {
                self.focus = 1;
                return Vec::new();
            }
            return self.forward();
        }
        let Some(f) = self.focused() else {
            return self.forward();
        };
        if !self.commit(f) {
            return Vec::new();
        }
        if self.focus + 1 < self.row_count() {
            self.move_focus(true);
            Vec::new()
        } else {
            self.forward()
        }
    }

    pub(super) fn go_back(&mut self) -> Vec<Effect> {
        let prev = self.step.prev();
        let effects = self.enter_step(prev);
        if prev == Step::EncryptionKey && self.key.choice == KeyChoice::Paste {
            self.focus = 1;
        }
        effects
    }

    fn cycle_key(&mut self, forward: bool) {
        let opts = self.key.options();
        let i = opts.iter().position(|c| *c == self.key.choice).unwrap_or(0);
        let n = opts.len();
        self.key.choice = opts[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// Checks every field of the step; moves on only when all pass.
    fn forward(&mut self) -> Vec<Effect> {
        if self.step == Step::EncryptionKey {
            return self.forward_key();
        }
        let fields = self.step.fields();
        let mut first_bad = None;
        for (i, f) in fields.iter().enumerate() {
            if !self.commit(*f) && first_bad.is_none() {
                first_bad = Some(i);
            }
        }
        if let Some(i) = first_bad {
            self.focus = i;
            self.reveal = false;
            self.blocked = Some(format!(
                "{} needs fixing before going on",
                crate::strings::label(fields[i])
            ));
            return Vec::new();
        }
        self.enter_step(self.step.next())
    }

    fn forward_key(&mut self) -> Vec<Effect> {
        let f = FieldId::EncryptionKey;
        let value = match self.key.choice {
            KeyChoice::Keep => {
                let source = self.ctx.env_file_key.is_some().then_some(Source::EnvFile);
                self.key
                    .existing
                    .as_ref()
                    .map(|k| (k.expose().to_owned(), source))
            }
            KeyChoice::Generate => Some((
                self.key.generated.expose().to_owned(),
                Some(Source::Generated),
            )),
            KeyChoice::Paste => {
                if !self.commit(f) {
                    self.focus = 1;
                    self.blocked = Some("the pasted key needs fixing before going on".into());
                    return Vec::new();
                }
                None
            }
        };
        if let Some((v, source)) = value
            && self.answers.get(f) != Some(v.as_str())
        {
            self.answers.set(f, v, source.unwrap_or(Source::Wizard));
        }
        self.enter_step(Step::Production)
    }

    /// Replacing a key that exists: stored warehouse secrets become unreadable.
    pub fn key_warning(&self) -> Option<&'static str> {
        match (
            self.key.choice,
            self.key.existing.is_some(),
            self.key.shadowed,
        ) {
            (KeyChoice::Keep, _, true) => Some(
                "LAKEKEEPER__PG_ENCRYPTION_KEY in your environment differs from the key in backend/.env; Keep keeps the one in .env (unset the variable to silence this)",
            ),
            (KeyChoice::Keep, _, false) | (_, false, _) => None,
            (_, true, _) => Some(
                "replacing the existing key makes every warehouse secret stored with it unreadable (`Wrong key or corrupt data`); do this only if no warehouse exists yet",
            ),
        }
    }
}
