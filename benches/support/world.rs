//! The in-process inputs of the engine bench: a complete set of answers (obviously fake
//! secrets), the validated configuration, `.env` texts of any length shaped like the team's, and
//! the wizard in every screen.

use lakekeeper_setup::model::{Answers, FieldId, Source};
use lakekeeper_setup::secret::Secret;
use lakekeeper_setup::validate::{self, Validated};
use lakekeeper_setup::wizard::{Context, Msg, PlanSummary, Step, Wizard, WrittenFile};

pub const FIXTURE_ENV: &str = include_str!("../../tests/fixtures/team-project/backend/.env");

/// Answers as a finished setup's `.env` yields them.
pub fn answers() -> Answers {
    let mut a = Answers::default();
    for (f, v) in [
        (FieldId::Tenant, "11111111-2222-3333-4444-555555555555"),
        (FieldId::Cloud, "public"),
        (FieldId::ApiClientId, "aaaaaaaa-0000-4000-8000-000000000001"),
        (FieldId::AppIdUri, "api://lakekeeper-api"),
        (
            FieldId::BackendClientId,
            "bbbbbbbb-0000-4000-8000-000000000002",
        ),
        (
            FieldId::BackendSecret,
            "fake-secret-backend-value-0123456789WXYZ",
        ),
        (FieldId::PgHost, "db.example.test"),
        (FieldId::PgPort, "5432"),
        (FieldId::PgDatabase, "lakekeeper"),
        (FieldId::PgUser, "lakekeeper"),
        (FieldId::PgPassword, "fake-secret-pg-p@ss word#5678"),
        (FieldId::PgSslMode, "require"),
        (FieldId::StorageAccount, "fakeaccount"),
        (FieldId::StorageContainer, "warehouse"),
        (FieldId::StorageKeyPrefix, "lakekeeper"),
        (FieldId::StorageAccountKey, "fake-secret-account-key-ABCD"),
        (FieldId::WarehouseName, "lakekeeper"),
        (
            FieldId::EncryptionKey,
            "fakeExistingEncryptionKey0123456789abcdefghijQRST",
        ),
    ] {
        a.set(f, v, Source::EnvFile);
    }
    a
}

pub fn validated() -> Validated {
    validate::answers(&answers()).expect("the bench's answers are valid")
}

/// The fixture's `.env` followed by user lines (comments, blank lines, `export`, quoted and
/// unquoted values) up to exactly `lines` lines.
pub fn env_text(lines: usize) -> String {
    let mut s = FIXTURE_ENV.to_owned();
    let mut n = s.lines().count();
    let mut i = 0;
    while n < lines {
        s.push_str(&match i % 8 {
            0 => format!("# --- service {i} ---\n"),
            1 => format!("SERVICE_{i}_URL=https://svc-{i}.internal.example:8443/api\n"),
            2 => format!("export SERVICE_{i}_TOKEN_TTL={}\n", i * 7),
            3 => format!("SERVICE_{i}_NAME='Service number {i} (dev)'\n"),
            4 => format!("SERVICE_{i}_JSON=\"{{\\\"id\\\": {i}}}\"\n"),
            5 => "\n".to_owned(),
            6 => format!("SERVICE_{i}_ENABLED=true # inline comment\n"),
            _ => format!("SERVICE_{i}_EMPTY=\n"),
        });
        n += 1;
        i += 1;
    }
    s
}

fn ctx() -> Context {
    Context {
        env_path: "backend/.env".into(),
        override_path: "backend/docker-compose.override.yml".into(),
        profile_path: "lakekeeper-setup.toml".into(),
        env_found: true,
        override_found: false,
        profile_found: true,
        git_status: "the .env is ignored by git (its secrets stay out of the repository)".into(),
        ..Context::default()
    }
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

/// Every screen in the states worth timing (those of the snapshot tests), with the real plan
/// of the fixture project on the review.
pub fn screens(summary: &PlanSummary) -> Vec<(&'static str, Wizard)> {
    let fresh = |a| {
        Wizard::new(
            a,
            ctx(),
            Secret::new("fakeGeneratedEncryptionKey0123456789abcdefghijKLMN"),
        )
    };
    let mut out = Vec::new();
    let mut w = fresh(answers());
    out.push(("welcome", w.clone()));
    let mut e = fresh(Answers::default());
    send(&mut e, [Msg::Enter]);
    send(&mut e, "common".chars().map(Msg::Input));
    send(&mut e, [Msg::Enter, Msg::Forward]);
    out.push(("tenant (error, blocked)", e));
    for (name, step) in [
        ("tenant", Step::Tenant),
        ("api app", Step::ApiApp),
        ("backend", Step::Backend),
        ("ui (optional)", Step::Ui),
        ("postgres", Step::Postgres),
        ("storage", Step::Storage),
        ("encryption key", Step::EncryptionKey),
    ] {
        to_step(&mut w, step);
        out.push((name, w.clone()));
    }
    to_step(&mut w, Step::Review);
    send(&mut w, [Msg::PlanReady(Ok(summary.clone()))]);
    out.push(("review", w.clone()));
    let mut scrolled = w.clone();
    send(&mut scrolled, [Msg::Forward, Msg::Forward, Msg::Forward]);
    out.push(("review (scrolled to the diff)", scrolled));
    let mut c = w.clone();
    send(&mut c, [Msg::Cancel]);
    out.push(("review (cancel asked)", c));
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
    out.push(("done", w));
    out
}
