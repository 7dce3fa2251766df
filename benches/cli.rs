//! Whole-process benchmark: `lakekeeper-setup check` and `apply --dry-run` on a realistic
//! project, side by side with what the old shell scripts did to read the same file
//! (`bash -c 'set -a; . backend/.env'`), plus the release binary's size and the peak RSS of
//! `check`. Target (issue 12): both within 3× of bash, the `git` child they start included.
//! Not a timed test: it prints numbers and verdicts and never fails a build.
//!
//! The project: a copy of `tests/fixtures/team-project` in a git repository whose
//! `.gitignore` lists `backend/.env` (the state the tool asks for), with the team profile, after
//! one `apply --generate-key` (so `.env` holds the user's keys plus the managed block, and the
//! override exists), topped up with user keys to exactly 60 lines.
//!
//! The runs are interleaved (one of each command per round) so that machine noise hits all of
//! them alike. Also measured, to show where the time goes: `--version` (process start-up, the
//! floor), `check` on the same project outside any git repository (no `git` child), and one
//! `git check-ignore` (the cost of the child `check` and `apply` start).
//!
//! Run: `cargo bench --bench cli` (`BENCH_ITERS`, default 50 rounds). `cargo bench` builds the
//! binary with the release profile, so `CARGO_BIN_EXE_lakekeeper-setup` is the release binary.
//! Peak RSS needs `/usr/bin/time` (GNU time); without it that line says so.

// Measurement code: float conversions of counts and durations, and string building for
// generated fixtures, are what it is for.
#![allow(
    clippy::cast_precision_loss,
    clippy::format_push_string,
    clippy::unchecked_time_subtraction,
    clippy::needless_pass_by_value
)]

#[allow(dead_code)]
#[path = "../tests/support/project.rs"]
mod project;
#[allow(dead_code)]
#[path = "support/timing.rs"]
mod timing;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use project::{FAKE_SECRET, PROFILE, Project};
use timing::{Samples, ms, verdict};

/// The binary `cargo bench` built, or `BENCH_BIN` (to compare another build side by side).
fn bin() -> String {
    std::env::var("BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_lakekeeper-setup").to_owned())
}

/// CPU time (user + system) of all reaped children so far, from `/proc/self/stat`: wall time
/// on a shared machine measures the load, CPU time what the process itself costs.
fn children_cpu() -> std::time::Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // Fields 16 and 17 (cutime, cstime); `rest` starts at field 3, the state, which is no number.
    let ticks = f.get(12).copied().unwrap_or(0) + f.get(13).copied().unwrap_or(0);
    std::time::Duration::from_millis(ticks * 1000 / clock_ticks())
}

/// The binary on project `p`, environment as the tests set it (only PATH and HOME).
fn tool(p: &Project) -> Command {
    let mut c = Command::new(bin());
    c.env_clear();
    for var in ["PATH", "HOME"] {
        if let Some(v) = std::env::var_os(var) {
            c.env(var, v);
        }
    }
    c.env("NO_COLOR", "1").arg("--root").arg(p.root());
    c
}

fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .filter(|t| *t > 0)
        .unwrap_or(100)
}
/// Issue 12's target (the ratio to bash); issue 5's aims for size and memory.
const TARGET_RATIO: f64 = 3.0;
const TARGET_SIZE_MB: f64 = 12.0;
const TARGET_RSS_MB: f64 = 20.0;
const ENV_LINES: usize = 60;

fn run(c: &mut Command) -> Output {
    c.stdin(Stdio::null()).output().expect("run child")
}

fn git(dir: &Path, args: &[&str]) {
    let out = run(Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.invalid",
        ])
        .args(args));
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The realistic project described in the module doc; `in_git` adds the repository.
fn project(in_git: bool) -> Project {
    let p = Project::fixture();
    p.write("lakekeeper-setup.toml", PROFILE);
    if in_git {
        p.write(".gitignore", "backend/.env\nbackend/.env.bak.*\n");
        git(p.root(), &["init", "-q"]);
        git(p.root(), &["add", "-A"]);
        git(p.root(), &["commit", "-qm", "team project"]);
    }
    let out = run(p
        .cmd()
        .args(["apply", "--generate-key", "--yes"])
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET));
    assert!(
        out.status.success(),
        "apply: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut env = p.read("backend/.env");
    let have = env.lines().count();
    assert!(
        have < ENV_LINES,
        "the applied .env already has {have} lines"
    );
    env.push_str("\n# --- team additions ---\n");
    for i in 0..ENV_LINES - have - 2 {
        match i % 3 {
            0 => env.push_str(&format!("FEATURE_FLAG_{i}=true\n")),
            1 => env.push_str(&format!(
                "SERVICE_URL_{i}=https://svc-{i}.internal.example:8443/api\n"
            )),
            _ => env.push_str(&format!("DISPLAY_NAME_{i}='Team service {i} (dev)'\n")),
        }
    }
    p.write("backend/.env", &env);
    assert_eq!(p.read("backend/.env").lines().count(), ENV_LINES);
    p
}

struct Case {
    name: &'static str,
    cmd: Box<dyn Fn() -> Command>,
    samples: Vec<std::time::Duration>,
    cpu: std::time::Duration,
}

fn case(name: &'static str, cmd: impl Fn() -> Command + 'static) -> Case {
    Case {
        name,
        cmd: Box::new(cmd),
        samples: Vec::new(),
        cpu: std::time::Duration::ZERO,
    }
}

fn bash_source(root: &Path) -> Command {
    let mut c = Command::new("bash");
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    c.current_dir(root).args(["-c", "set -a; . backend/.env"]);
    c
}

/// Peak RSS in KiB of `c` under GNU time, or None without it.
fn peak_rss_kib(c: Command) -> Option<u64> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let prog = c.get_program().to_owned();
    let args: Vec<_> = c.get_args().map(ToOwned::to_owned).collect();
    let mut t = Command::new("/usr/bin/time");
    t.arg("-f").arg("RSS_KIB=%M").arg(prog).args(args);
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    if let Some(d) = c.get_current_dir() {
        t.current_dir(d);
    }
    let out = run(&mut t);
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .rev()
        .find_map(|l| l.strip_prefix("RSS_KIB=")?.trim().parse().ok())
}

#[allow(clippy::many_single_char_names)] // p, t, … are the project and timers of one short loop
fn main() {
    let rounds = timing::iters(50);
    let p = std::rc::Rc::new(project(true));
    let plain = std::rc::Rc::new(project(false));

    for (what, out) in [
        ("check", run(tool(&p).arg("check"))),
        (
            "apply --dry-run",
            run(tool(&p).args(["apply", "--dry-run"])),
        ),
        ("bash", run(&mut bash_source(p.root()))),
    ] {
        println!(
            "{what}: exit {:?}, {} stdout lines",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).lines().count()
        );
        assert_ne!(
            out.status.code(),
            Some(2),
            "{what} could not run: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let (a, b, c, d) = (p.clone(), p.clone(), p.clone(), plain.clone());
    let backend = p.path("backend");
    let mut cases = vec![
        case("bash -c 'set -a; . backend/.env'", move || {
            bash_source(a.root())
        }),
        case("lakekeeper-setup check", move || {
            let mut x = tool(&b);
            x.arg("check");
            x
        }),
        case("lakekeeper-setup apply --dry-run", move || {
            let mut x = tool(&c);
            x.args(["apply", "--dry-run"]);
            x
        }),
        case("lakekeeper-setup --version", || {
            let mut x = Command::new(bin());
            x.arg("--version");
            x
        }),
        case("check, project not in git", move || {
            let mut x = tool(&d);
            x.arg("check");
            x
        }),
        case("one git child (check-ignore .env)", move || {
            let mut x = Command::new("git");
            x.arg("-C")
                .arg(&backend)
                .args(["check-ignore", "-q", ".env"]);
            x
        }),
    ];
    for _ in 0..3 {
        for c in &cases {
            run(&mut (c.cmd)());
        }
    }
    for _ in 0..rounds {
        for c in &mut cases {
            let mut cmd = (c.cmd)();
            let cpu = children_cpu();
            let start = std::time::Instant::now();
            let out = run(&mut cmd);
            c.samples.push(start.elapsed());
            c.cpu += children_cpu() - cpu;
            assert_ne!(out.status.code(), Some(2), "{}", c.name);
        }
    }

    println!(
        "\nwhole process, {ENV_LINES}-line .env, {rounds} interleaved rounds, median [min … max]"
    );
    let bash = Samples(cases[0].samples.clone()).median();
    let bash_cpu = ms(cases[0].cpu) / rounds as f64;
    println!(
        "  (load average now: {})",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    for c in &cases {
        let s = Samples(c.samples.clone());
        let cpu = ms(c.cpu) / rounds as f64;
        println!(
            "  {:<36} {:<30} {:>5.2}× bash   CPU {cpu:>6.2} ms/run {:>5.2}× bash",
            c.name,
            s.ms(),
            ms(s.median()) / ms(bash),
            cpu / bash_cpu
        );
    }
    for c in &cases[1..3] {
        let m = ms(Samples(c.samples.clone()).median());
        let ratio = m / ms(bash);
        println!(
            "{}: median {m:.3} ms, {ratio:.2}× bash (target ≤ {TARGET_RATIO}×: {})",
            c.name,
            verdict(ratio <= TARGET_RATIO)
        );
    }

    let bin = bin();
    let size = std::fs::metadata(&bin).expect("binary").len() as f64 / 1_048_576.0;
    println!(
        "\nrelease binary {bin}: {size:.2} MiB (aim ≤ {TARGET_SIZE_MB}: {})",
        verdict(size <= TARGET_SIZE_MB)
    );
    let rss: Vec<u64> = (0..10)
        .filter_map(|_| peak_rss_kib(cases[1].cmd.as_ref()()))
        .collect();
    let bash_rss: Vec<u64> = (0..10)
        .filter_map(|_| peak_rss_kib(bash_source(p.root())))
        .collect();
    match (rss.iter().max(), bash_rss.iter().max()) {
        (Some(r), Some(b)) => {
            let mb = *r as f64 / 1024.0;
            println!(
                "peak RSS of check: {mb:.2} MiB, max of 10 (aim ≤ {TARGET_RSS_MB}: {}); bash: {:.2} MiB",
                verdict(mb <= TARGET_RSS_MB),
                *b as f64 / 1024.0
            );
        }
        _ => println!("peak RSS: /usr/bin/time (GNU time) not found; not measured"),
    }
}
