//! The profile's `[production]` table, linted with the validator `export helm` uses: unknown
//! keys, values of the wrong type, and every value the export would refuse (one error each).

use super::{Finding, Severity};

/// The findings for the profile at `label` (none without a profile or a `[production]` table).
pub fn production(label: &str, profile_text: Option<&str>) -> Vec<Finding> {
    let Some(text) = profile_text else {
        return Vec::new();
    };
    crate::production::lint(text)
        .into_iter()
        .map(|e| Finding {
            severity: Severity::Error,
            file: label.to_owned(),
            key: Some(format!("{}.{}", e.table, e.key)),
            line: None,
            message: match &e.value {
                Some(v) => format!("`{v}` {}", e.message),
                None => e.message,
            },
            fix: e.fix,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_laptops_api_copied_into_production_is_an_error() {
        let laptop = "aaaaaaaa-0000-4000-8000-000000000001";
        let profile = |api: &str, uri: &str| {
            format!(
                "[lakekeeper_api]\nclient_id = \"{laptop}\"\n\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\napi_client_id = \"{api}\"\napi_app_id_uri = \"{uri}\"\nlakekeeper_identity_client_id = \"cccccccc-0000-4000-8000-000000000003\"\n"
            )
        };
        let keys = |text: &str| -> Vec<String> {
            production("p.toml", Some(text))
                .into_iter()
                .filter(|f| f.message.contains("the laptop's API app"))
                .filter_map(|f| f.key)
                .collect()
        };
        assert_eq!(
            keys(&profile(laptop, &format!("api://{laptop}"))),
            ["production.api_client_id", "production.api_app_id_uri"]
        );
        let own = "bbbbbbbb-0000-4000-8000-000000000002";
        assert_eq!(
            keys(&profile(own, &format!("api://{own}"))),
            Vec::<String>::new()
        );
    }

    #[test]
    fn no_table_no_finding_and_each_problem_of_a_table_is_one_error() {
        assert_eq!(production("p.toml", None), Vec::new());
        assert_eq!(
            production("p.toml", Some("[entra]\ntenant = \"x\"\n")),
            Vec::new()
        );
        let found = production(
            "p.toml",
            Some(
                "[production]\nbase_uri = \"http://localhost:8181\"\nreplica = 3\nnamespace = \"Lake_Keeper\"\n",
            ),
        );
        let keys: Vec<&str> = found.iter().filter_map(|f| f.key.as_deref()).collect();
        assert_eq!(
            keys,
            [
                "production.replica",
                "production.base_uri",
                "production.namespace"
            ],
            "{found:#?}"
        );
        assert!(found.iter().all(|f| f.severity == Severity::Error));
        assert_eq!(found[0].message, "is not a [production] key");
        assert!(found[0].fix.contains("replicas"), "{}", found[0].fix);
        assert_eq!(
            found[1].message,
            "`http://localhost:8181` is a loopback address: that is the laptop's base URI, not production's"
        );
        assert_eq!(
            found[1].fix,
            "give the public URL, e.g. https://lakekeeper.example.com"
        );
    }
}
