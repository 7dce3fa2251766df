//! The line-prompt front end (inquire): the same state machine, steps, defaults, validators
//! and messages as the full-screen wizard, one question at a time. Used with `--plain`,
//! `TERM=dumb`, or a terminal too small for the screens.
//!
//! Secrets use `Password` prompts (masked, Ctrl-R reveals); an empty answer keeps the current
//! value, shown only as `••••last4`.

mod ask;
mod checks;
mod pick;

use std::sync::mpsc::Receiver;

use inquire::InquireError;

use crate::output::Style;
use crate::wizard::{
    self, Effect, FieldStatus, LineKind, Msg, Outcome, Phase, Step, VerifyState, Wizard,
};

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("terminal: {0}")]
    Io(String),
}

impl From<InquireError> for PromptError {
    fn from(e: InquireError) -> Self {
        PromptError::Io(e.to_string())
    }
}

/// Runs the wizard as line prompts until it finishes. `inbox` brings the messages of work the
/// driver runs in the background (the live checks offered on the Done step).
pub fn run(
    w: &mut Wizard,
    exec: &mut dyn FnMut(Effect) -> Vec<Msg>,
    inbox: &Receiver<Msg>,
) -> Result<Outcome, PromptError> {
    let style = Style::stdout();
    let mut shown = None;
    loop {
        if let Phase::Finished(outcome) = w.phase() {
            return Ok(outcome);
        }
        if w.phase() == Phase::CancelAsked {
            let leave = ask::confirm_cancel().unwrap_or(true);
            if let Some(outcome) = dispatch(w, if leave { Msg::Cancel } else { Msg::Resume }, exec)
            {
                return Ok(outcome);
            }
            continue;
        }
        if w.picker().is_some() {
            if let Some(outcome) = pick::round(w, exec, inbox, style)? {
                return Ok(outcome);
            }
            continue;
        }
        let step = w.step();
        if shown != Some(step) {
            shown = Some(step);
            header(w, style);
        }
        let answer = match step {
            Step::Done if w.verify_offered() && *w.verify() == VerifyState::Idle => {
                // Esc on this question just leaves (the files are written already).
                Ok(if ask::confirm_verify().unwrap_or(false) {
                    Msg::Input('v')
                } else {
                    Msg::Enter
                })
            }
            Step::Welcome | Step::Done => Ok(Msg::Enter),
            Step::Review => ask::review_choice(w),
            Step::EncryptionKey if w.focused().is_none() => ask::key_choice(w),
            _ => match w.focused() {
                Some(f) => ask::field(w, f).map(|v| {
                    if v.trim() == crate::strings::PICK_ANSWER && wizard::pickable(f) {
                        Msg::Pick
                    } else {
                        Msg::Submit(v.into())
                    }
                }),
                None => Ok(Msg::Forward),
            },
        };
        let msgs = match answer {
            Ok(Msg::ChooseKey(c)) => vec![Msg::ChooseKey(c), Msg::Enter],
            Ok(m) => vec![m],
            Err(InquireError::OperationCanceled | InquireError::OperationInterrupted) => {
                // Asked once; a second Esc/Ctrl-C on the question also leaves.
                let leave = ask::confirm_cancel().unwrap_or(true);
                vec![Msg::Cancel, if leave { Msg::Cancel } else { Msg::Resume }]
            }
            Err(e) => return Err(e.into()),
        };
        let focused_before = w.focused();
        for msg in msgs {
            if let Some(outcome) = dispatch(w, msg, exec) {
                return Ok(outcome);
            }
        }
        if w.verify().is_running()
            && let Some(outcome) = checks::wait(w, exec, inbox, style)
        {
            return Ok(outcome);
        }
        if let Some(f) = focused_before {
            report(w, f, style);
        }
        if w.step() != step {
            continue;
        }
        if let Some(b) = w.blocked() {
            println!("{} {b}", style.red("✗"));
        }
    }
}

fn dispatch(w: &mut Wizard, msg: Msg, exec: &mut dyn FnMut(Effect) -> Vec<Msg>) -> Option<Outcome> {
    let mut queue = vec![msg];
    while !queue.is_empty() {
        let m = queue.remove(0);
        for effect in w.update(m) {
            match effect {
                Effect::Exit(outcome) => return Some(outcome),
                other => queue.extend(exec(other)),
            }
        }
    }
    None
}

/// The validator's error, or the notes on what was normalised, after an answer.
fn report(w: &Wizard, f: crate::model::FieldId, style: Style) {
    match &w.field(f).status {
        FieldStatus::Invalid(e) => println!("  {} {}", style.red("✗"), wizard::field_message(e)),
        FieldStatus::Valid { notes, warnings } => {
            for n in notes {
                println!("  {} {n}", style.green("✓"));
            }
            for wn in warnings {
                println!("  {} {wn}", style.yellow("!"));
            }
        }
        FieldStatus::Unchecked => {}
    }
}

fn header(w: &Wizard, style: Style) {
    let step = w.step();
    println!();
    println!(
        "{}",
        style.bold(&format!(
            "── Step {} of 10: {} ──",
            step.number(),
            step.title()
        ))
    );
    let lines = match step {
        Step::Welcome => wizard::welcome_lines(w),
        Step::Done => wizard::done_lines(w),
        Step::Review => return,
        _ => {
            println!("{}", style.dim(step.help().trim()));
            return;
        }
    };
    print_lines(&lines, style);
}

pub(crate) fn print_lines(lines: &[wizard::Line], style: Style) {
    for l in lines {
        let text = match l.kind {
            LineKind::Heading => style.bold(&l.text),
            LineKind::Dim => style.dim(&l.text),
            LineKind::Added | LineKind::Ok => style.green(&l.text),
            LineKind::Changed | LineKind::Warning => style.yellow(&l.text),
            LineKind::Removed | LineKind::Error => style.red(&l.text),
            LineKind::Text => l.text.clone(),
        };
        println!("{text}");
    }
}
