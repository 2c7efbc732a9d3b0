#!/usr/bin/env bash
# fake_limited.sh MODE PACKET TRACK - an agent runner that hits a usage
# limit the way claude says it (stream-json: a rate_limit_event and a
# failed result), after doing its first task. Each invocation appends
# "start NEXT_TASK" to $PACKETDECK_PACKET_DIR/agent-trace.
#   MODE=once SECONDS   limited on the first call (resets in SECONDS), then
#                       does the rest from its checkpoint
#   MODE=words          limited on the first call, the reset only in words
#                       that give no time ("usage limit reached"), then done
#   MODE=always         limited every time, no reset time
set -eu
mode=$1 packet=$2 track=$3 secs=${4:-2}
dir=$PACKETDECK_PACKET_DIR cp=$dir/track-$track.checkpoint.json
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
ids=$(sed -n 's/^### Task \([^:]*\):.*/\1/p' "$packet")
next=$(sed -n 's/.*"next_task": *"\([^"]*\)".*/\1/p' "$cp" 2>/dev/null || true)
[ -n "$next" ] || next=$(echo "$ids" | head -n 1)
echo "start $next" >>"$dir/agent-trace"
checkpoint() { # TASK NEXT
  git commit -q --allow-empty -m "agent task $1"
  local nt=null; [ -n "$2" ] && nt="\"$2\""
  printf '{"format_version":"1.0.0","track":%s,"last_completed_task":"%s","commit":"%s","timestamp":"%s","next_task":%s}\n' \
    "$track" "$1" "$(git rev-parse HEAD)" "$(now)" "$nt" >"$cp.tmp" && mv "$cp.tmp" "$cp"
}
limited() { # EPOCH|""
  echo '{"type":"system","subtype":"init","session_id":"s1","model":"m"}'
  if [ -n "$1" ]; then
    printf '{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":%s,"rateLimitType":"five_hour"}}\n' "$1"
    echo '{"type":"result","subtype":"success","is_error":true,"num_turns":1,"result":"You'"'"'ve hit your session limit · resets 1:10pm (UTC)","total_cost_usd":0}'
  else
    echo '{"type":"result","subtype":"success","is_error":true,"num_turns":1,"result":"Claude AI usage limit reached","total_cost_usd":0}'
  fi
  exit 1
}
first=$(echo "$ids" | head -n 1)
if [ "$mode" = always ]; then limited ""; fi
if [ ! -e "$dir/limited-once" ]; then
  touch "$dir/limited-once"
  [ "$next" = "$first" ] && checkpoint "$first" "$(echo "$ids" | sed -n 2p)"
  [ "$mode" = once ] && limited "$(( $(date +%s) + secs ))"
  limited ""
fi
set -- $ids
while [ $# -gt 0 ] && [ "$1" != "$next" ]; do shift; done
while [ $# -gt 0 ]; do id=$1; shift; checkpoint "$id" "${1:-}"; done
printf '{"format_version":"1.0.0","status":"complete","commit":"%s","timestamp":"%s"}\n' \
  "$(git rev-parse HEAD)" "$(now)" >"$dir/track-$track.completion.json.tmp"
mv "$dir/track-$track.completion.json.tmp" "$dir/track-$track.completion.json"
