//! Check 7: variables exported in the shell that differ from `backend/.env`. Compose uses the
//! shell's value for interpolation, so the file is not what runs.
//!
//! Pure: compares two maps, performs no I/O. Names the variable; shows values only when the
//! key is not secret-looking.

use super::{CheckName, CheckResult, Status, VerifyConfig};
use crate::keys::is_secret_key;

/// Prefixes of the variables Compose interpolates for this setup.
const PREFIXES: [&str; 2] = ["LAKEKEEPER__", "POSTGRES_"];

pub fn check_shadowing(cfg: &VerifyConfig) -> CheckResult {
    let name = CheckName::Shadowing;
    let shadowed: Vec<(&String, &String, &String)> = cfg
        .process_env
        .iter()
        .filter(|(k, _)| PREFIXES.iter().any(|p| k.starts_with(p)))
        .filter_map(|(k, shell)| {
            cfg.env
                .get(k)
                .filter(|file| *file != shell)
                .map(|file| (k, shell, file))
        })
        .collect();
    if shadowed.is_empty() {
        return CheckResult::new(
            name,
            Status::Ok,
            "no LAKEKEEPER__*/POSTGRES_* variable in the shell overrides backend/.env",
        );
    }
    let names: Vec<&str> = shadowed.iter().map(|(k, _, _)| k.as_str()).collect();
    let mut r = CheckResult::new(
        name,
        Status::Warning,
        format!(
            "exported in the shell with another value than backend/.env (Compose uses the shell's): {}",
            names.join(", ")
        ),
    );
    r.details = shadowed
        .iter()
        .map(|(k, shell, file)| {
            if is_secret_key(k) {
                format!(
                    "{k}: the shell's value differs from backend/.env (secret: values not shown)"
                )
            } else {
                format!("{k}: shell `{shell}`, backend/.env `{file}`")
            }
        })
        .collect();
    r.with_fix(format!(
        "unset {} in the shell (or make it equal to backend/.env)",
        names.join(" ")
    ))
}
