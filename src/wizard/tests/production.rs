//! The optional Production step in the state machine: one Enter (or Ctrl-S) skips it and hands
//! the driver no `[production]` answers; taken, its answers are validated with the export's
//! rules, pre-filled from the profile, and planned into the profile's `[production]` table only.

use super::*;
use crate::production::Raw;

fn raw(pairs: &[(&str, &str)]) -> Raw {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A finished setup's answers, on the Production step, with `production` as the profile's
/// `[production]` table.
fn at_production(production: Option<Raw>) -> Wizard {
    let mut w = Wizard::new(
        complete(),
        Context {
            production,
            ..ctx()
        },
        Secret::new(GENERATED_KEY),
    );
    while w.step() < Step::Production {
        w.update(Msg::Forward);
    }
    assert_eq!(w.step(), Step::Production);
    w
}

/// The wizard on the Production step with the context the real command builds from
/// `profile` (its `[production]` table read leniently, its problems, its `[secrets]` names).
fn at_production_profile(profile: &str) -> Wizard {
    let mut w = Wizard::new(
        complete(),
        Context {
            ..crate::commands::wizard::production_start(Some(profile))
        },
        Secret::new(GENERATED_KEY),
    );
    while w.step() < Step::Production {
        w.update(Msg::Forward);
    }
    assert_eq!(w.step(), Step::Production);
    w
}

/// `[production]` keys `azure bootstrap --production` adds after the wizard's.
const BOOTSTRAPPED: &str = "api_client_id = \"eeeeeeee-0000-4000-8000-000000000011\"\napi_app_id_uri = \"api://lakekeeper-prod.example.com\"\nlakekeeper_identity_client_id = \"eeeeeeee-0000-4000-8000-000000000012\"\n";

/// What the real `export helm` makes of `profile` (written by the wizard) in the secrets mode
/// it picks by itself: the files it would write, or its errors.
fn export(fx: &[Effect], profile: &str) -> Result<crate::helm::Export, Vec<String>> {
    let Some(Effect::ComputePlan { answers, .. }) = fx.last() else {
        panic!("no plan requested: {fx:?}")
    };
    let strings = |e: &[crate::production::ProductionError]| -> Vec<String> {
        e.iter().map(ToString::to_string).collect()
    };
    // The identities `azure bootstrap --production` records (the step does not ask them).
    let profile = &format!("{profile}{BOOTSTRAPPED}");
    let raw = crate::production::read(profile).map_err(|e| vec![e.to_string()])?;
    let names = crate::production::vault_names(profile).map_err(|e| vec![e.to_string()])?;
    let mode = if crate::production::vault_named(raw.as_ref(), &names) {
        crate::helm::SecretsMode::ExternalSecrets
    } else {
        crate::helm::SecretsMode::Kubernetes
    };
    let cfg = crate::validate::answers(answers).expect("valid").config;
    let (prod, _) = crate::production::validate(raw.as_ref(), &names).map_err(|e| strings(&e))?;
    let password = crate::secret::Secret::new("fake-production-role-password");
    crate::helm::export(&cfg, &prod, mode, &names, Some(&password), "deploy/helm").map_err(|e| {
        match e {
            crate::helm::ExportError::Answers(e) => strings(&e),
            other @ crate::helm::ExportError::ReadBack(_) => vec![other.to_string()],
        }
    })
}

/// Enter on every question until the step is left or something stops it.
fn enter_through(w: &mut Wizard) -> Vec<Effect> {
    let mut fx = Vec::new();
    for _ in 0..=ProdField::ALL.len() {
        fx.extend(w.update(Msg::Enter));
        if w.step() != Step::Production || w.blocked().is_some() {
            break;
        }
    }
    fx
}

/// The `[production]` answers the last `ComputePlan` hands the driver.
fn planned(fx: &[Effect]) -> Option<Raw> {
    match fx.last() {
        Some(Effect::ComputePlan { production, .. }) => production.clone(),
        other => panic!("no plan requested: {other:?}"),
    }
}

/// What the driver does with the plan effect: the real planner against a project with
/// `profile` as its profile; returns the `.env` and the profile it would write.
fn plan_files(w: &Wizard, fx: &[Effect], profile: Option<&str>) -> (String, Option<String>) {
    let Some(Effect::ComputePlan {
        answers,
        save_profile,
        production,
    }) = fx.last()
    else {
        panic!("no plan requested: {fx:?}")
    };
    let v = crate::validate::answers(answers).expect("valid");
    let inputs = crate::plan::Inputs {
        env_path: "backend/.env".into(),
        env_text: None,
        override_path: "backend/docker-compose.override.yml".into(),
        override_text: None,
        profile_path: w.ctx().profile_path.clone().into(),
        profile_text: profile.map(str::to_owned),
        save_profile: *save_profile,
        production: production.clone(),
    };
    let p = crate::plan::plan(&v.config, answers, &inputs).expect("plan");
    (p.env.after, p.profile.map(|f| f.after))
}

#[test]
fn one_enter_skips_the_step_and_nothing_production_is_planned() {
    let mut w = at_production(None);
    assert_eq!(w.production().choice, ProdChoice::Skip);
    assert_eq!(
        w.focused_production(),
        None,
        "the choice, not a question, has the focus"
    );
    let fx = w.update(Msg::Enter);
    assert_eq!(w.step(), Step::Review);
    assert_eq!(planned(&fx), None);
    let (_, profile) = plan_files(&w, &fx, None);
    assert_eq!(profile, None, "no profile is written for a skipped step");

    // Typed, then skipped on the choice row: none of it is planned.
    let mut w = at_production(None);
    send(&mut w, [Msg::Right, Msg::Enter]);
    send(&mut w, typed("https://typed.example.com"));
    send(&mut w, [Msg::PrevField]);
    assert_eq!(w.focused_production(), None);
    send(&mut w, [Msg::Left]);
    assert_eq!(w.production().choice, ProdChoice::Skip);
    let fx = w.update(Msg::Enter);
    assert_eq!(w.step(), Step::Review);
    assert_eq!(planned(&fx), None);
    let (env, profile) = plan_files(&w, &fx, Some("[entra]\n"));
    assert_eq!(profile, None, "{profile:?}");
    assert!(!env.contains("typed.example.com"), "{env}");

    // Ctrl-S skips too, even after choosing to set it up and typing.
    let mut w = at_production(None);
    w.update(Msg::Right);
    assert_eq!(w.production().choice, ProdChoice::Edit);
    send(&mut w, [Msg::Enter]);
    send(&mut w, typed("https://lakekeeper.example.com"));
    let fx = w.update(Msg::Skip);
    assert_eq!(w.step(), Step::Review);
    assert_eq!(planned(&fx), None);
    assert!(!w.production_known());
    let (env, profile) = plan_files(&w, &fx, None);
    assert_eq!(profile, None, "{profile:?}");
    assert!(!env.contains("lakekeeper.example.com"), "{env}");
}

#[test]
fn taken_it_refuses_a_bad_base_uri_with_the_validators_message_then_plans_only_the_profile() {
    let mut w = at_production(None);
    send(&mut w, [Msg::Right, Msg::Enter]);
    assert_eq!(w.focused_production(), Some(ProdField::BaseUri));

    // Empty: required once the step is taken.
    send(&mut w, [Msg::Enter]);
    let e = w.production().error(ProdField::BaseUri).expect("required");
    assert!(
        e.message.starts_with("is required but was not given"),
        "{e}"
    );
    // Plain http and the laptop's URI: the export's own messages and fixes.
    fill(&mut w, "http://lakekeeper.example.com");
    assert_eq!(w.focused_production(), Some(ProdField::BaseUri));
    assert_eq!(
        production_message(w.production().error(ProdField::BaseUri).expect("refused")),
        "`http://lakekeeper.example.com` uses plain http: tokens would cross the network in clear text; fix: use https:// (terminate TLS at the Ingress with tls_secret)"
    );
    fill(&mut w, "http://localhost:8181");
    assert!(
        w.production()
            .error(ProdField::BaseUri)
            .is_some_and(|e| e.message.starts_with("is a loopback address")),
        "{:?}",
        w.production().error(ProdField::BaseUri)
    );
    send(&mut w, [Msg::Forward]);
    assert_eq!(w.step(), Step::Production, "blocked while invalid");
    assert!(
        w.blocked()
            .is_some_and(|b| b.starts_with("Production base URI")),
        "{:?}",
        w.blocked()
    );
    // The error clears as the value is fixed; the value is normalised with a note.
    send(&mut w, [Msg::Clear]);
    send(&mut w, typed("https://LakeKeeper.Example.com/"));
    assert!(w.production().error(ProdField::BaseUri).is_none());
    send(&mut w, [Msg::Enter]);
    assert_eq!(
        w.production().field(ProdField::BaseUri).text,
        "https://lakekeeper.example.com"
    );
    assert_eq!(w.focused_production(), Some(ProdField::Namespace));
    assert_eq!(
        w.production().field(ProdField::Namespace).text,
        "lakekeeper",
        "the default is filled in"
    );
    send(&mut w, [Msg::Enter]); // namespace
    fill(&mut w, "lk-prod"); // release
    fill(&mut w, "3"); // replicas
    fill(&mut w, "lakekeeper.example.com");
    fill(&mut w, "webapprouting.kubernetes.azure.com");
    fill(&mut w, "lakekeeper-tls");
    fill(&mut w, "prod-pg.postgres.database.azure.com");
    assert_eq!(w.focused_production(), Some(ProdField::Deploy));
    assert_eq!(w.production().field(ProdField::Deploy).text, "helm-wait");
    let fx = send(&mut w, [Msg::Right, Msg::Enter]); // deploy: helm
    assert_eq!(w.step(), Step::Review);
    assert_eq!(
        planned(&fx),
        Some(raw(&[
            ("base_uri", "https://lakekeeper.example.com"),
            ("namespace", ""),
            ("release", "lk-prod"),
            ("replicas", "3"),
            ("deploy", "helm"),
            ("ingress_host", "lakekeeper.example.com"),
            ("ingress_class", "webapprouting.kubernetes.azure.com"),
            ("tls_secret", "lakekeeper-tls"),
            ("postgres_host", "prod-pg.postgres.database.azure.com"),
        ])),
        "defaults are left to the export; an empty value means no key"
    );
    let review: Vec<String> = review_lines(&w).into_iter().map(|l| l.text).collect();
    assert!(
        review.contains(&format!(
            "  {:<49} https://lakekeeper.example.com",
            "Production base URI (public https URL)"
        )),
        "{review:#?}"
    );

    let (env, profile) = plan_files(&w, &fx, Some("# team\n[entra]\ncloud = \"public\"\n"));
    let profile = profile.expect("the profile is written");
    assert_eq!(
        profile,
        "# team\n[entra]\ncloud = \"public\"\n\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\nrelease = \"lk-prod\"\nreplicas = 3\ningress_host = \"lakekeeper.example.com\"\ningress_class = \"webapprouting.kubernetes.azure.com\"\ntls_secret = \"lakekeeper-tls\"\npostgres_host = \"prod-pg.postgres.database.azure.com\"\ndeploy = \"helm\"\n",
        "only [production] is added (keys in the documented order): the other answers go to the profile only with p"
    );
    for prod in ["lakekeeper.example.com", "prod-pg", "lk-prod"] {
        assert!(!env.contains(prod), "{prod} reached the .env:\n{env}");
    }
    // The real export accepts what the wizard wrote, in the mode it picks (no vault: a
    // Kubernetes Secret).
    let out = export(&fx, &profile).expect("the export accepts what the wizard wrote");
    let values = &out.files[0].text;
    assert!(values.contains("lakekeeper.example.com"), "{values}");
}

#[test]
fn a_rule_joining_two_keys_is_said_under_the_field_it_concerns() {
    let mut w = at_production(None);
    send(&mut w, [Msg::Right, Msg::Enter]);
    fill(&mut w, "https://lakekeeper.example.com");
    send(&mut w, [Msg::Enter, Msg::Enter, Msg::Enter]); // defaults
    assert_eq!(w.focused_production(), Some(ProdField::IngressHost));
    send(&mut w, [Msg::Enter, Msg::Enter]); // no ingress, no class
    fill(&mut w, "lakekeeper-tls");
    assert_eq!(w.focused_production(), Some(ProdField::TlsSecret));
    let e = w.production().error(ProdField::TlsSecret).expect("refused");
    assert_eq!(
        production_message(e),
        "`lakekeeper-tls` is set but ingress_host is not, so no Ingress is written; fix: add ingress_host, or remove this key"
    );
}

#[test]
fn the_profiles_table_pre_fills_the_step_and_is_kept_by_default() {
    let existing = raw(&[
        ("base_uri", "https://lakekeeper.example.com"),
        ("namespace", "lakekeeper"),
        ("replicas", "4"),
        ("ingress_host", "lakekeeper.example.com"),
        ("secret_name", "lk-creds"),
        ("api_client_id", "eeeeeeee-0000-4000-8000-000000000011"),
        ("api_app_id_uri", "api://lakekeeper-prod.example.com"),
        (
            "lakekeeper_identity_client_id",
            "eeeeeeee-0000-4000-8000-000000000012",
        ),
    ]);
    // Without production's own identities the export would refuse: not offered, and the
    // Done screen names the command that records them.
    let mut without = existing.clone();
    for k in crate::production::IDENTITY_KEYS {
        without.remove(k);
    }
    let mut w = at_production(Some(without));
    w.update(Msg::Enter);
    w.update(Msg::PlanReady(Ok(summary(true))));
    w.update(Msg::Enter);
    w.update(Msg::Written(Ok(vec![])));
    assert!(w.production_known() && !w.export_offered());
    let done: Vec<String> = done_lines(&w).into_iter().map(|l| l.text).collect();
    assert!(
        done.iter()
            .any(|l| l.contains("run `lakekeeper-setup azure bootstrap --production`")),
        "{done:#?}"
    );
    assert!(!done.contains(&"  lakekeeper-setup export helm".to_owned()));

    let mut w = at_production(Some(existing.clone()));
    assert_eq!(
        w.production().describe(ProdChoice::Skip),
        "Keep the profile's [production] as it is (base_uri https://lakekeeper.example.com)"
    );
    assert!(w.production().problems().is_empty());
    // Enter keeps the table: nothing to plan for it, and export is offered at the end.
    let fx = w.update(Msg::Enter);
    assert_eq!(planned(&fx), None);
    assert!(w.production_known());
    w.update(Msg::PlanReady(Ok(summary(true))));
    w.update(Msg::Enter);
    w.update(Msg::Written(Ok(vec![])));
    assert!(w.export_offered());
    let done: Vec<String> = done_lines(&w).into_iter().map(|l| l.text).collect();
    assert!(
        done.contains(&"  lakekeeper-setup export helm".to_owned()),
        "{done:#?}"
    );
    assert_eq!(
        w.update(Msg::Input('e')),
        vec![Effect::Exit(Outcome::Written)]
    );
    assert!(w.export_requested());

    // Changing it: every question shows the profile's value; Enter through keeps them all.
    let mut w = at_production(Some(existing));
    send(&mut w, [Msg::Right, Msg::Enter]);
    let text = |w: &Wizard, f| w.production().field(f).text.clone();
    assert_eq!(
        text(&w, ProdField::BaseUri),
        "https://lakekeeper.example.com"
    );
    assert_eq!(text(&w, ProdField::Replicas), "4");
    assert_eq!(text(&w, ProdField::IngressHost), "lakekeeper.example.com");
    let mut fx = Vec::new();
    for _ in 0..ProdField::ALL.len() {
        fx.extend(w.update(Msg::Enter));
    }
    assert_eq!(w.step(), Step::Review);
    let kept = planned(&fx).expect("taken");
    assert_eq!(kept["namespace"], "lakekeeper", "the profile had the key");
    assert_eq!(kept["release"], "", "the profile had no release: default");
    assert_eq!(kept["replicas"], "4");
    assert!(
        !kept.contains_key("secret_name"),
        "unasked keys are not touched"
    );
    let profile = "[production]\nbase_uri = \"https://lakekeeper.example.com\"  # public\nnamespace = \"lakekeeper\"\nreplicas = 4\ningress_host = \"lakekeeper.example.com\"\nsecret_name = \"lk-creds\"\n";
    let (_, after) = plan_files(&w, &fx, Some(profile));
    assert_eq!(
        after.as_deref(),
        Some(profile),
        "a re-run that changes nothing writes the same profile"
    );
}

#[test]
fn problems_of_the_profiles_table_are_said_on_the_step() {
    let w = at_production_profile(
        "[production]\nbase_uri = \"http://lakekeeper.example.com\"\nreplica = 3\n",
    );
    let problems = w.production().problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with("[production] replica: is not a [production] key"),
        "{problems:?}"
    );
    assert!(
        problems[1]
            .starts_with("[production] base_uri: `http://lakekeeper.example.com` uses plain http"),
        "{problems:?}"
    );
}

const WRONG_TYPED: &str = "# team\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\n# the team's namespace\nnamespace = \"data-platform\"  # agreed with ops\nreplicas = 3.0\ningress_host = \"lakekeeper.example.com\"\ntls_secret = \"lakekeeper-tls\"\n";

#[test]
fn a_wrong_typed_value_keeps_the_rest_of_the_table_and_is_fixed_or_removed() {
    let w = at_production_profile(WRONG_TYPED);
    assert_eq!(
        w.production().describe(ProdChoice::Skip),
        "Keep the profile's [production] as it is (base_uri https://lakekeeper.example.com)",
        "the table is there, not skipped as missing"
    );
    assert_eq!(
        w.production().problems(),
        [
            "[production] replicas: must be a string (or a number for replicas); fix: quote the value"
        ]
    );
    // Kept as it is, the export would refuse it: not offered.
    let mut kept = w.clone();
    kept.update(Msg::Enter);
    assert_eq!(kept.step(), Step::Review);
    assert!(!kept.production_known());

    // Changed and pressed through: the good keys and the comments stay, the bad value (the
    // default answered) goes.
    let mut w = w;
    send(&mut w, [Msg::Right, Msg::Enter]);
    assert_eq!(
        w.production().field(ProdField::Namespace).text,
        "data-platform"
    );
    assert_eq!(
        w.production().field(ProdField::TlsSecret).text,
        "lakekeeper-tls"
    );
    let fx = enter_through(&mut w);
    assert_eq!(w.step(), Step::Review, "{:?}", w.blocked());
    assert!(w.production_known());
    let (_, after) = plan_files(&w, &fx, Some(WRONG_TYPED));
    let after = after.expect("written");
    assert_eq!(
        after,
        "# team\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\n# the team's namespace\nnamespace = \"data-platform\"  # agreed with ops\ningress_host = \"lakekeeper.example.com\"\ntls_secret = \"lakekeeper-tls\"\n"
    );
    export(&fx, &after).expect("the export accepts it");

    // An answer replaces the bad value in place.
    let mut w = at_production_profile(WRONG_TYPED);
    send(
        &mut w,
        [Msg::Right, Msg::Enter, Msg::Enter, Msg::Enter, Msg::Enter],
    );
    assert_eq!(w.focused_production(), Some(ProdField::Replicas));
    fill(&mut w, "3");
    let fx = enter_through(&mut w);
    let (_, after) = plan_files(&w, &fx, Some(WRONG_TYPED));
    assert_eq!(
        after.as_deref(),
        Some(WRONG_TYPED.replace("3.0", "3").as_str())
    );
}

const WITH_VAULT: &str = "[secrets]\nvault = \"https://team-kv.vault.azure.net\"\npostgres_password = \"pg-password\"\nencryption_key = \"lk-encryption-key\"\n\n[production]\nbase_uri = \"https://lakekeeper.example.com\"\n";

#[test]
fn with_a_vault_named_the_step_asks_the_identity_the_export_needs() {
    let w = at_production_profile(WITH_VAULT);
    assert!(
        w.production().problems().iter().any(|p| p.starts_with(
            "[production] vault_identity: is required with --secrets external-secrets"
        )),
        "{:?}",
        w.production().problems()
    );
    let mut kept = w.clone();
    kept.update(Msg::Enter);
    assert!(
        !kept.production_known(),
        "the export would refuse the table as it is"
    );

    let mut w = w;
    send(&mut w, [Msg::Right]);
    let fx = enter_through(&mut w);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(w.step(), Step::Production);
    assert_eq!(w.focused_production(), Some(ProdField::VaultIdentity));
    assert!(
        w.production()
            .error(ProdField::VaultIdentity)
            .is_some_and(|e| e
                .message
                .starts_with("is required with --secrets external-secrets")),
        "{:?}",
        w.production().error(ProdField::VaultIdentity)
    );
    // Upper case is normalised as the export normalises it.
    let fx = fill(&mut w, "DDDDDDDD-0000-4000-8000-000000000004");
    assert_eq!(w.step(), Step::Review, "{:?}", w.blocked());
    assert_eq!(
        planned(&fx).expect("taken")["vault_identity"],
        "dddddddd-0000-4000-8000-000000000004"
    );
    let (_, after) = plan_files(&w, &fx, Some(WITH_VAULT));
    let after = after.expect("written");
    assert!(
        after.ends_with("[production]\nbase_uri = \"https://lakekeeper.example.com\"\nvault_identity = \"dddddddd-0000-4000-8000-000000000004\"\n"),
        "{after}"
    );
    let out = export(&fx, &after).expect("the real export accepts it in external-secrets mode");
    assert!(
        out.files.iter().any(|f| f.text.contains(
            "azure.workload.identity/client-id: \"dddddddd-0000-4000-8000-000000000004\""
        )),
        "{:#?}",
        out.files
    );
    assert!(w.production_known());
}

#[test]
fn a_problem_no_question_can_fix_goes_back_to_the_choice() {
    for (profile, key) in [
        (
            "[production]\nbase_uri = \"https://lakekeeper.example.com\"\nreplica = 3\n",
            "replica",
        ),
        (
            "[production]\nbase_uri = \"https://lakekeeper.example.com\"\nsecret_name = \"Bad_Name\"\n",
            "secret_name",
        ),
        ("production = \"x\"\n", "production"),
    ] {
        let mut w = at_production_profile(profile);
        send(&mut w, [Msg::Right, Msg::Enter]);
        if w.production().existing().is_none() {
            fill(&mut w, "https://lakekeeper.example.com");
        }
        let fx = enter_through(&mut w);
        assert!(fx.is_empty(), "{profile}: {fx:?}");
        assert_eq!(w.step(), Step::Production, "{profile}");
        assert_eq!(
            w.focused_production(),
            None,
            "{profile}: the choice row, which line mode asks again"
        );
        let blocked = w.blocked().expect("said").to_owned();
        assert!(
            blocked.starts_with("lakekeeper-setup.toml needs fixing")
                && blocked.contains(&format!("[production] {key}")),
            "{profile}: {blocked}"
        );
        // Line mode answers the choice again: Skip/Keep goes on, without offering the export.
        send(
            &mut w,
            [Msg::ChooseProduction(ProdChoice::Skip), Msg::Enter],
        );
        assert_eq!(w.step(), Step::Review, "{profile}");
        assert!(!w.production_known(), "{profile}");
    }
}

#[test]
fn an_alias_of_gitops_starts_on_gitops_and_stays_gitops() {
    let mut w = at_production_profile(
        "[production]\nbase_uri = \"https://lakekeeper.example.com\"\ndeploy = \"argocd\"\n",
    );
    assert_eq!(w.production().field(ProdField::Deploy).text, "gitops");
    send(&mut w, [Msg::Right]);
    let fx = enter_through(&mut w);
    assert_eq!(w.step(), Step::Review);
    assert_eq!(planned(&fx).expect("taken")["deploy"], "gitops");
}

#[test]
fn a_table_the_export_refuses_is_kept_but_not_offered_for_export() {
    let mut w = at_production_profile("[production]\nnamespace = \"lk\"\n");
    w.update(Msg::Enter);
    assert_eq!(w.step(), Step::Review);
    assert!(!w.production_known());
    w.update(Msg::PlanReady(Ok(summary(true))));
    w.update(Msg::Enter);
    w.update(Msg::Written(Ok(vec![])));
    assert!(!w.export_offered());
}

#[test]
fn export_is_offered_only_with_production_answers_and_files_written() {
    let mut w = fresh(Answers::default());
    walk_to_review(&mut w);
    w.update(Msg::PlanReady(Ok(summary(true))));
    w.update(Msg::Enter);
    w.update(Msg::Written(Ok(vec![])));
    assert!(!w.export_offered());
    assert_eq!(w.update(Msg::Input('e')), vec![], "e means nothing here");
    assert!(
        !done_lines(&w)
            .iter()
            .any(|l| l.text.contains("export helm")),
        "no production section for those who skipped"
    );

    let mut w = Wizard::new(
        complete(),
        Context {
            production: Some(raw(&[("base_uri", "https://lakekeeper.example.com")])),
            dry_run: true,
            ..ctx()
        },
        Secret::new(GENERATED_KEY),
    );
    to_review(&mut w);
    w.update(Msg::PlanReady(Ok(summary(true))));
    w.update(Msg::Enter);
    assert_eq!(w.done(), Some(&Done::DryRun));
    assert!(
        !w.export_offered(),
        "a dry run wrote no profile to export from"
    );
}

fn to_review(w: &mut Wizard) {
    while w.step() < Step::Review {
        w.update(Msg::Forward);
    }
}
