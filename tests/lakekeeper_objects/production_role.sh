#!/usr/bin/env bash
# Runs Lakekeeper's REAL migration files as production's own database role, the way the
# official chart's migration Job connects (split variables: host, port, database, user,
# password; no URL, so no search-path option), after the administrator SQL that
# `lakekeeper-setup verify --production --fix` prints, in a database whose `public` already
# holds the backend's tables `users` and `tag` (Lakekeeper's names) and `customer_payments`.
#
#   tests/lakekeeper_objects/production_role.sh <lakekeeper git dir> [<tag>]   (default v0.13.3)
#
# The migration files are read with `git show` (nothing of Lakekeeper is copied into this
# repository) and applied in sqlx's order, each file in one transaction, as derive.sh does.
# Passes (exit 0) when every file applies, Lakekeeper's objects are all in schema lakekeeper,
# `public` holds only the backend's tables and the extensions' objects, and the role is refused
# when it reads `customer_payments`. Not part of `cargo test`: CI has no Lakekeeper clone; the
# test production_database runs the same flow with SQL built from assets/lakekeeper-objects.toml.
set -euo pipefail
repo=$1; tag=${2:-v0.13.3}
bin=/usr/lib/postgresql/15/bin
role=lakekeeper; schema=lakekeeper; password='fake-lakekeeper-role-pass'
dir=$(mktemp -d); trap 'runuser -u postgres -- $bin/pg_ctl -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
chown postgres "$dir" 2>/dev/null || true
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg $bin/initdb -D "$dir/data" -U postgres -A trust --auth-host=scram-sha-256 >/dev/null
as_pg $bin/pg_ctl -D "$dir/data" -o "-k $dir -p $port -c listen_addresses=127.0.0.1" -l "$dir/log" -w start >/dev/null
admin() { as_pg psql -h "$dir" -p "$port" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
# What the pod has: split variables and the Secret's password.
as_role() { PGHOST=127.0.0.1 PGPORT=$port PGDATABASE=appdb PGUSER=$role PGPASSWORD=$password PGSSLMODE=disable \
  psql -X -q -v ON_ERROR_STOP=1 "$@"; }

admin -d postgres -c "CREATE ROLE app LOGIN PASSWORD 'fake-app-pass'" -c "CREATE DATABASE appdb OWNER app"
admin -d appdb -c "SET ROLE app" \
  -c "CREATE TABLE users (id int, email text)" -c "CREATE TABLE tag (id int, name text)" \
  -c "CREATE TABLE customer_payments (id int, amount numeric)" -c "INSERT INTO customer_payments VALUES (1, 99.5)"

# The administrator SQL, as `verify --production --fix` prints it (role lakekeeper, schema
# lakekeeper, database appdb); the password is the one that goes into the Secret.
admin -d appdb <<SQL
CREATE ROLE "$role" LOGIN PASSWORD '$password';
GRANT CONNECT ON DATABASE "appdb" TO "$role";
GRANT "$role" TO CURRENT_USER;
CREATE SCHEMA IF NOT EXISTS "$schema" AUTHORIZATION "$role";
ALTER ROLE "$role" SET search_path = "$schema", public;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "pgcrypto" SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "pg_trgm" SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "btree_gin" SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "btree_gist" SCHEMA public;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "$role";
SQL

migrations=crates/lakekeeper-storage-postgres/migrations
files=$(git -C "$repo" ls-tree --name-only "$tag" "$migrations/" | grep '\.sql$' | sort)
n=0
for f in $files; do
  if ! git -C "$repo" show "$tag:$f" | as_role -1 -f - >/dev/null 2>"$dir/err"; then
    echo "FAIL: ${f##*/} as role $role: $(cat "$dir/err")"; exit 1
  fi
  n=$((n + 1))
done
echo "applied $n migration files of $tag as role $role (split variables, no URL option)"

ext="NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
count() { admin -d appdb -At -c "SELECT count(*) FROM pg_class c WHERE relnamespace = '$1'::regnamespace AND relkind IN ('r','p','v','m','S') AND $ext"; }
in_schema=$(count "$schema")
in_public=$(admin -d appdb -At -c "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r','p','v','m','S') AND $ext")
owner=$(admin -d appdb -At -c "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = '$schema'::regnamespace")
echo "schema $schema: $in_schema relations, owned by $owner; public: $in_public"
[ "$in_public" = "customer_payments,tag,users" ] || { echo "FAIL: public changed"; exit 1; }
[ "$owner" = "$role" ] || { echo "FAIL: owner $owner"; exit 1; }
# What assets/lakekeeper-objects.toml lists for the tag (less sqlx's own table, which sqlx
# makes, not a file) is exactly what landed in the schema.
listed=$(python3 - "$(dirname "$0")/../../assets/lakekeeper-objects.toml" "$tag" <<'PY'
import sys, tomllib
t = tomllib.load(open(sys.argv[1], "rb"))[sys.argv[2]]
print(",".join(sorted(n for k in ("tables", "views", "sequences") for n in t[k] if n != "_sqlx_migrations")))
PY
)
landed=$(admin -d appdb -At -c "SELECT string_agg(relname, ',' ORDER BY relname COLLATE \"C\") FROM pg_class c WHERE relnamespace = '$schema'::regnamespace AND relkind IN ('r','p','v','m','S') AND $ext")
[ "$landed" = "$listed" ] || { echo "FAIL: schema $schema holds $landed, the list has $listed"; exit 1; }
echo "schema $schema holds exactly the tables, views and sequences assets/lakekeeper-objects.toml lists for $tag"
if as_role -c "SELECT count(*) FROM public.customer_payments" >/dev/null 2>"$dir/err"; then
  echo "FAIL: role $role can read the backend's customer_payments"; exit 1
fi
echo "role $role reading customer_payments: $(tr -d '\n' < "$dir/err")"
echo "PASS"
