//! Finding the project root, as git and cargo find theirs: walk up from the current directory
//! to the first directory that holds `backend/` with a compose file or a `.env` in it, or a
//! `lakekeeper-setup.toml`.
//!
//! Only probes whether files exist; reads no file's content. The caller says which root was
//! used, and refuses to create `backend/` when none was found and `--root` was not given.

use std::fmt;
use std::path::{Path, PathBuf};

/// The team profile's file name in the project root.
pub const PROFILE_FILE: &str = "lakekeeper-setup.toml";

/// Compose file names Compose reads in a directory (base files and overrides).
const COMPOSE_NAMES: [&str; 8] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// What marked a directory as the project root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// `backend/<name>`, a compose file.
    BackendCompose(&'static str),
    /// `backend/.env`.
    BackendEnv,
    /// `lakekeeper-setup.toml`.
    Profile,
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Marker::BackendCompose(name) => write!(f, "backend/{name}"),
            Marker::BackendEnv => f.write_str("backend/.env"),
            Marker::Profile => f.write_str("lakekeeper-setup.toml"),
        }
    }
}

/// How the root was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--root DIR`.
    Explicit,
    /// Found by walking up from the current directory.
    Found(Marker),
    /// Nothing found from `start` up to the filesystem root; the current directory stands in,
    /// but nothing may be created there.
    NotFound,
}

/// The marker in `dir`, if it is a project root.
pub fn marker(dir: &Path) -> Option<Marker> {
    let backend = dir.join("backend");
    if backend.is_dir() {
        if let Some(name) = COMPOSE_NAMES
            .iter()
            .find(|name| backend.join(name).is_file())
        {
            return Some(Marker::BackendCompose(name));
        }
        if backend.join(".env").is_file() {
            return Some(Marker::BackendEnv);
        }
    }
    dir.join(PROFILE_FILE).is_file().then_some(Marker::Profile)
}

/// The first directory from `start` upwards that is a project root.
pub fn discover(start: &Path) -> Option<(PathBuf, Marker)> {
    start
        .ancestors()
        .find_map(|dir| marker(dir).map(|m| (dir.to_path_buf(), m)))
}

/// `--root` as given, or the discovered root, or `start` marked `NotFound`.
pub fn choose(explicit: Option<&Path>, start: &Path) -> (PathBuf, Origin) {
    if let Some(dir) = explicit {
        return (dir.to_path_buf(), Origin::Explicit);
    }
    match discover(start) {
        Some((dir, m)) => (dir, Origin::Found(m)),
        None => (start.to_path_buf(), Origin::NotFound),
    }
}

/// The line that says which root is used (`None` for `--root`, which the user chose).
pub fn announcement(root: &Path, origin: &Origin) -> Option<String> {
    match origin {
        Origin::Found(m) => Some(format!("project root: {} (it has {m})", root.display())),
        Origin::Explicit | Origin::NotFound => None,
    }
}

/// The refusal when no root was found and something would have to be created.
pub fn not_found_message(start: &Path) -> String {
    format!(
        "no project found in {} or any directory above it (none has backend/ with a compose file or a .env, or a {}); nothing was created. Run from inside your project, or pass --root <DIR> to set up Lakekeeper there (backend/ is created in DIR)",
        start.display(),
        PROFILE_FILE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, "").expect("write");
    }

    #[test]
    fn each_marker_is_recognised_and_an_empty_backend_dir_is_not() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(d.path().join("backend")).expect("mkdir");
        assert_eq!(marker(d.path()), None);
        touch(d.path(), "lakekeeper-setup.toml");
        assert_eq!(marker(d.path()), Some(Marker::Profile));
        touch(d.path(), "backend/.env");
        assert_eq!(marker(d.path()), Some(Marker::BackendEnv));
        touch(d.path(), "backend/compose.yml");
        assert_eq!(
            marker(d.path()),
            Some(Marker::BackendCompose("compose.yml"))
        );
    }

    #[test]
    fn the_nearest_root_wins_and_explicit_overrides_discovery() {
        let d = tempfile::tempdir().expect("tempdir");
        touch(d.path(), "lakekeeper-setup.toml");
        touch(d.path(), "inner/backend/.env");
        let deep = d.path().join("inner/backend/app");
        std::fs::create_dir_all(&deep).expect("mkdir");
        assert_eq!(
            choose(None, &deep),
            (d.path().join("inner"), Origin::Found(Marker::BackendEnv))
        );
        assert_eq!(
            choose(None, &d.path().join("inner/backend")).0,
            d.path().join("inner")
        );
        assert_eq!(
            choose(Some(Path::new("/elsewhere")), &deep),
            (PathBuf::from("/elsewhere"), Origin::Explicit)
        );
    }
}
