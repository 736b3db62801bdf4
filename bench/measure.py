"""Times a command: the median wall time of several runs and the peak RSS of that run.

    python3 bench/measure.py RUNS [--before 'SHELL COMMAND'] -- COMMAND ARGS...

Prints "<median seconds> <peak RSS KiB>". `--before` runs (untimed) ahead of every run, e.g. to
empty a cache directory. Wall time comes from a monotonic clock and RSS from wait4(), so figures
are exact to the microsecond and per run, not per process group.
"""

import os
import subprocess
import sys
import time


def main(argv):
    runs = int(argv[0])
    rest = argv[1:]
    before = None
    if rest[0] == "--before":
        before, rest = rest[1], rest[2:]
    command = rest[rest.index("--") + 1 :]
    samples = []
    for _ in range(runs):
        if before:
            subprocess.run(before, shell=True, check=True)
        with open(os.devnull, "wb") as null:
            start = time.perf_counter()
            child = subprocess.Popen(command, stdout=null, stderr=null)
            _, _, usage = os.wait4(child.pid, 0)
            samples.append((time.perf_counter() - start, usage.ru_maxrss))
    samples.sort()
    seconds, kib = samples[(runs - 1) // 2]
    print(f"{seconds:.4f} {kib}")


if __name__ == "__main__":
    main(sys.argv[1:])
