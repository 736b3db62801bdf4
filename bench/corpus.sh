#!/usr/bin/env bash
# Lints every folder of the shared corpus with a release build and prints, per folder: files,
# migrations, statements, wall time (best of 3, without the cache) and findings per rule.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
corpus="${1:-../shared/corpus}"
cargo build --release --quiet
bin=target/release/chronos-lint
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for folder in drizzle-generated/migrations drizzle-generated/rename-set/migrations \
  drizzle-beta-generated alembic-generated alembic-toy alembic-real real-drizzle/ai-chatbot \
  real-drizzle/zero-mail real-drizzle/dokploy real-drizzle/nextjs-saas-starter pg-regress; do
  best=""
  for _ in 1 2 3; do
    start=$(date +%s%N)
    "$bin" --no-cache --format json "$corpus/$folder" >"$out" 2>/dev/null || true
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  python3 - "$folder" "$best" "$out" <<'PY'
import collections, json, sys
folder, ms, path = sys.argv[1], sys.argv[2], sys.argv[3]
report = json.load(open(path))
s = report["summary"]
rules = collections.Counter(d["rule"] for d in report["diagnostics"])
found = ", ".join(f"{rule} {n}" for rule, n in sorted(rules.items())) or "none"
print(f"| {folder} | {s['files']} | {s['migrations']} | {s['statements']} | {ms} | {found} |")
PY
done
