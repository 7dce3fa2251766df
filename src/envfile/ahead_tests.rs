use std::fmt::Write as _;

use super::super::verify::verify_reusing;
use super::super::{EnvFile, RoundTripError, verify_round_trip};
use super::*;

/// `n` filler lines numbered from `from`.
fn filler(from: usize, n: usize) -> String {
    (from..from + n).fold(String::new(), |mut s, i| {
        writeln!(s, "FILLER_{i}=value-{i}").unwrap();
        s
    })
}

/// Edits `original` with `pairs` and checks the result with a read-ahead of `original` cut
/// every `part_bytes`; returns the verdict and how many parts were reused.
fn reusing(
    original: &str,
    pairs: &[(&str, &str)],
    expected: &[(&str, &str)],
    part_bytes: usize,
) -> (Result<(), RoundTripError>, usize) {
    let mut file = EnvFile::parse(original).unwrap();
    file.set_all(pairs).unwrap();
    let rendered = file.render();
    let keys: Vec<&str> = expected.iter().map(|&(key, _)| key).collect();
    let ahead = ReadAhead::with_parts(original, &keys, part_bytes);
    let verdict = std::thread::scope(|s| {
        s.spawn(|| ahead.work(false));
        verify_reusing(&rendered, expected, &ahead, &file.unchanged_spans())
    });
    let layout = super::super::verify::tests_support::reused_count(&rendered, &ahead, &file);
    (verdict, layout)
}

/// The verdict of one whole-file read (these texts are below the parallel threshold).
fn whole(
    original: &str,
    pairs: &[(&str, &str)],
    expected: &[(&str, &str)],
) -> Result<(), RoundTripError> {
    let mut file = EnvFile::parse(original).unwrap();
    file.set_all(pairs).unwrap();
    verify_round_trip(&file.render(), expected)
}

const SIZES: [usize; 7] = [1, 5, 17, 40, 64, 150, 100_000];

#[test]
fn parts_are_cut_after_a_line_end_and_cover_the_text() {
    let text = filler(0, 10) + "LAST=no-newline";
    for size in SIZES {
        let ahead = ReadAhead::with_parts(&text, &[], size);
        let parts = ahead.parts();
        assert_eq!(parts.first().unwrap().start, 0);
        assert_eq!(parts.last().unwrap().end, text.len());
        for pair in parts.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
            assert_eq!(&text[pair[0].end - 1..pair[0].end], "\n", "size {size}");
        }
    }
}

#[test]
fn both_ends_together_read_every_part_once() {
    let text = filler(0, 200);
    let keys = ["FILLER_0", "FILLER_150"];
    let ahead = ReadAhead::with_parts(&text, &keys, 64);
    std::thread::scope(|s| {
        s.spawn(|| ahead.work(false));
        ahead.work(true);
    });
    let found: Vec<&str> = (0..ahead.parts().len())
        .filter_map(|i| ahead.read(i).unwrap().values.get("FILLER_150"))
        .map(String::as_str)
        .collect();
    assert_eq!(found, ["value-150"]);
}

#[test]
fn an_edit_in_place_and_an_append_reuse_the_rest_and_agree_with_the_whole_read() {
    let original = filler(0, 30) + "A=old\n" + &filler(30, 30);
    let pairs = [("A", "fake-secret-new value"), ("NEW", "fake $ecret")];
    let expected = [
        ("A", "fake-secret-new value"),
        ("NEW", "fake $ecret"),
        ("FILLER_59", "value-59"),
    ];
    assert_eq!(whole(&original, &pairs, &expected), Ok(()));
    for size in SIZES {
        let (verdict, reused) = reusing(&original, &pairs, &expected, size);
        assert_eq!(verdict, Ok(()), "size {size}");
        if size < 1_000 {
            assert!(reused > 0, "size {size}: nothing reused");
        }
    }
    // A value that reads back differently is caught however the text is cut.
    let wrong = [("A", "fake-secret-other"), ("NEW", "fake $ecret")];
    for size in SIZES {
        assert_eq!(
            reusing(&original, &pairs, &wrong, size).0,
            whole(&original, &pairs, &wrong),
            "size {size}"
        );
    }
}

#[test]
fn a_part_cut_inside_a_multi_line_value_is_not_trusted() {
    let original = filler(0, 10)
        + "ML='line one\nline # two\nFILLER_3=inside\n'\nKEY='fake $ecret'\n"
        + &filler(10, 10);
    let pairs = [("FILLER_5", "changed")];
    let expected = [
        ("ML", "line one\nline # two\nFILLER_3=inside\n"),
        ("KEY", "fake $ecret"),
        ("FILLER_3", "value-3"),
        ("FILLER_19", "value-19"),
    ];
    assert_eq!(whole(&original, &pairs, &expected), Ok(()));
    for size in 1..original.len() + 2 {
        assert_eq!(
            reusing(&original, &pairs, &expected, size).0,
            Ok(()),
            "size {size}"
        );
    }
}

#[test]
fn a_line_dotenvy_rejects_in_a_reused_part_is_reported_as_the_whole_read_reports_it() {
    // python-dotenv reads `a b`; dotenvy rejects the space and stops there.
    let original = filler(0, 10) + "BAD=a b\n" + &filler(10, 10);
    let pairs = [("FILLER_15", "changed"), ("NEW", "1")];
    let expected = [("FILLER_0", "value-0"), ("NEW", "1")];
    let want = whole(&original, &pairs, &expected);
    assert_eq!(
        want,
        Err(RoundTripError::DotenvyRejects {
            after_key: Some("FILLER_9".to_owned())
        })
    );
    for size in SIZES {
        assert_eq!(
            reusing(&original, &pairs, &expected, size).0,
            want,
            "size {size}"
        );
    }
}

#[test]
fn a_part_whose_text_changed_is_not_reused_even_when_the_hints_say_so() {
    let original = filler(0, 40);
    let keys = ["FILLER_0", "FILLER_39", "X"];
    let expected = [
        ("FILLER_0", "value-0"),
        ("FILLER_39", "value-39"),
        ("X", "1"),
    ];
    // Same length, other bytes: hints claiming the whole text unchanged must be caught.
    let rendered = original.replace("FILLER_20=value-20", "FILLER_20=value-2 ") + "X=1\n";
    let ahead = ReadAhead::with_parts(&original, &keys, 64);
    ahead.work(false);
    let hints = [(0, 0..original.len())];
    let layout = super::super::verify::tests_support::layout_with(&rendered, &ahead, &hints);
    let changed = rendered.find("FILLER_20=").unwrap();
    for (i, part) in ahead.parts().iter().enumerate() {
        let reused = layout.contains(&i);
        assert_eq!(
            reused,
            !part.contains(&changed),
            "part {i} {part:?} (change at {changed})"
        );
    }
    // `value-2 ` with its trailing blank reads back as `value-2` for both readers: the verdict
    // is the whole read's.
    let wrong = [("FILLER_20", "value-20"), ("X", "1")];
    let keys_wrong = ["FILLER_20", "X"];
    let ahead = ReadAhead::with_parts(&original, &keys_wrong, 64);
    ahead.work(false);
    assert_eq!(
        verify_reusing(&rendered, &wrong, &ahead, &hints),
        verify_round_trip(&rendered, &wrong)
    );
    assert!(verify_round_trip(&rendered, &wrong).is_err());
    assert_eq!(
        verify_reusing(&rendered, &expected, &ahead, &hints),
        verify_round_trip(&rendered, &expected)
    );
}

#[test]
fn a_later_part_with_a_substitution_agrees_with_the_whole_read() {
    // dotenvy substitutes `$NAME` (letters and digits only) from the lines above (when the process has no such
    // variable): read alone, the later part sees no `LKSTESTSUBST7F3A` and reads "", the
    // whole file reads `$LKSTESTSUBST7F3A` (the single-quoted value above), as our parser.
    let name = "LKSTESTSUBST7F3A";
    assert!(std::env::var(name).is_err());
    let original = format!("{name}='${name}'\n{}K=${name}\n", filler(0, 20));
    let literal = format!("${name}");
    let expected = [("K", literal.as_str())];
    assert_eq!(verify_round_trip(&original, &expected), Ok(()));
    for size in SIZES {
        assert_eq!(
            reusing(&original, &[], &expected, size).0,
            Ok(()),
            "size {size}"
        );
    }
}

#[test]
fn a_later_segment_with_a_dollar_is_trusted_only_when_it_supplies_no_value() {
    let read = |pairs: &[(&str, &str)], dollar| PartRead {
        values: pairs
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        dollar,
    };
    let merge = super::super::verify::tests_support::merge;
    let first = read(&[("A", "1")], true);
    let plain = read(&[("A", "2"), ("B", "3")], false);
    let merged = merge(&[Some(&first), Some(&plain)]).unwrap();
    assert_eq!(merged.get("A").map(String::as_str), Some("1"));
    assert_eq!(merged.get("B").map(String::as_str), Some("3"));
    // Only `A`, already read above: its later value is not used, so the `$` cannot matter.
    let repeats = read(&[("A", "$X")], true);
    assert!(merge(&[Some(&first), Some(&repeats)]).is_some());
    let supplies = read(&[("B", "$X")], true);
    assert_eq!(merge(&[Some(&first), Some(&supplies)]), None);
    assert_eq!(merge(&[Some(&first), None]), None);
}

#[test]
fn an_expected_key_the_parts_did_not_keep_is_read_from_the_whole_text() {
    let original = filler(0, 20) + "FILLER_3=second\n";
    let rendered = original.clone();
    let file = EnvFile::parse(&original).unwrap();
    let ahead = ReadAhead::with_parts(&original, &["FILLER_0"], 32);
    ahead.work(false);
    // dotenvy keeps the first FILLER_3 and our parser the last: a duplicate either way.
    let expected = [("FILLER_3", "value-3")];
    assert_eq!(
        verify_reusing(&rendered, &expected, &ahead, &file.unchanged_spans()),
        verify_round_trip(&rendered, &expected)
    );
}

#[test]
fn a_large_file_is_read_ahead_as_plan_does_and_agrees_with_verify_round_trip() {
    let original = filler(0, 20) + "export A=old\n" + &filler(20, 2_000);
    let keys = ["A", "NEW", "FILLER_1999"];
    let pairs = [("A", "fake-secret-a"), ("NEW", "fake-secret-'b'")];
    let mut file = EnvFile::parse(&original).unwrap();
    file.set_all(&pairs).unwrap();
    let rendered = file.render();
    let check = |expected: &[(&str, &str)]| {
        let ahead = ReadAhead::new(&original, &keys);
        if super::super::cores() > 1 {
            assert!(
                ahead.is_some(),
                "a {} byte file is read ahead",
                original.len()
            );
        }
        let ahead = ahead.unwrap_or_else(|| ReadAhead::with_parts(&original, &keys, PART_BYTES));
        let verdict = std::thread::scope(|s| {
            s.spawn(|| ahead.work(false));
            file.verify_rendered(&rendered, expected, &ahead)
        });
        let reused = super::super::verify::tests_support::reused_count(&rendered, &ahead, &file);
        assert!(
            reused + 2 >= ahead.parts().len(),
            "{reused} of {} reused",
            ahead.parts().len()
        );
        verdict
    };
    let right = [
        ("A", "fake-secret-a"),
        ("NEW", "fake-secret-'b'"),
        ("FILLER_1999", "value-1999"),
    ];
    assert_eq!(check(&right), Ok(()));
    assert_eq!(check(&right), verify_round_trip(&rendered, &right));
    let wrong = [
        ("A", "fake-secret-a"),
        ("NEW", "fake-secret-'b'"),
        ("FILLER_1999", "value-1998"),
    ];
    assert_eq!(check(&wrong), verify_round_trip(&rendered, &wrong));
    assert!(check(&wrong).is_err());
}

mod props {
    use proptest::prelude::*;

    use super::super::super::verify::verify_reusing;
    use super::super::super::{EnvFile, verify_round_trip};
    use super::ReadAhead;

    /// Lines that stress the cuts: multi-line values (holding what looks like entries),
    /// substitutions, lines dotenvy rejects, duplicates, comments, CRLF.
    fn line() -> impl Strategy<Value = String> {
        let key = (0..5u8).prop_map(|n| format!("K{n}"));
        prop_oneof![
            8 => (key.clone(), 0..3u8).prop_map(|(k, v)| format!("{k}=v{v}\n")),
            4 => key.clone().prop_map(|k| format!("{k}='a $K1 b'\n")),
            4 => key.clone().prop_map(|k| format!("export {k}=x # note\n")),
            4 => key.clone().prop_map(|k| format!("{k}=$K0\n")),
            4 => key.clone().prop_map(|k| format!("{k}=v\r\n")),
            4 => (key.clone(), key.clone())
                .prop_map(|(k, m)| format!("ML='one\n{m}=inner\n# x\n'\n{k}=after\n")),
            4 => Just("# comment\n".to_owned()),
            4 => Just("\n".to_owned()),
            // dotenvy rejects these two.
            1 => key.clone().prop_map(|k| format!("{k}=\"$K2\"\n")),
            1 => key.prop_map(|k| format!("{k}=a b\n")),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("fake-1".to_owned()),
            Just("fake $x".to_owned()),
            Just("it's".to_owned()),
            Just("v0".to_owned()),
            Just("a $K1 b".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn reusing_always_gives_the_whole_reads_verdict(
            lines in prop::collection::vec(line(), 0..30),
            edits in prop::collection::vec(((0..5u8), value()), 0..4),
            extra in prop::collection::vec(((0..5u8), value()), 0..3),
            part_bytes in 1..80usize,
        ) {
            let original: String = lines.concat();
            let Ok(mut file) = EnvFile::parse(&original) else {
                return Ok(());
            };
            let edits: Vec<(String, String)> =
                edits.into_iter().map(|(n, v)| (format!("K{n}"), v)).collect();
            let pairs: Vec<(&str, &str)> =
                edits.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            prop_assume!(file.set_all(&pairs).is_ok());
            let rendered = file.render();
            let extra: Vec<(String, String)> =
                extra.into_iter().map(|(n, v)| (format!("K{n}"), v)).collect();
            let mut expected = pairs.clone();
            expected.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let keys: Vec<&str> = expected.iter().map(|&(k, _)| k).collect();
            let whole = verify_round_trip(&rendered, &expected);
            let ahead = ReadAhead::with_parts(&original, &keys, part_bytes);
            let reusing = std::thread::scope(|s| {
                s.spawn(|| ahead.work(false));
                file.verify_rendered(&rendered, &expected, &ahead)
            });
            prop_assert_eq!(&reusing, &whole);
            // Hints that are wrong (everything unchanged, in place) change nothing either.
            let lying = [(0, 0..original.len())];
            prop_assert_eq!(&verify_reusing(&rendered, &expected, &ahead, &lying), &whole);
        }
    }
}
