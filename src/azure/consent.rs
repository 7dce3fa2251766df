//! Consent and rights, said plainly: what each Azure write needs, and a refused write turned
//! into one line saying what was refused and one line that fixes it — the role to ask for (with
//! the `az` command an owner runs), or the exact `az login` that answers ARM's MFA claims
//! challenge. Branches on Azure's status and error codes, never on its wording (except the MFA
//! hint ARM gives only in prose). Performs no I/O.

use std::fmt::{self, Write as _};

use super::CallError;
use super::rest::{ApiError, RestError};

/// What a write touches, for the right it needs and the fix when refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A PostgreSQL flexible server's parameter (`azure.extensions`).
    ServerParameter {
        server: String,
        server_id: String,
        parameter: String,
    },
    /// A role assignment on a storage account.
    RoleAssignment {
        account: String,
        scope: String,
        role: String,
        principal_id: String,
    },
    /// A secret in a Key Vault.
    VaultSecret { vault: String, secret: String },
    /// A read through ARM (`what`: "the role assignments of storage account x").
    ArmRead { what: String },
    /// A read through Microsoft Graph.
    GraphRead { what: String },
    /// A user-assigned managed identity or its federated credential, in a resource group
    /// (`group_id` is the group's resource ID). `what`: "creating managed identity x".
    ManagedIdentity {
        what: String,
        group: String,
        group_id: String,
    },
    /// The production API's enterprise app (its service principal): its settings or its app
    /// role assignments. `what`: "assigning Lakekeeper.Access to dev@contoso.com".
    EnterpriseApp { what: String, app: String },
}

impl Target {
    /// The right the write needs, named before it runs.
    pub fn needs(&self) -> String {
        match self {
            Target::ServerParameter { server, .. } => format!(
                "Contributor (or Owner) on PostgreSQL server {server}: Microsoft.DBforPostgreSQL/flexibleServers/configurations/write"
            ),
            Target::RoleAssignment { account, .. } => format!(
                "Owner, User Access Administrator or Role Based Access Control Administrator on storage account {account} (or its resource group or subscription): Microsoft.Authorization/roleAssignments/write"
            ),
            Target::VaultSecret { vault, .. } => format!(
                "Key Vault Secrets Officer on vault {vault} (an RBAC vault), or an access policy with secret permission set"
            ),
            Target::ArmRead { .. } => "Reader on the subscription or resource group".to_owned(),
            Target::GraphRead { .. } => {
                "read access to the directory (members have it by default)".to_owned()
            }
            Target::ManagedIdentity { group, .. } => format!(
                "Managed Identity Contributor (or Contributor) on resource group {group}: Microsoft.ManagedIdentity/userAssignedIdentities/write, …/federatedIdentityCredentials/write and …/federatedIdentityCredentials/delete"
            ),
            Target::EnterpriseApp { app, .. } => format!(
                "owner of the enterprise app {app} (you are when you created its service principal), or the Cloud Application Administrator role"
            ),
        }
    }
}

/// Who is signed in, for the fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    /// The signed-in user's name (`az account show`'s `user.name`).
    pub user: String,
    /// The tenant the tokens are for.
    pub tenant: String,
    /// ARM's token resource (`https://management.core.windows.net/`).
    pub arm_resource: String,
}

impl Who {
    /// Who `session` is signed in as.
    pub fn of(session: &super::Session) -> Who {
        Who {
            user: session.account.user.clone(),
            tenant: session
                .az
                .tenant()
                .map_or_else(|| session.account.tenant_id.clone(), str::to_owned),
            arm_resource: session.endpoints.arm_resource.clone(),
        }
    }

    fn user(&self) -> &str {
        if self.user.is_empty() {
            "<your sign-in name>"
        } else {
            &self.user
        }
    }
}

/// A refused (or failed) call: what happened, and the one line that fixes it when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub what: String,
    pub fix: Option<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

fn plain(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// The command that answers ARM's claims challenge, in the Azure CLI's own format
/// (`azure.cli.core.auth.util._generate_login_command`): sign out, then sign in to the tenant
/// for ARM's scope with the challenge. Without a usable challenge, the same without it.
/// Values are quoted and checked (GUID/domain, URL, base64 characters) so the line is safe to
/// paste into a shell.
pub fn mfa_login_line(tenant: &str, arm_resource: &str, claims: Option<&str>) -> String {
    let mut line = String::from("az logout && az login");
    if plain(tenant, b".-") {
        let _ = write!(line, " --tenant \"{tenant}\"");
    }
    let scope = format!("{arm_resource}/.default");
    if plain(&scope, b".-/:_") {
        let _ = write!(line, " --scope \"{scope}\"");
    }
    if let Some(c) = claims.filter(|c| plain(c, b"+/=-_")) {
        let _ = write!(line, " --claims-challenge \"{c}\"");
    }
    line
}

fn mentions_mfa(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("multi-factor") || m.contains("multifactor") || m.contains("mfa")
}

/// The refusal, and its fix, for a call on `target` that failed with `e`.
pub fn explain(target: &Target, who: &Who, e: &CallError) -> Refusal {
    match e {
        CallError::Az(a) => Refusal {
            what: a.to_string(),
            fix: None,
        },
        CallError::Rest(RestError::Network(n)) => Refusal {
            what: n.clone(),
            fix: Some("check your network (VPN, proxy) and run again".into()),
        },
        CallError::Rest(RestError::Unexpected(u)) => Refusal {
            what: u.clone(),
            fix: None,
        },
        CallError::Rest(RestError::Api(a)) => explain_api(target, who, a),
    }
}

fn explain_api(target: &Target, who: &Who, a: &ApiError) -> Refusal {
    let mfa = |why: &str| Refusal {
        what: format!(
            "{why}: Azure asks for multi-factor authentication for this change (a claims challenge; ARM requires MFA for writes since 2025)"
        ),
        fix: Some(format!(
            "sign in again with MFA, then run this again: {}",
            mfa_login_line(&who.tenant, &who.arm_resource, a.claims.as_deref())
        )),
    };
    let why = refused(target);
    if a.claims.is_some() {
        return mfa(&why);
    }
    if matches!(a.status, 401 | 403) && mentions_mfa(&a.message) {
        return mfa(&why);
    }
    let user = who.user();
    match (target, a.status, a.code.as_str()) {
        (Target::ServerParameter { server, server_id, .. }, 403, "AuthorizationFailed" | "LinkedAuthorizationFailed") => Refusal {
            what: format!(
                "{why}: {user} may not change server parameters of {server} (no Microsoft.DBforPostgreSQL/flexibleServers/configurations/write)"
            ),
            fix: Some(format!(
                "ask an Owner of the server for Contributor on it: az role assignment create --role Contributor --assignee {user} --scope {server_id}"
            )),
        },
        (Target::RoleAssignment { account, scope, role, principal_id }, 403, "AuthorizationFailed" | "LinkedAuthorizationFailed") => Refusal {
            what: format!(
                "{why}: {user} may not grant roles on storage account {account} (that needs Owner, User Access Administrator or Role Based Access Control Administrator)"
            ),
            fix: Some(format!(
                "ask an Owner of {account} to run: az role assignment create --role \"{role}\" --assignee-object-id {principal_id} --assignee-principal-type ServicePrincipal --scope {scope}"
            )),
        },
        (Target::RoleAssignment { .. }, 400, "PrincipalNotFound") => Refusal {
            what: format!("{why}: Azure does not know the service principal yet"),
            fix: Some(
                "a new app's service principal takes a minute or two to reach Azure Resource Manager; run this again shortly".into(),
            ),
        },
        (Target::VaultSecret { vault, .. }, 403, _) => vault_refusal(&why, vault, user, a),
        (Target::ManagedIdentity { group, group_id, .. }, 403, "AuthorizationFailed" | "LinkedAuthorizationFailed") => Refusal {
            what: format!(
                "{why}: {user} may not create managed identities or change their federated credentials in resource group {group}"
            ),
            fix: Some(format!(
                "ask an Owner of the resource group: az role assignment create --role \"Managed Identity Contributor\" --assignee {user} --scope {group_id}"
            )),
        },
        (Target::EnterpriseApp { app, .. }, 403, _) => Refusal {
            what: format!("{why}: {user} is not an owner of the enterprise app {app} ({})", a.code),
            fix: Some(format!(
                "ask a Cloud Application Administrator to add you as an owner (Entra admin center › Enterprise applications › {app} › Owners), or to run this command"
            )),
        },
        (Target::VaultSecret { vault, secret }, 409, _) => Refusal {
            what: format!(
                "{why}: a deleted secret named {secret} is still kept in {vault} (soft delete)"
            ),
            fix: Some(format!(
                "recover it, then run this again (the new value becomes its latest version): az keyvault secret recover --vault-name {vault} --name {secret}"
            )),
        },
        (_, 401, _) => Refusal {
            what: format!("{why}: your sign-in was not accepted (HTTP 401 {})", a.code),
            fix: Some(format!(
                "sign in to the resource's tenant: az login --tenant {}",
                if who.tenant.is_empty() { "<tenant>" } else { &who.tenant }
            )),
        },
        (Target::ArmRead { .. }, 403, _) => Refusal {
            what: format!("{why}: {user} may not read it ({})", a.code),
            fix: Some("ask for Reader on the subscription or resource group".into()),
        },
        (Target::GraphRead { .. }, 403, _) => Refusal {
            what: format!("{why}: {user} may not read the directory ({})", a.code),
            fix: Some("a guest needs the Directory Readers role in the tenant".into()),
        },
        (_, _, code) if is_busy(code) || a.status == 429 => Refusal {
            what: format!("{why}: Azure stayed busy with another operation ({code})"),
            fix: Some("wait a few minutes and run this again".into()),
        },
        // A long-running operation that ended in failure (no HTTP status of its own).
        (_, 0, code) => Refusal {
            what: format!("{why}: the operation failed ({code}): {}", a.message),
            fix: None,
        },
        (_, status, code) => Refusal {
            what: format!("{why}: HTTP {status} {code}: {}", a.message),
            fix: None,
        },
    }
}

fn vault_refusal(why: &str, vault: &str, user: &str, a: &ApiError) -> Refusal {
    match a.inner.as_deref().unwrap_or_default() {
        // An Azure Policy on the vault (e.g. "secrets must have an expiry date"): no role helps.
        "ForbiddenByPolicy" => Refusal {
            what: format!(
                "{why}: an Azure Policy on vault {vault} denies it: {}",
                a.message
            ),
            fix: Some(format!(
                "ask the vault's owner which policy applies (Azure portal → {vault} → Policies) and to exempt these secrets, or store them yourself as the policy requires"
            )),
        },
        "AccessDenied" => Refusal {
            what: format!(
                "{why}: the access policy of vault {vault} does not give {user} `set` on secrets"
            ),
            fix: Some(format!(
                "ask its owner: az keyvault set-policy --name {vault} --upn {user} --secret-permissions get list set"
            )),
        },
        "ForbiddenByFirewall" => Refusal {
            what: format!("{why}: the firewall of vault {vault} does not let your network in"),
            fix: Some(format!(
                "connect to the VPN or ask its owner to allow your IP address: az keyvault network-rule add --name {vault} --ip-address <your IP>"
            )),
        },
        _ if a.message.contains("Client address is not authorized") => Refusal {
            what: format!("{why}: the firewall of vault {vault} does not let your network in"),
            fix: Some(format!(
                "connect to the VPN or ask its owner to allow your IP address: az keyvault network-rule add --name {vault} --ip-address <your IP>"
            )),
        },
        // ForbiddenByRbac, and a plain Forbidden from an RBAC vault.
        _ => Refusal {
            what: format!(
                "{why}: {user} may not write secrets in vault {vault} (the vault uses Azure RBAC; writing needs Key Vault Secrets Officer)"
            ),
            fix: Some(format!(
                "ask its owner: az role assignment create --role \"Key Vault Secrets Officer\" --assignee {user} --scope <the vault's resource ID>"
            )),
        },
    }
}

/// Codes ARM answers while another operation runs on the resource.
pub fn is_busy(code: &str) -> bool {
    matches!(
        code,
        "ServerBusy"
            | "ServerIsBusy"
            | "OperationInProgress"
            | "AnotherOperationInProgress"
            | "ConflictingServerOperation"
            | "Conflict"
    )
}

fn refused(target: &Target) -> String {
    match target {
        Target::ServerParameter {
            server, parameter, ..
        } => format!("changing {parameter} on PostgreSQL server {server} was refused"),
        Target::RoleAssignment { account, role, .. } => {
            format!("granting {role} on storage account {account} was refused")
        }
        Target::VaultSecret { vault, secret } => {
            format!("storing secret {secret} in Key Vault {vault} was refused")
        }
        Target::ArmRead { what } | Target::GraphRead { what } => {
            format!("reading {what} failed")
        }
        Target::ManagedIdentity { what, .. } | Target::EnterpriseApp { what, .. } => {
            format!("{what} was refused")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::rest::api_error;

    fn who() -> Who {
        Who {
            user: "dev@contoso.com".into(),
            tenant: "11111111-1111-1111-1111-111111111111".into(),
            arm_resource: "https://management.core.windows.net/".into(),
        }
    }

    fn api(status: u16, body: &str, claims: Option<&str>) -> CallError {
        let mut a = api_error(status, body);
        a.claims = claims.map(str::to_owned);
        CallError::Rest(RestError::Api(a))
    }

    const DENIED: &str = r#"{"error":{"code":"AuthorizationFailed","message":"The client 'dev@contoso.com' with object id '0000' does not have authorization to perform action 'x' over scope 'y' or the scope is invalid. If access was recently granted, please refresh your credentials."}}"#;

    #[test]
    fn a_vault_policy_and_a_busy_operation_get_their_own_words() {
        let vault = Target::VaultSecret {
            vault: "team-dev-kv".into(),
            secret: "lakekeeper-postgres-password".into(),
        };
        let policy = r#"{"error":{"code":"Forbidden","message":"Operation is not allowed by Azure Policy: secrets must have an expiration date.","innererror":{"code":"ForbiddenByPolicy"}}}"#;
        let r = explain(&vault, &who(), &api(403, policy, None));
        assert!(
            r.what.contains("an Azure Policy on vault team-dev-kv denies it: Operation is not allowed by Azure Policy"),
            "{r}"
        );
        assert!(!r.to_string().contains("Secrets Officer"), "{r}");
        // An operation that ended busy (status 0: no HTTP status of its own).
        let server = Target::ServerParameter {
            server: "lakehouse-pg".into(),
            server_id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/lakehouse-pg".into(),
            parameter: "azure.extensions".into(),
        };
        let busy = r#"{"error":{"code":"ServerBusy","message":"The server is busy."}}"#;
        let r = explain(&server, &who(), &api(0, busy, None));
        assert!(
            r.what
                .ends_with("Azure stayed busy with another operation (ServerBusy)"),
            "{r}"
        );
        let failed =
            r#"{"error":{"code":"InternalServerError","message":"An unexpected error occured."}}"#;
        let r = explain(&server, &who(), &api(0, failed, None));
        assert!(
            r.what.ends_with(
                "the operation failed (InternalServerError): An unexpected error occured."
            ),
            "{r}"
        );
        assert!(!r.what.contains("HTTP"), "{r}");
    }

    #[test]
    fn the_mfa_line_is_the_azure_clis_own_format() {
        assert_eq!(
            mfa_login_line(
                "21987a97-4e85-47c5-9a13-9dc3e11b2a9a",
                "https://management.core.windows.net/",
                Some(
                    "eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlcyI6WyJwMSJdfX19"
                )
            ),
            "az logout && az login --tenant \"21987a97-4e85-47c5-9a13-9dc3e11b2a9a\" --scope \"https://management.core.windows.net//.default\" --claims-challenge \"eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlcyI6WyJwMSJdfX19\""
        );
        // Nothing that could break out of the quotes reaches the line.
        let evil = mfa_login_line("t\"; rm -rf ~", "https://x/", Some("a\"$(b)"));
        assert_eq!(
            evil,
            "az logout && az login --scope \"https://x//.default\""
        );
    }

    #[test]
    fn each_refusal_names_the_right_and_the_fix() {
        let server = Target::ServerParameter {
            server: "lakehouse-pg".into(),
            server_id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/lakehouse-pg".into(),
            parameter: "azure.extensions".into(),
        };
        let r = explain(&server, &who(), &api(403, DENIED, None));
        assert!(
            r.what
                .contains("dev@contoso.com may not change server parameters of lakehouse-pg"),
            "{r}"
        );
        assert_eq!(
            r.fix.as_deref(),
            Some(
                "ask an Owner of the server for Contributor on it: az role assignment create --role Contributor --assignee dev@contoso.com --scope /subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/lakehouse-pg"
            )
        );
        let role = Target::RoleAssignment {
            account: "sto1125".into(),
            scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sto1125".into(),
            role: "Storage Blob Delegator".into(),
            principal_id: "0000-sp".into(),
        };
        let r = explain(&role, &who(), &api(403, DENIED, None));
        assert!(r.what.contains("Owner, User Access Administrator"), "{r}");
        assert!(r.fix.as_deref().is_some_and(|f| f.contains("--role \"Storage Blob Delegator\" --assignee-object-id 0000-sp --assignee-principal-type ServicePrincipal")), "{r}");
        let vault = Target::VaultSecret {
            vault: "team-dev-kv".into(),
            secret: "pg".into(),
        };
        let rbac = r#"{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.","innererror":{"code":"ForbiddenByRbac"}}}"#;
        let r = explain(&vault, &who(), &api(403, rbac, None));
        assert!(
            r.fix
                .as_deref()
                .is_some_and(|f| f.contains("--role \"Key Vault Secrets Officer\"")),
            "{r}"
        );
        let policy = r#"{"error":{"code":"Forbidden","message":"does not have secrets set permission","innererror":{"code":"AccessDenied"}}}"#;
        let r = explain(&vault, &who(), &api(403, policy, None));
        assert!(
            r.fix
                .as_deref()
                .is_some_and(|f| f.contains("--secret-permissions get list set")),
            "{r}"
        );
    }

    #[test]
    fn a_claims_challenge_or_an_mfa_message_asks_for_the_mfa_login() {
        let server = Target::ServerParameter {
            server: "pg".into(),
            server_id: "/x".into(),
            parameter: "azure.extensions".into(),
        };
        let r = explain(&server, &who(), &api(401, "{}", Some("eyJhIjoiYiJ9")));
        assert!(r.what.contains("multi-factor"), "{r}");
        assert!(
            r.fix
                .as_deref()
                .is_some_and(|f| f.ends_with("--claims-challenge \"eyJhIjoiYiJ9\"")),
            "{r}"
        );
        let policy = r#"{"error":{"code":"RequestDisallowedByPolicy","message":"Resource was disallowed by policy. MFA is required for this operation."}}"#;
        let r = explain(&server, &who(), &api(403, policy, None));
        assert!(
            r.fix.as_deref().is_some_and(|f| f.starts_with(
                "sign in again with MFA, then run this again: az logout && az login --tenant"
            )),
            "{r}"
        );
    }
}
