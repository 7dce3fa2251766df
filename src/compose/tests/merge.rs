//! Merging into an existing override: what is kept byte for byte, where the managed services
//! go, and every layout that is refused.

use super::{golden_header, golden_services, spec};
use crate::compose::{ComposeError, render_override};

fn render(existing: &str) -> String {
    let out = render_override(Some(existing), &spec()).unwrap();
    assert_eq!(
        render_override(Some(&out), &spec()).unwrap(),
        out,
        "not idempotent"
    );
    out
}

fn refusal(existing: &str) -> String {
    let err = render_override(Some(existing), &spec()).unwrap_err();
    assert!(
        matches!(
            err,
            ComposeError::Refused { .. } | ComposeError::Unparseable { .. }
        ),
        "{err:?}"
    );
    err.to_string()
}

const USER_OVERRIDE: &str = "\
# team override: local tweaks
services:
  backend:
    # hot reload for local work
    command: [\"uvicorn\", \"app:app\", \"--reload\"]
    environment:
      DEBUG: \"1\"   # keep

networks:
  team-network:
    external: true
x-notes: &notes
  owner: data-team
";

#[test]
fn keeps_other_services_comments_and_top_level_keys_byte_for_byte() {
    let out = render(USER_OVERRIDE);
    let (services_part, rest) = USER_OVERRIDE.split_once("\nnetworks:").unwrap();
    let want = format!(
        "{}{services_part}\n{}\nnetworks:{rest}",
        golden_header(),
        golden_services()
    );
    assert_eq!(out, want);
}

#[test]
fn existing_managed_service_is_replaced_where_it_stands() {
    let existing = "\
services:
  lakekeeper:
    image: quay.io/lakekeeper/catalog:latest
    environment:
      - LAKEKEEPER__PG_ENCRYPTION_KEY=fake-secret-inline
    # commented-out: ports

  backend:
    image: backend:1
";
    let out = render(existing);
    let want = format!(
        "{}services:\n{}\n  backend:\n    image: backend:1\n",
        golden_header(),
        golden_services()
    );
    assert_eq!(out, want);
    assert!(!out.contains("fake-secret"));
}

#[test]
fn services_apart_are_brought_together_at_the_first_one() {
    let existing = "\
services:
  lakekeeper-migrate:
    image: old
  # the API
  backend:
    image: backend:1

  lakekeeper:
    image: old

networks: {}
";
    let out = render(existing);
    let want = format!(
        "{}services:\n{}  # the API\n  backend:\n    image: backend:1\n\nnetworks: {{}}\n",
        golden_header(),
        golden_services()
    );
    assert_eq!(out, want);
}

#[test]
fn four_space_indentation_is_followed() {
    let existing = "services:\n    backend:\n        image: backend:1\n";
    let out = render(existing);
    let mut four = String::new();
    for l in golden_services().lines() {
        let n = l.len() - l.trim_start().len();
        four.push_str(&" ".repeat(n * 2));
        four.push_str(l.trim_start());
        four.push('\n');
    }
    assert_eq!(out, format!("{}{existing}\n{four}", golden_header()));
}

#[test]
fn file_without_services_gets_them_appended() {
    let existing = "networks:\n  team-network:\n    external: true\n";
    assert_eq!(
        render(existing),
        format!(
            "{}{existing}\nservices:\n{}",
            golden_header(),
            golden_services()
        )
    );
    let no_final_newline = "networks:\n  team-network:\n    external: true";
    assert_eq!(
        render(no_final_newline),
        format!(
            "{}{existing}\nservices:\n{}",
            golden_header(),
            golden_services()
        )
    );
}

#[test]
fn comment_only_file_keeps_its_comments() {
    let existing = "# nothing here yet\n";
    assert_eq!(
        render(existing),
        format!(
            "{}{existing}\nservices:\n{}",
            golden_header(),
            golden_services()
        )
    );
}

#[test]
fn an_older_header_of_ours_is_replaced_not_stacked() {
    let existing = "# Managed by lakekeeper-setup: older wording\n# second line\n\nservices:\n  backend:\n    image: b\n";
    let out = render(existing);
    assert!(
        out.starts_with(&format!("{}services:\n  backend:\n", golden_header())),
        "{out}"
    );
    assert_eq!(out.matches("# Managed by lakekeeper-setup").count(), 1);
    assert!(golden_header().starts_with(crate::compose::render::HEADER_MARKER));
}

#[test]
fn unsafe_layouts_are_refused_with_the_reason_and_the_fix() {
    const BLOCK: &str = "Rewrite that part in plain block style (one key per line, indented with spaces), or move the file aside and let lakekeeper-setup write a fresh one";
    let refused = |line: &str, reason: &str, fix: &str| {
        format!(
            "cannot safely update the existing override file{line}: {reason}; nothing was written. {fix}"
        )
    };
    let cases: Vec<(&str, &str, String)> = vec![
        ("top level is a list", "- a\n- b\n", refused(" (line 1)", "the top level is not a mapping of keys", BLOCK)),
        ("top level is a scalar", "hello\n", refused(" (line 1)", "the top level is not a mapping of keys", BLOCK)),
        ("flow root", "{services: {backend: {image: b}}}\n", refused(" (line 1)", "the top level is not a plain block mapping at column 1", BLOCK)),
        ("anchored root", "&root\nservices:\n  backend:\n    image: b\n", refused(" (line 2)", "the top level is not a plain block mapping at column 1", BLOCK)),
        (
            "flow services",
            "services: {backend: {image: b}}\n",
            refused(" (line 1)", "`services:` is not alone on its line (flow style, an anchor or a tag follows it)", BLOCK),
        ),
        (
            "services is a list",
            "services:\n  - backend\n",
            refused(" (line 1)", "`services` is not a mapping of services", "Put at least one service under `services:` (or delete the empty key)"),
        ),
        (
            "services is empty",
            "services:\nnetworks: {}\n",
            refused(" (line 1)", "`services` is not a mapping of services", "Put at least one service under `services:` (or delete the empty key)"),
        ),
        (
            "anchor on a managed service",
            "services:\n  lakekeeper: &lk\n    image: x\n  other: *lk\n",
            refused(" (line 2)", "service `lakekeeper` uses YAML anchors, aliases or merge keys (`&`, `*`, `<<`)", "Write that service out in full (or delete it: lakekeeper-setup writes it anyway)"),
        ),
        (
            "merge key in a managed service",
            "x-base: &base\n  image: x\nservices:\n  lakekeeper-migrate:\n    <<: *base\n    command: [\"migrate\"]\n",
            refused(" (line 4)", "service `lakekeeper-migrate` uses YAML anchors, aliases or merge keys (`&`, `*`, `<<`)", "Write that service out in full (or delete it: lakekeeper-setup writes it anyway)"),
        ),
        (
            "tab indentation",
            "services:\n\tbackend:\n    image: b\n",
            refused(" (line 2)", "a tab in the indentation", "Indent with spaces only"),
        ),
        (
            "complex key",
            "services:\n  ? lakekeeper\n  : image: x\n",
            refused(" (line 2)", "a service key does not start its own line", BLOCK),
        ),
        (
            "two documents",
            "services:\n  backend:\n    image: b\n---\nservices: {}\n",
            refused("", "it holds more than one YAML document (`---`)", BLOCK),
        ),
        (
            "document end marker",
            "services:\n  backend:\n    image: b\n...\n",
            refused(" (line 4)", "a document end marker (`...`)", "Delete that line (Compose does not need it)"),
        ),
        (
            "duplicate key",
            "services:\n  backend:\n    image: a\n  backend:\n    image: b\n",
            "the compose file is not valid YAML: String(\"backend\"): duplicated key in mapping at byte 58 line 6 column 1; fix it (or move it aside) and run again".to_owned(),
        ),
        (
            "unparseable",
            "services:\n  backend: [unclosed\n",
            "the compose file is not valid YAML: while parsing a flow sequence, expected ',' or ']' at byte 31 line 3 column 1; fix it (or move it aside) and run again".to_owned(),
        ),
    ];
    for (name, existing, want) in cases {
        assert_eq!(refusal(existing), want, "{name}");
    }
}

#[test]
fn indented_block_scalar_in_another_service_survives() {
    let existing = "services:\n  backend:\n    command: |\n      run\n      # not a comment\n\n";
    let out = render(existing);
    assert!(
        out.contains("    command: |\n      run\n      # not a comment\n"),
        "{out}"
    );
}

#[test]
fn a_comment_under_the_last_service_stays_with_it() {
    let existing = "services:\n  backend:\n    image: b\n  # about backend\n\n# about networks\nnetworks: {}\n";
    let want = format!(
        "{}services:\n  backend:\n    image: b\n  # about backend\n\n{}\n# about networks\nnetworks: {{}}\n",
        golden_header(),
        golden_services()
    );
    assert_eq!(render(existing), want);
}

#[test]
fn byte_order_mark_and_document_start_are_handled() {
    let with_bom = "\u{feff}services:\n  backend:\n    image: b\n";
    let want = format!(
        "{}services:\n  backend:\n    image: b\n\n{}",
        golden_header(),
        golden_services()
    );
    assert_eq!(render(with_bom), want);
    let with_start = "---\nservices:\n  backend:\n    image: b\n";
    assert_eq!(
        render(with_start),
        format!("{}---\n{}", golden_header(), &want[golden_header().len()..])
    );
}
