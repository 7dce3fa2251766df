//! The bench's stand-ins for Entra ID, Lakekeeper and Azure Storage: handlers for
//! `delayed::Delayed` answering what each check needs to pass, so a full run is all green
//! except postgres (whose stand-in refuses the password, see `delayed::PgRefuser`).
//!
//! Tokens are real RS256 JWTs signed with the committed FAKE key
//! `benches/support/fake-jwt-signing-key.pem`, so token-claims does its full work (JWKS fetch
//! and signature verification).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::json;

use super::delayed::{Handler, Req, Resp};
use crate::support::oidc::{API_ID, TENANT};
use crate::support::verify_env::{CONTAINER, KEY_PREFIX, warehouse_list};

const KEY_PEM: &str = include_str!("fake-jwt-signing-key.pem");
const KID: &str = "fake-bench-kid-1";
/// Object ID of the (fake) service principal in the tokens.
const OID: &str = "dddddddd-0000-4000-8000-000000000001";

/// Signs JWTs with the fake key and publishes its public half as a JWKS.
pub struct Signer {
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl Signer {
    pub fn new() -> Signer {
        let b64: String = KEY_PEM
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN PRIVATE KEY-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        let der = STANDARD.decode(b64).expect("the fake key is base64 PKCS#8");
        let key = RsaKeyPair::from_pkcs8(&der).expect("the fake key is an RSA PKCS#8 key");
        Signer {
            key,
            rng: SystemRandom::new(),
        }
    }

    pub fn jwks(&self) -> serde_json::Value {
        let c: PublicKeyComponents<Vec<u8>> = self.key.public().into();
        json!({"keys": [{
            "kty": "RSA", "use": "sig", "kid": KID,
            "n": URL_SAFE_NO_PAD.encode(&c.n), "e": URL_SAFE_NO_PAD.encode(&c.e),
        }]})
    }

    pub fn jwt(&self, claims: &serde_json::Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": KID});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, input.as_bytes(), &mut sig)
            .expect("signing with the fake key");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Entra-shaped endpoints under `<base>/<tenant>/…`: v2 and v1 discovery, JWKS, and the
/// client-credentials token endpoint (v2 token for the API scope, any other scope gets a
/// storage-audience token).
pub fn entra(signer: Arc<Signer>) -> impl FnOnce(&str) -> Handler {
    move |base: &str| {
        let base = base.to_owned();
        Arc::new(move |req: &Req| {
            let t = TENANT;
            let issuer = format!("{base}/{t}/v2.0");
            match (req.method.as_str(), req.path.as_str()) {
                ("GET", p) if p == format!("/{t}/v2.0/.well-known/openid-configuration") => {
                    Resp::json(
                        200,
                        &json!({
                            "issuer": issuer,
                            "jwks_uri": format!("{base}/{t}/discovery/v2.0/keys"),
                            "token_endpoint": format!("{base}/{t}/oauth2/v2.0/token"),
                            "authorization_endpoint": format!("{base}/{t}/oauth2/v2.0/authorize"),
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }),
                    )
                }
                ("GET", p) if p == format!("/{t}/.well-known/openid-configuration") => Resp::json(
                    200,
                    &json!({
                        "issuer": format!("{base}/sts/{t}/"),
                        "jwks_uri": format!("{base}/{t}/discovery/keys"),
                    }),
                ),
                ("GET", p) if p == format!("/{t}/discovery/v2.0/keys") => {
                    Resp::json(200, &signer.jwks())
                }
                ("POST", p) if p == format!("/{t}/oauth2/v2.0/token") => {
                    let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
                        .into_owned()
                        .collect();
                    let scope = form.get("scope").map_or("", String::as_str);
                    let aud = if scope == format!("api://{API_ID}/.default") {
                        API_ID.to_owned()
                    } else {
                        "https://storage.azure.com".to_owned()
                    };
                    let n = now();
                    let token = signer.jwt(&json!({
                        "aud": aud, "iss": issuer, "ver": "2.0", "tid": t, "oid": OID,
                        "sub": OID, "azp": form.get("client_id"),
                        "iat": n, "nbf": n, "exp": n + 3600,
                    }));
                    Resp::json(
                        200,
                        &json!({"token_type": "Bearer", "expires_in": 3599, "access_token": token}),
                    )
                }
                _ => Resp::json(404, &json!({"error": "not_found"})),
            }
        })
    }
}

/// Lakekeeper's health, server info, warehouse list (bootstrapped, warehouse present) and the
/// catalog config PyIceberg asks for first.
pub fn lakekeeper() -> impl FnOnce(&str) -> Handler {
    |_base: &str| {
        let list: serde_json::Value =
            serde_json::from_str(&warehouse_list(KEY_PREFIX)).expect("warehouse list is JSON");
        Arc::new(move |req: &Req| match req.path.as_str() {
            "/health" => Resp::json(200, &json!({"health": "ok", "services": {}})),
            "/management/v1/info" => Resp::json(
                200,
                &json!({"version": "0.13.3", "bootstrapped": true,
                        "server-id": "00000000-0000-0000-0000-000000000000"}),
            ),
            "/management/v1/warehouse" => Resp::json(200, &list),
            "/catalog/v1/config" => Resp::json(
                200,
                &json!({"defaults": {"prefix": "0194b3c2-0000-7000-8000-000000000001",
                                     "rest-page-size": "100"},
                        "overrides": {"uri": "http://127.0.0.1/catalog"}}),
            ),
            _ => Resp::json(
                404,
                &json!({"error": {"message": "not found", "type": "NotFound", "code": 404}}),
            ),
        })
    }
}

/// Blob (`<base>/blob`) and Data Lake (`<base>/dfs`) endpoints of one account: the container
/// exists, hierarchical namespace on, blobs are stored and read back, delegation keys issued.
pub fn storage() -> impl FnOnce(&str) -> Handler {
    |_base: &str| {
        let blobs: Mutex<HashMap<String, Vec<u8>>> = Mutex::default();
        let container = format!("/blob/{CONTAINER}");
        Arc::new(move |req: &Req| {
            let (m, p, q) = (req.method.as_str(), req.path.as_str(), req.query.as_str());
            match m {
                "GET" if p == container && q == "restype=container" => Resp::empty(200),
                "HEAD" if p == format!("/dfs/{CONTAINER}") && q == "resource=filesystem" => Resp {
                    status: 200,
                    headers: vec![("x-ms-namespace-enabled", "true".to_owned())],
                    body: Vec::new(),
                },
                "POST" if p == "/blob/" && q == "restype=service&comp=userdelegationkey" => Resp {
                    status: 200,
                    headers: vec![("content-type", "application/xml".to_owned())],
                    body: b"<?xml version=\"1.0\" encoding=\"utf-8\"?><UserDelegationKey><Value>ZmFrZQ==</Value></UserDelegationKey>".to_vec(),
                },
                "PUT" if p.starts_with(&format!("{container}/")) => {
                    blobs
                        .lock()
                        .expect("lock")
                        .insert(p.to_owned(), req.body.clone());
                    Resp::empty(201)
                }
                "GET" if p.starts_with(&format!("{container}/")) => {
                    match blobs.lock().expect("lock").get(p) {
                        Some(b) => Resp {
                            status: 200,
                            headers: Vec::new(),
                            body: b.clone(),
                        },
                        None => Resp::empty(404),
                    }
                }
                "DELETE" if p.starts_with(&format!("{container}/")) => {
                    match blobs.lock().expect("lock").remove(p) {
                        Some(_) => Resp::empty(202),
                        None => Resp::empty(404),
                    }
                }
                _ => Resp::empty(400),
            }
        })
    }
}
