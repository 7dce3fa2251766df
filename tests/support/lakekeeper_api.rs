//! A stateful stand-in for Lakekeeper's management API as its OpenAPI document at the pinned
//! tag describes it (`docs/docs/api/management-open-api.yaml` at v0.13.3): bootstrap, info,
//! list / create warehouses (`GetWarehouseResponse` with `storage-credential-type`, the kind
//! only), and `POST /management/v1/warehouse/{warehouse_id}/storage-credential`
//! (`UpdateWarehouseCredentialRequest`: `new-storage-credential`, a `StorageCredential` of type
//! `az`; answers 200 with the warehouse). It keeps every credential it is sent, the secret
//! included, so a test can read what the warehouse would sign with — and, like Lakekeeper's
//! `validate_access`, it can test a new credential before keeping it (refusing a dead secret
//! with a 400 and keeping the old one).

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::azure::{Handler, Reply, Seen, StandIn};

/// Tests a storage credential as Lakekeeper's storage validation would (true: it works).
pub type Validate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

#[derive(Debug, Clone)]
pub struct Warehouse {
    pub id: String,
    pub name: String,
    pub profile: Value,
    /// The stored `StorageCredential`, secret and all (Lakekeeper's secret store).
    pub credential: Option<Value>,
}

#[derive(Default)]
pub struct Catalog {
    pub bootstrapped: bool,
    pub warehouses: Vec<Warehouse>,
    /// The next this-many storage-credential updates fail as a stopped server would (reset).
    pub drop_updates: u32,
    /// Storage-credential updates received (accepted or not).
    pub updates: u32,
    pub validate: Option<Validate>,
}

fn error(status: u16, kind: &str, message: &str) -> Reply {
    Reply::Json(
        status,
        json!({"error": {"code": status, "message": message, "type": kind, "stack": []}})
            .to_string(),
    )
}

/// `storage-credential-type` for a stored credential: its `type` and `credential-type` only.
fn kind_of(credential: Option<&Value>) -> Value {
    credential.map_or(
        Value::Null,
        |c| json!({"type": c["type"], "credential-type": c["credential-type"]}),
    )
}

impl Warehouse {
    /// `GetWarehouseResponse` (the required members, and the credential's kind when one is
    /// stored: `skip_serializing_if` leaves it out otherwise).
    fn response(&self) -> Value {
        let mut w = json!({
            "id": self.id, "warehouse-id": self.id, "name": self.name,
            "project-id": "00000000-0000-0000-0000-000000000000",
            "storage-profile": self.profile, "delete-profile": {"type": "hard"},
            "status": "active", "protected": false, "allowed-format-versions": [1, 2],
            "managed-by": {"type": "self-managed"},
        });
        if self.credential.is_some() {
            w["storage-credential-type"] = kind_of(self.credential.as_ref());
        }
        w
    }
}

/// Whether `c` is an Azure `StorageCredential` with the members its `credential-type` requires.
fn az_credential(c: &Value) -> bool {
    let has = |k: &str| c[k].as_str().is_some_and(|v| !v.is_empty());
    c["type"] == "az"
        && match c["credential-type"].as_str() {
            Some("client-credentials") => {
                has("client-id") && has("client-secret") && has("tenant-id")
            }
            Some("shared-access-key") => has("key"),
            Some("azure-system-identity") => true,
            _ => false,
        }
}

impl Catalog {
    fn answer(&mut self, r: &Seen) -> Option<Reply> {
        let path = r.path_and_query.split('?').next().unwrap_or_default();
        let m = r.method.as_str();
        if path == "/health" {
            return Some(Reply::Json(
                200,
                json!({"health": "ok", "services": {}}).to_string(),
            ));
        }
        if !path.starts_with("/management/v1/") && path != "/catalog/v1/config" {
            return None;
        }
        if r.bearer.is_none() {
            return Some(error(401, "AuthenticationFailed", "Authentication failed"));
        }
        if path == "/catalog/v1/config" {
            // PyIceberg's first call (v0.13.3 `server/config.rs`): the warehouse's id as prefix.
            let name = r
                .path_and_query
                .split_once("warehouse=")
                .map(|(_, n)| n.split('&').next().unwrap_or_default().to_owned())
                .unwrap_or_default();
            return Some(match self.warehouses.iter().find(|w| w.name == name) {
                Some(w) => Reply::Json(
                    200,
                    json!({"defaults": {"prefix": w.id, "rest-page-size": "100"},
                        "overrides": {"uri": "http://127.0.0.1/catalog"}})
                    .to_string(),
                ),
                None => error(
                    404,
                    "NoSuchWarehouseException",
                    &format!("A warehouse '{name}' does not exist"),
                ),
            });
        }
        let body = r.json();
        Some(match (m, path) {
            ("GET", "/management/v1/info") => Reply::Json(
                200,
                json!({"version": "0.13.3", "bootstrapped": self.bootstrapped,
                    "server-id": "00000000-0000-0000-0000-000000000000"})
                .to_string(),
            ),
            ("POST", "/management/v1/bootstrap") => {
                if self.bootstrapped {
                    error(
                        400,
                        "CatalogAlreadyBootstrapped",
                        "Catalog already bootstrapped",
                    )
                } else {
                    self.bootstrapped = true;
                    Reply::Json(204, String::new())
                }
            }
            ("GET", "/management/v1/warehouse") => {
                let list: Vec<Value> = self.warehouses.iter().map(Warehouse::response).collect();
                Reply::Json(200, json!({"warehouses": list}).to_string())
            }
            ("POST", "/management/v1/warehouse") => self.create(&body),
            _ => match path
                .strip_prefix("/management/v1/warehouse/")
                .and_then(|t| t.strip_suffix("/storage-credential"))
            {
                Some(id) if m == "POST" => self.update_credential(id, &body),
                _ => error(404, "NotFound", "not in the stand-in"),
            },
        })
    }

    fn create(&mut self, body: &Value) -> Reply {
        let name = body["warehouse-name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if name.is_empty() || !body["storage-profile"].is_object() {
            return error(
                400,
                "DeserializationError",
                "warehouse-name and storage-profile are required",
            );
        }
        if self.warehouses.iter().any(|w| w.name == name) {
            return error(409, "WarehouseAlreadyExists", "Warehouse already exists");
        }
        let credential = body
            .get("storage-credential")
            .filter(|c| !c.is_null())
            .cloned();
        if credential.as_ref().is_some_and(|c| !az_credential(c)) {
            return error(400, "DeserializationError", "not a StorageCredential");
        }
        let id = format!("0194b3c2-0000-7000-8000-{:012x}", self.warehouses.len() + 1);
        self.warehouses.push(Warehouse {
            id: id.clone(),
            name,
            profile: body["storage-profile"].clone(),
            credential,
        });
        Reply::Json(201, json!({"warehouse-id": id}).to_string())
    }

    fn update_credential(&mut self, id: &str, body: &Value) -> Reply {
        self.updates += 1;
        if self.drop_updates > 0 {
            self.drop_updates -= 1;
            return Reply::Reset;
        }
        let Some(i) = self.warehouses.iter().position(|w| w.id == id) else {
            return error(404, "WarehouseNotFound", "Warehouse not found");
        };
        if !body.is_object() {
            return error(
                400,
                "DeserializationError",
                "expected UpdateWarehouseCredentialRequest",
            );
        }
        let new = body
            .get("new-storage-credential")
            .filter(|c| !c.is_null())
            .cloned();
        if let Some(c) = &new {
            if !az_credential(c) {
                return error(
                    400,
                    "DeserializationError",
                    "new-storage-credential is not a StorageCredential",
                );
            }
            if self.validate.as_ref().is_some_and(|v| !v(c)) {
                return error(
                    400,
                    "IoOperationFailed",
                    "IO Operation Failed during validation.",
                );
            }
        }
        self.warehouses[i].credential = new;
        Reply::Json(200, self.warehouses[i].response().to_string())
    }
}

/// The model, shared between the stand-in's handler and the test.
#[derive(Clone, Default)]
pub struct LakekeeperModel {
    pub catalog: Arc<Mutex<Catalog>>,
}

impl LakekeeperModel {
    /// An empty, unbootstrapped Lakekeeper answering on `stand`.
    pub fn serve(stand: &StandIn) -> LakekeeperModel {
        let model = LakekeeperModel::default();
        let c = model.catalog.clone();
        let handler: Handler = Arc::new(move |r: &Seen| c.lock().expect("lock").answer(r));
        stand.handle(handler);
        model
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Catalog) -> T) -> T {
        f(&mut self.catalog.lock().expect("lock"))
    }

    /// The stored credential of warehouse `name`.
    pub fn credential(&self, name: &str) -> Option<Value> {
        self.with(|c| {
            c.warehouses
                .iter()
                .find(|w| w.name == name)
                .and_then(|w| w.credential.clone())
        })
    }
}
