#!/usr/bin/env bash
# test_run.sh - `packetdeck run`, headless, on real git repositories: a
# diamond to completion, failure halting the sequence, resume without
# re-running checkpointed tasks, an idempotent second run, blocked -> abort
# or wait, wait timeout, run.lock refused and taken over, agent-style
# runners (and one that violates the protocol), injection, signals,
# handoff, JSON events.
# usage: test_run.sh PACKETDECK
set -u
PD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
export GIT_CONFIG_NOSYSTEM=1 HOME="$T_TMP"
unset PACKETDECK_RUNNER

# world NAME [WT_PREFIX]: a repo, a packet dir, and the diamond 1 -> {2, 3} -> 4
world() {
  W="$T_TMP/$1"; rm -rf "$W"; mkdir -p "$W"
  git init -q -b main "$W/repo" && git -C "$W/repo" commit -q --allow-empty -m initial
  D="$W/packets"; mkdir -p "$D"; TRACE="$W/trace"; : >"$TRACE"
  local wt="${2:-$W/wt}" i
  printf '{"format_version": "1.0.0", "feature": "diamond", "project_root": "%s/repo", "tracks": [' "$W" >"$D/manifest.json"
  for i in 1 2 3 4; do
    deps=''; [ $i = 2 ] || [ $i = 3 ] && deps=1; [ $i = 4 ] && deps='2, 3'
    printf '%s{"id": %s, "name": "t%s", "packet": "track-%s.md", "worktree": "%s-%s", "branch": "d/track-%s", "depends_on": [%s]}' \
      "$([ $i = 1 ] || echo ,)" $i $i $i "$wt" $i $i "$deps" >>"$D/manifest.json"
    printf '### Task %s.1: first\nRun: echo %s.1 >> %s\n\n### Task %s.2: second\nRun: echo %s.2 >> %s\n' \
      $i $i "$TRACE" $i $i "$TRACE" >"$D/track-$i.md"
  done
  printf '], "merge_strategy": "worktree-merge", "post_merge_qa": []}\n' >>"$D/manifest.json"
}
trace_is() { [ "$(tr '\n' ' ' <"$TRACE")" = "$1" ] || t_fail "trace is '$(tr '\n' ' ' <"$TRACE")', expected '$1'"; }
run() { "$PD" run "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?; }

t_begin "a diamond runs to completion, each track once, in order"
world diamond; run "$D"; expect_rc 0
trace_is "1.1 1.2 2.1 2.2 3.1 3.2 4.1 4.2 "
expect_out "Run of diamond: 4 tracks, 0 complete; order 1, 2, 3, 4 (runner: builtin)"
expect_out "Completed: 3/4"
expect_out "All tracks completed. Next: /merge-work-packets $D"
expect_out "Then: packetdeck merge $D"
for i in 1 2 3 4; do
  python3 - "$D" $i "$(git -C "$W/wt-$i" rev-parse HEAD)" <<'PY' || t_fail "track $i files"
import json, sys
d, i, head = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cp = json.load(open(f"{d}/track-{i}.checkpoint.json"))
assert list(cp) == ["format_version", "track", "last_completed_task", "commit", "timestamp", "next_task"]
assert cp["track"] == i and cp["last_completed_task"] == f"{i}.2" and cp["next_task"] is None
mk = json.load(open(f"{d}/track-{i}.completion.json"))
assert mk["status"] == "complete" and mk["commit"] == head
PY
  [ "$(git -C "$W/wt-$i" symbolic-ref --short HEAD)" = "d/track-$i" ] || t_fail "branch $i"
done
# tracks that completed without a word leave no log (their events are in events.jsonl)
for i in 1 2 3 4; do [ ! -e "$D/.packetdeck/track-$i.log" ] || t_fail "a log for silent track $i"; done
grep -q '"event":"task_started".*"task":"2.1"' "$D/.packetdeck/events.jsonl" || t_fail "no task_started in the journal"

t_begin "a second run after completion runs nothing"
: >"$TRACE"; run "$D"; expect_rc 0; trace_is ""
expect_out "Track 4 (t4): skipped, complete"

t_begin "a failing task halts the run: no dependent starts"
world failure; sed -i 's|^Run: echo 2.2 >>.*|Run: echo 2.2-broken; exit 4|' "$D/track-2.md"
run "$D"; expect_rc 1; trace_is "1.1 1.2 2.1 "
expect_err "Track 2 (t2) failed at task 2.2: \`echo 2.2-broken; exit 4\` (line 5) failed with exit status 4"
expect_err "No later track was started. Fix it, then: packetdeck run $D --resume"
[ ! -e "$W/wt-3" ] && [ ! -e "$D/track-3.checkpoint.json" ] || t_fail "track 3 started"
# the failed track's log: its header lines, held until there was output, then the output
L="$D/.packetdeck/track-2.log"
[ "$(grep -n . "$L" | sed -n '1s/^1:=== [0-9T:Z-]* packetdeck run [0-9a-f]*: track 2 started (runner: builtin) ===$/ok/p')" = ok ] \
  || t_fail "log header: $(head -1 "$L")"
grep -q "^=== [0-9T:Z-]* task 2.1: first ===$" "$L" && grep -qx "2.2-broken" "$L" && grep -q "runner ended: failed" "$L" \
  || t_fail "log content: $(cat "$L")"
[ ! -e "$D/.packetdeck/track-1.log" ] || t_fail "a log for silent track 1"
pd status "$D"; expect_out "  Track 4: t4 (blocked on 2 (failed))"

t_begin "run --resume continues at the next task; checkpointed tasks do not run again"
sed -i "s|^Run: echo 2.2-broken; exit 4|Run: echo 2.2 >> $TRACE|" "$D/track-2.md"
: >"$TRACE"; run "$D" --resume; expect_rc 0
trace_is "2.2 3.1 3.2 4.1 4.2 "

t_begin "run without --resume runs a track again from its first task, and reports each checkpoint again"
world again; sed -i 's|^Run: echo 2.2 >>.*|Run: exit 4|' "$D/track-2.md"
run "$D"; expect_rc 1
sed -i "s|^Run: exit 4|Run: echo 2.2 >> $TRACE|" "$D/track-2.md"
: >"$TRACE"; run "$D" --json; expect_rc 0
trace_is "2.1 2.2 3.1 3.2 4.1 4.2 "
python3 - "$T_TMP/out" <<'PY' || t_fail "checkpoint events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
cp = [e["task"] for e in ev if e["event"] == "checkpoint" and e["track"] == 2]
assert cp == ["2.1", "2.2"], cp
PY

t_begin "run --resume with a corrupt checkpoint halts, saying where it is corrupt"
world corrupt; printf '{"track": 1, "last_comp' >"$D/track-1.checkpoint.json"
run "$D" --resume; expect_rc 1; trace_is ""
expect_err "Track 1 (t1) failed: cannot resume: $D/track-1.checkpoint.json:1:15: not valid JSON (fix or remove it to start over)"

t_begin "a track executed elsewhere: abort exits 3"
world held; mkdir -p "$D/.packetdeck"
printf '{"pid":4242,"host":"there","since":"2026-01-05T12:00:00Z"}' >"$D/.packetdeck/track-1.lock"
setsid flock -o "$D/.packetdeck/track-1.lock" sleep 30 >/dev/null 2>&1 </dev/null & holder=$!
for _ in $(seq 50); do flock -n "$D/.packetdeck/track-1.lock" true || break; sleep 0.1; done
run "$D" --on-blocked abort; expect_rc 3; trace_is ""
expect_out "Track 1 (t1) is being executed by another process"
expect_err "packetdeck run: aborted: track 1 is blocked: it is being executed by another process"
run "$D"; expect_rc 3; expect_out "No terminal to ask on: aborting (--on-blocked wait waits instead)"

t_begin "blocked -> wait: the other process completes the track, the run proceeds within a second"
"$PD" run "$D" --on-blocked wait --poll 60 >"$T_TMP/waiter.out" 2>&1 </dev/null & runner=$!
for _ in $(seq 100); do grep -q "^Waiting" "$T_TMP/waiter.out" && break; sleep 0.05; done
grep -q "^Waiting" "$T_TMP/waiter.out" || t_fail "not waiting: $(cat "$T_TMP/waiter.out")"
# the other process made track 1's branch and committed (a marker must be
# backed by a commit on the branch)
git -C "$W/repo" branch d/track-1 && c=$(git -C "$W/repo" rev-parse d/track-1)
printf '{"format_version":"1.0.0","status":"complete","commit":"%s","timestamp":"2026-01-05T13:00:00Z"}\n' "$c" >"$D/track-1.completion.json"
t0=$(date +%s%N)
for _ in $(seq 100); do grep -q "Track 1 (t1): skipped" "$T_TMP/waiter.out" && break; sleep 0.01; done
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -lt 1000 ] || t_fail "noticed after $(( (t1 - t0) / 1000000 )) ms"
wait "$runner"; [ $? = 0 ] || t_fail "run failed: $(cat "$T_TMP/waiter.out")"
trace_is "2.1 2.2 3.1 3.2 4.1 4.2 "
kill -- -"$holder" 2>/dev/null; wait "$holder" 2>/dev/null

t_begin "wait times out with exit 3"
world timeout; mkdir -p "$D/.packetdeck"; : >"$D/.packetdeck/track-1.lock"
setsid flock -o "$D/.packetdeck/track-1.lock" sleep 30 >/dev/null 2>&1 </dev/null & holder=$!
for _ in $(seq 50); do flock -n "$D/.packetdeck/track-1.lock" true || break; sleep 0.1; done
run "$D" --on-blocked wait --poll 1 --wait-timeout 1; expect_rc 3
expect_err "packetdeck run: aborted: track 1: waited 1 s and it is still blocked"
kill -- -"$holder" 2>/dev/null; wait "$holder" 2>/dev/null

t_begin "a second run is refused with exit 4 naming the holder; a dead run's lock is taken over"
world lock; mkdir -p "$D/.packetdeck"
printf '{"pid":999,"host":"box","since":"2026-01-05T12:00:00Z","run_id":"abc"}' >"$D/.packetdeck/run.lock"
setsid flock -o "$D/.packetdeck/run.lock" sleep 30 >/dev/null 2>&1 </dev/null & holder=$!
for _ in $(seq 50); do flock -n "$D/.packetdeck/run.lock" true || break; sleep 0.1; done
run "$D"; expect_rc 4; trace_is ""
expect_err "packetdeck run: another run is executing this packet dir: $D/.packetdeck/run.lock is held by pid 999 on box since 2026-01-05T12:00:00Z (run abc)"
kill -- -"$holder"; wait "$holder" 2>/dev/null
run "$D"; expect_rc 0
expect_out "notice: took over the run lock of pid 999 on box since 2026-01-05T12:00:00Z (run abc), which is no longer running"

t_begin "an agent-style runner writes checkpoints and the marker itself"
world agent
# an old checkpoint of the same task: the agent's new one is news all the same
printf '{"format_version":"1.0.0","track":1,"last_completed_task":"1.1","commit":null,"timestamp":"2020-01-01T00:00:00Z","next_task":"1.2"}\n' >"$D/track-1.checkpoint.json"
run "$D" --runner "bash $HERE/fake_agent.sh agent {packet} {track}"; expect_rc 0
[ "$(tr '\n' ' ' <"$D/agent-trace")" = "1.1 1.2 2.1 2.2 3.1 3.2 4.1 4.2 " ] || t_fail "agent trace"
expect_out "  checkpoint: task 1.1 done at $(git -C "$W/wt-1" rev-parse HEAD~1 | cut -c1-12); next: 1.2"
grep -q "agent: doing task 3.2" "$D/.packetdeck/track-3.log" || t_fail "log"
trace_is ""   # the built-in commands did not run

t_begin "a runner that exits 0 without a marker has failed (protocol violation)"
world violation; run "$D" --runner "bash $HERE/fake_agent.sh no-marker {packet} {track}"; expect_rc 1
expect_err "Track 1 (t1) failed: the runner exited 0 without a valid completion marker (protocol violation: re-run the track); it said: agent: doing task 1.1 / agent: doing task 1.2 (the whole output: $D/.packetdeck/track-1.log)"
[ ! -e "$W/wt-2" ] || t_fail "track 2 started"
python3 -c 'import json,sys; assert "protocol violation" in json.load(open(sys.argv[1]))["message"]' \
  "$D/.packetdeck/track-1.failure.json" || t_fail "record"

t_begin "an agent's marker without a commit since the start fails the track, is never counted, and a real one then completes"
world nocommit; run "$D" --runner "bash $HERE/fake_agent.sh no-commit {packet} {track}"; expect_rc 1
start=$(git -C "$W/repo" rev-parse HEAD)
expect_err "Track 1 (t1) failed: track 1 claims completion but branch d/track-1 has no commit since it started at $(echo "$start" | cut -c1-7); it said: agent: doing task 1.1 / agent: doing task 1.2 (the whole output: $D/.packetdeck/track-1.log)"
expect_err "Hint: the agent must commit its work before it writes the marker; packetdeck never touches the marker: run the track again"
[ ! -e "$W/wt-2" ] || t_fail "track 2 started"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commit"])' "$D/.packetdeck/track-1.start.json")" = "$start" ] || t_fail "start record"
"$PD" status "$D" >"$T_TMP/out" 2>"$T_TMP/err" || t_fail "status"
grep -q "^✗ Track 1: t1 (failed: track 1 claims completion .*; its completion marker is refuted by that failure; checkpoint: the checkpoint names no commit (null))$" "$T_TMP/out" || t_fail "status: $(cat "$T_TMP/out")"
expect_out "Completed: 0/4"
"$PD" status --json "$D" >"$T_TMP/out" || t_fail "status --json"
python3 - "$T_TMP/out" <<'PY' || t_fail "status --json: $(cat "$T_TMP/out")"
import json, sys
t = json.load(open(sys.argv[1]))["tracks"][0]
assert t["state"] == "failed" and t["marker"]["verified"] is False, t
assert t["checkpoint"]["commit_problem"] == "the checkpoint names no commit (null)", t
PY
marker=$(cat "$D/track-1.completion.json")
run "$D" --runner "bash $HERE/fake_agent.sh agent {packet} {track}"; expect_rc 0
expect_out "All tracks completed. Next: /merge-work-packets $D"
[ "$(cat "$D/track-1.completion.json")" != "$marker" ] || t_fail "the agent's new marker"

t_begin "a marker naming a commit that does not exist fails the track; the next run halts and never touches it"
world bogus; run "$D" --runner "bash $HERE/fake_agent.sh bogus {packet} {track}"; expect_rc 1
expect_err "Track 1 (t1) failed: its completion marker is not backed by the branch: $D/track-1.completion.json: commit 0123456789ab is not in the repository; it said: agent: doing task 1.1 / agent: doing task 1.2 (the whole output: $D/.packetdeck/track-1.log)"
marker=$(cat "$D/track-1.completion.json")
run "$D" --runner "bash $HERE/fake_agent.sh agent {packet} {track}"; expect_rc 1
expect_err "Track 1 (t1) failed: completion marker not backed by the branch ($D/track-1.completion.json: commit 0123456789ab is not in the repository); packetdeck never replaces a marker: inspect it and move it away"
[ "$(cat "$D/track-1.completion.json")" = "$marker" ] || t_fail "marker touched"
"$PD" status "$D" >"$T_TMP/out" 2>&1
grep -q "completion marker not backed by the branch: $D/track-1.completion.json: commit 0123456789ab is not in the repository)$" "$T_TMP/out" || t_fail "status: $(cat "$T_TMP/out")"
"$PD" plan "$D" >"$T_TMP/out" 2>&1
grep -q "halt    completion marker is not backed by the branch" "$T_TMP/out" || t_fail "plan: $(cat "$T_TMP/out")"

t_begin "an agent's stream-json is shown as readable lines; --json has its activity and usage; the log keeps it raw"
world stream; run "$D" --runner "bash $HERE/fake_claude.sh {packet} {track}"; expect_rc 0
expect_out "▸ Bash  git commit -m task-1.1"
expect_out "  ✓ exit 0"
expect_out "plain words $(printf '\033[1m')bold$(printf '\033[0m')"
! grep -q '^{"type"' "$T_TMP/out" || t_fail "raw JSON printed: $(grep '^{"type"' "$T_TMP/out" | head -2)"
grep -q '^{"type":"assistant"' "$D/.packetdeck/track-1.log" || t_fail "the log lost the raw stream"
run "$D" --runner "bash $HERE/fake_claude.sh {packet} {track}" --ascii; expect_rc 0
! grep -q "▸" "$T_TMP/out" || t_fail "--ascii"
world stream-json; run "$D" --runner "bash $HERE/fake_claude.sh {packet} {track}" --json; expect_rc 0
python3 - "$T_TMP/out" <<'PY' || t_fail "events: $(grep agent_ "$T_TMP/out" | head -4)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
act = [e for e in ev if e["event"] == "agent_activity" and e["track"] == 1]
assert act[0]["kind"] == "tool" and act[0]["tool"] == "Bash" and act[0]["summary"] == "git commit -m task-1.1", act[0]
assert act[1]["kind"] == "result" and act[1]["summary"] == "git commit -m task-1.1", act[1]
use = [e for e in ev if e["event"] == "agent_usage" and e["track"] == 1]
assert use[0]["turns"] == 1 and use[0]["input_tokens"] == 100 and "cost_usd" not in use[0], use[0]
assert use[-1]["turns"] == 2 and use[-1]["output_tokens"] == 20 and use[-1]["cost_usd"] == 0.25, use[-1]
assert not any(e["event"] == "agent_activity" and e["kind"] == "message" and "plain" in e.get("summary", "") for e in ev)
PY
world stream-quiet; run "$D" --runner "bash $HERE/fake_claude.sh {packet} {track}" --quiet; expect_rc 0
! grep -q "▸\|plain words" "$T_TMP/out" || t_fail "--quiet printed the agent's lines"

t_begin "--notify runs its command, without a shell, on the events that need a person and at the end"
rec() { printf 'printf "%%s|%%s|%%s|%%s\\n" "$1" "$2" "$PACKETDECK_EVENT" "$PACKETDECK_MESSAGE" >>"%s"\n' "$W/calls" >"$W/rec.sh"; }
world notify; rec
sed -i "s|^Run: echo 3.2 .*|Run: echo 'x;\$(touch $W/PWNED)' ; exit 4|" "$D/track-3.md"
run "$D" --notify "sh $W/rec.sh {event} {track}"; expect_rc 1
grep -qx "handoff_suggested|-|handoff_suggested|Completed 1/4: /handoff suggested" "$W/calls" || t_fail "calls: $(cat "$W/calls")"
grep -q "^track_failed|3|track_failed|Track 3 (t3) failed at task 3.2: " "$W/calls" || t_fail "calls: $(cat "$W/calls")"
[ ! -e "$W/PWNED" ] || t_fail "a message was run"
grep -q "=== .* track_failed: Track 3 (t3) failed" "$D/.packetdeck/notify.log" || t_fail "notify.log"
world notify-ok; rec; run "$D" --notify "sh $W/rec.sh {event} {track}" --handoff continue; expect_rc 0
[ "$(tail -n 1 "$W/calls")" = "run_completed|-|run_completed|All tracks completed (4/4)" ] || t_fail "calls: $(cat "$W/calls")"
run "$D" --notify "sh {nosuch}"; expect_rc 2
expect_err "packetdeck run: --notify: runner template: unknown placeholder {nosuch}"
world notify-missing; run "$D" --notify "/nonexistent/bin {event}"; expect_rc 0
[ "$(grep -c "nonexistent" "$T_TMP/err")" = 1 ] || t_fail "said $(grep -c nonexistent "$T_TMP/err") times: $(cat "$T_TMP/err")"

t_begin "packets without Run: lines: the built-in runner refuses before anything is done (exit 2), plan says so"
world bare
printf '### Task 2.1: first\nDo it by hand.\n\n### Task 2.2: second\nAnd this.\n' >"$D/track-2.md"
printf '### Task 4.1: only\nNothing to run.\n' >"$D/track-4.md"
run "$D"; expect_rc 2
expect_err "packetdeck run: the built-in runner has nothing to execute in track 2 (t2): track-2.md:1: task 2.1 has no Run: line or sh block (and 1 more task); track 4 (t4): track-4.md:1: task 4.1 has no Run: line or sh block: run these tracks with an agent runner (--runner claude or --runner codex)"
[ ! -e "$D/.packetdeck" ] && [ ! -e "$W/wt-1" ] && [ -z "$(git -C "$W/repo" branch --list 'd/*')" ] || t_fail "something was done"
"$PD" plan "$D" >"$T_TMP/out" 2>&1
grep -q "2 .*the built-in runner has nothing to execute here (task 2.1 has no Run: line, nor have others): run it with an agent runner (--runner claude)" "$T_TMP/out" || t_fail "plan: $(cat "$T_TMP/out")"
run "$D" --runner "bash $HERE/fake_agent.sh agent {packet} {track}"; expect_rc 0

t_begin "an agent without progress is stopped after --idle-timeout; any runner after --track-timeout"
world idle; t0=$(date +%s)
run "$D" --runner "bash $HERE/fake_agent.sh silent {packet} {track}" --idle-timeout 2; expect_rc 1
[ $(( $(date +%s) - t0 )) -lt 15 ] || t_fail "took $(( $(date +%s) - t0 )) s"
expect_err "Track 1 (t1) failed: stopped after 2s without progress (--idle-timeout: no output, no checkpoint); it said: agent: thinking (the whole output: $D/.packetdeck/track-1.log)"
[ -z "$(left_under "$W")" ] || t_fail "a runner was left: $(left_under "$W")"
world whole; run "$D" --runner "bash $HERE/fake_agent.sh silent {packet} {track}" --track-timeout 1; expect_rc 1
expect_err "Track 1 (t1) failed: stopped after --track-timeout 1s; it said: agent: thinking (the whole output: $D/.packetdeck/track-1.log)"
run "$D" --idle-timeout soon; expect_rc 2

t_begin "an agent CLI that is not installed is named, with where to get it, before anything is done"
world missing
PATH=/usr/bin:/bin run "$D" --runner claude; expect_rc 2
expect_err "packetdeck run: --runner claude: claude: not found on PATH (npm install -g @anthropic-ai/claude-code)"
PATH=/usr/bin:/bin run "$D" --runner codex; expect_rc 2
expect_err "packetdeck run: --runner codex: codex: not found on PATH (npm install -g @openai/codex)"
run "$D" --runner "no-such-agent {packet}"; expect_rc 2
expect_err "packetdeck run: --runner TEMPLATE: no-such-agent: not found on PATH"
[ ! -e "$W/wt-1" ] && [ ! -e "$D/.packetdeck" ] || t_fail "something was done"

t_begin "template arguments reach the runner as one literal argument each"
# the characters paths may hold that a shell would split or expand (those it
# would execute - ; $ ` ' " | & - are refused by validate; the template layer
# passes them literally too: see test_runner.c)
world "inject" "$T_TMP/inject/work tree *? [x] #~%"
run "$D" --runner "bash $HERE/fake_agent.sh argv {packet} {track} \"$T_TMP/argv\" {worktree} 'x {branch} y'"; expect_rc 0
python3 - "$T_TMP/argv" "$D" "$T_TMP" <<'PY' || t_fail "argv"
import sys
lines = open(sys.argv[1]).read().split("\n")
d, t = sys.argv[2], sys.argv[3]
assert lines[0] == f"{d}/track-4.md", lines
assert lines[1] == "4" and lines[2] == f"{t}/argv"
assert lines[3] == f"{t}/inject/work tree *? [x] #~%-4", lines[3]
assert lines[4] == "x d/track-4 y", lines[4]
PY

t_begin "SIGTERM stops the runner's whole group, exits 3, and resumes cleanly"
world signal; sed -i "s|^Run: echo 2.2 >> $TRACE|Run: sleep 118 \& sleep 118; echo 2.2 >> $TRACE|" "$D/track-2.md"
"$PD" run "$D" >"$T_TMP/sig.out" 2>&1 </dev/null & runner=$!
for _ in $(seq 200); do pgrep -f "sleep 118" >/dev/null && break; sleep 0.05; done
kill -TERM "$runner"; wait "$runner"; rc=$?
[ "$rc" = 3 ] || t_fail "exit $rc: $(cat "$T_TMP/sig.out")"
sleep 0.3; pgrep -f "sleep 118" >/dev/null && t_fail "a process of the runner survived"
grep -q "packetdeck run: aborted: stopped by SIGTERM" "$T_TMP/sig.out" || t_fail "message"
pd status "$D"; expect_out "→ Track 2: t2 (next, interrupted after task 2.1)"
sed -i "s|sleep 118 \& sleep 118; ||" "$D/track-2.md"
: >"$TRACE"; run "$D" --resume; expect_rc 0; trace_is "2.2 3.1 3.2 4.1 4.2 "

t_begin "SIGKILL to run: its guard stops the task's whole group (SIGTERM); the run resumes"
world sigkill; sed -i "s|^Run: echo 2.2 >> $TRACE|Run: sleep 119; echo 2.2 >> $TRACE|" "$D/track-2.md"
"$PD" run "$D" >"$T_TMP/kill.out" 2>&1 </dev/null & runner=$!
for _ in $(seq 200); do pgrep -f "^sleep 119" >/dev/null && break; sleep 0.05; done
pgrep -f "^sleep 119" >/dev/null || t_fail "the task never started: $(cat "$T_TMP/kill.out")"
kill -KILL "$runner"; wait "$runner" 2>/dev/null
for _ in $(seq 120); do pgrep -f "^sleep 119" >/dev/null || break; sleep 0.05; done
pgrep -f "^sleep 119" >/dev/null && t_fail "the task outlived the killed run"
sed -i "s|sleep 119; ||" "$D/track-2.md"
: >"$TRACE"; run "$D" --resume; expect_rc 0; trace_is "2.2 3.1 3.2 4.1 4.2 "

t_begin "a crashed run's leftover runner is recognised by its run id and stopped"
world crash
# an agent-style runner that ignores SIGTERM; the run is killed with SIGKILL (a crash)
setsid "$PD" run "$D" --runner "bash $HERE/fake_agent.sh stubborn {packet} {track}" >"$T_TMP/crash.out" 2>&1 </dev/null & crashed=$!
for _ in $(seq 100); do pgrep -f "^sleep 303" >/dev/null && break; sleep 0.05; done
leftover=$(pgrep -f "^sleep 303")
[ -n "$leftover" ] || t_fail "the runner never started: $(cat "$T_TMP/crash.out")"
kill -KILL "$crashed"; wait "$crashed" 2>/dev/null
sleep 0.2; kill -0 "$leftover" 2>/dev/null || t_fail "the runner did not outlive the crash (nothing to test)"
run "$D" --runner "bash $HERE/fake_agent.sh agent {packet} {track}"; expect_rc 0
grep -q "^notice: took over the run lock of pid $crashed on " "$T_TMP/out" || t_fail "takeover notice"
grep -q "^notice: stopping 1 leftover process of run [0-9a-f]*: $leftover$" "$T_TMP/out" || t_fail "leftover notice"
sleep 0.2; pgrep -f "^sleep 303" >/dev/null && t_fail "the leftover runner still runs"

t_begin "--handoff stop writes handoff.md and exits 5; running again continues"
world handoff; run "$D" --handoff stop; expect_rc 5; trace_is "1.1 1.2 "
grep -q "^    packetdeck run $D$" "$D/.packetdeck/handoff.md" || t_fail "command"
grep -q "^- Track 1: t1 (commit" "$D/.packetdeck/handoff.md" || t_fail "done list"
grep -q "^- Track 4: t4 (packet track-4.md" "$D/.packetdeck/handoff.md" || t_fail "next list"
run "$D"; expect_rc 0; trace_is "1.1 1.2 2.1 2.2 3.1 3.2 4.1 4.2 "

t_begin "on a terminal, run shows the dashboard and asks in a dialog: [c]ontinue / [s]top"
world tty
python3 - "$PD" "$D" <<'PY' || t_fail "prompt"
import os, pty, sys, time
pd, d = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop("CI", None)
    os.environ["TERM"] = "xterm"
    os.environ["LANG"] = "C.UTF-8"
    os.execv(pd, [pd, "run", "--handoff-timeout", "0", d])
out, deadline = b"", time.time() + 20
while b"[s]top for handoff" not in out and time.time() < deadline:
    try:
        out += os.read(fd, 4096)
    except OSError:
        break
assert b"[s]top for handoff" in out, out
os.write(fd, b"s")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 5, (status, out)
assert b"Stopped for /handoff" in out
PY
trace_is "1.1 1.2 "

t_begin "--json prints the events, and events.jsonl holds them too"
world json; run "$D" --json; expect_rc 0
python3 - "$T_TMP/out" "$D/.packetdeck/events.jsonl" <<'PY' || t_fail "events"
import json, sys
out = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
journal = [json.loads(l) for l in open(sys.argv[2])]
kinds = [e["event"] for e in out]
assert kinds[0] == "run_started" and kinds[-1] == "run_completed", kinds
assert kinds.count("track_started") == 4 and kinds.count("track_completed") == 4
assert kinds.count("checkpoint") == 8 and kinds.count("handoff_suggested") == 3
assert [e["event"] for e in journal] == kinds
assert out[0]["order"] == [1, 2, 3, 4] and out[-1]["completed"] == 4
PY

t_begin "every checkpoint is an event, also of tasks done while run was not looking"
# Task 1.1 stops the run process (the runner's parent) and 1.6 continues
# it: 1.2-1.5 are checkpointed while it cannot look at the file. They
# also check that the status channel does not reach the commands.
world burst
{
  printf '### Task 1.1: stop run\nRun: R=$(cut -d" " -f4 /proc/$PPID/stat); (sleep 20; kill -CONT $R) >/dev/null 2>&1 & kill -STOP $R\n\n'
  for i in 2 3 4 5; do
    printf '### Task 1.%s: fast\nRun: test ! -e /proc/$$/fd/3 && test -z "${PACKETDECK_STATUS_FD-}"\n\n' $i
  done
  printf '### Task 1.6: continue run\nRun: kill -CONT $(cut -d" " -f4 /proc/$PPID/stat)\n'
} >"$D/track-1.md"
run "$D" --json; expect_rc 0
python3 - "$T_TMP/out" <<'PY' || t_fail "checkpoint events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
cp = [(e["task"], e["next_task"]) for e in ev if e["event"] == "checkpoint" and e["track"] == 1]
assert cp == [("1.%d" % i, "1.%d" % (i + 1) if i < 6 else None) for i in range(1, 7)], cp
PY
! grep -F "ignored:" "$D/.packetdeck/track-1.log" || t_fail "a status line was ignored"

t_summary
