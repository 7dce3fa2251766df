//! The wizard's steps: order, titles, the fields each asks and its help text (`assets/help/`).

use crate::model::FieldId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Welcome,
    Tenant,
    ApiApp,
    Backend,
    Ui,
    Postgres,
    Storage,
    EncryptionKey,
    Production,
    Review,
    Done,
}

impl Step {
    pub const ALL: [Step; 11] = [
        Step::Welcome,
        Step::Tenant,
        Step::ApiApp,
        Step::Backend,
        Step::Ui,
        Step::Postgres,
        Step::Storage,
        Step::EncryptionKey,
        Step::Production,
        Step::Review,
        Step::Done,
    ];

    /// How many steps there are, for "Step 3 of 11".
    pub const COUNT: usize = Step::ALL.len();

    /// 1-based position, for "Step 3 of 11".
    pub fn number(self) -> usize {
        Step::ALL
            .iter()
            .position(|s| *s == self)
            .map_or(0, |i| i + 1)
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Welcome => "Welcome",
            Step::Tenant => "Entra tenant and cloud",
            Step::ApiApp => "Lakekeeper API app registration",
            Step::Backend => "Backend service account",
            Step::Ui => "Lakekeeper UI app registration (optional)",
            Step::Postgres => "PostgreSQL",
            Step::Storage => "ADLS Gen2 storage and warehouse",
            Step::EncryptionKey => "Encryption key",
            Step::Production => "Production on Kubernetes (optional)",
            Step::Review => "Review",
            Step::Done => "Done",
        }
    }

    /// Where to find the values, from `assets/help/`.
    pub fn help(self) -> &'static str {
        match self {
            Step::Welcome => include_str!("../../assets/help/welcome.txt"),
            Step::Tenant => include_str!("../../assets/help/tenant.txt"),
            Step::ApiApp => include_str!("../../assets/help/api_app.txt"),
            Step::Backend => include_str!("../../assets/help/backend.txt"),
            Step::Ui => include_str!("../../assets/help/ui.txt"),
            Step::Postgres => include_str!("../../assets/help/postgres.txt"),
            Step::Storage => include_str!("../../assets/help/storage.txt"),
            Step::EncryptionKey => include_str!("../../assets/help/encryption_key.txt"),
            Step::Production => include_str!("../../assets/help/production.txt"),
            Step::Review => include_str!("../../assets/help/review.txt"),
            Step::Done => include_str!("../../assets/help/done.txt"),
        }
    }

    /// The fields asked on this step, in order. The credential comes before the account key
    /// because whether the key is required depends on it.
    pub fn fields(self) -> &'static [FieldId] {
        use FieldId as F;
        match self {
            Step::Tenant => &[F::Tenant, F::Cloud],
            Step::ApiApp => &[F::ApiClientId, F::AppIdUri],
            Step::Backend => &[F::BackendClientId, F::BackendSecret],
            Step::Ui => &[F::UiClientId],
            Step::Postgres => &[
                F::PgHost,
                F::PgPort,
                F::PgDatabase,
                F::PgUser,
                F::PgPassword,
                F::PgSslMode,
                F::PgSchema,
            ],
            Step::Storage => &[
                F::StorageAccount,
                F::StorageContainer,
                F::StorageKeyPrefix,
                F::StorageCredential,
                F::StorageAccountKey,
                F::StorageClientId,
                F::StorageClientSecret,
                F::WarehouseName,
            ],
            Step::EncryptionKey => &[F::EncryptionKey],
            // The Production step asks `[production]` keys, not answers (`wizard::ProdField`).
            Step::Welcome | Step::Production | Step::Review | Step::Done => &[],
        }
    }

    #[must_use]
    pub fn next(self) -> Step {
        let i = self.number();
        Step::ALL.get(i).copied().unwrap_or(Step::Done)
    }

    #[must_use]
    pub fn prev(self) -> Step {
        let i = self.number().saturating_sub(2);
        Step::ALL[i]
    }
}
