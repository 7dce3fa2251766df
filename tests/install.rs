//! The ways a user installs the tool without running it from a checkout: the wheel (what
//! `pip install`, `pipx install` and `uv tool install` take) and `cargo install --locked --path .`.
//! Each installed binary must run with no Rust on PATH and behave exactly as the binary cargo
//! built for the tests.
//!
//! Both reuse the build the test run already made (the dev profile, through hard links to its
//! target directory), so CI compiles the crate once; the optimised wheel is the release
//! workflow's job.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::project::Project;
use support::tools::{require_python_module, require_tool};

fn cargo_built() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lakekeeper-setup"))
}

/// `<target>/debug/lakekeeper-setup` → `<target>`.
fn target_dir() -> PathBuf {
    cargo_built()
        .parent()
        .and_then(Path::parent)
        .expect("the binary lives in <target>/<profile>/")
        .to_path_buf()
}

/// A private build directory of hard links to the test run's own: cargo and maturin find
/// everything there fresh, and whatever they re-link (cargo replaces `debug/lakekeeper-setup`
/// even when nothing changed) stays out of the directory whose binary other tests are running.
fn linked_target() -> tempfile::TempDir {
    fn link_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read build dir") {
            let entry = entry.expect("entry");
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                if entry.file_name() != "incremental" {
                    link_tree(&src, &dst);
                }
            } else if kind.is_file() {
                std::fs::hard_link(&src, &dst).expect("hard link");
            }
        }
    }
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    link_tree(&target_dir().join("debug"), &dir.path().join("debug"));
    dir
}

/// `cargo`/`maturin` as the outer build ran: without the `CARGO_PKG_*`, `CARGO_MANIFEST_DIR`
/// … that the test harness sets for this process. Build scripts (ring's) name those in
/// `rerun-if-env-changed`, so leaving them in would rebuild half the tree — and replace the
/// binary the other tests are running.
fn build_tool(program: &Path, target: &Path) -> Command {
    let mut c = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if (name.starts_with("CARGO_") && name != "CARGO_HOME") || name.starts_with("NEXTEST") {
            c.env_remove(name.as_ref());
        }
    }
    c.env("CARGO_TARGET_DIR", target);
    c
}

/// Build output must show that the test run's build was reused, not redone.
fn assert_reused(stderr: &str) {
    assert!(
        !stderr.contains("Compiling"),
        "the install rebuilt what the test run had built:\n{stderr}"
    );
}

fn manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")
}

/// A PATH with the system's tools and none of Rust's: the installed binary must not need them.
fn path_without_rust(bin_dir: &Path) -> String {
    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display());
    let cargo = Command::new("sh")
        .args(["-c", "command -v cargo rustc"])
        .env_clear()
        .env("PATH", &path)
        .output()
        .expect("sh");
    assert!(
        cargo.stdout.is_empty(),
        "this PATH still finds Rust: {}",
        String::from_utf8_lossy(&cargo.stdout)
    );
    path
}

/// Runs `bin args…` in the project with a clean environment.
fn run(bin: &Path, path: &str, home: &Path, project: &Project, args: &[&str]) -> Output {
    Command::new(bin)
        .env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .arg("--root")
        .arg(project.root())
        .args(args)
        .output()
        .expect("run lakekeeper-setup")
}

/// The installed binary answers `--version`, `check` and `apply --dry-run` on the fixture team
/// project exactly as the cargo-built one does: same exit code, same stdout, same stderr.
fn behaves_like_the_cargo_build(installed: &Path) {
    let bin_dir = installed.parent().expect("bin dir");
    let path = path_without_rust(bin_dir);
    let home = tempfile::tempdir().expect("home");
    let project = Project::fixture();
    for args in [&["--version"][..], &["check"], &["apply", "--dry-run"]] {
        let theirs = run(installed, &path, home.path(), &project, args);
        let ours = run(&cargo_built(), &path, home.path(), &project, args);
        assert_eq!(
            (theirs.status.code(), &theirs.stdout, &theirs.stderr),
            (ours.status.code(), &ours.stdout, &ours.stderr),
            "{args:?}: the installed binary differs from the cargo build:\n{}\n{}",
            String::from_utf8_lossy(&theirs.stdout),
            String::from_utf8_lossy(&theirs.stderr),
        );
        assert!(
            !ours.stdout.is_empty() || !ours.stderr.is_empty(),
            "{args:?} said nothing"
        );
    }
    let version = run(installed, &path, home.path(), &project, &["--version"]);
    assert!(
        String::from_utf8_lossy(&version.stdout).contains(lakekeeper_setup::strings::DEFAULT_IMAGE)
    );
}

#[test]
fn the_wheel_installs_into_a_fresh_venv_and_runs_without_rust() {
    let Some(maturin) = require_tool("maturin") else {
        return;
    };
    if !require_python_module("venv") {
        return;
    }
    let work = tempfile::tempdir().expect("tempdir");
    let dist = work.path().join("dist");
    let target = linked_target();
    let built = build_tool(&maturin, target.path())
        // Stored, not deflated: the dev binary is large and the test is about what installs.
        .args([
            "build",
            "--profile",
            "dev",
            "--compression-method",
            "stored",
        ])
        .arg("--manifest-path")
        .arg(manifest())
        .arg("--out")
        .arg(&dist)
        .output()
        .expect("run maturin");
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert!(built.status.success(), "maturin build failed: {stderr}");
    assert_reused(&stderr);
    let wheels: Vec<PathBuf> = std::fs::read_dir(&dist)
        .expect("dist")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    let wheel = &wheels[0];
    let name = wheel
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with(&format!(
            "lakekeeper_setup-{}-py3-none-",
            env!("CARGO_PKG_VERSION")
        )),
        "{name}"
    );
    #[cfg(target_os = "linux")]
    assert!(name.contains("manylinux_"), "not a manylinux wheel: {name}");

    let venv = work.path().join("venv");
    // A venv without its own pip (ensurepip is most of a venv's cost), filled by this Python's
    // pip, as `pipx` and `uv tool install` fill theirs.
    let made = Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("python3 -m venv");
    assert!(made.success());
    let installed = Command::new("python3")
        .args(["-m", "pip", "--python"])
        .arg(venv.join("bin/python"))
        .args(["install", "--quiet", "--no-index", "--no-deps"])
        .arg(wheel)
        .output()
        .expect("pip install");
    assert!(
        installed.status.success(),
        "pip install failed: {}",
        String::from_utf8_lossy(&installed.stderr)
    );
    let bin = venv.join("bin/lakekeeper-setup");
    assert!(
        bin.is_file() && !bin.is_symlink(),
        "the wheel installed no binary"
    );
    behaves_like_the_cargo_build(&bin);
}

#[test]
fn cargo_install_locked_from_the_checkout_runs_without_rust() {
    let Some(cargo) = require_tool("cargo") else {
        return;
    };
    let root = tempfile::tempdir().expect("install root");
    let target = linked_target();
    let out = build_tool(&cargo, target.path())
        .args(["install", "--locked", "--debug", "--path"])
        .arg(manifest().parent().expect("crate dir"))
        .arg("--root")
        .arg(root.path())
        .output()
        .expect("run cargo install");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo install failed: {stderr}");
    assert_reused(&stderr);
    behaves_like_the_cargo_build(&root.path().join("bin/lakekeeper-setup"));
}

/// The release workflow cannot run here; at least it parses and builds what the README promises.
#[test]
fn the_release_workflow_builds_wheels_for_the_four_platforms() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/release.yml"),
    )
    .expect("release.yml");
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("release.yml is YAML");
    let build = &docs[0]["jobs"]["build"];
    let targets: Vec<&str> = build["strategy"]["matrix"]["include"]
        .as_vec()
        .expect("a matrix")
        .iter()
        .filter_map(|m| m["target"].as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-gnu",
            "aarch64-unknown-linux-gnu",
            "universal2-apple-darwin",
            "x86_64-pc-windows-msvc"
        ]
    );
    let steps = format!("{:?}", build["steps"]);
    assert!(steps.contains("PyO3/maturin-action"), "{steps}");
    let publish = &docs[0]["jobs"]["publish"];
    assert_eq!(
        publish["permissions"]["id-token"].as_str(),
        Some("write"),
        "trusted publishing needs an OIDC token"
    );
    let pyproject =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pyproject.toml"))
            .expect("pyproject.toml");
    assert!(pyproject.contains("bindings = \"bin\""));
}

/// The CI workflow cannot run here either: it parses, runs `.ci/run` on Linux, and builds and
/// runs the unit tests on macOS and Windows.
#[test]
fn the_ci_workflow_covers_linux_macos_and_windows() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows/ci.yml"),
    )
    .expect("ci.yml");
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("ci.yml is YAML");
    let jobs = &docs[0]["jobs"];
    assert_eq!(jobs["linux"]["runs-on"].as_str(), Some("ubuntu-latest"));
    let linux_runs: Vec<&str> = jobs["linux"]["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert_eq!(linux_runs, ["bash .ci/run"]);
    let others = &jobs["build-and-unit-tests"];
    let oses: Vec<&str> = others["strategy"]["matrix"]["os"]
        .as_vec()
        .expect("os matrix")
        .iter()
        .filter_map(|o| o.as_str())
        .collect();
    assert_eq!(oses, ["macos-latest", "windows-latest"]);
    let runs: Vec<&str> = others["steps"]
        .as_vec()
        .expect("steps")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert_eq!(runs, ["cargo build --locked", "cargo test --locked --lib"]);
}
