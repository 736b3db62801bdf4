#!/usr/bin/env bash
# chronos-lint against squawk on the generated 2,000-file corpus, on this machine, in one run:
# medians of several runs, the ratio, files/s, peak RSS, the bare-parse floor, a single-file
# start-up, and the cache (cold, unchanged, one file changed). Not part of the test suite.
#
#   bench/run.sh [RUNS]        (default 5 runs per figure; 21 for the single file)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-5}"
cache=.cache/bench
corpus="$cache/corpus"
generator="${GEN_CORPUS:-../shared/bench/gen_corpus.py}"
mkdir -p "$cache"

cargo build --release --quiet
chronos=target/release/chronos-lint
if [ ! -x .cache/squawk/bin/squawk ]; then
  cargo install squawk --version 2.68.0 --locked --root .cache/squawk --quiet
fi
squawk=.cache/squawk/bin/squawk
if [ ! -d "$corpus" ]; then
  python3 "$generator" --out "$corpus" --count 2000 >/dev/null
fi
files=$(find "$corpus" -name '*.sql' | wc -l)
lint_cache="$cache/lint-cache"

# Prints "<median seconds> <peak RSS KiB of the median run>".
measure() { python3 bench/measure.py "$@"; }

read -r squawk_s squawk_kb < <(measure "$runs" -- "$squawk" --reporter gcc "$corpus"/*.sql)
read -r nocache_s nocache_kb < <(measure "$runs" -- "$chronos" --no-cache --format compact "$corpus")
read -r cold_s cold_kb < <(measure "$runs" --before "rm -rf $lint_cache" -- \
  "$chronos" --cache-dir "$lint_cache" --format compact "$corpus")
"$chronos" --cache-dir "$lint_cache" --format compact "$corpus" >/dev/null || true
read -r warm_s warm_kb < <(measure "$runs" -- "$chronos" --cache-dir "$lint_cache" --format compact "$corpus")

# One file in the middle changed (a statement appended), on a copy of the corpus: the cache
# holds the unchanged corpus before every run.
edited="$cache/corpus-edited"
middle=$(find "$corpus" -name '*.sql' | sort | sed -n "$((files / 2))p")
prepare_edit="rm -rf $edited && cp -r $corpus $edited && \
  $chronos --cache-dir $lint_cache-edit --format compact $edited >/dev/null || true; \
  echo 'CREATE INDEX bench_extra_idx ON bench_extra (id);' >> $edited/$(basename "$middle")"
read -r edit_s _ < <(measure "$runs" --before "$prepare_edit" -- \
  "$chronos" --cache-dir "$lint_cache-edit" --format compact "$edited")
bash -c "$prepare_edit"
edit_stats=$(CHRONOS_CACHE_STATS=1 "$chronos" --cache-dir "$lint_cache-edit" --format compact \
  "$edited" 2>&1 >/dev/null | grep '^cache:' || true)

single=$(find "$corpus" -name "*.sql" | sort | sed -n 1p)
read -r single_s _ < <(measure 21 -- "$chronos" --no-cache --format compact "$single")
floor=$(cargo bench --quiet --bench parse_floor -- "$corpus" 2>/dev/null | tail -1)

python3 - "$files" "$runs" "$floor" "$squawk_s" "$squawk_kb" "$nocache_s" "$nocache_kb" \
  "$cold_s" "$cold_kb" "$warm_s" "$warm_kb" "$edit_s" "$single_s" "$edit_stats" <<'PY'
import re, sys
files, runs, floor = int(sys.argv[1]), sys.argv[2], sys.argv[3]
squawk_s, squawk_kb, nocache_s, nocache_kb, cold_s, cold_kb, warm_s, warm_kb, edit_s, single_s = (
    float(x) for x in sys.argv[4:14])
edit_stats = sys.argv[14]
floor_2 = float(re.search(r"([0-9.]+) s on \d+ cores", floor).group(1))
print(f"corpus: {files} files; median of {runs} runs")
print(floor)
print("| run | wall (s) | files/s | peak RSS (MiB) | vs squawk | vs parse floor |")
print("|---|---|---|---|---|---|")
def row(name, s, kb):
    rss = f"{kb / 1024:.0f}" if kb else ""
    print(f"| {name} | {s:.3f} | {files / s:.0f} | {rss} | {s / squawk_s:.2f}x | {s / floor_2:.2f}x |")
row("squawk 2.68.0", squawk_s, squawk_kb)
row("chronos-lint --no-cache", nocache_s, nocache_kb)
row("chronos-lint, empty cache (first run)", cold_s, cold_kb)
row("chronos-lint, unchanged corpus (cache)", warm_s, warm_kb)
row("chronos-lint, one file in the middle changed (cache)", edit_s, 0)
print(f"unchanged / first run: {warm_s / cold_s:.1%}; one file changed / first run: {edit_s / cold_s:.1%}")
print(f"one file changed: {edit_stats}")
print(f"single file (--no-cache): {single_s * 1000:.1f} ms")
PY
