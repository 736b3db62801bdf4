#!/usr/bin/env bash
# Installs the chronos-lint executable for the GitHub Action (action.yml) from a release, or says
# that the action must build it from source.
#
# Which chronos-lint:
#   1. CHRONOS_LINT_VERSION (the action's `version` input, "0.1.0" or "v0.1.0") when not empty;
#   2. else the action's own release: when the folder the action was checked out into
#      (basename of GITHUB_ACTION_PATH, which is the ref in `uses: owner/repo@ref`) is a tag
#      `v<semver>` equal to "v" + the version in $GITHUB_ACTION_PATH/Cargo.toml;
#   3. else (a branch, a commit SHA, a local `uses: ./`, no GITHUB_ACTION_PATH) a source build.
#
# Usage:
#   install.sh --plan   decide only. Writes mode=release|source, and for a release also version,
#                       triple, dir and bin, to $GITHUB_OUTPUT (when set) and to stdout. Exit 0.
#   install.sh          decide and install. For a release: download the archive and its .sha256,
#                       verify, extract, check `chronos-lint --version`, then print the executable's
#                       path on the last line of stdout (and bin=<path> to $GITHUB_OUTPUT). A binary
#                       of that version already in the install directory (restored by the action's
#                       cache) is checked and reused without downloading.
#                       Exit 0 installed; 3 a source build is needed (mode=source is written to
#                       $GITHUB_OUTPUT); anything else is a failure.
#
# Environment: RUNNER_OS (Linux, macOS) and RUNNER_ARCH (X64, ARM64), taken from `uname` when
# unset; CHRONOS_LINT_INSTALL_DIR (default $RUNNER_TEMP/chronos-lint/<version>);
# CHRONOS_LINT_RELEASE_URL, the folder holding a version's archives (default
# https://github.com/chronos-lint/chronos-lint/releases/download/v<version>; `{version}` in it is
# replaced by the version; file:// works too).
set -euo pipefail

say() { echo "chronos-lint: $*" >&2; }
die() {
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::error title=chronos-lint::$*" >&2; fi
  echo "chronos-lint: error: $*" >&2
  exit 1
}
output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi
}

semver='^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$'

plan_only=false
case "${1:-}" in
  --plan) plan_only=true ;;
  "") ;;
  *) die "unknown argument '$1' (usage: install.sh [--plan])" ;;
esac

# The [package] version of a Cargo.toml.
cargo_version() {
  awk -F'"' '
    /^[[:space:]]*\[/ { in_package = ($0 ~ /^[[:space:]]*\[package\][[:space:]]*$/) }
    in_package && /^[[:space:]]*version[[:space:]]*=/ { print $2; exit }
  ' "$1"
}

# --- What to install ----------------------------------------------------------------------------
version=""
if [ -n "${CHRONOS_LINT_VERSION:-}" ]; then
  version=${CHRONOS_LINT_VERSION#v}
  [[ $version =~ $semver ]] || die "version '$CHRONOS_LINT_VERSION' is not a release version like 0.1.0 or v0.1.0"
  say "version $version requested"
elif [ -n "${GITHUB_ACTION_PATH:-}" ]; then
  ref=$(basename "$GITHUB_ACTION_PATH")
  own=""
  if [ -f "$GITHUB_ACTION_PATH/Cargo.toml" ]; then own=$(cargo_version "$GITHUB_ACTION_PATH/Cargo.toml"); fi
  if [[ $ref =~ ^v ]] && [[ ${ref#v} =~ $semver ]] && [ -n "$own" ] && [ "$ref" = "v$own" ]; then
    version=$own
    say "the action runs at release tag $ref: using that release"
  elif [[ $ref =~ ^v ]] && [[ ${ref#v} =~ $semver ]]; then
    say "the action's ref $ref does not match its Cargo.toml version (${own:-none})"
  else
    say "the action's ref '$ref' is not a release tag"
  fi
else
  say "GITHUB_ACTION_PATH is not set and no version was requested"
fi

if [ -z "$version" ]; then
  say "building chronos-lint from source"
  output mode source
  if $plan_only; then
    echo "mode=source"
    exit 0
  fi
  exit 3
fi

# --- Where --------------------------------------------------------------------------------------
os=${RUNNER_OS:-}
arch=${RUNNER_ARCH:-}
if [ -z "$os" ]; then
  case "$(uname -s)" in
    Linux) os=Linux ;;
    Darwin) os=macOS ;;
    *) os=$(uname -s) ;;
  esac
fi
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64 | amd64) arch=X64 ;;
    aarch64 | arm64) arch=ARM64 ;;
    *) arch=$(uname -m) ;;
  esac
fi
case "$os/$arch" in
  Linux/X64) triple=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) triple=aarch64-unknown-linux-gnu ;;
  macOS/X64) triple=x86_64-apple-darwin ;;
  macOS/ARM64) triple=aarch64-apple-darwin ;;
  *) die "no chronos-lint release binary for $os/$arch (releases cover Linux and macOS on X64 and ARM64)" ;;
esac

if [ -n "${CHRONOS_LINT_INSTALL_DIR:-}" ]; then
  dir=$CHRONOS_LINT_INSTALL_DIR
elif [ -n "${RUNNER_TEMP:-}" ]; then
  dir=$RUNNER_TEMP/chronos-lint/$version
else
  dir=${TMPDIR:-/tmp}/chronos-lint/$version
fi
bin=$dir/chronos-lint

if $plan_only; then
  output mode release
  output version "$version"
  output triple "$triple"
  output dir "$dir"
  output bin "$bin"
  printf 'mode=release\nversion=%s\ntriple=%s\ndir=%s\nbin=%s\n' "$version" "$triple" "$dir" "$bin"
  exit 0
fi

# Does this executable run and call itself this version?
reports_version() {
  local out words word
  out=$("$1" --version 2>/dev/null) || return 1
  read -r -a words <<<"$out"
  [ ${#words[@]} -gt 0 ] || return 1
  for word in "${words[@]}"; do
    if [ "$word" = "$version" ] || [ "$word" = "v$version" ]; then return 0; fi
  done
  return 1
}

finish() {
  say "installed: $("$bin" --version)"
  output mode release
  output bin "$bin"
  echo "$bin"
  exit 0
}

if [ -x "$bin" ] && reports_version "$bin"; then
  say "chronos-lint $version is already in $dir: not downloading it again"
  finish
fi

# --- Download and verify ------------------------------------------------------------------------
command -v curl >/dev/null || die "curl is needed to download chronos-lint"
if command -v sha256sum >/dev/null; then
  sha256() { sha256sum "$1" | awk '{ print $1 }'; }
elif command -v shasum >/dev/null; then
  sha256() { shasum -a 256 "$1" | awk '{ print $1 }'; }
else
  die "neither sha256sum nor shasum is available to verify the download"
fi

base_url=${CHRONOS_LINT_RELEASE_URL:-https://github.com/chronos-lint/chronos-lint/releases/download/v$version}
base_url=${base_url//\{version\}/$version}
base_url=${base_url%/}
name=chronos-lint-$version-$triple
archive=$name.tar.gz

mkdir -p "$(dirname "$dir")"
work=$(mktemp -d "$(dirname "$dir")/.chronos-lint-download.XXXXXX")
trap 'rm -rf "$work"' EXIT

fetch() {
  curl --fail --location --silent --show-error --proto-redir '=https' \
    --retry 5 --retry-delay 2 --retry-connrefused --connect-timeout 30 \
    --output "$2" "$1"
}

say "downloading $base_url/$archive"
fetch "$base_url/$archive" "$work/$archive" || die "could not download $base_url/$archive"
fetch "$base_url/$archive.sha256" "$work/$archive.sha256" ||
  die "could not download the checksum $base_url/$archive.sha256: refusing to install an unverified binary"

expected="" listed=""
read -r expected listed <"$work/$archive.sha256" || true
expected=$(printf '%s' "$expected" | tr 'A-F' 'a-f')
listed=${listed#\*}
[[ $expected =~ ^[0-9a-f]{64}$ ]] ||
  die "the checksum file $archive.sha256 holds no SHA-256: refusing to install an unverified binary"
[ "$listed" = "$archive" ] ||
  die "the checksum file names '$listed', not $archive: refusing to install"
actual=$(sha256 "$work/$archive")
[ "$actual" = "$expected" ] ||
  die "checksum mismatch for $archive: expected $expected, got $actual; refusing to install"
say "checksum verified: sha256 $actual"

# --- Extract ------------------------------------------------------------------------------------
# The archive must hold one folder, $name/, and nothing outside it.
while IFS= read -r entry; do
  case "$entry" in
    "$name" | "$name/" | "$name"/*) ;;
    *) die "$archive holds '$entry', outside $name/: refusing to install" ;;
  esac
  case "/$entry/" in
    */../*) die "$archive holds '$entry', with '..': refusing to install" ;;
  esac
done < <(tar -tzf "$work/$archive")

mkdir -p "$work/unpacked"
tar -xzf "$work/$archive" -C "$work/unpacked"
staged=$work/unpacked/$name
[ -f "$staged/chronos-lint" ] || die "$archive has no $name/chronos-lint"
chmod +x "$staged/chronos-lint"
"$staged/chronos-lint" --version >/dev/null 2>&1 ||
  die "the downloaded chronos-lint does not run here ($triple): '$staged/chronos-lint --version' failed"
reports_version "$staged/chronos-lint" ||
  die "the downloaded chronos-lint reports '$("$staged/chronos-lint" --version)', not version $version"

# Replace only what the archive brings, so that an install directory shared with other files
# keeps them.
mkdir -p "$dir"
for path in "$staged"/* "$staged"/.[!.]*; do
  [ -e "$path" ] || continue
  rm -rf "${dir:?}/$(basename "$path")"
  mv "$path" "$dir/"
done
finish
