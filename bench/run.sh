#!/usr/bin/env bash
# chronos-lint on this machine, every comparison in pairs (bench/pairs.py): against squawk 2.68
# and the bare libpg_query parse on the generated 2,000-file corpus, per-file time at 20,000
# files and on one drizzle folder of 5,000 migrations, the cache (unchanged corpus, one
# migration appended to the long folder) and a single file. Not part of the test suite.
#
#   bench/run.sh [PAIRS]        (default 7 pairs per row; the single file gets three times as many)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pairs="${1:-7}"
cache=.cache/bench
generator="${GEN_CORPUS:-../shared/bench/gen_corpus.py}"
mkdir -p "$cache"

cargo build --release --quiet
cargo bench --no-run --quiet --bench parse_floor 2>/dev/null
floor=$(ls -t target/release/deps/parse_floor-* | grep -v '\.d$' | sed -n 1p)
if [ ! -x .cache/squawk/bin/squawk ]; then
  # squawk's own release binary, from its PyPI wheel.
  python3 -m venv .cache/squawk
  .cache/squawk/bin/pip install --quiet squawk-cli==2.68.0
fi
[ -d "$cache/corpus" ] || python3 "$generator" --out "$cache/corpus" --count 2000 >/dev/null
[ -d "$cache/corpus-20k" ] || python3 "$generator" --out "$cache/corpus-20k" --count 20000 >/dev/null
[ -d "$cache/drizzle-5k" ] || python3 bench/drizzle_set.py "$cache/drizzle-5k" 5000

python3 bench/pairs.py "$pairs" target/release/chronos-lint .cache/squawk/bin/squawk "$floor" \
  "$cache/corpus" "$cache/corpus-20k" "$cache/drizzle-5k" "$cache/runs"
