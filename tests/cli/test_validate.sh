#!/usr/bin/env bash
# test_validate.sh - every validation rule through the real binary: the exact
# located message, exit status 2, and nothing written.
# usage: test_validate.sh PACKETDECK FIXTURES_DIR
set -u
PD=$1 FIX=$2
. "$(dirname "$0")/lib.sh"

t_begin "a valid dir passes with exit 0"
t_dir ok; manifest "$(track 1 a '')" "$(track 2 b 1)"; packet track-1.md 1; packet track-2.md 2 3
pd validate "$D"; expect_rc 0; expect_out "$D: valid: 2 tracks, 5 tasks"
pd validate --quiet "$D"; expect_rc 0; expect_out_is ""

t_begin "missing top-level field"
t_dir nofeature
printf '{"format_version":"1.0.0","tracks":[%s],"merge_strategy":"m","post_merge_qa":[]}' "$(track 1 a '')" >"$D/manifest.json"
packet track-1.md 1
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: missing required field \"feature\""

t_begin "missing merge_strategy says what to add"
pd validate "$FIX/upstream/no-merge-strategy"; expect_rc 2
expect_err "$FIX/upstream/no-merge-strategy/manifest.json: missing required field \"merge_strategy\" (add upstream's defaults with: packetdeck adopt $FIX/upstream/no-merge-strategy)"
expect_err_lines 1

t_begin "missing track field is located"
t_dir nobranch
manifest "$(track 1 a '')" "$(track 2 b '')" '{"id": 3, "name": "c", "packet": "track-3.md", "worktree": "/w", "depends_on": []}'
packet track-1.md 1; packet track-2.md 2; packet track-3.md 3
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: tracks[2]: missing required field \"branch\""

t_begin "wrong JSON types"
t_dir types
manifest '{"id": "1", "name": "a", "packet": "track-1.md", "worktree": "/w", "branch": "b", "depends_on": []}' \
         '{"id": 1.5, "name": "b", "packet": "track-1.md", "worktree": "/w", "branch": "c", "depends_on": "1"}'
packet track-1.md 1
pd validate "$D"; expect_rc 2
expect_err "$D/manifest.json: tracks[0].id: must be an integer, not a string (\"1\")"
expect_err "$D/manifest.json: tracks[1].id: must be an integer from 0 to 2147483647, not 1.5"
expect_err "$D/manifest.json: tracks[1].depends_on: must be an array of track ids, not a string"

t_begin "duplicate ids"
t_dir dupid; manifest "$(track 1 a '')" "$(track 1 b '')"; packet track-1.md 1
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: tracks[1].id: duplicate track id 1 (also tracks[0])"

t_begin "unknown dependency"
t_dir unknown; manifest "$(track 1 a '')" "$(track 2 b '')" "$(track 3 c '1, 9')"
packet track-1.md 1; packet track-2.md 2; packet track-3.md 3
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: tracks[2].depends_on[1]: track 3 depends on unknown track 9"

t_begin "self dependency"
t_dir self; manifest "$(track 1 a '1')"; packet track-1.md 1
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: tracks[0].depends_on[0]: track 1 depends on itself"
expect_err_lines 1

t_begin "duplicate dependency"
t_dir dupdep; manifest "$(track 1 a '')" "$(track 2 b '1, 1')"; packet track-1.md 1; packet track-2.md 2
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: tracks[1].depends_on[1]: track 2 lists dependency 1 twice"

t_begin "circular dependency with its path"
t_dir cycle; manifest "$(track 1 a '3')" "$(track 2 b '1')" "$(track 3 c '2')" "$(track 4 d '')"
packet track-1.md 1; packet track-2.md 2; packet track-3.md 3; packet track-4.md 4
pd validate "$D"; expect_rc 2
expect_err "$D/manifest.json: tracks[0].depends_on[0]: circular dependency: 1 -> 3 -> 2 -> 1"
expect_err_lines 1

t_begin "absolute packet path"
t_dir abs; manifest '{"id": 1, "name": "a", "packet": "/etc/passwd", "worktree": "/w", "branch": "b", "depends_on": []}'
pd validate "$D"; expect_rc 2
expect_err "$D/manifest.json: tracks[0].packet: packet path \"/etc/passwd\" is absolute; name a file inside the packet dir"

t_begin "packet path escaping with .."
t_dir dotdot; manifest '{"id": 1, "name": "a", "packet": "../dotdot/../../x.md", "worktree": "/w", "branch": "b", "depends_on": []}'
pd validate "$D"; expect_rc 2
expect_err "$D/manifest.json: tracks[0].packet: packet path \"../dotdot/../../x.md\" is outside the packet dir"

t_begin "packet symlink escaping"
t_dir symlink; manifest "$(track 1 a '')"; echo '### Task 1: x' >"$T_TMP/outside.md"; ln -s "$T_TMP/outside.md" "$D/track-1.md"
pd validate "$D"; expect_rc 2
expect_err "$D/manifest.json: tracks[0].packet: packet path \"track-1.md\" resolves to $(realpath "$T_TMP/outside.md"), outside the packet dir"

t_begin "missing packet file"
t_dir missing; manifest "$(track 1 a '')"
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: tracks[0].packet: packet file \"track-1.md\" not found"

t_begin "branch name git refuses"
t_dir branch; manifest "$(track 1 a '' 'feature/../x')" "$(track 2 b '' 'ends.')"; packet track-1.md 1; packet track-2.md 2
pd validate "$D"; expect_rc 2
expect_err "$D/manifest.json: tracks[0].branch: \"feature/../x\" is not a valid git branch name"
expect_err "$D/manifest.json: tracks[1].branch: \"ends.\" is not a valid git branch name"

t_begin "shell metacharacters in a branch (git would accept it)"
t_dir meta; manifest "$(track 1 a '' 'feat;touch${IFS}pwned')"; packet track-1.md 1
pd validate "$D"; expect_rc 2
expect_err "$D/manifest.json: tracks[0].branch: branch name \"feat;touch\${IFS}pwned\" contains ';', which is not allowed in branch names"
[ ! -e pwned ] && [ ! -e "$D/pwned" ] || t_fail "a file was created"

t_begin "unparsable manifest is located"
t_dir garbage; printf '{"format_version": "1.0.0"}\n]\n' >"$D/manifest.json"
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json:2:1: unexpected text after the JSON value"

t_begin "unparsable packet frontmatter is located"
t_dir yaml; manifest "$(track 1 a '')"; printf -- '---\nowner: [1\n---\n### Task 1.1: x\n' >"$D/track-1.md"
pd validate "$D"; expect_rc 2; expect_err "$D/track-1.md:3: frontmatter is not valid YAML: did not find expected ',' or ']'"

t_begin "duplicate task ids are located"
t_dir duptask; manifest "$(track 1 a '')"; printf '### Task 1.1: a\n\n### Task 1.1: b\n' >"$D/track-1.md"
pd validate "$D"; expect_rc 2; expect_err "$D/track-1.md:3: duplicate task id \"1.1\" (first at line 1)"

t_begin "frontmatter disagreeing with the manifest names both values"
t_dir disagree; manifest "$(track 1 a '')"; printf -- '---\ntrack: 2\nbranch: main\n---\n### Task 1.1: a\n' >"$D/track-1.md"
pd validate "$D"; expect_rc 2
expect_err "$D/track-1.md:2: frontmatter track 2 disagrees with the manifest's id 1 (tracks[0])"
expect_err "$D/track-1.md:3: frontmatter branch \"main\" disagrees with the manifest's \"feature/t1\" (tracks[0])"

t_begin "control characters in a name"
t_dir ctrl; manifest '{"id": 1, "name": "evil\u001b[2J", "packet": "track-1.md", "worktree": "/w", "branch": "b", "depends_on": []}'; packet track-1.md 1
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: tracks[0].name: contains control character 0x1b"

t_begin "relative worktree climbing out"
t_dir wtesc; manifest '{"id": 1, "name": "a", "packet": "track-1.md", "worktree": "../../etc", "branch": "b", "depends_on": []}'; packet track-1.md 1
pd validate "$D"; expect_rc 2
expect_err "$D/manifest.json: tracks[0].worktree: relative worktree \"../../etc\" climbs out of the packet dir; use an absolute path"

t_begin "unsupported format_version"
t_dir fmt; printf '{"format_version":"2.1","feature":"f","tracks":[%s],"merge_strategy":"m","post_merge_qa":[]}' "$(track 1 a '')" >"$D/manifest.json"; packet track-1.md 1
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: format_version: unsupported format_version \"2.1\" (packetdeck reads 1.x)"

t_begin "deep nesting, duplicate keys, invalid UTF-8, \\u0000 and NUL bytes in the manifest"
t_dir deep; { printf '{"x": '; printf '[%.0s' $(seq 40); printf '1'; printf ']%.0s' $(seq 40); printf '}'; } >"$D/manifest.json"
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json:1:38: nested deeper than 32 levels"
printf '{"feature": "a", "feature": "b"}' >"$D/manifest.json"
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: duplicate key \"feature\""
printf '{"feature": "caf\xe9"}' >"$D/manifest.json"
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json:1:17: invalid UTF-8"
printf '{"feature": "a\\u0000b"}' >"$D/manifest.json"
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json:1:15: \\u0000 in a string"
printf '{"feature": "a"}\0' >"$D/manifest.json"
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json:1:17: NUL byte"

t_begin "a FIFO or a directory as manifest.json is refused without waiting"
t_dir fifo; mkfifo "$D/manifest.json"
timeout 5 "$PD" validate "$D" >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
expect_rc 2; expect_err "$D/manifest.json: not a regular file"
rm "$D/manifest.json"; mkdir "$D/manifest.json"
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: not a regular file"

t_begin "packet content rules are located"
t_dir content; manifest "$(track 1 a '')" "$(track 2 b '')" "$(track 3 c '')" "$(track 4 d '')"
printf '### Task 1.1: a\nRun:\n' >"$D/track-1.md"
printf '### Task 2.1: a\n```sh\necho never closed\n' >"$D/track-2.md"
printf -- '---\nbase: &b {x: 1}\n---\n### Task 3.1: a\n' >"$D/track-3.md"
printf '### Task 4.1: caf\xe9\n' >"$D/track-4.md"
pd validate "$D"; expect_rc 2
expect_err "$D/track-1.md:2: task 1.1: empty Run: command"
expect_err "$D/track-2.md:2: code block opened here is never closed"
expect_err "$D/track-3.md:2: YAML anchors are not allowed in frontmatter"
expect_err "$D/track-4.md:1:18: invalid UTF-8"
expect_err_lines 4

t_begin "no manifest, no dir"
t_dir empty
pd validate "$D"; expect_rc 2; expect_err "$D/manifest.json: no such file: $D is not a packet dir"
pd validate "$T_TMP/nonexistent"; expect_rc 2; expect_err "$T_TMP/nonexistent: no such directory"

t_begin "all problems of a dir are reported in one go"
t_dir many; manifest "$(track 1 a '7')" "$(track 2 b '2')" '{"id": 3, "name": "c", "packet": "/abs", "worktree": "/w", "branch": "b;c", "depends_on": []}'
printf 'no tasks\n' >"$D/track-1.md"; packet track-2.md 2
pd validate "$D"; expect_rc 2; expect_err_lines 5
expect_err "$D/track-1.md: no tasks found (expected \"### Task 1.1: ...\", \"**Task 1.1:** ...\" or \"- [ ] Task 1.1: ...\")"

t_begin "validate, plan and status write nothing"
t_dir ro; manifest "$(track 1 a '')" "$(track 2 b 1)"; packet track-1.md 1; packet track-2.md 2
before=$(snapshot_dir "$D")
pd validate "$D"; pd plan "$D"; pd plan --json "$D"; pd status "$D"; pd status --json "$D"
[ "$before" = "$(snapshot_dir "$D")" ] || t_fail "the packet dir changed"

t_begin "the three upstream packet styles validate"
for s in generator-style parser-style plan-style; do
  pd validate "$FIX/upstream/$s"; expect_rc 0
done
pd validate "$FIX/upstream/generator-style"; expect_out "$FIX/upstream/generator-style: valid: 2 tracks, 5 tasks"

t_summary
