//! The Azure picker in the state machine: a key on a field that names an Azure object asks the
//! driver for a list; the list filters, moves and chooses; choosing fills fields through the
//! usual validators; greyed rows are refused; Esc changes nothing; a storage account leads to
//! its containers; "assist off" is one line and nothing else changes.

use super::*;
use crate::azure::pick::{Choice, ListError, ListKind};

pub(crate) const TENANT_B: &str = "22222222-3333-4444-5555-666666666666";
pub(crate) const ACCOUNT_ID: &str = "/subscriptions/00000000-0000-4000-8000-00000000000a/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/teamlake";

pub(crate) fn row(label: &str, detail: &str, fills: &[(FieldId, &str)]) -> Choice {
    Choice {
        label: label.into(),
        detail: detail.into(),
        unavailable: None,
        fills: fills.iter().map(|(f, v)| (*f, (*v).to_owned())).collect(),
        accepts: Vec::new(),
        next: None,
    }
}

pub(crate) fn tenants() -> Vec<Choice> {
    vec![
        row(
            "Contoso",
            &format!("contoso.onmicrosoft.com · {TENANT}"),
            &[(FieldId::Tenant, TENANT)],
        ),
        row(
            "Fabrikam",
            &format!("fabrikam.onmicrosoft.com · {TENANT_B}"),
            &[(FieldId::Tenant, TENANT_B)],
        ),
    ]
}

pub(crate) fn accounts() -> Vec<Choice> {
    let mut classic = row(
        "oldblobs",
        "rg-legacy · westeurope",
        &[(FieldId::StorageAccount, "oldblobs")],
    );
    classic.unavailable = Some("no hierarchical namespace (not ADLS Gen2)".into());
    let mut lake = row(
        "teamlake",
        "rg-data · westeurope · ADLS Gen2",
        &[(FieldId::StorageAccount, "TeamLake")],
    );
    lake.next = Some(containers_kind());
    vec![classic, lake]
}

pub(crate) fn containers_kind() -> ListKind {
    ListKind::Container {
        account_id: ACCOUNT_ID.into(),
    }
}

pub(crate) fn containers() -> Vec<Choice> {
    vec![
        row(
            "raw",
            "last modified 2026-11-02",
            &[(FieldId::StorageContainer, "raw")],
        ),
        row(
            "warehouse",
            "last modified 2026-11-20",
            &[(FieldId::StorageContainer, "warehouse")],
        ),
    ]
}

/// A wizard on `step` of an empty project (every earlier step filled).
fn at(step: Step) -> Wizard {
    let mut w = fresh(complete());
    send(&mut w, [Msg::Enter]);
    while w.step() < step {
        send(&mut w, [Msg::Forward]);
    }
    assert_eq!(w.step(), step);
    w
}

fn loaded(w: &Wizard) -> &PickList {
    match w.picker().map(|p| &p.state) {
        Some(PickerState::Loaded(l)) => l,
        other => panic!("no loaded list: {other:?}"),
    }
}

#[test]
fn the_pick_key_on_a_field_naming_an_azure_object_asks_the_driver_for_its_list() {
    let mut w = at(Step::Tenant);
    assert!(w.can_pick());
    assert_eq!(w.update(Msg::Pick), vec![Effect::Fetch(ListKind::Tenant)]);
    let p = w.picker().expect("open");
    assert_eq!(p.kind, ListKind::Tenant);
    assert_eq!(p.state, PickerState::Loading { frame: 0 });
    // Time passing advances only the spinner.
    send(&mut w, [Msg::Tick, Msg::Tick]);
    assert_eq!(
        w.picker().map(|p| &p.state),
        Some(&PickerState::Loading { frame: 2 })
    );

    // The cloud is a fixed choice, nothing to list.
    let mut w = at(Step::Tenant);
    send(&mut w, [Msg::NextField]);
    assert_eq!(w.focused(), Some(FieldId::Cloud));
    assert!(!w.can_pick());
    assert_eq!(w.update(Msg::Pick), vec![]);
    assert!(w.picker().is_none());

    for (step, field, kind) in [
        (Step::ApiApp, 0, ListKind::ApiApp),
        (Step::ApiApp, 1, ListKind::ApiApp),
        (Step::Backend, 0, ListKind::BackendApp),
        (Step::Ui, 0, ListKind::UiApp),
        (Step::Postgres, 0, ListKind::PostgresServer),
        (Step::Storage, 0, ListKind::StorageAccount),
    ] {
        let mut w = at(step);
        for _ in 0..field {
            send(&mut w, [Msg::NextField]);
        }
        assert_eq!(
            w.update(Msg::Pick),
            vec![Effect::Fetch(kind)],
            "{step:?} row {field}"
        );
    }
    // Secrets are never picked.
    let mut w = at(Step::Backend);
    send(&mut w, [Msg::NextField]);
    assert_eq!(w.update(Msg::Pick), vec![]);
}

#[test]
fn typing_filters_arrows_move_and_enter_fills_the_field_through_its_validator() {
    let mut w = at(Step::Tenant);
    send(
        &mut w,
        [Msg::Pick, Msg::Listed(ListKind::Tenant, Ok(tenants()))],
    );
    let l = loaded(&w);
    assert_eq!(l.visible(), vec![0, 1]);
    assert_eq!(l.highlighted(), Some(0), "the row the field already holds");

    send(&mut w, "FAB".chars().map(Msg::Input));
    assert_eq!(loaded(&w).filter, "FAB");
    assert_eq!(
        loaded(&w).visible(),
        vec![1],
        "case-insensitive, label or detail"
    );
    send(&mut w, [Msg::Backspace, Msg::Backspace, Msg::Backspace]);
    send(&mut w, "onmicrosoft 6666".chars().map(Msg::Input));
    assert_eq!(loaded(&w).visible(), vec![1], "every word must match");
    send(&mut w, [Msg::Clear, Msg::NextField, Msg::NextField]);
    assert_eq!(loaded(&w).highlighted(), Some(1), "stops at the last row");
    send(&mut w, [Msg::PrevField, Msg::NextField]);

    assert_eq!(w.update(Msg::Enter), vec![]);
    assert!(w.picker().is_none(), "closed after choosing");
    assert_eq!(w.field(FieldId::Tenant).text, TENANT_B);
    assert!(matches!(
        w.field(FieldId::Tenant).status,
        FieldStatus::Valid { .. }
    ));
    assert_eq!(w.answers().get(FieldId::Tenant), Some(TENANT_B));
    assert_eq!(w.answers().source(FieldId::Tenant), Some(Source::Wizard));
    assert_eq!(w.step(), Step::Tenant, "the user still accepts with Enter");
    assert_eq!(w.focused(), Some(FieldId::Tenant));
}

#[test]
fn picking_the_api_app_fills_its_client_id_and_app_id_uri() {
    let mut w = at(Step::ApiApp);
    let app = row(
        "Lakekeeper API (dev)",
        &format!("{API_ID} · api://lakekeeper-dev"),
        &[
            (FieldId::ApiClientId, API_ID),
            (FieldId::AppIdUri, "api://lakekeeper-dev"),
        ],
    );
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::ApiApp, Ok(vec![app])),
            Msg::Enter,
        ],
    );
    assert_eq!(w.answers().get(FieldId::ApiClientId), Some(API_ID));
    assert_eq!(
        w.answers().get(FieldId::AppIdUri),
        Some("api://lakekeeper-dev")
    );
    assert_eq!(w.field(FieldId::AppIdUri).text, "api://lakekeeper-dev");
}

#[test]
fn a_picked_value_is_normalised_and_checked_like_a_typed_one() {
    let mut w = at(Step::Postgres);
    let srv = row(
        "pg-team",
        "PG-Team.Postgres.Database.Azure.com · 16 · Ready",
        &[
            (FieldId::PgHost, "PG-Team.Postgres.Database.Azure.com"),
            (FieldId::PgPort, "5432"),
        ],
    );
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::PostgresServer, Ok(vec![srv])),
            Msg::Enter,
        ],
    );
    assert_eq!(
        w.field(FieldId::PgHost).text,
        "pg-team.postgres.database.azure.com",
        "the host normaliser ran"
    );
    assert_eq!(
        w.answers().get(FieldId::PgHost),
        Some("pg-team.postgres.database.azure.com")
    );

    // A value the validator refuses shows its error under the field, as if typed.
    let mut w = at(Step::Tenant);
    let bad = row("Multi-tenant", "common", &[(FieldId::Tenant, "common")]);
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::Tenant, Ok(vec![bad])),
            Msg::Enter,
        ],
    );
    let e = w.field(FieldId::Tenant).error().expect("refused");
    assert!(
        field_message(e).contains("`common`"),
        "{}",
        field_message(e)
    );
    assert_eq!(
        w.answers().get(FieldId::Tenant),
        Some(TENANT),
        "the answer is unchanged"
    );
}

#[test]
fn a_greyed_row_is_refused_with_why_and_changes_nothing() {
    let mut w = at(Step::Storage);
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::StorageAccount, Ok(accounts())),
        ],
    );
    assert_eq!(
        loaded(&w).highlighted(),
        Some(1),
        "the first row that can be chosen"
    );
    send(&mut w, [Msg::PrevField]);
    assert_eq!(w.update(Msg::Enter), vec![]);
    assert_eq!(
        loaded(&w).refused.as_deref(),
        Some("oldblobs can't be chosen: no hierarchical namespace (not ADLS Gen2)")
    );
    assert_eq!(w.update(Msg::Choose(0)), vec![], "by index too (line mode)");
    assert!(loaded(&w).refused.is_some());
    assert_eq!(w.field(FieldId::StorageAccount).text, "fakeaccount");
    send(&mut w, [Msg::NextField]);
    assert_eq!(loaded(&w).refused, None, "moving clears the refusal");
}

#[test]
fn esc_closes_without_change_and_a_late_list_is_dropped() {
    let mut w = at(Step::Tenant);
    send(&mut w, [Msg::Pick, Msg::Cancel]);
    assert!(w.picker().is_none());
    assert_eq!(
        w.phase(),
        Phase::Running,
        "Esc closed the picker, it did not ask to leave"
    );
    send(&mut w, [Msg::Listed(ListKind::Tenant, Ok(tenants()))]);
    assert!(w.picker().is_none(), "the late list does not reopen it");
    assert_eq!(w.field(FieldId::Tenant).text, TENANT);

    send(
        &mut w,
        [Msg::Pick, Msg::Listed(ListKind::Tenant, Ok(tenants()))],
    );
    send(&mut w, [Msg::NextField, Msg::Cancel]);
    assert!(w.picker().is_none());
    assert_eq!(w.field(FieldId::Tenant).text, TENANT, "nothing chosen");

    // A list of another kind than the one awaited is ignored.
    send(
        &mut w,
        [Msg::Pick, Msg::Listed(ListKind::UiApp, Ok(tenants()))],
    );
    assert!(matches!(
        w.picker().map(|p| &p.state),
        Some(PickerState::Loading { .. })
    ));
    // The next Esc after closing asks to leave, as before.
    send(&mut w, [Msg::Cancel, Msg::Cancel]);
    assert_eq!(w.phase(), Phase::CancelAsked);
}

#[test]
fn a_storage_account_leads_to_its_containers() {
    let mut w = at(Step::Storage);
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::StorageAccount, Ok(accounts())),
        ],
    );
    assert_eq!(w.update(Msg::Enter), vec![Effect::Fetch(containers_kind())]);
    assert_eq!(
        w.field(FieldId::StorageAccount).text,
        "teamlake",
        "normalised"
    );
    assert_eq!(w.focused(), Some(FieldId::StorageContainer));
    let p = w.picker().expect("the containers come next");
    assert_eq!(
        (p.field, &p.kind),
        (FieldId::StorageContainer, &containers_kind())
    );
    // The account list answering again (a stale reply) does not replace the containers.
    send(
        &mut w,
        [Msg::Listed(ListKind::StorageAccount, Ok(accounts()))],
    );
    assert!(matches!(
        w.picker().map(|p| &p.state),
        Some(PickerState::Loading { .. })
    ));
    send(&mut w, [Msg::Listed(containers_kind(), Ok(containers()))]);
    send(&mut w, "ware".chars().map(Msg::Input));
    assert_eq!(w.update(Msg::Enter), vec![]);
    assert!(w.picker().is_none());
    assert_eq!(w.answers().get(FieldId::StorageAccount), Some("teamlake"));
    assert_eq!(
        w.answers().get(FieldId::StorageContainer),
        Some("warehouse")
    );

    // The container field again: the picked account's containers, directly.
    assert_eq!(w.update(Msg::Pick), vec![Effect::Fetch(containers_kind())]);
}

#[test]
fn the_container_field_with_a_typed_account_lists_the_accounts_first_filtered_to_it() {
    let mut w = at(Step::Storage);
    send(&mut w, [Msg::Clear]);
    send(&mut w, "teamlake".chars().map(Msg::Input));
    send(&mut w, [Msg::Enter]);
    assert_eq!(w.focused(), Some(FieldId::StorageContainer));
    assert_eq!(
        w.update(Msg::Pick),
        vec![Effect::Fetch(ListKind::StorageAccount)]
    );
    send(
        &mut w,
        [Msg::Listed(ListKind::StorageAccount, Ok(accounts()))],
    );
    let l = loaded(&w);
    assert_eq!(l.filter, "teamlake");
    assert_eq!(l.visible(), vec![1]);
    assert_eq!(w.update(Msg::Enter), vec![Effect::Fetch(containers_kind())]);
}

#[test]
fn assist_off_is_one_line_and_everything_else_works_as_before() {
    let how = "Azure assist off: the Azure CLI (`az`) is not installed or not on PATH; install it and run `az login`";
    let mut w = at(Step::Tenant);
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::Tenant, Err(ListError::AssistOff(how.into()))),
        ],
    );
    assert!(w.picker().is_none(), "no error box: the picker just closes");
    assert_eq!(w.assist_off(), Some(how));
    assert_eq!(w.blocked(), None);
    // The wizard goes on as without the assist.
    send(&mut w, [Msg::Enter, Msg::Enter]);
    assert_eq!(w.step(), Step::ApiApp);
    // Trying again asks again (the user may have signed in meanwhile); a list clears the line.
    assert_eq!(w.update(Msg::Pick), vec![Effect::Fetch(ListKind::ApiApp)]);
    send(&mut w, [Msg::Listed(ListKind::ApiApp, Ok(Vec::new()))]);
    assert_eq!(w.assist_off(), None);

    // The driver may know it before any list.
    let mut w = at(Step::Tenant);
    send(&mut w, [Msg::AssistOff(how.into())]);
    assert_eq!(w.assist_off(), Some(how));
}

#[test]
fn a_failed_list_says_why_retries_on_the_key_and_closes_on_enter() {
    let why = "you may not list app registrations: ask for the Application.Read.All permission or the directory setting 'Users can register applications'";
    let mut w = at(Step::Backend);
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::BackendApp, Err(ListError::Forbidden(why.into()))),
        ],
    );
    assert_eq!(
        w.picker().map(|p| &p.state),
        Some(&PickerState::Failed(ListError::Forbidden(why.into())))
    );
    assert_eq!(
        w.update(Msg::Pick),
        vec![Effect::Fetch(ListKind::BackendApp)],
        "tries again"
    );
    send(
        &mut w,
        [Msg::Listed(
            ListKind::BackendApp,
            Err(ListError::Failed("timeout".into())),
        )],
    );
    send(&mut w, [Msg::Input('x'), Msg::Enter]);
    assert!(w.picker().is_none());
    assert_eq!(
        w.field(FieldId::BackendClientId).text,
        BACKEND_ID,
        "typing went nowhere"
    );
}

#[test]
fn without_an_api_app_the_step_offers_bootstrap_and_not_once_the_assist_is_off() {
    // An empty project on the API app step: the offer, with the command to run.
    let mut e = fresh(Answers::default());
    send(&mut e, [Msg::Enter]);
    send(&mut e, typed(TENANT));
    send(&mut e, [Msg::Forward]);
    assert_eq!(e.step(), Step::ApiApp);
    let offer = e.bootstrap_offer().expect("offered");
    assert!(
        offer.contains("`lakekeeper-setup azure bootstrap`"),
        "{offer}"
    );
    assert_eq!(offer, crate::strings::BOOTSTRAP_OFFER);
    // Not on other steps; gone once a client ID is there.
    let mut filled = e.clone();
    send(&mut filled, typed(API_ID));
    assert_eq!(filled.bootstrap_offer(), None);
    assert_eq!(at(Step::Tenant).bootstrap_offer(), None);
    assert_eq!(at(Step::ApiApp).bootstrap_offer(), None, "the app is known");
    // With the assist off there is no `az` to bootstrap with.
    send(
        &mut e,
        [Msg::AssistOff("Azure assist off: az not found".into())],
    );
    assert_eq!(e.bootstrap_offer(), None);
}

#[test]
fn a_client_id_the_list_does_not_hold_or_an_empty_list_offers_bootstrap() {
    let other = row(
        "Someone else's app",
        "dddddddd-0000-4000-8000-000000000009",
        &[(
            FieldId::BackendClientId,
            "dddddddd-0000-4000-8000-000000000009",
        )],
    );
    // The backend step holds BACKEND_ID; the tenant's list does not.
    let mut w = at(Step::Backend);
    assert_eq!(w.bootstrap_offer(), None);
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::BackendApp, Ok(vec![other.clone()])),
            Msg::Cancel,
        ],
    );
    assert!(w.picker().is_none());
    assert_eq!(
        w.bootstrap_offer(),
        Some(crate::strings::bootstrap_offer_unknown(BACKEND_ID))
    );
    // Choosing an app that exists ends the offer.
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::BackendApp, Ok(vec![other.clone()])),
            Msg::Enter,
        ],
    );
    assert_eq!(
        w.field(FieldId::BackendClientId).text,
        "dddddddd-0000-4000-8000-000000000009"
    );
    assert_eq!(w.bootstrap_offer(), None);
    // A list holding the ID: no offer.
    let mut w = at(Step::Backend);
    let ours = row(
        "lakekeeper-backend",
        BACKEND_ID,
        &[(FieldId::BackendClientId, BACKEND_ID)],
    );
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::BackendApp, Ok(vec![ours])),
            Msg::Cancel,
        ],
    );
    assert_eq!(w.bootstrap_offer(), None);
    // No app at all in the tenant, and the field empty.
    let mut w = at(Step::ApiApp);
    send(&mut w, [Msg::Clear]);
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::ApiApp, Ok(vec![])),
            Msg::Cancel,
        ],
    );
    assert_eq!(
        w.bootstrap_offer(),
        Some(crate::strings::bootstrap_offer_none())
    );
    // Another step's list says nothing about apps.
    assert_eq!(at(Step::Postgres).bootstrap_offer(), None);
}

#[test]
fn taking_the_bootstrap_offer_leaves_without_writing_and_only_while_it_is_offered() {
    let mut e = fresh(Answers::default());
    send(&mut e, [Msg::Enter]);
    send(&mut e, typed(TENANT));
    send(&mut e, [Msg::Forward]);
    assert_eq!(e.step(), Step::ApiApp);
    assert!(e.bootstrap_offer().is_some());
    // Only an empty field so far: line mode does not ask (Azure has not answered).
    assert!(!e.bootstrap_offer_from_azure());
    // With a client ID there is no offer, and the key does nothing.
    let mut filled = e.clone();
    send(&mut filled, typed(API_ID));
    assert!(filled.update(Msg::Bootstrap).is_empty());
    assert!(!filled.bootstrap_requested());
    assert_eq!(filled.phase(), Phase::Running);
    // Azure lists no app: the offer is Azure's own, and line mode asks about it.
    send(
        &mut e,
        [
            Msg::Pick,
            Msg::Listed(ListKind::ApiApp, Ok(Vec::new())),
            Msg::Cancel,
        ],
    );
    assert!(e.picker().is_none());
    assert!(e.bootstrap_offer_from_azure());
    // Taken: the wizard leaves at once, nothing written, with the request for the driver.
    assert_eq!(
        e.update(Msg::Bootstrap),
        vec![Effect::Exit(Outcome::Cancelled)]
    );
    assert!(e.bootstrap_requested());
    assert_eq!(e.phase(), Phase::Finished(Outcome::Cancelled));
    assert_eq!(e.field(FieldId::Tenant).text, TENANT, "the tenant is kept");
}

/// Issue 20, item 16: the `.env`'s old `api://lakekeeper` is not among the API app's
/// identifier URIs; when Graph lists the app, the wizard fills in the app's own with a note.
#[test]
fn a_stale_app_id_uri_is_replaced_by_the_apps_own_with_a_note_when_the_list_arrives() {
    let mut answers = complete();
    answers.set(FieldId::AppIdUri, "api://lakekeeper", Source::EnvFile);
    let mut w = fresh(answers);
    send(&mut w, [Msg::Enter]);
    while w.step() < Step::ApiApp {
        send(&mut w, [Msg::Forward]);
    }
    let right = format!("api://{API_ID}");
    let mut app = row(
        "lakekeeper-api",
        &format!("{API_ID} · {right}"),
        &[(FieldId::ApiClientId, API_ID), (FieldId::AppIdUri, &right)],
    );
    app.accepts = vec![(FieldId::AppIdUri, right.clone())];
    send(
        &mut w,
        [
            Msg::Pick,
            Msg::Listed(ListKind::ApiApp, Ok(vec![app.clone()])),
        ],
    );
    let st = w.field(FieldId::AppIdUri);
    assert_eq!(st.text, right);
    let FieldStatus::Valid { notes, .. } = &st.status else {
        panic!("{:?}", st.status);
    };
    assert!(
        notes.iter().any(|n| n
            == &format!(
                "the App ID URI api://lakekeeper (from the .env) is not one Entra ID registers for the API app lakekeeper-api ({right}): the audience and scope would be wrong; the right one is {right}; it was filled in instead"
            )),
        "{notes:?}"
    );
    assert_eq!(w.answers().get(FieldId::AppIdUri), Some(right.as_str()));

    // A URI the app does register (another of its identifierUris) is left alone.
    let mut answers = complete();
    answers.set(
        FieldId::AppIdUri,
        "https://contoso.com/lakekeeper",
        Source::EnvFile,
    );
    let mut w = fresh(answers);
    send(&mut w, [Msg::Enter]);
    while w.step() < Step::ApiApp {
        send(&mut w, [Msg::Forward]);
    }
    app.accepts
        .push((FieldId::AppIdUri, "https://contoso.com/lakekeeper".into()));
    send(
        &mut w,
        [Msg::Pick, Msg::Listed(ListKind::ApiApp, Ok(vec![app]))],
    );
    assert_eq!(
        w.field(FieldId::AppIdUri).text,
        "https://contoso.com/lakekeeper"
    );
}
