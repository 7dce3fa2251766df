//! The review screen shows the warehouse location `apply` writes and `warehouse` creates
//! (issue 11 §1): a location pasted into the account field is split, and the review's derived
//! values list it whole, as `tests/answers_roundtrip.rs` shows `apply --dry-run` and
//! `warehouse --dry-run` do.

use super::{complete, fresh, summary};
use crate::model::{FieldId, Source};
use crate::wizard::{Effect, Msg, PlanSummary, Step, review_lines};

pub(crate) const PASTED: &str = "abfss://lake@teamadls2.dfs.core.windows.net/warehouse/dev";

#[test]
fn the_review_screen_shows_the_pasted_location_whole() {
    let mut start = complete();
    start.remove(FieldId::StorageContainer);
    start.remove(FieldId::StorageKeyPrefix);
    start.set(FieldId::StorageAccount, PASTED, Source::Wizard);
    let mut w = fresh(start);
    let mut fx = Vec::new();
    for _ in 0..40 {
        if w.step() == Step::Review {
            break;
        }
        fx.extend(w.update(Msg::Enter));
    }
    assert_eq!(w.step(), Step::Review);
    let Some(Effect::ComputePlan { answers, .. }) = fx.last() else {
        panic!("no plan requested: {fx:?}")
    };
    // What the driver does with the effect: validate, then plan against an empty project.
    let v = crate::validate::answers(answers).expect("valid");
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = crate::plan::Inputs {
        env_path: dir.path().join("backend/.env"),
        env_text: None,
        override_path: dir.path().join("backend/docker-compose.override.yml"),
        override_text: None,
        profile_path: dir.path().join("lakekeeper-setup.toml"),
        profile_text: None,
        save_profile: false,
        production: None,
    };
    let p = crate::plan::plan(&v.config, answers, &inputs).expect("plan");
    w.update(Msg::PlanReady(Ok(PlanSummary {
        changes: p.changes.clone(),
        ..summary(true)
    })));
    let lines: Vec<String> = review_lines(&w).into_iter().map(|l| l.text).collect();
    let want = format!("LAKEKEEPER_WAREHOUSE_LOCATION={PASTED}");
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == want || l.trim() == format!("+ {want}")),
        "{lines:#?}"
    );
    assert_eq!(crate::derive::warehouse_location(&v.config), PASTED);
}
