# common.sh - shared by scripts/demo and scripts/test: install what is
# missing (Debian 12, apt-get) and build. Quiet when there is nothing to do.

PD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PD_PACKAGES=(gcc libc6-dev make cmake pkg-config git python3 iproute2 util-linux
             libncurses-dev libcjson-dev libyaml-dev libgit2-dev libcmocka-dev tmux strace
             groff-base man-db bash-completion zsh dpkg-dev file)

# pd_need_packages [EXTRA...]: install the packages that are not installed.
pd_need_packages() {
  local missing=() p
  for p in "${PD_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >/dev/null &&
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { echo "could not install: ${missing[*]}" >&2; return 1; }
}

# pd_build DIR [CMAKE_ARGS...]: configure (once) and build; the log is shown
# only when something fails.
pd_build() {
  local dir=$1; shift
  local log="$dir.log"
  mkdir -p "$dir"
  if ! { cmake -S "$PD_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
         cmake --build "$dir" -j "$(nproc)"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "build failed (log: $log)" >&2
    return 1
  fi
}
