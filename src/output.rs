//! Terminal output: colour only on a terminal without `NO_COLOR`, and the shared renderings of
//! plans, findings and field errors. Values shown here are already masked where secret.

pub mod progress;
pub mod stdio;

use std::fmt::Write as _;
use std::io::IsTerminal;

use crate::check::{Finding, Severity};
use crate::plan::{ChangeKind, Plan};
use crate::validate::FieldError;

/// Colour on or off for one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn stdout() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal(),
        }
    }

    pub fn stderr() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal(),
        }
    }

    pub fn plain() -> Self {
        Self { color: false }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn red(self, t: &str) -> String {
        self.paint("31;1", t)
    }

    pub fn yellow(self, t: &str) -> String {
        self.paint("33;1", t)
    }

    pub fn green(self, t: &str) -> String {
        self.paint("32", t)
    }

    pub fn dim(self, t: &str) -> String {
        self.paint("2", t)
    }

    pub fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
}

pub fn field_errors(errors: &[FieldError], s: Style) -> String {
    let mut out = format!(
        "{} {} problem(s); nothing was written:\n",
        s.red("error:"),
        errors.len()
    );
    for e in errors {
        let _ = writeln!(out, "  - {}\n    fix: {}", e.problem(), e.fix);
    }
    out
}

pub fn findings(list: &[Finding], s: Style) -> String {
    let mut out = String::new();
    for f in list {
        let tag = match f.severity {
            Severity::Error => s.red("error"),
            Severity::Warning => s.yellow("warning"),
        };
        let place = match (&f.key, f.line) {
            (Some(k), Some(l)) => format!("{}:{l} {k}", f.file),
            (Some(k), None) => format!("{} {k}", f.file),
            (None, Some(l)) => format!("{}:{l}", f.file),
            (None, None) => f.file.clone(),
        };
        let _ = writeln!(out, "{tag}: {place}: {}\n    fix: {}", f.message, f.fix);
    }
    let errors = list
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s)",
        errors,
        list.len() - errors
    );
    out
}

/// The key-level diff and the text diffs of files without secrets.
pub fn plan(p: &Plan, s: Style) -> String {
    let mut out = format!("{}\n", s.bold(&format!("{}:", p.env.path.display())));
    let mut any = false;
    for c in &p.changes {
        let line = match c.kind {
            ChangeKind::Unchanged => continue,
            ChangeKind::Added => s.green(&format!(
                "  + {}={}",
                c.key,
                c.after.as_deref().unwrap_or("")
            )),
            ChangeKind::Removed => s.red(&format!(
                "  - {} (was {})",
                c.key,
                c.before.as_deref().unwrap_or("")
            )),
            ChangeKind::Changed => s.yellow(&format!(
                "  ~ {}: {} → {}",
                c.key,
                c.before.as_deref().unwrap_or(""),
                c.after.as_deref().unwrap_or("")
            )),
        };
        any = true;
        let _ = writeln!(out, "{line}");
        if let Some(why) = c.why {
            let _ = writeln!(out, "      {}", s.dim(why));
        }
    }
    if !any {
        out.push_str("  (no changes)\n");
    }
    for f in [Some(&p.compose), p.profile.as_ref()].into_iter().flatten() {
        match f.text_diff() {
            Some(d) => {
                let _ = writeln!(out, "{}\n{d}", s.bold(&format!("{}:", f.path.display())));
            }
            None => {
                let _ = writeln!(
                    out,
                    "{}\n  (no changes)",
                    s.bold(&format!("{}:", f.path.display()))
                );
            }
        }
    }
    out
}
