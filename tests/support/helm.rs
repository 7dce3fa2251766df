//! Lakekeeper's real chart rendered by Helm's own engine (helm-python-sdk), manifests checked
//! by `kubernetes-validate --strict`, External Secrets objects checked against the operator's
//! CRD schemas, and the environment a rendered container would see, resolved the way the
//! kubelet does (`envFrom` Secrets first, then `env`, `secretKeyRef` against the Secrets given).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

use super::tools::{require_python_module, require_tool};

/// The Kubernetes version whose bundled schemas `kubernetes-validate` checks against.
pub const K8S_VERSION: &str = "1.32.0";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/helm_render.py")
}

/// `../shared/fixtures/<rel>` beside the checkout (CI has it); `None` outside CI when absent.
pub fn shared_fixture(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing; CI runs with shared/ beside the clone",
        p.display()
    );
    eprintln!("skipping: {} is missing", p.display());
    None
}

pub fn chart() -> Option<PathBuf> {
    shared_fixture("lakekeeper-chart/lakekeeper")
}

/// True when the chart, helm-python-sdk, PyYAML, jsonschema and kubernetes-validate are all
/// there (in CI a missing one fails the test instead).
pub fn ready() -> bool {
    chart().is_some()
        && shared_fixture("eso-crds").is_some()
        && require_python_module("helm_python")
        && require_python_module("yaml")
        && require_python_module("jsonschema")
        && require_tool("kubernetes-validate").is_some()
}

/// Renders the chart with `values` (release and namespace `lakekeeper`); writes the manifests
/// to `out` and returns the documents (each with `x-template`: the template it came from).
pub fn render(values: &Path, out: &Path) -> Vec<Value> {
    let chart = chart().expect("chart");
    let o = Command::new("python3")
        .arg(script())
        .arg("render")
        .arg(chart)
        .arg(values)
        .args(["lakekeeper", "lakekeeper"])
        .arg(out)
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "helm render failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("render prints JSON")
}

/// The documents of a YAML file, read by PyYAML.
pub fn load(manifest: &Path) -> Vec<Value> {
    let o = Command::new("python3")
        .arg(script())
        .arg("load")
        .arg(manifest)
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("load prints JSON")
}

/// `kubernetes-validate --strict` on `files`: (success, output).
pub fn kubernetes_validate(files: &[&Path]) -> (bool, String) {
    let o = Command::new("kubernetes-validate")
        .args(["--strict", "-k", K8S_VERSION])
        .args(files)
        .output()
        .expect("kubernetes-validate runs");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// The ESO objects of `manifest` against the CRDs' schemas, strictly: (success, output).
pub fn eso_validate(manifest: &Path) -> (bool, String) {
    let crds = shared_fixture("eso-crds").expect("CRDs");
    let o = Command::new("python3")
        .arg(script())
        .arg("eso")
        .arg(crds)
        .arg(manifest)
        .output()
        .expect("python3 runs");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// Secret name → key → value, from rendered Secrets (`data`, base64) and `stringData`.
pub type Secrets = BTreeMap<String, BTreeMap<String, String>>;

pub fn secrets_of(docs: &[Value]) -> Secrets {
    let mut out = Secrets::new();
    for d in docs.iter().filter(|d| d["kind"] == "Secret") {
        let name = d["metadata"]["name"].as_str().expect("name").to_owned();
        let entry = out.entry(name).or_default();
        if let Some(data) = d["data"].as_object() {
            for (k, v) in data {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(v.as_str().expect("b64 string"))
                    .expect("valid base64");
                entry.insert(k.clone(), String::from_utf8(bytes).expect("utf-8"));
            }
        }
        if let Some(data) = d["stringData"].as_object() {
            for (k, v) in data {
                entry.insert(k.clone(), v.as_str().expect("string").to_owned());
            }
        }
    }
    out
}

/// The object of `kind` (first one).
pub fn object<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} rendered"))
}

/// The environment of the container `name` in a pod template, as the kubelet builds it; a
/// missing Secret or key panics (the pod would fail with CreateContainerConfigError).
pub fn container_env(workload: &Value, name: &str, secrets: &Secrets) -> BTreeMap<String, String> {
    let spec = &workload["spec"]["template"]["spec"];
    let container = spec["containers"]
        .as_array()
        .into_iter()
        .chain(spec["initContainers"].as_array())
        .flatten()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"));
    let lookup = |secret: &str, key: Option<&str>| -> Vec<(String, String)> {
        let s = secrets
            .get(secret)
            .unwrap_or_else(|| panic!("Secret {secret} does not exist"));
        match key {
            Some(k) => vec![(
                k.to_owned(),
                s.get(k)
                    .unwrap_or_else(|| panic!("Secret {secret} has no key {k}"))
                    .clone(),
            )],
            None => s.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        }
    };
    let mut env = BTreeMap::new();
    for from in container["envFrom"].as_array().into_iter().flatten() {
        let secret = from["secretRef"]["name"].as_str().expect("secretRef only");
        env.extend(lookup(secret, None));
    }
    for e in container["env"].as_array().into_iter().flatten() {
        let key = e["name"].as_str().expect("name").to_owned();
        let value = match (&e["value"], &e["valueFrom"]["secretKeyRef"]) {
            (Value::String(v), _) => v.clone(),
            (_, Value::Object(r)) => {
                let (secret, k) = (
                    r["name"].as_str().expect("name"),
                    r["key"].as_str().expect("key"),
                );
                lookup(secret, Some(k)).remove(0).1
            }
            _ => String::new(),
        };
        env.insert(key, value);
    }
    env
}
