//! `git::statuses` against git's own view of the work tree: in real repositories made by git,
//! our answer (from `check-ignore` and `ls-files`, as `check` and `apply` ask) must be the one
//! `git status --porcelain --ignored` gives once the file exists (a file that does not exist
//! yet is judged first, then created for the comparison).
//!
//! Each repository has its own `HOME` (global config and excludes) and system config, given
//! to every `git` child (`HOME`, `GIT_CONFIG_SYSTEM`). The property test generates
//! `.gitignore` files (root, nested, `info/exclude`, global) from git's pattern syntax and
//! compares every generated path; 64 cases by default (`PROPTEST_CASES`).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use lakekeeper_setup::git::{GitStatus, statuses_with};
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

    fn git_in(&self, dir: &Path, args: &[&str]) -> Vec<u8> {
        let out = self
            .command()
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    fn git(&self, args: &[&str]) -> Vec<u8> {
        self.git_in(&self.repo, args)
    }

    fn write(&self, rel: &str, contents: &str) {
        let path = self.repo.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, contents).expect("write");
    }

    /// Our answers for `names` (relative to `dir`), from one call as `check` makes it.
    fn ours_in(&self, dir: &Path, names: &[&str]) -> Vec<GitStatus> {
        statuses_with(&|| self.command(), dir, names)
    }

    /// Our answer, asserted to be the one `git status` gives.
    fn agreed(&self, name: &str) -> GitStatus {
        let ours = self.ours_in(&self.repo, &[name])[0];
        assert_eq!(ours, self.by_status(name), "{name}: ours vs git status");
        ours
    }

    /// What `git status --porcelain --ignored` says of `name` (created for the question, and
    /// removed again, when it does not exist).
    fn by_status(&self, name: &str) -> GitStatus {
        let path = self.repo.join(name);
        let mut created: Vec<PathBuf> = Vec::new();
        if !path.exists() {
            let mut missing: Vec<&Path> = path
                .ancestors()
                .skip(1)
                .take_while(|d| !d.exists())
                .collect();
            missing.reverse();
            for d in missing {
                std::fs::create_dir(d).expect("dir");
                created.push(d.to_path_buf());
            }
            std::fs::write(&path, "A=1\n").expect("write");
            created.push(path.clone());
        }
        let answer = self.porcelain().get(name).copied().unwrap_or_else(|| {
            let tracked = self
                .command()
                .arg("-C")
                .arg(&self.repo)
                .args(["ls-files", "--error-unmatch", "--", name])
                .output()
                .expect("git");
            assert!(
                tracked.status.success(),
                "{name}: git status is silent on it"
            );
            GitStatus::Tracked
        });
        for p in created.iter().rev() {
            if p.is_dir() {
                std::fs::remove_dir(p).expect("rmdir");
            } else {
                std::fs::remove_file(p).expect("rm");
            }
        }
        answer
    }

    /// Every path `git status --porcelain --ignored --untracked-files=all` lists, with what
    /// its code means here (`!!` ignored, `??` untracked, any other: tracked).
    fn porcelain(&self) -> BTreeMap<String, GitStatus> {
        let out = self.git(&[
            "status",
            "--porcelain=v1",
            "-z",
            "--ignored=traditional",
            "--untracked-files=all",
        ]);
        out.split(|&b| b == 0)
            .filter(|e| e.len() > 3)
            .map(|e| {
                let status = match &e[..2] {
                    b"!!" => GitStatus::Ignored,
                    b"??" => GitStatus::NotIgnored,
                    _ => GitStatus::Tracked,
                };
                (String::from_utf8_lossy(&e[3..]).into_owned(), status)
            })
            .collect()
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
fn tracked_files_in_every_index_version_split_or_not() {
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
    w.git(&["update-index", "--untracked-cache"]);
    w.git(&["update-index", "--split-index"]);
    assert_eq!(w.agreed("backend/.env"), GitStatus::Tracked);
    // Asked from the file's own directory, with a name git would read as a glob.
    w.write("backend/x[1].env", "x\n");
    w.git(&["add", "backend/x[1].env"]);
    assert_eq!(
        w.ours_in(
            &w.repo.join("backend"),
            &[".env", "x[1].env", "x1.env", ".env.example"]
        ),
        [
            GitStatus::Tracked,
            GitStatus::Tracked,
            GitStatus::NotIgnored,
            GitStatus::Tracked
        ]
    );
}

/// What a re-implementation of git would have to model, and git answers anyway.
#[test]
fn case_folding_includes_links_submodules_worktrees_and_no_git() {
    let Some(w) = World::new() else { return };
    w.write(".gitignore", ".env\n");
    // Case-insensitive matching (the default on macOS and Windows file systems).
    w.git(&["config", "core.ignoreCase", "true"]);
    assert_eq!(w.agreed(".ENV"), GitStatus::Ignored);
    w.git(&["config", "core.ignoreCase", "false"]);
    assert_eq!(w.agreed(".ENV"), GitStatus::NotIgnored);
    // A config include naming the global excludes file.
    std::fs::write(w.home.join("other"), "[core]\nexcludesFile = ~/mine\n").expect("cfg");
    std::fs::write(w.home.join("mine"), "*.local\n").expect("mine");
    std::fs::write(w.home.join(".gitconfig"), "[include]\npath = other\n").expect("cfg");
    assert_eq!(w.agreed("backend/.env.local"), GitStatus::Ignored);
    std::fs::write(w.home.join(".gitconfig"), "").expect("cfg");
    assert_eq!(w.agreed("backend/.env.local"), GitStatus::NotIgnored);
    // A character class.
    w.write(".gitignore", "[[:alpha:]]env\n");
    assert_eq!(w.agreed("xenv"), GitStatus::Ignored);
    assert_eq!(w.agreed("1env"), GitStatus::NotIgnored);
    // A path inside a submodule is no file of this repository.
    w.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        "160000,1111111111111111111111111111111111111111,sub",
    ]);
    assert_eq!(
        w.ours_in(&w.repo, &["sub/.env"]),
        [GitStatus::NotARepo],
        "git refuses a path inside a submodule"
    );
    w.git(&["rm", "-q", "--cached", "sub"]);
    // A linked worktree (its `.git` is a file) with its own ignore rules.
    w.write(".gitignore", ".env\n");
    w.write("README", "x\n");
    w.git(&["add", "README", ".gitignore"]);
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
    assert_eq!(
        w.ours_in(&linked, &[".env", "README", "new.txt"]),
        [
            GitStatus::Ignored,
            GitStatus::Tracked,
            GitStatus::NotIgnored
        ]
    );
    // Outside any repository, and without git, nothing is committed.
    assert_eq!(w.ours_in(&w.home, &[".env"]), [GitStatus::NotARepo]);
    assert_eq!(
        statuses_with(
            &|| Command::new(w.home.join("no-such-git")),
            &w.repo,
            &[".env"]
        ),
        [GitStatus::NotARepo],
        "no git, no answer but NotARepo"
    );
}

/// A symbolic link as `.gitignore` is not followed by git: the file is not ignored.
#[cfg(unix)]
#[test]
fn a_symlinked_gitignore_is_not_read() {
    let Some(w) = World::new() else { return };
    std::fs::write(w.home.join("target"), ".env\n").expect("target");
    std::os::unix::fs::symlink(w.home.join("target"), w.repo.join(".gitignore")).expect("ln");
    assert_eq!(w.agreed(".env"), GitStatus::NotIgnored);
}

// ---- generated ignore files, every path compared with one `git status --ignored` ----

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

fn config() -> Config {
    support::cases::proptest_config(64)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_ignore_files_agree_with_git_status(
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
        // Each path becomes a file where it can (not where another path needs a directory).
        let files_made: Vec<&str> = paths
            .iter()
            .filter(|p| {
                let target = w.repo.join(p);
                target.is_file()
                    || (!target.exists()
                        && std::fs::create_dir_all(target.parent().expect("parent")).is_ok()
                        && std::fs::write(&target, "x\n").is_ok())
            })
            .map(String::as_str)
            .collect();
        let ours = w.ours_in(&w.repo, &files_made);
        let by_status = w.porcelain();
        for (path, ours) in files_made.iter().zip(&ours) {
            prop_assert_eq!(
                Some(ours), by_status.get(*path),
                "{:?} with {:?}", path, PLACES.iter().zip(&files).collect::<Vec<_>>()
            );
        }
    }
}
