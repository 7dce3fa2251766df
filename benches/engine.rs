//! In-process benchmarks of issue 5: editing a large `.env` (what `plan` does) and drawing the
//! wizard. Not timed tests: they print numbers and verdicts and never fail a build.
//!
//! 1. Editing a 500 / 5,000 / 50,000-line `.env` (the team fixture plus user lines: comments,
//!    blank lines, `export`, quoted and unquoted values): `EnvFile::parse`, `set` of every
//!    managed key, `render`, `verify_round_trip` — the editor chain — and the whole `plan`
//!    (which adds the key-level changes and the override). Target: linear — each added line
//!    costs the same from 500 to 5,000 as from 5,000 to 50,000 (a team's `.env` has tens of
//!    lines; linearity is what keeps an unusual one from being slow).
//! 2. A full frame of every wizard screen at 120×40 into ratatui's `TestBackend` (the terminal
//!    is cleared before each draw, so every cell is rendered, diffed and sent): ≤ 1 ms each.
//! 3. Keystroke → next frame: the crossterm event mapped to a message, `Wizard::update`, and
//!    the redraw (diffed against the previous frame, as the real loop does): ≤ 16.7 ms (one
//!    frame at 60 Hz).
//!
//! Run: `cargo bench --bench engine` (`BENCH_ITERS` scales the iteration counts).

// Measurement code: float conversions of counts and durations, and string building for
// generated fixtures, are what it is for.
#![allow(
    clippy::cast_precision_loss,
    clippy::format_push_string,
    clippy::unchecked_time_subtraction,
    clippy::needless_pass_by_value
)]

#[path = "support/timing.rs"]
mod timing;
#[path = "support/world.rs"]
mod world;

use std::path::PathBuf;
use std::time::Duration;

use lakekeeper_setup::derive;
use lakekeeper_setup::envfile::{self, EnvFile};
use lakekeeper_setup::plan::{self, Inputs};
use lakekeeper_setup::tui::{Screen, Theme, keys};
use lakekeeper_setup::wizard::{PlanSummary, Wizard};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use timing::{Samples, us, verdict};

const FRAME_TARGET: Duration = Duration::from_millis(1);
const KEY_TARGET: Duration = Duration::from_micros(16_667);

fn inputs(env_text: String) -> Inputs {
    Inputs {
        env_path: PathBuf::from("backend/.env"),
        env_text: Some(env_text),
        override_path: PathBuf::from("backend/docker-compose.override.yml"),
        override_text: None,
        profile_path: PathBuf::from("lakekeeper-setup.toml"),
        profile_text: None,
        save_profile: false,
        production: None,
    }
}

/// The editor chain of `plan`, without the bookkeeping.
fn edit(text: &str, values: &[derive::Derived]) -> String {
    let mut file = EnvFile::parse(text).expect("parses");
    let expected: Vec<(&str, &str)> = values.iter().map(|d| (d.key, d.value.raw())).collect();
    file.set_all(&expected).expect("quotable");
    let after = file.render();
    envfile::verify_round_trip(&after, &expected).expect("reads back");
    after
}

fn bench_edit(scale: usize) {
    let v = world::validated();
    let values = derive::env_values(&v.config);
    let answers = world::answers();
    println!(
        "editing a .env ({} managed keys set), median [min … max]",
        values.len()
    );
    println!(
        "  {:>7}  {:<34} {:>8}  {:<34} {:>8}",
        "lines", "parse+set+render+verify", "ns/line", "plan (whole)", "ns/line"
    );
    let mut per_line = Vec::new();
    for (lines, iters) in [(500, 200), (5_000, 50), (50_000, 10)] {
        let text = world::env_text(lines);
        assert_eq!(text.lines().count(), lines);
        let iters = iters * scale;
        let chain = timing::time(2, iters, || edit(&text, &values));
        let inp = inputs(text.clone());
        let whole = timing::time(2, iters, || {
            plan::plan(&v.config, &answers, &inp).expect("plans")
        });
        let nsl = |s: &Samples| s.median().as_secs_f64() * 1e9 / lines as f64;
        println!(
            "  {lines:>7}  {:<34} {:>8.0}  {:<34} {:>8.0}",
            chain.ms(),
            nsl(&chain),
            whole.ms(),
            nsl(&whole)
        );
        per_line.push((lines, whole.median()));
    }
    // Linear means a fixed cost plus the same cost per added line: the slope between
    // consecutive sizes (the average per line also carries the fixed cost, which weighs most
    // at 500 lines).
    let slopes: Vec<f64> = per_line
        .windows(2)
        .map(|w| {
            let ((n0, t0), (n1, t1)) = (w[0], w[1]);
            (t1.as_secs_f64() - t0.as_secs_f64()) * 1e9 / (n1 - n0) as f64
        })
        .collect();
    let spread = slopes.iter().copied().fold(f64::MIN, f64::max)
        / slopes.iter().copied().fold(f64::MAX, f64::min);
    println!(
        "plan: ns per added line 500→5,000 {:.0}, 5,000→50,000 {:.0}: max/min {spread:.2} (linear ≈ 1)",
        slopes[0], slopes[1],
    );
}

/// The review's plan for the fixture project, summarised as the driver does.
fn summary() -> PlanSummary {
    let v = world::validated();
    let p = plan::plan(
        &v.config,
        &world::answers(),
        &inputs(world::FIXTURE_ENV.to_owned()),
    )
    .expect("plans");
    PlanSummary {
        env_path: p.env.path.display().to_string(),
        changes: p.changes.clone(),
        file_diffs: vec![(p.compose.path.display().to_string(), p.compose.text_diff())],
        changes_anything: p.changes_anything(),
        notes: v.notes.iter().map(|(f, n)| format!("{f}: {n}")).collect(),
        warnings: Vec::new(),
        secrets: Vec::new(),
    }
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(120, 40)).expect("test backend")
}

fn draw(t: &mut Terminal<TestBackend>, w: &Wizard) {
    let theme = Theme { color: true };
    t.draw(|f| f.render_widget(&Screen { wizard: w, theme }, f.area()))
        .expect("draws");
}

fn bench_frames(scale: usize) {
    let summary = summary();
    println!("\nfull frame, 120×40 TestBackend, colour theme, median [min … max]");
    let mut worst = Duration::ZERO;
    for (name, w) in world::screens(&summary) {
        let mut t = terminal();
        let s = timing::time(20, 300 * scale, || {
            t.clear().expect("clears");
            draw(&mut t, &w);
        });
        worst = worst.max(s.median());
        println!("  {name:<30} {}", s.ms());
    }
    println!(
        "slowest screen: {:.1} µs (target ≤ 1 ms each: {})",
        us(worst),
        verdict(worst <= FRAME_TARGET)
    );
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn bench_keys(scale: usize) {
    let summary = summary();
    let screens = world::screens(&summary);
    let find = |n: &str| {
        screens
            .iter()
            .find(|(name, _)| *name == n)
            .map(|(_, w)| w.clone())
            .expect("screen exists")
    };
    println!("\nkeystroke → next frame (map + update + diffed redraw), median [min … max]");
    let clock = timing::Clock::new();
    let mut worst = Duration::ZERO;
    for (what, screen, ev) in [
        (
            "type a character (tenant)",
            "tenant",
            key(KeyCode::Char('a')),
        ),
        (
            "Enter: check + next field (pg)",
            "postgres",
            key(KeyCode::Enter),
        ),
        ("Tab: next field (storage)", "storage", key(KeyCode::Tab)),
        (
            "PgDn: next step (storage)",
            "storage",
            key(KeyCode::PageDown),
        ),
        (
            "paste an abfss:// location",
            "storage",
            Event::Paste("abfss://warehouse@FakeAccount.dfs.core.windows.net/team/".into()),
        ),
        ("↓: scroll the review", "review", key(KeyCode::Down)),
        ("Esc: ask to cancel (review)", "review", key(KeyCode::Esc)),
    ] {
        let base = find(screen);
        let mut t = terminal();
        draw(&mut t, &base);
        let mut samples = Vec::new();
        for _ in 0..200 * scale {
            let mut w = base.clone();
            draw(&mut t, &w);
            let start = clock.now();
            if let Some(msg) = keys::map(&ev, &w) {
                w.update(msg);
            }
            draw(&mut t, &w);
            samples.push(clock.now().saturating_sub(start));
        }
        let s = Samples(samples);
        worst = worst.max(s.median());
        println!("  {what:<34} {}", s.ms());
    }
    println!(
        "slowest keystroke: {:.1} µs (target ≤ 16.7 ms: {})",
        us(worst),
        verdict(worst <= KEY_TARGET)
    );
}

fn main() {
    let scale = timing::iters(1);
    println!(
        "times are {} of the bench thread; load average now: {}\n",
        timing::Clock::new().what(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    bench_edit(scale);
    bench_frames(scale);
    bench_keys(scale);
}
