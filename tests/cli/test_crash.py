#!/usr/bin/env python3
"""test_crash.py PACKETDECK [KILLS] - crash-resume: `packetdeck run` of a
20-track feature is killed with SIGKILL at random moments (markers,
checkpoints and task output in flight; the built-in runner runs inside
`run`, so the kills fall inside it while a task runs), then resumed, until
KILLS kill points (default 6; CRASH_KILLS in the environment, e.g. 100 for
the long mode) have been hit. Every other kill also kills the running
task's shell in the same instant, so its own writes are cut too.

After every kill: each marker and checkpoint parses and has its fields
(none is partial); the killed run leaves no task process behind (its
guard stops the task's group). On every resume: no
completed track runs again, and no task whose checkpoint was written runs
again. Each feature runs to completion in the end. Counts are printed;
the seed (CRASH_SEED) makes a failure reproducible."""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

PD = os.path.abspath(sys.argv[1])
KILLS = int(os.environ.get("CRASH_KILLS", sys.argv[2] if len(sys.argv) > 2 else "6"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))
N = 20
ENV = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x", GIT_COMMITTER_NAME="t",
           GIT_COMMITTER_EMAIL="t@x")
ENV.pop("PACKETDECK_RUNNER", None)
rng = random.Random(SEED)
failures = []


def fail(msg):
    failures.append(msg)
    print(f"not ok - {msg} (CRASH_SEED={SEED})")


def world(root):
    """20 tracks: a chain with branches (i depends on i-1, and on i-3);
    2 tasks each that print, pause a little and append to the trace."""
    subprocess.run(["git", "init", "-q", "-b", "main", f"{root}/repo"], check=True)
    subprocess.run(["git", "-C", f"{root}/repo", "commit", "-q", "--allow-empty", "-m", "i"],
                   check=True, env=ENV)
    d = f"{root}/packets"
    os.makedirs(d)
    tracks = []
    for i in range(1, N + 1):
        deps = sorted({i - 1, i - 3} & set(range(1, i)))
        tracks.append({"id": i, "name": f"t{i}", "packet": f"track-{i}.md",
                       "worktree": f"{root}/wt-{i}", "branch": f"crash/t{i}", "depends_on": deps})
        with open(f"{d}/track-{i}.md", "w") as f:
            for t in (1, 2):
                f.write(f"### Task {i}.{t}: step {t}\n"
                        f"Run: for k in 1 2 3 4 5; do echo track {i} task {t} line $k; done; "
                        f"sleep 0.0{rng.randint(1, 6)}; echo {i}.{t} >> {root}/trace\n\n")
    with open(f"{d}/manifest.json", "w") as f:
        json.dump({"format_version": "1.0.0", "feature": "crash", "project_root": f"{root}/repo",
                   "tracks": tracks, "merge_strategy": "worktree-merge", "post_merge_qa": []}, f)
    open(f"{root}/trace", "w").close()
    return d


def done_tasks(d):
    """Tasks that must never run again: all of a track with a marker, and
    those up to a checkpoint's last_completed_task. Checks every file."""
    done = set()
    for i in range(1, N + 1):
        m, c = f"{d}/track-{i}.completion.json", f"{d}/track-{i}.checkpoint.json"
        if os.path.exists(m):
            try:
                mj = json.load(open(m))
                assert mj["status"] == "complete" and mj["format_version"] == "1.0.0"
                assert isinstance(mj["timestamp"], str)
            except Exception as e:  # noqa: BLE001 - any problem is the finding
                fail(f"marker {m} unparsable or partial: {e!r}: {open(m, 'rb').read()[:200]!r}")
                continue
            done |= {f"{i}.1", f"{i}.2"}
        if os.path.exists(c):
            try:
                cj = json.load(open(c))
                assert cj["track"] == i and cj["last_completed_task"] in (f"{i}.1", f"{i}.2")
                assert cj["next_task"] in (f"{i}.2", None) and len(cj["commit"]) == 40
            except Exception as e:  # noqa: BLE001
                fail(f"checkpoint {c} unparsable or partial: {e!r}: {open(c, 'rb').read()[:200]!r}")
                continue
            done.add(f"{i}.1")
            if cj["last_completed_task"] == f"{i}.2":
                done.add(f"{i}.2")
    return done


def leftovers(root):
    """The task commands still running (each one's shell names the trace)."""
    out = subprocess.run(["pgrep", "-f", f"{root}/trace"], capture_output=True, text=True)
    return out.stdout.split()


def trace(root):
    with open(f"{root}/trace") as f:
        return f.read().split()


def main():
    kills = by_runner = cycles = worlds = 0
    base = tempfile.mkdtemp(prefix="pdcrash.")
    try:
        while kills < KILLS:
            worlds += 1
            root = f"{base}/w{worlds}"
            os.makedirs(root)
            d = world(root)
            while True:
                cycles += 1
                before = done_tasks(d)
                seen = len(trace(root))
                p = subprocess.Popen([PD, "run", "--no-tui", "--resume", "--handoff", "continue",
                                      "--on-blocked", "abort", d], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
                killed = False
                if kills < KILLS:
                    try:
                        p.wait(timeout=rng.uniform(0.02, 1.5))
                    except subprocess.TimeoutExpired:
                        both = kills % 2 == 1
                        victims = [p.pid] + ([int(x) for x in leftovers(root)] if both else [])
                        for v in victims:
                            try:
                                os.kill(v, signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                        killed = True
                        kills += 1
                        by_runner += both
                err = p.communicate(timeout=120)[1].decode(errors="replace")
                # the task of a killed run is stopped by the run's guard
                # within its grace period
                deadline = time.time() + 8
                while leftovers(root) and time.time() < deadline:
                    time.sleep(0.05)
                if leftovers(root):
                    fail(f"a task outlived the killed run: {leftovers(root)}")
                    for v in leftovers(root):
                        os.kill(int(v), signal.SIGKILL)
                again = [t for t in trace(root)[seen:] if t in before]
                if again:
                    fail(f"ran again after its checkpoint or marker: {again}")
                done_tasks(d)  # every file still parses
                if not killed:
                    if p.returncode != 0:
                        fail(f"the run ended {p.returncode}, not 0: {err[-400:]}")
                    break
            n = sum(os.path.exists(f"{d}/track-{i}.completion.json") for i in range(1, N + 1))
            if n != N:
                fail(f"{n}/{N} markers at the end")
            if sorted(set(trace(root))) != sorted(f"{i}.{t}" for i in range(1, N + 1) for t in (1, 2)):
                fail("not every task ran")
    finally:
        subprocess.run(["rm", "-rf", base])
    print(f"crash-resume: {kills} kill points ({by_runner} with the task killed too) over "
          f"{worlds} runs of {N} tracks, {cycles} starts; {len(failures)} violations; seed {SEED}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
