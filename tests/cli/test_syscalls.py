#!/usr/bin/env python3
"""test_syscalls.py PACKETDECK - the order of the system calls behind every
checkpoint and marker, read from strace (RELIABILITY: "once reported written
it survives a crash"). A two-task track is executed by `packetdeck packet`
and by `packetdeck run --json` (where the built-in runner runs inside `run`)
under `strace -f`; for every rename onto a checkpoint or a marker:

  - the upstream-style `<target>.lock` was created exclusively first (with
    O_EXCL by `packet`; by `run` as a hard link to its holder file
    `.packetdeck/writer.PID`, its pid inside), and is removed only after
    the rename;
  - the renamed file was created with O_EXCL, written, fsynced after its
    last write, and closed, all before the rename;
  - the marker is renamed with RENAME_NOREPLACE (a marker is never replaced);
  - the directory was opened and fsynced after the rename, before the write
    is reported on stdout (`packet`'s line, `run --json`'s checkpoint event);
  - the worktree's file system was synced (syncfs) before the file naming
    its commit was created;
  - the task commands get no descriptor beyond 0-2.

Exit 77 (skipped) without strace."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

CALL = re.compile(r'^(\d+) +(\w+)\((.*)\) += (-?\d+|\?)')
# a call another traced process interrupted, in strace -f's two lines
UNFINISHED = re.compile(r'^(\d+) +(\w+)\((.*) <unfinished \.\.\.>$')
RESUMED = re.compile(r'^(\d+) +<\.\.\. (\w+) resumed>(.*)\) += (-?\d+|\?)')


def read_calls(trace):
    """(pid, name, args, result) per call, in the order they returned; a
    call split by another process's is joined again."""
    calls, pending = [], {}
    for line in open(trace):
        m = CALL.match(line)
        if m:
            calls.append((int(m[1]), m[2], m[3], m[4]))
            continue
        m = UNFINISHED.match(line)
        if m:
            pending[(int(m[1]), m[2])] = m[3]
            continue
        m = RESUMED.match(line)
        if m and (int(m[1]), m[2]) in pending:
            args = pending.pop((int(m[1]), m[2])) + m[3]
            calls.append((int(m[1]), m[2], args, m[4]))
    return calls


def fail(msg):
    print(f"not ok - {msg}")
    sys.exit(1)


def world(tmp):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@x", GIT_CONFIG_NOSYSTEM="1", HOME=tmp)
    env.pop("PACKETDECK_RUNNER", None)
    # under strace LeakSanitizer cannot stop the world (ptrace is taken):
    # leaks are checked by every other test
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    subprocess.run(["git", "init", "-q", "-b", "main", f"{tmp}/repo"], check=True, env=env)
    subprocess.run(["git", "-C", f"{tmp}/repo", "commit", "-q", "--allow-empty", "-m", "i"],
                   check=True, env=env)
    d = f"{tmp}/packets"
    os.makedirs(d)
    with open(f"{d}/manifest.json", "w") as f:
        f.write('{"format_version": "1.0.0", "feature": "sys", "project_root": "%s/repo", '
                '"tracks": [{"id": 1, "name": "t1", "packet": "track-1.md", "worktree": '
                '"%s/wt", "branch": "s/t1", "depends_on": []}], "merge_strategy": '
                '"worktree-merge", "post_merge_qa": []}\n' % (tmp, tmp))
    with open(f"{d}/track-1.md", "w") as f:
        f.write("### Task 1.1: a\nRun: echo a > a.txt; for f in 3 4 5 6 7 8 9; do "
                "[ -e /proc/$$/fd/$f ] && echo $f; done > fds.txt; true\n\n### Task 1.2: b\nRun: echo b > b.txt\n")
    return d, env


def check(trace, what_ran):
    """The durable writes in the trace of `what_ran`, each in order."""
    calls = read_calls(trace)
    main_pid = calls[0][0]
    mine = [c for c in calls if c[0] == main_pid]  # the writes are its own
    checked = 0
    for i, (pid, name, args, ret) in enumerate(mine):
        if name not in ("rename", "renameat2") or ret != "0":
            continue
        paths = re.findall(r'"([^"]*)"', args)
        src, dst = paths[0], paths[-1]
        if not re.search(r'track-1\.(checkpoint|completion)\.json$', dst):
            continue
        checked += 1
        what = f"{what_ran}: {os.path.basename(dst)}"
        before, after = mine[:i], mine[i + 1:]
        # the tmp file: O_EXCL create, writes, fsync after the last write, close
        opens = [k for k, c in enumerate(before) if c[1] == "openat" and f'"{src}"' in c[2]]
        if not opens or "O_EXCL" not in before[opens[-1]][2]:
            fail(f"{what}: {src} not created with O_EXCL")
        k0 = opens[-1]
        fd = before[k0][3]
        life = before[k0 + 1:]
        end = next((k for k, c in enumerate(life) if c[1] == "close" and c[2] == fd), None)
        if end is None:
            fail(f"{what}: {src} not closed before the rename")
        life = life[:end]
        writes = [k for k, c in enumerate(life) if c[1] == "write" and c[2].startswith(fd + ",")]
        syncs = [k for k, c in enumerate(life) if c[1] in ("fsync", "fdatasync") and c[2] == fd]
        if not writes or not syncs or syncs[-1] < writes[-1]:
            fail(f"{what}: not fsynced after its last write before the rename")
        # the lock: made exclusively before the tmp, removed after the rename;
        # by `run`, as a hard link to its holder file, which has its pid inside
        lock = dst + ".lock"
        holder = f"{os.path.dirname(dst)}/.packetdeck/writer.{main_pid}"
        if what_ran == "run":
            if not any(c[1] == "link" and c[2] == f'"{holder}", "{lock}"' and c[3] == "0"
                       for c in before[:k0]):
                fail(f"{what}: {lock} not linked to {holder} before the write")
            hfd = next((c[3] for c in before if c[1] == "openat" and f'"{holder}"' in c[2]), None)
            if not hfd or not any(c[1] == "write" and c[2].startswith(f'{hfd}, "{main_pid}\\n"')
                                  for c in before):
                fail(f"{what}: {holder} was not written with the pid")
        elif not any(c[1] == "openat" and f'"{lock}"' in c[2] and "O_EXCL" in c[2]
                     for c in before[:k0]):
            fail(f"{what}: {lock} not created with O_EXCL before the write")
        if not any(c[1] in ("unlink", "unlinkat") and f'"{lock}"' in c[2] for c in after):
            fail(f"{what}: {lock} never removed")
        if "completion" in what and not (name == "renameat2" and "RENAME_NOREPLACE" in args):
            fail(f"{what}: renamed without RENAME_NOREPLACE: {name}({args})")
        # the directory fsynced before the write is reported on stdout
        kind = "checkpoint" if "checkpoint" in what else "complete"
        report = next((k for k, c in enumerate(after) if c[1] == "write" and c[2].startswith("1,")
                       and kind in c[2]), None)
        if report is None:
            fail(f"{what}: never reported on stdout")
        dfd = next((c[3] for c in after[:report] if c[1] == "openat" and "O_DIRECTORY" in c[2]
                    and f'"{os.path.dirname(dst)}"' in c[2]), None)
        if dfd is None or not any(c[1] == "fsync" and c[2] == dfd for c in after[:report]):
            fail(f"{what}: the directory not fsynced before it was reported")
        # the commit it names is on disk first
        if not any(c[1] == "syncfs" for c in before[:k0]):
            fail(f"{what}: no syncfs before it was written")
    if checked != 3:
        fail(f"{what_ran}: expected 3 durable writes (2 checkpoints, 1 marker), saw {checked}")
    return checked


def main():
    pd = os.path.abspath(sys.argv[1])
    if not shutil.which("strace"):
        print("strace not installed: skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="pd-sys-")
    try:
        d, env = world(tmp)
        checked = 0
        for what_ran in (["packet", f"{d}/track-1.md"], ["run", "--json", d]):
            trace = f"{tmp}/trace"
            for f in ("track-1.checkpoint.json", "track-1.completion.json"):
                if os.path.exists(f"{d}/{f}"):
                    os.unlink(f"{d}/{f}")
            # an inheritable fd 3 of ours, which the commands must not get
            r = subprocess.run(["sh", "-c", 'exec 3</dev/null; exec "$@"', "sh",
                                "strace", "-f", "-qq", "-s", "256", "-o", trace, "-e",
                                "trace=openat,write,fsync,fdatasync,rename,renameat2,link,"
                                "unlink,unlinkat,close,syncfs", pd] + what_ran,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                fail(f"{what_ran[0]} exited {r.returncode}: {r.stderr}")
            checked += check(trace, what_ran[0])
            with open(f"{tmp}/wt/fds.txt") as f:
                fds = f.read().split()
            if fds:
                fail(f"{what_ran[0]}: the command got descriptors beyond 0-2: {fds}")
        print(f"ok - {checked} durable writes in order: exclusive lock, O_EXCL temp, write, fsync, "
              "close, rename, fsync of the dir, then reported; syncfs first")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
