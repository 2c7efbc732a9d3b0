#!/usr/bin/env bash
# fake_claude.sh PACKET TRACK - an agent runner that speaks claude's
# stream-json (the shapes of claude 2.1's lines) while it does a packet's
# tasks: a commit, a checkpoint and the marker, like fake_agent.sh; and one
# line of plain text.
set -eu
packet=$1 track=$2 dir=$PACKETDECK_PACKET_DIR
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
echo '{"type":"system","subtype":"init","cwd":"'"$PWD"'","session_id":"s1","tools":["Bash"],"model":"claude-test"}'
n=0
for id in $(sed -n 's/^### Task \([^:]*\):.*/\1/p' "$packet"); do
  n=$((n + 1))
  printf '{"type":"assistant","message":{"id":"m%s","role":"assistant","content":[{"type":"tool_use","id":"tu%s","name":"Bash","input":{"command":"git commit -m task-%s"}}],"usage":{"input_tokens":100,"output_tokens":10}}}\n' "$n" "$n" "$id"
  git commit -q --allow-empty -m "task-$id"
  printf '{"type":"user","message":{"role":"user","content":[{"tool_use_id":"tu%s","type":"tool_result","content":"committed","is_error":false}]}}\n' "$n"
  printf '{"format_version":"1.0.0","track":%s,"last_completed_task":"%s","commit":"%s","timestamp":"%s","next_task":null}\n' \
    "$track" "$id" "$(git rev-parse HEAD)" "$(now)" >"$dir/track-$track.checkpoint.json.tmp"
  mv "$dir/track-$track.checkpoint.json.tmp" "$dir/track-$track.checkpoint.json"
done
printf 'plain words \033[1mbold\033[0m\n'
printf '{"format_version":"1.0.0","status":"complete","commit":"%s","timestamp":"%s"}\n' \
  "$(git rev-parse HEAD)" "$(now)" >"$dir/track-$track.completion.json.tmp"
mv "$dir/track-$track.completion.json.tmp" "$dir/track-$track.completion.json"
echo '{"type":"result","subtype":"success","is_error":false,"num_turns":'"$n"',"result":"Track done.","total_cost_usd":0.25,"usage":{"input_tokens":'"$((n * 100))"',"output_tokens":'"$((n * 10))"'}}'
