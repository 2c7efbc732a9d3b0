#!/usr/bin/env python3
"""bench_validate.py [PACKETDECK] [SIZES...] - time `packetdeck validate` on
generated packet dirs of 1k, 10k and 100k tracks against the Python
reference, in the same run, and print a table with the ratio.

Each command runs once to warm the page cache, then REPEAT times (env,
default 5); the table shows the median wall time and the peak RSS (from
wait4). Generated dirs are kept in BENCH_OUT (env, default bench/out)."""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPEAT = int(os.environ.get("REPEAT", "5"))
OUT = os.environ.get("BENCH_OUT", os.path.join(HERE, "out"))


def measure(argv):
    times, rss = [], 0
    for i in range(REPEAT + 1):
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        p.stderr.close()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            sys.exit(f"{argv} exited {code}")
        if i > 0:
            times.append(dt)
            rss = max(rss, usage.ru_maxrss)
    return statistics.median(times), rss / 1024.0


def main():
    pd = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "packetdeck")
    sizes = [int(s) for s in sys.argv[2:]] or [1000, 10000, 100000]
    print(f"packetdeck validate vs python3 reference (median of {REPEAT}, warm cache)")
    print(f"{'tracks':>8} {'packetdeck s':>13} {'reference s':>12} {'ratio':>7} "
          f"{'pd RSS MB':>10} {'ref RSS MB':>11}")
    for n in sizes:
        d = os.path.join(OUT, f"validate-{n}")
        if not os.path.exists(os.path.join(d, "manifest.json")):
            subprocess.run([sys.executable, os.path.join(HERE, "gen_packets.py"), str(n), d], check=True)
        t_pd, r_pd = measure([pd, "validate", "--quiet", d])
        t_ref, r_ref = measure([sys.executable, os.path.join(HERE, "reference_validate.py"), d])
        print(f"{n:>8} {t_pd:>13.3f} {t_ref:>12.3f} {t_pd / t_ref:>7.2f} {r_pd:>10.1f} {r_ref:>11.1f}")
    print("ratio = packetdeck time / reference time (target at 100k: <= 0.50)")


if __name__ == "__main__":
    main()
