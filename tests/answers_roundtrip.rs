//! No answer lost (issue 11 §1): for any valid set of answers, `apply` writes files from which
//! a fresh resolve — no profile, no environment — gives back the same answers. Every `FieldId`
//! is generated and compared through an exhaustive `match` (no `_` arm), so a new question
//! fails to compile here until it has a generator and a read-back comparison.
//!
//! The write is the real one (`plan` + `apply` into a temporary project), the read the one
//! every command does (`Project::load` + `answers`). Bounded: 32 cases by default
//! (`PROPTEST_CASES` overrides).

mod support;

use std::collections::BTreeMap;

use clap::Parser;
use lakekeeper_setup::check::{self, CheckInput, Severity};
use lakekeeper_setup::cli::{Cli, Paths};
use lakekeeper_setup::commands::Project;
use lakekeeper_setup::envfile::quote_value;
use lakekeeper_setup::model::{Answers, FieldId, SetupConfig, Source};
use lakekeeper_setup::validate::{self, base_uri_string};
use lakekeeper_setup::{apply, derive, plan};
use proptest::prelude::*;
use proptest::sample::select;

fn config() -> proptest::test_runner::Config {
    support::cases::proptest_config(32)
}

fn guid() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
}

/// Printable text a user may paste as a secret: quotes, `$`, `#`, `\`, spaces inside. Not
/// what no `.env` quoting can hold for every reader (`quote_value` refuses it, and `plan` with
/// it, naming the key: a refusal tested on its own).
fn secret_text(min: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("fake[!-~][ -~]{{{min},40}}[!-~]"))
        .expect("regex")
        .prop_filter("not a GUID", |s| !validate::is_guid(s))
        .prop_filter("quotable", |s| quote_value(s).is_ok())
}

/// The generator for one field's raw answer (`None` = not answered, the default applies).
/// Cross-field placeholders (`CLOUD`) are resolved by `assemble`.
fn field_strategy(f: FieldId) -> BoxedStrategy<Option<String>> {
    match f {
        FieldId::Tenant => prop_oneof![
            guid().prop_map(Some),
            "[a-z][a-z0-9-]{0,10}[a-z0-9]".prop_map(|d| Some(format!("{d}.onmicrosoft.com"))),
        ]
        .boxed(),
        FieldId::Cloud => proptest::option::of(select(&["public", "usgov", "china"][..]))
            .prop_map(|c| c.map(str::to_owned))
            .boxed(),
        FieldId::AuthorityHost => prop_oneof![
            Just(None),
            (1024u16..65535).prop_map(|p| Some(format!("http://127.0.0.1:{p}"))),
            Just(Some("CLOUD".to_owned())),
            Just(Some("CLOUD-ALT".to_owned())),
        ]
        .boxed(),
        FieldId::ApiClientId | FieldId::BackendClientId => guid().prop_map(Some).boxed(),
        FieldId::AppIdUri => prop_oneof![
            Just(None),
            "[a-z][a-z0-9-]{0,15}".prop_map(|s| Some(format!("api://{s}"))),
            "[a-z][a-z0-9-]{0,15}".prop_map(|s| Some(format!("api://{s}/"))),
            "[a-z][a-z0-9]{0,8}".prop_map(|s| Some(format!("https://{s}.example.test/lakekeeper"))),
        ]
        .boxed(),
        FieldId::BackendSecret | FieldId::StorageClientSecret => {
            secret_text(20).prop_map(Some).boxed()
        }
        FieldId::UiClientId | FieldId::StorageClientId => proptest::option::of(guid()).boxed(),
        FieldId::PgHost => prop_oneof![
            "[a-z][a-z0-9-]{0,10}".prop_map(|s| Some(format!("{s}.postgres.database.azure.com"))),
            Just(Some("127.0.0.1".to_owned())),
            Just(Some("::1".to_owned())),
            Just(Some("localhost".to_owned())),
        ]
        .boxed(),
        FieldId::PgPort => proptest::option::of((1u16..=65535).prop_map(|p| p.to_string())).boxed(),
        FieldId::PgDatabase | FieldId::PgUser => {
            "[a-z_][a-z0-9_@.$ -]{0,20}[a-z0-9]".prop_map(Some).boxed()
        }
        FieldId::PgPassword => secret_text(4).prop_map(Some).boxed(),
        FieldId::PgSchema => prop_oneof![
            Just(None),
            Just(Some("none".to_owned())),
            "[a-z][a-z0-9_]{0,20}".prop_map(Some),
        ]
        .boxed(),
        FieldId::StorageAccountKey => proptest::option::of(secret_text(4)).boxed(),
        FieldId::PgSslMode => proptest::option::of(select(
            &[
                "disable",
                "allow",
                "prefer",
                "require",
                "verify-ca",
                "verify-full",
            ][..],
        ))
        .prop_map(|m| m.map(str::to_owned))
        .boxed(),
        FieldId::StorageAccount => prop_oneof![
            3 => "[a-z0-9]{3,24}".prop_map(Some),
            // A pasted location: split into account, container and prefix by `validate`.
            1 => ("[a-z0-9]{3,24}", "[a-z0-9]{3,10}", "(/[a-z0-9._-]{1,8}){0,3}/?")
                .prop_map(|(a, c, p)| Some(format!("abfss://{c}@{a}.CLOUD-DFS{p}"))),
        ]
        .boxed(),
        FieldId::StorageContainer => "[a-z0-9]([a-z0-9]|-[a-z0-9]){2,20}".prop_map(Some).boxed(),
        FieldId::StorageKeyPrefix => prop_oneof![
            Just(None),
            Just(Some(String::new())),
            "[a-z0-9._-]{1,8}(/[a-zA-Z0-9._ -]{1,8}){0,3}".prop_map(Some),
            "/[a-z0-9]{1,8}/".prop_map(Some),
        ]
        .boxed(),
        FieldId::StorageCredential => {
            proptest::option::of(select(&["client-credentials", "shared-key"][..]))
                .prop_map(|c| c.map(str::to_owned))
                .boxed()
        }
        FieldId::WarehouseName => {
            proptest::option::of("[a-zA-Z0-9_][a-zA-Z0-9 _.-]{0,30}[a-zA-Z0-9]").boxed()
        }
        FieldId::EncryptionKey => "[A-Za-z0-9+_~.-]{32,64}".prop_map(Some).boxed(),
        FieldId::BaseUri => prop_oneof![
            Just(None),
            (1024u16..65535).prop_map(|p| Some(format!("http://localhost:{p}"))),
            "[a-z]{1,8}".prop_map(|s| Some(format!("https://{s}.example.test/lakekeeper/"))),
        ]
        .boxed(),
        FieldId::Image => prop_oneof![
            Just(None),
            (0u8..20).prop_map(|n| Some(format!("quay.io/lakekeeper/catalog:v0.{n}.3"))),
            "[0-9a-f]{64}"
                .prop_map(|d| Some(format!("registry.example.test/lakekeeper@sha256:{d}"))),
        ]
        .boxed(),
    }
}

/// One field's value as the validated configuration holds it (normalised), for the comparison.
fn answer_in(cfg: &SetupConfig, f: FieldId) -> Option<String> {
    let s = |v: &str| Some(v.to_owned());
    match f {
        FieldId::Tenant => s(cfg.tenant.as_str()),
        FieldId::Cloud => s(cfg.cloud.name()),
        FieldId::AuthorityHost => s(&cfg.authority_host),
        FieldId::ApiClientId => s(cfg.api.client_id.as_str()),
        FieldId::AppIdUri => s(&cfg.api.app_id_uri),
        FieldId::BackendClientId => s(cfg.backend.client_id.as_str()),
        FieldId::BackendSecret => s(cfg.backend.secret.expose()),
        FieldId::UiClientId => cfg.ui_client_id.as_ref().map(|c| c.as_str().to_owned()),
        FieldId::PgHost => s(&cfg.postgres.host),
        FieldId::PgPort => Some(cfg.postgres.port.to_string()),
        FieldId::PgDatabase => s(&cfg.postgres.database),
        FieldId::PgUser => s(&cfg.postgres.user),
        FieldId::PgPassword => s(cfg.postgres.password.expose()),
        FieldId::PgSslMode => s(cfg.postgres.sslmode.as_str()),
        FieldId::PgSchema => cfg.postgres.schema.clone(),
        FieldId::StorageAccount => s(&cfg.storage.account),
        FieldId::StorageContainer => s(&cfg.storage.container),
        FieldId::StorageKeyPrefix => s(&cfg.storage.key_prefix),
        FieldId::StorageAccountKey => cfg
            .storage
            .account_key
            .as_ref()
            .map(|k| k.expose().to_owned()),
        FieldId::StorageCredential => s(cfg.storage.credential.as_str()),
        FieldId::StorageClientId => cfg
            .storage
            .separate_app
            .as_ref()
            .map(|a| a.client_id.as_str().to_owned()),
        FieldId::StorageClientSecret => cfg
            .storage
            .separate_app
            .as_ref()
            .map(|a| a.secret.expose().to_owned()),
        FieldId::WarehouseName => s(&cfg.warehouse_name),
        FieldId::EncryptionKey => s(cfg.encryption_key.expose()),
        FieldId::BaseUri => Some(base_uri_string(&cfg.base_uri)),
        FieldId::Image => s(&cfg.image),
    }
}

/// Raw values → answers, with the cross-field placeholders filled so the set is valid.
fn assemble(raw: Vec<(FieldId, Option<String>)>, hint: String) -> Answers {
    let mut a = Answers::default();
    let map: BTreeMap<FieldId, Option<String>> = raw.into_iter().collect();
    let cloud = map.get(&FieldId::Cloud).cloned().flatten();
    let cloud_v = validate::cloud(cloud.as_deref().unwrap_or("public"))
        .expect("generated cloud")
        .value;
    for (f, v) in &map {
        let Some(v) = v.clone() else { continue };
        let v = match v.as_str() {
            "CLOUD" => cloud_v.authority_host().to_owned(),
            "CLOUD-ALT" if cloud_v.name() == "china" => "https://login.chinacloudapi.cn".to_owned(),
            "CLOUD-ALT" => continue,
            _ => v.replace("CLOUD-DFS", cloud_v.dfs_host()),
        };
        a.set(*f, v, Source::Wizard);
    }
    // A shared key needs the key; a separate storage app needs its secret.
    if a.get(FieldId::StorageCredential) == Some("shared-key")
        && a.get(FieldId::StorageAccountKey).is_none()
    {
        a.set(
            FieldId::StorageAccountKey,
            "fake-account-key==",
            Source::Wizard,
        );
    }
    if a.get(FieldId::StorageClientId).is_none() {
        a.remove(FieldId::StorageClientSecret);
    }
    if a.get(FieldId::Tenant)
        .is_some_and(|t| !validate::is_guid(t))
    {
        a.tenant_guid_hint = Some(hint);
    }
    a
}

fn answers() -> impl Strategy<Value = Answers> {
    let fields: Vec<BoxedStrategy<(FieldId, Option<String>)>> = FieldId::ALL
        .iter()
        .map(|&f| field_strategy(f).prop_map(move |v| (f, v)).boxed())
        .collect();
    (fields, guid()).prop_map(|(raw, hint)| assemble(raw, hint))
}

/// Writes `answers` into a fresh project with the real plan and apply, then resolves the
/// project again with no profile and no environment.
fn write_and_read_back(answers: &Answers) -> (SetupConfig, SetupConfig, String) {
    let cfg = match validate::answers(answers) {
        Ok(v) => v.config,
        Err(e) => panic!("the generator made an invalid set: {e:?}"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().display().to_string();
    let cli = Cli::parse_from(["lakekeeper-setup", "--root", root.as_str(), "apply"]);
    let paths = Paths::resolve(&cli.global, dir.path());
    let project = Project::load(&paths).expect("load the empty project");
    let p = plan::plan(&cfg, answers, &project.plan_inputs(false)).expect("plan");
    apply::apply(&p).expect("apply");
    assert!(!paths.profile.exists(), "no profile may be written");

    let fresh = Project::load(&paths).expect("load the written project");
    // What was written contradicts nothing (`check`'s errors, and its contradiction warnings).
    let override_label = paths.override_file.display().to_string();
    let findings = check::check(&CheckInput {
        env_label: ".env",
        env: &fresh.env,
        base: None,
        override_file: fresh
            .override_text
            .as_deref()
            .map(|t| (override_label.as_str(), t)),
        git_advice: None,
    });
    let contradicting = [
        "LAKEKEEPER__PG_DATABASE_URL_WRITE",
        "LAKEKEEPER__PG_DATABASE_URL_READ",
        "LAKEKEEPER__OPENID_AUDIENCE",
        "LAKEKEEPER_WAREHOUSE_LOCATION",
        "LAKEKEEPER__BASE_URI",
    ];
    for f in &findings {
        assert!(
            f.severity != Severity::Error
                && !f.key.as_deref().is_some_and(|k| contradicting.contains(&k)),
            "apply wrote a file `check` flags: {f:?}"
        );
    }
    let back = fresh.answers(&BTreeMap::new());
    let env_text = fresh.env_text.clone().unwrap_or_default();
    match validate::answers(&back) {
        Ok(v) => (cfg, v.config, env_text),
        Err(e) => panic!("what apply wrote does not validate: {e:?}\n{env_text}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_answer_comes_back_from_what_apply_wrote(a in answers()) {
        let (before, after, env_text) = write_and_read_back(&a);
        for f in FieldId::ALL {
            prop_assert_eq!(
                answer_in(&before, f),
                answer_in(&after, f),
                "{} was lost or changed; backend/.env:\n{}",
                f,
                env_text
            );
        }
        prop_assert_eq!(before, after);
    }
}

/// The repro: a pasted location, no profile, and `warehouse` must use its prefix.
#[test]
fn a_pasted_location_keeps_its_key_prefix_without_a_profile() {
    let mut a = Answers::default();
    for (f, v) in [
        (FieldId::Tenant, "11111111-2222-3333-4444-555555555555"),
        (FieldId::ApiClientId, "aaaaaaaa-0000-4000-8000-000000000001"),
        (
            FieldId::BackendClientId,
            "bbbbbbbb-0000-4000-8000-000000000002",
        ),
        (
            FieldId::BackendSecret,
            "fake1Q~notARealSecretValue-0123456789abc",
        ),
        (FieldId::PgHost, "db.example.test"),
        (FieldId::PgDatabase, "app"),
        (FieldId::PgUser, "app"),
        (FieldId::PgPassword, "fake-pg-password"),
        (
            FieldId::StorageAccount,
            "abfss://lake@teamadls2.dfs.core.windows.net/warehouse/dev",
        ),
        (
            FieldId::EncryptionKey,
            "fake-encryption-key-0123456789abcdefghij",
        ),
    ] {
        a.set(f, v, Source::Wizard);
    }
    let (before, after, env_text) = write_and_read_back(&a);
    assert_eq!(after.storage.key_prefix, "warehouse/dev");
    assert_eq!(after.storage.container, "lake");
    assert_eq!(after.storage.account, "teamadls2");
    assert!(
        env_text.contains(
            "LAKEKEEPER_WAREHOUSE_LOCATION=abfss://lake@teamadls2.dfs.core.windows.net/warehouse/dev"
        ),
        "{env_text}"
    );
    assert_eq!(
        derive::warehouse_location(&before),
        derive::warehouse_location(&after)
    );
}

/// `apply --dry-run` shows the location the review screen shows (`wizard::tests::location`),
/// and after `apply`, `warehouse --dry-run` would create the warehouse exactly there.
#[test]
fn apply_dry_run_and_warehouse_dry_run_agree_on_the_warehouse_location() {
    const PASTED: &str = "abfss://lake@teamadls2.dfs.core.windows.net/warehouse/dev";
    let p = support::project::Project::fixture();
    let env = [
        ("AZURE_STORAGE_ACCOUNT_NAME", PASTED),
        ("LAKEKEEPER__OAUTH2__TENANT_ID", support::project::TENANT),
        (
            "LAKEKEEPER__OPENID_AUDIENCE",
            "api://aaaaaaaa-0000-4000-8000-000000000001,aaaaaaaa-0000-4000-8000-000000000001",
        ),
        (
            "LAKEKEEPER__OAUTH2__CLIENT_ID",
            support::project::BACKEND_ID,
        ),
        (
            "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
            support::project::FAKE_SECRET,
        ),
    ];
    let run = |args: &[&str]| {
        let mut c = p.cmd();
        c.args(args).envs(env);
        let out = c.output().expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let dry = run(&["apply", "--dry-run", "--generate-key"]);
    let shown: Vec<&str> = dry
        .lines()
        .filter_map(|l| l.split_once("LAKEKEEPER_WAREHOUSE_LOCATION="))
        .map(|(_, v)| v.split_whitespace().next().unwrap_or_default())
        .collect();
    assert!(!shown.is_empty(), "{dry}");
    assert!(shown.iter().all(|v| *v == PASTED), "{dry}");

    run(&["apply", "--generate-key"]);
    // The warehouse is created without the environment and without a profile.
    let out = p
        .cmd()
        .args(["warehouse", "--dry-run", "--json"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let sp = &v["request"]["storage-profile"];
    let location = format!(
        "abfss://{}@{}.{}/{}",
        sp["filesystem"].as_str().expect("filesystem"),
        sp["account-name"].as_str().expect("account"),
        sp["host"].as_str().unwrap_or("dfs.core.windows.net"),
        sp["key-prefix"].as_str().expect("key-prefix"),
    );
    assert_eq!(location, PASTED, "{stdout}");
}
