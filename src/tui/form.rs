//! The body of a question step: one block per field (label, value with cursor, then the
//! validator's error, the normalisation notes and warnings, or the portal hint when focused).

use ratatui::text::{Line, Span};

use super::theme::Theme;
use super::view::wrap;
use crate::model::FieldId;
use crate::strings;
use crate::wizard::{
    FieldKind, FieldState, FieldStatus, KeyChoice, ProdChoice, Step, Wizard, field_message,
    production_message,
};

/// The form's lines and the index of the focused row's first line.
pub fn lines(w: &Wizard, t: Theme, width: usize) -> (Vec<Line<'static>>, usize) {
    let mut out = Vec::new();
    let mut focus_line = 0;
    if w.step() == Step::Production {
        focus_line = production(w, t, width, &mut out);
    } else if w.step() == Step::EncryptionKey {
        let focused = w.focused().is_none();
        if focused {
            focus_line = out.len();
        }
        out.push(label_line("How to set the key", focused, false, t));
        let key = w.key();
        for c in key.options() {
            let mark = if c == key.choice { "(•)" } else { "( )" };
            let style = if c == key.choice && focused {
                t.focus()
            } else {
                ratatui::style::Style::new()
            };
            out.push(Line::styled(
                format!("    {mark} {}", key.describe(c)),
                style,
            ));
        }
        if let Some(warn) = w.key_warning() {
            for l in wrap(&format!("! {warn}"), width.saturating_sub(4), "  ") {
                out.push(Line::styled(format!("    {l}"), t.warning()));
            }
        }
        out.push(Line::default());
        if key.choice == KeyChoice::Paste {
            let f = FieldId::EncryptionKey;
            if w.focused() == Some(f) {
                focus_line = out.len();
            }
            field(w, f, t, width, &mut out);
        }
    } else {
        for f in w.rows() {
            if w.focused() == Some(f) {
                focus_line = out.len();
            }
            field(w, f, t, width, &mut out);
        }
    }
    if let Some(offer) = w.bootstrap_offer() {
        out.push(Line::default());
        let offer = format!("{offer} {}", crate::strings::BOOTSTRAP_OFFER_TUI);
        for l in wrap(&offer, width, "  ") {
            out.push(Line::styled(l, t.warning()));
        }
    }
    if let Some(how) = w.assist_off()
        && w.rows().into_iter().any(crate::wizard::pickable)
    {
        for l in wrap(how, width, "  ") {
            out.push(Line::styled(l, t.dim()));
        }
    }
    // On the production choice it is said under the choice (see `production`).
    if let Some(b) = w.blocked()
        && !(w.step() == Step::Production && w.focused_production().is_none())
    {
        out.push(Line::styled(format!("✗ {b}"), t.error()));
    }
    (out, focus_line)
}

/// The Production step: its choice, then (when taken) its questions. Returns the focused
/// row's first line.
fn production(w: &Wizard, t: Theme, width: usize, out: &mut Vec<Line<'static>>) -> usize {
    let prod = w.production();
    let sub = |text: &str, style, out: &mut Vec<Line<'static>>| {
        for l in wrap(text, width.saturating_sub(4), "  ") {
            out.push(Line::styled(format!("    {l}"), style));
        }
    };
    for p in prod.problems() {
        sub(&format!("! {p}"), t.warning(), out);
    }
    let on_choice = w.focused_production().is_none();
    let mut focus_line = out.len();
    out.push(label_line("Deploy to Kubernetes?", on_choice, false, t));
    for c in prod.options() {
        let mark = if c == prod.choice { "(•)" } else { "( )" };
        let style = if c == prod.choice && on_choice {
            t.focus()
        } else {
            ratatui::style::Style::new()
        };
        out.push(Line::styled(
            format!("    {mark} {}", prod.describe(c)),
            style,
        ));
    }
    // Sent back to the choice by what no question fixes: said here, in view.
    if on_choice && let Some(b) = w.blocked() {
        sub(&format!("✗ {b}"), t.error(), out);
    }
    out.push(Line::default());
    if prod.choice == ProdChoice::Skip {
        return focus_line;
    }
    for f in prod.asked() {
        let focused = w.focused_production() == Some(f);
        if focused {
            focus_line = out.len();
        }
        let st = prod.field(f);
        out.push(label_line(
            f.label(),
            focused,
            f.optional() && f.default().is_none(),
            t,
        ));
        out.push(text_line(&st.text, st, f.kind(), focused, t, width));
        if let Some(e) = prod.error(f) {
            sub(&format!("✗ {}", production_message(e)), t.error(), out);
        } else if let FieldStatus::Valid { notes, .. } = &st.status
            && !notes.is_empty()
        {
            for n in notes {
                sub(&format!("✓ {n}"), t.ok(), out);
            }
        } else if focused {
            sub(f.hint(), t.dim(), out);
        }
    }
    for wn in prod.warnings() {
        sub(&format!("! {wn}"), t.warning(), out);
    }
    focus_line
}

fn label_line(label: &str, focused: bool, optional: bool, t: Theme) -> Line<'static> {
    let marker = if focused { "▸ " } else { "  " };
    let style = if focused { t.focus() } else { t.heading() };
    let mut spans = vec![Span::styled(format!("{marker}{label}"), style)];
    if optional {
        spans.push(Span::styled(" (optional)", t.dim()));
    }
    Line::from(spans)
}

fn field(w: &Wizard, f: FieldId, t: Theme, width: usize, out: &mut Vec<Line<'static>>) {
    let focused = w.focused() == Some(f);
    let st = w.field(f);
    let optional = crate::validate::is_optional(f, w.answers())
        && crate::validate::default_for(f, w.answers()).is_none();
    out.push(label_line(strings::label(f), focused, optional, t));
    out.push(value_line(w, f, focused, t, width));
    let sub = |text: &str, style, out: &mut Vec<Line<'static>>| {
        for l in wrap(text, width.saturating_sub(4), "  ") {
            out.push(Line::styled(format!("    {l}"), style));
        }
    };
    match &st.status {
        FieldStatus::Invalid(e) => sub(&format!("✗ {}", field_message(e)), t.error(), out),
        FieldStatus::Valid { notes, warnings } => {
            for n in notes {
                sub(&format!("✓ {n}"), t.ok(), out);
            }
            for wn in warnings {
                sub(&format!("! {wn}"), t.warning(), out);
            }
            if focused && notes.is_empty() && warnings.is_empty() {
                sub(strings::hint(f), t.dim(), out);
            }
        }
        FieldStatus::Unchecked if focused => sub(strings::hint(f), t.dim(), out),
        FieldStatus::Unchecked => {}
    }
}

/// `    [value▌]`: the visible part of the value around the cursor, the cursor reversed.
fn value_line(w: &Wizard, f: FieldId, focused: bool, t: Theme, width: usize) -> Line<'static> {
    text_line(
        &w.display_value(f),
        w.field(f),
        FieldKind::of(f),
        focused,
        t,
        width,
    )
}

/// A value as shown (`shown`: masked for a secret), the cursor at the field's.
fn text_line(
    shown: &str,
    st: &FieldState,
    kind: FieldKind,
    focused: bool,
    t: Theme,
    width: usize,
) -> Line<'static> {
    if let FieldKind::Choice(opts) = kind {
        let style = if focused {
            t.focus()
        } else {
            ratatui::style::Style::new()
        };
        return Line::from(vec![
            Span::raw("    "),
            Span::styled(format!("◂ {shown} ▸"), style),
            Span::styled(format!("   ({})", opts.join(" · ")), t.dim()),
        ]);
    }
    let chars: Vec<char> = shown.chars().collect();
    let avail = width.saturating_sub(6).max(8);
    if !focused {
        let text: String = if chars.len() > avail {
            chars[..avail - 1].iter().chain(['…'].iter()).collect()
        } else {
            shown.to_owned()
        };
        return Line::from(vec![Span::raw("    "), Span::raw(text)]);
    }
    let cursor = st.cursor.min(chars.len());
    let start = (cursor + 1).saturating_sub(avail);
    let end = (start + avail).min(chars.len());
    let before: String = chars[start..cursor].iter().collect();
    let at: String = chars.get(cursor).map_or(" ".to_owned(), char::to_string);
    let after: String = chars
        .get(cursor + 1..end.max(cursor + 1))
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    Line::from(vec![
        Span::styled("  > ", t.focus()),
        Span::raw(before),
        Span::styled(at, t.cursor()),
        Span::raw(after),
    ])
}
