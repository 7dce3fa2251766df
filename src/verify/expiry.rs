//! `client-secret` (and, with a separate warehouse app, `storage-client-secret`): how long the
//! client secret in `.env` has left. The app's `passwordCredentials` are read from Microsoft
//! Graph with the user's own `az login`; the secret in use is found among them by Graph's hint
//! (the same matching `azure bootstrap` uses, [`bootstrap::credentials_of`]). Warns at
//! [`WARN_DAYS`] or fewer, fails once expired or when it is none of the app's secrets.
//!
//! [`judge`] and [`result`] are pure (the clock is a parameter); [`check`] does the Graph read.
//! Nothing here ever holds more of a secret than the comparison needs, and no result names it.

use std::time::SystemTime;

use super::{CheckResult, Status};
use crate::azure::bootstrap;
use crate::azure::graph::{self, AppRecord};
use crate::azure::{CallError, Session};
use crate::clock;
use crate::keys;
use crate::model::ClientId;

/// A secret with this many days left, or fewer, is a warning.
pub const WARN_DAYS: i64 = 30;

/// The command that replaces the backend's client secret.
pub const ROTATE: &str = "lakekeeper-setup azure rotate-secret";

/// Which client secret a result is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Which {
    /// The result's name.
    pub check: &'static str,
    pub id_key: &'static str,
    pub secret_key: &'static str,
    /// "the backend's client secret".
    pub what: &'static str,
}

pub const BACKEND: Which = Which {
    check: "client-secret",
    id_key: keys::OAUTH2_CLIENT_ID,
    secret_key: keys::OAUTH2_CLIENT_SECRET,
    what: "the backend's client secret",
};

pub const STORAGE: Which = Which {
    check: "storage-client-secret",
    id_key: keys::STORAGE_CLIENT_ID,
    secret_key: keys::STORAGE_CLIENT_SECRET,
    what: "the warehouse app's client secret",
};

/// What Graph says of the secret in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiry {
    /// Valid until `end` (`YYYY-MM-DD`), `days` whole days from now (0 on its last day, negative
    /// once past). `name` is the credential's display name in the portal.
    Until {
        end: String,
        days: i64,
        name: String,
    },
    /// Valid with no end date.
    Forever { name: String },
    /// None of the app's client secrets: deleted, or from another app.
    NoMatch,
}

/// The credential `value` is among `app`'s, by Graph's hint; of several it could be, the one
/// that lasts longest (the kindest reading: a shared three-character hint is rare).
pub fn judge(app: &AppRecord, value: &str, now: SystemTime) -> Expiry {
    let candidates: Vec<Expiry> = bootstrap::credentials_of(app, value)
        .into_iter()
        .filter_map(|p| {
            if p.end.is_empty() {
                return Some(Expiry::Forever {
                    name: p.display_name.clone(),
                });
            }
            let end = clock::parse_iso8601(&p.end)?;
            Some(Expiry::Until {
                end: p.end.chars().take(10).collect(),
                days: clock::days_until(end, now),
                name: p.display_name.clone(),
            })
        })
        .collect();
    let left = |e: &Expiry| match e {
        Expiry::Until { days, .. } => *days,
        _ => i64::MAX,
    };
    candidates
        .into_iter()
        .max_by_key(left)
        .unwrap_or(Expiry::NoMatch)
}

/// The fix for a secret that runs out (or ran out): rotation for the backend's, the portal for a
/// separate warehouse app's.
fn renew_fix(which: Which, app: &str) -> String {
    if which == BACKEND {
        format!(
            "run `{ROTATE}`: it adds a new secret, puts it in the team's vault (or backend/.env), updates the warehouse, then removes the old one"
        )
    } else {
        format!(
            "add a new client secret to {app} (Entra admin center › App registrations › {app} › Certificates & secrets), put it in {} (or the vault's storage_client_secret), then run `lakekeeper-setup apply` and `lakekeeper-setup warehouse`",
            which.secret_key
        )
    }
}

/// The result for `which`, given what [`judge`] found on `app` (named as Graph calls it).
pub fn result(which: Which, app: &str, expiry: &Expiry) -> CheckResult {
    let new = |status, summary: String| CheckResult {
        name: which.check.into(),
        status,
        summary,
        details: Vec::new(),
        fix: None,
        duration_ms: 0,
        trace: Vec::new(),
    };
    let plural = |d: i64| if d == 1 { "day" } else { "days" };
    match expiry {
        Expiry::Forever { name } => new(
            Status::Ok,
            format!("{} ({app}, `{name}`) has no end date", which.what),
        ),
        Expiry::Until { end, days, name } if *days > WARN_DAYS => new(
            Status::Ok,
            format!(
                "{} ({app}, `{name}`) is valid until {end}: {days} {} left",
                which.what,
                plural(*days)
            ),
        ),
        Expiry::Until { end, days, name } if *days > 0 => {
            let mut r = new(
                Status::Warning,
                format!(
                    "{} ({app}, `{name}`) expires in {days} {} ({end})",
                    which.what,
                    plural(*days)
                ),
            );
            r.details
                .push("when it expires, every sign-in with it fails at once".into());
            r.fix = Some(renew_fix(which, app));
            r
        }
        Expiry::Until { end, days, name } => {
            let when = if *days == 0 && !end.is_empty() {
                format!("expires today ({end})")
            } else {
                format!("expired on {end}")
            };
            let mut r = new(
                Status::Failed,
                format!("{} ({app}, `{name}`) {when}", which.what),
            );
            r.fix = Some(renew_fix(which, app));
            r
        }
        Expiry::NoMatch => {
            let mut r = new(
                Status::Failed,
                format!(
                    "{} in {} is none of {app}'s current client secrets (deleted or from another app)",
                    which.what, which.secret_key
                ),
            );
            r.fix = Some(if which == BACKEND {
                format!(
                    "take the team's current value (`lakekeeper-setup apply` reads it from the vault), or run `{ROTATE}` to add one"
                )
            } else {
                renew_fix(which, app)
            });
            r
        }
    }
}

/// A `which` result that could not be judged (no `az`, nobody signed in, no value to judge).
pub fn skipped(which: Which, why: impl Into<String>) -> CheckResult {
    CheckResult {
        name: which.check.into(),
        status: Status::Skipped,
        summary: why.into(),
        details: Vec::new(),
        fix: None,
        duration_ms: 0,
        trace: Vec::new(),
    }
}

/// The checks to run for this `.env`: the backend's secret, and the warehouse app's when it is a
/// separate app (its own client ID and secret).
pub fn wanted(env: &std::collections::BTreeMap<String, String>) -> Vec<Which> {
    let get = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut out = vec![BACKEND];
    if get(STORAGE.id_key).is_some_and(|id| Some(id) != get(BACKEND.id_key))
        && get(STORAGE.secret_key).is_some()
    {
        out.push(STORAGE);
    }
    out
}

/// Why a secret could not be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotJudged {
    /// Nothing to judge (no value, no client ID): the summary.
    Nothing(String),
    /// Graph could not tell: the summary and the fix.
    Unread(String, Option<String>),
}

/// Reads the app `which` names from Graph and judges its secret against `now`: the app's name
/// and what [`judge`] found.
pub async fn lookup(
    session: &Session,
    which: Which,
    env: &std::collections::BTreeMap<String, String>,
    now: SystemTime,
) -> Result<(String, Expiry), NotJudged> {
    let get = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let Some(value) = get(which.secret_key) else {
        return Err(NotJudged::Nothing(format!(
            "{} is not set",
            which.secret_key
        )));
    };
    let Some(id) = get(which.id_key)
        .map(str::to_ascii_lowercase)
        .filter(|id| crate::validate::is_guid(id))
    else {
        return Err(NotJudged::Nothing(format!(
            "{} is not a client ID: no app to look up",
            which.id_key
        )));
    };
    match graph::app_by_client_id(session, &ClientId(id.clone())).await {
        Ok(Some(app)) => {
            let expiry = judge(&app, value, now);
            Ok((app.name, expiry))
        }
        Ok(None) => Err(NotJudged::Unread(
            format!(
                "the app {id} ({}) is not in the tenant your az login reads",
                which.id_key
            ),
            Some("sign in to the team's tenant: az login --tenant <tenant>".into()),
        )),
        Err(e) => Err(NotJudged::Unread(
            format!(
                "could not read the app {id} from Microsoft Graph: {}",
                detail(&e)
            ),
            None,
        )),
    }
}

/// Reads the app `which` names from Graph and judges its secret against `now`.
pub async fn check(
    session: &Session,
    which: Which,
    env: &std::collections::BTreeMap<String, String>,
    now: SystemTime,
) -> CheckResult {
    match lookup(session, which, env, now).await {
        Ok((app, expiry)) => result(which, &app, &expiry),
        Err(NotJudged::Nothing(why)) => skipped(which, why),
        Err(NotJudged::Unread(why, fix)) => {
            let mut r = skipped(which, why);
            r.status = Status::Warning;
            r.fix = fix;
            r
        }
    }
}

fn detail(e: &CallError) -> String {
    match e {
        CallError::Rest(crate::azure::rest::RestError::Api(a)) if a.status == 403 => {
            "your account may not read app registrations in this tenant".into()
        }
        other => other.to_string(),
    }
}

/// The wizard's welcome line when the secret has [`WARN_DAYS`] or fewer left (or none).
pub fn welcome_line(which: Which, app: &str, expiry: &Expiry) -> Option<String> {
    let r = result(which, app, expiry);
    (r.status != Status::Ok).then(|| {
        let how = if which == BACKEND {
            format!("`{ROTATE}` replaces it")
        } else {
            "renew it in the portal".to_owned()
        };
        format!("{}; {how}", r.summary)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::graph::Password;
    use std::time::Duration;

    fn app(passwords: &[(&str, &str, &str)]) -> AppRecord {
        AppRecord {
            object_id: "0b000001-0000-4000-8000-000000000001".into(),
            app_id: ClientId("a0000001-0000-4000-8000-000000000001".into()),
            name: "lakekeeper-backend".into(),
            unique_name: Some("lakekeeper-backend".into()),
            identifier_uris: Vec::new(),
            api: serde_json::Value::Null,
            app_roles: serde_json::Value::Null,
            spa_redirects: Vec::new(),
            passwords: passwords
                .iter()
                .map(|(key, hint, end)| Password {
                    key_id: (*key).into(),
                    display_name: "lakekeeper-setup".into(),
                    hint: (*hint).into(),
                    end: (*end).into(),
                })
                .collect(),
        }
    }

    const END: &str = "2027-03-01T10:00:00.1234567Z";
    const SECRET: &str = "S01~fake-secret-for-expiry-tests";

    /// `now` this many days (and an hour) before the end.
    fn days_before(days: u64) -> SystemTime {
        clock::parse_iso8601(END).expect("end") - Duration::from_secs(days * 86_400 + 3_600)
    }

    #[test]
    fn forty_five_thirty_and_zero_days_are_ok_warning_and_failure_each_with_its_fix() {
        let a = app(&[("k1", "S01", END)]);
        let rows = [
            (
                45,
                Status::Ok,
                "is valid until 2027-03-01: 45 days left",
                None,
            ),
            (
                30,
                Status::Warning,
                "expires in 30 days (2027-03-01)",
                Some(ROTATE),
            ),
            (
                0,
                Status::Failed,
                "expires today (2027-03-01)",
                Some(ROTATE),
            ),
        ];
        for (days, status, summary, fix) in rows {
            let r = result(BACKEND, &a.name, &judge(&a, SECRET, days_before(days)));
            assert_eq!(r.name, "client-secret");
            assert_eq!(r.status, status, "{days}: {r:?}");
            assert_eq!(
                r.summary,
                format!(
                    "the backend's client secret (lakekeeper-backend, `lakekeeper-setup`) {summary}"
                )
            );
            assert_eq!(r.fix.is_some(), fix.is_some(), "{days}");
            if let Some(f) = fix {
                assert!(r.fix.as_deref().is_some_and(|x| x.contains(f)), "{r:?}");
            }
        }
        let after = clock::parse_iso8601(END).expect("end") + Duration::from_hours(48);
        let r = result(BACKEND, &a.name, &judge(&a, SECRET, after));
        assert_eq!(r.status, Status::Failed);
        assert!(
            r.summary.ends_with("expired on 2027-03-01"),
            "{}",
            r.summary
        );
        assert!(r.fix.as_deref().is_some_and(|f| f.contains(ROTATE)));
    }

    #[test]
    fn a_secret_matching_no_credential_fails_with_its_reason() {
        let a = app(&[("k1", "P01", END)]);
        let r = result(BACKEND, &a.name, &judge(&a, SECRET, days_before(100)));
        assert_eq!(r.status, Status::Failed);
        assert_eq!(
            r.summary,
            "the backend's client secret in LAKEKEEPER__OAUTH2__CLIENT_SECRET is none of lakekeeper-backend's current client secrets (deleted or from another app)"
        );
        assert!(
            r.fix
                .as_deref()
                .is_some_and(|f| f.contains("lakekeeper-setup apply"))
        );
        assert_eq!(judge(&app(&[]), SECRET, days_before(1)), Expiry::NoMatch);
    }

    #[test]
    fn of_two_credentials_with_its_hint_the_longer_lived_one_counts() {
        let a = app(&[
            ("k1", "S01", "2027-01-01T00:00:00Z"),
            ("k2", "S01", END),
            ("k3", "X99", "2099-01-01T00:00:00Z"),
        ]);
        let Expiry::Until { end, days, .. } = judge(&a, SECRET, days_before(40)) else {
            panic!("a dated credential")
        };
        assert_eq!((end.as_str(), days), ("2027-03-01", 40));
    }

    #[test]
    fn a_separate_warehouse_app_gets_its_own_result_and_a_portal_fix() {
        let env = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let same = env(&[
            (
                keys::OAUTH2_CLIENT_ID,
                "a0000001-0000-4000-8000-000000000001",
            ),
            (
                keys::STORAGE_CLIENT_ID,
                "a0000001-0000-4000-8000-000000000001",
            ),
            (keys::STORAGE_CLIENT_SECRET, "x"),
        ]);
        assert_eq!(wanted(&same), [BACKEND]);
        let separate = env(&[
            (
                keys::OAUTH2_CLIENT_ID,
                "a0000001-0000-4000-8000-000000000001",
            ),
            (
                keys::STORAGE_CLIENT_ID,
                "a0000002-0000-4000-8000-000000000002",
            ),
            (keys::STORAGE_CLIENT_SECRET, "x"),
        ]);
        assert_eq!(wanted(&separate), [BACKEND, STORAGE]);
        let a = app(&[("k1", "S01", END)]);
        let r = result(
            STORAGE,
            "lakekeeper-storage",
            &judge(&a, SECRET, days_before(10)),
        );
        assert_eq!(r.name, "storage-client-secret");
        assert_eq!(r.status, Status::Warning);
        assert!(
            r.fix
                .as_deref()
                .is_some_and(|f| f.contains("Certificates & secrets")
                    && f.contains("AZURE_STORAGE_CLIENT_SECRET")),
            "{r:?}"
        );
    }

    #[test]
    fn the_welcome_line_appears_only_within_thirty_days() {
        let a = app(&[("k1", "S01", END)]);
        let line = |d| welcome_line(BACKEND, &a.name, &judge(&a, SECRET, days_before(d)));
        assert_eq!(line(31), None);
        assert_eq!(
            line(30).as_deref(),
            Some(
                "the backend's client secret (lakekeeper-backend, `lakekeeper-setup`) expires in 30 days (2027-03-01); `lakekeeper-setup azure rotate-secret` replaces it"
            )
        );
        assert!(line(0).is_some_and(|l| l.contains("expires today")));
    }
}
