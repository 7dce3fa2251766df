//! How many cases a property test runs: the test's bounded default, or `PROPTEST_CASES` for a
//! long run by hand.

use proptest::test_runner::Config;

/// `default` cases unless `PROPTEST_CASES` says otherwise.
pub fn proptest_config(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        ..Config::default()
    }
}
