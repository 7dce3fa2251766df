//! The content of the text screens (welcome, review, done) as tagged lines, shared by the TUI
//! (which styles them by kind) and the line prompts (which print them). Secrets appear only
//! masked: every value here comes from `Wizard::display_value` or the plan's masked changes.

use super::{Done, Review, Step, Wizard};
use crate::plan::ChangeKind;
use crate::strings;
use crate::validate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Heading,
    Text,
    Dim,
    Added,
    Changed,
    Removed,
    Warning,
    Error,
    Ok,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub text: String,
}

fn line(kind: LineKind, text: impl Into<String>) -> Line {
    Line {
        kind,
        text: text.into(),
    }
}

/// A validation error as both front ends show it under a field.
pub fn field_message(e: &FieldError) -> String {
    match &e.value {
        Some(v) if !v.is_empty() => format!("`{v}` {}; fix: {}", e.message, e.fix),
        _ => format!("{}; fix: {}", e.message, e.fix),
    }
}

fn found(yes: bool) -> &'static str {
    if yes {
        "exists, will be edited in place"
    } else {
        "not found, will be created"
    }
}

pub fn welcome_lines(w: &Wizard) -> Vec<Line> {
    let c = w.ctx();
    let mut out = vec![
        line(LineKind::Text, Step::Welcome.help().trim()),
        line(LineKind::Text, ""),
        line(LineKind::Heading, "Files"),
        line(
            LineKind::Text,
            format!("  {}  ({})", c.env_path, found(c.env_found)),
        ),
        line(
            LineKind::Text,
            format!("  {}  ({})", c.override_path, found(c.override_found)),
        ),
        line(
            LineKind::Text,
            format!(
                "  {}  ({})",
                c.profile_path,
                if c.profile_found {
                    "team profile found: its values are pre-filled"
                } else {
                    "no team profile"
                }
            ),
        ),
    ];
    match &c.git_warning {
        // One warning a line: the `.env` itself, then each copy of it git would commit.
        Some(g) => out.extend(
            g.lines()
                .map(|w| line(LineKind::Warning, format!("  warning: {w}"))),
        ),
        None if !c.git_status.is_empty() => {
            out.push(line(LineKind::Text, format!("  git: {}", c.git_status)));
        }
        None => {}
    }
    out.extend(
        c.secret_expiry
            .iter()
            .map(|l| line(LineKind::Warning, format!("  warning: {l}"))),
    );
    let prefilled = w
        .answers()
        .iter()
        .filter(|(f, _)| !Step::Welcome.fields().contains(f))
        .count();
    if prefilled > 0 {
        out.push(line(LineKind::Text, ""));
        out.push(line(
            LineKind::Dim,
            format!("{prefilled} value(s) found and pre-filled: press Enter on a field to keep its value."),
        ));
    }
    if c.dry_run {
        out.push(line(
            LineKind::Warning,
            "Dry run: the review is shown, nothing is written.",
        ));
    }
    if let Some(how) = w.assist_off() {
        out.push(line(LineKind::Dim, how));
    }
    out
}

/// Where secret `f` came from and whether the vault's value differs from `.env`'s: the plan's
/// account once it is computed, else the answer's source. `None` for a field that is no secret.
fn secret_origin(w: &Wizard, f: crate::model::FieldId) -> Option<(String, bool)> {
    if !f.is_secret() {
        return None;
    }
    let key = f.env_key()?;
    if let Review::Ready(p) = w.review()
        && let Some(o) = p.secrets.iter().find(|o| o.key == key)
    {
        return Some((o.from.clone(), o.rotated));
    }
    let from = match w.answers().source(f)? {
        crate::model::Source::KeyVault => "Key Vault".to_owned(),
        crate::model::Source::EnvFile => "the existing .env".to_owned(),
        crate::model::Source::Environment => "the environment".to_owned(),
        crate::model::Source::Wizard => "what was typed in the wizard".to_owned(),
        other => other.to_string(),
    };
    Some((from, false))
}

/// Every value that will be written (secrets masked), the derived values with why, the diff.
pub fn review_lines(w: &Wizard) -> Vec<Line> {
    let mut out = Vec::new();
    if let Review::Ready(p) = w.review() {
        let n = p
            .changes
            .iter()
            .filter(|c| c.kind != ChangeKind::Unchanged)
            .count();
        let files = p.file_diffs.iter().filter(|(_, d)| d.is_some()).count();
        out.push(if p.changes_anything {
            line(
                LineKind::Ok,
                format!(
                    "{n} key(s) in {} and {files} other file(s) will change (details below).",
                    p.env_path
                ),
            )
        } else {
            line(
                LineKind::Ok,
                "Everything is already up to date: nothing will be written.",
            )
        });
        out.push(line(LineKind::Text, ""));
    }
    out.push(line(LineKind::Heading, "Your answers"));
    for step in &Step::ALL[1..8] {
        for f in step.fields() {
            let v = if *f == crate::model::FieldId::EncryptionKey {
                w.answers()
                    .get(*f)
                    .map(crate::secret::mask)
                    .unwrap_or_default()
            } else {
                w.display_value(*f)
            };
            if v.is_empty() {
                continue;
            }
            let from = secret_origin(w, *f)
                .map(|(from, _)| format!("  (from {from})"))
                .unwrap_or_default();
            out.push(line(
                LineKind::Text,
                format!("  {:<49} {v}{from}", strings::label(*f)),
            ));
            if let Some((_, true)) = secret_origin(w, *f) {
                out.push(line(
                    LineKind::Warning,
                    "      warning: the vault's value differs from the one in .env (rotated in the vault): the vault's replaces it",
                ));
            }
        }
    }
    if let Some(warn) = w.key_warning() {
        out.push(line(LineKind::Warning, format!("  warning: {warn}")));
    }
    production_review(w, &mut out);
    match w.review() {
        Review::Computing => out.push(line(LineKind::Dim, "Computing the changes…")),
        Review::Writing => out.push(line(LineKind::Dim, "Writing…")),
        Review::Invalid(errors) => {
            out.push(line(LineKind::Heading, "Cannot write yet"));
            out.extend(
                errors
                    .iter()
                    .map(|e| line(LineKind::Error, format!("  {e}"))),
            );
            out.push(line(LineKind::Dim, "Go back to fix these."));
        }
        Review::Ready(p) => {
            let derived: Vec<_> = p
                .changes
                .iter()
                .filter(|c| c.why.is_some() && c.after.is_some())
                .collect();
            if !derived.is_empty() {
                out.push(line(LineKind::Heading, "Derived values"));
                for c in derived {
                    out.push(line(
                        LineKind::Text,
                        format!("  {}={}", c.key, c.after.as_deref().unwrap_or("")),
                    ));
                    out.push(line(
                        LineKind::Dim,
                        format!("      {}", c.why.unwrap_or("")),
                    ));
                }
            }
            out.push(line(
                LineKind::Heading,
                format!("Changes to {}", p.env_path),
            ));
            let mut any = false;
            for c in &p.changes {
                let (kind, text) = match c.kind {
                    ChangeKind::Unchanged => continue,
                    ChangeKind::Added => (
                        LineKind::Added,
                        format!("  + {}={}", c.key, c.after.as_deref().unwrap_or("")),
                    ),
                    ChangeKind::Removed => (
                        LineKind::Removed,
                        format!("  - {} (was {})", c.key, c.before.as_deref().unwrap_or("")),
                    ),
                    ChangeKind::Changed => (
                        LineKind::Changed,
                        format!(
                            "  ~ {}: {} → {}",
                            c.key,
                            c.before.as_deref().unwrap_or(""),
                            c.after.as_deref().unwrap_or("")
                        ),
                    ),
                };
                any = true;
                out.push(line(kind, text));
                // Derived values are explained above; a removal is explained here.
                if let (ChangeKind::Removed, Some(why)) = (c.kind, c.why) {
                    out.push(line(LineKind::Dim, format!("      {why}")));
                }
            }
            if !any {
                out.push(line(LineKind::Dim, "  (no changes)"));
            }
            for (path, diff) in &p.file_diffs {
                out.push(line(LineKind::Heading, format!("Changes to {path}")));
                match diff {
                    None => out.push(line(LineKind::Dim, "  (no changes)")),
                    Some(d) => out.extend(d.lines().map(|l| {
                        let kind = if l.starts_with("+++") || l.starts_with("---") {
                            LineKind::Dim
                        } else if l.starts_with('+') {
                            LineKind::Added
                        } else if l.starts_with('-') {
                            LineKind::Removed
                        } else {
                            LineKind::Text
                        };
                        line(kind, format!("  {l}"))
                    })),
                }
            }
            out.extend(
                p.notes
                    .iter()
                    .map(|n| line(LineKind::Dim, format!("note: {n}"))),
            );
            out.extend(
                p.warnings
                    .iter()
                    .map(|n| line(LineKind::Warning, format!("warning: {n}"))),
            );
            if w.production().kept().is_some() {
                out.push(line(
                    LineKind::Dim,
                    format!(
                        "The production answers go to [production] in {} (never to {}).",
                        w.ctx().profile_path,
                        p.env_path
                    ),
                ));
            }
            out.push(line(
                LineKind::Dim,
                if w.save_profile() {
                    format!(
                        "The non-secret answers also go to {} (p: don't).",
                        w.ctx().profile_path
                    )
                } else if w.production().kept().is_some() {
                    format!(
                        "The other answers are not saved to {} (p: also save the non-secret answers there).",
                        w.ctx().profile_path
                    )
                } else {
                    format!(
                        "{} is left alone (p: also save the non-secret answers there).",
                        w.ctx().profile_path
                    )
                },
            ));
            let what = if w.ctx().dry_run {
                "Dry run: Enter finishes without writing."
            } else if p.changes_anything {
                "Enter or w writes these changes."
            } else {
                "Everything is already up to date: Enter finishes without writing."
            };
            out.push(line(LineKind::Ok, what));
        }
    }
    out
}

pub fn done_lines(w: &Wizard) -> Vec<Line> {
    let mut out = Vec::new();
    match w.done() {
        Some(Done::Written(files)) => {
            for f in files {
                out.push(line(LineKind::Ok, format!("wrote {}", f.path)));
                if let Some(b) = &f.backup {
                    out.push(line(
                        LineKind::Dim,
                        format!("  backup of the previous version: {b}"),
                    ));
                }
            }
        }
        Some(Done::DryRun) => out.push(line(LineKind::Ok, "Dry run: nothing was written.")),
        Some(Done::UpToDate) => out.push(line(
            LineKind::Ok,
            "Everything was already up to date: nothing was written.",
        )),
        Some(Done::Failed(e)) => {
            out.push(line(LineKind::Error, format!("writing failed: {e}")));
            out.push(line(LineKind::Dim, "The previous files are untouched."));
        }
        None => {}
    }
    let checks = super::verify_lines(w.verify());
    if !checks.is_empty() {
        out.push(line(LineKind::Text, ""));
        out.extend(checks);
    }
    if !matches!(w.done(), Some(Done::Failed(_))) {
        out.push(line(LineKind::Text, ""));
        out.extend(Step::Done.help().lines().map(|l| line(LineKind::Text, l)));
    }
    if w.verify_offered() && w.production_needs_bootstrap() {
        out.push(line(LineKind::Text, ""));
        out.push(line(LineKind::Heading, "Production on Kubernetes"));
        out.push(line(
            LineKind::Text,
            format!("  {}", crate::strings::PRODUCTION_NEEDS_BOOTSTRAP),
        ));
    }
    if w.export_offered() {
        out.push(line(LineKind::Text, ""));
        out.push(line(LineKind::Heading, "Production on Kubernetes"));
        out.push(line(
            LineKind::Text,
            format!(
                "  Write values.yaml and the Secret for Lakekeeper's official Helm chart from [production] in {}, with the kubectl and helm commands that follow:",
                w.ctx().profile_path
            ),
        ));
        out.push(line(LineKind::Ok, format!("  {}", w.export_command())));
        out.push(line(
            LineKind::Dim,
            "  (add --dry-run to see the files first)",
        ));
    }
    out
}

/// The Production step's answers on the review, when it was taken.
fn production_review(w: &Wizard, out: &mut Vec<Line>) {
    let prod = w.production();
    if prod.kept().is_none() {
        return;
    }
    out.push(line(
        LineKind::Heading,
        "Production on Kubernetes ([production])",
    ));
    for f in prod.asked() {
        let v = &prod.field(f).text;
        if v.is_empty() {
            continue;
        }
        out.push(line(LineKind::Text, format!("  {:<49} {v}", f.label())));
    }
    out.extend(
        prod.warnings()
            .iter()
            .map(|wn| line(LineKind::Warning, format!("  warning: {wn}"))),
    );
}
