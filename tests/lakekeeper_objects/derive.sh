#!/usr/bin/env bash
# Derives the list of objects Lakekeeper's migrations create, by running them for real.
#
#   tests/lakekeeper_objects/derive.sh <lakekeeper git dir> <tag> [<tag> ...]
#
# For each tag it reads `crates/lakekeeper-storage-postgres/migrations/*.sql` with `git show`
# (nothing of Lakekeeper is copied into this repository), applies them in sqlx's order (by
# version, each file in one transaction) to a throwaway PostgreSQL 15 cluster on a unix socket,
# and lists what they left in `public` that no extension owns: tables and views (pg_class, incl.
# implicit serial sequences), types (pg_type: enums, composites of no table), functions
# (pg_proc). sqlx's own `_sqlx_migrations` table is added by name (sqlx creates it, not a file).
# Rust data-migration hooks (`src/migrations/*.rs`) create a few objects from SQL strings; those
# are found by a regex over `CREATE [OR REPLACE] TABLE|VIEW|TYPE|SEQUENCE|FUNCTION <name>` and
# merged in (at v0.13.3 there are none; main at 90892e9 has `reject_schema_write`).
# Prints TOML sections for assets/lakekeeper-objects.toml; run it when the pinned image changes.
# A section other than the pinned tag's also needs a `release` line, written by hand: the first
# release whose migrations create its extra names (`git tag --contains <commit of the migration>`),
# or "no release yet: …" when no tag has them; verify's warning quotes it.
set -euo pipefail
repo=$1; shift
bin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d); trap 'runuser -u postgres -- $bin/pg_ctl -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
chown postgres "$dir" 2>/dev/null || true
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg $bin/initdb -D "$dir/data" -U postgres -A trust >/dev/null
as_pg $bin/pg_ctl -D "$dir/data" -o "-k $dir -c listen_addresses=''" -l "$dir/log" -w start >/dev/null
psql_() { as_pg psql -h "$dir" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
migrations=crates/lakekeeper-storage-postgres/migrations
for tag in "$@"; do
  db="lk_$(echo "$tag" | tr -c 'a-z0-9\n' _)"
  psql_ -d postgres -c "CREATE DATABASE $db" >/dev/null
  commit=$(git -C "$repo" rev-parse "$tag^{commit}")
  files=$(git -C "$repo" ls-tree --name-only "$tag" "$migrations/" | grep '\.sql$' | sort)
  for f in $files; do
    git -C "$repo" show "$tag:$f" | psql_ -d "$db" -1 -f - >/dev/null
  done
  echo "[\"$tag\"]"
  echo "commit = \"$commit\""
  echo "files = ["; for f in $files; do echo "  \"${f##*/}\","; done; echo "]"
  ext="NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = x.oid AND d.deptype = 'e')"
  hooks=$(git -C "$repo" ls-tree --name-only "$tag" crates/lakekeeper-storage-postgres/src/migrations/ | grep '\.rs$' \
    | while read -r f; do git -C "$repo" show "$tag:$f"; done \
    | grep -oiE 'create +(or +replace +)?(table|view|type|sequence|function) +(if +not +exists +)?[a-z_][a-z0-9_]*' || true)
  hook() { echo "$hooks" | grep -iE "create +(or +replace +)?($1) " | awk '{print tolower($NF)}'; }
  list() { { psql_ -d "$db" -At -c "$1"; hook "$2"; echo "${3:-}"; } | grep -v '^$' | sort -u | sed 's/.*/"&"/' | paste -sd, | sed 's/,/, /g'; }
  pub="relnamespace = 'public'::regnamespace AND $ext"
  echo "tables = [$(list "SELECT relname FROM pg_class x WHERE $pub AND relkind IN ('r','p')" table _sqlx_migrations)]"
  echo "views = [$(list "SELECT relname FROM pg_class x WHERE $pub AND relkind IN ('v','m')" view)]"
  echo "sequences = [$(list "SELECT relname FROM pg_class x WHERE $pub AND relkind = 'S'" sequence)]"
  echo "types = [$(list "SELECT typname FROM pg_type x WHERE typnamespace = 'public'::regnamespace AND $ext AND typtype IN ('e','d','c','r') AND typrelid = 0" type)]"
  echo "functions = [$(list "SELECT DISTINCT proname FROM pg_proc x WHERE pronamespace = 'public'::regnamespace AND $ext" function)]"
  echo
done
