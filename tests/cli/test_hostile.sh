#!/usr/bin/env bash
# test_hostile.sh PACKETDECK - hostile packet dirs, one table row each:
# every one is refused by `validate` and by `run` with exit status 2 and a
# located one-line message (each line of stderr starts with the offending
# file's path), nothing is written (the dir and the worktree area are
# byte-for-byte as before), nothing named in the input is executed, and
# memory stays bounded (peak RSS <= HOSTILE_RSS_MB, default 64).
PD=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
RSS_MB=${HOSTILE_RSS_MB:-64}
# a refusal that takes longer than this is a hang (sanitizers: wider)
LIMIT_S=${HOSTILE_LIMIT_S:-20}
W="$T_TMP/wt"   # worktrees would go here; nothing may appear
mkdir -p "$W"

# t_track ID DEPS [FIELD=JSON...]: a track, fields overridable
t_track() {
  local id=$1 deps=$2; shift 2
  local name="\"t$id\"" packet="\"track-$id.md\"" wt="\"$W/$id\"" branch="\"f/t$id\"" idj=$id kv
  for kv in "$@"; do
    case $kv in
      name=*) name=${kv#name=};; packet=*) packet=${kv#packet=};; worktree=*) wt=${kv#worktree=};;
      branch=*) branch=${kv#branch=};; id=*) idj=${kv#id=};; deps=*) deps=${kv#deps=};;
    esac
  done
  printf '{"id": %s, "name": %s, "packet": %s, "worktree": %s, "branch": %s, "depends_on": %s}' \
    "$idj" "$name" "$packet" "$wt" "$branch" "$deps"
}
# good N: a valid dir of N tracks, a chain
good() {
  local i tracks=()
  for i in $(seq 1 "$1"); do
    tracks+=("$(t_track "$i" "[$([ "$i" = 1 ] || echo $((i - 1)))]")")
    packet "track-$i.md" "$i" 1
  done
  manifest "${tracks[@]}"
}
deep() { printf "%${1}s" | tr ' ' "$2"; }

# ---- the table: NAME | SETUP (run in $D) | TEXT its message must hold ----
rows=()
row() { rows+=("$1"$'\x1f'"$2"$'\x1f'"$3"); }
row "self dependency" 'manifest "$(t_track 1 "[1]")"; packet track-1.md 1 1' \
    "track 1 depends on itself"
row "2-node cycle" 'manifest "$(t_track 1 "[2]")" "$(t_track 2 "[1]")"; packet track-1.md 1 1; packet track-2.md 2 1' \
    "circular dependency: 1 -> 2 -> 1"
row "long cycle" 'manifest "$(t_track 1 "[6]")" "$(t_track 2 "[1]")" "$(t_track 3 "[2]")" "$(t_track 4 "[3]")" "$(t_track 5 "[4]")" "$(t_track 6 "[5]")"; for i in 1 2 3 4 5 6; do packet track-$i.md $i 1; done' \
    "circular dependency: 1 -> 6 -> 5 -> 4 -> 3 -> 2 -> 1"
row "unknown dependency" 'manifest "$(t_track 1 "[9]")"; packet track-1.md 1 1' \
    "track 1 depends on unknown track 9"
row "duplicate ids" 'manifest "$(t_track 1 "[]")" "$(t_track 1 "[]" packet=\"track-2.md\")"; packet track-1.md 1 1; packet track-2.md 1 1' \
    "duplicate track id 1"
row "duplicate dependency entry" 'good 1; manifest "$(t_track 1 "[]")" "$(t_track 2 "[1, 1]")"; packet track-2.md 2 1' \
    "lists dependency 1 twice"
row "id as a string" 'good 1; manifest "$(t_track 1 "[]" id=\"1\")"' \
    "tracks[0].id"
row "id as a fraction" 'good 1; manifest "$(t_track 1 "[]" id=1.5)"' \
    "tracks[0].id"
row "depends_on as an object" 'good 1; manifest "$(t_track 1 "{}")"' \
    "tracks[0].depends_on"
row "tracks as a string" 'good 1; printf "{\"format_version\": \"1.0.0\", \"feature\": \"f\", \"tracks\": \"1\", \"merge_strategy\": \"m\", \"post_merge_qa\": []}" >manifest.json' \
    "tracks"
row "trailing garbage" 'good 1; printf "\n}{\n" >>manifest.json' \
    "unexpected text after the JSON value"
row "deep nesting (100000 levels)" 'good 1; { printf "{\"x\": "; deep 100000 "["; } >manifest.json' \
    "nested deeper than"
row "a 3 GB manifest (sparse: bounded read)" 'good 1; rm manifest.json; truncate -s 3G manifest.json' \
    "too large"
row "endless manifest (a symlink to /dev/zero)" 'good 1; ln -sf /dev/zero manifest.json' \
    "not a regular file"
row "manifest is a FIFO (no wait)" 'good 1; rm manifest.json; mkfifo manifest.json' \
    "not a regular file"
row "endless packet (a symlink to /dev/zero)" 'good 1; ln -sf /dev/zero track-1.md' \
    "outside the packet dir"
row "a 9 MB packet" 'good 1; { printf "### Task 1.1: a\nRun: true\n"; head -c 9000000 /dev/zero | tr "\0" x; } >track-1.md' \
    "too large"
row "invalid UTF-8 in the manifest" 'good 1; sed -i "s/\"t1\"/\"t\xff\"/" manifest.json' \
    "invalid UTF-8"
row "NUL byte in the manifest" 'good 1; printf "\0" >>manifest.json' \
    "NUL byte"
row "\\u0000 in a name" 'good 1; manifest "$(t_track 1 "[]" name=\"a\\u0000b\")"' \
    "\\u0000 in a string"
row "control character in a name" 'good 1; manifest "$(t_track 1 "[]" name=\"a\\u001b[2J\")"' \
    "contains control character 0x1b"
row "NUL byte in a packet" 'good 1; printf "### Task 1.1: a\0b\nRun: true\n" >track-1.md' \
    "NUL byte"
row "duplicate keys" 'good 1; sed -i "s/\"feature\": \"f\",/\"feature\": \"f\", \"feature\": \"g\",/" manifest.json' \
    "duplicate key \"feature\""
row "packet path climbing out with .." 'good 1; manifest "$(t_track 1 "[]" packet=\"../track-1.md\")"' \
    "tracks[0].packet"
row "absolute packet path" 'good 1; manifest "$(t_track 1 "[]" packet=\"/etc/passwd\")"' \
    "tracks[0].packet"
row "packet symlink escaping" 'good 1; ln -sf /etc/passwd track-1.md' \
    "outside the packet dir"
row "relative worktree climbing out" 'good 1; manifest "$(t_track 1 "[]" worktree=\"../../etc\")"' \
    "climbs out of the packet dir"
row "shell metacharacters in a packet name" 'good 1; manifest "$(t_track 1 "[]" packet=\"t\$\(touch\ PWNED\).md\")"' \
    "contains '\$'"
row "shell metacharacters in a worktree path" 'good 1; manifest "$(t_track 1 "[]" worktree=\"/tmp/\`touch\ PWNED\`\")"' \
    "contains '\`'"
row "shell metacharacters in a branch" 'good 1; manifest "$(t_track 1 "[]" branch=\"f\;touch\${IFS}PWNED\")"' \
    "contains ';'"
row "branch git refuses" 'good 1; manifest "$(t_track 1 "[]" branch=\"f/../x\")"' \
    "is not a valid git branch name"
row "frontmatter alias bomb" 'good 1; printf -- "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n---\n### Task 1.1: a\n" >track-1.md' \
    "YAML anchors are not allowed"
row "frontmatter nested deeply" 'good 1; { printf -- "---\nx: "; deep 5000 "["; printf "\n---\n### Task 1.1: a\n"; } >track-1.md' \
    "frontmatter"
row "frontmatter over 64 KB" 'good 1; { printf -- "---\nx: \""; head -c 70000 /dev/zero | tr "\0" y; printf "\"\n---\n### Task 1.1: a\n"; } >track-1.md' \
    "frontmatter"
row "completion marker is a directory" 'good 1; mkdir track-1.completion.json' \
    "a directory, not a regular file"
row "completion marker is a FIFO" 'good 1; mkfifo track-1.completion.json' \
    "a FIFO, not a regular file"
row "checkpoint is a symlink" 'good 1; ln -s /etc/passwd track-1.checkpoint.json' \
    "a symlink, not a regular file"
row "upstream checkpoint is a directory" 'good 1; mkdir -p checkpoints/track-1-checkpoint.json' \
    "a directory, not a regular file"
row ".packetdeck is a file" 'good 1; : >.packetdeck' \
    "a regular file, not a directory"
row "manifest is a directory" 'good 1; rm manifest.json; mkdir manifest.json' \
    "not a regular file"
row "empty manifest" 'good 1; : >manifest.json' \
    "manifest.json"
row "missing packet file" 'good 2; rm track-2.md' \
    "track-2.md"

for r in "${rows[@]}"; do
  IFS=$'\x1f' read -r name setup want <<<"$r"
  t_begin "$name: refused (2), located, nothing written"
  : >"$T_TMP/out"; t_dir "case"; (cd "$D" && eval "$setup") || { t_fail "setup failed"; continue; }
  before=$(snapshot_dir "$D"; snapshot_dir "$W")
  for cmd in validate run; do
    rss=$(cd "$T_TMP" && timeout "$LIMIT_S" python3 - "$PD" "$cmd" "$D" <<'PY' 2>"$T_TMP/err"
import os, subprocess, sys
argv = [sys.argv[1], sys.argv[2]] + (["--no-tui"] if sys.argv[2] == "run" else []) + [sys.argv[3]]
p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sys.stderr)
_, status, ru = os.wait4(p.pid, 0)
print(ru.ru_maxrss // 1024, os.waitstatus_to_exitcode(status))
PY
)
    read -r mb RC <<<"$rss"
    [ "$RC" = 2 ] || t_fail "$cmd: exit status ${RC:-none (hung?)}, expected 2"
    grep -qF -- "$want" "$T_TMP/err" || t_fail "$cmd: no message holding: $want"
    # located: every line names the dir's file it is about
    if grep -v -- "^$D/" "$T_TMP/err" | grep -q .; then t_fail "$cmd: a line not located in $D"; fi
    [ "${mb:-9999}" -le "$RSS_MB" ] || t_fail "$cmd: peak RSS ${mb} MB > $RSS_MB MB"
  done
  after=$(snapshot_dir "$D"; snapshot_dir "$W")
  [ "$before" = "$after" ] || t_fail "something was written: $(diff <(echo "$before") <(echo "$after") | head -5)"
  find / -maxdepth 1 -name PWNED 2>/dev/null | grep -q . && t_fail "an injected command ran"
  find "$T_TMP" -name PWNED | grep -q . && t_fail "an injected command ran"
done
[ ${#rows[@]} -ge 30 ] || { t_begin "at least 30 hostile dirs"; t_fail "only ${#rows[@]}"; }
t_summary
