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
