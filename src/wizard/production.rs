//! The optional Production step: the `[production]` answers the laptop does not have (public
//! base URI, namespace, release, replicas, how the release is deployed, ingress, production's
//! database host), validated with `production::validate` as `export helm` validates them, and
//! kept in the profile's `[production]` table only. Nothing here reaches `backend/.env`.
//!
//! The step opens on a choice whose default is to skip it (or, with a `[production]` table in
//! the profile, to keep that table as it is): one Enter goes on to the review.

use std::collections::BTreeMap;

use super::{Effect, FieldKind, FieldState, FieldStatus, Msg, Step, Wizard};
use crate::production::{self, ProductionError, Raw, VaultNames};

/// One production question, named after its `[production]` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProdField {
    BaseUri,
    Namespace,
    Release,
    Replicas,
    Deploy,
    IngressHost,
    IngressClass,
    TlsSecret,
    PostgresHost,
}

const DEPLOYS: [&str; 3] = ["helm-wait", "helm", "gitops"];

impl ProdField {
    /// In the order asked (the documented order of `production::KEYS`). `secret_name`, `vault` and `vault_identity` are not asked (their
    /// defaults fit most teams); the profile's values for them are kept and validated with these.
    pub const ALL: [ProdField; 9] = [
        ProdField::BaseUri,
        ProdField::Namespace,
        ProdField::Release,
        ProdField::Replicas,
        ProdField::IngressHost,
        ProdField::IngressClass,
        ProdField::TlsSecret,
        ProdField::PostgresHost,
        ProdField::Deploy,
    ];

    /// The `[production]` key.
    pub fn key(self) -> &'static str {
        match self {
            ProdField::BaseUri => "base_uri",
            ProdField::Namespace => "namespace",
            ProdField::Release => "release",
            ProdField::Replicas => "replicas",
            ProdField::Deploy => "deploy",
            ProdField::IngressHost => "ingress_host",
            ProdField::IngressClass => "ingress_class",
            ProdField::TlsSecret => "tls_secret",
            ProdField::PostgresHost => "postgres_host",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProdField::BaseUri => "Production base URI (public https URL)",
            ProdField::Namespace => "Kubernetes namespace",
            ProdField::Release => "Helm release name",
            ProdField::Replicas => "Lakekeeper replicas",
            ProdField::Deploy => "How the release is deployed",
            ProdField::IngressHost => "Ingress host name",
            ProdField::IngressClass => "Ingress class",
            ProdField::TlsSecret => "Ingress TLS Secret",
            ProdField::PostgresHost => "Production PostgreSQL host",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            ProdField::BaseUri => {
                "where users, engines and the UI reach production's Lakekeeper, e.g. https://lakekeeper.example.com"
            }
            ProdField::Namespace => "where the release and its Secret go (default lakekeeper)",
            ProdField::Release => "the name given to helm upgrade --install (default lakekeeper)",
            ProdField::Replicas => {
                "1-100 (default 2: a rolling update or a node drain keeps Lakekeeper up)"
            }
            ProdField::Deploy => {
                "helm-wait: helm upgrade --install --wait · helm: without --wait · gitops: Argo CD or Flux"
            }
            ProdField::IngressHost => {
                "the DNS name only, e.g. lakekeeper.example.com; empty: no Ingress is written"
            }
            ProdField::IngressClass => {
                "e.g. webapprouting.kubernetes.azure.com (AKS app routing); empty: the cluster's default"
            }
            ProdField::TlsSecret => {
                "the Secret holding the Ingress certificate, e.g. lakekeeper-tls"
            }
            ProdField::PostgresHost => "empty: the same server as the laptop's",
        }
    }

    pub fn kind(self) -> FieldKind {
        match self {
            ProdField::Deploy => FieldKind::Choice(&DEPLOYS),
            _ => FieldKind::Text,
        }
    }

    /// The value `export` uses when the key is absent (filled into the empty field).
    pub fn default(self) -> Option<&'static str> {
        match self {
            ProdField::Namespace | ProdField::Release => Some("lakekeeper"),
            ProdField::Replicas => Some("2"),
            ProdField::Deploy => Some("helm-wait"),
            _ => None,
        }
    }

    /// Whether the field may stay empty.
    pub fn optional(self) -> bool {
        matches!(
            self,
            ProdField::IngressHost
                | ProdField::IngressClass
                | ProdField::TlsSecret
                | ProdField::PostgresHost
        )
    }

    fn of_key(key: &str) -> Option<ProdField> {
        ProdField::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The field's value as the validated production configuration holds it (normalised).
    fn normalised(self, p: &production::Production) -> String {
        let ingress = p.ingress.as_ref();
        match self {
            ProdField::BaseUri => crate::validate::base_uri_string(&p.base_uri),
            ProdField::Namespace => p.namespace.clone(),
            ProdField::Release => p.release.clone(),
            ProdField::Replicas => p.replicas.to_string(),
            ProdField::Deploy => p.deploy.as_str().to_owned(),
            ProdField::IngressHost => ingress.map(|i| i.host.clone()).unwrap_or_default(),
            ProdField::IngressClass => ingress.and_then(|i| i.class.clone()).unwrap_or_default(),
            ProdField::TlsSecret => ingress
                .and_then(|i| i.tls_secret.clone())
                .unwrap_or_default(),
            ProdField::PostgresHost => p.postgres_host.clone().unwrap_or_default(),
        }
    }
}

/// The step's first row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProdChoice {
    /// Go on without production answers; a `[production]` table in the profile stays as it is.
    Skip,
    /// Answer (or change) the production questions.
    Edit,
}

/// The Production step's state.
#[derive(Debug, Clone)]
pub struct ProdState {
    pub choice: ProdChoice,
    /// The profile's `[production]` table (its known keys) when the wizard started.
    existing: Option<Raw>,
    fields: BTreeMap<ProdField, FieldState>,
    errors: BTreeMap<ProdField, ProductionError>,
    /// The warnings of the last valid set of answers.
    warnings: Vec<String>,
    names: VaultNames,
    /// What is wrong with the profile's table as found (unknown keys, invalid values).
    problems: Vec<String>,
    /// What the profile's table will hold for the asked keys (empty: no such key): set when
    /// the step was taken and its answers passed, cleared when it is skipped.
    kept: Option<Raw>,
}

impl ProdState {
    /// `problems`: what reading the profile's table found wrong (its invalid values are added
    /// here).
    pub fn new(existing: Option<Raw>, names: VaultNames, mut problems: Vec<String>) -> ProdState {
        if let Some(raw) = &existing
            && let Err(errors) = production::validate(Some(raw), &names)
        {
            problems.extend(errors.iter().map(ToString::to_string));
        }
        let fields = ProdField::ALL
            .into_iter()
            .map(|f| {
                let text = existing
                    .as_ref()
                    .and_then(|r| r.get(f.key()))
                    .map_or("", String::as_str);
                (f, FieldState::new(text))
            })
            .collect();
        ProdState {
            choice: ProdChoice::Skip,
            existing,
            fields,
            errors: BTreeMap::new(),
            warnings: Vec::new(),
            names,
            problems,
            kept: None,
        }
    }

    pub fn existing(&self) -> Option<&Raw> {
        self.existing.as_ref()
    }

    pub fn options(&self) -> [ProdChoice; 2] {
        [ProdChoice::Skip, ProdChoice::Edit]
    }

    /// How an option is shown.
    pub fn describe(&self, c: ProdChoice) -> String {
        match (c, &self.existing) {
            (ProdChoice::Skip, None) => "Skip: no Kubernetes deployment for now".to_owned(),
            (ProdChoice::Edit, None) => {
                "Set up production on Kubernetes (Lakekeeper's official Helm chart)".to_owned()
            }
            (ProdChoice::Skip, Some(raw)) => format!(
                "Keep the profile's [production] as it is (base_uri {})",
                raw.get("base_uri").map_or("not set", String::as_str)
            ),
            (ProdChoice::Edit, Some(_)) => "Change the production answers".to_owned(),
        }
    }

    pub fn field(&self, f: ProdField) -> &FieldState {
        static EMPTY: std::sync::LazyLock<FieldState> =
            std::sync::LazyLock::new(|| FieldState::new(""));
        self.fields.get(&f).unwrap_or(&EMPTY)
    }

    pub fn error(&self, f: ProdField) -> Option<&ProductionError> {
        self.errors.get(&f)
    }

    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The answers the step will keep in `[production]` (`None`: the profile's table is left
    /// alone).
    pub fn kept(&self) -> Option<&Raw> {
        self.kept.as_ref()
    }

    /// What the step says about `text` as the value of `f` (line mode's validator): the
    /// error, or `None` when it passes with the other answers as they are.
    pub fn check(&self, f: ProdField, text: &str) -> Option<ProductionError> {
        let mut probe = self.clone();
        probe.field_mut(f).set_text(text);
        if probe.commit(f) {
            None
        } else {
            probe.errors.remove(&f)
        }
    }

    fn field_mut(&mut self, f: ProdField) -> &mut FieldState {
        self.fields.entry(f).or_insert_with(|| FieldState::new(""))
    }

    /// The answers as `production::validate` takes them: the typed ones, plus the profile's
    /// keys this step does not ask (`secret_name`, `vault`, `vault_identity`), which are kept.
    fn raw(&self) -> Raw {
        let mut raw: Raw = self
            .existing
            .iter()
            .flatten()
            .filter(|(k, _)| ProdField::of_key(k).is_none())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for f in ProdField::ALL {
            let t = self.field(f).text.trim();
            if !t.is_empty() {
                raw.insert(f.key().to_owned(), t.to_owned());
            }
        }
        raw
    }

    /// Checks one field against the whole set of answers (some rules join two keys); on
    /// success its text becomes the normalised value.
    fn commit(&mut self, f: ProdField) -> bool {
        if self.field(f).text.trim().is_empty()
            && let Some(d) = f.default()
        {
            self.field_mut(f).set_text(d);
        }
        let (normalised, error) = match production::validate(Some(&self.raw()), &self.names) {
            Ok((p, warnings)) => {
                self.warnings = warnings;
                (Some(f.normalised(&p)), None)
            }
            Err(errors) => (None, errors.into_iter().find(|e| e.key == f.key())),
        };
        if let Some(e) = error {
            self.field_mut(f).status = FieldStatus::Unchecked;
            self.errors.insert(f, e);
            return false;
        }
        self.errors.remove(&f);
        let st = self.field_mut(f);
        let value = normalised.unwrap_or_else(|| st.text.trim().to_owned());
        // Re-checking a normalised value yields no note; keep the one that explains it.
        let notes = match &st.status {
            _ if st.text != value => vec![format!("normalised to {value}")],
            FieldStatus::Valid { notes, .. } => notes.clone(),
            _ => Vec::new(),
        };
        st.set_text(&value);
        st.status = FieldStatus::Valid {
            notes,
            warnings: Vec::new(),
        };
        true
    }

    /// What `[production]` will hold for the asked keys: a value equal to its default stays
    /// out unless the profile already had the key (a re-run then changes nothing).
    fn to_keep(&self) -> Raw {
        ProdField::ALL
            .into_iter()
            .map(|f| {
                let text = self.field(f).text.trim();
                let had = self
                    .existing
                    .as_ref()
                    .is_some_and(|r| r.contains_key(f.key()));
                let value = if f.default() == Some(text) && !had {
                    ""
                } else {
                    text
                };
                (f.key().to_owned(), value.to_owned())
            })
            .collect()
    }
}

impl Wizard {
    pub fn production(&self) -> &ProdState {
        &self.prod
    }

    /// The focused production question (`None` on the choice row and on other steps).
    pub fn focused_production(&self) -> Option<ProdField> {
        if self.step != Step::Production || self.prod.choice != ProdChoice::Edit {
            return None;
        }
        self.focus
            .checked_sub(1)
            .and_then(|i| ProdField::ALL.get(i).copied())
    }

    /// Whether production answers exist for `export helm` once the files are written: given on
    /// the step, or a `[production]` table the step kept.
    pub fn production_known(&self) -> bool {
        self.prod.kept.is_some()
            || (self.prod.choice == ProdChoice::Skip && self.prod.existing.is_some())
    }

    fn prod_rows(&self) -> usize {
        match self.prod.choice {
            ProdChoice::Skip => 1,
            ProdChoice::Edit => 1 + ProdField::ALL.len(),
        }
    }

    pub(super) fn on_production(&mut self, msg: Msg) -> Vec<Effect> {
        self.blocked = None;
        let focused = self.focused_production();
        match msg {
            Msg::Back => return self.go_back(),
            Msg::Forward => return self.production_forward(),
            Msg::Skip => {
                self.prod.choice = ProdChoice::Skip;
                self.focus = 0;
                return self.production_forward();
            }
            Msg::ChooseProduction(c) => self.prod.choice = c,
            Msg::Left | Msg::Right if self.focus == 0 => {
                self.prod.choice = match self.prod.choice {
                    ProdChoice::Skip => ProdChoice::Edit,
                    ProdChoice::Edit => ProdChoice::Skip,
                };
            }
            Msg::NextField => self.production_focus(true),
            Msg::PrevField => self.production_focus(false),
            Msg::Enter => return self.production_enter(),
            Msg::Submit(text) => {
                if let Some(f) = focused {
                    let st = self.prod.field_mut(f);
                    st.set_text(&text.0);
                    st.status = FieldStatus::Unchecked;
                }
                return self.production_enter();
            }
            edit => {
                if let Some(f) = focused {
                    self.production_edit(f, edit);
                }
            }
        }
        Vec::new()
    }

    fn production_edit(&mut self, f: ProdField, msg: Msg) {
        let st = self.prod.field_mut(f);
        match (msg, f.kind()) {
            (Msg::Paste(text), kind) => {
                let clean: String = text
                    .0
                    .chars()
                    .filter(|c| *c != '\n' && *c != '\r')
                    .collect();
                if matches!(kind, FieldKind::Choice(_)) {
                    st.set_text("");
                }
                st.insert(&clean);
                self.prod.commit(f);
                return;
            }
            (Msg::Left, FieldKind::Choice(opts)) => st.cycle(opts, false),
            (Msg::Right | Msg::Input(' '), FieldKind::Choice(opts)) => st.cycle(opts, true),
            (_, FieldKind::Choice(_)) => return,
            (Msg::Input(c), _) => st.insert(&c.to_string()),
            (Msg::Backspace, _) => st.backspace(),
            (Msg::Delete, _) => st.delete(),
            (Msg::Left, _) => st.left(),
            (Msg::Right, _) => st.right(),
            (Msg::Home, _) => st.home(),
            (Msg::End, _) => st.end(),
            (Msg::Clear, _) => st.set_text(""),
            _ => return,
        }
        st.status = FieldStatus::Unchecked;
        // Once an error shows, re-check on every keystroke so it clears as soon as the value
        // is right (the text under the cursor is not rewritten while typing).
        if self.prod.errors.contains_key(&f) {
            let raw = self.prod.raw();
            match production::validate(Some(&raw), &self.prod.names) {
                Err(errors) if errors.iter().any(|e| e.key == f.key()) => {
                    if let Some(e) = errors.into_iter().find(|e| e.key == f.key()) {
                        self.prod.errors.insert(f, e);
                    }
                }
                _ => {
                    self.prod.errors.remove(&f);
                }
            }
        }
    }

    fn production_fill_default(&mut self) {
        if let Some(f) = self.focused_production()
            && self.prod.field(f).text.is_empty()
            && let Some(d) = f.default()
        {
            self.prod.field_mut(f).set_text(d);
        }
    }

    fn production_focus(&mut self, down: bool) {
        if let Some(f) = self.focused_production() {
            // Leaving a field checks it (the error shows), but never blocks moving.
            self.prod.commit(f);
        }
        let n = self.prod_rows();
        self.focus = if down {
            (self.focus + 1).min(n.saturating_sub(1))
        } else {
            self.focus.saturating_sub(1)
        };
        self.production_fill_default();
    }

    fn production_enter(&mut self) -> Vec<Effect> {
        match self.focused_production() {
            None if self.prod.choice == ProdChoice::Skip => self.production_forward(),
            None => {
                self.focus = 1;
                for f in ProdField::ALL {
                    if self.prod.field(f).text.is_empty()
                        && let Some(d) = f.default()
                    {
                        self.prod.field_mut(f).set_text(d);
                    }
                }
                Vec::new()
            }
            Some(f) => {
                if !self.prod.commit(f) {
                    return Vec::new();
                }
                if self.focus + 1 < self.prod_rows() {
                    self.production_focus(true);
                    Vec::new()
                } else {
                    self.production_forward()
                }
            }
        }
    }

    /// On to the review: skipped, or every answer valid together (as `export helm` checks
    /// them, including the profile's keys this step does not ask).
    fn production_forward(&mut self) -> Vec<Effect> {
        if self.prod.choice == ProdChoice::Skip {
            self.prod.kept = None;
            return self.enter_step(Step::Review);
        }
        let mut first_bad = None;
        for (i, f) in ProdField::ALL.into_iter().enumerate() {
            if !self.prod.commit(f) && first_bad.is_none() {
                first_bad = Some(i);
            }
        }
        if let Some(i) = first_bad {
            self.focus = i + 1;
            self.blocked = Some(format!(
                "{} needs fixing before going on",
                ProdField::ALL[i].label()
            ));
            return Vec::new();
        }
        match production::validate(Some(&self.prod.raw()), &self.prod.names) {
            Ok((_, warnings)) => {
                self.prod.warnings = warnings;
                self.prod.kept = Some(self.prod.to_keep());
                self.enter_step(Step::Review)
            }
            Err(errors) => {
                // Only keys this step does not ask are left: name them and where to fix them.
                self.blocked = Some(format!(
                    "lakekeeper-setup.toml needs fixing before going on: {}",
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
                Vec::new()
            }
        }
    }
}

/// A production error as both front ends show it under a field.
pub fn production_message(e: &ProductionError) -> String {
    match &e.value {
        Some(v) if !v.is_empty() => format!("`{v}` {}; fix: {}", e.message, e.fix),
        _ => format!("{}; fix: {}", e.message, e.fix),
    }
}
