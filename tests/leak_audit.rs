//! Secret-leak audit: known sentinel secrets sit in the environment and in `.env`; every command
//! and mode runs (apply and its dry-run/JSON forms, check, verify and warehouse against loopback
//! stand-ins, the full-screen wizard through its review, line mode, every `--help`, a forced
//! error, the panic hook). No sentinel, nor any 12-character piece of one, may appear in any
//! output, rendered screen or file other than `.env` and its backups; those are mode 0600; and
//! `git` (the only child process the tool starts) never sees one on its command line.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::oidc::OidcProvider;
use support::project::Project;
use support::tmux::Tmux;
use support::tools::require_tool;
use support::wizard::files_under;

const TENANT: &str = "11111111-2222-3333-4444-555555555555";
const API_ID: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const BACKEND_ID: &str = "bbbbbbbb-0000-4000-8000-000000000002";

const FILE_CLIENT: &str = "SENTINEL-oauth2-value-FILE-Q~7f3a9c2e1b4d";
const FILE_PG: &str = "SENTINEL-pg-password-FILE-5e8d2a7c9b1f";
const FILE_STORAGE: &str = "SENTINEL-storage-key-FILE-3c6f9a2d8e1b";
const ENV_CLIENT: &str = "SENTINEL-oauth2-value-ENV-Q~0a1b2c3d4e5f";
const ENV_PG: &str = "SENTINEL-pg-password-ENV-6a7b8c9d0e1f";
const ENV_STORAGE: &str = "SENTINEL-storage-key-ENV-2b3c4d5e6f70";
const ENC_KEY: &str = "SENTINEL-encryption-key-00112233445566778899";
/// Only ever passed as invalid values (the forced errors).
const BAD_PG: &str = "SENTINEL-bad-pg-password\twith-a-tab";
const BAD_KEY: &str = "SENTINEL-short-enc-key";

const ALL: [&str; 9] = [
    FILE_CLIENT,
    FILE_PG,
    FILE_STORAGE,
    ENV_CLIENT,
    ENV_PG,
    ENV_STORAGE,
    ENC_KEY,
    BAD_PG,
    BAD_KEY,
];

/// Panics if `text` holds any 12-character piece of any sentinel.
fn assert_clean(what: &str, text: &str) {
    for s in ALL {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(12) {
            let piece: String = w.iter().collect();
            assert!(
                !text.contains(&piece),
                "{what} leaks {piece:?} (from a sentinel):\n{text}"
            );
        }
    }
}

fn assert_output_clean(what: &str, out: &Output) {
    assert_clean(
        &format!("{what}: stdout"),
        &String::from_utf8_lossy(&out.stdout),
    );
    assert_clean(
        &format!("{what}: stderr"),
        &String::from_utf8_lossy(&out.stderr),
    );
}

fn profile(authority: &str) -> String {
    format!(
        "[entra]\ntenant = \"{TENANT}\"\nauthority_host = \"{authority}\"\n\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\n\n[backend_service]\nclient_id = \"{BACKEND_ID}\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\ncredential = \"shared-key\"\nblob_endpoint = \"http://127.0.0.1:9\"\ndfs_endpoint = \"http://127.0.0.1:9\"\n\n[lakekeeper]\nbase_uri = \"http://127.0.0.1:9\"\n"
    )
}

fn env_file() -> String {
    format!(
        "# a user's file\nAPP_SETTING=keep-me\nLAKEKEEPER__OAUTH2__CLIENT_SECRET={FILE_CLIENT}\nPOSTGRES_HOST=127.0.0.1\nPOSTGRES_PORT=9\nPOSTGRES_PASSWORD={FILE_PG}\nAZURE_STORAGE_ACCOUNT_KEY={FILE_STORAGE}\nLAKEKEEPER__PG_ENCRYPTION_KEY={ENC_KEY}\n"
    )
}

const SECRET_ENV: [(&str, &str); 4] = [
    ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", ENV_CLIENT),
    ("POSTGRES_PASSWORD", ENV_PG),
    ("AZURE_STORAGE_ACCOUNT_KEY", ENV_STORAGE),
    ("LAKEKEEPER__PG_ENCRYPTION_KEY", ENC_KEY),
];

/// A project inside a git repository, with a `git` first on PATH that logs its argv.
struct Audit {
    p: Project,
    bin: tempfile::TempDir,
    log: PathBuf,
}

impl Audit {
    fn new(authority: &str, git: &Path) -> Audit {
        let p = Project::empty();
        p.write("lakekeeper-setup.toml", &profile(authority));
        p.write("backend/.env", &env_file());
        let init = Command::new(git)
            .args(["init", "-q"])
            .arg(p.root())
            .status()
            .expect("git init");
        assert!(init.success());
        let tools = tempfile::tempdir().expect("tools");
        let log = tools.path().join("git-argv.log");
        let fake = tools.path().join("git");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
                log.display(),
                git.display()
            ),
        )
        .expect("fake git");
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Audit { p, bin: tools, log }
    }

    fn path_var(&self) -> String {
        format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// Runs the binary with the sentinels in its environment; checks its output.
    fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
        let mut c = self.p.cmd();
        c.args(args)
            .env("PATH", self.path_var())
            .stdin(Stdio::null());
        for (k, v) in SECRET_ENV.iter().chain(extra_env) {
            c.env(k, v);
        }
        let out = c.output().expect("run");
        assert_output_clean(&args.join(" "), &out);
        out
    }

    /// Every file other than `.env` and its backups is clean; once the tool has written them,
    /// those are 0600; git's argv is clean too.
    fn check_files(&self, written: bool) {
        for f in files_under(self.p.root()) {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            let backup_dir = self.p.path("backend/.lakekeeper-setup-backups");
            if (f.parent() == Some(&self.p.path("backend")) && name == ".env")
                || (f.parent() == Some(&backup_dir) && name.starts_with(".env."))
            {
                let mode = std::fs::metadata(&f).expect("meta").permissions().mode() & 0o777;
                assert!(
                    !written || mode == 0o600,
                    "{} is mode {mode:o}",
                    f.display()
                );
                continue;
            }
            let bytes = std::fs::read(&f).expect("read");
            assert_clean(&f.display().to_string(), &String::from_utf8_lossy(&bytes));
        }
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        // A run that got as far as writing has asked git about the file: the log is not vacuous.
        assert!(
            !written || log.contains("rev-parse"),
            "git was never run: {log:?}"
        );
        assert_clean("git's command lines", &log);
    }

    fn tmux(&self, args: &[&str]) -> Tmux {
        let path = self.path_var();
        let mut env: Vec<(&str, &str)> = vec![("NO_COLOR", "1"), ("PATH", &path)];
        env.extend(SECRET_ENV);
        Tmux::start(
            self.p.root(),
            Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
            args,
            &env,
            120,
            40,
        )
    }
}

fn git() -> Option<PathBuf> {
    require_tool("git")
}

#[test]
fn no_command_line_mode_leaks_a_secret() {
    let Some(git) = git() else { return };
    let idp = OidcProvider::start(2);
    let authority = idp
        .as_ref()
        .map_or_else(|| "http://127.0.0.1:9".to_owned(), OidcProvider::authority);

    let a = Audit::new(&authority, &git);
    for args in [
        &["apply", "--dry-run"][..],
        &["apply", "--dry-run", "--json"],
        &["check"],
        &["check", "--json"],
        &["warehouse", "--dry-run"],
        &["warehouse", "--dry-run", "--json"],
    ] {
        let out = a.run(args, &[]);
        assert!(out.status.code().is_some(), "{args:?} was killed");
    }
    let backups = |a: &Audit| a.p.backups(".env").len();
    let out = a.run(&["apply", "--json", "--save-profile"], &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(backups(&a), 1, "the old .env was backed up");
    // The environment's values replaced the file's: the audit covered a real edit.
    let env = a.p.read("backend/.env");
    assert!(env.contains(ENV_CLIENT) && !env.contains(FILE_CLIENT));
    let out = a.run(&["apply"], &[("POSTGRES_PASSWORD", FILE_PG)]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(backups(&a), 2);
    for args in [&["verify", "--json"][..], &["verify"], &["check", "--json"]] {
        let out = a.run(args, &[]);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{args:?}: {out:?}"
        );
    }
    a.check_files(true);
}

/// The production role's own password, which only the Kubernetes Secret file may hold.
const PROD_PG: &str = "SENTINEL-production-role-password-7c1d9e";

/// Everything `export helm` writes, in both secrets modes, as the first person would run it
/// with every laptop secret in `.env` and the environment: no client secret (the backend's, a
/// storage app's), no laptop database password, in any file or output. The one Secret file
/// holds exactly the production role's password and the encryption key.
#[test]
fn export_helm_writes_no_client_secret_in_either_mode() {
    let Some(git) = git() else { return };
    let a = Audit::new("http://127.0.0.1:9", &git);
    a.p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{}\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\napi_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod.example.com\"\nui_client_id = \"eeeeeeee-0000-4000-8000-000000000013\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\nbackend_namespace = \"app\"\nbackend_service_account = \"app-api\"\nbackend_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000014\"\nvault = \"https://team-prod-kv.vault.azure.net\"\nvault_identity = \"dddddddd-0000-4000-8000-000000000004\"\n\n[secrets]\nbackend_client_secret = \"lk-backend\"\npostgres_password = \"lk-pg\"\nencryption_key = \"lk-key\"\n",
            profile("http://127.0.0.1:9")
        ),
    );
    let password = [("LAKEKEEPER_PRODUCTION_PG_PASSWORD", PROD_PG)];
    let out_dir = |name: &str| a.p.path(&format!("deploy/{name}")).display().to_string();
    let (k8s, dry, eso) = (out_dir("k8s"), out_dir("dry"), out_dir("eso"));
    for args in [
        &["export", "helm", "--secrets", "kubernetes", "--out", &k8s][..],
        &[
            "export",
            "helm",
            "--secrets",
            "kubernetes",
            "--out",
            &dry,
            "--dry-run",
        ],
        &["export", "helm", "--out", &eso],
    ] {
        let out = a.run(args, &password);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            !text.contains(PROD_PG),
            "{args:?} printed the role's password"
        );
    }
    let written = files_under(&a.p.path("deploy"));
    let names: Vec<String> = written
        .iter()
        .map(|f| {
            f.strip_prefix(a.p.root())
                .expect("under")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        names.len(),
        5,
        "values and Secret (k8s), values and ESO objects (eso), nothing for the dry run: {names:?}"
    );
    let secret_file = a.p.path("deploy/k8s/secrets/secret.yaml");
    for f in &written {
        let text = std::fs::read_to_string(f).expect("read");
        if *f == secret_file {
            // Only the production role's password and the encryption key.
            let values: Vec<&str> = text
                .lines()
                .skip_while(|l| !l.starts_with("stringData:"))
                .skip(1)
                .collect();
            assert_eq!(
                values,
                [
                    format!("  postgresql-password: \"{PROD_PG}\""),
                    format!("  encryptionKey: \"{ENC_KEY}\""),
                ]
            );
            let rest = text.replace(PROD_PG, "").replace(ENC_KEY, "");
            assert_clean(&f.display().to_string(), &rest);
            continue;
        }
        assert_clean(&f.display().to_string(), &text);
        assert!(
            !text.contains(PROD_PG),
            "{} holds the role's password",
            f.display()
        );
        assert!(
            !text.to_ascii_lowercase().contains("client-secret\"")
                && !text.contains("clientSecret")
                && !text.contains("CLIENT_SECRET"),
            "{} names a client secret",
            f.display()
        );
        // Nor does the cluster fetch one: the vault secret holding the backend's client
        // secret (`[secrets] backend_client_secret`) is never referenced.
        assert!(
            !text.contains("lk-backend"),
            "{} references the vault's client secret",
            f.display()
        );
    }
    assert!(
        std::fs::read_to_string(a.p.path("deploy/eso/external-secrets.yaml"))
            .expect("ESO objects")
            .contains("lk-key"),
        "the ExternalSecret reads the vault by secret names"
    );
}

#[test]
fn forced_errors_and_help_leak_nothing() {
    let Some(git) = git() else { return };
    let a = Audit::new("http://127.0.0.1:9", &git);
    let before = a.p.read("backend/.env");
    // An invalid secret, a too-short key, a key that would replace the existing one.
    for extra in [
        &[("POSTGRES_PASSWORD", BAD_PG)][..],
        &[("LAKEKEEPER__PG_ENCRYPTION_KEY", BAD_KEY)],
    ] {
        for json in [false, true] {
            let args: &[&str] = if json {
                &["apply", "--json"]
            } else {
                &["apply"]
            };
            let out = a.run(args, extra);
            assert_eq!(out.status.code(), Some(1), "{extra:?}: {out:?}");
        }
    }
    let out = a.run(
        &["apply", "--rotate-key"],
        &[("LAKEKEEPER__PG_ENCRYPTION_KEY", BAD_KEY)],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        a.p.read("backend/.env"),
        before,
        "a failed run wrote nothing"
    );
    for args in [
        &["--help"][..],
        &["apply", "--help"],
        &["check", "--help"],
        &["verify", "--help"],
        &["warehouse", "--help"],
        &["--version"],
        &["no-such-command"],
    ] {
        a.run(args, &[]);
    }
    // Nothing was written: the seeded .env keeps its mode, and no backup exists.
    assert_eq!(a.p.backups(".env"), Vec::<String>::new());
    a.check_files(false);
}

#[test]
fn the_wizard_screens_and_line_mode_leak_nothing() {
    let Some(git) = git() else { return };
    if require_tool("tmux").is_none() {
        return;
    }
    let a = Audit::new("http://127.0.0.1:9", &git);
    let t = a.tmux(&[]);
    let mut screens = vec![t.wait_for(&["Step 1 of 11", "exists, will be edited in place"])];
    t.keys(&["Enter"]);
    for n in 3..=9 {
        t.keys(&["C-n"]);
        screens.push(t.wait_for(&[&format!("Step {n} of 11")]));
    }
    t.keys(&["C-n"]);
    screens.push(t.wait_for(&["Step 10 of 11", "Your answers", "will change"]));
    t.keys(&["Enter"]);
    screens.push(t.wait_for(&["Step 11 of 11", "wrote"]));
    t.keys(&["Enter"]);
    screens.push(t.wait_for(&["EXIT=0"]));
    screens.push(t.history());
    drop(t);
    for (i, s) in screens.iter().enumerate() {
        assert_clean(&format!("wizard screen {i}"), s);
    }
    assert_eq!(a.p.backups(".env").len(), 1);

    // Line mode: Enter keeps every pre-filled answer, up to the review.
    a.p.write("backend/.env", &env_file());
    let t = a.tmux(&["--plain"]);
    let mut history = String::new();
    for _ in 0..60 {
        history = t.history();
        if history.contains("? Next") {
            break;
        }
        t.keys(&["Enter"]);
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    assert!(history.contains("Your answers"), "{history}");
    t.keys(&["Enter"]);
    // After the write the wizard offers the live checks (default No).
    t.wait_for(&["Check the setup live now"]);
    t.keys(&["Enter"]);
    t.wait_for(&["EXIT="]);
    let history = t.history();
    drop(t);
    assert_clean("line mode", &history);
    a.check_files(true);
}

/// Runs in a child copy of this test binary (see below): installs the wizard's panic hook and
/// panics with a secret in the message, as a bug formatting a typed value might.
fn panic_child() -> ! {
    lakekeeper_setup::tui::install_panic_hook();
    let r = std::panic::catch_unwind(|| panic!("typed value: {ENV_CLIENT}"));
    // Exit before the test harness can report the payload itself.
    std::process::exit(if r.is_err() { 42 } else { 0 });
}

#[test]
fn the_panic_hook_withholds_the_message() {
    if std::env::var_os("LEAK_AUDIT_PANIC_CHILD").is_some() {
        panic_child();
    }
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "the_panic_hook_withholds_the_message",
            "--nocapture",
        ])
        .env("LEAK_AUDIT_PANIC_CHILD", "1")
        .output()
        .expect("run child");
    assert_eq!(out.status.code(), Some(42), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("internal error"), "{err}");
    assert!(err.contains("message is withheld"), "{err}");
    assert_output_clean("panic hook", &out);
}

/// Values the team's Key Vault holds in the Azure audit, and the fake `az`'s tokens.
const VAULT_CLIENT: &str = "SENTINEL-kv-cs-Q~5a4b3c2d1e0f9a8b7c6d";
const VAULT_PG: &str = "SENTINEL-kv-pg-8f7e6d5c4b3a2918";
const VAULT_STORAGE: &str = "SENTINEL-kv-sk-0a9b8c7d6e5f4a3b";
const VAULT_ENC: &str = "SENTINEL-kv-ek-00aa11bb22cc33dd44ee55ff66";

/// The Azure assist's new paths: tokens from `az` and values from Key Vault never appear in any
/// output (apply and its dry-run/JSON forms, check, verify's `key-vault` result), in any file
/// but `.env` (0600), nor on `az`'s or git's command line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_tokens_and_vault_values_never_leak() {
    use support::azure::{AzMode, FakeAz, StandIn, token_for};
    let stand = StandIn::start().await;
    for (name, value) in [
        ("lk-client", VAULT_CLIENT),
        ("lk-pg", VAULT_PG),
        ("lk-storage", VAULT_STORAGE),
        ("lk-enc", VAULT_ENC),
    ] {
        stand.json(
            &format!("/team-dev-kv/secrets/{name}"),
            200,
            &serde_json::json!({"value": value, "id": format!("https://team-dev-kv.vault.azure.net/secrets/{name}/1"), "attributes": {"enabled": true}}),
        );
    }
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "{}\n[secrets]\nvault = \"{}/team-dev-kv\"\nbackend_client_secret = \"lk-client\"\npostgres_password = \"lk-pg\"\nstorage_account_key = \"lk-storage\"\nencryption_key = \"lk-enc\"\n",
            profile("http://127.0.0.1:9"),
            stand.base
        ),
    );
    let tokens = [
        token_for("https://vault.azure.net"),
        token_for("https://management.core.windows.net/"),
    ];
    let sentinels: Vec<&str> = [VAULT_CLIENT, VAULT_PG, VAULT_STORAGE, VAULT_ENC]
        .into_iter()
        .chain(tokens.iter().map(String::as_str))
        .collect();
    let clean = |what: &str, text: &str| {
        for s in &sentinels {
            let chars: Vec<char> = s.chars().collect();
            for w in chars.windows(12) {
                let piece: String = w.iter().collect();
                assert!(!text.contains(&piece), "{what} leaks {piece:?}:\n{text}");
            }
        }
    };
    let path = fake.path_var();
    let mut verify_json = String::new();
    for args in [
        &["apply", "--dry-run"][..],
        &["apply", "--dry-run", "--json"],
        &["apply", "--yes"],
        &["check"],
        &["verify", "--json", "--timeout", "2"],
    ] {
        let mut c = p.cmd();
        c.args(args).env("PATH", &path).stdin(Stdio::null());
        let out = tokio::task::spawn_blocking(move || c.output().expect("run"))
            .await
            .expect("join");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        clean(&args.join(" "), &all);
        if args[0] == "verify" {
            verify_json = String::from_utf8_lossy(&out.stdout).into_owned();
        }
    }
    // The run was not vacuous: the vault's values were written, and verify compared them.
    let env = p.read("backend/.env");
    assert!(
        env.contains(VAULT_CLIENT) && env.contains(VAULT_ENC),
        "{env}"
    );
    let mode = std::fs::metadata(p.path("backend/.env"))
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let v: serde_json::Value = serde_json::from_str(&verify_json).expect("verify JSON");
    let kv = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "key-vault")
        .expect("a key-vault result")
        .clone();
    assert_eq!(kv["status"], "ok", "{kv}");
    assert_eq!(
        kv["summary"],
        "4 secret(s) in .env match Key Vault team-dev-kv"
    );
    for f in files_under(p.root()) {
        if f == p.path("backend/.env") {
            continue;
        }
        let bytes = std::fs::read(&f).expect("read");
        clean(&f.display().to_string(), &String::from_utf8_lossy(&bytes));
    }
    clean("az's command lines", &fake.argv().join("\n"));
    // Each token went only to its own service: the vault's to the vault, Graph's (verify's
    // client-secret result reads the backend app) to Graph.
    let graph_token = token_for(&format!("{}/graph", stand.base));
    let seen = stand.seen();
    assert!(
        seen.iter()
            .any(|r| r.path_and_query.starts_with("/team-dev-kv/"))
    );
    for r in &seen {
        let want = if r.path_and_query.starts_with("/graph/") {
            &graph_token
        } else {
            &tokens[0]
        };
        assert_eq!(
            r.bearer.as_deref(),
            Some(want.as_str()),
            "{}",
            r.path_and_query
        );
    }
}

/// `azure rotate-secret` (no vault: the new secret goes to `.env`), stopped at the token check
/// and then planned again with `--dry-run`, and `verify` reading the secrets' expiry: no secret
/// Graph handed out, and no token, in any output, any file but `.env` and its backups, or any
/// `az` command line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_rotation_leaks_nothing() {
    use support::azure::{AzMode, FakeAz, StandIn, token_for};
    use support::azure_graph::GraphModel;
    let stand = StandIn::start().await;
    let graph = GraphModel::serve(&stand);
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!(
            "[entra]\ntenant = \"{TENANT}\"\nauthority_host = \"http://127.0.0.1:9\"\n\n[postgres]\nhost = \"127.0.0.1\"\ndatabase = \"lake\"\nuser = \"lake\"\nsslmode = \"disable\"\n\n[storage]\naccount = \"fakeacct01\"\ncontainer = \"lakehouse\"\n\n[lakekeeper]\nbase_uri = \"http://127.0.0.1:9\"\n"
        ),
    );
    let path = fake.path_var();
    let run = |args: &[&str]| {
        let mut c = p.cmd();
        c.args(args)
            .env("PATH", &path)
            .env("POSTGRES_PASSWORD", "fake-pg-password-audit")
            .env("LAKEKEEPER_SETUP_AZURE_RETRY_MS", "5")
            .stdin(Stdio::null());
        c
    };
    let mut outputs = Vec::new();
    for (args, code) in [
        (&["azure", "bootstrap", "--yes"][..], 0),
        (&["apply", "--yes", "--generate-key"], 0),
        (&["azure", "rotate-secret", "--yes"], 2),
        (&["azure", "rotate-secret", "--dry-run"], 0),
        (&["verify", "--json", "--timeout", "2"], 1),
    ] {
        let mut c = run(args);
        let out = tokio::task::spawn_blocking(move || c.output().expect("run"))
            .await
            .expect("join");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(code), "{args:?}: {all}");
        outputs.push((args.join(" "), all));
    }
    // Not vacuous: the rotation added a second secret, now in .env, and stopped at the token.
    let secrets = graph.secrets();
    assert_eq!(secrets.len(), 2, "{outputs:?}");
    let env = p.read("backend/.env");
    assert!(env.contains(&secrets[1]), "{env}");
    assert!(
        outputs[2]
            .1
            .contains("the new secret does not get a token yet"),
        "{}",
        outputs[2].1
    );
    let sentinels: Vec<String> = secrets
        .iter()
        .cloned()
        .chain([
            token_for("https://vault.azure.net"),
            token_for("https://management.core.windows.net/"),
            token_for(&format!("{}/graph", stand.base)),
        ])
        .collect();
    let clean = |what: &str, text: &str| {
        for s in &sentinels {
            let chars: Vec<char> = s.chars().collect();
            for w in chars.windows(12) {
                let piece: String = w.iter().collect();
                assert!(!text.contains(&piece), "{what} leaks {piece:?}:\n{text}");
            }
        }
    };
    for (what, text) in &outputs {
        clean(what, text);
    }
    for f in files_under(p.root()) {
        let rel = f
            .strip_prefix(p.root())
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        if rel == "backend/.env" || rel.starts_with("backend/.lakekeeper-setup-backups/.env") {
            let mode = std::fs::metadata(&f).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{rel}");
            continue;
        }
        clean(
            &rel,
            &String::from_utf8_lossy(&std::fs::read(&f).expect("read")),
        );
    }
    clean("az's command lines", &fake.argv().join("\n"));
}
