//! A YAML document as a tree that remembers where each node starts, whether it is written in
//! flow style, and its anchor: what the text-level merge and the linter need to know and
//! `yaml_rust2::Yaml` forgets. Built from yaml-rust2's event parser; performs no I/O.

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

/// Parses every document in `text`. The loader runs first because only it rejects what the
/// event stream lets through (duplicate keys, unknown aliases).
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, ScanError> {
    yaml_rust2::YamlLoader::load_from_str(text)?;
    let lines: Vec<Vec<char>> = text.split('\n').map(|l| l.chars().collect()).collect();
    let mut builder = Builder {
        lines,
        stack: Vec::new(),
        docs: Vec::new(),
    };
    Parser::new_from_str(text).load(&mut builder, true)?;
    Ok(builder.docs)
}

struct Builder {
    lines: Vec<Vec<char>>,
    /// Open collections; a mapping's children alternate key, value.
    stack: Vec<(Node, Vec<Node>)>,
    docs: Vec<Node>,
}

impl Builder {
    fn node(&self, kind: Kind, anchor: usize, mark: Marker, tagged: bool) -> Node {
        let line = mark.line();
        let col = mark.col();
        let first = self
            .lines
            .get(line.wrapping_sub(1))
            .and_then(|l| l.get(col));
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

    fn push_done(&mut self, node: Node) {
        match self.stack.last_mut() {
            Some((_, children)) => children.push(node),
            None => self.docs.push(node),
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let plain = style == TScalarStyle::Plain;
                let node = self.node(Kind::Scalar(value, plain), anchor, mark, tag.is_some());
                self.push_done(node);
            }
            Event::Alias(_) => {
                let node = self.node(Kind::Alias, 0, mark, false);
                self.push_done(node);
            }
            Event::SequenceStart(anchor, tag) => {
                let node = self.node(Kind::Seq(Vec::new()), anchor, mark, tag.is_some());
                self.stack.push((node, Vec::new()));
            }
            Event::MappingStart(anchor, tag) => {
                let node = self.node(Kind::Map(Vec::new()), anchor, mark, tag.is_some());
                self.stack.push((node, Vec::new()));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((mut node, children)) = self.stack.pop() {
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
                    self.push_done(node);
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
