"""Paired benchmarks: every comparison runs its two commands alternately (A, B, A, B, ...), so
that a machine that drifts while it runs moves both alike, and reports the median of the
per-pair ratios next to each side's median wall time, CPU time and peak RSS.

    python3 bench/pairs.py PAIRS CHRONOS SQUAWK FLOOR CORPUS_2K CORPUS_20K DRIZZLE_5K CACHE_DIR

Called by bench/run.sh, which builds and generates what it names. Prints a markdown table for
BENCHMARKS.md. Wall time comes from a monotonic clock, CPU time and RSS from wait4(), per run.
"""

import os
import shutil
import statistics
import subprocess
import sys
import time


def run(command, before=None):
    """(wall seconds, CPU seconds, peak RSS KiB) of one run of `command`."""
    if before:
        before()
    with open(os.devnull, "wb") as null:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=null, stderr=null)
        _, _, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def pair(pairs, a, b, before_a=None, before_b=None, scale_b=1.0):
    """Runs a and b alternately; b's wall and CPU times are divided by `scale_b` (per-file
    comparisons of corpora of different sizes). Returns the medians and per-pair ratios."""
    samples_a, samples_b = [], []
    for _ in range(pairs):
        samples_a.append(run(a, before_a))
        samples_b.append(run(b, before_b))
    wall = [sb[0] / scale_b / sa[0] for sa, sb in zip(samples_a, samples_b)]
    cpu = [sb[1] / scale_b / sa[1] for sa, sb in zip(samples_a, samples_b)]
    median = lambda samples, i: statistics.median(s[i] for s in samples)
    return {
        "a": (median(samples_a, 0), median(samples_a, 1), median(samples_a, 2)),
        "b": (median(samples_b, 0), median(samples_b, 1), median(samples_b, 2)),
        "wall": statistics.median(wall),
        "cpu": statistics.median(cpu),
    }


def files_in(folder):
    return sum(len([f for f in names if f.endswith(".sql")]) for _, _, names in os.walk(folder))


def main(argv):
    pairs = int(argv[0])
    chronos, squawk, floor, corpus, corpus_20k, drizzle_5k, cache = argv[1:8]
    # The defaults, whatever configuration the working directory has.
    os.makedirs(cache, exist_ok=True)
    empty = os.path.join(cache, "empty.toml")
    open(empty, "w").close()
    lint = lambda *args: [chronos, "--config", empty, "--format", "compact", *args]
    no_cache = lambda folder: lint("--no-cache", folder)
    sql_files = sorted(
        os.path.join(corpus, name) for name in os.listdir(corpus) if name.endswith(".sql"))
    files = len(sql_files)

    rows = []

    def row(name, result, a_name, b_name):
        (aw, ac, ar), (bw, bc, br) = result["a"], result["b"]
        rows.append(
            f"| {name} | {a_name}: {aw:.3f} s, CPU {ac:.2f} s, {ar / 1024:.0f} MiB "
            f"| {b_name}: {bw:.3f} s, CPU {bc:.2f} s, {br / 1024:.0f} MiB "
            f"| {result['wall']:.2f} | {result['cpu']:.2f} |")

    row(f"{files} files, `--no-cache`, against squawk 2.68",
        pair(pairs, [squawk, "--reporter", "gcc", *sql_files], no_cache(corpus)),
        "squawk", "chronos-lint")
    row(f"{files} files, `--no-cache`, against the bare parse on all cores",
        pair(pairs, [floor, corpus, "--parallel"], no_cache(corpus)),
        "parse floor", "chronos-lint")
    big = files_in(corpus_20k)
    row(f"time per file: {big} files against {files} (ratio of per-file times)",
        pair(pairs, no_cache(corpus), no_cache(corpus_20k), scale_b=big / files),
        f"{files} files", f"{big} files")
    long_set = files_in(drizzle_5k)
    row(f"time per file: one drizzle folder of {long_set} migrations against {files} files",
        pair(pairs, no_cache(corpus), no_cache(drizzle_5k), scale_b=long_set / files),
        f"{files} files", "drizzle folder")

    cold_dir, warm_dir = os.path.join(cache, "cold"), os.path.join(cache, "warm")
    empty_cache = lambda: shutil.rmtree(cold_dir, ignore_errors=True)
    subprocess.run(lint("--cache-dir", warm_dir, corpus), capture_output=True)
    row("cache: unchanged corpus against a first run (empty cache)",
        pair(pairs, lint("--cache-dir", cold_dir, corpus), lint("--cache-dir", warm_dir, corpus),
             before_a=empty_cache),
        "first run", "unchanged")

    # One migration appended to the long drizzle folder, whose cache holds it without.
    appended_dir = os.path.join(cache, "appended")
    copy = os.path.join(cache, "drizzle-appended")

    def append_one():
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(drizzle_5k, copy)
        subprocess.run(lint("--cache-dir", appended_dir, copy), capture_output=True)
        subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "drizzle_set.py"),
                        copy, "--append"], check=True)

    def cold_copy():
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(drizzle_5k, copy)
        shutil.rmtree(os.path.join(cache, "appended-cold"), ignore_errors=True)

    row(f"cache: one migration appended to the {long_set}-migration folder, against a first run",
        pair(pairs, lint("--cache-dir", os.path.join(cache, "appended-cold"), copy),
             lint("--cache-dir", appended_dir, copy), before_a=cold_copy, before_b=append_one),
        "first run", "one appended")

    # A file named alone is linted with the rest of its folder (its set) as context: the single
    # file is one in a folder of its own.
    single_dir = os.path.join(cache, "single")
    shutil.rmtree(single_dir, ignore_errors=True)
    os.makedirs(single_dir)
    single = shutil.copy(sql_files[0], single_dir)
    row("a single file (in a folder of its own) against the bare parse of the same file",
        pair(pairs * 3, [floor, single, "--parallel"], no_cache(single)),
        "parse floor", "chronos-lint")

    print(f"{pairs} pairs per row (A, B, A, B, ...); ratios are B/A, the median of per-pair ratios")
    print()
    print("| comparison | A (medians) | B (medians) | wall B/A | CPU B/A |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
