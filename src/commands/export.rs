//! `export helm`: the same answers as `apply` (environment, profile, existing `.env`), the same
//! validators, plus the profile's `[production]` table → values for Lakekeeper's official Helm
//! chart and the Secret it reads, written into one directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Exit, Project, RunError};
use crate::cli::{ExportTarget, HelmArgs, Paths, SecretsFrom};
use crate::helm::{self, ExportError, MARKER, SecretsMode};
use crate::model::{FieldId, Source};
use crate::output::{self, Style};
use crate::production::{self, ProductionError};
use crate::validate;

/// Stands in for a secret `--secrets external-secrets` never writes (the vault holds the real
/// one), so a laptop without that secret can still export. Long enough for every validator.
const NOT_WRITTEN: &str = "not-written-external-secrets-mode-placeholder";

pub fn run(
    paths: &Paths,
    target: &ExportTarget,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    match target {
        ExportTarget::Helm(args) => run_helm(paths, args, process_env),
    }
}

fn production_errors(errors: &[ProductionError]) -> Exit {
    let s = Style::stderr();
    eoutln!(
        "{} {} problem(s) in the production answers; nothing was written:",
        s.red("error:"),
        errors.len()
    );
    for e in errors {
        eoutln!("  - {e}");
    }
    Exit::Problems
}

fn run_helm(
    paths: &Paths,
    args: &HelmArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    let project = Project::load(paths)?;
    let profile_text = project.profile_text.clone().unwrap_or_default();
    let (raw, names) = match (
        production::read(&profile_text),
        production::vault_names(&profile_text),
    ) {
        (Ok(r), Ok(n)) => (r, n),
        (Err(e), _) | (_, Err(e)) => return Ok(production_errors(&[e])),
    };
    let vault_named = production::vault_named(raw.as_ref(), &names);
    let mode = match args.secrets {
        Some(SecretsFrom::ExternalSecrets) => SecretsMode::ExternalSecrets,
        None if vault_named => SecretsMode::ExternalSecrets,
        Some(SecretsFrom::Kubernetes) | None => SecretsMode::Kubernetes,
    };

    let mut answers = project.answers(process_env);
    let mut placeholders = Vec::new();
    if mode == SecretsMode::ExternalSecrets {
        for field in FieldId::ALL.into_iter().filter(|f| f.is_secret()) {
            if answers.get(field).is_none_or(str::is_empty) {
                answers.set(field, NOT_WRITTEN, Source::Default);
                placeholders.push(field);
            }
        }
    }
    let validated = match validate::answers(&answers) {
        Ok(v) => v,
        Err(errors) => {
            eout!("{}", output::field_errors(&errors, Style::stderr()));
            return Ok(Exit::Problems);
        }
    };
    let (prod, prod_warnings) = match production::validate(raw.as_ref(), &names) {
        Ok(p) => p,
        Err(errors) => return Ok(production_errors(&errors)),
    };

    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| paths.root.join("deploy").join("helm"));
    let label = out_dir.display().to_string();
    let password = process_env
        .get(production::PASSWORD_VAR)
        .map(|p| crate::secret::Secret::new(p.clone()));
    let export = match helm::export(
        &validated.config,
        &prod,
        mode,
        &names,
        password.as_ref(),
        &label,
    ) {
        Ok(e) => e,
        Err(ExportError::Answers(errors)) => return Ok(production_errors(&errors)),
        Err(e @ ExportError::ReadBack(_)) => return Err(RunError::Usage(e.to_string())),
    };

    let style = Style::stdout();
    let mut warnings: Vec<String> = validated
        .warnings
        .iter()
        .filter(|(f, _)| !placeholders.contains(f))
        .map(|(f, w)| format!("{} ({f}): {w}", crate::strings::label(*f)))
        .collect();
    warnings.extend(prod_warnings);
    warnings.extend(export.warnings.iter().cloned());
    for (f, n) in &validated.notes {
        outln!("{} {f}: {n}", style.dim("note:"));
    }
    for w in &warnings {
        outln!("{} {w}", style.yellow("warning:"));
    }

    refuse_foreign_files(&out_dir, &export.files, args.force)?;

    if args.dry_run {
        for f in &export.files {
            let path = out_dir.join(f.rel);
            if f.secret {
                outln!("--- {} (secret values withheld)", path.display());
            } else {
                outln!("--- {}\n{}", path.display(), f.text);
            }
        }
        outln!("dry run: nothing was written");
        return Ok(Exit::Ok);
    }

    crate::output::stdio::committed();
    for f in &export.files {
        let path = out_dir.join(f.rel);
        if f.secret {
            make_private_dir(path.parent().unwrap_or(&out_dir))?;
        }
        let w = crate::apply::write_atomic(&path, &f.text, f.secret)?;
        super::apply::print_written(&w, style);
    }
    outln!(
        "next, in this order (the Secret must exist before the release{}):",
        if mode == SecretsMode::ExternalSecrets {
            "; the External Secrets Operator must be installed"
        } else {
            ""
        }
    );
    for (i, c) in export.commands.iter().enumerate() {
        outln!("  {}. {c}", i + 1);
    }
    if !export.backend.is_empty() {
        outln!("the production backend's own deployment, to call Lakekeeper without a secret:");
        for line in &export.backend {
            outln!("  - {line}");
        }
    }
    outln!(
        "then, from this laptop: `lakekeeper-setup verify --production --only oidc-discovery,token,token-claims,lakekeeper` and `lakekeeper-setup warehouse --production` (bootstrap and warehouse at {})",
        crate::validate::base_uri_string(&prod.base_uri)
    );
    Ok(Exit::Ok)
}

/// Refuses to replace a file this tool did not write (unless `--force`), saying what a values
/// file of the user's would deploy.
fn refuse_foreign_files(
    out_dir: &Path,
    files: &[helm::OutFile],
    force: bool,
) -> Result<(), RunError> {
    if force {
        return Ok(());
    }
    for f in files {
        let path: PathBuf = out_dir.join(f.rel);
        let Some(existing) = super::read_optional(&path)? else {
            continue;
        };
        if existing.starts_with(MARKER) {
            continue;
        }
        let mut why = String::new();
        if f.rel == helm::VALUES_FILE {
            let findings = helm::lint_values(&existing);
            if !findings.is_empty() {
                why = format!(
                    " It has {} problem(s) the export fixes:\n{}\n",
                    findings.len(),
                    findings
                        .iter()
                        .map(|x| format!("  - {x}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
        }
        return Err(RunError::Usage(format!(
            "{} exists and was not written by lakekeeper-setup; nothing was written.{why} Move it aside, choose another --out, or pass --force to replace it",
            path.display()
        )));
    }
    Ok(())
}

fn make_private_dir(dir: &Path) -> Result<(), RunError> {
    std::fs::create_dir_all(dir).map_err(|e| RunError::Read {
        path: dir.display().to_string(),
        source: e,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
            RunError::Read {
                path: dir.display().to_string(),
                source: e,
            }
        })?;
    }
    Ok(())
}
