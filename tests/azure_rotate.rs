//! `lakekeeper-setup azure rotate-secret` end to end, and `verify`'s `client-secret` result,
//! through the binary: the stateful Graph and Key Vault stand-in (tests/support/azure_graph.rs),
//! the fake `az`, the OIDC stand-in that asks Graph which secrets are live (a removed one no
//! longer signs in), and a Lakekeeper management stand-in that follows the v0.13.3 OpenAPI
//! document and keeps the credential it is sent (and, like Lakekeeper, tests it first).
//!
//! After a rotation: one client secret, the new one, in the vault; `apply` on a second checkout
//! picks it up; the old one is gone from Graph and no longer gets a token; the warehouse signs
//! with the new one. A run stopped at each step, then run again, ends the same way with no secret
//! that nobody holds. No secret value appears in any output, file or `az` command line.

mod support;

use std::process::Output;

use serde_json::Value;
use support::azure::{AzMode, FakeAz, StandIn, token_for};
use support::azure_graph::{Failure, GraphModel, OIDC_ACCEPTS, VAULT};
use support::lakekeeper_api::LakekeeperModel;
use support::oidc::{OidcProvider, TENANT};
use support::project::Project;

const BACKEND: &str = "lakekeeper-backend";
const VAULT_NAME: &str = "lakekeeper-backend-client-secret";
const PG: (&str, &str) = ("POSTGRES_PASSWORD", "fake-pg-password-rotation");

struct World {
    stand: StandIn,
    graph: GraphModel,
    az: FakeAz,
    lk_stand: StandIn,
    lk: LakekeeperModel,
    idp: OidcProvider,
    p: Project,
    api_id: String,
    /// The profile names the team's vault (else the secret lives in `backend/.env`).
    vault: bool,
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

impl World {
    fn profile(&self, authority: &str) -> String {
        let base = profile_text(&self.stand.base, &self.lk_stand.base, authority);
        let base = if self.vault {
            base
        } else {
            without_vault(&base)
        };
        base + &format!(
            "\n[lakekeeper_api]\nclient_id = \"{}\"\napp_id_uri = \"api://{}\"\n\n[backend_service]\nclient_id = \"{}\"\n",
            self.api_id,
            self.api_id,
            self.backend_id()
        )
    }

    fn backend(&self) -> Value {
        self.graph.app(BACKEND).expect("the backend app")
    }

    fn backend_id(&self) -> String {
        s(&self.backend()["appId"])
    }

    fn credentials(&self) -> Vec<Value> {
        self.backend()["passwordCredentials"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Runs the binary in `p` off the runtime, with the fake `az` first on PATH.
    async fn run(&self, p: &Project, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.run_as(&self.az, p, args, env).await
    }

    /// [`World::run`] with another fake `az` (another sign-in).
    async fn run_as(
        &self,
        az: &FakeAz,
        p: &Project,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        let mut c = p.cmd();
        c.args(args)
            .env("PATH", az.path_var())
            .env("LAKEKEEPER_SETUP_AZURE_RETRY_MS", "5")
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        tokio::task::spawn_blocking(move || c.output().expect("run"))
            .await
            .expect("join")
    }

    async fn rotate(&self, extra: &[&str]) -> Output {
        let mut args = vec!["azure", "rotate-secret", "--yes"];
        args.extend_from_slice(extra);
        self.run(&self.p, &args, &[PG]).await
    }

    /// Whether the OIDC stand-in gives the backend a token for `secret`.
    async fn token_works(&self, secret: &str) -> bool {
        let form = [
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", self.backend_id()),
            ("client_secret", secret.to_owned()),
            ("scope", format!("api://{}/.default", self.api_id)),
        ];
        lakekeeper_setup::verify::http::client(std::time::Duration::from_secs(10))
            .expect("client")
            .post(format!(
                "{}/{TENANT}/oauth2/v2.0/token",
                self.idp.authority()
            ))
            .form(&form)
            .send()
            .await
            .expect("token request")
            .status()
            == 200
    }

    /// The end state every rotation must reach: one client secret, named after the one it
    /// replaced, held in the vault (so nobody holds a secret Graph still lists, and no listed
    /// secret is unheld), the same in `.env`, in the warehouse's stored credential, accepted by
    /// the OIDC stand-in; `old` refused.
    async fn assert_rotated(&self, old: &str, old_key: &str, what: &str) -> String {
        let creds = self.credentials();
        assert_eq!(
            creds.len(),
            1,
            "{what}: exactly one client secret: {creds:#?}"
        );
        assert_eq!(
            creds[0]["displayName"],
            format!(
                "lakekeeper-setup (replaces {} by user@contoso.com)",
                &old_key[..8]
            ),
            "{what}"
        );
        assert_ne!(creds[0]["keyId"], old_key, "{what}");
        let new = held(self);
        assert_ne!(new, old, "{what}");
        assert!(
            self.graph.accepts(&self.backend_id(), &new),
            "{what}: the vault's is the app's"
        );
        assert!(
            !self.graph.accepts(&self.backend_id(), old),
            "{what}: the old one is gone"
        );
        let env = support::wizard::read_env(&self.p.path("backend/.env"));
        assert_eq!(
            env.get("LAKEKEEPER__OAUTH2__CLIENT_SECRET"),
            Some(&new),
            "{what}"
        );
        let stored = self
            .lk
            .credential("lakekeeper")
            .expect("the warehouse's credential");
        assert_eq!(stored["client-secret"], new.as_str(), "{what}");
        assert_eq!(stored["client-id"], self.backend_id().as_str(), "{what}");
        assert!(
            self.token_works(&new).await,
            "{what}: the new secret gets a token"
        );
        assert!(
            !self.token_works(old).await,
            "{what}: the removed one no longer does"
        );
        new
    }
}

fn profile_text(graph_base: &str, lakekeeper: &str, authority: &str) -> String {
    format!(
        "[secrets]\nvault = \"{graph_base}/{VAULT}\"\nbackend_client_secret = \"{VAULT_NAME}\"\n\n[entra]\ntenant = \"{TENANT}\"\nauthority_host = \"{authority}\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\n\n[lakekeeper]\nbase_uri = \"{lakekeeper}\"\n"
    )
}

/// The profile without its `[secrets]` table.
fn without_vault(profile: &str) -> String {
    let start = profile.find("[secrets]").expect("a [secrets] table");
    let end = profile[start..]
        .find("\n\n")
        .map_or(profile.len(), |i| start + i + 2);
    format!("{}{}", &profile[..start], &profile[end..])
}

/// The secret the team holds: the vault's, or (without one) `backend/.env`'s.
fn held(w: &World) -> String {
    if w.vault {
        w.graph.vault(VAULT_NAME).expect("the vault holds it")
    } else {
        support::wizard::read_env(&w.p.path("backend/.env"))["LAKEKEEPER__OAUTH2__CLIENT_SECRET"]
            .clone()
    }
}

/// A team after `azure bootstrap` (secret in the vault), `apply` and `warehouse`: the
/// warehouse holds the first secret. `None` without node (outside CI).
async fn world() -> Option<World> {
    world_with(true).await
}

/// [`world`], with or without the team's vault.
async fn world_with(vault: bool) -> Option<World> {
    let stand = StandIn::start().await;
    let graph = GraphModel::serve(&stand);
    let az = FakeAz::new(&stand.base, AzMode::SignedIn);
    let lk_stand = StandIn::start().await;
    let lk = LakekeeperModel::serve(&lk_stand);
    // Like Lakekeeper's storage validation, a credential is kept only if it works.
    let g = graph.clone();
    lk.with(|c| {
        c.validate = Some(std::sync::Arc::new(move |cred: &Value| {
            g.accepts(&s(&cred["client-id"]), &s(&cred["client-secret"]))
        }));
    });
    let p = Project::empty();
    let first_profile = profile_text(&stand.base, &lk_stand.base, "http://127.0.0.1:9");
    p.write(
        "lakekeeper-setup.toml",
        &if vault {
            first_profile
        } else {
            without_vault(&first_profile)
        },
    );
    let mut c = p.cmd();
    c.args(["azure", "bootstrap", "--yes"])
        .env("PATH", az.path_var())
        .env("LAKEKEEPER_SETUP_AZURE_RETRY_MS", "5")
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join");
    assert_eq!(out.status.code(), Some(0), "bootstrap: {}", text(&out));
    let api_id = s(&graph.app("lakekeeper-api").expect("api")["appId"]);
    let idp =
        OidcProvider::start_with_graph(TENANT, &api_id, &format!("{}{OIDC_ACCEPTS}", stand.base))?;
    let w = World {
        stand,
        graph,
        az,
        lk_stand,
        lk,
        idp,
        p,
        api_id,
        vault,
    };
    let profile = w.profile(&w.idp.authority());
    w.p.write("lakekeeper-setup.toml", &profile);
    let out = w
        .run(&w.p, &["apply", "--yes", "--generate-key"], &[PG])
        .await;
    assert_eq!(out.status.code(), Some(0), "apply: {}", text(&out));
    let out = w.run(&w.p, &["warehouse"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "warehouse: {}", text(&out));
    let first = held(&w);
    assert_eq!(
        w.lk.credential("lakekeeper").expect("stored")["client-secret"],
        first.as_str()
    );
    Some(w)
}

/// No 12-character piece of any secret Graph handed out, or of a token, in `hay`.
fn assert_clean(what: &str, hay: &str, secrets: &[String]) {
    assert!(!secrets.is_empty());
    let tokens = [
        token_for("https://vault.azure.net"),
        token_for("https://management.core.windows.net/"),
    ];
    for secret in secrets.iter().chain(tokens.iter()) {
        let chars: Vec<char> = secret.chars().collect();
        for w in chars.windows(12) {
            let piece: String = w.iter().collect();
            assert!(!hay.contains(&piece), "{what} leaks {piece:?}:\n{hay}");
        }
    }
}

/// [`assert_clean`] for every file in `p` but `.env` and its backups (0600, beside it: where a
/// secret belongs).
fn assert_files_clean(p: &Project, secrets: &[String]) {
    for f in support::wizard::files_under(p.root()) {
        let rel = f
            .strip_prefix(p.root())
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        if rel == "backend/.env" || rel.starts_with("backend/.lakekeeper-setup-backups/.env") {
            continue;
        }
        let bytes = std::fs::read(&f).expect("read");
        assert_clean(&rel, &String::from_utf8_lossy(&bytes), secrets);
    }
}

fn key_of(cred: &Value) -> String {
    s(&cred["keyId"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_replaces_the_secret_everywhere_and_a_second_checkout_gets_it() {
    let Some(w) = world().await else {
        return;
    };
    let old = w.graph.vault(VAULT_NAME).expect("old");
    let old_key = key_of(&w.credentials()[0]);
    assert!(w.token_works(&old).await);

    // The dry run: the plan and the requests, masked; nothing sent.
    let writes = w.graph.with(|t| t.writes);
    let out = w
        .run(&w.p, &["azure", "rotate-secret", "--dry-run"], &[PG])
        .await;
    let dry = text(&out);
    assert_eq!(out.status.code(), Some(0), "{dry}");
    for want in [
        "1. add a new client secret to lakekeeper-backend",
        "its value goes straight to Key Vault team-dev-kv as a new version of lakekeeper-backend-client-secret, never to the screen",
        "needs: owner of the app registration, or the Application Administrator role; Key Vault Secrets Officer on team-dev-kv",
        "2. write backend/.env with the new secret (`lakekeeper-setup apply`)",
        "3. ask Entra ID for a token with the new secret (verify's token check)",
        "4. give warehouse `lakekeeper` the new secret as its storage credential in Lakekeeper",
        "5. remove the old client secret `lakekeeper-setup`",
        "/addPassword",
        "/removePassword",
        "/storage-credential",
        "--dry-run: these requests would be sent; nothing was changed.",
    ] {
        assert!(dry.contains(want), "{want}:\n{dry}");
    }
    assert_eq!(
        w.graph.with(|t| t.writes),
        writes,
        "a dry run writes nothing"
    );
    assert_eq!(w.lk.with(|c| c.updates), 0);

    let out = w.rotate(&[]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let new = w.assert_rotated(&old, &old_key, "one run").await;
    // The steps in order, then what teammates do.
    let at = |l: &str| all.find(l).unwrap_or_else(|| panic!("{l}:\n{all}"));
    assert!(
        at("✓ added a new client secret to lakekeeper-backend") < at("✓ wrote ")
            && at("✓ wrote ") < at("✓ Entra ID gives a token for the new secret")
            && at("✓ Entra ID gives a token")
                < at("✓ warehouse `lakekeeper` signs with the new secret")
            && at("✓ warehouse `lakekeeper` signs") < at("✓ removed the client secret"),
        "{all}"
    );
    assert!(
        all.contains("teammates: nothing to do — their next `lakekeeper-setup apply` (or the wizard) reads the new version from Key Vault team-dev-kv"),
        "{all}"
    );

    // A teammate's second checkout: the committed profile, then apply.
    let mate = Project::empty();
    mate.write("lakekeeper-setup.toml", &w.p.read("lakekeeper-setup.toml"));
    let out = w
        .run(&mate, &["apply", "--yes", "--generate-key"], &[PG])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let env = support::wizard::read_env(&mate.path("backend/.env"));
    assert_eq!(env.get("LAKEKEEPER__OAUTH2__CLIENT_SECRET"), Some(&new));

    // The leak audit: output, every file but the two .env files, az's command lines.
    let secrets = w.graph.secrets();
    assert_eq!(secrets.len(), 2);
    assert_clean("the dry run", &dry, &secrets);
    assert_clean("the rotation's output", &all, &secrets);
    assert_clean("az's argv", &w.az.argv().join("\n"), &secrets);
    for p in [&w.p, &mate] {
        assert_files_clean(p, &secrets);
    }

    // verify, with az signed in: the new secret's expiry, read from Graph by its hint.
    let out = w
        .run(&w.p, &["verify", "--json", "--timeout", "3"], &[])
        .await;
    let v: Value = serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).expect("json");
    let r = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "client-secret")
        .cloned()
        .expect("a client-secret result");
    assert_eq!(r["status"], "ok", "{r}");
    assert!(
        s(&r["summary"]).starts_with(
            "the backend's client secret (lakekeeper-backend, `lakekeeper-setup (replaces "
        ),
        "{r}"
    );
    assert!(s(&r["summary"]).contains("days left"), "{r}");
    assert_clean("verify", &text(&out), &secrets);
}

/// A stop at each step (each Graph and vault write refused or its answer lost, apply failing,
/// no token, Lakekeeper dropping the update), then a re-run: the same end state, one new secret,
/// none that nobody holds; and until the re-run, the old secret still works. With the team's
/// vault and without one (the secret's home is then `backend/.env`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_at_each_step_a_re_run_finishes_with_one_new_secret_held() {
    #[derive(Debug, Clone, Copy)]
    enum Stop {
        Write(u32, Failure),
        Apply,
        Token,
        Warehouse,
    }
    // Writes during a rotation: 1 addPassword, 2 the vault's PUT, 3 removePassword; without a
    // vault, 1 addPassword and 2 removePassword.
    let with_vault = [
        Stop::Write(1, Failure::Refused),
        Stop::Write(1, Failure::Lost),
        Stop::Write(2, Failure::Refused),
        Stop::Write(2, Failure::Lost),
        Stop::Apply,
        Stop::Token,
        Stop::Warehouse,
        Stop::Write(3, Failure::Refused),
        Stop::Write(3, Failure::Lost),
    ]
    .map(|s| (true, s));
    let without = [
        Stop::Write(1, Failure::Refused),
        Stop::Write(1, Failure::Lost),
        Stop::Apply,
        Stop::Token,
        Stop::Warehouse,
        Stop::Write(2, Failure::Refused),
        Stop::Write(2, Failure::Lost),
    ]
    .map(|s| (false, s));
    for (vault, stop) in with_vault.into_iter().chain(without) {
        let what = format!("{stop:?}, vault: {vault}");
        let Some(w) = world_with(vault).await else {
            return;
        };
        let old = held(&w);
        let old_key = key_of(&w.credentials()[0]);
        let profile = w.p.read("lakekeeper-setup.toml");
        let first = match stop {
            Stop::Write(n, how) => {
                w.graph.with(|t| t.fail_write = Some((t.writes + n, how)));
                w.rotate(&[]).await
            }
            Stop::Apply => {
                // A value apply refuses: it writes nothing.
                w.p.write(
                    "lakekeeper-setup.toml",
                    &profile.replace("sslmode = \"disable\"", "sslmode = \"sometimes\""),
                );
                w.rotate(&[]).await
            }
            Stop::Token => {
                w.p.write(
                    "lakekeeper-setup.toml",
                    &profile.replace(&w.idp.authority(), "http://127.0.0.1:9"),
                );
                w.rotate(&[]).await
            }
            Stop::Warehouse => {
                w.lk.with(|c| c.drop_updates = 1);
                w.rotate(&[]).await
            }
        };
        let all = text(&first);
        let removal = if vault { 3 } else { 2 };
        let lost_removal = matches!(stop, Stop::Write(n, Failure::Lost) if n == removal);
        if !lost_removal {
            assert_eq!(first.status.code(), Some(2), "{what}: {all}");
            assert!(all.contains("fix: "), "{what}: {all}");
            assert!(
                w.graph.accepts(&w.backend_id(), &old),
                "{what}: the old secret still works"
            );
        }
        w.graph.with(|t| t.fail_write = None);
        w.p.write("lakekeeper-setup.toml", &profile);
        let again = w.rotate(&[]).await;
        let all2 = text(&again);
        assert_eq!(
            again.status.code(),
            Some(0),
            "{what}: {all}\n--- re-run:\n{all2}"
        );
        let now_held = held(&w);
        if lost_removal {
            // The removal happened though its answer was lost: the re-run rotated once more,
            // replacing the secret the first run added. Still one secret, held.
            let creds = w.credentials();
            assert_eq!(creds.len(), 1, "{what}: {creds:#?}");
            assert!(w.graph.accepts(&w.backend_id(), &now_held), "{what}");
            assert!(!w.graph.accepts(&w.backend_id(), &old), "{what}");
        } else {
            w.assert_rotated(&old, &old_key, &what).await;
        }
        if matches!(stop, Stop::Write(1, Failure::Lost)) {
            assert!(all2.contains("nobody holds it"), "{what}: {all2}");
        }
        // Every secret Graph lists is the home's: none is left that nobody holds.
        for c in w.credentials() {
            let key = key_of(&c);
            let value = w.graph.with(|t| t.issued.get(&key).map(|(_, v)| v.clone()));
            assert_eq!(value.as_ref(), Some(&now_held), "{what}: {c}");
        }
        assert_clean(&what, &format!("{all}{all2}"), &w.graph.secrets());
        assert_clean("az's argv", &w.az.argv().join("\n"), &w.graph.secrets());
        assert_files_clean(&w.p, &w.graph.secrets());
    }
}

/// With a pinned clock (`LAKEKEEPER_SETUP_NOW`), `verify`'s `client-secret` result against the
/// Graph stand-in: 45, 30 and 0 days left are ok, warning and failure, each with its fix; a
/// secret that is none of the app's fails with its reason; without `az`, skipped with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_judges_the_secret_s_expiry_against_graph_with_a_pinned_clock() {
    let stand = StandIn::start().await;
    let graph = GraphModel::serve(&stand);
    let az = FakeAz::new(&stand.base, AzMode::SignedIn);
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &profile_text(&stand.base, "http://127.0.0.1:9", "http://127.0.0.1:9").replace(
            &format!(
                "[secrets]\nvault = \"{}/{VAULT}\"\nbackend_client_secret = \"{VAULT_NAME}\"\n\n",
                stand.base
            ),
            "",
        ),
    );
    let mut c = p.cmd();
    c.args(["azure", "bootstrap", "--yes", "--secret-months", "6"])
        .env("PATH", az.path_var())
        .env("LAKEKEEPER_SETUP_AZURE_RETRY_MS", "5")
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut c = p.cmd();
    c.args(["apply", "--yes", "--generate-key"]).env(PG.0, PG.1);
    assert_eq!(c.output().expect("apply").status.code(), Some(0));
    let end = s(&graph.app(BACKEND).expect("app")["passwordCredentials"][0]["endDateTime"]);
    let end_t = lakekeeper_setup::clock::parse_iso8601(&end).expect("graph's end date");
    let verify = |now: Option<std::time::SystemTime>, path: String, name: &'static str| {
        let mut c = p.cmd();
        c.args(["verify", "--json", "--timeout", "2"])
            .env("PATH", path)
            .stdin(std::process::Stdio::null());
        if let Some(now) = now {
            c.env(
                "LAKEKEEPER_SETUP_NOW",
                lakekeeper_setup::clock::iso8601(now),
            );
        }
        async move {
            let out = tokio::task::spawn_blocking(move || c.output().expect("verify"))
                .await
                .expect("join");
            let v: Value =
                serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).expect("json");
            v["checks"]
                .as_array()
                .expect("checks")
                .iter()
                .find(|c| c["name"] == name)
                .cloned()
                .unwrap_or_else(|| panic!("a {name} result: {v}"))
        }
    };
    let day = std::time::Duration::from_hours(24);
    let hour = std::time::Duration::from_hours(1);
    let date = &end[..10];
    for (days, status, summary, fix) in [
        (
            45,
            "ok",
            format!("is valid until {date}: 45 days left"),
            None,
        ),
        (
            30,
            "warning",
            format!("expires in 30 days ({date})"),
            Some("lakekeeper-setup azure rotate-secret"),
        ),
        (
            0,
            "failed",
            format!("expires today ({date})"),
            Some("lakekeeper-setup azure rotate-secret"),
        ),
    ] {
        let r = verify(
            Some(end_t - day * days - hour),
            az.path_var(),
            "client-secret",
        )
        .await;
        assert_eq!(r["status"], status, "{days}: {r}");
        assert_eq!(
            s(&r["summary"]),
            format!(
                "the backend's client secret (lakekeeper-backend, `lakekeeper-setup`) {summary}"
            ),
            "{days}"
        );
        match fix {
            Some(f) => assert!(s(&r["fix"]).contains(f), "{days}: {r}"),
            None => assert!(r["fix"].is_null(), "{days}: {r}"),
        }
    }
    // A separate warehouse app, its secret 20 days from its end: its own result, the portal's fix.
    let storage = graph.with(|t| {
        t.new_app(
            None,
            &serde_json::json!({"displayName": "lakekeeper-storage", "passwordCredentials": [
                {"keyId": "0f0f0f0f-0000-4000-8000-0000000000aa", "displayName": "portal",
                 "hint": "W01", "endDateTime": "2030-05-20T12:00:00Z"}]}),
        )
    });
    let env = p.read("backend/.env");
    p.write(
        "backend/.env",
        &format!(
            "{env}AZURE_STORAGE_CLIENT_ID={}\nAZURE_STORAGE_CLIENT_SECRET=W01~fake-storage-app-secret-0123456789ab\n",
            s(&storage["appId"])
        ),
    );
    let pinned = lakekeeper_setup::clock::parse_iso8601("2030-04-30T11:00:00Z").expect("date");
    let r = verify(Some(pinned), az.path_var(), "storage-client-secret").await;
    assert_eq!(r["status"], "warning", "{r}");
    assert_eq!(
        s(&r["summary"]),
        "the warehouse app's client secret (lakekeeper-storage, `portal`) expires in 20 days (2030-05-20)"
    );
    assert!(
        s(&r["fix"]).contains("lakekeeper-storage › Certificates & secrets"),
        "{r}"
    );
    // `--only` takes both names, as the results are named: those two and nothing else, judged
    // as on a full run (the backend's 6-month secret is long expired by then).
    let mut c = p.cmd();
    c.args(["verify", "--json", "--timeout", "2"])
        .args(["--only", "storage-client-secret,client-secret"])
        .env("PATH", az.path_var())
        .env(
            "LAKEKEEPER_SETUP_NOW",
            lakekeeper_setup::clock::iso8601(pinned),
        )
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || c.output().expect("verify"))
        .await
        .expect("join");
    let v: Value = serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).expect("json");
    let got: Vec<(String, String)> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (s(&c["name"]), s(&c["status"])))
        .collect();
    assert_eq!(
        got,
        [
            ("client-secret".to_owned(), "failed".to_owned()),
            ("storage-client-secret".to_owned(), "warning".to_owned())
        ],
        "{v}"
    );
    assert_eq!(out.status.code(), Some(1), "{v}");
    p.write("backend/.env", &env);
    // A secret from elsewhere.
    let env = p.read("backend/.env");
    let held =
        support::wizard::read_env(&p.path("backend/.env"))["LAKEKEEPER__OAUTH2__CLIENT_SECRET"]
            .clone();
    p.write(
        "backend/.env",
        &env.replace(&held, "XYZ~SENTINEL-a-secret-of-another-app-0123"),
    );
    let r = verify(None, az.path_var(), "client-secret").await;
    assert_eq!(r["status"], "failed", "{r}");
    assert_eq!(
        s(&r["summary"]),
        "the backend's client secret in LAKEKEEPER__OAUTH2__CLIENT_SECRET is none of lakekeeper-backend's current client secrets (deleted or from another app)"
    );
    assert!(
        s(&r["fix"]).contains("lakekeeper-setup azure rotate-secret"),
        "{r}"
    );
    // Alone: `--only client-secret` runs that result and nothing else.
    let mut c = p.cmd();
    c.args(["verify", "--json", "--only", "client-secret"])
        .env("PATH", az.path_var())
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || c.output().expect("verify"))
        .await
        .expect("join");
    let v: Value = serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).expect("json");
    let names: Vec<String> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| s(&c["name"]))
        .collect();
    assert_eq!(names, ["client-secret"], "{v}");
    assert_eq!(v["checks"][0]["status"], "failed", "{v}");
    assert_eq!(out.status.code(), Some(1), "{v}");
    // Without az: skipped, with the reason.
    let r = verify(None, "/nonexistent".into(), "client-secret").await;
    assert_eq!(r["status"], "skipped", "{r}");
    assert!(
        s(&r["summary"]).starts_with("expiry not checked: it needs your Azure CLI sign-in"),
        "{r}"
    );
}

/// The wizard in line mode on a real terminal in `root`, with `path` (a fake `az` first) and `env`.
fn wizard_in_tmux(root: &std::path::Path, path: &str, env: &[(&str, &str)]) -> support::tmux::Tmux {
    let root_arg = root.display().to_string();
    let mut all = vec![("NO_COLOR", "1"), ("PATH", path)];
    all.extend_from_slice(env);
    support::tmux::Tmux::start(
        root,
        std::path::Path::new(support::wizard::BIN),
        &["--plain", "--root", &root_arg],
        &all,
        240,
        50,
    )
}

/// Leaves the wizard from its welcome without writing anything.
fn leave(t: &support::tmux::Tmux) {
    t.keys(&["Escape"]);
    t.wait_for(&["Leave without writing anything?"]);
    t.keys(&["y", "Enter"]);
    t.wait_for(&["EXIT=130"]);
}

/// The wizard's welcome screen (line mode, on a real terminal) says when the backend's secret
/// has 30 days or fewer left, read from the Graph stand-in before the first question.
#[test]
fn the_wizard_welcome_says_when_the_secret_runs_out() {
    use support::tools::require_tool;
    if require_tool("tmux").is_none() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let stand = rt.block_on(StandIn::start());
    let graph = GraphModel::serve(&stand);
    let az = FakeAz::new(&stand.base, AzMode::SignedIn);
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!("[entra]\ntenant = \"{TENANT}\"\n"),
    );
    let out = p
        .cmd()
        .args(["azure", "bootstrap", "--yes"])
        .env("PATH", az.path_var())
        .env("LAKEKEEPER_SETUP_AZURE_RETRY_MS", "5")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bootstrap");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let end = s(&graph.app(BACKEND).expect("app")["passwordCredentials"][0]["endDateTime"]);
    let end_t = lakekeeper_setup::clock::parse_iso8601(&end).expect("end");
    let now =
        lakekeeper_setup::clock::iso8601(end_t - std::time::Duration::from_hours(12 * 24 + 1));
    let path = az.path_var();
    let t = wizard_in_tmux(p.root(), &path, &[("LAKEKEEPER_SETUP_NOW", &now)]);
    t.wait_for(&[&format!(
        "warning: the backend's client secret (lakekeeper-backend, `lakekeeper-setup`) expires in 12 days ({}); `lakekeeper-setup azure rotate-secret` replaces it",
        &end[..10]
    )]);
    leave(&t);
    assert_clean("the terminal", &t.history(), &graph.secrets());
}

/// An `az` that hangs (an offline laptop: each call may take the CLI's whole 60 s timeout) costs
/// the wizard's start at most `WELCOME_WAIT` (8 s): the welcome opens without the expiry line.
#[test]
fn a_hanging_az_delays_the_wizard_s_welcome_by_at_most_a_few_seconds() {
    use support::tools::require_tool;
    if require_tool("tmux").is_none() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let stand = rt.block_on(StandIn::start());
    let _graph = GraphModel::serve(&stand);
    let az = FakeAz::new(&stand.base, AzMode::Slow(45));
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!("[entra]\ntenant = \"{TENANT}\"\n"),
    );
    p.write(
        "backend/.env",
        "LAKEKEEPER__OAUTH2__CLIENT_ID=a0000001-0000-4000-8000-000000000001\nLAKEKEEPER__OAUTH2__CLIENT_SECRET=S01~fake-secret-for-a-slow-az-0123456789\n",
    );
    let path = az.path_var();
    let started = std::time::Instant::now();
    let t = wizard_in_tmux(p.root(), &path, &[]);
    let screen = t.wait_for(&["value(s) found and pre-filled"]);
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(15),
        "the welcome took {waited:?}"
    );
    assert!(!screen.contains("client secret ("), "{screen}");
    leave(&t);
}

/// `--keep-old` leaves the old secret working (both sign in); a later run resumes the same
/// rotation and, asked, removes the old one — no second new secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_old_leaves_the_old_secret_until_a_later_run_removes_it() {
    let Some(w) = world().await else {
        return;
    };
    let old = w.graph.vault(VAULT_NAME).expect("old");
    let old_key = key_of(&w.credentials()[0]);
    let out = w.rotate(&["--keep-old", "--months", "3"]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains("--keep-old: the old secret stays until it expires"),
        "{all}"
    );
    assert!(!all.contains("✓ removed"), "{all}");
    let creds = w.credentials();
    assert_eq!(creds.len(), 2, "{creds:#?}");
    let new = w.graph.vault(VAULT_NAME).expect("new");
    assert!(w.token_works(&old).await && w.token_works(&new).await);
    // Three months from now (Graph's end date), not the default twelve.
    let end = s(&creds[1]["endDateTime"]);
    let months = |iso: &str| {
        let y: i64 = iso[..4].parse().expect("year");
        let m: i64 = iso[5..7].parse().expect("month");
        y * 12 + m
    };
    let today = lakekeeper_setup::clock::iso8601(std::time::SystemTime::now());
    assert_eq!(months(&end) - months(&today), 3, "{end}");
    // Later: the same rotation is finished, nothing new added.
    let out = w.rotate(&[]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("this run resumes it"), "{all}");
    assert!(!all.contains("add a new client secret"), "{all}");
    assert_eq!(
        w.assert_rotated(&old, &old_key, "keep-old, then removed")
            .await,
        new
    );
}

/// Without a team vault the new secret goes to `backend/.env`, the rotation completes the same
/// way, and the end says how to pass the secret on and why a vault is better.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_vault_the_new_secret_goes_to_env_and_the_end_says_how_to_pass_it_on() {
    let Some(w) = world_with(false).await else {
        return;
    };
    assert!(w.graph.vault(VAULT_NAME).is_none());
    let old = held(&w);
    let old_key = key_of(&w.credentials()[0]);
    let out = w.rotate(&[]).await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    w.assert_rotated(&old, &old_key, "no vault").await;
    assert!(w.graph.vault(VAULT_NAME).is_none(), "no vault was written");
    for want in [
        "its value goes straight to",
        "without a team vault, whoever uses the old secret loses access when it is removed",
        "teammates: the new secret is only in your",
        "Pass it on through a channel meant for secrets (a password manager's shared vault), never chat or email",
        "a team Key Vault is better: name it under [secrets] in lakekeeper-setup.toml, run `lakekeeper-setup azure store-secrets` once",
    ] {
        assert!(all.contains(want), "{want}:\n{all}");
    }
    assert_clean("the output", &all, &w.graph.secrets());
}

/// Without a team vault each teammate may hold a client secret of their own. A teammate's
/// `warehouse` leaves the shared warehouse's credential as it is (Lakekeeper shows only its kind)
/// and says how to replace it; `--update-credential` replaces it and says whose secret it now
/// is. With a vault, `warehouse` sends the team's one value every time (the rotation test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_vault_a_teammate_s_warehouse_keeps_the_shared_credential_unless_asked() {
    let Some(w) = world_with(false).await else {
        return;
    };
    let first = held(&w);
    // A teammate's checkout: the committed profile, a secret of their own from bootstrap.
    let mate = Project::empty();
    mate.write("lakekeeper-setup.toml", &w.p.read("lakekeeper-setup.toml"));
    let out = w.run(&mate, &["azure", "bootstrap", "--yes"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = w
        .run(&mate, &["apply", "--yes", "--generate-key"], &[PG])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let theirs =
        support::wizard::read_env(&mate.path("backend/.env"))["LAKEKEEPER__OAUTH2__CLIENT_SECRET"]
            .clone();
    assert_ne!(theirs, first, "the teammate holds a secret of their own");
    assert!(w.graph.accepts(&w.backend_id(), &theirs));

    let stored = || {
        s(&w.lk
            .credential("lakekeeper")
            .expect("the warehouse's credential")["client-secret"])
    };
    let updates = w.lk.with(|c| c.updates);
    for args in [&["warehouse", "--dry-run"][..], &["warehouse"][..]] {
        let out = w.run(&mate, args, &[]).await;
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {all}");
        assert!(
            all.contains("warehouse `lakekeeper` already exists at abfss://lakehouse@fakeacct01.dfs.core.windows.net/lakekeeper with a client-credentials storage credential, left as it is: Lakekeeper does not show whose client secret it holds, and without a team vault each teammate may hold a secret of their own."),
            "{args:?}: {all}"
        );
        assert!(
            all.contains("`lakekeeper-setup warehouse --update-credential` gives it the one in"),
            "{args:?}: {all}"
        );
        assert_eq!(stored(), first, "{args:?}: the shared credential stays");
        assert_eq!(w.lk.with(|c| c.updates), updates, "{args:?}: nothing sent");
        assert_clean("warehouse", &all, &w.graph.secrets());
    }

    // Asked: the teammate's secret replaces it, and the output says so and whose it is.
    let out = w
        .run(&mate, &["warehouse", "--update-credential"], &[])
        .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(stored(), theirs);
    assert!(
        all.contains(&format!(
            "the warehouse now signs with client {}'s secret from {}, which replaced the one it held: without a team vault it may be yours alone",
            w.backend_id(),
            mate.path("backend/.env").display()
        )),
        "{all}"
    );
    assert_clean("warehouse --update-credential", &all, &w.graph.secrets());
}

/// The tenant comes from `backend/.env` (the profile names none) and the Azure CLI is signed in
/// to another one that cannot reach it (a stale `.env`, or the wrong `az login`): the rotation
/// stops before it reads or changes anything, naming both tenants, where the stale one came
/// from, and the ways out — as bootstrap's tenant check does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_the_sign_in_cannot_reach_stops_the_rotation_before_anything_changes() {
    use support::azure::SIGNED_IN_TENANT;
    let Some(w) = world().await else {
        return;
    };
    let profile = w.p.read("lakekeeper-setup.toml");
    w.p.write(
        "lakekeeper-setup.toml",
        &profile.replace(&format!("tenant = \"{TENANT}\"\n"), ""),
    );
    let elsewhere = FakeAz::new(&w.stand.base, AzMode::WrongTenant);
    let writes = w.graph.with(|t| t.writes);
    let before = w.credentials();
    let out = w
        .run_as(
            &elsewhere,
            &w.p,
            &["azure", "rotate-secret", "--yes"],
            &[PG],
        )
        .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    let env = w.p.path("backend/.env").display().to_string();
    assert!(
        all.contains(&format!(
            "error: the tenant {TENANT} comes from {env} (LAKEKEEPER__OPENID_PROVIDER_URI), but the Azure CLI's sign-in cannot reach it; it is signed in to tenant {SIGNED_IN_TENANT}"
        )),
        "{all}"
    );
    assert!(
        all.contains(&format!("fix: run `az login --tenant {TENANT}`")),
        "{all}"
    );
    assert!(all.contains("nothing was changed"), "{all}");
    assert!(
        !all.contains("the old client secret still works until"),
        "{all}"
    );
    assert_eq!(w.graph.with(|t| t.writes), writes, "nothing written");
    assert_eq!(w.credentials(), before);
    // Not a blind try: no Graph call was made in the stale tenant beyond the one token probe.
    let argv = elsewhere.argv().join("\n");
    assert_eq!(
        argv.matches(&format!("--tenant {TENANT}")).count(),
        1,
        "{argv}"
    );
}

/// Without a team vault, A rotates with `--keep-old` (the new secret only in A's `.env`); B, who
/// still holds the old one and is signed in as someone else, rotates too. B's run must not take
/// A's new secret for one "nobody holds": it is left (and named as A's), A still signs in, and
/// B ends with a secret of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_vault_another_person_s_rotation_is_not_removed_as_unheld() {
    let Some(w) = world_with(false).await else {
        return;
    };
    let shared = held(&w);
    let out = w.rotate(&["--keep-old"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let a_new = held(&w);
    assert_ne!(a_new, shared);
    // B: a checkout with the old shared secret, signed in to the Azure CLI as bob.
    let b = Project::empty();
    b.write("lakekeeper-setup.toml", &w.p.read("lakekeeper-setup.toml"));
    b.write(
        "backend/.env",
        &w.p.read("backend/.env").replace(&a_new, &shared),
    );
    let bob = FakeAz::new(&w.stand.base, AzMode::SignedIn);
    let account = bob.dir.path().join("account.json");
    let text_of = std::fs::read_to_string(&account).expect("account.json");
    std::fs::write(
        &account,
        text_of.replace("user@contoso.com", "bob@contoso.com"),
    )
    .expect("write account.json");
    let out = w
        .run_as(
            &bob,
            &b,
            &["azure", "rotate-secret", "--yes", "--keep-old"],
            &[PG],
        )
        .await;
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("nobody holds it"), "{all}");
    assert!(
        all.contains("is another person's rotation of the same secret"),
        "{all}"
    );
    assert!(w.token_works(&a_new).await, "A's new secret still works");
    let b_new =
        support::wizard::read_env(&b.path("backend/.env"))["LAKEKEEPER__OAUTH2__CLIENT_SECRET"]
            .clone();
    assert!(b_new != shared && b_new != a_new);
    assert!(w.token_works(&b_new).await, "B's new secret works");
    let names: Vec<String> = w
        .credentials()
        .iter()
        .map(|c| s(&c["displayName"]))
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with(" by bob@contoso.com)")),
        "{names:?}"
    );
    assert_clean("B's rotation", &all, &w.graph.secrets());
}
