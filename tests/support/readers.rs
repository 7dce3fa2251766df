//! The three real `.env` readers, driven the way the project's consumers use them:
//! dotenvy (in-process), python-dotenv (`dotenv_values`, as pydantic-settings calls it) and
//! Docker Compose v2 (`docker-compose config`, no engine needed).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file under the fixtures: `$LAKEKEEPER_FIXTURES` when set, else the crate's own copy in
/// `tests/fixtures` (kept identical to the handed-over `shared/fixtures`, where it is beside the
/// checkout, by `fixtures_match_shared`), so a clone runs without the shared folder beside it.
pub fn fixture(relative: &str) -> PathBuf {
    let root = std::env::var_os("LAKEKEEPER_FIXTURES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        PathBuf::from,
    );
    let path = root.join(relative);
    assert!(
        path.is_file(),
        "fixture {} is missing; set LAKEKEEPER_FIXTURES to a fixtures folder",
        path.display()
    );
    path
}

/// A command with a clean environment, so no shell variable leaks into interpolation.
fn clean_command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.env_clear();
    for name in ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
}

fn run_json(command: &mut Command) -> serde_json::Value {
    let output = command.output().expect("reader starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("reader prints JSON")
}

/// python-dotenv's reading: key → value (`None` for a key without `=`).
pub fn python_dotenv(env_path: &Path) -> HashMap<String, Option<String>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/read_env.py");
    let json = run_json(clean_command("python3").arg(script).arg(env_path));
    serde_json::from_value(json).expect("python-dotenv prints an object of strings")
}

/// dotenvy's reading, as its loader applies it (first occurrence wins, stops at an error).
pub fn dotenvy(env_path: &Path) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for item in dotenvy::from_path_iter(env_path).expect("dotenvy opens the file") {
        let (key, value) = item.expect("dotenvy parses every line");
        values.entry(key).or_insert(value);
    }
    values
}

/// What Compose hands a container, both ways the project uses `.env`:
/// (`${KEY}` interpolation into `environment:`, `env_file: .env`).
///
/// `config` re-escapes every `$` as `$$` so its output can be fed back to Compose; that is
/// undone here (left to right, so `$$$$` is `$$`).
pub fn compose(dir: &Path, keys: &[&str]) -> (HashMap<String, String>, HashMap<String, String>) {
    let mut environment = String::new();
    for key in keys {
        writeln!(environment, "      {key}: \"${{{key}}}\"").expect("writing to a String");
    }
    let yaml = format!(
        "services:\n  interpolated:\n    image: busybox\n    environment:\n{environment}\
         \x20 envfile:\n    image: busybox\n    env_file: .env\n"
    );
    std::fs::write(dir.join("compose.yml"), yaml).expect("write compose.yml");
    let json = run_json(
        clean_command("docker-compose")
            .args(["config", "--format", "json"])
            .current_dir(dir),
    );
    let service = |name: &str| -> HashMap<String, String> {
        let environment = json["services"][name]["environment"]
            .as_object()
            .unwrap_or_else(|| panic!("no environment for {name} in {json}"));
        environment
            .iter()
            .map(|(key, value)| {
                let value = value.as_str().expect("string value");
                (key.clone(), value.replace("$$", "$"))
            })
            .collect()
    };
    (service("interpolated"), service("envfile"))
}
