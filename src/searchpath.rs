//! Lakekeeper's own schema in a shared database, carried by the PostgreSQL URL: the startup
//! parameter `options=-c search_path=<schema>,public`, percent-encoded in the query
//! (`options=-c%20search_path%3Dlakekeeper%2Cpublic`).
//!
//! The pinned image (v0.13.3) has no `LAKEKEEPER__PG_SCHEMA` (main has it since #1926); the URL
//! option works for both, so the tool writes only that. Writing, reading back and judging the
//! option live here so `derive`, `resolve`, `check` and `verify` agree. Pure.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The wizard's and `apply`'s default schema for Lakekeeper in a shared database.
pub const DEFAULT_SCHEMA: &str = "lakekeeper";

/// The answer meaning "no schema of its own" (Lakekeeper creates into the role's default).
pub const OFF: &str = "none";

/// The query component `options=…` for `schema`, with `public` second (the extensions usually
/// live there; without it the migration fails with `function uuid_generate_v1mc() does not
/// exist`).
pub fn url_option(schema: &str) -> String {
    const SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');
    let value = format!("-c search_path={schema},public");
    format!("options={}", utf8_percent_encode(&value, SET))
}

/// The `search_path` a libpq `options` value sets (`-c search_path=a,b`, `-csearch_path=a`,
/// `--search_path=a`), as its list of schema names (quotes removed, `$user` kept).
pub fn from_options(options: &str) -> Option<Vec<String>> {
    let mut words = options.split_ascii_whitespace();
    let mut found = None;
    while let Some(w) = words.next() {
        let setting = if w == "-c" {
            words.next()
        } else if let Some(rest) = w.strip_prefix("-c") {
            Some(rest)
        } else {
            w.strip_prefix("--")
        };
        if let Some((name, value)) = setting.and_then(|s| s.split_once('='))
            && name.trim().eq_ignore_ascii_case("search_path")
        {
            found = Some(parse_list(value));
        }
    }
    found
}

/// A `search_path` setting (`"$user", public` or `lakekeeper,public`) as names.
pub fn parse_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The search path a PostgreSQL URL sets through `options`, if any.
pub fn from_url(url: &str) -> Option<Vec<String>> {
    let url = url::Url::parse(url).ok()?;
    let options = url
        .query_pairs()
        .find(|(k, _)| k == "options")
        .map(|(_, v)| v.into_owned())?;
    from_options(&options)
}

/// The schema Lakekeeper creates into under that search path (the first named one, `$user`
/// resolved to `user`).
pub fn target(path: &[String], user: &str) -> Option<String> {
    path.first().map(|s| {
        if s == "$user" {
            user.to_owned()
        } else {
            s.clone()
        }
    })
}

/// Problems with a search path for Lakekeeper, in words (offline: the extensions are assumed
/// to live in `public`, as they do on Azure unless moved).
pub fn problems(path: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    match path.iter().position(|s| s == "public") {
        Some(0) if path.len() > 1 => out.push(format!(
            "the search path `{}` puts public first: Lakekeeper's tables and types would still be created in public, beside the backend's",
            path.join(",")
        )),
        Some(0) => out.push(
            "the search path is only `public`: Lakekeeper's tables would be created beside the backend's (that is the default without the option)"
                .to_owned(),
        ),
        None => out.push(format!(
            "the search path `{}` leaves public out: the extensions Lakekeeper uses (uuid-ossp, pgcrypto, …) usually live there, and the migration then fails with `function uuid_generate_v1mc() does not exist`",
            path.join(",")
        )),
        Some(_) => {}
    }
    out
}

/// Validates a schema answer: a plain lower-case PostgreSQL identifier (what an unquoted name
/// becomes), or `none`. `public` means none too.
pub fn validate(raw: &str) -> Result<String, String> {
    let v = raw.trim();
    let lower = v.to_ascii_lowercase();
    if matches!(lower.as_str(), "none" | "off" | "no" | "false" | "public") {
        return Ok(OFF.to_owned());
    }
    if lower.starts_with("pg_") {
        return Err(format!(
            "`{v}`: names starting with pg_ are reserved for PostgreSQL's own schemas"
        ));
    }
    let ok_start = lower
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let ok_rest = lower
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok_start || !ok_rest || lower.len() > 63 {
        return Err(format!(
            "`{v}` is not a plain schema name: use letters, digits and _ (starting with a letter), at most 63 characters, e.g. {DEFAULT_SCHEMA}; or `none` to keep Lakekeeper in the role's default schema"
        ));
    }
    Ok(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_is_the_one_tried_on_a_real_server() {
        assert_eq!(
            url_option("lakekeeper"),
            "options=-c%20search_path%3Dlakekeeper%2Cpublic"
        );
    }

    #[test]
    fn reads_back_what_it_writes_and_the_usual_spellings() {
        let url = format!(
            "postgresql://u:p@h:5432/d?sslmode=require&{}",
            url_option("lk_1")
        );
        assert_eq!(
            from_url(&url),
            Some(vec!["lk_1".to_owned(), "public".to_owned()])
        );
        for (opts, want) in [
            ("-c search_path=a,public", vec!["a", "public"]),
            ("-csearch_path=a", vec!["a"]),
            ("--search_path=\"$user\", public", vec!["$user"]),
            (
                "-c statement_timeout=5 -c search_path=x,public",
                vec!["x", "public"],
            ),
        ] {
            assert_eq!(
                from_options(opts),
                Some(want.iter().map(|s| (*s).to_owned()).collect()),
                "{opts}"
            );
        }
        assert_eq!(from_options("-c statement_timeout=5"), None);
        assert_eq!(from_url("postgresql://u:p@h/d?sslmode=require"), None);
    }

    #[test]
    fn judges_public_first_and_public_left_out() {
        let p = |s: &str| parse_list(s);
        assert!(problems(&p("lakekeeper,public")).is_empty());
        assert!(problems(&p("public,lakekeeper"))[0].contains("puts public first"));
        assert!(problems(&p("lakekeeper"))[0].contains("leaves public out"));
        assert_eq!(target(&p("$user,public"), "app").as_deref(), Some("app"));
    }

    #[test]
    fn schema_answers() {
        assert_eq!(validate(" Lakekeeper ").as_deref(), Ok("lakekeeper"));
        assert_eq!(validate("public").as_deref(), Ok(OFF));
        assert_eq!(validate("none").as_deref(), Ok(OFF));
        assert!(validate("pg_lake").is_err());
        assert!(
            validate("lake-keeper")
                .expect_err("dash")
                .contains("plain schema name")
        );
        assert!(validate("1lake").is_err());
    }
}
