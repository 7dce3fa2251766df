//! Check 4 (PostgreSQL). STUB in the verify-id scratch crate: the verify-data helper provides
//! the real file with this exact signature.

use super::{CheckName, CheckResult, Status, VerifyConfig};

#[allow(clippy::unused_async)] // stub: the real check awaits
pub async fn check_postgres(cfg: &VerifyConfig) -> CheckResult {
    let _ = cfg;
    CheckResult::new(
        CheckName::Postgres,
        Status::Skipped,
        "not implemented in this build",
    )
}
