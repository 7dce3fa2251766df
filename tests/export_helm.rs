//! `export helm` end to end on the fixture team: the values are rendered by the real chart with
//! Helm's own engine, the manifests pass `kubernetes-validate --strict` and the ESO CRD schemas,
//! and the environment Lakekeeper would see in production equals the laptop's for the same
//! answers (except what must differ). Golden files, byte-identical re-runs, and the chart's
//! silent traps.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::helm::{self, container_env, object, secrets_of};
use support::project::{API_ID, FAKE_SECRET, PROFILE, Project, TENANT};

const KEY: &str = "fakeEncryptionKeyNotReal0123456789abcdef";
const PG_PASSWORD: &str = "fake-pass#1"; // the fixture's POSTGRES_PASSWORD
const PROD_HOST: &str = "prod-pg.postgres.database.azure.com";
/// The production role's own password (`LAKEKEEPER_PRODUCTION_PG_PASSWORD`), never the laptop's.
const PROD_PG_PASSWORD: &str = "fake-prod-role-pass#2";
const PROD_API_ID: &str = "eeeeeeee-0000-4000-8000-000000000011";
const PROD_API_URI: &str = "api://lakekeeper-prod.example.com";
const PROD_UI_ID: &str = "eeeeeeee-0000-4000-8000-000000000013";
const LAKEKEEPER_IDENTITY: &str = "eeeeeeee-0000-4000-8000-000000000012";
const BACKEND_IDENTITY: &str = "eeeeeeee-0000-4000-8000-000000000014";
/// What `azure bootstrap --production` records, written here by hand.
const IDENTITIES: &str = "api_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod.example.com\"\nui_client_id = \"eeeeeeee-0000-4000-8000-000000000013\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\nservice_account = \"lakekeeper\"\nbackend_namespace = \"investflow\"\nbackend_service_account = \"investflow-api\"\nbackend_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000014\"\n";
const PRODUCTION_SETTINGS: &str = "\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\ningress_host = \"lakekeeper.example.com\"\ningress_class = \"webapprouting.kubernetes.azure.com\"\ntls_secret = \"lakekeeper-tls\"\npostgres_host = \"prod-pg.postgres.database.azure.com\"\n";
const PRODUCTION: &str = concat!(
    "\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\ningress_host = \"lakekeeper.example.com\"\ningress_class = \"webapprouting.kubernetes.azure.com\"\ntls_secret = \"lakekeeper-tls\"\npostgres_host = \"prod-pg.postgres.database.azure.com\"\n",
    "api_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod.example.com\"\nui_client_id = \"eeeeeeee-0000-4000-8000-000000000013\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\nservice_account = \"lakekeeper\"\nbackend_namespace = \"investflow\"\nbackend_service_account = \"investflow-api\"\nbackend_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000014\"\n"
);
const VAULT: &str = "vault = \"https://team-prod-kv.vault.azure.net\"\nvault_identity = \"dddddddd-0000-4000-8000-000000000004\"\n\n[secrets]\nvault = \"https://team-dev-kv.vault.azure.net\"\nbackend_client_secret = \"lakekeeper-backend-client-secret\"\npostgres_password = \"lakekeeper-postgres-password\"\nencryption_key = \"lakekeeper-encryption-key\"\n";

/// The fixture team with its profile plus `extra` (a `[production]` table…).
fn team(extra: &str) -> Project {
    let p = Project::fixture();
    p.write("lakekeeper-setup.toml", &format!("{PROFILE}{extra}"));
    p
}

fn export(p: &Project, args: &[&str], secrets_in_env: bool) -> Output {
    let mut c = p.cmd();
    c.args(["export", "helm", "--out"])
        .arg(p.path("deploy"))
        .args(args);
    if secrets_in_env {
        c.env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
            .env("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY)
            .env("LAKEKEEPER_PRODUCTION_PG_PASSWORD", PROD_PG_PASSWORD);
    }
    c.output().expect("run export")
}

fn ok(o: &Output) -> String {
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{text}");
    text
}

fn failed(o: &Output, code: i32) -> String {
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{text}");
    text
}

/// The laptop's Lakekeeper environment: the keys the compose override passes to the
/// `lakekeeper` service, with their values from backend/.env.
fn laptop_env(p: &Project) -> BTreeMap<String, String> {
    let dotenv: BTreeMap<String, String> = dotenvy::from_path_iter(p.path("backend/.env"))
        .expect("dotenvy opens")
        .map(|r| r.expect("dotenvy parses"))
        .collect();
    let override_text = p.read("backend/docker-compose.override.yml");
    let doc = &yaml_rust2::YamlLoader::load_from_str(&override_text).expect("yaml")[0];
    let env = doc["services"]["lakekeeper"]["environment"]
        .as_hash()
        .expect("environment map");
    env.keys()
        .map(|k| {
            let k = k.as_str().expect("key").to_owned();
            let v = dotenv[&k].clone();
            (k, v)
        })
        .collect()
}

/// Everything in `env` a PostgreSQL URL is made of, percent-decoded.
fn url_parts(url: &str) -> BTreeMap<&'static str, String> {
    let u = url::Url::parse(url).expect("pg url");
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .expect("utf-8")
            .into_owned()
    };
    BTreeMap::from([
        (
            "LAKEKEEPER__PG_HOST_R",
            u.host_str().expect("host").to_owned(),
        ),
        (
            "LAKEKEEPER__PG_HOST_W",
            u.host_str().expect("host").to_owned(),
        ),
        ("LAKEKEEPER__PG_PORT", u.port().expect("port").to_string()),
        (
            "LAKEKEEPER__PG_DATABASE",
            dec(u.path().trim_start_matches('/')),
        ),
        ("LAKEKEEPER__PG_USER", dec(u.username())),
        (
            "LAKEKEEPER__PG_PASSWORD",
            dec(u.password().expect("password")),
        ),
        (
            "LAKEKEEPER__PG_SSL_MODE",
            u.query_pairs()
                .find(|(k, _)| k == "sslmode")
                .expect("sslmode")
                .1
                .into_owned(),
        ),
    ])
}

/// Renders the exported values with the exported Secret; returns the documents and the
/// Secrets a pod would find (the chart's and the exported one).
fn render(p: &Project, values: &Path, tag: &str) -> (Vec<Value>, helm::Secrets) {
    let manifests = p.path(&format!("rendered-{tag}.yaml"));
    let docs = helm::render(values, &manifests);
    // Every rendered manifest is a valid Kubernetes object (strict: no unknown field).
    if tag == "a" {
        let (valid, out) = helm::kubernetes_validate(&[&manifests]);
        assert!(valid, "{out}");
    }
    let mut secrets = secrets_of(&docs);
    let secret_file = p.path("deploy/secrets/secret.yaml");
    if secret_file.exists() {
        secrets.extend(secrets_of(&helm::load(&secret_file)));
    }
    (docs, secrets)
}

#[test]
fn the_chart_gives_lakekeeper_in_production_the_laptops_values() {
    if !helm::ready() {
        return;
    }
    let p = team(PRODUCTION);
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
        ("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY),
    ]);
    let out = ok(&export(&p, &["--secrets", "kubernetes"], true));
    assert!(
        out.contains("holds the PostgreSQL password and the encryption key in plain text"),
        "{out}"
    );
    assert!(out.contains("--from-env-file"), "{out}");
    let (valid, v) = helm::kubernetes_validate(&[&p.path("deploy/secrets/secret.yaml")]);
    assert!(valid, "{v}");

    let (docs, secrets) = render(&p, &p.path("deploy/values.yaml"), "a");
    let laptop = laptop_env(&p);
    let serve = container_env(object(&docs, "Deployment"), "lakekeeper", &secrets);
    let migrate = container_env(object(&docs, "Job"), "migration", &secrets);
    let check_db = container_env(object(&docs, "Deployment"), "check-db", &secrets);

    let mut compared = 0;
    for (key, value) in &laptop {
        match key.as_str() {
            "LAKEKEEPER__PG_DATABASE_URL_READ" | "LAKEKEEPER__PG_DATABASE_URL_WRITE" => {
                for (part, laptop_value) in url_parts(value) {
                    let want = match part {
                        "LAKEKEEPER__PG_HOST_R" | "LAKEKEEPER__PG_HOST_W" => {
                            assert_ne!(laptop_value, PROD_HOST);
                            PROD_HOST.to_owned()
                        }
                        // Lakekeeper's own role, not the backend's.
                        "LAKEKEEPER__PG_USER" => "lakekeeper".to_owned(),
                        "LAKEKEEPER__PG_PASSWORD" => PROD_PG_PASSWORD.to_owned(),
                        _ => laptop_value,
                    };
                    assert_eq!(serve.get(part), Some(&want), "{part}");
                }
                // A URL would take precedence over the split variables.
                assert!(
                    !serve.contains_key(key),
                    "{key} must not be set in production"
                );
            }
            "LAKEKEEPER__BASE_URI" => {
                assert_eq!(value, "http://localhost:8181");
                assert_eq!(serve[key], "https://lakekeeper.example.com");
            }
            // Production's own API and UI apps, never the laptop's.
            "LAKEKEEPER__OPENID_AUDIENCE" => {
                assert!(value.contains(API_ID), "{value}");
                assert_eq!(serve[key], format!("{PROD_API_URI},{PROD_API_ID}"));
            }
            "LAKEKEEPER__UI__OPENID_CLIENT_ID" => {
                assert_ne!(value, PROD_UI_ID);
                assert_eq!(serve[key], PROD_UI_ID);
            }
            "LAKEKEEPER__UI__OPENID_SCOPE" => {
                assert_eq!(
                    serve[key],
                    format!("openid profile {PROD_API_URI}/lakekeeper")
                );
            }
            _ => assert_eq!(serve.get(key), Some(value), "{key}"),
        }
        compared += 1;
    }
    assert!(compared >= 8, "{laptop:?}");
    assert_eq!(serve["LAKEKEEPER__PG_PASSWORD"], PROD_PG_PASSWORD);
    assert_ne!(PROD_PG_PASSWORD, PG_PASSWORD);
    assert_eq!(serve["LAKEKEEPER__PG_USER"], "lakekeeper");
    assert_eq!(
        serve["LAKEKEEPER__OPENID_AUDIENCE"],
        format!("{PROD_API_URI},{PROD_API_ID}")
    );
    assert_eq!(serve["LAKEKEEPER__ENABLE_AZURE_SYSTEM_CREDENTIALS"], "true");
    // Workload identity: the pods carry the label, run as the annotated service account.
    let pod = &object(&docs, "Deployment")["spec"]["template"];
    assert_eq!(
        pod["metadata"]["labels"]["azure.workload.identity/use"],
        "true"
    );
    assert_eq!(pod["spec"]["serviceAccountName"], "lakekeeper");
    let sa = object(&docs, "ServiceAccount");
    assert_eq!(sa["metadata"]["name"], "lakekeeper");
    assert_eq!(
        sa["metadata"]["annotations"]["azure.workload.identity/client-id"],
        LAKEKEEPER_IDENTITY
    );
    // No client secret anywhere the pods look.
    for (k, v) in &serve {
        assert!(!v.contains(FAKE_SECRET), "{k} holds the client secret");
        assert!(!k.contains("CLIENT_SECRET"), "{k}");
    }
    assert!(
        !serde_json::to_string(&docs)
            .expect("json")
            .contains(FAKE_SECRET)
    );
    // What the backend's deployment needs, printed.
    for line in [
        format!(
            "ServiceAccount investflow-api (namespace investflow): annotation azure.workload.identity/client-id: \"{BACKEND_IDENTITY}\""
        ),
        "label azure.workload.identity/use: \"true\"".to_owned(),
        format!("client ID {BACKEND_IDENTITY}"),
        format!("scope {PROD_API_URI}/.default"),
        "\"auth\": {\"type\": \"entra\"".to_owned(),
        "WorkloadIdentityCredential".to_owned(),
    ] {
        assert!(out.contains(&line), "{line} not in {out}");
    }
    assert_eq!(serve["LAKEKEEPER__PG_ENCRYPTION_KEY"], KEY);
    assert_eq!(serve["LAKEKEEPER__PG_SSL_MODE"], "require");
    assert_eq!(serve["LAKEKEEPER__AUTHZ_BACKEND"], "allowall");
    // The migration Job and the Deployment's wait-for-db see the same database and key.
    for key in [
        "LAKEKEEPER__PG_HOST_W",
        "LAKEKEEPER__PG_PASSWORD",
        "LAKEKEEPER__PG_ENCRYPTION_KEY",
        "LAKEKEEPER__PG_SSL_MODE",
        "LAKEKEEPER__PG_USER",
    ] {
        assert_eq!(migrate[key], serve[key], "{key}");
        assert_eq!(check_db[key], serve[key], "{key}");
    }
    assert_eq!(
        object(&docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"],
        "quay.io/lakekeeper/catalog:v0.13.3"
    );
    assert_eq!(object(&docs, "Deployment")["spec"]["replicas"], 2);
    // helmWait: the migration is a plain resource, not a hook `helm install --wait` deadlocks on.
    let job_annotations = &object(&docs, "Job")["metadata"]["annotations"];
    assert_eq!(job_annotations["helm-hook-enabled"], "false");
    assert!(job_annotations.get("helm.sh/hook").is_none());
    let probe =
        &object(&docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["livenessProbe"];
    assert!(
        probe["failureThreshold"].as_i64().expect("n")
            * probe["periodSeconds"].as_i64().expect("n")
            >= 120
    );
    let ingress = object(&docs, "Ingress");
    assert_eq!(
        ingress["spec"]["rules"][0]["host"],
        "lakekeeper.example.com"
    );
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], "lakekeeper-tls");
    assert_eq!(
        ingress["spec"]["ingressClassName"],
        "webapprouting.kubernetes.azure.com"
    );

    // No embedded PostgreSQL: no object from its subchart, no reference to its Service or
    // Secret, and no chart-generated encryption key.
    let all = serde_json::to_string(&docs).expect("json");
    assert!(
        !all.contains("USERDB_") && !all.contains("-pg\""),
        "embedded database referenced"
    );
    assert!(
        !all.contains("postgres-encryption"),
        "chart-generated key rendered"
    );
    assert!(docs.iter().all(|d| d["kind"] != "StatefulSet"
        && !d["x-template"].as_str().unwrap_or("").contains("/charts/")));
}

#[test]
fn the_encryption_key_comes_from_the_named_secret_in_two_renders_in_a_row() {
    if !helm::ready() {
        return;
    }
    let p = team(PRODUCTION);
    ok(&export(&p, &["--secrets", "kubernetes"], true));
    let key_of = |values: &Path, tag: &str| {
        let (docs, secrets) = render(&p, values, tag);
        container_env(object(&docs, "Deployment"), "lakekeeper", &secrets)["LAKEKEEPER__PG_ENCRYPTION_KEY"].clone()
    };
    let values = p.path("deploy/values.yaml");
    assert_eq!(key_of(&values, "1"), KEY);
    assert_eq!(key_of(&values, "2"), KEY);
    // The trap this avoids: without encryptionKeySecret every offline render mints a new key.
    let text = p.read("deploy/values.yaml");
    let without = text.replace(
        "encryptionKeySecret: \"lakekeeper-credentials\"",
        "encryptionKeySecret: \"\"",
    );
    assert_ne!(without, text);
    p.write("chart-default.yaml", &without);
    let (a, b) = (
        key_of(&p.path("chart-default.yaml"), "3"),
        key_of(&p.path("chart-default.yaml"), "4"),
    );
    assert_ne!(a, b, "the chart's own key is regenerated per render");
    assert_ne!(a, KEY);
}

#[test]
fn a_values_file_that_falls_back_to_the_embedded_database_is_caught_and_never_silently_replaced() {
    if !helm::ready() {
        return;
    }
    let p = team(PRODUCTION);
    ok(&export(&p, &["--secrets", "kubernetes"], true));
    // A hand-written values file without `postgresql.enabled: false` (and without our header).
    let text = p.read("deploy/values.yaml");
    let hand_written: String = text
        .lines()
        .filter(|l| {
            !l.starts_with('#')
                && !l.starts_with("postgresql:")
                && !l.starts_with("  enabled: false")
        })
        .flat_map(|l| [l, "\n"])
        .collect();
    p.write("deploy/values.yaml", &hand_written);
    // Rendered, Lakekeeper would talk to the embedded database the chart falls back to.
    let (docs, _) = render(&p, &p.path("deploy/values.yaml"), "fallback");
    let env = &object(&docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"];
    let env_text = env.to_string();
    assert!(
        env_text.contains("\"USERDB_PASSWORD\"") && !env_text.contains(PROD_HOST),
        "{env}"
    );
    // The export names the trap and leaves the file alone…
    let out = failed(&export(&p, &["--secrets", "kubernetes"], true), 2);
    assert!(
        out.contains(
            "values.yaml exists and was not written by lakekeeper-setup; nothing was written"
        ),
        "{out}"
    );
    assert!(
        out.contains("postgresql.enabled: is not false: the chart deploys its embedded PostgreSQL"),
        "{out}"
    );
    assert_eq!(p.read("deploy/values.yaml"), hand_written);
    // …until told to replace it.
    ok(&export(&p, &["--secrets", "kubernetes", "--force"], true));
    assert!(p.read("deploy/values.yaml").contains(
        "postgresql:  # the team's Azure PostgreSQL, not an embedded one\n  enabled: false"
    ));
}

#[test]
fn external_secrets_objects_pass_the_operators_schema_and_no_file_holds_a_secret() {
    if !helm::ready() {
        return;
    }
    let p = team(&format!("{PRODUCTION}{VAULT}"));
    // No secret in the environment: the vault holds them, and the export never needs a value.
    let out = ok(&export(&p, &[], false));
    assert!(
        out.contains("the External Secrets Operator must be installed"),
        "{out}"
    );
    let manifest = p.path("deploy/external-secrets.yaml");
    let (valid, report) = helm::eso_validate(&manifest);
    assert!(valid, "{report}");
    assert!(report.contains("checked 2 object(s)"), "{report}");
    // The strict schema check can fail: a misspelt field is caught.
    p.write(
        "typo.yaml",
        &p.read("deploy/external-secrets.yaml")
            .replace("vaultUrl:", "vaultURL:"),
    );
    let (valid, report) = helm::eso_validate(&p.path("typo.yaml"));
    assert!(!valid && report.contains("vaultURL"), "{report}");

    let docs = helm::load(&manifest);
    let es = object(&docs, "ExternalSecret");
    let store = object(&docs, "SecretStore");
    assert_eq!(
        store["spec"]["provider"]["azurekv"]["vaultUrl"],
        "https://team-prod-kv.vault.azure.net"
    );
    assert_eq!(
        store["spec"]["provider"]["azurekv"]["authType"],
        "WorkloadIdentity"
    );
    assert_eq!(store["spec"]["provider"]["azurekv"]["tenantId"], TENANT);
    assert_eq!(
        object(&docs, "ServiceAccount")["metadata"]["annotations"]["azure.workload.identity/client-id"],
        "dddddddd-0000-4000-8000-000000000004"
    );
    // The Secret it builds is the one the values name, with the keys the chart reads.
    let values = helm::load(&p.path("deploy/values.yaml"));
    let v = &values[0];
    assert_eq!(
        es["spec"]["target"]["name"],
        v["externalDatabase"]["passwordSecret"]
    );
    assert_eq!(
        es["spec"]["target"]["name"],
        v["secretBackend"]["postgres"]["encryptionKeySecret"]
    );
    let pairs: Vec<(String, String)> = es["spec"]["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| {
            (
                d["secretKey"].as_str().expect("k").to_owned(),
                d["remoteRef"]["key"].as_str().expect("r").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            (
                v["externalDatabase"]["passwordSecretKey"]
                    .as_str()
                    .expect("k")
                    .to_owned(),
                "secret/lakekeeper-production-postgres-password".to_owned()
            ),
            (
                v["secretBackend"]["postgres"]["encryptionKeySecretKey"]
                    .as_str()
                    .expect("k")
                    .to_owned(),
                "secret/lakekeeper-encryption-key".to_owned()
            ),
        ]
    );
    // With the Secret ESO would build (vault values stood in), the chart renders and resolves.
    let (docs, mut secrets) = render(&p, &p.path("deploy/values.yaml"), "eso");
    let (valid, report) = helm::kubernetes_validate(&[&p.path("rendered-eso.yaml"), &manifest]);
    assert!(
        valid && report.contains("serviceaccount/lakekeeper-keyvault"),
        "{report}"
    );
    secrets.insert(
        "lakekeeper-credentials".into(),
        BTreeMap::from([
            ("postgresql-password".into(), "vault-pw".into()),
            ("encryptionKey".into(), "vault-key".into()),
        ]),
    );
    let env = container_env(object(&docs, "Deployment"), "lakekeeper", &secrets);
    assert_eq!(
        (
            env["LAKEKEEPER__PG_PASSWORD"].as_str(),
            env["LAKEKEEPER__PG_ENCRYPTION_KEY"].as_str()
        ),
        ("vault-pw", "vault-key")
    );
    // Nothing secret anywhere in the output.
    assert!(!p.path("deploy/secrets").exists());
    for f in ["deploy/values.yaml", "deploy/external-secrets.yaml"] {
        let text = p.read(f);
        for secret in [
            FAKE_SECRET,
            PG_PASSWORD,
            PROD_PG_PASSWORD,
            "ZmFrZS1rZXktbm90LXJlYWw=",
            "not-written",
        ] {
            assert!(!text.contains(secret), "{f} holds {secret}");
        }
    }
}

#[test]
fn the_chart_traps_are_repaired_or_refused_as_on_the_laptop() {
    let p = team(PRODUCTION);
    // The fixture's provider URI ends in /.well-known/openid-configuration; its audience has a
    // space after the comma here.
    let env = p.read("backend/.env").replace(
        "LAKEKEEPER__OPENID_AUDIENCE=api://lakekeeper",
        &format!("LAKEKEEPER__OPENID_AUDIENCE=\"api://lakekeeper, {API_ID}\""),
    );
    p.write("backend/.env", &env);
    ok(&export(&p, &["--secrets", "kubernetes"], true));
    let values = p.read("deploy/values.yaml");
    assert!(
        values.contains(&format!(
            "providerUri: \"https://login.microsoftonline.com/{TENANT}/v2.0\"  #"
        )),
        "{values}"
    );
    // The laptop's audience (with its space) is not production's: production has its own API.
    assert!(
        values.contains(&format!("audience: \"{PROD_API_URI},{PROD_API_ID}\"  #")),
        "{values}"
    );
    assert!(!values.contains(API_ID), "{values}");
    assert!(!values.contains(".well-known/openid-configuration\""));

    // An App ID URI with a space is refused, with the laptop's own message.
    let q = team(&format!("{PRODUCTION}\n[lakekeeper_api]\n"));
    q.write("lakekeeper-setup.toml", &format!("{}{PRODUCTION}", PROFILE.replace("client_id = \"aaaaaaaa-0000-4000-8000-000000000001\"", "client_id = \"aaaaaaaa-0000-4000-8000-000000000001\"\napp_id_uri = \"api://lake keeper\"")));
    let out = failed(&export(&q, &["--secrets", "kubernetes"], true), 1);
    assert!(
        out.contains("`api://lake keeper` contains a space or comma"),
        "{out}"
    );
    assert!(!q.path("deploy").exists());

    // An unpinned image would run the chart's own default: refused.
    let r = team(PRODUCTION);
    let mut c = r.cmd();
    c.args(["export", "helm", "--secrets", "kubernetes"])
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY)
        .env("LAKEKEEPER_PRODUCTION_PG_PASSWORD", PROD_PG_PASSWORD);
    r.write(
        "lakekeeper-setup.toml",
        &format!(
            "{PROFILE}\n[lakekeeper]\nimage = \"quay.io/lakekeeper/catalog:latest\"\n{PRODUCTION}"
        ),
    );
    let out = failed(&c.output().expect("run"), 1);
    assert!(
        out.contains(
            "[lakekeeper] image: `quay.io/lakekeeper/catalog:latest` is not pinned to a release"
        ),
        "{out}"
    );
}

#[test]
fn a_dry_run_shows_the_values_withholds_the_secret_and_writes_nothing() {
    let p = team(PRODUCTION);
    let out = ok(&export(&p, &["--secrets", "kubernetes", "--dry-run"], true));
    assert!(
        out.contains("postgresql:  # the team's Azure PostgreSQL"),
        "{out}"
    );
    assert!(
        out.contains("secret.yaml (secret values withheld)"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing was written"), "{out}");
    for secret in [KEY, PG_PASSWORD, PROD_PG_PASSWORD, FAKE_SECRET] {
        assert!(!out.contains(secret), "{secret} printed");
    }
    assert!(!p.path("deploy").exists());
}

#[test]
fn without_productions_own_identities_the_export_refuses_and_names_bootstrap() {
    // Today's table (no identities): the laptop's API app would be production's audience, so
    // every teammate's backend secret could get a production token. Refused.
    assert_eq!(PRODUCTION, format!("{PRODUCTION_SETTINGS}{IDENTITIES}"));
    let p = team(PRODUCTION_SETTINGS);
    let out = failed(&export(&p, &["--secrets", "kubernetes"], true), 1);
    for key in [
        "api_client_id",
        "api_app_id_uri",
        "lakekeeper_identity_client_id",
    ] {
        assert!(
            out.contains(&format!("[production] {key}: is not set: production needs")),
            "{key}: {out}"
        );
    }
    assert!(
        out.contains("run `lakekeeper-setup azure bootstrap --production`"),
        "{out}"
    );
    assert!(!p.path("deploy").exists());
    // `check` says the same before anyone exports.
    let out = p.cmd().arg("check").output().expect("check");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("azure bootstrap --production"), "{text}");
    // The bootstrapped identities alone are enough.
    let q = team(&format!("{PRODUCTION_SETTINGS}{IDENTITIES}"));
    ok(&export(&q, &["--secrets", "kubernetes"], true));

    // The laptop's API app copied into [production] is refused, by client ID or by URI.
    let laptop = "aaaaaaaa-0000-4000-8000-000000000001";
    let copied = IDENTITIES
        .replace(PROD_API_ID, laptop)
        .replace(PROD_API_URI, "api://lakekeeper");
    let r = team(&format!("{PRODUCTION_SETTINGS}{copied}"));
    let out = failed(&export(&r, &["--secrets", "kubernetes"], true), 1);
    for key in ["api_client_id", "api_app_id_uri"] {
        assert!(
            out.contains(&format!("[production] {key}: `")) && out.contains("` is the laptop's API app: every teammate's backend secret gets a token for it; fix: run `lakekeeper-setup azure bootstrap --production`"),
            "{key}: {out}"
        );
    }
    assert!(!r.path("deploy").exists());
}

#[test]
fn a_kubernetes_secret_needs_the_production_roles_own_password() {
    let p = team(PRODUCTION);
    let mut c = p.cmd();
    c.args(["export", "helm", "--secrets", "kubernetes", "--out"])
        .arg(p.path("deploy"))
        .env("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET)
        .env("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY);
    let out = failed(&c.output().expect("run"), 1);
    assert!(
        out.contains("[production] postgres_user: `lakekeeper` has no password for the Secret"),
        "{out}"
    );
    assert!(
        out.contains("set LAKEKEEPER_PRODUCTION_PG_PASSWORD"),
        "{out}"
    );
    assert!(out.contains("verify --production --fix"), "{out}");
    assert!(!p.path("deploy").exists());
    // With it, the Secret holds exactly the role's password and the encryption key.
    ok(&export(&p, &["--secrets", "kubernetes"], true));
    let docs = helm::load(&p.path("deploy/secrets/secret.yaml"));
    let data = docs[0]["stringData"].as_object().expect("stringData");
    let keys: Vec<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(keys, ["encryptionKey", "postgresql-password"]);
    assert_eq!(data["postgresql-password"], PROD_PG_PASSWORD);
}

#[test]
fn without_a_base_uri_the_export_says_exactly_that() {
    let p = team("\n[production]\nnamespace = \"lakekeeper\"\n");
    let out = failed(&export(&p, &["--secrets", "kubernetes"], true), 1);
    assert!(
        out.contains("[production] base_uri: is required but was not given: it is the public URL"),
        "{out}"
    );
    assert!(
        out.contains("add `base_uri = \"https://lakekeeper.example.com\"` under [production]"),
        "{out}"
    );
    assert!(!p.path("deploy").exists());
    let p = team("");
    let out = failed(&export(&p, &["--secrets", "kubernetes"], true), 1);
    assert!(out.contains("[production] base_uri: is required"), "{out}");
}

#[test]
fn verify_and_warehouse_against_production_need_its_base_uri() {
    let p = team("");
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
        ("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY),
    ]);
    for args in [
        &["verify", "--production", "--only", "lakekeeper"][..],
        &["warehouse", "--production", "--dry-run"][..],
    ] {
        let out = failed(&p.cmd().args(args).output().expect("run"), 1);
        assert!(
            out.contains("[production] base_uri: is required but was not given"),
            "{args:?}: {out}"
        );
    }
}

#[test]
fn production_answers_never_reach_the_laptop_env() {
    let p = team(&format!("{PRODUCTION}{VAULT}"));
    p.apply_ok(&[
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
        ("LAKEKEEPER__PG_ENCRYPTION_KEY", KEY),
    ]);
    let env = p.read("backend/.env");
    assert!(
        env.contains("LAKEKEEPER__BASE_URI=http://localhost:8181\n"),
        "{env}"
    );
    assert!(
        env.contains("POSTGRES_HOST=dev-server.postgres.database.azure.com\n"),
        "{env}"
    );
    for prod in [
        "prod-pg",
        "lakekeeper.example.com",
        "team-prod-kv",
        "dddddddd-",
    ] {
        assert!(!env.contains(prod), "{prod} leaked into .env");
        assert!(!p.read("backend/docker-compose.override.yml").contains(prod));
    }
}

#[test]
fn a_rerun_with_the_same_answers_is_byte_identical() {
    let p = team(&format!("{PRODUCTION}{VAULT}"));
    ok(&export(&p, &["--secrets", "kubernetes"], true));
    ok(&export(&p, &[], true));
    let read_all = |p: &Project| -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        for rel in [
            "deploy/values.yaml",
            "deploy/external-secrets.yaml",
            "deploy/secrets/secret.yaml",
            "deploy/secrets/.gitignore",
        ] {
            files.push((rel.to_owned(), std::fs::read(p.path(rel)).expect(rel)));
        }
        files
    };
    let first = read_all(&p);
    let out = ok(&export(&p, &["--secrets", "kubernetes"], true)) + &ok(&export(&p, &[], true));
    assert_eq!(read_all(&p), first);
    assert!(!out.contains("backup"), "{out}");
    let names: Vec<String> = std::fs::read_dir(p.path("deploy"))
        .expect("dir")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".bak")), "{names:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |rel: &str| {
            std::fs::metadata(p.path(rel))
                .expect(rel)
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("deploy/secrets/secret.yaml"), 0o600);
        assert_eq!(mode("deploy/secrets"), 0o700);
        assert_eq!(mode("deploy/values.yaml"), 0o644);
    }
    assert_eq!(
        p.read("deploy/secrets/.gitignore").lines().last(),
        Some("*")
    );
}

#[test]
fn the_whole_output_for_the_fixture_team_matches_the_golden_files() {
    let p = team(&format!("{PRODUCTION}{VAULT}"));
    ok(&export(&p, &[], false));
    ok(&export(&p, &["--secrets", "kubernetes"], true));
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/export_helm");
    for (ours, name) in [
        ("deploy/values.yaml", "values.yaml"),
        ("deploy/external-secrets.yaml", "external-secrets.yaml"),
        ("deploy/secrets/secret.yaml", "secret.yaml"),
        ("deploy/secrets/.gitignore", "gitignore"),
    ] {
        let text = p.read(ours);
        let path = golden.join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(&golden).expect("mkdir");
            std::fs::write(&path, &text).expect("write golden");
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
        assert_eq!(text, want, "{name} differs from the golden file");
    }
}
