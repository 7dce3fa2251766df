//! User-facing text that is not an error message: field labels and where to find each value in
//! the Azure portal. Kept together so it can be reviewed and reworded in one place; the
//! longer per-step explanations for the wizard live in `assets/help/`.

use crate::model::FieldId;

/// Short label for a field, as a person would name it.
pub fn label(field: FieldId) -> &'static str {
    match field {
        FieldId::Tenant => "Directory (tenant) ID",
        FieldId::Cloud => "Azure cloud",
        FieldId::AuthorityHost => "Login host override",
        FieldId::ApiClientId => "Lakekeeper API application (client) ID",
        FieldId::AppIdUri => "Lakekeeper API Application ID URI",
        FieldId::BackendClientId => "Backend service account application (client) ID",
        FieldId::BackendSecret => "Backend service account client secret (Value)",
        FieldId::UiClientId => "Lakekeeper UI application (client) ID",
        FieldId::PgHost => "PostgreSQL host",
        FieldId::PgPort => "PostgreSQL port",
        FieldId::PgDatabase => "PostgreSQL database",
        FieldId::PgUser => "PostgreSQL user",
        FieldId::PgPassword => "PostgreSQL password",
        FieldId::PgSslMode => "PostgreSQL sslmode",
        FieldId::PgSchema => "Lakekeeper's own schema",
        FieldId::StorageAccount => "Storage account name",
        FieldId::StorageContainer => "Container (filesystem)",
        FieldId::StorageKeyPrefix => "Key prefix inside the container",
        FieldId::StorageAccountKey => "Storage account key",
        FieldId::StorageCredential => "Warehouse storage credential",
        FieldId::StorageClientId => "Warehouse storage app (client) ID",
        FieldId::StorageClientSecret => "Warehouse storage app client secret",
        FieldId::WarehouseName => "Warehouse name",
        FieldId::EncryptionKey => "Lakekeeper encryption key",
        FieldId::BaseUri => "Lakekeeper base URI",
        FieldId::Image => "Lakekeeper image",
    }
}

/// Where the value is found, one line.
pub fn hint(field: FieldId) -> &'static str {
    match field {
        FieldId::Tenant => {
            "Entra ID → Overview → 'Tenant ID' (a GUID), or a verified domain like contoso.onmicrosoft.com"
        }
        FieldId::Cloud => "public, usgov or china",
        FieldId::AuthorityHost => {
            "leave empty unless told otherwise; https only (plain http only for 127.0.0.1 test servers)"
        }
        FieldId::ApiClientId => {
            "App registrations → the Lakekeeper API app → Overview → 'Application (client) ID'"
        }
        FieldId::AppIdUri => {
            "the Lakekeeper API app → Expose an API → 'Application ID URI' (default api://<client id>)"
        }
        FieldId::BackendClientId => {
            "App registrations → the backend's app → Overview → 'Application (client) ID'"
        }
        FieldId::BackendSecret => {
            "the backend's app → Certificates & secrets → the 'Value' column (shown once), not the 'Secret ID'"
        }
        FieldId::UiClientId => {
            "optional: the Single-page-application registration for the Lakekeeper UI (redirect <base>/ui/callback)"
        }
        FieldId::PgHost => "the server's 'Server name', e.g. myserver.postgres.database.azure.com",
        FieldId::PgPort => "5432 unless your server says otherwise",
        FieldId::PgDatabase => "the database Lakekeeper will create its tables in",
        FieldId::PgUser => "a role that may create extensions and tables in that database",
        FieldId::PgPassword => "that role's password (any characters: the tool encodes it)",
        FieldId::PgSslMode => {
            "require for Azure (it enforces TLS); disable only for a local server"
        }
        FieldId::PgSchema => {
            "keeps Lakekeeper's tables apart from the backend's in a shared database (lakekeeper); none for a database of its own"
        }
        FieldId::StorageAccount => {
            "Storage accounts → the ADLS Gen2 account's name (3-24 lowercase letters and digits)"
        }
        FieldId::StorageContainer => "the account → Containers → the container (filesystem) name",
        FieldId::StorageKeyPrefix => {
            "a folder inside the container for the warehouse, e.g. lakekeeper"
        }
        FieldId::StorageAccountKey => {
            "the account → Security + networking → Access keys → key1 'Key'"
        }
        FieldId::StorageCredential => {
            "client-credentials (an app with Storage Blob Data Contributor + Storage Blob Delegator) or shared-key"
        }
        FieldId::StorageClientId => "leave empty to use the backend service account",
        FieldId::StorageClientSecret => "the warehouse app's client secret Value",
        FieldId::WarehouseName => "the name the backend uses for the warehouse",
        FieldId::EncryptionKey => {
            "encrypts warehouse secrets in PostgreSQL; changing it later makes them unreadable"
        }
        FieldId::BaseUri => {
            "where Lakekeeper is reached from your machine, e.g. http://localhost:8181"
        }
        FieldId::Image => "a pinned release, e.g. quay.io/lakekeeper/catalog:v0.13.3",
    }
}

/// The Lakekeeper image this release pins, as a literal so `--version` can name it at compile time.
#[macro_export]
macro_rules! pinned_image {
    () => {
        "quay.io/lakekeeper/catalog:v0.13.3"
    };
}

pub const DEFAULT_IMAGE: &str = pinned_image!();

/// What `--version` prints after the program name.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (pins Lakekeeper ",
    pinned_image!(),
    ")"
);

/// What the wizard says when no project root was found walking up from `start`.
pub fn root_not_found(start: &std::path::Path) -> String {
    format!(
        "No project found here or above: {} and the directories above it have no backend/ holding a compose file or a .env, and no lakekeeper-setup.toml.",
        start.display()
    )
}

/// The wizard's question then (short: line prompts do not wrap it).
pub const ROOT_QUESTION: &str = "Set up Lakekeeper in which directory?";

/// The help under that question.
pub const ROOT_HELP: &str = "backend/ is created there; Esc cancels";

/// What to do when a pooler refuses or drops the URL's `options` (Lakekeeper's own schema).
pub const POOLER_FIX: &str = "connect Lakekeeper to the server itself (port 5432, not PgBouncer's 6432: Lakekeeper pools its own connections), or give Lakekeeper a role of its own whose search path is set on the server (CREATE ROLE lakekeeper LOGIN PASSWORD '…'; ALTER ROLE lakekeeper SET search_path = lakekeeper, public;) and drop the options from both URLs — not on the backend's role, whose search path would change too";

pub const DEFAULT_BASE_URI: &str = "http://localhost:8181";
pub const DEFAULT_WAREHOUSE: &str = "lakekeeper";
pub const DEFAULT_KEY_PREFIX: &str = "lakekeeper";

/// The full-screen wizard's key hints, reworded for line mode, which has none of those keys:
/// no Ctrl-S (an empty answer skips), and the review is a list to choose from (no `p`, no `w`).
/// Applied to every text line mode prints; a test holds each step's text to it.
const LINE_MODE_WORDING: &[(&str, &str)] = &[
    (", or press Ctrl-S, to skip it", " to skip it"),
    (" (p: don't).", " (choose below not to)."),
    (
        " (p: also save the non-secret answers there).",
        " (choose below to also save the non-secret answers there).",
    ),
    (
        "Enter or w writes these changes.",
        "Choose Write below to write these changes.",
    ),
    (
        "Dry run: Enter finishes without writing.",
        "Dry run: Finish writes nothing.",
    ),
    (
        "Everything is already up to date: Enter finishes without writing.",
        "Everything is already up to date: nothing will be written.",
    ),
];

/// Keys only the full-screen wizard has; line mode never mentions them.
pub const FULL_SCREEN_ONLY_KEYS: &[&str] = &[
    "Ctrl-S",
    "Ctrl-N",
    "Ctrl-B",
    "Ctrl-U",
    "PgDn",
    "PgUp",
    "(p:",
    "Enter or w",
    "Ctrl-L",
];

/// `text` as line mode says it (see [`LINE_MODE_WORDING`]).
pub fn line_mode(text: &str) -> String {
    LINE_MODE_WORDING
        .iter()
        .fold(text.to_owned(), |t, (from, to)| t.replace(from, to))
}

/// The key that opens the Azure picker in the full-screen wizard (Ctrl-L: "list").
pub const PICK_KEY: &str = "Ctrl-L";

/// What a picker lists, as its title.
pub fn pick_title(kind: &crate::azure::pick::ListKind) -> &'static str {
    use crate::azure::pick::ListKind as K;
    match kind {
        K::Tenant => "Tenants you can sign in to",
        K::ApiApp => "App registrations: the Lakekeeper API app",
        K::BackendApp => "App registrations: the backend's app",
        K::UiApp => "App registrations: the Lakekeeper UI app",
        K::StorageAccount => "Storage accounts (ADLS Gen2 needs hierarchical namespace)",
        K::Container { .. } => "Containers of the storage account",
        K::PostgresServer => "PostgreSQL flexible servers",
    }
}

/// Shown while a list loads; `az` often takes ten seconds.
pub fn pick_loading(kind: &crate::azure::pick::ListKind) -> String {
    format!(
        "Asking Azure: {} (the Azure CLI can take 10 s or more)…",
        pick_title(kind).to_lowercase()
    )
}

/// A list with no rows at all.
pub const PICK_EMPTY: &str =
    "Nothing to pick: your Azure login sees none of these. Esc, then type the value.";

/// The wizard's offer when the Lakekeeper app registrations may not exist yet.
pub const BOOTSTRAP_OFFER: &str = "No app registrations for Lakekeeper yet? `lakekeeper-setup azure bootstrap` creates them (the API app, the backend's service account and its secret) and writes their IDs into the profile.";

/// What the full-screen wizard adds to the offer.
pub const BOOTSTRAP_OFFER_TUI: &str = "Ctrl-O runs it now (it shows its plan and asks first); the wizard then starts again with the new IDs.";

/// What line mode adds to the offer before Azure has answered.
pub const BOOTSTRAP_OFFER_LINE: &str = "Type ? to list the tenant's apps (with none, the wizard offers to run it), or leave (Esc), run it, and start the wizard again.";

/// The full-screen wizard's key for the bootstrap offer.
pub const BOOTSTRAP_KEY: &str = "Ctrl-O";

/// Line mode's question for the bootstrap offer (default no).
pub const BOOTSTRAP_QUESTION: &str = "Create the app registrations now with `lakekeeper-setup azure bootstrap` (it shows its plan and asks first; the wizard then starts again)?";

/// The offer when the picker's list does not hold the client ID the field has.
pub fn bootstrap_offer_unknown(client_id: &str) -> String {
    format!(
        "Microsoft Graph knows no app with client ID {client_id} in this tenant. {BOOTSTRAP_OFFER}"
    )
}

/// The offer when the tenant lists no app registrations at all.
pub fn bootstrap_offer_none() -> String {
    format!("Your Azure login sees no app registrations in this tenant. {BOOTSTRAP_OFFER}")
}

/// A filter that hides every row.
pub const PICK_NO_MATCH: &str = "No row matches the filter (Backspace widens it).";

/// Why choosing a greyed row did nothing.
pub fn pick_refused(label: &str, why: &str) -> String {
    format!("{label} can't be chosen: {why}")
}

/// Line mode: what to type in a field to pick from Azure instead.
pub const PICK_ANSWER: &str = "?";

/// Line mode: the help-line hint on a field that can be picked.
pub const PICK_LINE_HINT: &str = "? and Enter picks from Azure";

/// A list could not be had (the error's own text follows).
pub const PICK_FAILED: &str = "Could not list from Azure";

/// What Lakekeeper shows of a warehouse's stored credential (`storage-credential-type`): its
/// kind only, never a client ID or a secret.
pub fn stored_credential(kind: Option<&str>) -> String {
    match kind {
        Some(k) => format!(
            "Lakekeeper holds a {k} storage credential (it shows only the kind, never the client ID or the secret)"
        ),
        None => "Lakekeeper shows no storage credential for it (none stored, or its secret store could not read it)".to_owned(),
    }
}

/// `warehouse` left an existing warehouse's client-credentials storage credential as it is: the
/// profile keeps no team vault, so the secret in this `.env` may be this person's alone.
pub fn warehouse_credential_kept(name: &str, location: &str, kind: &str, env: &str) -> String {
    format!(
        "warehouse `{name}` already exists at {location} with a {kind} storage credential, left as it is: Lakekeeper does not show whose client secret it holds, and without a team vault each teammate may hold a secret of their own. If its tables fail with an Azure authentication error (that secret was removed or expired), `lakekeeper-setup warehouse --update-credential` gives it the one in {env}; `lakekeeper-setup azure rotate-secret` updates it by itself"
    )
}

/// After `warehouse` sent a client-credentials storage credential: whose secret the shared
/// warehouse now signs with.
pub fn warehouse_signs_with(client_id: &str, env: &str, team_holds: bool) -> String {
    if team_holds {
        format!(
            "the warehouse signs with client {client_id}'s secret from the team's Key Vault (the value every teammate's apply writes)"
        )
    } else {
        format!(
            "the warehouse now signs with client {client_id}'s secret from {env}, which replaced the one it held: without a team vault it may be yours alone, and when it is removed or expires the team's tables stop loading until someone runs `lakekeeper-setup warehouse --update-credential` with a live one (a team Key Vault avoids this: docs/secrets.md)"
        )
    }
}

/// The Done screen when production answers exist but production's own identities do not.
pub const PRODUCTION_NEEDS_BOOTSTRAP: &str = "Production needs identities of its own before `export helm` writes anything (its own API app, UI app and Lakekeeper's managed identity, so no laptop's secret gets a production token): run `lakekeeper-setup azure bootstrap --production`, then `lakekeeper-setup export helm`.";

/// `warehouse --production` or `verify --production` could not get the signed-in person's token
/// for production's API.
pub const PRODUCTION_USER_TOKEN_FIX: &str = "it runs as you, never as a laptop's service account: sign in with `az login` as a person who holds production's app role (the first person gets it from `lakekeeper-setup azure bootstrap --production`, which also pre-authorises the Azure CLI on that scope)";
