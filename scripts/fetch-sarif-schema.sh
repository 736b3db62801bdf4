#!/usr/bin/env bash
# Fetches the OASIS SARIF 2.1.0 JSON schema (as published in the npm package
# @microsoft/jest-sarif) into .cache/, where the SARIF output test reads it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=.cache/sarif-schema-2.1.0.json
[ -s "$target" ] && exit 0
mkdir -p .cache
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null)
tar -xzf "$work"/microsoft-jest-sarif-*.tgz -C "$work" package/lib/schemas/sarif-2.1.0-rtm.5.json
mv "$work/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$target"
