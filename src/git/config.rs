//! Just enough of git's config syntax to find the few settings that change whether git would
//! commit a file (`core.excludesFile`, `core.ignoreCase`, `core.worktree`, `core.bare`,
//! `extensions.*`, includes).
//!
//! Pure. Anything it cannot read with certainty (a malformed line, an unterminated quote) is
//! an error, which the caller turns into "ask git".

/// A setting that matters, in file order; later ones override earlier ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// `section.key` or `section.subsection.key`, section and key lower-cased (git's names
    /// are case-insensitive; subsections are not).
    pub name: String,
    /// `None` for a bare `key` line, which git reads as boolean true.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// Every setting of one config file whose section is `core`, `extensions`, `include` or
/// `includeif` (the rest cannot change the answer and is only skipped correctly).
pub fn read(text: &str) -> Result<Vec<Setting>, Unreadable> {
    let mut settings = Vec::new();
    let mut section = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_start_matches([' ', '\t']);
        let rest = if let Some(header) = line.strip_prefix('[') {
            let (name, rest) = section_header(header)?;
            section = name;
            rest
        } else {
            line
        };
        let rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() || rest.starts_with(['#', ';']) {
            continue;
        }
        if section.is_empty() {
            return Err(Unreadable);
        }
        let key_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        if key_len == 0 || !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(Unreadable);
        }
        let key = rest[..key_len].to_ascii_lowercase();
        let after = rest[key_len..].trim_start_matches([' ', '\t']);
        let value = if let Some(raw) = after.strip_prefix('=') {
            Some(value(raw, &mut lines)?)
        } else if after.is_empty() {
            // (git reads `key # comment` as a bad line, not as a boolean)
            None
        } else {
            return Err(Unreadable);
        };
        let head = section.split('.').next().unwrap_or_default();
        if matches!(head, "core" | "extensions" | "include" | "includeif") {
            settings.push(Setting {
                name: format!("{section}.{key}"),
                value,
            });
        }
    }
    Ok(settings)
}

/// `[section]`, `[section "sub"]` or the old `[section.sub]`, and what follows on its line.
fn section_header(header: &str) -> Result<(String, &str), Unreadable> {
    let name_len = header
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .ok_or(Unreadable)?;
    let mut name = header[..name_len].to_ascii_lowercase();
    let rest = header[name_len..].trim_start_matches([' ', '\t']);
    let rest = if let Some(quoted) = rest.strip_prefix('"') {
        let mut sub = String::new();
        let mut chars = quoted.char_indices();
        let end = loop {
            match chars.next().ok_or(Unreadable)? {
                (i, '"') => break i,
                (_, '\\') => sub.push(chars.next().ok_or(Unreadable)?.1),
                (_, c) => sub.push(c),
            }
        };
        name.push('.');
        name.push_str(&sub);
        &quoted[end + 1..]
    } else {
        rest
    };
    let rest = rest.strip_prefix(']').ok_or(Unreadable)?;
    if name.is_empty() {
        return Err(Unreadable);
    }
    Ok((name, rest))
}

/// A value as git's `parse_value` reads it: quotes, `\` escapes, a `\` at the end of a line
/// continuing it, a comment ending it, and blanks trimmed outside quotes.
fn value<'a>(
    raw: &'a str,
    lines: &mut impl Iterator<Item = &'a str>,
) -> Result<String, Unreadable> {
    let mut out = String::new();
    let mut quoted = false;
    // Blanks seen outside quotes are kept only if something follows them.
    let mut pending = 0usize;
    let mut chars = raw.chars();
    loop {
        let Some(c) = chars.next() else {
            if quoted {
                return Err(Unreadable);
            }
            return Ok(out);
        };
        match c {
            '\\' => match chars.next() {
                None => {
                    chars = lines.next().ok_or(Unreadable)?.chars();
                }
                Some(e) => {
                    flush(&mut out, &mut pending);
                    out.push(match e {
                        '\\' | '"' => e,
                        'n' => '\n',
                        't' => '\t',
                        'b' => '\u{8}',
                        _ => return Err(Unreadable),
                    });
                }
            },
            '"' => {
                flush(&mut out, &mut pending);
                quoted = !quoted;
            }
            ' ' | '\t' if !quoted => {
                if !out.is_empty() {
                    pending += 1;
                }
            }
            '#' | ';' if !quoted => {
                return Ok(out);
            }
            c => {
                flush(&mut out, &mut pending);
                out.push(c);
            }
        }
    }
}

fn flush(out: &mut String, pending: &mut usize) {
    for _ in 0..*pending {
        out.push(' ');
    }
    *pending = 0;
}

/// git's boolean: `true`/`yes`/`on`/a non-zero number, `false`/`no`/`off`/`0`/empty.
pub fn boolean(value: Option<&str>) -> Option<bool> {
    let Some(value) = value else {
        return Some(true);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" | "" => Some(false),
        n => n.parse::<i64>().ok().map(|n| n != 0),
    }
}

#[cfg(test)]
mod tests {
    use super::{Setting, Unreadable, boolean, read};

    fn s(name: &str, value: Option<&str>) -> Setting {
        Setting {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        }
    }

    #[test]
    fn reads_what_git_init_writes_and_skips_other_sections() {
        let text = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\
                    \tlogallrefupdates = true\n[user]\n\tname = A \"B\" C\n[alias]\n\
                    \tl = \"!git log --oneline # not a comment\"\n";
        assert_eq!(
            read(text),
            Ok(vec![
                s("core.repositoryformatversion", Some("0")),
                s("core.filemode", Some("true")),
                s("core.bare", Some("false")),
                s("core.logallrefupdates", Some("true")),
            ])
        );
    }

    #[test]
    fn values_quotes_escapes_comments_and_continuations() {
        let text = "[Core]\n  ExcludesFile = \"~/my ignore\"  # mine\n\
                    [core] ignorecase\n\
                    [core]\nexcludesfile = a\\\nb \t c ;x\n";
        assert_eq!(
            read(text),
            Ok(vec![
                s("core.excludesfile", Some("~/my ignore")),
                s("core.ignorecase", None),
                s("core.excludesfile", Some("ab   c")),
            ])
        );
        assert_eq!(
            read("[includeIf \"gitdir:~/w/\"]\npath = x\n[extensions]\nobjectFormat = sha256\n"),
            Ok(vec![
                s("includeif.gitdir:~/w/.path", Some("x")),
                s("extensions.objectformat", Some("sha256")),
            ])
        );
    }

    #[test]
    fn what_it_cannot_read_is_an_error() {
        for text in [
            "key = value\n",
            "[core\n",
            "[core]\nexcludesfile = \"open\n",
            "[core]\n= x\n",
            "[core]\nexcludesfile = \\q\n",
            "[core]\nkey value\n",
            "[core]\nignorecase ; comment\n",
        ] {
            assert_eq!(read(text), Err(Unreadable), "{text:?}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(boolean(None), Some(true));
        assert_eq!(boolean(Some("Yes")), Some(true));
        assert_eq!(boolean(Some("0")), Some(false));
        assert_eq!(boolean(Some("")), Some(false));
        assert_eq!(boolean(Some("maybe")), None);
    }
}
