#!/usr/bin/env bash
# Installs the system packages the build and tests need on Debian/Ubuntu: libclang for
# pg_query's bindings, the PostgreSQL server (and PostGIS for it) for the shadow database and
# the tests that start throwaway clusters, git and npm for the history and SARIF tests, Python
# with venv for the Alembic project tests (scripts/alembic-venv.sh installs Alembic). Safe to
# run again; does nothing when everything is present.
#
# `--build-only` installs just what building needs (the GitHub Action uses it).
set -euo pipefail

missing=()
dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
if [ "${1:-}" != "--build-only" ]; then
  command -v git >/dev/null 2>&1 || missing+=(git)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
install() {
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}
if [ ${#missing[@]} -gt 0 ]; then
  install "${missing[@]}"
fi

# PostGIS for the newest server installed (Debian packages it per major version); the shadow
# tests create the extension.
if [ "${1:-}" != "--build-only" ]; then
  major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  if [ -n "$major" ] && [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    install "postgresql-$major-postgis-3"
  fi
fi
