//! Progress lines on a terminal, drawn by indicatif: one line redrawn in place and cut to the
//! terminal's width (`{wide_msg}`), so a narrow terminal never gets a new line per redraw (a
//! line wider than the terminal wraps, and `\r` only returns to the start of its last part).
//! Off a terminal indicatif draws nothing. Every line the tool redraws in place outside the
//! full-screen wizard is made here; the Azure commands' steps (`  … storing …`) are log lines,
//! and a long Azure operation logs its wait at most every 30 s (`azure::arm::write`).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The spinner's frames; the last is shown once it is finished (then cleared).
const TICKS: &str = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ";

/// How often a spinner turns.
const TICK: Duration = Duration::from_millis(100);

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// A turning spinner, the seconds waited, then `what` (cut to fit), drawn on `target` until
/// [`ProgressBar::finish_and_clear`].
pub fn spinner(what: &str, target: ProgressDrawTarget) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, target)
        .with_style(style("{spinner} {elapsed:>3} {wide_msg}").tick_chars(TICKS))
        .with_message(what.to_owned());
    pb.enable_steady_tick(TICK);
    pb
}

/// A status line whose text the caller sets ([`ProgressBar::set_message`]), cut to fit; text
/// printed above it goes through [`ProgressBar::suspend`].
pub fn status(target: ProgressDrawTarget) -> ProgressBar {
    ProgressBar::with_draw_target(None, target).with_style(style("{wide_msg}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// A terminal `width` columns wide that keeps every piece of text drawn on it.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Narrow {
        pub width: u16,
        pub drawn: Arc<Mutex<Vec<String>>>,
    }

    impl Narrow {
        pub(crate) fn new(width: u16) -> Narrow {
            Narrow {
                width,
                drawn: Arc::default(),
            }
        }

        pub(crate) fn drawn(&self) -> Vec<String> {
            self.drawn.lock().map(|d| d.clone()).unwrap_or_default()
        }

        pub(crate) fn target(&self) -> ProgressDrawTarget {
            ProgressDrawTarget::term_like(Box::new(self.clone()))
        }
    }

    impl indicatif::TermLike for Narrow {
        fn width(&self) -> u16 {
            self.width
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.write_str(s)
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            if let Ok(mut d) = self.drawn.lock() {
                d.push(s.to_owned());
            }
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_key_vault_spinner_fits_a_narrow_terminal() {
        // Issue 20, item 18: this line is wider than 100 columns; on a 60-column terminal
        // each redraw used to add a line.
        let term = Narrow::new(60);
        let what = "reading 3 secret(s) from Key Vault team-dev-kv through the Azure CLI… (the Azure CLI often takes 10 s or more)";
        assert!(what.chars().count() > 100);
        let pb = spinner(what, term.target());
        std::thread::sleep(Duration::from_millis(350));
        pb.finish_and_clear();
        let drawn = term.drawn();
        let lines: Vec<&String> = drawn.iter().filter(|l| l.contains("reading 3")).collect();
        assert!(lines.len() >= 2, "redrawn as it turns: {drawn:?}");
        for l in &lines {
            assert!(
                l.chars().count() <= 60,
                "{} columns: {l:?}",
                l.chars().count()
            );
            assert!(
                l.contains(" 0s reading 3 secret(s) from Key Vault"),
                "{l:?}"
            );
        }
    }
}
