//! Values written by `envfile` read back exactly with the three real readers: dotenvy,
//! python-dotenv and Docker Compose (`${VAR}` interpolation and `env_file:`), on a copy of
//! the team's real `backend/.env`, whose untouched lines must stay byte-identical.

mod support;

use lakekeeper_setup::envfile::{EnvFile, MANAGED_HEADER, QuoteError, verify_round_trip};
use support::readers;
use support::tools::{require_python_module, require_tool};

/// (what the case proves, value). Each is written to a new key and must read back exactly.
const WRITTEN: &[(&str, &str)] = &[
    ("DOLLAR", "fake-$ecret"),
    ("DOLLAR_NAME", "$HOME"),
    ("DOLLAR_DOLLAR", "a$$b"),
    ("DOLLAR_BRACE_OPEN", "a${b"),
    ("HASH", "fake#1"),
    ("SPACE_HASH", "fake #1"),
    ("APOSTROPHE", "it's-fake"),
    ("APOSTROPHE_AND_DQUOTE", "it's \"fake\""),
    ("DQUOTE", "say \"fake\""),
    ("BACKSLASH", "fake\\secret"),
    ("BACKSLASH_N", "fake\\nsecret"),
    ("DOUBLE_BACKSLASH", "fake\\\\secret"),
    ("BACKSLASH_BEFORE_DQUOTE", "fake\\\"x"),
    ("EQUALS", "ZmFrZS1rZXk=="),
    ("SPACES_AT_BOTH_ENDS", "  fake secret  "),
    ("NON_ASCII", "fäke-sécret–✓"),
    ("EMPTY", ""),
    ("PLAIN", "api://fake-id,fake-id"),
    ("URL", "postgresql://u:p%40ss@host:5432/db?sslmode=require"),
];

/// (what the case proves, value, refusal).
fn refused() -> Vec<(&'static str, &'static str, QuoteError)> {
    vec![
        ("BRACED_NAME", "fake-${X}", QuoteError::Interpolation),
        (
            "APOSTROPHE_AND_DOLLAR",
            "it's $5",
            QuoteError::QuoteAndDollar,
        ),
        (
            "DOUBLE_BACKSLASH_AND_DOLLAR",
            "$fake\\\\x",
            QuoteError::DoubleBackslashAndDollar,
        ),
        (
            "TRAILING_BACKSLASH",
            "fake-secret\\",
            QuoteError::TrailingBackslash,
        ),
        (
            "NEWLINE",
            "fake\nsecret",
            QuoteError::ControlCharacter {
                code: "U+000A".to_owned(),
                position: 5,
            },
        ),
    ]
}

/// Existing fixture keys and the values set on them (each exercises a different quote form).
const EXISTING: &[(&str, &str, &str)] = &[
    (
        "SECRET_KEY",
        "fake-$ecret #2",
        "SECRET_KEY='fake-$ecret #2'",
    ),
    (
        "POSTGRES_PASSWORD",
        "fake'pass\\\"x",
        "POSTGRES_PASSWORD=\"fake'pass\\\\\\\"x\"",
    ),
    (
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "InstrumentationKey=fake;IngestionEndpoint=https://x/",
        "export APPLICATIONINSIGHTS_CONNECTION_STRING='InstrumentationKey=fake;IngestionEndpoint=https://x/'",
    ),
    (
        "LAKEKEEPER__OPENID_AUDIENCE",
        "api://fake,fake",
        "LAKEKEEPER__OPENID_AUDIENCE=api://fake,fake",
    ),
];

fn long_value() -> String {
    // 200 characters mixing every troublesome class that single quotes carry.
    "fake $x #y \"z\" =\\ ä".repeat(10)
}

fn managed() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = WRITTEN
        .iter()
        .map(|(name, value)| (format!("LK_TEST_{name}"), (*value).to_owned()))
        .collect();
    all.push(("LK_TEST_LONG_200".to_owned(), long_value()));
    all.push(("LK_TEST_LONG_200_PLAIN".to_owned(), "aB3-".repeat(50)));
    all.extend(
        EXISTING
            .iter()
            .map(|(k, v, _)| ((*k).to_owned(), (*v).to_owned())),
    );
    all
}

fn edited_fixture(crlf: bool) -> (String, String) {
    let mut original = std::fs::read_to_string(readers::fixture("team-project/backend/.env"))
        .expect("read fixture");
    if crlf {
        original = original.replace('\n', "\r\n");
    }
    let mut file = EnvFile::parse(&original).expect("fixture parses");
    for (key, value) in managed() {
        file.set(&key, &value)
            .unwrap_or_else(|e| panic!("{key} refused: {e}"));
    }
    for (name, value, expected) in refused() {
        assert_eq!(
            file.set(&format!("LK_TEST_{name}"), value),
            Err(expected),
            "{name}"
        );
    }
    (original, file.render())
}

fn check_all_readers(crlf: bool) {
    let have_compose = require_tool("docker-compose").is_some();
    let have_python = require_python_module("dotenv");
    let (original, rendered) = edited_fixture(crlf);
    let expected = managed();
    let pairs: Vec<(&str, &str)> = expected
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(verify_round_trip(&rendered, &pairs), Ok(()));

    let dir = tempfile::tempdir().expect("tempdir");
    let env_path = dir.path().join(".env");
    std::fs::write(&env_path, &rendered).expect("write .env");

    let dotenvy = readers::dotenvy(&env_path);
    let python = have_python.then(|| readers::python_dotenv(&env_path));
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
    let compose = have_compose.then(|| readers::compose(dir.path(), &keys));
    for (key, value) in &pairs {
        assert_eq!(
            dotenvy.get(*key).map(String::as_str),
            Some(*value),
            "dotenvy {key}"
        );
        if let Some(python) = &python {
            assert_eq!(
                python.get(*key),
                Some(&Some((*value).to_owned())),
                "python-dotenv {key}"
            );
        }
        if let Some((interpolated, env_file)) = &compose {
            assert_eq!(
                interpolated.get(*key).map(String::as_str),
                Some(*value),
                "compose ${{{key}}}"
            );
            assert_eq!(
                env_file.get(*key).map(String::as_str),
                Some(*value),
                "compose env_file {key}"
            );
        }
    }

    assert_untouched_lines_survive(&original, &rendered, crlf);
}

/// Fixture lines of keys we did not set are byte-identical and in place; set keys are replaced
/// on their own line; after the fixture come a blank line, the header and the new keys.
fn assert_untouched_lines_survive(original: &str, rendered: &str, crlf: bool) {
    let nl = if crlf { "\r\n" } else { "\n" };
    let old: Vec<&str> = original.split_inclusive('\n').collect();
    let new: Vec<&str> = rendered.split_inclusive('\n').collect();
    for (index, old_line) in old.iter().enumerate() {
        let bare = old_line.trim_start_matches("export ");
        match EXISTING
            .iter()
            .find(|(key, _, _)| bare.starts_with(&format!("{key}=")))
        {
            Some((_, _, line)) => {
                assert_eq!(new[index], format!("{line}{nl}"), "line {}", index + 1);
            }
            None => assert_eq!(new[index], *old_line, "line {} changed", index + 1),
        }
    }
    let header = format!("{MANAGED_HEADER}{nl}");
    assert_eq!(new[old.len()..old.len() + 2], [nl, header.as_str()]);
    let appended: Vec<&str> = new[old.len() + 2..]
        .iter()
        .map(|line| line.split('=').next().unwrap_or_default())
        .collect();
    let expected: Vec<String> = managed()
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| key.starts_with("LK_TEST_"))
        .collect();
    assert_eq!(appended, expected);
    assert!(
        new.iter().all(|line| line.ends_with(nl)),
        "a line lost the file's line ending"
    );
}

#[test]
fn adversarial_values_read_back_exactly_with_all_three_readers() {
    check_all_readers(false);
}

#[test]
fn adversarial_values_read_back_exactly_in_a_crlf_file() {
    check_all_readers(true);
}

#[test]
fn unedited_fixture_renders_byte_identical() {
    let original = std::fs::read_to_string(readers::fixture("team-project/backend/.env"))
        .expect("read fixture");
    let file = EnvFile::parse(&original).expect("fixture parses");
    assert_eq!(file.render(), original);
    assert_eq!(file.get("POSTGRES_PASSWORD"), Some("fake-pass#1"));
    assert_eq!(
        file.get("SECRET_KEY"),
        Some("dev-only-not-a-secret-$0mething")
    );
    let insights = file
        .entries()
        .find(|e| e.key == "APPLICATIONINSIGHTS_CONNECTION_STRING")
        .expect("fixture has the export line");
    assert!(insights.export);
    assert_eq!(insights.value, "");
}
