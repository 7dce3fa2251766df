//! `verify --production`: who can get into production, judged from what Graph and ARM said
//! (gathered by the command; this module performs no I/O). Four results, each naming its fix:
//! `production-api` (its own API app, requiring assignment), `production-callers` (the
//! laptop's backend app cannot get a token for it), `production-storage` (Lakekeeper's
//! identity holds Data Contributor on the warehouse's container and Delegator on the account)
//! and `production-federation` (each identity trusts the cluster's issuer for its service
//! account, and warns of a stale one still trusting another service account).

use super::{CheckResult, Status};
use crate::azure::arm::identity::Federation;
use crate::azure::bootstrap::production::stale;
use crate::azure::roles::Wanted;

const BOOTSTRAP: &str = "lakekeeper-setup azure bootstrap --production";

fn result(name: &str, status: Status, summary: impl Into<String>) -> CheckResult {
    CheckResult {
        name: name.into(),
        status,
        summary: summary.into(),
        details: Vec::new(),
        fix: None,
        duration_ms: 0,
        trace: Vec::new(),
    }
}

/// What Graph said about the production API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFacts {
    /// `[production] api_client_id` and `api_app_id_uri`.
    pub client_id: Option<String>,
    pub app_id_uri: Option<String>,
    /// The laptop's API app (client ID, App ID URI).
    pub laptop_client_id: Option<String>,
    pub laptop_app_id_uri: Option<String>,
    /// The production API app's name, when found.
    pub name: Option<String>,
    /// `appRoleAssignmentRequired` of its service principal (`None`: no service principal).
    pub assignment_required: Option<bool>,
    pub app_role: String,
    /// How many principals hold the role.
    pub holders: usize,
}

pub fn api(f: &ApiFacts) -> CheckResult {
    const NAME: &str = "production-api";
    let Some(id) = &f.client_id else {
        return result(NAME, Status::Failed, "production has no API app of its own ([production] api_client_id): it accepts the laptop's tokens")
            .with_fix(BOOTSTRAP);
    };
    let same_id = f
        .laptop_client_id
        .as_deref()
        .is_some_and(|l| l.eq_ignore_ascii_case(id));
    let same_uri = match (&f.app_id_uri, &f.laptop_app_id_uri) {
        (Some(p), Some(l)) => p.eq_ignore_ascii_case(l),
        _ => false,
    };
    if same_id || same_uri {
        return result(
            NAME,
            Status::Failed,
            "the production values still use the laptop's API app: every laptop's token is accepted in production",
        )
        .with_detail(format!("[production] api_client_id = {id}, the laptop's API app is {}", f.laptop_client_id.as_deref().unwrap_or("?")))
        .with_fix(format!("remove api_client_id and api_app_id_uri from [production], run `{BOOTSTRAP}`, then `lakekeeper-setup export helm`"));
    }
    let name = f.name.clone().unwrap_or_else(|| id.clone());
    match f.assignment_required {
        None => result(NAME, Status::Failed, format!("the production API app {name} has no service principal in this tenant"))
            .with_fix(BOOTSTRAP),
        Some(false) => result(
            NAME,
            Status::Failed,
            format!("{name} does not require assignment: any user or app in the tenant gets a token for production"),
        )
        .with_fix(format!("run `{BOOTSTRAP}` (it sets appRoleAssignmentRequired), or Entra admin center › Enterprise applications › {name} › Properties › Assignment required = Yes")),
        Some(true) => result(
            NAME,
            Status::Ok,
            format!("{name} requires assignment; {} principal(s) hold {}", f.holders, f.app_role),
        ),
    }
}

/// The laptop's backend app and the production API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerFacts {
    /// The laptop's backend client ID (none: nothing to check).
    pub laptop_backend: Option<String>,
    /// It holds an app role on the production API.
    pub holds_role: bool,
    /// The production API requires assignment.
    pub assignment_required: bool,
}

pub fn callers(f: &CallerFacts) -> CheckResult {
    const NAME: &str = "production-callers";
    let Some(backend) = &f.laptop_backend else {
        return result(NAME, Status::Skipped, "no laptop backend app in the setup");
    };
    if f.holds_role {
        return result(
            NAME,
            Status::Failed,
            format!("the laptop's backend app {backend} holds a role on the production API: its client secret, in every teammate's backend/.env, gets a production token"),
        )
        .with_fix(format!("lakekeeper-setup azure revoke {backend}"));
    }
    if !f.assignment_required {
        return result(
            NAME,
            Status::Failed,
            format!("the laptop's backend app {backend} can get a token for the production API: it does not require assignment"),
        )
        .with_fix(BOOTSTRAP);
    }
    result(
        NAME,
        Status::Ok,
        format!("the laptop's backend app {backend} cannot get a token for production"),
    )
}

/// Lakekeeper's identity and its storage roles.
pub fn storage(
    identity: Option<&str>,
    account: &str,
    wanted: &[Wanted],
    too_wide: Option<&str>,
) -> CheckResult {
    const NAME: &str = "production-storage";
    let Some(identity) = identity else {
        return result(NAME, Status::Failed, "production has no identity for Lakekeeper ([production] lakekeeper_identity_client_id)")
            .with_fix(BOOTSTRAP);
    };
    let missing: Vec<&Wanted> = wanted.iter().filter(|w| w.held_at.is_none()).collect();
    let mut r = if missing.is_empty() {
        result(
            NAME,
            Status::Ok,
            format!(
                "Lakekeeper's identity {identity} holds its roles on storage account {account}"
            ),
        )
    } else {
        result(
            NAME,
            Status::Failed,
            format!(
                "Lakekeeper's identity {identity} lacks {} at the right scope",
                missing
                    .iter()
                    .map(|w| w.role.name)
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        )
        .with_fix(format!("run `{}`", crate::azure::roles::PRODUCTION_COMMAND))
    };
    for w in wanted {
        r.details.push(match &w.held_at {
            Some(at) => format!("{} at {at}", w.role.name),
            None => format!("{} missing at {}", w.role.name, w.scope),
        });
    }
    if let Some(wide) = too_wide {
        r.details.push(format!(
            "Storage Blob Data Contributor also at {wide}: it reaches every container there"
        ));
        if r.status == Status::Ok {
            r.status = Status::Warning;
            r.summary = format!(
                "Lakekeeper's identity {identity} reaches more than the warehouse's container"
            );
            r.fix = Some(format!(
                "az role assignment delete --assignee {identity} --role \"Storage Blob Data Contributor\" --scope {wide}"
            ));
        }
    }
    r
}

/// One identity's federated credentials against what the cluster and its service account need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationFacts {
    /// "Lakekeeper's identity", "the production backend's identity".
    pub who: String,
    /// Its client ID (`None`: not in `[production]`); its name when found.
    pub client_id: Option<String>,
    pub name: Option<String>,
    pub want: Federation,
    pub found: Vec<Federation>,
}

/// `issuer`: the cluster's OIDC issuer (`Err`: why there is none, and the fix).
pub fn federation(
    cluster: &str,
    issuer: Result<&str, (&str, &str)>,
    identities: &[FederationFacts],
) -> CheckResult {
    const NAME: &str = "production-federation";
    if let Err((why, fix)) = issuer {
        return result(
            NAME,
            Status::Failed,
            format!("AKS cluster {cluster}: {why}"),
        )
        .with_fix(fix);
    }
    let mut bad = Vec::new();
    let mut extra = Vec::new();
    let mut details = Vec::new();
    for f in identities {
        let label = f
            .name
            .clone()
            .or_else(|| f.client_id.clone())
            .unwrap_or_else(|| f.who.clone());
        if f.client_id.is_none() || f.name.is_none() {
            bad.push(format!("{} has no managed identity", f.who));
            continue;
        }
        if f.found.iter().any(|x| x.matches(&f.want)) {
            details.push(format!("{label} trusts {} from {cluster}", f.want.subject));
            for x in stale(&f.found, &f.want) {
                extra.push(format!(
                    "{label} also trusts {} ({}, issuer {}): {}",
                    x.federation.subject,
                    x.federation.name,
                    x.federation.issuer,
                    x.why.describe()
                ));
            }
        } else {
            bad.push(format!(
                "{} ({label}) trusts no token for {} from {cluster}",
                f.who, f.want.subject
            ));
            for x in &f.found {
                details.push(format!(
                    "{label} has {}: issuer {}, subject {}",
                    x.name, x.issuer, x.subject
                ));
            }
        }
    }
    let mut r = if !bad.is_empty() {
        result(NAME, Status::Failed, bad.join("; ")).with_fix(BOOTSTRAP)
    } else if !extra.is_empty() {
        // Removed by the bootstrap (see `production::stale` for which ones it touches).
        result(NAME, Status::Warning, extra.join("; ")).with_fix(BOOTSTRAP)
    } else {
        result(
            NAME,
            Status::Ok,
            format!("both identities trust their service accounts on {cluster}"),
        )
    };
    r.details = details;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_facts() -> ApiFacts {
        ApiFacts {
            client_id: Some("a0000001-0000-4000-8000-000000000001".into()),
            app_id_uri: Some("api://a0000001-0000-4000-8000-000000000001".into()),
            laptop_client_id: Some("aaaaaaaa-0000-4000-8000-000000000001".into()),
            laptop_app_id_uri: Some("api://aaaaaaaa-0000-4000-8000-000000000001".into()),
            name: Some("lakekeeper-prod-api".into()),
            assignment_required: Some(true),
            app_role: "Lakekeeper.Access".into(),
            holders: 2,
        }
    }

    #[test]
    fn the_production_api_must_be_its_own_and_require_assignment() {
        assert_eq!(api(&api_facts()).status, Status::Ok);
        let mut f = api_facts();
        f.assignment_required = Some(false);
        let r = api(&f);
        assert_eq!(r.status, Status::Failed);
        assert!(
            r.summary.contains("does not require assignment"),
            "{}",
            r.summary
        );
        assert!(r.fix.as_deref().is_some_and(|x| x.contains(BOOTSTRAP)));
        let mut f = api_facts();
        f.app_id_uri = f.laptop_app_id_uri.clone();
        assert!(api(&f).summary.contains("still use the laptop's API app"));
        let mut f = api_facts();
        f.client_id = None;
        assert_eq!(api(&f).fix.as_deref(), Some(BOOTSTRAP));
    }

    #[test]
    fn the_laptops_backend_may_not_reach_production() {
        let f = CallerFacts {
            laptop_backend: Some("bbbbbbbb-0000-4000-8000-000000000002".into()),
            holds_role: true,
            assignment_required: true,
        };
        let r = callers(&f);
        assert_eq!(r.status, Status::Failed);
        assert_eq!(
            r.fix.as_deref(),
            Some("lakekeeper-setup azure revoke bbbbbbbb-0000-4000-8000-000000000002")
        );
        let r = callers(&CallerFacts {
            holds_role: false,
            assignment_required: false,
            ..f.clone()
        });
        assert!(r.summary.contains("can get a token"), "{}", r.summary);
        let r = callers(&CallerFacts {
            holds_role: false,
            ..f
        });
        assert_eq!(r.status, Status::Ok);
    }

    #[test]
    fn a_federation_for_another_service_account_fails_with_what_was_found() {
        let want = Federation::for_service_account(
            "aks-lakekeeper-lakekeeper",
            "https://issuer/",
            "lakekeeper",
            "lakekeeper",
        );
        let mut other = want.clone();
        other.subject = "system:serviceaccount:lakekeeper:default".into();
        let facts = [FederationFacts {
            who: "Lakekeeper's identity".into(),
            client_id: Some("c".into()),
            name: Some("lakekeeper-prod-catalog".into()),
            want: want.clone(),
            found: vec![other],
        }];
        let r = federation("prod-aks", Ok("https://issuer/"), &facts);
        assert_eq!(r.status, Status::Failed);
        assert!(
            r.summary.contains(
                "trusts no token for system:serviceaccount:lakekeeper:lakekeeper from prod-aks"
            ),
            "{}",
            r.summary
        );
        assert!(
            r.details[0].contains("subject system:serviceaccount:lakekeeper:default"),
            "{:?}",
            r.details
        );
        let r = federation(
            "prod-aks",
            Err(("no OIDC issuer", "az aks update …")),
            &facts,
        );
        assert_eq!(r.fix.as_deref(), Some("az aks update …"));
        // The wanted credential is there, the old one too: a warning naming the old subject.
        let mut facts = facts;
        facts[0].found.insert(0, want.clone());
        facts[0].found[1].name = "by-hand".into();
        let r = federation("prod-aks", Ok("https://issuer/"), &facts);
        assert_eq!(r.status, Status::Warning);
        assert!(
            r.summary.starts_with("lakekeeper-prod-catalog also trusts system:serviceaccount:lakekeeper:default (by-hand, issuer https://issuer/)"),
            "{}",
            r.summary
        );
        assert_eq!(r.fix.as_deref(), Some(BOOTSTRAP));
        // Another issuer's credential the bootstrap did not name is no concern of this check.
        facts[0].found[1].issuer = "https://token.actions.githubusercontent.com".into();
        let r = federation("prod-aks", Ok("https://issuer/"), &facts);
        assert_eq!(r.status, Status::Ok, "{}", r.summary);
    }
}
