//! The objects Lakekeeper's migrations create, read from `assets/lakekeeper-objects.toml` (data
//! derived from Lakekeeper's migrations at the pinned tag and at main, with provenance; see that
//! file). Pure: the file is compiled in.

use std::collections::BTreeSet;
use std::sync::OnceLock;

/// The kinds of object, as PostgreSQL's catalogs keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `pg_class` relkind r/p.
    Table,
    /// `pg_class` relkind v/m.
    View,
    /// `pg_class` relkind S.
    Sequence,
    /// `pg_type` (enums).
    Type,
    /// `pg_proc`.
    Function,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Table,
        Kind::View,
        Kind::Sequence,
        Kind::Type,
        Kind::Function,
    ];

    /// The key in the data file.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Table => "tables",
            Kind::View => "views",
            Kind::Sequence => "sequences",
            Kind::Type => "types",
            Kind::Function => "functions",
        }
    }

    /// Singular, for messages.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::View => "view",
            Kind::Sequence => "sequence",
            Kind::Type => "type",
            Kind::Function => "function",
        }
    }
}

/// The data file, as compiled in.
pub const DATA: &str = include_str!("../../../assets/lakekeeper-objects.toml");

/// The first migration versions of Lakekeeper's `_sqlx_migrations` (`01_setup.sql` and the first
/// dated one): a `_sqlx_migrations` holding both was written by Lakekeeper.
pub const FIRST_VERSIONS: [i64; 2] = [1, 20_240_620_151_429];

/// Every name of one kind, over all sections of the data file (the pinned tag and main):
/// what `verify` looks for ([`pinned`] names fail it, [`later`] ones warn).
pub fn names(kind: Kind) -> &'static [String] {
    static ALL: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    let all = ALL.get_or_init(|| Kind::ALL.iter().map(|k| parse(DATA, *k)).collect());
    let i = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    all.get(i).map_or(&[], Vec::as_slice)
}

/// The names of `kind` the pinned image's migrations create: only these stop its
/// `lakekeeper migrate`.
pub fn pinned(kind: Kind) -> &'static [String] {
    static ALL: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let tag = meta("pinned").unwrap_or_default();
        Kind::ALL
            .iter()
            .map(|k| section_names(DATA, Some(&tag), *k))
            .collect()
    });
    let i = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    all.get(i).map_or(&[], Vec::as_slice)
}

/// Whether the pinned image creates an object named `name` (of any kind: a table's row type
/// takes the name too, so a backend table `user_type` stops `CREATE TYPE user_type`).
pub fn is_pinned(name: &str) -> bool {
    Kind::ALL
        .iter()
        .any(|k| pinned(*k).iter().any(|n| n == name))
}

/// A name that a later Lakekeeper creates and the pinned image does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Later {
    pub name: String,
    pub kind: Kind,
    /// The section's `release`: which release first creates it, or that none does yet.
    pub release: String,
}

/// Every name of a later section that the pinned image does not create, with the first
/// (earliest listed) section's release.
pub fn later() -> &'static [Later] {
    static LATER: OnceLock<Vec<Later>> = OnceLock::new();
    LATER.get_or_init(|| later_in(DATA))
}

/// [`later`] over `text` (the data file's shape), for tests.
pub fn later_in(text: &str) -> Vec<Later> {
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    let tag = doc
        .get("pinned")
        .and_then(toml_edit::Item::as_str)
        .unwrap_or_default();
    let mut out: Vec<Later> = Vec::new();
    for (section, item) in doc.iter() {
        if section == tag || !item.is_table() {
            continue;
        }
        let release = item
            .get("release")
            .and_then(toml_edit::Item::as_str)
            .unwrap_or(section)
            .to_owned();
        for kind in Kind::ALL {
            for name in section_names(text, Some(section), kind) {
                let at_tag = section_names(text, Some(tag), kind).contains(&name);
                if !at_tag && !out.iter().any(|l| l.name == name && l.kind == kind) {
                    out.push(Later {
                        name,
                        kind,
                        release: release.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The release that first creates `name`, when only a later Lakekeeper does.
pub fn later_release(name: &str) -> Option<&'static str> {
    later()
        .iter()
        .find(|l| l.name == name)
        .map(|l| l.release.as_str())
}

/// The names of `kind` in every table (section) of `text`, sorted and deduplicated.
pub fn parse(text: &str, kind: Kind) -> Vec<String> {
    section_names(text, None, kind)
}

/// The names of `kind` in one section (`Some(section)`) or all of them.
pub fn section_names(text: &str, section: Option<&str>, kind: Kind) -> Vec<String> {
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    let mut out = BTreeSet::new();
    for (name, item) in doc.iter() {
        if section.is_some_and(|s| s != name) {
            continue;
        }
        if let Some(arr) = item.get(kind.key()).and_then(toml_edit::Item::as_array) {
            out.extend(arr.iter().filter_map(|v| v.as_str().map(str::to_owned)));
        }
    }
    out.into_iter().collect()
}

/// A top-level string of the data file (`pinned`, `repository`, …).
pub fn meta(key: &str) -> Option<String> {
    let doc = DATA.parse::<toml_edit::DocumentMut>().ok()?;
    doc.get(key)?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list the shared-database issue measured on a real migration (main at 90892e9).
    const ISSUE_TABLES: &str = "_sqlx_migrations current_view_metadata_version endpoint_statistics generic_table \
        generic_table_properties grant_assignment idempotency_record namespace partition_statistics \
        project role role_assignment role_assignment_sync role_members_sync role_membership \
        schema_field secret server table table_current_schema table_default_partition_spec \
        table_default_sort_order table_encryption_keys table_metadata_log table_partition_spec \
        table_properties table_refs table_schema table_snapshot table_snapshot_log table_sort_order \
        table_statistics tabular tabular_field tag tag_allowed_value tag_definition task task_config \
        task_log users view view_properties view_representation view_schema view_version \
        view_version_log warehouse warehouse_statistics warehouse_statistics_history";
    const ISSUE_VIEWS: &str = "active_tables active_tabulars active_views";
    const ISSUE_SEQUENCES: &str =
        "table_metadata_log_sequence_number_seq table_snapshot_log_sequence_number_seq";
    const ISSUE_TYPES: &str = "api_endpoints deletion_kind entity_type grant_principal_type grant_resource_type \
        iceberg_type_kind managed_by table_format_version tabular_delete_mode tabular_type tag_source \
        tag_value_kind task_final_status task_intermediate_status user_last_updated_with user_type \
        view_format_version view_representation_type warehouse_status";
    const ISSUE_FUNCTIONS: &str = "add_time_columns concat_namespace_name_tabular_name gc_orphaned_columns \
        get_stats_date_default get_stats_interval get_stats_interval_unit \
        prohibit_updates_of_metadata_blob reject_schema_write set_updated_at \
        set_updated_at_and_increment_version trigger_updated_at trigger_updated_at_and_version_if_distinct \
        update_counts";

    #[test]
    fn the_data_is_a_superset_of_the_issues_measured_list() {
        for (kind, list, count) in [
            (Kind::Table, ISSUE_TABLES, 50),
            (Kind::View, ISSUE_VIEWS, 3),
            (Kind::Sequence, ISSUE_SEQUENCES, 2),
            (Kind::Type, ISSUE_TYPES, 19),
            (Kind::Function, ISSUE_FUNCTIONS, 13),
        ] {
            let have = names(kind);
            let want: Vec<&str> = list.split_whitespace().collect();
            assert_eq!(want.len(), count, "{kind:?}");
            let missing: Vec<&&str> = want
                .iter()
                .filter(|n| !have.iter().any(|h| h == *n))
                .collect();
            assert!(missing.is_empty(), "{kind:?} missing {missing:?}");
        }
    }

    #[test]
    fn the_pinned_tag_is_the_default_images_and_has_its_provenance() {
        let pinned = meta("pinned").expect("pinned");
        assert_eq!(
            crate::strings::DEFAULT_IMAGE
                .rsplit_once(':')
                .map(|(_, t)| t),
            Some(pinned.as_str())
        );
        assert_eq!(
            meta("repository").as_deref(),
            Some("https://github.com/lakekeeper/lakekeeper")
        );
        let doc: toml_edit::DocumentMut = DATA.parse().expect("toml");
        let section = doc.get(&pinned).expect("a section for the pinned tag");
        let commit = section
            .get("commit")
            .and_then(|c| c.as_str())
            .expect("commit");
        assert_eq!(commit.len(), 40);
        let files = section
            .get("files")
            .and_then(|f| f.as_array())
            .expect("files");
        assert!(files.len() > 60, "{}", files.len());
        assert_eq!(files.get(0).and_then(|f| f.as_str()), Some("01_setup.sql"));
    }

    #[test]
    fn the_issues_eleven_names_and_mains_two_functions_are_later_not_pinned() {
        // Issue 20, item 14: v0.13.3 creates none of these; main does, and no release has them.
        let later_names = [
            (Kind::Table, "grant_assignment"),
            (Kind::Table, "schema_field"),
            (Kind::Table, "tabular_field"),
            (Kind::Table, "tag"),
            (Kind::Table, "tag_allowed_value"),
            (Kind::Table, "tag_definition"),
            (Kind::Type, "grant_principal_type"),
            (Kind::Type, "grant_resource_type"),
            (Kind::Type, "iceberg_type_kind"),
            (Kind::Type, "tag_source"),
            (Kind::Type, "tag_value_kind"),
            (Kind::Function, "gc_orphaned_columns"),
            (Kind::Function, "reject_schema_write"),
        ];
        let later = later();
        assert_eq!(
            later
                .iter()
                .map(|l| (l.kind, l.name.as_str()))
                .collect::<BTreeSet<_>>(),
            later_names.into_iter().collect::<BTreeSet<_>>()
        );
        for (_, name) in later_names {
            assert!(!is_pinned(name), "{name}");
            assert_eq!(
                later_release(name),
                Some("no release yet: Lakekeeper's main branch after v0.13.3 (at 90892e9)")
            );
        }
        for name in [
            "users",
            "user_type",
            "set_updated_at",
            "_sqlx_migrations",
            "task_log",
        ] {
            assert!(is_pinned(name), "{name}");
            assert_eq!(later_release(name), None, "{name}");
        }
        let total: usize = Kind::ALL.iter().map(|k| names(*k).len()).sum();
        let at_tag: usize = Kind::ALL.iter().map(|k| pinned(*k).len()).sum();
        assert_eq!(total, at_tag + later.len());
    }

    #[test]
    fn a_later_section_without_a_release_is_named_by_its_section_and_the_first_wins() {
        let text = "pinned = \"v1\"\n[\"v1\"]\ntables = [\"a\"]\n\
            [\"v2\"]\nrelease = \"v2.0.0\"\ntables = [\"a\", \"b\"]\n\
            [\"main\"]\ntables = [\"a\", \"b\", \"c\"]\ntypes = [\"b\"]\n";
        let got: Vec<(String, Kind, String)> = later_in(text)
            .into_iter()
            .map(|l| (l.name, l.kind, l.release))
            .collect();
        assert_eq!(
            got,
            [
                ("b".to_owned(), Kind::Table, "v2.0.0".to_owned()),
                ("c".to_owned(), Kind::Table, "main".to_owned()),
                ("b".to_owned(), Kind::Type, "main".to_owned()),
            ]
        );
    }

    #[test]
    fn the_pinned_tag_lacks_mains_tags_and_grants() {
        // Recorded, not guessed: v0.13.3 (12bb82f) has no tag/grant migrations; main does.
        let pinned = meta("pinned").expect("pinned");
        let at_tag = section_names(DATA, Some(&pinned), Kind::Table);
        let at_main = section_names(DATA, Some("main"), Kind::Table);
        assert!(!at_tag.iter().any(|t| t == "tag"));
        assert!(at_main.iter().any(|t| t == "tag"));
        assert!(at_tag.iter().all(|t| at_main.contains(t)));
        assert_eq!(at_main.len() - at_tag.len(), 6);
    }
}
