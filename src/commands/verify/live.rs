//! `verify` on a terminal: each result is printed the moment its check finishes, wrapped to
//! the terminal's width, while one status line at the bottom names the checks still running
//! and how long they have taken (redrawn four times a second). Without a terminal the caller
//! prints the whole table at the end, as before.
//!
//! I/O: writes to stdout only; the checks themselves run in [`verify::run`].

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::verify::{self, CheckName, ProgressEvent, VerifyConfig, VerifyReport};

/// Erases the status line (cursor to column 0, clear the line).
const CLEAR: &str = "\r\x1b[2K";

/// How often the status line's clock is redrawn.
const TICK: Duration = Duration::from_millis(250);

/// The status line: the checks still running, oldest first, and the time since the first
/// started; cut to `columns` so it never wraps (a wrapped line cannot be erased).
pub fn status_line(running: &[CheckName], elapsed: Duration, columns: usize) -> String {
    let names: Vec<&str> = running.iter().map(|c| c.as_str()).collect();
    let line = format!("  running: {} ({} s)", names.join(", "), elapsed.as_secs());
    line.chars().take(columns.saturating_sub(1)).collect()
}

/// Runs the checks, printing as described in the module doc. `strip` runs on each result
/// before it is shown (it drops the error chains without `--verbose`).
pub async fn run(
    cfg: &VerifyConfig,
    color: bool,
    columns: usize,
    strip: impl Fn(&mut verify::CheckResult),
) -> VerifyReport {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let checks = verify::run(cfg, Some(tx));
    let show = async move {
        let start = Instant::now();
        let mut running: BTreeMap<CheckName, Instant> = BTreeMap::new();
        let mut tick = tokio::time::interval(TICK);
        let mut out = std::io::stdout();
        let width = verify::render::name_width();
        loop {
            let event = tokio::select! {
                e = rx.recv() => e,
                _ = tick.tick() => {
                    redraw(&mut out, &running, start, columns);
                    continue;
                }
            };
            match event {
                Some(ProgressEvent::Started(name)) => {
                    running.entry(name).or_insert_with(Instant::now);
                }
                Some(ProgressEvent::Finished(mut result)) => {
                    if let Some(name) = CheckName::parse(&result.name) {
                        running.remove(&name);
                    }
                    strip(&mut result);
                    let text = verify::render::render_check(&result, width, color, Some(columns));
                    let _ = write!(out, "{CLEAR}{text}");
                }
                None => break,
            }
            redraw(&mut out, &running, start, columns);
        }
        let _ = write!(out, "{CLEAR}");
        let _ = out.flush();
    };
    let (report, ()) = tokio::join!(checks, show);
    report
}

fn redraw(
    out: &mut std::io::Stdout,
    running: &BTreeMap<CheckName, Instant>,
    start: Instant,
    columns: usize,
) {
    let mut names: Vec<(Instant, CheckName)> = running.iter().map(|(n, t)| (*t, *n)).collect();
    names.sort();
    let names: Vec<CheckName> = names.into_iter().map(|(_, n)| n).collect();
    let line = if names.is_empty() {
        String::new()
    } else {
        status_line(&names, start.elapsed(), columns)
    };
    let _ = write!(out, "{CLEAR}{line}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_names_what_runs_and_never_wraps() {
        let line = status_line(
            &[CheckName::OidcDiscovery, CheckName::Postgres],
            Duration::from_millis(4_600),
            80,
        );
        assert_eq!(line, "  running: oidc-discovery, postgres (4 s)");
        assert_eq!(
            status_line(
                &[CheckName::OidcDiscovery, CheckName::Postgres],
                Duration::ZERO,
                20
            )
            .chars()
            .count(),
            19
        );
    }
}
