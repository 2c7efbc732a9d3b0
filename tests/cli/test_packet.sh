#!/usr/bin/env bash
# test_packet.sh - `packetdeck packet` on real git repositories: seed-format
# checkpoints and markers, failure, resume (checkpointed tasks do not run
# again), the dependency gate (abort, wait woken by a marker, timeout),
# signals, branch mismatch, locks, and a repository libgit2 cannot open.
# usage: test_packet.sh PACKETDECK
set -u
PD=$1
. "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
export GIT_CONFIG_NOSYSTEM=1 HOME="$T_TMP"

# A repo and a packet dir: world NAME; tracks are added with add_track.
world() {
  W="$T_TMP/$1"; rm -rf "$W"; mkdir -p "$W"
  git init -q -b main "$W/repo" && git -C "$W/repo" commit -q --allow-empty -m initial
  D="$W/packets"; mkdir -p "$D"; TRACE="$W/trace"; : >"$TRACE"
  TRACKS=()
}
# add_track ID NAME DEPS: a track whose packet is written by the caller to $D/track-ID.md
add_track() {
  TRACKS+=("$(printf '{"id": %s, "name": "%s", "packet": "track-%s.md", "worktree": "%s/wt-%s", "branch": "w/track-%s", "depends_on": [%s]}' \
    "$1" "$2" "$1" "$W" "$1" "$1" "$3")")
  local IFS=,
  printf '{"format_version": "1.0.0", "feature": "f", "project_root": "%s/repo", "tracks": [%s], "merge_strategy": "worktree-merge", "post_merge_qa": []}\n' \
    "$W" "${TRACKS[*]}" >"$D/manifest.json"
}
# tasks FILE ID N: N tasks; each records itself in $TRACE and commits a file
tasks() {
  local f=$D/$1 i; : >"$f"
  for i in $(seq 1 "$3"); do
    printf '### Task %s.%s: step %s\nRun: echo %s.%s >> %s && echo %s > f%s && git add f%s && git commit -qm "task %s.%s"\n\n' \
      "$2" "$i" "$i" "$2" "$i" "$TRACE" "$i" "$i" "$i" "$2" "$i" >>"$f"
  done
}
trace_is() { [ "$(tr '\n' ' ' <"$TRACE")" = "$1" ] || t_fail "trace is '$(tr '\n' ' ' <"$TRACE")', expected '$1'"; }

t_begin "a track runs to completion with seed-format checkpoint and marker"
world complete; add_track 1 models ''; tasks track-1.md 1 2
pd packet "$D/track-1.md"; expect_rc 0; trace_is "1.1 1.2 "
expect_out "Task 1.1: step 1"; expect_out "Track 1 complete (commit $(git -C "$W/wt-1" rev-parse HEAD | cut -c1-12))"
python3 - "$D" "$(git -C "$W/wt-1" rev-parse HEAD)" <<'PY' || t_fail "file formats"
import json, re, sys
d, head = sys.argv[1], sys.argv[2]
cp = json.load(open(f"{d}/track-1.checkpoint.json"))
assert list(cp) == ["format_version", "track", "last_completed_task", "commit", "timestamp", "next_task"], list(cp)
assert cp["format_version"] == "1.0.0" and cp["track"] == 1 and cp["last_completed_task"] == "1.2"
assert cp["next_task"] is None and cp["commit"] == head
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cp["timestamp"])
mk = json.load(open(f"{d}/track-1.completion.json"))
assert list(mk) == ["format_version", "status", "commit", "timestamp"], list(mk)
assert mk["status"] == "complete" and mk["commit"] == head
PY
[ "$(git -C "$W/wt-1" symbolic-ref --short HEAD)" = w/track-1 ] || t_fail "branch"
[ "$(git -C "$W/wt-1" log --format=%s -1)" = "task 1.2" ] || t_fail "commits"

t_begin "a failing task stops the track with its message, record and exit 1"
world failing; add_track 1 models ''; tasks track-1.md 1 3
cp "$D/track-1.md" "$T_TMP/good.md"
sed -i 's/^Run: echo 1.2 >>.*/Run: echo boom; exit 7/' "$D/track-1.md"
pd packet "$D/track-1.md"; expect_rc 1; trace_is "1.1 "
expect_err "Track 1 (models) failed at task 1.2: \`echo boom; exit 7\` (line 5) failed with exit status 7"
expect_err "Resume with: packetdeck packet $D/track-1.md --resume"
[ ! -e "$D/track-1.completion.json" ] || t_fail "a marker was written"
python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); assert f["task"]=="1.2" and f["exit_status"]==7, f' \
  "$D/.packetdeck/track-1.failure.json" || t_fail "failure record"
expect_out "boom"

t_begin "--resume continues at the next task; checkpointed tasks do not run again"
cp "$T_TMP/good.md" "$D/track-1.md"
: >"$TRACE"
pd packet "$D/track-1.md" --resume; expect_rc 0; trace_is "1.2 1.3 "
pd status "$D"; expect_out "✓ Track 1: models (complete)"

t_begin "without --resume a track with a checkpoint starts from task 1"
world restart; add_track 1 models ''; tasks track-1.md 1 2
printf '{"format_version":"1.0.0","track":1,"last_completed_task":"1.1","commit":null,"timestamp":"2026-01-05T12:00:00Z","next_task":"1.2"}\n' >"$D/track-1.checkpoint.json"
pd packet "$D/track-1.md"; expect_rc 0; trace_is "1.1 1.2 "

t_begin "a corrupt checkpoint halts --resume before anything runs"
world corrupt; add_track 1 models ''; tasks track-1.md 1 2
printf '{"track":1,"last_completed' >"$D/track-1.checkpoint.json"
pd packet "$D/track-1.md" --resume; expect_rc 2; trace_is ""
grep -q "packetdeck packet: cannot resume: $D/track-1.checkpoint.json" "$T_TMP/err" || t_fail "message"
[ ! -e "$W/wt-1" ] || t_fail "a worktree was made"

t_begin "a task without commands is refused before anything runs"
world nocmd; add_track 1 models ''; printf '### Task 1.1: a\nRun: echo ran >> %s\n### Task 1.2: think hard\nFiles: x\n' "$TRACE" >"$D/track-1.md"
pd packet "$D/track-1.md"; expect_rc 2; trace_is ""
expect_err "packetdeck packet: $D/track-1.md:3: task 1.2 has no Run: line or sh block: the built-in runner has nothing to execute (run it with an agent runner, e.g. --runner claude)"

t_begin "blocked -> abort exits 3 naming the missing markers"
world blocked; add_track 1 a ''; add_track 2 b ''; add_track 3 c '1, 2'
tasks track-1.md 1 1; tasks track-2.md 2 1; tasks track-3.md 3 1
pd packet "$D/track-2.md"; expect_rc 0
pd packet "$D/track-3.md" --on-blocked abort; expect_rc 3; trace_is "2.1 "
expect_out "Track 3 depends on tracks 1, 2"; expect_out "Missing completion markers: 1"
expect_err "packetdeck: aborted: track 3's dependencies are not complete"
pd packet "$D/track-3.md" </dev/null; expect_rc 3   # ask without a terminal = abort
expect_out "No terminal to ask on: aborting (--on-blocked wait waits instead)"

t_begin "blocked -> wait: another process completes the dependency, the track proceeds within a second"
"$PD" packet "$D/track-3.md" --on-blocked wait --poll 60 >"$T_TMP/waiter.out" 2>&1 & waiter=$!
for _ in $(seq 100); do grep -q "^Waiting" "$T_TMP/waiter.out" && break; sleep 0.05; done
pd packet "$D/track-1.md"; expect_rc 0
t0=$(date +%s%N)
wait "$waiter"; rc=$?; t1=$(date +%s%N)
[ "$rc" = 0 ] || t_fail "waiter exit $rc: $(cat "$T_TMP/waiter.out")"
[ $(( (t1 - t0) / 1000000 )) -lt 1000 ] || t_fail "waiter took $(( (t1 - t0) / 1000000 )) ms after the marker"
trace_is "2.1 1.1 3.1 "

t_begin "wait times out with exit 3"
world timeout; add_track 1 a ''; add_track 2 b 1; tasks track-1.md 1 1; tasks track-2.md 2 1
pd packet "$D/track-2.md" --on-blocked wait --poll 1 --wait-timeout 1; expect_rc 3
expect_err "packetdeck: aborted: dependencies still missing after 1 s"; trace_is ""

t_begin "SIGTERM mid-task stops the whole group, exits 3, and resumes cleanly"
world signal; add_track 1 a ''; tasks track-1.md 1 2
sed -i "s|^Run: echo 1.2 >> $TRACE|Run: sleep 117 \& sleep 117; wait; echo 1.2 >> $TRACE|" "$D/track-1.md"
"$PD" packet "$D/track-1.md" >"$T_TMP/sig.out" 2>&1 & runner=$!
for _ in $(seq 100); do pgrep -f "sleep 117" >/dev/null && break; sleep 0.05; done
kill -TERM "$runner"; wait "$runner"; rc=$?
[ "$rc" = 3 ] || t_fail "exit $rc"
sleep 0.2; pgrep -f "sleep 117" >/dev/null && t_fail "a process of the task survived"
grep -q "Track 1 (a) interrupted: stopped during task 1.2" "$T_TMP/sig.out" || t_fail "message"
sed -i "s|sleep 117 \& sleep 117; wait; ||" "$D/track-1.md"
pd packet "$D/track-1.md" --resume; expect_rc 0; trace_is "1.1 1.2 "

t_begin "a worktree on another branch is a hard failure naming both"
world branch; add_track 1 a ''; tasks track-1.md 1 1
git -C "$W/repo" worktree add -q -b elsewhere "$W/wt-1"
pd packet "$D/track-1.md"; expect_rc 1; trace_is ""
expect_err "Track 1 (a) failed: worktree $W/wt-1 is on branch elsewhere, but the packet's branch is w/track-1; packetdeck never checks out another branch for you"
[ "$(git -C "$W/wt-1" symbolic-ref --short HEAD)" = elsewhere ] || t_fail "branch changed"

t_begin "a track held by another process is refused with exit 4"
world held; add_track 1 a ''; tasks track-1.md 1 1; mkdir -p "$D/.packetdeck"
printf '{"pid":777,"host":"other","since":"2026-01-05T12:00:00Z"}' >"$D/.packetdeck/track-1.lock"
setsid flock -o "$D/.packetdeck/track-1.lock" sleep 30 >/dev/null 2>&1 </dev/null & holder=$!
for _ in $(seq 50); do flock -n "$D/.packetdeck/track-1.lock" true || break; sleep 0.1; done
pd packet "$D/track-1.md"; expect_rc 4; trace_is ""
expect_err "packetdeck packet: $D/.packetdeck/track-1.lock is held by pid 777 on other since 2026-01-05T12:00:00Z"
kill -- -"$holder"; wait "$holder" 2>/dev/null
pd packet "$D/track-1.md"; expect_rc 0
expect_out "notice: took over the lock of pid 777 on other since 2026-01-05T12:00:00Z, which is no longer running"

t_begin "a track \`run\` executes is refused to packet with exit 4; run makes no lock file for it"
world byrun; add_track 1 a ''
printf '### Task 1.1: hold\nRun: echo started >> %s; while [ ! -e %s/release ]; do sleep 0.05; done\n' "$TRACE" "$W" >"$D/track-1.md"
"$PD" run "$D" </dev/null >"$W/run.out" 2>"$W/run.err" & runner=$!
for _ in $(seq 100); do [ -s "$TRACE" ] && break; sleep 0.1; done
[ -s "$TRACE" ] || t_fail "run never started the task: $(cat "$W/run.err")"
[ ! -e "$D/.packetdeck/track-1.lock" ] || t_fail "run made a lock file for the track"
pd status "$D"; expect_rc 0
grep -q "Track 1: a (running elsewhere, pid $runner)" "$T_TMP/out" || t_fail "status: $(cat "$T_TMP/out")"
pd packet "$D/track-1.md"; expect_rc 4
grep -q "^packetdeck packet: track 1 is being executed by the run of pid $runner on " "$T_TMP/err" ||
  t_fail "packet's refusal: $(cat "$T_TMP/err")"
[ "$(cat "$TRACE")" = started ] || t_fail "the task ran again: $(cat "$TRACE")"
touch "$W/release"; wait "$runner"; RC=$?; expect_rc 0
pd status "$D"; grep -q "Track 1: a (complete" "$T_TMP/out" || t_fail "after the run: $(cat "$T_TMP/out")"

t_begin "names and branches with shell metacharacters stay data"
world inject; TRACKS=()
TRACKS+=('{"id": 1, "name": "x; touch PWNED1 $(touch PWNED2) `touch PWNED3`", "packet": "track-1.md", "worktree": "'"$W"'/wt-1", "branch": "w/1", "depends_on": []}')
printf '{"format_version": "1.0.0", "feature": "f", "project_root": "%s/repo", "tracks": [%s], "merge_strategy": "m", "post_merge_qa": []}\n' "$W" "${TRACKS[0]}" >"$D/manifest.json"
printf '### Task 1.1: t\nRun: printf "%%s" "$PACKETDECK_WORKTREE" > seen\n' >"$D/track-1.md"
(cd "$W" && pd packet "$D/track-1.md"); expect_rc 0
ls "$W" "$D" "$W/wt-1" | grep -q PWNED && t_fail "something ran"
[ "$(cat "$W/wt-1/seen")" = "$W/wt-1" ] || t_fail "env"

t_begin "--json prints events as JSON lines"
world json; add_track 1 a ''; tasks track-1.md 1 2
pd packet "$D/track-1.md" --json; expect_rc 0
grep '^{' "$T_TMP/out" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
kinds = [e["event"] for e in ev]
assert kinds == ["task_started", "checkpoint", "task_started", "checkpoint", "track_completed"], kinds
assert ev[1]["task"] == "1.1" and ev[1]["next_task"] == "1.2" and len(ev[1]["commit"]) == 40
assert ev[3]["next_task"] is None and all("ts" in e for e in ev)
' || t_fail "events"

t_begin "a repository libgit2 cannot open is handled through the git command"
world fallback; add_track 1 a ''; tasks track-1.md 1 1
git -C "$W/repo" config core.repositoryformatversion 1; git -C "$W/repo" config extensions.worktreeConfig true
pd packet "$D/track-1.md"; expect_rc 0; trace_is "1.1 "
[ "$(git -C "$W/wt-1" symbolic-ref --short HEAD)" = w/track-1 ] || t_fail "branch"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["commit"] == sys.argv[2]' \
  "$D/track-1.completion.json" "$(git -C "$W/wt-1" rev-parse HEAD)" || t_fail "marker commit"

t_summary
