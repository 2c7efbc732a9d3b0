#!/usr/bin/env bash
# test_tui.sh PACKETDECK - the dashboard end to end, in tmux on a private
# socket: keys are sent, the screen is read with capture-pane, and every
# wait has a deadline (no bare sleeps decide anything). Skips (exit 77)
# where tmux is absent.
PD=$(realpath "$1")
. "$(dirname "$0")/../cli/lib.sh"
command -v tmux >/dev/null || { echo "tmux not installed: skipped"; exit 77; }
SOCK="pdtui$$"; nstart=0
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$T_TMP"' EXIT

# start CMD...: a fresh 120x36 session running CMD; its exit status goes to $T_TMP/rc.
# Each on a new server (socket): a client may reach a server still shutting down.
start() {
  tm kill-server 2>/dev/null
  nstart=$((nstart + 1)); SOCK="pdtui$$-$nstart"
  rm -f "$T_TMP/rc"
  tm new-session -d -x "${COLS:-120}" -y "${ROWS:-36}" \
    "env -u CI TERM=xterm-256color LANG=C.UTF-8 $*; echo \$? > $T_TMP/rc; sleep 600"
}
screen() { tm capture-pane -p; }
# wait_for TEXT [SECONDS]: until the screen shows TEXT
wait_for() {
  local deadline=$((SECONDS + ${2:-20}))
  while [ $SECONDS -lt $deadline ]; do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  t_fail "the screen never showed: $1"; screen | sed 's/^/  # /'; return 1
}
# exited RC [SECONDS]: the command ended with RC
exited() {
  local deadline=$((SECONDS + ${2:-20}))
  while [ $SECONDS -lt $deadline ] && [ ! -s "$T_TMP/rc" ]; do sleep 0.1; done
  [ -s "$T_TMP/rc" ] || { t_fail "still running"; screen | sed 's/^/  # /'; return 1; }
  [ "$(cat "$T_TMP/rc")" = "$1" ] || { t_fail "exit status $(cat "$T_TMP/rc"), expected $1"; screen | sed 's/^/  # /'; }
}
keys() { tm send-keys "$@"; }

# world NAME: a repository and a packet dir of 3 tracks, 2 depends on 1, 3 on 2
world() {
  W="$T_TMP/$1"; rm -rf "$W"; mkdir -p "$W"
  git init -q -b main "$W/repo" && git -C "$W/repo" commit -q --allow-empty -m initial
  D="$W/packets"; mkdir -p "$D"
  printf '{"format_version": "1.0.0", "feature": "tui", "project_root": "%s/repo", "tracks": [' "$W" >"$D/manifest.json"
  for i in 1 2 3; do
    printf '%s{"id": %s, "name": "t%s", "packet": "track-%s.md", "worktree": "%s/wt-%s", "branch": "tui/t%s", "depends_on": [%s]}' \
      "$([ $i = 1 ] || echo ,)" $i $i $i "$W" $i $i "$([ $i = 1 ] || echo $((i - 1)))" >>"$D/manifest.json"
    printf '### Task %s.1: first\nRun: echo task %s.1\n\n### Task %s.2: second\nRun: echo task %s.2\n' $i $i $i $i >"$D/track-$i.md"
  done
  printf '], "merge_strategy": "worktree-merge", "post_merge_qa": []}\n' >>"$D/manifest.json"
}

t_begin "demo: runs to completion answering its dialogs with keys"
start "$PD" demo "$T_TMP/demo"
deadline=$((SECONDS + 120)); seen=""
while [ $SECONDS -lt $deadline ] && [ ! -s "$T_TMP/rc" ]; do
  s=$(screen)
  if grep -qF "[s]top for handoff" <<<"$s"; then keys c; seen="$seen handoff"
  elif grep -qF "[w]ait" <<<"$s"; then keys w; seen="$seen blocked"
  elif grep -qF "re[s]tart track" <<<"$s" && grep -qF "track failed" <<<"$s"; then keys r; seen="$seen failure"
  elif grep -qF "6/6 complete" <<<"$s" && grep -qF "· completed" <<<"$s"; then keys q; seen="$seen done"
  fi
  sleep 0.3
done
exited 0 5
for k in handoff blocked failure done; do grep -qw "$k" <<<"$seen" || t_fail "never saw: $k ($seen)"; done
[ "$(ls "$T_TMP/demo/packets"/*.completion.json | wc -l)" = 6 ] || t_fail "not 6 markers"

t_begin "blocked (executed elsewhere) -> Abort exits 3"
world blocked; mkdir -p "$D/.packetdeck"
setsid flock -o "$D/.packetdeck/track-1.lock" sleep 60 >/dev/null 2>&1 </dev/null & holder=$!
for _ in $(seq 50); do flock -n "$D/.packetdeck/track-1.lock" true || break; sleep 0.1; done
start "$PD" run "$D"
wait_for "is being executed elsewhere" && keys a
exited 3
kill -- -$holder 2>/dev/null; wait $holder 2>/dev/null
[ ! -e "$D/track-1.completion.json" ] || t_fail "track 1 ran"

t_begin "failure -> resume from the failure card completes; the resume menu at start"
world failure
sed -i "s|^Run: echo task 2.2|Run: test -e $W/flag \|\| { touch $W/flag; echo broken-once; exit 3; }|" "$D/track-2.md"
start "$PD" run --handoff continue "$D"
wait_for "track failed" && wait_for "broken-once"
keys q; exited 1
[ -e "$D/track-1.completion.json" ] && [ ! -e "$D/track-2.completion.json" ] || t_fail "markers after the failure"
start "$PD" run --handoff continue "$D"
wait_for "Failed or interrupted tracks" && wait_for "track 2 t2" && keys r
wait_for "3/3 complete" && wait_for "· completed" && keys q
exited 0
[ "$(grep -c "^=== .* task 2.1: " "$D/.packetdeck/track-2.log")" = 1 ] || t_fail "task 2.1 ran again on resume"

t_begin "a usage limit: the dialog counts down, [w]ait keeps waiting, the track goes on by itself; [a]bort exits 3"
world limit
AG="bash $(cd "$(dirname "$0")/../cli" && pwd)/fake_limited.sh once {packet} {track}"
start "$PD" run --handoff continue --runner "'$AG 2'" "$D"
wait_for "its agent hit a usage limit" && wait_for "starts again from its checkpoint in"
screen | grep -q "· limited" || t_fail "the header does not say limited"
keys w
wait_for "3/3 complete" 40
title=$(tm display -p '#{pane_title}')
[ "$title" = "packetdeck 3/3" ] || t_fail "the terminal's title: '$title'"
keys q
exited 0
[ "$(tr '\n' ' ' <"$D/agent-trace")" = "start 1.1 start 1.2 start 2.1 start 3.1 " ] || t_fail "trace: $(cat "$D/agent-trace")"
world limit-abort
start "$PD" run --runner "'$AG 600'" "$D"
wait_for "its agent hit a usage limit" && keys a
exited 3
[ -e "$D/.packetdeck/track-1.limit.json" ] || t_fail "the limit record is gone"

t_begin "m after a completed run merges in place; a conflict card lists its files; [c]ontinue after resolving; [a]bort"
world merge
sed -i 's/"post_merge_qa": \[\]/"post_merge_qa": ["echo gate-says-hello"]/' "$D/manifest.json"
for i in 2 3; do printf '### Task %s.1: edit\nRun: echo from-%s > shared.txt && git add -A && git commit -qm t%s\n' $i $i $i >"$D/track-$i.md"; done
start "$PD" run --handoff continue "$D"
wait_for "3/3 complete" 60 && wait_for "m merge"
keys m
wait_for "Conflicted files:" && wait_for "shared.txt" && wait_for "[c]ontinue" && wait_for "[a]bort"
I="$W/tui-integrated"
git -C "$I" status --porcelain | grep -qE "^(UU|AA) shared.txt" || t_fail "no git conflict state in $I: $(git -C "$I" status --porcelain 2>&1)"
keys c
wait_for "Conflicted files:"   # unresolved: stopped again
echo resolved >"$I/shared.txt"; git -C "$I" add shared.txt
keys c
wait_for "Merged into feature/tui-integrated" && wait_for "gate echo gate-says-hello: passed"
keys q
exited 0
[ "$(git -C "$W/repo" log --format=%s -1 feature/tui-integrated)" = "Merge track 3 (t3)" ] || t_fail "not merged"
git -C "$W/repo" merge-base --is-ancestor tui/t3 feature/tui-integrated || t_fail "track 3 not in the integration branch"
start "$PD" run --handoff continue "$D"
wait_for "3/3 complete" 60
keys m
wait_for "Merged into feature/tui-integrated"
keys Escape
keys m
wait_for "Merged into feature/tui-integrated"
keys q
exited 0
# a new conflict, aborted from the card: the branch back where it was
tip=$(git -C "$W/repo" rev-parse feature/tui-integrated)
echo again >"$W/wt-2/shared.txt"; git -C "$W/wt-2" commit -qam again
start "$PD" run --handoff continue "$D"
wait_for "3/3 complete" 60
keys m
wait_for "Conflicted files:"
keys a
wait_for "Aborted"
keys q
exited 0
[ "$tip" = "$(git -C "$W/repo" rev-parse feature/tui-integrated)" ] || t_fail "abort did not put the branch back"
[ ! -e "$D/.packetdeck/merge.json" ] || t_fail "merge.json left after abort"

t_begin "resize: the layout stays whole at 80x24, and says so below"
world resize
start "$PD" run --handoff continue "$D"
wait_for "· completed"
tm resize-window -x 80 -y 24
deadline=$((SECONDS + 5))
while [ $SECONDS -lt $deadline ] && ! screen | sed -n 24p | grep -q '^└.*┘$'; do sleep 0.1; done
s=$(screen)
sed -n 1p <<<"$s" | grep -q '^┌.*┐$' && sed -n 24p <<<"$s" | grep -q '^└.*┘$' || t_fail "frame at 80x24: $s"
[ "$(wc -l <<<"$s")" = 24 ] || t_fail "not 24 rows"
grep -qF "3/3 complete" <<<"$s" || t_fail "header at 80x24"
tm resize-window -x 70 -y 20
wait_for "needs at least 80x24"
tm resize-window -x 120 -y 36
wait_for "Track 3 · t3"
keys q; exited 0

t_begin "q during a run asks, then stops the runner's group: no process left"
world quit
printf '### Task 1.1: long\nRun: sleep 3717\n' >"$D/track-1.md"
start "$PD" run "$D"
wait_for "▶ 1.1 long" && wait_for "(no output yet)" && keys q
wait_for "quitting stops its runner" && keys y
exited 3
# the runner and its children are gone within the grace period (5 s)
deadline=$((SECONDS + 6))
while [ $SECONDS -lt $deadline ] && [ -n "$(left_under "$W")" ]; do sleep 0.1; done
[ -z "$(left_under "$W")" ] || t_fail "a process of the runner survived: $(left_under "$W")"
[ ! -e "$D/track-1.completion.json" ] || t_fail "marker"

t_begin "watch: another process's checkpoints appear live, and a packet edited on disk; q quits with 0"
world watch
start "$PD" watch "$D"
wait_for "0/3 complete"
"$PD" packet "$D/track-1.md" >/dev/null 2>&1
wait_for "1/3 complete" 2
# the selected track's packet changes on disk: the detail pane reads it again
wait_for "1.2 second"
printf 'no tasks any more\n' >"$D/track-1.md"
wait_for "packet: track-1.md: no tasks found" 2
keys q; exited 0

# in_pane CMD...: a fresh session whose shell saves `stty -g` before and
# after CMD (in $T_TMP/before, $T_TMP/after) and CMD's status in $T_TMP/rc
in_pane() {
  rm -f "$T_TMP/before" "$T_TMP/after"
  start "stty -g > $T_TMP/before; env -u CI TERM=xterm-256color LANG=C.UTF-8 $*; rc=\$?; stty -g > $T_TMP/after; echo \$rc > $T_TMP/rc; sleep 600; :"
}
t_begin "the terminal is restored on every exit path: q, SIGINT, SIGTERM, SIGHUP, SIGQUIT, a crash"
world stty
for how in q INT TERM HUP QUIT SEGV ABRT; do
  in_pane "$PD" watch "$D"
  wait_for "0/3 complete" || continue
  pid=$(pgrep -f "^$PD watch $D\$")
  [ -n "$pid" ] || { t_fail "$how: no pid"; continue; }
  if [ $how = q ]; then keys q; else kill -$how "$pid"; fi
  deadline=$((SECONDS + 10))
  while [ $SECONDS -lt $deadline ] && [ ! -s "$T_TMP/rc" ]; do sleep 0.05; done
  rc=$(cat "$T_TMP/rc" 2>/dev/null)
  case $how in
    q) want=0;; SEGV) want=139;; ABRT) want=134;; *) want=3;;
  esac
  [ "$rc" = "$want" ] || t_fail "$how: exit status '$rc', expected $want"
  [ -s "$T_TMP/before" ] && cmp -s "$T_TMP/before" "$T_TMP/after" ||
    t_fail "$how: stty -g differs: $(cat "$T_TMP/before") / $(cat "$T_TMP/after" 2>/dev/null)"
done

t_begin "a killed tmux pane: the dashboard exits within a second, without spinning"
world hangup
for cmd in watch run; do
  printf '### Task 1.1: long\nRun: sleep 3719\n' >"$D/track-1.md"
  start "$PD" $cmd "$D"
  if [ $cmd = run ]; then wait_for "▶ 1.1 long" || continue; else wait_for "0/3 complete" || continue; fi
  pid=$(pgrep -f "^$PD $cmd $D\$")
  [ -n "$pid" ] || { t_fail "$cmd: no pid"; continue; }
  tm kill-pane -t 0
  gone=0
  # gone, or a zombie its dead parent left to be reaped
  for _ in $(seq 50); do
    case "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" in ''|Z) gone=1; break;; esac
    sleep 0.02
  done
  [ $gone = 1 ] || t_fail "$cmd: still running 1 s after its pane was killed: $(ps -o pid,stat,time,args -p "$pid")"
  kill -KILL "$pid" 2>/dev/null
  deadline=$((SECONDS + 7))
  while [ $SECONDS -lt $deadline ] && [ -n "$(left_under "$W")" ]; do sleep 0.1; done
  [ -z "$(left_under "$W")" ] || t_fail "$cmd: a runner survived the hangup: $(left_under "$W")"
done

t_summary
