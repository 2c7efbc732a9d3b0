#!/usr/bin/env bash
# test_status_plan.sh - status (the seed's display), plan in its four forms,
# usage errors, --help and --version, through the real binary.
# usage: test_status_plan.sh PACKETDECK
set -u
PD=$1
. "$(dirname "$0")/lib.sh"

marker() { printf '{"format_version":"1.0.0","status":"complete","commit":"%s","timestamp":"2026-01-05T13:00:00Z"}\n' \
  "${2:-3f2a1c9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39}" >"$D/track-$1.completion.json"; }

# The seed's example: two complete, tests next, documentation blocked on it.
seed_dir() {
  t_dir seed
  manifest "$(track 1 core-api '')" "$(track 2 frontend '')" "$(track 3 tests '1, 2')" "$(track 4 documentation 3)"
  packet track-1.md 1; packet track-2.md 2; packet track-3.md 3 3; packet track-4.md 4 1
  marker 1; marker 2
}

t_begin "status prints exactly the seed's display"
seed_dir; pd status "$D"; expect_rc 0
expect_out_is "✓ Track 1: core-api (complete)
✓ Track 2: frontend (complete)
→ Track 3: tests (next)
  Track 4: documentation (blocked on 3)
Completed: 2/4
Unverified: track 1, 2 (no repository found to check their markers' commits in)"

t_begin "status --ascii"
pd status --ascii "$D"; expect_rc 0; expect_out "+ Track 1: core-api (complete)"; expect_out "> Track 3: tests (next)"

t_begin "status names the root cause and its state"
seed_dir
mkdir -p "$D/.packetdeck"
printf '{"track":3,"task":"3.2","message":"exit status 1: make test","exit_status":1,"timestamp":"2026-01-05T13:10:00Z"}\n' >"$D/.packetdeck/track-3.failure.json"
pd status "$D"; expect_rc 0
expect_out "✗ Track 3: tests (failed at task 3.2: exit status 1: make test)"
expect_out "  Track 4: documentation (blocked on 3 (failed))"

t_begin "status shows an interrupted track with its checkpoint"
seed_dir
printf '{"format_version":"1.0.0","track":3,"last_completed_task":"3.1","commit":"abc","timestamp":"2026-01-05T12:30:00Z","next_task":"3.2"}\n' >"$D/track-3.checkpoint.json"
pd status "$D"; expect_out "→ Track 3: tests (next, interrupted after task 3.1)"

t_begin "a corrupt marker is reported, never counted"
seed_dir; printf '{"status": "done"}\n' >"$D/track-2.completion.json"
pd status "$D"; expect_rc 0
expect_out "! Track 2: frontend (next; corrupt completion marker: $D/track-2.completion.json: \"status\" is \"done\", not \"complete\")"
expect_out "Completed: 1/4"

t_begin "legacy marker names count"
seed_dir; rm "$D/track-2.completion.json"; printf '{"status":"complete"}' >"$D/.track-2-complete.json"
pd status "$D"; expect_out "✓ Track 2: frontend (complete)"

t_begin "status reports a run in progress and a track running elsewhere"
seed_dir; mkdir -p "$D/.packetdeck"
printf '{"pid":4242,"host":"buildbox","since":"2026-01-05T12:00:00Z"}' >"$D/.packetdeck/run.lock"
printf '{"pid":4343,"host":"buildbox","since":"2026-01-05T12:01:00Z"}' >"$D/.packetdeck/track-3.lock"
# holders in their own process groups, killed whole; output away from ctest's pipes
setsid flock -o "$D/.packetdeck/run.lock" sleep 30 >/dev/null 2>&1 </dev/null & holder1=$!
setsid flock -o "$D/.packetdeck/track-3.lock" sleep 30 >/dev/null 2>&1 </dev/null & holder2=$!
for f in run track-3; do  # until both are held
  for _ in $(seq 50); do flock -n "$D/.packetdeck/$f.lock" true || break; sleep 0.1; done
done
pd status "$D"; expect_rc 0
expect_out "▶ Track 3: tests (running elsewhere, pid 4343)"
expect_out "  Track 4: documentation (blocked on 3 (running))"
expect_out "Run in progress: pid 4242 on buildbox since 2026-01-05T12:00:00Z"
pd status --json "$D"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["run"]["pid"] == 4242, d["run"]' "$T_TMP/out" || t_fail "json run"
kill -- -"$holder1" -"$holder2" 2>/dev/null; wait "$holder1" "$holder2" 2>/dev/null
pd status "$D"; grep -q "Run in progress" "$T_TMP/out" && t_fail "a released lock still shows"

t_begin "status --json"
seed_dir; pd status --json "$D"; expect_rc 0
python3 - "$T_TMP/out" <<'PY' || t_fail "json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["completed"] == 2 and d["total"] == 4 and d["next"] == 3, d
t = {x["id"]: x for x in d["tracks"]}
assert [x["id"] for x in d["tracks"]] == [1, 2, 3, 4]
assert t[1]["state"] == "complete" and t[1]["marker"]["commit"].startswith("3f2a1c9")
assert t[3]["state"] == "ready" and t[3]["next"] is True and t[3]["tasks"] == 3
assert t[4]["state"] == "blocked" and t[4]["blocked_on"] == 3 and t[4]["blocked_on_state"] == "ready"
PY

t_begin "plan explains each track"
seed_dir; pd plan "$D"; expect_rc 0
expect_out_is "Plan for f: 4 tracks, 2 complete, 2 to do
  1. Track 1: core-api       skip    complete (commit 3f2a1c9d8e7b, 2026-01-05T13:00:00Z; unverified: no repository to check it in)
  2. Track 2: frontend       skip    complete (commit 3f2a1c9d8e7b, 2026-01-05T13:00:00Z; unverified: no repository to check it in)
  3. Track 3: tests          run     ready: 3 tasks
  4. Track 4: documentation  run     1 task, after track 3"

t_begin "plan --resume resumes from the checkpoint"
printf '{"format_version":"1.0.0","track":3,"last_completed_task":"3.1","commit":"abc","timestamp":"2026-01-05T12:30:00Z","next_task":"3.2"}\n' >"$D/track-3.checkpoint.json"
pd plan "$D"; expect_out "  3. Track 3: tests          run     interrupted after task 3.1; runs again from task 3.1 (--resume continues from its checkpoint)"
pd plan --resume "$D"; expect_out "  3. Track 3: tests          resume  interrupted after task 3.1; resumes at task 3.2 (1 of 3 done)"

t_begin "plan --json"
pd plan --json --resume "$D"; expect_rc 0
python3 - "$T_TMP/out" <<'PY' || t_fail "json content"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["steps"]
assert d["resume"] is True
assert [x["track"] for x in s] == [1, 2, 3, 4]
assert [x["action"] for x in s] == ["skip", "skip", "resume", "run"], s
assert s[2]["from_task"] == "3.2" and s[3]["from_task"] == "4.1" and s[3]["depends_on"] == [3]
PY

t_begin "plan --dot and --mermaid draw the graph"
t_dir graph; manifest "$(track 1 'say \"hi\"' '')" "$(track 2 b 1)"; packet track-1.md 1; packet track-2.md 2
pd plan --dot "$D"; expect_rc 0
expect_out 'digraph "f" {'; expect_out '  t1 [label="1: say \"hi\"\nrun"];'; expect_out "  t1 -> t2;"; expect_out "}"
pd plan --mermaid "$D"; expect_rc 0
expect_out "flowchart LR"; expect_out '  t1["1: say #34;hi#34; (run)"]'; expect_out "  t1 --> t2"
pd plan --dot --json "$D"; expect_rc 2; expect_err "packetdeck plan: choose one of --json, --dot and --mermaid"

t_begin "usage errors exit 2 and say what to do"
pd; expect_rc 2
pd frobnicate; expect_rc 2; expect_err "packetdeck: unknown command 'frobnicate' (see 'packetdeck --help')"
pd status; expect_rc 2; expect_err "packetdeck status: missing PACKET_DIR (see 'packetdeck status --help')"
pd status --bogus "$D"; expect_rc 2; expect_err "packetdeck status: unknown option '--bogus' (see 'packetdeck status --help')"
pd plan a b; expect_rc 2; expect_err "packetdeck plan: unexpected argument 'b' (see 'packetdeck plan --help')"

t_begin "--help and --version"
pd --help; expect_rc 0; expect_out "  validate PACKET_DIR   check the manifest, the graph and every packet file"
for c in validate status plan; do pd $c --help; expect_rc 0; grep -q "^usage: packetdeck $c" "$T_TMP/out" || t_fail "$c --help"; done
pd --version; expect_rc 0; grep -qE '^packetdeck [0-9]+\.[0-9]+\.[0-9]+$' "$T_TMP/out" || t_fail "version"

t_begin "status of an invalid dir is refused"
t_dir bad; manifest "$(track 1 a 1)"; packet track-1.md 1
pd status "$D"; expect_rc 2; expect_err "$D/manifest.json: tracks[0].depends_on[0]: track 1 depends on itself"
pd plan "$D"; expect_rc 2

t_summary
