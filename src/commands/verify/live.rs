//! `verify` on a terminal: each result is printed the moment its check finishes, wrapped to
//! the terminal's width, while one status line at the bottom names the checks still running
//! and how long they have taken (redrawn four times a second, by indicatif: cut to the
//! terminal's width, so it never wraps). Without a terminal the caller prints the whole table
//! at the end, as before.
//!
//! I/O: writes to stdout only; the checks themselves run in [`verify::run`].

use std::collections::BTreeMap;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::verify::{self, CheckName, ProgressEvent, VerifyConfig, VerifyReport};

/// How often the status line's clock is redrawn.
const TICK: Duration = Duration::from_millis(250);

/// The status line: the checks still running, oldest first, and the time since the first
/// started (indicatif cuts it to the terminal's width).
pub fn status_line(running: &[CheckName], elapsed: Duration) -> String {
    let names: Vec<&str> = running.iter().map(|c| c.as_str()).collect();
    format!("  running: {} ({} s)", names.join(", "), elapsed.as_secs())
}

/// Runs the checks, printing as described in the module doc. `strip` runs on each result
/// before it is shown (it drops the error chains without `--verbose`).
pub async fn run(
    cfg: &VerifyConfig,
    color: bool,
    columns: usize,
    strip: impl Fn(&mut verify::CheckResult),
) -> VerifyReport {
    run_on(cfg, color, columns, strip, ProgressDrawTarget::stdout()).await
}

/// [`run`] with the status line drawn on `target`.
pub async fn run_on(
    cfg: &VerifyConfig,
    color: bool,
    columns: usize,
    strip: impl Fn(&mut verify::CheckResult),
    target: ProgressDrawTarget,
) -> VerifyReport {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let checks = verify::run(cfg, Some(tx));
    let status = crate::output::progress::status(target);
    let show = async {
        let start = Instant::now();
        let mut running: BTreeMap<CheckName, Instant> = BTreeMap::new();
        let mut tick = tokio::time::interval(TICK);
        let width = verify::render::name_width();
        loop {
            let event = tokio::select! {
                e = rx.recv() => e,
                _ = tick.tick() => {
                    redraw(&status, &running, start);
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
                    status.suspend(|| out!("{text}"));
                }
                None => break,
            }
            redraw(&status, &running, start);
        }
        status.finish_and_clear();
    };
    let (report, ()) = tokio::join!(checks, show);
    report
}

fn redraw(status: &ProgressBar, running: &BTreeMap<CheckName, Instant>, start: Instant) {
    let mut names: Vec<(Instant, CheckName)> = running.iter().map(|(n, t)| (*t, *n)).collect();
    names.sort();
    let names: Vec<CheckName> = names.into_iter().map(|(_, n)| n).collect();
    let line = if names.is_empty() {
        String::new()
    } else {
        status_line(&names, start.elapsed())
    };
    status.set_message(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_line_names_what_runs_and_never_wraps() {
        let line = status_line(
            &[CheckName::OidcDiscovery, CheckName::Postgres],
            Duration::from_millis(4_600),
        );
        assert_eq!(line, "  running: oidc-discovery, postgres (4 s)");
        // Drawn on a 20-column terminal, it is cut to fit.
        let term = crate::output::progress::tests::Narrow::new(20);
        let status = crate::output::progress::status(term.target());
        status.set_message(line);
        status.tick();
        status.finish_and_clear();
        let drawn = term.drawn();
        assert!(
            drawn
                .iter()
                .any(|l| l == "  running: oidc-dis" || l.starts_with("  running: oidc")),
            "{drawn:?}"
        );
        assert!(drawn.iter().all(|l| l.chars().count() <= 20), "{drawn:?}");
    }
}
