#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/bootstrap.sh
scripts/fetch-sarif-schema.sh
# The pinned Alembic the Alembic project tests render with (.cache/alembic-venv).
scripts/alembic-venv.sh
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
# Snapshots are compared, never rewritten, here.
INSTA_UPDATE=no cargo test --all-targets --locked
# The fuzz targets run outside CI (fuzz/README.md); here they must still compile and lint clean.
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
cargo clippy --manifest-path fuzz/Cargo.toml --target-dir target --locked --all-targets -- -D warnings
# The release packages (archive, wheel, npm) built from the dev build above, installed and run
# with no Rust on PATH, and the pre-commit hook tried with them.
scripts/check-packages.sh --profile dev
# Workflows and action.yml, checked with the real tools; the action's scripts.
scripts/check-integrations.sh
