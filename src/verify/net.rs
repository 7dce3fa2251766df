//! What a failed HTTP request means, in words a person acts on, and the fix: the host does not
//! resolve, nothing listens, the connection was reset, no answer in time, a certificate this
//! machine does not trust (a TLS-inspecting corporate proxy?), or the proxy itself failed.
//!
//! The classification reads the typed errors in the source chain (`std::io::Error` kinds,
//! `rustls::Error`), falling back to hyper's texts only where it has no type (DNS). Which proxy
//! a request went through is asked of hyper-util's matcher, the very code reqwest uses to read
//! `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`, so the answer matches what was done.
//! Pure apart from reading those variables; a proxy's credentials are never shown.

use std::error::Error;
use std::fmt;
use std::io;

use url::Url;

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetFailure {
    DoesNotResolve {
        host: String,
    },
    Refused {
        target: String,
    },
    Reset,
    Closed,
    TimedOut {
        target: String,
        secs: u64,
    },
    CertUntrusted,
    CertExpired,
    CertWrongName {
        host: String,
    },
    Tls {
        reason: String,
    },
    /// The proxy (credentials removed) could not be reached.
    ProxyUnreachable {
        proxy: String,
    },
    /// The proxy answered but would not pass the request on.
    ProxyRefused {
        proxy: String,
        reason: String,
    },
    Other {
        reason: String,
    },
}

impl fmt::Display for NetFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetFailure::DoesNotResolve { host } => write!(f, "host {host} does not resolve (DNS)"),
            NetFailure::Refused { target } => {
                write!(f, "nothing listens on {target} (connection refused)")
            }
            NetFailure::Reset => f.write_str("the connection was reset by the other side"),
            NetFailure::Closed => f.write_str("the server closed the connection without answering"),
            NetFailure::TimedOut { target, secs } => {
                write!(f, "no answer from {target} within {secs} s (timed out)")
            }
            NetFailure::CertUntrusted => f.write_str(
                "TLS certificate not trusted by this machine (a corporate proxy inspecting TLS?)",
            ),
            NetFailure::CertExpired => f.write_str("the server's TLS certificate has expired"),
            NetFailure::CertWrongName { host } => {
                write!(f, "the server's TLS certificate is not valid for {host}")
            }
            NetFailure::Tls { reason } => write!(f, "TLS handshake failed: {reason}"),
            NetFailure::ProxyUnreachable { proxy } => {
                write!(f, "the proxy {proxy} cannot be reached")
            }
            NetFailure::ProxyRefused { proxy, reason } => {
                write!(f, "the proxy {proxy} refused the request: {reason}")
            }
            NetFailure::Other { reason } => f.write_str(reason),
        }
    }
}

/// What follows "set HTTPS_PROXY" in a fix: the other variables the client honours.
const OTHER_PROXY_VARS: &str = "HTTP_PROXY for http URLs, NO_PROXY for hosts to reach directly";

impl NetFailure {
    /// The one change most likely to help.
    pub fn fix(&self) -> String {
        match self {
            NetFailure::DoesNotResolve { .. } => format!(
                "check the host name; off the company network, connect the VPN; behind a proxy, set HTTPS_PROXY ({OTHER_PROXY_VARS})"
            ),
            NetFailure::Refused { .. } => {
                "start the service, or correct the host and port in backend/.env".into()
            }
            NetFailure::Reset | NetFailure::Closed => format!(
                "a firewall or proxy cut the connection: connect the VPN, or set HTTPS_PROXY to your proxy ({OTHER_PROXY_VARS})"
            ),
            NetFailure::TimedOut { .. } => format!(
                "a firewall is dropping the traffic or the host is down: connect the VPN or set HTTPS_PROXY ({OTHER_PROXY_VARS}); on a slow link raise --timeout"
            ),
            NetFailure::CertUntrusted => "if your network inspects TLS, install its root certificate in the system trust store (this tool trusts what the system trusts); otherwise the server's certificate is self-signed or its chain incomplete".into(),
            NetFailure::CertExpired => "renew the server's certificate, or check this machine's clock".into(),
            NetFailure::CertWrongName { .. } => "use the host name the certificate was issued for (check the URL in backend/.env)".into(),
            NetFailure::Tls { .. } => "check that the URL is https on a TLS port (not http on an https URL)".into(),
            NetFailure::ProxyUnreachable { proxy } | NetFailure::ProxyRefused { proxy, .. } => format!(
                "check the proxy {proxy} in HTTPS_PROXY/HTTP_PROXY/ALL_PROXY (host, port, credentials), or add this host to NO_PROXY"
            ),
            NetFailure::Other { .. } => format!("check the network and the VPN; behind a proxy, set HTTPS_PROXY ({OTHER_PROXY_VARS})"),
        }
    }
}

/// The proxy reqwest sends a request for `url` through (from the environment), credentials
/// removed; `None` when it goes direct.
pub fn proxy_for(url: &Url) -> Option<String> {
    let uri: http::Uri = url.as_str().parse().ok()?;
    let matcher = hyper_util::client::proxy::matcher::Matcher::from_system();
    let intercept = matcher.intercept(&uri)?;
    let p = intercept.uri();
    Some(format!(
        "{}://{}",
        p.scheme_str().unwrap_or("http"),
        p.authority()
            .map(|a| a.as_str().rsplit('@').next().unwrap_or_default().to_owned())
            .unwrap_or_default()
    ))
}

/// `host:port` of `url`, as a person would type it.
pub fn target(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// Every error in the chain, outermost first, joined with `: ` (for `--verbose`).
pub fn chain(err: &(dyn Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// What the chain of `err` means for a request to `url` that went through `proxy` (if any)
/// and was given `secs` seconds.
pub fn classify(
    url: &Url,
    err: &(dyn Error + 'static),
    proxy: Option<&str>,
    secs: u64,
) -> NetFailure {
    let found = scan(err, url);
    let text = chain(err).to_ascii_lowercase();
    if let Some(tls) = found.tls {
        return tls;
    }
    // The same in words, should a layer have turned the typed error into text.
    if text.contains("invalid peer certificate") {
        return if text.contains("expired") {
            NetFailure::CertExpired
        } else if text.contains("notvalidforname") {
            NetFailure::CertWrongName {
                host: url.host_str().unwrap_or_default().to_owned(),
            }
        } else {
            NetFailure::CertUntrusted
        };
    }
    // Could not get a connection: to the proxy, when there is one, else to the host.
    let unreachable = |dns: bool| match proxy {
        Some(p) => NetFailure::ProxyUnreachable {
            proxy: p.to_owned(),
        },
        None if dns => NetFailure::DoesNotResolve {
            host: url.host_str().unwrap_or_default().to_owned(),
        },
        None => NetFailure::Refused {
            target: target(url),
        },
    };
    if text.contains("dns error") || text.contains("failed to lookup address") {
        return unreachable(true);
    }
    match found.io {
        Some(io::ErrorKind::ConnectionRefused) => unreachable(false),
        Some(io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted) => {
            NetFailure::Reset
        }
        Some(io::ErrorKind::BrokenPipe | io::ErrorKind::UnexpectedEof) => NetFailure::Closed,
        Some(io::ErrorKind::TimedOut) => NetFailure::TimedOut {
            target: target(url),
            secs,
        },
        _ if text.contains("connection closed before message completed") => NetFailure::Closed,
        _ => match proxy {
            Some(p) if text.contains("tunnel") || text.contains("proxy") => {
                NetFailure::ProxyRefused {
                    proxy: p.to_owned(),
                    reason: last(err),
                }
            }
            _ => NetFailure::Other { reason: last(err) },
        },
    }
}

/// The innermost error's text: the most specific words the libraries give.
fn last(err: &(dyn Error + 'static)) -> String {
    let mut current = err;
    while let Some(s) = current.source() {
        current = s;
    }
    current.to_string()
}

#[derive(Default)]
struct Found {
    io: Option<io::ErrorKind>,
    tls: Option<NetFailure>,
}

/// The typed errors in the chain: the innermost `io::Error` kind and any `rustls::Error`.
/// Both hide inside `io::Error`s (tokio-rustls wraps the TLS error in one, and wrappers wrap
/// that again), whose `source()` skips what they wrap, so each is opened with `get_ref`.
fn scan(err: &(dyn Error + 'static), url: &Url) -> Found {
    let mut found = Found::default();
    let mut current: Option<&(dyn Error + 'static)> = Some(err);
    while let Some(e) = current {
        open(e, url, &mut found);
        current = e.source();
    }
    found
}

fn open(e: &(dyn Error + 'static), url: &Url, found: &mut Found) {
    if let Some(r) = e.downcast_ref::<rustls::Error>() {
        found.tls = Some(tls(r, url));
    }
    if let Some(io) = e.downcast_ref::<io::Error>() {
        if io.kind() != io::ErrorKind::Other {
            found.io = Some(io.kind());
        }
        if let Some(inner) = io.get_ref() {
            open(inner as &(dyn Error + 'static), url, found);
        }
    }
}

fn tls(e: &rustls::Error, url: &Url) -> NetFailure {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => NetFailure::CertExpired,
            C::NotValidForName | C::NotValidForNameContext { .. } => NetFailure::CertWrongName {
                host: url.host_str().unwrap_or_default().to_owned(),
            },
            _ => NetFailure::CertUntrusted,
        },
        other => NetFailure::Tls {
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with a message and an optional source, as hyper and reqwest build them.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<dyn Error + Send + Sync>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn Error + 'static))
        }
    }

    fn wrapped(inner: Box<dyn Error + Send + Sync>) -> Layer {
        Layer(
            "error sending request for url (https://login.example.test/x)",
            Some(Box::new(Layer("client error (Connect)", Some(inner)))),
        )
    }

    fn url() -> Url {
        Url::parse("https://login.example.test/x").expect("url")
    }

    #[test]
    fn a_dns_failure_names_the_host_and_the_vpn_and_proxy() {
        let e = wrapped(Box::new(Layer(
            "dns error",
            Some(Box::new(io::Error::other(
                "failed to lookup address information: Name or service not known",
            ))),
        )));
        let f = classify(&url(), &e, None, 5);
        assert_eq!(
            f,
            NetFailure::DoesNotResolve {
                host: "login.example.test".into()
            }
        );
        assert_eq!(
            f.to_string(),
            "host login.example.test does not resolve (DNS)"
        );
        assert!(f.fix().contains("connect the VPN"), "{}", f.fix());
        assert!(f.fix().contains("HTTPS_PROXY"), "{}", f.fix());
        assert_eq!(
            chain(&e),
            "error sending request for url (https://login.example.test/x): client error (Connect): dns error: failed to lookup address information: Name or service not known"
        );
    }

    /// Each fix names each proxy variable at most once (it once said
    /// `set HTTPS_PROXY (HTTPS_PROXY (HTTP_PROXY for http, …) is honoured)`).
    #[test]
    fn no_fix_names_a_proxy_variable_twice() {
        let proxy = "http://127.0.0.1:3128".to_owned();
        let all = [
            NetFailure::DoesNotResolve { host: "h".into() },
            NetFailure::Refused {
                target: "h:1".into(),
            },
            NetFailure::TimedOut {
                target: "h:1".into(),
                secs: 5,
            },
            NetFailure::Reset,
            NetFailure::Closed,
            NetFailure::CertUntrusted,
            NetFailure::CertExpired,
            NetFailure::CertWrongName { host: "h".into() },
            NetFailure::Tls { reason: "r".into() },
            NetFailure::ProxyUnreachable {
                proxy: proxy.clone(),
            },
            NetFailure::ProxyRefused {
                proxy,
                reason: "r".into(),
            },
            NetFailure::Other { reason: "r".into() },
        ];
        for f in &all {
            let fix = f.fix();
            for var in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"] {
                assert!(fix.matches(var).count() <= 1, "{var} twice in {fix:?}");
            }
            assert!(!fix.contains("is honoured"), "{fix:?}");
        }
        assert_eq!(
            NetFailure::DoesNotResolve { host: "h".into() }.fix(),
            "check the host name; off the company network, connect the VPN; behind a proxy, set HTTPS_PROXY (HTTP_PROXY for http URLs, NO_PROXY for hosts to reach directly)"
        );
    }

    #[test]
    fn io_kinds_become_refused_reset_closed() {
        for (kind, want) in [
            (
                io::ErrorKind::ConnectionRefused,
                NetFailure::Refused {
                    target: "login.example.test:443".into(),
                },
            ),
            (io::ErrorKind::ConnectionReset, NetFailure::Reset),
            (io::ErrorKind::UnexpectedEof, NetFailure::Closed),
        ] {
            let e = wrapped(Box::new(io::Error::from(kind)));
            assert_eq!(classify(&url(), &e, None, 5), want, "{kind:?}");
        }
    }

    #[test]
    fn through_a_proxy_a_refused_connection_is_the_proxys() {
        let e = wrapped(Box::new(io::Error::from(io::ErrorKind::ConnectionRefused)));
        let f = classify(&url(), &e, Some("http://127.0.0.1:3128"), 5);
        assert_eq!(
            f,
            NetFailure::ProxyUnreachable {
                proxy: "http://127.0.0.1:3128".into()
            }
        );
        assert!(
            f.fix().contains("HTTPS_PROXY/HTTP_PROXY/ALL_PROXY"),
            "{}",
            f.fix()
        );
    }

    #[test]
    fn an_unknown_issuer_inside_an_io_error_is_an_untrusted_certificate() {
        let rustls_err = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let e = wrapped(Box::new(io::Error::new(
            io::ErrorKind::InvalidData,
            rustls_err,
        )));
        let f = classify(&url(), &e, None, 5);
        assert_eq!(f, NetFailure::CertUntrusted);
        assert!(f.to_string().contains("corporate proxy"), "{f}");
        let expired = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let e = wrapped(Box::new(io::Error::new(
            io::ErrorKind::InvalidData,
            expired,
        )));
        assert_eq!(classify(&url(), &e, None, 5), NetFailure::CertExpired);
    }
}
