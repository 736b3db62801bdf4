#!/usr/bin/env bash
# Checks what a release ships, as a user without Rust gets it: packages this host's build
# (scripts/package.sh), then, with no cargo or rustc on PATH and no package registry, installs
# the wheel into a fresh venv, the npm tarballs into a fresh npm project and the pre-commit hook
# with `pre-commit try-repo`, and checks that each installed chronos-lint lints migrations/ with
# the same JSON as the release archive's binary.
#
# `--profile <name>` is passed to package.sh (the suite uses its dev build: same code, no
# second compile).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

scripts/package.sh "$@"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)

fail() { echo "FAIL: $*" >&2; exit 1; }

# The pre-commit shim pins the wheel of this very version.
grep -q "^version = \"$version\"\$" pyproject.toml || fail "pyproject.toml's version is not $version"
grep -q "\"chronos-lint==$version\"" pyproject.toml || fail "pyproject.toml does not pin chronos-lint==$version"

# Tools that need a registry are fetched now, before the registry is closed: pre-commit, and the
# build backend of the pre-commit shim (pre-commit installs the hook repository with pip).
tools="$repo/.cache/packaging"
if [ ! -x "$tools/venv/bin/pre-commit" ]; then
  "$tools/venv/bin/pip" install --quiet pre-commit==4.7.0
fi
if ! ls "$tools/wheelhouse"/setuptools-*.whl >/dev/null 2>&1; then
  "$tools/venv/bin/pip" download --quiet --only-binary :all: -d "$tools/wheelhouse" 'setuptools>=77'
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# From here on: no Rust toolchain, no package index.
PATH=$(tr ':' '\n' <<<"$PATH" | while read -r dir; do
  [ -n "$dir" ] && [ ! -e "$dir/cargo" ] && [ ! -e "$dir/rustc" ] && printf '%s:' "$dir"
done)
export PATH=${PATH%:}
if command -v cargo >/dev/null || command -v rustc >/dev/null; then
  fail "cargo or rustc is still on PATH"
fi
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 npm_config_offline=true

# What every install must print: the release archive's binary on the example migrations.
lint_args=(--no-cache --format json --fail-on never migrations/)
triple_archive=$(ls dist/chronos-lint-"$version"-*.tar.gz)
tar -xzf "$triple_archive" -C "$work"
reference="$work/$(basename "$triple_archive" .tar.gz)/chronos-lint"
"$reference" "${lint_args[@]}" > "$work/expected.json"
grep -q '"diagnostics"' "$work/expected.json" || fail "the archive's binary printed no report"

same_report() {
  local what=$1 binary=$2
  "$binary" --version | grep -q "^chronos-lint $version " || fail "$what: wrong --version"
  "$binary" "${lint_args[@]}" > "$work/actual.json"
  cmp -s "$work/expected.json" "$work/actual.json" || {
    diff "$work/expected.json" "$work/actual.json" | head -20
    fail "$what: the report differs from the release binary's"
  }
  echo "$what: same report as the release binary"
}

seconds() { python3 -c 'import time; print(f"{time.monotonic():.3f}")'; }

echo "== wheel into a fresh venv"
start=$(seconds)
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet dist/chronos_lint-"$version"-*.whl
"$work/venv/bin/chronos-lint" "${lint_args[@]}" > /dev/null
echo "venv + wheel install + first lint: $(python3 -c "print(f'{$(seconds) - $start:.2f}')") s"
same_report "pip" "$work/venv/bin/chronos-lint"

echo "== npm tarballs into a fresh project"
mkdir "$work/npm-project"
start=$(seconds)
(
  cd "$work/npm-project"
  npm init -y >/dev/null
  # The platform package comes from its tarball; the launcher's optional dependencies on the
  # other platforms are skipped (they do not match this host, and nothing is fetched).
  npm install --silent --no-audit --no-fund \
    "$repo"/dist/npm/chronos-lint-*-"$version".tgz "$repo/dist/npm/chronos-lint-$version.tgz"
  npx --no-install chronos-lint --no-cache --format json --fail-on never "$repo/migrations" > /dev/null
)
echo "npm install + first lint: $(python3 -c "print(f'{$(seconds) - $start:.2f}')") s"
same_report "npm" "$work/npm-project/node_modules/.bin/chronos-lint"

echo "== pre-commit try-repo with the prebuilt-binary hook"
sample="$work/sample"
git init -q "$sample"
mkdir -p "$sample/migrations"
printf 'CREATE TABLE cms_pages (id uuid PRIMARY KEY);\nCREATE TABEL cms_tags (id uuid PRIMARY KEY);\n' > "$sample/migrations/0001_pages.sql"
git -C "$sample" add -A
export PRE_COMMIT_HOME="$work/pre-commit-home" PIP_FIND_LINKS="$repo/dist $tools/wheelhouse"
run_hook() { (cd "$sample" && "$tools/venv/bin/pre-commit" try-repo "$repo" chronos-lint --all-files --verbose); }

if output=$(run_hook 2>&1); then
  echo "$output"
  fail "the hook passed on a migration with a syntax error"
fi
grep -q 'syntax-error' <<<"$output" || { echo "$output"; fail "no syntax-error reported"; }
echo "hook failed on the bad migration, as it should"

sed -i 's/TABEL/TABLE/' "$sample/migrations/0001_pages.sql"
git -C "$sample" add -A
if ! output=$(run_hook 2>&1); then
  echo "$output"
  fail "the hook failed on a clean migration"
fi
echo "hook passed on the fixed migration"
