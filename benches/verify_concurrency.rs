//! Benchmark for issue 4 ("the total stays close to the slowest check") against the target of
//! issue 5 (`verify` with every server answering after 300 ms: total ≤ 1.2 × the slowest
//! single check). Not a timed test: it prints numbers and a verdict and never fails a build.
//!
//! Every stand-in is in-process on 127.0.0.1 and answers each request after `DELAY`: Entra
//! (v2 + v1 discovery, JWKS, token endpoint, real RS256 tokens from a FAKE key), Lakekeeper
//! (health, info, warehouse list), Azure Storage (blob + dfs) and a PostgreSQL listener that
//! refuses the password (so `postgres` fails by design; only its wall time matters here).
//!
//! Measured: each check alone (`cfg.only = {name}`; a check's inputs, e.g. discovery and the
//! token for token-claims, still run silently, so "alone" includes its dependencies), then all
//! checks together. `BENCH_ITERS` (default 5) sets the iterations; median [min … max] shown.
//!
//! Run: `cargo bench --bench verify_concurrency`.

#[path = "support/delayed.rs"]
mod delayed;
#[path = "support/stand_ins.rs"]
mod stand_ins;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lakekeeper_setup::verify::{self, CheckName, VerifyConfig, VerifyReport};

use delayed::{Delayed, PgRefuser};
use stand_ins::Signer;
use support::verify_env::config;

/// The injected per-request delay of issue 5.
const DELAY: Duration = Duration::from_millis(300);
/// Issue 5's target: total ≤ 1.2 × the slowest single check.
const TARGET: f64 = 1.2;

/// The stand-ins, kept alive for the whole bench.
struct World {
    _servers: (Delayed, Delayed, Delayed, PgRefuser),
    cfg: VerifyConfig,
}

async fn world() -> World {
    let signer = Arc::new(Signer::new());
    let entra = Delayed::start(DELAY, stand_ins::entra(signer)).await;
    let lakekeeper = Delayed::start(DELAY, stand_ins::lakekeeper()).await;
    let storage = Delayed::start(DELAY, stand_ins::storage()).await;
    let pg = PgRefuser::start(DELAY).await;

    let mut cfg = config(&entra.base, &lakekeeper.base);
    cfg.blob_endpoint = format!("{}/blob", storage.base);
    cfg.dfs_endpoint = format!("{}/dfs", storage.base);
    // Well above the longest chain (~7 delays) so no check is cut short.
    cfg.timeout = Duration::from_secs(10);
    for (k, v) in [
        ("LAKEKEEPER__PG_HOST_W", "127.0.0.1".to_owned()),
        ("LAKEKEEPER__PG_PORT", pg.port.to_string()),
        ("LAKEKEEPER__PG_DATABASE", "lakekeeper".to_owned()),
        ("LAKEKEEPER__PG_USER", "lakekeeper".to_owned()),
        (
            "LAKEKEEPER__PG_PASSWORD",
            "fake-pg-password-123456".to_owned(),
        ),
        ("LAKEKEEPER__PG_SSL_MODE", "disable".to_owned()),
    ] {
        cfg.env.insert(k.to_owned(), v);
    }
    World {
        _servers: (entra, lakekeeper, storage, pg),
        cfg,
    }
}

fn only(cfg: &VerifyConfig, name: Option<CheckName>) -> VerifyConfig {
    let mut cfg = cfg.clone();
    cfg.only = name.map(|n| [n.as_str().to_owned()].into_iter().collect());
    cfg
}

/// Wall times of `iters` runs, and the last report.
async fn measure(cfg: &VerifyConfig, iters: usize) -> (Vec<Duration>, VerifyReport) {
    let mut times = Vec::with_capacity(iters);
    let mut last = None;
    for _ in 0..iters {
        let start = Instant::now();
        let report = verify::run(cfg, None).await;
        times.push(start.elapsed());
        last = Some(report);
    }
    (times, last.expect("at least one iteration"))
}

fn median(times: &[Duration]) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    t[t.len() / 2]
}

fn stats(times: &[Duration]) -> String {
    let min = times.iter().min().copied().unwrap_or_default();
    let max = times.iter().max().copied().unwrap_or_default();
    format!(
        "{:.3} s [{:.3} … {:.3}]",
        median(times).as_secs_f64(),
        min.as_secs_f64(),
        max.as_secs_f64()
    )
}

/// Round trips: a duration in units of the injected delay.
fn trips(d: Duration) -> f64 {
    d.as_secs_f64() / DELAY.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let iters: usize = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(5);
    let w = world().await;
    println!(
        "verify_concurrency: every stand-in answers each request after {} ms; {iters} iterations, median [min … max]",
        DELAY.as_millis()
    );

    // Warm-up (TLS provider, first connections) and a look at what the checks concluded.
    let (_, warm) = measure(&only(&w.cfg, None), 1).await;
    println!(
        "\nresults of a full run (postgres fails by design: its stand-in refuses the password)"
    );
    for c in &warm.checks {
        println!("  {:<15} {:<8?} {}", c.name, c.status, c.summary);
    }

    println!(
        "\n{:<15} {:<28} {:>6}   {:<28}",
        "check", "alone (+ its inputs)", "trips", "finished at, in the full run"
    );
    let mut alone: BTreeMap<CheckName, Vec<Duration>> = BTreeMap::new();
    for name in CheckName::ALL {
        let (times, _) = measure(&only(&w.cfg, Some(name)), iters).await;
        alone.insert(name, times);
    }
    let (all_times, _) = measure(&only(&w.cfg, None), iters).await;
    // Finish times inside the full runs (duration_ms is stamped from the run's start).
    let mut finished: BTreeMap<CheckName, Vec<Duration>> = BTreeMap::new();
    for _ in 0..iters {
        let report = verify::run(&w.cfg, None).await;
        for c in report.checks {
            if let Some(n) = CheckName::parse(&c.name) {
                finished
                    .entry(n)
                    .or_default()
                    .push(Duration::from_millis(c.duration_ms));
            }
        }
    }
    for (name, times) in &alone {
        let fin = finished
            .get(name)
            .map_or_else(|| "-".to_owned(), |t| stats(t));
        println!(
            "{:<15} {:<28} {:>6.1}   {fin}",
            name.as_str(),
            stats(times),
            trips(median(times))
        );
    }
    let (slowest_name, slowest) = alone
        .iter()
        .map(|(n, t)| (*n, median(t)))
        .max_by_key(|(_, d)| *d)
        .expect("seven checks");
    let total = median(&all_times);
    let ratio = total.as_secs_f64() / slowest.as_secs_f64();
    let sum: Duration = alone.values().map(|t| median(t)).sum();
    println!(
        "{:<15} {:<28} {:>6.1}",
        "ALL together",
        stats(&all_times),
        trips(total)
    );
    println!(
        "\nslowest single check: {} {:.3} s; all together {:.3} s; sum of the singles {:.3} s",
        slowest_name.as_str(),
        slowest.as_secs_f64(),
        total.as_secs_f64(),
        sum.as_secs_f64()
    );
    println!(
        "total / slowest = {ratio:.3}  (target ≤ {TARGET}: {})",
        if ratio <= TARGET { "MET" } else { "MISSED" }
    );
}
