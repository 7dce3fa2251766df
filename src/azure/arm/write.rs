//! One ARM write carried to its end: sent again while the resource is busy (`ServerBusy`, a 409
//! conflict, 429 — after `Retry-After`, else a doubling delay), then, for a 202, the operation
//! followed through `Azure-AsyncOperation` (or `Location`) until it succeeds or fails.
//!
//! Polling URLs are absolute and come from Azure: they are followed only on the origin the
//! endpoints name for ARM, so the token never travels elsewhere. Each retry is reported through
//! `progress` (one line); a long operation's polls only every [`WAIT_REPORT_EVERY`], so a
//! five-minute change is a handful of lines, not one per poll. Nothing here logs a body.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::super::rest::{self, ApiError, RestError};
use super::super::{CallError, Session};
use crate::verify::http::{self, Answer};

/// How often a busy resource is tried, and how long to wait between tries without `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub first_delay: Duration,
    /// No wait (from `Retry-After` or the doubling) is longer than this.
    pub max_delay: Duration,
}

/// About two and a half minutes of retries in all.
pub const BUSY_RETRY: Retry = Retry {
    attempts: 6,
    first_delay: Duration::from_secs(5),
    max_delay: Duration::from_mins(1),
};

/// A long-running operation is polled at most this many times (with `Retry-After`, or every
/// [`POLL_DELAY`]).
pub const MAX_POLLS: u32 = 300;
pub const POLL_DELAY: Duration = Duration::from_secs(3);

/// A long operation says it is still waiting at its first poll, then at most this often.
pub const WAIT_REPORT_EVERY: Duration = Duration::from_secs(30);

/// Whether a poll at `now` (since the operation started) reports its wait, the last report
/// having been at `last`.
fn wait_report_due(last: Option<Duration>, now: Duration) -> bool {
    last.is_none_or(|l| now >= l + WAIT_REPORT_EVERY)
}

/// `Retry-After` in seconds (the HTTP-date form is not used by ARM), capped at `max`.
pub fn retry_after(answer: &Answer, max: Duration) -> Option<Duration> {
    answer
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s).min(max))
}

fn backoff(retry: Retry, attempt: u32) -> Duration {
    retry
        .first_delay
        .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
        .min(retry.max_delay)
}

/// Sends `body` (none when it is `Null`) to `url` with `method`; retries while `busy` says the refusal is temporary;
/// follows a 202 to its end. Returns the final body (`Null` when the operation's result is only
/// its status: the caller reads the resource again).
pub async fn write(
    session: &Session,
    method: Method,
    url: &Url,
    body: &Value,
    busy: fn(&ApiError) -> bool,
    retry: Retry,
    progress: &dyn Fn(&str),
) -> Result<Value, CallError> {
    let mut attempt = 1;
    loop {
        // Asked each time (the token is cached): a long wait must not outlive it.
        let token = session.token(&session.endpoints.arm_resource).await?;
        let answer = rest::send_raw(
            session.http(),
            method.clone(),
            url,
            &token,
            // A DELETE carries no body.
            (!body.is_null()).then_some(body),
            session.timeout(),
        )
        .await?;
        let e = if (200..300).contains(&answer.status) {
            match follow(session, &answer, progress).await {
                // The operation itself can end busy (another change on the server): sent again.
                Err(CallError::Rest(RestError::Api(e))) if e.status == 0 && busy(&e) => e,
                other => return other,
            }
        } else {
            rest::answer_error(&answer)
        };
        if !busy(&e) || attempt >= retry.attempts {
            return Err(RestError::Api(e).into());
        }
        let wait = retry_after(&answer, retry.max_delay).unwrap_or_else(|| backoff(retry, attempt));
        progress(&format!(
            "Azure is busy with another operation on it ({}); trying again in {} s (attempt {} of {})",
            if e.code.is_empty() {
                format!("HTTP {}", e.status)
            } else {
                e.code.clone()
            },
            wait.as_secs(),
            attempt + 1,
            retry.attempts
        ));
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// A polling URL Azure sent, checked to be on ARM's origin.
fn poll_url(session: &Session, link: &str) -> Result<Url, CallError> {
    let home = http::parse_allowed(&session.endpoints.arm).map_err(RestError::from)?;
    let url = http::parse_allowed(link).map_err(|_| {
        RestError::Unexpected("Azure sent an operation link that is not a URL".into())
    })?;
    if url.origin() != home.origin() {
        return Err(RestError::Unexpected(format!(
            "Azure sent an operation link to another host ({}); not following it with your token",
            url.origin().ascii_serialization()
        ))
        .into());
    }
    Ok(url)
}

async fn follow(
    session: &Session,
    first: &Answer,
    progress: &dyn Fn(&str),
) -> Result<Value, CallError> {
    let body = first.json().unwrap_or(Value::Null);
    if first.status != 202 && first.status != 201 {
        return Ok(body);
    }
    let (link, async_op) = match (
        first.header("azure-asyncoperation"),
        first.header("location"),
    ) {
        (Some(op), _) => (op, true),
        (None, Some(loc)) => (loc, false),
        (None, None) => return Ok(body),
    };
    let url = poll_url(session, link)?;
    let mut wait = retry_after(first, BUSY_RETRY.max_delay).unwrap_or(POLL_DELAY);
    let started = std::time::Instant::now();
    let mut reported: Option<Duration> = None;
    let mut report = |line: String| {
        let now = started.elapsed();
        if wait_report_due(reported, now) {
            reported = Some(now);
            progress(&line);
        }
    };
    for _ in 0..MAX_POLLS {
        tokio::time::sleep(wait).await;
        let token = session.token(&session.endpoints.arm_resource).await?;
        let answer = rest::send_raw(
            session.http(),
            Method::GET,
            &url,
            &token,
            None,
            session.timeout(),
        )
        .await?;
        wait = retry_after(&answer, BUSY_RETRY.max_delay).unwrap_or(POLL_DELAY);
        // Throttled, or a passing server error while polling: ask again.
        if answer.status == 429 || answer.status >= 500 {
            continue;
        }
        if !(200..300).contains(&answer.status) {
            return Err(RestError::Api(rest::answer_error(&answer)).into());
        }
        let v = answer.json().unwrap_or(Value::Null);
        if async_op {
            let status = v["status"].as_str().unwrap_or_default();
            match status.to_ascii_lowercase().as_str() {
                "succeeded" => return Ok(Value::Null),
                "failed" | "canceled" | "cancelled" => return Err(failed(&v).into()),
                _ => report(format!(
                    "waiting for Azure to finish the change ({}, {} s)",
                    if status.is_empty() {
                        "InProgress"
                    } else {
                        status
                    },
                    started.elapsed().as_secs()
                )),
            }
        } else if answer.status == 202 {
            report(format!(
                "waiting for Azure to finish the change ({} s)",
                started.elapsed().as_secs()
            ));
        } else {
            return Ok(v);
        }
    }
    Err(RestError::Unexpected(format!(
        "Azure had not finished the change after {MAX_POLLS} checks; look at the resource in the portal and run this again"
    ))
    .into())
}

/// A failed operation's error (`{"status":"Failed","error":{"code","message"}}`), with status 0:
/// the operation has no HTTP status of its own.
fn failed(v: &Value) -> RestError {
    let e = &v["error"];
    let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
    RestError::Api(ApiError {
        status: 0,
        code: if text("code").is_empty() {
            v["status"].as_str().unwrap_or("Failed").to_owned()
        } else {
            text("code")
        },
        inner: None,
        message: text("message")
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        claims: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(retry_after: Option<&str>) -> Answer {
        Answer {
            status: 409,
            body: String::new(),
            headers: retry_after
                .map(|v| vec![("retry-after".to_owned(), v.to_owned())])
                .unwrap_or_default(),
        }
    }

    #[test]
    fn a_long_operation_reports_its_wait_at_the_first_poll_then_every_30_s() {
        // Five minutes of polls every 3 s: 100 polls, 10 lines (3 s, 33 s, 63 s, …).
        let mut last = None;
        let mut lines = Vec::new();
        for poll in 1..=100u64 {
            let now = Duration::from_secs(3 * poll);
            if wait_report_due(last, now) {
                last = Some(now);
                lines.push(now.as_secs());
            }
        }
        assert_eq!(lines, [3, 33, 63, 93, 123, 153, 183, 213, 243, 273]);
    }

    #[test]
    fn waits_follow_retry_after_else_double_and_are_capped() {
        let max = Duration::from_mins(1);
        assert_eq!(
            retry_after(&answer(Some("7")), max),
            Some(Duration::from_secs(7))
        );
        assert_eq!(retry_after(&answer(Some("3600")), max), Some(max));
        assert_eq!(
            retry_after(&answer(Some("Wed, 21 Oct 2015 07:28:00 GMT")), max),
            None
        );
        assert_eq!(retry_after(&answer(None), max), None);
        let waits: Vec<u64> = (1..=6).map(|a| backoff(BUSY_RETRY, a).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 60, 60]);
    }

    #[test]
    fn a_failed_operation_keeps_its_code() {
        let v = serde_json::json!({"status": "Failed", "error": {"code": "OperationFailed", "message": "{0}"}});
        let RestError::Api(a) = failed(&v) else {
            panic!("api error")
        };
        assert_eq!(
            (a.code.as_str(), a.message.as_str()),
            ("OperationFailed", "{0}")
        );
        let RestError::Api(a) = failed(&serde_json::json!({"status": "Canceled"})) else {
            panic!("api error")
        };
        assert_eq!(a.code, "Canceled");
    }
}
