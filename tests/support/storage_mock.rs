//! A tiny in-process HTTP/1.1 responder on 127.0.0.1, for answers no local stand-in gives
//! (the Data Lake endpoint, Azure's role failures). Routes match on method and path (query
//! included); every request is recorded for assertions. Blob bodies PUT are stored and
//! served back on GET, removed on DELETE. Unlike `http_mock` (Lakekeeper's answers), it sets
//! response headers, which Azure's answers depend on (`x-ms-error-code`,
//! `x-ms-namespace-enabled`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One canned answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// An Azure error: `x-ms-error-code` header and the XML body.
    pub fn azure_error(status: u16, code: &str) -> Self {
        let mut a = Self::new(status).header("x-ms-error-code", code);
        a.body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>mock</Message></Error>"
        );
        a
    }
}

/// A request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

type Route = (String, String, Answer);

pub struct Mock {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    /// Serves `routes` (method, path-with-query prefix, answer); the first match wins. A PUT
    /// with no route stores the blob (201); GET/DELETE of a stored blob return/remove it.
    pub async fn start(routes: Vec<(&str, &str, Answer)>) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind mock");
        let port = listener.local_addr().expect("addr").port();
        let routes: Arc<Vec<Route>> = Arc::new(
            routes
                .into_iter()
                .map(|(m, p, a)| (m.to_owned(), p.to_owned(), a))
                .collect(),
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let blobs: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let seen2 = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let (routes, seen, blobs) =
                    (Arc::clone(&routes), Arc::clone(&seen2), Arc::clone(&blobs));
                tokio::spawn(async move {
                    while let Some(req) = read_request(&mut sock).await {
                        let (status, headers, body) = respond(&routes, &blobs, &req);
                        seen.lock().expect("lock").push(req.clone());
                        let mut head =
                            format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                        for (k, v) in headers {
                            let _ = write!(head, "{k}: {v}\r\n");
                        }
                        head.push_str("\r\n");
                        let mut out = head.into_bytes();
                        if req.method != "HEAD" {
                            out.extend_from_slice(&body);
                        }
                        if sock.write_all(&out).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Mock { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

fn respond(
    routes: &[Route],
    blobs: &Mutex<HashMap<String, Vec<u8>>>,
    req: &Seen,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    if let Some((_, _, a)) = routes
        .iter()
        .find(|(m, p, _)| *m == req.method && req.target.starts_with(p.as_str()))
    {
        return (a.status, a.headers.clone(), a.body.clone().into_bytes());
    }
    let mut blobs = blobs.lock().expect("lock");
    match req.method.as_str() {
        "PUT" => {
            blobs.insert(req.target.clone(), req.body.clone());
            (201, Vec::new(), Vec::new())
        }
        "GET" if blobs.contains_key(&req.target) => (200, Vec::new(), blobs[&req.target].clone()),
        "DELETE" if blobs.remove(&req.target).is_some() => (202, Vec::new(), Vec::new()),
        _ => (
            404,
            vec![("x-ms-error-code".into(), "BlobNotFound".into())],
            Vec::new(),
        ),
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}
