use std::fmt::Write as _;

use super::super::EnvFile;
use super::*;

#[test]
fn accepts_what_set_wrote() {
    let mut file = EnvFile::parse("A=1\n").unwrap();
    file.set("B", "fake-secret-'quote'").unwrap();
    file.set("C", "fake $ecret #1").unwrap();
    let expected = [
        ("A", "1"),
        ("B", "fake-secret-'quote'"),
        ("C", "fake $ecret #1"),
    ];
    assert_eq!(verify_round_trip(&file.render(), &expected), Ok(()));
}

#[test]
fn catches_a_value_that_reads_back_differently() {
    // Unquoted `\ ` is an escaped space to dotenvy but two characters to python-dotenv.
    let rendered = "C=fake\\ secret\n";
    assert_eq!(
        verify_round_trip(rendered, &[("C", "fake\\ secret")]),
        Err(RoundTripError::Mismatch {
            reader: "dotenvy",
            key: "C".to_owned(),
            expected_len: 12,
            actual_len: 11,
        })
    );
}

#[test]
fn catches_a_mismatch_in_the_own_parser() {
    let err = verify_round_trip("A=x # note\n", &[("A", "x # note")]).unwrap_err();
    assert!(matches!(err, RoundTripError::Mismatch { reader, .. } if reader.contains("parser")));
    let message = err.to_string();
    assert!(!message.contains("note"), "value leaked: {message}");
}

#[test]
fn catches_missing_duplicate_and_unreadable() {
    assert_eq!(
        verify_round_trip("A=1\n", &[("B", "1")]),
        Err(RoundTripError::Missing {
            reader: "lakekeeper-setup's parser",
            key: "B".to_owned()
        })
    );
    assert_eq!(
        verify_round_trip("A=1\nA=1\n", &[("A", "1")]),
        Err(RoundTripError::Duplicate {
            key: "A".to_owned(),
            count: 2
        })
    );
    // python-dotenv and our parser read `a b`; dotenvy rejects the space and stops there.
    assert_eq!(
        verify_round_trip("A=1\nB=a b\nC=1\n", &[("C", "1")]),
        Err(RoundTripError::DotenvyRejects {
            after_key: Some("A".to_owned())
        })
    );
    assert!(matches!(
        verify_round_trip("A='open\n", &[]),
        Err(RoundTripError::Unparsable(_))
    ));
}

#[test]
fn an_unterminated_last_line_ending_in_a_blank_is_refused_for_dotenvy() {
    // python-dotenv and our parser read these files; dotenvy's line splitter waits for
    // more input after the blank and fails at the end of the file.
    for text in ["A=1\nB = ", "A=1\n ", "A=1\nB=2\t"] {
        assert_eq!(
            verify_round_trip(text, &[("A", "1")]),
            Err(RoundTripError::DotenvyRejects {
                after_key: Some("A".to_owned())
            }),
            "{text:?}"
        );
        let terminated = format!("{text}\n");
        assert_eq!(verify_round_trip(&terminated, &[("A", "1")]), Ok(()));
    }
}

#[test]
fn a_byte_order_mark_is_skipped_by_both_readers() {
    assert_eq!(
        verify_round_trip("\u{feff}A=1\nB='x y'\n", &[("A", "1"), ("B", "x y")]),
        Ok(())
    );
}

/// A file of `n` filler lines around the given middle.
fn around(middle: &str, n: usize) -> String {
    let filler = |from: usize| -> String {
        (from..from + n).fold(String::new(), |mut s, i| {
            writeln!(s, "FILLER_{i}=value-{i}").unwrap();
            s
        })
    };
    format!("{}{middle}{}", filler(0), filler(n))
}

#[test]
fn the_parallel_read_agrees_with_the_whole_read_wherever_the_split_falls() {
    let text = around(
        "ML='line one\nline # two\nline three'\nKEY='fake $ecret'\n",
        40,
    );
    let expected = [
        ("FILLER_0", "value-0"),
        ("ML", "line one\nline # two\nline three"),
        ("KEY", "fake $ecret"),
        ("FILLER_79", "value-79"),
    ];
    // Every line end is a split point, including the two inside the multi-line value
    // (where the first part ends in an open quote and the whole text decides).
    let ends = text.match_indices('\n').map(|(i, _)| i + 1);
    for at in ends.filter(|&at| at < text.len()) {
        assert_eq!(
            verify_split(&text, &expected, Some(at)),
            Ok(()),
            "split at {at}"
        );
    }
    assert_eq!(verify_split(&text, &expected, None), Ok(()));
}

#[test]
fn the_parallel_read_reports_what_the_whole_read_reports() {
    // python-dotenv reads `a b`; dotenvy rejects the space.
    let text = around("BAD=a b\n", 30);
    let whole = verify_split(&text, &[("FILLER_0", "value-0")], None);
    assert_eq!(
        whole,
        Err(RoundTripError::DotenvyRejects {
            after_key: Some("FILLER_29".to_owned())
        })
    );
    for at in text
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .filter(|&at| at < text.len())
    {
        assert_eq!(
            verify_split(&text, &[("FILLER_0", "value-0")], Some(at)),
            whole
        );
    }
    // A key in both parts: dotenvy keeps the first, python-dotenv the last.
    let text = around("", 20) + "FILLER_0=other\n";
    let at = text.find("FILLER_10=").unwrap();
    assert_eq!(
        verify_split(&text, &[("FILLER_0", "value-0")], Some(at)),
        Err(RoundTripError::Duplicate {
            key: "FILLER_0".to_owned(),
            count: 2
        })
    );
}

#[test]
fn only_a_large_file_on_more_than_one_core_is_split_and_at_a_line_end() {
    let small = around("", 100);
    assert_eq!(split_point(&small, 8), None);
    let large = around("", 2_000);
    assert!(large.len() >= PARALLEL_MIN_BYTES);
    assert_eq!(split_point(&large, 1), None);
    let at = split_point(&large, 2).unwrap();
    assert_eq!(&large[at - 1..at], "\n");
    assert!(
        at > large.len() / 2 && at < large.len() * 3 / 5,
        "{at} of {}",
        large.len()
    );
    assert_eq!(
        verify_round_trip(&large, &[("FILLER_3999", "value-3999")]),
        Ok(())
    );
}
