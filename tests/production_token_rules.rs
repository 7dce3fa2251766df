//! Who production's Lakekeeper lets in, judged with the environment the official chart gives
//! its pods: `export helm`'s values rendered by Helm's own engine, the Deployment's container
//! environment resolved as the kubelet does. `verify`'s model of Lakekeeper's token rules
//! (signature, issuer, audience) accepts a token minted for production's own API and rejects
//! one minted for the laptop's API, for v1 and v2 tokens, both minted by one Entra-shaped
//! OIDC stand-in (oauth2-mock-server) that knows both APIs in one tenant.

mod support;

use std::collections::BTreeMap;

use std::os::unix::fs::PermissionsExt;

use lakekeeper_setup::secret::Secret;
use lakekeeper_setup::verify::{self, CheckName, Status};
use support::helm::{self, container_env, object, secrets_of};
use support::oidc::{API_ID, BACKEND_ID, BACKEND_SECRET, OidcProvider, TENANT};
use support::project::{FAKE_SECRET, Project};
use support::verify_env::config;

const PROD_API_ID: &str = "eeeeeeee-0000-4000-8000-000000000011";
const PROD_API_URI: &str = "api://lakekeeper-prod.example.com";
const KEY: &str = "fakeEncryptionKeyNotReal0123456789abcdef";

fn profile(authority: &str) -> String {
    format!(
        "[entra]\ntenant = \"{TENANT}\"\nauthority_host = \"{authority}\"\n\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\n\n\
         [backend_service]\nclient_id = \"{BACKEND_ID}\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n\
         [storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\ncredential = \"shared-key\"\n\n\
         [production]\nbase_uri = \"https://lakekeeper.example.com\"\napi_client_id = \"{PROD_API_ID}\"\napi_app_id_uri = \"{PROD_API_URI}\"\n\
         lakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\n"
    )
}

/// The Deployment's `lakekeeper` container environment, from the exported values.
fn pod_env(p: &Project) -> BTreeMap<String, String> {
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
        ("POSTGRES_PASSWORD", "fake-pg-password-1"),
        ("AZURE_STORAGE_ACCOUNT_KEY", "ZmFrZS1rZXk="),
        ("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY),
    ]);
    let out = p
        .cmd()
        .args(["export", "helm", "--secrets", "kubernetes", "--out"])
        .arg(p.path("deploy"))
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY)
        .env("LAKEKEEPER_PRODUCTION_PG_PASSWORD", "fake-prod-role-pass")
        .output()
        .expect("export");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = helm::render(&p.path("deploy/values.yaml"), &p.path("rendered.yaml"));
    let mut secrets = secrets_of(&docs);
    secrets.extend(secrets_of(&helm::load(
        &p.path("deploy/secrets/secret.yaml"),
    )));
    container_env(object(&docs, "Deployment"), "lakekeeper", &secrets)
}

#[tokio::test]
async fn the_pods_accept_productions_api_and_refuse_the_laptops_for_both_token_versions() {
    if !helm::ready() {
        return;
    }
    for version in [1_u8, 2] {
        let clients = [(BACKEND_ID, BACKEND_SECRET)];
        let Some(idp) = OidcProvider::start_with_apis(
            version,
            TENANT,
            API_ID,
            &[(PROD_API_ID, PROD_API_URI)],
            &clients,
        ) else {
            return;
        };
        let p = Project::empty();
        p.write("lakekeeper-setup.toml", &profile(&idp.authority()));
        let mut env = pod_env(&p);
        assert_eq!(
            env["LAKEKEEPER__OPENID_AUDIENCE"],
            format!("{PROD_API_URI},{PROD_API_ID}")
        );
        assert_eq!(
            env["LAKEKEEPER__OPENID_PROVIDER_URI"],
            format!("{}/{TENANT}/v2.0", idp.authority())
        );
        // The stand-in serves Entra's v1 issuer (https://sts.windows.net/<tid>/) on loopback:
        // only its host is translated, the rendered value is otherwise used as it is.
        let issuers = env["LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS"].replace(
            &format!("https://sts.windows.net/{TENANT}/"),
            &idp.v1_issuer(),
        );
        assert_ne!(issuers, env["LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS"]);
        env.insert("LAKEKEEPER__OPENID_ADDITIONAL_ISSUERS".into(), issuers);

        // A client of the tenant mints a token for `scope`; verify judges it by the pod's rules.
        let judged = |scope: &str| {
            let mut cfg = config(&idp.authority(), "http://127.0.0.1:9");
            cfg.env = env.clone();
            for (k, v) in [
                ("LAKEKEEPER__OAUTH2__CLIENT_ID", BACKEND_ID),
                ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", BACKEND_SECRET),
                ("LAKEKEEPER__OAUTH2__TENANT_ID", TENANT),
                ("LAKEKEEPER__OAUTH2__SCOPE", scope),
            ] {
                cfg.env.insert(k.into(), v.into());
            }
            cfg.only = Some(
                ["oidc-discovery", "token", "token-claims"]
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            );
            cfg
        };
        let production = verify::run(&judged(&format!("{PROD_API_URI}/.default")), None).await;
        let claims = production.get(CheckName::TokenClaims).expect("claims");
        assert_eq!(claims.status, Status::Ok, "v{version}: {claims:#?}");
        assert_eq!(
            claims.summary,
            format!("Lakekeeper would accept this v{version} token (signature, issuer, audience)")
        );
        let want_aud = if version == 2 {
            PROD_API_ID
        } else {
            PROD_API_URI
        };
        assert!(
            claims.details.contains(&format!("aud {want_aud}")),
            "v{version}: {claims:#?}"
        );

        let laptop = verify::run(&judged(&format!("api://{API_ID}/.default")), None).await;
        let token = laptop.get(CheckName::Token).expect("token");
        assert_eq!(
            token.status,
            Status::Ok,
            "the laptop's token is minted: {token:#?}"
        );
        let claims = laptop.get(CheckName::TokenClaims).expect("claims");
        assert_eq!(claims.status, Status::Failed, "v{version}: {claims:#?}");
        let laptop_aud = if version == 2 {
            API_ID.to_owned()
        } else {
            format!("api://{API_ID}")
        };
        assert_eq!(
            claims.summary,
            format!("the token's aud {laptop_aud} is not in LAKEKEEPER__OPENID_AUDIENCE"),
            "v{version}: refused for its audience, not for anything else"
        );
        assert!(
            claims
                .details
                .contains(&"signature verified (RS256)".to_owned()),
            "{claims:#?}"
        );
    }
}

/// `verify --production` judges what production's pods would be sent: the signed-in person's
/// token for production's scope, from the Azure CLI, against production's own audience. The
/// laptop's service account (whose API production refuses by design) is not used for it.
#[tokio::test]
async fn verify_production_judges_the_persons_token_by_the_rules_of_productions_pods() {
    let clients = [(BACKEND_ID, BACKEND_SECRET)];
    let Some(idp) =
        OidcProvider::start_with_apis(2, TENANT, API_ID, &[(PROD_API_ID, PROD_API_URI)], &clients)
    else {
        return;
    };
    let p = Project::empty();
    p.write("lakekeeper-setup.toml", &profile(&idp.authority()));
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
        ("POSTGRES_PASSWORD", "fake-pg-password-1"),
        ("AZURE_STORAGE_ACCOUNT_KEY", "ZmFrZS1rZXk="),
        ("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY),
    ]);
    // The stand-in mints a token for production's API, as Entra does for the Azure CLI.
    let minted = verify::entra::token_before(
        &verify::http::client(std::time::Duration::from_secs(10)).expect("client"),
        &idp.authority(),
        TENANT,
        BACKEND_ID,
        &Secret::new(BACKEND_SECRET),
        &format!("{PROD_API_URI}/.default"),
        tokio::time::Instant::now() + std::time::Duration::from_secs(10),
    )
    .await
    .expect("minted");
    let tools = tempfile::tempdir().expect("tools");
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{dir}/argv.log'\ncase \"$*\" in\n  *'--scope {PROD_API_URI}/lakekeeper'*) echo '{{\"accessToken\": \"{token}\", \"expires_on\": {expires}, \"tenant\": \"{TENANT}\", \"tokenType\": \"Bearer\"}}' ;;\n  *) echo \"ERROR: not in the fake: $*\" >&2; exit 2 ;;\nesac\n",
        dir = tools.path().display(),
        token = minted.access_token.expose(),
    );
    let az = tools.path().join("az");
    let path = format!(
        "{}:{}",
        tools.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::fs::write(&az, script).expect("write az");
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let out = p
        .cmd()
        .args([
            "verify",
            "--production",
            "--only",
            "oidc-discovery,token,token-claims,storage",
            "--json",
        ])
        .env("PATH", &path)
        .output()
        .expect("verify");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let check = |name: &str| {
        json["checks"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("{name}: {json:#}"))
    };
    let token = check("token");
    assert_eq!(token["status"], "ok", "{json:#}");
    assert_eq!(
        token["summary"],
        format!(
            "you got a token for production's scope {PROD_API_URI}/lakekeeper from the Azure CLI (production accepts no laptop's service account)"
        )
    );
    let claims = check("token-claims");
    assert_eq!(claims["status"], "ok", "{json:#}");
    assert_eq!(
        claims["summary"],
        "Lakekeeper would accept this v2 token (signature, issuer, audience)"
    );
    assert!(
        claims["details"]
            .as_array()
            .is_some_and(|d| d.contains(&serde_json::json!(format!("aud {PROD_API_ID}")))),
        "{json:#}"
    );
    // Storage: production never uses the laptop's credential; said, not judged.
    let storage = check("storage");
    assert_eq!(storage["status"], "skipped", "{json:#}");
    assert_eq!(
        storage["summary"],
        "not checked with the laptop's storage credential: production's Lakekeeper reaches storage as its managed identity (production-storage checks its roles)"
    );
    assert_eq!(out.status.code(), Some(0), "{json:#}");
    let argv = std::fs::read_to_string(tools.path().join("argv.log")).expect("az ran");
    assert!(
        argv.lines()
            .any(|l| l.starts_with("account get-access-token")
                && l.contains(&format!("--scope {PROD_API_URI}/lakekeeper"))
                && l.contains(&format!("--tenant {TENANT}"))),
        "{argv}"
    );

    // Signed out: the token check fails naming what to do, nothing else stands in for it.
    std::fs::write(
        &az,
        "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    )
    .expect("write az");
    let out = p
        .cmd()
        .args(["verify", "--production", "--only", "token", "--json"])
        .env("PATH", &path)
        .output()
        .expect("verify");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let token = &json["checks"][0];
    assert_eq!(token["status"], "failed", "{json:#}");
    assert!(
        token["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with(&format!(
                "no token for {PROD_API_URI}/lakekeeper from the Azure CLI"
            ))),
        "{json:#}"
    );
    assert!(
        token["fix"].as_str().is_some_and(
            |s| s.contains("never as a laptop's service account") && s.contains("az login")
        ),
        "{json:#}"
    );
    assert_eq!(out.status.code(), Some(1), "{json:#}");
}
