//! The Done screen's live checks: the state of an offered `verify` run (idle, running with a
//! status per check, finished with the report) and the lines that show it.
//!
//! Pure data and formatting: the run itself happens in the driver (`commands::wizard`), which
//! answers `Effect::StartVerify` with `Msg::VerifyProgress` and `Msg::VerifyDone`. Lines carry
//! only what the checks put in their results, which never hold a secret.

use super::lines::{Line, LineKind};
use crate::verify::{CheckName, CheckResult, ProgressEvent, Status, VerifyReport};

/// One check's progress while the run goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckState {
    /// Not started yet (it waits for another check's result).
    Waiting,
    Running,
    Finished(CheckResult),
}

/// The offered `verify` run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum VerifyState {
    /// Not run (yet).
    #[default]
    Idle,
    /// Running: every check in report order with its progress.
    Running(Vec<(CheckName, CheckState)>),
    /// Finished: the report, or why the checks could not start (e.g. the `.env` is unreadable).
    Done(Result<VerifyReport, String>),
}

impl VerifyState {
    /// The state right after `Effect::StartVerify`: every check waiting.
    pub fn started() -> VerifyState {
        VerifyState::Running(
            CheckName::ALL
                .into_iter()
                .map(|n| (n, CheckState::Waiting))
                .collect(),
        )
    }

    /// Applies one progress event; ignored unless running.
    pub fn progress(&mut self, event: ProgressEvent) {
        let VerifyState::Running(checks) = self else {
            return;
        };
        let (name, state) = match event {
            ProgressEvent::Started(n) => (n, CheckState::Running),
            ProgressEvent::Finished(r) => match CheckName::parse(&r.name) {
                Some(n) => (n, CheckState::Finished(r)),
                None => return,
            },
        };
        if let Some(slot) = checks.iter_mut().find(|(n, _)| *n == name) {
            // A late `Started` never hides a result already shown.
            if !matches!(slot.1, CheckState::Finished(_))
                || matches!(state, CheckState::Finished(_))
            {
                slot.1 = state;
            }
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, VerifyState::Running(_))
    }
}

/// The status word shown for a status.
pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Warning => "warning",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
    }
}

fn kind_of(s: Status) -> LineKind {
    match s {
        Status::Ok => LineKind::Ok,
        Status::Warning => LineKind::Warning,
        Status::Failed => LineKind::Error,
        Status::Skipped => LineKind::Dim,
    }
}

fn row(name: &str, word: &str, summary: &str) -> String {
    format!("  {name:<15} {word:<8} {summary}")
}

/// A finished check: its line and, for a failure or warning with one, the fix under it.
pub fn result_lines(r: &CheckResult) -> Vec<Line> {
    let mut out = vec![Line {
        kind: kind_of(r.status),
        text: row(&r.name, status_word(r.status), &r.summary),
    }];
    if let Some(fix) = r.fix.as_ref().filter(|_| r.status != Status::Ok) {
        out.push(Line {
            kind: LineKind::Text,
            text: format!("    fix: {fix}"),
        });
    }
    out
}

/// The checks section of the Done screen (empty while idle).
pub fn verify_lines(state: &VerifyState) -> Vec<Line> {
    let text = |kind, text: String| Line { kind, text };
    let mut out = Vec::new();
    match state {
        VerifyState::Idle => return out,
        VerifyState::Running(checks) => {
            out.push(text(
                LineKind::Heading,
                "Checking the setup live (lakekeeper-setup verify)…".into(),
            ));
            for (name, st) in checks {
                match st {
                    CheckState::Waiting => {
                        out.push(text(LineKind::Dim, row(name.as_str(), "…", "waiting")));
                    }
                    CheckState::Running => {
                        out.push(text(LineKind::Text, row(name.as_str(), "…", "running")));
                    }
                    CheckState::Finished(r) => out.extend(result_lines(r)),
                }
            }
        }
        VerifyState::Done(Ok(report)) => {
            out.push(text(
                LineKind::Heading,
                "Live checks (lakekeeper-setup verify):".into(),
            ));
            for r in &report.checks {
                out.extend(result_lines(r));
            }
            out.push(verdict(report));
        }
        VerifyState::Done(Err(e)) => {
            out.push(text(
                LineKind::Error,
                format!("The checks could not run: {e}"),
            ));
        }
    }
    out
}

/// One line on what the run means for the files just written.
fn verdict(report: &VerifyReport) -> Line {
    let count = |s| report.checks.iter().filter(|c| c.status == s).count();
    let (failed, warnings) = (count(Status::Failed), count(Status::Warning));
    if failed > 0 {
        Line {
            kind: LineKind::Error,
            text: format!(
                "{failed} check(s) failed, {warnings} warning(s). The files are written (the wizard still exits 0): fix the values named above, then run `lakekeeper-setup verify` again."
            ),
        }
    } else if warnings > 0 {
        Line {
            kind: LineKind::Warning,
            text: format!("No check failed; {warnings} warning(s) above."),
        }
    } else {
        Line {
            kind: LineKind::Ok,
            text: "Every check passed.".into(),
        }
    }
}
