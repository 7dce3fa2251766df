//! The human-readable report: one line per check, then its details and fix, indented.
//!
//! Pure: builds a string from a report (which never holds a secret). Colour is ANSI SGR only
//! when asked (the caller honours `NO_COLOR` and non-terminals). Given a terminal width, long
//! lines wrap at word boundaries (textwrap) under their column; without one (pipes) every
//! line stays whole, as before.

use std::fmt::Write as _;

use super::{CheckName, CheckResult, Status, VerifyReport};

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

/// The widest check name: the name column when results are printed as they come.
pub fn name_width() -> usize {
    CheckName::ALL
        .iter()
        .map(|c| c.as_str().len())
        .max()
        .unwrap_or(0)
}

/// `text` after `indent`, wrapped to `columns` (continuation lines under the first), or whole.
fn block(out: &mut String, indent: &str, text: &str, columns: Option<usize>) {
    match columns {
        Some(cols) if cols > indent.len() + 20 => {
            let options = textwrap::Options::new(cols)
                .initial_indent(indent)
                .subsequent_indent(indent)
                .break_words(true);
            for line in textwrap::wrap(text, options) {
                let _ = writeln!(out, "{line}");
            }
        }
        _ => {
            let _ = writeln!(out, "{indent}{text}");
        }
    }
}

/// One check: its status line, then details, fix and (with `--verbose`) error chains.
pub fn render_check(c: &CheckResult, width: usize, color: bool, columns: Option<usize>) -> String {
    // Durations are far below 2^52 ms, so the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let secs = c.duration_ms as f64 / 1000.0;
    let head = format!(
        "{}  {:<width$}  {:>6.2}s  ",
        tag(c.status, color),
        c.name,
        secs
    );
    let indent = " ".repeat(width + 17);
    let mut out = String::new();
    // The summary wraps under itself; the (coloured) head is put in front of its first line.
    let mut summary = String::new();
    block(&mut summary, &indent, &c.summary, columns);
    let _ = write!(
        out,
        "{head}{}",
        summary.strip_prefix(indent.as_str()).unwrap_or(&summary)
    );
    for d in &c.details {
        block(&mut out, &indent, d, columns);
    }
    if let Some(fix) = &c.fix {
        let mut fixed = String::new();
        block(&mut fixed, &indent, &format!("fix: {fix}"), columns);
        if color {
            fixed = fixed.replacen("fix:", "\x1b[1mfix:\x1b[0m", 1);
        }
        out.push_str(&fixed);
    }
    for t in &c.trace {
        block(&mut out, &indent, &format!("cause: {t}"), columns);
    }
    out
}

/// The closing count line.
pub fn render_counts(report: &VerifyReport) -> String {
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    format!(
        "{} ok, {} warning, {} failed, {} skipped\n",
        count(Status::Ok),
        count(Status::Warning),
        count(Status::Failed),
        count(Status::Skipped)
    )
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
        out.push_str(&render_check(c, width, color, None));
    }
    out.push_str(&render_counts(report));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn on_a_terminal_long_lines_wrap_at_word_boundaries_under_their_column() {
        let r = CheckResult::new(
            CheckName::OidcDiscovery,
            Status::Failed,
            "could not reach https://login.example.test/t/v2.0/.well-known/openid-configuration: host login.example.test does not resolve (DNS)",
        )
        .with_fix("check the host name; off the company network, connect the VPN; behind a proxy, set HTTPS_PROXY");
        let text = render_check(&r, name_width(), false, Some(60));
        let indent = " ".repeat(name_width() + 17);
        let words = |s: &str| -> Vec<String> { s.split_whitespace().map(str::to_owned).collect() };
        for (i, line) in text.lines().enumerate() {
            assert!(line.chars().count() <= 60, "line {i} too wide: {line:?}");
            if i > 0 {
                assert!(
                    line.starts_with(&indent),
                    "line {i} not under its column: {line:?}"
                );
            }
        }
        // Every word survives whole (the URL, longer than a line, is the only one broken).
        let all = words(&text);
        for w in words(&r.fix.clone().unwrap_or_default()) {
            assert!(all.contains(&w), "`{w}` was broken: {text}");
        }
        assert!(
            text.starts_with("FAIL  oidc-discovery    0.00s  could not reach"),
            "{text}"
        );
        // Without a width, nothing wraps.
        assert_eq!(
            render_check(&r, name_width(), false, None).lines().count(),
            2
        );
    }

    #[test]
    fn error_chains_are_shown_as_causes() {
        let mut r = CheckResult::new(CheckName::Token, Status::Failed, "could not reach x");
        r.trace
            .push("error sending request: client error (Connect)".into());
        let text = render_check(&r, 5, false, None);
        assert!(
            text.ends_with("cause: error sending request: client error (Connect)\n"),
            "{text}"
        );
    }
}
