//! Crash safety and concurrency of `apply`, on the real binary: SIGKILL at random points while
//! it writes a large `.env`, two runs at once on one project. Write failures (full disk,
//! file-size limit, immutable or read-only directory) are in `write_failures.rs`.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::project::{FAKE_SECRET, PROFILE, Project};

const KEY: &str = "fake-encryption-key-0123456789abcdefghijKLMN";
const TEMP_PREFIX: &str = ".lakekeeper-setup.";

/// The fixture with the team profile and `extra` user lines appended to its `.env`.
fn project(extra: usize) -> Project {
    let p = Project::fixture();
    p.write("lakekeeper-setup.toml", PROFILE);
    let mut env = p.read("backend/.env");
    for i in 0..extra {
        let _ = writeln!(env, "USER_SETTING_{i}=value-{i}-kept-byte-for-byte");
    }
    p.write("backend/.env", &env);
    p
}

fn apply_cmd(p: &Project, client_secret: &str) -> Command {
    let mut c = p.cmd();
    c.arg("apply")
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", client_secret)
        .env("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY)
        .stdin(Stdio::null());
    c
}

/// The `.env` and override a complete run produces from `p`'s current files, and how long it took.
fn reference(p: &Project, client_secret: &str) -> (Vec<u8>, Vec<u8>, Duration) {
    let start = Instant::now();
    let out = apply_cmd(p, client_secret).output().expect("run apply");
    let took = start.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = std::fs::read(p.path("backend/.env")).expect("new .env");
    let over = std::fs::read(p.path("backend/docker-compose.override.yml")).expect("override");
    (env, over, took)
}

/// Names in `backend/` and its backup directory (as `.lakekeeper-setup-backups/<name>`), sorted.
fn listing(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = p
        .backend_files("")
        .into_iter()
        .filter(|n| n != BACKUPS)
        .collect();
    if let Ok(rd) = std::fs::read_dir(p.path(&format!("backend/{BACKUPS}"))) {
        names.extend(rd.filter_map(|e| {
            let n = e.ok()?.file_name().to_string_lossy().into_owned();
            (n != ".gitignore").then(|| format!("{BACKUPS}/{n}"))
        }));
    }
    names.sort();
    names
}

const BACKUPS: &str = ".lakekeeper-setup-backups";

/// A backup of `.env` in the listing.
fn is_env_backup(name: &str) -> bool {
    name.strip_prefix(BACKUPS)
        .is_some_and(|r| r.starts_with("/.env.2"))
}

fn is_temp(name: &str) -> bool {
    let name = name.rsplit('/').next().unwrap_or(name);
    name.starts_with(TEMP_PREFIX) && name.rsplit('.').next() == Some("tmp")
}

/// Puts `backend/` back to the old state, keeping leftover temp files (they must not pile up).
fn reset(p: &Project, old: &[u8]) {
    for name in listing(p) {
        if is_env_backup(&name) || name == "docker-compose.override.yml" {
            std::fs::remove_file(p.path(&format!("backend/{name}"))).expect("rm");
        }
    }
    std::fs::write(p.path("backend/.env"), old).expect("restore");
}

/// A small deterministic generator (xorshift), seeded from the clock and printed on failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `name` from the environment, else `default`: the default run stays a few seconds; a long one
/// is `LK_CRASH_LINES=20000 LK_CRASH_ITERATIONS=400 cargo nextest run --test crash_safety`.
fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn sigkill_at_any_point_leaves_the_old_or_the_new_file_and_a_backup_when_replaced() {
    let p = project(knob("LK_CRASH_LINES", 3_000));
    let old = std::fs::read(p.path("backend/.env")).expect("old");
    let (new_env, new_over, _) = reference(&p, FAKE_SECRET);
    // Median of three complete runs: the delays below are spread over this.
    let mut runs: Vec<Duration> = (0..3)
        .map(|_| {
            reset(&p, &old);
            reference(&p, FAKE_SECRET).2
        })
        .collect();
    runs.sort();
    let run = runs[1];
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() ^ (u64::from(d.subsec_nanos()) << 20))
        | 1;
    let mut rng = Rng(seed);
    let (mut saw_old, mut saw_new, mut max_temps) = (0, 0, 0);
    for i in 0..knob("LK_CRASH_ITERATIONS", 40) {
        reset(&p, &old);
        // Uniform over 0.3..1.2× the run: every phase (planning, backup, temp write, rename,
        // override) gets hit on some iterations, the late ones (the writes) more often.
        let permille = u32::try_from(300 + rng.next() % 900).expect("below 1200");
        let delay = run * permille / 1000;
        let mut child = apply_cmd(&p, FAKE_SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().expect("wait");
        let ctx = format!("seed {seed}, iteration {i}, delay {delay:?} of {run:?}, {status}");

        let env = std::fs::read(p.path("backend/.env")).expect(".env is always there");
        let names = listing(&p);
        let backups: Vec<&String> = names.iter().filter(|n| is_env_backup(n)).collect();
        for b in &backups {
            let bytes = std::fs::read(p.path(&format!("backend/{b}"))).expect("backup");
            assert!(
                bytes == old,
                "{ctx}: backup {b} is not the complete old file"
            );
        }
        if env == new_env {
            saw_new += 1;
            assert!(!backups.is_empty(), "{ctx}: replaced without a backup");
        } else {
            assert!(
                env == old,
                "{ctx}: .env is neither the old nor the new file"
            );
            saw_old += 1;
            assert!(
                status.code().is_none(),
                "{ctx}: a finished run changed nothing"
            );
        }
        if let Ok(over) = std::fs::read(p.path("backend/docker-compose.override.yml")) {
            assert!(over == new_over, "{ctx}: a partial override");
        }
        for n in &names {
            assert!(
                n == ".env"
                    || n == ".lakekeeper-setup.lock"
                    || is_env_backup(n)
                    || is_temp(n)
                    || n.starts_with("docker-compose.")
                    || n.starts_with(&format!("{BACKUPS}/docker-compose.")),
                "{ctx}: unexpected file {n} in {names:?}"
            );
        }
        let temps = names.iter().filter(|n| is_temp(n)).count();
        max_temps = max_temps.max(temps);
        // A killed run leaves at most the temp file it was writing; the next run that gets the
        // lock removes it, so they never pile up.
        assert!(temps <= 2, "{ctx}: temp files pile up: {names:?}");
    }
    eprintln!(
        "sigkill: {saw_old} old, {saw_new} new, at most {max_temps} leftover temp files; run {run:?}, seed {seed}"
    );
    // A complete run after all that tidies up every leftover temp file.
    reset(&p, &old);
    std::thread::sleep(Duration::from_millis(20));
    reference(&p, FAKE_SECRET);
    let left: Vec<String> = listing(&p).into_iter().filter(|n| is_temp(n)).collect();
    assert_eq!(left, Vec::<String>::new());
}

fn parse(bytes: &[u8]) -> BTreeMap<String, String> {
    dotenvy::from_read_iter(bytes)
        .map(|r| r.expect("every line parses"))
        .collect()
}

#[test]
fn two_applies_at_once_never_interleave() {
    let p = project(2_000);
    let old = std::fs::read(p.path("backend/.env")).expect("old");
    let (a, b) = (
        "fake-secret-run-A-0123456789",
        "fake-secret-run-B-0123456789",
    );
    let (env_a, _, _) = reference(&p, a);
    reset(&p, &old);
    let (env_b, _, _) = reference(&p, b);
    // B on top of A (B planned after A wrote) gives the same file as B alone.
    let outcomes = [env_a.clone(), env_b.clone()];
    let (mut ok, mut refused) = (0, 0);
    for round in 0..12 {
        reset(&p, &old);
        let children: Vec<_> = [a, b, a, b]
            .iter()
            .map(|s| {
                apply_cmd(&p, s)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().expect("wait");
            let err = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => ok += 1,
                Some(2) => {
                    assert!(
                        err.contains("another lakekeeper-setup is writing here")
                            || err.contains("changed while the plan was being made"),
                        "round {round}: unexpected refusal: {err}"
                    );
                    assert!(!err.contains("fake-secret-run"), "{err}");
                    refused += 1;
                }
                other => panic!("round {round}: exit {other:?}: {err}"),
            }
        }
        let env = std::fs::read(p.path("backend/.env")).expect(".env");
        assert!(
            outcomes.contains(&env),
            "round {round}: the file is not one run's complete output"
        );
        let m = parse(&env);
        assert_eq!(m["LAKEKEEPER__PG_ENCRYPTION_KEY"], KEY);
        assert!(m.contains_key("USER_SETTING_1999"));
        for name in listing(&p) {
            if is_env_backup(&name) {
                let bytes = std::fs::read(p.path(&format!("backend/{name}"))).expect("backup");
                assert!(
                    bytes == old || outcomes.contains(&bytes),
                    "round {round}: backup {name} is not a complete earlier version"
                );
            }
            assert!(!is_temp(&name), "round {round}: temp file left: {name}");
        }
    }
    eprintln!("concurrent: {ok} succeeded, {refused} refused");
    assert!(ok >= 12, "at least one run per round succeeds");
}

#[test]
fn the_big_fixture_has_what_the_tests_expect() {
    // Guards the tests above against a fixture change that would make them vacuous.
    let p = project(10);
    let text = p.read("backend/.env");
    assert!(text.contains("USER_SETTING_9=value-9-kept-byte-for-byte\n"));
    assert!(Path::new(&p.path("backend/docker-compose.yml")).exists());
}
