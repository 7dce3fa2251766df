//! What goes in and out of the state machine: the messages it takes (`Msg`), the work it hands
//! the driver (`Effect`), how it ends (`Outcome`), and the data the driver supplies (`Context`,
//! `PlanSummary`, `WrittenFile`). Plain data, no behaviour.

use std::fmt;

use crate::azure::pick::{Choice, ListError, ListKind};
use crate::model::Answers;
use crate::plan::KeyChange;
use crate::secret::Secret;
use crate::verify::{ProgressEvent, VerifyReport};

/// An input, from a key, a paste, a line prompt or the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Input(char),
    /// Bracketed paste (also into masked fields); normalised at once, with a note.
    Paste(Text),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Empties the focused field.
    Clear,
    /// Accept the focused field and move on (the next field, or the next step after the last).
    Enter,
    NextField,
    PrevField,
    /// To the next step; blocked while a field of this step is invalid.
    Forward,
    /// To the previous step; never blocked, keeps what was typed.
    Back,
    /// Skip the optional UI step (leaves the UI keys out), or the optional Production step.
    Skip,
    /// Show or hide the secret being edited.
    ToggleReveal,
    /// Esc / Ctrl-C: the first asks, the second leaves without writing.
    Cancel,
    /// "No, keep going" to the cancel question.
    Resume,
    /// Line mode: replace the focused field with this text, then `Enter`.
    Submit(Text),
    /// The encryption key step's choice.
    ChooseKey(KeyChoice),
    /// The Production step's choice (line mode).
    ChooseProduction(super::ProdChoice),
    PlanReady(Result<PlanSummary, Vec<String>>),
    Written(Result<Vec<WrittenFile>, String>),
    /// A live check started or finished (from the driver's `verify` run).
    VerifyProgress(ProgressEvent),
    /// The `verify` run ended: its report, or why it could not start.
    VerifyDone(Result<VerifyReport, String>),
    /// Open the picker for the focused field (a list fetched live from Azure).
    Pick,
    /// Leave the wizard to create the app registrations (`azure bootstrap`), then come back:
    /// only while the step offers it.
    Bootstrap,
    /// A list the driver fetched for `Effect::Fetch`, or why it could not.
    Listed(ListKind, Result<Vec<Choice>, ListError>),
    /// Choose a row of the open picker by its index in the whole list (line mode, whose select
    /// filters by itself); the TUI chooses the highlighted row with `Enter`.
    Choose(usize),
    /// Time passed while a list loads: the spinner's next frame.
    Tick,
    /// The driver knows before any list that the assist is off (e.g. no `az` on `PATH`): how
    /// to turn it on, in one line.
    AssistOff(String),
}

/// Work for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Validate these answers and compute the plan (including the team profile when
    /// `save_profile`); answer with `Msg::PlanReady`.
    ComputePlan {
        answers: Answers,
        save_profile: bool,
        /// `[production]` keys to set in the profile (the Production step was taken).
        production: Option<crate::production::Raw>,
    },
    /// Apply the plan last computed; answer with `Msg::Written`.
    Write,
    /// Run the live checks on the files as written now, off the front end's thread; answer
    /// with `Msg::VerifyProgress` as they go and `Msg::VerifyDone` at the end.
    StartVerify,
    /// Fetch a list from Azure off the front end's thread; answer with `Msg::Listed`.
    Fetch(ListKind),
    /// Leave the wizard.
    Exit(Outcome),
}

/// How the wizard ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    /// `--dry-run`: the review was shown, nothing written.
    DryRun,
    /// The files already held these values; nothing written.
    UpToDate,
    Cancelled,
    /// Writing failed (the message is on the Done screen).
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChoice {
    Keep,
    Generate,
    Paste,
}

/// What the driver found before starting, for the Welcome screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub env_path: String,
    pub override_path: String,
    pub profile_path: String,
    pub env_found: bool,
    pub override_found: bool,
    pub profile_found: bool,
    /// How git sees the `.env` ("ignored by git", "not in a git repository").
    pub git_status: String,
    /// "backend/.env is not ignored by git …", with the fix.
    pub git_warning: Option<String>,
    /// One line per client secret with 30 days or fewer left (read from Microsoft Graph with the
    /// user's `az login` before the wizard starts); empty when none is, or without `az`.
    pub secret_expiry: Vec<String>,
    /// The encryption key in the existing `.env`. "Keep" keeps this one, even when the
    /// environment holds another (replacing it would make stored warehouse secrets unreadable).
    pub env_file_key: Option<Secret>,
    pub dry_run: bool,
    /// The profile's `[production]` table (its known keys), pre-filling the Production step.
    pub production: Option<crate::production::Raw>,
    /// What is wrong with that table as read (unknown keys, values of the wrong type, not a
    /// table).
    pub production_problems: Vec<crate::production::ProductionError>,
    /// The profile's `[secrets]` vault names, which `[production]` is validated with.
    pub vault_names: crate::production::VaultNames,
    /// The command that writes production's Helm values for this project (with this run's
    /// `--root` and file options); empty: `lakekeeper-setup export helm`.
    pub export_command: String,
}

/// The plan as the review screen shows it: display forms only (secrets already masked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSummary {
    pub env_path: String,
    pub changes: Vec<KeyChange>,
    /// `(path, unified diff or None when unchanged)` for the files without secrets.
    pub file_diffs: Vec<(String, Option<String>)>,
    pub changes_anything: bool,
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
    /// Where each secret came from (Key Vault, `.env`, the environment, typed), masked, and
    /// whether the vault's value differs from `.env`'s: said beside each secret on the review.
    pub secrets: Vec<crate::azure::secrets::SecretOrigin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    pub path: String,
    pub backup: Option<String>,
}

/// Text typed or pasted into a field. It may be a secret, so `Debug` shows only its length:
/// a message printed by a failing assertion or a log line never carries the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text(<{} chars>)", self.0.chars().count())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(s)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(s.to_owned())
    }
}
