use super::super::{EnvFile, Quote, QuoteError, SetError};

const H: &str = "# --- Lakekeeper (managed by lakekeeper-setup) ---";

fn edited(text: &str, edit: impl FnOnce(&mut EnvFile)) -> String {
    let mut file = EnvFile::parse(text).unwrap();
    edit(&mut file);
    let rendered = file.render();
    // The edited file must describe itself: a re-parse yields the same entries.
    let reparsed = EnvFile::parse(&rendered).unwrap();
    assert!(
        reparsed.entries().eq(file.entries()),
        "entries drift after edit:\n{rendered}"
    );
    rendered
}

#[test]
fn set_existing_replaces_in_place_and_keeps_everything_else() {
    let text = "# top\n\nA=1\n# mid\nB=old\n\nC=3\n";
    let out = edited(text, |f| f.set("B", "new").unwrap());
    assert_eq!(out, "# top\n\nA=1\n# mid\nB=new\n\nC=3\n");
}

#[test]
fn set_existing_keeps_export_prefix_and_indent() {
    let out = edited("  export\tA='x'\nB=2\n", |f| f.set("A", "y z").unwrap());
    assert_eq!(out, "  export\tA='y z'\nB=2\n");
}

#[test]
fn set_existing_keeps_crlf_line_ending_and_missing_final_newline() {
    let out = edited("A=1\r\nB=2\r\nC=3", |f| {
        f.set("B", "x").unwrap();
        f.set("C", "y").unwrap();
    });
    assert_eq!(out, "A=1\r\nB=x\r\nC=y");
}

#[test]
fn set_existing_drops_the_inline_comment_on_that_line_only() {
    let out = edited("A=1 # keep\nB=2 # dropped\n", |f| f.set("B", "3").unwrap());
    assert_eq!(out, "A=1 # keep\nB=3\n");
}

#[test]
fn set_existing_normalises_spaces_around_equals() {
    let out = edited("A = 1\n", |f| f.set("A", "2").unwrap());
    assert_eq!(out, "A=2\n");
}

#[test]
fn set_duplicated_key_replaces_first_and_removes_later_ones() {
    let text = "A=1\nB=2\nexport A=3\n# c\nA=\"multi\nline\"\nD=4\n";
    let mut file = EnvFile::parse(text).unwrap();
    file.set("A", "new").unwrap();
    assert_eq!(file.render(), "A=new\nB=2\n# c\nD=4\n");
    let lines: Vec<_> = file.entries().map(|e| (e.key.as_str(), e.line)).collect();
    assert_eq!(lines, [("A", 1), ("B", 2), ("D", 4)]);
}

#[test]
fn set_replaces_a_multi_line_value_entirely() {
    let out = edited("A='x\ny'\nB=2\n", |f| f.set("A", "z").unwrap());
    assert_eq!(out, "A=z\nB=2\n");
}

#[test]
fn new_key_adds_blank_line_header_and_key_at_eof() {
    let out = edited("A=1\n", |f| f.set("N", "v").unwrap());
    assert_eq!(out, format!("A=1\n\n{H}\nN=v\n"));
}

#[test]
fn new_key_in_empty_file_has_no_leading_blank_line() {
    let out = edited("", |f| f.set("N", "v").unwrap());
    assert_eq!(out, format!("{H}\nN=v\n"));
}

#[test]
fn new_key_after_trailing_blank_line_adds_no_second_one() {
    let out = edited("A=1\n\n", |f| f.set("N", "v").unwrap());
    assert_eq!(out, format!("A=1\n\n{H}\nN=v\n"));
}

#[test]
fn new_key_terminates_a_file_without_final_newline_first() {
    let out = edited("# only a comment", |f| f.set("N", "v").unwrap());
    assert_eq!(out, format!("# only a comment\n\n{H}\nN=v\n"));
}

#[test]
fn new_keys_use_crlf_in_a_crlf_file() {
    let out = edited("A=1\r\nB=2", |f| {
        f.set("N", "v").unwrap();
        f.set("M", "w").unwrap();
    });
    assert_eq!(out, format!("A=1\r\nB=2\r\n\r\n{H}\r\nN=v\r\nM=w\r\n"));
}

#[test]
fn new_key_goes_after_the_block_under_an_existing_header() {
    let text = format!("A=1\n\n{H}\nX=1\nexport Y=2\n\n# user stuff\nZ=3\n");
    let out = edited(&text, |f| f.set("N", "v").unwrap());
    assert_eq!(
        out,
        format!("A=1\n\n{H}\nX=1\nexport Y=2\nN=v\n\n# user stuff\nZ=3\n")
    );
}

#[test]
fn new_key_goes_right_under_a_header_with_no_block() {
    let text = format!("{H}\n# note\nA=1\n");
    let out = edited(&text, |f| f.set("N", "v").unwrap());
    assert_eq!(out, format!("{H}\nN=v\n# note\nA=1\n"));
}

#[test]
fn new_key_under_header_terminates_an_unterminated_block_end() {
    let text = format!("{H}\r\nX=1");
    let out = edited(&text, |f| f.set("N", "v").unwrap());
    assert_eq!(out, format!("{H}\r\nX=1\r\nN=v\r\n"));
}

#[test]
fn set_records_the_quote_it_wrote() {
    let mut file = EnvFile::parse("").unwrap();
    file.set("A", "it's").unwrap();
    file.set("B", "a b").unwrap();
    let quotes: Vec<_> = file
        .entries()
        .map(|e| (e.quote, e.raw_value.as_str()))
        .collect();
    assert_eq!(
        quotes,
        [(Quote::Double, "\"it's\""), (Quote::Single, "'a b'")]
    );
    assert_eq!(file.get("A"), Some("it's"));
}

#[test]
fn set_refuses_bad_values_and_keys_without_touching_the_file() {
    let text = "A=1\n";
    let mut file = EnvFile::parse(text).unwrap();
    assert_eq!(file.set("A", "it's $5"), Err(QuoteError::QuoteAndDollar));
    assert_eq!(
        file.set("N", "a\nb")
            .map_err(|e| matches!(e, QuoteError::ControlCharacter { .. })),
        Err(true)
    );
    assert_eq!(
        file.set("BAD-KEY", "v"),
        Err(QuoteError::InvalidKey {
            key: "BAD-KEY".to_owned()
        })
    );
    assert_eq!(file.render(), text);
}

#[test]
fn remove_deletes_every_occurrence_and_nothing_else() {
    let text = "# c\nA=1\r\nB=2\nexport A='multi\nline' # x\n\nA=3";
    let out = edited(text, |f| assert!(f.remove("A")));
    assert_eq!(out, "# c\nB=2\n\n");
}

#[test]
fn remove_of_an_absent_key_changes_nothing() {
    let text = "A=1\n# B=2\n";
    let out = edited(text, |f| assert!(!f.remove("B")));
    assert_eq!(out, text);
}

#[test]
fn untouched_bytes_survive_a_mix_of_edits() {
    let text = "\u{feff}# keep  \r\nexport KEEP='a $b' # keep\r\nML=\"a\r\nb # x\"\r\nOLD=1\r\nSET=2\r\n\r\n";
    let out = edited(text, |f| {
        f.set("SET", "3").unwrap();
        f.remove("OLD");
        f.set("NEW", "x y").unwrap();
    });
    assert_eq!(
        out,
        format!(
            "\u{feff}# keep  \r\nexport KEEP='a $b' # keep\r\nML=\"a\r\nb # x\"\r\nSET=3\r\n\r\n{H}\r\nNEW='x y'\r\n"
        )
    );
}

#[test]
fn set_all_is_the_same_as_setting_one_key_after_another() {
    let text = "# top\r\nA=1\r\nB=2 # c\r\nexport A=3\r\nC='x'";
    let pairs = [
        ("B", "two words"),
        ("NEW1", "n1"),
        ("A", "a$"),
        ("NEW2", "n'2"),
    ];
    let mut one_by_one = EnvFile::parse(text).unwrap();
    for (k, v) in pairs {
        one_by_one.set(k, v).unwrap();
    }
    let batch = edited(text, |f| f.set_all(&pairs).unwrap());
    assert_eq!(batch, one_by_one.render());
    assert_eq!(
        batch,
        format!(
            "# top\r\nA='a$'\r\nB='two words'\r\nC='x'\r\n\r\n{H}\r\nNEW1=n1\r\nNEW2=\"n'2\"\r\n"
        )
    );
}

#[test]
fn set_all_with_a_key_twice_keeps_the_first_position_and_the_last_value() {
    let out = edited("A=1\n", |f| {
        f.set_all(&[("N", "x"), ("A", "2"), ("N", "y")]).unwrap();
    });
    assert_eq!(out, format!("A=2\n\n{H}\nN=y\n"));
}

#[test]
fn set_all_refuses_the_whole_batch_and_names_the_bad_pair() {
    let text = "A=1\nB=2\n";
    let mut file = EnvFile::parse(text).unwrap();
    let err = file
        .set_all(&[("A", "fine"), ("B", "fake-secret\\"), ("C", "new")])
        .unwrap_err();
    assert_eq!(
        err,
        SetError {
            index: 1,
            source: QuoteError::TrailingBackslash
        }
    );
    assert_eq!(file.render(), text, "nothing of the batch was applied");
    assert_eq!(file.set_all(&[]), Ok(()));
    assert_eq!(file.render(), text);
}

#[test]
fn remove_all_counts_every_occurrence_and_renumbers() {
    let mut file = EnvFile::parse("A=1\nB=\"x\ny\"\nA=2\nC=3\nD=4\n").unwrap();
    assert_eq!(file.remove_all(&["A", "C", "ABSENT"]), 3);
    assert_eq!(file.render(), "B=\"x\ny\"\nD=4\n");
    let lines: Vec<_> = file.entries().map(|e| (e.key.as_str(), e.line)).collect();
    assert_eq!(lines, [("B", 1), ("D", 3)]);
    assert_eq!(file.remove_all(&["ABSENT"]), 0);
}

#[test]
fn find_returns_each_keys_entries_in_file_order() {
    let file = EnvFile::parse("A=1\nB=2\nexport A=3\n").unwrap();
    let found = file.find(&["A", "Z", "B", "A"]);
    let values: Vec<Vec<&str>> = found
        .iter()
        .map(|entries| entries.iter().map(|e| e.value).collect())
        .collect();
    assert_eq!(values, [vec!["1", "3"], vec![], vec!["2"], vec!["1", "3"]]);
    assert_eq!(found[0][1].line, 3);
    assert!(found[0][1].export);
}

#[test]
fn a_crlf_file_starting_with_a_multi_line_value_gets_crlf_appends() {
    // The line break inside the quotes is LF; the entry's own line ending is CRLF.
    let out = edited("A='x\ny'\r\nB=1\r\n", |f| f.set("C", "2").unwrap());
    assert_eq!(out, format!("A='x\ny'\r\nB=1\r\n\r\n{H}\r\nC=2\r\n"));
}
