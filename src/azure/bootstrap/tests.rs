//! The bootstrap's pure parts: which steps a tenant still needs, the request bodies (what Graph
//! replaces wholesale is sent back whole), the derived scope ID, dates, the profile it writes.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;

use super::*;
use crate::azure::graph::Password;

const API_ID: &str = "a0000001-0000-4000-8000-000000000001";
const BACKEND_ID: &str = "a0000003-0000-4000-8000-000000000003";
const UI_ID: &str = "a0000006-0000-4000-8000-000000000006";
const NOW: &str = "2026-12-01T10:00:00Z";

fn opts() -> Options {
    Options {
        prefix: "lakekeeper".into(),
        with_ui: false,
        secret_months: 12,
        new_secret: false,
        base_uri: "http://localhost:8181/".into(),
        production: false,
    }
}

fn record(name: &str, app_id: &str) -> AppRecord {
    AppRecord {
        object_id: format!("0b{}", &app_id[2..]),
        app_id: ClientId(app_id.into()),
        name: name.into(),
        unique_name: Some(name.into()),
        identifier_uris: vec![],
        api: json!({"requestedAccessTokenVersion": null, "oauth2PermissionScopes": [], "preAuthorizedApplications": []}),
        spa_redirects: vec![],
        passwords: vec![],
        app_roles: serde_json::Value::Null,
    }
}

fn found(a: AppRecord) -> AppFound {
    AppFound {
        record: a,
        sp: Some("5b000001-0000-4000-8000-000000000001".into()),
        by: FoundBy::UniqueName,
    }
}

/// A complete API app: URI, tokens v2, the enabled scope.
fn complete_api() -> AppRecord {
    let mut a = record("lakekeeper-api", API_ID);
    a.identifier_uris = vec![format!("api://{API_ID}")];
    a.api = json!({"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": [
        {"id": "11111111-0000-4000-8000-000000000000", "value": "lakekeeper", "isEnabled": true, "type": "User"}
    ], "preAuthorizedApplications": []});
    a
}

fn backend_with_secret(end: &str) -> AppRecord {
    let mut b = record("lakekeeper-backend", BACKEND_ID);
    b.passwords = vec![Password {
        key_id: "k".into(),
        display_name: PASSWORD_NAME.into(),
        hint: "S01".into(),
        end: end.into(),
    }];
    b
}

fn env_home() -> SecretHome {
    SecretHome::EnvFile {
        label: "backend/.env".into(),
    }
}

fn vault_home() -> SecretHome {
    SecretHome::Vault {
        vault: VaultUrl::parse("https://team-dev-kv.vault.azure.net").expect("url"),
        name: SecretName::parse(DEFAULT_SECRET_NAME).expect("name"),
    }
}

fn empty(home: SecretHome) -> Found {
    Found {
        api: None,
        backend: None,
        ui: None,
        home,
        home_has_secret: false,
        env_has_secret: false,
    }
}

#[test]
fn an_empty_tenant_needs_every_step_in_order() {
    let mut o = opts();
    assert_eq!(
        plan(&empty(env_home()), &o, NOW),
        [
            Step::CreateApp(Role::Api),
            Step::SetIdentifierUri,
            Step::SetScope,
            Step::CreateServicePrincipal(Role::Api),
            Step::CreateApp(Role::Backend),
            Step::CreateServicePrincipal(Role::Backend),
            Step::AddSecret,
        ]
    );
    o.with_ui = true;
    let steps = plan(&empty(env_home()), &o, NOW);
    assert_eq!(
        steps[7..],
        [
            Step::CreateApp(Role::Ui),
            Step::CreateServicePrincipal(Role::Ui),
            Step::PreAuthorize,
        ]
    );
}

#[test]
fn a_complete_tenant_needs_nothing_and_each_gap_only_its_step() {
    let mut f = empty(env_home());
    f.api = Some(found(complete_api()));
    f.backend = Some(found(backend_with_secret("2027-12-01T00:00:00Z")));
    f.home_has_secret = true;
    assert_eq!(plan(&f, &opts(), NOW), []);

    // A scope that is there but disabled, an app without its service principal.
    let mut api = complete_api();
    api.api["oauth2PermissionScopes"][0]["isEnabled"] = json!(false);
    f.api = Some(AppFound {
        record: api,
        sp: None,
        by: FoundBy::StoredId,
    });
    assert_eq!(
        plan(&f, &opts(), NOW),
        [Step::SetScope, Step::CreateServicePrincipal(Role::Api)]
    );
    // Tokens v1 alone also need the scope step (it sets the version).
    let mut api = complete_api();
    api.api["requestedAccessTokenVersion"] = json!(1);
    f.api = Some(found(api));
    assert_eq!(plan(&f, &opts(), NOW), [Step::SetScope]);
}

#[test]
fn a_new_secret_only_when_none_is_usable_and_a_left_behind_one_is_moved() {
    let mut f = empty(vault_home());
    f.api = Some(found(complete_api()));
    // Valid credential and the vault holds the value: nothing.
    f.backend = Some(found(backend_with_secret("2027-12-01T00:00:00Z")));
    f.home_has_secret = true;
    assert_eq!(plan(&f, &opts(), NOW), []);
    // --new-secret adds one anyway.
    let o = Options {
        new_secret: true,
        ..opts()
    };
    assert_eq!(plan(&f, &o, NOW), [Step::AddSecret]);
    // The credential expired: the vault's value is dead.
    f.backend = Some(found(backend_with_secret("2026-11-30T00:00:00Z")));
    assert_eq!(plan(&f, &opts(), NOW), [Step::AddSecret]);
    // The vault lacks it but .env holds the one an earlier run kept there: moved, not remade.
    f.backend = Some(found(backend_with_secret("2027-12-01T00:00:00Z")));
    f.home_has_secret = false;
    f.env_has_secret = true;
    assert_eq!(plan(&f, &opts(), NOW), [Step::CopySecretToVault]);
    // Neither holds it (a teammate without a vault): a secret of their own.
    f.env_has_secret = false;
    assert_eq!(plan(&f, &opts(), NOW), [Step::AddSecret]);
    let mut g = empty(env_home());
    g.api = f.api.clone();
    g.backend = f.backend.clone();
    assert_eq!(plan(&g, &opts(), NOW), [Step::AddSecret]);
}

#[test]
fn an_existing_ui_app_is_completed_even_without_with_ui() {
    let mut f = empty(env_home());
    let mut api = complete_api();
    f.backend = Some(found(backend_with_secret("")));
    f.home_has_secret = true;
    let mut ui = record("lakekeeper-ui", UI_ID);
    ui.spa_redirects = vec!["http://localhost:8181/ui/callback/".into()];
    f.ui = Some(found(ui));
    f.api = Some(found(api.clone()));
    assert_eq!(plan(&f, &opts(), NOW), [Step::PreAuthorize]);
    api.api["preAuthorizedApplications"] = json!([{"appId": UI_ID,
        "delegatedPermissionIds": ["11111111-0000-4000-8000-000000000000"]}]);
    f.api = Some(found(api));
    assert_eq!(plan(&f, &opts(), NOW), []);
    let o = Options {
        base_uri: "https://lake.example.com".into(),
        ..opts()
    };
    assert_eq!(plan(&f, &o, NOW), [Step::SetRedirect]);
}

#[test]
fn scope_updates_send_the_whole_api_object_and_never_touch_an_enabled_scope() {
    let mut api = record("lakekeeper-api", API_ID);
    let other =
        json!({"id": "22222222-0000-4000-8000-000000000000", "value": "other", "isEnabled": true});
    let pre = json!([{"appId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "delegatedPermissionIds": ["22222222-0000-4000-8000-000000000000"]}]);
    api.api = json!({"requestedAccessTokenVersion": null, "knownClientApplications": [],
        "oauth2PermissionScopes": [other], "preAuthorizedApplications": pre});
    let body = scope_body(Some(&api), &opts());
    let scopes = body["api"]["oauth2PermissionScopes"]
        .as_array()
        .expect("list");
    assert_eq!(scopes.len(), 2);
    assert_eq!(scopes[0], other, "an existing scope goes back unchanged");
    assert_eq!(scopes[1]["value"], "lakekeeper");
    assert_eq!(scopes[1]["id"], json!(derived_scope_id(&api.app_id)));
    assert_eq!(scopes[1]["isEnabled"], true);
    assert_eq!(body["api"]["requestedAccessTokenVersion"], 2);
    assert_eq!(body["api"]["preAuthorizedApplications"], pre);
    assert_eq!(body["api"]["knownClientApplications"], json!([]));

    // Pre-authorising the UI keeps the other entries and uses the scope's real ID.
    api.api = body["api"].clone();
    let ui = record("lakekeeper-ui", UI_ID);
    let body = pre_authorize_body(Some(&api), Some(&ui), &opts());
    let list = body["api"]["preAuthorizedApplications"]
        .as_array()
        .expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[1],
        json!({"appId": UI_ID, "delegatedPermissionIds": [derived_scope_id(&api.app_id)]})
    );
    assert_eq!(
        body["api"]["oauth2PermissionScopes"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // Twice is the same as once.
    api.api = body["api"].clone();
    assert_eq!(pre_authorize_body(Some(&api), Some(&ui), &opts()), body);
}

#[test]
fn uri_and_redirect_updates_keep_what_is_there() {
    let mut api = record("lakekeeper-api", API_ID);
    api.identifier_uris = vec!["api://lakekeeper-legacy".into()];
    assert_eq!(
        identifier_uri_body(Some(&api), &opts()),
        json!({"identifierUris": ["api://lakekeeper-legacy", format!("api://{API_ID}")]})
    );
    let mut ui = record("lakekeeper-ui", UI_ID);
    ui.spa_redirects = vec!["https://lake.example.com/ui/callback".into()];
    assert_eq!(
        redirect_body(Some(&ui), &opts()),
        json!({"spa": {"redirectUris": ["https://lake.example.com/ui/callback", "http://localhost:8181/ui/callback"]}})
    );
    assert_eq!(
        create_body(Role::Ui, &opts())["spa"]["redirectUris"],
        json!(["http://localhost:8181/ui/callback"])
    );
    assert_eq!(
        create_body(Role::Api, &opts())["api"],
        json!({"requestedAccessTokenVersion": 2})
    );
}

#[test]
fn the_derived_scope_id_is_a_stable_version_8_uuid() {
    let a = derived_scope_id(&ClientId(API_ID.into()));
    assert_eq!(a, derived_scope_id(&ClientId(API_ID.into())));
    assert_ne!(a, derived_scope_id(&ClientId(BACKEND_ID.into())));
    assert!(crate::validate::is_guid(&a), "{a}");
    assert_eq!(&a[14..15], "8");
    assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
}

#[test]
fn end_dates_add_months_across_years_and_short_months() {
    // 2026-11-30T08:09:10Z
    let t = UNIX_EPOCH + Duration::from_secs(1_796_026_150);
    assert_eq!(end_date(t, 0), "2026-11-30T08:09:10Z");
    assert_eq!(end_date(t, 12), "2027-11-30T08:09:10Z");
    assert_eq!(end_date(t, 3), "2027-02-28T08:09:10Z");
    assert_eq!(end_date(t, 1), "2026-12-30T08:09:10Z");
    assert_eq!(end_date(t, 2), "2027-01-30T08:09:10Z");
    // "Now" is the real day: a secret that ended on the 29th has expired on the 30th (an
    // earlier version clamped now to the 28th too, and called it valid).
    assert_eq!(iso_now(t), "2026-11-30T08:09:10Z");
    assert!(!unexpired("2026-11-29T00:00:00Z", &iso_now(t)));
    assert!(unexpired("2027-01-01T00:00:00Z", NOW));
    assert!(!unexpired("2026-01-01T00:00:00.0000000Z", NOW));
    assert!(unexpired("", NOW));
}

#[test]
fn prefixes_are_checked() {
    assert_eq!(
        check_prefix(" lakekeeper-dev ").as_deref(),
        Ok("lakekeeper-dev")
    );
    for bad in [
        "",
        "-x",
        "Lakekeeper",
        "lake keeper",
        "x'y",
        &"a".repeat(41),
    ] {
        assert!(check_prefix(bad).is_err(), "{bad:?}");
    }
    let o = opts();
    assert_eq!(o.unique_name(Role::Backend), "lakekeeper-backend");
    assert_eq!(o.redirect(), "http://localhost:8181/ui/callback");
}

#[test]
fn the_profile_gets_ids_and_the_uri_once_registered_and_keeps_everything_else() {
    let existing = "# team\n[entra]\ntenant = \"contoso.onmicrosoft.com\"  # ours\n\n[postgres]\nport = 5432\n";
    let mut api = record("lakekeeper-api", API_ID);
    let mut done = Done {
        api: Some(api.clone()),
        ..Done::default()
    };
    // The URI is not registered yet: only the client ID.
    let text = profile_text(Some(existing), "ignored-guid", &done, &env_home()).expect("ok");
    assert_eq!(
        text,
        format!("{existing}\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\n")
    );
    api.identifier_uris = vec![format!("api://{API_ID}")];
    done.api = Some(api);
    done.backend = Some(record("lakekeeper-backend", BACKEND_ID));
    let text = profile_text(Some(&text), "ignored-guid", &done, &env_home()).expect("ok");
    assert_eq!(
        text,
        format!(
            "{existing}\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\napp_id_uri = \"api://{API_ID}\"\n\n[backend_service]\nclient_id = \"{BACKEND_ID}\"\n"
        )
    );
    // Again: byte for byte the same.
    assert_eq!(
        profile_text(Some(&text), "ignored-guid", &done, &env_home()).expect("ok"),
        text
    );
    // A vault home names the secret under [secrets], once.
    let with_vault = profile_text(Some(&text), "x", &done, &vault_home()).expect("ok");
    assert!(
        with_vault.ends_with(
            "\n[secrets]\nbackend_client_secret = \"lakekeeper-backend-client-secret\"\n"
        ),
        "{with_vault}"
    );
    assert_eq!(
        profile_text(Some(&with_vault), "x", &done, &vault_home()).expect("ok"),
        with_vault
    );
    // No profile yet: the signed-in tenant is written.
    let fresh = profile_text(
        None,
        "11111111-1111-1111-1111-111111111111",
        &Done::default(),
        &env_home(),
    )
    .expect("ok");
    assert_eq!(
        fresh,
        "[entra]\ntenant = \"11111111-1111-1111-1111-111111111111\"\n"
    );
}

#[test]
fn the_plan_names_each_change_and_the_dry_run_uses_placeholders() {
    let f = empty(vault_home());
    let end = "2027-12-01T10:00:00Z";
    let c = change(
        Step::AddSecret,
        &f,
        &opts(),
        "https://graph.microsoft.com/v1.0",
        end,
    );
    assert_eq!(
        c.what,
        "add a client secret to lakekeeper-backend valid until 2027-12-01 (name lakekeeper-setup); its value goes straight to Key Vault team-dev-kv as lakekeeper-backend-client-secret, never to the screen"
    );
    assert!(
        c.needs
            .ends_with("; Key Vault Secrets Officer on team-dev-kv"),
        "{}",
        c.needs
    );
    assert_eq!(
        c.requests[0].url,
        "https://graph.microsoft.com/v1.0/applications/<id of lakekeeper-backend>/addPassword"
    );
    assert_eq!(
        c.requests[1].url,
        "https://team-dev-kv.vault.azure.net/secrets/lakekeeper-backend-client-secret?api-version=7.5"
    );
    let text = crate::azure::change::dry_run_text(&[c]);
    assert!(
        text.contains("\"endDateTime\": \"2027-12-01T10:00:00Z\""),
        "{text}"
    );
    let mut f = empty(env_home());
    f.api = Some(found(complete_api()));
    let c = change(
        Step::CreateServicePrincipal(Role::Api),
        &f,
        &opts(),
        "G",
        end,
    );
    assert_eq!(c.requests[0].body, Some(json!({"appId": API_ID})));
    assert_eq!(
        exists_lines(&f, &opts()),
        [format!(
            "app registration lakekeeper-api (appId {API_ID}; found by unique name lakekeeper-api), with its service principal"
        )]
    );
}

#[test]
fn a_stored_secret_counts_only_if_it_can_be_a_current_one_of_the_app() {
    let now = "2026-12-01T00:00:00Z";
    let b = backend_with_secret("2027-06-01T00:00:00Z");
    assert!(secret_matches(&b, "S01~rest-of-the-secret", now));
    assert!(!secret_matches(&b, "OLD~a-secret-of-another-app", now));
    // The matching credential expired: the value is no longer a secret of the app.
    let expired = backend_with_secret("2026-11-30T00:00:00Z");
    assert!(!secret_matches(&expired, "S01~rest-of-the-secret", now));
    // Graph gave no hint: any value counts while a credential is current.
    let mut no_hint = backend_with_secret("2027-06-01T00:00:00Z");
    no_hint.passwords[0].hint.clear();
    assert!(secret_matches(&no_hint, "anything", now));
    let mut none = backend_with_secret("2027-06-01T00:00:00Z");
    none.passwords.clear();
    assert!(!secret_matches(&none, "S01~rest-of-the-secret", now));
}
