//! A YAML document as a tree that remembers where each node starts, whether it is written in
//! flow style, and its anchor: what the text-level merge and the linter need to know and
//! `yaml_rust2::Yaml` forgets. Built from yaml-rust2's event parser; performs no I/O.

use yaml_rust2::Yaml;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    /// Anchor id (`&name`), 0 when the node has none.
    pub anchor: usize,
    /// 1-based line where the node starts (for a block mapping: its first key; for a block
    /// sequence: its first `-`).
    pub line: usize,
    /// 0-based column, in characters.
    pub col: usize,
    /// Written as `{…}` / `[…]` rather than in block style (the start event of a flow collection
    /// points at its bracket; a block one's never does).
    pub flow: bool,
    /// Carries an explicit tag (`!override`, `!!str`, …).
    pub tagged: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
    /// The scalar's text and whether it was written plain (unquoted).
    Scalar(String, bool),
    Alias,
}

impl Node {
    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// The value under a scalar key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.scalar() == Some(key))
            .map(|(_, v)| v)
    }

    /// True when this node or anything below it is an anchor, an alias or a merge key (`<<`).
    pub fn has_anchor_alias_or_merge(&self) -> bool {
        if self.anchor != 0 {
            return true;
        }
        match &self.kind {
            Kind::Alias => true,
            Kind::Scalar(..) => false,
            Kind::Seq(items) => items.iter().any(Node::has_anchor_alias_or_merge),
            Kind::Map(entries) => entries.iter().any(|(k, v)| {
                matches!(&k.kind, Kind::Scalar(s, true) if s == "<<")
                    || k.has_anchor_alias_or_merge()
                    || v.has_anchor_alias_or_merge()
            }),
        }
    }
}

/// Parses every document in `text`, refusing what yaml-rust2's loader refuses: the event
/// parser rejects syntax and unknown aliases, and the builder rejects a key repeated in a
/// mapping (compared as the loader compares keys). A tagged, alias or collection key falls back
/// to the loader itself, which is a second full parse.
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, ScanError> {
    let mut builder = Builder {
        text,
        line_starts: std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
        stack: Vec::new(),
        docs: Vec::new(),
        duplicate: None,
        complex_key: false,
    };
    Parser::new_from_str(text).load(&mut builder, true)?;
    if let Some(err) = builder.duplicate {
        return Err(err);
    }
    if builder.complex_key {
        yaml_rust2::YamlLoader::load_from_str(text)?;
    }
    Ok(builder.docs)
}

/// A collection being built: its node, its children so far (a mapping's alternate key,
/// value), and a mapping's keys as the loader compares them.
struct Open {
    node: Node,
    children: Vec<Node>,
    keys: Vec<Yaml>,
}

struct Builder<'t> {
    text: &'t str,
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    stack: Vec<Open>,
    docs: Vec<Node>,
    /// The first key repeated in a mapping, as the loader reports it.
    duplicate: Option<ScanError>,
    /// A key this builder cannot compare as the loader does (tagged, alias or collection).
    complex_key: bool,
}

impl Builder<'_> {
    fn node(&self, kind: Kind, anchor: usize, mark: Marker, tagged: bool) -> Node {
        let line = mark.line();
        let col = mark.col();
        let first = self
            .line_starts
            .get(line.wrapping_sub(1))
            .and_then(|&start| self.text[start..].chars().nth(col));
        let flow = matches!(kind, Kind::Map(_) | Kind::Seq(_)) && matches!(first, Some('{' | '['));
        Node {
            kind,
            anchor,
            line,
            col,
            flow,
            tagged,
        }
    }

    fn push_done(&mut self, node: Node, mark: Marker) {
        let Some(open) = self.stack.last_mut() else {
            self.docs.push(node);
            return;
        };
        if matches!(open.node.kind, Kind::Map(_)) {
            if open.children.len() % 2 == 0 {
                match (&node.kind, node.tagged) {
                    (Kind::Scalar(text, true), false) => open.keys.push(Yaml::from_str(text)),
                    (Kind::Scalar(text, false), false) => {
                        open.keys.push(Yaml::String(text.clone()));
                    }
                    _ => self.complex_key = true,
                }
            } else if let Some((key, earlier)) = open.keys.split_last()
                && earlier.contains(key)
                && self.duplicate.is_none()
                && open.keys.len() * 2 == open.children.len() + 1
            {
                // The loader's words and position: the key, when its value is complete.
                self.duplicate = Some(ScanError::new_string(
                    mark,
                    format!("{key:?}: duplicated key in mapping"),
                ));
            }
        }
        open.children.push(node);
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let plain = style == TScalarStyle::Plain;
                let node = self.node(Kind::Scalar(value, plain), anchor, mark, tag.is_some());
                self.push_done(node, mark);
            }
            Event::Alias(_) => {
                let node = self.node(Kind::Alias, 0, mark, false);
                self.push_done(node, mark);
            }
            Event::SequenceStart(anchor, tag) => {
                let node = self.node(Kind::Seq(Vec::new()), anchor, mark, tag.is_some());
                self.stack.push(Open {
                    node,
                    children: Vec::new(),
                    keys: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                let node = self.node(Kind::Map(Vec::new()), anchor, mark, tag.is_some());
                self.stack.push(Open {
                    node,
                    children: Vec::new(),
                    keys: Vec::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(Open {
                    mut node, children, ..
                }) = self.stack.pop()
                {
                    node.kind = match node.kind {
                        Kind::Map(_) => {
                            let mut it = children.into_iter();
                            let mut entries = Vec::new();
                            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                                entries.push((k, v));
                            }
                            // A block mapping's start event points past its first key; the
                            // key's own position is where the mapping starts in the text.
                            if let Some((k, _)) = entries.first().filter(|_| !node.flow) {
                                (node.line, node.col) = (k.line, k.col);
                            }
                            Kind::Map(entries)
                        }
                        _ => Kind::Seq(children),
                    };
                    self.push_done(node, mark);
                }
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse` refuses exactly what yaml-rust2's loader refuses, with the loader's message.
    #[test]
    fn repeated_keys_are_refused_as_the_loader_refuses_them() {
        let cases = [
            ("services:\n  a: 1\n  b: 2\n", false),
            ("a: 1\na: 2\n", true),
            ("x:\n  '1': a\n  1: b\n", false),
            ("x:\n  1: a\n  01: b\n", true),
            ("x:\n  \"a\": 1\n  a: 2\n", true),
            ("x:\n  true: 1\n  True: 2\n", true),
            ("x:\n  1.0: 1\n  1.00: 2\n", false),
            ("x:\n  ~: 1\n  null: 2\n", true),
            ("x: {a: 1, b: {c: 1, c: 2}}\n", true),
            ("x:\n  a:\n    - 1\n  a: [2]\n", true),
            ("x:\n  !!str 1: a\n  1: b\n", false),
            ("x:\n  !!int 1: a\n  1: b\n", true),
            ("x:\n  ? [a]\n  : 1\n  ? [a]\n  : 2\n", true),
            ("k: &k a\nx:\n  *k : 1\n  a: 2\n", true),
            ("a: 1\n---\na: 2\n", false),
            ("a: *missing\n", true),
        ];
        for (text, refused) in cases {
            let ours = parse(text).err().map(|e| e.to_string());
            let loader = yaml_rust2::YamlLoader::load_from_str(text)
                .err()
                .map(|e| e.to_string());
            assert_eq!(ours, loader, "{text:?}");
            assert_eq!(ours.is_some(), refused, "{text:?}: {ours:?}");
        }
    }
}
