//! Line mode's live checks after the Done screen: waits for the driver's `verify` messages,
//! printing a line per check as each finishes, then the full table.
//!
//! Must not wait forever: each check has its own timeout in the driver's run, and a silence
//! longer than `SILENCE` here gives up with a message instead of hanging the terminal.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::output::Style;
use crate::verify::{self, ProgressEvent};
use crate::wizard::{Effect, Msg, Outcome, VerifyState, Wizard, result_lines};

/// Longest wait for the next message; far above a check's timeout (10 s) plus its grace.
const SILENCE: Duration = Duration::from_mins(1);

/// Feeds the driver's messages to the machine until the checks are done.
pub fn wait(
    w: &mut Wizard,
    exec: &mut dyn FnMut(Effect) -> Vec<Msg>,
    inbox: &Receiver<Msg>,
    style: Style,
) -> Option<Outcome> {
    outln!();
    outln!(
        "{}",
        style.bold("Checking the setup live (lakekeeper-setup verify)…")
    );
    while w.verify().is_running() {
        let msg = match inbox.recv_timeout(SILENCE) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Msg::VerifyDone(
                Err("the checks stopped answering; run `lakekeeper-setup verify` instead".into()),
            ),
        };
        if let Msg::VerifyProgress(ProgressEvent::Finished(r)) = &msg {
            super::print_lines(&result_lines(r), style);
        }
        if let Some(outcome) = super::dispatch(w, msg, exec) {
            return Some(outcome);
        }
    }
    match w.verify() {
        VerifyState::Done(Ok(report)) => {
            outln!();
            out!("{}", verify::render_table(report, style.color));
            if report.has_failures() {
                outln!(
                    "{}",
                    style.red(
                        "Some checks failed. The files are written (the wizard still exits 0): fix the values named above, then run `lakekeeper-setup verify` again."
                    )
                );
            }
        }
        VerifyState::Done(Err(e)) => outln!("{} the checks could not run: {e}", style.red("✗")),
        VerifyState::Idle | VerifyState::Running(_) => {}
    }
    None
}
