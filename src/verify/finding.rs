//! `Finding`: one thing a check found, and folding a check's findings into its
//! `CheckResult`. Shared by the postgres and storage checks so both report alike. Pure.

use super::{CheckName, CheckResult, Status};

/// One thing a check found, with the change to make when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub status: Status,
    pub line: String,
    pub fix: Option<String>,
}

impl Finding {
    pub fn ok(line: impl Into<String>) -> Self {
        Self {
            status: Status::Ok,
            line: line.into(),
            fix: None,
        }
    }

    pub fn failed(line: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Failed,
            line: line.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn warning(line: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Warning,
            line: line.into(),
            fix: Some(fix.into()),
        }
    }
}

fn rank(s: Status) -> u8 {
    match s {
        Status::Failed => 3,
        Status::Warning => 2,
        Status::Skipped => 1,
        Status::Ok => 0,
    }
}

/// The worst status wins; the summary is the first problem of that status (or
/// `ok_summary`); every finding becomes a detail line after `context`; fixes are joined.
pub fn assemble(
    name: CheckName,
    ok_summary: &str,
    context: &str,
    findings: &[Finding],
) -> CheckResult {
    let worst = findings
        .iter()
        .map(|f| f.status)
        .max_by_key(|s| rank(*s))
        .unwrap_or(Status::Ok);
    let summary = match findings
        .iter()
        .find(|f| f.status == worst && worst != Status::Ok)
    {
        Some(problem) => problem.line.clone(),
        None => ok_summary.to_owned(),
    };
    let mut result = CheckResult::new(name, worst, summary).with_detail(context);
    for f in findings {
        result = result.with_detail(f.line.clone());
    }
    let fixes: Vec<&str> = findings.iter().filter_map(|f| f.fix.as_deref()).collect();
    if !fixes.is_empty() {
        result = result.with_fix(fixes.join("; "));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_status_and_first_problem_win() {
        let r = assemble(
            CheckName::Storage,
            "all good",
            "ctx",
            &[
                Finding::ok("a"),
                Finding::warning("w", "fix w"),
                Finding::failed("f1", "fix 1"),
                Finding::failed("f2", "fix 2"),
            ],
        );
        assert_eq!((r.status, r.summary.as_str()), (Status::Failed, "f1"));
        assert_eq!(r.details, ["ctx", "a", "w", "f1", "f2"]);
        assert_eq!(r.fix.as_deref(), Some("fix w; fix 1; fix 2"));
        let ok = assemble(CheckName::Storage, "all good", "ctx", &[Finding::ok("a")]);
        assert_eq!(
            (ok.status, ok.summary.as_str(), ok.fix),
            (Status::Ok, "all good", None)
        );
    }
}
