//! ADLS Gen2 names and `abfss://` warehouse locations (reference §4).

use super::{Checked, FieldError, FieldResult};
use crate::model::{Cloud, FieldId};
use crate::strings;

/// A parsed `abfss://<filesystem>@<account>.<dfs-host>/<key-prefix>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbfssLocation {
    pub filesystem: String,
    pub account: String,
    pub host: String,
    pub cloud: Cloud,
    pub key_prefix: String,
}

impl AbfssLocation {
    pub fn to_uri(&self) -> String {
        let base = format!("abfss://{}@{}.{}", self.filesystem, self.account, self.host);
        if self.key_prefix.is_empty() {
            base
        } else {
            format!("{base}/{}", self.key_prefix)
        }
    }
}

/// Account name: 3-24 lowercase letters and digits (upper case is lowered with a note: DNS
/// names are case-insensitive, the portal shows lower case).
pub fn storage_account(raw: &str) -> FieldResult<String> {
    let field = FieldId::StorageAccount;
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    let lower = t.to_ascii_lowercase();
    if !(3..=24).contains(&lower.len())
        || !lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(FieldError::new(
            field,
            t,
            "must be 3-24 lowercase letters and digits",
            strings::hint(field),
        ));
    }
    let c = Checked::ok(lower.clone());
    Ok(if lower == t {
        c
    } else {
        c.note(format!("normalised to {lower}"))
    })
}

/// Filesystem (container): 3-63 of `[a-z0-9-]`, starting and ending with a letter or digit, no `--`.
pub fn container(raw: &str) -> FieldResult<String> {
    let field = FieldId::StorageContainer;
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    let b = t.as_bytes();
    let ok = (3..=63).contains(&t.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !t.contains("--");
    if !ok {
        return Err(FieldError::new(
            field,
            t,
            "must be 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
            strings::hint(field),
        ));
    }
    Ok(Checked::ok(t.to_owned()))
}

/// Key prefix: slashes (and whitespace) trimmed at both ends, at most 512 characters.
pub fn key_prefix(raw: &str) -> FieldResult<String> {
    let field = FieldId::StorageKeyPrefix;
    let t = raw.trim();
    // Whitespace too, or `/ x/` would become ` x`, which validates again as `x`.
    let trimmed = t.trim_matches(|c: char| c == '/' || c.is_whitespace());
    if trimmed.chars().count() > 512 {
        return Err(FieldError::new(
            field,
            trimmed,
            "is longer than 512 characters",
            "use a shorter folder path",
        ));
    }
    if trimmed.contains("//") || trimmed.contains('\\') || trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            trimmed,
            "contains `//`, a backslash or a control character",
            "use a plain folder path such as lakekeeper or team/lakekeeper",
        ));
    }
    let c = Checked::ok(trimmed.to_owned());
    Ok(if trimmed == t {
        c
    } else {
        c.note("trimmed slashes at both ends")
    })
}

/// Parses a warehouse location. Lakekeeper accepts only `abfss`; the host must be a known
/// cloud's DFS host (and, if `cloud` is given, that cloud's).
pub fn abfss(raw: &str, cloud: Option<Cloud>) -> Result<Checked<AbfssLocation>, FieldError> {
    let field = FieldId::StorageAccount;
    let t = raw.trim();
    let example = "abfss://<container>@<account>.dfs.core.windows.net/<prefix>";
    let Some(rest) = t.strip_prefix("abfss://") else {
        let scheme = t.split("://").next().unwrap_or("");
        return Err(FieldError::new(
            field,
            t,
            format!(
                "is not an abfss:// location (scheme `{scheme}`); Lakekeeper accepts only abfss for ADLS Gen2"
            ),
            format!("write it as {example}"),
        ));
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let Some((fs, host_full)) = authority.split_once('@') else {
        return Err(FieldError::new(
            field,
            t,
            "has no `<container>@` part",
            format!("write it as {example}"),
        ));
    };
    let Some((account, host)) = host_full.split_once('.') else {
        return Err(FieldError::new(
            field,
            t,
            "has no `<account>.<dfs host>` part",
            format!("write it as {example}"),
        ));
    };
    let Some(loc_cloud) = Cloud::from_dfs_host(host) else {
        return Err(FieldError::new(
            field,
            t,
            format!("has host `{host}`, which is not an ADLS Gen2 DFS endpoint"),
            "use dfs.core.windows.net (public), dfs.core.usgovcloudapi.net or dfs.core.chinacloudapi.cn",
        ));
    };
    if let Some(c) = cloud.filter(|c| *c != loc_cloud) {
        return Err(FieldError::new(
            field,
            t,
            format!(
                "is in the {} cloud but entra.cloud is {}",
                loc_cloud.name(),
                c.name()
            ),
            format!("use {}", c.dfs_host()),
        ));
    }
    let account = storage_account(account)?;
    let fs = container(fs)?;
    let prefix = key_prefix(path)?;
    let mut out = Checked::ok(AbfssLocation {
        filesystem: fs.value,
        account: account.value,
        host: host.to_owned(),
        cloud: loc_cloud,
        key_prefix: prefix.value,
    });
    out.notes.extend(account.notes);
    out.notes.extend(prefix.notes);
    Ok(out)
}
