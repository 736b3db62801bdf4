#!/usr/bin/env bash
# Builds for this host what a release ships, into dist/:
#
#   chronos-lint-<version>-<triple>.tar.gz (+ .sha256)   the binary, LICENSE, README, CHANGELOG
#   chronos_lint-<version>-py3-none-<platform>.whl        the PyPI wheel carrying the binary
#   npm/chronos-lint-<version>.tgz                         the npm launcher package
#   npm/chronos-lint-<os>-<cpu>-<version>.tgz              the npm platform package (@chronos-lint/<os>-<cpu>)
#   SHA256SUMS                                             over all of the above
#
# Needs a Rust toolchain, libclang (scripts/bootstrap.sh --build-only), python3 and npm.
# `--profile <name>` picks the cargo profile (default: release); the test suite packages its
# dev build, which is otherwise identical.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=$2; shift 2 ;;
    *) echo "usage: scripts/package.sh [--profile <cargo profile>]" >&2; exit 2 ;;
  esac
done
case "$profile" in
  dev) profile_dir=debug ;;
  *) profile_dir=$profile ;;
esac

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
triple=$(rustc -vV | sed -n 's/^host: //p')
case "$triple" in
  x86_64-unknown-linux-gnu) npm_platform=linux-x64 ;;
  aarch64-unknown-linux-gnu) npm_platform=linux-arm64 ;;
  x86_64-apple-darwin) npm_platform=darwin-x64 ;;
  aarch64-apple-darwin) npm_platform=darwin-arm64 ;;
  *) echo "package.sh: no release is made for $triple" >&2; exit 2 ;;
esac
sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# maturin, pinned, installed once.
tools="$repo/.cache/packaging"
if [ ! -x "$tools/venv/bin/maturin" ]; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet maturin==1.16.0
fi

rm -rf dist
mkdir -p dist/npm

echo "== wheel ($profile build)"
# maturin builds the binary into the crate's own target directory; the archive and the npm
# package take that same binary.
(cd packaging/pypi && "$tools/venv/bin/maturin" build --locked --profile "$profile" --out "$repo/dist")
binary="$repo/target/$profile_dir/chronos-lint"
"$binary" --version

echo "== archive"
name="chronos-lint-$version-$triple"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir "$staging/$name"
cp "$binary" LICENSE README.md CHANGELOG.md "$staging/$name/"
tar_owner=()
if tar --version 2>/dev/null | grep -q GNU; then
  tar_owner=(--owner=0 --group=0 --numeric-owner)
fi
tar -C "$staging" "${tar_owner[@]}" -czf "dist/$name.tar.gz" "$name"
(cd dist && sha256 "$name.tar.gz" > "$name.tar.gz.sha256")

echo "== npm packages"
node packaging/npm/pack.mjs "$version" "$npm_platform" "$binary" dist/npm

(cd dist && sha256 ./*.tar.gz ./*.whl npm/*.tgz | sed 's#  \./#  #' > SHA256SUMS)
echo "== dist/"
cat dist/SHA256SUMS
