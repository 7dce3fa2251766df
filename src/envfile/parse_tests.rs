use super::super::{EnvFile, Quote};
use super::ParseProblem;

fn only(text: &str) -> super::super::Entry {
    let file = EnvFile::parse(text).unwrap();
    let entries: Vec<_> = file.entries().cloned().collect();
    assert_eq!(entries.len(), 1, "{text:?}");
    entries.into_iter().next().unwrap()
}

/// (case — what it proves, line, key, value as python-dotenv reads it, raw value, quote,
/// export, inline comment).
#[allow(clippy::type_complexity)]
const FORMS: &[(&str, &str, &str, &str, &str, Quote, bool, bool)] = &[
    (
        "unquoted",
        "A=b\n",
        "A",
        "b",
        "b",
        Quote::None,
        false,
        false,
    ),
    (
        "export_prefix",
        "export A=b\n",
        "A",
        "b",
        "b",
        Quote::None,
        true,
        false,
    ),
    (
        "export_with_tabs",
        "export\t\tA=b\n",
        "A",
        "b",
        "b",
        Quote::None,
        true,
        false,
    ),
    (
        "export_as_key",
        "export=b\n",
        "export",
        "b",
        "b",
        Quote::None,
        false,
        false,
    ),
    (
        "empty_export_like_fixture",
        "export A=\n",
        "A",
        "",
        "",
        Quote::None,
        true,
        false,
    ),
    ("empty_at_eof", "A=", "A", "", "", Quote::None, false, false),
    (
        "single_keeps_dollar",
        "A='x-$0y'\n",
        "A",
        "x-$0y",
        "'x-$0y'",
        Quote::Single,
        false,
        false,
    ),
    (
        "double_keeps_hash",
        "A=\"p#1\"\n",
        "A",
        "p#1",
        "\"p#1\"",
        Quote::Double,
        false,
        false,
    ),
    (
        "single_keeps_space_hash",
        "A='p #1'\n",
        "A",
        "p #1",
        "'p #1'",
        Quote::Single,
        false,
        false,
    ),
    (
        "unquoted_hash_without_space",
        "A=p#1\n",
        "A",
        "p#1",
        "p#1",
        Quote::None,
        false,
        false,
    ),
    (
        "unquoted_space_hash_is_comment",
        "A=p #1\n",
        "A",
        "p",
        "p",
        Quote::None,
        false,
        true,
    ),
    (
        "unquoted_leading_hash_is_value",
        "A=#x\n",
        "A",
        "#x",
        "#x",
        Quote::None,
        false,
        false,
    ),
    (
        "comment_after_quote",
        "A='v' # c\n",
        "A",
        "v",
        "'v'",
        Quote::Single,
        false,
        true,
    ),
    (
        "comment_glued_to_quote",
        "A='v'#c\n",
        "A",
        "v",
        "'v'",
        Quote::Single,
        false,
        true,
    ),
    (
        "spaces_around_equals",
        "A = b \n",
        "A",
        "b",
        "b",
        Quote::None,
        false,
        false,
    ),
    (
        "indented",
        "  A=b\n",
        "A",
        "b",
        "b",
        Quote::None,
        false,
        false,
    ),
    ("crlf", "A=b\r\n", "A", "b", "b", Quote::None, false, false),
    (
        "double_escapes",
        "A=\"a\\\"b\\\\c\\n\"\n",
        "A",
        "a\"b\\c\n",
        "\"a\\\"b\\\\c\\n\"",
        Quote::Double,
        false,
        false,
    ),
    (
        "double_unknown_escape_kept",
        "A=\"a\\$b\"\n",
        "A",
        "a\\$b",
        "\"a\\$b\"",
        Quote::Double,
        false,
        false,
    ),
    (
        "single_decodes_double_backslash",
        "A='a\\\\b'\n",
        "A",
        "a\\b",
        "'a\\\\b'",
        Quote::Single,
        false,
        false,
    ),
    (
        "single_escaped_quote",
        "A='it\\'s'\n",
        "A",
        "it's",
        "'it\\'s'",
        Quote::Single,
        false,
        false,
    ),
    (
        "single_trailing_backslash",
        "A='ab\\'\n",
        "A",
        "ab\\",
        "'ab\\'",
        Quote::Single,
        false,
        false,
    ),
    (
        "dotted_key",
        "a.b=1\n",
        "a.b",
        "1",
        "1",
        Quote::None,
        false,
        false,
    ),
    (
        "no_interpolation",
        "A=${B}\n",
        "A",
        "${B}",
        "${B}",
        Quote::None,
        false,
        false,
    ),
];

#[test]
fn parses_each_form_like_python_dotenv() {
    for (name, text, key, value, raw, quote, export, comment) in FORMS {
        let entry = only(text);
        assert_eq!(entry.key, *key, "case {name}");
        assert_eq!(entry.value, *value, "case {name}");
        assert_eq!(entry.raw_value, *raw, "case {name}");
        assert_eq!(entry.quote, *quote, "case {name}");
        assert_eq!(entry.export, *export, "case {name}");
        assert_eq!(entry.inline_comment, *comment, "case {name}");
        assert_eq!(entry.line, 1, "case {name}");
    }
}

#[test]
fn comments_and_blank_lines_are_not_entries() {
    let file = EnvFile::parse("# A=1\n\n   \n  # indented\nB=2\n").unwrap();
    let keys: Vec<_> = file.entries().map(|e| (e.key.as_str(), e.line)).collect();
    assert_eq!(keys, [("B", 5)]);
}

#[test]
fn multi_line_quoted_values_parse_and_keep_line_numbers() {
    let text = "A=\"line1\nline2 # not a comment\"\nB='x\r\ny'\nC=3\n";
    let file = EnvFile::parse(text).unwrap();
    let got: Vec<_> = file
        .entries()
        .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
        .collect();
    assert_eq!(
        got,
        [
            ("A", "line1\nline2 # not a comment", 1),
            ("B", "x\ny", 3),
            ("C", "3", 5)
        ]
    );
    assert_eq!(file.entries().nth(1).unwrap().raw_value, "'x\r\ny'");
}

#[test]
fn duplicates_are_all_listed_and_get_returns_the_last() {
    let file = EnvFile::parse("A=1\nB=2\nA=3\n").unwrap();
    let all: Vec<_> = file
        .entries()
        .map(|e| (e.key.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(all, [("A", "1"), ("B", "2"), ("A", "3")]);
    assert_eq!(file.get("A"), Some("3"));
    assert_eq!(file.get("Z"), None);
}

/// The shape of the team's real `backend/.env` (the integration test uses the fixture itself).
const FIXTURE_SHAPE: &str = "# Local settings.\n\n# --- app ---\nSECRET_KEY='dev-$0mething'\n\
    CORS_ORIGINS=http://localhost:3000,http://localhost:5173\nPOSTGRES_PASSWORD=\"fake-pass#1\"\n\
    \nexport APPLICATIONINSIGHTS_CONNECTION_STRING=\n";

#[test]
fn fixture_shape_reads_like_python_dotenv() {
    let file = EnvFile::parse(FIXTURE_SHAPE).unwrap();
    assert_eq!(file.get("SECRET_KEY"), Some("dev-$0mething"));
    assert_eq!(file.get("POSTGRES_PASSWORD"), Some("fake-pass#1"));
    assert_eq!(file.get("APPLICATIONINSIGHTS_CONNECTION_STRING"), Some(""));
    let last = file.entries().last().unwrap();
    assert!(last.export);
    assert_eq!(last.line, 8);
}

#[test]
fn render_of_an_unedited_parse_is_byte_identical() {
    let texts = [
        "",
        "\n",
        "A=1",
        "A=1\n",
        "\u{feff}A=1\n",
        "# c\r\nexport A='x'  # note\r\n\r\nB=\"m\r\nl\"\r\nC=",
        "  A = b   \n\t\n#x\nA=dup\n",
        "A='it\\'s' #c\nB=\"q\\\"\"\n",
        FIXTURE_SHAPE,
    ];
    for text in texts {
        assert_eq!(EnvFile::parse(text).unwrap().render(), text, "{text:?}");
    }
}

#[test]
fn errors_name_the_line_and_the_problem() {
    let cases = [
        (
            "A=1\nB='open\nC=2\n",
            2,
            ParseProblem::UnterminatedQuote { quote: '\'' },
        ),
        (
            "A=\"open\n",
            1,
            ParseProblem::UnterminatedQuote { quote: '"' },
        ),
        ("A=1\n\nfake-secret-line\n", 3, ParseProblem::InvalidKey),
        ("1A=1\n", 1, ParseProblem::InvalidKey),
        ("A-B=1\n", 1, ParseProblem::InvalidKey),
        ("export A\n", 1, ParseProblem::MissingEquals),
        ("A='x\ny'z\n", 2, ParseProblem::TextAfterQuote),
        // Like python-dotenv, `\\"` ends in an escaped quote, so the value runs on to line 2.
        ("A=\"ab\\\\\"\nB=\"x\"\n", 2, ParseProblem::TextAfterQuote),
        ("A=1\rB=2\n", 1, ParseProblem::BareCarriageReturn),
        // python-dotenv breaks the line at a CR after a multi-line value's closing quote too.
        ("A='x\ny' # c\rB=2\n", 2, ParseProblem::BareCarriageReturn),
        ("A='x\ny' # c\r\nB=2\n", 0, ParseProblem::InvalidKey),
    ];
    for (text, line, problem) in cases {
        if line == 0 {
            assert!(
                EnvFile::parse(text).is_ok(),
                "a CRLF is a line end: {text:?}"
            );
            continue;
        }
        let err = EnvFile::parse(text).unwrap_err();
        assert_eq!((err.line, &err.problem), (line, &problem), "{text:?}");
    }
    let message = EnvFile::parse("A=1\nB='fake-secret\n")
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("line 2 of the .env file: the value opens a ' quote"),
        "{message}"
    );
    assert!(!message.contains("fake-secret"), "{message}");
}
