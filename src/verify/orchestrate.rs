//! Runs the checks concurrently and collects the report.
//!
//! Every check starts at once; the dependent ones (token-claims needs discovery and the token;
//! lakekeeper's management part needs the token and the claims verdict) wait only for their
//! inputs, which arrive over oneshot channels as soon as the producing check finishes.
//! Each check's own network work is bounded by `cfg.timeout` (deadlines inside the checks,
//! with an outer backstop here), so a silent host fails its check and never hangs the run.
//!
//! `--only`: a selected check whose inputs were not selected still gets them — the producing
//! checks run silently (not reported) — so `--only token-claims` works alone. Nothing here
//! prints; results go to the report and, live, to the optional progress channel.

use std::future::Future;

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};

use super::entra::{self, Token, TokenError};
use super::http::{self, HttpError};
use super::lakekeeper::{self, TokenInput};
use super::oidc::{self, Discovery};
use super::{
    CheckName, CheckResult, ProgressEvent, Status, VerifyConfig, VerifyReport, WarehouseCredential,
};
use super::{claims, postgres, shadowing, storage};

/// Slack for the outer backstop beyond a check's own deadline.
const GRACE: Duration = Duration::from_millis(500);

type Progress = Option<UnboundedSender<ProgressEvent>>;

struct Runner<'a> {
    cfg: &'a VerifyConfig,
    progress: Progress,
    start: Instant,
}

impl Runner<'_> {
    fn selected(&self, name: CheckName) -> bool {
        self.cfg
            .only
            .as_ref()
            .is_none_or(|only| only.contains(name.as_str()))
    }

    fn started(&self, name: CheckName) {
        if let Some(tx) = self.progress.as_ref().filter(|_| self.selected(name)) {
            let _ = tx.send(ProgressEvent::Started(name));
        }
    }

    /// Stamps the duration and reports the result if the check was selected.
    fn finish(&self, mut result: CheckResult) -> Option<CheckResult> {
        result.duration_ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        let name = CheckName::parse(&result.name)?;
        if !self.selected(name) {
            return None;
        }
        if let Some(tx) = &self.progress {
            let _ = tx.send(ProgressEvent::Finished(result.clone()));
        }
        Some(result)
    }

    /// Awaits `work` within `limit` (plus grace); a timeout becomes a failed result.
    async fn bounded(
        &self,
        name: CheckName,
        limit: Duration,
        work: impl Future<Output = CheckResult>,
    ) -> CheckResult {
        tokio::time::timeout(limit + GRACE, work)
            .await
            .unwrap_or_else(|_| {
                CheckResult::new(
                    name,
                    Status::Failed,
                    format!("no result within {} s (--timeout)", limit.as_secs_f32()),
                )
            })
    }
}

fn skipped(name: CheckName, why: impl Into<String>) -> CheckResult {
    CheckResult::new(name, Status::Skipped, why)
}

/// Runs the selected checks (see the module doc) and returns their results in report order.
pub async fn run(
    cfg: &VerifyConfig,
    progress: Option<UnboundedSender<ProgressEvent>>,
) -> VerifyReport {
    // The seven checks' state is large (~20 KB); keep it on the heap, not in callers' futures.
    Box::pin(run_all(cfg, progress)).await
}

async fn run_all(
    cfg: &VerifyConfig,
    progress: Option<UnboundedSender<ProgressEvent>>,
) -> VerifyReport {
    let runner = Runner {
        cfg,
        progress,
        start: Instant::now(),
    };
    let limit = cfg.timeout;
    let sel = |n| runner.selected(n);
    let need_claims = sel(CheckName::TokenClaims) || sel(CheckName::Lakekeeper);
    let need_discovery = sel(CheckName::OidcDiscovery) || need_claims;
    let need_token = sel(CheckName::Token) || need_claims;
    let client = http::client(limit);
    let client_error = |e: &HttpError| e.to_string();

    let (disc_tx, disc_rx) = oneshot::channel::<Result<Discovery, String>>();
    let (tok_claims_tx, tok_claims_rx) = oneshot::channel::<Result<Token, String>>();
    let (tok_lk_tx, tok_lk_rx) = oneshot::channel::<Result<Token, String>>();
    let (claims_tx, claims_rx) = oneshot::channel::<Status>();

    let discovery = async {
        if !need_discovery {
            return None;
        }
        runner.started(CheckName::OidcDiscovery);
        let result = match &client {
            Err(e) => CheckResult::new(CheckName::OidcDiscovery, Status::Failed, client_error(e)),
            Ok(c) => {
                runner
                    .bounded(CheckName::OidcDiscovery, limit, async {
                        let (result, found) =
                            oidc::check_discovery(cfg, c, Instant::now() + limit).await;
                        let _ = disc_tx.send(
                            found.ok_or_else(|| format!("oidc-discovery: {}", result.summary)),
                        );
                        result
                    })
                    .await
            }
        };
        runner.finish(result)
    };

    let token = async {
        if !need_token {
            return None;
        }
        runner.started(CheckName::Token);
        let result = match &client {
            Err(e) => CheckResult::new(CheckName::Token, Status::Failed, client_error(e)),
            Ok(c) => {
                runner
                    .bounded(CheckName::Token, limit, async {
                        let (result, token) =
                            entra::check_token(cfg, c, Instant::now() + limit).await;
                        let shared = token.ok_or_else(|| format!("token: {}", result.summary));
                        let _ = tok_claims_tx.send(shared.clone());
                        let _ = tok_lk_tx.send(shared);
                        result
                    })
                    .await
            }
        };
        runner.finish(result)
    };

    let token_claims = async {
        if !need_claims {
            return None;
        }
        runner.started(CheckName::TokenClaims);
        let name = CheckName::TokenClaims;
        let (d, tok) = tokio::join!(disc_rx, tok_claims_rx);
        let gone = |what: &str| format!("{what}: no result within the timeout");
        let result = match (
            d.unwrap_or_else(|_| Err(gone("oidc-discovery"))),
            tok.unwrap_or_else(|_| Err(gone("token"))),
            &client,
        ) {
            (Err(why), _, _) | (_, Err(why), _) => skipped(name, format!("needs {why}")),
            (_, _, Err(e)) => CheckResult::new(name, Status::Failed, client_error(e)),
            (Ok(d), Ok(tok), Ok(c)) => {
                runner
                    .bounded(
                        name,
                        limit,
                        claims::check_claims(cfg, c, &d, &tok, Instant::now() + limit),
                    )
                    .await
            }
        };
        let _ = claims_tx.send(result.status);
        runner.finish(result)
    };

    let postgres = async {
        if !sel(CheckName::Postgres) {
            return None;
        }
        runner.started(CheckName::Postgres);
        let result = runner
            .bounded(CheckName::Postgres, limit, postgres::check_postgres(cfg))
            .await;
        runner.finish(result)
    };

    let storage = async {
        if !sel(CheckName::Storage) {
            return None;
        }
        runner.started(CheckName::Storage);
        let storage_token = storage_token(cfg, client.as_ref()).await;
        let result = runner
            .bounded(
                CheckName::Storage,
                limit,
                storage::check_storage(cfg, storage_token),
            )
            .await;
        runner.finish(result)
    };

    let lakekeeper = async {
        if !sel(CheckName::Lakekeeper) {
            return None;
        }
        runner.started(CheckName::Lakekeeper);
        let input = async {
            let token = tok_lk_rx
                .await
                .unwrap_or_else(|_| Err("token: no result within the timeout".into()));
            let claims = claims_rx.await.ok();
            match token {
                Ok(tok) => TokenInput {
                    token: Some(tok),
                    why_missing: None,
                    claims,
                },
                Err(why) => TokenInput {
                    token: None,
                    why_missing: Some(why),
                    claims,
                },
            }
        };
        let result = match &client {
            Err(e) => CheckResult::new(CheckName::Lakekeeper, Status::Failed, client_error(e)),
            // Health, the wait for the token and claims (each bounded by its own check), then
            // the management calls: three bounded stages at most.
            Ok(c) => {
                runner
                    .bounded(
                        CheckName::Lakekeeper,
                        limit * 3,
                        lakekeeper::check_lakekeeper(cfg, c, input),
                    )
                    .await
            }
        };
        runner.finish(result)
    };

    let shadow = async {
        if !sel(CheckName::Shadowing) {
            return None;
        }
        runner.started(CheckName::Shadowing);
        runner.finish(shadowing::check_shadowing(cfg))
    };

    let all = tokio::join!(
        discovery,
        token,
        token_claims,
        postgres,
        storage,
        lakekeeper,
        shadow
    );
    let checks = [all.0, all.1, all.2, all.3, all.4, all.5, all.6];
    VerifyReport {
        checks: checks.into_iter().flatten().collect(),
    }
}

/// The warehouse app's storage token, for the client-credentials warehouse credential only.
async fn storage_token(
    cfg: &VerifyConfig,
    client: Result<&reqwest::Client, &HttpError>,
) -> Option<Result<Token, TokenError>> {
    let WarehouseCredential::ClientCredentials {
        client_id,
        client_secret,
        tenant_id,
    } = &cfg.warehouse_credential
    else {
        return None;
    };
    let client = match client {
        Ok(c) => c,
        Err(e) => return Some(Err(TokenError::Http(HttpError::Client(e.to_string())))),
    };
    let deadline = Instant::now() + cfg.timeout;
    let work = entra::token_before(
        client,
        &cfg.authority_host,
        tenant_id,
        client_id,
        client_secret,
        &cfg.storage_scope,
        deadline,
    );
    Some(
        tokio::time::timeout(cfg.timeout + GRACE, work)
            .await
            .unwrap_or_else(|_| {
                Err(TokenError::Http(HttpError::Timeout {
                    url: format!("{}/{tenant_id}/oauth2/v2.0/token", cfg.authority_host),
                    secs: cfg.timeout.as_secs(),
                }))
            }),
    )
}
