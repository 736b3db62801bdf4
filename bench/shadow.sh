#!/usr/bin/env bash
# Times `--shadow` with a release build and prints the figures BENCHMARKS.md records: cluster
# start cold (initdb into an empty cache) and from the cached template (cluster on disk, and
# on /dev/shm as by default), the example migrations/, and a generated drizzle folder of 100
# migrations. Wall times are best of 5 runs
# of the whole command (cluster start, apply, stop and removal included); phases come from
# CHRONOS_SHADOW_TIMINGS. Usage: bench/shadow.sh [runs]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-5}"
cargo build --release --quiet
bin=$PWD/target/release/chronos-lint
work=$(mktemp -d)
chmod 755 "$work"  # as root the cluster runs as `postgres`, which must reach the cache
trap 'rm -rf "$work"' EXIT
base="$work/cache"     # a private cluster cache: the cold run really starts cold
mkdir -p "$work/trivial"
echo 'SELECT 1;' > "$work/trivial/0001_noop.sql"

# 100 drizzle migrations: tables, added columns, indexes, foreign keys and backfills on
# tables made by earlier migrations, all in drizzle-kit's single transaction.
python3 - "$work/drizzle100" <<'PY'
import json, os, sys
out = sys.argv[1]
os.makedirs(f"{out}/meta")
entries = []
for i in range(100):
    t = i // 4 * 4
    table = f"cms_bench_{t}"
    if i % 4 == 0:
        sql = (f'CREATE TABLE "{table}" (\n\t"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,\n'
               f'\t"title" varchar(255) NOT NULL,\n\t"created_at" timestamp with time zone DEFAULT now() NOT NULL\n);')
    elif i % 4 == 1:
        sql = (f'ALTER TABLE "{table}" ADD COLUMN "body" text;--> statement-breakpoint\n'
               f'CREATE INDEX "{table}_title_idx" ON "{table}" USING btree ("title");')
    elif i % 4 == 2:
        parent = f"cms_bench_{max(t - 4, 0)}"
        sql = (f'ALTER TABLE "{table}" ADD COLUMN "parent_id" uuid;--> statement-breakpoint\n'
               f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_parent_id_fk" FOREIGN KEY ("parent_id") '
               f'REFERENCES "public"."{parent}"("id") ON DELETE set null ON UPDATE no action;')
    else:
        sql = f'UPDATE "{table}" SET "body" = \'\' WHERE "body" IS NULL;'
    tag = f"{i:04d}_step"
    open(f"{out}/{tag}.sql", "w").write(sql + "\n")
    entries.append({"idx": i, "version": "7", "when": 1767225600000 + i * 1000, "tag": tag, "breakpoints": True})
json.dump({"version": "7", "dialect": "postgresql", "entries": entries}, open(f"{out}/meta/_journal.json", "w"), indent=2)
PY

# best_ms LABEL ARGS...: best wall time of $runs runs, with the phases of the best run.
# With CACHE set, clusters and template live there (on disk); else the defaults apply
# (template in the user's cache, clusters on /dev/shm when it is a roomy tmpfs).
best_ms() {
  local label=$1 best="" phases="" ms out
  shift
  for _ in $(seq "$runs"); do
    local start=$(date +%s%N)
    out=$(env ${CACHE:+CHRONOS_SHADOW_DIR=$CACHE} CHRONOS_SHADOW_TIMINGS=1 "$bin" --shadow --format compact "$@" 2>&1 >/dev/null) || true
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; phases=$out; fi
  done
  printf '| %s | %s | %s |\n' "$label" "$best" "$(grep 'shadow timing' <<<"$phases" | sed 's/shadow timing: //' | paste -sd ';' | sed 's/;/; /g')"
}

echo "| run | wall ms (best of $runs) | phases of that run |"
echo "|---|---|---|"
start=$(date +%s%N)
cold=$(CHRONOS_SHADOW_DIR=$base CHRONOS_SHADOW_TIMINGS=1 "$bin" --shadow --format compact "$work/trivial" 2>&1 >/dev/null || true)
printf '| %s | %s | %s |\n' "cold, empty cache on disk: initdb + template + start, one statement" "$(( ($(date +%s%N) - start) / 1000000 ))" \
  "$(grep 'shadow timing' <<<"$cold" | sed 's/shadow timing: //' | paste -sd ';' | sed 's/;/; /g')"
CACHE=$base best_ms "cached template, cluster on disk, one statement" "$work/trivial"
# Makes the default cache's template if it is missing (not timed).
"$bin" --shadow --format compact "$work/trivial" >/dev/null 2>&1 || true
best_ms "cached template, cluster on /dev/shm (default), one statement" "$work/trivial"
best_ms "example migrations/ (7 migrations, 2 sets)" migrations/
best_ms "generated drizzle folder, 100 migrations" "$work/drizzle100"
CACHE=$base best_ms "generated drizzle folder, 100 migrations, cluster on disk" "$work/drizzle100"
echo
echo "$(nproc) CPUs, load average $(cut -d" " -f1-3 /proc/loadavg), $("$bin" --version), $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres $(/usr/lib/postgresql/*/bin/postgres --version | head -1 | cut -d" " -f3-), $(uname -sr)"
