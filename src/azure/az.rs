//! The Azure CLI wrapper: the only place the tool starts `az`.
//!
//! Sign-in is the Azure CLI's: tokens come from `az account get-access-token -o json --resource
//! <r>` (plus `--tenant` when the team's tenant is known), endpoints from `az cloud show`, and
//! the login probe is `az account show` (which fails when nobody is signed in, unlike `az account
//! list`). Rules this module keeps:
//! - every argument handed to `az` is checked against a small character set first (on Windows
//!   `az` is a `.cmd` run through `cmd /C`, where unvalidated text could run commands:
//!   CVE-2024-24576), and none of them is ever a secret;
//! - a token is a [`Secret`] from the moment it is parsed, never printed or logged, and the CLI's
//!   stderr is shown only after redacting anything that looks like a token;
//! - `az` often takes 10 s or more, so each run gets a generous timeout (60 s, or
//!   `LAKEKEEPER_SETUP_AZ_TIMEOUT` seconds) and is killed when it passes;
//! - tokens are cached per (resource, tenant) for the run, until five minutes before they expire.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::secret::Secret;

/// Overrides the per-run timeout of `az`, in seconds (tests make it short; a slow corporate
/// machine may make it longer).
pub const TIMEOUT_VAR: &str = "LAKEKEEPER_SETUP_AZ_TIMEOUT";
/// `az` often needs 10–15 s to start (Azure/azure-cli#29329); 10 s timeouts are a known trap.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_mins(1);
/// A cached token is used until this long before it expires.
const EXPIRY_MARGIN: u64 = 5 * 60;

/// Why `az` gave no usable answer. Messages never hold a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AzError {
    #[error(
        "the Azure CLI (`az`) is not installed or not on PATH; install it (Azure CLI 2.54 or newer: https://aka.ms/installazurecli) and run `az login`"
    )]
    NotInstalled,
    #[error("not signed in to the Azure CLI; run `az login{}`", tenant_flag(.0.as_deref()))]
    NotSignedIn(Option<String>),
    #[error(
        "the Azure CLI cannot get a token for tenant {wanted}: {detail}; sign in to that tenant with `az login --tenant {wanted}`"
    )]
    WrongTenant { wanted: String, detail: String },
    #[error(
        "`az {what}` did not finish within {secs} s (the Azure CLI is often slow to start; set {TIMEOUT_VAR} to wait longer)"
    )]
    Timeout { what: String, secs: u64 },
    #[error(
        "the Azure CLI is too old: its tokens have no `expires_on` (needs Azure CLI 2.54 or newer); run `az upgrade`"
    )]
    TooOld,
    #[error(
        "`{0}` cannot be passed to the Azure CLI: only letters, digits and . _ : / - are allowed"
    )]
    BadArgument(String),
    #[error("`az {what}` failed: {detail}")]
    Failed { what: String, detail: String },
}

fn tenant_flag(t: Option<&str>) -> String {
    t.map(|t| format!(" --tenant {t}")).unwrap_or_default()
}

impl AzError {
    /// Whether the assist as a whole is off (no CLI, nobody signed in), as opposed to one call
    /// having failed.
    pub fn assist_off(&self) -> bool {
        matches!(self, AzError::NotInstalled | AzError::NotSignedIn(_))
    }
}

/// Only these characters may reach `az`'s command line (the set `azure_identity` allows for a
/// scope; tenants, resources and our fixed words all fit).
pub fn check_argument(arg: &str) -> Result<&str, AzError> {
    let flag = arg.starts_with("--") || arg == "-o";
    let ok = !arg.is_empty()
        && (flag || !arg.starts_with('-'))
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'/' | b'-'));
    if ok {
        Ok(arg)
    } else {
        Err(AzError::BadArgument(arg.to_owned()))
    }
}

/// A value (a resource, a tenant): a plain argument that cannot be read as a flag.
pub fn check_value(value: &str) -> Result<&str, AzError> {
    if value.starts_with('-') {
        return Err(AzError::BadArgument(value.to_owned()));
    }
    check_argument(value)
}

/// An access token from `az account get-access-token`.
#[derive(Debug, Clone)]
pub struct Token {
    pub value: Secret,
    /// POSIX seconds.
    pub expires_on: u64,
    /// The tenant the token was issued in.
    pub tenant: String,
}

#[derive(Deserialize)]
struct RawToken {
    #[serde(rename = "accessToken")]
    access_token: Option<String>,
    expires_on: Option<serde_json::Value>,
    tenant: Option<String>,
}

/// Parses `get-access-token` output. `expires_on` is required (CLI ≥ 2.54; `expiresOn` is a
/// local time with no zone and is not trusted).
pub fn parse_token(stdout: &str) -> Result<Token, AzError> {
    let raw: RawToken = serde_json::from_str(stdout).map_err(|_| AzError::Failed {
        what: "account get-access-token".into(),
        detail: "its output is not the JSON the Azure CLI prints".into(),
    })?;
    let value = raw
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AzError::Failed {
            what: "account get-access-token".into(),
            detail: "its output has no accessToken".into(),
        })?;
    let expires_on = match raw.expires_on {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .ok_or(AzError::TooOld)?;
    Ok(Token {
        value: Secret::new(value),
        expires_on,
        tenant: raw.tenant.unwrap_or_default(),
    })
}

/// What `az account show` says about the signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Account {
    pub tenant_id: String,
    pub tenant_name: Option<String>,
    /// `tenantDefaultDomain` (az 2.37 and newer).
    pub tenant_domain: Option<String>,
    pub user: String,
    pub subscription_id: String,
}

#[derive(Deserialize)]
struct RawAccount {
    #[serde(rename = "tenantId", default)]
    tenant_id: String,
    #[serde(rename = "tenantDisplayName")]
    tenant_name: Option<String>,
    #[serde(rename = "tenantDefaultDomain")]
    tenant_domain: Option<String>,
    #[serde(default)]
    id: String,
    user: Option<RawUser>,
}

#[derive(Deserialize)]
struct RawUser {
    #[serde(default)]
    name: String,
}

pub fn parse_account(stdout: &str) -> Result<Account, AzError> {
    let raw: RawAccount = serde_json::from_str(stdout).map_err(|_| AzError::Failed {
        what: "account show".into(),
        detail: "its output is not the JSON the Azure CLI prints".into(),
    })?;
    Ok(Account {
        tenant_id: raw.tenant_id,
        tenant_name: raw.tenant_name,
        tenant_domain: raw.tenant_domain,
        user: raw.user.map(|u| u.name).unwrap_or_default(),
        subscription_id: raw.id,
    })
}

/// Finds `az` on `PATH` (`az.cmd` first on Windows, as the Python SDK does).
pub fn find_az(path_var: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    let names: &[&str] = if cfg!(windows) {
        &["az.cmd", "az.bat", "az.exe"]
    } else {
        &["az"]
    };
    std::env::split_paths(path_var?)
        .find_map(|dir| names.iter().map(|n| dir.join(n)).find(|p| is_executable(p)))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// Takes the text `az` wrote to stderr down to what a person needs: the `ERROR:` lines (or the
/// first line), with anything shaped like a token (a long run of token characters, or an
/// `"accessToken": "…"` pair) replaced.
pub fn summarize_stderr(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("ERROR:"))
        .collect();
    let chosen = if errors.is_empty() {
        lines.first().copied().unwrap_or("no message").to_owned()
    } else {
        errors.join(" ")
    };
    redact(&chosen)
}

/// Replaces every word of 40+ token characters (JWTs, opaque tokens) with `<redacted>`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() >= 40 {
            out.push_str("<redacted>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '~' | '+' | '/' | '=') {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Runs the Azure CLI. Cheap to clone; clones share the token cache.
#[derive(Debug, Clone)]
pub struct Az {
    program: Option<PathBuf>,
    timeout: Duration,
    /// `--tenant` for every token (the team's tenant), validated.
    tenant: Option<String>,
    cache: Arc<Mutex<HashMap<String, Token>>>,
}

impl Az {
    /// `az` as found on this process's `PATH`, with the timeout from the environment.
    pub fn from_env(tenant: Option<&str>) -> Result<Az, AzError> {
        Az::new(
            find_az(std::env::var_os("PATH").as_deref()),
            timeout_from_env(),
            tenant,
        )
    }

    /// `program: None` means not installed (every call says so).
    pub fn new(
        program: Option<PathBuf>,
        timeout: Duration,
        tenant: Option<&str>,
    ) -> Result<Az, AzError> {
        let tenant = tenant
            .map(|t| {
                let t = t.trim();
                if t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                {
                    check_value(t).map(str::to_owned)
                } else {
                    Err(AzError::BadArgument(t.to_owned()))
                }
            })
            .transpose()?;
        Ok(Az {
            program,
            timeout,
            tenant,
            cache: Arc::default(),
        })
    }

    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The same `az` with another `--tenant` for tokens (and a token cache of its own).
    pub fn with_tenant(&self, tenant: Option<&str>) -> Result<Az, AzError> {
        Az::new(self.program.clone(), self.timeout, tenant)
    }

    pub fn installed(&self) -> bool {
        self.program.is_some()
    }

    /// Runs `az <args>` (each checked) and returns its stdout, or the error its exit and stderr
    /// mean.
    pub async fn run(&self, args: &[&str]) -> Result<String, AzError> {
        let program = self.program.as_ref().ok_or(AzError::NotInstalled)?;
        for a in args {
            check_argument(a)?;
        }
        let what = args
            .iter()
            .take_while(|a| !a.starts_with('-'))
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = command(program, args);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("AZURE_CORE_NO_COLOR", "true")
            .env("AZURE_CORE_ONLY_SHOW_ERRORS", "true")
            .kill_on_drop(true);
        // A protected directory, so nothing in the project folder is picked up as `az`'s
        // helpers (the reason the SDKs do the same).
        cmd.current_dir(protected_dir());
        let child = cmd.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => AzError::NotInstalled,
            _ => AzError::Failed {
                what: what.clone(),
                detail: e.to_string(),
            },
        })?;
        let output = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| AzError::Timeout {
                what: what.clone(),
                secs: self.timeout.as_secs().max(1),
            })?
            .map_err(|e| AzError::Failed {
                what: what.clone(),
                detail: e.to_string(),
            })?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            return String::from_utf8(output.stdout).map_err(|_| AzError::Failed {
                what,
                detail: "its output is not UTF-8".into(),
            });
        }
        if output.status.code() == Some(127) || stderr.contains("' is not recognized") {
            return Err(AzError::NotInstalled);
        }
        let detail = summarize_stderr(&stderr);
        let lower = stderr.to_ascii_lowercase();
        let tenant_problem = self.tenant.is_some()
            && (lower.contains("tenant")
                || lower.contains("aadsts50020")
                || lower.contains("aadsts90002"));
        if tenant_problem {
            return Err(AzError::WrongTenant {
                wanted: self.tenant.clone().unwrap_or_default(),
                detail,
            });
        }
        if lower.contains("az login") && !lower.contains("aadsts") {
            return Err(AzError::NotSignedIn(self.tenant.clone()));
        }
        Err(AzError::Failed { what, detail })
    }

    /// The signed-in account (`az account show`): the login probe.
    pub async fn account(&self) -> Result<Account, AzError> {
        parse_account(&self.run(&["account", "show", "-o", "json"]).await?)
    }

    /// `az cloud show` (the active cloud's endpoints), unparsed.
    pub async fn cloud_show(&self) -> Result<String, AzError> {
        self.run(&["cloud", "show", "-o", "json"]).await
    }

    /// A token for `resource`, from the cache while it has more than five minutes left.
    pub async fn token(&self, resource: &str) -> Result<Token, AzError> {
        self.token_with("--resource", resource).await
    }

    /// A token for one `scope` (`<App ID URI>/lakekeeper`: the signed-in person's delegated
    /// token for an API), cached like [`Az::token`].
    pub async fn token_for_scope(&self, scope: &str) -> Result<Token, AzError> {
        self.token_with("--scope", scope).await
    }

    async fn token_with(&self, flag: &str, resource: &str) -> Result<Token, AzError> {
        check_value(resource)?;
        let key = format!("{flag} {resource}");
        let mut cache = self.cache.lock().await;
        if let Some(t) = cache.get(&key)
            && t.expires_on > now().saturating_add(EXPIRY_MARGIN)
        {
            return Ok(t.clone());
        }
        let mut args = vec!["account", "get-access-token", "-o", "json", flag, resource];
        if let Some(t) = self.tenant.as_deref() {
            args.extend(["--tenant", t]);
        }
        let token = parse_token(&self.run(&args).await?)?;
        if let Some(wanted) = self.tenant.as_deref()
            && crate::validate::is_guid(wanted)
            && !token.tenant.is_empty()
            && !token.tenant.eq_ignore_ascii_case(wanted)
        {
            return Err(AzError::WrongTenant {
                wanted: wanted.to_owned(),
                detail: format!("it answered with a token for tenant {}", token.tenant),
            });
        }
        cache.insert(key, token.clone());
        Ok(token)
    }
}

/// `LAKEKEEPER_SETUP_AZ_TIMEOUT` seconds (0 < s ≤ 3600), else 60 s: for `az` and for each
/// Azure request.
pub fn timeout_from_env() -> Duration {
    std::env::var(TIMEOUT_VAR)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0 && *s <= 3600.0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(windows)]
fn command(program: &Path, args: &[&str]) -> tokio::process::Command {
    // `az` is a batch file: it must go through cmd.exe, and every argument has been checked to
    // hold no character cmd.exe treats specially.
    let mut c = tokio::process::Command::new("cmd");
    c.arg("/C").arg(program).args(args);
    c
}

#[cfg(not(windows))]
fn command(program: &Path, args: &[&str]) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(program);
    c.args(args);
    c
}

fn protected_dir() -> PathBuf {
    if cfg!(windows) {
        std::env::var_os("SYSTEMROOT").map_or_else(|| PathBuf::from("C:\\"), PathBuf::from)
    } else {
        PathBuf::from("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_arguments_reach_az() {
        for ok in [
            "account",
            "get-access-token",
            "-o",
            "--resource",
            "https://management.core.windows.net/",
            "contoso.onmicrosoft.com",
            "11111111-1111-1111-1111-111111111111",
        ] {
            assert_eq!(check_argument(ok), Ok(ok));
        }
        for bad in [
            "a&b", "x|calc", "\"q\"", "", "%PATH%", "a b", "-x", "a^b", "t\n",
        ] {
            assert!(check_argument(bad).is_err(), "{bad:?}");
        }
        assert!(Az::new(None, DEFAULT_TIMEOUT, Some("evil&calc")).is_err());
        assert!(Az::new(None, DEFAULT_TIMEOUT, Some("--subscription")).is_err());
        assert!(check_value("--tenant").is_err());
        assert!(Az::new(None, DEFAULT_TIMEOUT, Some("contoso.onmicrosoft.com")).is_ok());
    }

    #[test]
    fn tokens_need_expires_on_and_stay_secret() {
        let t = parse_token(
            r#"{"accessToken":"eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.e30.","expiresOn":"2023-10-31 21:59:10.000000","expires_on":1698760750,"tenant":"11111111-1111-1111-1111-111111111111","tokenType":"Bearer"}"#,
        )
        .expect("parses");
        assert_eq!(t.expires_on, 1_698_760_750);
        assert!(!format!("{t:?}").contains("eyJ0"));
        assert_eq!(
            parse_token(r#"{"accessToken":"x","expiresOn":"2023-10-31 21:59:10.000000"}"#).err(),
            Some(AzError::TooOld)
        );
    }

    #[test]
    fn stderr_is_summarised_without_tokens() {
        let s = summarize_stderr(
            "WARNING: something\nERROR: AADSTS70043: The refresh token has expired eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0abcdefghijklmnop\n",
        );
        assert_eq!(
            s,
            "ERROR: AADSTS70043: The refresh token has expired <redacted>"
        );
        assert_eq!(
            summarize_stderr("ERROR: Please run 'az login' to setup account.\n"),
            "ERROR: Please run 'az login' to setup account."
        );
    }
}
