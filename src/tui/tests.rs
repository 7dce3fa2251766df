//! Every screen rendered into a `TestBackend` and snapshotted with insta (plain theme, so the
//! snapshot is the text a person reads; colour is checked separately), and a scan of every
//! rendered buffer for secret values.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::{Screen, Theme};
use crate::model::{Answers, FieldId, Source};
use crate::plan::{ChangeKind, KeyChange};
use crate::verify::{CheckName, CheckResult, ProgressEvent, Status, VerifyReport};
use crate::wizard::tests::{
    ACCOUNT_KEY, BACKEND_SECRET, EXISTING_KEY, GENERATED_KEY, PG_PASSWORD, complete, fresh,
    walk_to_review,
};
use crate::wizard::{Msg, PlanSummary, Step, Wizard, WrittenFile};

const SECRETS: [&str; 5] = [
    BACKEND_SECRET,
    PG_PASSWORD,
    ACCOUNT_KEY,
    GENERATED_KEY,
    EXISTING_KEY,
];

fn render_with(w: &Wizard, width: u16, height: u16, theme: Theme) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    t.draw(|f| f.render_widget(&Screen { wizard: w, theme }, f.area()))
        .expect("draws");
    t.backend().buffer().clone()
}

fn render(w: &Wizard) -> Buffer {
    render_with(w, 100, 32, Theme { color: false })
}

fn text(b: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            s.push_str(b[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

fn snap(name: &str, w: &Wizard) -> String {
    let t = text(&render(w));
    insta::assert_snapshot!(name, t);
    t
}

fn send(w: &mut Wizard, msgs: impl IntoIterator<Item = Msg>) {
    for m in msgs {
        w.update(m);
    }
}

fn to_step(w: &mut Wizard, step: Step) {
    while w.step() < step {
        w.update(Msg::Forward);
    }
}

/// A plan as the driver summarises it (masked by `plan`), fixed so snapshots do not depend on
/// the `.env` writer's formatting.
fn plan_summary() -> PlanSummary {
    let change = |key: &str, kind, before: Option<&str>, after: Option<&str>, why| KeyChange {
        key: key.into(),
        kind,
        before: before.map(Into::into),
        after: after.map(Into::into),
        secret: key.contains("PASSWORD") || key.contains("SECRET") || key.contains("URL"),
        why,
    };
    PlanSummary {
        env_path: "backend/.env".into(),
        changes: vec![
            change("POSTGRES_HOST", ChangeKind::Changed, Some("old.example.test"), Some("db.example.test"), None),
            change("POSTGRES_PASSWORD", ChangeKind::Added, None, Some("••••5678"), None),
            change("LAKEKEEPER__OPENID_AUDIENCE", ChangeKind::Added, None, Some("api://lakekeeper-api,aaaaaaaa-0000-4000-8000-000000000001"), Some("App ID URI (aud of v1 tokens) and client ID (aud of v2 tokens), comma without spaces")),
            change("LAKEKEEPER__PG_DATABASE_URL_WRITE", ChangeKind::Added, None, Some("••••uire"), Some("built from POSTGRES_*, user and password percent-encoded, sslmode in the query")),
            change("LAKEKEEPER__OPENID_SCOPE", ChangeKind::Removed, Some("openid"), None, Some("must not be set for Entra")),
            change("POSTGRES_PORT", ChangeKind::Unchanged, Some("5432"), Some("5432"), None),
        ],
        file_diffs: vec![(
            "backend/docker-compose.override.yml".into(),
            Some("--- a (current)\n+++ a (new)\n@@ -1,2 +1,2 @@\n services:\n-  image: quay.io/lakekeeper/catalog:latest\n+  image: quay.io/lakekeeper/catalog:v0.13.3\n".into()),
        )],
        changes_anything: true,
        notes: vec!["storage.account: normalised to fakeaccount".into()],
        warnings: Vec::new(),
        secrets: Vec::new(),
    }
}

/// A plan whose client secret came from the team's vault (rotated there), the password from
/// the existing `.env`.
fn vault_origins() -> Vec<crate::azure::secrets::SecretOrigin> {
    use crate::azure::secrets::SecretOrigin;
    vec![
        SecretOrigin {
            key: "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
            from: "Key Vault team-dev-kv: lakekeeper-backend-client-secret".into(),
            masked: "••••abcd".into(),
            rotated: true,
        },
        SecretOrigin {
            key: "POSTGRES_PASSWORD",
            from: "the existing .env".into(),
            masked: "••••5678".into(),
            rotated: false,
        },
    ]
}

/// Every screen in the states worth seeing; the name is the snapshot's.
fn screens() -> Vec<(&'static str, Wizard)> {
    let mut out = Vec::new();
    let mut w = fresh(complete());
    out.push(("01_welcome", w.clone()));

    let mut e = fresh(Answers::default());
    send(&mut e, [Msg::Enter]);
    out.push(("02_tenant_empty", e.clone()));
    let mut offer = e.clone();
    send(&mut e, "common".chars().map(Msg::Input));
    send(&mut e, [Msg::Enter, Msg::Forward]);
    out.push(("02_tenant_error_blocked", e));
    // No API app yet: the step offers `azure bootstrap`.
    send(
        &mut offer,
        crate::wizard::tests::TENANT
            .chars()
            .map(Msg::Input)
            .chain([Msg::Forward]),
    );
    out.push(("03_api_app_bootstrap_offer", offer));

    to_step(&mut w, Step::ApiApp);
    out.push(("03_api_app", w.clone()));
    to_step(&mut w, Step::Backend);
    send(&mut w, [Msg::NextField]);
    out.push(("04_backend_secret_masked", w.clone()));
    to_step(&mut w, Step::Ui);
    out.push(("05_ui_optional", w.clone()));
    to_step(&mut w, Step::Postgres);
    out.push(("06_postgres", w.clone()));
    to_step(&mut w, Step::Storage);
    send(
        &mut w,
        [
            Msg::Clear,
            Msg::Paste("abfss://warehouse@FakeAccount.dfs.core.windows.net/team/".into()),
        ],
    );
    out.push(("07_storage_pasted_location", w.clone()));
    to_step(&mut w, Step::EncryptionKey);
    out.push(("08_key_keep", w.clone()));
    let mut k = w.clone();
    send(&mut k, [Msg::Right, Msg::Right, Msg::Enter]);
    send(&mut k, "fake-short".chars().map(Msg::Input));
    send(&mut k, [Msg::Enter]);
    out.push(("08_key_paste_error", k));
    to_step(&mut w, Step::Production);
    out.push(("09_production_skip", w.clone()));
    let mut refused = w.clone();
    send(&mut refused, [Msg::Right, Msg::Enter]);
    send(
        &mut refused,
        "http://lakekeeper.example.com".chars().map(Msg::Input),
    );
    send(&mut refused, [Msg::Enter]);
    out.push(("09_production_base_uri_refused", refused));
    out.push(("09_production_prefilled", production_prefilled()));
    out.push(("09_production_blocked_by_the_file", production_blocked()));
    let mut exported = production_prefilled();
    to_step(&mut exported, Step::Review);
    send(
        &mut exported,
        [
            Msg::PlanReady(Ok(plan_summary())),
            Msg::Enter,
            Msg::Written(Ok(vec![WrittenFile {
                path: "lakekeeper-setup.toml".into(),
                backup: None,
            }])),
        ],
    );
    out.push(("10_done_production_export_offered", exported));
    to_step(&mut w, Step::Review);
    // Issue 20, item 17: each secret says where it came from; a rotated one is flagged.
    let mut from_vault = w.clone();
    send(&mut w, [Msg::PlanReady(Ok(plan_summary()))]);
    out.push(("09_review", w.clone()));
    send(
        &mut from_vault,
        [Msg::PlanReady(Ok(PlanSummary {
            secrets: vault_origins(),
            ..plan_summary()
        }))],
    );
    out.push(("09_review_secrets_say_where_they_came_from", from_vault));
    let mut scrolled = w.clone();
    send(&mut scrolled, [Msg::Forward, Msg::Forward, Msg::Forward]);
    out.push(("09_review_scrolled_to_the_diff", scrolled));
    let mut c = w.clone();
    send(&mut c, [Msg::Cancel]);
    out.push(("09_review_cancel_asked", c));
    send(&mut w, [Msg::Enter]);
    send(
        &mut w,
        [Msg::Written(Ok(vec![
            WrittenFile {
                path: "backend/.env".into(),
                backup: Some("backend/.env.bak.20261127T073000Z".into()),
            },
            WrittenFile {
                path: "backend/docker-compose.override.yml".into(),
                backup: None,
            },
        ]))],
    );
    out.push(("10_done", w.clone()));
    // The live checks: some running, one failed with its fix, then the whole report.
    send(&mut w, [Msg::Input('v')]);
    send(
        &mut w,
        [
            Msg::VerifyProgress(ProgressEvent::Started(CheckName::OidcDiscovery)),
            Msg::VerifyProgress(ProgressEvent::Started(CheckName::Postgres)),
            Msg::VerifyProgress(ProgressEvent::Finished(check(
                CheckName::Shadowing,
                Status::Ok,
            ))),
            Msg::VerifyProgress(ProgressEvent::Finished(check(
                CheckName::Postgres,
                Status::Failed,
            ))),
        ],
    );
    out.push(("10_done_checks_running", w.clone()));
    let report = VerifyReport {
        checks: CheckName::ALL
            .into_iter()
            .map(|n| {
                let status = match n {
                    CheckName::Shadowing => Status::Ok,
                    CheckName::Lakekeeper => Status::Warning,
                    CheckName::TokenClaims => Status::Skipped,
                    _ => Status::Failed,
                };
                check(n, status)
            })
            .collect(),
    };
    send(&mut w, [Msg::VerifyDone(Ok(report))]);
    out.push(("10_done_checks_finished", w));
    out
}

/// The Production step opened on a profile with a `[production]` table, changing it: every
/// question pre-filled, the focus on the ingress class.
fn production_prefilled() -> Wizard {
    let table = [
        ("base_uri", "https://lakekeeper.example.com"),
        ("replicas", "3"),
        ("ingress_host", "lakekeeper.example.com"),
        ("ingress_class", "webapprouting.kubernetes.azure.com"),
        ("tls_secret", "lakekeeper-tls"),
        ("postgres_host", "prod-pg.postgres.database.azure.com"),
        // What `azure bootstrap --production` records (export helm needs them).
        ("api_client_id", "eeeeeeee-0000-4000-8000-000000000011"),
        ("api_app_id_uri", "api://lakekeeper-prod.example.com"),
        (
            "lakekeeper_identity_client_id",
            "eeeeeeee-0000-4000-8000-000000000012",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let mut w = Wizard::new(
        complete(),
        crate::wizard::Context {
            production: Some(table),
            ..crate::wizard::tests::ctx()
        },
        crate::secret::Secret::new(GENERATED_KEY),
    );
    to_step(&mut w, Step::Production);
    send(&mut w, [Msg::Right, Msg::Enter]);
    for _ in 0..5 {
        send(&mut w, [Msg::Enter]);
    }
    w
}

/// The Production step on a profile naming a vault whose `[secrets]` lacks the secret names
/// and whose `replicas` has the wrong type: the problems above the choice, the identity asked,
/// and, pressed through, the focus back on the choice with what only the file can fix.
fn production_blocked() -> Wizard {
    let profile = "[secrets]\nvault = \"https://team-kv.vault.azure.net\"\n\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\nreplicas = 3.0\n";
    let mut w = Wizard::new(
        complete(),
        crate::wizard::Context {
            ..crate::commands::wizard::production_start(Some(profile))
        },
        crate::secret::Secret::new(GENERATED_KEY),
    );
    to_step(&mut w, Step::Production);
    send(&mut w, [Msg::Right, Msg::Enter]);
    for _ in 0..9 {
        send(&mut w, [Msg::Enter]);
    }
    send(
        &mut w,
        "dddddddd-0000-4000-8000-000000000004"
            .chars()
            .map(Msg::Input),
    );
    send(&mut w, [Msg::Enter]);
    assert_eq!(w.focused_production(), None, "{:?}", w.blocked());
    w
}

/// A result as the checks word them against refusing loopback ports.
fn check(name: CheckName, status: Status) -> CheckResult {
    let r = CheckResult::new(
        name,
        status,
        match status {
            Status::Ok => "no shell variable overrides backend/.env".to_owned(),
            Status::Skipped => "needs the token, which failed".to_owned(),
            _ => format!(
                "{}: cannot reach 127.0.0.1:9 (connection refused)",
                name.as_str()
            ),
        },
    );
    if status == Status::Failed {
        r.with_fix(format!(
            "start the service or fix its address for {}",
            name.as_str()
        ))
    } else {
        r
    }
}

#[test]
fn every_screen_matches_its_snapshot() {
    for (name, w) in screens() {
        snap(name, &w);
    }
}

#[test]
fn no_secret_appears_in_any_rendered_buffer() {
    let mut all = screens();
    // Also the empty-project flow, where the generated key is offered.
    let mut e = fresh(Answers::default());
    walk_to_review(&mut e);
    all.push(("fresh_review", e));
    for (name, w) in &all {
        for (width, height) in [(100, 32), (80, 24), (200, 60)] {
            let t = text(&render_with(w, width, height, Theme { color: true }));
            for s in SECRETS {
                assert!(
                    !t.contains(s),
                    "{name} at {width}x{height} shows a secret:\n{t}"
                );
                // A secret's head would be as bad as the whole.
                assert!(
                    !t.contains(&s[..12]),
                    "{name} shows the start of a secret:\n{t}"
                );
            }
        }
    }
}

#[test]
fn the_reveal_key_shows_only_the_field_being_edited() {
    let mut w = fresh(complete());
    to_step(&mut w, Step::Backend);
    send(&mut w, [Msg::NextField, Msg::ToggleReveal]);
    let t = text(&render(&w));
    assert!(t.contains(BACKEND_SECRET), "revealed while edited:\n{t}");
    send(&mut w, [Msg::PrevField]);
    assert!(
        !text(&render(&w)).contains(BACKEND_SECRET),
        "hidden again once the focus leaves"
    );
}

#[test]
fn a_small_window_says_how_big_it_must_be() {
    let w = fresh(complete());
    let t = text(&render_with(&w, 60, 20, Theme { color: false }));
    assert!(t.contains("needs at least 80×24"), "{t}");
}

#[test]
fn no_color_renders_without_any_colour_but_keeps_the_markers() {
    let mut e = fresh(Answers::default());
    send(&mut e, [Msg::Enter]);
    send(&mut e, "common".chars().map(Msg::Input));
    send(&mut e, [Msg::Enter]);
    let plain = render_with(&e, 100, 32, Theme { color: false });
    assert!(
        plain
            .content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "NO_COLOR: no colour at all"
    );
    let t = text(&plain);
    assert!(
        t.contains("▸ Directory (tenant) ID") && t.contains("✗ `common`"),
        "{t}"
    );
    let coloured = render_with(&e, 100, 32, Theme { color: true });
    assert!(
        coloured.content().iter().any(|c| c.fg == Color::Red),
        "errors are red with colour on"
    );
}

#[test]
fn the_answers_read_back_from_the_source_they_came_from() {
    // Pre-fill shows environment-provided values (highest precedence) in the field.
    let mut a = complete();
    a.set(
        FieldId::PgHost,
        "from-env.example.test",
        Source::Environment,
    );
    let mut w = fresh(a);
    to_step(&mut w, Step::Postgres);
    assert!(text(&render(&w)).contains("from-env.example.test"));
}

#[test]
fn only_key_presses_count_and_keys_map_to_messages() {
    use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
    let key = |code, mods, kind| Event::Key(KeyEvent::new_with_kind(code, mods, kind));
    let mut w = fresh(complete());
    let none = KeyModifiers::NONE;
    let press = |c| key(c, none, KeyEventKind::Press);
    assert_eq!(
        super::keys::map(&key(KeyCode::Char('a'), none, KeyEventKind::Release), &w),
        None
    );
    assert_eq!(
        super::keys::map(&key(KeyCode::Char('a'), none, KeyEventKind::Repeat), &w),
        None
    );
    assert_eq!(
        super::keys::map(&press(KeyCode::Char('a')), &w),
        Some(Msg::Input('a'))
    );
    assert_eq!(
        super::keys::map(
            &key(
                KeyCode::Char('c'),
                KeyModifiers::CONTROL,
                KeyEventKind::Press
            ),
            &w
        ),
        Some(Msg::Cancel)
    );
    assert_eq!(
        super::keys::map(
            &key(
                KeyCode::Char('o'),
                KeyModifiers::CONTROL,
                KeyEventKind::Press
            ),
            &w
        ),
        Some(Msg::Bootstrap)
    );
    assert_eq!(
        super::keys::map(
            &key(
                KeyCode::Char('r'),
                KeyModifiers::CONTROL,
                KeyEventKind::Press
            ),
            &w
        ),
        Some(Msg::ToggleReveal)
    );
    assert_eq!(
        super::keys::map(&press(KeyCode::PageUp), &w),
        Some(Msg::Back)
    );
    assert_eq!(
        super::keys::map(&press(KeyCode::BackTab), &w),
        Some(Msg::PrevField)
    );
    assert_eq!(
        super::keys::map(&Event::Paste("x y".into()), &w),
        Some(Msg::Paste("x y".into()))
    );
    assert_eq!(super::keys::map(&Event::Resize(90, 30), &w), None);
    w.update(Msg::Cancel);
    assert_eq!(
        super::keys::map(&press(KeyCode::Char('n')), &w),
        Some(Msg::Resume)
    );
    assert_eq!(
        super::keys::map(&press(KeyCode::Esc), &w),
        Some(Msg::Cancel)
    );
}

mod picker;
