//! The optional Production step: the `[production]` answers the laptop does not have (public
//! base URI, namespace, release, replicas, how the release is deployed, ingress, production's
//! database host), validated with `production::validate` as `export helm` validates them, and
//! kept in the profile's `[production]` table only. Nothing here reaches `backend/.env`.
//!
//! The step opens on a choice whose default is to skip it (or, with a `[production]` table in
//! the profile, to keep that table as it is): one Enter goes on to the review.

use std::collections::BTreeMap;

use super::{Edited, Effect, FieldKind, FieldState, FieldStatus, Msg, Step, Wizard};
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
    VaultIdentity,
}

const DEPLOYS: [&str; 3] = ["helm-wait", "helm", "gitops"];

impl ProdField {
    /// In the order asked (the documented order of `production::KEYS`). `secret_name` and
    /// `vault` are not asked (their defaults fit most teams), nor `vault_identity` unless a
    /// vault is named; the profile's values for them are kept and validated with these.
    pub const ALL: [ProdField; 10] = [
        ProdField::BaseUri,
        ProdField::Namespace,
        ProdField::Release,
        ProdField::Replicas,
        ProdField::IngressHost,
        ProdField::IngressClass,
        ProdField::TlsSecret,
        ProdField::PostgresHost,
        ProdField::Deploy,
        ProdField::VaultIdentity,
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
            ProdField::VaultIdentity => "vault_identity",
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
            ProdField::VaultIdentity => "Managed identity that reads the Key Vault (client ID)",
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
            ProdField::VaultIdentity => {
                "a vault is named, so export helm reads the Secret from it with the External Secrets Operator, signed in as this user-assigned managed identity (role Key Vault Secrets User): its Client ID"
            }
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
            ProdField::VaultIdentity => p
                .vault_identity
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
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
    /// What is wrong with the profile's table as found (unknown keys, invalid values, what
    /// the export would refuse).
    problems: Vec<String>,
    /// The problems as read that no answer of the step can fix (unknown keys, a wrong-typed
    /// key the step does not ask, a `[production]` that is not a table): setting production
    /// up waits until they are fixed in the file.
    blocking: Vec<ProductionError>,
    /// Whether a vault is named (`[production] vault` or `[secrets] vault`): the export then
    /// reads the Secret from it and needs `vault_identity`, which the step then asks.
    vault_named: bool,
    /// Whether the profile's table as found is what `export helm` accepts.
    exportable: bool,
    /// What the profile's table will hold for the asked keys (empty: no such key): set when
    /// the step was taken and its answers passed, cleared when it is skipped.
    kept: Option<Raw>,
}

impl ProdState {
    /// `read_problems`: what reading the profile's table found wrong (its invalid values and
    /// what the export would refuse are added here).
    pub fn new(
        existing: Option<Raw>,
        names: VaultNames,
        read_problems: Vec<ProductionError>,
    ) -> ProdState {
        let vault_named = production::vault_named(existing.as_ref(), &names);
        let mut problems: Vec<String> = read_problems.iter().map(ToString::to_string).collect();
        let mut exportable = read_problems.is_empty();
        if let Some(raw) = &existing {
            if let Err(errors) = production::validate(Some(raw), &names) {
                exportable = false;
                problems.extend(errors.iter().map(ToString::to_string));
            }
            let required = production::export_requirements(raw, &names);
            exportable &= required.is_empty();
            problems.extend(required.iter().map(ToString::to_string));
        }
        let fields = ProdField::ALL
            .into_iter()
            .map(|f| {
                let text = existing
                    .as_ref()
                    .and_then(|r| r.get(f.key()))
                    .map_or("", String::as_str);
                // `argocd`/`flux` start both front ends on gitops, which they mean.
                let text = match (f, production::Deploy::parse(text)) {
                    (ProdField::Deploy, Some(d)) => d.as_str(),
                    _ => text,
                };
                (f, FieldState::new(text))
            })
            .collect();
        let mut state = ProdState {
            choice: ProdChoice::Skip,
            existing,
            fields,
            errors: BTreeMap::new(),
            warnings: Vec::new(),
            names,
            problems,
            blocking: Vec::new(),
            vault_named,
            exportable,
            kept: None,
        };
        state.blocking = read_problems
            .into_iter()
            .filter(|p| !(p.table == production::TABLE && state.asks(&p.key)))
            .collect();
        state
    }

    /// The questions the step asks, in order.
    pub fn asked(&self) -> Vec<ProdField> {
        ProdField::ALL
            .into_iter()
            .filter(|f| *f != ProdField::VaultIdentity || self.vault_named)
            .collect()
    }

    /// Whether the step asks the `[production]` key `key`.
    fn asks(&self, key: &str) -> bool {
        self.asked().iter().any(|f| f.key() == key)
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
            .filter(|(k, _)| !self.asks(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for f in self.asked() {
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
        let raw = self.raw();
        // The export's own requirement in the mode it picks (a vault named: vault_identity).
        let required = production::export_requirements(&raw, &self.names)
            .into_iter()
            .filter(|e| e.table == production::TABLE);
        let (normalised, error) = match production::validate(Some(&raw), &self.names) {
            Ok((p, warnings)) => {
                self.warnings = warnings;
                let mut required = required;
                (Some(f.normalised(&p)), required.find(|e| e.key == f.key()))
            }
            Err(errors) => (
                None,
                errors
                    .into_iter()
                    .chain(required)
                    .find(|e| e.key == f.key()),
            ),
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
        self.asked()
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
            .and_then(|i| self.prod.asked().get(i).copied())
    }

    /// Whether production answers exist for `export helm` once the files are written: given on
    /// the step, or a `[production]` table the step kept.
    pub fn production_known(&self) -> bool {
        self.prod.kept.is_some()
            || (self.prod.choice == ProdChoice::Skip
                && self.prod.existing.is_some()
                && self.prod.exportable)
    }

    /// Production answers exist, but not production's own identities: `export helm` would
    /// refuse until `azure bootstrap --production` has recorded them.
    pub fn production_needs_bootstrap(&self) -> bool {
        self.production_known()
            && !self
                .prod
                .existing
                .as_ref()
                .is_some_and(production::has_identities)
    }

    fn prod_rows(&self) -> usize {
        match self.prod.choice {
            ProdChoice::Skip => 1,
            ProdChoice::Edit => 1 + self.prod.asked().len(),
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
                    self.production_edit(f, &edit);
                }
            }
        }
        Vec::new()
    }

    fn production_edit(&mut self, f: ProdField, msg: &Msg) {
        let st = self.prod.field_mut(f);
        match st.apply(msg, f.kind()) {
            Edited::Pasted => {
                self.prod.commit(f);
                return;
            }
            Edited::Nothing => return,
            Edited::Typed => {}
        }
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
                for f in self.prod.asked() {
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
        let asked = self.prod.asked();
        let mut first_bad = None;
        for (i, f) in asked.iter().copied().enumerate() {
            if !self.prod.commit(f) && first_bad.is_none() {
                first_bad = Some(i);
            }
        }
        if let Some(i) = first_bad {
            self.focus = i + 1;
            self.blocked = Some(format!("{} needs fixing before going on", asked[i].label()));
            return Vec::new();
        }
        let raw = self.prod.raw();
        let errors = match production::validate(Some(&raw), &self.prod.names) {
            Ok((_, warnings)) => {
                self.prod.warnings = warnings;
                Vec::new()
            }
            Err(errors) => errors,
        };
        let unasked: Vec<ProductionError> = self
            .prod
            .blocking
            .iter()
            .cloned()
            .chain(errors)
            .chain(production::export_requirements(&raw, &self.prod.names))
            .collect();
        if unasked.is_empty() {
            self.prod.kept = Some(self.prod.to_keep());
            return self.enter_step(Step::Review);
        }
        // Only what the step does not ask is left: say it, and go back to the choice (keep
        // the table as it is, or fix the file) rather than to a question that cannot fix it.
        self.focus = 0;
        self.blocked = Some(format!(
            "lakekeeper-setup.toml needs fixing before production can be set up (or keep/skip it): {}",
            unasked
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ));
        Vec::new()
    }
}

/// A production error as both front ends show it under a field.
pub fn production_message(e: &ProductionError) -> String {
    match &e.value {
        Some(v) if !v.is_empty() => format!("`{v}` {}; fix: {}", e.message, e.fix),
        _ => format!("{}; fix: {}", e.message, e.fix),
    }
}
