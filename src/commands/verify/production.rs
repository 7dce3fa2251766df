//! `verify --production` and `warehouse --production`, the parts production has and the laptop
//! has not: the `postgres` check as Lakekeeper's pods connect, the administrator's SQL for
//! Lakekeeper's own role, and the warehouse created as the signed-in person with Lakekeeper's
//! managed identity. Everything else is the laptop's steps over production's values.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Exit, report_warehouse};
use crate::keys as k;
use crate::output::Style;
use crate::verify::postgres::role::RoleSpec;
use crate::verify::{self, VerifyConfig, warehouse::WarehouseOutcome};

/// `--production`: the `postgres` check connects as Lakekeeper's pods do (their own role,
/// the password from the environment, no URL search path). Without the password it is
/// skipped, said as such: the backend's role would be judged instead, and `postgres-role`
/// still reads the production role's rights from the catalog.
pub(super) fn as_the_pod(
    cfg: &mut VerifyConfig,
    spec: &RoleSpec,
    process_env: &BTreeMap<String, String>,
) -> Option<verify::CheckResult> {
    use crate::production::PASSWORD_VAR;
    let wanted = cfg.only.as_ref().is_none_or(|o| o.contains("postgres"));
    if !wanted {
        return None;
    }
    if let Some(password) = process_env.get(PASSWORD_VAR).filter(|p| !p.is_empty()) {
        cfg.env = verify::postgres::role::as_the_pod(&cfg.env, &spec.user, password);
        return None;
    }
    leave_out(cfg, verify::CheckName::Postgres);
    Some(
        verify::CheckResult::new(
            verify::CheckName::Postgres,
            verify::Status::Skipped,
            format!(
                "not checked as role {}: {PASSWORD_VAR} is not set (postgres-role below reads the role's rights from the catalog)",
                spec.user
            ),
        )
        .with_fix(format!(
            "set {PASSWORD_VAR} to role {}'s password to connect as Lakekeeper's pods do",
            spec.user
        )),
    )
}

/// Takes `name` out of the checks `cfg` runs (all of them when `--only` named none).
fn leave_out(cfg: &mut VerifyConfig, name: verify::CheckName) {
    let all = verify::CheckName::ALL.map(verify::CheckName::as_str);
    let kept = cfg
        .only
        .clone()
        .unwrap_or_else(|| all.iter().map(|s| (*s).to_owned()).collect());
    cfg.only = Some(kept.into_iter().filter(|c| c != name.as_str()).collect());
}

/// `--production`: the `storage` check would prove the laptop's storage credential, which
/// production never uses (its Lakekeeper reaches storage as its managed identity). Skipped,
/// saying where production's storage access is checked instead.
pub(super) fn storage_as_the_identity(cfg: &mut VerifyConfig) -> Option<verify::CheckResult> {
    let name = verify::CheckName::Storage;
    if !cfg.only.as_ref().is_none_or(|o| o.contains(name.as_str())) {
        return None;
    }
    leave_out(cfg, name);
    Some(
        verify::CheckResult::new(
            name,
            verify::Status::Skipped,
            "not checked with the laptop's storage credential: production's Lakekeeper reaches storage as its managed identity (production-storage checks its roles)",
        )
        .with_fix("lakekeeper-setup verify --production (without --only) checks production-storage; lakekeeper-setup azure roles --production grants the roles"),
    )
}

/// `--production --fix`, database side: the SQL an administrator runs once so Lakekeeper logs
/// in as its own role, in its own schema, reading none of the backend's tables. Printed
/// always; run (asking first on a terminal unless `yes`) when the signed-in role may create
/// roles and the role's password is in the environment. The checks that follow report the
/// result.
pub(super) fn fix_production_role(
    rt: &tokio::runtime::Runtime,
    cfg: &VerifyConfig,
    spec: &RoleSpec,
    yes: bool,
    process_env: &BTreeMap<String, String>,
) {
    use crate::production::PASSWORD_VAR;
    use verify::postgres::role::{self, AdminFix};
    let s = Style::stderr();
    let (database, sql, may) = match rt.block_on(role::plan_fix(cfg, spec)) {
        Ok(AdminFix::Nothing) => return,
        Ok(AdminFix::Run { database, sql }) => (database, sql, true),
        Ok(AdminFix::AskAdmin { database, sql }) => (database, sql, false),
        Err(e) => {
            eoutln!("fix: could not look at production's database: {e}");
            return;
        }
    };
    let password = process_env.get(PASSWORD_VAR).filter(|p| !p.is_empty());
    let runnable = may && password.is_some();
    let who = if may {
        "this role may run it"
    } else {
        "run it as an administrator (on Azure, the server's admin, a member of azure_pg_admin)"
    };
    eoutln!(
        "fix: production's database {database} needs Lakekeeper's own role {user}, in schema {schema}; {who}, once, in database {database}:",
        user = spec.user,
        schema = spec.schema
    );
    for line in &sql {
        eoutln!("  {line}");
    }
    eoutln!(
        "fix: use the same password for {} in the Secret export helm writes (`{PASSWORD_VAR}` when exporting with --secrets kubernetes; the vault secret [production] postgres_password_secret otherwise)",
        spec.user
    );
    if !runnable {
        if may {
            eoutln!(
                "fix: set {PASSWORD_VAR} to the role's password and run again with --yes to run it from here"
            );
        }
        return;
    }
    if !confirmed(yes, "run this SQL now") {
        return;
    }
    let password = password.map(String::as_str).unwrap_or_default();
    match rt.block_on(role::run_admin_sql(cfg, spec, password)) {
        Ok(()) => eoutln!(
            "{}",
            s.green(&format!(
                "fix: role {} set up in schema {}",
                spec.user, spec.schema
            ))
        ),
        Err(e) => eoutln!("{} {e}", s.red("fix:")),
    }
}

/// `yes`, or the person answered yes on a terminal (never without one).
fn confirmed(yes: bool, what: &str) -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if yes {
        return true;
    }
    if !std::io::stdin().is_terminal() {
        eoutln!("fix: run again with --yes to {what}");
        return false;
    }
    eout!("fix: {what}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes")
}

/// The signed-in person's token for production's scope (`<api_app_id_uri>/lakekeeper`) from the
/// Azure CLI, and that scope; production accepts no laptop's service account. `Err` says why
/// there is none and what to do.
fn persons_token(
    rt: &tokio::runtime::Runtime,
    cfg: &VerifyConfig,
    prod: &crate::production::Production,
) -> Result<(verify::entra::Token, String), String> {
    let Some(scope) = prod.api_scope() else {
        return Err(crate::production::identity_requirements(prod)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "));
    };
    let tenant = cfg.env.get(k::OAUTH2_TENANT_ID).map(String::as_str);
    let token = rt.block_on(async {
        let az = crate::azure::az::Az::from_env(tenant)?;
        az.token_for_scope(&scope).await
    });
    match token {
        Ok(t) => Ok((
            verify::entra::Token {
                access_token: t.value,
                expires_in: None,
            },
            scope,
        )),
        Err(e) => Err(format!(
            "no token for {scope} from the Azure CLI: {e}; {}",
            crate::strings::PRODUCTION_USER_TOKEN_FIX
        )),
    }
}

/// `verify --production`: the `token`, `token-claims` and `lakekeeper` checks judge the
/// signed-in person's token for production's scope against production's audience, because
/// that is what production's pods accept (the laptop's service account is refused by design).
pub(super) fn as_the_person(
    rt: &tokio::runtime::Runtime,
    cfg: &mut VerifyConfig,
    prod: &crate::production::Production,
) {
    let needs = ["token", "token-claims", "lakekeeper"];
    if cfg
        .only
        .as_ref()
        .is_some_and(|o| !needs.iter().any(|n| o.contains(*n)))
    {
        return;
    }
    cfg.token_source = match persons_token(rt, cfg, prod) {
        Ok((token, scope)) => verify::TokenSource::Given {
            token,
            from: format!(
                "you got a token for production's scope {scope} from the Azure CLI (production accepts no laptop's service account)"
            ),
        },
        Err(why) => verify::TokenSource::Refused {
            why,
            fix: crate::strings::PRODUCTION_USER_TOKEN_FIX.to_owned(),
        },
    };
}

/// `warehouse --production`: as the person signed in to the Azure CLI (a user token for the
/// production API's scope, never a laptop's service account), with Lakekeeper's managed
/// identity as the storage credential.
pub(super) fn production_warehouse(
    rt: &tokio::runtime::Runtime,
    cfg: &VerifyConfig,
    prod: &crate::production::Production,
    dry_run: bool,
    json_out: bool,
) -> Exit {
    use crate::verify::warehouse::{create_production_warehouse, system_identity_body};
    let fail = |e: String| {
        if json_out {
            outln!("{}", json!({"ok": false, "error": e}));
        } else {
            eoutln!("{} {e}", Style::stderr().red("error:"));
        }
        Exit::Problems
    };
    if dry_run {
        return match system_identity_body(cfg) {
            Ok(body) => report_warehouse(
                &WarehouseOutcome::DryRun {
                    body: serde_json::to_string_pretty(&body).unwrap_or_default(),
                },
                json_out,
            ),
            Err(e) => fail(e.to_string()),
        };
    }
    let token = match persons_token(rt, cfg, prod) {
        Ok((t, _)) => t,
        Err(why) => return fail(why),
    };
    match rt.block_on(create_production_warehouse(cfg, &token)) {
        Ok(outcome) => report_warehouse(&outcome, json_out),
        Err(e) => fail(e.to_string()),
    }
}
