#!/usr/bin/env bash
# chronos-lint against squawk on the generated 2,000-file corpus, on this machine, in one run:
# medians of several runs, the ratio, files/s, peak RSS, the bare-parse floor and a single-file
# start-up. Not part of the test suite.
#
#   bench/run.sh [RUNS]        (default 5 runs per tool)
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

# Prints "<median seconds> <peak RSS KiB of the median run>" for a command.
measure() {
  local samples=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$cache/time" "$@" >/dev/null 2>&1 || true
    samples+=("$(tail -n 1 "$cache/time")")
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { print }'
}

read -r chronos_s chronos_kb < <(measure "$chronos" --format compact "$corpus")
read -r squawk_s squawk_kb < <(measure "$squawk" --reporter gcc "$corpus"/*.sql)
single=$(find "$corpus" -name "*.sql" | sort | sed -n 1p)
read -r single_s _ < <(runs=21 measure "$chronos" --format compact "$single")
floor=$(cargo bench --quiet --bench parse_floor -- "$corpus" 2>/dev/null | tail -1)

python3 - "$files" "$chronos_s" "$chronos_kb" "$squawk_s" "$squawk_kb" "$single_s" "$floor" "$runs" <<'PY'
import sys
files, cs, ckb, ss, skb, single, floor, runs = sys.argv[1:]
files, cs, ckb, ss, skb, single = int(files), float(cs), int(ckb), float(ss), int(skb), float(single)
print(f"corpus: {files} files; median of {runs} runs; {floor}")
print(f"| tool | wall (s) | files/s | peak RSS (MiB) |")
print(f"|---|---|---|---|")
print(f"| chronos-lint | {cs:.2f} | {files / cs:.0f} | {ckb / 1024:.0f} |")
print(f"| squawk 2.68.0 | {ss:.2f} | {files / ss:.0f} | {skb / 1024:.0f} |")
print(f"chronos-lint / squawk: {cs / ss:.2f}x; single file: {single * 1000:.0f} ms (GNU time resolution 10 ms)")
PY
