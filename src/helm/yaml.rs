//! A small YAML document tree that is written as text with a one-line comment on any entry, and
//! read back with `yaml-rust2` to prove the text means exactly the tree.
//!
//! Why not a serializer: the values file must say why each choice was made, and serde-based
//! YAML writers drop comments. Strings are always double-quoted with JSON escapes (JSON strings
//! are valid YAML double-quoted scalars), so no value can turn into a number, a boolean, `null`
//! or a comment. Pure: no I/O.

use std::fmt::Write as _;

use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

/// A node of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Str(String),
    Int(i64),
    Bool(bool),
    /// Entries in output order, each with an optional reason written as a comment.
    Map(Vec<Entry>),
    /// Items with an optional reason each.
    List(Vec<(Node, Option<String>)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: Node,
    pub why: Option<String>,
}

impl Node {
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    /// The value at a dotted path of map keys (`a.b.c`), if present.
    pub fn get(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |node, key| match node {
            Node::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        })
    }

    /// The same tree as `yaml-rust2` reads it.
    pub fn to_yaml(&self) -> Yaml {
        match self {
            Node::Str(s) => Yaml::String(s.clone()),
            Node::Int(i) => Yaml::Integer(*i),
            Node::Bool(b) => Yaml::Boolean(*b),
            Node::Map(entries) => Yaml::Hash(
                entries
                    .iter()
                    .map(|e| (Yaml::String(e.key.clone()), e.value.to_yaml()))
                    .collect::<Hash>(),
            ),
            Node::List(items) => Yaml::Array(items.iter().map(|(n, _)| n.to_yaml()).collect()),
        }
    }
}

/// A map under construction, keeping insertion order.
#[derive(Debug, Default)]
pub struct MapBuilder(Vec<Entry>);

impl MapBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn put(mut self, key: &str, value: Node) -> Self {
        self.0.push(Entry {
            key: key.to_owned(),
            value,
            why: None,
        });
        self
    }

    /// An entry with its reason (one line, written as a trailing comment).
    pub fn why(mut self, key: &str, value: Node, why: &str) -> Self {
        self.0.push(Entry {
            key: key.to_owned(),
            value,
            why: Some(why.to_owned()),
        });
        self
    }

    pub fn build(self) -> Node {
        Node::Map(self.0)
    }
}

/// A double-quoted YAML scalar (JSON escapes).
pub fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Keys are written bare when they are plain words (every key this tool writes), else quoted.
fn key_text(k: &str) -> String {
    let plain = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(&b))
        && k.starts_with(|c: char| c.is_ascii_alphabetic());
    if plain { k.to_owned() } else { quote(k) }
}

fn scalar_text(n: &Node) -> Option<String> {
    match n {
        Node::Str(s) => Some(quote(s)),
        Node::Int(i) => Some(i.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        Node::Map(e) if e.is_empty() => Some("{}".into()),
        Node::List(i) if i.is_empty() => Some("[]".into()),
        Node::Map(_) | Node::List(_) => None,
    }
}

fn comment(why: Option<&String>) -> String {
    // A reason is one line: a line break would end the comment and start YAML.
    why.map(|w| format!("  # {}", w.replace(['\n', '\r'], " ")))
        .unwrap_or_default()
}

fn write_map(out: &mut String, entries: &[Entry], indent: usize) {
    let pad = " ".repeat(indent);
    for e in entries {
        let key = key_text(&e.key);
        if let Some(v) = scalar_text(&e.value) {
            _ = writeln!(out, "{pad}{key}: {v}{}", comment(e.why.as_ref()));
        } else {
            _ = writeln!(out, "{pad}{key}:{}", comment(e.why.as_ref()));
            write_node(out, &e.value, indent + 2);
        }
    }
}

fn write_node(out: &mut String, node: &Node, indent: usize) {
    match node {
        Node::Map(entries) => write_map(out, entries, indent),
        Node::List(items) => {
            let pad = " ".repeat(indent);
            for (item, why) in items {
                match (scalar_text(item), item) {
                    (Some(v), _) => _ = writeln!(out, "{pad}- {v}{}", comment(why.as_ref())),
                    (None, Node::Map(entries)) => {
                        // `- ` then the first entry on the same line, the rest aligned under it.
                        let mut inner = String::new();
                        write_map(&mut inner, entries, indent + 2);
                        let body = inner.trim_start_matches(' ');
                        if let Some(w) = why {
                            _ = writeln!(out, "{pad}# {w}");
                        }
                        _ = write!(out, "{pad}- {body}");
                    }
                    (None, _) => {
                        _ = writeln!(out, "{pad}-{}", comment(why.as_ref()));
                        write_node(out, item, indent + 2);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The document as text: `header` lines as comments, then the tree (a map at the top).
pub fn to_text(header: &[&str], root: &Node) -> String {
    let mut out = String::new();
    for line in header {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            _ = writeln!(out, "# {line}");
        }
    }
    write_node(&mut out, root, 0);
    out
}

/// Several documents: `header` comment lines, then each document after a `---` line.
pub fn docs_to_text(header: &[&str], docs: &[Node]) -> String {
    let mut out = to_text(header, &Node::Map(Vec::new()));
    for doc in docs {
        out.push_str("---\n");
        write_node(&mut out, doc, 0);
    }
    out
}

/// Reads a multi-document text back and compares it with `docs`.
pub fn docs_read_back(text: &str, docs: &[Node]) -> Result<(), String> {
    let read = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    let want: Vec<Yaml> = docs.iter().map(Node::to_yaml).collect();
    if read == want {
        Ok(())
    } else {
        Err(format!(
            "read back as {} documents that differ from the intended ones",
            read.len()
        ))
    }
}

/// Reads `text` back and compares it with `root`: `Err` with what differs.
pub fn reads_back(text: &str, root: &Node) -> Result<(), String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    match docs.as_slice() {
        [doc] if *doc == root.to_yaml() => Ok(()),
        [doc] => Err(format!(
            "read back as {doc:?}, not as the intended document"
        )),
        _ => Err(format!("holds {} documents, not one", docs.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tricky_strings_stay_strings_and_comments_stay_comments() {
        let root = MapBuilder::new()
            .why("a", Node::str("yes"), "a bare yes would be a boolean")
            .why("b", Node::str("0123"), "leading zero")
            .put("c", Node::str("x # not a comment: \"quoted\" \\ back"))
            .put("d", Node::str("null"))
            .put("e", Node::str("ünïcode\ttab"))
            .why("f", Node::Int(5), "a number")
            .put("g", Node::Bool(false))
            .put(
                "h",
                Node::List(vec![
                    (Node::str("https://sts.windows.net/x/"), Some("why".into())),
                    (
                        MapBuilder::new()
                            .put("name", Node::str("n"))
                            .put("value", Node::str("v"))
                            .build(),
                        None,
                    ),
                ]),
            )
            .put(
                "i",
                MapBuilder::new()
                    .put("LAKEKEEPER__X", Node::str(""))
                    .build(),
            )
            .put("j", Node::Map(Vec::new()))
            .why("k", Node::str("line\nbreak"), "two\nlines")
            .build();
        let text = to_text(&["header", ""], &root);
        reads_back(&text, &root).expect("round-trips");
        assert!(text.starts_with("# header\n#\na: \"yes\"  # a bare yes would be a boolean\n"));
        assert!(
            text.contains("k: \"line\\nbreak\"  # two lines\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "h:\n  - \"https://sts.windows.net/x/\"  # why\n  - name: \"n\"\n    value: \"v\"\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_changed_document_does_not_read_back() {
        let root = MapBuilder::new().put("a", Node::Int(1)).build();
        let other = MapBuilder::new().put("a", Node::str("1")).build();
        assert!(reads_back(&to_text(&[], &root), &other).is_err());
        assert_eq!(root.get("a"), Some(&Node::Int(1)));
        assert_eq!(root.get("a.b"), None);
    }
}
