//! The `storage` check: Shared Key against Azurite; bearer-token, Data Lake and role failures
//! against the in-process mock (Azurite has no DFS endpoint and no roles).

use std::time::Instant;

use lakekeeper_setup::secret::Secret;
use lakekeeper_setup::verify::entra::{Token, TokenError};
use lakekeeper_setup::verify::storage::check_storage;
use lakekeeper_setup::verify::storage::request::{self, Auth};
use lakekeeper_setup::verify::storage::sharedkey::SharedKey;
use lakekeeper_setup::verify::{Status, VerifyConfig, WarehouseCredential};
use reqwest::Method;

use crate::support::azurite::{ACCOUNT, Azurite, KEY};
use crate::support::storage_mock::{Answer, Mock};
use crate::{all_text, config};

const APP: &str = "11111111-2222-3333-4444-555555555555";
const TOKEN: &str = "fake-storage-token-abcdefghijklmnop";

/// A Data Lake endpoint stand-in that reports the namespace (Azurite has no DFS endpoint).
async fn dfs(enabled: &str) -> Mock {
    Mock::start(vec![(
        "HEAD",
        "/",
        Answer::new(200).header("x-ms-namespace-enabled", enabled),
    )])
    .await
}

fn shared_key_cfg(az: &Azurite, dfs: &Mock, container: &str, key: &str) -> VerifyConfig {
    let mut cfg = config(&[
        ("AZURE_STORAGE_ACCOUNT_NAME", ACCOUNT),
        ("AZURE_STORAGE_ACCOUNT_KEY", key),
        ("AZURE_STORAGE_CONTAINER_NAME", container),
    ]);
    cfg.blob_endpoint = az.blob_endpoint();
    cfg.dfs_endpoint = format!("{}/{ACCOUNT}", dfs.url());
    cfg
}

/// Sends one Shared-Key-signed request to Azurite with the library's own signer.
async fn azurite_call(az: &Azurite, method: Method, path_query: &str) -> request::Reply {
    let auth = Auth::SharedKey(SharedKey::new(ACCOUNT, &Secret::new(KEY)).expect("dev key"));
    let url = url::Url::parse(&format!("{}{path_query}", az.blob_endpoint())).expect("url");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let client =
        lakekeeper_setup::verify::http::client(std::time::Duration::from_secs(10)).expect("client");
    request::send(&client, &auth, method, &url, &[], Vec::new(), deadline)
        .await
        .expect("azurite answers")
}

#[tokio::test]
async fn shared_key_probe_is_written_read_and_deleted_on_azurite() {
    let Some(az) = Azurite::start() else { return };
    let made = azurite_call(&az, Method::PUT, "/lake?restype=container").await;
    assert_eq!(made.status, 201, "container created");
    let dfs = dfs("true").await;
    let r = check_storage(&shared_key_cfg(&az, &dfs, "lake", KEY), None).await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert_eq!(
        r.summary,
        "storage account devstoreaccount1 is ready for the warehouse"
    );
    let probe = r
        .details
        .iter()
        .find(|d| d.ends_with("written and read back"))
        .expect("probe line");
    assert!(
        probe.starts_with("probe blob lake/house/lakekeeper-setup-probe-"),
        "{probe}"
    );
    assert!(
        r.details
            .iter()
            .any(|d| d == "hierarchical namespace enabled on account devstoreaccount1"),
        "{r:#?}"
    );
    // Nothing is left behind under the key prefix.
    let list = azurite_call(
        &az,
        Method::GET,
        "/lake?restype=container&comp=list&prefix=lake/",
    )
    .await;
    let body = String::from_utf8_lossy(&list.body);
    assert_eq!(list.status, 200);
    assert!(
        body.contains("<Blobs") && !body.contains("<Blob>"),
        "{body}"
    );
    // The DFS request was signed with Shared Key, and nothing printed the key.
    let seen = dfs.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "/devstoreaccount1/lake?resource=filesystem");
    assert!(seen[0].headers["authorization"].starts_with("SharedKey devstoreaccount1:"));
    assert!(!all_text(&r).contains(&KEY[..20]));
}

#[tokio::test]
async fn wrong_account_key_is_named() {
    let Some(az) = Azurite::start() else { return };
    assert_eq!(
        azurite_call(&az, Method::PUT, "/lake?restype=container")
            .await
            .status,
        201
    );
    let dfs = dfs("true").await;
    let fake_key = "ZmFrZS1hY2NvdW50LWtleS1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5YWJjZGVmZ2hpams=";
    let r = check_storage(&shared_key_cfg(&az, &dfs, "lake", fake_key), None).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(
        r.summary
            .starts_with("reading the container's properties failed: HTTP 403"),
        "{}",
        r.summary
    );
    assert!(
        r.summary
            .ends_with("AZURE_STORAGE_ACCOUNT_KEY is not this account's key"),
        "{}",
        r.summary
    );
    assert!(r.fix.as_deref().is_some_and(|f| f.starts_with("copy key1 or key2 of storage account devstoreaccount1")), "{r:#?}");
    assert!(!all_text(&r).contains("ZmFrZS1hY2NvdW50"));
}

#[tokio::test]
async fn missing_container_is_named() {
    let Some(az) = Azurite::start() else { return };
    let dfs = dfs("true").await;
    let r = check_storage(&shared_key_cfg(&az, &dfs, "nope", KEY), None).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        r.summary,
        "reading the container's properties failed: HTTP 404 ContainerNotFound: container nope does not exist in account devstoreaccount1"
    );
    assert!(
        r.fix
            .as_deref()
            .is_some_and(|f| f.contains("set AZURE_STORAGE_CONTAINER_NAME to an existing one")),
        "{r:#?}"
    );
}

fn bearer_cfg(mock: &Mock) -> VerifyConfig {
    let mut cfg = config(&[
        ("AZURE_STORAGE_ACCOUNT_NAME", "acct"),
        ("AZURE_STORAGE_CONTAINER_NAME", "lake"),
    ]);
    cfg.blob_endpoint = format!("{}/blob", mock.url());
    cfg.dfs_endpoint = format!("{}/dfs", mock.url());
    cfg.warehouse_credential = WarehouseCredential::ClientCredentials {
        client_id: APP.into(),
        client_secret: Secret::new("fake-secret"),
        tenant_id: "t".into(),
    };
    cfg
}

fn token() -> Token {
    Token {
        access_token: Secret::new(TOKEN),
        expires_in: Some(3600),
    }
}

#[tokio::test]
async fn bearer_token_all_good_gets_a_delegation_key() {
    let mock = Mock::start(vec![
        ("GET", "/blob/lake?restype=container", Answer::new(200)),
        (
            "HEAD",
            "/dfs/lake?resource=filesystem",
            Answer::new(200).header("x-ms-namespace-enabled", "true"),
        ),
        (
            "POST",
            "/blob/?restype=service&comp=userdelegationkey",
            Answer::new(200),
        ),
    ])
    .await;
    let r = check_storage(&bearer_cfg(&mock), Some(Ok(token()))).await;
    assert_eq!(r.status, Status::Ok, "{r:#?}");
    assert!(
        r.details
            .iter()
            .any(|d| d == "a user-delegation key was issued (Storage Blob Delegator works)"),
        "{r:#?}"
    );
    let seen = mock.requests();
    assert_eq!(
        seen.iter().map(|s| s.method.as_str()).collect::<Vec<_>>(),
        ["GET", "HEAD", "PUT", "GET", "DELETE", "POST"]
    );
    assert!(
        seen.iter()
            .all(|s| s.headers["authorization"] == format!("Bearer {TOKEN}")
                && s.headers["x-ms-version"] == "2021-08-06")
    );
    let udk = String::from_utf8_lossy(&seen[5].body).into_owned();
    assert!(
        udk.contains("<KeyInfo><Start>") && udk.contains("</Expiry></KeyInfo>"),
        "{udk}"
    );
    assert!(!all_text(&r).contains(TOKEN));
}

#[tokio::test]
async fn hierarchical_namespace_disabled_fails() {
    let mock = Mock::start(vec![
        ("GET", "/blob/lake?restype=container", Answer::new(200)),
        (
            "HEAD",
            "/dfs/lake?resource=filesystem",
            Answer::new(200).header("x-ms-namespace-enabled", "false"),
        ),
        ("POST", "/blob/?restype=service", Answer::new(200)),
    ])
    .await;
    let r = check_storage(&bearer_cfg(&mock), Some(Ok(token()))).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        r.summary,
        "account acct has no hierarchical namespace: Lakekeeper's ADLS (abfss://) warehouse needs one"
    );
    assert!(
        r.fix
            .as_deref()
            .is_some_and(|f| f.contains("Enable hierarchical namespace")),
        "{r:#?}"
    );
}

#[tokio::test]
async fn missing_data_contributor_role_is_named() {
    let mock = Mock::start(vec![(
        "GET",
        "/blob/lake?restype=container",
        Answer::azure_error(403, "AuthorizationPermissionMismatch"),
    )])
    .await;
    let r = check_storage(&bearer_cfg(&mock), Some(Ok(token()))).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        r.summary,
        format!(
            "reading the container's properties failed: HTTP 403 AuthorizationPermissionMismatch: app {APP} lacks data access to container lake of account acct"
        )
    );
    assert!(
        r.fix.as_deref().is_some_and(|f| f.starts_with(&format!(
            "assign the role Storage Blob Data Contributor to app {APP}"
        ))),
        "{r:#?}"
    );
}

#[tokio::test]
async fn delegation_key_refused_names_storage_blob_delegator() {
    let mock = Mock::start(vec![
        ("GET", "/blob/lake?restype=container", Answer::new(200)),
        (
            "HEAD",
            "/dfs/lake?resource=filesystem",
            Answer::new(200).header("x-ms-namespace-enabled", "true"),
        ),
        (
            "POST",
            "/blob/?restype=service&comp=userdelegationkey",
            Answer::azure_error(403, "AuthorizationPermissionMismatch"),
        ),
    ])
    .await;
    let r = check_storage(&bearer_cfg(&mock), Some(Ok(token()))).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(
        r.summary.starts_with(
            "getting a user-delegation key failed: HTTP 403 AuthorizationPermissionMismatch"
        ),
        "{}",
        r.summary
    );
    assert!(
        r.fix.as_deref().is_some_and(|f| f.starts_with(&format!(
            "assign the role Storage Blob Delegator to app {APP} on storage account acct"
        ))),
        "{r:#?}"
    );
    // The blob probe itself worked.
    assert!(r.details.iter().any(|d| d.ends_with("deleted")), "{r:#?}");
}

#[tokio::test]
async fn token_failure_is_reported_with_the_storage_fields() {
    let mock = Mock::start(vec![]).await;
    let err = TokenError::Entra {
        status: 401,
        code: Some(7_000_215),
        description: "AADSTS7000215: Invalid client secret provided.".into(),
        secret_looks_like_guid: false,
    };
    let r = check_storage(&bearer_cfg(&mock), Some(Err(err))).await;
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(
        r.summary.starts_with(
            "no storage token for the warehouse app: Entra refused the token (AADSTS7000215)"
        ),
        "{}",
        r.summary
    );
    assert!(
        r.fix
            .as_deref()
            .is_some_and(|f| f.contains("AZURE_STORAGE_CLIENT_SECRET")),
        "{r:#?}"
    );
    assert!(
        mock.requests().is_empty(),
        "no storage request without a token"
    );
}

#[tokio::test]
async fn silent_storage_host_fails_within_the_timeout() {
    // A listener that accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut cfg = config(&[
        ("AZURE_STORAGE_ACCOUNT_NAME", "acct"),
        ("AZURE_STORAGE_ACCOUNT_KEY", KEY),
        ("AZURE_STORAGE_CONTAINER_NAME", "lake"),
    ]);
    cfg.blob_endpoint = format!(
        "http://127.0.0.1:{}/acct",
        silent.local_addr().expect("addr").port()
    );
    cfg.timeout = std::time::Duration::from_secs(1);
    let started = Instant::now();
    let r = check_storage(&cfg, None).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert!(r.summary.contains("no answer from"), "{}", r.summary);
    drop(silent);
}
