//! PyIceberg's first call: `GET <base>/catalog/v1/config?warehouse=<name>` with the
//! service-account token. Lakekeeper (v0.13) answers `{"defaults": {"prefix": "<warehouse
//! id>", …}, "overrides": {"uri": …}}`; every later catalog path starts with that prefix. An
//! unknown warehouse, or one the caller may not see, is a 404 `NoSuchWarehouseException`
//! (Lakekeeper answers both alike on purpose, so the name's existence does not leak).

use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use super::super::entra::Token;
use super::super::http::{self, Answer};
use super::{endpoint, error_text, error_type};

/// What the config call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOutcome {
    /// 200 with the catalog prefix (`overrides.prefix`, else `defaults.prefix`), if any.
    Ok {
        prefix: Option<String>,
    },
    /// 404 `NoSuchWarehouseException`: no such warehouse, or the caller may not see it.
    NoSuchWarehouse,
    Unauthorized,
    Forbidden,
    /// Anything else: a sentence naming the status and Lakekeeper's message.
    Other(String),
}

/// The request's URL (the warehouse name is query-encoded).
pub fn config_url(base: &Url, warehouse: &str) -> Result<Url, String> {
    let mut url = endpoint(base, "catalog/v1/config").map_err(|e| e.to_string())?;
    url.query_pairs_mut().append_pair("warehouse", warehouse);
    Ok(url)
}

/// The prefix a client uses: an override wins over a default, as in the Iceberg REST spec.
pub fn prefix_of(body: &Value) -> Option<String> {
    ["/overrides/prefix", "/defaults/prefix"]
        .iter()
        .find_map(|p| body.pointer(p).and_then(Value::as_str))
        .map(str::to_owned)
}

/// Sorts an answer to the config call.
pub fn outcome(answer: &Answer) -> ConfigOutcome {
    match answer.status {
        200 => match answer.json() {
            Some(body) => ConfigOutcome::Ok {
                prefix: prefix_of(&body),
            },
            None => ConfigOutcome::Other("status 200 without a JSON body".into()),
        },
        401 => ConfigOutcome::Unauthorized,
        403 => ConfigOutcome::Forbidden,
        404 if error_type(answer).as_deref() == Some("NoSuchWarehouseException") => {
            ConfigOutcome::NoSuchWarehouse
        }
        _ => ConfigOutcome::Other(error_text(answer)),
    }
}

/// Makes the call. Err is a transport failure in words (not reachable, timed out, …).
pub async fn get_config(
    client: &reqwest::Client,
    base: &Url,
    token: &Token,
    warehouse: &str,
    deadline: Instant,
) -> Result<ConfigOutcome, http::HttpError> {
    let url = config_url(base, warehouse).map_err(|reason| http::HttpError::BadUrl {
        url: base.to_string(),
        reason,
    })?;
    let answer = http::send(
        client
            .get(url.clone())
            .bearer_auth(token.access_token.expose()),
        &url,
        deadline,
    )
    .await?;
    Ok(outcome(&answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.to_owned(),
            ..Answer::default()
        }
    }

    #[test]
    fn the_prefix_comes_from_overrides_before_defaults() {
        let ok = answer(
            200,
            r#"{"defaults":{"prefix":"0190-aaaa","rest-page-size":"100"},"overrides":{"uri":"http://x/catalog"}}"#,
        );
        assert_eq!(
            outcome(&ok),
            ConfigOutcome::Ok {
                prefix: Some("0190-aaaa".into())
            }
        );
        let both = answer(
            200,
            r#"{"defaults":{"prefix":"d"},"overrides":{"prefix":"o"}}"#,
        );
        assert_eq!(
            outcome(&both),
            ConfigOutcome::Ok {
                prefix: Some("o".into())
            }
        );
        assert_eq!(
            outcome(&answer(200, r#"{"defaults":{},"overrides":{}}"#)),
            ConfigOutcome::Ok { prefix: None }
        );
    }

    #[test]
    fn failures_are_sorted_by_status_and_lakekeeper_error_type() {
        let missing = r#"{"error":{"message":"A warehouse 'x' does not exist","type":"NoSuchWarehouseException","code":404,"stack":[]}}"#;
        assert_eq!(
            outcome(&answer(404, missing)),
            ConfigOutcome::NoSuchWarehouse
        );
        assert_eq!(outcome(&answer(401, "{}")), ConfigOutcome::Unauthorized);
        assert_eq!(outcome(&answer(403, "{}")), ConfigOutcome::Forbidden);
        assert_eq!(
            outcome(&answer(
                400,
                r#"{"error":{"message":"No warehouse specified.","type":"GetConfigNoWarehouseProvided","code":400}}"#
            )),
            ConfigOutcome::Other(
                "400 GetConfigNoWarehouseProvided: No warehouse specified.".into()
            )
        );
    }

    #[test]
    fn the_warehouse_name_is_query_encoded() {
        let base = Url::parse("http://127.0.0.1:8181/").expect("base");
        assert_eq!(
            config_url(&base, "team a&b").expect("url").as_str(),
            "http://127.0.0.1:8181/catalog/v1/config?warehouse=team+a%26b"
        );
    }
}
