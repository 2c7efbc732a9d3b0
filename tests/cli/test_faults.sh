#!/usr/bin/env bash
# test_faults.sh - faults injected end to end into `packetdeck run`: a full
# disk (a small tmpfs), a packet dir turned read-only mid-run, a rename that
# fails (LD_PRELOAD, faultlib.c); and runners that flood their output, close
# their pipes early, leave children behind, or ignore SIGTERM.
# A failed write leaves the previous file whole, the run stops with a clear
# error, and the run resumes once the fault is gone; no runner is left.
# The mount cases need mount(2) (root); elsewhere they say so and pass.
# usage: test_faults.sh PACKETDECK
set -u
PD=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
export GIT_CONFIG_NOSYSTEM=1 HOME="$T_TMP"
unset PACKETDECK_RUNNER
MOUNTS=()
cleanup() {
  local m
  for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done # innermost first
  rm -rf "$T_TMP"
}
trap cleanup EXIT

# world NAME TASKS...: a repo and a packet dir of one track whose tasks run
# the given commands (task 1.K runs the K-th); $D is the packet dir, $W its
# parent, $TRACE gets "1.K" as each task runs. With TMPFS=SIZE the packet
# dir is a tmpfs of that size (returns 1 when it cannot be mounted).
world() {
  local name=$1 k=0 cmd; shift
  W="$T_TMP/$name"; mkdir -p "$W"; D="$W/packets"; TRACE="$W/trace"; : >"$TRACE"
  git init -q -b main "$W/repo" && git -C "$W/repo" commit -q --allow-empty -m initial
  mkdir -p "$D"
  if [ -n "${TMPFS:-}" ]; then
    mount -t tmpfs -o "size=$TMPFS" tmpfs "$D" 2>/dev/null || return 1
    MOUNTS+=("$D")
  fi
  printf '{"format_version": "1.0.0", "feature": "faults", "project_root": "%s/repo", "tracks": [{"id": 1, "name": "t1", "packet": "track-1.md", "worktree": "%s/wt", "branch": "f/t1", "depends_on": []}], "merge_strategy": "worktree-merge", "post_merge_qa": []}\n' "$W" "$W" >"$D/manifest.json"
  : >"$D/track-1.md"
  for cmd in "$@"; do
    k=$((k + 1))
    printf '### Task 1.%s: step %s\nRun: echo 1.%s >> %s; %s\n\n' $k $k $k "$TRACE" "$cmd" >>"$D/track-1.md"
  done
}
trace_is() { [ "$(tr '\n' ' ' <"$TRACE")" = "$1" ] || t_fail "trace is '$(tr '\n' ' ' <"$TRACE")', expected '$1'"; }
run() { "$PD" run "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?; }
# checkpoint_is TASK: the checkpoint parses and says TASK was the last done
checkpoint_is() {
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(c["last_completed_task"] != sys.argv[2])' \
    "$D/track-1.checkpoint.json" "$1" 2>/dev/null || t_fail "checkpoint is not whole at $1: $(cat "$D/track-1.checkpoint.json" 2>&1)"
}
# no temporary or lock files of a write are left in the packet dir
no_debris() {
  local left; left=$(cd "$D" && ls -a | grep -E 'tmp|\.lock$' || true)
  [ -z "$left" ] || t_fail "left behind: $left"
}
t_begin "a full disk stops the run at the checkpoint; the previous one stays whole; resume completes"
if TMPFS=256k world full true 'test -e ../flag || { touch ../flag; cat /dev/zero > "$PACKETDECK_PACKET_DIR/filler"; }; true' true; then
  run "$D"; expect_rc 1
  grep -q "cannot write the checkpoint: .*No space left on device" "$T_TMP/err" || t_fail "no clear error"
  checkpoint_is 1.1; no_debris
  [ ! -e "$D/track-1.completion.json" ] || t_fail "a marker on a full disk"
  rm -f "$D/filler"
  run "$D" --resume; expect_rc 0; checkpoint_is 1.3
  trace_is "1.1 1.2 1.2 1.3 "   # 1.2 again: its checkpoint was never written
  [ -s "$D/track-1.completion.json" ] || t_fail "no marker after resume"
else
  echo "  # skipped: cannot mount a tmpfs here"
fi

t_begin "a packet dir turned read-only mid-run stops the run; nothing is half-written; resume completes"
# the packet dir is a bind mount that a task turns read-only; .packetdeck
# (the log, the locks: open for writing) is a mount of its own
if world ro true "test -e ../flag || { touch ../flag; mount -o remount,bind,ro $T_TMP/ro/packets; }" true &&
   mv "$D" "$W/real" && mkdir -p "$D" "$W/real/.packetdeck" "$W/state" &&
   mount --bind "$W/real" "$D" 2>/dev/null && MOUNTS+=("$D") &&
   mount --bind "$W/state" "$D/.packetdeck" && MOUNTS=("$D/.packetdeck" "${MOUNTS[@]}"); then
  run "$D"; expect_rc 1
  grep -q "cannot write the checkpoint: .*Read-only file system" "$T_TMP/err" || t_fail "no clear error"
  checkpoint_is 1.1; no_debris
  mount -o remount,bind,rw "$D"
  run "$D" --resume; expect_rc 0; checkpoint_is 1.3
  trace_is "1.1 1.2 1.2 1.3 "
else
  echo "  # skipped: cannot bind-mount here"
fi

t_begin "a failing rename (EIO) keeps the old checkpoint and leaves no temporary file; resume completes"
cc -shared -fPIC -o "$T_TMP/faultlib.so" "$HERE/faultlib.c" -ldl || t_fail "cannot build faultlib"
world rename true true true
# the first checkpoint lands, the second rename fails
LD_PRELOAD="$T_TMP/faultlib.so" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
  PD_FAULT_RENAME=track-1.checkpoint.json PD_FAULT_SKIP=1 run "$D"
expect_rc 1
grep -q "cannot write the checkpoint: .*Input/output error" "$T_TMP/err" || t_fail "no clear error"
checkpoint_is 1.1; no_debris
run "$D" --resume; expect_rc 0; checkpoint_is 1.3
trace_is "1.1 1.2 1.2 1.3 "

t_begin "a failing rename of the marker: no marker, the last checkpoint whole; resume writes it"
world marker true true
LD_PRELOAD="$T_TMP/faultlib.so" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
  PD_FAULT_RENAME=track-1.completion.json PD_FAULT_ERRNO=28 run "$D"
expect_rc 1
grep -q "No space left on device" "$T_TMP/err" || t_fail "no clear error"
[ ! -e "$D/track-1.completion.json" ] || t_fail "a marker was written"
checkpoint_is 1.2; no_debris
run "$D" --resume; expect_rc 0
trace_is "1.1 1.2 "   # every task was checkpointed: only the marker is written
[ -s "$D/track-1.completion.json" ] || t_fail "no marker after resume"

t_begin "a runner flooding 50 MB of output: the run completes, the log holds it all, memory stays bounded"
world flood 'head -c 50000000 /dev/zero | tr "\0" x | fold -w 100'
rss=$(python3 - "$PD" "$D" <<'PY'
import os, subprocess, sys
p = subprocess.Popen([sys.argv[1], "run", sys.argv[2]], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
print(ru.ru_maxrss // 1024, os.waitstatus_to_exitcode(status))
PY
)
read -r mb RC <<<"$rss"; expect_rc 0
[ "$(stat -c %s "$D/.packetdeck/track-1.log")" -ge 50000000 ] || t_fail "log is short: $(stat -c %s "$D/.packetdeck/track-1.log")"
[ "${mb:-9999}" -le "${FAULTS_RSS_MB:-64}" ] || t_fail "peak RSS $mb MB"

t_begin "a runner that closes its output early still completes"
world closed 'exec >&- 2>&-; sleep 0.3; echo done > ../closed'
run "$D"; expect_rc 0
[ -s "$W/closed" ] || t_fail "the task did not finish"
[ -s "$D/track-1.completion.json" ] || t_fail "no marker"

t_begin "a task that leaves children behind (one holding its output, one in a session of its own): the run does not wait, and stops them"
world child 'sleep 301 & setsid sh -c "echo \$\$ > ../sid; exec sleep 303" </dev/null >/dev/null 2>&1 & while [ ! -s ../sid ]; do sleep 0.05; done; echo started' true
start=$SECONDS; run "$D"; expect_rc 0
[ $((SECONDS - start)) -lt 20 ] || t_fail "the run waited for the child ($((SECONDS - start)) s)"
trace_is "1.1 1.2 "
left=$(left_under "$W/wt"); [ -z "$left" ] || t_fail "left running: $(ps -o pid,args -p $left)"
grep -q "^notice: stopping 1 leftover process of run [0-9a-f]*: $(cat "$W/sid")$" "$T_TMP/out" || t_fail "no notice of the leftover"

t_begin "a runner ignoring SIGTERM is killed after the grace period; run exits 3, nothing left"
world stubborn "trap '' TERM; sh -c \"trap '' TERM; sleep 302\" & touch ../ready; wait"
"$PD" run "$D" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null & runner=$!
for _ in $(seq 200); do [ -e "$W/ready" ] && break; sleep 0.05; done
[ -e "$W/ready" ] || t_fail "the task never started"
sleep 0.2; start=$SECONDS
kill -TERM "$runner"; wait "$runner"; RC=$?; expect_rc 3
[ $((SECONDS - start)) -le 9 ] || t_fail "took $((SECONDS - start)) s to stop (grace is 5 s)"
left=$(left_under "$W/wt"); [ -z "$left" ] || t_fail "left running: $(ps -o pid,args -p $left)"
[ ! -e "$D/track-1.completion.json" ] || t_fail "a marker after SIGTERM"

t_summary
