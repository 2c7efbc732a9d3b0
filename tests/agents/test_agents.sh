#!/usr/bin/env bash
# test_agents.sh - the shipped agent presets, unchanged, with the REAL
# claude and codex CLIs (pinned, installed into the build tree by npm),
# driven by the scripted model server (model_server.py) inside a network
# namespace with only loopback up: nothing can leave the machine. A
# scripted model does not reason: these prove the mechanics (prompt,
# permissions, paths, environment, exit status).
# usage: test_agents.sh PACKETDECK AGENTS_DIR
set -u
PD=$(realpath -- "$1") AGENTS_DIR=$(realpath -m -- "$2") # runners start in worktrees: no relative paths
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../cli/lib.sh"
. "$HERE/agentenv.sh"
if [ -z "${AGENTS_NETNS:-}" ]; then
  command -v npm >/dev/null && command -v unshare >/dev/null || { echo "# skip: no npm or unshare"; exit 77; }
  agents_install "$AGENTS_DIR" >/dev/null 2>&1 || { echo "not ok - the pinned CLIs could not be installed"; exit 1; }
fi
AGENTS_BIN=$AGENTS_DIR/node_modules/.bin
agents_in_netns "$@"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x GIT_CONFIG_NOSYSTEM=1

# world NAME: a repo and a packet dir of two tracks, 2 after 1
world() {
  W="$T_TMP/$1"; rm -rf "$W"; mkdir -p "$W"
  git init -q -b main "$W/repo" && git -C "$W/repo" commit -q --allow-empty -m initial
  D="$W/packets"; mkdir -p "$D"
  cat >"$D/manifest.json" <<J
{"format_version":"1.0.0","feature":"agents","project_root":"$W/repo","tracks":[
{"id":1,"name":"one","packet":"track-1.md","worktree":"$W/wt-1","branch":"a/t1","depends_on":[]},
{"id":2,"name":"two","packet":"track-2.md","worktree":"$W/wt-2","branch":"a/t2","depends_on":[1]}],
"merge_strategy":"worktree-merge","post_merge_qa":[]}
J
  printf '### Task 1.1: first\n\n### Task 1.2: second\n' >"$D/track-1.md"
  printf '### Task 2.1: only\n' >"$D/track-2.md"
}
run() { timeout 600 "$PD" run "$@" --no-tui >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?; }
commits() { git -C "$W/repo" rev-list --count "$1" ^main; }

# claude retries an endpoint that refuses for about 3 minutes (10 retries,
# measured): run that case beside the others, from the start
world unreach-claude; UD=$D UW=$W
( AGENTS_PORT=1 agents_env; t0=$(date +%s)
  timeout 600 "$PD" run "$UD" --runner claude --no-tui >"$T_TMP/u.out" 2>"$T_TMP/u.err" </dev/null
  echo "$? $(( $(date +%s) - t0 ))" >"$T_TMP/u.rc" ) &
UPID=$!

export MODEL_LIMIT_RESET_S=4 # the scripted usage limit lifts 4 s after it is hit
agents_server_start full
for preset in claude codex; do
  t_begin "the $preset preset completes two tracks with real commits, checkpoints and markers"
  world "$preset"; run "$D" --runner "$preset"; expect_rc 0
  expect_out "All tracks completed. Next: /merge-work-packets $D"
  [ "$(commits a/t1)" = 2 ] && [ "$(commits a/t2)" = 1 ] || t_fail "commits: $(commits a/t1) $(commits a/t2)"
  for i in 1 2; do
    [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commit"])' "$D/track-$i.completion.json")" = \
      "$(git -C "$W/repo" rev-parse a/t$i)" ] || t_fail "marker $i"
  done
  grep -q '"next_task":null' "$D/track-1.checkpoint.json" || t_fail "checkpoint"
  # the prompt carried the protocol's paths
  grep -q "Checkpoint file: $D/track-2.checkpoint.json" "$AGENTS_LOG" || t_fail "prompt paths"
  [ -z "$(left_under "$W")" ] || t_fail "left: $(left_under "$W")"

  t_begin "merge with the $preset preset: an agent skill gate passes on its verdict, fails on its verdict"
  python3 - "$D/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["post_merge_qa"] = ["green-mirage-audit"]
json.dump(m, open(sys.argv[1], "w"))
PY
  # both tracks' agents appended to work.txt, each on a branch from main
  timeout 600 "$PD" merge --runner "$preset" "$D" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?
  expect_rc 6
  expect_out "  both changed: work.txt"
  I="$W/agents-integrated"
  git -C "$W/repo" show a/t1:work.txt a/t2:work.txt >"$I/work.txt" && git -C "$I" add work.txt
  timeout 600 "$PD" merge --continue --runner "$preset" "$D" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?
  expect_rc 0
  expect_out "QA gate green-mirage-audit: passed"
  git -C "$W/repo" merge-base --is-ancestor a/t2 feature/agents-integrated || t_fail "track 2 not merged"
  grep -q 'quality gate \\"green-mirage-audit\\"' "$AGENTS_LOG" || t_fail "the gate's prompt did not reach the model"
  agents_scenario qa_fail
  timeout 600 "$PD" merge --continue --runner "$preset" "$D" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?
  expect_rc 1
  expect_err "packetdeck merge: it says: fail: scripted failure"
  agents_scenario full
  [ -z "$(left_under "$W")" ] || t_fail "left: $(left_under "$W")"
done

t_begin "an agent that stops after task 1.1 fails its track; --resume continues at 1.2"
world resume; agents_scenario stop_after_first
run "$D" --runner claude; expect_rc 1
grep -q "claude said: Stopping after task 1.1" "$T_TMP/err" || t_fail "words: $(cat "$T_TMP/err")"
agents_scenario full
run "$D" --runner claude --resume; expect_rc 0
grep -q "Start at task: 1.2" "$AGENTS_LOG" || t_fail "resume point not in the prompt"
[ "$(git -C "$W/repo" log --format=%s a/t1 | grep -c 'Task 1.1')" = 1 ] || t_fail "1.1 done twice"

t_begin "claude without permissions: the refusals reach the failure message"
world denied; run "$D" --runner "claude -p {prompt} --output-format=stream-json --verbose"; expect_rc 1
grep -q "claude refused [0-9]* tool call" "$T_TMP/err" || t_fail "denials: $(cat "$T_TMP/err")"
expect_err "Hint: the runner's permissions do not allow what the track needs: the claude preset passes --allowedTools=Bash,Edit,Write,Read --add-dir={packet_dir}; a template of your own needs the same"

t_begin "completion without commits is refused; a marker naming a missing commit is refused"
world nocommit; agents_scenario no_commit; run "$D" --runner claude; expect_rc 1
grep -q "track 1 claims completion but branch a/t1 has no commit since it started at" "$T_TMP/err" || t_fail "$(cat "$T_TMP/err")"
grep -q "; claude said: Track 1 complete. (the whole output: " "$T_TMP/err" || t_fail "no last words: $(cat "$T_TMP/err")"
world bogus; agents_scenario bogus_commit; run "$D" --runner codex; expect_rc 1
grep -q "commit 0123456789ab is not in the repository" "$T_TMP/err" || t_fail "$(cat "$T_TMP/err")"
t_begin "SIGTERM while claude waits on its model: exit 3, no process left, the track resumable"
world sigterm; agents_scenario hang
timeout 120 "$PD" run "$D" --runner claude --no-tui >"$T_TMP/out" 2>"$T_TMP/err" </dev/null & pd=$!
for _ in $(seq 200); do grep -q '"type":"system"' "$D/.packetdeck/track-1.log" 2>/dev/null && break; sleep 0.1; done
grep -q '"type":"system"' "$D/.packetdeck/track-1.log" || t_fail "claude did not start"
kill -TERM "$pd"; wait "$pd"; RC=$?; expect_rc 3
sleep 1; [ -z "$(left_under "$W")" ] || t_fail "left: $(left_under "$W")"
agents_scenario full
run "$D" --runner claude; expect_rc 0

t_begin "claude at its usage limit (logged in): the run waits for the reset, the track completes from its checkpoint"
world limit-claude; agents_scenario usage_limit; LD=$D
( AGENTS_CLAUDE_AUTH=oauth agents_env
  timeout 300 "$PD" run "$LD" --runner claude --no-tui >"$T_TMP/l.out" 2>"$T_TMP/l.err" </dev/null
  echo $? >"$T_TMP/l.rc" ) & lp=$!
for _ in $(seq 600); do [ -e "$D/.packetdeck/track-1.limit.json" ] && break; sleep 0.1; done
[ -e "$D/.packetdeck/track-1.limit.json" ] || t_fail "no limit record: $(cat "$T_TMP/l.out" "$T_TMP/l.err")"
"$PD" status "$D" | grep -q "Track 1: one (usage limit until 20" || t_fail "status: $("$PD" status "$D")"
agents_scenario full
wait $lp; [ "$(cat "$T_TMP/l.rc")" = 0 ] || t_fail "exit $(cat "$T_TMP/l.rc"): $(cat "$T_TMP/l.err")"
grep -q "^Track 1 (one): usage limit until 20.*; waiting, then it starts again from its checkpoint" "$T_TMP/l.out" || t_fail "$(cat "$T_TMP/l.out")"
grep -q "^  You've hit your session limit" "$T_TMP/l.out" || t_fail "words: $(cat "$T_TMP/l.out")"
grep -q '"event":"limited",.*"resets_at":"20' "$D/.packetdeck/events.jsonl" || t_fail "no limited event with a reset time"
[ "$(commits a/t1)" = 2 ] && [ "$(commits a/t2)" = 1 ] || t_fail "commits: $(commits a/t1) $(commits a/t2)"

t_begin "claude with an API key at its rate limit: limited, no reset time; --on-limit abort exits 3"
world limit-key; agents_scenario usage_limit; run "$D" --runner claude --on-limit abort; expect_rc 3
grep -q "^packetdeck run: aborted: track 1 hit a usage limit (--on-limit abort): .*rate limit" "$T_TMP/err" || t_fail "$(cat "$T_TMP/err")"
grep -q '"resets_at":null' "$D/.packetdeck/track-1.limit.json" || t_fail "$(cat "$D/.packetdeck/track-1.limit.json")"

t_begin "codex at its usage limit: limited until the time it names; --on-limit abort exits 3"
world limit-codex; run "$D" --runner codex --on-limit abort; expect_rc 3
grep -q "^packetdeck run: aborted: track 1 hit a usage limit until 20.* (--on-limit abort): You.ve hit your usage limit" "$T_TMP/err" || t_fail "$(cat "$T_TMP/err")"
grep -q '"resets_at":"20' "$D/.packetdeck/track-1.limit.json" || t_fail "$(cat "$D/.packetdeck/track-1.limit.json")"
agents_scenario full
run "$D" --runner codex --resume; expect_rc 0
agents_server_stop

t_begin "an unreachable endpoint fails the codex track within its bound"
world down; AGENTS_PORT=1 agents_env; t0=$(date +%s); run "$D" --runner codex; expect_rc 1
[ $(( $(date +%s) - t0 )) -lt 120 ] || t_fail "took $(( $(date +%s) - t0 )) s"
grep -q "codex could not reach its model" "$T_TMP/err" || t_fail "$(cat "$T_TMP/err")"
[ -z "$(left_under "$W")" ] || t_fail "left: $(left_under "$W")"
t_begin "an unreachable endpoint fails the claude track within the 5-minute bound"
wait "$UPID"; read -r urc usecs <"$T_TMP/u.rc"
[ "$urc" = 1 ] || t_fail "exit $urc: $(cat "$T_TMP/u.err")"
[ "$usecs" -lt 300 ] || t_fail "took $usecs s"
grep -q "claude could not reach its model" "$T_TMP/u.err" || t_fail "$(cat "$T_TMP/u.err")"
[ -z "$(left_under "$UW")" ] || t_fail "left: $(left_under "$UW")"
echo "# claude gave up on the endpoint after $usecs s"
t_summary
