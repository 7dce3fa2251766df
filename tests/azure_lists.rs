//! The Azure assist's lists against the loopback stand-in (official example payloads, IDs
//! adapted) with a fake `az`: every `ListKind`, paging through `nextLink` and
//! `@odata.nextLink`, the roles named on 403, a slow answer, a reset connection, and the `az`
//! cases (not installed, not signed in, slow, wrong tenant). Nothing reaches Azure.

mod support;

use std::time::Duration;

use lakekeeper_setup::azure::az::Az;
use lakekeeper_setup::azure::{self, Hints, ListError, ListKind, Session};
use lakekeeper_setup::model::FieldId;
use serde_json::{Value, json};
use support::azure::{
    AzMode, FakeAz, Reply, SIGNED_IN_TENANT, SUB, StandIn, adapt, arm_body, containers, graph_body,
    one_subscription, servers_with_ready_and_stopped, token_for,
};

const ARM_RESOURCE: &str = "https://management.core.windows.net/";

async fn session(
    stand: &StandIn,
    mode: AzMode,
    tenant: Option<&str>,
    timeout: Duration,
) -> (FakeAz, Result<Session, ListError>) {
    let fake = FakeAz::new(&stand.base, mode);
    let az = Az::new(Some(fake.path()), timeout, tenant).expect("valid tenant");
    let s = Session::start(az, timeout).await;
    (fake, s)
}

/// Splits a collection into two pages: the first (served by path) links to the second.
fn two_pages(stand: &StandIn, path: &str, mut body: Value, split: usize, next_key: &str) {
    let all = body["value"].as_array().cloned().expect("value list");
    let second_target = format!("{path}?page=2");
    body["value"] = Value::Array(all[..split].to_vec());
    body[next_key] = Value::String(format!("{}{second_target}", stand.base));
    stand.json(path, 200, &body);
    stand.json(
        &second_target,
        200,
        &json!({"value": all[split..].to_vec()}),
    );
}

fn serve_everything(stand: &StandIn) {
    // ARM /tenants (its example ends in `"nextLink": "..."`: a real second page here).
    two_pages(
        stand,
        "/tenants",
        arm_body("arm/2022-12-01-GetTenants.json"),
        2,
        "nextLink",
    );
    stand.json("/subscriptions", 200, &one_subscription());
    two_pages(
        stand,
        &format!("/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts"),
        adapt(&arm_body("arm/2023-05-01-StorageAccountList.json")),
        3,
        "nextLink",
    );
    let (containers_path, containers) = containers();
    stand.json(&containers_path, 200, &containers);
    // PostgreSQL: the example's two v12 servers, then a v16 one that is Ready and a v16 one that
    // is Stopped.
    let servers = servers_with_ready_and_stopped();
    two_pages(
        stand,
        &format!("/subscriptions/{SUB}/providers/Microsoft.DBforPostgreSQL/flexibleServers"),
        servers,
        2,
        "nextLink",
    );
    // Graph: the docs' app, renamed into the three apps a team has, over two pages.
    let base = graph_body("graph/application-list--list_application.json");
    let template = base["value"][0].clone();
    let app = |name: &str, id: &str, uris: Value, spa: Value| {
        let mut a = template.clone();
        a["displayName"] = json!(name);
        a["appId"] = json!(id);
        a["identifierUris"] = uris;
        a["spa"] = json!({"redirectUris": spa});
        a
    };
    let mut body = base.clone();
    body["value"] = json!([
        app(
            "Lakekeeper API",
            "aaaaaaaa-0000-4000-8000-000000000001",
            json!(["api://lakekeeper-api"]),
            json!([])
        ),
        app(
            "My app",
            "00000000-0000-0000-0000-000000000000",
            json!(["http://contoso/"]),
            json!([])
        ),
        app(
            "Lakekeeper UI",
            "cccccccc-0000-4000-8000-000000000003",
            json!([]),
            json!(["http://localhost:8181/ui/callback"])
        ),
        app(
            "Lakekeeper backend",
            "bbbbbbbb-0000-4000-8000-000000000002",
            json!([]),
            json!([])
        ),
    ]);
    two_pages(
        stand,
        "/graph/v1.0/applications",
        body,
        2,
        "@odata.nextLink",
    );
}

fn labels(c: &[azure::Choice]) -> Vec<&str> {
    c.iter().map(|c| c.label.as_str()).collect()
}

#[tokio::test]
async fn every_list_is_read_through_its_pages_into_choices() {
    let stand = StandIn::start().await;
    serve_everything(&stand);
    let (fake, s) = session(&stand, AzMode::SignedIn, None, Duration::from_secs(20)).await;
    let s = s.expect("signed in");
    assert_eq!(s.account.user, "user@contoso.com");

    let tenants = azure::list(&s, &ListKind::Tenant).await.expect("tenants");
    assert_eq!(
        labels(&tenants),
        ["Test_Test_aad50", "Contoso Corp.", "TEST_TEST_RDV"]
    );
    assert_eq!(
        tenants[1].fills,
        [(
            FieldId::Tenant,
            "83abe5cd-bcc3-441a-bd86-e6a75360cecc".to_owned()
        )]
    );
    assert!(tenants[1].detail.contains("auxteststagemanual.ccsctp.net"));

    let api = azure::list(&s, &ListKind::ApiApp).await.expect("apps");
    assert_eq!(
        labels(&api),
        [
            "Lakekeeper API",
            "Lakekeeper backend",
            "Lakekeeper UI",
            "My app"
        ]
    );
    assert_eq!(
        api[0].fills,
        [
            (
                FieldId::ApiClientId,
                "aaaaaaaa-0000-4000-8000-000000000001".to_owned()
            ),
            (FieldId::AppIdUri, "api://lakekeeper-api".to_owned()),
        ]
    );
    assert!(
        api[1]
            .unavailable
            .as_deref()
            .is_some_and(|w| w.contains("no App ID URI"))
    );
    let backend = azure::list(&s, &ListKind::BackendApp).await.expect("apps");
    assert_eq!(
        backend[1].fills,
        [(
            FieldId::BackendClientId,
            "bbbbbbbb-0000-4000-8000-000000000002".to_owned()
        )]
    );
    let ui = azure::list_with(
        &s,
        &ListKind::UiApp,
        &Hints {
            base_uri: Some("http://localhost:8181".into()),
        },
    )
    .await
    .expect("apps");
    assert!(
        ui[2]
            .detail
            .contains("SPA redirect http://localhost:8181/ui/callback registered"),
        "{}",
        ui[2].detail
    );
    assert!(ui[0].detail.contains("no SPA redirect"), "{}", ui[0].detail);

    let accounts = azure::list(&s, &ListKind::StorageAccount)
        .await
        .expect("accounts");
    assert_eq!(
        labels(&accounts),
        [
            "sto1125", "sto3699", "sto8596", "sto6637", "sto834", "sto9174"
        ]
    );
    assert_eq!(accounts[0].unavailable, None);
    assert_eq!(
        accounts[1].unavailable.as_deref(),
        Some("no hierarchical namespace: not ADLS Gen2, which Lakekeeper needs")
    );
    let next = accounts[0].next.clone().expect("containers next");
    let containers = azure::list(&s, &next).await.expect("containers");
    assert_eq!(labels(&containers), ["container1644", "container4052"]);
    assert_eq!(
        containers[0].fills,
        [(FieldId::StorageContainer, "container1644".to_owned())]
    );

    let pg = azure::list(&s, &ListKind::PostgresServer)
        .await
        .expect("servers");
    assert_eq!(
        labels(&pg),
        ["pgtestsvc4", "pgtestsvc1", "lakehouse-pg", "paused-pg"]
    );
    assert_eq!(
        pg[0].unavailable.as_deref(),
        Some("PostgreSQL 12: Lakekeeper needs 15 or newer")
    );
    assert_eq!(
        pg[3].unavailable.as_deref(),
        Some("Stopped: start the server first")
    );
    assert_eq!(pg[2].unavailable, None);
    assert_eq!(
        pg[2].fills,
        [
            (
                FieldId::PgHost,
                "lakehouse-pg.postgres.database.azure.com".to_owned()
            ),
            (FieldId::PgPort, "5432".to_owned()),
        ]
    );

    // One token per resource for the whole run; no token on any command line; each request
    // carried the token of its own resource.
    let argv = fake.argv();
    let arm_tokens = argv
        .iter()
        .filter(|l| l.contains("get-access-token") && l.contains(ARM_RESOURCE))
        .count();
    let graph_tokens = argv
        .iter()
        .filter(|l| l.contains("get-access-token") && l.contains("/graph"))
        .count();
    assert_eq!((arm_tokens, graph_tokens), (1, 1), "{argv:?}");
    assert!(argv.iter().all(|l| !l.contains("SENTINEL")), "{argv:?}");
    let seen = stand.seen();
    assert!(
        seen.iter().any(|r| r.path_and_query.ends_with("?page=2")),
        "paging followed"
    );
    for r in &seen {
        let want = if r.path_and_query.starts_with("/graph") {
            token_for(&format!("{}/graph", stand.base))
        } else {
            token_for(ARM_RESOURCE)
        };
        assert_eq!(
            r.bearer.as_deref(),
            Some(want.as_str()),
            "{}",
            r.path_and_query
        );
    }
}

#[tokio::test]
async fn a_refused_list_names_the_role_and_slow_or_reset_answers_fail_in_words() {
    let stand = StandIn::start().await;
    let denied = json!({"error": {"code": "AuthorizationFailed", "message": "The client 'user@contoso.com' with object id 'x' does not have authorization to perform action 'Microsoft.Storage/storageAccounts/read' over scope '/subscriptions/x'."}});
    stand.json(
        "/subscriptions",
        200,
        &json!({"value": [{"subscriptionId": SUB, "displayName": "Dev", "state": "Enabled"}]}),
    );
    stand.json(
        &format!("/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts"),
        403,
        &denied,
    );
    stand.json(
        "/graph/v1.0/applications",
        403,
        &json!({"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation.", "innerError": {"date": "2026-01-01T00:00:00", "request-id": "r"}}}),
    );
    stand.on(
        "/tenants",
        Reply::Slow(Duration::from_secs(4), 200, r#"{"value":[]}"#.into()),
    );
    stand.on(
        &format!("/subscriptions/{SUB}/providers/Microsoft.DBforPostgreSQL/flexibleServers"),
        Reply::Reset,
    );
    let (_fake, s) = session(&stand, AzMode::SignedIn, None, Duration::from_secs(1)).await;
    let s = s.expect("signed in");

    let storage = azure::list(&s, &ListKind::StorageAccount)
        .await
        .expect_err("denied");
    assert!(
        matches!(&storage, ListError::Forbidden(m) if m.contains("user@contoso.com may not list storage accounts (AuthorizationFailed)") && m.contains("needs the role Reader")),
        "{storage}"
    );
    let apps = azure::list(&s, &ListKind::ApiApp)
        .await
        .expect_err("denied");
    assert!(
        matches!(&apps, ListError::Forbidden(m) if m.contains("Directory Readers")),
        "{apps}"
    );
    let slow = azure::list(&s, &ListKind::Tenant).await.expect_err("slow");
    assert!(
        matches!(&slow, ListError::Failed(m) if m.contains("no answer from") && m.contains("within 1 s")),
        "{slow}"
    );
    let reset = azure::list(&s, &ListKind::PostgresServer)
        .await
        .expect_err("reset");
    assert!(
        matches!(&reset, ListError::Failed(m) if m.contains("could not list PostgreSQL flexible servers")),
        "{reset}"
    );
}

#[tokio::test]
async fn without_az_or_a_sign_in_the_assist_is_off_and_says_how_to_turn_it_on() {
    let stand = StandIn::start().await;
    let none = Session::start(
        Az::new(None, Duration::from_secs(5), None).expect("az"),
        Duration::from_secs(5),
    )
    .await;
    assert!(
        matches!(&none, Err(ListError::AssistOff(m)) if m.starts_with("Azure assist off:") && m.contains("not installed") && m.contains("2.54")),
        "{:?}",
        none.err()
    );
    // An empty PATH finds no `az` either.
    assert_eq!(
        lakekeeper_setup::azure::az::find_az(Some(std::ffi::OsStr::new("/nonexistent"))),
        None
    );

    let (_f, out) = session(&stand, AzMode::NotSignedIn, None, Duration::from_secs(5)).await;
    assert!(
        matches!(&out, Err(ListError::AssistOff(m)) if m.contains("run `az login`")),
        "{:?}",
        out.err()
    );

    let (_f, out) = session(&stand, AzMode::Slow(5), None, Duration::from_secs(1)).await;
    assert!(
        matches!(&out, Err(ListError::Failed(m)) if m.contains("did not finish within 1 s") && m.contains("LAKEKEEPER_SETUP_AZ_TIMEOUT")),
        "{:?}",
        out.err()
    );

    // Signed in elsewhere: the session starts, the first token for the team's tenant fails
    // with the command that fixes it.
    serve_everything(&stand);
    let team = "99999999-9999-4999-8999-999999999999";
    let (fake, s) = session(
        &stand,
        AzMode::WrongTenant,
        Some(team),
        Duration::from_secs(5),
    )
    .await;
    let err = azure::list(&s.expect("session"), &ListKind::Tenant)
        .await
        .expect_err("wrong tenant");
    assert!(
        matches!(&err, ListError::Failed(m) if m.contains(&format!("az login --tenant {team}")) && m.contains("AADSTS50020")),
        "{err}"
    );
    assert!(
        fake.argv()
            .iter()
            .any(|l| l.contains(&format!("--tenant {team}")))
    );
    assert!(!fake.argv().iter().any(|l| l.contains(SIGNED_IN_TENANT)));
}
