//! `apply`: the non-interactive front door. Answers from the environment, the profile and the
//! existing `.env` → validate → plan → (confirm on a terminal) → atomic write.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};

use serde_json::json;

use super::{Exit, KeyDecision, Project, RunError, decide_key};
use crate::azure::secrets;
use crate::cli::{ApplyArgs, Paths};
use crate::git;
use crate::model::{FieldId, Source};
use crate::output::{self, Style};
use crate::plan::{self, ChangeKind};
use crate::secret::generate_key;
use crate::validate;

pub fn run(
    paths: &Paths,
    args: &ApplyArgs,
    process_env: &BTreeMap<String, String>,
) -> Result<Exit, RunError> {
    // git (one child) answers while the plan is computed.
    let git = git::start(&paths.env);
    let project = Project::load(paths)?;
    let vault =
        match super::vault::read(&project, process_env, super::vault::Want::NotInEnvironment) {
            Ok(v) => v,
            Err(problems) => return Ok(finish_spec(args, &problems)),
        };
    let mut answers = project.answers_with_vault(process_env, &vault.answers);
    let mut warnings: Vec<String> = vault.warnings.clone();
    warnings.extend(super::appid::warning(&answers));

    match decide_key(
        project.existing_key(),
        &answers,
        args.generate_key,
        args.rotate_key,
    ) {
        KeyDecision::Refuse(why) => {
            return Ok(finish_invalid(args, &[], Some(why), &warnings));
        }
        KeyDecision::Generate => {
            answers.set(
                FieldId::EncryptionKey,
                generate_key(48).expose(),
                Source::Generated,
            );
            if project.existing_key().is_some() {
                warnings.push(ROTATE_WARNING.into());
            }
        }
        KeyDecision::Keep => {
            if args.rotate_key
                && project
                    .existing_key()
                    .is_some_and(|k| Some(k) != answers.get(FieldId::EncryptionKey))
            {
                warnings.push(ROTATE_WARNING.into());
            }
        }
    }

    let validated = match validate::answers(&answers) {
        Ok(v) => v,
        Err(mut errors) => {
            for e in &mut errors {
                if e.field == FieldId::EncryptionKey
                    && e.value.is_none()
                    && e.message.contains("required")
                {
                    e.fix = "pass --generate-key to create one (only when no warehouse exists yet), or set LAKEKEEPER__PG_ENCRYPTION_KEY in the environment".into();
                }
            }
            return Ok(finish_invalid(args, &errors, None, &warnings));
        }
    };
    warnings.extend(
        validated
            .warnings
            .iter()
            .map(|(f, w)| format!("{} ({f}): {w}", crate::strings::label(*f))),
    );
    let notes: Vec<String> = validated
        .notes
        .iter()
        .map(|(f, n)| format!("{f}: {n}"))
        .collect();

    let the_plan = plan::plan(
        &validated.config,
        &answers,
        &project.plan_inputs(args.save_profile),
    )?;
    let git_status = git.wait();
    if let Some((msg, fix)) = git::advice(&paths.env, git_status) {
        warnings.push(format!("{msg}. Fix: {fix}"));
    }

    let origins = secrets::origins(&answers, vault.spec.as_ref(), &project.env_answers());
    for o in origins.iter().filter(|o| o.rotated) {
        warnings.push(format!(
            "{} in Key Vault differs from the one in .env (rotated): the vault's value is written",
            o.key
        ));
    }
    let style = Style::stdout();
    if !args.json {
        for n in &notes {
            outln!("{} {n}", style.dim("note:"));
        }
        for w in &warnings {
            outln!("{} {w}", style.yellow("warning:"));
        }
        out!("{}", output::plan(&the_plan, style));
        if vault.spec.is_some() {
            outln!("{}", style.bold("secrets:"));
            for o in &origins {
                outln!("  {}", o.line());
            }
        }
    }

    if args.dry_run || !the_plan.changes_anything() {
        if args.json {
            print_json(&the_plan, &warnings, &notes, &[], &origins, args.dry_run);
        } else if args.dry_run {
            outln!("dry run: nothing was written");
        } else {
            outln!(
                "{}",
                style.green("everything is already up to date; nothing was written")
            );
        }
        return Ok(Exit::Ok);
    }

    if !args.yes && std::io::stdin().is_terminal() && !args.json && !confirm()? {
        outln!("cancelled; nothing was written");
        return Ok(Exit::Cancelled);
    }

    crate::output::stdio::committed();
    let written = crate::apply::apply(&the_plan)?;
    if args.json {
        print_json(&the_plan, &warnings, &notes, &written, &origins, false);
    } else {
        for w in &written {
            print_written(w, style);
        }
        outln!(
            "next: `lakekeeper-setup verify`, then `docker compose up -d lakekeeper` in backend/"
        );
    }
    Ok(Exit::Ok)
}

const ROTATE_WARNING: &str = "the encryption key is being replaced (--rotate-key): warehouse secrets stored with the old key become unreadable (`Wrong key or corrupt data`); re-create their credentials afterwards";

fn confirm() -> Result<bool, RunError> {
    out!("write these changes? [y/N] ");
    std::io::stdout().flush().map_err(|e| RunError::Read {
        path: "stdout".into(),
        source: e,
    })?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| RunError::Read {
            path: "stdin".into(),
            source: e,
        })?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

/// A `[secrets]` table that cannot be used: nothing is read or written.
fn finish_spec(args: &ApplyArgs, problems: &[secrets::SpecProblem]) -> Exit {
    if args.json {
        let list: Vec<serde_json::Value> = problems
            .iter()
            .map(|p| json!({"field": p.key, "value": null, "message": p.message, "fix": p.fix}))
            .collect();
        outln!("{}", json!({"ok": false, "errors": list, "written": []}));
    } else {
        let s = Style::stderr();
        for p in problems {
            eoutln!("{} {p}", s.red("error:"));
        }
        eoutln!("nothing was written");
    }
    Exit::Problems
}

fn finish_invalid(
    args: &ApplyArgs,
    errors: &[validate::FieldError],
    extra: Option<String>,
    warnings: &[String],
) -> Exit {
    if args.json {
        let mut list: Vec<serde_json::Value> = errors.iter().map(|e| json!(e)).collect();
        if let Some(x) = &extra {
            list.push(json!({"field": FieldId::EncryptionKey.name(), "value": null, "message": x, "fix": "--rotate-key"}));
        }
        outln!(
            "{}",
            json!({"ok": false, "errors": list, "warnings": warnings, "written": []})
        );
    } else {
        let s = Style::stderr();
        // The vault's failures explain why a secret is missing.
        for w in warnings {
            eoutln!("{} {w}", s.yellow("warning:"));
        }
        if !errors.is_empty() {
            eout!("{}", output::field_errors(errors, s));
        }
        if let Some(x) = extra {
            eoutln!("{} {x}; nothing was written", s.red("error:"));
        }
    }
    Exit::Problems
}

fn print_json(
    p: &plan::Plan,
    warnings: &[String],
    notes: &[String],
    written: &[crate::apply::Written],
    secrets: &[secrets::SecretOrigin],
    dry_run: bool,
) {
    let changes: Vec<_> = p
        .changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Unchanged)
        .collect();
    let files: Vec<_> = written
        .iter()
        .map(|w| json!({"path": w.path.display().to_string(), "backup": w.backup.as_ref().map(|b| b.display().to_string())}))
        .collect();
    let v = json!({
        "ok": true,
        "dry_run": dry_run,
        "changes": changes,
        "override_changes": p.compose.changes(),
        "warnings": warnings,
        "notes": notes,
        "secrets": secrets,
        "written": files,
    });
    outln!("{v}");
}

/// One line per file written: its path, and where the previous version went.
pub fn print_written(w: &crate::apply::Written, style: Style) {
    match &w.backup {
        Some(b) => outln!(
            "{} {} (backup: {})",
            style.green("wrote"),
            w.path.display(),
            b.display()
        ),
        None => outln!("{} {}", style.green("wrote"), w.path.display()),
    }
}
