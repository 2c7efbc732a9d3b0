#!/usr/bin/env bash
# test_upstream.sh - packet dirs as upstream's generators write them
# (tests/fixtures/upstream): a manifest without merge_strategy and
# post_merge_qa refused by validate, which names `adopt`; adopt asking,
# writing (original kept, atomic, under the run lock) or refusing; packets
# whose files are lists and whose titles are on the next line; a marker
# that says "in_progress", shown as not complete and run again.
# usage: test_upstream.sh PACKETDECK FIXTURES
set -u
PD=$1 FIX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
export GIT_CONFIG_NOSYSTEM=1 HOME="$T_TMP"
unset PACKETDECK_RUNNER

GEN1="$FIX/upstream/gen1"
# gen1 NAME: a copy of the first generator's dir in $D
gen1() { t_dir "$1"; cp -a "$GEN1/." "$D/"; }
# no temporary or upstream-style lock file left anywhere in $D
no_leftovers() {
  local left
  left=$(cd "$D" && find . \( -name '*.tmp.*' -o -name '*.lock' \) ! -path ./.packetdeck/run.lock)
  [ -z "$left" ] || t_fail "left behind: $left"
}
# adopt on a pseudo-terminal, answering $1: $RC, the screen in $T_TMP/out
adopt_tty() {
  python3 - "$PD" "$D" "$1" >"$T_TMP/out" 2>"$T_TMP/err" <<'PY'
import os, pty, sys, time
pd, d, answer = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(pd, [pd, "adopt", d])
out, asked = b"", False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not asked and b"[y/N]" in out:
        os.write(fd, answer.encode() + b"\n")
        asked = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(status))
PY
  RC=$?
}

t_begin "validate refuses the first generator's manifest and names adopt"
pd validate "$GEN1"; expect_rc 2
expect_err "$GEN1/manifest.json: missing required field \"merge_strategy\" (add upstream's defaults with: packetdeck adopt $GEN1)"
expect_err "$GEN1/manifest.json: missing required field \"post_merge_qa\" (add upstream's defaults with: packetdeck adopt $GEN1)"
expect_err_lines 2
pd status "$GEN1"; expect_rc 2
expect_err "$GEN1/manifest.json: missing required field \"merge_strategy\" (add upstream's defaults with: packetdeck adopt $GEN1)"

t_begin "adopt without a terminal and without --yes writes nothing"
gen1 notty; before=$(snapshot_dir "$D")
pd adopt "$D" </dev/null; expect_rc 2
expect_out_is "$D/manifest.json: would add upstream's defaults:
  \"merge_strategy\": \"worktree-merge\"
  \"post_merge_qa\": [\"pytest\",\"green-mirage-audit\"]"
expect_err "packetdeck adopt: nothing written: not a terminal to ask on; run again with --yes to write"
[ "$before" = "$(snapshot_dir "$D")" ] || t_fail "the packet dir changed"

t_begin "adopt --yes adds only the missing fields; the original is kept byte for byte"
gen1 yes
pd adopt --yes "$D"; expect_rc 0
expect_out "$D/manifest.json: written; the original is $D/manifest.json.orig"
cmp -s "$D/manifest.json.orig" "$GEN1/manifest.json" || t_fail ".orig differs from the original"
python3 - "$D/manifest.json" "$GEN1/manifest.json" <<'PY' || t_fail "the new manifest"
import json, sys
new, old = (json.load(open(p)) for p in sys.argv[1:3])
assert list(new) == list(old) + ["merge_strategy", "post_merge_qa"], list(new)
assert all(new[k] == old[k] for k in old)
assert new["merge_strategy"] == "worktree-merge"
assert new["post_merge_qa"] == ["pytest", "green-mirage-audit"]
PY
no_leftovers
[ ! -s "$D/.packetdeck/run.lock" ] || t_fail "run.lock still names a holder"
pd validate "$D"; expect_rc 0; expect_out "$D: valid: 2 tracks, 4 tasks"

t_begin "a second adopt has nothing to add and writes nothing"
before=$(snapshot_dir "$D")
pd adopt --yes "$D"; expect_rc 0
expect_out_is "$D/manifest.json: nothing to add: merge_strategy and post_merge_qa are there"
[ "$before" = "$(snapshot_dir "$D")" ] || t_fail "the packet dir changed"

t_begin "status and plan: upstream's in_progress marker is not complete, not corrupt"
pd status "$D"; expect_rc 0
expect_out_is "→ Track 1: Delivery service (next; not complete: its marker says status \"in_progress\")
  Track 2: Settings page (blocked on 1)
Completed: 0/2"
pd status --json "$D"; expect_rc 0
python3 - "$T_TMP/out" <<'PY' || t_fail "status --json"
import json, sys
s = json.load(open(sys.argv[1]))
t = s["tracks"][0]
assert t["state"] == "ready" and t["next"], t
assert t["marker"] == {"state": "not_complete", "status": "in_progress", "timestamp": "2026-01-05T12:30:00Z"}, t["marker"]
PY
pd plan "$D"; expect_rc 0
grep -q '1\. Track 1: Delivery service  run .*ready: 2 tasks; not complete: its marker says status "in_progress"' "$T_TMP/out" ||
  t_fail "plan does not run track 1"
cmp -s "$D/track-1.completion.json" "$GEN1/track-1.completion.json" || t_fail "the marker changed"

t_begin "adopt keeps a value that is there and an existing .orig"
t_dir partial
printf '{"format_version": "1.0.0", "feature": "f", "tracks": [%s], "merge_strategy": "octopus"}\n' \
  "$(track 1 a '')" >"$D/manifest.json"
packet track-1.md 1
printf 'an older original\n' >"$D/manifest.json.orig"
pd adopt -y "$D"; expect_rc 0
expect_out "  \"post_merge_qa\": [\"pytest\",\"green-mirage-audit\"]"
grep -q merge_strategy "$T_TMP/out" && t_fail "merge_strategy offered though it is there"
expect_out "$D/manifest.json: written; the original is $D/manifest.json.orig (there already, kept as it was)"
[ "$(cat "$D/manifest.json.orig")" = "an older original" ] || t_fail ".orig was replaced"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["merge_strategy"]=="octopus", m' \
  "$D/manifest.json" || t_fail "merge_strategy changed"
no_leftovers

t_begin "adopt on a terminal asks, and writes only after y"
gen1 tty-no; before=$(snapshot_dir "$D")
adopt_tty n; expect_rc 3
grep -qF "Write them, keeping the original as $D/manifest.json.orig? [y/N]" "$T_TMP/out" || t_fail "no question"
grep -qF "packetdeck adopt: nothing written" "$T_TMP/out" || t_fail "declining not said"
[ "$before" = "$(snapshot_dir "$D")" ] || t_fail "the packet dir changed"
gen1 tty-yes
adopt_tty y; expect_rc 0
grep -qF "$D/manifest.json: written" "$T_TMP/out" || t_fail "not written"
pd validate "$D"; expect_rc 0

t_begin "adopt refuses a dir whose run lock is held, and writes nothing"
gen1 locked; mkdir -p "$D/.packetdeck"
printf '{"pid":4242,"host":"buildbox","since":"2026-01-05T12:00:00Z"}' >"$D/.packetdeck/run.lock"
flock -x "$D/.packetdeck/run.lock" sleep 30 >/dev/null 2>&1 </dev/null &
holder=$!
for _ in $(seq 100); do flock -n -x "$D/.packetdeck/run.lock" true 2>/dev/null || break; sleep 0.05; done
before=$(snapshot_dir "$D")
pd adopt --yes "$D"; expect_rc 4
expect_err "packetdeck adopt: nothing written: $D/.packetdeck/run.lock is held by pid 4242 on buildbox since 2026-01-05T12:00:00Z"
[ "$before" = "$(snapshot_dir "$D")" ] || t_fail "the packet dir changed"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

t_begin "adopt leaves a dead run's lock record for the next run"
gen1 stale; mkdir -p "$D/.packetdeck"
rec='{"pid":4242,"host":"buildbox","since":"2026-01-05T12:00:00Z","run_id":"r-dead"}'
printf '%s' "$rec" >"$D/.packetdeck/run.lock"
pd adopt --yes "$D"; expect_rc 0
[ "$(cat "$D/.packetdeck/run.lock")" = "$rec" ] || t_fail "run.lock is now: $(cat "$D/.packetdeck/run.lock")"

t_begin "adopt refuses malformed JSON with one located line"
t_dir malformed
printf '{\n  "format_version": "1.0.0",\n  "feature": "f",\n  "tracks": [}\n' >"$D/manifest.json"
before=$(snapshot_dir "$D")
pd adopt --yes "$D"; expect_rc 2
expect_err_lines 1
grep -qE "^$D/manifest.json:4:[0-9]+: " "$T_TMP/err" || t_fail "not located at line 4"
[ "$before" = "$(snapshot_dir "$D")" ] || t_fail "the packet dir changed"
printf '[1, 2]\n' >"$D/manifest.json"
pd adopt --yes "$D"; expect_rc 2
expect_err "$D/manifest.json: must hold a JSON object, not an array"
rm "$D/manifest.json"
pd adopt --yes "$D"; expect_rc 2
expect_err "$D/manifest.json: no such file: $D is not a packet dir"

t_begin "adopt refuses a symlinked manifest and keeps the file's mode"
gen1 link; mv "$D/manifest.json" "$D/real.json"; ln -s real.json "$D/manifest.json"
pd adopt --yes "$D"; expect_rc 2
grep -qF "$D/manifest.json: is a symlink" "$T_TMP/err" || t_fail "symlink not refused"
[ -L "$D/manifest.json" ] || t_fail "the link was replaced"
gen1 mode; chmod 600 "$D/manifest.json"
pd adopt --yes "$D"; expect_rc 0
[ "$(stat -c %a "$D/manifest.json")" = 600 ] || t_fail "mode $(stat -c %a "$D/manifest.json")"
[ "$(stat -c %a "$D/manifest.json.orig")" = 600 ] || t_fail ".orig mode $(stat -c %a "$D/manifest.json.orig")"

t_begin "adopt usage"
pd adopt; expect_rc 2; expect_err "packetdeck adopt: missing PACKET_DIR (see 'packetdeck adopt --help')"
pd adopt --force x; expect_rc 2
pd adopt --help; expect_rc 0; grep -q "manifest.json.orig" "$T_TMP/out" || t_fail "help"
pd --help; expect_rc 0; grep -q "^  adopt PACKET_DIR" "$T_TMP/out" || t_fail "not in the usage text"

t_begin "the plan writer's **Files:** lists and the first generator's packets validate"
pd validate "$FIX/upstream/plan-files"; expect_rc 0
expect_out "$FIX/upstream/plan-files: valid: 1 track, 2 tasks"
pd plan "$FIX/upstream/plan-files"; expect_rc 0
pd status "$FIX/upstream/plan-files"; expect_rc 0
expect_out "→ Track 1: CSV export (next)"

t_begin "run executes a track whose marker says in_progress, and completes it"
W="$T_TMP/run"; rm -rf "$W"; mkdir -p "$W"
git init -q -b main "$W/repo" && git -C "$W/repo" commit -q --allow-empty -m initial
D="$W/packets"; mkdir -p "$D"
printf '{"format_version": "1.0.0", "feature": "f", "project_root": "%s/repo", "tracks": [{"id": 1, "name": "one", "packet": "track-1.md", "worktree": "%s/wt-1", "branch": "u/track-1", "depends_on": []}]}\n' \
  "$W" "$W" >"$D/manifest.json"
printf '### Task 1.1\n\nThe only task\n\nRun: echo done >> %s/trace\n' "$W" >"$D/track-1.md"
cp "$GEN1/track-1.completion.json" "$D/"
pd adopt --yes "$D"; expect_rc 0
"$PD" run "$D" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?; expect_rc 0
expect_out "Task 1.1: The only task"
[ "$(cat "$W/trace")" = done ] || t_fail "the task did not run once"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["status"]=="complete" and len(m["commit"])==40, m' \
  "$D/track-1.completion.json" || t_fail "the marker is not complete"
pd status "$D"; expect_out "✓ Track 1: one (complete)"

t_summary
