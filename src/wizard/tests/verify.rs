//! The Done screen's live checks in the state machine: offered only after the files hold the
//! answers, started by `v`, fed by progress messages, finished by the report; keys keep working
//! while the checks run.

use super::*;
use crate::verify::{CheckName, CheckResult, ProgressEvent, Status, VerifyReport};

fn files() -> Vec<WrittenFile> {
    vec![WrittenFile {
        path: "backend/.env".into(),
        backup: None,
    }]
}

/// A wizard on the Done screen after a write (or, with `changes == false`, "up to date").
fn done(changes: bool) -> Wizard {
    let mut w = fresh(Answers::default());
    walk_to_review(&mut w);
    w.update(Msg::PlanReady(Ok(summary(changes))));
    let fx = w.update(Msg::Enter);
    if changes {
        assert_eq!(fx, vec![Effect::Write]);
        w.update(Msg::Written(Ok(files())));
    }
    assert_eq!(w.step(), Step::Done);
    w
}

fn refused() -> CheckResult {
    CheckResult::new(
        CheckName::Postgres,
        Status::Failed,
        "cannot connect to 127.0.0.1:9: connection refused",
    )
    .with_fix("check POSTGRES_HOST and POSTGRES_PORT")
}

fn report() -> VerifyReport {
    VerifyReport {
        checks: CheckName::ALL
            .into_iter()
            .map(|n| {
                if n == CheckName::Postgres {
                    refused()
                } else {
                    CheckResult::new(n, Status::Skipped, "not reached")
                }
            })
            .collect(),
    }
}

fn texts(w: &Wizard) -> Vec<String> {
    done_lines(w).into_iter().map(|l| l.text).collect()
}

#[test]
fn start_progress_done_shows_each_check_then_the_report() {
    let mut w = done(true);
    assert!(w.verify_offered());
    assert_eq!(*w.verify(), VerifyState::Idle);
    assert!(
        !texts(&w).iter().any(|t| t.contains("postgres")),
        "no check lines before the run"
    );

    assert_eq!(w.update(Msg::Input('v')), vec![Effect::StartVerify]);
    let VerifyState::Running(checks) = w.verify() else {
        panic!("running: {:?}", w.verify())
    };
    assert_eq!(checks.len(), CheckName::ALL.len());
    assert!(checks.iter().all(|(_, s)| *s == CheckState::Waiting));
    assert_eq!(
        w.update(Msg::Input('v')),
        vec![],
        "no second run while one runs"
    );

    w.update(Msg::VerifyProgress(ProgressEvent::Started(
        CheckName::Postgres,
    )));
    let t = texts(&w);
    assert!(
        t.iter()
            .any(|l| l.contains("postgres") && l.contains("…") && l.contains("running")),
        "{t:?}"
    );
    w.update(Msg::VerifyProgress(ProgressEvent::Finished(refused())));
    // A late `Started` does not hide the result.
    w.update(Msg::VerifyProgress(ProgressEvent::Started(
        CheckName::Postgres,
    )));
    let t = texts(&w);
    let row = t
        .iter()
        .position(|l| l.contains("postgres") && l.contains("failed"))
        .unwrap_or_else(|| panic!("postgres failed row: {t:?}"));
    assert!(t[row].contains("connection refused"), "{t:?}");
    assert_eq!(t[row + 1], "    fix: check POSTGRES_HOST and POSTGRES_PORT");
    assert!(
        t.iter()
            .any(|l| l.contains("oidc-discovery") && l.contains("waiting")),
        "{t:?}"
    );

    w.update(Msg::VerifyDone(Ok(report())));
    assert_eq!(*w.verify(), VerifyState::Done(Ok(report())));
    let t = texts(&w);
    for name in CheckName::ALL {
        assert!(
            t.iter().any(|l| l.contains(name.as_str())),
            "{name:?} has a line: {t:?}"
        );
    }
    assert!(
        !t.iter().any(|l| l.contains('…')),
        "nothing still running: {t:?}"
    );
    assert!(
        t.iter()
            .any(|l| l.contains("1 check(s) failed") && l.contains("exits 0")),
        "{t:?}"
    );
    assert_eq!(
        w.update(Msg::Input('v')),
        vec![Effect::StartVerify],
        "v runs the checks again"
    );
    assert!(w.verify().is_running());
}

#[test]
fn keys_still_work_while_the_checks_run_and_leaving_keeps_the_written_outcome() {
    let mut w = done(true);
    w.update(Msg::Input('v'));
    w.update(Msg::NextField);
    assert_eq!(w.scroll(), 1, "↓ scrolls while checks run");
    w.update(Msg::PrevField);
    assert_eq!(w.scroll(), 0);
    let mut esc = w.clone();
    assert_eq!(
        esc.update(Msg::Cancel),
        vec![Effect::Exit(Outcome::Written)],
        "Esc leaves at once; the files are written"
    );
    assert_eq!(
        esc.update(Msg::VerifyDone(Ok(report()))),
        vec![],
        "a report after leaving is ignored"
    );
    assert_eq!(
        w.update(Msg::Input('q')),
        vec![Effect::Exit(Outcome::Written)]
    );
    assert_eq!(w.phase(), Phase::Finished(Outcome::Written));
}

#[test]
fn a_failed_run_and_stray_messages_are_handled() {
    let mut w = done(false);
    assert_eq!(w.done(), Some(&Done::UpToDate));
    assert!(w.verify_offered(), "offered after up to date too");
    w.update(Msg::VerifyDone(Ok(report())));
    assert_eq!(*w.verify(), VerifyState::Idle, "no report without a run");
    w.update(Msg::VerifyProgress(ProgressEvent::Finished(refused())));
    assert_eq!(*w.verify(), VerifyState::Idle);
    w.update(Msg::Input('v'));
    w.update(Msg::VerifyDone(Err("backend/.env: no such file".into())));
    assert!(
        texts(&w)
            .iter()
            .any(|l| l == "The checks could not run: backend/.env: no such file"),
        "{:?}",
        texts(&w)
    );
}

#[test]
fn verify_is_offered_only_on_done_after_the_files_hold_the_answers() {
    // Dry run: nothing written, nothing to check.
    let mut d = Wizard::new(
        Answers::default(),
        Context {
            dry_run: true,
            ..ctx()
        },
        Secret::new(GENERATED_KEY),
    );
    walk_to_review(&mut d);
    d.update(Msg::PlanReady(Ok(summary(true))));
    d.update(Msg::Enter);
    assert_eq!(d.done(), Some(&Done::DryRun));
    assert!(!d.verify_offered());
    assert_eq!(d.update(Msg::Input('v')), vec![]);
    assert_eq!(*d.verify(), VerifyState::Idle);

    // A failed write.
    let mut f = fresh(Answers::default());
    walk_to_review(&mut f);
    f.update(Msg::PlanReady(Ok(summary(true))));
    f.update(Msg::Enter);
    f.update(Msg::Written(Err("backend: permission denied".into())));
    assert!(!f.verify_offered());
    assert_eq!(f.update(Msg::Input('v')), vec![]);

    // Before Done, `v` is typed or ignored, never a run.
    let mut r = fresh(Answers::default());
    let mut fx = walk_to_review(&mut r);
    assert!(!r.verify_offered());
    r.update(Msg::PlanReady(Ok(summary(true))));
    fx.extend(r.update(Msg::Input('v')));
    assert!(!fx.contains(&Effect::StartVerify), "{fx:?}");
    assert_eq!(*r.verify(), VerifyState::Idle);
}
