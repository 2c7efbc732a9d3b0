#!/usr/bin/env bash
# test_race.sh PACKETDECK [ROUNDS] [STARTS] - STARTS (200) `packetdeck run`
# of one dir released at the same instant (all blocked opening one FIFO),
# ROUNDS (3) times: exactly one wins (exit 0) and the track runs once; every
# other start is refused with exit 4 naming the holder, and writes nothing.
set -u
PD=$(realpath "$1"); ROUNDS=${2:-3}; STARTS=${3:-200}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
export GIT_CONFIG_NOSYSTEM=1 HOME="$T_TMP"
unset PACKETDECK_RUNNER

for round in $(seq "$ROUNDS"); do
  t_begin "round $round: $STARTS simultaneous runs of one dir, exactly one wins"
  W="$T_TMP/r$round"; D="$W/packets"; mkdir -p "$D" "$W/rc"
  git init -q -b main "$W/repo" && git -C "$W/repo" commit -q --allow-empty -m initial
  printf '{"format_version": "1.0.0", "feature": "race", "project_root": "%s/repo", "tracks": [{"id": 1, "name": "t1", "packet": "track-1.md", "worktree": "%s/wt", "branch": "r/t1", "depends_on": []}], "merge_strategy": "worktree-merge", "post_merge_qa": []}\n' "$W" "$W" >"$D/manifest.json"
  # the winner's task holds the dir until every other start has ended
  printf '### Task 1.1: hold\nRun: echo ran >> %s/trace; while [ ! -e %s/release ]; do sleep 0.05; done\n' "$W" "$W" >"$D/track-1.md"
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
t_summary
