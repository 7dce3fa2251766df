//! Command-line flags (clap) and the paths they resolve to.
//!
//! No secret is ever accepted as an argument: secrets come from the environment (under their
//! `.env` names), the existing `.env`, or the wizard's masked prompts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::root::Origin;

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 problems found (invalid or missing values, `check` errors, failed
`verify` checks); 2 could not run (bad usage, unreadable or unparseable files, a merge refused,
another run holding the lock); 130 cancelled.

Secrets are never taken as arguments: set LAKEKEEPER__OAUTH2__CLIENT_SECRET, POSTGRES_PASSWORD,
AZURE_STORAGE_ACCOUNT_KEY or LAKEKEEPER__PG_ENCRYPTION_KEY in the environment, or keep them in
backend/.env. NO_COLOR turns colour off.";

/// Sets up Lakekeeper (Iceberg REST catalog) with Entra ID, ADLS Gen2 and PostgreSQL: writes
/// backend/.env and a docker compose override. Without a command: the interactive wizard.
#[derive(Debug, Parser)]
#[command(name = "lakekeeper-setup", version = crate::strings::VERSION, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    /// Wizard: use line prompts instead of the full-screen interface.
    #[arg(long)]
    pub plain: bool,

    /// Wizard: go through every step and show the review, but write nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Whether this run changes files, a database or Azure as soon as it starts (a command that
    /// writes, not a dry run). A closed output stream must not cut such a run short
    /// ([`crate::output::stdio::committed`]); the wizard and a terminal confirmation mark the
    /// moment of writing themselves.
    pub fn writes(&self) -> bool {
        match &self.command {
            Some(Command::Apply(a)) => !a.dry_run,
            Some(Command::Verify(v)) => v.fix || v.create_warehouse,
            Some(Command::Warehouse(w)) => !w.dry_run,
            Some(Command::Export(ExportTarget::Helm(h))) => !h.dry_run,
            Some(Command::Azure(
                AzureCommand::Bootstrap(BootstrapArgs { write, .. })
                | AzureCommand::Extensions(ExtensionsArgs { write, .. })
                | AzureCommand::Roles(RolesArgs { write, .. })
                | AzureCommand::StoreSecrets(write)
                | AzureCommand::RotateSecret(RotateSecretArgs { write, .. })
                | AzureCommand::Revoke(RevokeArgs { write, .. }),
            )) => !write.dry_run,
            Some(Command::Azure(AzureCommand::Grant(g))) => !g.write.dry_run && !g.list,
            Some(Command::Check(_) | Command::Completions(_) | Command::Man(_)) | None => false,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Project root [default: the first directory from here upwards with backend/ holding a
    /// compose file or a .env, or with a lakekeeper-setup.toml].
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// The backend's .env file, read by every command; only apply, the wizard, azure bootstrap
    /// and azure rotate-secret edit it [default: <root>/backend/.env].
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// The compose override, which only apply and the wizard write (azure rotate-secret runs
    /// apply) [default: the override Compose would load from <root>/backend/, else
    /// <root>/backend/docker-compose.override.yml].
    #[arg(long, global = true, value_name = "PATH")]
    pub override_file: Option<PathBuf>,

    /// The team profile [default: <root>/lakekeeper-setup.toml].
    #[arg(long, global = true, value_name = "PATH")]
    pub profile: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Non-interactive: take values from the environment, the profile, then the existing .env;
    /// validate everything; write backend/.env and the compose override.
    #[command(after_help = AFTER_HELP)]
    Apply(ApplyArgs),
    /// Offline lint of an existing backend/.env and compose files.
    #[command(after_help = AFTER_HELP)]
    Check(CheckArgs),
    /// Prove the setup live: OIDC discovery, token, claims, PostgreSQL, storage, Lakekeeper.
    #[command(after_help = AFTER_HELP)]
    Verify(VerifyArgs),
    /// Bootstrap Lakekeeper and create the ADLS warehouse from the configuration (idempotent);
    /// a warehouse that exists gets the configured storage credential.
    #[command(after_help = AFTER_HELP)]
    Warehouse(WarehouseArgs),
    /// Write the production configuration from the same answers: values for Lakekeeper's
    /// official Helm chart and the Secret it reads.
    #[command(subcommand)]
    Export(ExportTarget),
    /// Do the Azure portal steps with your own `az login`: app registrations, the PostgreSQL
    /// extension allow-list, storage roles, secrets into Key Vault. Each shows its plan first.
    #[command(subcommand)]
    Azure(AzureCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to standard output.
    #[command(after_help = COMPLETIONS_HELP, help_template = COMPLETIONS_TEMPLATE)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to standard output, or write one page per command to a
    /// directory.
    Man(ManArgs),
}

/// Where each shell wants its script: one command a line, to copy whole.
macro_rules! completions_install {
    () => {
        "\
Install, for example:
  bash:       lakekeeper-setup completions bash > ~/.local/share/bash-completion/completions/lakekeeper-setup
  zsh:        lakekeeper-setup completions zsh > \"${fpath[1]}/_lakekeeper-setup\"
  fish:       lakekeeper-setup completions fish > ~/.config/fish/completions/lakekeeper-setup.fish
  powershell: lakekeeper-setup completions powershell >> $PROFILE"
    };
}

/// The manual page's section (clap_mangen prints it as written).
const COMPLETIONS_HELP: &str = completions_install!();

/// `--help`: clap wraps `after_help` to the terminal (100 columns when piped), which broke the
/// bash line in two; a template's own text is printed as written.
const COMPLETIONS_TEMPLATE: &str = concat!(
    "{before-help}{about-with-newline}\n{usage-heading} {usage}\n\n{all-args}\n\n",
    completions_install!()
);

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `lakekeeper-setup.1` and one `lakekeeper-setup-<command>.1` per command into DIR
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AzureCommand {
    /// Create or complete the app registrations (Lakekeeper API app, backend service account
    /// and its secret, optional UI app) and write the non-secret results into the profile.
    #[command(after_help = AFTER_HELP)]
    Bootstrap(BootstrapArgs),
    /// Add Lakekeeper's extensions to the PostgreSQL server's `azure.extensions` allow-list,
    /// keeping every entry already there (no restart needed). Needs Contributor on the server.
    #[command(after_help = AFTER_HELP)]
    Extensions(ExtensionsArgs),
    /// Check the warehouse's principal holds Storage Blob Data Contributor and Storage Blob
    /// Delegator on the storage account; grant what is missing. Granting needs Owner or User
    /// Access Administrator on the account.
    #[command(after_help = AFTER_HELP)]
    Roles(RolesArgs),
    /// Put the current secrets (from backend/.env or the environment) into the team's Key Vault
    /// under the names in the profile's [secrets] table, only those missing or different there.
    /// Needs Key Vault Secrets Officer on the vault.
    #[command(after_help = AFTER_HELP)]
    StoreSecrets(AzureWriteArgs),
    /// Let people and apps call the production API: assign them its app role ([production]
    /// app_role, default Lakekeeper.Access). Name a user (UPN or object ID), a group, or an app
    /// (client ID, object ID or display name). `--list` shows who holds it. Needs ownership of
    /// the production API's enterprise app (or Cloud Application Administrator).
    #[command(after_help = AFTER_HELP)]
    Grant(GrantArgs),
    /// Take the production API's app role away from a user, group or app (named as for grant).
    #[command(after_help = AFTER_HELP)]
    Revoke(RevokeArgs),
    /// Replace the backend's client secret: add a new one (into the team's Key Vault as a new
    /// version, else backend/.env; never shown), run apply, prove it with a token request,
    /// give the warehouse the new secret in Lakekeeper, and only then remove the old one (asked
    /// again first). A run that stopped resumes where it stopped. Needs owner of the backend's
    /// app registration (or Application Administrator), and Key Vault Secrets Officer on a vault.
    #[command(after_help = AFTER_HELP)]
    RotateSecret(RotateSecretArgs),
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    #[command(flatten)]
    pub write: AzureWriteArgs,
    /// Show who holds the app role and change nothing.
    #[arg(long, conflicts_with = "who")]
    pub list: bool,
    /// Users (UPN or object ID), groups (object ID or display name) or apps (client ID, object
    /// ID or display name).
    #[arg(value_name = "WHO", required_unless_present = "list")]
    pub who: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub write: AzureWriteArgs,
    /// Who loses the app role (named as for grant).
    #[arg(value_name = "WHO", required = true)]
    pub who: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RotateSecretArgs {
    #[command(flatten)]
    pub write: AzureWriteArgs,
    /// Lifetime of the new client secret, 1–24 months [default: 12].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=24))]
    pub months: Option<u32>,
    /// Leave the old client secret in place until it expires (whoever still uses it keeps
    /// working); a later run offers to remove it.
    #[arg(long)]
    pub keep_old: bool,
}

#[derive(Debug, Args)]
pub struct ExtensionsArgs {
    #[command(flatten)]
    pub write: AzureWriteArgs,
    /// The PostgreSQL flexible server, by name or ARM resource ID [default: the one whose host
    /// name is the PostgreSQL host in the profile or backend/.env].
    #[arg(long, value_name = "NAME|ID")]
    pub server: Option<String>,
    /// Look for the server (or storage account) only in this subscription [default: every
    /// enabled subscription you can see].
    #[arg(long, value_name = "ID")]
    pub subscription: Option<String>,
    /// Not a flag: the host `verify --fix` connected to, which names the server before the
    /// profile's host does.
    #[arg(skip)]
    pub host: Option<String>,
}

#[derive(Debug, Args)]
pub struct RolesArgs {
    #[command(flatten)]
    pub write: AzureWriteArgs,
    /// The storage account, by name or ARM resource ID [default: the account in the profile or
    /// backend/.env].
    #[arg(long, value_name = "NAME|ID")]
    pub account: Option<String>,
    /// Look for the storage account only in this subscription [default: every enabled
    /// subscription you can see].
    #[arg(long, value_name = "ID")]
    pub subscription: Option<String>,
    /// Grant Storage Blob Data Contributor on the warehouse's container only (the Delegator
    /// stays on the account): the principal then cannot reach the account's other containers.
    #[arg(long)]
    pub container_scope: bool,
    /// Grant Lakekeeper's production identity ([production] lakekeeper_identity_client_id)
    /// Data Contributor on the warehouse's container and Delegator on the account.
    #[arg(long)]
    pub production: bool,
}

/// What every Azure write command takes.
#[derive(Debug, Args)]
pub struct AzureWriteArgs {
    /// Print the requests it would send (secrets masked) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask before changing anything.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub write: AzureWriteArgs,
    /// Also create the UI app registration (single-page app, redirect <base URI>/ui/callback)
    /// and pre-authorise it on the API's scope. An existing UI app is completed anyway.
    #[arg(long)]
    pub with_ui: bool,
    /// The apps' unique (and display) names are <PREFIX>-api, <PREFIX>-backend, <PREFIX>-ui.
    #[arg(long, value_name = "PREFIX", default_value = crate::azure::bootstrap::DEFAULT_PREFIX)]
    pub prefix: String,
    /// Lifetime of a new client secret, 1–24 months [default: 12; asked on a terminal].
    #[arg(long, value_name = "MONTHS", value_parser = clap::value_parser!(u32).range(1..=24))]
    pub secret_months: Option<u32>,
    /// Add a new client secret even when one is in place (the old one keeps working until it
    /// expires or is removed in the portal).
    #[arg(long)]
    pub new_secret: bool,
    /// Set up production's own identities from [production]: an API app (<PREFIX>-prod-api)
    /// whose service principal requires the app role, a UI app with the production redirect,
    /// the Azure CLI pre-authorised, managed identities for Lakekeeper and the backend
    /// federated with their service accounts on the AKS cluster, and the role assigned to the
    /// backend's identity and to you. No client secret.
    #[arg(long, conflicts_with_all = ["with_ui", "secret_months", "new_secret"])]
    pub production: bool,
    /// With --production: the AKS cluster's resource ID [default: [production] aks_cluster].
    #[arg(long, value_name = "ID", requires = "production")]
    pub aks_cluster: Option<String>,
    /// The tenant to work in (its ID, or a verified domain) [default: the profile's, else
    /// backend/.env's, when your Azure CLI sign-in reaches it; with none configured, the
    /// signed-in tenant; one the sign-in cannot reach is offered against the signed-in one on a
    /// terminal, and without one (or with --yes) the run stops naming both]. With --production
    /// it must be the team's tenant.
    #[arg(long, value_name = "TENANT", value_parser = parse_tenant)]
    pub tenant: Option<String>,
}

/// `--tenant` through the wizard's own validator (a pasted URL gives its GUID).
fn parse_tenant(s: &str) -> Result<String, String> {
    crate::validate::tenant(s)
        .map(|c| c.value.as_str().to_owned())
        .map_err(|e| format!("{}; fix: {}", e.problem(), e.fix))
}

#[derive(Debug, Subcommand)]
pub enum ExportTarget {
    /// values.yaml for the official chart (lakekeeper/lakekeeper) plus ExternalSecret objects or
    /// a Secret manifest; needs `base_uri` under [production] in the profile and production's own
    /// identities (`azure bootstrap --production`). With --secrets kubernetes the Secret holds
    /// Lakekeeper's own database role's password, from LAKEKEEPER_PRODUCTION_PG_PASSWORD.
    #[command(after_help = AFTER_HELP)]
    Helm(HelmArgs),
}

#[derive(Debug, Args)]
pub struct HelmArgs {
    /// Directory to write into [default: <root>/deploy/helm].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Where the Secret's values come from [default: external-secrets when the profile names a
    /// Key Vault, else kubernetes].
    #[arg(long, value_enum, value_name = "FROM")]
    pub secrets: Option<SecretsFrom>,
    /// Print what would be written (secret values withheld) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace files in the output directory that this tool did not write.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecretsFrom {
    /// ExternalSecret + SecretStore reading Azure Key Vault (workload identity): no value in any file.
    ExternalSecrets,
    /// A Secret manifest with the values, 0600 in a directory git ignores.
    Kubernetes,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Print the plan (a key-level diff, secrets masked) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation on a terminal.
    #[arg(long)]
    pub yes: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Generate LAKEKEEPER__PG_ENCRYPTION_KEY when none exists (never replaces one).
    #[arg(long)]
    pub generate_key: bool,
    /// Replace an existing encryption key. Warehouse secrets stored with the old key become
    /// unreadable.
    #[arg(long)]
    pub rotate_key: bool,
    /// Also write the non-secret values to the profile (lakekeeper-setup.toml).
    #[arg(long)]
    pub save_profile: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Machine-readable output (stable field names, no secrets).
    #[arg(long)]
    pub json: bool,
    /// Seconds each check may take.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub timeout: Duration,
    /// Run only these checks: oidc-discovery, token, token-claims, postgres, storage,
    /// lakekeeper, shadowing, key-vault (the profile's [secrets] against backend/.env),
    /// client-secret and storage-client-secret (their expiry, from Microsoft Graph).
    #[arg(long, value_name = "NAME,…", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Afterwards, bootstrap Lakekeeper and create the warehouse (as `warehouse`).
    #[arg(long)]
    pub create_warehouse: bool,
    /// Check production: [production] base_uri and postgres_host replace the laptop's; the
    /// postgres check connects as Lakekeeper's own role ([production] postgres_user, password in
    /// LAKEKEEPER_PRODUCTION_PG_PASSWORD) and postgres-role proves that role's isolation.
    #[arg(long)]
    pub production: bool,
    /// Also print the libraries' full error chain behind each network failure.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Before checking, create Lakekeeper's own PostgreSQL schema (the URL's search_path) when
    /// it is missing and the role may; otherwise print the SQL for an administrator. After
    /// checking, fix in Azure what the checks found (with your `az login`): Lakekeeper's
    /// extensions missing from azure.extensions (as `azure extensions`), the warehouse's storage
    /// roles (as `azure roles`). With --production: print the SQL an administrator runs once
    /// for Lakekeeper's own role (role, schema, search path, extensions), and run it where the
    /// signed-in role may.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: do not ask before changing anything.
    #[arg(long, requires = "fix")]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct WarehouseArgs {
    /// Print what would be sent (secrets masked) and change nothing: the create request, or,
    /// for a warehouse that exists, the update of its storage credential.
    #[arg(long)]
    pub dry_run: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Seconds each request may take.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub timeout: Duration,
    /// Against production: [production] base_uri replaces the laptop's; runs as you (the Azure
    /// CLI's token for the production API's scope) and gives the warehouse Lakekeeper's managed
    /// identity as its storage credential.
    #[arg(long)]
    pub production: bool,
    /// For a warehouse that exists with a client-credentials storage credential: send the client
    /// secret in your backend/.env as its credential even when the profile keeps no team vault
    /// (Lakekeeper shows only a credential's kind, so without a vault the one it holds may be a
    /// teammate's; use this when that one was removed or expired).
    #[arg(long, conflicts_with = "production")]
    pub update_credential: bool,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(n) if n > 0.0 && n <= 3600.0 => Ok(Duration::from_secs_f64(n)),
        _ => Err(format!(
            "`{s}` is not a number of seconds between 0 and 3600"
        )),
    }
}

/// The files a run reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub root: PathBuf,
    pub env: PathBuf,
    pub override_file: PathBuf,
    /// The base compose file beside the override, if one exists.
    pub base_compose: Option<PathBuf>,
    pub profile: PathBuf,
    /// How `root` was chosen (`--root`, found walking up, or not found).
    pub origin: Origin,
}

const BASE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

impl Paths {
    /// The paths for `--root`, or for the root found walking up from `cwd`.
    pub fn resolve(g: &Global, cwd: &Path) -> Paths {
        let (root, origin) = crate::root::choose(g.root.as_deref(), cwd);
        Paths::at(g, root, origin)
    }

    /// The paths with `root` as the project root.
    pub fn at(g: &Global, root: PathBuf, origin: Origin) -> Paths {
        let backend = root.join("backend");
        let env = g.env_file.clone().unwrap_or_else(|| backend.join(".env"));
        let override_file = g
            .override_file
            .clone()
            .unwrap_or_else(|| crate::compose::default_override_path(&backend));
        let dir = override_file
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let base_compose = BASE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file());
        let profile = g
            .profile
            .clone()
            .unwrap_or_else(|| root.join(crate::root::PROFILE_FILE));
        Paths {
            root,
            env,
            override_file,
            base_compose,
            profile,
            origin,
        }
    }

    /// Whether a run with these paths may create `backend/`: a root was given or found, or the
    /// user named the `.env` file itself.
    pub fn may_create(&self, g: &Global) -> bool {
        self.origin != Origin::NotFound || g.env_file.is_some()
    }
}
