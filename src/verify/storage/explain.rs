//! Turns Azure Storage answers into findings that name the `.env` value or the role to fix.
//! Pure: no I/O, no secrets (it never sees the key or the token).

use super::request::{Reply, SendError};
use crate::keys;
use crate::verify::finding::Finding;

/// Which request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Container,
    Namespace,
    Write,
    Read,
    Delete,
    DelegationKey,
}

impl Op {
    fn what(self) -> &'static str {
        match self {
            Op::Container => "reading the container's properties",
            Op::Namespace => "reading the filesystem's properties (Data Lake API)",
            Op::Write => "writing the probe blob",
            Op::Read => "reading the probe blob back",
            Op::Delete => "deleting the probe blob",
            Op::DelegationKey => "getting a user-delegation key",
        }
    }
}

/// Who is asking, for naming the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    SharedKey,
    App { client_id: String },
}

/// The context every message needs.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub account: String,
    pub container: String,
    pub identity: Identity,
}

/// A non-2xx answer, explained.
pub fn failure(op: Op, reply: &Reply, c: &Ctx) -> Finding {
    let code = reply.code.as_deref().unwrap_or("");
    // Azurite (and some gateways) answer a bad signature with AuthorizationFailure; the
    // message, the same as Azure's AuthenticationFailed, tells it from a network-rule refusal.
    let failed_to_authenticate = reply
        .message()
        .is_some_and(|m| m.contains("failed to authenticate the request"));
    let kind = if code == "AuthorizationFailure" && failed_to_authenticate {
        "AuthenticationFailed"
    } else {
        code
    };
    let head = format!(
        "{} failed: HTTP {}{}",
        op.what(),
        reply.status,
        if code.is_empty() {
            String::new()
        } else {
            format!(" {code}")
        }
    );
    let app = match &c.identity {
        Identity::App { client_id } => client_id.as_str(),
        Identity::SharedKey => "",
    };
    let (line, fix) = match (kind, &c.identity) {
        ("AuthenticationFailed", Identity::SharedKey) => (
            format!(
                "{head}: account {} rejected the Shared Key signature — {} is not this account's key",
                c.account,
                keys::STORAGE_KEY
            ),
            format!(
                "copy key1 or key2 of storage account {} (Security + networking → Access keys) into {}, and check {} is that account",
                c.account,
                keys::STORAGE_KEY,
                keys::STORAGE_ACCOUNT
            ),
        ),
        ("AuthenticationFailed" | "InvalidAuthenticationInfo", Identity::App { .. }) => (
            format!(
                "{head}: account {} rejected the token of app {app}",
                c.account
            ),
            format!(
                "request the token for https://storage.azure.com/.default in the tenant that owns account {} (check {})",
                c.account,
                keys::OAUTH2_TENANT_ID
            ),
        ),
        ("AuthorizationPermissionMismatch", Identity::App { .. }) if op == Op::DelegationKey => (
            format!(
                "{head}: app {app} may not get a user-delegation key on account {}",
                c.account
            ),
            format!(
                "assign the role Storage Blob Delegator to app {app} on storage account {} (Access control (IAM) → Add role assignment, scope: the account); Lakekeeper needs it to hand out SAS tokens; or run `{}` (or `lakekeeper-setup verify --fix`), which grants both roles the warehouse needs",
                c.account,
                crate::azure::roles::COMMAND
            ),
        ),
        ("AuthorizationPermissionMismatch", _) => (
            format!(
                "{head}: app {app} lacks data access to container {} of account {}",
                c.container, c.account
            ),
            format!(
                "assign the role Storage Blob Data Contributor to app {app} on storage account {} or container {} (Access control (IAM) → Add role assignment), or run `{}` (or `lakekeeper-setup verify --fix`); role changes take a few minutes to apply",
                c.account,
                c.container,
                crate::azure::roles::COMMAND
            ),
        ),
        ("KeyBasedAuthenticationNotPermitted", _) => (
            format!("{head}: account {} forbids Shared Key access", c.account),
            format!(
                "enable \"Allow storage account key access\" on account {} (Settings → Configuration), or give the warehouse client credentials instead",
                c.account
            ),
        ),
        ("AuthorizationFailure", _) => (
            format!(
                "{head}: account {} refused this request (its network rules block this machine, or access is restricted)",
                c.account
            ),
            format!(
                "allow this machine's network on account {} (Security + networking → Networking), or run verify from an allowed network",
                c.account
            ),
        ),
        ("ContainerNotFound" | "FilesystemNotFound", _) => (
            format!(
                "{head}: container {} does not exist in account {}",
                c.container, c.account
            ),
            format!(
                "create container {} in account {} (Data storage → Containers → + Container), or set {} to an existing one",
                c.container,
                c.account,
                keys::STORAGE_CONTAINER
            ),
        ),
        _ => (
            head,
            format!(
                "see Azure's error code above; check {} and {}",
                keys::STORAGE_ACCOUNT,
                keys::STORAGE_CONTAINER
            ),
        ),
    };
    Finding::failed(line, fix)
}

/// No answer at all, explained.
pub fn unreachable(op: Op, err: &SendError, c: &Ctx) -> Finding {
    let fix = match err {
        SendError::Dns { .. } => format!(
            "{} `{}` names no storage account in this cloud: check the account name (and the cloud's storage suffix)",
            keys::STORAGE_ACCOUNT,
            c.account
        ),
        SendError::NotAllowed(_) => "use the account's https endpoint".to_owned(),
        SendError::Connect { fix, .. } | SendError::Other { fix, .. } => fix.clone(),
        SendError::Timeout { .. } => {
            format!(
                "check that this machine can reach account {} over HTTPS (VPN, firewall, private endpoint; HTTPS_PROXY is honoured)",
                c.account
            )
        }
    };
    Finding::failed(format!("{} failed: {err}", op.what()), fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, code: &str) -> Reply {
        Reply {
            status,
            code: Some(code.into()),
            headers: reqwest::header::HeaderMap::new(),
            body: Vec::new(),
        }
    }

    fn ctx(identity: Identity) -> Ctx {
        Ctx {
            account: "acct".into(),
            container: "lake".into(),
            identity,
        }
    }

    #[test]
    fn codes_name_the_fix() {
        let app = ctx(Identity::App {
            client_id: "11111111-2222-3333-4444-555555555555".into(),
        });
        let f = failure(
            Op::Write,
            &reply(403, "AuthorizationPermissionMismatch"),
            &app,
        );
        assert!(f.fix.as_deref().is_some_and(|x| {
            x.starts_with("assign the role Storage Blob Data Contributor to app 11111111-")
                && x.contains("or run `lakekeeper-setup azure roles`")
        }));
        let f = failure(
            Op::DelegationKey,
            &reply(403, "AuthorizationPermissionMismatch"),
            &app,
        );
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x.starts_with("assign the role Storage Blob Delegator")
                    && x.contains("or run `lakekeeper-setup azure roles`"))
        );
        let f = failure(
            Op::Container,
            &reply(403, "AuthenticationFailed"),
            &ctx(Identity::SharedKey),
        );
        assert!(
            f.line
                .contains("AZURE_STORAGE_ACCOUNT_KEY is not this account's key"),
            "{}",
            f.line
        );
        let f = failure(
            Op::Container,
            &reply(404, "ContainerNotFound"),
            &ctx(Identity::SharedKey),
        );
        assert_eq!(
            f.line,
            "reading the container's properties failed: HTTP 404 ContainerNotFound: container lake does not exist in account acct"
        );
        let f = unreachable(
            Op::Container,
            &SendError::Dns {
                host: "acct.blob.core.windows.net".into(),
            },
            &ctx(Identity::SharedKey),
        );
        assert!(f.fix.as_deref().is_some_and(|x| {
            x.starts_with("AZURE_STORAGE_ACCOUNT_NAME `acct` names no storage account")
        }));
    }
}
