//! The docs cannot drift. `README.md` and every guide in `docs/` are read the way a user reads
//! them, and each name and number in them is checked against the code:
//!
//! - every `lakekeeper-setup` command and flag named exists in clap's command tree (read through
//!   the library, `Cli::command()`, which is what `--help` prints);
//! - every environment variable of ours (`LAKEKEEPER…`, `POSTGRES_…`, `AZURE_…`) is one the code
//!   knows, and every profile key (in a TOML example, or as `[table] key` / `table.key`) one the
//!   profile's readers accept;
//! - every default stated ("default `X`" after a flag or a profile key, "# default X" in a profile
//!   example) is the code's default;
//! - every link inside the repository resolves, `#anchor` included;
//! - the README's commands table lists exactly the commands `--help` lists, with their flags.
//!
//! `every_problem_kind_is_reported` is the test of the test: a page with a renamed flag, a wrong
//! default and a broken link must fail it. Flags of other tools the docs show (cargo's, az's,
//! helm's, kubectl's) are listed by name in `OTHER_TOOLS`, so a new one has to be looked at.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use clap::CommandFactory;
use lakekeeper_setup::cli::Cli;
use lakekeeper_setup::model::{Answers, FieldId, Source};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Flags in the docs that belong to `cargo`, `git`, `az`, `helm`, `kubectl` or `maturin`.
const OTHER_TOOLS: [&str; 48] = [
    "--enable-oidc-issuer",
    "--enable-workload-identity",
    "--name",
    "--resource",
    "--tenant",
    "--wait",
    "--install",
    "--namespace",
    "--create-namespace",
    "--from-env-file",
    "--strict",
    "--for",
    "--release",
    "--locked",
    "--git",
    "--no-fail-fast",
    "--lib",
    "--path",
    "--cached",
    "--porcelain",
    "--ignored",
    "--scope",
    "--claims-challenge",
    "--role",
    "--assignee",
    "--assignee-object-id",
    "--assignee-principal-type",
    "--secret-permissions",
    "--id",
    "--dry-run=client",
    "--version",
    "--test",
    "--zig",
    "--compatibility",
    "--profile",
    "--resource-group",
    "--vault-name",
    "--display-name",
    "--parameters",
    "--query",
    "--output",
    "--value",
    "--end-date",
    "--append",
    "--issuer",
    "--subject",
    "--audiences",
    "--object-id",
];

/// Variables the docs name that belong to others: Lakekeeper's own that the tool does not use,
/// and those AKS's workload identity webhook injects into a pod.
const OTHER_VARS: [&str; 5] = [
    "LAKEKEEPER__PG_SCHEMA",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
];

/// The errors in the seed quick start's troubleshooting list: each must be in the guide.
const SEED_ERRORS: [&str; 4] = [
    r#"Failed to parse openid configuration. Expected fields: ["jwks_uri", "issuer"]"#,
    "401 Unauthorized",
    r#"extension "uuid-ossp" does not exist"#,
    // The seed says "Container cannot reach Azure AD endpoints"; Azure AD is Entra ID now.
    "the container cannot reach Entra (Azure AD) endpoints",
];

const PROFILE_TABLES: [&str; 9] = [
    "entra",
    "lakekeeper_api",
    "backend_service",
    "ui",
    "postgres",
    "storage",
    "lakekeeper",
    "production",
    "secrets",
];

/// One page: its path from the repository root and its text.
struct Doc {
    path: String,
    text: String,
}

fn read_docs() -> Vec<Doc> {
    let mut paths = vec!["README.md".to_owned()];
    let mut guides: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(n).extension().is_some_and(|x| x == "md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    guides.sort();
    paths.extend(guides);
    paths
        .into_iter()
        .map(|path| Doc {
            text: std::fs::read_to_string(Path::new(ROOT).join(&path)).expect("read doc"),
            path,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The command tree, from clap

#[derive(Debug, Default)]
struct Cmd {
    /// Long flag → its default as clap states it (`default_value`, or `[default: …]` in its help).
    flags: BTreeMap<String, Option<String>>,
    /// The flags this command declares itself (not global ones, not --help/--version).
    own: BTreeSet<String>,
    subcommands: BTreeSet<String>,
    positionals: bool,
}

/// Every command by its path: `""` (the wizard), `apply`, `azure bootstrap`, …
struct Tree(BTreeMap<String, Cmd>);

impl Tree {
    fn from_clap() -> Tree {
        let mut root = Cli::command();
        root.build();
        let mut map = BTreeMap::new();
        walk(&root, String::new(), &mut map);
        Tree(map)
    }

    fn get(&self, path: &str) -> &Cmd {
        &self.0[path]
    }

    /// The commands a user runs: every command without subcommands, and the wizard.
    fn leaves(&self) -> BTreeSet<String> {
        self.0
            .iter()
            .filter(|(p, c)| p.is_empty() || c.subcommands.is_empty())
            .map(|(p, _)| p.clone())
            .collect()
    }

    fn any_has(&self, flag: &str) -> bool {
        self.0.values().any(|c| c.flags.contains_key(flag))
    }
}

fn walk(cmd: &clap::Command, path: String, out: &mut BTreeMap<String, Cmd>) {
    let mut c = Cmd::default();
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long() {
            let flag = format!("--{long}");
            let stated = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .next()
                .or_else(|| {
                    let help = arg
                        .get_long_help()
                        .or_else(|| arg.get_help())
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    let at = help.find("[default: ")?;
                    let rest = &help[at + "[default: ".len()..];
                    Some(rest[..rest.find(']').unwrap_or(rest.len())].to_owned())
                });
            if !arg.is_global_set() && long != "help" && long != "version" {
                c.own.insert(flag.clone());
            }
            c.flags.insert(flag, stated);
        } else if arg.is_positional() {
            c.positionals = true;
        }
    }
    for sub in cmd.get_subcommands() {
        let name = sub.get_name().to_owned();
        if name == "help" {
            continue;
        }
        c.subcommands.insert(name.clone());
        let sub_path = if path.is_empty() {
            name
        } else {
            format!("{path} {name}")
        };
        walk(sub, sub_path, out);
    }
    out.insert(path, c);
}

// ---------------------------------------------------------------------------------------------
// Reading Markdown

/// A page's pieces: prose paragraphs (table rows each on their own), fenced blocks by language.
struct Parsed {
    /// Prose blocks: a paragraph (lines joined with spaces) or one table row.
    prose: Vec<String>,
    /// Fenced blocks: (language, lines).
    fenced: Vec<(String, Vec<String>)>,
    headings: Vec<String>,
}

fn parse(text: &str) -> Parsed {
    let mut p = Parsed {
        prose: Vec::new(),
        fenced: Vec::new(),
        headings: Vec::new(),
    };
    let mut para: Vec<&str> = Vec::new();
    let mut fence: Option<(String, Vec<String>)> = None;
    // Notes to maintainers (`<!-- … -->`) are not what a reader sees.
    let mut comment = false;
    let flush = |para: &mut Vec<&str>, prose: &mut Vec<String>| {
        if !para.is_empty() {
            prose.push(para.join(" "));
            para.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(lang) = trimmed.strip_prefix("```") {
            if let Some(block) = fence.take() {
                p.fenced.push(block);
            } else {
                flush(&mut para, &mut p.prose);
                fence = Some((lang.trim().to_owned(), Vec::new()));
            }
            continue;
        }
        if let Some((_, lines)) = fence.as_mut() {
            lines.push(line.to_owned());
            continue;
        }
        if comment || trimmed.starts_with("<!--") {
            comment = !line.contains("-->");
            continue;
        }
        if trimmed.starts_with('#') {
            flush(&mut para, &mut p.prose);
            p.headings
                .push(trimmed.trim_start_matches('#').trim().to_owned());
            p.prose.push(trimmed.trim_start_matches('#').to_owned());
        } else if trimmed.is_empty() {
            flush(&mut para, &mut p.prose);
        } else if trimmed.starts_with('|') || trimmed.starts_with("- ") {
            flush(&mut para, &mut p.prose);
            para.push(line);
        } else {
            para.push(line);
        }
    }
    flush(&mut para, &mut p.prose);
    p
}

/// The inline code spans of a prose block (CommonMark: a run of n backticks to the next run of
/// exactly n), with `\|` (a pipe escaped inside a table) read as `|`.
#[allow(clippy::many_single_char_names)]
fn spans(block: &str) -> Vec<String> {
    let b = block.as_bytes();
    let run_at = |i: usize| b[i..].iter().take_while(|c| **c == b'`').count();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let n = run_at(i);
        let start = i + n;
        let mut j = start;
        let mut close = None;
        while j < b.len() {
            if b[j] == b'`' {
                let m = run_at(j);
                if m == n {
                    close = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                let s = block[start..end].trim().replace("\\|", "|");
                out.push(s);
                i = end + n;
            }
            None => i = start,
        }
    }
    out
}

/// Prose without its code spans (where links and defaults are read).
fn without_spans(block: &str) -> String {
    let mut out = block.to_owned();
    for s in spans(block) {
        out = out.replacen(&format!("`{s}`"), "`…`", 1);
    }
    out
}

/// Every piece of code a page shows: its spans and the lines of its shell-like fenced blocks.
fn code_pieces(p: &Parsed) -> Vec<String> {
    let mut out: Vec<String> = p.prose.iter().flat_map(|b| spans(b)).collect();
    for (lang, lines) in &p.fenced {
        if matches!(lang.as_str(), "sh" | "bash" | "console" | "") {
            out.extend(
                lines
                    .iter()
                    .map(|l| l.split(" #").next().unwrap_or(l).trim().to_owned())
                    .filter(|l| !l.starts_with('#') && !l.is_empty()),
            );
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(p: &Parsed) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for h in &p.headings {
        let s = slug(h);
        let n = seen.entry(s.clone()).or_insert(0);
        out.insert(if *n == 0 {
            s.clone()
        } else {
            format!("{s}-{n}")
        });
        *n += 1;
    }
    out
}

/// `path` relative to the repository root, `..` resolved.
fn normalise(base_dir: &Path, target: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in base_dir.join(target).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// What the code knows

/// Our environment variables as the docs spell them: `LAKEKEEPER…`, `POSTGRES_…`, `AZURE_…`,
/// `ICEBERG_…`, or any name with `__`. A name ending in `_` is a prefix (`LAKEKEEPER__*`).
fn env_names(piece: &str) -> Vec<String> {
    piece
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            w.len() > 3
                && w.contains('_')
                && !w.ends_with('_')
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && (w.starts_with("LAKEKEEPER")
                    || w.starts_with("POSTGRES_")
                    || w.starts_with("AZURE_")
                    || w.starts_with("ICEBERG_")
                    || w.contains("__"))
        })
        .map(str::to_owned)
        .collect()
}

/// Every upper-case name in the source outside comments: what the code knows.
fn source_names() -> BTreeSet<String> {
    fn walk_dir(dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).expect("read src") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk_dir(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs" || x == "toml") {
                let text = std::fs::read_to_string(&p).expect("read source");
                for line in text.lines() {
                    let t = line.trim_start();
                    if t.starts_with("//") || t.starts_with('#') {
                        continue;
                    }
                    out.extend(env_names(line));
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk_dir(&Path::new(ROOT).join("src"), &mut out);
    walk_dir(&Path::new(ROOT).join("assets"), &mut out);
    out.extend(lakekeeper_setup::keys::MANAGED.map(str::to_owned));
    out.extend(OTHER_VARS.map(str::to_owned));
    out
}

fn profile_key_known(table: &str, key: &str) -> bool {
    match table {
        "production" => lakekeeper_setup::production::KEYS
            .iter()
            .any(|(k, _)| *k == key),
        "secrets" => {
            key == "vault"
                || lakekeeper_setup::azure::secrets::KEYS
                    .iter()
                    .any(|(k, _)| *k == key)
        }
        t if PROFILE_TABLES.contains(&t) => {
            lakekeeper_setup::profile::read(&format!("[{table}]\n{key} = \"x\"\n")).is_ok()
        }
        _ => false,
    }
}

/// The code's default for a profile key, as the docs would write it (`None`: it has none).
fn profile_default(table: &str, key: &str) -> Option<String> {
    if (table, key) == ("secrets", "backend_client_secret") {
        return Some(lakekeeper_setup::azure::bootstrap::DEFAULT_SECRET_NAME.to_owned());
    }
    if table == "production" {
        let raw = lakekeeper_setup::production::read(
            "[production]\nbase_uri = \"https://lakekeeper.example.com\"\n",
        )
        .expect("read");
        let (p, _) = lakekeeper_setup::production::validate(
            raw.as_ref(),
            &lakekeeper_setup::production::VaultNames::default(),
        )
        .expect("defaults validate");
        return Some(match key {
            "namespace" => p.namespace,
            "release" => p.release,
            "replicas" => p.replicas.to_string(),
            "deploy" => p.deploy.as_str().to_owned(),
            "secret_name" => p.secret_name.replace(&p.release, "<release>"),
            "app_role" => p.app_role,
            "postgres_user" => p.postgres_user,
            "postgres_password_secret" => p.postgres_password_secret,
            _ => return None,
        });
    }
    let field = FieldId::ALL
        .into_iter()
        .find(|f| f.profile_key() == Some((table, key)))?;
    // Other answers stand as their own placeholders (`api://<client_id>`).
    let mut a = Answers::default();
    a.set(FieldId::ApiClientId, "<client_id>", Source::Profile);
    lakekeeper_setup::validate::default_for(field, &a)
}

/// `default X` / `defaults to X` in `text`: each stated value, where it starts.
fn stated_defaults(text: &str, backticked_only: bool) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("default") {
        let rest = &text[at + "default".len()..];
        let rest = rest.strip_prefix("s to").unwrap_or(rest);
        let Some(rest) = rest.strip_prefix(' ') else {
            continue;
        };
        let value = if let Some(r) = rest.strip_prefix('`') {
            r.split('`').next().unwrap_or("").to_owned()
        } else {
            let word: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ';' | ')' | '('))
                .collect();
            let word = word.trim_end_matches(':').to_owned();
            let number = word.chars().all(|c| c.is_ascii_digit()) && !word.is_empty();
            if backticked_only && !number {
                continue;
            }
            word
        };
        if !value.is_empty() && !value.starts_with(':') {
            out.push((at, value));
        }
    }
    out
}

fn same_default(code: &str, doc: &str) -> bool {
    let code = code.split([';', ']']).next().unwrap_or(code).trim();
    code == doc || code.ends_with(&format!("/{doc}"))
}

// ---------------------------------------------------------------------------------------------
// The checks

/// What the checks read, so a test can show they read what they mean to read.
#[derive(Default)]
struct Seen {
    /// `--flag` or `table.key` whose stated default was compared with the code's.
    defaults: BTreeSet<String>,
    /// Commands named (`verify`, `azure bootstrap`, `` for the wizard).
    commands: BTreeSet<String>,
    /// Links inside the repository followed.
    links: usize,
}

/// Everything wrong with `docs`, one line each (`path: what`). Pure apart from reading the
/// files links point at.
fn problems(docs: &[Doc], tree: &Tree) -> Vec<String> {
    problems_seen(docs, tree, &mut Seen::default())
}

fn problems_seen(docs: &[Doc], tree: &Tree, seen: &mut Seen) -> Vec<String> {
    let known_env = source_names();
    let parsed: BTreeMap<&str, Parsed> = docs
        .iter()
        .map(|d| (d.path.as_str(), parse(&d.text)))
        .collect();
    let mut out = Vec::new();
    for doc in docs {
        let p = &parsed[doc.path.as_str()];
        let mut say = |m: String| out.push(format!("{}: {m}", doc.path));
        for piece in code_pieces(p) {
            command_problems(&piece, tree, seen, &mut say);
            for name in env_names(&piece) {
                if !known_env.contains(&name) {
                    say(format!("`{piece}`: {name} is no variable the code knows"));
                }
            }
            profile_span_problems(&piece, &mut say);
        }
        for (lang, lines) in &p.fenced {
            if lang == "toml" {
                toml_problems(lines, seen, &mut say);
            }
        }
        for block in &p.prose {
            default_problems(block, tree, seen, &mut say);
            link_problems(&doc.path, block, &parsed, seen, &mut say);
        }
    }
    out
}

/// A piece of code naming this tool: its command, its flags, and `--only`'s names.
fn command_problems(piece: &str, tree: &Tree, seen: &mut Seen, say: &mut impl FnMut(String)) {
    let line = piece
        .split(['|', ';', '>'])
        .next()
        .unwrap_or(piece)
        .split("&&")
        .collect::<Vec<_>>();
    for part in line {
        let words: Vec<&str> = part.split_whitespace().collect();
        let ours_at = words
            .iter()
            .position(|w| *w == "lakekeeper-setup")
            .map(|i| i + 1)
            .or_else(|| words.iter().position(|w| *w == "--").map(|i| i + 1))
            .or_else(|| {
                tree.get("")
                    .subcommands
                    .contains(*words.first()?)
                    .then_some(0)
            });
        let Some(start) = ours_at else {
            for flag in words.iter().filter(|w| {
                w.starts_with("--") && w.as_bytes().get(2).is_some_and(u8::is_ascii_lowercase)
            }) {
                let flag = clean_flag(flag);
                if flag.len() > 2 && !OTHER_TOOLS.contains(&flag.as_str()) && !tree.any_has(&flag) {
                    say(format!("`{piece}`: {flag} is no flag of any command"));
                }
            }
            continue;
        };
        let explicit = start > 0;
        let mut path = String::new();
        let mut rest = words[start..].iter().peekable();
        while let Some(w) = rest.peek() {
            let w = w.trim_matches(|c| c == '[' || c == ']');
            if tree.get(&path).subcommands.contains(w) {
                path = if path.is_empty() {
                    w.to_owned()
                } else {
                    format!("{path} {w}")
                };
                rest.next();
            } else {
                break;
            }
        }
        let cmd = tree.get(&path);
        seen.commands.insert(path.clone());
        if explicit
            && let Some(w) = rest.peek()
            && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            && !w.starts_with('-')
            && !cmd.positionals
        {
            say(format!(
                "`{piece}`: `{w}` is no command of `lakekeeper-setup {path}`"
            ));
        }
        let words: Vec<&str> = rest.copied().collect();
        for (i, w) in words.iter().enumerate() {
            let w = w.trim_matches(|c| c == '[' || c == ']' || c == '(' || c == ')');
            if !w.starts_with("--") || w.len() <= 2 {
                continue;
            }
            let flag = clean_flag(w);
            if !cmd.flags.contains_key(&flag) {
                say(format!(
                    "`{piece}`: {flag} is no flag of `lakekeeper-setup {path}`"
                ));
            }
            if flag == "--only"
                && let Some(list) = words.get(i + 1)
            {
                let names = lakekeeper_setup::verify::only_names();
                for name in list.trim_end_matches(']').split(',') {
                    if name.len() > 1 && name != "a" && !names.contains(&name) {
                        say(format!("`{piece}`: verify has no check named {name}"));
                    }
                }
            }
        }
    }
}

fn clean_flag(w: &str) -> String {
    let w =
        w.trim_matches(|c| c == '[' || c == ']' || c == '(' || c == ')' || c == ',' || c == '.');
    if w.starts_with("--dry-run=") {
        return w.to_owned();
    }
    w.split('=').next().unwrap_or(w).to_owned()
}

/// `[table] key`, `[table]` or `table.key` as a whole span.
fn profile_span_problems(piece: &str, say: &mut impl FnMut(String)) {
    let (table, key) = if let Some(rest) = piece.strip_prefix('[') {
        let Some((table, key)) = rest.split_once(']') else {
            return;
        };
        (table, key.trim())
    } else if let Some((t, k)) = piece.split_once('.')
        && PROFILE_TABLES.contains(&t)
        && !k.contains('.')
        && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        && !k.is_empty()
    {
        (t, k)
    } else {
        return;
    };
    if !table.chars().all(|c| c.is_ascii_lowercase() || c == '_') || table.is_empty() {
        return;
    }
    if !PROFILE_TABLES.contains(&table) {
        say(format!("`{piece}`: [{table}] is no profile table"));
    } else if !key.is_empty()
        && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        && !profile_key_known(table, key)
    {
        say(format!("`{piece}`: {table}.{key} is no profile key"));
    }
}

/// A TOML example: its tables and keys exist, and `# default X` is the code's default.
fn toml_problems(lines: &[String], seen: &mut Seen, say: &mut impl FnMut(String)) {
    let mut table = String::new();
    for line in lines {
        let (code, comment) = line.split_once('#').unwrap_or((line, ""));
        let code = code.trim();
        if let Some(t) = code.strip_prefix('[') {
            t.trim_end_matches(']').clone_into(&mut table);
            if !PROFILE_TABLES.contains(&table.as_str()) {
                say(format!("`{line}`: [{table}] is no profile table"));
            }
            continue;
        }
        let Some((key, _)) = code.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if !profile_key_known(&table, key) {
            say(format!("`{line}`: {table}.{key} is no profile key"));
            continue;
        }
        for (_, stated) in stated_defaults(comment, false) {
            seen.defaults.insert(format!("{table}.{key}"));
            match profile_default(&table, key) {
                Some(real) if real == stated => {}
                real => say(format!(
                    "`{line}`: says {table}.{key} defaults to `{stated}`; the code's default is {}",
                    real.map_or("none".into(), |r| format!("`{r}`"))
                )),
            }
        }
    }
}

/// "default `X`" after a flag or a profile key, in the same sentence or table cell.
fn default_problems(block: &str, tree: &Tree, seen: &mut Seen, say: &mut impl FnMut(String)) {
    for cell in block.split('|') {
        for sentence in cell.split(". ") {
            let spans = spans(sentence);
            for (at, stated) in stated_defaults(sentence, true) {
                // The subject: the last flag or profile key named before "default".
                let before = &sentence[..at];
                let Some(subject) = spans
                    .iter()
                    .filter(|s| before.contains(&format!("`{s}`")))
                    .filter_map(|s| subject_of(s))
                    .next_back()
                else {
                    continue;
                };
                match subject {
                    Subject::Flag(flag) => {
                        let stated_by_clap: Vec<&String> = tree
                            .0
                            .values()
                            .filter_map(|c| c.flags.get(&flag).and_then(Option::as_ref))
                            .collect();
                        if stated_by_clap.is_empty() {
                            continue;
                        }
                        seen.defaults.insert(flag.clone());
                        if !stated_by_clap.iter().any(|c| same_default(c, &stated)) {
                            say(format!(
                                "says {flag} defaults to `{stated}`; clap's default is `{}`",
                                stated_by_clap[0]
                            ));
                        }
                    }
                    Subject::Key(table, key) => {
                        seen.defaults.insert(format!("{table}.{key}"));
                        match profile_default(&table, &key) {
                            Some(real) if real == stated => {}
                            real => say(format!(
                                "says {table}.{key} defaults to `{stated}`; the code's default is {}",
                                real.map_or("none".into(), |r| format!("`{r}`"))
                            )),
                        }
                    }
                }
            }
        }
    }
}

enum Subject {
    Flag(String),
    Key(String, String),
}

fn subject_of(span: &str) -> Option<Subject> {
    let first = span.split_whitespace().next()?;
    if first.starts_with("--") && span.split_whitespace().count() <= 2 {
        return Some(Subject::Flag(clean_flag(first)));
    }
    let (t, k) = if let Some(rest) = span.strip_prefix('[') {
        let (t, k) = rest.split_once(']')?;
        (t, k.trim())
    } else {
        span.split_once('.')?
    };
    (PROFILE_TABLES.contains(&t) && !k.is_empty() && profile_key_known(t, k))
        .then(|| Subject::Key(t.to_owned(), k.to_owned()))
}

/// Links inside the repository: the file exists, and a `#anchor` is one of its headings.
fn link_problems(
    from: &str,
    block: &str,
    parsed: &BTreeMap<&str, Parsed>,
    seen: &mut Seen,
    say: &mut impl FnMut(String),
) {
    let prose = without_spans(block);
    for (at, _) in prose.match_indices("](") {
        let rest = &prose[at + 2..];
        let Some(end) = rest.find(')') else { continue };
        let target = &rest[..end];
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
        seen.links += 1;
        let base = Path::new(from).parent().unwrap_or(Path::new(""));
        let rel = if file.is_empty() {
            PathBuf::from(from)
        } else {
            normalise(base, file)
        };
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        if !Path::new(ROOT).join(&rel).exists() {
            say(format!("link ({target}): {rel_str} does not exist"));
            continue;
        }
        if anchor.is_empty() || rel.extension().is_none_or(|x| x != "md") {
            continue;
        }
        let found = match parsed.get(rel_str.as_str()) {
            Some(p) => anchors(p),
            None => anchors(&parse(
                &std::fs::read_to_string(Path::new(ROOT).join(&rel)).expect("read linked"),
            )),
        };
        if !found.contains(anchor) {
            say(format!(
                "link ({target}): {rel_str} has no heading #{anchor}"
            ));
        }
    }
}

fn report(problems: &[String]) -> String {
    problems.join("\n")
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn every_command_flag_variable_key_default_and_link_in_the_docs_is_real() {
    let docs = read_docs();
    assert!(docs.len() >= 8, "the guides in docs/ were not found");
    let tree = Tree::from_clap();
    let mut seen = Seen::default();
    let found = problems_seen(&docs, &tree, &mut seen);
    assert!(found.is_empty(), "the docs drifted:\n{}", report(&found));
    // The checks read what they mean to read: the defaults the docs state, every command, the
    // links between the guides.
    for stated in [
        "--timeout",
        "--prefix",
        "--secret-months",
        "--out",
        "--env-file",
        "--profile",
        "postgres.port",
        "postgres.schema",
        "lakekeeper.image",
        "lakekeeper.base_uri",
        "lakekeeper_api.app_id_uri",
        "production.namespace",
        "production.replicas",
        "production.deploy",
        "production.secret_name",
        "secrets.backend_client_secret",
    ] {
        assert!(
            seen.defaults.contains(stated),
            "no default checked for {stated}"
        );
    }
    let unnamed: Vec<String> = tree.leaves().difference(&seen.commands).cloned().collect();
    assert!(unnamed.is_empty(), "the docs never name {unnamed:?}");
    assert!(seen.links > 60, "only {} links followed", seen.links);
}

/// The test of the test: each kind of drift is reported, naming the thing that drifted.
#[test]
fn every_problem_kind_is_reported() {
    let page = "# A page\n\n\
        Run `lakekeeper-setup verify --only token,kee-vault --timeoutt 5` or\n\
        `lakekeeper-setup apply --dry-runn`, or `lakekeeper-setup frobnicate`.\n\n\
        Checks wait (`--timeout`, default 30 s). The schema (`[postgres] schema`) defaults to `public`.\n\n\
        Set `LAKEKEEPER__OPENID_AUDIENCEE` and `[entra] tennant`.\n\n\
        See [the guide](docs/nope.md), [verify](docs/verify.md#no-such-heading) and\n\
        [here](#a-page), [fine](docs/verify.md#the-checks).\n\n\
        ```toml\n[postgres]\nport = 5432   # default 6432\nhots = \"x\"\n\n[prodution]\n```\n";
    let docs = [Doc {
        path: "README.md".into(),
        text: page.into(),
    }];
    let found = problems(&docs, &Tree::from_clap());
    let text = report(&found);
    for want in [
        "--timeoutt is no flag of `lakekeeper-setup verify`",
        "verify has no check named kee-vault",
        "--dry-runn is no flag of `lakekeeper-setup apply`",
        "`frobnicate` is no command of `lakekeeper-setup `",
        "says --timeout defaults to `30`; clap's default is `10`",
        "says postgres.schema defaults to `public`; the code's default is `lakekeeper`",
        "LAKEKEEPER__OPENID_AUDIENCEE is no variable the code knows",
        "entra.tennant is no profile key",
        "link (docs/nope.md): docs/nope.md does not exist",
        "link (docs/verify.md#no-such-heading): docs/verify.md has no heading #no-such-heading",
        "says postgres.port defaults to `6432`; the code's default is `5432`",
        "postgres.hots is no profile key",
        "[prodution] is no profile table",
    ] {
        assert!(text.contains(want), "not reported: {want}\n{text}");
    }
    // And nothing else: the good link, anchor and names pass.
    assert_eq!(found.len(), 13, "{text}");
}

/// The test of the test, on the guides themselves: one drift at a time, made in a real page of
/// `docs/` (a renamed flag, a changed default, a renamed key or variable, a broken link — its
/// file, its anchor, or a path written as if from the repository root), is reported against
/// that page; and a heading renamed in a guide breaks the README's link to it. Links in a guide
/// resolve from `docs/`, as GitHub resolves them.
#[test]
fn a_drift_in_a_guide_is_reported_against_that_guide() {
    let tree = Tree::from_clap();
    let real = read_docs();
    assert!(
        problems(&real, &tree).is_empty(),
        "the real docs drifted already"
    );
    for (path, from, to, want) in [
        (
            "docs/troubleshooting.md",
            "`lakekeeper-setup verify --only oidc-discovery`",
            "`lakekeeper-setup verify --onlyy oidc-discovery`",
            "docs/troubleshooting.md: `lakekeeper-setup verify --onlyy oidc-discovery`: --onlyy is no flag of `lakekeeper-setup verify`",
        ),
        (
            "docs/verify.md",
            "(`--timeout`, default 10 s)",
            "(`--timeout`, default 30 s)",
            "docs/verify.md: says --timeout defaults to `30`; clap's default is `10`",
        ),
        (
            "docs/wizard.md",
            "port = 5432                 # default 5432",
            "port = 5432                 # default 6432",
            "says postgres.port defaults to `6432`; the code's default is `5432`",
        ),
        (
            "docs/wizard.md",
            "sslmode = \"require\"         # default require",
            "ssl_mode = \"require\"        # default require",
            "postgres.ssl_mode is no profile key",
        ),
        (
            "docs/troubleshooting.md",
            "`LAKEKEEPER__OAUTH2__SCOPE` does not name",
            "`LAKEKEEPER__OAUTH2__SCOPES` does not name",
            "LAKEKEEPER__OAUTH2__SCOPES is no variable the code knows",
        ),
        (
            "docs/troubleshooting.md",
            "[shared-postgres.md](shared-postgres.md)",
            "[shared-postgres.md](shared-postgre.md)",
            "docs/troubleshooting.md: link (shared-postgre.md): docs/shared-postgre.md does not exist",
        ),
        (
            "docs/troubleshooting.md",
            "(verify.md#network-failures-and-proxies)",
            "(verify.md#network-failure-and-proxies)",
            "docs/troubleshooting.md: link (verify.md#network-failure-and-proxies): docs/verify.md has no heading #network-failure-and-proxies",
        ),
        (
            "docs/troubleshooting.md",
            "(verify.md#network-failures-and-proxies)",
            "(docs/verify.md#network-failures-and-proxies)",
            "docs/troubleshooting.md: link (docs/verify.md#network-failures-and-proxies): docs/docs/verify.md does not exist",
        ),
        (
            "docs/verify.md",
            "## `warehouse`: bootstrap and the warehouse",
            "## `warehouse`: bootstrapping",
            "README.md: link (docs/verify.md#warehouse-bootstrap-and-the-warehouse): docs/verify.md has no heading #warehouse-bootstrap-and-the-warehouse",
        ),
    ] {
        let docs: Vec<Doc> = real
            .iter()
            .map(|d| Doc {
                path: d.path.clone(),
                text: if d.path == path {
                    assert!(d.text.contains(from), "{path} no longer has `{from}`");
                    d.text.replacen(from, to, 1)
                } else {
                    d.text.clone()
                },
            })
            .collect();
        let found = problems(&docs, &tree);
        let text = report(&found);
        assert!(
            found.iter().any(|p| p.contains(want)),
            "{path}: `{from}` → `{to}` is not reported as `{want}`:\n{text}"
        );
    }
}

/// The README's commands table and `--help` agree: every command `--help` lists has a row, every
/// row is a command, and each row shows exactly that command's own flags.
#[test]
fn the_readme_commands_table_is_the_help() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README");
    let tree = Tree::from_clap();
    let table: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| command | what it does"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(!table.is_empty(), "no commands table in the README");
    let mut rows = BTreeSet::new();
    let mut problems = Vec::new();
    for row in table {
        let cell = row.split(" | ").next().unwrap_or(row);
        let span = spans(cell).into_iter().next().unwrap_or_default();
        let words: Vec<&str> = span.split_whitespace().collect();
        assert_eq!(words.first(), Some(&"lakekeeper-setup"), "{row}");
        let mut path = String::new();
        for w in &words[1..] {
            if tree.get(&path).subcommands.contains(*w) {
                path = if path.is_empty() {
                    (*w).to_owned()
                } else {
                    format!("{path} {w}")
                };
            }
        }
        let shown: BTreeSet<String> = words
            .iter()
            .filter(|w| w.contains("--"))
            .map(|w| clean_flag(w.trim_start_matches('[')))
            .collect();
        let own = &tree.get(&path).own;
        for f in own.difference(&shown) {
            problems.push(format!(
                "`lakekeeper-setup {path}`: its row does not show {f}"
            ));
        }
        for f in shown.difference(own) {
            problems.push(format!(
                "`lakekeeper-setup {path}`: its row shows {f}, which --help does not list"
            ));
        }
        rows.insert(path);
    }
    let leaves = tree.leaves();
    for missing in leaves.difference(&rows) {
        problems.push(format!("`lakekeeper-setup {missing}` is in --help but has no row in the README's commands table"));
    }
    for extra in rows.difference(&leaves) {
        problems.push(format!("the README's commands table has a row for `lakekeeper-setup {extra}`, which --help does not list"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The same, as the binary prints it: the names under "Commands:".
    let printed = |args: &[&str]| -> BTreeSet<String> {
        let out = assert_cmd::Command::cargo_bin("lakekeeper-setup")
            .expect("binary")
            .args(args)
            .arg("--help")
            .output()
            .expect("run");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip_while(|l| *l != "Commands:")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| *n != "help")
            .map(str::to_owned)
            .collect()
    };
    let top: BTreeSet<String> = rows
        .iter()
        .filter_map(|r| r.split(' ').next())
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(top, printed(&[]), "top-level commands");
    for parent in ["azure", "export"] {
        let subs: BTreeSet<String> = rows
            .iter()
            .filter_map(|r| r.strip_prefix(&format!("{parent} ")))
            .map(str::to_owned)
            .collect();
        assert_eq!(subs, printed(&[parent]), "{parent} commands");
    }
}

#[test]
fn the_readme_is_short_and_opens_with_the_two_commands_ci_runs() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README");
    let lines = readme.lines().count();
    assert!(lines <= 300, "README.md has {lines} lines; at most 300");
    let p = parse(&readme);
    let blocks: Vec<&Vec<String>> = p.fenced.iter().map(|(_, l)| l).collect();
    assert!(
        blocks[0][0].starts_with("cargo run --release -- --root "),
        "the first command builds and runs: {:?}",
        blocks[0]
    );
    let ci = std::fs::read_to_string(Path::new(ROOT).join(".ci/run")).expect(".ci/run");
    let ci_command = ci.lines().last().expect("a command").trim();
    assert_eq!(
        blocks[1],
        &vec![ci_command.to_owned()],
        "the tests, as CI runs them"
    );
    assert_eq!(
        ci_command,
        "tests/setup.sh && cargo nextest run --no-fail-fast"
    );
    // Everything before the commands says what the tool is for.
    let intro = readme.split("```").next().unwrap_or("");
    assert!(intro.contains("sets up [Lakekeeper]"), "{intro}");
}

/// The README's first command works as written from a fresh checkout: from the checkout (which
/// is no project), with its `--root`, the wizard opens on that project in a real terminal.
#[test]
fn the_readme_first_command_opens_the_wizard_from_the_checkout() {
    if support::tools::require_tool("tmux").is_none() {
        return;
    }
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README");
    let p = parse(&readme);
    let first = &p.fenced[0].1[0];
    let args = first
        .strip_prefix("cargo run --release -- ")
        .expect("cargo run --release -- …");
    let project = support::project::Project::fixture();
    let root = project.root().display().to_string();
    let args: Vec<String> = args
        .split_whitespace()
        .map(|w| {
            if w == "path/to/your-project" {
                root.clone()
            } else {
                w.to_owned()
            }
        })
        .collect();
    assert!(args.contains(&root), "the placeholder is gone: {first}");
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let t = support::tmux::Tmux::start(
        Path::new(ROOT),
        Path::new(env!("CARGO_BIN_EXE_lakekeeper-setup")),
        &words,
        &[("TERM", "xterm-256color")],
        120,
        40,
    );
    let screen = t.wait_for(&["Step 1 of 11: Welcome"]);
    assert!(!screen.contains("no project found"), "{screen}");
    assert!(
        screen.contains(&format!(
            "{root}/backend/.env  (exists, will be edited in place)"
        )),
        "the wizard is not on the project {root}:\n{screen}"
    );
}

#[test]
fn every_guide_opens_with_who_it_is_for_and_troubleshooting_has_the_seed_errors() {
    for doc in read_docs().iter().filter(|d| d.path.starts_with("docs/")) {
        let first = doc
            .text
            .lines()
            .skip(1)
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        assert!(
            first.starts_with("**For") || first.starts_with("For ") || first.contains(" is for "),
            "{}: opens with `{first}`, not who it is for",
            doc.path
        );
    }
    let trouble = std::fs::read_to_string(Path::new(ROOT).join("docs/troubleshooting.md"))
        .expect("docs/troubleshooting.md");
    for error in SEED_ERRORS {
        assert!(
            trouble.contains(error),
            "troubleshooting.md lacks `{error}`"
        );
    }
    assert!(
        !trouble.contains(".env.bak."),
        "backups live in backend/.lakekeeper-setup-backups/"
    );
    assert!(trouble.contains("backend/.lakekeeper-setup-backups/"));
}

/// The contents line links every section of the README.
#[test]
fn the_readme_contents_line_links_every_section() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README");
    let contents = readme
        .split("\n\n")
        .find(|p| p.starts_with("Contents:"))
        .expect("a Contents: line");
    for heading in readme
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
    {
        let anchor = format!("(#{})", slug(heading));
        assert!(
            contents.contains(&anchor),
            "the contents line leaves out `{heading}` {anchor}"
        );
    }
}

/// What `tests/setup.sh` installs is what the docs say it installs.
#[test]
fn the_docs_name_everything_tests_setup_sh_installs() {
    let setup = std::fs::read_to_string(Path::new(ROOT).join("tests/setup.sh")).expect("setup.sh");
    let mut installed: BTreeSet<String> = BTreeSet::new();
    for line in setup.lines().filter(|l| !l.trim_start().starts_with('#')) {
        for (at, _) in line.match_indices("need_apt+=(") {
            let rest = &line[at + "need_apt+=(".len()..];
            let list = rest.split(')').next().unwrap_or_default();
            installed.extend(list.split_whitespace().map(str::to_owned));
        }
        for quoted in line.split('\'').skip(1).step_by(2) {
            if let Some((name, _)) = quoted.split_once("==") {
                installed.insert(name.to_owned());
            }
        }
        if line.contains("cargo install") {
            installed.extend(
                line.split_whitespace()
                    .last()
                    .map(|w| w.trim_matches('"').to_owned()),
            );
        }
    }
    assert!(installed.len() >= 15, "setup.sh not read: {installed:?}");
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README");
    let contributing = readme
        .split("## Contributing")
        .nth(1)
        .expect("## Contributing");
    let dev = std::fs::read_to_string(Path::new(ROOT).join("docs/development.md")).expect("dev");
    let named = |text: &str, pkg: &str| {
        let lower = text.to_lowercase();
        let alias = match pkg {
            "nodejs" => "node.js",
            "postgresql-15" => "postgresql 15",
            other => other,
        };
        lower.contains(&pkg.to_lowercase()) || lower.contains(alias)
    };
    for pkg in &installed {
        assert!(
            named(contributing, pkg),
            "the README's Contributing omits {pkg}"
        );
        assert!(named(&dev, pkg), "docs/development.md omits {pkg}");
    }
}

/// What the merged behaviour does is what the pages that describe it say (each line was missing
/// or untrue once): a closed pipe, later Lakekeeper names, an existing warehouse's credential.
#[test]
fn the_docs_describe_the_behaviour_as_it_is() {
    let read = |p: &str| std::fs::read_to_string(Path::new(ROOT).join(p)).expect(p);
    let readme = read("README.md");
    let exits = readme
        .split("### Exit codes")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("### Exit codes")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        exits.contains("head -c 100`) ends a command quietly with 0, whichever stream it closed"),
        "{exits}"
    );
    let verify = read("docs/verify.md");
    let postgres = verify
        .lines()
        .find(|l| l.starts_with("| `postgres` |"))
        .expect("postgres row");
    assert!(
        postgres.contains("a warning for names only a later Lakekeeper creates"),
        "{postgres}"
    );
    let warehouse = verify
        .split("## `warehouse`: bootstrap and the warehouse")
        .nth(1)
        .expect("warehouse section");
    let warehouse = warehouse.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        warehouse.contains("follows the configuration when the team shares it")
            && warehouse.contains(
                "without a team vault it is left as it is unless you pass `--update-credential`"
            ),
        "{warehouse}"
    );
    let azure = read("docs/azure.md")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        azure.contains("**Which tenant.**")
            && azure.contains("without one (or with `--yes`) it stops, changing nothing"),
        "docs/azure.md does not say how bootstrap picks its tenant"
    );
}
