//! `lakekeeper-setup azure …`: the Azure portal steps done with the user's own `az login`.
//! Each subcommand prints its plan (what exists, what it will change, and the right each change
//! needs), asks once (`--yes` for scripts), then runs step by step; `--dry-run` prints the
//! requests it would send, secrets masked, and changes nothing.

pub(crate) mod bootstrap;
mod bootstrap_production;
mod common;
pub(crate) mod extensions;
mod grant;
pub(crate) mod roles;
mod store_secrets;

use std::collections::BTreeMap;

use super::{Exit, RunError};
use crate::cli::{AzureCommand, Paths};

pub fn run(
    paths: &Paths,
    command: &AzureCommand,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    match command {
        AzureCommand::Bootstrap(args) if args.production => {
            bootstrap_production::run(paths, args, process_env)
        }
        AzureCommand::Bootstrap(args) => bootstrap::run(paths, args, process_env),
        AzureCommand::Extensions(args) => extensions::run(paths, args, process_env),
        AzureCommand::Roles(args) => roles::run(paths, args, process_env),
        AzureCommand::StoreSecrets(args) => store_secrets::run(paths, args, process_env),
        AzureCommand::Grant(args) => grant::grant(paths, args, process_env),
        AzureCommand::Revoke(args) => grant::revoke(paths, args, process_env),
    }
}
