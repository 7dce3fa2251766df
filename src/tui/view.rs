//! The whole screen as a function of the wizard's state: a frame with the step title, the
//! step's help text, its body (form or text), the footer of keys, the cancel question on top,
//! and a "make the window bigger" message below the minimum size.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::theme::Theme;
use super::{form, keys};
use crate::wizard::{self, Phase, Step, Wizard};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// One frame of the wizard.
pub struct Screen<'a> {
    pub wizard: &'a Wizard,
    pub theme: Theme,
}

impl Widget for &Screen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            too_small(area, buf);
            return;
        }
        let w = self.wizard;
        let t = self.theme;
        let footer = footer_lines(w, t, usize::from(area.width));
        let footer_h = u16::try_from(footer.len()).unwrap_or(3).clamp(1, 3);
        let [main, foot] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(footer_h)]).areas(area);
        let mut block = Block::default().borders(Borders::ALL).title(Line::styled(
            format!(
                " lakekeeper-setup · Step {} of {}: {} ",
                w.step().number(),
                Step::COUNT,
                w.step().title()
            ),
            t.title(),
        ));
        if w.ctx().dry_run {
            block = block.title(
                Line::styled(" dry run: nothing will be written ", t.warning()).right_aligned(),
            );
        }
        let inner = block.inner(main);
        block.render(main, buf);
        Paragraph::new(footer)
            .wrap(Wrap { trim: false })
            .render(foot, buf);

        let inner = Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(2),
            ..inner
        };
        let width = inner.width as usize;
        let (body, focus_line) = match w.step() {
            Step::Welcome => (text(&wizard::welcome_lines(w), t, width), 0),
            Step::Review => (text(&wizard::review_lines(w), t, width), 0),
            Step::Done => (text(&wizard::done_lines(w), t, width), 0),
            _ => {
                let mut help: Vec<Line> = wrap(w.step().help().trim(), width, "")
                    .into_iter()
                    .map(|l| Line::styled(l, t.dim()))
                    .collect();
                help.push(Line::default());
                let (lines, focus) = form::lines(w, t, width);
                let offset = help.len();
                help.extend(lines);
                (help, focus + offset)
            }
        };
        let height = inner.height as usize;
        let scroll = if matches!(w.step(), Step::Review | Step::Done) {
            usize::from(w.scroll()).min(body.len().saturating_sub(height))
        } else {
            // Keep the focused field (and the two lines under it) in view.
            (focus_line + 3).saturating_sub(height)
        };
        Paragraph::new(body)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .render(inner, buf);

        if let Some(p) = w.picker() {
            super::picker::render(p, main, buf, t);
        }
        if w.phase() == Phase::CancelAsked {
            cancel_dialog(area, buf, t);
        }
    }
}

/// The footer's key hints, wrapped between hints (never inside one, so a key stays with what it
/// does).
fn footer_lines(w: &Wizard, t: Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (k, action) in keys::footer(w) {
        let action = format!(" {action}");
        let len = k.chars().count() + action.chars().count();
        if !spans.is_empty() && used + 5 + len > width {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        if !spans.is_empty() {
            spans.push(Span::styled("  ·  ", t.dim()));
            used += 5;
        }
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::raw(action));
        used += len;
    }
    if !spans.is_empty() {
        lines.push(Line::from(spans));
    }
    lines
}

fn too_small(area: Rect, buf: &mut Buffer) {
    let msg = format!(
        "The window is {}×{}; the wizard needs at least {MIN_WIDTH}×{MIN_HEIGHT}. Make it bigger, or run `lakekeeper-setup --plain`.",
        area.width, area.height
    );
    Paragraph::new(msg)
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

fn cancel_dialog(area: Rect, buf: &mut Buffer, t: Theme) {
    let w = 56.min(area.width);
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + area.height / 2 - 3,
        width: w,
        height: 5,
    };
    Clear.render(rect, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::styled(" Cancel? ", t.error()));
    let inner = block.inner(rect);
    block.render(rect, buf);
    Paragraph::new(vec![
        Line::raw("Leave without writing anything?"),
        Line::from(vec![
            Span::styled("y", t.key()),
            Span::raw(" / Esc: leave    "),
            Span::styled("n", t.key()),
            Span::raw(" / Enter: keep going"),
        ]),
    ])
    .render(
        Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(1),
            ..inner
        },
        buf,
    );
}

/// Styled, pre-wrapped lines of a text screen.
fn text(lines: &[wizard::Line], t: Theme, width: usize) -> Vec<Line<'static>> {
    lines
        .iter()
        .flat_map(|l| {
            let indent: String = l.text.chars().take_while(|c| *c == ' ').collect();
            let cont = if indent.is_empty() {
                String::new()
            } else {
                format!("{indent}  ")
            };
            wrap(&l.text, width, &cont)
                .into_iter()
                .map(move |s| Line::styled(s, t.line(l.kind)))
        })
        .collect()
}

/// Word-wraps `s` to `width` columns; continuation lines start with `indent`. Words longer
/// than a line are broken. Wrapping here (not in `Paragraph`) keeps line numbers exact for
/// scrolling.
pub fn wrap(s: &str, width: usize, indent: &str) -> Vec<String> {
    let width = width.max(indent.chars().count() + 8);
    let mut out = Vec::new();
    for para in s.split('\n') {
        if para.chars().count() <= width {
            // Fits: keep it exactly (column alignment and diff indentation matter).
            out.push(para.to_owned());
            continue;
        }
        let lead: String = para.chars().take_while(|c| *c == ' ').collect();
        let mut line = lead.clone();
        let mut fresh = true;
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let len = line.chars().count();
            let wl = word.chars().count();
            if !fresh && len + 1 + wl > width {
                out.push(std::mem::take(&mut line));
                indent.clone_into(&mut line);
                fresh = true;
            }
            if !fresh {
                line.push(' ');
            }
            let mut rest: Vec<char> = word.chars().collect();
            while line.chars().count() + rest.len() > width {
                let room = width.saturating_sub(line.chars().count()).max(1);
                line.extend(rest.drain(..room.min(rest.len())));
                out.push(std::mem::take(&mut line));
                indent.clone_into(&mut line);
            }
            line.extend(rest);
            fresh = false;
        }
        out.push(line);
    }
    out
}
