//! The Azure picker as a popup over the form: its title, then a spinner while the list loads,
//! the error when it could not, or the filter line and the rows (label, detail; a row that
//! cannot be chosen greyed and marked `✗` with why, so it reads the same without colour).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use super::theme::Theme;
use super::view::wrap;
use crate::strings;
use crate::wizard::{PickList, Picker, PickerState};

/// Spinner frames, one per `Msg::Tick`.
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Widest a label column gets before the detail.
const LABEL_MAX: usize = 36;

/// Draws the picker over the lower part of `area`, as tall as its rows need, so the step's
/// help and the first fields stay readable above it.
pub fn render(p: &Picker, area: Rect, buf: &mut Buffer, t: Theme) {
    let width = area.width.saturating_sub(6).min(100);
    // Two columns of padding inside the border.
    let w = usize::from(width.saturating_sub(4));
    let max_rows = usize::from(area.height.saturating_sub(8).min(20)).max(3);
    let lines = match &p.state {
        PickerState::Loading { frame } => vec![Line::from(vec![
            Span::styled(SPINNER[frame % SPINNER.len()], t.focus()),
            Span::raw(" "),
            Span::raw(strings::pick_loading(&p.kind)),
        ])],
        PickerState::Failed(e) => {
            let mut out: Vec<Line> = wrap(&format!("✗ {}: {e}", strings::PICK_FAILED), w, "  ")
                .into_iter()
                .map(|l| Line::styled(l, t.error()))
                .collect();
            out.push(Line::styled(
                format!(
                    "{} tries again · Enter or Esc closes (the field keeps its value)",
                    strings::PICK_KEY
                ),
                t.dim(),
            ));
            out
        }
        PickerState::Loaded(l) => list_lines(l, w, max_rows, t),
    };
    let height = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: (area.y + area.height).saturating_sub(height + 1),
        width,
        height,
    };
    Clear.render(rect, buf);
    let block = Block::default().borders(Borders::ALL).title(Line::styled(
        format!(" {} ", strings::pick_title(&p.kind)),
        t.title(),
    ));
    let inner = block.inner(rect);
    block.render(rect, buf);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    Paragraph::new(lines).render(inner, buf);
}

fn list_lines(l: &PickList, width: usize, height: usize, t: Theme) -> Vec<Line<'static>> {
    let visible = l.visible();
    let mut out = vec![
        Line::from(vec![
            Span::styled("Filter: ", t.heading()),
            Span::raw(l.filter.clone()),
            Span::styled(" ", t.cursor()),
        ]),
        Line::styled(
            format!(
                "{} of {} shown · type to filter, ↑↓ move, Enter choose, Esc close",
                visible.len(),
                l.choices.len()
            ),
            t.dim(),
        ),
    ];
    let footer = usize::from(l.refused.is_some());
    let room = height.saturating_sub(out.len() + footer).max(1);
    if l.choices.is_empty() {
        out.push(Line::styled(strings::PICK_EMPTY, t.warning()));
    } else if visible.is_empty() {
        out.push(Line::styled(strings::PICK_NO_MATCH, t.warning()));
    }
    let label_w = visible
        .iter()
        .map(|i| l.choices[*i].label.chars().count())
        .max()
        .unwrap_or(0)
        .min(LABEL_MAX);
    let start = (l.selected + 1).saturating_sub(room);
    for (pos, i) in visible.iter().enumerate().skip(start).take(room) {
        let c = &l.choices[*i];
        let here = pos == l.selected;
        let marker = if here { "▸ " } else { "  " };
        let label = clip(&c.label, label_w);
        // Why a row is greyed matters more than its detail: the detail gives way first.
        let why = c
            .unavailable
            .as_ref()
            .map_or_else(String::new, |w| format!("  ✗ {w}"));
        let room = width.saturating_sub(2 + label_w + 2 + why.chars().count());
        let text = clip(
            &format!("{marker}{label:<label_w$}  {}{why}", clip(&c.detail, room)),
            width,
        );
        let style = match (here, c.unavailable.is_some()) {
            (true, _) => t.focus().patch(t.cursor()),
            (false, true) => t.dim(),
            (false, false) => Style::new(),
        };
        out.push(Line::styled(text, style));
    }
    if let Some(r) = &l.refused {
        out.push(Line::styled(clip(&format!("✗ {r}"), width), t.error()));
    }
    out
}

/// `s` cut to `n` characters, with `…` when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}
