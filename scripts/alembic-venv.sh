#!/usr/bin/env bash
# Installs the pinned Alembic of examples/alembic/requirements.txt into .cache/alembic-venv, from
# PyPI. The Alembic project tests run it (offline mode: no database), and regen-examples.sh
# renders migrations/alembic/ with it. Safe to run again; does nothing when it is there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv=.cache/alembic-venv
requirements=examples/alembic/requirements.txt
stamp="$venv/.requirements"
if [ -x "$venv/bin/alembic" ] && cmp -s "$requirements" "$stamp"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
