# lib.sh - a tiny harness for command-line tests of the real binary.
# Source it, call `t_begin NAME`, run `pd ARGS...`, assert, and finish with
# `t_summary`, which prints "N passed, M failed" and sets the exit status.

T_PASS=0 T_FAIL=0 T_NAME='' T_OK=1
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pdcli.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT

t_end() {
  [ -n "$T_NAME" ] || return 0
  if [ "$T_OK" = 1 ]; then T_PASS=$((T_PASS + 1)); echo "ok - $T_NAME"
  else T_FAIL=$((T_FAIL + 1)); echo "not ok - $T_NAME"; fi
  T_NAME=''
}

t_begin() { t_end; T_NAME=$1; T_OK=1; }

t_fail() {
  T_OK=0
  echo "  # $*"
  echo "  # stdout:"; sed 's/^/  #   /' "$T_TMP/out"
  echo "  # stderr:"; sed 's/^/  #   /' "$T_TMP/err"
}

# pd ARGS...: run the binary; $T_TMP/out, $T_TMP/err, $RC.
pd() { "$PD" "$@" >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?; }

expect_rc() { [ "$RC" = "$1" ] || t_fail "exit status $RC, expected $1"; }

# The exact line on stderr / stdout.
expect_err() { grep -qFx -- "$1" "$T_TMP/err" || t_fail "no stderr line: $1"; }
expect_out() { grep -qFx -- "$1" "$T_TMP/out" || t_fail "no stdout line: $1"; }
expect_err_lines() {
  local n; n=$(wc -l <"$T_TMP/err")
  [ "$n" = "$1" ] || t_fail "$n stderr lines, expected $1"
}
expect_out_is() { # the whole of stdout ("" for none)
  if [ -z "$1" ]; then [ ! -s "$T_TMP/out" ] || t_fail "stdout is not empty"; return; fi
  printf '%s\n' "$1" | cmp -s - "$T_TMP/out" || t_fail "stdout differs from:
$1"
}

# A fresh packet dir: t_dir NAME -> path in $D
t_dir() { D="$T_TMP/$1"; rm -rf "$D"; mkdir -p "$D"; }

# A packet with N tasks: packet FILE ID [NTASKS]
packet() {
  local f=$1 id=$2 n=${3:-2} i
  : >"$D/$f"
  for i in $(seq 1 "$n"); do printf '### Task %s.%s: task %s\nRun: true\n\n' "$id" "$i" "$i" >>"$D/$f"; done
}

# track ID NAME DEPS [BRANCH]: one track's JSON
track() {
  printf '{"id": %s, "name": "%s", "packet": "track-%s.md", "worktree": "/tmp/wt-%s", "branch": "%s", "depends_on": [%s]}' \
    "$1" "$2" "$1" "$1" "${4:-feature/t$1}" "$3"
}

# manifest TRACK_JSON...: a valid manifest around the tracks
manifest() {
  local IFS=,
  printf '{"format_version": "1.0.0", "feature": "f", "tracks": [%s], "merge_strategy": "worktree-merge", "post_merge_qa": []}\n' "$*" >"$D/manifest.json"
}

# A fingerprint of everything in a dir, to prove nothing was written.
snapshot_dir() { (cd "$1" && find . -printf '%p %s %T@\n' | sort); }

t_summary() {
  t_end
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" = 0 ]
}

# left_under DIR: the processes whose working directory is DIR or inside it
left_under() { for p in /proc/[0-9]*; do case "$(readlink "$p/cwd" 2>/dev/null)" in "$1"|"$1"/*) echo "${p#/proc/}";; esac; done; }
