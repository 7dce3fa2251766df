//! The Azure stand-in: a loopback HTTP server answering Microsoft Graph, ARM and Key Vault
//! requests with the official example payloads in `tests/fixtures/azure/` (provenance in its
//! `SOURCES.md`; IDs and names adapted per test), and a fake `az` script that prints what the real Azure CLI prints, with
//! `az cloud show` pointing every endpoint at the stand-in.
//!
//! The stand-in matches a request by `path?query` first, then by path; each route holds a queue
//! of answers (the last repeats): JSON with a status, a slow answer, or a reset connection.
//! Every request is recorded with its bearer token. The fake `az` logs its argv (one line per
//! run) so a test can prove no token or secret was ever on its command line.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// `tests/fixtures/azure/<relative>`, parsed: the project's own copies of Microsoft's published
/// examples (`tests/fixtures/azure/SOURCES.md` names each one's source and commit).
pub fn fixture(relative: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/azure")
        .join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// The 200 body of an azure-rest-api-specs example (`responses.200.body`).
pub fn arm_body(relative: &str) -> Value {
    fixture(relative)["responses"]["200"]["body"].clone()
}

/// The response body of a Graph docs example (`response.body`, or the parsed `body_text`).
pub fn graph_body(relative: &str) -> Value {
    let f = fixture(relative);
    match &f["response"]["body"] {
        Value::Null => serde_json::from_str(f["response"]["body_text"].as_str().expect("text"))
            .expect("body_text is JSON"),
        b => b.clone(),
    }
}

#[derive(Debug, Clone)]
pub enum Reply {
    Json(u16, String),
    /// JSON with extra response headers (`Location`, `Azure-AsyncOperation`, `Retry-After`,
    /// `WWW-Authenticate`).
    WithHeaders(u16, Vec<(String, String)>, String),
    /// Answers after the delay.
    Slow(Duration, u16, String),
    /// Closes the connection without an answer.
    Reset,
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub bearer: Option<String>,
    /// The request body as sent (empty for GET).
    pub body: String,
    /// The request headers (names in lower case) except `authorization` (that is `bearer`).
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

type Routes = HashMap<String, VecDeque<Reply>>;

/// A stateful answerer, asked before the routes: `Some(reply)` answers, `None` falls through to
/// the queued routes. Tests keep their model (a tenant's apps, a server's configuration, a
/// vault) behind it.
pub type Handler = Arc<dyn Fn(&Seen) -> Option<Reply> + Send + Sync>;

pub struct StandIn {
    pub base: String,
    routes: Arc<Mutex<Routes>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    handler: Arc<Mutex<Option<Handler>>>,
    task: tokio::task::JoinHandle<()>,
}

impl StandIn {
    pub async fn start() -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let routes: Arc<Mutex<Routes>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Mutex<Option<Handler>>> = Arc::default();
        let (r, s, h) = (routes.clone(), seen.clone(), handler.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (r, s, h) = (r.clone(), s.clone(), h.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, r, s, h).await;
                });
            }
        });
        StandIn {
            base,
            routes,
            seen,
            handler,
            task,
        }
    }

    /// Puts a stateful answerer in front of the routes (replacing any earlier one).
    pub fn handle(&self, handler: Handler) -> &Self {
        *self.handler.lock().expect("lock") = Some(handler);
        self
    }

    /// Queues `reply` for `route` (`/path` or `/path?query`, as the client sends it).
    pub fn on(&self, route: &str, reply: Reply) -> &Self {
        self.routes
            .lock()
            .expect("lock")
            .entry(route.to_owned())
            .or_default()
            .push_back(reply);
        self
    }

    pub fn json(&self, route: &str, status: u16, body: &Value) -> &Self {
        self.on(route, Reply::Json(status, body.to_string()))
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    routes: Arc<Mutex<Routes>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    handler: Arc<Mutex<Option<Handler>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
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
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let bearer = headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .and_then(|(_, v)| v.strip_prefix("Bearer ").map(str::to_owned));
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body =
        String::from_utf8_lossy(&buf[head_end..buf.len().min(head_end + length)]).to_string();
    let request = Seen {
        method,
        path_and_query: target.clone(),
        bearer,
        body,
        headers: headers
            .into_iter()
            .filter(|(k, _)| k != "authorization")
            .collect(),
    };
    seen.lock().expect("lock").push(request.clone());
    let answered = {
        let h = handler.lock().expect("lock").clone();
        h.and_then(|h| h(&request))
    };
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let reply = if let Some(reply) = answered {
        reply
    } else {
        let mut routes = routes.lock().expect("lock");
        let key = if routes.contains_key(&target) {
            target
        } else {
            path
        };
        match routes.get_mut(&key) {
            Some(q) if q.len() > 1 => q.pop_front().expect("non-empty"),
            Some(q) => q.front().cloned().expect("non-empty"),
            None => Reply::Json(
                404,
                r#"{"error":{"code":"ResourceNotFound","message":"no such route in the stand-in"}}"#.into(),
            ),
        }
    };
    let (status, extra, body) = match reply {
        Reply::Reset => {
            // Drop without a byte: the client sees the connection closed mid-request.
            drop(stream);
            return Ok(());
        }
        Reply::Slow(d, status, body) => {
            tokio::time::sleep(d).await;
            (status, Vec::new(), body)
        }
        Reply::Json(status, body) => (status, Vec::new(), body),
        Reply::WithHeaders(status, headers, body) => (status, headers, body),
    };
    let mut response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        let _ = write!(response, "{k}: {v}\r\n");
    }
    response.push_str("\r\n");
    response.push_str(&body);
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// How the fake `az` behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AzMode {
    SignedIn,
    /// `account show` and `get-access-token` fail as the real CLI does with nobody signed in.
    NotSignedIn,
    /// Every run sleeps this many seconds first.
    Slow(u32),
    /// Signed in to another tenant: `get-access-token --tenant <other>` fails (AADSTS50020).
    WrongTenant,
}

pub const SIGNED_IN_TENANT: &str = "11111111-1111-1111-1111-111111111111";

/// The token the fake `az` prints for `resource`: fake, unique per resource, long enough for
/// the leak audit's pieces.
pub fn token_for(resource: &str) -> String {
    let tag: String = resource
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("SENTINEL-token-{tag}-eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0")
}

/// A directory holding a fake `az` (put it first on PATH) and its argv log.
pub struct FakeAz {
    pub dir: tempfile::TempDir,
}

impl FakeAz {
    /// `cloud show` points Graph, ARM and the login host at `base`.
    pub fn new(base: &str, mode: AzMode) -> FakeAz {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let mut cloud = fixture("az/cloud-show.json");
        cloud["endpoints"]["resourceManager"] = Value::String(format!("{base}/"));
        cloud["endpoints"]["microsoftGraphResourceId"] = Value::String(format!("{base}/graph/"));
        cloud["endpoints"]["activeDirectory"] = Value::String(base.to_owned());
        std::fs::write(d.join("cloud.json"), cloud.to_string()).expect("write");
        std::fs::write(
            d.join("account.json"),
            fixture("az/account-show.json").to_string(),
        )
        .expect("write");
        let stderr = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/azure/az/not-logged-in.stderr.txt");
        std::fs::copy(&stderr, d.join("not-logged-in.txt")).expect("copy stderr fixture");
        let expires = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs()
            + 3600;
        let template = fixture("az/get-access-token.json");
        let mut tokens = String::new();
        for resource in [
            "https://management.core.windows.net/",
            &format!("{base}/graph"),
            "https://vault.azure.net",
        ] {
            let mut t = template.clone();
            t["accessToken"] = Value::String(token_for(resource));
            t["expires_on"] = Value::from(expires);
            t["tenant"] = Value::String(SIGNED_IN_TENANT.into());
            let file = format!("token-{}.json", tokens.len());
            std::fs::write(d.join(&file), t.to_string()).expect("write");
            let _ = writeln!(
                tokens,
                "    '{resource}') sed \"s/{SIGNED_IN_TENANT}/${{tenant:-{SIGNED_IN_TENANT}}}/\" '{}/{file}' ;;",
                d.display()
            );
        }
        let mode_lines = match mode {
            AzMode::SignedIn => String::new(),
            AzMode::Slow(secs) => format!("sleep {secs}\n"),
            AzMode::NotSignedIn => format!(
                "case \"$1 $2\" in\n  'account show'|'account get-access-token') cat '{}/not-logged-in.txt' >&2; exit 1 ;;\nesac\n",
                d.display()
            ),
            AzMode::WrongTenant => format!(
                "case \"$*\" in\n  *--tenant*) case \"$*\" in *{SIGNED_IN_TENANT}*) ;; *) echo \"ERROR: AADSTS50020: User account 'user@contoso.com' from identity provider 'https://sts.windows.net/{SIGNED_IN_TENANT}/' does not exist in tenant 'Contoso' and cannot access the application '04b07795-8ddb-461a-bbee-02f9e1bf7b46'(Microsoft Azure CLI) in that tenant.\" >&2; exit 1 ;; esac ;;\nesac\n"
            ),
        };
        let script = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{log}'\n{mode_lines}case \"$1 $2\" in\n  'cloud show') cat '{d}/cloud.json' ;;\n  'account show') cat '{d}/account.json' ;;\n  'account get-access-token')\n    resource=''\n    prev=''\n    tenant=''\n    for a in \"$@\"; do [ \"$prev\" = '--resource' ] && resource=\"$a\"; [ \"$prev\" = '--tenant' ] && tenant=\"$a\"; prev=\"$a\"; done\n    case \"$resource\" in\n{tokens}    *) echo \"ERROR: unknown resource $resource\" >&2; exit 1 ;;\n    esac ;;\n  *) echo \"ERROR: 'az $1 $2' is not in the fake\" >&2; exit 2 ;;\nesac\n",
            log = d.join("argv.log").display(),
            d = d.display(),
        );
        let az = d.join("az");
        std::fs::write(&az, script).expect("write az");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        FakeAz { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("az")
    }

    /// `PATH` with the fake first.
    pub fn path_var(&self) -> String {
        format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// Every argv `az` was run with, one line per run.
    pub fn argv(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("argv.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// The subscription the stand-in's ARM payloads live in.
pub const SUB: &str = "22222222-2222-2222-2222-222222222222";

/// An ARM example with its `{subscription-id}` placeholder filled with [`SUB`].
pub fn adapt(v: &Value) -> Value {
    serde_json::from_str(&v.to_string().replace("{subscription-id}", SUB)).expect("json")
}

/// The subscriptions example cut to one subscription, [`SUB`], on one page.
pub fn one_subscription() -> Value {
    let mut subs = arm_body("arm/2022-12-01-GetSubscriptions.json");
    subs["value"][0]["subscriptionId"] = Value::String(SUB.into());
    subs["value"] = Value::Array(vec![subs["value"][0].clone()]);
    subs.as_object_mut().expect("object").remove("nextLink");
    subs
}

/// sto1125's containers (the example's), on one page, and where ARM serves them.
pub fn containers() -> (String, Value) {
    let mut containers = adapt(&arm_body("arm/2023-05-01-BlobContainersList.json"));
    containers
        .as_object_mut()
        .expect("object")
        .remove("nextLink");
    (
        format!(
            "/subscriptions/{SUB}/resourceGroups/res2627/providers/Microsoft.Storage/storageAccounts/sto1125/blobServices/default/containers"
        ),
        containers,
    )
}

/// PostgreSQL flexible servers: the example's two v12 ones, then a v16 one that is Ready
/// (`lakehouse-pg`) and a v16 one that is Stopped (`paused-pg`); its `nextLink` kept.
pub fn servers_with_ready_and_stopped() -> Value {
    let mut servers = arm_body("arm/2024-08-01-ServerList.json");
    let named = |template: &Value, name: &str| {
        let mut server = template.clone();
        let id = server["id"].as_str().expect("id");
        let parent = &id[..id.rfind('/').expect("a resource ID")];
        server["id"] = serde_json::json!(format!("{parent}/{name}"));
        server["name"] = serde_json::json!(name);
        server["properties"]["fullyQualifiedDomainName"] =
            serde_json::json!(format!("{name}.postgres.database.azure.com"));
        server
    };
    let mut ready = named(&servers["value"][1], "lakehouse-pg");
    ready["properties"]["version"] = serde_json::json!("16");
    let mut stopped = named(&ready, "paused-pg");
    stopped["properties"]["state"] = serde_json::json!("Stopped");
    let list = servers["value"].as_array().cloned().expect("list");
    servers["value"] = Value::Array([list, vec![ready, stopped]].concat());
    servers
}
