//! The portal steps done by the binary against a stateful model of Azure (tests/support/
//! azure_arm.rs: official example payloads behind the stand-in) with a fake `az`:
//! `azure extensions` (the merge keeps every entry, 202 + polling, ServerBusy then success, a
//! stopped server), `azure roles` (stable assignment names, a role held higher up, 409
//! `RoleAssignmentExists` counted as done, a separate warehouse app, shared-key), `azure
//! store-secrets` (only changed secrets, values only in the vault), each refusal's one-line
//! fix, the exact MFA `az login` line, and `--dry-run`/no `--yes` sending no write.

mod support;

use std::process::Output;

use lakekeeper_setup::azure::roles::{DATA_CONTRIBUTOR, DELEGATOR, assignment_name};
use support::azure::{AzMode, FakeAz, SIGNED_IN_TENANT, SUB, StandIn, token_for};
use support::azure_arm::{
    ACCOUNT, Assignment, CLAIMS, Model, Refuse, SERVER_HOST, SUB_UNREGISTERED, State, VAULT,
    WriteMode, account_id, server_id,
};
use support::pg::{Cluster, Options};
use support::project::Project;

const BACKEND_APP: &str = "bbbbbbbb-0000-4000-8000-000000000002";
const BACKEND_SP: &str = "5b4f0c1e-8a2d-4e6f-9c3b-7d1a2e3f4b5c";
const STORAGE_APP: &str = "cccccccc-0000-4000-8000-000000000003";
const STORAGE_SP: &str = "6c5a1d2f-9b3e-4f70-8d4c-8e2b3f4a5c6d";

const CLIENT: &str = "SENTINEL-stA-Q~9d8c7b6a5f4e3d2c1b0a";
const PG: &str = "SENTINEL-stB-pa$$w0rd-1a2b3c4d5e";
const PG_OLD: &str = "SENTINEL-stC-old-pa$$w0rd-99887766";
const ENC: &str = "SENTINEL-stD-00112233445566778899aabbccdd";

fn profile(base: &str, extra: &str) -> String {
    format!(
        "[entra]\ntenant = \"{SIGNED_IN_TENANT}\"\n\n[backend_service]\nclient_id = \"{BACKEND_APP}\"\n\n[postgres]\nhost = \"{SERVER_HOST}\"\ndatabase = \"lake\"\nuser = \"lake\"\n\n[storage]\naccount = \"{ACCOUNT}\"\ncontainer = \"warehouse\"\n{extra}\n[secrets]\nvault = \"{base}/{VAULT}\"\nbackend_client_secret = \"lakekeeper-backend-client-secret\"\npostgres_password = \"lakekeeper-postgres-password\"\nstorage_account_key = \"adls-account-key\"\nencryption_key = \"lakekeeper-encryption-key\"\n"
    )
}

struct Rig {
    stand: StandIn,
    fake: FakeAz,
    model: Model,
    project: Project,
}

async fn rig(state: State, storage_extra: &str) -> Rig {
    let stand = StandIn::start().await;
    let model = Model::new(state);
    stand.handle(model.handler(&stand.base));
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);
    let project = Project::empty();
    project.write(
        "lakekeeper-setup.toml",
        &profile(&stand.base, storage_extra),
    );
    Rig {
        stand,
        fake,
        model,
        project,
    }
}

impl Rig {
    /// Runs the binary off the runtime (the stand-in keeps serving), stdin not a terminal.
    async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.project.cmd();
        c.args(args)
            .env("PATH", self.fake.path_var())
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            c.env(k, v);
        }
        tokio::task::spawn_blocking(move || c.output().expect("run"))
            .await
            .expect("join")
    }

    fn writes(&self) -> Vec<(String, String)> {
        self.stand
            .seen()
            .into_iter()
            .filter(|s| s.method != "GET")
            .map(|s| (s.method, s.path_and_query))
            .collect()
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn both(o: &Output) -> String {
    format!("{}{}", out(o), err(o))
}

fn backend_sp(state: &mut State) {
    state
        .service_principals
        .insert(BACKEND_APP.into(), BACKEND_SP.into());
}

// ---------------------------------------------------------------- azure extensions

#[tokio::test]
async fn extensions_merge_keeps_every_entry_through_a_busy_server_and_a_polled_operation() {
    let r = rig(
        State {
            extensions: "PG_TRGM,Vector".into(),
            mode: WriteMode::AsyncOperation(2),
            busy: 1,
            ..State::default()
        },
        "",
    )
    .await;
    let o = r.run(&["azure", "extensions", "--yes"], &[]).await;
    let all = both(&o);
    assert_eq!(o.status.code(), Some(0), "{all}");
    // The plan: the server, what is there, the change and the right it needs, no restart.
    assert!(
        out(&o).contains(&format!("PostgreSQL flexible server lakehouse-pg (resource group testrg, subscription {SUB}), version 16, Ready")),
        "{all}"
    );
    assert!(
        out(&o).contains("exists:  azure.extensions = PG_TRGM,Vector"),
        "{all}"
    );
    assert!(
        out(&o).contains("1. add UUID-OSSP, PGCRYPTO, BTREE_GIN, BTREE_GIST to azure.extensions on server lakehouse-pg (keeps PG_TRGM, Vector): PG_TRGM,Vector,UUID-OSSP,PGCRYPTO,BTREE_GIN,BTREE_GIST"),
        "{all}"
    );
    assert!(
        out(&o).contains("needs: Contributor (or Owner) on PostgreSQL server lakehouse-pg: Microsoft.DBforPostgreSQL/flexibleServers/configurations/write"),
        "{all}"
    );
    assert!(out(&o).contains("No restart is needed"), "{all}");
    assert!(
        err(&o).contains("Azure is busy with another operation on it (ServerBusy); trying again in 0 s (attempt 2 of 6)"),
        "{all}"
    );
    assert!(
        err(&o).contains("waiting for Azure to finish the change (InProgress"),
        "{all}"
    );
    // Two polls in the same second: one line (a long change reports every 30 s, not per poll).
    assert_eq!(
        err(&o)
            .matches("waiting for Azure to finish the change")
            .count(),
        1,
        "{all}"
    );
    assert!(
        out(&o).contains("azure.extensions on server lakehouse-pg is now PG_TRGM,Vector,UUID-OSSP,PGCRYPTO,BTREE_GIN,BTREE_GIST"),
        "{all}"
    );
    // The model holds every old entry as written, each needed one once.
    assert_eq!(
        r.model.with(|s| s.extensions.clone()),
        "PG_TRGM,Vector,UUID-OSSP,PGCRYPTO,BTREE_GIN,BTREE_GIST"
    );
    let config = format!(
        "{}/configurations/azure.extensions?api-version=2024-08-01",
        server_id()
    );
    assert_eq!(
        r.writes(),
        [
            ("PATCH".to_owned(), config.clone()),
            ("PATCH".to_owned(), config)
        ]
    );
    let bodies = r.model.with(|s| s.config_bodies.clone());
    assert_eq!(
        bodies[1],
        serde_json::json!({"properties": {"value": "PG_TRGM,Vector,UUID-OSSP,PGCRYPTO,BTREE_GIN,BTREE_GIST", "source": "user-override"}})
    );
    // The polls went to the stand-in's operation URL with the ARM token.
    let arm_token = token_for("https://management.core.windows.net/");
    let polls: Vec<_> = r
        .stand
        .seen()
        .into_iter()
        .filter(|s| s.path_and_query.contains("/azureAsyncOperation/"))
        .collect();
    assert_eq!(polls.len(), 3, "{polls:?}");
    assert!(
        polls
            .iter()
            .all(|p| p.bearer.as_deref() == Some(arm_token.as_str()))
    );

    // Run again: everything is allowed, nothing is written.
    let again = r.run(&["azure", "extensions", "--yes"], &[]).await;
    assert_eq!(again.status.code(), Some(0), "{}", both(&again));
    assert!(
        out(&again).contains("nothing to change")
            && out(&again).contains("are all allowed already"),
        "{}",
        both(&again)
    );
    assert_eq!(r.writes().len(), 2);
}

#[tokio::test]
async fn extensions_follow_a_location_header_and_never_duplicate_a_differently_cased_entry() {
    let r = rig(
        State {
            extensions: "uuid-ossp,Pg_Trgm,postgis".into(),
            mode: WriteMode::Location(1),
            ..State::default()
        },
        "",
    )
    .await;
    let o = r
        .run(
            &["azure", "extensions", "--yes", "--server", &server_id()],
            &[],
        )
        .await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert_eq!(
        r.model.with(|s| s.extensions.clone()),
        "uuid-ossp,Pg_Trgm,postgis,PGCRYPTO,BTREE_GIN,BTREE_GIST"
    );
    let polls = r
        .stand
        .seen()
        .iter()
        .filter(|s| s.path_and_query.contains("/operationResults/"))
        .count();
    assert_eq!(polls, 2);
}

#[tokio::test]
async fn extensions_dry_run_and_no_terminal_without_yes_send_no_write() {
    let r = rig(
        State {
            extensions: "VECTOR".into(),
            ..State::default()
        },
        "",
    )
    .await;
    let o = r.run(&["azure", "extensions", "--dry-run"], &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let text = out(&o);
    assert!(
        text.contains(&format!(
            "PATCH {}{}/configurations/azure.extensions?api-version=2024-08-01",
            r.stand.base,
            server_id()
        )),
        "{text}"
    );
    // The parameter's value is shown (it is no secret), the request body as it would go.
    assert!(
        text.contains("\"value\": \"VECTOR,UUID-OSSP,PGCRYPTO,PG_TRGM,BTREE_GIN,BTREE_GIST\""),
        "{text}"
    );
    assert!(text.contains("nothing was changed"), "{text}");
    let no_yes = r.run(&["azure", "extensions"], &[]).await;
    assert_eq!(no_yes.status.code(), Some(130), "{}", both(&no_yes));
    assert!(
        err(&no_yes).contains("Run again with --yes"),
        "{}",
        both(&no_yes)
    );
    assert!(
        r.stand.seen().iter().all(|s| s.method == "GET"),
        "{:?}",
        r.writes()
    );
    assert_eq!(r.model.with(|s| s.extensions.clone()), "VECTOR");
}

#[tokio::test]
async fn extensions_refusals_print_the_right_and_the_fix() {
    // No Contributor on the server.
    let r = rig(
        State {
            refuse_config: Some(Refuse::Denied),
            ..State::default()
        },
        "",
    )
    .await;
    let o = r.run(&["azure", "extensions", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        err(&o).contains("error: changing azure.extensions on PostgreSQL server lakehouse-pg was refused: user@contoso.com may not change server parameters of lakehouse-pg"),
        "{}",
        both(&o)
    );
    assert!(
        err(&o).contains(&format!("  fix: ask an Owner of the server for Contributor on it: az role assignment create --role Contributor --assignee user@contoso.com --scope {}\n", server_id())),
        "{}",
        both(&o)
    );

    // The MFA claims challenge: the Azure CLI's own login line, exactly.
    r.model.with(|s| s.refuse_config = Some(Refuse::Mfa));
    let o = r.run(&["azure", "extensions", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        err(&o).contains("multi-factor authentication"),
        "{}",
        both(&o)
    );
    let line = format!(
        "az logout && az login --tenant \"{SIGNED_IN_TENANT}\" --scope \"https://management.core.windows.net//.default\" --claims-challenge \"{CLAIMS}\""
    );
    assert!(
        err(&o).contains(&format!(
            "  fix: sign in again with MFA, then run this again: {line}\n"
        )),
        "{}",
        both(&o)
    );
    assert_eq!(r.model.with(|s| s.extensions.clone()), "");
}

#[tokio::test]
async fn extensions_on_a_stopped_server_say_start_it_and_write_nothing() {
    let r = rig(State::default(), "").await;
    let o = r
        .run(
            &["azure", "extensions", "--yes", "--server", "paused-pg"],
            &[],
        )
        .await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        err(&o).contains("server paused-pg is Stopped")
            && err(&o).contains(
                "az postgres flexible-server start --name paused-pg --resource-group testrg"
            ),
        "{}",
        both(&o)
    );
    assert!(r.writes().is_empty());
    // An unknown name names what was searched.
    let o = r
        .run(
            &["azure", "extensions", "--yes", "--server", "nope-pg"],
            &[],
        )
        .await;
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(
        err(&o).contains(
            "no PostgreSQL flexible server named nope-pg in the 1 subscription(s) you can see"
        ),
        "{}",
        both(&o)
    );
}

/// `verify --fix`: a real PostgreSQL 15 whose `azure.extensions` (set as Azure sets it) lacks
/// Lakekeeper's extensions; the postgres check fails naming the command, and `--fix --yes` runs
/// it for the server verify connected to — here 127.0.0.1, which is no Azure server, so nothing
/// is written even though the profile names one (`lakehouse-pg`, which the model has). The
/// command's own writes are proven above; this proves the target is the checked server.
#[tokio::test]
async fn verify_fix_runs_azure_extensions_for_what_the_postgres_check_found() {
    let Some(pg) = Cluster::start(Options::default()) else {
        return;
    };
    pg.sql("postgres", "CREATE ROLE app LOGIN PASSWORD 'fake-app-pass'");
    pg.sql("postgres", "CREATE DATABASE appdb OWNER app");
    pg.sql(
        "postgres",
        "ALTER DATABASE appdb SET azure.extensions = 'PG_TRGM,Vector'",
    );
    let r = rig(
        State {
            extensions: "PG_TRGM,Vector".into(),
            ..State::default()
        },
        "",
    )
    .await;
    let url = format!(
        "postgresql://app:fake-app-pass@127.0.0.1:{}/appdb?sslmode=disable",
        pg.port
    );
    r.project.write(
        "backend/.env",
        &format!(
            "LAKEKEEPER__PG_DATABASE_URL_READ={url}\nLAKEKEEPER__PG_DATABASE_URL_WRITE={url}\n"
        ),
    );
    // Without --fix: the check fails and names the command; nothing is written to Azure.
    let o = r.run(&["verify", "--only", "postgres"], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        out(&o)
            .contains("extensions missing from the Azure allow-list (azure.extensions): uuid-ossp"),
        "{}",
        both(&o)
    );
    assert!(
        out(&o)
            .contains("run `lakekeeper-setup azure extensions` or `lakekeeper-setup verify --fix`"),
        "{}",
        both(&o)
    );
    assert!(r.writes().is_empty(), "{:?}", r.writes());
    // --json --fix: the document stays whole; the fix is named, not run.
    let o = r
        .run(
            &["verify", "--only", "postgres", "--json", "--fix", "--yes"],
            &[],
        )
        .await;
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["ok"], false);
    assert!(
        err(&o).contains("fix: not with --json (its output would break the document): run `lakekeeper-setup azure extensions`"),
        "{}",
        both(&o)
    );
    assert!(r.writes().is_empty(), "{:?}", r.writes());
    // --fix --yes: the command runs for the host verify connected to, not the profile's.
    let o = r
        .run(&["verify", "--only", "postgres", "--fix", "--yes"], &[])
        .await;
    let all = both(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(
        err(&o).contains("fix: running `lakekeeper-setup azure extensions`"),
        "{all}"
    );
    assert!(
        err(&o).contains("the PostgreSQL host `127.0.0.1` is not an Azure server's host name"),
        "{all}"
    );
    assert!(
        err(&o).contains("fix: run `lakekeeper-setup verify` again to see the result"),
        "{all}"
    );
    assert_eq!(r.model.with(|s| s.extensions.clone()), "PG_TRGM,Vector");
    assert!(r.writes().is_empty(), "{:?}", r.writes());
    assert!(!all.contains("fake-app-pass"), "{all}");
}

/// An operation that ends `Failed` with `ServerBusy` (another change on the server) is sent
/// again; a subscription that cannot be listed does not hide the server in another.
#[tokio::test]
async fn extensions_resend_a_write_whose_operation_ended_busy_and_skip_an_unlisted_subscription() {
    let r = rig(
        State {
            extensions: "PG_TRGM".into(),
            mode: WriteMode::AsyncOperation(1),
            busy_at_end: 1,
            unregistered_subscription: true,
            ..State::default()
        },
        "",
    )
    .await;
    let o = r.run(&["azure", "extensions", "--yes"], &[]).await;
    let all = both(&o);
    assert_eq!(o.status.code(), Some(0), "{all}");
    assert!(
        err(&o)
            .contains("Azure is busy with another operation on it (ServerBusy); trying again in"),
        "{all}"
    );
    assert_eq!(
        r.model.with(|s| s.extensions.clone()),
        "PG_TRGM,UUID-OSSP,PGCRYPTO,BTREE_GIN,BTREE_GIST"
    );
    let patches = r.writes().iter().filter(|(m, _)| m == "PATCH").count();
    assert_eq!(patches, 2, "{:?}", r.writes());
    // The unregistered subscription was asked, and its refusal did not stop the search.
    assert!(
        r.stand.seen().iter().any(|s| s
            .path_and_query
            .starts_with(&format!("/subscriptions/{SUB_UNREGISTERED}/"))),
        "the first subscription was not listed"
    );
}

// ---------------------------------------------------------------- azure roles

#[tokio::test]
async fn roles_grants_what_is_missing_under_stable_names_and_a_rerun_grants_nothing() {
    let mut state = State::default();
    backend_sp(&mut state);
    let r = rig(state, "").await;
    let o = r.run(&["azure", "roles", "--yes"], &[]).await;
    let all = both(&o);
    assert_eq!(o.status.code(), Some(0), "{all}");
    assert!(
        out(&o).contains(&format!("Storage roles of the backend service account (app {BACKEND_APP}, service principal {BACKEND_SP}, lakekeeper-backend) on storage account sto1125:")),
        "{all}"
    );
    assert!(
        out(&o).contains("1. grant Storage Blob Data Contributor on storage account sto1125 (to read and write the warehouse's files)\n     needs: Owner, User Access Administrator or Role Based Access Control Administrator on storage account sto1125"),
        "{all}"
    );
    assert!(
        out(&o).contains("granted Storage Blob Delegator on storage account sto1125"),
        "{all}"
    );
    let account = account_id();
    let names: Vec<String> = [DATA_CONTRIBUTOR.guid, DELEGATOR.guid]
        .iter()
        .map(|role| assignment_name(&account, role, BACKEND_SP))
        .collect();
    assert_eq!(
        r.model.with(|s| s.assignments.clone()),
        [
            Assignment {
                scope: account.clone(),
                name: names[0].clone(),
                role: DATA_CONTRIBUTOR.guid.into(),
                principal: BACKEND_SP.into(),
            },
            Assignment {
                scope: account.clone(),
                name: names[1].clone(),
                role: DELEGATOR.guid.into(),
                principal: BACKEND_SP.into(),
            },
        ]
    );
    let puts: Vec<_> = r
        .stand
        .seen()
        .into_iter()
        .filter(|s| s.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 2);
    assert_eq!(
        puts[0].path_and_query,
        format!(
            "{account}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
            names[0]
        )
    );
    assert_eq!(
        puts[1].json(),
        serde_json::json!({"properties": {
            "roleDefinitionId": format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{}", DELEGATOR.guid),
            "principalId": BACKEND_SP,
            "principalType": "ServicePrincipal",
        }})
    );
    // Graph was asked for the service principal with the Graph token.
    let graph_token = token_for(&format!("{}/graph", r.stand.base));
    assert!(r.stand.seen().iter().any(|s| s.path_and_query
        == format!(
            "/graph/v1.0/servicePrincipals(appId='{BACKEND_APP}')?$select=id,appId,displayName"
        )
        && s.bearer.as_deref() == Some(graph_token.as_str())));

    let again = r.run(&["azure", "roles", "--yes"], &[]).await;
    assert_eq!(again.status.code(), Some(0), "{}", both(&again));
    assert!(
        out(&again).contains(&format!(
            "exists:  Storage Blob Data Contributor at {account}"
        )) && out(&again).contains("It holds every role the warehouse needs."),
        "{}",
        both(&again)
    );
    assert_eq!(r.writes().len(), 2);
}

#[tokio::test]
async fn roles_held_at_a_higher_scope_count_and_nothing_is_granted() {
    let mut state = State::default();
    backend_sp(&mut state);
    let group = format!("/subscriptions/{SUB}/resourceGroups/res2627");
    let sub = format!("/subscriptions/{SUB}");
    state.assignments = vec![
        Assignment {
            scope: group.clone(),
            name: "0f0f0f0f-0000-4000-8000-000000000001".into(),
            role: DATA_CONTRIBUTOR.guid.into(),
            principal: BACKEND_SP.into(),
        },
        Assignment {
            scope: sub.clone(),
            name: "0f0f0f0f-0000-4000-8000-000000000002".into(),
            role: DELEGATOR.guid.into(),
            principal: BACKEND_SP.into(),
        },
    ];
    let r = rig(state, "").await;
    let o = r.run(&["azure", "roles", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(
        out(&o).contains(&format!(
            "exists:  Storage Blob Data Contributor at {group}"
        )) && out(&o).contains(&format!("exists:  Storage Blob Delegator at {sub}"))
            && out(&o).contains("nothing to change"),
        "{}",
        both(&o)
    );
    assert!(r.writes().is_empty());
}

#[tokio::test]
async fn roles_an_assignment_that_exists_already_counts_as_done() {
    let mut state = State::default();
    backend_sp(&mut state);
    // A teammate granted both a moment ago; the list does not show them yet.
    for (i, role) in [DATA_CONTRIBUTOR.guid, DELEGATOR.guid].iter().enumerate() {
        state.assignments.push(Assignment {
            scope: account_id(),
            name: format!("0f0f0f0f-0000-4000-8000-00000000000{i}"),
            role: (*role).into(),
            principal: BACKEND_SP.into(),
        });
    }
    state.list_hides_assignments = true;
    let r = rig(state, "").await;
    let o = r.run(&["azure", "roles", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(
        out(&o).contains("Storage Blob Data Contributor on storage account sto1125: already assigned (Azure: RoleAssignmentExists)")
            && out(&o).contains("Storage Blob Delegator on storage account sto1125: already assigned"),
        "{}",
        both(&o)
    );
    assert_eq!(r.writes().len(), 2);
    assert_eq!(r.model.with(|s| s.assignments.len()), 2);
}

#[tokio::test]
async fn roles_refusals_name_the_owner_command_and_the_mfa_line() {
    let mut state = State::default();
    backend_sp(&mut state);
    state.refuse_roles = Some(Refuse::Denied);
    let r = rig(state, "").await;
    let o = r.run(&["azure", "roles", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        err(&o).contains("error: granting Storage Blob Data Contributor on storage account sto1125 was refused: user@contoso.com may not grant roles on storage account sto1125 (that needs Owner, User Access Administrator or Role Based Access Control Administrator)"),
        "{}",
        both(&o)
    );
    assert!(
        err(&o).contains(&format!("  fix: ask an Owner of sto1125 to run: az role assignment create --role \"Storage Blob Data Contributor\" --assignee-object-id {BACKEND_SP} --assignee-principal-type ServicePrincipal --scope {}\n", account_id())),
        "{}",
        both(&o)
    );
    // It stopped at the first refusal.
    assert_eq!(r.writes().len(), 1);

    r.model.with(|s| s.refuse_roles = Some(Refuse::Mfa));
    let o = r.run(&["azure", "roles", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        err(&o).contains(&format!("az logout && az login --tenant \"{SIGNED_IN_TENANT}\" --scope \"https://management.core.windows.net//.default\" --claims-challenge \"{CLAIMS}\"")),
        "{}",
        both(&o)
    );
    assert!(r.model.with(|s| s.assignments.is_empty()));
}

#[tokio::test]
async fn roles_belong_to_a_separate_warehouse_app_and_shared_key_needs_none() {
    let mut state = State::default();
    backend_sp(&mut state);
    state
        .service_principals
        .insert(STORAGE_APP.into(), STORAGE_SP.into());
    let r = rig(
        state,
        &format!("credential = \"client-credentials\"\nclient_id = \"{STORAGE_APP}\"\n"),
    )
    .await;
    let o = r.run(&["azure", "roles", "--dry-run"], &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(
        out(&o).contains(&format!(
            "Storage roles of the warehouse app (app {STORAGE_APP}, service principal {STORAGE_SP}"
        )),
        "{}",
        both(&o)
    );
    assert!(
        out(&o).contains(&format!("\"principalId\": \"{STORAGE_SP}\"")),
        "{}",
        both(&o)
    );
    assert!(r.writes().is_empty());

    let shared = rig(State::default(), "credential = \"shared-key\"\n").await;
    let o = shared.run(&["azure", "roles", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(out(&o).contains("it needs no role"), "{}", both(&o));
    assert!(shared.stand.seen().is_empty());

    // An app without a service principal: the fix creates it.
    let lonely = rig(State::default(), "").await;
    let o = lonely.run(&["azure", "roles", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        err(&o).contains(&format!("az ad sp create --id {BACKEND_APP}")),
        "{}",
        both(&o)
    );
}

// ---------------------------------------------------------------- azure store-secrets

/// No 12-character piece of any secret value in `hay`.
fn assert_clean(what: &str, hay: &str) {
    for s in [CLIENT, PG, PG_OLD, ENC] {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(12) {
            let piece: String = w.iter().collect();
            assert!(!hay.contains(&piece), "{what} leaks {piece:?}:\n{hay}");
        }
    }
}

async fn secrets_rig(state: State) -> Rig {
    let r = rig(state, "").await;
    r.project.write(
        "backend/.env",
        &format!("LAKEKEEPER__OAUTH2__CLIENT_SECRET={CLIENT}\nPOSTGRES_PASSWORD='{PG}'\n"),
    );
    r
}

#[tokio::test]
async fn store_secrets_puts_only_missing_or_changed_values_and_they_reach_only_the_vault() {
    let mut state = State::default();
    state
        .vault
        .insert("lakekeeper-backend-client-secret".into(), CLIENT.into());
    state
        .vault
        .insert("lakekeeper-postgres-password".into(), PG_OLD.into());
    let r = secrets_rig(state).await;
    let o = r
        .run(
            &["azure", "store-secrets", "--yes"],
            &[("LAKEKEEPER__PG_ENCRYPTION_KEY", ENC)],
        )
        .await;
    let all = both(&o);
    assert_eq!(o.status.code(), Some(0), "{all}");
    assert!(
        out(&o).contains("exists:  lakekeeper-backend-client-secret: LAKEKEEPER__OAUTH2__CLIENT_SECRET ••••1b0a from backend/.env is already in team-dev-kv (unchanged)"),
        "{all}"
    );
    assert!(
        out(&o).contains("exists:  adls-account-key: skipped — AZURE_STORAGE_ACCOUNT_KEY is set neither in the environment nor in backend/.env"),
        "{all}"
    );
    assert!(
        out(&o).contains("store POSTGRES_PASSWORD ••••4d5e from backend/.env as a new version of secret lakekeeper-postgres-password in Key Vault team-dev-kv (differs from the vault's"),
        "{all}"
    );
    assert!(
        out(&o).contains("store LAKEKEEPER__PG_ENCRYPTION_KEY ••••ccdd from the environment as secret lakekeeper-encryption-key in Key Vault team-dev-kv (missing there)"),
        "{all}"
    );
    assert!(
        out(&o).contains("needs: Key Vault Secrets Officer on vault team-dev-kv"),
        "{all}"
    );
    assert!(
        out(&o).contains("stored lakekeeper-encryption-key"),
        "{all}"
    );
    // Only the two changed secrets were written, with the Key Vault token.
    assert_eq!(
        r.writes(),
        [
            (
                "PUT".to_owned(),
                format!("/{VAULT}/secrets/lakekeeper-postgres-password?api-version=7.5")
            ),
            (
                "PUT".to_owned(),
                format!("/{VAULT}/secrets/lakekeeper-encryption-key?api-version=7.5")
            ),
        ]
    );
    let vault_token = token_for("https://vault.azure.net");
    assert!(
        r.stand
            .seen()
            .iter()
            .filter(|s| s.method == "PUT")
            .all(|s| s.bearer.as_deref() == Some(vault_token.as_str())
                && s.json()["tags"]["managed-by"] == "lakekeeper-setup")
    );
    let vault = r.model.with(|s| s.vault.clone());
    assert_eq!(vault["lakekeeper-postgres-password"], PG);
    assert_eq!(vault["lakekeeper-encryption-key"], ENC);
    assert_eq!(vault["lakekeeper-backend-client-secret"], CLIENT);
    assert_eq!(vault.len(), 3);
    // The values are in the vault model and nowhere else.
    assert_clean("output", &all);
    assert_clean("az argv", &r.fake.argv().join("\n"));
    assert_clean("the profile", &r.project.read("lakekeeper-setup.toml"));

    // Run again: nothing differs.
    let again = r
        .run(
            &["azure", "store-secrets", "--yes"],
            &[("LAKEKEEPER__PG_ENCRYPTION_KEY", ENC)],
        )
        .await;
    assert_eq!(again.status.code(), Some(0), "{}", both(&again));
    assert!(
        out(&again).contains("The vault holds every value already."),
        "{}",
        both(&again)
    );
    assert_eq!(r.writes().len(), 2);
}

#[tokio::test]
async fn store_secrets_dry_run_masks_the_values_and_writes_nothing() {
    let r = secrets_rig(State::default()).await;
    let o = r.run(&["azure", "store-secrets", "--dry-run"], &[]).await;
    let all = both(&o);
    assert_eq!(o.status.code(), Some(0), "{all}");
    assert!(
        out(&o).contains(&format!(
            "PUT {}/{VAULT}/secrets/lakekeeper-backend-client-secret?api-version=7.5",
            r.stand.base
        )),
        "{all}"
    );
    assert!(out(&o).contains("\"value\": \"••••1b0a\""), "{all}");
    assert_clean("dry-run output", &all);
    assert!(r.stand.seen().iter().all(|s| s.method == "GET"));
    assert!(r.model.with(|s| s.vault.is_empty()));
}

#[tokio::test]
async fn store_secrets_refusals_name_the_role_or_the_policy() {
    let r = secrets_rig(State {
        refuse_vault_writes: Some(Refuse::Denied),
        ..State::default()
    })
    .await;
    let o = r.run(&["azure", "store-secrets", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        err(&o).contains("error: storing secret lakekeeper-backend-client-secret in Key Vault team-dev-kv was refused: user@contoso.com may not write secrets in vault team-dev-kv"),
        "{}",
        both(&o)
    );
    assert!(
        err(&o).contains("  fix: ask its owner: az role assignment create --role \"Key Vault Secrets Officer\" --assignee user@contoso.com --scope <the vault's resource ID>"),
        "{}",
        both(&o)
    );
    r.model
        .with(|s| s.refuse_vault_writes = Some(Refuse::AccessPolicy));
    let o = r.run(&["azure", "store-secrets", "--yes"], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(
        err(&o).contains("  fix: ask its owner: az keyvault set-policy --name team-dev-kv --upn user@contoso.com --secret-permissions get list set"),
        "{}",
        both(&o)
    );
    assert_clean("refusal output", &both(&o));
    assert!(r.model.with(|s| s.vault.is_empty()));

    // Without a [secrets] table there is nothing to publish to.
    let bare = Project::empty();
    bare.write(
        "lakekeeper-setup.toml",
        "[entra]\ntenant = \"contoso.onmicrosoft.com\"\n",
    );
    let mut c = bare.cmd();
    c.args(["azure", "store-secrets", "--yes"])
        .env("PATH", r.fake.path_var());
    let o = tokio::task::spawn_blocking(move || c.output().expect("run"))
        .await
        .expect("join");
    assert_eq!(o.status.code(), Some(2), "{}", both(&o));
    assert!(
        err(&o).contains("names no Key Vault: add a [secrets] table"),
        "{}",
        both(&o)
    );
}

// ---------------------------------------------------------------- ARM writes, through the library

#[tokio::test]
async fn an_operation_link_to_another_host_is_not_followed_and_a_failed_operation_says_so() {
    use lakekeeper_setup::azure::az::Az;
    use lakekeeper_setup::azure::{Session, arm};
    use support::azure::Reply;

    let stand = StandIn::start().await;
    let fake = FakeAz::new(&stand.base, AzMode::SignedIn);
    let timeout = std::time::Duration::from_secs(20);
    let az = Az::new(Some(fake.path()), timeout, None).expect("az");
    let session = Session::start(az, timeout).await.expect("session");
    let config = format!("{}/configurations/azure.extensions", server_id());
    // 1: the poll link points elsewhere (another loopback origin): refused, never requested.
    stand.on(
        &config,
        Reply::WithHeaders(
            202,
            vec![(
                "Azure-AsyncOperation".into(),
                "http://127.0.0.2:9/op?api-version=2024-08-01".into(),
            )],
            String::new(),
        ),
    );
    // 2: the operation fails the way ARM reports it (pulumi/pulumi-azure-native#898).
    let op = format!(
        "/subscriptions/{SUB}/providers/Microsoft.DBforPostgreSQL/locations/eastus/azureAsyncOperation/op1"
    );
    stand.on(
        &config,
        Reply::WithHeaders(
            202,
            vec![
                (
                    "Azure-AsyncOperation".into(),
                    format!("{}{op}?api-version=2024-08-01", stand.base),
                ),
                ("Retry-After".into(), "0".into()),
            ],
            String::new(),
        ),
    );
    stand.on(
        &op,
        Reply::WithHeaders(
            200,
            vec![("Retry-After".into(), "0".into())],
            serde_json::json!({"name": "op1", "status": "InProgress"}).to_string(),
        ),
    );
    stand.on(
        &op,
        Reply::Json(
            200,
            serde_json::json!({"name": "op1", "status": "Failed", "error": {"code": "OperationFailed", "message": "{0}"}}).to_string(),
        ),
    );
    let quiet = |_: &str| {};
    let e = arm::update_configuration(
        &session,
        &server_id(),
        "azure.extensions",
        "UUID-OSSP",
        &quiet,
    )
    .await
    .expect_err("foreign link");
    assert!(
        e.to_string().contains(
            "operation link to another host (http://127.0.0.2:9); not following it with your token"
        ),
        "{e}"
    );
    let e = arm::update_configuration(
        &session,
        &server_id(),
        "azure.extensions",
        "UUID-OSSP",
        &quiet,
    )
    .await
    .expect_err("failed operation");
    assert!(e.to_string().contains("OperationFailed"), "{e}");
    let polls = stand
        .seen()
        .iter()
        .filter(|s| s.path_and_query.starts_with(&op))
        .count();
    assert_eq!(polls, 2);
}
