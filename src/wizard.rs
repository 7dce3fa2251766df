//! The wizard as a pure state machine: `Wizard::update(Msg) -> Vec<Effect>`.
//!
//! Both front ends (the ratatui screen in `tui` and the line prompts in `prompt`) drive this
//! one machine: they turn keys into `Msg`s and draw its state. Computing the plan and writing
//! files are `Effect`s that a driver (`commands::wizard`) executes and answers with a `Msg`.
//! Nothing here performs I/O, reads the clock or draws randomness (the fresh encryption key is
//! handed in), so every step is testable without a terminal.

mod field;
mod form;
mod lines;
mod msg;
mod picker;
mod production;
mod steps;
mod verify;

pub use field::{Edited, FieldKind, FieldState, FieldStatus};
pub use lines::{Line, LineKind, done_lines, field_message, review_lines, welcome_lines};
pub use msg::{Context, Effect, KeyChoice, Msg, Outcome, PlanSummary, Text, WrittenFile};
pub use picker::{PickList, Picker, PickerState, list_for, pickable};
pub use production::{ProdChoice, ProdField, ProdState, production_message};
pub use steps::Step;
pub use verify::{CheckState, VerifyState, result_lines, status_word, verify_lines};

use std::collections::BTreeMap;

use crate::model::{Answers, FieldId};
use crate::secret::Secret;

/// Running, or waiting for the answer to "leave without writing?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    CancelAsked,
    Finished(Outcome),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    Computing,
    Ready(PlanSummary),
    Invalid(Vec<String>),
    Writing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Written(Vec<WrittenFile>),
    DryRun,
    UpToDate,
    Failed(String),
}

/// The encryption key step's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    pub choice: KeyChoice,
    pub existing: Option<Secret>,
    pub generated: Secret,
    /// The environment holds a key other than the `.env`'s (which "Keep" keeps).
    pub shadowed: bool,
}

impl KeyState {
    pub fn options(&self) -> Vec<KeyChoice> {
        let mut v = Vec::new();
        if self.existing.is_some() {
            v.push(KeyChoice::Keep);
        }
        v.extend([KeyChoice::Generate, KeyChoice::Paste]);
        v
    }

    /// How an option is shown (keys masked).
    pub fn describe(&self, c: KeyChoice) -> String {
        match c {
            KeyChoice::Keep => format!(
                "Keep the current key ({})",
                self.existing
                    .as_ref()
                    .map_or_else(String::new, Secret::masked)
            ),
            KeyChoice::Generate => {
                format!("Generate a new random key ({})", self.generated.masked())
            }
            KeyChoice::Paste => "Paste a key (at least 32 characters)".to_owned(),
        }
    }
}

/// The wizard's whole state.
#[derive(Debug, Clone)]
pub struct Wizard {
    step: Step,
    /// Index into the step's rows (fields; on the key step row 0 is the choice).
    focus: usize,
    fields: BTreeMap<FieldId, FieldState>,
    answers: Answers,
    key: KeyState,
    reveal: bool,
    phase: Phase,
    review: Review,
    done: Option<Done>,
    /// Why the last `Forward` was refused.
    blocked: Option<String>,
    /// Review and Done screens' scroll offset (lines).
    scroll: u16,
    /// The live checks offered on the Done screen.
    verify: VerifyState,
    save_profile: bool,
    ctx: Context,
    /// The Azure picker, while open.
    picker: Option<Picker>,
    /// Why the Azure assist is off and how to turn it on, once known.
    assist_off: Option<String>,
    /// Storage accounts picked so far (by name) and the list of their containers.
    containers_of: BTreeMap<String, crate::azure::pick::ListKind>,
    /// The optional Production step.
    prod: ProdState,
    /// The Done screen's `e`: run `export helm` once the wizard has left.
    export_requested: bool,
    /// The API app or backend step's offer was taken: leave, run `azure bootstrap`, come back.
    bootstrap_requested: bool,
    /// A client-ID field whose app the last list did not hold (the ID then; empty when the list
    /// had no app at all): the bootstrap offer names it.
    unknown_app: Option<(FieldId, String)>,
}

impl Wizard {
    /// Starts on the Welcome step with the fields pre-filled from `answers` (environment >
    /// profile > existing `.env`). `fresh_key` is offered when the user chooses "generate".
    pub fn new(answers: Answers, ctx: Context, fresh_key: Secret) -> Wizard {
        let fields = FieldId::ALL
            .into_iter()
            .filter(|f| *f != FieldId::EncryptionKey)
            .map(|f| (f, FieldState::new(answers.get(f).unwrap_or(""))))
            .chain([(FieldId::EncryptionKey, FieldState::new(""))])
            .collect();
        let from_answers = answers
            .get(FieldId::EncryptionKey)
            .filter(|k| !k.is_empty())
            .map(Secret::new);
        let shadowed = matches!((&ctx.env_file_key, &from_answers), (Some(a), Some(b)) if a != b);
        let existing = ctx.env_file_key.clone().or(from_answers);
        let choice = if existing.is_some() {
            KeyChoice::Keep
        } else {
            KeyChoice::Generate
        };
        let prod = ProdState::new(
            ctx.production.clone(),
            ctx.vault_names.clone(),
            ctx.production_problems.clone(),
        );
        Wizard {
            step: Step::Welcome,
            focus: 0,
            fields,
            answers,
            key: KeyState {
                choice,
                existing,
                generated: fresh_key,
                shadowed,
            },
            reveal: false,
            phase: Phase::Running,
            review: Review::Computing,
            done: None,
            blocked: None,
            scroll: 0,
            verify: VerifyState::Idle,
            save_profile: false,
            ctx,
            picker: None,
            assist_off: None,
            containers_of: BTreeMap::new(),
            prod,
            export_requested: false,
            bootstrap_requested: false,
            unknown_app: None,
        }
    }

    pub fn step(&self) -> Step {
        self.step
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn answers(&self) -> &Answers {
        &self.answers
    }

    pub fn ctx(&self) -> &Context {
        &self.ctx
    }

    pub fn key(&self) -> &KeyState {
        &self.key
    }

    pub fn review(&self) -> &Review {
        &self.review
    }

    pub fn done(&self) -> Option<&Done> {
        self.done.as_ref()
    }

    pub fn blocked(&self) -> Option<&str> {
        self.blocked.as_deref()
    }

    pub fn scroll(&self) -> u16 {
        self.scroll
    }

    pub fn verify(&self) -> &VerifyState {
        &self.verify
    }

    /// Whether the Done screen offers to run the live checks: only once the files hold the
    /// answers (written, or already up to date), never after a dry run or a failed write.
    pub fn verify_offered(&self) -> bool {
        self.step == Step::Done && matches!(self.done, Some(Done::Written(_) | Done::UpToDate))
    }

    pub fn revealed(&self) -> bool {
        self.reveal
    }

    pub fn field(&self, f: FieldId) -> &FieldState {
        // Every FieldId has a state from `new`; the fallback only satisfies the type.
        static EMPTY: std::sync::LazyLock<FieldState> =
            std::sync::LazyLock::new(|| FieldState::new(""));
        self.fields.get(&f).unwrap_or(&EMPTY)
    }

    /// The fields shown on the current step, in order.
    pub fn rows(&self) -> Vec<FieldId> {
        match self.step {
            Step::EncryptionKey if self.key.choice == KeyChoice::Paste => {
                vec![FieldId::EncryptionKey]
            }
            s => s.fields().to_vec(),
        }
    }

    /// The focused field (`None` on screens without fields and on the key step's choice row).
    pub fn focused(&self) -> Option<FieldId> {
        if self.step == Step::EncryptionKey {
            return (self.focus == 1).then_some(FieldId::EncryptionKey);
        }
        self.step.fields().get(self.focus).copied()
    }

    /// What a field shows: secrets as `•` per character while edited (unless revealed),
    /// `••••last4` otherwise.
    pub fn display_value(&self, f: FieldId) -> String {
        let text = &self.field(f).text;
        if !f.is_secret() || text.is_empty() {
            return text.clone();
        }
        if self.focused() == Some(f) {
            if self.reveal {
                text.clone()
            } else {
                "•".repeat(text.chars().count())
            }
        } else {
            crate::secret::mask(text)
        }
    }

    /// Applies one message; returns the work the driver must do.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        if let Phase::Finished(_) = self.phase {
            return Vec::new();
        }
        match msg {
            Msg::PlanReady(r) => return self.plan_ready(r),
            Msg::Written(r) => return self.written(r),
            Msg::VerifyProgress(e) => {
                self.verify.progress(e);
                return Vec::new();
            }
            Msg::VerifyDone(r) => {
                if self.verify.is_running() {
                    self.verify = VerifyState::Done(r);
                }
                return Vec::new();
            }
            Msg::Listed(kind, r) => return self.listed(&kind, r),
            Msg::Bootstrap => {
                // Nothing is written: the wizard starts again afterwards with the new IDs.
                if self.phase == Phase::Running && self.bootstrap_offer().is_some() {
                    self.bootstrap_requested = true;
                    return self.finish(Outcome::Cancelled);
                }
                return Vec::new();
            }
            Msg::AssistOff(how) => {
                self.assist_off = Some(how);
                return Vec::new();
            }
            Msg::Tick => {
                self.tick();
                return Vec::new();
            }
            _ => {}
        }
        if self.picker.is_some() {
            return self.on_picker(msg);
        }
        if self.phase == Phase::CancelAsked {
            return match msg {
                Msg::Cancel | Msg::Input('y' | 'Y') => self.finish(Outcome::Cancelled),
                Msg::Resume | Msg::Enter | Msg::Input('n' | 'N') => {
                    self.phase = Phase::Running;
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        if msg == Msg::Cancel {
            if let Some(done) = &self.done {
                let outcome = done_outcome(done);
                return self.finish(outcome);
            }
            self.phase = Phase::CancelAsked;
            return Vec::new();
        }
        match self.step {
            Step::Welcome => self.on_welcome(&msg),
            Step::Review => self.on_review(&msg),
            Step::Done => self.on_done(&msg),
            Step::Production => self.on_production(msg),
            _ => self.on_form(msg),
        }
    }

    fn finish(&mut self, outcome: Outcome) -> Vec<Effect> {
        self.phase = Phase::Finished(outcome);
        vec![Effect::Exit(outcome)]
    }

    fn on_welcome(&mut self, msg: &Msg) -> Vec<Effect> {
        match msg {
            Msg::Enter | Msg::Forward | Msg::Submit(_) => self.enter_step(Step::Tenant),
            Msg::Input('q') => self.update(Msg::Cancel),
            _ => Vec::new(),
        }
    }

    fn on_review(&mut self, msg: &Msg) -> Vec<Effect> {
        match msg {
            Msg::Back | Msg::Input('b') => self.enter_step(Step::Production),
            Msg::Input('q') => self.update(Msg::Cancel),
            Msg::Input('p') if self.review != Review::Writing => {
                self.save_profile = !self.save_profile;
                self.review = Review::Computing;
                vec![self.compute_plan()]
            }
            Msg::NextField | Msg::Right | Msg::Forward => {
                // PgDn pages through a long review; only Enter or `w` writes.
                let step = if *msg == Msg::Forward { 10 } else { 1 };
                let max = u16::try_from(review_lines(self).len()).unwrap_or(u16::MAX);
                self.scroll = self.scroll.saturating_add(step).min(max);
                Vec::new()
            }
            Msg::PrevField | Msg::Left => {
                self.scroll = self.scroll.saturating_sub(1);
                Vec::new()
            }
            Msg::Enter | Msg::Input('w') | Msg::Submit(_) => match &self.review {
                Review::Ready(_) if self.ctx.dry_run => self.show_done(Done::DryRun),
                Review::Ready(p) if !p.changes_anything => self.show_done(Done::UpToDate),
                Review::Ready(_) => {
                    self.review = Review::Writing;
                    vec![Effect::Write]
                }
                Review::Computing | Review::Invalid(_) | Review::Writing => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// Whether the Done screen offers to run `export helm`: once the files (the profile with
    /// its `[production]` table among them) are written or up to date, and production answers
    /// exist.
    pub fn export_offered(&self) -> bool {
        self.verify_offered() && self.production_known() && !self.production_needs_bootstrap()
    }

    /// The user asked (`e`) to run `export helm` after leaving.
    pub fn export_requested(&self) -> bool {
        self.export_requested
    }

    /// The user took the offer to create the app registrations: the driver runs
    /// `azure bootstrap` (which asks before changing anything) and starts the wizard again.
    pub fn bootstrap_requested(&self) -> bool {
        self.bootstrap_requested
    }

    /// The command that writes production's Helm values for this project.
    pub fn export_command(&self) -> &str {
        if self.ctx.export_command.is_empty() {
            "lakekeeper-setup export helm"
        } else {
            &self.ctx.export_command
        }
    }

    /// Enter/q leave (also while checks run: the driver's run is abandoned, nothing waits
    /// for it); `v` runs the live checks (again), `e` leaves to run `export helm`, ↑↓ scroll.
    fn on_done(&mut self, msg: &Msg) -> Vec<Effect> {
        match (msg, &self.done) {
            (Msg::Input('e' | 'E'), Some(d)) if self.export_offered() => {
                self.export_requested = true;
                let outcome = done_outcome(d);
                self.finish(outcome)
            }
            (Msg::Enter | Msg::Forward | Msg::Input('q') | Msg::Submit(_), Some(d)) => {
                let outcome = done_outcome(d);
                self.finish(outcome)
            }
            (Msg::Input('v' | 'V'), _) if self.verify_offered() && !self.verify.is_running() => {
                self.verify = VerifyState::started();
                vec![Effect::StartVerify]
            }
            (Msg::NextField | Msg::Right, _) => {
                let max = u16::try_from(done_lines(self).len()).unwrap_or(u16::MAX);
                self.scroll = self.scroll.saturating_add(1).min(max);
                Vec::new()
            }
            (Msg::PrevField | Msg::Left, _) => {
                self.scroll = self.scroll.saturating_sub(1);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn show_done(&mut self, d: Done) -> Vec<Effect> {
        self.done = Some(d);
        self.step = Step::Done;
        self.focus = 0;
        self.scroll = 0;
        Vec::new()
    }

    fn plan_ready(&mut self, r: Result<PlanSummary, Vec<String>>) -> Vec<Effect> {
        if self.step == Step::Review && self.review == Review::Computing {
            self.review = match r {
                Ok(p) => Review::Ready(p),
                Err(errors) => Review::Invalid(errors),
            };
        }
        Vec::new()
    }

    fn written(&mut self, r: Result<Vec<WrittenFile>, String>) -> Vec<Effect> {
        if self.review != Review::Writing {
            return Vec::new();
        }
        match r {
            Ok(files) => self.show_done(Done::Written(files)),
            Err(e) => self.show_done(Done::Failed(e)),
        }
    }

    /// Moves to `step`: focus on the first row, defaults filled into empty fields, the plan
    /// requested on arrival at Review.
    fn enter_step(&mut self, step: Step) -> Vec<Effect> {
        self.step = step;
        self.focus = 0;
        self.reveal = false;
        self.blocked = None;
        self.scroll = 0;
        for f in step.fields() {
            self.fill_default(*f);
        }
        if step == Step::Review {
            self.review = Review::Computing;
            return vec![self.compute_plan()];
        }
        Vec::new()
    }
}

impl Wizard {
    fn compute_plan(&self) -> Effect {
        Effect::ComputePlan {
            answers: self.answers.clone(),
            save_profile: self.save_profile,
            production: self.prod.kept().cloned(),
        }
    }

    /// Whether the non-secret answers also go to the team profile (toggled on the review).
    pub fn save_profile(&self) -> bool {
        self.save_profile
    }
}

fn done_outcome(d: &Done) -> Outcome {
    match d {
        Done::Written(_) => Outcome::Written,
        Done::DryRun => Outcome::DryRun,
        Done::UpToDate => Outcome::UpToDate,
        Done::Failed(_) => Outcome::Failed,
    }
}

#[cfg(test)]
pub(crate) mod tests;
