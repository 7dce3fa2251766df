//! `azure rotate-secret`'s plan: which client secret of the backend app is replaced, and the
//! steps still to do. Pure (no I/O): the caller reads the app from Graph and the secret from its
//! home, and runs the steps.
//!
//! The order keeps the old secret working until the new one is proved: `addPassword` (the value
//! straight to the vault, else `backend/.env`), `apply`, a real token request with the new
//! secret, the warehouse's stored credential, and only then `removePassword` of the old one.
//!
//! Resuming needs no state file: the new credential is named after the one it replaces and the
//! person who added it (`lakekeeper-setup (replaces 1a2b3c4d by alice@contoso.com)`, the old key
//! ID's first eight characters and the Azure CLI's signed-in user), so a re-run reads from Graph
//! and the secret's home how far the last run got. A credential this person's run added that
//! nobody holds (an `addPassword` whose answer was lost) is removed before a new one is added, so
//! no secret is left that nobody holds. One another person's rotation added is theirs — without
//! a team vault it lives only in their `backend/.env`, so "not in my home" does not mean
//! "nobody holds it" — and is left alone.

use super::bootstrap::{self, PASSWORD_NAME, SecretHome};
use super::change::{Change, Request};
use super::graph::{self, AppRecord, Password};
use super::keyvault;

/// The new credential's display name: it names the one it replaces and `by`, who adds it (the
/// Azure CLI's signed-in user; empty when unknown).
pub fn display_name(old: Option<&Password>, by: &str) -> String {
    match (old, by.trim()) {
        (Some(p), "") => format!("{PASSWORD_NAME} (replaces {})", short(&p.key_id)),
        (Some(p), by) => format!("{PASSWORD_NAME} (replaces {} by {by})", short(&p.key_id)),
        (None, _) => PASSWORD_NAME.to_owned(),
    }
}

fn short(key_id: &str) -> &str {
    key_id.get(..8).unwrap_or(key_id)
}

/// Whether `new` was added by a rotation of `old` (anyone's).
fn replaces(new: &Password, old: &Password) -> bool {
    let named = format!("{PASSWORD_NAME} (replaces {}", short(&old.key_id));
    new.key_id != old.key_id
        && new
            .display_name
            .strip_prefix(&named)
            .is_some_and(|rest| rest == ")" || rest.starts_with(" by ") && rest.ends_with(')'))
}

/// Whether `new`, a rotation of `old`, was added by `by` (a name without its adder counts as
/// anyone's own).
fn added_by(new: &Password, old: &Password, by: &str) -> bool {
    new.display_name == display_name(Some(old), by)
        || new.display_name == display_name(Some(old), "")
}

/// The credential `value` is (Graph's hint, the same matching bootstrap uses); of several, the
/// one that lasts longest. Expired ones count: an expired secret is still the one to replace.
pub fn credential_of<'a>(app: &'a AppRecord, value: Option<&str>) -> Option<&'a Password> {
    let value = value.filter(|v| !v.is_empty())?;
    bootstrap::credentials_of(app, value)
        .into_iter()
        .max_by(|a, b| a.end.cmp(&b.end))
}

/// What the secret's home (and, with a vault, `.env`) hold, as credentials of the app.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub app: AppRecord,
    pub home: SecretHome,
    /// The credential the home's secret is.
    pub in_home: Option<Password>,
    /// With a vault home: the credential `.env`'s secret is (a new one an earlier run kept there
    /// when the vault refused it).
    pub in_env: Option<Password>,
    /// Who runs this rotation (the Azure CLI's signed-in user): new credentials carry it.
    pub by: String,
}

/// How far an earlier run got.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Nothing done: `old` (the home's credential, if any) is replaced; `unheld` are
    /// credentials an interrupted run of this person's added for it that nobody holds; `others`
    /// are ones another person's rotation added for it (theirs: left alone).
    Start {
        old: Option<Password>,
        unheld: Vec<Password>,
        others: Vec<Password>,
    },
    /// The new secret was added but waits in `.env` for the vault.
    InEnv { new: Password, old: Password },
    /// The new secret is in its home; `old` is still listed.
    Stored { new: Password, old: Password },
}

impl Stage {
    /// The new credential an earlier run added, if any.
    pub fn added(&self) -> Option<&Password> {
        match self {
            Stage::Start { .. } => None,
            Stage::InEnv { new, .. } | Stage::Stored { new, .. } => Some(new),
        }
    }
}

/// Reads the stage from what was found.
pub fn stage(f: &Found) -> Stage {
    let listed = |p: &Password| f.app.passwords.iter().any(|x| x.key_id == p.key_id);
    let replaced = |new: &Password| {
        f.app
            .passwords
            .iter()
            .find(|old| replaces(new, old))
            .cloned()
    };
    if matches!(f.home, SecretHome::Vault { .. })
        && let Some(new) = &f.in_env
        && f.in_home.as_ref().is_none_or(|h| h.key_id != new.key_id)
        && let Some(old) = replaced(new)
    {
        return Stage::InEnv {
            new: new.clone(),
            old,
        };
    }
    if let Some(new) = &f.in_home
        && let Some(old) = replaced(new)
        && listed(&old)
    {
        return Stage::Stored {
            new: new.clone(),
            old,
        };
    }
    // A vault that holds no current secret replaces the one `.env` holds, if any.
    let old = f.in_home.clone().or_else(|| f.in_env.clone());
    let (unheld, others) = old
        .as_ref()
        .map(|o| {
            f.app
                .passwords
                .iter()
                .filter(|p| {
                    replaces(p, o) && f.in_env.as_ref().is_none_or(|e| e.key_id != p.key_id)
                })
                .cloned()
                .partition(|p| added_by(p, o, &f.by))
        })
        .unwrap_or_default();
    Stage::Start {
        old,
        unheld,
        others,
    }
}

/// One step of the rotation.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `removePassword` of a credential an interrupted run added that nobody holds.
    RemoveUnheld(Password),
    /// `addPassword` (named after `replaces`), the value straight to the secret's home.
    AddSecret { replaces: Option<Password> },
    /// The new secret kept in `.env` into the vault.
    CopyToVault,
    /// `lakekeeper-setup apply`: `backend/.env` from the profile and the vault.
    Apply,
    /// A token request with the new secret (verify's token check).
    CheckToken,
    /// The warehouse's stored credential set to the new secret.
    UpdateWarehouse,
    /// `removePassword` of the old credential, after a second confirmation.
    RemoveOld(Password),
}

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Leave the old secret until it expires.
    pub keep_old: bool,
    /// The warehouse signs storage requests with this app's secret.
    pub warehouse_uses_it: bool,
}

/// The steps still to do, in order.
pub fn plan(stage: &Stage, opts: Options) -> Vec<Step> {
    let mut steps = Vec::new();
    let old = match stage {
        Stage::Start { old, unheld, .. } => {
            steps.extend(unheld.iter().cloned().map(Step::RemoveUnheld));
            steps.push(Step::AddSecret {
                replaces: old.clone(),
            });
            old.clone()
        }
        Stage::InEnv { old, .. } => {
            steps.push(Step::CopyToVault);
            Some(old.clone())
        }
        Stage::Stored { old, .. } => Some(old.clone()),
    };
    steps.extend([Step::Apply, Step::CheckToken]);
    if opts.warehouse_uses_it {
        steps.push(Step::UpdateWarehouse);
    }
    if let Some(old) = old.filter(|_| !opts.keep_old) {
        steps.push(Step::RemoveOld(old));
    }
    steps
}

fn date(end: &str) -> &str {
    end.get(..10)
        .unwrap_or(if end.is_empty() { "no end date" } else { end })
}

/// A credential as the plan names it: its display name, key ID and end date (never its hint).
pub fn describe(p: &Password) -> String {
    format!(
        "`{}` (key ID {}…, valid until {})",
        p.display_name,
        short(&p.key_id),
        date(&p.end)
    )
}

const OWNER: &str = "owner of the app registration, or the Application Administrator role";

fn home_text(home: &SecretHome) -> String {
    match home {
        SecretHome::Vault { vault, name } => {
            format!(
                "Key Vault {} as a new version of {}",
                vault.name(),
                name.as_str()
            )
        }
        SecretHome::EnvFile { label } => label.clone(),
    }
}

/// The plan's and the dry run's view of one step.
pub fn change(
    step: &Step,
    f: &Found,
    graph_base: &str,
    end: &str,
    lakekeeper: &str,
    warehouse: &str,
) -> Change {
    let app = &f.app;
    let app_url = format!("{graph_base}{}", graph::object_path(&app.object_id));
    let remove = |p: &Password| Request {
        method: "POST",
        url: format!("{app_url}/removePassword"),
        body: Some(serde_json::json!({"keyId": p.key_id})),
    };
    let vault_put = || match &f.home {
        SecretHome::Vault { vault, name } => vec![Request {
            method: "PUT",
            url: keyvault::set_secret_url(vault, name),
            body: Some(keyvault::set_secret_body("<the new secret>")),
        }],
        SecretHome::EnvFile { .. } => Vec::new(),
    };
    let vault_right = match &f.home {
        SecretHome::Vault { vault, .. } => {
            format!("; Key Vault Secrets Officer on {}", vault.name())
        }
        SecretHome::EnvFile { .. } => String::new(),
    };
    match step {
        Step::RemoveUnheld(p) => Change {
            what: format!(
                "remove {} from {}: an interrupted run added it and nobody holds it",
                describe(p),
                app.name
            ),
            needs: OWNER.into(),
            requests: vec![remove(p)],
        },
        Step::AddSecret { replaces } => {
            let mut requests = vec![Request {
                method: "POST",
                url: format!("{app_url}/addPassword"),
                body: Some(bootstrap::password_body_named(
                    &display_name(replaces.as_ref(), &f.by),
                    end,
                )),
            }];
            requests.extend(vault_put());
            Change {
                what: format!(
                    "add a new client secret to {} valid until {} (named `{}`); its value goes straight to {}, never to the screen",
                    app.name,
                    date(end),
                    display_name(replaces.as_ref(), &f.by),
                    home_text(&f.home)
                ),
                needs: format!("{OWNER}{vault_right}"),
                requests,
            }
        }
        Step::CopyToVault => Change {
            what: format!(
                "put the new client secret an earlier run kept in backend/.env into {}",
                home_text(&f.home)
            ),
            needs: vault_right.trim_start_matches("; ").to_owned(),
            requests: vault_put(),
        },
        Step::Apply => Change {
            what: "write backend/.env with the new secret (`lakekeeper-setup apply`)".into(),
            needs: match &f.home {
                SecretHome::Vault { vault, .. } => {
                    format!("Key Vault Secrets User on {}", vault.name())
                }
                SecretHome::EnvFile { .. } => "write access to backend/.env".into(),
            },
            requests: Vec::new(),
        },
        Step::CheckToken => Change {
            what: "ask Entra ID for a token with the new secret (verify's token check)".into(),
            needs: "nothing more".into(),
            requests: Vec::new(),
        },
        Step::UpdateWarehouse => Change {
            what: format!(
                "give warehouse `{warehouse}` the new secret as its storage credential in Lakekeeper"
            ),
            needs: "Lakekeeper running; the backend's service account may update the warehouse's storage (it may when it bootstrapped Lakekeeper)".into(),
            requests: vec![Request {
                method: "POST",
                url: format!(
                    "{}/management/v1/warehouse/<id of {warehouse}>/storage-credential",
                    lakekeeper.trim_end_matches('/')
                ),
                body: Some(serde_json::json!({"new-storage-credential": {
                    "type": "az", "credential-type": "client-credentials",
                    "client-id": app.app_id.as_str(), "client-secret": "<the new secret>",
                    "tenant-id": "<the tenant>"}})),
            }],
        },
        Step::RemoveOld(p) => Change {
            what: format!(
                "remove the old client secret {} from {} (asked again first)",
                describe(p),
                app.name
            ),
            needs: OWNER.into(),
            requests: vec![remove(p)],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::keyvault::{SecretName, VaultUrl};
    use crate::model::ClientId;

    fn pw(key: &str, name: &str, hint: &str) -> Password {
        Password {
            key_id: key.into(),
            display_name: name.into(),
            hint: hint.into(),
            end: "2027-06-01T00:00:00Z".into(),
        }
    }

    const OLD: &str = "0f0f0f0f-0000-4000-8000-000000000001";
    const NEW: &str = "1e1e1e1e-0000-4000-8000-000000000002";

    fn found(passwords: Vec<Password>, in_home: Option<&str>, in_env: Option<&str>) -> Found {
        let app = AppRecord {
            object_id: "0b000002-0000-4000-8000-000000000002".into(),
            app_id: ClientId("a0000002-0000-4000-8000-000000000002".into()),
            name: "lakekeeper-backend".into(),
            unique_name: None,
            identifier_uris: Vec::new(),
            api: serde_json::Value::Null,
            app_roles: serde_json::Value::Null,
            spa_redirects: Vec::new(),
            passwords,
        };
        let by_key =
            |k: Option<&str>| k.and_then(|k| app.passwords.iter().find(|p| p.key_id == k).cloned());
        Found {
            in_home: by_key(in_home),
            in_env: by_key(in_env),
            app,
            by: "alice@contoso.example".into(),
            home: SecretHome::Vault {
                vault: VaultUrl::parse("https://team-dev-kv.vault.azure.net").expect("vault"),
                name: SecretName::parse("lakekeeper-backend-client-secret").expect("name"),
            },
        }
    }

    const BOTH: Options = Options {
        keep_old: false,
        warehouse_uses_it: true,
    };

    #[test]
    fn a_fresh_rotation_adds_proves_updates_then_removes_the_old() {
        let old = pw(OLD, "lakekeeper-setup", "S01");
        let f = found(vec![old.clone()], Some(OLD), None);
        assert_eq!(
            plan(&stage(&f), BOTH),
            [
                Step::AddSecret {
                    replaces: Some(old.clone())
                },
                Step::Apply,
                Step::CheckToken,
                Step::UpdateWarehouse,
                Step::RemoveOld(old.clone())
            ]
        );
        assert_eq!(
            display_name(Some(&old), "alice@contoso.example"),
            "lakekeeper-setup (replaces 0f0f0f0f by alice@contoso.example)"
        );
        assert_eq!(
            display_name(Some(&old), ""),
            "lakekeeper-setup (replaces 0f0f0f0f)"
        );
        let keep = Options {
            keep_old: true,
            warehouse_uses_it: false,
        };
        assert_eq!(
            plan(&stage(&f), keep),
            [
                Step::AddSecret {
                    replaces: Some(old)
                },
                Step::Apply,
                Step::CheckToken
            ]
        );
    }

    #[test]
    fn a_re_run_resumes_from_what_graph_and_the_home_hold() {
        let old = pw(OLD, "lakekeeper-setup", "S01");
        let new = pw(
            NEW,
            "lakekeeper-setup (replaces 0f0f0f0f by alice@contoso.example)",
            "S02",
        );
        // Stopped after the vault write: resume with apply, the token, the warehouse, removal.
        let stored = found(vec![old.clone(), new.clone()], Some(NEW), None);
        assert_eq!(
            stage(&stored),
            Stage::Stored {
                new: new.clone(),
                old: old.clone()
            }
        );
        assert_eq!(
            plan(&stage(&stored), BOTH),
            [
                Step::Apply,
                Step::CheckToken,
                Step::UpdateWarehouse,
                Step::RemoveOld(old.clone())
            ]
        );
        // The vault refused: the new secret waits in .env.
        let in_env = found(vec![old.clone(), new.clone()], Some(OLD), Some(NEW));
        assert_eq!(plan(&stage(&in_env), BOTH)[0], Step::CopyToVault);
        // addPassword's answer was lost: nobody holds the new one; it goes, a fresh one comes.
        let lost = found(vec![old.clone(), new.clone()], Some(OLD), None);
        assert_eq!(
            plan(&stage(&lost), BOTH)[..2],
            [
                Step::RemoveUnheld(new.clone()),
                Step::AddSecret {
                    replaces: Some(old.clone())
                }
            ]
        );
        // Finished (the old one removed): a run rotates again, replacing the new one.
        let done = found(vec![new.clone()], Some(NEW), None);
        assert_eq!(
            plan(&stage(&done), BOTH)[0],
            Step::AddSecret {
                replaces: Some(new)
            }
        );
    }

    #[test]
    fn an_empty_vault_replaces_the_secret_env_holds() {
        let old = pw(OLD, "lakekeeper-setup", "S01");
        let f = found(vec![old.clone()], None, Some(OLD));
        assert_eq!(
            plan(&stage(&f), BOTH),
            [
                Step::AddSecret {
                    replaces: Some(old.clone())
                },
                Step::Apply,
                Step::CheckToken,
                Step::UpdateWarehouse,
                Step::RemoveOld(old)
            ]
        );
    }

    #[test]
    fn a_teammate_s_own_secret_is_neither_replaced_nor_removed() {
        let mine = pw(OLD, "lakekeeper-setup", "S01");
        let theirs = pw(NEW, "lakekeeper-setup", "S02");
        let f = found(vec![mine.clone(), theirs], Some(OLD), None);
        assert_eq!(
            plan(&stage(&f), BOTH),
            [
                Step::AddSecret {
                    replaces: Some(mine.clone())
                },
                Step::Apply,
                Step::CheckToken,
                Step::UpdateWarehouse,
                Step::RemoveOld(mine)
            ]
        );
    }

    /// Without a team vault, a rotation another person started lives only in their `.env`: "not
    /// in my home" is no proof that nobody holds it. Only this person's own unheld one (or an
    /// older one named without its adder) is removed.
    #[test]
    fn another_person_s_rotation_is_never_taken_for_a_secret_nobody_holds() {
        let old = pw(OLD, "lakekeeper-setup", "S01");
        let theirs = pw(
            NEW,
            "lakekeeper-setup (replaces 0f0f0f0f by bob@contoso.example)",
            "S02",
        );
        let mine = pw(
            "2d2d2d2d-0000-4000-8000-000000000003",
            "lakekeeper-setup (replaces 0f0f0f0f by alice@contoso.example)",
            "S03",
        );
        let unnamed = pw(
            "3c3c3c3c-0000-4000-8000-000000000004",
            "lakekeeper-setup (replaces 0f0f0f0f)",
            "S04",
        );
        let mut f = found(
            vec![old.clone(), theirs.clone(), mine.clone(), unnamed.clone()],
            Some(OLD),
            None,
        );
        f.home = SecretHome::EnvFile {
            label: "backend/.env".into(),
        };
        assert_eq!(
            stage(&f),
            Stage::Start {
                old: Some(old.clone()),
                unheld: vec![mine.clone(), unnamed.clone()],
                others: vec![theirs.clone()],
            }
        );
        let steps = plan(&stage(&f), BOTH);
        assert_eq!(
            steps[..3],
            [
                Step::RemoveUnheld(mine),
                Step::RemoveUnheld(unnamed),
                Step::AddSecret {
                    replaces: Some(old)
                }
            ]
        );
        assert!(!steps.contains(&Step::RemoveUnheld(theirs.clone())));
        // Holding theirs (passed on by hand): this run finishes their rotation.
        let mut held = f.clone();
        held.in_home = Some(theirs.clone());
        assert!(matches!(stage(&held), Stage::Stored { new, .. } if new == theirs));
    }

    #[test]
    fn the_plan_masks_the_secret_and_names_each_right() {
        let old = pw(OLD, "lakekeeper-setup", "S01");
        let f = found(vec![old.clone()], Some(OLD), None);
        let c = change(
            &Step::AddSecret {
                replaces: Some(old.clone()),
            },
            &f,
            "https://graph.microsoft.com/v1.0",
            "2027-12-07T10:00:00Z",
            "http://localhost:8181",
            "analytics",
        );
        assert_eq!(
            c.what,
            "add a new client secret to lakekeeper-backend valid until 2027-12-07 (named `lakekeeper-setup (replaces 0f0f0f0f by alice@contoso.example)`); its value goes straight to Key Vault team-dev-kv as a new version of lakekeeper-backend-client-secret, never to the screen"
        );
        assert!(
            c.needs
                .ends_with("Key Vault Secrets Officer on team-dev-kv"),
            "{}",
            c.needs
        );
        assert_eq!(
            c.requests[0].url,
            "https://graph.microsoft.com/v1.0/applications/0b000002-0000-4000-8000-000000000002/addPassword"
        );
        let r = change(&Step::RemoveOld(old), &f, "G", "", "L", "analytics");
        assert_eq!(r.requests[0].body, Some(serde_json::json!({"keyId": OLD})));
        assert!(
            r.what.contains("valid until 2027-06-01") && !r.what.contains("S01"),
            "{}",
            r.what
        );
    }
}
