#!/usr/bin/env python3
"""bench_run.py [PACKETDECK] [N] - time a headless `packetdeck run` of N
one-task tracks (`Run: true`, default 1000) against `snakemake -j1` and
`ninja -j1` running the same DAG of `true` commands, in the same run, and
print a table with each row's ratio to the durability floor.

The tracks share one pre-created worktree and branch (the manifest allows
it; execution is sequential), so the figure is packetdeck's own work per
track: starting the built-in runner, the dependency gate, locks, running the
command, syncing, and writing a durable checkpoint and completion marker;
not git creating 1000 worktrees. ninja writes nothing durable. Each side
runs REPEAT times (env, default 3) on fresh state; the median is shown.

A third row, "floor", is bench/floor.c measured in the same run: starting
`/bin/sh -c true` plus two durable small-file writes (fsync, rename, fsync
of the directory) per track, which is what the durability contract
(README, Reliability) costs at the least, whoever implements it. A fourth,
"floor + .lock", is the same with upstream's `<target>.lock` taken around
each write as packetdeck honours it: not the target's floor, shown so that
what the convention costs is seen apart from what packetdeck itself does."""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPEAT = int(os.environ.get("REPEAT", "3"))
SETTLE = float(os.environ.get("SETTLE", "31"))


def dag(n, rng):
    deps = {}
    for i in range(1, n + 1):
        k = rng.randint(0, min(3, i - 1))
        deps[i] = sorted(rng.sample(range(max(1, i - 50), i), k)) if k else []
    return deps


def make_packets(root, deps):
    repo = os.path.join(root, "repo")
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x",
               GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    subprocess.run(["git", "-C", repo, "commit", "-q", "--allow-empty", "-m", "i"], check=True, env=env)
    wt = os.path.join(root, "wt")
    subprocess.run(["git", "-C", repo, "worktree", "add", "-q", "-b", "bench", wt], check=True)
    pk = os.path.join(root, "packets")
    os.makedirs(pk)
    tracks = []
    for i, d in deps.items():
        tracks.append({"id": i, "name": f"t{i}", "packet": f"track-{i}.md", "worktree": wt,
                       "branch": "bench", "depends_on": d})
        with open(os.path.join(pk, f"track-{i}.md"), "w") as f:
            f.write(f"### Task {i}.1: nothing\nRun: true\n")
    with open(os.path.join(pk, "manifest.json"), "w") as f:
        json.dump({"format_version": "1.0.0", "feature": "bench", "project_root": repo,
                   "tracks": tracks, "merge_strategy": "worktree-merge", "post_merge_qa": []}, f)
    return pk


def make_ninja(root, deps):
    d = os.path.join(root, "ninja")
    os.makedirs(d)
    with open(os.path.join(d, "build.ninja"), "w") as f:
        f.write("rule r\n  command = true\n")
        for i, ds in deps.items():
            f.write(f"build t{i}: r" + (" | " + " ".join(f"t{x}" for x in ds) if ds else "") + "\n")
    return d


def make_snakemake(root, deps):
    """The same DAG as snakemake rules: each track a rule running `true`
    and touching its output (snakemake's own state: outputs and .snakemake)."""
    d = os.path.join(root, "snake")
    os.makedirs(d)
    with open(os.path.join(d, "Snakefile"), "w") as f:
        f.write("rule all:\n    input: [" + ", ".join(f'"t{i}"' for i in deps) + "]\n")
        for i, ds in deps.items():
            f.write(f"rule t{i}:\n")
            if ds:
                f.write("    input: " + ", ".join(f'"t{x}"' for x in ds) + "\n")
            f.write(f'    output: "t{i}"\n    shell: "true; touch {{output}}"\n')
    return d


def timed(argv, cwd=None):
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{argv[0]} exited {p.returncode}: {p.stderr.decode()[-500:]}")
    return dt


def build_floor(root):
    exe = os.path.join(root, "floor")
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-O2", "-o", exe, os.path.join(HERE, "floor.c")], check=True)
    return exe


def main():
    pd = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "packetdeck")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    if not shutil.which("ninja"):
        sys.exit("bench_run.py needs ninja (apt-get install ninja-build)")
    deps = dag(n, random.Random(7))
    snake = shutil.which("snakemake")
    t_pd, t_ninja, t_floor, t_snake, t_locks = [], [], [], [], []
    # Nothing is deleted before the end: on ext4 without a journal, every
    # inode freed in the last 30 s is stepped over, one by one, by each file
    # created after it (ialloc.c, recently_deleted), so a repetition would
    # pay for the files the one before removed. For the same reason the
    # timing starts SETTLE seconds (default 31) after the set-up, which git
    # does with lock files, and after whatever ran before this script.
    base = tempfile.mkdtemp(prefix="pdbench.")
    try:
        floor = build_floor(base)
        roots = []
        for rep in range(REPEAT):  # everything made before anything is timed
            root = os.path.join(base, str(rep))
            os.makedirs(os.path.join(root, "floor"))
            os.makedirs(os.path.join(root, "floor-locks"))
            roots.append((root, make_packets(root, deps), make_ninja(root, deps),
                          make_snakemake(root, deps) if snake else None))
        os.sync()  # the set-up's writes on disk, not flushed under a timing
        time.sleep(SETTLE)
        for rep, (root, pk, nj, _) in enumerate(roots):
            def floor_row(sub, args, into):
                out = subprocess.run([floor, os.path.join(root, sub), str(n)] + args, check=True,
                                     capture_output=True).stdout
                into.append(float(out) * n / 1000)

            def run_floor():
                floor_row("floor", [], t_floor)

            def run_locks():
                floor_row("floor-locks", ["locks"], t_locks)

            def run_pd():
                t_pd.append(timed([pd, "run", "--quiet", pk]))
                assert sum(1 for f in os.listdir(pk) if f.endswith(".completion.json")) == n

            # the order rotates: in three repetitions each goes first, second and last once
            order = [run_floor, run_pd, run_locks]
            for step in order[rep % 3:] + order[:rep % 3]:
                step()
                os.sync()
            t_ninja.append(timed(["ninja", "-j1", "-C", nj]))
            os.sync()  # ninja's log on disk, not flushed under the next timing
        # snakemake last: it deletes files (3 a job), and for 30 s after an
        # inode is freed ext4 without a journal makes every file creation
        # on the filesystem step over it, which would slow whatever ran next
        for _, _, _, sm in roots if snake else ():
            t_snake.append(timed([snake, "-j1", "--quiet", "-d", sm, "-s", os.path.join(sm, "Snakefile")]))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    a, b, c = statistics.median(t_pd), statistics.median(t_ninja), statistics.median(t_floor)
    d = statistics.median(t_snake) if t_snake else None
    print(f"packetdeck run: {n} one-task tracks (`true`), the same DAG for each, median of {REPEAT}")
    print(f"{'':>14} {'total s':>9} {'per track ms':>13} {'/ floor':>8}")
    e = statistics.median(t_locks)
    rows = [("packetdeck", a), ("floor", c), ("floor + .lock", e), ("snakemake -j1", d),
            ("ninja -j1", b)]
    for name, t in rows:
        if t is None:
            print(f"{name:>14} {'(not installed: apt-get install snakemake)':>32}")
            continue
        print(f"{name:>14} {t:>9.2f} {t / n * 1000:>13.2f} {t / c:>8.2f}")
    print(f"ratio packetdeck/floor: {a / c:.2f} (target: <= 1.3)")
    if d:
        print(f"ratio packetdeck/snakemake: {a / d:.2f} (target: <= 0.25)")
    print(f"ratio packetdeck/(floor + .lock): {a / e:.2f}")
    for name, ts in (("packetdeck", t_pd), ("floor", t_floor), ("floor + .lock", t_locks),
                     ("snakemake", t_snake), ("ninja", t_ninja)):
        if ts:
            print(f"{name} runs, ms a track: " + " ".join(f"{t / n * 1000:.2f}" for t in ts))
    print("floor: sh -c true + 2 durable small-file writes per track (bench/floor.c);")
    print("floor + .lock: the same, each write inside upstream's <target>.lock (a hard link)")

if __name__ == "__main__":
    main()
