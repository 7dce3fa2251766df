//! State-machine tests: given a step and a message, the state and effects that follow. No
//! terminal, no files.

use super::*;
use crate::model::Source;
use crate::plan::{ChangeKind, KeyChange};

pub(crate) const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub(crate) const API_ID: &str = "aaaaaaaa-0000-4000-8000-000000000001";
pub(crate) const BACKEND_ID: &str = "bbbbbbbb-0000-4000-8000-000000000002";
pub(crate) const BACKEND_SECRET: &str = "fake-secret-backend-value-0123456789WXYZ";
pub(crate) const PG_PASSWORD: &str = "fake-secret-pg-password-5678";
pub(crate) const ACCOUNT_KEY: &str = "fake-secret-account-key-ABCD";
pub(crate) const GENERATED_KEY: &str = "fakeGeneratedEncryptionKey0123456789abcdefghijKLMN";
pub(crate) const EXISTING_KEY: &str = "fakeExistingEncryptionKey0123456789abcdefghijQRST";

pub(crate) fn ctx() -> Context {
    Context {
        env_path: "backend/.env".into(),
        override_path: "backend/docker-compose.override.yml".into(),
        profile_path: "lakekeeper-setup.toml".into(),
        git_status: "the .env is ignored by git (its secrets stay out of the repository)".into(),
        ..Context::default()
    }
}

pub(crate) fn fresh(answers: Answers) -> Wizard {
    Wizard::new(answers, ctx(), Secret::new(GENERATED_KEY))
}

/// Answers as a finished setup's `.env` yields them.
pub(crate) fn complete() -> Answers {
    let mut a = Answers::default();
    for (f, v) in [
        (FieldId::Tenant, TENANT),
        (FieldId::Cloud, "public"),
        (FieldId::ApiClientId, API_ID),
        (FieldId::AppIdUri, "api://lakekeeper-api"),
        (FieldId::BackendClientId, BACKEND_ID),
        (FieldId::BackendSecret, BACKEND_SECRET),
        (FieldId::PgHost, "db.example.test"),
        (FieldId::PgPort, "5432"),
        (FieldId::PgDatabase, "lakekeeper"),
        (FieldId::PgUser, "lakekeeper"),
        (FieldId::PgPassword, PG_PASSWORD),
        (FieldId::PgSslMode, "require"),
        (FieldId::StorageAccount, "fakeaccount"),
        (FieldId::StorageContainer, "warehouse"),
        (FieldId::StorageKeyPrefix, "lakekeeper"),
        (FieldId::StorageAccountKey, ACCOUNT_KEY),
        (FieldId::WarehouseName, "lakekeeper"),
        (FieldId::EncryptionKey, EXISTING_KEY),
    ] {
        a.set(f, v, Source::EnvFile);
    }
    a
}

fn send(w: &mut Wizard, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    msgs.into_iter().flat_map(|m| w.update(m)).collect()
}

fn typed(s: &str) -> Vec<Msg> {
    s.chars().map(Msg::Input).collect()
}

/// Clears the focused field, types `s`, presses Enter.
fn fill(w: &mut Wizard, s: &str) -> Vec<Effect> {
    let mut m = vec![Msg::Clear];
    m.extend(typed(s));
    m.push(Msg::Enter);
    send(w, m)
}

pub(crate) fn summary(changes_anything: bool) -> PlanSummary {
    PlanSummary {
        env_path: "backend/.env".into(),
        changes: vec![KeyChange {
            key: "LAKEKEEPER__OPENID_AUDIENCE".into(),
            kind: ChangeKind::Added,
            before: None,
            after: Some(format!("api://{API_ID},{API_ID}")),
            secret: false,
            why: Some("App ID URI and client ID"),
        }],
        file_diffs: vec![("backend/docker-compose.override.yml".into(), None)],
        changes_anything,
        notes: Vec::new(),
        warnings: Vec::new(),
        secrets: Vec::new(),
    }
}

/// Walks an empty project through every step, typing each value.
pub(crate) fn walk_to_review(w: &mut Wizard) -> Vec<Effect> {
    let mut fx = send(w, [Msg::Enter]);
    assert_eq!(w.step(), Step::Tenant);
    fx.extend(fill(w, TENANT));
    fx.extend(send(w, [Msg::Enter])); // cloud: default public
    assert_eq!(w.step(), Step::ApiApp);
    fx.extend(fill(w, API_ID));
    assert_eq!(
        w.field(FieldId::AppIdUri).text,
        format!("api://{API_ID}"),
        "App ID URI defaulted from the client ID"
    );
    fx.extend(send(w, [Msg::Enter]));
    assert_eq!(w.step(), Step::Backend);
    fx.extend(fill(w, BACKEND_ID));
    fx.extend(fill(w, BACKEND_SECRET));
    assert_eq!(w.step(), Step::Ui);
    fx.extend(send(w, [Msg::Enter]));
    assert_eq!(w.step(), Step::Postgres);
    fx.extend(fill(w, "db.example.test"));
    fx.extend(send(w, [Msg::Enter])); // port 5432
    fx.extend(fill(w, "lakekeeper"));
    fx.extend(fill(w, "lakekeeper"));
    fx.extend(fill(w, PG_PASSWORD));
    fx.extend(send(w, [Msg::Enter])); // sslmode require
    fx.extend(send(w, [Msg::Enter])); // Lakekeeper's own schema: lakekeeper
    assert_eq!(w.step(), Step::Storage);
    fx.extend(fill(w, "fakeaccount"));
    fx.extend(fill(w, "warehouse"));
    fx.extend(send(w, [Msg::Enter, Msg::Enter])); // prefix, credential
    fx.extend(fill(w, ACCOUNT_KEY));
    fx.extend(send(w, [Msg::Enter, Msg::Enter, Msg::Enter])); // client id, secret, warehouse
    assert_eq!(w.step(), Step::EncryptionKey);
    assert_eq!(
        w.key().choice,
        KeyChoice::Generate,
        "generate is the default when no key exists"
    );
    fx.extend(send(w, [Msg::Enter]));
    assert_eq!(w.step(), Step::Production);
    assert_eq!(
        w.production().choice,
        ProdChoice::Skip,
        "without a [production] table the optional step is skipped by default"
    );
    fx.extend(send(w, [Msg::Enter])); // one Enter skips it
    assert_eq!(w.step(), Step::Review);
    fx
}

#[test]
fn the_whole_flow_types_every_value_computes_the_plan_and_writes() {
    let mut w = fresh(Answers::default());
    let fx = walk_to_review(&mut w);
    let Some(Effect::ComputePlan {
        answers: a,
        save_profile: false,
        production: None,
    }) = fx.last()
    else {
        panic!("no plan requested: {fx:?}")
    };
    assert_eq!(a.get(FieldId::Tenant), Some(TENANT));
    assert_eq!(
        a.get(FieldId::AppIdUri),
        None,
        "a value equal to its default is left to the default"
    );
    assert_eq!(a.get(FieldId::BackendSecret), Some(BACKEND_SECRET));
    assert_eq!(a.get(FieldId::PgHost), Some("db.example.test"));
    assert_eq!(a.get(FieldId::StorageAccountKey), Some(ACCOUNT_KEY));
    assert_eq!(a.get(FieldId::UiClientId), None);
    assert_eq!(a.get(FieldId::EncryptionKey), Some(GENERATED_KEY));
    assert_eq!(a.source(FieldId::EncryptionKey), Some(Source::Generated));
    assert_eq!(a.source(FieldId::Tenant), Some(Source::Wizard));
    let v = crate::validate::answers(a).expect("the wizard only hands over valid answers");
    assert_eq!(v.config.api.app_id_uri, format!("api://{API_ID}"));
    assert_eq!(v.config.postgres.port, 5432);
    assert_eq!(v.config.postgres.sslmode, crate::model::SslMode::Require);

    assert_eq!(
        w.update(Msg::Enter),
        vec![],
        "no write before the plan is ready"
    );
    w.update(Msg::PlanReady(Ok(summary(true))));
    assert_eq!(
        w.update(Msg::Forward),
        vec![],
        "PgDn scrolls the review, never writes"
    );
    assert!(w.scroll() > 0);
    assert_eq!(w.update(Msg::Enter), vec![Effect::Write]);
    let files = vec![WrittenFile {
        path: "backend/.env".into(),
        backup: None,
    }];
    assert_eq!(w.update(Msg::Written(Ok(files.clone()))), vec![]);
    assert_eq!(w.step(), Step::Done);
    assert_eq!(w.done(), Some(&Done::Written(files)));
    assert_eq!(w.update(Msg::Enter), vec![Effect::Exit(Outcome::Written)]);
    assert_eq!(w.phase(), Phase::Finished(Outcome::Written));
}

#[test]
fn back_is_never_blocked_and_keeps_what_was_typed() {
    let mut w = fresh(Answers::default());
    send(&mut w, [Msg::Enter]);
    fill(&mut w, TENANT);
    send(&mut w, [Msg::Enter]);
    assert_eq!(w.step(), Step::ApiApp);
    send(&mut w, typed("not-a-guid"));
    assert_eq!(w.update(Msg::Back), vec![]);
    assert_eq!(
        w.step(),
        Step::Tenant,
        "back with an invalid field still goes back"
    );
    assert_eq!(w.field(FieldId::Tenant).text, TENANT);
    send(&mut w, [Msg::Forward]);
    assert_eq!(w.step(), Step::ApiApp);
    assert_eq!(
        w.field(FieldId::ApiClientId).text,
        "not-a-guid",
        "typed text survives the round trip"
    );
}

#[test]
fn forward_is_blocked_on_an_invalid_required_field_with_the_validator_message() {
    let mut w = fresh(Answers::default());
    send(&mut w, [Msg::Enter]);
    fill(&mut w, "common");
    assert_eq!(w.step(), Step::Tenant);
    let e = w.field(FieldId::Tenant).error().expect("an error shows");
    assert!(
        field_message(e).contains("`common` is a multi-tenant alias"),
        "{}",
        field_message(e)
    );
    send(&mut w, [Msg::Forward]);
    assert_eq!(w.step(), Step::Tenant);
    assert!(
        w.blocked()
            .is_some_and(|b| b.contains("Directory (tenant) ID"))
    );

    // An empty required field blocks too, and the error clears as the value is typed.
    send(&mut w, [Msg::Clear, Msg::Enter]);
    assert!(
        w.field(FieldId::Tenant)
            .error()
            .is_some_and(|e| e.message.contains("required"))
    );
    send(&mut w, typed(TENANT));
    assert!(
        w.field(FieldId::Tenant).error().is_none(),
        "fixed value clears the error while typing"
    );
    send(&mut w, [Msg::Forward]);
    assert_eq!(w.step(), Step::ApiApp);
}

#[test]
fn the_optional_ui_step_can_be_skipped_and_drops_an_old_value() {
    let mut a = complete();
    a.set(
        FieldId::UiClientId,
        "cccccccc-0000-4000-8000-000000000003",
        Source::EnvFile,
    );
    let mut w = fresh(a);
    send(
        &mut w,
        [Msg::Enter, Msg::Forward, Msg::Forward, Msg::Forward],
    );
    assert_eq!(w.step(), Step::Ui);
    assert_eq!(
        w.field(FieldId::UiClientId).text,
        "cccccccc-0000-4000-8000-000000000003"
    );
    send(&mut w, [Msg::Skip]);
    assert_eq!(w.step(), Step::Postgres);
    assert_eq!(w.answers().get(FieldId::UiClientId), None);
    // Skip means nothing on other steps.
    send(&mut w, [Msg::Skip]);
    assert_eq!(w.step(), Step::Postgres);
}

#[test]
fn cancel_asks_once_then_leaves_without_any_write() {
    let mut w = fresh(complete());
    send(&mut w, [Msg::Enter]);
    assert_eq!(w.update(Msg::Cancel), vec![]);
    assert_eq!(w.phase(), Phase::CancelAsked);
    assert_eq!(w.update(Msg::Input('n')), vec![]);
    assert_eq!(w.phase(), Phase::Running);
    assert_eq!(w.step(), Step::Tenant, "saying no resumes where it was");
    w.update(Msg::Cancel);
    assert_eq!(
        w.update(Msg::Cancel),
        vec![Effect::Exit(Outcome::Cancelled)]
    );
    assert_eq!(w.phase(), Phase::Finished(Outcome::Cancelled));
    assert_eq!(
        w.update(Msg::Enter),
        vec![],
        "a finished wizard ignores input"
    );
}

#[test]
fn cancel_on_the_review_screen_never_writes() {
    let mut w = fresh(Answers::default());
    walk_to_review(&mut w);
    w.update(Msg::PlanReady(Ok(summary(true))));
    let fx = send(&mut w, [Msg::Cancel, Msg::Input('y')]);
    assert_eq!(fx, vec![Effect::Exit(Outcome::Cancelled)]);
}

#[test]
fn a_rerun_pressing_only_enter_hands_back_the_same_answers() {
    let start = complete();
    let mut w = fresh(start.clone());
    let mut fx = Vec::new();
    for _ in 0..40 {
        if w.step() == Step::Review {
            break;
        }
        fx.extend(w.update(Msg::Enter));
    }
    assert_eq!(w.step(), Step::Review);
    assert_eq!(
        w.key().choice,
        KeyChoice::Keep,
        "an existing key is kept by default"
    );
    let Some(Effect::ComputePlan {
        answers: a,
        save_profile: false,
        production: None,
    }) = fx.last()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(a, &start, "values and their sources are unchanged");
    w.update(Msg::PlanReady(Ok(summary(false))));
    assert_eq!(
        w.update(Msg::Enter),
        vec![],
        "nothing to write: no Write effect"
    );
    assert_eq!(w.done(), Some(&Done::UpToDate));
    assert_eq!(w.update(Msg::Enter), vec![Effect::Exit(Outcome::UpToDate)]);
}

#[test]
fn dry_run_shows_the_review_and_never_asks_to_write() {
    let mut w = Wizard::new(
        Answers::default(),
        Context {
            dry_run: true,
            ..ctx()
        },
        Secret::new(GENERATED_KEY),
    );
    walk_to_review(&mut w);
    w.update(Msg::PlanReady(Ok(summary(true))));
    assert_eq!(w.update(Msg::Enter), vec![]);
    assert_eq!(w.done(), Some(&Done::DryRun));
    assert_eq!(w.update(Msg::Enter), vec![Effect::Exit(Outcome::DryRun)]);
}

#[test]
fn a_plan_error_keeps_the_review_open_with_only_back() {
    let mut w = fresh(Answers::default());
    walk_to_review(&mut w);
    w.update(Msg::PlanReady(Err(vec![
        "backend/.env: cannot parse line 3".into(),
    ])));
    assert_eq!(w.update(Msg::Enter), vec![]);
    assert!(
        review_lines(&w)
            .iter()
            .any(|l| l.text.contains("cannot parse line 3"))
    );
    send(&mut w, [Msg::Back]);
    assert_eq!(w.step(), Step::Production);
    send(&mut w, [Msg::Back]);
    assert_eq!(w.step(), Step::EncryptionKey);
}

#[test]
fn pasted_values_are_normalised_with_a_visible_note() {
    let mut w = fresh(Answers::default());
    send(&mut w, [Msg::Enter]);
    w.update(Msg::Paste(Text::from(format!(
        "https://login.microsoftonline.com/{TENANT}/v2.0\n"
    ))));
    let st = w.field(FieldId::Tenant);
    assert_eq!(st.text, TENANT);
    let FieldStatus::Valid { notes, .. } = &st.status else {
        panic!("{:?}", st.status)
    };
    assert!(
        notes.iter().any(|n| n.contains("took the tenant ID")),
        "{notes:?}"
    );
    assert_eq!(w.step(), Step::Tenant, "a paste does not move on by itself");
    send(&mut w, [Msg::Enter]);
    assert_eq!(w.focused(), Some(FieldId::Cloud));
    let FieldStatus::Valid { notes, .. } = &w.field(FieldId::Tenant).status else {
        panic!()
    };
    assert!(
        notes.iter().any(|n| n.contains("took the tenant ID")),
        "the note survives leaving the field"
    );
}

#[test]
fn a_pasted_abfss_location_fills_account_container_and_prefix() {
    let mut w = fresh(complete());
    send(
        &mut w,
        [
            Msg::Enter,
            Msg::Forward,
            Msg::Forward,
            Msg::Forward,
            Msg::Forward,
            Msg::Forward,
        ],
    );
    assert_eq!(w.step(), Step::Storage);
    send(
        &mut w,
        [
            Msg::Clear,
            Msg::Paste("abfss://lake@OtherAcct.dfs.core.windows.net/team/wh/".into()),
        ],
    );
    assert_eq!(w.field(FieldId::StorageAccount).text, "otheracct");
    assert_eq!(w.field(FieldId::StorageContainer).text, "lake");
    assert_eq!(w.field(FieldId::StorageKeyPrefix).text, "team/wh");
    assert_eq!(w.answers().get(FieldId::StorageContainer), Some("lake"));
}

#[test]
fn secrets_are_masked_unless_revealed_while_being_edited() {
    let mut w = fresh(complete());
    send(&mut w, [Msg::Enter, Msg::Forward, Msg::Forward]);
    assert_eq!(w.step(), Step::Backend);
    assert_eq!(w.display_value(FieldId::BackendSecret), "••••WXYZ");
    send(&mut w, [Msg::NextField]);
    assert_eq!(
        w.display_value(FieldId::BackendSecret),
        "•".repeat(BACKEND_SECRET.len())
    );
    send(&mut w, [Msg::ToggleReveal]);
    assert_eq!(w.display_value(FieldId::BackendSecret), BACKEND_SECRET);
    send(&mut w, [Msg::PrevField]);
    assert!(!w.revealed(), "reveal ends when the focus leaves");
    assert_eq!(w.display_value(FieldId::BackendSecret), "••••WXYZ");
    send(&mut w, [Msg::ToggleReveal]);
    assert!(!w.revealed(), "nothing to reveal on a non-secret field");
}

#[test]
fn the_key_step_keeps_generates_or_takes_a_pasted_key_of_32_or_more() {
    let mut w = fresh(complete());
    for _ in 0..7 {
        w.update(Msg::Forward);
    }
    assert_eq!(w.step(), Step::EncryptionKey);
    assert_eq!(
        w.key().options(),
        vec![KeyChoice::Keep, KeyChoice::Generate, KeyChoice::Paste]
    );
    send(&mut w, [Msg::Right, Msg::Right, Msg::Enter]);
    assert_eq!(w.key().choice, KeyChoice::Paste);
    assert_eq!(w.focused(), Some(FieldId::EncryptionKey));
    assert!(w.key_warning().is_some(), "replacing an existing key warns");
    send(&mut w, [Msg::Paste("fake-short-key".into()), Msg::Enter]);
    assert_eq!(w.step(), Step::EncryptionKey);
    assert!(
        w.field(FieldId::EncryptionKey)
            .error()
            .is_some_and(|e| e.message.contains("minimum is 32"))
    );
    let pasted = "fake-pasted-encryption-key-0123456789";
    send(&mut w, [Msg::Clear, Msg::Paste(pasted.into()), Msg::Enter]);
    assert_eq!(w.step(), Step::Production);
    assert_eq!(w.answers().get(FieldId::EncryptionKey), Some(pasted));

    let mut w = fresh(complete());
    for _ in 0..7 {
        w.update(Msg::Forward);
    }
    send(&mut w, [Msg::ChooseKey(KeyChoice::Generate), Msg::Enter]);
    assert_eq!(w.answers().get(FieldId::EncryptionKey), Some(GENERATED_KEY));
}

#[test]
fn choice_fields_cycle_and_accept_pasted_aliases() {
    let mut w = fresh(Answers::default());
    send(&mut w, [Msg::Enter, Msg::NextField]);
    assert_eq!(w.field(FieldId::Cloud).text, "public");
    send(&mut w, [Msg::Right]);
    assert_eq!(w.field(FieldId::Cloud).text, "usgov");
    send(&mut w, [Msg::Input('x')]);
    assert_eq!(
        w.field(FieldId::Cloud).text,
        "usgov",
        "typing does not garble a choice"
    );
    send(&mut w, [Msg::Paste("AzureChinaCloud".into())]);
    assert_eq!(w.field(FieldId::Cloud).text, "china");
}

#[test]
fn line_mode_submits_replace_the_field_and_move_on() {
    let mut w = fresh(Answers::default());
    send(
        &mut w,
        [
            Msg::Submit("".into()),
            Msg::Submit(Text::from(format!("{{{}}}", TENANT.to_uppercase()))),
        ],
    );
    assert_eq!(w.field(FieldId::Tenant).text, TENANT);
    assert_eq!(w.focused(), Some(FieldId::Cloud));
    send(&mut w, [Msg::Submit("usgov".into())]);
    assert_eq!(w.step(), Step::ApiApp);
    assert_eq!(w.answers().get(FieldId::Cloud), Some("usgov"));
}

#[test]
fn keep_means_the_key_in_the_env_file_even_when_the_environment_holds_another() {
    let mut a = complete();
    a.set(FieldId::EncryptionKey, GENERATED_KEY, Source::Environment);
    let c = Context {
        env_file_key: Some(Secret::new(EXISTING_KEY)),
        ..ctx()
    };
    let mut w = Wizard::new(
        a,
        c,
        Secret::new("fake-unused-fresh-key-0123456789abcdefghij"),
    );
    for _ in 0..7 {
        w.update(Msg::Forward);
    }
    assert_eq!(w.step(), Step::EncryptionKey);
    assert_eq!(w.key().choice, KeyChoice::Keep);
    assert!(
        w.key_warning()
            .is_some_and(|m| m.contains("differs from the key in backend/.env"))
    );
    w.update(Msg::Enter);
    assert_eq!(w.step(), Step::Production);
    assert_eq!(w.answers().get(FieldId::EncryptionKey), Some(EXISTING_KEY));
    assert_eq!(
        w.answers().source(FieldId::EncryptionKey),
        Some(Source::EnvFile)
    );
}

#[test]
fn debug_output_of_the_wizard_and_its_messages_never_holds_a_secret() {
    let mut w = fresh(Answers::default());
    let fx = walk_to_review(&mut w);
    let printed = format!(
        "{w:?} {fx:?} {:?} {:?}",
        Msg::Paste(BACKEND_SECRET.into()),
        Msg::Submit(PG_PASSWORD.into())
    );
    for s in [BACKEND_SECRET, PG_PASSWORD, ACCOUNT_KEY, GENERATED_KEY] {
        assert!(!printed.contains(s), "Debug shows a secret");
    }
    assert!(printed.contains("Text(<40 chars>)"), "{printed}");
}

mod location;
pub(crate) mod picker;
mod production;
mod verify;

#[test]
fn the_welcome_screen_warns_of_a_secret_that_runs_out_and_only_then() {
    let quiet = fresh(complete());
    assert!(
        !welcome_lines(&quiet)
            .iter()
            .any(|l| l.text.contains("client secret")),
        "no line when nothing runs out"
    );
    let soon = "the backend's client secret (lakekeeper-backend, `lakekeeper-setup`) expires in 12 days (2027-03-01); `lakekeeper-setup azure rotate-secret` replaces it";
    let w = Wizard::new(
        complete(),
        Context {
            secret_expiry: vec![soon.into()],
            ..ctx()
        },
        Secret::new(GENERATED_KEY),
    );
    let lines = welcome_lines(&w);
    let warned: Vec<_> = lines
        .iter()
        .filter(|l| l.text.contains("client secret"))
        .collect();
    assert_eq!(warned.len(), 1, "{lines:?}");
    assert_eq!(warned[0].kind, LineKind::Warning);
    assert_eq!(warned[0].text, format!("  warning: {soon}"));
}

/// Issue 20, item 17: the review says where each secret came from and flags a vault value that
/// differs from `.env`, as `apply --dry-run` does.
#[test]
fn the_review_says_where_each_secret_came_from_and_flags_a_rotated_one() {
    use crate::azure::secrets::SecretOrigin;
    let mut answers = complete();
    answers.set(FieldId::BackendSecret, BACKEND_SECRET, Source::KeyVault);
    let mut w = fresh(answers);
    send(&mut w, [Msg::Enter]);
    while w.step() < Step::Review {
        send(&mut w, [Msg::Forward]);
    }
    // Before the plan: from the answers' sources.
    let text = |w: &Wizard| -> Vec<String> {
        crate::wizard::lines::review_lines(w)
            .into_iter()
            .map(|l| l.text)
            .collect()
    };
    let before = text(&w);
    assert!(
        before
            .iter()
            .any(|l| l.contains("Backend service account client secret")
                && l.ends_with("(from Key Vault)")),
        "{before:#?}"
    );
    assert!(
        before
            .iter()
            .any(|l| l.contains("PostgreSQL password") && l.ends_with("(from the existing .env)")),
        "{before:#?}"
    );
    w.update(Msg::PlanReady(Ok(PlanSummary {
        secrets: vec![SecretOrigin {
            key: "LAKEKEEPER__OAUTH2__CLIENT_SECRET",
            from: "Key Vault team-dev-kv: lakekeeper-backend-client-secret".into(),
            masked: crate::secret::mask(BACKEND_SECRET),
            rotated: true,
        }],
        ..summary(true)
    })));
    let after = text(&w);
    let at = after
        .iter()
        .position(|l| {
            l.contains("Backend service account client secret")
                && l.ends_with("(from Key Vault team-dev-kv: lakekeeper-backend-client-secret)")
        })
        .unwrap_or_else(|| panic!("{after:#?}"));
    assert_eq!(
        after[at + 1],
        "      warning: the vault's value differs from the one in .env (rotated in the vault): the vault's replaces it"
    );
    assert!(
        !after.iter().any(|l| l.contains(BACKEND_SECRET)),
        "{after:#?}"
    );
}
