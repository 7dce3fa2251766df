//! `lakekeeper-setup azure roles` (to be built: issue 14).

use std::collections::BTreeMap;

use crate::cli::{AzureWriteArgs, Paths};
use crate::commands::{Exit, RunError};

pub fn run(
    _paths: &Paths,
    _args: &AzureWriteArgs,
    _process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    Err(RunError::Usage("azure roles is not built yet".into()))
}
