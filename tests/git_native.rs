//! `git::native` against git itself: in real repositories made by git, every answer the
//! native reader gives must be the one `git check-ignore` / `git ls-files` give, and where it
//! cannot be sure it must say so (`None`) rather than guess.
//!
//! Each repository has its own `HOME` (global config and excludes) and system config, given
//! alike to git (`HOME`, `GIT_CONFIG_SYSTEM`) and to the native reader (`Env`). The property
//! test generates `.gitignore` files (root, nested, `info/exclude`, global) from git's pattern
//! syntax and compares every generated path; 64 cases by default (`PROPTEST_CASES`).

mod support;

use std::path::PathBuf;
use std::process::Command;

use lakekeeper_setup::git::native::{self, Env};
use lakekeeper_setup::git::{GitStatus, ask_git};
use proptest::prelude::*;
use proptest::test_runner::Config;

struct World {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    repo: PathBuf,
    system: PathBuf,
}

impl World {
    /// A fresh repository made by `git init`, or `None` when git is missing outside CI.
    fn new() -> Option<World> {
        support::tools::require_tool("git")?;
        let tmp = tempfile::tempdir().expect("tmp");
        let home = tmp.path().join("home");
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::create_dir_all(&repo).expect("repo");
        let world = World {
            system: tmp.path().join("system-gitconfig"),
            _tmp: tmp,
            home,
            repo,
        };
        world.git(&["init", "-q"]);
        Some(world)
    }

    /// `git` as this world's git sees things: its own HOME and system config, and none of
    /// the caller's `GIT_*` variables.
    fn command(&self) -> Command {
        let mut c = Command::new("git");
        for (name, _) in std::env::vars_os() {
            if name.as_encoded_bytes().starts_with(b"GIT_") {
                c.env_remove(name);
            }
        }
        c.env("HOME", &self.home)
            .env_remove("XDG_CONFIG_HOME")
            .env("GIT_CONFIG_SYSTEM", &self.system);
        c
    }

    fn git(&self, args: &[&str]) -> String {
        let out = self
            .command()
            .arg("-C")
            .arg(&self.repo)
            .args(args)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn env(&self) -> Env {
        Env {
            git_vars: false,
            git_found: true,
            system_config: Some(self.system.clone()),
            home: Some(self.home.clone()),
            xdg_config_home: None,
            euid: Env::from_process().euid,
        }
    }

    fn write(&self, rel: &str, contents: &str) {
        let path = self.repo.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, contents).expect("write");
    }

    fn native(&self, name: &str) -> Option<GitStatus> {
        native::status(&self.env(), &self.repo, name)
    }

    fn by_git(&self, name: &str) -> GitStatus {
        ask_git(&|| self.command(), &self.repo, name)
    }

    /// The native answer, asserted to be there and to be git's.
    fn agreed(&self, name: &str) -> GitStatus {
        let git = self.by_git(name);
        assert_eq!(self.native(name), Some(git), "{name}: native vs git");
        git
    }

    /// The native reader leaves `name` to git.
    fn left_to_git(&self, name: &str) {
        assert_eq!(self.native(name), None, "{name}: should be left to git");
    }
}

#[test]
fn the_usual_states_of_a_dot_env() {
    let Some(w) = World::new() else { return };
    assert_eq!(w.agreed("backend/.env"), GitStatus::NotIgnored);
    w.write(".gitignore", "backend/.env\nbackend/.env.bak.*\n");
    assert_eq!(w.agreed("backend/.env"), GitStatus::Ignored);
    assert_eq!(w.agreed("backend/.env.bak.20261127"), GitStatus::Ignored);
    assert_eq!(w.agreed("backend/.env.example"), GitStatus::NotIgnored);
    w.write("backend/.env", "A=1\n");
    w.git(&["add", "-f", "backend/.env"]);
    assert_eq!(w.agreed("backend/.env"), GitStatus::Tracked);
    w.git(&["rm", "-q", "--cached", "backend/.env"]);
    assert_eq!(w.agreed("backend/.env"), GitStatus::Ignored);
}

#[test]
fn nested_files_negation_and_ignored_directories() {
    let Some(w) = World::new() else { return };
    w.write(".gitignore", ".env*\n");
    w.write("backend/.gitignore", "!.env\n");
    assert_eq!(w.agreed("backend/.env"), GitStatus::NotIgnored);
    assert_eq!(w.agreed("backend/.env.local"), GitStatus::Ignored);
    assert_eq!(w.agreed("other/.env"), GitStatus::Ignored);
    // A file below an ignored directory stays ignored, whatever a negation says.
    w.write(".gitignore", "backend/\n!backend/.env\n");
    assert_eq!(w.agreed("backend/.env"), GitStatus::Ignored);
    w.write(".gitignore", "/backend/*\n!/backend/.env\n");
    assert_eq!(w.agreed("backend/.env"), GitStatus::NotIgnored);
    w.write(".gitignore", "**/.env\n");
    assert_eq!(w.agreed("a/b/c/.env"), GitStatus::Ignored);
    w.write(".gitignore", "a/**/.env\n[.]env\n");
    assert_eq!(w.agreed("a/.env"), GitStatus::Ignored);
    // Directories that do not exist yet are matched as directories all the same.
    w.write(".gitignore", "new/\n");
    assert_eq!(w.agreed("new/deeper/.env"), GitStatus::Ignored);
}

#[test]
fn excludes_from_info_exclude_the_global_file_and_core_excludes_file() {
    let Some(w) = World::new() else { return };
    w.write(".git/info/exclude", "# local\n.env\n");
    assert_eq!(w.agreed("backend/.env"), GitStatus::Ignored);
    std::fs::remove_file(w.repo.join(".git/info/exclude")).expect("rm");
    assert_eq!(w.agreed("backend/.env"), GitStatus::NotIgnored);

    std::fs::create_dir_all(w.home.join(".config/git")).expect("dir");
    std::fs::write(w.home.join(".config/git/ignore"), "*.env\n.env\n").expect("ignore");
    assert_eq!(w.agreed("backend/.env"), GitStatus::Ignored);
    // A repository's own `!` wins over the global file.
    w.write(".gitignore", "!.env\n");
    assert_eq!(w.agreed("backend/.env"), GitStatus::NotIgnored);
    std::fs::remove_file(w.repo.join(".gitignore")).expect("rm");

    // core.excludesFile replaces the default global file: set in ~/.gitconfig, quoted, with
    // `~/`, overridden by the repository's config, or set in the system config.
    std::fs::write(
        w.home.join(".gitconfig"),
        "[user]\n\tname = A \"quoted\" name\n[core]\n\texcludesFile = \"~/my ignores\" ; mine\n",
    )
    .expect("gitconfig");
    assert_eq!(w.agreed("backend/.env"), GitStatus::NotIgnored);
    std::fs::write(w.home.join("my ignores"), "backend/\n").expect("mine");
    assert_eq!(w.agreed("backend/.env"), GitStatus::Ignored);
    let elsewhere = w.home.join("elsewhere");
    std::fs::write(&elsewhere, "nothing\n").expect("elsewhere");
    w.git(&[
        "config",
        "core.excludesFile",
        elsewhere.to_str().expect("utf-8"),
    ]);
    assert_eq!(w.agreed("backend/.env"), GitStatus::NotIgnored);
    w.git(&["config", "--unset", "core.excludesFile"]);
    std::fs::write(w.home.join(".gitconfig"), "").expect("gitconfig");
    std::fs::write(
        &w.system,
        format!("[core]\nexcludesfile = {}\n", elsewhere.display()),
    )
    .expect("system");
    std::fs::write(&elsewhere, ".env\n").expect("elsewhere");
    assert_eq!(w.agreed("backend/.env"), GitStatus::Ignored);
}

#[test]
fn line_syntax_spaces_crlf_bom_and_escapes() {
    let Some(w) = World::new() else { return };
    for (gitignore, name, expected) in [
        ("\u{feff}.env\r\n", ".env", GitStatus::Ignored),
        (".env   \n", ".env", GitStatus::Ignored),
        (".env\\ \n", ".env", GitStatus::NotIgnored),
        ("\\#env\n", "#env", GitStatus::Ignored),
        ("#env\n", "#env", GitStatus::NotIgnored),
        ("\\!env\n", "!env", GitStatus::Ignored),
        ("e?v\n*.e[n-z]v\n", "x.env", GitStatus::Ignored),
        (
            "backend/*.env\n",
            "backend/sub/x.env",
            GitStatus::NotIgnored,
        ),
        (
            "backend/**/x.env\n",
            "backend/sub/x.env",
            GitStatus::Ignored,
        ),
        ("backend**/x.env\n", "backend/sub/x.env", GitStatus::Ignored),
        (".env/\n", ".env", GitStatus::NotIgnored),
    ] {
        w.write(".gitignore", gitignore);
        assert_eq!(w.agreed(name), expected, "{gitignore:?} on {name}");
    }
}

#[test]
fn index_versions_and_extensions_git_writes() {
    let Some(w) = World::new() else { return };
    w.write(".gitignore", "backend/.env\n");
    for f in [
        "a.py",
        "backend/app.py",
        "backend/.env",
        "backend/.env.example",
        "z/long/path.txt",
    ] {
        w.write(f, "x\n");
    }
    w.git(&["add", "-A"]);
    w.git(&["add", "-f", "backend/.env"]);
    for version in ["2", "3", "4"] {
        w.git(&["update-index", "--index-version", version]);
        assert_eq!(w.agreed("backend/.env"), GitStatus::Tracked, "v{version}");
        assert_eq!(
            w.agreed("backend/.env.local"),
            GitStatus::NotIgnored,
            "v{version}"
        );
    }
    // An intent-to-add entry is tracked too.
    w.write("backend/new.env", "x\n");
    w.git(&["add", "-N", "backend/new.env"]);
    assert_eq!(w.agreed("backend/new.env"), GitStatus::Tracked);
    // The untracked cache is an extension the reader skips.
    w.git(&["update-index", "--untracked-cache"]);
    w.git(&["status", "--porcelain"]);
    assert_eq!(w.agreed("backend/.env"), GitStatus::Tracked);
    // A split index keeps entries elsewhere: git decides.
    w.git(&["update-index", "--split-index"]);
    w.left_to_git("backend/.env");
    assert_eq!(w.by_git("backend/.env"), GitStatus::Tracked);
}

#[test]
fn what_is_left_to_git() {
    let Some(w) = World::new() else { return };
    w.write(".gitignore", ".env\n");
    // A variable that moves the repository.
    let env = Env {
        git_vars: true,
        ..w.env()
    };
    assert_eq!(native::status(&env, &w.repo, ".env"), None);
    // Case-insensitive matching.
    w.git(&["config", "core.ignoreCase", "true"]);
    w.left_to_git(".env");
    w.git(&["config", "core.ignoreCase", "false"]);
    assert_eq!(w.agreed(".env"), GitStatus::Ignored);
    // A config include.
    std::fs::write(w.home.join(".gitconfig"), "[include]\npath = other\n").expect("cfg");
    w.left_to_git(".env");
    std::fs::write(w.home.join(".gitconfig"), "").expect("cfg");
    // A character class; a symbolic link as .gitignore (git does not follow it).
    w.write(".gitignore", "[[:alpha:]]env\n");
    w.left_to_git(".env");
    std::fs::remove_file(w.repo.join(".gitignore")).expect("rm");
    std::fs::write(w.home.join("target"), ".env\n").expect("target");
    std::os::unix::fs::symlink(w.home.join("target"), w.repo.join(".gitignore")).expect("ln");
    w.left_to_git(".env");
    std::fs::remove_file(w.repo.join(".gitignore")).expect("rm");
    // A path inside a submodule.
    w.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        "160000,1111111111111111111111111111111111111111,backend",
    ]);
    w.left_to_git("backend/.env");
    // A linked worktree (its `.git` is a file).
    w.write("README", "x\n");
    w.git(&["add", "README"]);
    w.git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-qm",
        "x",
    ]);
    let linked = w.home.join("linked");
    w.git(&["worktree", "add", "-q", linked.to_str().expect("utf-8")]);
    assert_eq!(native::status(&w.env(), &linked, ".env"), None);
    // Outside any repository the answer is certain.
    assert_eq!(
        native::status(&w.env(), &w.home, ".env"),
        Some(GitStatus::NotARepo)
    );
    assert_eq!(
        native::status(
            &Env {
                git_found: false,
                ..w.env()
            },
            &w.repo,
            ".env"
        ),
        Some(GitStatus::NotARepo),
        "no git, no repository to commit to"
    );
}

// ---- generated ignore files, every path compared with one `git check-ignore --stdin` ----

const NAMES: [&str; 8] = ["a", "b", "backend", ".env", "x.env", "env", "a b", "b.a"];

fn segment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "b", "backend", ".env", "*.env", "*", "**", "?", "[ab]", "[!a]", "[^b]", "[a-c]",
        "a*", "*a", "\\*", "e?v", ".e*", "x.*", "[.x]env", "b.a", "a\\ b", "a b", "**a", "a**",
    ])
    .prop_map(str::to_owned)
}

fn pattern() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(segment(), 1..4),
        any::<bool>(),
        prop::sample::select(vec!["", " ", "  ", "\\ ", "\r"]),
    )
        .prop_map(|(negate, anchor, segments, dir, tail)| {
            format!(
                "{}{}{}{}{tail}",
                if negate { "!" } else { "" },
                if anchor { "/" } else { "" },
                segments.join("/"),
                if dir { "/" } else { "" },
            )
        })
}

fn ignore_file() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![8 => pattern(), 1 => Just("# comment".to_owned()), 1 => Just(String::new())],
        0..5,
    )
    .prop_map(|lines| lines.iter().flat_map(|l| [l.as_str(), "\n"]).collect())
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(NAMES.to_vec()), 1..5).prop_map(|p| p.join("/"))
}

/// The ignore files of one case: where each goes, and its lines.
const PLACES: [&str; 6] = [
    ".gitignore",
    "a/.gitignore",
    "a/b/.gitignore",
    "backend/.gitignore",
    ".git/info/exclude",
    "~/.config/git/ignore",
];

/// `git check-ignore --stdin -z -v -n` for `paths`: whether each is ignored (matched by a
/// pattern that is not a `!` one).
fn git_ignored(w: &World, paths: &[String]) -> Vec<bool> {
    use std::io::Write;
    let mut child = w
        .command()
        .arg("-C")
        .arg(&w.repo)
        .args(["check-ignore", "--stdin", "-z", "-v", "-n"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("git");
    let mut stdin = child.stdin.take().expect("stdin");
    for p in paths {
        stdin.write_all(p.as_bytes()).expect("write");
        stdin.write_all(b"\0").expect("write");
    }
    drop(stdin);
    let out = child.wait_with_output().expect("git");
    let fields: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
    let answers: Vec<bool> = fields
        .chunks(4)
        .filter(|c| c.len() == 4)
        .map(|c| !c[2].is_empty() && !c[2].starts_with(b"!"))
        .collect();
    assert_eq!(answers.len(), paths.len(), "one answer per path");
    answers
}

fn config() -> Config {
    support::cases::proptest_config(64)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_ignore_files_agree_with_git(
        files in prop::collection::vec(ignore_file(), PLACES.len()),
        paths in prop::collection::vec(path(), 1..24),
    ) {
        let Some(w) = World::new() else { return Ok(()) };
        for (place, contents) in PLACES.iter().zip(&files) {
            let target = match place.strip_prefix("~/") {
                Some(rest) => w.home.join(rest),
                None => w.repo.join(place),
            };
            std::fs::create_dir_all(target.parent().expect("parent")).expect("dirs");
            std::fs::write(&target, contents).expect("write");
        }
        let by_git = git_ignored(&w, &paths);
        let mut answered = 0;
        for (path, &ignored) in paths.iter().zip(&by_git) {
            let Some(native) = w.native(path) else { continue };
            answered += 1;
            let expected = if ignored { GitStatus::Ignored } else { GitStatus::NotIgnored };
            prop_assert_eq!(
                native, expected,
                "{:?} with {:?}", path, PLACES.iter().zip(&files).collect::<Vec<_>>()
            );
        }
        // Only a directory on disk (a/, a/b/, backend/) is left to git here.
        let dirs = paths.iter().filter(|p| w.repo.join(p).is_dir()).count();
        prop_assert_eq!(answered + dirs, paths.len());
    }
}

#[test]
fn start_answers_without_a_child_whenever_the_native_reader_can() {
    // `git::start` reads this process's environment and the machine's git. With a git build
    // the reader knows and no relocating `GIT_*` variable, an ignored `.env` is settled
    // without any child; otherwise git is asked. Either way the answer is git's.
    let Some(w) = World::new() else { return };
    w.write(".gitignore", "/backend/.env\n");
    let file = w.repo.join("backend/.env");
    let env = Env::from_process();
    let native_possible = !env.git_vars && env.system_config.is_some();
    let probe = lakekeeper_setup::git::start(&file);
    assert_eq!(probe.asks_git(), !native_possible, "{env:?}");
    assert_eq!(probe.wait(), GitStatus::Ignored);
}

/// Whatever bytes a `.gitignore`, `info/exclude` or index holds, the reader answers or defers;
/// it never panics. (One repository, rewritten per case: `git init` per case would be slow.)
#[test]
fn arbitrary_files_never_panic() {
    let Some(w) = World::new() else { return };
    let cases = (
        prop::collection::vec(any::<u8>(), 0..200),
        "[!/*?\\[\\]\\\\a-c. -]{0,24}\n{0,1}",
        prop::collection::vec(any::<u8>(), 0..120),
        "[a-c.*/ ]{1,12}",
    );
    let mut runner = proptest::test_runner::TestRunner::new(Config {
        cases: config().cases * 4,
        ..config()
    });
    runner
        .run(&cases, |(gitignore, exclude, index, path)| {
            std::fs::write(w.repo.join(".gitignore"), &gitignore).expect("write");
            w.write(".git/info/exclude", &exclude);
            let _ = w.native(&path);
            let mut dirc = b"DIRC\0\0\0\x02".to_vec();
            dirc.extend(&index);
            std::fs::write(w.repo.join(".git/index"), &dirc).expect("index");
            let _ = w.native(&path);
            std::fs::remove_file(w.repo.join(".git/index")).expect("rm");
            Ok(())
        })
        .expect("no panic");
}
