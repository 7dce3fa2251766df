//! Every field validator (`validate::field`, which dispatches to each pure validator) on
//! arbitrary text, with arbitrary other answers as context, then the whole-answers validation
//! and the derivation of the `.env` values from an accepted configuration.
//!
//! Properties: no input panics; an accepted value is accepted again unchanged (the normalised
//! form is a fixed point, so a value the tool suggested never needs a second fix); no accepted
//! value holds a control character (no `.env` form can carry one).

use arbitrary::Arbitrary;
use lakekeeper_setup::model::{Answers, FieldId, Source};
use lakekeeper_setup::{derive, validate};

#[derive(Debug, Arbitrary)]
struct Input {
    raw: String,
    /// The field `raw` replaces in the whole-answers check (index into `FieldId::ALL`).
    field: u8,
    /// Answers overriding the valid base set: (index into `FieldId::ALL`, text).
    context: Vec<(u8, String)>,
}

/// A complete, valid set of answers, so the whole-answers check gets past "missing".
const BASE: [(FieldId, &str); 11] = [
    (FieldId::Tenant, "11111111-2222-3333-4444-555555555555"),
    (FieldId::ApiClientId, "aaaaaaaa-0000-0000-0000-000000000001"),
    (
        FieldId::BackendClientId,
        "bbbbbbbb-0000-0000-0000-000000000002",
    ),
    (
        FieldId::BackendSecret,
        "abc1Q~fakefakefakefakefakefakefakefake12",
    ),
    (FieldId::PgHost, "db.postgres.database.azure.com"),
    (FieldId::PgDatabase, "investflow"),
    (FieldId::PgUser, "app_admin"),
    (FieldId::PgPassword, "fake-p@ss:w/rd?#%"),
    (FieldId::StorageAccount, "teamadls"),
    (FieldId::StorageContainer, "documents"),
    (
        FieldId::EncryptionKey,
        "FakeEncryptionKeyFakeEncryptionKey0123456",
    ),
];

fn field_at(index: u8) -> FieldId {
    FieldId::ALL[usize::from(index) % FieldId::ALL.len()]
}

/// One input, decoded as `fuzz_target!` decodes a typed input.
pub fn run(data: &[u8]) {
    let Ok(input) =
        <Input as arbitrary::Arbitrary>::arbitrary_take_rest(arbitrary::Unstructured::new(data))
    else {
        return;
    };
    let mut answers = Answers::default();
    for (field, text) in BASE {
        answers.set(field, text, Source::Profile);
    }
    for (index, text) in &input.context {
        answers.set(field_at(*index), text.as_str(), Source::Profile);
    }
    for field in FieldId::ALL {
        let Ok(checked) = validate::field(field, &input.raw, &answers) else {
            continue;
        };
        let value = &checked.value;
        assert!(
            !value.chars().any(char::is_control),
            "{field}: accepted a control character: {value:?}"
        );
        let again = validate::field(field, value, &answers).map(|c| c.value);
        assert_eq!(
            again.as_ref().ok(),
            Some(value),
            "{field}: {:?} was accepted as {value:?}, which re-validates as {again:?}",
            input.raw
        );
    }
    answers.set(field_at(input.field), input.raw.as_str(), Source::Wizard);
    if let Ok(valid) = validate::answers(&answers) {
        let _ = derive::env_values(&valid.config);
    }
}
