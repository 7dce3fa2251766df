//! Timing helpers shared by the hand-written benches: run a closure, keep every sample, report
//! the median with min and max. No statistics beyond that: the targets are medians.
//!
//! In-process samples are wall time; with `BENCH_CLOCK=cpu` the thread's on-CPU time from
//! `/proc/thread-self/schedstat` instead (on a loaded machine wall time measures the other
//! processes; but many kernels update schedstat only at scheduler ticks, so use it only for
//! jobs of many milliseconds, e.g. the 5,000- and 50,000-line edits).

use std::time::{Duration, Instant};

/// Every sample of one measurement.
pub struct Samples(pub Vec<Duration>);

impl Samples {
    pub fn median(&self) -> Duration {
        let mut t = self.0.clone();
        t.sort();
        t.get(t.len() / 2).copied().unwrap_or_default()
    }

    pub fn min(&self) -> Duration {
        self.0.iter().min().copied().unwrap_or_default()
    }

    pub fn max(&self) -> Duration {
        self.0.iter().max().copied().unwrap_or_default()
    }

    /// `median [min … max]` in milliseconds.
    pub fn ms(&self) -> String {
        format!(
            "{:.3} ms [{:.3} … {:.3}]",
            ms(self.median()),
            ms(self.min()),
            ms(self.max())
        )
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A clock: this thread's on-CPU time if the kernel reports it, else wall time since `origin`.
#[derive(Clone, Copy)]
pub struct Clock {
    origin: Instant,
    cpu: bool,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            origin: Instant::now(),
            cpu: std::env::var("BENCH_CLOCK").is_ok_and(|v| v == "cpu") && thread_cpu().is_some(),
        }
    }

    pub fn now(self) -> Duration {
        if self.cpu {
            thread_cpu().unwrap_or_default()
        } else {
            self.origin.elapsed()
        }
    }

    pub fn what(self) -> &'static str {
        if self.cpu { "on-CPU time" } else { "wall time" }
    }
}

fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

/// `iters` timed calls of `f` after `warmup` untimed ones.
pub fn time<T>(warmup: usize, iters: usize, mut f: impl FnMut() -> T) -> Samples {
    let clock = Clock::new();
    for _ in 0..warmup {
        std::hint::black_box(f());
    }
    Samples(
        (0..iters)
            .map(|_| {
                let start = clock.now();
                std::hint::black_box(f());
                clock.now().saturating_sub(start)
            })
            .collect(),
    )
}

/// `BENCH_ITERS` if set to a positive number, else `default`.
pub fn iters(default: usize) -> usize {
    std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

pub fn verdict(met: bool) -> &'static str {
    if met { "MET" } else { "MISSED" }
}
