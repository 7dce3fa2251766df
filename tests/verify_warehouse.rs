//! `lakekeeper-setup warehouse`: bootstrap and idempotent warehouse creation against an
//! in-process mock of Lakekeeper's management API, with the service-account token from the
//! real (Entra-shaped) OIDC provider on 127.0.0.1.

mod support;

use lakekeeper_setup::verify::warehouse::{
    Resend, WarehouseError, WarehouseOutcome, create_warehouse,
};
use support::http_mock::MockServer;
use support::oidc::{BACKEND_SECRET, OidcProvider, STORAGE_ID, STORAGE_SECRET, TENANT};
use support::verify_env::{KEY_PREFIX, LOCATION, WAREHOUSE, config, warehouse_list};

const EMPTY: &str = r#"{"warehouses":[]}"#;
/// The listed warehouse's `warehouse-id` (support::verify_env::warehouse_list).
const WH_ID: &str = "0194b3c2-0000-7000-8000-000000000001";
const ALREADY: &str = r#"{"error":{"message":"Catalog already bootstrapped","type":"CatalogAlreadyBootstrapped","code":400}}"#;

#[tokio::test]
async fn bootstraps_then_creates_the_warehouse_with_the_configured_profile() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on("POST", "/management/v1/bootstrap", 204, "")
        .on("GET", "/management/v1/warehouse", 200, EMPTY)
        .on(
            "POST",
            "/management/v1/warehouse",
            201,
            r#"{"warehouse-id":"0194b3c2-0000-7000-8000-000000000001"}"#,
        );
    let cfg = config(&idp.authority(), &lk.base);
    let outcome = create_warehouse(&cfg, false, Resend::Always)
        .await
        .expect("created");
    assert_eq!(
        outcome,
        WarehouseOutcome::Created {
            name: WAREHOUSE.into(),
            location: LOCATION.into(),
            bootstrapped_now: true
        }
    );

    let requests = lk.requests();
    let bootstrap = requests
        .iter()
        .find(|r| r.path == "/management/v1/bootstrap")
        .expect("bootstrap sent");
    assert!(bootstrap.bearer.is_some());
    let body: serde_json::Value = serde_json::from_str(&bootstrap.body).expect("json");
    assert_eq!(
        body,
        serde_json::json!({"accept-terms-of-use": true, "is-operator": true})
    );
    let create = requests
        .iter()
        .find(|r| r.method == "POST" && r.path == "/management/v1/warehouse")
        .expect("create sent");
    let body: serde_json::Value = serde_json::from_str(&create.body).expect("json");
    assert_eq!(
        body,
        serde_json::json!({
            "warehouse-name": WAREHOUSE,
            "storage-profile": {"type": "adls", "account-name": "fakeacct01", "filesystem": "lakehouse", "key-prefix": KEY_PREFIX,
                "host": "dfs.core.windows.net", "authority-host": idp.authority()},
            "storage-credential": {"type": "az", "credential-type": "client-credentials", "client-id": STORAGE_ID,
                "client-secret": STORAGE_SECRET, "tenant-id": TENANT},
        })
    );
}

#[tokio::test]
async fn already_bootstrapped_and_existing_at_the_same_location_gets_the_configured_credential() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on("POST", "/management/v1/bootstrap", 400, ALREADY)
        .on(
            "GET",
            "/management/v1/warehouse",
            200,
            &warehouse_list(KEY_PREFIX),
        )
        .on(
            "POST",
            &format!("/management/v1/warehouse/{WH_ID}/storage-credential"),
            200,
            "{}",
        );
    let outcome = create_warehouse(&config(&idp.authority(), &lk.base), false, Resend::Always)
        .await
        .expect("idempotent");
    assert_eq!(
        outcome,
        WarehouseOutcome::CredentialUpdated {
            name: WAREHOUSE.into(),
            location: LOCATION.into(),
            was: Some("client-credentials".into()),
            now: "client-credentials".into(),
            bootstrapped_now: false
        }
    );
    let requests = lk.requests();
    assert!(
        !requests
            .iter()
            .any(|r| r.method == "POST" && r.path == "/management/v1/warehouse"),
        "nothing created twice"
    );
    let update = requests
        .iter()
        .find(|r| r.path.ends_with("/storage-credential"))
        .expect("the credential was sent");
    let body: serde_json::Value = serde_json::from_str(&update.body).expect("json");
    assert_eq!(
        body,
        serde_json::json!({"new-storage-credential": {"type": "az", "credential-type": "client-credentials",
            "client-id": STORAGE_ID, "client-secret": STORAGE_SECRET, "tenant-id": TENANT}})
    );
}

#[tokio::test]
async fn a_credential_lakekeeper_refuses_is_an_error_and_the_old_one_stays() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on("POST", "/management/v1/bootstrap", 400, ALREADY)
        .on("GET", "/management/v1/warehouse", 200, &warehouse_list(KEY_PREFIX))
        .on(
            "POST",
            &format!("/management/v1/warehouse/{WH_ID}/storage-credential"),
            400,
            r#"{"error":{"code":400,"message":"IO Operation Failed during validation.","type":"IoOperationFailed"}}"#,
        );
    let err = create_warehouse(&config(&idp.authority(), &lk.base), false, Resend::Always)
        .await
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "Lakekeeper refused the storage credential for warehouse `analytics` (it tests a new one against the storage account before keeping it): 400 IoOperationFailed: IO Operation Failed during validation.; the warehouse keeps the one it had"
    );
}

#[tokio::test]
async fn a_409_for_the_same_location_is_success() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on("POST", "/management/v1/bootstrap", 400, ALREADY)
        .on("GET", "/management/v1/warehouse", 200, EMPTY)
        .on("GET", "/management/v1/warehouse", 200, &warehouse_list(KEY_PREFIX))
        .on("POST", "/management/v1/warehouse", 409, r#"{"error":{"message":"Warehouse already exists","type":"WarehouseAlreadyExists","code":409}}"#);
    lk.on(
        "POST",
        &format!("/management/v1/warehouse/{WH_ID}/storage-credential"),
        200,
        "{}",
    );
    let outcome = create_warehouse(&config(&idp.authority(), &lk.base), false, Resend::Always)
        .await
        .expect("idempotent");
    assert!(
        matches!(
            outcome,
            WarehouseOutcome::CredentialUpdated {
                bootstrapped_now: false,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn an_existing_warehouse_elsewhere_is_a_clear_error() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on("POST", "/management/v1/bootstrap", 400, ALREADY).on(
        "GET",
        "/management/v1/warehouse",
        200,
        &warehouse_list("other-prefix"),
    );
    let err = create_warehouse(&config(&idp.authority(), &lk.base), false, Resend::Always)
        .await
        .expect_err("mismatch");
    assert!(matches!(err, WarehouseError::LocationMismatch { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "warehouse `analytics` already exists at abfss://lakehouse@fakeacct01.dfs.core.windows.net/other-prefix, not at {LOCATION}; its location cannot change: choose another LAKEKEEPER__WAREHOUSE_NAME or restore the storage settings"
        )
    );
}

#[tokio::test]
async fn a_rejected_token_says_where_to_look() {
    let Some(idp) = OidcProvider::start(2) else {
        return;
    };
    let lk = MockServer::start().await;
    lk.on(
        "POST",
        "/management/v1/bootstrap",
        401,
        r#"{"error":{"message":"Authentication failed","type":"AuthenticationFailed","code":401}}"#,
    );
    let err = create_warehouse(&config(&idp.authority(), &lk.base), false, Resend::Always)
        .await
        .expect_err("401");
    assert!(matches!(err, WarehouseError::Unauthorized));
    assert!(
        err.to_string()
            .contains("lakekeeper-setup verify --only token-claims")
    );
}

#[tokio::test]
async fn dry_run_masks_secrets_and_sends_nothing() {
    let lk = MockServer::start().await;
    let mut cfg = config("http://127.0.0.1:9", &lk.base);
    cfg.warehouse_credential = lakekeeper_setup::verify::WarehouseCredential::SharedKey;
    cfg.env.insert(
        "AZURE_STORAGE_ACCOUNT_KEY".into(),
        "fake-account-key-0123456789abcdef==".into(),
    );
    let WarehouseOutcome::DryRun { body } = create_warehouse(&cfg, true, Resend::Always)
        .await
        .expect("dry run")
    else {
        panic!("not a dry run")
    };
    assert!(
        !body.contains("fake-account-key-0123456789abcdef=="),
        "{body}"
    );
    assert!(!body.contains(BACKEND_SECRET));
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        json["storage-credential"],
        serde_json::json!({"type": "az", "credential-type": "shared-access-key", "key": "••••ef=="})
    );
    assert!(lk.requests().is_empty());
}

#[tokio::test]
async fn missing_storage_settings_are_named() {
    let mut cfg = config("http://127.0.0.1:9", "http://127.0.0.1:9");
    cfg.env.remove("AZURE_STORAGE_CONTAINER_NAME");
    let err = create_warehouse(&cfg, true, Resend::Always)
        .await
        .expect_err("missing");
    assert_eq!(
        err.to_string(),
        "missing in backend/.env: AZURE_STORAGE_CONTAINER_NAME"
    );
}

/// The OIDC provider, the stand-in that follows Lakekeeper's OpenAPI document (v0.13.3) and keeps
/// what it is sent, and a configuration pointing at both. `None` without node (outside CI).
async fn lakekeeper_stand_in() -> Option<(
    OidcProvider,
    support::azure::StandIn,
    support::lakekeeper_api::LakekeeperModel,
    lakekeeper_setup::verify::VerifyConfig,
)> {
    let idp = OidcProvider::start(2)?;
    let stand = support::azure::StandIn::start().await;
    let lk = support::lakekeeper_api::LakekeeperModel::serve(&stand);
    let cfg = config(&idp.authority(), &stand.base);
    Some((idp, stand, lk, cfg))
}

/// Against the stand-in that follows Lakekeeper's OpenAPI document (v0.13.3) and keeps what it
/// is sent: a warehouse created with one secret, then the configuration's new secret (a rotation,
/// a teammate's fix) — `warehouse` puts the new one in place of the old, `--dry-run` shows the
/// update masked first, and `verify` says what Lakekeeper lets it tell.
#[tokio::test]
async fn the_warehouse_follows_its_credential_and_verify_says_what_lakekeeper_shows() {
    use lakekeeper_setup::verify::{self, CheckName, Status};
    let Some((_idp, _stand, lk, mut cfg)) = lakekeeper_stand_in().await else {
        return;
    };
    let created = create_warehouse(&cfg, false, Resend::Always)
        .await
        .expect("created");
    assert!(
        matches!(
            created,
            WarehouseOutcome::Created {
                bootstrapped_now: true,
                ..
            }
        ),
        "{created:?}"
    );
    assert_eq!(
        lk.credential(WAREHOUSE).expect("stored")["client-secret"],
        STORAGE_SECRET
    );

    // The storage app's secret changes in the configuration.
    let rotated = "fake-secret-storage-ROTATED-Q~abcdefghij";
    cfg.warehouse_credential = lakekeeper_setup::verify::WarehouseCredential::ClientCredentials {
        client_id: STORAGE_ID.into(),
        client_secret: lakekeeper_setup::secret::Secret::new(rotated),
        tenant_id: TENANT.into(),
    };
    let WarehouseOutcome::DryRunUpdate {
        name, stored, body, ..
    } = create_warehouse(&cfg, true, Resend::Always)
        .await
        .expect("dry run")
    else {
        panic!("an update is shown")
    };
    assert_eq!(
        (name.as_str(), stored.as_deref()),
        (WAREHOUSE, Some("client-credentials"))
    );
    assert!(
        !body.contains(rotated)
            && body.contains("\"client-id\": \"cccccccc-0000-4000-8000-000000000002\""),
        "{body}"
    );
    assert!(body.contains("new-storage-credential"), "{body}");
    assert_eq!(lk.with(|c| c.updates), 0, "a dry run sends nothing");

    let outcome = create_warehouse(&cfg, false, Resend::Always)
        .await
        .expect("updated");
    assert!(
        matches!(outcome, WarehouseOutcome::CredentialUpdated { .. }),
        "{outcome:?}"
    );
    let stored = lk.credential(WAREHOUSE).expect("stored");
    assert_eq!(stored["client-secret"], rotated);
    assert_eq!(stored["client-id"], STORAGE_ID);

    // verify: the same kind is all Lakekeeper shows; a shared key configured is a mismatch.
    let only = support::verify_env::only(cfg.clone(), &["lakekeeper"]);
    let report = verify::run(&only, None).await;
    let l = report.get(CheckName::Lakekeeper).expect("lakekeeper");
    assert!(
        l.details.iter().any(|d| d.contains("Lakekeeper holds a client-credentials storage credential (it shows only the kind, never the client ID or the secret)")),
        "{l:#?}"
    );
    assert!(
        l.details.iter().any(|d| d.contains("cannot be read back")),
        "{l:#?}"
    );
    let mut shared = support::verify_env::only(cfg, &["lakekeeper"]);
    shared.warehouse_credential = lakekeeper_setup::verify::WarehouseCredential::SharedKey;
    let report = verify::run(&shared, None).await;
    let l = report.get(CheckName::Lakekeeper).expect("lakekeeper");
    assert_eq!(l.status, Status::Warning, "{l:#?}");
    assert_eq!(
        l.summary,
        "warehouse `analytics`'s storage credential is not the configured one (client-credentials, the configuration says shared-access-key)"
    );
    assert_eq!(
        l.fix.as_deref(),
        Some(
            "run `lakekeeper-setup warehouse`: it sends the configured shared-access-key credential"
        )
    );
}

/// `Resend::WhenKindDiffers` (a laptop without a team vault): an existing warehouse whose stored
/// credential is of the configured kind is left as it is — the secret it holds may be another
/// teammate's — in a dry run and a real run; a different kind is still replaced. `resend` picks
/// `Always` for a vault-held secret, a shared key, or `--update-credential`.
#[tokio::test]
async fn without_a_team_vault_the_same_kind_is_kept_and_another_kind_replaced() {
    use lakekeeper_setup::verify::WarehouseCredential;
    use lakekeeper_setup::verify::warehouse::resend;
    let Some((_idp, _stand, lk, mut cfg)) = lakekeeper_stand_in().await else {
        return;
    };
    create_warehouse(&cfg, false, Resend::WhenKindDiffers)
        .await
        .expect("created");
    // A teammate's own secret of the same app.
    let theirs = "fake-secret-storage-TEAMMATE-Q~abcdefgh";
    cfg.warehouse_credential = WarehouseCredential::ClientCredentials {
        client_id: STORAGE_ID.into(),
        client_secret: lakekeeper_setup::secret::Secret::new(theirs),
        tenant_id: TENANT.into(),
    };
    assert_eq!(resend(&cfg, false, false), Resend::WhenKindDiffers);
    assert_eq!(resend(&cfg, true, false), Resend::Always, "a vault's");
    assert_eq!(resend(&cfg, false, true), Resend::Always, "asked");
    let kept = WarehouseOutcome::Kept {
        name: WAREHOUSE.into(),
        location: LOCATION.into(),
        kind: "client-credentials".into(),
        bootstrapped_now: false,
    };
    for dry_run in [true, false] {
        assert_eq!(
            create_warehouse(&cfg, dry_run, Resend::WhenKindDiffers)
                .await
                .expect("kept"),
            kept,
            "dry run {dry_run}"
        );
    }
    assert_eq!(lk.with(|c| c.updates), 0, "nothing sent");
    assert_eq!(
        lk.credential(WAREHOUSE).expect("stored")["client-secret"],
        STORAGE_SECRET
    );
    // Asked: replaced.
    let outcome = create_warehouse(&cfg, false, Resend::Always)
        .await
        .expect("updated");
    assert!(
        matches!(outcome, WarehouseOutcome::CredentialUpdated { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        lk.credential(WAREHOUSE).expect("stored")["client-secret"],
        theirs
    );
    // Another kind configured (a shared key is the account's, never one person's): sent.
    let mut shared = cfg.clone();
    shared.warehouse_credential = WarehouseCredential::SharedKey;
    shared
        .env
        .insert("AZURE_STORAGE_ACCOUNT_KEY".into(), "ZmFrZS1rZXk=".into());
    assert_eq!(resend(&shared, false, false), Resend::Always);
    let outcome = create_warehouse(&shared, false, Resend::WhenKindDiffers)
        .await
        .expect("updated");
    assert!(
        matches!(
            &outcome,
            WarehouseOutcome::CredentialUpdated { was: Some(was), now, .. }
                if was == "client-credentials" && now == "shared-access-key"
        ),
        "{outcome:?}"
    );
}
