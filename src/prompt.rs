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
    let mut offered: Option<String> = None;
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
        let offer = w.bootstrap_offer();
        let new_offer = offer.is_some() && offer != offered;
        let from_azure = w.bootstrap_offer_from_azure();
        if new_offer {
            let how = if from_azure {
                ""
            } else {
                crate::strings::BOOTSTRAP_OFFER_LINE
            };
            let text = format!("{} {how}", offer.as_deref().unwrap_or_default());
            for l in said(text.trim_end(), columns()) {
                outln!("{}", style.yellow(&l));
            }
        }
        offered = offer;
        // Asked once per offer that Azure's answer made, default no: Enter goes on to the
        // question as before.
        if new_offer && from_azure && ask::confirm_bootstrap().unwrap_or(false) {
            if let Some(outcome) = dispatch(w, Msg::Bootstrap, exec) {
                return Ok(outcome);
            }
            continue;
        }
        let answer = match step {
            Step::Done if w.verify_offered() && *w.verify() == VerifyState::Idle => {
                // Esc on this question just leaves (the files are written already).
                Ok(if ask::confirm_verify().unwrap_or(false) {
                    Msg::Input('v')
                } else {
                    ask::done_export(w)
                })
            }
            Step::Done => Ok(ask::done_export(w)),
            Step::Production => ask::production(w),
            Step::Welcome => Ok(Msg::Enter),
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
            Ok(Msg::ChooseProduction(c)) => vec![Msg::ChooseProduction(c), Msg::Enter],
            Ok(m) => vec![m],
            Err(InquireError::OperationCanceled | InquireError::OperationInterrupted) => {
                // Asked once; a second Esc/Ctrl-C on the question also leaves.
                let leave = ask::confirm_cancel().unwrap_or(true);
                vec![Msg::Cancel, if leave { Msg::Cancel } else { Msg::Resume }]
            }
            Err(e) => return Err(e.into()),
        };
        let focused_before = w.focused();
        let production_before = w.focused_production();
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
        if let Some(f) = production_before {
            report_production(w, f, style);
        }
        if w.step() != step {
            continue;
        }
        if let Some(b) = w.blocked() {
            outln!("{} {b}", style.red("✗"));
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
        FieldStatus::Invalid(e) => outln!("  {} {}", style.red("✗"), wizard::field_message(e)),
        FieldStatus::Valid { notes, warnings } => {
            for n in notes {
                outln!("  {} {n}", style.green("✓"));
            }
            for wn in warnings {
                outln!("  {} {wn}", style.yellow("!"));
            }
        }
        FieldStatus::Unchecked => {}
    }
}

/// The same for a production question.
fn report_production(w: &Wizard, f: wizard::ProdField, style: Style) {
    let prod = w.production();
    if let Some(e) = prod.error(f) {
        outln!("  {} {}", style.red("✗"), wizard::production_message(e));
    } else if let FieldStatus::Valid { notes, .. } = &prod.field(f).status {
        for n in notes {
            outln!("  {} {n}", style.green("✓"));
        }
    }
}

fn header(w: &Wizard, style: Style) {
    let step = w.step();
    outln!();
    outln!(
        "{}",
        style.bold(&format!(
            "── Step {} of {}: {} ──",
            step.number(),
            Step::COUNT,
            step.title()
        ))
    );
    let lines = match step {
        Step::Welcome => wizard::welcome_lines(w),
        Step::Done => wizard::done_lines(w),
        Step::Review => return,
        _ => {
            for l in said(step.help().trim(), columns()) {
                outln!("{}", style.dim(&l));
            }
            return;
        }
    };
    print_lines(&lines, style);
}

/// The terminal's width, when stdout is one.
pub(crate) fn columns() -> Option<usize> {
    use std::io::IsTerminal;
    std::io::stdout()
        .is_terminal()
        .then(crossterm::terminal::size)
        .and_then(Result::ok)
        .map(|(w, _)| usize::from(w))
}

/// `text` in line mode's words ([`crate::strings::line_mode`]), wrapped at word boundaries to
/// `columns` with continuation lines under the first's indentation; whole without a width.
pub(crate) fn said(text: &str, columns: Option<usize>) -> Vec<String> {
    let text = crate::strings::line_mode(text);
    let Some(cols) = columns.filter(|c| *c >= 20) else {
        return vec![text];
    };
    let mut out = Vec::new();
    for para in text.split('\n') {
        let lead: String = para.chars().take_while(|c| *c == ' ').collect();
        let options = textwrap::Options::new(cols)
            .subsequent_indent(&lead)
            .break_words(true);
        out.extend(
            textwrap::wrap(para, options)
                .into_iter()
                .map(std::borrow::Cow::into_owned),
        );
    }
    out
}

pub(crate) fn print_lines(lines: &[wizard::Line], style: Style) {
    let cols = columns();
    for l in lines {
        for text in said(&l.text, cols) {
            let text = match l.kind {
                LineKind::Heading => style.bold(&text),
                LineKind::Dim => style.dim(&text),
                LineKind::Added | LineKind::Ok => style.green(&text),
                LineKind::Changed | LineKind::Warning => style.yellow(&text),
                LineKind::Removed | LineKind::Error => style.red(&text),
                LineKind::Text => text,
            };
            outln!("{text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_mode_never_names_a_key_it_does_not_have() {
        for step in Step::ALL {
            let text = said(step.help(), None).join("\n");
            for key in crate::strings::FULL_SCREEN_ONLY_KEYS {
                assert!(!text.contains(key), "{step:?} help names {key}: {text}");
            }
        }
        assert_eq!(
            said(
                "Leave the field empty, or press Ctrl-S, to skip it: x",
                None
            ),
            ["Leave the field empty to skip it: x"]
        );
    }

    #[test]
    fn help_wraps_at_word_boundaries_under_its_indentation() {
        let text = "  backup of the previous version: backend/.lakekeeper-setup-backups/.env.20261127T073000Z and more words here";
        let lines = said(text, Some(40));
        for l in &lines {
            assert!(l.chars().count() <= 40, "{l:?}");
            assert!(
                l.starts_with("  "),
                "continuation under the indentation: {l:?}"
            );
        }
        let joined: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        for w in ["backup", "previous", "version:", "more", "words", "here"] {
            assert!(joined.contains(&w), "{w} broken: {lines:?}");
        }
        assert_eq!(said(text, None), [text], "no terminal: whole");
    }
}
