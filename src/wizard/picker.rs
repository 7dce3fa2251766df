//! Pick instead of paste: on a field that names an Azure object, `Msg::Pick` opens a list
//! fetched live (`Effect::Fetch(ListKind)`, answered by `Msg::Listed`). The list filters as the
//! user types; choosing a row sets its `fills` through the same path as typing (so the usual
//! validators and normalisers run); a storage account then offers its containers.
//!
//! Pure state: the fetch is the driver's (off the render path); the spinner advances on
//! `Msg::Tick`, never by reading a clock. A result that arrives after the picker was closed or
//! moved on to another list is dropped.

use super::{Effect, FieldStatus, Msg, Step, Wizard};
use crate::azure::pick::{Choice, ListError, ListKind};
use crate::model::FieldId;

/// Rows a PgUp/PgDn moves the highlight by.
const PAGE: usize = 10;

/// The open picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    /// The field it was opened from (the container field when a storage account's containers
    /// are offered next).
    pub field: FieldId,
    pub kind: ListKind,
    pub state: PickerState,
    /// The filter the list starts with (the account typed so far, when the container field had
    /// to list the accounts first).
    pub seed: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerState {
    /// Waiting for `Msg::Listed`; `frame` counts `Msg::Tick`s for the spinner.
    Loading {
        frame: usize,
    },
    Loaded(PickList),
    Failed(ListError),
}

/// A loaded list with its filter and highlight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickList {
    pub choices: Vec<Choice>,
    pub filter: String,
    /// Position of the highlight among the visible rows.
    pub selected: usize,
    /// Why the last `Enter` chose nothing (a greyed row).
    pub refused: Option<String>,
}

impl PickList {
    fn new(choices: Vec<Choice>, filter: String, current: Option<(FieldId, &str)>) -> PickList {
        let mut l = PickList {
            choices,
            filter,
            selected: 0,
            refused: None,
        };
        let visible = l.visible();
        // Highlight the row the field already holds, else the first one that can be chosen.
        let holds = |c: &Choice| {
            current.is_some_and(|(f, v)| {
                !v.is_empty() && c.fills.iter().any(|(ff, vv)| *ff == f && vv == v)
            })
        };
        l.selected = visible
            .iter()
            .position(|i| holds(&l.choices[*i]))
            .or_else(|| {
                visible
                    .iter()
                    .position(|i| l.choices[*i].unavailable.is_none())
            })
            .unwrap_or(0);
        l
    }

    /// Indices (into `choices`) of the rows the filter lets through, in list order: every
    /// whitespace-separated word of the filter must occur, ignoring case, in the label or the
    /// detail.
    pub fn visible(&self) -> Vec<usize> {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        self.choices
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                let hay = format!("{} {}", c.label, c.detail).to_lowercase();
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The highlighted row's index into `choices`.
    pub fn highlighted(&self) -> Option<usize> {
        self.visible().get(self.selected).copied()
    }

    fn filter_changed(&mut self) {
        self.refused = None;
        let visible = self.visible();
        self.selected = visible
            .iter()
            .position(|i| self.choices[*i].unavailable.is_none())
            .unwrap_or(0);
    }

    fn move_by(&mut self, down: bool, n: usize) {
        self.refused = None;
        let last = self.visible().len().saturating_sub(1);
        self.selected = if down {
            (self.selected + n).min(last)
        } else {
            self.selected.saturating_sub(n)
        };
    }
}

/// The list a field is picked from, before knowing which storage account a container belongs
/// to (`Wizard::pick_kind` settles that).
pub fn list_for(f: FieldId) -> Option<ListKind> {
    Some(match f {
        FieldId::Tenant => ListKind::Tenant,
        FieldId::ApiClientId | FieldId::AppIdUri => ListKind::ApiApp,
        FieldId::BackendClientId => ListKind::BackendApp,
        FieldId::UiClientId => ListKind::UiApp,
        FieldId::StorageAccount | FieldId::StorageContainer => ListKind::StorageAccount,
        FieldId::PgHost => ListKind::PostgresServer,
        _ => return None,
    })
}

/// Whether a field can be picked from a list.
pub fn pickable(f: FieldId) -> bool {
    list_for(f).is_some()
}

impl Wizard {
    pub fn picker(&self) -> Option<&Picker> {
        self.picker.as_ref()
    }

    /// Why the Azure assist is off and how to turn it on (one line), once a list said so.
    pub fn assist_off(&self) -> Option<&str> {
        self.assist_off.as_deref()
    }

    /// Whether the focused field offers a picker.
    pub fn can_pick(&self) -> bool {
        self.picker.is_none() && self.focused().is_some_and(pickable)
    }

    /// The list for `f` and the filter it starts with. A container is listed for the account
    /// picked earlier; if the account was typed, its account list comes first (filtered to
    /// that name), and choosing it offers the containers.
    fn pick_kind(&self, f: FieldId) -> Option<(ListKind, String)> {
        if f == FieldId::StorageContainer {
            let account = self.field(FieldId::StorageAccount).text.trim().to_owned();
            if let Some(k) = self.containers_of.get(&account) {
                return Some((k.clone(), String::new()));
            }
            return Some((ListKind::StorageAccount, account));
        }
        list_for(f).map(|k| (k, String::new()))
    }

    /// `Msg::Pick` on a question step: opens the picker for the focused field.
    pub(super) fn open_picker(&mut self) -> Vec<Effect> {
        let Some(f) = self.focused() else {
            return Vec::new();
        };
        let Some((kind, seed)) = self.pick_kind(f) else {
            return Vec::new();
        };
        self.picker = Some(Picker {
            field: f,
            kind: kind.clone(),
            state: PickerState::Loading { frame: 0 },
            seed,
        });
        vec![Effect::Fetch(kind)]
    }

    /// A list arrived: shown if it is the one the open picker waits for, dropped otherwise.
    pub(super) fn listed(
        &mut self,
        kind: &ListKind,
        result: Result<Vec<Choice>, ListError>,
    ) -> Vec<Effect> {
        let Some(p) = self.picker.as_mut() else {
            return Vec::new();
        };
        if p.kind != *kind || !matches!(p.state, PickerState::Loading { .. }) {
            return Vec::new();
        }
        match result {
            Ok(choices) => {
                self.assist_off = None;
                let field = p.field;
                self.note_unknown_app(kind, &choices);
                self.correct_app_id_uri(kind, &choices);
                let current = self.fields.get(&field).map(|s| s.text.clone());
                let p = self.picker.as_mut().expect("checked above");
                p.state = PickerState::Loaded(PickList::new(
                    choices,
                    p.seed.clone(),
                    current.as_deref().map(|v| (field, v)),
                ));
            }
            Err(ListError::AssistOff(how)) => {
                // Not an error of this list: the wizard goes on as without the assist.
                self.assist_off = Some(how);
                self.picker = None;
            }
            Err(e) => p.state = PickerState::Failed(e),
        }
        Vec::new()
    }

    /// After the API app list: an App ID URI the held app does not register (an old `.env`'s
    /// `api://lakekeeper`) is replaced by the app's own, with a note naming both.
    fn correct_app_id_uri(&mut self, kind: &ListKind, choices: &[Choice]) {
        if *kind != ListKind::ApiApp {
            return;
        }
        let held_id = self
            .field(FieldId::ApiClientId)
            .text
            .trim()
            .to_ascii_lowercase();
        let Some(app) = choices.iter().find(|c| {
            c.fills.iter().any(|(f, v)| {
                *f == FieldId::ApiClientId
                    && !held_id.is_empty()
                    && v.eq_ignore_ascii_case(&held_id)
            })
        }) else {
            return;
        };
        let uris = |list: &[(FieldId, String)]| -> Vec<String> {
            list.iter()
                .filter(|(f, _)| *f == FieldId::AppIdUri)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let right = uris(&app.fills);
        let mut registered = uris(&app.accepts);
        for r in &right {
            if !registered.contains(r) {
                registered.push(r.clone());
            }
        }
        let held = self.field(FieldId::AppIdUri).text.trim().to_owned();
        let Some(right) =
            crate::azure::appid::stale(&held, &registered, right.first().map(String::as_str))
        else {
            return;
        };
        let origin = match self.answers.source(FieldId::AppIdUri) {
            Some(s) => format!("from the {s}"),
            None => "as typed".to_owned(),
        };
        let note = format!(
            "{}; it was filled in instead",
            crate::azure::appid::line(&held, &origin, &app.label, &registered, right)
        );
        let right = right.to_owned();
        let st = self.field_mut(FieldId::AppIdUri);
        st.set_text(&right);
        st.status = FieldStatus::Unchecked;
        self.commit(FieldId::AppIdUri);
        if let FieldStatus::Valid { notes, .. } = &mut self.field_mut(FieldId::AppIdUri).status {
            notes.push(note);
        }
    }

    /// After an app list: whether it lacks the client ID the field holds (or has no app).
    fn note_unknown_app(&mut self, kind: &ListKind, choices: &[Choice]) {
        if !matches!(kind, ListKind::ApiApp | ListKind::BackendApp) {
            return;
        }
        let id_field = match kind {
            ListKind::ApiApp => FieldId::ApiClientId,
            _ => FieldId::BackendClientId,
        };
        let held = self
            .fields
            .get(&id_field)
            .map(|s| s.text.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let listed = |id: &str| {
            choices.iter().any(|c| {
                c.fills
                    .iter()
                    .any(|(f, v)| *f == id_field && v.eq_ignore_ascii_case(id))
            })
        };
        self.unknown_app = if choices.is_empty() {
            Some((id_field, String::new()))
        } else if crate::validate::is_guid(&held) && !listed(&held) {
            Some((id_field, held))
        } else {
            None
        };
    }

    /// The offer to create the app registrations with `azure bootstrap`: on the API app and
    /// backend steps, when the client ID is empty (and the Azure assist is not known to be
    /// off), or when the last list did not hold the ID the field has.
    pub fn bootstrap_offer(&self) -> Option<String> {
        let id_field = match self.step {
            Step::ApiApp => FieldId::ApiClientId,
            Step::Backend => FieldId::BackendClientId,
            _ => return None,
        };
        let held = self.field(id_field).text.trim().to_ascii_lowercase();
        match &self.unknown_app {
            Some((f, id)) if *f == id_field && id.is_empty() && held.is_empty() => {
                return Some(crate::strings::bootstrap_offer_none());
            }
            Some((f, id)) if *f == id_field && !id.is_empty() && *id == held => {
                return Some(crate::strings::bootstrap_offer_unknown(id));
            }
            _ => {}
        }
        (held.is_empty() && self.assist_off.is_none())
            .then(|| crate::strings::BOOTSTRAP_OFFER.to_owned())
    }

    /// Whether the offer comes from Azure's own answer (the tenant lists no app, or not the ID
    /// in the field), not only from an empty field: line mode asks about it only then, so a
    /// run without `az` is never held up by a question.
    pub fn bootstrap_offer_from_azure(&self) -> bool {
        let id_field = match self.step {
            Step::ApiApp => FieldId::ApiClientId,
            Step::Backend => FieldId::BackendClientId,
            _ => return false,
        };
        matches!(&self.unknown_app, Some((f, _)) if *f == id_field)
            && self.bootstrap_offer().is_some()
    }

    pub(super) fn tick(&mut self) {
        if let Some(Picker {
            state: PickerState::Loading { frame },
            ..
        }) = self.picker.as_mut()
        {
            *frame = frame.wrapping_add(1);
        }
    }

    /// Keys while the picker is open: type to filter, ↑↓ to move, Enter to choose, Esc to close
    /// without changing anything.
    pub(super) fn on_picker(&mut self, msg: Msg) -> Vec<Effect> {
        let Some(p) = self.picker.as_mut() else {
            return Vec::new();
        };
        match (&mut p.state, msg) {
            (_, Msg::Cancel) | (PickerState::Failed(_), Msg::Enter) => {
                self.picker = None;
            }
            (PickerState::Failed(_), Msg::Pick) => {
                // Try again (e.g. after `az login` in another terminal).
                p.state = PickerState::Loading { frame: 0 };
                return vec![Effect::Fetch(p.kind.clone())];
            }
            (PickerState::Loaded(l), m) => match m {
                Msg::Input(c) => {
                    l.filter.push(c);
                    l.filter_changed();
                }
                Msg::Paste(t) => {
                    l.filter.extend(t.0.chars().filter(|c| !c.is_control()));
                    l.filter_changed();
                }
                Msg::Backspace => {
                    l.filter.pop();
                    l.filter_changed();
                }
                Msg::Clear => {
                    l.filter.clear();
                    l.filter_changed();
                }
                Msg::NextField | Msg::Right => l.move_by(true, 1),
                Msg::PrevField | Msg::Left => l.move_by(false, 1),
                Msg::Forward => l.move_by(true, PAGE),
                Msg::Back => l.move_by(false, PAGE),
                Msg::Home => l.move_by(false, usize::MAX),
                Msg::End => l.move_by(true, usize::MAX),
                Msg::Enter => {
                    if let Some(i) = l.highlighted() {
                        return self.choose(i);
                    }
                }
                Msg::Choose(i) => return self.choose(i),
                _ => {}
            },
            _ => {}
        }
        Vec::new()
    }

    /// Fills the fields of row `i` as if typed and checked; a greyed row is refused with why.
    fn choose(&mut self, i: usize) -> Vec<Effect> {
        let Some(Picker {
            state: PickerState::Loaded(l),
            ..
        }) = self.picker.as_mut()
        else {
            return Vec::new();
        };
        let Some(choice) = l.choices.get(i).cloned() else {
            return Vec::new();
        };
        if let Some(why) = &choice.unavailable {
            l.refused = Some(crate::strings::pick_refused(&choice.label, why));
            return Vec::new();
        }
        for (f, v) in &choice.fills {
            let st = self.field_mut(*f);
            st.set_text(v);
            st.status = FieldStatus::Unchecked;
            self.commit(*f);
        }
        let Some(next) = choice.next else {
            self.picker = None;
            return Vec::new();
        };
        if choice
            .fills
            .iter()
            .any(|(f, _)| *f == FieldId::StorageAccount)
        {
            // Keyed by the account as the field holds it (normalised), so the container field
            // finds it again.
            let name = self.field(FieldId::StorageAccount).text.clone();
            self.containers_of.insert(name, next.clone());
        }
        self.focus_on(FieldId::StorageContainer);
        self.picker = Some(Picker {
            field: FieldId::StorageContainer,
            kind: next.clone(),
            state: PickerState::Loading { frame: 0 },
            seed: String::new(),
        });
        vec![Effect::Fetch(next)]
    }

    fn focus_on(&mut self, f: FieldId) {
        if self.step == Step::Storage
            && let Some(i) = self.step.fields().iter().position(|x| *x == f)
        {
            self.focus = i;
            self.reveal = false;
        }
    }
}
