//! Which tenant an Azure command works in, and where that answer came from: `--tenant`, the
//! profile, `backend/.env` (the provider URI), the environment, or the Azure CLI's sign-in.
//! A configured tenant the sign-in cannot reach (no token for it: a placeholder, a stale
//! `.env`) is never tried blindly: the command offers the signed-in tenant (by name and
//! domain) or stops saying both. One the sign-in reaches is used even when it is not the
//! default subscription's (a guest in the team's tenant). Pure: no I/O.

use crate::model::Source;

/// Where the tenant came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--tenant`.
    Flag,
    /// The answers (profile, `.env`, environment) with the file labels for messages.
    Answer {
        source: Source,
        profile: String,
        env: String,
    },
    /// Nothing named one: the tenant the Azure CLI is signed in to.
    SignedIn,
}

impl Origin {
    /// "from --tenant", "from backend/.env (LAKEKEEPER__OPENID_PROVIDER_URI)", …
    pub fn describe(&self) -> String {
        match self {
            Origin::Flag => "from --tenant".to_owned(),
            Origin::SignedIn => "the one the Azure CLI is signed in to".to_owned(),
            Origin::Answer {
                source,
                profile,
                env,
            } => match source {
                Source::Profile => format!("from {profile} ([entra] tenant)"),
                Source::EnvFile => format!("from {env} ({})", crate::keys::PROVIDER_URI),
                Source::Environment => "from the environment".to_owned(),
                other => format!("from the {other}"),
            },
        }
    }
}

/// The tenant the Azure CLI is signed in to (`az account show`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignedIn {
    pub id: String,
    pub name: Option<String>,
    pub domain: Option<String>,
}

impl SignedIn {
    /// "Contoso, contoso.onmicrosoft.com" (what is known of it), empty when nothing is.
    pub fn label(&self) -> String {
        [self.name.as_deref(), self.domain.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "11111111-… (Contoso, contoso.onmicrosoft.com)".
    pub fn describe(&self) -> String {
        match self.label() {
            l if l.is_empty() => self.id.clone(),
            l => format!("{} ({l})", self.id),
        }
    }

    fn is(&self, tenant: &str) -> bool {
        tenant.eq_ignore_ascii_case(&self.id)
            || self
                .domain
                .as_deref()
                .is_some_and(|d| tenant.eq_ignore_ascii_case(d))
    }
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Work in `id`.
    Use { id: String, origin: Origin },
    /// The answers name a tenant the sign-in cannot reach: ask, or stop with [`mismatch`].
    Mismatch {
        configured: String,
        origin: Origin,
        signed_in: SignedIn,
    },
}

/// `--tenant` wins; else the configured tenant when it is the signed-in one or `reachable` (a
/// token for it was had); else the signed-in tenant when nothing is configured; else a mismatch
/// to resolve.
pub fn choose(
    flag: Option<&str>,
    configured: Option<(&str, Origin)>,
    reachable: bool,
    signed_in: &SignedIn,
) -> Choice {
    if let Some(t) = flag {
        return Choice::Use {
            id: t.to_owned(),
            origin: Origin::Flag,
        };
    }
    match configured {
        None => Choice::Use {
            id: signed_in.id.clone(),
            origin: Origin::SignedIn,
        },
        Some((t, origin)) if reachable || signed_in.is(t) => Choice::Use {
            id: t.to_owned(),
            origin,
        },
        Some((t, origin)) => Choice::Mismatch {
            configured: t.to_owned(),
            origin,
            signed_in: signed_in.clone(),
        },
    }
}

/// A mismatch without anyone to ask: the line that says both tenants and where each came
/// from, and the fix (the flag for the signed-in one, `az login` for the configured one).
pub fn mismatch(configured: &str, origin: &Origin, signed_in: &SignedIn) -> (String, String) {
    (
        format!(
            "the tenant {configured} comes {}, but the Azure CLI's sign-in cannot reach it; it is signed in to tenant {}",
            origin.describe(),
            signed_in.describe()
        ),
        format!(
            "to set up the signed-in tenant, run again with `--tenant {}`; to use {configured}, run `az login --tenant {configured}` first",
            signed_in.id
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALE: &str = "11111111-2222-3333-4444-555555555555";
    const MINE: &str = "11111111-1111-1111-1111-111111111111";

    fn signed_in() -> SignedIn {
        SignedIn {
            id: MINE.into(),
            name: Some("Contoso".into()),
            domain: Some("contoso.onmicrosoft.com".into()),
        }
    }

    fn from(source: Source) -> Origin {
        Origin::Answer {
            source,
            profile: "lakekeeper-setup.toml".into(),
            env: "backend/.env".into(),
        }
    }

    #[test]
    fn the_flag_wins_a_match_is_used_and_a_mismatch_is_never_silent() {
        let me = signed_in();
        for (flag, configured, reachable, want) in [
            (
                Some(STALE),
                Some((MINE, from(Source::Profile))),
                false,
                Choice::Use {
                    id: STALE.into(),
                    origin: Origin::Flag,
                },
            ),
            (
                None,
                None,
                false,
                Choice::Use {
                    id: MINE.into(),
                    origin: Origin::SignedIn,
                },
            ),
            (
                None,
                Some((MINE, from(Source::EnvFile))),
                false,
                Choice::Use {
                    id: MINE.into(),
                    origin: from(Source::EnvFile),
                },
            ),
            (
                None,
                Some(("Contoso.onmicrosoft.com", from(Source::Profile))),
                false,
                Choice::Use {
                    id: "Contoso.onmicrosoft.com".into(),
                    origin: from(Source::Profile),
                },
            ),
            // A guest in the team's tenant: another tenant, but a token for it was had.
            (
                None,
                Some((STALE, from(Source::Profile))),
                true,
                Choice::Use {
                    id: STALE.into(),
                    origin: from(Source::Profile),
                },
            ),
            (
                None,
                Some((STALE, from(Source::EnvFile))),
                false,
                Choice::Mismatch {
                    configured: STALE.into(),
                    origin: from(Source::EnvFile),
                    signed_in: me.clone(),
                },
            ),
        ] {
            assert_eq!(
                choose(flag, configured.clone(), reachable, &me),
                want,
                "{flag:?} {configured:?} {reachable}"
            );
        }
    }

    #[test]
    fn the_mismatch_says_where_each_tenant_came_from_and_both_ways_out() {
        let (line, fix) = mismatch(STALE, &from(Source::EnvFile), &signed_in());
        assert_eq!(
            line,
            "the tenant 11111111-2222-3333-4444-555555555555 comes from backend/.env (LAKEKEEPER__OPENID_PROVIDER_URI), but the Azure CLI's sign-in cannot reach it; it is signed in to tenant 11111111-1111-1111-1111-111111111111 (Contoso, contoso.onmicrosoft.com)"
        );
        assert_eq!(
            fix,
            "to set up the signed-in tenant, run again with `--tenant 11111111-1111-1111-1111-111111111111`; to use 11111111-2222-3333-4444-555555555555, run `az login --tenant 11111111-2222-3333-4444-555555555555` first"
        );
        assert_eq!(
            from(Source::Profile).describe(),
            "from lakekeeper-setup.toml ([entra] tenant)"
        );
        assert_eq!(
            SignedIn {
                id: MINE.into(),
                ..SignedIn::default()
            }
            .describe(),
            MINE
        );
    }
}
