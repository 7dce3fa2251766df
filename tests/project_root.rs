//! Where the project root is found (issue 11 §5): every command walks up from the current
//! directory to the first directory with `backend/` holding a compose file or a `.env`, or a
//! `lakekeeper-setup.toml`, says which, and refuses to create `backend/` when none is found and
//! `--root` is not given. A matrix over the directories a user runs the tool from.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::project::{API_ID, BACKEND_ID, FAKE_SECRET, Project, TENANT};

/// The binary in `cwd` with a clean environment (no `--root`).
fn run_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lakekeeper-setup"));
    c.env_clear();
    if let Some(v) = std::env::var_os("PATH") {
        c.env("PATH", v);
    }
    c.env("HOME", cwd).env("NO_COLOR", "1").current_dir(cwd);
    c.args(args).envs(env.iter().copied());
    c.output().expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every value `apply` needs that the fixture's `.env` lacks.
const ANSWERS: [(&str, &str); 6] = [
    ("LAKEKEEPER__OAUTH2__TENANT_ID", TENANT),
    (
        "LAKEKEEPER__OPENID_AUDIENCE",
        "api://aaaaaaaa-0000-4000-8000-000000000001,aaaaaaaa-0000-4000-8000-000000000001",
    ),
    ("LAKEKEEPER__OAUTH2__CLIENT_ID", BACKEND_ID),
    ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
    (
        "LAKEKEEPER__PG_ENCRYPTION_KEY",
        "fake-encryption-key-0123456789abcdefghij",
    ),
    ("LAKEKEEPER__BASE_URI", "http://localhost:8181"),
];

fn assert_refused(o: &Output, cwd: &Path) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let err = stderr(o);
    assert!(err.contains("no project found in"), "{err}");
    assert!(err.contains(&cwd.display().to_string()), "{err}");
    assert!(err.contains("--root <DIR>"), "{err}");
    assert!(
        !cwd.join("backend").exists(),
        "backend/ was created in {}",
        cwd.display()
    );
}

#[test]
fn the_tools_own_checkout_is_not_a_project_and_nothing_is_created_there() {
    let p = Project::empty();
    p.write("Cargo.toml", "[package]\nname = \"lakekeeper-setup\"\n");
    p.write("src/main.rs", "fn main() {}\n");
    p.write(
        "tests/fixtures/team-project/backend/.env",
        "POSTGRES_HOST=h\n",
    );
    for args in [
        &["apply", "--dry-run"][..],
        &["apply"],
        &["check"],
        &["verify"],
        &["warehouse", "--dry-run"],
    ] {
        let o = run_in(p.root(), args, &ANSWERS);
        assert_refused(&o, p.root());
    }
}

#[test]
fn an_empty_home_like_directory_is_refused_by_every_command() {
    let p = Project::empty();
    let home = p.path("home/dev");
    std::fs::create_dir_all(&home).expect("mkdir");
    for args in [&["apply", "--generate-key"][..], &["check"]] {
        let o = run_in(&home, args, &ANSWERS);
        assert_refused(&o, &home);
    }
    assert_eq!(std::fs::read_dir(p.root()).expect("dir").count(), 1);
}

#[test]
fn from_backend_and_from_a_nested_subdirectory_the_project_above_is_used_and_named() {
    let p = Project::fixture();
    let nested = p.path("backend/app/routers");
    std::fs::create_dir_all(&nested).expect("mkdir");
    for cwd in [p.path("backend"), nested.clone(), p.root().to_path_buf()] {
        let o = run_in(&cwd, &["apply", "--dry-run"], &ANSWERS);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(
            err.contains(&format!(
                "project root: {} (it has backend/docker-compose.yml)",
                p.root().display()
            )),
            "{err}"
        );
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains(&p.path("backend/.env").display().to_string()),
            "{out}"
        );
        // Nothing planned under the directory the command was run from.
        assert!(!cwd.join("backend/.env").exists() || cwd == p.root());
        assert!(!nested.join("backend").exists());
    }
    // `apply` writes the project's own file, not one under the subdirectory.
    let before = p.read("backend/.env");
    let o = run_in(&nested, &["apply"], &ANSWERS);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let after = p.read("backend/.env");
    assert_ne!(before, after);
    assert!(after.contains(&format!("LAKEKEEPER__OAUTH2__CLIENT_ID={BACKEND_ID}")));
    assert!(!nested.join("backend").exists());
    assert!(!p.path("backend/backend").exists());
}

#[test]
fn a_profile_alone_marks_the_root_and_backend_is_created_beside_it() {
    let p = Project::empty();
    p.write(
        "lakekeeper-setup.toml",
        &format!("[entra]\ntenant = \"{TENANT}\"\n\n[lakekeeper_api]\nclient_id = \"{API_ID}\"\n"),
    );
    let sub = p.path("docs");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let env = [
        ("LAKEKEEPER__OAUTH2__CLIENT_ID", BACKEND_ID),
        ("LAKEKEEPER__OAUTH2__CLIENT_SECRET", FAKE_SECRET),
        ("POSTGRES_HOST", "db.example.test"),
        ("POSTGRES_DB", "app"),
        ("POSTGRES_USER", "app"),
        ("POSTGRES_PASSWORD", "fake-pg-password"),
        ("AZURE_STORAGE_ACCOUNT_NAME", "teamadls"),
        ("AZURE_STORAGE_CONTAINER_NAME", "lake"),
    ];
    let o = run_in(&sub, &["apply", "--generate-key"], &env);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "project root: {} (it has lakekeeper-setup.toml)",
            p.root().display()
        )),
        "{err}"
    );
    assert!(p.path("backend/.env").is_file());
    assert!(!sub.join("backend").exists());
}

#[test]
fn an_explicit_root_is_used_as_given_even_when_empty_and_not_announced() {
    let p = Project::empty();
    let target = p.path("new-project");
    std::fs::create_dir_all(&target).expect("mkdir");
    let elsewhere = p.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let root = target.display().to_string();
    let mut env = ANSWERS.to_vec();
    env.extend([
        (
            "LAKEKEEPER__OPENID_PROVIDER_URI",
            "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
        ),
        ("POSTGRES_HOST", "db.example.test"),
        ("POSTGRES_DB", "app"),
        ("POSTGRES_USER", "app"),
        ("POSTGRES_PASSWORD", "fake-pg-password"),
        ("AZURE_STORAGE_ACCOUNT_NAME", "teamadls"),
        ("AZURE_STORAGE_CONTAINER_NAME", "lake"),
    ]);
    let o = run_in(&elsewhere, &["--root", &root, "apply"], &env);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("project root:"), "{err}");
    assert!(target.join("backend/.env").is_file());
    assert!(target.join("backend/docker-compose.override.yml").is_file());
    assert!(!elsewhere.join("backend").exists());
}

#[test]
fn the_wizard_asks_where_to_set_up_instead_of_creating_backend_in_an_empty_directory() {
    if support::tools::require_tool("tmux").is_none() {
        return;
    }
    let p = Project::empty();
    let home = p.path("home");
    let target = p.path("proj");
    std::fs::create_dir_all(&home).expect("mkdir");
    std::fs::create_dir_all(&target).expect("mkdir");
    let t = support::tmux::Tmux::start(
        &home,
        Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
        &["--plain"],
        &[("NO_COLOR", "1")],
        60,
        40,
    );
    let screen = t.wait_for(&["No project found here or above", "in which directory?"]);
    // Said at word boundaries on a narrow terminal: every word arrives whole.
    let words: Vec<&str> = screen.split_whitespace().collect();
    for word in "have no backend/ holding a compose file or a .env, and no lakekeeper-setup.toml."
        .split_whitespace()
    {
        assert!(words.contains(&word), "`{word}` was broken:\n{screen}");
    }
    assert!(
        screen
            .replace('\n', "")
            .contains(&home.display().to_string()),
        "{screen}"
    );
    // The current directory is only the suggestion: typing replaces it.
    t.type_text(&target.display().to_string());
    t.keys(&["Enter"]);
    let screen = t.wait_for(&[&target.join("backend/.env").display().to_string()]);
    assert!(
        !screen.contains(&home.join("backend").display().to_string()),
        "{screen}"
    );
    t.keys(&["C-c"]);
    t.wait_for(&["Leave without writing anything?"]);
    t.keys(&["y", "Enter"]);
    t.wait_for(&["EXIT=130"]);
    assert!(!home.join("backend").exists());
}
