//! Production's pure parts: which steps a tenant still needs, and the bodies.

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::azure::arm::identity::Cluster;
use crate::azure::bootstrap::FoundBy;
use crate::azure::graph::access::Kind;
use crate::model::ClientId;

const ISSUER: &str = "https://eastus.oic.prod-aks.azure.com/t/i/";

fn target() -> Target {
    let mut accounts = BTreeMap::new();
    accounts.insert(
        Ident::Lakekeeper,
        ("lakekeeper".to_owned(), "lakekeeper".to_owned()),
    );
    accounts.insert(
        Ident::Backend,
        ("backend".to_owned(), "backend-api".to_owned()),
    );
    Target {
        app_role: "Lakekeeper.Access".into(),
        cluster_id: "/subscriptions/s/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/prod-aks".into(),
        subscription: "22222222-2222-2222-2222-222222222222".into(),
        identity_group: "rg-aks".into(),
        prefix: "lakekeeper-prod".into(),
        accounts,
        recorded: BTreeMap::new(),
        found_names: BTreeMap::new(),
    }
}

fn found() -> Found {
    Found {
        cluster: Cluster {
            id: String::new(),
            name: "prod-aks".into(),
            resource_group: "rg-aks".into(),
            location: "eastus".into(),
            issuer: Some(ISSUER.into()),
            workload_identity: true,
        },
        issuer: ISSUER.into(),
        assignment_required: None,
        identities: BTreeMap::new(),
        federations: BTreeMap::new(),
        assignments: Vec::new(),
        me: Principal {
            id: "e5000001-0000-4000-8000-000000000001".into(),
            name: "Dana".into(),
            kind: Kind::User,
            detail: "dana@contoso.com".into(),
        },
    }
}

fn api() -> AppFound {
    let app_id = "a0000001-0000-4000-8000-000000000001";
    AppFound {
        record: AppRecord {
            object_id: "0b000001-0000-4000-8000-000000000001".into(),
            app_id: ClientId(app_id.into()),
            name: "lakekeeper-prod-api".into(),
            unique_name: Some("lakekeeper-prod-api".into()),
            identifier_uris: vec![format!("api://{app_id}")],
            api: json!({"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": [
                {"id": "11111111-0000-4000-8000-000000000000", "value": "lakekeeper", "isEnabled": true}
            ], "preAuthorizedApplications": [
                {"appId": AZURE_CLI, "delegatedPermissionIds": ["11111111-0000-4000-8000-000000000000"]}
            ]}),
            spa_redirects: vec![],
            passwords: vec![],
            app_roles: json!([{"id": "22222222-0000-4000-8000-000000000000", "value": "Lakekeeper.Access",
                "isEnabled": true, "allowedMemberTypes": ["User", "Application"]}]),
        },
        sp: Some("5b000001-0000-4000-8000-000000000001".into()),
        by: FoundBy::StoredId,
    }
}

#[test]
fn an_empty_production_needs_every_step_in_order() {
    assert_eq!(
        plan(None, &found(), &target(), false),
        [
            ProdStep::SetAppRole,
            ProdStep::RequireAssignment,
            ProdStep::PreAuthorizeCli,
            ProdStep::CreateIdentity(Ident::Lakekeeper),
            ProdStep::Federate(Ident::Lakekeeper),
            ProdStep::CreateIdentity(Ident::Backend),
            ProdStep::Federate(Ident::Backend),
            ProdStep::Assign(Holder::Backend),
            ProdStep::Assign(Holder::Me),
        ]
    );
}

#[test]
fn a_complete_production_needs_nothing_and_a_drifted_federation_is_put_again() {
    let t = target();
    let mut f = found();
    f.assignment_required = Some(true);
    for (n, i) in Ident::ALL.into_iter().enumerate() {
        f.identities.insert(
            i,
            Identity {
                id: t.identity_id(i),
                name: t.identity_name(i),
                client_id: format!("c1000000-0000-4000-8000-00000000000{n}"),
                principal_id: format!("9e000000-0000-4000-8000-00000000000{n}"),
            },
        );
        f.federations.insert(i, vec![t.federation(i, ISSUER)]);
    }
    let role = "22222222-0000-4000-8000-000000000000";
    let a = |p: &str| Assignment {
        id: "x".into(),
        app_role_id: role.into(),
        principal_id: p.into(),
        principal_name: String::new(),
        kind: Kind::User,
    };
    f.assignments = vec![
        a("9e000000-0000-4000-8000-000000000001"),
        a(&f.me.id.clone()),
    ];
    assert_eq!(plan(Some(&api()), &f, &t, false), []);
    // The scope is changed this run: the CLI's pre-authorisation is sent again after it.
    assert_eq!(
        plan(Some(&api()), &f, &t, true),
        [ProdStep::PreAuthorizeCli]
    );
    // A credential for another service account (the release was renamed) is replaced.
    f.federations.get_mut(&Ident::Lakekeeper).expect("fed")[0].subject =
        "system:serviceaccount:lakekeeper:default".into();
    // Assignment no longer required (someone turned it off in the portal).
    f.assignment_required = Some(false);
    assert_eq!(
        plan(Some(&api()), &f, &t, false),
        [
            ProdStep::RequireAssignment,
            ProdStep::Federate(Ident::Lakekeeper)
        ]
    );
}

#[test]
fn the_app_role_body_keeps_other_roles_and_derives_a_stable_id() {
    let opts = crate::azure::bootstrap::Options {
        prefix: "lakekeeper-prod".into(),
        with_ui: true,
        secret_months: 0,
        new_secret: false,
        base_uri: "https://lk.example.com".into(),
        production: true,
    };
    let mut a = api().record;
    a.app_roles = json!([{"id": "33333333-0000-4000-8000-000000000000", "value": "Other", "isEnabled": true, "allowedMemberTypes": ["User"]}]);
    let body = app_role_body(Some(&a), "Lakekeeper.Access", &opts);
    let roles = body["appRoles"].as_array().expect("roles");
    assert_eq!(roles.len(), 2);
    assert_eq!(roles[0]["value"], "Other");
    assert_eq!(
        roles[1]["allowedMemberTypes"],
        json!(["User", "Application"])
    );
    let id = roles[1]["id"].as_str().expect("id").to_owned();
    assert!(crate::validate::is_guid(&id));
    assert_eq!(
        app_role_body(Some(&a), "Lakekeeper.Access", &opts)["appRoles"][1]["id"],
        json!(id)
    );
    assert_eq!(
        federation_name("lakekeeper", "lk.sa"),
        "aks-lakekeeper-lk-sa"
    );
}

fn fed(name: &str, issuer: &str, subject: &str) -> Federation {
    Federation {
        name: name.into(),
        issuer: issuer.into(),
        subject: subject.into(),
        audiences: vec![mi::TOKEN_EXCHANGE_AUDIENCE.into()],
    }
}

#[test]
fn only_credentials_for_another_service_account_of_this_cluster_or_named_by_us_are_stale() {
    let want = target().federation(Ident::Backend, ISSUER);
    let old_cluster = "https://westeurope.oic.prod-aks.azure.com/t/old/";
    let github = "https://token.actions.githubusercontent.com";
    // (credential, stale because)
    let rows: &[(Federation, Option<StaleWhy>)] = &[
        // The wanted one, and the one named like it (the PUT replaces it): kept.
        (want.clone(), None),
        (
            fed(&want.name, ISSUER, "system:serviceaccount:backend:old"),
            None,
        ),
        // Another name, the wanted subject: it lets in only the wanted account.
        (fed("by-hand", ISSUER, &want.subject), None),
        // The old service account on this cluster, ours or made by hand: stale.
        (
            fed(
                "aks-backend-backend-old",
                ISSUER,
                "system:serviceaccount:backend:backend-old",
            ),
            Some(StaleWhy::OtherAccount),
        ),
        (
            fed("by-hand-2", ISSUER, "system:serviceaccount:other:sa"),
            Some(StaleWhy::OtherAccount),
        ),
        // Ours, for a cluster this identity is no longer federated with: stale.
        (
            fed(
                "aks-backend-backend-old",
                old_cluster,
                "system:serviceaccount:backend:backend-old",
            ),
            Some(StaleWhy::OwnOldName),
        ),
        // Not ours, on another issuer: never touched.
        (
            fed(
                "staging",
                old_cluster,
                "system:serviceaccount:backend:backend-old",
            ),
            None,
        ),
        (
            fed(
                "aks-repo-main",
                github,
                "repo:contoso/backend:ref:refs/heads/main",
            ),
            None,
        ),
        // This cluster's issuer, a subject that is not a service account: never touched.
        (fed("odd", ISSUER, "something-else"), None),
    ];
    for (f, why) in rows {
        let got = stale(std::slice::from_ref(f), &want);
        assert_eq!(got.first().map(|s| s.why), *why, "{f:?}");
    }
}

#[test]
fn a_renamed_service_account_is_federated_then_its_old_credential_removed() {
    let mut t = target();
    let mut f = found();
    f.assignment_required = Some(true);
    for i in Ident::ALL {
        f.identities.insert(
            i,
            Identity {
                id: t.identity_id(i),
                name: t.identity_name(i),
                client_id: "c1000000-0000-4000-8000-000000000001".into(),
                principal_id: "9e000000-0000-4000-8000-000000000001".into(),
            },
        );
        f.federations.insert(i, vec![t.federation(i, ISSUER)]);
    }
    t.accounts
        .insert(Ident::Backend, ("backend".into(), "backend-v2".into()));
    let steps = plan(Some(&api()), &f, &t, false);
    let at = |s: ProdStep| steps.iter().position(|x| *x == s);
    let put = at(ProdStep::Federate(Ident::Backend)).expect("federate");
    let delete = at(ProdStep::Unfederate(Ident::Backend)).expect("unfederate");
    assert!(put < delete, "{steps:?}");
    assert_eq!(at(ProdStep::Unfederate(Ident::Lakekeeper)), None);
    assert!(
        right(ProdStep::Unfederate(Ident::Backend), "api", &t, "")
            .needs()
            .contains("federatedIdentityCredentials/delete")
    );
}

#[test]
fn an_identity_found_by_its_recorded_client_id_keeps_its_name_under_another_prefix() {
    let mut t = target();
    t.prefix = "other-prod".into();
    let mut f = found();
    f.identities.insert(
        Ident::Lakekeeper,
        Identity {
            id: mi::identity_id(
                &t.subscription,
                &t.identity_group,
                "lakekeeper-prod-catalog",
            ),
            name: "lakekeeper-prod-catalog".into(),
            client_id: "c1000000-0000-4000-8000-000000000001".into(),
            principal_id: "9e000000-0000-4000-8000-000000000001".into(),
        },
    );
    let t = t.adopt(&f);
    assert_eq!(
        t.identity_name(Ident::Lakekeeper),
        "lakekeeper-prod-catalog"
    );
    assert_eq!(t.identity_name(Ident::Backend), "other-prod-backend");
    let steps = plan(Some(&api()), &f, &t, false);
    assert!(!steps.contains(&ProdStep::CreateIdentity(Ident::Lakekeeper)));
    assert!(steps.contains(&ProdStep::CreateIdentity(Ident::Backend)));
    let lines = exists_lines(&f, &t);
    assert!(
        lines.iter().any(|l| l.contains("managed identity lakekeeper-prod-catalog (client ID c1000000-0000-4000-8000-000000000001), found by the client ID [production] lakekeeper_identity_client_id records (used instead of making other-prod-catalog)")),
        "{lines:?}"
    );
}
