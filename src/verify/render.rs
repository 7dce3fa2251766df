//! The human-readable report: one line per check, then its details and fix, indented.
//!
//! Pure: builds a string from a report (which never holds a secret). Colour is ANSI SGR only
//! when asked (the caller honours `NO_COLOR` and non-terminals).

use std::fmt::Write as _;

use super::{Status, VerifyReport};

fn tag(status: Status, color: bool) -> String {
    let (text, sgr) = match status {
        Status::Ok => ("ok  ", "32"),
        Status::Warning => ("warn", "33"),
        Status::Failed => ("FAIL", "31;1"),
        Status::Skipped => ("skip", "2"),
    };
    if color {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

pub fn render_table(report: &VerifyReport, color: bool) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for c in &report.checks {
        // Durations are far below 2^52 ms, so the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let secs = c.duration_ms as f64 / 1000.0;
        let _ = writeln!(
            out,
            "{}  {:<width$}  {:>6.2}s  {}",
            tag(c.status, color),
            c.name,
            secs,
            c.summary
        );
        let indent = " ".repeat(width + 17);
        for d in &c.details {
            let _ = writeln!(out, "{indent}{d}");
        }
        if let Some(fix) = &c.fix {
            let label = if color { "\x1b[1mfix:\x1b[0m" } else { "fix:" };
            let _ = writeln!(out, "{indent}{label} {fix}");
        }
    }
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    let _ = writeln!(
        out,
        "{} ok, {} warning, {} failed, {} skipped",
        count(Status::Ok),
        count(Status::Warning),
        count(Status::Failed),
        count(Status::Skipped)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{CheckName, CheckResult};

    fn report() -> VerifyReport {
        let mut failed = CheckResult::new(
            CheckName::TokenClaims,
            Status::Failed,
            "issuer not accepted",
        )
        .with_detail("token version 1.0")
        .with_fix("tokens are v1: add X to Y");
        failed.duration_ms = 1250;
        VerifyReport {
            checks: vec![
                CheckResult::new(CheckName::Token, Status::Ok, "got a token"),
                failed,
            ],
        }
    }

    #[test]
    fn plain_table_has_one_line_per_check_then_details_and_fix() {
        let text = render_table(&report(), false);
        assert_eq!(
            text,
            "ok    token           0.00s  got a token\n\
             FAIL  token-claims    1.25s  issuer not accepted\n\
             \x20                            token version 1.0\n\
             \x20                            fix: tokens are v1: add X to Y\n\
             1 ok, 0 warning, 1 failed, 0 skipped\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!render_table(&report(), false).contains('\x1b'));
        assert!(render_table(&report(), true).contains("\x1b[31;1mFAIL\x1b[0m"));
    }
}
