//! `check`'s rules for Lakekeeper's own schema, carried by the URLs' `options=-c
//! search_path=…`: `public` first (the option then isolates nothing), `public` left out (the
//! extensions usually live there: offline, a warning), read and write URLs that differ, and
//! the option sent to a pooler's port. Pure, like every rule.

use super::{Lint, Severity};
use crate::keys as k;
use crate::searchpath;

pub(super) fn rules(l: &mut Lint<'_>) {
    let read = l.get(k::PG_URL_READ);
    let write = l.get(k::PG_URL_WRITE);
    let paths = [
        (k::PG_URL_READ, read.and_then(searchpath::from_url)),
        (k::PG_URL_WRITE, write.and_then(searchpath::from_url)),
    ];
    for (key, path) in &paths {
        let Some(path) = path else { continue };
        for problem in searchpath::problems(path) {
            let first = path
                .iter()
                .find(|s| *s != "public")
                .map_or(searchpath::DEFAULT_SCHEMA, String::as_str);
            l.push(
                Severity::Warning,
                key,
                problem,
                format!(
                    "put Lakekeeper's schema first and public second: options=-c search_path={first},public (`lakekeeper-setup apply` writes it from `[postgres] schema`)"
                ),
            );
        }
        let port = l
            .get(key)
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.port());
        if port == Some(6432) {
            l.push(
                Severity::Warning,
                key,
                "sends the search-path option to port 6432, where Azure's built-in PgBouncer listens: PgBouncer refuses it (`unsupported startup parameter: options`), or drops it when told to ignore it",
                crate::strings::POOLER_FIX,
            );
        }
    }
    if let ([(_, r), (_, w)], Some(_), Some(_)) = (&paths, read, write)
        && r != w
    {
        let show = |p: &Option<Vec<String>>| {
            p.as_ref()
                .map_or_else(|| "none".to_owned(), |p| p.join(","))
        };
        l.push(
            Severity::Error,
            k::PG_URL_READ,
            format!(
                "sets search_path {} but {} sets {}: Lakekeeper would read from one schema and write to another",
                show(r),
                k::PG_URL_WRITE,
                show(w)
            ),
            "give both URLs the same options (run `lakekeeper-setup apply`)",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{CheckInput, Severity, check};
    use crate::envfile::EnvFile;

    fn run(text: &str) -> Vec<crate::check::Finding> {
        let env = EnvFile::parse(text).expect("parses");
        check(&CheckInput {
            env_label: "backend/.env",
            env: &env,
            base: None,
            override_file: None,
            git_advice: None,
        })
    }

    fn lint(text: &str) -> Vec<(Severity, String, String)> {
        run(text)
            .into_iter()
            .filter(|f| f.message.contains("search"))
            .map(|f| (f.severity, f.key.unwrap_or_default(), f.message))
            .collect()
    }

    const BASE: &str = "postgresql://u:p@db.example.test:5432/d?sslmode=require";

    fn both(read: &str, write: &str) -> String {
        format!(
            "LAKEKEEPER__PG_DATABASE_URL_READ={BASE}{read}\nLAKEKEEPER__PG_DATABASE_URL_WRITE={BASE}{write}\n"
        )
    }

    #[test]
    fn the_written_option_is_clean() {
        let opt = format!("&{}", crate::searchpath::url_option("lakekeeper"));
        assert!(lint(&both(&opt, &opt)).is_empty());
        assert!(lint(&both("", "")).is_empty());
    }

    #[test]
    fn public_first_public_left_out_and_differing_urls_are_flagged() {
        let first = "&options=-c%20search_path%3Dpublic%2Clakekeeper";
        let f = lint(&both(first, first));
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f.iter()
                .all(|(s, _, m)| *s == Severity::Warning && m.contains("puts public first"))
        );

        let out = "&options=-c%20search_path%3Dlakekeeper";
        let f = lint(&both(out, out));
        assert!(f[0].2.contains("leaves public out"), "{f:?}");

        let ok = "&options=-c%20search_path%3Dlakekeeper%2Cpublic";
        let f = lint(&both(ok, ""));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, Severity::Error);
        assert_eq!(f[0].1, "LAKEKEEPER__PG_DATABASE_URL_READ");
        assert!(
            f[0].2.contains(
                "sets search_path lakekeeper,public but LAKEKEEPER__PG_DATABASE_URL_WRITE sets none"
            ),
            "{f:?}"
        );
    }

    #[test]
    fn the_option_on_pgbouncers_port_is_flagged() {
        let text = "LAKEKEEPER__PG_DATABASE_URL_WRITE=postgresql://u:p@db.example.test:6432/d?sslmode=require&options=-c%20search_path%3Dlakekeeper%2Cpublic\n";
        let f = run(text);
        assert!(
            f.iter()
                .any(|f| f.message.contains("port 6432") && f.fix.contains("port 5432")),
            "{f:?}"
        );
    }
}
