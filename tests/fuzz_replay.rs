//! The fuzz targets' checks (`fuzz/checks/*.rs`, the same code `cargo fuzz` runs) replayed on
//! stable over every seed in `fuzz/seeds/<target>/` and every input a past fuzz run failed on
//! (`fuzz/regressions/<target>/`, minimised): the bounded smoke run of the fuzzing that fits in
//! CI. The long runs are `cargo +nightly fuzz run <target>` (see the README).

#[allow(dead_code)]
#[path = "../fuzz/checks/abfss.rs"]
mod abfss;
#[allow(dead_code)]
#[path = "../fuzz/checks/envfile_edit.rs"]
mod envfile_edit;
#[allow(dead_code)]
#[path = "../fuzz/checks/envfile_parse.rs"]
mod envfile_parse;
#[allow(dead_code)]
#[path = "../fuzz/checks/provider_uri.rs"]
mod provider_uri;
#[allow(dead_code)]
#[path = "../fuzz/checks/validators.rs"]
mod validators;

use std::path::Path;

/// Runs `check` on every file under `fuzz/<dir>/<target>/`; returns how many there were.
fn replay(dir: &str, target: &str, check: fn(&[u8])) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(dir)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&path) else {
        return 0;
    };
    let mut count = 0;
    for entry in entries {
        let file = entry.expect("directory entry").path();
        let data = std::fs::read(&file).expect("readable input");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its check", file.display());
        count += 1;
    }
    count
}

fn replay_target(target: &str, check: fn(&[u8]), past_failures: bool) {
    let seeds = replay("seeds", target, check);
    assert!(seeds >= 3, "{target}: only {seeds} seeds");
    let regressions = replay("regressions", target, check);
    assert_eq!(
        regressions > 0,
        past_failures,
        "{target}: {regressions} regressions"
    );
}

#[test]
fn abfss_seeds_and_past_failures_pass() {
    replay_target("abfss", abfss::run, true);
}

#[test]
fn envfile_edit_seeds_and_past_failures_pass() {
    replay_target("envfile_edit", envfile_edit::run, true);
}

#[test]
fn envfile_parse_seeds_pass() {
    replay_target("envfile_parse", envfile_parse::run, false);
}

#[test]
fn provider_uri_seeds_and_past_failures_pass() {
    replay_target("provider_uri", provider_uri::run, true);
}

#[test]
fn validators_seeds_and_past_failures_pass() {
    replay_target("validators", validators::run, true);
}

/// The replay can fail: an input that breaks a check's property is reported.
#[test]
fn a_failing_input_is_reported() {
    let outcome = std::panic::catch_unwind(|| {
        replay_target("abfss", |_| panic!("fake failure"), true);
    });
    assert!(outcome.is_err());
}
