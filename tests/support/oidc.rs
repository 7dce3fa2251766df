//! Starts `tests/support/oidc/launcher.js`: a real OIDC provider (oauth2-mock-server) behind
//! Entra-shaped paths, on 127.0.0.1 and a random port. Killed when dropped.
//!
//! Needs `node` and `npm ci` in tests/support/oidc: with `CI` set, a missing one fails the test.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};

use super::tools::require_tool;

pub const TENANT: &str = "11111111-2222-4333-8444-555555555555";
pub const TENANT_DOMAIN: &str = "contoso.example";
pub const API_ID: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
pub const BACKEND_ID: &str = "cccccccc-0000-4000-8000-000000000001";
pub const BACKEND_SECRET: &str = "fake-secret-backend-Q~0123456789abcdefgh";
pub const STORAGE_ID: &str = "cccccccc-0000-4000-8000-000000000002";
pub const STORAGE_SECRET: &str = "fake-secret-storage-Q~0123456789abcdefgh";

pub struct OidcProvider {
    child: Child,
    // Held so the launcher sees its stdin close (and exits) if this process dies.
    _stdin: Option<ChildStdin>,
    pub port: u16,
    tenant: String,
}

impl OidcProvider {
    /// `http://127.0.0.1:<port>` — the authority host in tests.
    pub fn authority(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The v1 issuer the launcher puts in v1 tokens (Entra's `https://sts.windows.net/<tid>/`).
    pub fn v1_issuer(&self) -> String {
        format!("{}/sts/{}/", self.authority(), self.tenant)
    }

    /// Starts the provider issuing v1 or v2 tokens. `None` (outside CI) when node or the
    /// npm packages are missing.
    pub fn start(token_version: u8) -> Option<OidcProvider> {
        let clients = [(BACKEND_ID, BACKEND_SECRET), (STORAGE_ID, STORAGE_SECRET)];
        OidcProvider::start_for(token_version, TENANT, API_ID, &clients)
    }

    /// As [`OidcProvider::start`] for another tenant, API app and clients (`client_id`, secret):
    /// the IDs and the secret `azure bootstrap` created.
    pub fn start_for(
        token_version: u8,
        tenant: &str,
        api_id: &str,
        clients: &[(&str, &str)],
    ) -> Option<OidcProvider> {
        OidcProvider::launch(token_version, tenant, api_id, &[], clients, None)
    }

    /// As [`OidcProvider::start_for`], asking `clients_url` (the Graph stand-in's
    /// `OIDC_ACCEPTS`) about every other client: a secret is accepted while Graph lists it, and
    /// no longer once it was removed.
    pub fn start_with_graph(tenant: &str, api_id: &str, clients_url: &str) -> Option<OidcProvider> {
        OidcProvider::launch(2, tenant, api_id, &[], &[], Some(clients_url))
    }

    /// As [`OidcProvider::start_for`], with more API apps in the tenant (`client_id`, App ID
    /// URI): a client may get a token for each.
    pub fn start_with_apis(
        token_version: u8,
        tenant: &str,
        api_id: &str,
        extra_apis: &[(&str, &str)],
        clients: &[(&str, &str)],
    ) -> Option<OidcProvider> {
        OidcProvider::launch(token_version, tenant, api_id, extra_apis, clients, None)
    }

    fn launch(
        token_version: u8,
        tenant: &str,
        api_id: &str,
        extra_apis: &[(&str, &str)],
        clients: &[(&str, &str)],
        clients_url: Option<&str>,
    ) -> Option<OidcProvider> {
        let node = require_tool("node")?;
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/oidc");
        if !dir.join("node_modules/oauth2-mock-server").is_dir() {
            assert!(
                std::env::var_os("CI").is_none(),
                "tests/support/oidc/node_modules is missing; .ci/run must run `npm ci` there"
            );
            eprintln!("skipping: run `npm ci` in tests/support/oidc (CI would fail here)");
            return None;
        }
        let mut child = Command::new(node)
            .arg("launcher.js")
            .current_dir(&dir)
            .env("OIDC_TENANT_ID", tenant)
            .env("OIDC_TENANT_DOMAIN", TENANT_DOMAIN)
            .env("OIDC_API_ID", api_id)
            .env(
                "OIDC_CLIENTS",
                clients
                    .iter()
                    .map(|(id, secret)| format!("{id}={secret}"))
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .env("OIDC_TOKEN_VERSION", token_version.to_string())
            .env("OIDC_CLIENTS_URL", clients_url.unwrap_or_default())
            .env(
                "OIDC_EXTRA_APIS",
                extra_apis
                    .iter()
                    .map(|(id, uri)| format!("{id}={uri}"))
                    .collect::<Vec<_>>()
                    .join(","),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node launcher.js");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the launcher's port");
        let port = line
            .trim()
            .strip_prefix("PORT=")
            .and_then(|p| p.parse().ok());
        let stdin = child.stdin.take();
        let Some(port) = port else {
            let _ = child.kill();
            panic!("launcher.js did not print PORT=<n>, got {line:?}");
        };
        Some(OidcProvider {
            child,
            _stdin: stdin,
            port,
            tenant: tenant.to_owned(),
        })
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
