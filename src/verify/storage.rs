//! Check 5 (storage). STUB in the verify-id scratch crate: the verify-data helper provides
//! the real file with this exact signature.

use super::entra::{Token, TokenError};
use super::{CheckName, CheckResult, Status, VerifyConfig};

#[allow(clippy::unused_async)] // stub: the real check awaits
pub async fn check_storage(
    cfg: &VerifyConfig,
    storage_token: Option<Result<Token, TokenError>>,
) -> CheckResult {
    let _ = (cfg, storage_token);
    CheckResult::new(
        CheckName::Storage,
        Status::Skipped,
        "not implemented in this build",
    )
}
