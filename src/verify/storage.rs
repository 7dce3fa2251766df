//! Check 5, `storage`: the warehouse's storage account answers and accepts what Lakekeeper
//! will do with it.
//!
//! With the account key (Shared Key) or the warehouse app's token: the container exists, the
//! account has a hierarchical namespace (Data Lake API), and a probe blob can be written, read
//! back and deleted under the key prefix; with an app's token, also a user-delegation key (what
//! Storage Blob Delegator is for). It leaves nothing behind but what it failed to delete (and
//! says so), and never prints the key, a signature or the token.

mod explain;
pub mod request;
pub mod sharedkey;

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Method;
use tokio::time::Instant;
use url::Url;

use super::entra::{self, Token, TokenError};
use super::finding::{self, Finding};
use super::{CheckName, CheckResult, Status, VerifyConfig, WarehouseCredential, http};
use crate::keys;
use crate::secret::Secret;
use explain::{Ctx, Identity, Op};
use request::{Auth, Reply, iso8601};
use sharedkey::SharedKey;

/// Runs the storage check. `storage_token` is `None` for Shared Key, else the orchestrator's
/// attempt to get the warehouse app's token for `cfg.storage_scope`.
pub async fn check_storage(
    cfg: &VerifyConfig,
    storage_token: Option<Result<Token, TokenError>>,
) -> CheckResult {
    let fail = |summary: String, fix: Option<String>| {
        let mut r = CheckResult::new(CheckName::Storage, Status::Failed, summary);
        r.fix = fix;
        r
    };
    let get = |k: &str| cfg.env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let (Some(account), Some(container)) =
        (get(keys::STORAGE_ACCOUNT), get(keys::STORAGE_CONTAINER))
    else {
        let missing: Vec<&str> = [keys::STORAGE_ACCOUNT, keys::STORAGE_CONTAINER]
            .into_iter()
            .filter(|k| get(k).is_none())
            .collect();
        return fail(
            format!("missing in backend/.env: {}", missing.join(", ")),
            Some(format!("set {}", missing.join(", "))),
        );
    };
    let (auth, identity) = match (&cfg.warehouse_credential, storage_token) {
        (WarehouseCredential::SharedKey, _) => {
            let Some(key) = get(keys::STORAGE_KEY) else {
                return fail(
                    format!("missing in backend/.env: {}", keys::STORAGE_KEY),
                    Some(format!(
                        "set {} (key1 or key2 of the account)",
                        keys::STORAGE_KEY
                    )),
                );
            };
            match SharedKey::new(account, &Secret::new(key)) {
                Ok(k) => (Auth::SharedKey(k), Identity::SharedKey),
                Err(e) => {
                    return fail(
                        e.to_string(),
                        Some(format!(
                            "set {} to key1 or key2 of account {account}",
                            keys::STORAGE_KEY
                        )),
                    );
                }
            }
        }
        (WarehouseCredential::ClientCredentials { client_id, .. }, Some(Ok(token))) => (
            Auth::Bearer(token.access_token),
            Identity::App {
                client_id: client_id.clone(),
            },
        ),
        (WarehouseCredential::ClientCredentials { .. }, Some(Err(e))) => {
            let ex = entra::explain(&e, &entra::STORAGE_FIELDS);
            return fail(
                format!("no storage token for the warehouse app: {}", ex.summary),
                ex.fix,
            );
        }
        (WarehouseCredential::ClientCredentials { .. }, None) => {
            return fail(
                "no storage token for the warehouse app was requested".into(),
                None,
            );
        }
    };
    let client = match http::client(cfg.timeout) {
        Ok(c) => c,
        Err(e) => return fail(e.to_string(), None),
    };
    let ctx = Ctx {
        account: account.to_owned(),
        container: container.to_owned(),
        identity,
    };
    let deadline = Instant::now() + cfg.timeout;
    let probe = Probe {
        client: &client,
        auth: &auth,
        ctx: &ctx,
        deadline,
    };
    let context = format!(
        "account {account}, container {container}, key prefix `{}`, with {}",
        cfg.key_prefix,
        match &ctx.identity {
            Identity::SharedKey => "the account key (Shared Key)".to_owned(),
            Identity::App { client_id } => format!("app {client_id}'s token"),
        }
    );
    let findings = match probe.run(cfg).await {
        Ok(f) | Err(f) => f,
    };
    finding::assemble(
        CheckName::Storage,
        &format!("storage account {account} is ready for the warehouse"),
        &context,
        &findings,
    )
}

struct Probe<'a> {
    client: &'a reqwest::Client,
    auth: &'a Auth,
    ctx: &'a Ctx,
    deadline: Instant,
}

fn url_for(base: &str, segments: &[&str], query: &str) -> Result<Url, Finding> {
    let mut url = Url::parse(base).map_err(|e| {
        Finding::failed(
            format!("endpoint `{base}` is not a URL: {e}"),
            "check the cloud / storage endpoint settings",
        )
    })?;
    {
        let Ok(mut path) = url.path_segments_mut() else {
            return Err(Finding::failed(
                format!("endpoint `{base}` cannot hold a path"),
                "check the cloud / storage endpoint settings",
            ));
        };
        path.pop_if_empty();
        for s in segments {
            path.push(s);
        }
    }
    if !query.is_empty() {
        url.set_query(Some(query));
    }
    Ok(url)
}

impl Probe<'_> {
    async fn call(
        &self,
        op: Op,
        method: Method,
        url: &Url,
        extra: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Reply, Finding> {
        match request::send(
            self.client,
            self.auth,
            method,
            url,
            extra,
            body,
            self.deadline,
        )
        .await
        {
            Ok(reply) if reply.ok() => Ok(reply),
            Ok(reply) => Err(explain::failure(op, &reply, self.ctx)),
            Err(e) => Err(explain::unreachable(op, &e, self.ctx)),
        }
    }

    /// The steps in order; `Err` carries the findings so far when a failure stops the rest.
    async fn run(&self, cfg: &VerifyConfig) -> Result<Vec<Finding>, Vec<Finding>> {
        let c = self.ctx;
        let mut out = Vec::new();
        let stop = |mut out: Vec<Finding>, f: Finding| {
            out.push(f);
            out
        };

        let url = url_for(&cfg.blob_endpoint, &[&c.container], "restype=container")
            .map_err(|f| vec![f])?;
        self.call(Op::Container, Method::GET, &url, &[], Vec::new())
            .await
            .map_err(|f| vec![f])?;
        out.push(Finding::ok(format!(
            "account {} answers; container {} exists",
            c.account, c.container
        )));

        out.push(self.namespace(cfg).await);

        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("lakekeeper-setup-probe-{nanos}.txt");
        let mut segments: Vec<&str> = vec![&c.container];
        segments.extend(cfg.key_prefix.split('/').filter(|s| !s.is_empty()));
        segments.push(&name);
        let blob = url_for(&cfg.blob_endpoint, &segments, "").map_err(|f| stop(out.clone(), f))?;
        let shown = segments[1..].join("/");
        let content = format!("lakekeeper-setup verify probe {nanos}").into_bytes();
        let put = [
            ("x-ms-blob-type", "BlockBlob"),
            ("content-type", "text/plain"),
        ];
        self.call(Op::Write, Method::PUT, &blob, &put, content.clone())
            .await
            .map_err(|f| stop(out.clone(), f))?;
        let read = self
            .call(Op::Read, Method::GET, &blob, &[], Vec::new())
            .await;
        let deleted = self
            .call(Op::Delete, Method::DELETE, &blob, &[], Vec::new())
            .await;
        match read {
            Ok(r) if r.body == content => out.push(Finding::ok(format!(
                "probe blob {shown} written and read back"
            ))),
            Ok(_) => out.push(Finding::failed(
                format!("probe blob {shown} read back with other content"),
                "check for a proxy or policy rewriting blobs",
            )),
            Err(f) => out.push(f),
        }
        match deleted {
            Ok(_) => out.push(Finding::ok(format!("probe blob {shown} deleted"))),
            Err(mut f) => {
                f.line = format!(
                    "{} (probe blob {shown} left behind: delete it by hand)",
                    f.line
                );
                out.push(f);
            }
        }

        if let Identity::App { .. } = c.identity {
            out.push(self.delegation_key(cfg).await);
        }
        Ok(out)
    }

    /// Lakekeeper's `abfss://` warehouses need a hierarchical namespace; the Data Lake API's
    /// filesystem properties say whether it is on (`x-ms-namespace-enabled`).
    async fn namespace(&self, cfg: &VerifyConfig) -> Finding {
        let c = self.ctx;
        let url = match url_for(&cfg.dfs_endpoint, &[&c.container], "resource=filesystem") {
            Ok(u) => u,
            Err(f) => return f,
        };
        match self
            .call(Op::Namespace, Method::HEAD, &url, &[], Vec::new())
            .await
        {
            Ok(reply) => match reply.header("x-ms-namespace-enabled") {
                Some("true") => Finding::ok(format!(
                    "hierarchical namespace enabled on account {}",
                    c.account
                )),
                Some(_) => Finding::failed(
                    format!(
                        "account {} has no hierarchical namespace: Lakekeeper's ADLS (abfss://) warehouse needs one",
                        c.account
                    ),
                    format!(
                        "use an account with hierarchical namespace enabled (create one with \"Enable hierarchical namespace\", or upgrade {} under Settings → Data Lake Gen2 upgrade), and set {}",
                        c.account,
                        keys::STORAGE_ACCOUNT
                    ),
                ),
                None => Finding::warning(
                    format!(
                        "{} did not say whether the hierarchical namespace is enabled",
                        url.host_str().unwrap_or_default()
                    ),
                    format!(
                        "check that account {} has hierarchical namespace enabled (Overview → Hierarchical namespace)",
                        c.account
                    ),
                ),
            },
            Err(f) => Finding {
                status: Status::Warning,
                ..f
            },
        }
    }

    /// `POST /?restype=service&comp=userdelegationkey`: what Lakekeeper does before it signs a
    /// user-delegation SAS for clients.
    async fn delegation_key(&self, cfg: &VerifyConfig) -> Finding {
        let url = match url_for(
            &cfg.blob_endpoint,
            &[""],
            "restype=service&comp=userdelegationkey",
        ) {
            Ok(u) => u,
            Err(f) => return f,
        };
        let now = SystemTime::now();
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>{}</Start><Expiry>{}</Expiry></KeyInfo>",
            iso8601(now - std::time::Duration::from_mins(5)),
            iso8601(now + std::time::Duration::from_hours(1))
        );
        match self
            .call(
                Op::DelegationKey,
                Method::POST,
                &url,
                &[("content-type", "application/xml")],
                body.into_bytes(),
            )
            .await
        {
            Ok(_) => Finding::ok("a user-delegation key was issued (Storage Blob Delegator works)"),
            Err(f) => f,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_endpoint_path_and_encode_segments() {
        let u = url_for(
            "http://127.0.0.1:1/devstoreaccount1",
            &["c", "a b", "x.txt"],
            "",
        )
        .expect("url");
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:1/devstoreaccount1/c/a%20b/x.txt"
        );
        let u = url_for(
            "https://acct.blob.core.windows.net",
            &[""],
            "restype=service&comp=userdelegationkey",
        )
        .expect("url");
        assert_eq!(
            u.as_str(),
            "https://acct.blob.core.windows.net/?restype=service&comp=userdelegationkey"
        );
    }
}
