#!/usr/bin/env bash
# test_merge.sh - `packetdeck merge` on real repositories: a diamond merged
# cleanly with every marker's commit reachable, a conflict resolved and
# continued, --abort restoring refs, worktrees and files byte for byte, an
# incomplete track refused, failing and skipped gates, agent skill gates,
# a kill and a merge cut short continued or aborted, hostile names.
# usage: test_merge.sh PACKETDECK
set -u
PD=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
export GIT_CONFIG_NOSYSTEM=1 HOME="$T_TMP"
unset PACKETDECK_RUNNER

# world NAME CONFLICT QA_JSON [FEATURE]: a repo and the diamond 1 -> {2, 3} -> 4,
# run to completion by the built-in runner; each task commits a file of
# its own, and with CONFLICT=1 tracks 2 and 3 both rewrite shared.txt.
world() {
  W="$T_TMP/$1"; rm -rf "$W"; mkdir -p "$W"
  R="$W/repo"; D="$W/packets"; mkdir -p "$D"
  git init -q -b main "$R" && echo base >"$R/shared.txt" && git -C "$R" add -A && git -C "$R" commit -qm initial
  python3 - "$W" "$2" "$3" "${4:-diamond}" <<'PY'
import json, sys
w, conflict, qa, feature = sys.argv[1], sys.argv[2] == "1", json.loads(sys.argv[3]), sys.argv[4]
deps = {1: [], 2: [1], 3: [1], 4: [2, 3]}
tracks = []
for i in range(1, 5):
    tracks.append({"id": i, "name": f"t{i}", "packet": f"track-{i}.md", "worktree": f"{w}/wt/track-{i}",
                   "branch": f"d/track-{i}", "depends_on": deps[i]})
    extra = f" && echo from-{i} > shared.txt" if conflict and i in (2, 3) else ""
    with open(f"{w}/packets/track-{i}.md", "w") as f:
        f.write(f"### Task {i}.1: first\nRun: echo {i} > f{i}.txt{extra} && git add -A && git commit -qm t{i}\n")
json.dump({"format_version": "1.0.0", "feature": feature, "project_root": f"{w}/repo", "tracks": tracks,
           "merge_strategy": "merging-worktrees", "post_merge_qa": qa}, open(f"{w}/packets/manifest.json", "w"))
PY
  "$PD" run --no-tui "$D" >/dev/null 2>&1 </dev/null || echo "world $1: run failed"
  I="$W/wt/${4:-diamond}-integrated"
}
merge() { "$PD" merge "$@" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null; RC=$?; }
marker_commit() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commit"])' "$D/track-$1.completion.json"; }
# every marker's commit is an ancestor of the integration branch
markers_reachable() {
  local i
  for i in 1 2 3 4; do
    git -C "$R" merge-base --is-ancestor "$(marker_commit $i)" "${1:-feature/diamond-integrated}" ||
      t_fail "track $i's marker commit is not in the integration branch"
  done
}
# refs, worktrees and every file (outside .git) of the repo and all worktrees
snap() {
  git -C "$R" for-each-ref --format='%(refname) %(objectname)'
  git -C "$R" worktree list --porcelain
  local d
  for d in "$R" "$W"/wt/*; do
    echo "== $d"
    (cd "$d" && find . -name .git -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum)
  done
}
phase() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["phase"])' "$D/.packetdeck/merge.json"; }

t_begin "a diamond merges cleanly: a merge commit per track in order, every marker's commit reachable"
world clean 0 '["test -f f4.txt && echo gate-ran-here"]'
root_before=$(git -C "$R" rev-parse HEAD; git -C "$R" status --porcelain; git -C "$R" symbolic-ref HEAD)
merge "$D"; expect_rc 0
expect_out "Merge of diamond: 4 tracks into feature/diamond-integrated (strategy merging-worktrees)"
expect_out "  worktree: $I"
expect_out "  track 2 (t2): d/track-2 at $(marker_commit 2 | cut -c1-12)"
expect_out "QA gate test -f f4.txt && echo gate-ran-here (1/1): started"
expect_out "  gate-ran-here"
expect_out "QA gate test -f f4.txt && echo gate-ran-here: passed"
grep -q "^Merged 4 tracks into feature/diamond-integrated at " "$T_TMP/out" || t_fail "no completion line"
expect_out "The track worktrees and branches are kept."
subjects=$(git -C "$R" log --first-parent --format=%s feature/diamond-integrated | head -4 | tr '\n' '|')
[ "$subjects" = "Merge track 4 (t4)|Merge track 3 (t3)|Merge track 2 (t2)|Merge track 1 (t1)|" ] ||
  t_fail "first-parent history: $subjects"
[ "$(git -C "$R" rev-list --min-parents=2 --count feature/diamond-integrated)" = 4 ] || t_fail "not 4 merge commits"
markers_reachable
[ "$(git -C "$I" symbolic-ref HEAD)" = refs/heads/feature/diamond-integrated ] || t_fail "worktree not on the branch"
[ -z "$(git -C "$I" status --porcelain)" ] || t_fail "integration worktree dirty"
[ "$root_before" = "$(git -C "$R" rev-parse HEAD; git -C "$R" status --porcelain; git -C "$R" symbolic-ref HEAD)" ] ||
  t_fail "the project root's checkout changed"
for i in 1 2 3 4; do [ -d "$W/wt/track-$i" ] && git -C "$R" rev-parse -q --verify "d/track-$i" >/dev/null ||
  t_fail "track $i's worktree or branch is gone"; done
[ "$(phase)" = completed ] || t_fail "merge.json phase $(phase)"
grep -q "gate-ran-here" "$D/.packetdeck/merge.log" || t_fail "gate output not in merge.log"
"$PD" status "$D" >"$T_TMP/out" 2>"$T_TMP/err"
expect_out "Merge: completed: feature/diamond-integrated in $I"
"$PD" validate "$D" >/dev/null 2>&1 || t_fail "merge.json and merge.log make the dir invalid"

t_begin "merging again after a completion: every track up to date, nothing new"
tip=$(git -C "$R" rev-parse feature/diamond-integrated)
merge --no-qa "$D"; expect_rc 0
expect_out "Track 3 (t3): up to date"
[ "$tip" = "$(git -C "$R" rev-parse feature/diamond-integrated)" ] || t_fail "the branch moved"

t_begin "an integration worktree with uncommitted changes is refused, nothing touched"
echo scribble >>"$I/f1.txt"
before=$(snap)
merge "$D"; expect_rc 2
expect_err "packetdeck merge: $I: the integration worktree has uncommitted changes; commit or stash them first"
[ "$before" = "$(snap)" ] || t_fail "something changed"
git -C "$I" checkout -q -- f1.txt

t_begin "--json: the events in order"
merge --json --no-qa "$D"; expect_rc 0
python3 - "$T_TMP/out" <<'PY' || t_fail "events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
names = [e["event"] for e in ev]
assert names == ["merge_started"] + ["track_planned"] * 4 + ["track_merged"] * 4 + ["qa_skipped", "merge_completed"], names
assert ev[0]["order"] == [1, 2, 3, 4] and ev[0]["branch"] == "feature/diamond-integrated" and ev[0]["strategy"] == "merging-worktrees"
assert all(len(e["commit"]) == 40 for e in ev[1:9])
assert ev[-1]["completed"] == 4 and ev[-1]["total"] == 4
PY

t_begin "an incomplete track: each listed, nothing made, exit 3"
world incomplete 0 '[]'
rm "$D/track-4.completion.json"
printf '{"track_id": 3, "status": "in_progress"}' >"$D/track-3.completion.json"
printf '{"status": "complete", "commit": "%s", "timestamp": "2026-01-01T00:00:00Z"}' \
  0123456789012345678901234567890123456789 >"$D/track-2.completion.json"
before=$(snap)
merge "$D"; expect_rc 3
expect_out "✗ Track 4 (no completion marker)"
expect_out "✗ Track 3 (status: in_progress)"
grep -q "^✗ Track 2 (.*0123456" "$T_TMP/out" || t_fail "track 2's refused marker not said"
expect_err "packetdeck merge: 3 of 4 tracks are not complete"
[ "$before" = "$(snap)" ] || t_fail "something changed"
[ ! -e "$D/.packetdeck/merge.json" ] || t_fail "merge.json written"

t_begin "a conflict stops with git's state, is resolved, and --continue completes"
world conflict 1 '["true"]'
merge "$D"; expect_rc 6
expect_out "Conflict merging track 3 (t3): 1 file"
expect_out "  both changed: shared.txt"
expect_err "track 3 (t3) conflicts in 1 file: resolve them in $I, then: packetdeck merge --continue $D (or --abort)"
[ "$(git -C "$I" status --porcelain | grep shared.txt)" = "UU shared.txt" ] || t_fail "git status: $(git -C "$I" status --porcelain)"
grep -q '^<<<<<<<' "$I/shared.txt" || t_fail "no conflict markers"
git -C "$I" rev-parse -q --verify MERGE_HEAD >/dev/null || t_fail "no MERGE_HEAD"
[ "$(phase)" = conflict ] || t_fail "phase $(phase)"
"$PD" status "$D" >"$T_TMP/out" 2>"$T_TMP/err"
expect_out "Merge: stopped at a conflict merging track 3 into feature/diamond-integrated: shared.txt"
merge "$D"; expect_rc 2
grep -q "a merge is in progress (conflict" "$T_TMP/err" || t_fail "a second start not refused"
merge --continue "$D"; expect_rc 6
grep -q "1 file still conflicted" "$T_TMP/err" || t_fail "unresolved continue not refused"
echo resolved >"$I/shared.txt"; git -C "$I" add shared.txt
merge --continue "$D"; expect_rc 0
grep -q "^Merged track 3 (t3): " "$T_TMP/out" || t_fail "the resolution not said as track 3's merge"
grep -q "^Merged track 4 (t4): " "$T_TMP/out" || t_fail "track 4 not merged after the resolution"
[ "$(git -C "$R" log --format=%s -1 feature/diamond-integrated)" = "Merge track 4 (t4)" ] || t_fail "last commit"
git -C "$R" log --format=%s feature/diamond-integrated | grep -qx "Merge track 3 (t3)" || t_fail "no resolution commit"
[ "$(cat "$I/shared.txt")" = resolved ] || t_fail "resolution lost"
[ -z "$(git -C "$I" status --porcelain)" ] || t_fail "dirty after continue"
markers_reachable

t_begin "--abort after a conflict restores refs, worktrees and files byte for byte"
world abort 1 '[]'
before=$(snap)
merge "$D"; expect_rc 6
merge --abort "$D"; expect_rc 0
expect_out "Merge aborted: feature/diamond-integrated: branch and worktree removed"
[ "$before" = "$(snap)" ] || { diff <(echo "$before") <(snap) | head; t_fail "not restored"; }
[ ! -e "$I" ] && [ ! -e "$D/.packetdeck/merge.json" ] || t_fail "worktree or merge.json left"
merge --abort "$D"; expect_rc 2
expect_err "packetdeck merge: $D: no merge to abort"
merge --continue "$D"; expect_rc 2

t_begin "--abort of a later merge puts an existing branch and worktree back where they were"
world again 1 '[]'
merge "$D"; expect_rc 6
echo resolved >"$I/shared.txt"; git -C "$I" add shared.txt
merge --continue "$D"; expect_rc 0
echo from-2-again >"$W/wt/track-2/shared.txt"; git -C "$W/wt/track-2" commit -qam again
echo keep >"$W/wt/track-1/notes.txt"
before=$(snap); tip=$(git -C "$R" rev-parse feature/diamond-integrated)
merge "$D"; expect_rc 6
expect_out "Conflict merging track 2 (t2): 1 file"
merge --abort "$D"; expect_rc 0
expect_out "Merge aborted: feature/diamond-integrated: branch and worktree put back as they were"
[ "$tip" = "$(git -C "$R" rev-parse feature/diamond-integrated)" ] || t_fail "branch not put back"
[ "$before" = "$(snap)" ] || { diff <(echo "$before") <(snap) | head; t_fail "not restored"; }
[ "$(cat "$W/wt/track-1/notes.txt")" = keep ] || t_fail "a track worktree's file touched"

t_begin "merge_strategy manual: stops for a merge by hand; --continue checks that every branch is in"
world manual 0 '[]'
sed -i 's/"merge_strategy": "merging-worktrees"/"merge_strategy": "manual"/' "$D/manifest.json"
merge "$D"; expect_rc 6
grep -q "merge_strategy is manual: merge the 4 remaining track branches into feature/diamond-integrated in $I by hand, then: packetdeck merge --continue $D" "$T_TMP/err" ||
  t_fail "manual not said"
[ "$(git -C "$R" rev-list --count feature/diamond-integrated)" = 1 ] || t_fail "merged without being asked"
git -C "$I" merge -q --no-edit d/track-1 d/track-2 >/dev/null 2>&1
merge --continue "$D"; expect_rc 6
grep -q "merge the 2 remaining track branches" "$T_TMP/err" || t_fail "partial manual merge not said"
git -C "$I" merge -q --no-edit d/track-3 d/track-4 >/dev/null 2>&1
merge --continue "$D"; expect_rc 0
markers_reachable

t_begin "a failing gate stops the gates with its last lines; --continue runs it again"
world gate 0 '["echo first-ok", "echo some output; echo last words >&2; exit 3", "touch never-run"]'
merge "$D"; expect_rc 1
expect_out "QA gate echo first-ok: passed"
expect_out "QA gate echo some output; echo last words >&2; exit 3: failed"
expect_err "packetdeck merge: exit status 3"
expect_err "last words"
[ ! -e "$I/never-run" ] || t_fail "a gate after the failure ran"
grep -q "last words" "$D/.packetdeck/merge.log" || t_fail "gate output not in merge.log"
[ "$(phase)" = qa_failed ] || t_fail "phase $(phase)"
"$PD" status "$D" >"$T_TMP/out" 2>"$T_TMP/err"
grep -q "^Merge: .*QA gate echo some output.* failed" "$T_TMP/out" || t_fail "status does not say the gate failed"
merge --continue "$D"; expect_rc 1
grep -q "QA gate echo first-ok" "$T_TMP/out" && t_fail "a passed gate ran again"
expect_out "QA gate echo some output; echo last words >&2; exit 3 (2/3): started"
merge --continue --no-qa "$D"; expect_rc 0

t_begin "agent skill gates: skipped with the built-in runner, run through the agent runner with a verdict"
world skill 0 '["green-mirage-audit"]'
merge "$D"; expect_rc 0
expect_out "QA gate green-mirage-audit: skipped (an agent skill: the built-in runner cannot perform it (merge --runner claude or codex))"
cat >"$W/qa-agent.sh" <<'SH'
#!/bin/sh
# a runner for the test: checks where and how it was asked, says $VERDICT
[ "$#" = 1 ] || { echo "argv split: $#"; exit 9; }
case "$1" in *'quality gate "green-mirage-audit"'*) ;; *) echo "no skill in prompt"; exit 9;; esac
echo "running in $(pwd)"
printf '%s\n' "$VERDICT"
SH
chmod +x "$W/qa-agent.sh"
VERDICT="PACKETDECK-QA: pass" merge --runner "$W/qa-agent.sh {prompt}" "$D"; expect_rc 0
expect_out "  running in $I"
expect_out "QA gate green-mirage-audit: passed"
VERDICT="PACKETDECK-QA: fail: tests are mirages" merge --continue --runner "$W/qa-agent.sh {prompt}" "$D"; expect_rc 1
expect_err "packetdeck merge: it says: fail: tests are mirages"
VERDICT="all good, trust me" merge --continue --runner "$W/qa-agent.sh {prompt}" "$D"; expect_rc 1
grep -q "no verdict line" "$T_TMP/err" || t_fail "a gate without a verdict passed"

t_begin "killed during a gate: --continue runs it again, --abort restores everything"
world kill 0 '["sleep 30"]'
before=$(snap)
"$PD" merge "$D" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null & pid=$!
for _ in $(seq 100); do grep -q "sleep 30 (1/1): started" "$T_TMP/out" 2>/dev/null && break; sleep 0.1; done
kill -9 $pid; wait $pid 2>/dev/null
pkill -f "^sleep 30$" 2>/dev/null
[ "$(phase)" = qa ] || t_fail "phase after kill: $(phase)"
merge --continue --no-qa "$D"; expect_rc 0
markers_reachable
merge --abort "$D"; expect_rc 0
[ "$before" = "$(snap)" ] || { diff <(echo "$before") <(snap) | head; t_fail "not restored after kill + abort"; }

t_begin "SIGTERM during a gate stops it: exit 3, the merge can be continued"
world term 0 '["sleep 30"]'
"$PD" merge "$D" >"$T_TMP/out" 2>"$T_TMP/err" </dev/null & pid=$!
for _ in $(seq 100); do grep -q "started" "$T_TMP/out" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid; wait $pid; RC=$?
expect_rc 3
grep -q "stopped by SIGTERM; the merge can be continued" "$T_TMP/err" || t_fail "stop not said"
[ -z "$(pgrep -f '^sleep 30$')" ] || t_fail "the gate's process was left running"
merge --continue --no-qa "$D"; expect_rc 0

t_begin "a merge cut short (MERGE_HEAD left, state still merging) is undone and made again"
world cut 1 '[]'
merge "$D"; expect_rc 6
python3 - "$D/.packetdeck/merge.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["phase"] = "merging"; s["conflicts"] = []
json.dump(s, open(sys.argv[1], "w"))
PY
merge --continue "$D"; expect_rc 6
expect_out "notice: undid a merge cut short in $I; merging again"
expect_out "  both changed: shared.txt"
[ "$(phase)" = conflict ] || t_fail "phase $(phase)"
merge --abort "$D"; expect_rc 0

t_begin "run.lock held by a run: merge refused with exit 4"
world locked 0 '[]'
python3 - "$D/.packetdeck/run.lock" "$PD" "$D" "$T_TMP" <<'PY'
import fcntl, os, subprocess, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
p = subprocess.run([sys.argv[2], "merge", sys.argv[3]], capture_output=True, text=True)
open(sys.argv[4] + "/out", "w").write(p.stdout); open(sys.argv[4] + "/err", "w").write(p.stderr)
sys.exit(p.returncode)
PY
RC=$?; expect_rc 4
grep -q "a run or another merge holds this packet dir" "$T_TMP/err" || t_fail "lock not said"

t_begin "hostile names: a feature git refuses is refused; others never reach a shell"
world hostile-bad 0 '[]' 'x $(touch pwned)'
merge "$D"; expect_rc 2
grep -q "which git refuses" "$T_TMP/err" || t_fail "invalid branch name not refused"
world hostile 0 '[]' ';touch${IFS}pwned;`touch${IFS}pwned2`'
cd "$W"; merge "$D"; expect_rc 0; cd - >/dev/null
[ ! -e "$W/pwned" ] && [ ! -e "$W/pwned2" ] && [ ! -e pwned ] && [ ! -e "$T_TMP/pwned" ] || t_fail "a name was executed"
git -C "$R" rev-parse -q --verify 'refs/heads/feature/;touch${IFS}pwned;`touch${IFS}pwned2`-integrated' >/dev/null ||
  t_fail "branch not made under its own name"
ls -d "$W"/wt/*-integrated >/dev/null || t_fail "no integration worktree"
case "$(ls -d "$W"/wt/*-integrated)" in *'`'*|*'$'*|*';'*) t_fail "worktree dir name not sanitised";; esac

t_begin "a gate string is the manifest author's command: run by sh in the integration worktree, once"
world gatecmd 0 '["echo $((6*7)) > answer; pwd > where"]'
merge "$D"; expect_rc 0
[ "$(cat "$I/answer")" = 42 ] && [ "$(cat "$I/where")" = "$I" ] || t_fail "gate not run by sh in the worktree"
[ ! -e "$R/answer" ] || t_fail "gate ran in the project root"

t_summary
