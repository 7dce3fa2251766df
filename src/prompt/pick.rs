//! Line mode's Azure picker: answering `?` on a field that names an Azure object opens the same
//! picker as the full-screen wizard's Ctrl-L. While the list loads, one line says so; then
//! inquire's `Select` (with its own type-to-filter) shows the rows, a greyed row with why, and
//! choosing one is refused with that reason; Esc goes back to the field unchanged.

use std::fmt;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use inquire::{InquireError, Select};

use crate::azure::pick::ListError;
use crate::output::Style;
use crate::strings;
use crate::wizard::{Effect, Msg, Outcome, PickList, PickerState, Wizard};

/// Longest wait for a list; far above the Azure CLI's own timeout.
const SILENCE: Duration = Duration::from_mins(3);

/// One row as the select shows (and filters) it.
struct Row(String);

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn row_text(c: &crate::azure::pick::Choice) -> String {
    let mut s = c.label.clone();
    if !c.detail.is_empty() {
        s = format!("{s} — {}", c.detail);
    }
    if let Some(why) = &c.unavailable {
        s = format!("{s}  ✗ {why}");
    }
    s
}

/// Runs the open picker one round: waits for its list, or asks for a row. Returns an outcome
/// only if the wizard ended meanwhile.
pub fn round(
    w: &mut Wizard,
    exec: &mut dyn FnMut(Effect) -> Vec<Msg>,
    inbox: &Receiver<Msg>,
    style: Style,
) -> Result<Option<Outcome>, InquireError> {
    let Some(p) = w.picker() else {
        return Ok(None);
    };
    let msg = match &p.state {
        PickerState::Loading { .. } => {
            outln!("{}", style.dim(&strings::pick_loading(&p.kind)));
            let msg = match inbox.recv_timeout(SILENCE) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Msg::Listed(
                    p.kind.clone(),
                    Err(ListError::Failed(
                        "no answer from the Azure CLI; type the value instead".into(),
                    )),
                ),
            };
            let out = super::dispatch(w, msg, exec);
            if w.picker().is_none()
                && let Some(how) = w.assist_off()
            {
                outln!("{}", style.yellow(how));
            }
            return Ok(out);
        }
        PickerState::Failed(e) => {
            outln!("{} {}: {e}", style.red("✗"), strings::PICK_FAILED);
            Msg::Cancel
        }
        PickerState::Loaded(l) if l.choices.is_empty() => {
            outln!("{}", style.yellow(strings::PICK_EMPTY));
            Msg::Cancel
        }
        PickerState::Loaded(l) => {
            if let Some(r) = &l.refused {
                outln!("{} {r}", style.red("✗"));
            }
            match ask(l, strings::pick_title(&p.kind), &p.seed) {
                Ok(i) => Msg::Choose(i),
                Err(InquireError::OperationCanceled) => Msg::Cancel,
                Err(e) => return Err(e),
            }
        }
    };
    Ok(super::dispatch(w, msg, exec))
}

/// The select over every row; returns the chosen row's index in the whole list.
fn ask(l: &PickList, title: &str, seed: &str) -> Result<usize, InquireError> {
    let rows: Vec<Row> = l.choices.iter().map(|c| Row(row_text(c))).collect();
    let start = l.highlighted().unwrap_or(0);
    let mut s = Select::new(title, rows)
        .with_help_message("type to filter · ↑↓ move · Enter choose · Esc back to the field")
        .with_page_size(12);
    if seed.is_empty() {
        s = s.with_starting_cursor(start);
    } else {
        s = s.with_starting_filter_input(seed);
    }
    s.raw_prompt().map(|o| o.index)
}
