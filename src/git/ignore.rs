//! `.gitignore` rules as git's dir.c reads and applies them: which line of which file decides
//! whether a path is ignored, including a parent directory that is ignored.
//!
//! Pure: the caller reads the files. Anything this module is not sure of (a pattern the
//! [`wildmatch`](super::wildmatch) port leaves to git) is `None`, "ask git".

use super::wildmatch;

/// One line of an ignore file, parsed like dir.c's `parse_path_pattern`.
#[derive(Debug, Clone)]
struct Pattern {
    text: Vec<u8>,
    /// The directory of the `.gitignore` it came from, relative to the work tree, with a
    /// trailing `/` (empty for the top level and for `info/exclude` and `core.excludesFile`).
    base: String,
    negative: bool,
    must_be_dir: bool,
    /// No `/` inside: matches a name at any depth.
    no_dir: bool,
    /// The length of the leading part without wildcards (`simple_length`).
    no_wildcard_len: usize,
}

/// Patterns in the order git's last-match-wins reads them: `core.excludesFile`, then
/// `info/exclude`, then each `.gitignore` from the top down.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl Rules {
    /// Adds the lines of one ignore file whose directory is `base` (`""` or `"dir/sub/"`).
    pub fn add_file(&mut self, contents: &[u8], base: &str) {
        // dir.c skips a UTF-8 byte-order mark.
        let contents = contents.strip_prefix(b"\xef\xbb\xbf").unwrap_or(contents);
        for line in contents.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let line = trim_trailing_spaces(line);
            if let Some(pattern) = parse(line, base) {
                self.patterns.push(pattern);
            }
        }
    }

    /// Whether `path` (relative to the work tree, `/`-separated, naming a file or nothing) is
    /// ignored: some leading directory is, or the last pattern that matches it is not a `!`
    /// one. Patterns of a `.gitignore` below an ignored directory are never consulted, as git
    /// never reads them.
    pub fn is_ignored(&self, path: &str) -> Option<bool> {
        for (end, _) in path.match_indices('/') {
            let dir = &path[..end];
            // Only the files above `dir` count for `dir` itself.
            let visible = |p: &&Pattern| dir.starts_with(p.base.as_str());
            if let Some(pattern) = self.last_match(dir, true, visible).ok()?
                && !pattern.negative
            {
                return Some(true);
            }
        }
        let all = |p: &&Pattern| path.starts_with(p.base.as_str());
        Some(
            self.last_match(path, false, all)
                .ok()?
                .is_some_and(|p| !p.negative),
        )
    }

    fn last_match(
        &self,
        path: &str,
        is_dir: bool,
        visible: impl Fn(&&Pattern) -> bool,
    ) -> Result<Option<&Pattern>, Unsure> {
        let basename = path.rsplit('/').next().unwrap_or(path);
        for pattern in self.patterns.iter().rev().filter(visible) {
            if pattern.must_be_dir && !is_dir {
                continue;
            }
            let hit = if pattern.no_dir {
                match_basename(basename, pattern)
            } else {
                match_pathname(path, pattern)
            };
            if hit.ok_or(Unsure)? {
                return Ok(Some(pattern));
            }
        }
        Ok(None)
    }
}

/// A pattern the matcher leaves to git.
struct Unsure;

/// dir.c's `trim_trailing_spaces`: drops trailing spaces unless the first is escaped.
fn trim_trailing_spaces(line: &[u8]) -> &[u8] {
    let mut last_space = None;
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b' ' => {
                last_space.get_or_insert(i);
            }
            b'\\' => {
                i += 1;
                if i == line.len() {
                    return line;
                }
                last_space = None;
            }
            _ => last_space = None,
        }
        i += 1;
    }
    &line[..last_space.unwrap_or(line.len())]
}

fn parse(line: &[u8], base: &str) -> Option<Pattern> {
    let (negative, rest) = match line.strip_prefix(b"!") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let (must_be_dir, text) = match rest.strip_suffix(b"/") {
        Some(text) => (true, text),
        None => (false, rest),
    };
    if text.is_empty() {
        // Never matches a name (names are never empty); git keeps it, to the same effect.
        return None;
    }
    let no_dir = !text.contains(&b'/');
    // `simple_length` runs over the whole line (a trailing `/` is no wildcard).
    let no_wildcard_len = rest
        .iter()
        .position(|&c| matches!(c, b'*' | b'?' | b'[' | b'\\'))
        .unwrap_or(rest.len())
        .min(text.len());
    Some(Pattern {
        text: text.to_vec(),
        base: base.to_owned(),
        negative,
        must_be_dir,
        no_dir,
        no_wildcard_len,
    })
}

/// dir.c's `match_basename`.
fn match_basename(basename: &str, pattern: &Pattern) -> Option<bool> {
    let text = &pattern.text;
    if pattern.no_wildcard_len == text.len() {
        return Some(text.as_slice() == basename.as_bytes());
    }
    // (git's "*literal" shortcut is wildmatch's answer too)
    wildmatch::matches(text, basename.as_bytes(), false)
}

/// dir.c's `match_pathname`: the pattern is relative to its file's directory.
fn match_pathname(path: &str, pattern: &Pattern) -> Option<bool> {
    let mut text = pattern.text.as_slice();
    let mut prefix = pattern.no_wildcard_len;
    if let Some(rest) = text.strip_prefix(b"/") {
        text = rest;
        prefix -= 1;
    }
    let Some(name) = path.strip_prefix(pattern.base.as_str()) else {
        return Some(false);
    };
    let name = name.as_bytes();
    if prefix > 0 {
        // The literal head is compared as is, and only the rest goes to wildmatch: so a `**`
        // right after the head counts as leading (git's behaviour, e.g. `foo**/bar`).
        if prefix > name.len() || text[..prefix] != name[..prefix] {
            return Some(false);
        }
        text = &text[prefix..];
        let rest = &name[prefix..];
        if text.is_empty() && rest.is_empty() {
            return Some(true);
        }
        return wildmatch::matches(text, rest, true);
    }
    wildmatch::matches(text, name, true)
}

#[cfg(test)]
mod tests {
    use super::Rules;

    fn rules(files: &[(&str, &str)]) -> Rules {
        let mut rules = Rules::default();
        for (base, contents) in files {
            rules.add_file(contents.as_bytes(), base);
        }
        rules
    }

    fn ignored(files: &[(&str, &str)], path: &str) -> bool {
        rules(files).is_ignored(path).expect("supported")
    }

    #[test]
    fn names_anchors_directories_and_negation() {
        assert!(ignored(&[("", ".env\n")], "backend/.env"));
        assert!(ignored(&[("", "/backend/.env\n")], "backend/.env"));
        assert!(!ignored(&[("", "/.env\n")], "backend/.env"));
        assert!(ignored(&[("", "*.env\n")], "backend/prod.env"));
        assert!(ignored(&[("", "backend/\n")], "backend/.env"));
        assert!(
            !ignored(&[("", ".env/\n")], "backend/.env"),
            "only a directory"
        );
        assert!(!ignored(&[("", ".env*\n!.env\n")], "backend/.env"));
        assert!(ignored(&[("", "!.env\n.env*\n")], "backend/.env"));
        // A parent directory that is ignored cannot be undone for a file below it.
        assert!(ignored(
            &[("", "backend/\n!backend/.env\n")],
            "backend/.env"
        ));
        assert!(ignored(&[("", "**/.env\n")], "a/b/.env"));
        assert!(ignored(&[("", "a/**/.env\n")], "a/.env"));
        assert!(!ignored(&[("", "a/*/.env\n")], "a/.env"));
    }

    #[test]
    fn nested_files_are_relative_to_their_directory_and_win() {
        let files = [("", ".env\n"), ("backend/", "!.env\n")];
        assert!(!ignored(&files, "backend/.env"));
        assert!(ignored(&files, "other/.env"));
        assert!(ignored(&[("backend/", "/.env\n")], "backend/.env"));
        assert!(!ignored(&[("backend/", "/.env\n")], "backend/x/.env"));
        assert!(!ignored(&[("backend/", "backend/.env\n")], "backend/.env"));
    }

    #[test]
    fn lines_comments_spaces_and_escapes() {
        assert!(ignored(&[("", "\u{feff}.env\r\n")], ".env"));
        assert!(!ignored(&[("", "# .env\n")], ".env"));
        assert!(ignored(&[("", "\\#x\n")], "#x"));
        assert!(
            ignored(&[("", ".env   \n")], ".env"),
            "trailing spaces dropped"
        );
        assert!(ignored(&[("", "a\\ \n")], "a "), "an escaped space stays");
        assert!(!ignored(&[("", "a\\ \n")], "a"));
        assert!(ignored(&[("", "\\!x\n")], "!x"));
        assert!(
            !ignored(&[("", ".env\t\n")], ".env"),
            "a tab is not trimmed"
        );
    }
}
