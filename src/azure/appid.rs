//! Whether the App ID URI held for the Lakekeeper API app is one Entra ID registers for it
//! (its `identifierUris`). A stale one (an old `.env`'s `api://lakekeeper`) makes the audience
//! and the scope wrong, so `apply` warns naming the right one and the wizard pre-fills it with
//! a note. Pure: the app's URIs come from Graph through the caller.

/// Whether `held` is among `registered` (case and a trailing `/` aside, as Entra matches them).
pub fn is_registered(held: &str, registered: &[String]) -> bool {
    let norm = |u: &str| u.trim().trim_end_matches('/').to_ascii_lowercase();
    registered.iter().any(|r| norm(r) == norm(held))
}

/// The URI to offer instead of `held`: `right`, when `held` is set and not registered.
pub fn stale<'a>(held: &str, registered: &'a [String], right: Option<&'a str>) -> Option<&'a str> {
    if held.trim().is_empty() || is_registered(held, registered) {
        return None;
    }
    right
}

/// The line that names both: for `apply`'s warning and the wizard's note.
pub fn line(held: &str, origin: &str, app: &str, registered: &[String], right: &str) -> String {
    format!(
        "the App ID URI {held} ({origin}) is not one Entra ID registers for the API app {app} ({}): the audience and scope would be wrong; the right one is {right}",
        registered.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uri_the_app_does_not_register_is_stale_and_the_right_one_is_offered() {
        let registered = vec![
            "api://aaaaaaaa-0000-4000-8000-000000000001".to_owned(),
            "https://contoso.com/lakekeeper".to_owned(),
        ];
        let right = Some(registered[0].as_str());
        for (held, want) in [
            ("api://lakekeeper", right),
            ("api://AAAAAAAA-0000-4000-8000-000000000001/", None),
            ("https://contoso.com/lakekeeper", None),
            ("", None),
        ] {
            assert_eq!(stale(held, &registered, right), want, "{held}");
        }
        assert_eq!(
            line(
                "api://lakekeeper",
                "from .env",
                "lakekeeper-api",
                &registered[..1],
                &registered[0]
            ),
            "the App ID URI api://lakekeeper (from .env) is not one Entra ID registers for the API app lakekeeper-api (api://aaaaaaaa-0000-4000-8000-000000000001): the audience and scope would be wrong; the right one is api://aaaaaaaa-0000-4000-8000-000000000001"
        );
    }
}
