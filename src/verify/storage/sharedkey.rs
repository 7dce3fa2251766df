//! Azure Storage Shared Key authorization: the string-to-sign and its HMAC-SHA256 signature,
//! as Microsoft specifies for the Blob and Data Lake services (version 2009-09-19 and later).
//!
//! Pure: no I/O. The decoded key lives only in [`SharedKey`], whose `Debug` is redacted; the
//! signature is put in the `Authorization` header and nowhere else.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use url::Url;

use crate::secret::Secret;

/// The account key was not usable. Never holds the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "AZURE_STORAGE_ACCOUNT_KEY is not base64: an account key is 88 characters ending in `==` (key1 or key2 under Security + networking → Access keys)"
    )]
    NotBase64,
    #[error("AZURE_STORAGE_ACCOUNT_KEY is empty")]
    Empty,
}

/// An account name and its decoded key.
#[derive(Clone)]
pub struct SharedKey {
    account: String,
    key: Vec<u8>,
}

impl fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKey")
            .field("account", &self.account)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl SharedKey {
    pub fn new(account: &str, key: &Secret) -> Result<Self, KeyError> {
        let raw = key.expose().trim();
        if raw.is_empty() {
            return Err(KeyError::Empty);
        }
        let key = STANDARD.decode(raw).map_err(|_| KeyError::NotBase64)?;
        Ok(Self {
            account: account.to_owned(),
            key,
        })
    }

    /// The `Authorization` header value for a request. `headers` holds every header the
    /// request will carry, names in lower case; `content_length` is the body's length.
    pub fn authorization(
        &self,
        method: &str,
        url: &Url,
        headers: &BTreeMap<String, String>,
        content_length: usize,
    ) -> String {
        let text = string_to_sign(&self.account, method, url, headers, content_length);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(text.as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        format!("SharedKey {}:{signature}", self.account)
    }
}

/// The standard headers, in the order the string-to-sign lists them.
const STANDARD_HEADERS: [&str; 11] = [
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
];

/// Builds the string-to-sign: verb, the standard headers (Content-Length empty when zero),
/// the canonicalized `x-ms-` headers, then the canonicalized resource.
pub fn string_to_sign(
    account: &str,
    method: &str,
    url: &Url,
    headers: &BTreeMap<String, String>,
    content_length: usize,
) -> String {
    let mut out = format!("{method}\n");
    for name in STANDARD_HEADERS {
        let value = if name == "content-length" {
            if content_length == 0 {
                String::new()
            } else {
                content_length.to_string()
            }
        } else {
            headers.get(name).cloned().unwrap_or_default()
        };
        out.push_str(&value);
        out.push('\n');
    }
    // BTreeMap iterates names in order; names are already lower case.
    for (name, value) in headers.iter().filter(|(n, _)| n.starts_with("x-ms-")) {
        let _ = writeln!(out, "{name}:{}", unfold(value));
    }
    out.push_str(&canonical_resource(account, url));
    out
}

/// Header values are trimmed and inner runs of whitespace collapsed to one space.
fn unfold(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `/<account><encoded path>` then `\nname:value` per query parameter: names lower-cased
/// and sorted, values decoded, several values for one name sorted and comma-joined.
fn canonical_resource(account: &str, url: &Url) -> String {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in url.query_pairs() {
        params
            .entry(name.to_lowercase())
            .or_default()
            .push(value.into_owned());
    }
    let mut out = format!("/{account}{}", url.path());
    for (name, mut values) in params {
        values.sort();
        let _ = write!(out, "\n{name}:{}", values.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn string_to_sign_follows_the_documented_layout() {
        let url = Url::parse("https://myaccount.blob.core.windows.net/mycontainer/a%20b/probe.txt?restype=x&COMP=list&comp=block").expect("url");
        let h = headers(&[
            ("content-type", "text/plain"),
            ("x-ms-version", "2021-08-06"),
            ("x-ms-date", "Fri, 27 Nov 2026 07:00:00 GMT"),
            ("x-ms-blob-type", "  BlockBlob "),
        ]);
        let expected = "PUT\n\n\n11\n\ntext/plain\n\n\n\n\n\n\n\
                        x-ms-blob-type:BlockBlob\nx-ms-date:Fri, 27 Nov 2026 07:00:00 GMT\nx-ms-version:2021-08-06\n\
                        /myaccount/mycontainer/a%20b/probe.txt\ncomp:block,list\nrestype:x";
        assert_eq!(string_to_sign("myaccount", "PUT", &url, &h, 11), expected);
    }

    #[test]
    fn zero_content_length_is_empty_and_path_style_keeps_the_account_twice() {
        let url =
            Url::parse("http://127.0.0.1:10000/devstoreaccount1/c?restype=container").expect("url");
        let s = string_to_sign(
            "devstoreaccount1",
            "GET",
            &url,
            &headers(&[("x-ms-version", "2021-08-06")]),
            0,
        );
        assert_eq!(
            s,
            "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/c\nrestype:container"
        );
    }

    #[test]
    fn signature_is_hmac_sha256_of_the_string_with_the_decoded_key() {
        // Key = base64("fake-key"); HMAC computed independently (python3 hmac/hashlib).
        let key = SharedKey::new("acct", &Secret::new("ZmFrZS1rZXk=")).expect("base64");
        let url = Url::parse("https://acct.blob.core.windows.net/c").expect("url");
        let auth = key.authorization("GET", &url, &BTreeMap::new(), 0);
        assert_eq!(auth, format!("SharedKey acct:{EXPECTED_SIG}"));
        assert!(!format!("{key:?}").contains("ZmFr"));
        assert_eq!(
            SharedKey::new("a", &Secret::new("not base64!")).map(|_| ()),
            Err(KeyError::NotBase64)
        );
    }

    const EXPECTED_SIG: &str = "lxB46Ww3cD87ldLfCrLrTeg/SEsDpCl4JLOU5tENSJ8=";
}
