#!/usr/bin/env bash
# test_limit.sh - a usage limit waited out: an agent runner that says it
# hit its limit (claude's stream-json forms) has its track recorded as
# limited, the run waits for the reset (or polls when none is known) and
# starts the track again from its checkpoint, by itself; --on-limit abort
# stops with exit 3 and the track resumes later; status and plan show it.
# usage: test_limit.sh PACKETDECK
set -u
PD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
export GIT_CONFIG_NOSYSTEM=1 HOME="$T_TMP"
unset PACKETDECK_RUNNER

# world NAME: a repo and two tracks, 2 after 1, three tasks each
world() {
  W="$T_TMP/$1"; rm -rf "$W"; mkdir -p "$W"
  git init -q -b main "$W/repo" && git -C "$W/repo" commit -q --allow-empty -m initial
  D="$W/packets"; mkdir -p "$D"
  cat >"$D/manifest.json" <<J
{"format_version":"1.0.0","feature":"lim","project_root":"$W/repo","tracks":[
{"id":1,"name":"one","packet":"track-1.md","worktree":"$W/wt-1","branch":"l/t1","depends_on":[]},
{"id":2,"name":"two","packet":"track-2.md","worktree":"$W/wt-2","branch":"l/t2","depends_on":[1]}],
"merge_strategy":"worktree-merge","post_merge_qa":[]}
J
  printf '### Task 1.1: a\n\n### Task 1.2: b\n\n### Task 1.3: c\n' >"$D/track-1.md"
  printf '### Task 2.1: a\n' >"$D/track-2.md"
}
agent() { local m=$1; shift; echo "bash $HERE/fake_limited.sh $m {packet} {track} $*"; }
run() { timeout 120 "$PD" run "$@" --no-tui >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?; }
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

t_begin "a limit with a reset time: the run waits, then the track starts again at its checkpoint"
world once
"$PD" run "$D" --no-tui --runner "bash $HERE/fake_limited.sh once {packet} {track} 3" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null & pid=$!
for _ in $(seq 100); do [ -e "$D/.packetdeck/track-1.limit.json" ] && break; sleep 0.1; done
[ -e "$D/.packetdeck/track-1.limit.json" ] || t_fail "no limit record"
reset=$(json_field "$D/.packetdeck/track-1.limit.json" resets_at)
"$PD" status "$D" >"$T_TMP/st" 2>&1
grep -qx "  Track 1: one (usage limit until $reset)" "$T_TMP/st" || grep -q "Track 1: one (usage limit until $reset)" "$T_TMP/st" || t_fail "status: $(cat "$T_TMP/st")"
"$PD" status "$D" --json | python3 -c 'import json,sys; t=json.load(sys.stdin)["tracks"][0]; assert t["state"]=="limited", t; assert t["limit"]["resets_at"], t' || t_fail "status --json"
"$PD" plan "$D" >"$T_TMP/plan" 2>&1
grep -q "its agent hit a usage limit until $reset" "$T_TMP/plan" || t_fail "plan: $(cat "$T_TMP/plan")"
wait $pid; RC=$?; expect_rc 0
expect_out "All tracks completed. Next: /merge-work-packets $D"
grep -q "^Track 1 (one): usage limit until $reset; waiting, then it starts again from its checkpoint" "$T_TMP/out" || t_fail "no limited line: $(cat "$T_TMP/out")"
[ "$(tr '\n' ' ' <"$D/agent-trace")" = "start 1.1 start 1.2 start 2.1 " ] || t_fail "trace: $(cat "$D/agent-trace")"
[ ! -e "$D/.packetdeck/track-1.limit.json" ] || t_fail "limit record left"
grep -q '"event":"limited",.*"track":1,.*"resets_at":"'"$reset"'"' "$D/.packetdeck/events.jsonl" || t_fail "no limited event"
# the reset was 3 s after the limit, plus the margin: not before
python3 - "$D/.packetdeck/events.jsonl" <<'PY' || t_fail "restarted before the reset"
import json, sys, datetime as dt
ev = [json.loads(l) for l in open(sys.argv[1])]
lim = next(e for e in ev if e["event"] == "limited")
again = [e for e in ev if e["event"] == "track_started" and e["track"] == 1][1]
p = lambda s: dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
assert p(again["ts"]) >= p(lim["resets_at"]), (again, lim)
PY

t_begin "no reset time known: tried again every --poll interval"
world words; run "$D" --runner "$(agent words)" --poll 1; expect_rc 0
grep -q "^Track 1 (one): usage limit (reset time not known); trying again every 1 s" "$T_TMP/out" || t_fail "$(cat "$T_TMP/out")"
[ "$(tr '\n' ' ' <"$D/agent-trace")" = "start 1.1 start 1.2 start 2.1 " ] || t_fail "trace: $(cat "$D/agent-trace")"

t_begin "still limited at --wait-timeout: exit 3, the track shown limited, resumable"
world always; run "$D" --runner "$(agent always)" --poll 1 --wait-timeout 2; expect_rc 3
expect_err "packetdeck run: aborted: track 1: still at its usage limit after waiting 2 s (--wait-timeout)"
[ "$(grep -c start "$D/agent-trace")" -ge 2 ] || t_fail "tried once only"
"$PD" status "$D" >"$T_TMP/st" 2>&1
grep -q "Track 1: one (next, usage limit (reset time not known))" "$T_TMP/st" || t_fail "status: $(cat "$T_TMP/st")"

t_begin "--on-limit abort: exit 3 at once, the limit recorded; --resume continues at the checkpoint"
world abort; run "$D" --runner "$(agent once 600)" --on-limit abort; expect_rc 3
grep -q "^packetdeck run: aborted: track 1 hit a usage limit until .* (--on-limit abort): You've hit your session limit" "$T_TMP/err" || t_fail "$(cat "$T_TMP/err")"
[ -e "$D/.packetdeck/track-1.limit.json" ] || t_fail "no limit record"
run "$D" --runner "$(agent once 600)" --resume; expect_rc 0
[ "$(tr '\n' ' ' <"$D/agent-trace")" = "start 1.1 start 1.2 start 2.1 " ] || t_fail "trace: $(cat "$D/agent-trace")"
run "$D" --on-limit never; expect_rc 2

t_begin "SIGTERM while waiting out a limit: exit 3 at once, the limit kept"
world sig
"$PD" run "$D" --no-tui --runner "$(agent once 600)" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null & pid=$!
for _ in $(seq 100); do [ -e "$D/.packetdeck/track-1.limit.json" ] && break; sleep 0.1; done
sleep 0.3; t0=$(date +%s); kill -TERM $pid; wait $pid; RC=$?; expect_rc 3
[ $(( $(date +%s) - t0 )) -lt 3 ] || t_fail "slow to stop"
[ -e "$D/.packetdeck/track-1.limit.json" ] || t_fail "limit record lost"
t_summary
