//! A clone without `../shared` gets Lakekeeper's chart and the External Secrets CRDs from their
//! official sources, pinned and verified: the fetch path is the one chosen when the shared copy
//! is absent, it pulls with Helm's own engine from a chart repository (here one served on
//! 127.0.0.1, no network), and an archive or file whose digest is not the pinned one is refused
//! with nothing written. Where `../shared` is present, its copies are checked against the pins.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use support::helm::{self, ESO_CRDS, LAKEKEEPER_CHART, PinnedChart, PinnedFile, Source};
use support::tools::require_python_module;

/// `python3 -m http.server` on 127.0.0.1 serving `dir`; stopped on drop.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(dir: &Path) -> Served {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("server line");
        // "Serving HTTP on 127.0.0.1 port 43567 (http://127.0.0.1:43567/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Served {
            child,
            base: format!("http://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A one-template chart packaged and indexed by Helm in `repo`: its digest.
fn tiny_chart_repo(repo: &Path) -> String {
    let src = tempfile::tempdir().expect("tempdir");
    let chart = src.path().join("tiny");
    std::fs::create_dir_all(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: tiny\nversion: 1.2.3\n",
    )
    .expect("write");
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tiny\n",
    )
    .expect("write");
    let o = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, helm_python as h\n\
             h.package(sys.argv[1], destination=sys.argv[2])\n\
             h.repo_index_generate(sys.argv[2])\n\
             print(h.digest(sys.argv[2] + '/tiny-1.2.3.tgz').removeprefix('sha256:'))",
        )
        .arg(&chart)
        .arg(repo)
        .output()
        .expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

#[test]
fn without_shared_the_fetch_path_is_chosen_and_the_pin_is_the_exported_release() {
    let cache = Path::new("/nonexistent-cache");
    assert_eq!(
        helm::choose(Path::new("/nonexistent-shared/lakekeeper"), cache),
        Source::Fetch(cache.to_path_buf())
    );
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        helm::choose(here, cache),
        Source::Shared(here.to_path_buf())
    );
    // The pinned chart is the one `export helm` tells users to install.
    assert_eq!(LAKEKEEPER_CHART.repo, lakekeeper_setup::helm::CHART_REPO);
    assert_eq!(
        LAKEKEEPER_CHART.version,
        lakekeeper_setup::helm::CHART_VERSION
    );
    for pin in std::iter::once(LAKEKEEPER_CHART.sha256).chain(ESO_CRDS.iter().map(|f| f.sha256)) {
        assert_eq!(pin.len(), 64, "{pin}");
        assert!(pin.bytes().all(|b| b.is_ascii_hexdigit()), "{pin}");
    }
    for f in ESO_CRDS {
        assert!(
            f.url.starts_with(
                "https://raw.githubusercontent.com/external-secrets/external-secrets/v2.9.0/"
            ) && f.url.ends_with(f.name),
            "{f:?}"
        );
    }
}

#[test]
fn a_chart_is_pulled_by_helm_and_refused_when_its_digest_is_not_the_pinned_one() {
    if !require_python_module("helm_python") {
        return;
    }
    let repo = tempfile::tempdir().expect("tempdir");
    let digest = tiny_chart_repo(repo.path());
    let served = Served::start(repo.path());
    let out = tempfile::tempdir().expect("tempdir");
    let pin = |sha256| PinnedChart {
        repo: &served.base,
        name: "tiny",
        version: "1.2.3",
        sha256,
    };

    let wrong = "0".repeat(64);
    let refused = helm::fetch_chart(&pin(&wrong), &out.path().join("bad"))
        .expect_err("a wrong digest is refused");
    assert!(
        refused.starts_with(&format!(
            "refused: tiny-1.2.3.tgz from {} has digest sha256:{digest}, but sha256:0000",
            served.base
        )),
        "{refused}"
    );
    assert!(!out.path().join("bad").exists(), "nothing was written");

    let chart = helm::fetch_chart(&pin(&digest), &out.path().join("ok"))
        .expect("the pinned digest is accepted");
    assert_eq!(chart, out.path().join("ok/tiny"));
    assert_eq!(
        std::fs::read_to_string(chart.join("templates/cm.yaml")).expect("unpacked"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tiny\n"
    );
}

#[test]
fn a_file_is_refused_when_its_sha256_is_not_the_pinned_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = "kind: CustomResourceDefinition\n";
    std::fs::write(dir.path().join("crd.yaml"), body).expect("write");
    let served = Served::start(dir.path());
    let url = format!("{}crd.yaml", served.base);
    let out = tempfile::tempdir().expect("tempdir");
    let pin = |sha256| PinnedFile {
        name: "crd.yaml",
        url: &url,
        sha256,
    };
    let refused = helm::fetch_file(&pin(ESO_CRDS[0].sha256), out.path()).expect_err("refused");
    assert!(
        refused.starts_with(&format!(
            "refused: {url} has digest sha256:{}, but sha256:{} is pinned; nothing was written",
            sha256_hex(body.as_bytes()),
            ESO_CRDS[0].sha256
        )),
        "{refused}"
    );
    assert!(!out.path().join("crd.yaml").exists());
    let right = sha256_hex(body.as_bytes());
    let file = helm::fetch_file(&pin(&right), out.path()).expect("accepted");
    assert_eq!(std::fs::read_to_string(file).expect("written"), body);
}

#[test]
fn where_shared_is_present_its_copies_match_the_pins() {
    let shared = helm::shared_dir();
    if !shared.exists() {
        eprintln!("no ../shared beside the checkout: nothing to compare");
        return;
    }
    for pin in ESO_CRDS {
        let bytes = std::fs::read(shared.join("eso-crds").join(pin.name)).expect("shared CRD");
        assert_eq!(sha256_hex(&bytes), pin.sha256, "{}", pin.name);
    }
    let chart_yaml = std::fs::read_to_string(shared.join("lakekeeper-chart/lakekeeper/Chart.yaml"))
        .expect("shared Chart.yaml");
    assert!(
        chart_yaml.contains(&format!("\nversion: {}\n", LAKEKEEPER_CHART.version)),
        "{chart_yaml}"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}
