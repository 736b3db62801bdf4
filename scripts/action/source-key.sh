#!/usr/bin/env bash
# Prints a SHA-256 over what a source build of chronos-lint is made from: Cargo.lock, Cargo.toml,
# build.rs (when present) and every file under src/, with their paths. The action keys its cache
# of a source build on it; hashFiles() cannot do this, as it only reads the workspace, not the
# folder the action was checked out into.
#
# Usage: source-key.sh [CHECKOUT]   (default: $GITHUB_ACTION_PATH)
set -euo pipefail

root=${1:-${GITHUB_ACTION_PATH:?give the checkout to hash}}
cd "$root"

if command -v sha256sum >/dev/null; then
  hash() { sha256sum "$@"; }
else
  hash() { shasum -a 256 "$@"; }
fi

files=()
for file in Cargo.lock Cargo.toml build.rs; do
  if [ -f "$file" ]; then files+=("$file"); fi
done
[ -d src ] || { echo "source-key.sh: no src/ in $root" >&2; exit 1; }
while IFS= read -r file; do
  files+=("$file")
done < <(find src -type f | LC_ALL=C sort)

# One "<sha256>  <path>" line per file, in a fixed order, hashed once more.
hash "${files[@]}" | hash | awk '{ print $1 }'
