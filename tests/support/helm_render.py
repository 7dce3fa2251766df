"""Test helper: render Lakekeeper's chart with Helm's own engine, and validate External
Secrets Operator objects against the operator's CRD schemas.

  helm_render.py render CHART_DIR VALUES RELEASE NAMESPACE OUT
      Renders offline (helm-python-sdk's Chart.render, Helm v4 as a library; `lookup` is empty
      as under `helm template`), writes every non-empty manifest to OUT as one multi-document
      YAML file (for kubernetes-validate) and prints the documents as a JSON list.
  helm_render.py load MANIFEST
      Prints the documents of a YAML file as a JSON list (PyYAML, as kubectl-like tools read it).
  helm_render.py eso CRD_DIR MANIFEST
      Validates each ExternalSecret/SecretStore document of MANIFEST against the served
      version's openAPIV3Schema from CRD_DIR, strictly: `additionalProperties: false` is added to
      every object schema that declares properties and has no additionalProperties of its own
      (as `kubeconform -strict` does). Prints one line per error; exit 1 when there are any.
  helm_render.py fetch-chart REPO_URL NAME VERSION SHA256 DEST
      Pulls NAME-VERSION.tgz with Helm from the chart repository REPO_URL (helm-python-sdk's
      `pull`, as `helm pull --repo` does) and refuses it (exit 1, nothing written) unless its
      digest (`helm_python.digest`, the sha256 a repository index lists) is SHA256; then
      unpacks it to DEST/NAME and prints that path. DEST appears only complete and verified.
  helm_render.py fetch-file URL SHA256 DEST
      Downloads URL and refuses it (exit 1, nothing written) unless its sha256 is SHA256; then
      writes it to DEST.
"""

import hashlib
import json
import os
import pathlib
import shutil
import sys
import tarfile
import tempfile
import urllib.request

import yaml


def render(chart_dir, values_path, release, namespace, out):
    import helm_python as helm

    chart = helm.Chart.load(chart_dir)
    values = helm.values_from_yaml(pathlib.Path(values_path).read_text())
    rendered = chart.render(
        values, name=release, namespace=namespace, revision=1, is_install=True
    )
    docs, texts = [], []
    for template in sorted(rendered):
        if not template.endswith((".yaml", ".yml")):
            continue
        text = rendered[template]
        for doc in yaml.safe_load_all(text):
            if doc:
                doc["x-template"] = template
                docs.append(doc)
        if text.strip():
            texts.append(text.strip("\n"))
    pathlib.Path(out).write_text("\n---\n".join(texts) + "\n")
    json.dump(docs, sys.stdout)


def load(manifest):
    docs = [d for d in yaml.safe_load_all(pathlib.Path(manifest).read_text()) if d]
    json.dump(docs, sys.stdout)


def strict(schema):
    if isinstance(schema, dict):
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema = dict(schema, additionalProperties=False)
        return {k: strict(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def eso(crd_dir, manifest):
    import jsonschema

    schemas = {}
    for path in sorted(pathlib.Path(crd_dir).glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group = crd["spec"]["group"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    key = (f"{group}/{version['name']}", crd["spec"]["names"]["kind"])
                    schemas[key] = strict(version["schema"]["openAPIV3Schema"])
    errors, checked = [], 0
    for doc in yaml.safe_load_all(pathlib.Path(manifest).read_text()):
        if not doc or not doc.get("apiVersion", "").startswith("external-secrets.io"):
            continue
        key = (doc["apiVersion"], doc["kind"])
        if key not in schemas:
            errors.append(f"{key}: no served CRD version")
            continue
        checked += 1
        for e in jsonschema.Draft7Validator(schemas[key]).iter_errors(doc):
            where = ".".join(str(p) for p in e.absolute_path)
            errors.append(f"{doc['kind']}/{doc['metadata']['name']} {where}: {e.message}")
    for e in errors:
        print(e)
    print(f"checked {checked} object(s)")
    sys.exit(1 if errors or checked == 0 else 0)


def refuse(what, got, pinned):
    print(
        f"refused: {what} has digest sha256:{got}, but sha256:{pinned} is pinned; "
        "nothing was written. If the pinned release was re-published, check it and update "
        "the pin in tests/support/helm.rs",
        file=sys.stderr,
    )
    sys.exit(1)


def fetch_chart(repo_url, name, version, sha256, dest):
    import helm_python as helm

    dest = pathlib.Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        helm.pull(name, repo_url=repo_url, version=version, destination=tmp)
        archive = pathlib.Path(tmp) / f"{name}-{version}.tgz"
        got = helm.digest(archive).removeprefix("sha256:")
        if got != sha256:
            refuse(f"{name}-{version}.tgz from {repo_url}", got, sha256)
        staging = pathlib.Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        if not (staging / name / "Chart.yaml").is_file():
            shutil.rmtree(staging)
            print(f"{archive.name} holds no {name}/Chart.yaml", file=sys.stderr)
            sys.exit(1)
        try:
            os.replace(staging, dest)
        except OSError:
            # Another test process got there first with the same verified archive.
            shutil.rmtree(staging)
            if not (dest / name / "Chart.yaml").is_file():
                raise
    print(dest / name)


def fetch_file(url, sha256, dest):
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read()
    got = hashlib.sha256(body).hexdigest()
    if got != sha256:
        refuse(url, got, sha256)
    dest = pathlib.Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    staging.write_bytes(body)
    os.replace(staging, dest)
    print(dest)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {
        "render": render,
        "load": load,
        "eso": eso,
        "fetch-chart": fetch_chart,
        "fetch-file": fetch_file,
    }[command](*args)
