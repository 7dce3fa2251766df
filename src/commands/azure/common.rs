//! What the `azure extensions`, `azure roles` and `azure store-secrets` commands share: the
//! signed-in session (the profile's tenant), the plan on standard output, the one question (or
//! `--dry-run`, or `--yes`), progress lines and refusals on standard error.

use std::collections::BTreeMap;

use crate::azure::change::{self, Change};
use crate::azure::consent::{Refusal, Who};
use crate::azure::{ListError, Session};
use crate::cli::AzureWriteArgs;
use crate::commands::{Exit, Project, RunError};
use crate::model::{Answers, FieldId};
use crate::output::Style;

/// A single-threaded runtime for one command's Azure calls.
pub fn runtime() -> Result<tokio::runtime::Runtime, RunError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::Usage(format!("cannot start the async runtime: {e}")))
}

/// The project and its answers (environment > profile > `.env`; no vault).
pub fn load(
    paths: &crate::cli::Paths,
    process_env: &BTreeMap<String, String>,
) -> Result<(Project, Answers), RunError> {
    let project = Project::load(paths)?;
    let answers = project.answers(process_env);
    Ok((project, answers))
}

/// The signed-in Azure CLI, with the profile's tenant for every token. Without `az` or with
/// nobody signed in: a usage error naming the fix (exit 2).
pub async fn session(answers: &Answers) -> Result<Session, RunError> {
    session_in(answers.get(FieldId::Tenant)).await
}

/// [`session`] with `tenant` for every token (`None`: the sign-in's own).
pub async fn session_in(tenant: Option<&str>) -> Result<Session, RunError> {
    crate::commands::vault::spinning(
        "asking the Azure CLI who is signed in",
        Session::from_az(tenant),
    )
    .await
    .map_err(|e| match e {
        ListError::AssistOff(why) => RunError::Usage(why.replace("Azure assist off: ", "")),
        other => RunError::Usage(other.to_string()),
    })
}

/// Who is signed in, for the refusals' fixes.
pub fn who(session: &Session) -> Who {
    Who::of(session)
}

/// One line of progress on standard error.
pub fn progress(line: &str) {
    eoutln!("  … {line}");
}

/// Prints a refusal (what, then its fix) on standard error.
pub fn refused(r: &Refusal) {
    eoutln!("{} {}", Style::stderr().red("error:"), r.what);
    if let Some(fix) = &r.fix {
        eoutln!("  fix: {fix}");
    }
}

/// What to do after the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Go {
    Write,
    /// Stop with this exit code (nothing to do, a dry run, or not confirmed).
    Stop(Exit),
}

/// Prints the plan (`title`, what exists, each change with the right it needs, then `notes`);
/// with `--dry-run` the requests it would send (secrets masked); otherwise asks `question` once
/// (`--yes` answers it).
pub fn plan_and_confirm(
    title: &str,
    exists: &[String],
    changes: &[Change],
    notes: &[String],
    args: &AzureWriteArgs,
    question: &str,
) -> Go {
    outln!("{title}");
    out!("{}", change::plan_text(exists, changes));
    for n in notes {
        outln!("{n}");
    }
    if changes.is_empty() {
        return Go::Stop(Exit::Ok);
    }
    if args.dry_run {
        outln!("\n--dry-run: these requests would be sent; nothing was changed.");
        out!("{}", change::dry_run_text(changes));
        return Go::Stop(Exit::Ok);
    }
    if change::confirm(question, args.yes) {
        Go::Write
    } else {
        Go::Stop(Exit::Cancelled)
    }
}
