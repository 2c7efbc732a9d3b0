#!/usr/bin/env bash
# fake_agent.sh MODE PACKET TRACK [ARGS...] - stands in for an AI agent
# runner in tests: it does a packet's tasks the way an agent would, writing
# the checkpoint after each task and the completion marker at the end, in
# the seed's formats, at their paths, from the PACKETDECK_* environment.
#   MODE=agent          the whole protocol
#   MODE=no-marker      checkpoints, then exit 0 without the marker
#   MODE=argv FILE      also record its argv, one per line, into FILE
#   MODE=stubborn       ignore SIGTERM and sleep (a runner that must be killed)
#   MODE=no-commit      edits, never commits: checkpoints name null, the
#                       marker names the commit the branch started at
#   MODE=bogus          commits, but the marker names a commit that does not exist
#   MODE=silent         prints one line, then sleeps without a word
set -eu
mode=$1 packet=$2 track=$3; shift 3
if [ "$mode" = argv ]; then printf '%s\n' "$packet" "$track" "$@" >"$1"; fi
dir=$PACKETDECK_PACKET_DIR
[ "$PACKETDECK_TRACK" = "$track" ] || { echo "PACKETDECK_TRACK mismatch" >&2; exit 9; }
[ "$(pwd)" = "$PACKETDECK_WORKTREE" ] || { echo "not started in the worktree" >&2; exit 9; }
[ -n "${PACKETDECK_RUN_ID:-}" ] || { echo "no run id" >&2; exit 9; }
[ "$(readlink /proc/self/fd/0)" = /dev/null ] || { echo "stdin is not /dev/null" >&2; exit 9; }
if [ "$mode" = stubborn ]; then trap '' TERM; exec sleep 303; fi
if [ "$mode" = silent ]; then echo "agent: thinking"; exec sleep 303; fi
ids=$(sed -n 's/^### Task \([^:]*\):.*/\1/p' "$packet")
set -- $ids
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
while [ $# -gt 0 ]; do
  id=$1; shift; next=${1:-}
  echo "agent: doing task $id"
  echo "$id" >>"$dir/agent-trace"
  if [ "$mode" = no-commit ]; then
    echo "$id" >>work.txt; head=null
  else
    git commit -q --allow-empty -m "agent task $id"; head="\"$(git rev-parse HEAD)\""
  fi
  nt=$([ -n "$next" ] && printf '"%s"' "$next" || printf null)
  printf '{"format_version":"1.0.0","track":%s,"last_completed_task":"%s","commit":%s,"timestamp":"%s","next_task":%s}\n' \
    "$track" "$id" "$head" "$(now)" "$nt" >"$dir/track-$track.checkpoint.json.tmp"
  mv "$dir/track-$track.checkpoint.json.tmp" "$dir/track-$track.checkpoint.json"
  # an agent takes minutes a task: go on once run has reported this one
  # (it sees an agent's checkpoints in the file only), or after 10 s
  for _ in $(seq 200); do
    grep -q "\"event\":\"checkpoint\",\"ts\":\"[^\"]*\",\"track\":$track,\"name\":\"[^\"]*\",\"task\":\"$id\"" \
      "$dir/.packetdeck/events.jsonl" 2>/dev/null && break
    sleep 0.05
  done
done
[ "$mode" = no-marker ] && exit 0
commit=$(git rev-parse HEAD)
[ "$mode" = bogus ] && commit=0123456789abcdef0123456789abcdef01234567
printf '{"format_version":"1.0.0","status":"complete","commit":"%s","timestamp":"%s"}\n' \
  "$commit" "$(now)" >"$dir/track-$track.completion.json.tmp"
mv "$dir/track-$track.completion.json.tmp" "$dir/track-$track.completion.json"
