//! Terminal events → wizard messages, and the footer listing the keys that work on a screen.
//!
//! Only key *presses* count: Windows terminals also report releases and repeats, which would
//! otherwise type every character twice.

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::strings;
use crate::wizard::{FieldKind, Msg, Phase, Picker, PickerState, Step, VerifyState, Wizard};

/// The message for an event, if it means anything here (resize and focus events redraw only).
pub fn map(event: &Event, w: &Wizard) -> Option<Msg> {
    match event {
        Event::Key(k) if k.kind == KeyEventKind::Press => map_key(*k, w),
        Event::Paste(text) => Some(Msg::Paste(text.as_str().into())),
        _ => None,
    }
}

fn map_key(k: KeyEvent, w: &Wizard) -> Option<Msg> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    if w.phase() == Phase::CancelAsked {
        return Some(match k.code {
            KeyCode::Char('c') if ctrl => Msg::Cancel,
            KeyCode::Esc | KeyCode::Char('y' | 'Y') => Msg::Cancel,
            _ => Msg::Resume,
        });
    }
    Some(match k.code {
        KeyCode::Char('c') if ctrl => Msg::Cancel,
        KeyCode::Esc => Msg::Cancel,
        KeyCode::Char('r') if ctrl => Msg::ToggleReveal,
        KeyCode::Char('s') if ctrl => Msg::Skip,
        KeyCode::Char('n') if ctrl => Msg::Forward,
        KeyCode::Char('b') if ctrl => Msg::Back,
        KeyCode::Char('u') if ctrl => Msg::Clear,
        KeyCode::Char('a') if ctrl => Msg::Home,
        KeyCode::Char('e') if ctrl => Msg::End,
        KeyCode::Char('l') if ctrl => Msg::Pick,
        KeyCode::Char('o') if ctrl => Msg::Bootstrap,
        KeyCode::Char(_) if ctrl || k.modifiers.contains(KeyModifiers::ALT) => return None,
        KeyCode::Char(c) => Msg::Input(c),
        KeyCode::Enter => Msg::Enter,
        KeyCode::Tab | KeyCode::Down => Msg::NextField,
        KeyCode::BackTab | KeyCode::Up => Msg::PrevField,
        KeyCode::PageDown => Msg::Forward,
        KeyCode::PageUp => Msg::Back,
        KeyCode::Left => Msg::Left,
        KeyCode::Right => Msg::Right,
        KeyCode::Home => Msg::Home,
        KeyCode::End => Msg::End,
        KeyCode::Backspace => Msg::Backspace,
        KeyCode::Delete => Msg::Delete,
        _ => return None,
    })
}

/// `(keys, action)` pairs for the footer of the current screen.
pub fn footer(w: &Wizard) -> Vec<(&'static str, &'static str)> {
    if w.phase() == Phase::CancelAsked {
        return vec![
            ("y/Esc/Ctrl-C", "leave, write nothing"),
            ("n/Enter", "keep going"),
        ];
    }
    if let Some(p) = w.picker() {
        return picker_footer(p);
    }
    let mut keys = Vec::new();
    match w.step() {
        Step::Welcome => keys.push(("Enter", "start")),
        Step::Review => {
            if let crate::wizard::Review::Ready(p) = w.review() {
                let action = if w.ctx().dry_run || !p.changes_anything {
                    "finish"
                } else {
                    "write"
                };
                keys.push(("Enter/w", action));
            }
            keys.push(("↑↓/PgDn", "scroll"));
            keys.push((
                "p",
                if w.save_profile() {
                    "don't save profile"
                } else {
                    "save profile too"
                },
            ));
            keys.push(("PgUp/b", "back"));
        }
        Step::Done => {
            if w.verify_offered() {
                match w.verify() {
                    VerifyState::Idle => keys.push(("v", "check the setup now (verify)")),
                    VerifyState::Done(_) => keys.push(("v", "check again")),
                    VerifyState::Running(_) => {}
                }
            }
            if w.export_offered() {
                keys.push(("e", "quit and export helm now"));
            }
            keys.push(("↑↓", "scroll"));
            keys.push(("Enter/q/Esc", "quit"));
        }
        Step::Production if w.focused_production().is_none() => {
            let enter = match (w.production().choice, w.production().existing()) {
                (crate::wizard::ProdChoice::Skip, None) => "skip, on to the review",
                (crate::wizard::ProdChoice::Skip, Some(_)) => "keep it, on to the review",
                (crate::wizard::ProdChoice::Edit, _) => "answer the questions",
            };
            keys.push(("Enter", enter));
            keys.push(("←→", "choose"));
            keys.push(("PgUp/Ctrl-B", "back"));
            keys.push(("Ctrl-S", "skip"));
        }
        step => {
            keys.push(("Enter", "next field"));
            keys.push(("Tab/↓ ⇧Tab/↑", "move"));
            keys.push(("PgDn/Ctrl-N", "next step"));
            keys.push(("PgUp/Ctrl-B", "back"));
            let focused = w.focused();
            match focused.map(FieldKind::of) {
                Some(FieldKind::Choice(_)) => keys.push(("←→", "choose")),
                Some(FieldKind::Secret) => keys.push(("Ctrl-R", "reveal")),
                _ => {}
            }
            if step == Step::EncryptionKey && focused.is_none() {
                keys.push(("←→", "choose"));
            }
            if step == Step::Production
                && let Some(FieldKind::Choice(_)) =
                    w.focused_production().map(crate::wizard::ProdField::kind)
            {
                keys.push(("←→", "choose"));
            }
            if matches!(step, Step::Ui | Step::Production) {
                keys.push(("Ctrl-S", "skip"));
            }
            if w.can_pick() {
                keys.push((strings::PICK_KEY, "pick from Azure"));
            }
            if w.bootstrap_offer().is_some() {
                keys.push((strings::BOOTSTRAP_KEY, "create the apps now"));
            }
        }
    }
    if w.step() != Step::Done {
        keys.push(("Esc", "cancel"));
    }
    keys
}

/// The keys while the picker is open.
fn picker_footer(p: &Picker) -> Vec<(&'static str, &'static str)> {
    match p.state {
        PickerState::Loading { .. } => vec![("Esc", "close (nothing changes)")],
        PickerState::Loaded(_) => vec![
            ("type", "filter"),
            ("↑↓ PgUp/PgDn", "move"),
            ("Enter", "choose"),
            ("Esc", "close (nothing changes)"),
        ],
        PickerState::Failed(_) => vec![
            (strings::PICK_KEY, "try again"),
            ("Enter/Esc", "close (nothing changes)"),
        ],
    }
}
