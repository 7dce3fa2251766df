//! Colours, or none: with `NO_COLOR` every distinction is also carried by a symbol or a
//! modifier (bold, reversed, `✗`/`!`/`+`/`-` prefixes), so the screens read the same without
//! colour.

use ratatui::style::{Color, Modifier, Style};

use crate::wizard::LineKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value (no-color.org).
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn heading(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warning(self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn focus(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn cursor(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn line(self, kind: LineKind) -> Style {
        match kind {
            LineKind::Heading => self.heading(),
            LineKind::Text => Style::new(),
            LineKind::Dim => self.dim(),
            LineKind::Added | LineKind::Ok => self.ok(),
            LineKind::Changed | LineKind::Warning => self.warning(),
            LineKind::Removed | LineKind::Error => self.error(),
        }
    }
}
