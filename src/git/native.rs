//! [`GitStatus`] read from the repository's own files, the way git reads them, so that
//! `check` and `apply` need no `git` child (which costs as much as the rest of `check`).
//!
//! Reads: the `.git` directory found above the file (its `config`, `index`, `info/exclude`),
//! the `.gitignore` files on the file's path, the global and system config and the global
//! excludes file. Runs nothing and writes nothing. Whenever the answer could depend on
//! something it does not model (a `GIT_*` variable, a worktree or submodule, a config
//! include, case-insensitive matching, an index or pattern it cannot read, a repository git
//! would refuse as not owned by us, an unknown git build), it answers `None`: the caller then
//! asks git itself. Tests compare its answers with git's.

use std::ffi::OsString;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::GitStatus;
use super::config::{self, Setting};
use super::ignore::Rules;
use super::index;

/// What the answer depends on outside the repository: the process environment as git would
/// see it. Tests build one by hand and give git the same.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// Some `GIT_*` variable is set that may relocate the repository, its config or its
    /// index, or change how paths match.
    pub git_vars: bool,
    /// `git` was found on `PATH`.
    pub git_found: bool,
    /// The system config file of that git (`None`: a git whose build we do not know).
    pub system_config: Option<PathBuf>,
    pub home: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    pub euid: Option<u32>,
}

impl Env {
    pub fn from_process() -> Env {
        let git_vars = std::env::vars_os().any(|(name, _)| relocates(name.as_encoded_bytes()));
        let git = find_git(std::env::var_os("PATH"));
        Env {
            git_vars,
            git_found: git.is_some(),
            system_config: git.as_deref().and_then(system_config_of),
            home: std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            xdg_config_home: std::env::var_os("XDG_CONFIG_HOME")
                .filter(|x| !x.is_empty())
                .map(PathBuf::from),
            euid: effective_uid(),
        }
    }
}

/// Whether a variable named `name` may change what git reads: every `GIT_*` but those that
/// only set an editor, a pager, an identity, a transport or tracing.
fn relocates(name: &[u8]) -> bool {
    const HARMLESS: [&[u8]; 14] = [
        b"GIT_EDITOR",
        b"GIT_SEQUENCE_EDITOR",
        b"GIT_PAGER",
        b"GIT_ASKPASS",
        b"GIT_TERMINAL_PROMPT",
        b"GIT_MERGE_AUTOEDIT",
        b"GIT_AUTHOR_",
        b"GIT_COMMITTER_",
        b"GIT_PS1_",
        b"GIT_TRACE",
        b"GIT_SSH",
        b"GIT_HTTP_",
        b"GIT_SSL_",
        b"GIT_CURL_",
    ];
    name.starts_with(b"GIT_") && !HARMLESS.iter().any(|h| name.starts_with(h))
}

/// The first executable `git` on `path`, as `execvp` finds it.
fn find_git(path: Option<OsString>) -> Option<PathBuf> {
    std::env::split_paths(&path?)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join("git"))
        .find(|git| std::fs::metadata(git).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0))
}

/// Where a git build reads its system config: `$(prefix)/etc/gitconfig`, and `/etc/gitconfig`
/// for prefix `/usr`. Only the two builds a Linux machine has (the distribution's and one
/// built from source) are known; any other git is asked.
fn system_config_of(git: &Path) -> Option<PathBuf> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    match git.to_str()? {
        "/usr/bin/git" | "/bin/git" => Some("/etc/gitconfig".into()),
        "/usr/local/bin/git" => Some("/usr/local/etc/gitconfig".into()),
        _ => None,
    }
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads a file that may be missing (`Some(empty)`); any other failure is `None`.
fn read_optional(path: &Path) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == ErrorKind::NotFound => Some(Vec::new()),
        Err(_) => None,
    }
}

/// A repository's work tree and `.git` directory.
struct Repo {
    work_tree: PathBuf,
    git_dir: PathBuf,
}

/// The repository git would find from `dir` (canonical), `Ok(None)` if there is certainly
/// none, `Err(())` if git must decide.
fn discover(dir: &Path) -> Result<Option<Repo>, ()> {
    let device = std::fs::metadata(dir).map_err(|_| ())?.dev();
    let mut same_device = true;
    for d in dir.ancestors() {
        let dot_git = d.join(".git");
        match std::fs::symlink_metadata(&dot_git) {
            Ok(m) if m.is_dir() && same_device && is_git_dir(&dot_git) => {
                return Ok(Some(Repo {
                    work_tree: d.to_path_buf(),
                    git_dir: dot_git,
                }));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            // A gitfile (worktree, submodule), a symlink, an odd `.git`, a repository
            // beyond a file-system boundary (where git stops looking), an error: git decides.
            _ => return Err(()),
        }
        // A bare repository, or inside a `.git` directory: no work tree, but git decides.
        if d.file_name()
            .is_some_and(|n| n.eq_ignore_ascii_case(".git"))
            || d.join("HEAD").exists()
        {
            return Err(());
        }
        if let Some(parent) = d.parent() {
            same_device &= std::fs::metadata(parent).is_ok_and(|m| m.dev() == device);
        }
    }
    Ok(None)
}

/// git's `is_git_directory`, the part that matters here: `HEAD`, `objects/` and `refs/`.
fn is_git_dir(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

fn owned_by(path: &Path, euid: u32) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.uid() == euid)
}

/// The answer for `name` (a relative path below `dir`; its leading directories may not exist)
/// when this module is sure of it.
pub fn status(env: &Env, dir: &Path, name: &str) -> Option<GitStatus> {
    if env.git_vars {
        return None;
    }
    if !env.git_found {
        return Some(GitStatus::NotARepo);
    }
    let dir = std::fs::canonicalize(dir).ok()?;
    let Some(repo) = discover(&dir).ok()? else {
        return Some(GitStatus::NotARepo);
    };
    let euid = env.euid?;
    // git refuses a repository someone else owns (`safe.directory`); it says what then.
    if !owned_by(&repo.work_tree, euid) || !owned_by(&repo.git_dir, euid) {
        return None;
    }
    let path = work_tree_path(&repo.work_tree, &dir, name)?;
    let settings = settings(env, &repo.git_dir)?;
    let last = |name: &str| settings.iter().rev().find(|s| s.name == name);
    if settings.iter().any(|s| {
        s.name.starts_with("include.")
            || s.name.starts_with("includeif.")
            || s.name.starts_with("extensions.")
            || s.name == "core.worktree"
    }) {
        return None;
    }
    for flag in ["core.ignorecase", "core.bare"] {
        if let Some(s) = last(flag)
            && config::boolean(s.value.as_deref()) != Some(false)
        {
            return None;
        }
    }
    if let Some(s) = last("core.repositoryformatversion")
        && !matches!(s.value.as_deref(), Some("0" | "1"))
    {
        return None;
    }

    let index = read_optional(&repo.git_dir.join("index"))?;
    if !index.is_empty() {
        let found = index::lookup(&index, &path)?;
        if found.in_submodule {
            return None;
        }
        if found.tracked {
            return Some(GitStatus::Tracked);
        }
    }
    if repo.work_tree.join(&path).is_dir() {
        return None;
    }

    let mut rules = Rules::default();
    let excludes = match last("core.excludesfile") {
        Some(s) => expand_home(env, s.value.as_deref()?)?,
        None => match &env.xdg_config_home {
            Some(xdg) => xdg.join("git/ignore"),
            None => env.home.as_ref()?.join(".config/git/ignore"),
        },
    };
    rules.add_file(&read_optional(&excludes)?, "");
    rules.add_file(&read_optional(&repo.git_dir.join("info/exclude"))?, "");
    // The `.gitignore` of the top level and of each directory on the way to the file.
    let mut base = String::new();
    let mut dirs = path.split('/');
    dirs.next_back();
    loop {
        rules.add_file(&gitignore(&repo.work_tree.join(&base))?, &base);
        let Some(dir) = dirs.next() else { break };
        base.push_str(dir);
        base.push('/');
    }
    Some(if rules.is_ignored(&path)? {
        GitStatus::Ignored
    } else {
        GitStatus::NotIgnored
    })
}

/// `dir/name` relative to the work tree, `/`-separated; `None` for what git reads otherwise
/// (a path through `.git`, pathspec magic, a name that is not UTF-8).
fn work_tree_path(work_tree: &Path, dir: &Path, name: &str) -> Option<String> {
    if name.starts_with(':') {
        return None;
    }
    let rel = dir.strip_prefix(work_tree).ok()?;
    let mut parts: Vec<&str> = rel
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<_>>()?;
    parts.extend(name.split('/'));
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.eq_ignore_ascii_case(".git"))
    {
        return None;
    }
    Some(parts.join("/"))
}

/// A directory's `.gitignore`; git does not follow a symbolic link there (it warns), so one
/// is left to git.
fn gitignore(dir: &Path) -> Option<Vec<u8>> {
    let file = dir.join(".gitignore");
    match std::fs::symlink_metadata(&file) {
        Ok(m) if m.is_file() => std::fs::read(&file).ok(),
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            Some(Vec::new())
        }
        _ => None,
    }
}

/// `~/x` as git expands a path setting; anything else that is not absolute is left to git.
fn expand_home(env: &Env, value: &str) -> Option<PathBuf> {
    if let Some(rest) = value.strip_prefix("~/") {
        return Some(env.home.as_ref()?.join(rest));
    }
    Path::new(value).is_absolute().then(|| PathBuf::from(value))
}

/// The settings that matter from the system, global and repository config, in git's order.
fn settings(env: &Env, git_dir: &Path) -> Option<Vec<Setting>> {
    let home = env.home.as_ref()?;
    let xdg_config = match &env.xdg_config_home {
        Some(xdg) => xdg.join("git/config"),
        None => home.join(".config/git/config"),
    };
    let files = [
        env.system_config.clone()?,
        xdg_config,
        home.join(".gitconfig"),
        git_dir.join("config"),
    ];
    let mut all = Vec::new();
    for file in files {
        let bytes = read_optional(&file)?;
        let text = std::str::from_utf8(&bytes).ok()?;
        all.extend(config::read(text).ok()?);
    }
    Some(all)
}
