//! `check`: lint the existing `.env` and the compose file that runs Lakekeeper.

use serde_json::json;

use super::{Exit, Project, RunError};
use crate::backups;
use crate::check::{self, CheckInput, Finding, Severity};
use crate::cli::{CheckArgs, Paths};
use crate::envfile::EnvFile;
use crate::git;
use crate::output::{self, Style};

pub fn run(paths: &Paths, args: &CheckArgs) -> Result<Exit, RunError> {
    // git (one child) answers while the files are read and linted.
    let git = git::start(&paths.env);
    let project = Project::load(paths)?;
    if project.env_text.is_none() {
        return Err(RunError::Usage(format!(
            "{}: no such file; run `lakekeeper-setup` (the wizard) or `lakekeeper-setup apply` to create it",
            paths.env.display()
        )));
    }
    let override_label = paths.override_file.display().to_string();
    let base_label = paths.base_compose.as_ref().map(|p| p.display().to_string());
    let env_label = paths.env.display().to_string();
    let findings = check::check(&CheckInput {
        env_label: &env_label,
        env: &project.env,
        base: base_label.as_deref().zip(project.base_text.as_deref()),
        override_file: project
            .override_text
            .as_deref()
            .map(|t| (override_label.as_str(), t)),
        git_advice: git::advice(&paths.env, git.wait()),
    });
    // The profile's `[secrets]` table: known keys, a vault URL of the right form.
    let mut findings = findings;
    if let Err(problems) = super::vault::spec(&project) {
        let label = paths.profile.display().to_string();
        let mut list: Vec<check::Finding> = problems
            .into_iter()
            .map(|p| check::Finding {
                severity: Severity::Error,
                file: label.clone(),
                key: Some(p.key),
                line: None,
                message: p.message,
                fix: p.fix,
            })
            .collect();
        list.append(&mut findings);
        findings = list;
    }
    findings.extend(check::production(
        &paths.profile.display().to_string(),
        project.profile_text.as_deref(),
    ));
    findings.extend(stray_findings(&paths.env, &project.env, &env_label));
    findings.sort_by_key(|f| (f.severity, f.line.unwrap_or(usize::MAX)));
    let errors = findings.iter().any(|f| f.severity == Severity::Error);
    if args.json {
        outln!("{}", json!({"ok": !errors, "findings": findings}));
    } else {
        out!("{}", output::findings(&findings, Style::stdout()));
    }
    Ok(if errors { Exit::Problems } else { Exit::Ok })
}

/// Copies of the `.env` beside it that hold its secrets and that git would commit.
fn stray_findings(env_path: &std::path::Path, env: &EnvFile, env_label: &str) -> Vec<Finding> {
    let secrets = backups::secret_values(env);
    backups::strays(env_path, &secrets)
        .iter()
        .map(|s| {
            let (message, fix) = backups::advice(s, env_label);
            Finding {
                severity: Severity::Error,
                file: s.path.display().to_string(),
                key: None,
                line: None,
                message,
                fix,
            }
        })
        .collect()
}
