//! Chooses how a value is written so that dotenvy, python-dotenv and Docker Compose (both
//! `env_file:` and `${VAR}` interpolation) all read it back unchanged, or refuses it.
//!
//! The rules were found by writing each value class in each form and reading it back with
//! the three real readers (`tests/envfile_readers.rs` re-proves them):
//! - plain `[A-Za-z0-9_./:@,-]+` is read identically unquoted;
//! - single quotes are literal in all three for `$`, `#`, ` #`, `"`, `=`, spaces, non-ASCII
//!   and a lone `\`, but python-dotenv decodes `\\` to `\`;
//! - double quotes with `\` → `\\` and `"` → `\"` are read identically by all three, but
//!   Compose and dotenvy expand `$` there and python-dotenv has no `$` escape (`\$` and `$$`
//!   stay as typed);
//! - a value ending in `\` fits no form: `'a\'` is an unterminated quote to dotenvy and
//!   Compose, and python-dotenv reads both `'a\'` and `"a\\"` as an escaped closing quote and
//!   runs on to the next quote in the file, losing this entry and the next;
//! - python-dotenv expands `${NAME}` / `${NAME:-default}` even inside single quotes, and no
//!   escape exists, so such a value cannot be written at all;
//! - `\'` inside single quotes (Compose's documented escape) makes dotenvy fail.
//!
//! Never writes inline comments and never puts a value in an error message (it may be a
//! secret).

use super::Quote;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error(
        "the value contains a line break or control character ({code} at character \
         {position}); .env values must be a single line of printable characters: remove it"
    )]
    ControlCharacter { code: String, position: usize },
    #[error(
        "the value contains `${{…}}`, which python-dotenv (the backend's reader) expands even \
         inside quotes, and it has no escape for `$`; use a value without `${{`"
    )]
    Interpolation,
    #[error(
        "the value contains both `'` and `$`: single quotes cannot hold `'` for dotenvy, and \
         inside double quotes Compose and dotenvy expand `$` while python-dotenv has no escape \
         for it; use a value without `'` or without `$` (e.g. regenerate the secret)"
    )]
    QuoteAndDollar,
    #[error(
        "the value ends with `\\`, which no quoting carries: dotenvy and Compose read `'…\\'` as \
         unterminated and python-dotenv reads `\\'` or `\\\\\"` as an escaped quote and swallows \
         the next line; use a value that does not end with a backslash"
    )]
    TrailingBackslash,
    #[error(
        "the value contains both `\\\\` and `$`: in single quotes python-dotenv turns `\\\\` into \
         `\\`, and inside double quotes Compose and dotenvy expand `$`; use a value without `$` \
         or without the double backslash"
    )]
    DoubleBackslashAndDollar,
    #[error(
        "`{key}` is not a valid .env key: start with a letter or `_` and use only letters, \
         digits, `_` and `.`"
    )]
    InvalidKey { key: String },
}

/// The right-hand side to write after `KEY=` for `value` (see the module doc for the rules).
pub fn quote_value(value: &str) -> Result<String, QuoteError> {
    quoted(value).map(|(_, rhs)| rhs)
}

/// The quoting chosen for `value` and the rendered right-hand side.
pub(super) fn quoted(value: &str) -> Result<(Quote, String), QuoteError> {
    if let Some((position, c)) = value.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(QuoteError::ControlCharacter {
            code: format!("U+{:04X}", u32::from(c)),
            position: position + 1,
        });
    }
    if has_python_interpolation(value) {
        return Err(QuoteError::Interpolation);
    }
    if value.ends_with('\\') {
        return Err(QuoteError::TrailingBackslash);
    }
    if !value.is_empty() && value.bytes().all(is_plain) {
        return Ok((Quote::None, value.to_owned()));
    }
    let single_unsafe = value.contains('\'') || value.contains("\\\\");
    if !single_unsafe {
        return Ok((Quote::Single, format!("'{value}'")));
    }
    if value.contains('$') {
        return Err(if value.contains('\'') {
            QuoteError::QuoteAndDollar
        } else {
            QuoteError::DoubleBackslashAndDollar
        });
    }
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    Ok((Quote::Double, format!("\"{escaped}\"")))
}

/// Checks that `key` is one the three readers all accept.
pub(super) fn check_key(key: &str) -> Result<(), QuoteError> {
    let bytes = key.as_bytes();
    let valid = bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.');
    if valid {
        Ok(())
    } else {
        Err(QuoteError::InvalidKey {
            key: key.to_owned(),
        })
    }
}

fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_./:@,-".contains(&b)
}

/// Whether python-dotenv would expand part of the value: it matches `${…}` up to the next `}`
/// (conservatively: any `${` with a later `}`, including forms it would leave alone).
fn has_python_interpolation(value: &str) -> bool {
    value
        .find("${")
        .is_some_and(|start| value[start + 2..].contains('}'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// (case name — what it proves, value, expected right-hand side).
    const WRITTEN: &[(&str, &str, &str)] = &[
        (
            "plain_charset_stays_unquoted",
            "abc-1.2_x/y:z@w,v",
            "abc-1.2_x/y:z@w,v",
        ),
        (
            "url_with_port_is_plain",
            "https://h:8181/a",
            "https://h:8181/a",
        ),
        ("empty_is_single_quoted_not_bare", "", "''"),
        ("dollar_is_literal_in_single_quotes", "a$b", "'a$b'"),
        (
            "dollar_name_is_literal_in_single_quotes",
            "$HOME",
            "'$HOME'",
        ),
        ("double_dollar_is_kept_in_single_quotes", "a$$b", "'a$$b'"),
        ("dollar_brace_without_close_is_safe", "a${b", "'a${b'"),
        ("hash_needs_quotes", "a#b", "'a#b'"),
        ("space_hash_would_start_a_comment", "a #b", "'a #b'"),
        (
            "double_quote_is_literal_in_single",
            "say \"hi\"",
            "'say \"hi\"'",
        ),
        ("lone_backslash_is_literal_in_single", "a\\b", "'a\\b'"),
        ("backslash_n_is_not_a_newline_in_single", "a\\nb", "'a\\nb'"),
        (
            "equals_of_base64_padding_is_quoted",
            "ZmFrZQ==",
            "'ZmFrZQ=='",
        ),
        (
            "spaces_at_both_ends_survive_in_single",
            "  a b  ",
            "'  a b  '",
        ),
        ("non_ascii_is_quoted", "pässwörd–✓", "'pässwörd–✓'"),
        ("apostrophe_needs_double_quotes", "it's", "\"it's\""),
        (
            "apostrophe_and_double_quote_escape_the_double",
            "it's \"x\"",
            "\"it's \\\"x\\\"\"",
        ),
        (
            "double_backslash_needs_double_quotes",
            "a\\\\b",
            "\"a\\\\\\\\b\"",
        ),
        (
            "apostrophe_with_backslash_escapes_it",
            "it's\\x",
            "\"it's\\\\x\"",
        ),
    ];

    #[test]
    fn quote_value_writes_each_class_in_its_portable_form() {
        for (name, value, expected) in WRITTEN {
            assert_eq!(quote_value(value).as_deref(), Ok(*expected), "case {name}");
        }
    }

    /// (case name — what it proves, value, expected refusal).
    fn refused() -> Vec<(&'static str, &'static str, QuoteError)> {
        let control = |code: &str, position| QuoteError::ControlCharacter {
            code: code.to_owned(),
            position,
        };
        vec![
            ("newline_is_refused", "a\nb", control("U+000A", 2)),
            ("carriage_return_is_refused", "ab\r", control("U+000D", 3)),
            ("tab_is_refused", "\tab", control("U+0009", 1)),
            ("nul_is_refused", "a\0", control("U+0000", 2)),
            (
                "python_expands_braced_name_even_in_single",
                "a${X}b",
                QuoteError::Interpolation,
            ),
            (
                "python_expands_default_form",
                "${X:-d}",
                QuoteError::Interpolation,
            ),
            (
                "apostrophe_and_dollar_have_no_form",
                "it's $5",
                QuoteError::QuoteAndDollar,
            ),
            (
                "double_backslash_and_dollar_have_no_form",
                "a\\\\$",
                QuoteError::DoubleBackslashAndDollar,
            ),
            (
                "trailing_backslash_has_no_form",
                "ab\\",
                QuoteError::TrailingBackslash,
            ),
            (
                "trailing_backslash_wins_over_apostrophe",
                "it's\\",
                QuoteError::TrailingBackslash,
            ),
        ]
    }

    #[test]
    fn quote_value_refuses_values_no_form_carries() {
        for (name, value, expected) in refused() {
            assert_eq!(quote_value(value), Err(expected), "case {name}");
        }
    }

    #[test]
    fn refusals_explain_the_fix_without_echoing_the_value() {
        let message = QuoteError::QuoteAndDollar.to_string();
        assert!(message.contains("regenerate"), "{message}");
        let message = quote_value("fake-secret\n").unwrap_err().to_string();
        assert!(message.contains("U+000A at character 12"), "{message}");
        assert!(!message.contains("fake-secret"), "{message}");
    }

    #[test]
    fn check_key_accepts_env_names_and_rejects_others() {
        for good in ["A", "_A", "LAKEKEEPER__PG_HOST_W", "a.b"] {
            assert_eq!(check_key(good), Ok(()), "{good}");
        }
        for bad in ["", "1A", "A-B", "A B", "A=B", "é"] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
    }
}
