//! From an empty tenant (the Graph and ARM stand-ins, the fake `az`): `azure bootstrap
//! --production`, `azure roles --production`, then `export helm`, rendered by Helm's own engine
//! with the official chart, then `warehouse --production --dry-run` (the request it would send
//! as the person; production's base URI is never loopback, so the live call is
//! tests/production_warehouse.rs's). The role is held by exactly the backend's identity and the
//! first person; Lakekeeper's identity holds Data Contributor on the container and Delegator on
//! the account, nothing more.
//! What bootstrap made is what the pods get: the service account the chart renders is the one
//! the managed identity's federated credential names, annotated with that identity's client ID;
//! the pods carry the workload identity label; the audience and the UI are production's own
//! apps; Lakekeeper logs in as its own role; no client secret exists anywhere. A re-run of both
//! changes nothing.

mod support;

use std::process::Output;

use serde_json::{Value, json};
use support::azure::{AzMode, FakeAz, StandIn};
use support::azure_arm::{self, ISSUER, Model, State};
use support::azure_graph::GraphModel;
use support::helm::{self, container_env, object, secrets_of};
use support::project::{FAKE_SECRET, PROFILE, Project};

const KEY: &str = "fakeEncryptionKeyNotReal0123456789abcdef";
const ROLE_PASSWORD: &str = "fake-prod-role-pass#9";

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn run(p: &Project, az: &FakeAz, args: &[&str]) -> Output {
    let mut c = p.cmd();
    c.args(args)
        .env("PATH", az.path_var())
        .env("LAKEKEEPER_SETUP_AZURE_RETRY_MS", "5")
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY)
        .env("LAKEKEEPER_PRODUCTION_PG_PASSWORD", ROLE_PASSWORD)
        .stdin(std::process::Stdio::null());
    tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join")
}

#[tokio::test]
async fn bootstrap_then_export_gives_pods_the_identities_bootstrap_made_and_no_secret() {
    if !helm::ready() {
        return;
    }
    let stand = StandIn::start().await;
    let arm = Model::new(State::default());
    arm.with(|s| {
        s.clusters.insert(
            azure_arm::cluster_id().to_ascii_lowercase(),
            azure_arm::cluster(true),
        );
    });
    let graph = GraphModel::serve_with_arm(&stand, &arm);
    let az = FakeAz::new(&stand.base, AzMode::SignedIn);

    let p = Project::fixture();
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{}\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\nbackend_namespace = \"backend\"\nbackend_service_account = \"backend-api\"\naks_cluster = \"{}\"\n",
            PROFILE.replace(
                "[storage]\n",
                &format!(
                    "[storage]\naccount = \"{}\"\ncontainer = \"warehouse\"\n",
                    azure_arm::ACCOUNT
                )
            ),
            azure_arm::cluster_id()
        ),
    );
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
        ("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY),
    ]);
    let out = run(&p, &az, &["azure", "bootstrap", "--production", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(&p, &az, &["azure", "roles", "--production", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let deploy = p.path("deploy").display().to_string();
    let export = [
        "export",
        "helm",
        "--secrets",
        "kubernetes",
        "--out",
        &deploy,
    ];
    let out = run(&p, &az, &export).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let printed = text(&out);

    let docs = helm::render(&p.path("deploy/values.yaml"), &p.path("rendered.yaml"));
    let (valid, report) = helm::kubernetes_validate(&[&p.path("rendered.yaml")]);
    assert!(valid, "{report}");
    let mut secrets = secrets_of(&docs);
    secrets.extend(secrets_of(&helm::load(
        &p.path("deploy/secrets/secret.yaml"),
    )));
    let deployment = object(&docs, "Deployment");
    let env = container_env(deployment, "lakekeeper", &secrets);

    // The service account: the one the federated credential names, with the identity's ID.
    let sa = object(&docs, "ServiceAccount");
    let sa_name = sa["metadata"]["name"].as_str().expect("name");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["serviceAccountName"],
        sa_name
    );
    let catalog: Value = arm
        .with(|s| {
            s.identities
                .values()
                .find(|v| v["name"] == json!("lakekeeper-prod-catalog"))
                .cloned()
        })
        .expect("Lakekeeper's identity");
    assert_eq!(
        sa["metadata"]["annotations"]["azure.workload.identity/client-id"],
        catalog["properties"]["clientId"]
    );
    let federation: Vec<Value> = arm.with(|s| {
        s.federations
            .iter()
            .filter(|(k, _)| k.contains("/userassignedidentities/lakekeeper-prod-catalog/"))
            .map(|(_, v)| v["properties"].clone())
            .collect()
    });
    let namespace = sa["metadata"]["namespace"].as_str().expect("namespace");
    assert_eq!(
        federation,
        vec![
            json!({"issuer": ISSUER, "subject": format!("system:serviceaccount:{namespace}:{sa_name}"),
            "audiences": ["api://AzureADTokenExchange"]})
        ]
    );
    assert_eq!(
        deployment["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"],
        "true"
    );
    assert_eq!(env["LAKEKEEPER__ENABLE_AZURE_SYSTEM_CREDENTIALS"], "true");

    // Production's own API and UI apps; Lakekeeper's own database role.
    let api = graph.app("lakekeeper-prod-api").expect("API app");
    let api_id = api["appId"].as_str().expect("appId");
    let uri = api["identifierUris"][0].as_str().expect("uri");
    assert_eq!(
        env["LAKEKEEPER__OPENID_AUDIENCE"],
        format!("{uri},{api_id}")
    );
    let ui = graph.app("lakekeeper-prod-ui").expect("UI app");
    assert_eq!(env["LAKEKEEPER__UI__OPENID_CLIENT_ID"], ui["appId"]);
    assert_eq!(
        env["LAKEKEEPER__UI__OPENID_SCOPE"],
        format!("openid profile {uri}/lakekeeper")
    );
    assert_eq!(env["LAKEKEEPER__PG_USER"], "lakekeeper");
    assert_eq!(env["LAKEKEEPER__PG_PASSWORD"], ROLE_PASSWORD);

    // The backend's deployment, printed: its identity, the tenant, the app scope.
    let backend: Value = arm
        .with(|s| {
            s.identities
                .values()
                .find(|v| v["name"] == json!("lakekeeper-prod-backend"))
                .cloned()
        })
        .expect("the backend's identity");
    let backend_id = backend["properties"]["clientId"].as_str().expect("id");
    assert!(
        printed.contains(&format!(
            "ServiceAccount backend-api (namespace backend): annotation azure.workload.identity/client-id: \"{backend_id}\""
        )),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("scope {uri}/.default")),
        "{printed}"
    );

    // No client secret: none was made, none is rendered.
    assert!(graph.secrets().is_empty());
    let all = serde_json::to_string(&docs).expect("json") + &printed;
    assert!(!all.contains(FAKE_SECRET));
    for k in env.keys() {
        assert!(!k.contains("CLIENT_SECRET"), "{k}");
    }

    // The role: exactly the production backend's identity and the first person.
    let mut holders = graph.assignees(api_id);
    holders.sort();
    assert_eq!(
        holders,
        [
            ("Dana Lead".to_owned(), "User".to_owned()),
            (
                "lakekeeper-prod-backend".to_owned(),
                "ServicePrincipal".to_owned()
            )
        ]
    );
    let sp = graph.sp(api_id).expect("the API's service principal");
    assert_eq!(sp["appRoleAssignmentRequired"], true);
    // Lakekeeper's identity: Data Contributor on the container, Delegator on the account.
    let principal = catalog["properties"]["principalId"]
        .as_str()
        .expect("principal")
        .to_owned();
    let account = azure_arm::account_id();
    let roles = arm.roles_of(&principal);
    assert_eq!(
        roles,
        [
            (
                account.clone(),
                "db58b8e5-c6ad-4a2a-8342-4190687cbf4a".to_owned()
            ),
            (
                format!("{account}/blobServices/default/containers/warehouse"),
                "ba92f5b4-2d11-453d-a403-e96b0029c9fe".to_owned()
            ),
        ]
    );

    // The warehouse, as the person: Lakekeeper's managed identity, no secret, the storage the
    // roles were granted on.
    let out = run(
        &p,
        &az,
        &["warehouse", "--production", "--dry-run", "--json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let request: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        request["request"]["storage-credential"],
        json!({"type": "az", "credential-type": "azure-system-identity"})
    );
    assert_eq!(
        request["request"]["storage-profile"]["account-name"],
        azure_arm::ACCOUNT
    );
    assert_eq!(
        request["request"]["storage-profile"]["filesystem"],
        "warehouse"
    );
    assert!(!text(&out).contains(FAKE_SECRET));

    // A re-run of all three changes nothing.
    let before = std::fs::read(p.path("deploy/values.yaml")).expect("values");
    let profile_before = p.read("lakekeeper-setup.toml");
    let writes = stand.seen().iter().filter(|r| r.method != "GET").count();
    let out = run(&p, &az, &["azure", "bootstrap", "--production", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(&p, &az, &["azure", "roles", "--production", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        stand.seen().iter().filter(|r| r.method != "GET").count(),
        writes,
        "a re-run wrote"
    );
    assert_eq!(p.read("lakekeeper-setup.toml"), profile_before);
    let out = run(&p, &az, &export).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        std::fs::read(p.path("deploy/values.yaml")).expect("values"),
        before
    );
}
