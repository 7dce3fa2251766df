//! Stand-ins for the bench that answer only after an injected delay, all on 127.0.0.1: a tiny
//! HTTP/1.1 responder driven by a handler closure, and a PostgreSQL listener that reads the
//! startup message and then refuses the password.
//!
//! The delay is applied per request, after the request has been read, so every round trip a
//! check makes costs one delay: the bench's totals count round trips on the critical path.
//! Nothing here is a faithful server; each answer is just what the check needs to go on.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One request as the handler sees it.
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Vec<u8>,
}

/// One answer.
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(status: u16, value: &serde_json::Value) -> Resp {
        Resp {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: value.to_string().into_bytes(),
        }
    }

    pub fn empty(status: u16) -> Resp {
        Resp {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

pub type Handler = Arc<dyn Fn(&Req) -> Resp + Send + Sync>;

/// A delaying HTTP stand-in. Stops when dropped.
pub struct Delayed {
    pub base: String,
    task: JoinHandle<()>,
}

impl Delayed {
    /// Binds 127.0.0.1:0, then builds the handler from the base URL (so documents can name
    /// their own URLs) and serves each connection concurrently.
    pub async fn start(delay: Duration, make: impl FnOnce(&str) -> Handler) -> Delayed {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let handler = make(&base);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = handler.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, delay, handler).await;
                });
            }
        });
        Delayed { base, task }
    }
}

impl Drop for Delayed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, delay: Duration, handler: Handler) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let req = Req {
        method,
        path: path.to_owned(),
        query: query.to_owned(),
        body: buf[head_end..].to_vec(),
    };
    tokio::time::sleep(delay).await;
    let resp = handler(&req);
    let mut out = format!("HTTP/1.1 {} X\r\n", resp.status);
    for (k, v) in &resp.headers {
        let _ = write!(out, "{k}: {v}\r\n");
    }
    let _ = write!(
        out,
        "content-length: {}\r\nconnection: close\r\n\r\n",
        resp.body.len()
    );
    stream.write_all(out.as_bytes()).await?;
    if req.method != "HEAD" {
        stream.write_all(&resp.body).await?;
    }
    stream.shutdown().await
}

/// A PostgreSQL stand-in: reads the startup message, waits `delay`, answers with a FATAL
/// `28P01` (password authentication failed) and closes. The postgres check therefore FAILS
/// after one round trip; the bench measures its wall time only.
pub struct PgRefuser {
    pub port: u16,
    task: JoinHandle<()>,
}

impl PgRefuser {
    pub async fn start(delay: Duration) -> PgRefuser {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    // Startup message: Int32 length (including itself), then the rest.
                    let mut len = [0u8; 4];
                    if stream.read_exact(&mut len).await.is_err() {
                        return;
                    }
                    let rest = usize::try_from(u32::from_be_bytes(len))
                        .unwrap_or(0)
                        .saturating_sub(4);
                    let mut body = vec![0u8; rest];
                    if stream.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(delay).await;
                    let _ = stream.write_all(&error_response()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        PgRefuser { port, task }
    }
}

impl Drop for PgRefuser {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An `ErrorResponse` message: FATAL 28P01.
fn error_response() -> Vec<u8> {
    let mut fields = Vec::new();
    for (code, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', "28P01"),
        (
            b'M',
            "password authentication failed for user \"lakekeeper\"",
        ),
    ] {
        fields.push(code);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut msg = vec![b'E'];
    let len = u32::try_from(fields.len() + 4).expect("small message");
    msg.extend_from_slice(&len.to_be_bytes());
    msg.extend_from_slice(&fields);
    msg
}
