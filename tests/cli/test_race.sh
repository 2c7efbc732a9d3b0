#!/usr/bin/env bash
# test_race.sh PACKETDECK [ROUNDS] [STARTS] - STARTS (200) `packetdeck run`
# of one dir released at the same instant (all blocked opening one FIFO),
# ROUNDS (3) times: exactly one wins (exit 0) and the track runs once; every
# other start is refused with exit 4 naming the holder, and writes nothing.
# Then `run` and `packet` of one track started at the same instant, 20
# times: the track is never executed twice; a refused run is blocked (exit
# 3, as with no terminal), a refused packet exits 4 naming the run; neither
# leaves a failure record for the track the other executes. And both
# orders made to happen (faultlib.c holds `run` between naming the track in
# run.lock and probing track-1.lock): a packet then sees the name; a lock
# taken then is seen by the run.
set -u
PD=$(realpath "$1"); ROUNDS=${2:-3}; STARTS=${3:-200}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
export GIT_CONFIG_NOSYSTEM=1 HOME="$T_TMP"
unset PACKETDECK_RUNNER

# one_track NAME: a dir of one track that holds until $W/release; $W, $D
one_track() {
  W="$T_TMP/$1"; D="$W/packets"; mkdir -p "$D" "$W/pause"
  git init -q -b main "$W/repo" && git -C "$W/repo" commit -q --allow-empty -m initial
  printf '{"format_version": "1.0.0", "feature": "race", "project_root": "%s/repo", "tracks": [{"id": 1, "name": "t1", "packet": "track-1.md", "worktree": "%s/wt", "branch": "r/t1", "depends_on": []}], "merge_strategy": "worktree-merge", "post_merge_qa": []}\n' "$W" "$W" >"$D/manifest.json"
  printf '### Task 1.1: hold\nRun: echo ran >> %s/trace; while [ ! -e %s/release ]; do sleep 0.05; done\n' "$W" "$W" >"$D/track-1.md"
}

for round in $(seq "$ROUNDS"); do
  t_begin "round $round: $STARTS simultaneous runs of one dir, exactly one wins"
  # the winner's task holds the dir until every other start has ended
  one_track "r$round"; mkdir -p "$W/rc"
  mkfifo "$W/go"
  for i in $(seq "$STARTS"); do
    ( read -r _ <"$W/go"; "$PD" run "$D" </dev/null >"$W/rc/$i.out" 2>"$W/rc/$i.err"; echo $? >"$W/rc/$i" ) &
  done
  sleep 0.5
  : >"$W/go"   # every reader's open returns now: all start together
  # all but the winner end; then the winner is released
  deadline=$((SECONDS + 120))
  while [ $SECONDS -lt $deadline ] && [ "$(ls "$W/rc" | grep -cv '\.')" -lt $((STARTS - 1)) ]; do sleep 0.1; done
  touch "$W/release"; wait
  won=$(grep -lx 0 "$W"/rc/[0-9]* | wc -l)
  lost=$(grep -lx 4 "$W"/rc/[0-9]* | wc -l)
  [ "$won" = 1 ] && [ "$lost" = $((STARTS - 1)) ] ||
    t_fail "won $won, refused $lost; statuses: $(cat "$W"/rc/[0-9]* | sort | uniq -c | tr '\n' ' ')"
  [ "$(cat "$W/trace")" = ran ] || t_fail "the track ran $(wc -l <"$W/trace") times"
  loser=$(grep -lx 4 "$W"/rc/[0-9]* | head -1)
  grep -q "run.lock is held by" "$loser.err" 2>/dev/null ||
    t_fail "a refused start does not say why: $(cat "$loser.err" 2>/dev/null)"
  [ "$(grep -c '"kind":"run_started"\|"event":"run_started"' "$D/.packetdeck/events.jsonl")" -le 1 ] ||
    t_fail "more than one run started in the journal"
done

t_begin "run and packet of one track at the same instant: it never executes twice"
executed=0
for round in $(seq 20); do
  one_track "p$round"
  mkfifo "$W/go"
  ( read -r _ <"$W/go"; "$PD" run "$D" </dev/null >"$W/run.out" 2>"$W/run.err"; echo $? >"$W/run.rc" ) &
  ( read -r _ <"$W/go"; "$PD" packet "$D/track-1.md" </dev/null >"$W/pkt.out" 2>"$W/pkt.err"; echo $? >"$W/pkt.rc" ) &
  sleep 0.2; : >"$W/go"
  # the one that executes waits for release; the other ends by itself
  deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ] && [ ! -e "$W/run.rc" ] && [ ! -e "$W/pkt.rc" ]; do sleep 0.05; done
  touch "$W/release"; wait
  ran=$(cat "$W/trace" 2>/dev/null | wc -l)
  [ "$ran" -le 1 ] || t_fail "round $round: the track executed $ran times"
  run_rc=$(cat "$W/run.rc"); pkt_rc=$(cat "$W/pkt.rc")
  case "$run_rc" in
    0) ;;
    3) grep -q "being executed by another process" "$W/run.out" ||
         t_fail "round $round: a refused run does not say why: $(cat "$W/run.out" "$W/run.err")" ;;
    *) t_fail "round $round: run exited $run_rc: $(cat "$W/run.err")" ;;
  esac
  case "$pkt_rc" in
    0) ;;
    4) grep -Eq "track 1 is being executed by the run of pid|is held by pid" "$W/pkt.err" ||
         t_fail "round $round: a refused packet does not say why: $(cat "$W/pkt.err")" ;;
    *) t_fail "round $round: packet exited $pkt_rc: $(cat "$W/pkt.err")" ;;
  esac
  wins=$(( (run_rc == 0) + (pkt_rc == 0) ))
  [ "$wins" = "$ran" ] || t_fail "round $round: $wins succeeded, the track executed $ran times"
  [ ! -e "$D/track-1.failure.json" ] || t_fail "round $round: a failure record: $(cat "$D/track-1.failure.json")"
  executed=$((executed + ran))
done
echo "# run vs packet: the track executed in $executed of 20 rounds, never twice"

cc -shared -fPIC -o "$T_TMP/faultlib.so" "$HERE/faultlib.c" -ldl || t_fail "cannot build faultlib"
# paused_run: `run` held at its second open of track-1.lock (the first is
# the gate's probe; the second, the probe after naming the track)
paused_run() {
  LD_PRELOAD="$T_TMP/faultlib.so" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    PD_PAUSE_OPEN=/track-1.lock PD_PAUSE_SKIP=1 PD_PAUSE_DIR="$W/pause" \
    "$PD" run "$D" </dev/null >"$W/run.out" 2>"$W/run.err" &
  runner=$!
  for _ in $(seq 200); do [ -e "$W/pause/paused" ] && break; sleep 0.05; done
  [ -e "$W/pause/paused" ] || t_fail "run never reached its probe: $(cat "$W/run.err")"
}

t_begin "run names the track in run.lock before it probes track-1.lock: a packet then is refused"
one_track named; paused_run
grep -q '"track":1' "$D/.packetdeck/run.lock" || t_fail "run.lock does not name track 1: $(cat "$D/.packetdeck/run.lock")"
pd packet "$D/track-1.md"; expect_rc 4
grep -q "^packetdeck packet: track 1 is being executed by the run of pid $runner on " "$T_TMP/err" ||
  t_fail "packet's refusal: $(cat "$T_TMP/err")"
touch "$W/pause/go" "$W/release"; wait "$runner"; RC=$?; expect_rc 0
[ "$(cat "$W/trace")" = ran ] || t_fail "the track executed $(wc -l <"$W/trace" 2>/dev/null) times"
grep -q '"track"' "$D/.packetdeck/run.lock" && t_fail "run.lock still names a track after the run"

t_begin "a track lock taken after the gate passed is seen by the run: blocked, exit 3, nothing recorded"
one_track late; paused_run
setsid flock -o "$D/.packetdeck/track-1.lock" sleep 30 >/dev/null 2>&1 </dev/null & holder=$!
for _ in $(seq 50); do flock -n "$D/.packetdeck/track-1.lock" true || break; sleep 0.1; done
touch "$W/pause/go"; wait "$runner"; RC=$?; expect_rc 3
grep -q "Track 1 (t1) is being executed by another process" "$W/run.out" || t_fail "run's output: $(cat "$W/run.out")"
grep -q "aborted: track 1 is blocked: it is being executed by another process" "$W/run.err" ||
  t_fail "run's error: $(cat "$W/run.err")"
[ ! -e "$W/trace" ] || t_fail "the task ran"
[ ! -e "$D/track-1.failure.json" ] || t_fail "a failure record: $(cat "$D/track-1.failure.json")"
grep -q '"track"' "$D/.packetdeck/run.lock" && t_fail "run.lock still names the track"
kill -- -"$holder" 2>/dev/null; wait "$holder" 2>/dev/null
t_summary
