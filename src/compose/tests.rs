//! Unit tests for the compose override: golden output, idempotence, spec checks, paths.
//! Merging and refusals are in `tests/merge.rs`, lint in `tests/lint.rs`.

// In a test a panic is the failure report; `unwrap` keeps the assertions readable.
#![allow(clippy::unwrap_used)]

mod lint;
mod merge;

use super::*;

pub(super) fn spec() -> OverrideSpec {
    OverrideSpec {
        image: "quay.io/lakekeeper/catalog:v0.13.3".to_owned(),
        host_port: 8181,
        lakekeeper_env: [
            "LAKEKEEPER__PG_DATABASE_URL_READ",
            "LAKEKEEPER__PG_DATABASE_URL_WRITE",
            "LAKEKEEPER__PG_ENCRYPTION_KEY",
            "LAKEKEEPER__OPENID_PROVIDER_URI",
        ]
        .map(str::to_owned)
        .to_vec(),
        migrate_env: [
            "LAKEKEEPER__PG_DATABASE_URL_WRITE",
            "LAKEKEEPER__PG_ENCRYPTION_KEY",
        ]
        .map(str::to_owned)
        .to_vec(),
    }
}

pub(super) const GOLDEN: &str = include_str!("tests/golden/fresh-override.yml");

/// The managed part of the golden file (everything after `services:`).
pub(super) fn golden_services() -> &'static str {
    GOLDEN.split_once("services:\n").map(|(_, s)| s).unwrap()
}

/// The golden header (comment lines and the blank line after them).
pub(super) fn golden_header() -> &'static str {
    GOLDEN.split_once("services:\n").map(|(h, _)| h).unwrap()
}

#[test]
fn fresh_override_matches_golden_file() {
    assert_eq!(render_override(None, &spec()).unwrap(), GOLDEN);
    assert_eq!(render_override(Some(""), &spec()).unwrap(), GOLDEN);
}

#[test]
fn rendering_its_own_output_again_is_byte_identical() {
    let once = render_override(None, &spec()).unwrap();
    assert_eq!(render_override(Some(&once), &spec()).unwrap(), once);
}

#[test]
fn a_changed_spec_replaces_the_managed_services_only() {
    let once = render_override(None, &spec()).unwrap();
    let mut changed = spec();
    changed.host_port = 8282;
    changed.image = "quay.io/lakekeeper/catalog:v0.13.2".to_owned();
    changed.lakekeeper_env.pop();
    let twice = render_override(Some(&once), &changed).unwrap();
    assert_eq!(twice, render_override(None, &changed).unwrap());
    assert!(
        twice.contains("    ports: !override [\"8282:8181\"]\n"),
        "{twice}"
    );
    assert!(!twice.contains("OPENID_PROVIDER_URI"), "{twice}");
}

#[test]
fn generated_text_has_dollars_only_in_references_and_no_values() {
    let out = render_override(None, &spec()).unwrap();
    assert!(render::dollars_are_references(&out));
    let dollar_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains('$') && !l.starts_with('#'))
        .collect();
    assert_eq!(dollar_lines.len(), 6);
    for line in dollar_lines {
        let (key, value) = line.trim().split_once(": ").unwrap();
        assert_eq!(value, format!("${{{key}}}"));
    }
    assert!(!render::dollars_are_references("a $HOME b"));
    assert!(!render::dollars_are_references("a $$ b"));
    assert!(!render::dollars_are_references("${A B}"));
}

#[test]
fn crlf_files_stay_crlf_and_idempotent() {
    let existing = "services:\r\n  backend:\r\n    image: backend:1\r\n";
    let out = render_override(Some(existing), &spec()).unwrap();
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "a bare LF in {out:?}"
    );
    assert!(
        out.contains("services:\r\n  backend:\r\n    image: backend:1\r\n\r\n  lakekeeper:\r\n")
    );
    assert_eq!(render_override(Some(&out), &spec()).unwrap(), out);
}

#[test]
fn invalid_specs_are_refused_with_the_field_and_the_fix() {
    type Case = (&'static str, fn(&mut OverrideSpec), &'static str);
    let cases: [Case; 6] = [
        (
            "image with a dollar",
            |s| s.image = "quay.io/lakekeeper/catalog:${TAG}".to_owned(),
            "image `quay.io/lakekeeper/catalog:${TAG}` is not an image reference (letters, digits and . _ - / : @ only); use a pinned release, e.g. quay.io/lakekeeper/catalog:v0.13.3",
        ),
        (
            "image with a space",
            |s| s.image = "quay.io/x y".to_owned(),
            "image `quay.io/x y` is not an image reference (letters, digits and . _ - / : @ only); use a pinned release, e.g. quay.io/lakekeeper/catalog:v0.13.3",
        ),
        (
            "port zero",
            |s| s.host_port = 0,
            "host port `0` is not a usable port; take the port from the base URI, e.g. 8181 for http://localhost:8181",
        ),
        (
            "bad key",
            |s| s.lakekeeper_env.push("BAD-KEY".to_owned()),
            "environment key `BAD-KEY` is not a valid, unique variable name for `lakekeeper`; use each name once, made of letters, digits and _",
        ),
        (
            "duplicate key",
            |s| {
                s.migrate_env
                    .push("LAKEKEEPER__PG_ENCRYPTION_KEY".to_owned());
            },
            "environment key `LAKEKEEPER__PG_ENCRYPTION_KEY` is not a valid, unique variable name for `lakekeeper-migrate`; use each name once, made of letters, digits and _",
        ),
        (
            "no migrate keys",
            |s| s.migrate_env.clear(),
            "environment `lakekeeper-migrate` has no keys; pass at least the database keys the service needs",
        ),
    ];
    for (name, change, want) in cases {
        let mut s = spec();
        change(&mut s);
        let err = render_override(None, &s).unwrap_err();
        assert_eq!(err.to_string(), want, "{name}");
        let err = render_override(Some("services:\n  backend:\n    image: b\n"), &s).unwrap_err();
        assert_eq!(err.to_string(), want, "{name} (merge)");
    }
}

#[test]
fn override_path_follows_composes_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    assert_eq!(
        default_override_path(dir.path()),
        p("docker-compose.override.yml")
    );
    std::fs::write(p("docker-compose.override.yaml"), "").unwrap();
    assert_eq!(
        default_override_path(dir.path()),
        p("docker-compose.override.yaml")
    );
    std::fs::write(p("docker-compose.override.yml"), "").unwrap();
    assert_eq!(
        default_override_path(dir.path()),
        p("docker-compose.override.yml")
    );
    std::fs::write(p("compose.override.yaml"), "").unwrap();
    assert_eq!(
        default_override_path(dir.path()),
        p("compose.override.yaml")
    );
    std::fs::create_dir(p("compose.override.yml")).unwrap();
    assert_eq!(
        default_override_path(dir.path()),
        p("compose.override.yaml"),
        "a directory is not a file"
    );
}
