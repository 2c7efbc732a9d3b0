#!/usr/bin/env python3
"""bench_dash.py [PACKETDECK] - the dashboard's responsiveness and cost,
each beside a peer measured in the same run, as a table.

Every program runs on a pseudo-terminal of 120x36 read by this script; what
is on screen is known by feeding the output to a terminal emulator (pyte,
Debian's python3-pyte), so "visible" means drawn, not merely written.

  marker -> screen   `packetdeck watch` of 20 tracks; a completion marker is
                     renamed into place and the time until the header shows
                     the new count is taken, 20 times (median, max).
                     Peer: `tail -F` (inotify) showing a line appended to a
                     file.
  idle CPU           `packetdeck run` with one track whose task sleeps: CPU
                     time of the dashboard process (not its runner) over
                     IDLE_S seconds (env, default 60). Peer: `top -d 1`.
  (PARTS, env: which of latency,big,idle to run; default all)
  10k tracks         `packetdeck watch` of 10 000 generated tracks: RSS
                     after the first frame, and the time from a keypress
                     (j) to the end of the frame it causes, 40 times.
                     Peer: `less` over the same 10 000 tracks' plan, RSS and
                     a keypress (j).
Targets (issue 4): <= 100 ms, <= 0.1% of a core, <= 16 MB, <= 16 ms."""
import fcntl
import os
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

try:
    import pyte
except ImportError:  # a python3 other than Debian's: look where apt put it
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import pyte
    except ImportError:
        sys.exit("bench_dash.py needs pyte: apt-get install python3-pyte")

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("BENCH_OUT", os.path.join(HERE, "out"))
IDLE_S = float(os.environ.get("IDLE_S", "60"))
PARTS = os.environ.get("PARTS", "latency,big,idle").split(",")
ROWS, COLS = 36, 120
ENV = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8",
           GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
           GIT_COMMITTER_EMAIL="b@x")
ENV.pop("CI", None)
ENV.pop("NO_COLOR", None)
ENV["LESS"] = ""


class Term:
    """A program on a pty, with the screen it has drawn so far."""

    def __init__(self, argv, cwd=None):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=ENV,
                                  start_new_session=True,
                                  preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.fd = master
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.last = 0.0  # when the last byte arrived

    def pump(self, timeout):
        """Read what arrives within `timeout` s; True if anything did."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            return False
        self.last = time.perf_counter()
        self.stream.feed(data)
        return bool(data)

    def text(self):
        return "\n".join(self.screen.display)

    def wait_for(self, needle, timeout=30.0):
        """Seconds until `needle` is on screen."""
        t0 = time.perf_counter()
        while needle not in self.text():
            if time.perf_counter() - t0 > timeout:
                sys.exit(f"timed out waiting for {needle!r}; screen:\n{self.text()}")
            self.pump(0.05)
        return time.perf_counter() - t0

    def settle(self, quiet=0.2, limit=5.0):
        """Read until `quiet` s pass without output (or `limit` s in all)."""
        end = time.perf_counter() + limit
        while self.pump(quiet) and time.perf_counter() < end:
            pass

    def frame_after(self, data, quiet=0.05):
        """Send `data`; seconds until the last byte of the frame it causes."""
        self.settle()
        t0 = time.perf_counter()
        os.write(self.fd, data)
        if not self.pump(2.0):
            sys.exit(f"no frame after {data!r}")
        while self.pump(quiet):
            pass
        return self.last - t0

    def cpu_s(self):
        with open(f"/proc/{self.p.pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9

    def rss_mb(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            st = dict(line.split(":", 1) for line in f)
        return (int(st["VmRSS"].split()[0]) / 1024, int(st["VmHWM"].split()[0]) / 1024,
                int(st["RssAnon"].split()[0]) / 1024)

    def stop(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        os.close(self.fd)


def packet_dir(root, n, task="Run: true", repo=True):
    """n independent tracks (a git repo for `run`)."""
    pk = os.path.join(root, "packets")
    os.makedirs(pk)
    if repo:
        subprocess.run(["git", "init", "-q", "-b", "main", f"{root}/repo"], check=True)
        subprocess.run(["git", "-C", f"{root}/repo", "commit", "-q", "--allow-empty", "-m", "i"],
                       check=True, env=ENV)
    tracks = ",".join(
        f'{{"id": {i}, "name": "t{i}", "packet": "track-{i}.md", "worktree": "{root}/wt-{i}", '
        f'"branch": "b/t{i}", "depends_on": []}}' for i in range(1, n + 1))
    with open(f"{pk}/manifest.json", "w") as f:
        f.write(f'{{"format_version": "1.0.0", "feature": "bench", "project_root": "{root}/repo", '
                f'"tracks": [{tracks}], "merge_strategy": "worktree-merge", "post_merge_qa": []}}\n')
    for i in range(1, n + 1):
        with open(f"{pk}/track-{i}.md", "w") as f:
            f.write(f"### Task {i}.1: work\n{task}\n")
    return pk


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def marker_latency(pd, tmp):
    d = packet_dir(f"{tmp}/latency", 20, repo=False)
    t = Term([pd, "watch", d])
    t.wait_for("0/20 complete")
    lat = []
    for k in range(1, 21):
        t.settle()
        write_atomic(f"{d}/track-{k}.completion.json",
                     '{"format_version": "1.0.0", "status": "complete", "commit": null, '
                     '"timestamp": "2026-01-01T00:00:00Z"}\n')
        t0 = time.perf_counter()
        while f"{k}/20 complete" not in t.text():
            if time.perf_counter() - t0 > 10:
                sys.exit(f"marker {k} never shown:\n{t.text()}")
            t.pump(0.05)
        lat.append(t.last - t0)
    t.stop()
    # the peer: tail -F (inotify) showing a line appended to a file
    log = f"{tmp}/latency/tail.log"
    open(log, "w").close()
    t = Term(["tail", "-n", "0", "-F", log])
    t.settle(0.5)
    peer = []
    for k in range(1, 21):
        t.settle()
        with open(log, "a") as f:
            f.write(f"line-{k:03d}\n")
        t0 = time.perf_counter()
        while f"line-{k:03d}" not in t.text():
            if time.perf_counter() - t0 > 10:
                sys.exit("tail -F never showed the line")
            t.pump(0.05)
        peer.append(t.last - t0)
    t.stop()
    return lat, peer


def idle_cpu(pd, tmp):
    d = packet_dir(f"{tmp}/idle", 1, task="Run: sleep 3600")
    t = Term([pd, "run", d])
    t.wait_for("Task 1.1: work", 60)
    t.settle(0.5, 3.0)
    c0, w0 = t.cpu_s(), time.perf_counter()
    frames = 0
    end = w0 + IDLE_S
    while time.perf_counter() < end:
        if t.pump(min(1.0, max(0.0, end - time.perf_counter()))):
            frames += 1
    pd_pct = (t.cpu_s() - c0) / (time.perf_counter() - w0) * 100
    t.stop()
    t = Term(["top", "-d", "1"])
    t.settle(0.5, 3.0)
    c0, w0 = t.cpu_s(), time.perf_counter()
    end = w0 + IDLE_S
    while time.perf_counter() < end:
        t.pump(min(1.0, max(0.0, end - time.perf_counter())))
    top_pct = (t.cpu_s() - c0) / (time.perf_counter() - w0) * 100
    t.stop()
    return pd_pct, top_pct, frames


def big(pd, tmp):
    d = os.path.join(OUT, "validate-10000")
    if not os.path.exists(os.path.join(d, "manifest.json")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_packets.py"), "10000", d], check=True)
    t0 = time.perf_counter()
    t = Term([pd, "watch", d])
    t.wait_for("0/10000 complete", 60)
    start = time.perf_counter() - t0
    t.settle(1.0)
    rss = t.rss_mb()
    keys = [t.frame_after(b"j") for _ in range(40)]
    t.stop()
    plan = f"{tmp}/plan.txt"
    with open(plan, "w") as f:
        subprocess.run([pd, "plan", d], stdout=f, check=True)
    t = Term(["less", plan])
    t.settle(1.0)
    less_rss = t.rss_mb()
    less_keys = [t.frame_after(b"j") for _ in range(40)]
    t.stop()
    return start, rss, keys, less_rss, less_keys


def main():
    pd = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "packetdeck"))
    tmp = tempfile.mkdtemp(prefix="pd-bench-dash-")
    nan = [float("nan")]
    lat = tail_lat = keys = less_keys = nan
    start, rss, less_rss, pd_pct, top_pct, frames = nan[0], (nan[0],) * 3, (nan[0],) * 3, nan[0], nan[0], 0
    try:
        if "latency" in PARTS:
            lat, tail_lat = marker_latency(pd, tmp)
        if "big" in PARTS:
            start, rss, keys, less_rss, less_keys = big(pd, tmp)
        if "idle" in PARTS:
            pd_pct, top_pct, frames = idle_cpu(pd, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ms = lambda v: v * 1000
    rows = [
        ("marker -> screen, median of 20", f"{ms(statistics.median(lat)):.1f} ms",
         "tail -F", f"{ms(statistics.median(tail_lat)):.1f} ms",
         statistics.median(lat) / statistics.median(tail_lat), "<= 100 ms"),
        ("marker -> screen, max of 20", f"{ms(max(lat)):.1f} ms",
         "tail -F", f"{ms(max(tail_lat)):.1f} ms", max(lat) / max(tail_lat), ""),
        (f"CPU, silent track, {IDLE_S:.0f} s", f"{pd_pct:.3f} %", "top -d 1", f"{top_pct:.3f} %",
         pd_pct / top_pct if top_pct else float("nan"), "<= 0.1 %"),
        ("RSS, 10k tracks", f"{rss[0]:.1f} MB", "less", f"{less_rss[0]:.1f} MB",
         rss[0] / less_rss[0], "<= 16 MB"),
        ("peak RSS, 10k tracks", f"{rss[1]:.1f} MB", "less", f"{less_rss[1]:.1f} MB",
         rss[1] / less_rss[1], ""),
        ("  of RSS: private (RssAnon)", f"{rss[2]:.1f} MB", "less", f"{less_rss[2]:.1f} MB",
         rss[2] / less_rss[2], ""),
        ("key -> frame, 10k, median of 40", f"{ms(statistics.median(keys)):.2f} ms", "less",
         f"{ms(statistics.median(less_keys)):.2f} ms",
         statistics.median(keys) / statistics.median(less_keys), "<= 16 ms"),
        ("key -> frame, 10k, max of 40", f"{ms(max(keys)):.2f} ms", "less",
         f"{ms(max(less_keys)):.2f} ms", max(keys) / max(less_keys), ""),
        ("first frame, 10k tracks", f"{start:.2f} s", "", "", float("nan"), ""),
    ]
    print(f"packetdeck dashboard vs peers (pty {COLS}x{ROWS}; screen read through pyte)")
    print(f"{'metric':<34} {'packetdeck':>11}   {'peer':<9} {'peer value':>11} {'ratio':>7}  target")
    for name, v, peer, pv, ratio, target in rows:
        r = "" if ratio != ratio else f"{ratio:.2f}"
        print(f"{name:<34} {v:>11}   {peer:<9} {pv:>11} {r:>7}  {target}")
    print(f"frames drawn in the idle window: {frames} ({frames / IDLE_S:.2f}/s: the clock and spinner)")


if __name__ == "__main__":
    main()
