#!/usr/bin/env bash
# Rebuild migrations/ from the generator projects in examples/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
drizzle_dir="$root/examples/drizzle"
alembic_dir="$root/examples/alembic"
out="$root/migrations"
venv="$root/.cache/alembic-venv"

# drizzle-kit diffs against the last snapshot in its out folder, so any
# leftover output would change what the next generate step emits.
rm -rf "$out/drizzle" "$out/alembic"
mkdir -p "$out/alembic"

# --- drizzle ---------------------------------------------------------------
cd "$drizzle_dir"
# node_modules is ~60 MB and is reinstalled from the lockfile each run anyway.
trap 'rm -rf "$drizzle_dir/node_modules"' EXIT
npm ci --no-audit --no-fund --loglevel=error

# Without --name, drizzle-kit picks random words for file names; pinning them
# keeps regenerated output diffable. history/v1/ is the schema as of the first
# migration and src/ the current one; replaying them in order makes each
# snapshot diff against the previous one, as it did when first written.
DRIZZLE_SCHEMA='./history/v1/*.ts' npx --no-install drizzle-kit generate --name initial
npx --no-install drizzle-kit generate --name add_deal_notes
npx --no-install drizzle-kit generate --custom --name backfill_excerpt

# Data fix that no schema diff can express; drizzle-kit leaves custom
# migrations empty for exactly this.
backfill=("$out"/drizzle/*_backfill_excerpt.sql)
printf '\nUPDATE cms_blog_posts SET excerpt = left(content, 200) WHERE excerpt IS NULL;\n' >>"${backfill[0]}"

# --- alembic ---------------------------------------------------------------
"$root/scripts/alembic-venv.sh"

# Offline mode renders SQL without a database connection.
cd "$alembic_dir"
"$venv/bin/alembic" -c alembic.ini upgrade head --sql >"$out/alembic/upgrade.sql"

echo "regenerated:"
find "$out" -type f | sort | sed "s|^$root/||"
