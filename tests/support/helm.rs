//! Lakekeeper's real chart rendered by Helm's own engine (helm-python-sdk), manifests checked
//! by `kubernetes-validate --strict`, External Secrets objects checked against the operator's
//! CRD schemas, and the environment a rendered container would see, resolved the way the
//! kubelet does (`envFrom` Secrets first, then `env`, `secretKeyRef` against the Secrets given).
//!
//! The chart and the CRDs come from `../shared/fixtures` when it is beside the checkout (no
//! network needed); a plain clone fetches them from their official sources instead, pinned by
//! version and sha256 and refused when the digest differs ([`LAKEKEEPER_CHART`], [`ESO_CRDS`]).

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

/// A chart as its official Helm repository serves it: name, version and the digest the
/// repository's `index.yaml` lists for its `.tgz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedChart<'a> {
    pub repo: &'a str,
    pub name: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
}

/// A file at a pinned URL with its sha256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedFile<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub sha256: &'a str,
}

/// Lakekeeper's official chart, the release `export helm` writes for
/// (`lakekeeper_setup::helm::CHART_VERSION`); the digest is the `lakekeeper` 0.11.0 entry of the
/// repository's `index.yaml` (gh-pages of lakekeeper/lakekeeper-charts at 7953f8f, 2026-05-11).
/// The shared copy is the repository's main at 17a9c71, which has the same templates; only
/// Chart.yaml's subchart versions, values.yaml's OPA image tag and comments, and the Changelog
/// differ from the release.
pub const LAKEKEEPER_CHART: PinnedChart<'static> = PinnedChart {
    repo: "https://lakekeeper.github.io/lakekeeper-charts/",
    name: "lakekeeper",
    version: "0.11.0",
    sha256: "6793f0294ec39a9baadd9203d1d90e20e51a1119dcc93d0dcc8b66d886a99a71",
};

/// The External Secrets Operator's CRDs at release v2.9.0, as its repository holds them
/// (`config/crds/bases/`); the sha256 are those of the files at that tag (byte-identical to the
/// shared copy, which a test checks wherever `../shared` is present).
pub const ESO_CRDS: [PinnedFile<'static>; 2] = [
    PinnedFile {
        name: "external-secrets.io_externalsecrets.yaml",
        url: "https://raw.githubusercontent.com/external-secrets/external-secrets/v2.9.0/config/crds/bases/external-secrets.io_externalsecrets.yaml",
        sha256: "5044be5a610ca90a075f34f03ed20b462695c43387ba9410db7f4250e47b1e2f",
    },
    PinnedFile {
        name: "external-secrets.io_secretstores.yaml",
        url: "https://raw.githubusercontent.com/external-secrets/external-secrets/v2.9.0/config/crds/bases/external-secrets.io_secretstores.yaml",
        sha256: "7f750858d393913915a2f15daff9e1d2f56ca207c09920c055d7a68cceacb641",
    },
];

/// Where a fixture comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `../shared/fixtures/…` beside the checkout (this machine and its CI): used as it is.
    Shared(PathBuf),
    /// A plain clone: fetched from the official source into this directory, verified first.
    Fetch(PathBuf),
}

/// The shared copy when it is there, else the fetch into `cache`.
pub fn choose(shared: &Path, cache: &Path) -> Source {
    if shared.exists() {
        Source::Shared(shared.to_path_buf())
    } else {
        Source::Fetch(cache.to_path_buf())
    }
}

/// `../shared/fixtures` beside the checkout.
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures")
}

/// Where fetched fixtures are kept between runs (under the target directory).
fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("pinned-fixtures")
}

/// Pulls `pin` with Helm into `dest` (→ `dest/<name>`) unless a verified copy is there;
/// refuses an archive whose digest is not the pinned one.
pub fn fetch_chart(pin: &PinnedChart<'_>, dest: &Path) -> Result<PathBuf, String> {
    let chart = dest.join(pin.name);
    if chart.join("Chart.yaml").is_file() {
        return Ok(chart);
    }
    let o = Command::new("python3")
        .arg(script())
        .args(["fetch-chart", pin.repo, pin.name, pin.version, pin.sha256])
        .arg(dest)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if o.status.success() {
        Ok(chart)
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// Downloads `pin` to `dir/<name>` unless it is there; refuses a body whose sha256 differs.
pub fn fetch_file(pin: &PinnedFile<'_>, dir: &Path) -> Result<PathBuf, String> {
    let dest = dir.join(pin.name);
    if dest.is_file() {
        return Ok(dest);
    }
    let o = Command::new("python3")
        .arg(script())
        .args(["fetch-file", pin.url, pin.sha256])
        .arg(&dest)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if o.status.success() {
        Ok(dest)
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// A fetch's outcome for a test: the path, or (outside CI) a skip; in CI a failed fetch fails.
fn fetched(what: &str, result: Result<PathBuf, String>) -> Option<PathBuf> {
    match result {
        Ok(p) => Some(p),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{what}: ../shared is absent and the fetch from its official source failed: {e}"
            );
            eprintln!("skipping: {what} could not be fetched: {e}");
            None
        }
    }
}

/// Lakekeeper's chart: the shared copy, else the pinned release fetched by Helm.
pub fn chart() -> Option<PathBuf> {
    let pin = LAKEKEEPER_CHART;
    match choose(
        &shared_dir().join("lakekeeper-chart/lakekeeper"),
        &cache_dir().join(format!("{}-{}", pin.name, pin.version)),
    ) {
        Source::Shared(p) => Some(p),
        Source::Fetch(dest) => fetched("Lakekeeper's chart", fetch_chart(&pin, &dest)),
    }
}

/// The directory of External Secrets' CRDs: the shared copy, else the pinned files fetched.
pub fn eso_crds() -> Option<PathBuf> {
    match choose(
        &shared_dir().join("eso-crds"),
        &cache_dir().join("eso-crds-v2.9.0"),
    ) {
        Source::Shared(p) => Some(p),
        Source::Fetch(dir) => {
            for pin in &ESO_CRDS {
                fetched("the External Secrets CRDs", fetch_file(pin, &dir))?;
            }
            Some(dir)
        }
    }
}

/// True when the chart, helm-python-sdk, PyYAML, jsonschema and kubernetes-validate are all
/// there (in CI a missing one fails the test instead).
pub fn ready() -> bool {
    require_python_module("helm_python")
        && require_python_module("yaml")
        && require_python_module("jsonschema")
        && require_tool("kubernetes-validate").is_some()
        && chart().is_some()
        && eso_crds().is_some()
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
    let crds = eso_crds().expect("CRDs");
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
