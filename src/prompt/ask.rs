//! The individual inquire prompts: a field (text, masked secret or choice), the encryption key
//! choice, the review's Write / Back / Cancel, and the cancel question. Validation runs the
//! shared `validate::field` and shows the same message as the full-screen wizard.

use inquire::validator::Validation;
use inquire::{Confirm, InquireError, Password, PasswordDisplayMode, Select, Text};

use crate::model::{Answers, FieldId};
use crate::output::Style;
use crate::secret::mask;
use crate::strings;
use crate::validate;
use crate::wizard::{
    FieldKind, KeyChoice, Msg, ProdField, Review, Wizard, field_message, production_message,
    review_lines,
};

type Asked<T> = Result<T, InquireError>;

fn check(f: FieldId, raw: &str, answers: &Answers) -> Validation {
    if raw.trim() == strings::PICK_ANSWER && crate::wizard::pickable(f) {
        // Not a value: opens the Azure picker.
        return Validation::Valid;
    }
    match validate::field(f, raw, answers) {
        Ok(_) => Validation::Valid,
        Err(e) => Validation::Invalid(field_message(&e).into()),
    }
}

/// Asks for one field; the returned text goes to the wizard as `Msg::Submit`.
pub fn field(w: &Wizard, f: FieldId) -> Asked<String> {
    let current = w.field(f).text.clone();
    let answers = w.answers().clone();
    let label = strings::label(f);
    let hint = strings::hint(f);
    match FieldKind::of(f) {
        FieldKind::Choice(opts) => {
            let start = opts.iter().position(|o| *o == current).unwrap_or(0);
            Select::new(label, opts.to_vec())
                .with_starting_cursor(start)
                .with_help_message(hint)
                .prompt()
                .map(str::to_owned)
        }
        FieldKind::Secret => {
            let help = if current.is_empty() {
                format!("{hint} · Ctrl-R reveals")
            } else {
                format!(
                    "Enter keeps the current value ({}) · Ctrl-R reveals · {hint}",
                    mask(&current)
                )
            };
            let keep = current.clone();
            let v = Password::new(label)
                .without_confirmation()
                .with_display_toggle_enabled()
                .with_display_mode(PasswordDisplayMode::Masked)
                .with_help_message(&help)
                .with_validator(move |s: &str| {
                    Ok(check(f, if s.is_empty() { &keep } else { s }, &answers))
                })
                .prompt()?;
            Ok(if v.is_empty() { current } else { v })
        }
        FieldKind::Text => {
            let optional = validate::is_optional(f, &answers);
            let mut help = if optional && validate::default_for(f, &answers).is_none() {
                format!("optional: Enter with nothing leaves it out · {hint}")
            } else {
                hint.to_owned()
            };
            if crate::wizard::pickable(f) {
                help = format!("{} · {help}", strings::PICK_LINE_HINT);
            }
            let keep = current.clone();
            let mut p = Text::new(label)
                .with_help_message(&help)
                .with_validator(move |s: &str| {
                    Ok(check(f, if s.is_empty() { &keep } else { s }, &answers))
                });
            if !current.is_empty() {
                p = p.with_default(&current);
            }
            p.prompt()
        }
    }
}

pub fn key_choice(w: &Wizard) -> Asked<Msg> {
    let key = w.key();
    let opts = key.options();
    let labels: Vec<String> = opts.iter().map(|c| key.describe(*c)).collect();
    let start = opts.iter().position(|c| *c == key.choice).unwrap_or(0);
    let picked = Select::new("Encryption key", labels.clone())
        .with_starting_cursor(start)
        .raw_prompt()?;
    let choice = opts
        .get(picked.index)
        .copied()
        .unwrap_or(KeyChoice::Generate);
    if key.existing.is_some() && choice != KeyChoice::Keep {
        let sure = Confirm::new(
            "Replace the existing key? Warehouse secrets stored with it become unreadable.",
        )
        .with_default(false)
        .prompt()?;
        if !sure {
            return Ok(Msg::ChooseKey(KeyChoice::Keep));
        }
    }
    Ok(Msg::ChooseKey(choice))
}

/// The Production step: its choice, or the focused question.
pub fn production(w: &Wizard) -> Asked<Msg> {
    let prod = w.production();
    let Some(f) = w.focused_production() else {
        for p in prod.problems() {
            outln!("  {} {p}", Style::stdout().yellow("!"));
        }
        let opts = prod.options();
        let labels: Vec<String> = opts.iter().map(|c| prod.describe(*c)).collect();
        let start = opts.iter().position(|c| *c == prod.choice).unwrap_or(0);
        let picked = Select::new("Deploy to Kubernetes?", labels)
            .with_starting_cursor(start)
            .raw_prompt()?;
        let choice = opts.get(picked.index).copied().unwrap_or(prod.choice);
        return Ok(Msg::ChooseProduction(choice));
    };
    let text = production_field(w, f)?;
    // Nothing as the first answer without a table in the profile: "Set up" was a mistake.
    if skips(w, f) && text.trim().is_empty() {
        return Ok(Msg::Skip);
    }
    Ok(Msg::Submit(text.into()))
}

/// Whether an empty answer to `f` skips the step (line mode has no Ctrl-S): the base URI,
/// when the profile has no `[production]` table to keep.
fn skips(w: &Wizard, f: ProdField) -> bool {
    f == ProdField::BaseUri && w.production().existing().is_none()
}

fn production_field(w: &Wizard, f: ProdField) -> Asked<String> {
    let prod = w.production().clone();
    let current = prod.field(f).text.clone();
    if let FieldKind::Choice(opts) = f.kind() {
        let start = opts.iter().position(|o| *o == current).unwrap_or(0);
        return Select::new(f.label(), opts.to_vec())
            .with_starting_cursor(start)
            .with_help_message(f.hint())
            .prompt()
            .map(str::to_owned);
    }
    let skips = skips(w, f);
    let help = if f.optional() {
        format!("optional: Enter with nothing leaves it out · {}", f.hint())
    } else if skips {
        format!(
            "Enter with nothing skips production (no Kubernetes deployment) · {}",
            f.hint()
        )
    } else {
        f.hint().to_owned()
    };
    // The current value is the text being edited (not a default): Backspace clears it.
    let current = if current.is_empty() {
        f.default().unwrap_or("").to_owned()
    } else {
        current
    };
    Text::new(f.label())
        .with_initial_value(&current)
        .with_help_message(&help)
        .with_validator(move |s: &str| {
            if skips && s.trim().is_empty() {
                return Ok(Validation::Valid);
            }
            Ok(match prod.check(f, s) {
                None => Validation::Valid,
                Some(e) => Validation::Invalid(production_message(&e).into()),
            })
        })
        .prompt()
}

/// The Done step's offer to run `export helm` (when production answers exist); otherwise, or
/// when declined, the wizard ends.
pub fn done_export(w: &Wizard) -> Msg {
    if !w.export_offered() {
        return Msg::Enter;
    }
    let yes = Confirm::new(&format!(
        "Write the Helm values for production now ({})?",
        w.export_command()
    ))
    .with_default(false)
    .with_help_message(
        "writes values.yaml and the Secret for Lakekeeper's official chart; nothing is deployed",
    )
    .prompt()
    .unwrap_or(false);
    if yes { Msg::Input('e') } else { Msg::Enter }
}

pub fn review_choice(w: &Wizard) -> Asked<Msg> {
    super::print_lines(&review_lines(w), Style::stdout());
    let write = if w.ctx().dry_run {
        "Finish (dry run: write nothing)"
    } else {
        "Write"
    };
    let profile = if w.save_profile() {
        "Don't save the team profile"
    } else {
        "Also save the non-secret answers to the team profile"
    };
    let options = match w.review() {
        Review::Ready(_) => vec![write, profile, "Back", "Cancel"],
        _ => vec!["Back", "Cancel"],
    };
    Ok(match Select::new("Next", options).prompt()? {
        "Back" => Msg::Back,
        "Cancel" => Msg::Cancel,
        p if p == profile => Msg::Input('p'),
        _ => Msg::Enter,
    })
}

pub fn confirm_cancel() -> Asked<bool> {
    Confirm::new("Leave without writing anything?")
        .with_default(true)
        .prompt()
}

/// The API app or backend step's offer to create the app registrations. Default no.
pub fn confirm_bootstrap() -> Asked<bool> {
    Confirm::new(crate::strings::BOOTSTRAP_QUESTION)
        .with_default(false)
        .prompt()
}

/// The Done step's offer to run the live checks. Default no: Enter through the wizard never
/// starts network calls the user did not ask for.
pub fn confirm_verify() -> Asked<bool> {
    Confirm::new("Check the setup live now (lakekeeper-setup verify)?")
        .with_default(false)
        .with_help_message("sign-in, token, PostgreSQL, storage and Lakekeeper; a few seconds")
        .prompt()
}
