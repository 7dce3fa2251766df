//! The full-screen front end: draws `tui::view::Screen` for the wizard's state, turns terminal
//! events into `wizard::Msg`s and hands effects to the driver's executor.
//!
//! Terminal hygiene: our panic hook is installed before `ratatui::try_init()` (which wraps it
//! with one that restores the terminal first) and never prints the panic message, which could
//! hold a typed value; bracketed paste is switched on and off with the screen; SIGTERM and
//! SIGHUP end the loop like a confirmed cancel, so the terminal is restored on the way out.

pub mod form;
pub mod keys;
pub mod picker;
pub mod theme;
pub mod view;

#[cfg(test)]
mod tests;

use std::io::{self, stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event};
use ratatui::crossterm::execute;

use crate::wizard::{Done, Effect, Msg, Outcome, Phase, PickerState, Wizard};
pub use theme::Theme;
pub use view::{MIN_HEIGHT, MIN_WIDTH, Screen};

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("terminal: {0}")]
    Io(#[from] io::Error),
}

/// Restores the terminal when dropped, whatever way `run` is left.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableBracketedPaste);
        ratatui::restore();
    }
}

/// Replaces the default panic output (which would include the panic message, possibly holding
/// a typed value) with a fixed line naming the location. Also used by the line-prompt mode.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let _ = execute!(stdout(), DisableBracketedPaste);
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eoutln!(
            "lakekeeper-setup: internal error{place}. Nothing was written unless the Done screen said so. Please report this (the message is withheld because it may contain a value you typed)."
        );
    }));
}

/// Sets the returned flag when the terminal goes away or the run is asked to stop: SIGTERM
/// or SIGHUP on Linux and macOS; on a Windows console, the window being closed (Windows
/// allows a few seconds to clean up) or Ctrl+Break. (Ctrl+C is a key in raw mode, on every
/// platform.) The event loop checks the flag between polls and returns, so the terminal is
/// restored on every platform.
fn watch_signals() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&flag);
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if stop_requested().await {
                    f.store(true, Ordering::SeqCst);
                }
            });
            if f.load(Ordering::SeqCst) {
                // The loop sees the flag within one poll and returns, restoring the terminal.
                // But a terminal that hung up (its window closed, tmux killed) leaves the input
                // at end-of-file, and crossterm's reader then reads it again and again without
                // ever returning to the loop: end the run ourselves rather than spin forever.
                // Nothing is lost: every write is atomic, and the OS releases the lock.
                std::thread::sleep(HANG_UP_GRACE);
                std::process::exit(crate::commands::Exit::Cancelled as i32);
            }
        });
    flag
}

/// How long the event loop has to notice a stop request before the process ends without it.
const HANG_UP_GRACE: Duration = Duration::from_secs(1);

/// Waits for SIGTERM or SIGHUP; `false` when they cannot be watched.
#[cfg(unix)]
async fn stop_requested() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return false;
    };
    tokio::select! {
        _ = term.recv() => true,
        _ = hup.recv() => true,
    }
}

/// Waits for the console window to close or Ctrl+Break; `false` when they cannot be watched.
#[cfg(windows)]
async fn stop_requested() -> bool {
    use tokio::signal::windows::{ctrl_break, ctrl_close};
    let (Ok(mut close), Ok(mut brk)) = (ctrl_close(), ctrl_break()) else {
        return false;
    };
    tokio::select! {
        _ = close.recv() => true,
        _ = brk.recv() => true,
    }
}

/// Elsewhere nothing is watched (keys still cancel).
#[cfg(not(any(unix, windows)))]
async fn stop_requested() -> bool {
    false
}

/// What a signal leaves behind: files already written stay written; otherwise nothing was.
fn signalled_outcome(w: &Wizard) -> Outcome {
    match w.done() {
        Some(Done::Written(_)) => Outcome::Written,
        Some(Done::UpToDate) => Outcome::UpToDate,
        Some(Done::DryRun) => Outcome::DryRun,
        Some(Done::Failed(_)) => Outcome::Failed,
        None => Outcome::Cancelled,
    }
}

/// How long one wait for a key lasts: short, so messages from background work (the live
/// checks) are drawn promptly while keys keep working.
pub const POLL: Duration = Duration::from_millis(50);

/// Runs the wizard full-screen until it finishes. `exec` performs an effect and returns the
/// messages that answer it; `inbox` brings the messages of work the driver runs in the
/// background (never waited on: the loop only takes what has arrived).
pub fn run(
    w: &mut Wizard,
    exec: &mut dyn FnMut(Effect) -> Vec<Msg>,
    inbox: &Receiver<Msg>,
) -> Result<Outcome, TuiError> {
    let stop = watch_signals();
    install_panic_hook();
    let mut terminal = ratatui::try_init()?;
    let _restore = Restore;
    execute!(stdout(), EnableBracketedPaste)?;
    let theme = Theme::from_env();
    let mut dirty = true;
    let mut next_event = |timeout| -> io::Result<Option<Event>> {
        if event::poll(timeout)? {
            event::read().map(Some)
        } else {
            Ok(None)
        }
    };
    loop {
        if let Some(outcome) = turn(
            &mut terminal,
            w,
            theme,
            exec,
            inbox,
            &mut next_event,
            &mut dirty,
        )? {
            return Ok(outcome);
        }
        if stop.load(Ordering::SeqCst) {
            // SIGTERM/SIGHUP, or the console closing (the terminal may be gone): leave now, whatever the state, and write
            // nothing more. Handing the machine cancels instead could leave it on a screen that
            // does not exit, and this loop would then spin without waiting for events.
            return Ok(signalled_outcome(w));
        }
    }
}

/// One turn of the event loop: draw if anything changed, wait up to `POLL` for an event, then
/// apply it and whatever background work has sent, executing their effects. While a picker's
/// list loads, every turn also advances its spinner, so frames keep coming without any key.
/// Generic over the backend so the benchmark drives the very loop the terminal runs.
pub fn turn<B>(
    terminal: &mut Terminal<B>,
    w: &mut Wizard,
    theme: Theme,
    exec: &mut dyn FnMut(Effect) -> Vec<Msg>,
    inbox: &Receiver<Msg>,
    next_event: &mut dyn FnMut(Duration) -> io::Result<Option<Event>>,
    dirty: &mut bool,
) -> Result<Option<Outcome>, TuiError>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    if *dirty {
        terminal
            .draw(|f| f.render_widget(&Screen { wizard: w, theme }, f.area()))
            .map_err(io::Error::other)?;
        *dirty = false;
    }
    let mut queue: Vec<Msg> = inbox.try_iter().collect();
    if let Some(ev) = next_event(POLL)? {
        // Any event (a resize too) redraws.
        *dirty = true;
        if let Some(msg) = keys::map(&ev, w) {
            queue.push(msg);
        }
    }
    if w.picker()
        .is_some_and(|p| matches!(p.state, PickerState::Loading { .. }))
    {
        queue.push(Msg::Tick);
    }
    *dirty |= !queue.is_empty();
    while !queue.is_empty() {
        let msg = queue.remove(0);
        for effect in w.update(msg) {
            match effect {
                Effect::Exit(outcome) => return Ok(Some(outcome)),
                other => queue.extend(exec(other)),
            }
        }
    }
    if let Phase::Finished(outcome) = w.phase() {
        return Ok(Some(outcome));
    }
    Ok(None)
}
