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
"""

import json
import pathlib
import sys

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


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"render": render, "load": load, "eso": eso}[command](*args)
