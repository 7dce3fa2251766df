//! Text-level merge: swaps the managed services' lines in an existing override for freshly
//! rendered ones and leaves every other byte alone. It only decides *where* lines go, from
//! the positions the YAML parser reports; it refuses any layout where splicing lines could
//! change the meaning of the rest of the file. `render_override` re-reads the result to prove it.

use super::tree::{self, Kind, Node};
use super::{ComposeError, MANAGED_SERVICES, OverrideSpec, render};

pub(crate) struct Merged {
    /// The file body (without this tool's header).
    pub text: String,
    /// The lines this merge generated, for the `$` check.
    pub inserted: Vec<String>,
}

/// One entry of `services:`, as 0-based line indexes.
struct Entry {
    name: Option<String>,
    key_line: usize,
    /// Last line that belongs to the entry (trailing blank lines and shallow comments do not).
    own_end: usize,
    /// First line of the next entry, or where the `services` mapping ends.
    limit: usize,
}

fn refuse(line: Option<usize>, reason: impl Into<String>, fix: &str) -> ComposeError {
    ComposeError::Refused {
        line,
        reason: reason.into(),
        fix: fix.to_owned(),
    }
}

const FIX_BLOCK: &str = "Rewrite that part in plain block style (one key per line, indented with spaces), \
                         or move the file aside and let lakekeeper-setup write a fresh one";

pub(crate) fn merge(body: &str, spec: &OverrideSpec, nl: &str) -> Result<Merged, ComposeError> {
    let mut lines: Vec<String> = body.split_inclusive('\n').map(str::to_owned).collect();
    for (i, line) in lines.iter().enumerate() {
        let indent: String = line
            .chars()
            .take_while(|c| c.is_whitespace() && *c != '\n')
            .collect();
        if indent.contains('\t') {
            return Err(refuse(
                Some(i + 1),
                "a tab in the indentation",
                "Indent with spaces only",
            ));
        }
    }
    if let Some(i) = lines.iter().position(|l| l.trim_end() == "...") {
        return Err(refuse(
            Some(i + 1),
            "a document end marker (`...`)",
            "Delete that line (Compose does not need it)",
        ));
    }
    let docs = tree::parse(body).map_err(|e| ComposeError::Unparseable {
        detail: e.to_string(),
    })?;
    if docs.len() > 1 {
        return Err(refuse(
            None,
            "it holds more than one YAML document (`---`)",
            FIX_BLOCK,
        ));
    }
    let root = docs
        .into_iter()
        .next()
        .filter(|r| !matches!(&r.kind, Kind::Scalar(s, true) if s.is_empty()));
    let Some(root) = root else {
        // Empty or only comments: keep them, then add the services.
        return append_services(lines, spec, nl);
    };
    let Some(entries) = root.entries() else {
        return Err(refuse(
            Some(root.line),
            "the top level is not a mapping of keys",
            FIX_BLOCK,
        ));
    };
    if root.flow || root.col != 0 || root.anchor != 0 || root.tagged {
        return Err(refuse(
            Some(root.line),
            "the top level is not a plain block mapping at column 1",
            FIX_BLOCK,
        ));
    }
    let Some(pos) = entries
        .iter()
        .position(|(k, _)| k.scalar() == Some("services"))
    else {
        return append_services(lines, spec, nl);
    };
    let (key, services) = &entries[pos];
    check_services_node(key, services, &lines)?;
    let region_end = entries
        .get(pos + 1)
        .map_or(lines.len(), |(k, _)| k.line - 1);
    let parsed = services_entries(services, region_end, &lines)?;
    let unit = services.col;
    let managed: Vec<&Entry> = parsed
        .iter()
        .filter(|e| {
            e.name
                .as_deref()
                .is_some_and(|n| MANAGED_SERVICES.contains(&n))
        })
        .collect();
    let block = render::service_lines(spec, unit)?;
    let block_text: Vec<String> = block.iter().map(|l| format!("{l}{nl}")).collect();

    let Some(first) = managed.first() else {
        // Neither service yet: add them after the last service, a blank line apart, and after
        // any comment indented under `services:` (one at column 1 introduces the next key).
        let first_key = parsed.first().map_or(0, |e| e.key_line);
        let last = (first_key..region_end)
            .rev()
            .find(|&j| !(lines[j].trim().is_empty() || lines[j].starts_with('#')))
            .unwrap_or(first_key);
        ensure_line_end(&mut lines, last, nl);
        let mut insert = vec![nl.to_owned()];
        insert.extend(block_text);
        lines.splice((last + 1)..=last, insert);
        return Ok(Merged {
            text: lines.concat(),
            inserted: block,
        });
    };
    // Both where the first one stands; when they were apart, the second one's lines go (with
    // the blank lines after it) and what stood between them stays. The second one comes later
    // in the file, so removing it first leaves the first one's line numbers valid.
    let adjacent = managed.len() == 2 && managed[1].key_line == first.limit;
    let end = if adjacent {
        managed[1].own_end
    } else {
        first.own_end
    };
    if let (Some(second), false) = (managed.get(1), adjacent) {
        let gap_blank = lines[second.own_end + 1..second.limit]
            .iter()
            .all(|l| l.trim().is_empty());
        let stop = if gap_blank {
            second.limit
        } else {
            second.own_end + 1
        };
        lines.drain(second.key_line..stop);
    }
    ensure_line_end(&mut lines, end, nl);
    lines.splice(first.key_line..=end, block_text);
    Ok(Merged {
        text: lines.concat(),
        inserted: block,
    })
}

/// `services:` must be a plain top-level key alone on its line, holding a block mapping.
fn check_services_node(key: &Node, services: &Node, lines: &[String]) -> Result<(), ComposeError> {
    let key_text = lines.get(key.line - 1).map_or("", |l| l.trim_end());
    let rest = key_text.strip_prefix("services:").map(str::trim);
    if key.col != 0 || !rest.is_some_and(|r| r.is_empty() || r.starts_with('#')) {
        return Err(refuse(
            Some(key.line),
            "`services:` is not alone on its line (flow style, an anchor or a tag follows it)",
            FIX_BLOCK,
        ));
    }
    match &services.kind {
        Kind::Map(entries) if !entries.is_empty() => {}
        _ => {
            return Err(refuse(
                Some(key.line),
                "`services` is not a mapping of services",
                "Put at least one service under `services:` (or delete the empty key)",
            ));
        }
    }
    if services.flow || services.anchor != 0 || services.tagged {
        return Err(refuse(
            Some(services.line),
            "`services` is in flow style or has an anchor or tag",
            FIX_BLOCK,
        ));
    }
    Ok(())
}

fn services_entries(
    services: &Node,
    region_end: usize,
    lines: &[String],
) -> Result<Vec<Entry>, ComposeError> {
    let entries = services.entries().unwrap_or_default();
    let mut out = Vec::new();
    for (i, (k, v)) in entries.iter().enumerate() {
        let key_line = k.line - 1;
        let line = lines.get(key_line).map_or("", String::as_str);
        let starts_line = line.chars().take_while(|c| *c == ' ').count() == k.col;
        if !starts_line || k.col != services.col {
            return Err(refuse(
                Some(k.line),
                "a service key does not start its own line",
                FIX_BLOCK,
            ));
        }
        let name = k.scalar().map(str::to_owned);
        let is_managed = name
            .as_deref()
            .is_some_and(|n| MANAGED_SERVICES.contains(&n));
        if is_managed && (k.has_anchor_alias_or_merge() || v.has_anchor_alias_or_merge()) {
            return Err(refuse(
                Some(k.line),
                format!(
                    "service `{}` uses YAML anchors, aliases or merge keys (`&`, `*`, `<<`)",
                    name.as_deref().unwrap_or_default()
                ),
                "Write that service out in full (or delete it: lakekeeper-setup writes it anyway)",
            ));
        }
        let limit = entries
            .get(i + 1)
            .map_or(region_end, |(next, _)| next.line - 1);
        let own_end = (key_line..limit)
            .rev()
            .find(|&j| {
                let l = &lines[j];
                let t = l.trim();
                let depth = l.len() - l.trim_start().len();
                !(t.is_empty() || (t.starts_with('#') && depth <= k.col))
            })
            .unwrap_or(key_line);
        out.push(Entry {
            name,
            key_line,
            own_end,
            limit,
        });
    }
    Ok(out)
}

/// No `services:` yet: append it (two-space indentation) after what is there.
fn append_services(
    mut lines: Vec<String>,
    spec: &OverrideSpec,
    nl: &str,
) -> Result<Merged, ComposeError> {
    let block = render::service_lines(spec, 2)?;
    if let Some(last) = lines.len().checked_sub(1) {
        ensure_line_end(&mut lines, last, nl);
    }
    let has_content = lines.iter().any(|l| !l.trim().is_empty());
    let ends_blank = lines.last().is_some_and(|l| l.trim().is_empty());
    if has_content && !ends_blank {
        lines.push(nl.to_owned());
    }
    lines.push(format!("services:{nl}"));
    lines.extend(block.iter().map(|l| format!("{l}{nl}")));
    Ok(Merged {
        text: lines.concat(),
        inserted: block,
    })
}

fn ensure_line_end(lines: &mut [String], i: usize, nl: &str) {
    if let Some(l) = lines.get_mut(i).filter(|l| !l.ends_with('\n')) {
        l.push_str(nl);
    }
}
