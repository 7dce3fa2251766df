//! Benchmark of issue 13's pickers: the wizard stays responsive while a list loads, and what one
//! picker costs. Not a timed test: it prints numbers and a verdict and never fails a build.
//!
//! 1. Frames while a list loads. The very loop the terminal runs (`tui::turn`) drives a 120×40
//!    `TestBackend`: Ctrl-L on the tenant field, then no key at all while the driver's fetch
//!    thread (`commands::wizard::pick::spawn_fetch`) waits `BENCH_LIST_DELAY_MS` (default
//!    3,000 ms, the Azure CLI's usual ten seconds shortened) before answering with 500 rows.
//!    Counted: frames drawn while the fetch was pending, the longest gap between two frames,
//!    and the longest a turn spent working (drawing, updating) rather than waiting for a key —
//!    which would be seconds if the fetch ran on the render path.
//! 2. One picker's own cost in the loop: a filter keystroke → next frame with 500 rows open,
//!    and `Msg::Listed` (500 rows) → the first frame of the list.
//! 3. One picker end to end against the loopback Azure stand-in (official example payloads) and
//!    the fake `az` of the tests: `Effect::Fetch` → `Msg::Listed` through the driver's fetch
//!    thread and the real clients — the first list (which starts the session: `az account
//!    show` + `az cloud show`, then a token) and the next (session and token cached), for the
//!    tenants, the storage accounts (subscriptions, then accounts) and the PostgreSQL servers.
//!    The fake `az` answers at once; the real one takes seconds, which section 1 covers.
//!
//! Run: `cargo bench --bench picker` (`BENCH_ITERS` scales the keystroke samples).

#![allow(clippy::cast_precision_loss, clippy::format_push_string)]

#[path = "../tests/support/mod.rs"]
mod support;
#[path = "support/timing.rs"]
#[allow(dead_code)]
mod timing;
#[path = "support/world.rs"]
#[allow(dead_code)]
mod world;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use lakekeeper_setup::azure::{Choice, ListKind};
use lakekeeper_setup::commands::wizard::pick::{Lister, spawn_fetch};
use lakekeeper_setup::model::FieldId;
use lakekeeper_setup::tui::{self, Screen, Theme, keys};
use lakekeeper_setup::wizard::{Effect, Msg, PickerState, PlanSummary, Wizard};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use timing::{Samples, ms, verdict};

/// A frame at least this often while waiting (the loop's poll is 50 ms): 10 frames a second.
const GAP_TARGET: Duration = Duration::from_millis(100);
/// A keystroke's frame within one 60 Hz frame.
const KEY_TARGET: Duration = Duration::from_micros(16_667);

fn rows(n: usize) -> Vec<Choice> {
    (0..n)
        .map(|i| Choice {
            label: format!("Tenant {i:03}"),
            detail: format!("tenant{i:03}.onmicrosoft.com · 00000000-0000-4000-8000-{i:012}"),
            unavailable: (i % 7 == 0).then(|| "you have no role in this tenant".to_owned()),
            fills: vec![(FieldId::Tenant, format!("00000000-0000-4000-8000-{i:012}"))],
            accepts: Vec::new(),
            next: None,
        })
        .collect()
}

fn tenant_step() -> Wizard {
    world::screens(&PlanSummary::default())
        .into_iter()
        .find(|(n, _)| *n == "tenant")
        .map(|(_, w)| w)
        .expect("the tenant screen")
}

fn ctrl_l() -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL))
}

fn bench_frames_while_loading(delay: Duration) {
    let (tx, inbox) = channel();
    let lister: Lister = Arc::new(move |_: &ListKind| {
        std::thread::sleep(delay);
        Ok(rows(500))
    });
    let mut exec = |e: Effect| match e {
        Effect::Fetch(k) => spawn_fetch(&lister, k, &tx).into_iter().collect(),
        _ => Vec::new(),
    };
    let mut w = tenant_step();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test backend");
    let mut keys: VecDeque<Event> = VecDeque::from([ctrl_l()]);
    let waited = std::cell::Cell::new(Duration::ZERO);
    // No key after Ctrl-L: the loop waits its poll interval, as `event::poll` would.
    let mut next_event = |timeout: Duration| -> std::io::Result<Option<Event>> {
        if let Some(k) = keys.pop_front() {
            return Ok(Some(k));
        }
        let t = Instant::now();
        std::thread::sleep(timeout);
        waited.set(waited.get() + t.elapsed());
        Ok(None)
    };
    let theme = Theme { color: true };
    let mut dirty = true;
    let mut frames = Vec::new();
    let mut worst_work = Duration::ZERO;
    let start = Instant::now();
    let mut loaded_at = None;
    while start.elapsed() < delay * 3 {
        let drew = dirty;
        let before = waited.get();
        let t = Instant::now();
        tui::turn(
            &mut terminal,
            &mut w,
            theme,
            &mut exec,
            &inbox,
            &mut next_event,
            &mut dirty,
        )
        .expect("turns");
        let work = t
            .elapsed()
            .saturating_sub(waited.get().saturating_sub(before));
        if drew {
            frames.push(t);
        }
        let loading = w
            .picker()
            .is_some_and(|p| matches!(p.state, PickerState::Loading { .. }));
        if loading {
            worst_work = worst_work.max(work);
        }
        if loaded_at.is_none() && w.picker().is_some() && !loading {
            loaded_at = Some(Instant::now());
            // One more turn draws the list.
        } else if loaded_at.is_some() {
            break;
        }
    }
    let loaded_at = loaded_at.expect("the list arrived");
    let pending: Vec<&Instant> = frames.iter().filter(|f| **f < loaded_at).collect();
    let gap = pending
        .windows(2)
        .map(|p| p[1].duration_since(*p[0]))
        .max()
        .unwrap_or_default();
    let fetch = loaded_at.duration_since(start);
    println!("frames while a list loads (fetch answering after {delay:?}, 120×40, no key pressed)");
    println!("  list arrived after            {:.0} ms", ms(fetch));
    println!(
        "  frames drawn meanwhile        {} ({:.1} a second)",
        pending.len(),
        pending.len() as f64 / fetch.as_secs_f64()
    );
    println!(
        "  longest gap between frames    {:.1} ms (target ≤ {} ms: {})",
        ms(gap),
        GAP_TARGET.as_millis(),
        verdict(gap <= GAP_TARGET)
    );
    println!(
        "  longest turn's own work       {:.3} ms (drawing + updating; the fetch is not on this thread)",
        ms(worst_work)
    );
}

fn draw(t: &mut Terminal<TestBackend>, w: &Wizard) {
    let theme = Theme { color: true };
    t.draw(|f| f.render_widget(&Screen { wizard: w, theme }, f.area()))
        .expect("draws");
}

fn bench_picker_frames(scale: usize) {
    let mut loading = tenant_step();
    loading.update(Msg::Pick);
    let mut open = loading.clone();
    open.update(Msg::Listed(ListKind::Tenant, Ok(rows(500))));
    println!("\none picker in the loop (500 rows), median [min … max]");
    let clock = timing::Clock::new();
    for (what, base, msg) in [
        (
            "Msg::Listed → first frame of the list",
            &loading,
            Some(Msg::Listed(ListKind::Tenant, Ok(rows(500)))),
        ),
        ("filter keystroke → next frame", &open, None),
    ] {
        let mut t = Terminal::new(TestBackend::new(120, 40)).expect("test backend");
        let mut samples = Vec::new();
        for _ in 0..200 * scale {
            let mut w = base.clone();
            draw(&mut t, &w);
            let m = msg.clone().unwrap_or_else(|| {
                keys::map(
                    &Event::Key(KeyEvent::new(KeyCode::Char('7'), KeyModifiers::NONE)),
                    &w,
                )
                .expect("a key")
            });
            let start = clock.now();
            w.update(m);
            draw(&mut t, &w);
            samples.push(clock.now().saturating_sub(start));
        }
        let s = Samples(samples);
        println!(
            "  {what:<40} {} (target ≤ 16.7 ms: {})",
            s.ms(),
            verdict(s.median() <= KEY_TARGET)
        );
    }
}

fn bench_stand_in(scale: usize) {
    use lakekeeper_setup::azure::{self, Session, az::Az};
    use support::azure::{AzMode, FakeAz, StandIn, arm_body};

    const SUB: &str = "22222222-2222-2222-2222-222222222222";
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let stand = rt.block_on(StandIn::start());
    let adapt = |v: &serde_json::Value| -> serde_json::Value {
        serde_json::from_str(&v.to_string().replace("{subscription-id}", SUB)).expect("json")
    };
    let mut tenants = arm_body("arm/2022-12-01-GetTenants.json");
    tenants.as_object_mut().expect("object").remove("nextLink");
    stand.json("/tenants", 200, &tenants);
    let mut subs = arm_body("arm/2022-12-01-GetSubscriptions.json");
    subs["value"][0]["subscriptionId"] = serde_json::Value::String(SUB.into());
    subs["value"] = serde_json::Value::Array(vec![subs["value"][0].clone()]);
    subs.as_object_mut().expect("object").remove("nextLink");
    stand.json("/subscriptions", 200, &subs);
    let mut accounts = adapt(&arm_body("arm/2023-05-01-StorageAccountList.json"));
    accounts.as_object_mut().expect("object").remove("nextLink");
    stand.json(
        &format!("/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts"),
        200,
        &accounts,
    );
    let mut servers = arm_body("arm/2024-08-01-ServerList.json");
    servers.as_object_mut().expect("object").remove("nextLink");
    stand.json(
        &format!("/subscriptions/{SUB}/providers/Microsoft.DBforPostgreSQL/flexibleServers"),
        200,
        &servers,
    );
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);
    println!(
        "\none picker end to end: Effect::Fetch → Msg::Listed, fake az + stand-in, median [min … max]"
    );
    for kind in [
        ListKind::Tenant,
        ListKind::StorageAccount,
        ListKind::PostgresServer,
    ] {
        let (mut first, mut next) = (Vec::new(), Vec::new());
        for _ in 0..10 * scale {
            // A fresh session each round, as a fresh wizard run has: the same lister as the
            // driver's (`pick::azure`), with the fake `az` named instead of found on PATH.
            let program = fake.path();
            let lrt = Arc::new(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .expect("runtime"),
            );
            let cell: Arc<tokio::sync::OnceCell<Session>> = Arc::new(tokio::sync::OnceCell::new());
            let lister: Lister = Arc::new(move |k: &ListKind| {
                lrt.block_on(async {
                    let s = cell
                        .get_or_try_init(|| async {
                            let timeout = Duration::from_secs(20);
                            let az = Az::new(Some(program.clone()), timeout, None)
                                .map_err(|e| azure::ListError::Failed(e.to_string()))?;
                            Session::start(az, timeout).await
                        })
                        .await?;
                    azure::list(s, k).await
                })
            });
            let (tx, inbox) = channel();
            for out in [&mut first, &mut next] {
                let t = Instant::now();
                assert!(spawn_fetch(&lister, kind.clone(), &tx).is_none());
                match inbox.recv().expect("an answer") {
                    Msg::Listed(_, Ok(rows)) => assert!(!rows.is_empty()),
                    other => panic!("{other:?}"),
                }
                out.push(t.elapsed());
            }
        }
        println!(
            "  {:<16} first {}   next {}",
            format!("{kind:?}"),
            Samples(first).ms(),
            Samples(next).ms()
        );
    }
}

fn main() {
    let scale = timing::iters(1);
    let delay = std::env::var("BENCH_LIST_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(3), Duration::from_millis);
    println!(
        "load average now: {}\n",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    bench_frames_while_loading(delay);
    bench_picker_frames(scale);
    bench_stand_in(scale);
}
