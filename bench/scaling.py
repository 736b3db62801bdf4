"""Scaling of the inputs that once cost more than linear: each is generated at n and 2n and
linted with `--no-cache`; the time and peak-RSS ratios (2n over n) should be about 2.

    python3 bench/scaling.py [BINARY] [RUNS]
    python3 bench/scaling.py compare OLD NEW [PAIRS]

BINARY defaults to target/release/chronos-lint (build it first), RUNS to 3 (medians). Prints a
markdown table for BENCHMARKS.md. Times are medians of RUNS runs of each size, taken in pairs
(n, 2n, n, 2n, ...), and the ratio is the median of the per-pair ratios.

`compare` runs two builds in pairs (OLD, NEW, OLD, NEW, ...; PAIRS defaults to 3) on the largest
inputs: a drizzle folder of 100,000 migrations, and a folder of four files each just under the
token budget of one file.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def drizzle_transaction(root, n):
    """One drizzle migration of n statements: all share drizzle-orm's transaction."""
    folder = os.path.join(root, "drizzle")
    os.makedirs(os.path.join(folder, "meta"))
    statements = [f'CREATE TABLE "t{i}" ("id" bigint PRIMARY KEY);' for i in range(n)]
    with open(os.path.join(folder, "0000_big.sql"), "w") as out:
        out.write("\n--> statement-breakpoint\n".join(statements))
    journal = {"version": "7", "dialect": "postgresql", "entries": [
        {"idx": 0, "version": "7", "when": 1700000000000, "tag": "0000_big", "breakpoints": True}]}
    with open(os.path.join(folder, "meta", "_journal.json"), "w") as out:
        json.dump(journal, out)
    return folder


def alembic_transaction(root, n):
    """Alembic offline SQL: n statements between one BEGIN and COMMIT."""
    path = os.path.join(root, "upgrade.sql")
    with open(path, "w") as out:
        out.write("BEGIN;\n\nCREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL);\n\n")
        out.write("-- Running upgrade  -> a1\n\n")
        out.write("".join(f"CREATE TABLE raw_t{i} (id bigint PRIMARY KEY);\n" for i in range(n)))
        out.write("INSERT INTO alembic_version (version_num) VALUES ('a1');\n\nCOMMIT;\n")
    return path


def added_columns(root, n):
    """n ALTER TABLE ... ADD COLUMN on one existing table."""
    folder = os.path.join(root, "plain")
    os.makedirs(folder)
    with open(os.path.join(folder, "0001_table.sql"), "w") as out:
        out.write("CREATE TABLE t (id bigint PRIMARY KEY);\n")
    with open(os.path.join(folder, "0002_columns.sql"), "w") as out:
        out.write("".join(f"ALTER TABLE t ADD COLUMN c{i} int;\n" for i in range(n)))
    return folder


def wide_table(root, n):
    """One CREATE TABLE of n columns (PostgreSQL refuses more than 1,600)."""
    path = os.path.join(root, "wide.sql")
    with open(path, "w") as out:
        out.write("CREATE TABLE w (" + ", ".join(f"c{i} int" for i in range(n)) + ");\n")
    return path


def one_line(root, n):
    """n findings on one line, with multibyte names before them."""
    path = os.path.join(root, "line.sql")
    with open(path, "w") as out:
        out.write(" ".join(f'DROP TABLE "tä{i}";' for i in range(n)) + "\n")
    return path


def journal(root, n):
    """A one-line drizzle journal of n entries whose files are missing."""
    folder = os.path.join(root, "drizzle")
    os.makedirs(os.path.join(folder, "meta"))
    entries = [{"idx": i, "version": "7", "when": 1700000000000 + i, "tag": f"{i:06d}_m",
                "breakpoints": True} for i in range(n)]
    with open(os.path.join(folder, "meta", "_journal.json"), "w") as out:
        json.dump({"version": "7", "dialect": "postgresql", "entries": entries}, out)
    return folder


def drizzle_history(root, n):
    """A drizzle folder of n migrations, each referencing the one before."""
    folder = os.path.join(root, "drizzle")
    os.makedirs(os.path.join(folder, "meta"))
    entries = []
    for i in range(n):
        tag = f"{i:05d}_m"
        entries.append({"idx": i, "version": "7", "when": 1700000000000 + i, "tag": tag,
                        "breakpoints": True})
        previous = max(i - 1, 0)
        with open(os.path.join(folder, tag + ".sql"), "w") as out:
            out.write(f'CREATE TABLE "t{i}" ("id" bigint PRIMARY KEY, '
                      f'"ref" bigint REFERENCES "t{previous}"("id"));\n')
    with open(os.path.join(folder, "meta", "_journal.json"), "w") as out:
        json.dump({"version": "7", "dialect": "postgresql", "entries": entries}, out)
    return folder


def budget_files(root, n):
    """A folder of n files of 329,000 `SELECT 1;` each: just under a file's token budget."""
    folder = os.path.join(root, "big")
    os.makedirs(folder)
    for i in range(n):
        with open(os.path.join(folder, f"{i:04d}_big.sql"), "w") as out:
            out.write("SELECT 1;\n" * 329_000)
    return folder


CASES = [
    ("one drizzle migration, n statements in its transaction", drizzle_transaction, 20000),
    ("Alembic BEGIN ... COMMIT, n statements", alembic_transaction, 20000),
    ("n ADD COLUMN on one table", added_columns, 4000),
    ("CREATE TABLE of n columns", wide_table, 50000),
    ("n findings on one line", one_line, 40000),
    ("one-line journal of n entries", journal, 50000),
    ("drizzle folder of n migrations", drizzle_history, 20000),
]


def run(binary, target):
    start = time.perf_counter()
    child = subprocess.Popen([binary, "--no-cache", "--format", "compact", target],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss


def medians(pairs):
    """Of pairs of runs ((time, RSS KiB), (time, RSS KiB)): the median per-pair time ratio, then
    each side's median time and median RSS in MiB."""
    ratio = statistics.median(b[0] / a[0] for a, b in pairs)
    times = [statistics.median(run[side][0] for run in pairs) for side in (0, 1)]
    rss = [statistics.median(run[side][1] for run in pairs) / 1024 for side in (0, 1)]
    return ratio, times[0], times[1], rss[0], rss[1]


def compare(old, new, pairs):
    """The largest inputs, linted by two builds in pairs."""
    print("| input | pairs | old | new | median per-pair ratio (wall) | peak RSS old → new |")
    print("|---|---|---|---|---|---|")
    for name, make, n in [("drizzle folder of n migrations", drizzle_history, 100_000),
                          ("n files at the token budget", budget_files, 4)]:
        with tempfile.TemporaryDirectory() as root:
            target = make(root, n)
            runs = [(run(old, target), run(new, target)) for _ in range(pairs)]
        ratio, t_old, t_new, rss_old, rss_new = medians(runs)
        print(f"| {name}, n = {n:,} | {pairs} | {t_old:.2f} s | {t_new:.2f} s | {ratio:.3f} | "
              f"{rss_old:,.0f} → {rss_new:,.0f} MiB |")


def main(argv):
    if argv and argv[0] == "compare":
        return compare(argv[1], argv[2], int(argv[3]) if len(argv) > 3 else 3)
    binary = argv[0] if argv else "target/release/chronos-lint"
    runs = int(argv[1]) if len(argv) > 1 else 3
    print("| input | n | time at n | time at 2n | time ratio | RSS at n | RSS at 2n |")
    print("|---|---|---|---|---|---|---|")
    for name, make, n in CASES:
        with tempfile.TemporaryDirectory() as small_dir, tempfile.TemporaryDirectory() as big_dir:
            small, big = make(small_dir, n), make(big_dir, 2 * n)
            pairs = [(run(binary, small), run(binary, big)) for _ in range(runs)]
        ratio, t_small, t_big, rss_small, rss_big = medians(pairs)
        print(f"| {name} | {n:,} | {t_small:.3f} s | {t_big:.3f} s | {ratio:.2f} | "
              f"{rss_small:.0f} MiB | {rss_big:.0f} MiB |")


if __name__ == "__main__":
    main(sys.argv[1:])
