//! `lakekeeper-setup azure bootstrap` (to be built: issue 14).

use std::collections::BTreeMap;

use crate::cli::{BootstrapArgs, Paths};
use crate::commands::{Exit, RunError};

pub fn run(
    _paths: &Paths,
    _args: &BootstrapArgs,
    _process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    Err(RunError::Usage("azure bootstrap is not built yet".into()))
}
