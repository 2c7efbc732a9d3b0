# agentenv.sh - run the REAL agent CLIs (claude, codex) against the scripted
# model server (model_server.py, next to this file) with no network.
# A bash library: source it from a test script.
#
#   agents_install DIR     npm-install the pinned CLIs into DIR (never global;
#                          skipped when DIR has them at those versions); sets
#                          AGENTS_BIN=DIR/node_modules/.bin.  Needs the network,
#                          so call it BEFORE agents_in_netns.
#   agents_in_netns "$@"   put at the top of a test (after agents_install): the
#                          first time it re-executes the script ($0 "$@") in a
#                          new network namespace with only loopback up
#                          (`unshare -n`, as root; `unshare -rn` otherwise),
#                          with AGENTS_NETNS=1; inside it returns at once.
#                          The server and the CLIs must share the namespace,
#                          so the whole test body runs in it.
#   agents_netns CMD...    run one command in a new namespace (loopback up).
#   agents_server_start SCENARIO
#                          start model_server.py in the background (scenario
#                          file $AGENTS_TMP/scenario, request log
#                          $AGENTS_LOG=$AGENTS_TMP/requests.jsonl), wait for its
#                          port (AGENTS_PORT, 10 s deadline), then agents_env.
#   agents_scenario NAME   switch the running server's scenario.
#   agents_server_stop     stop it (by its pid).
#   agents_env [--print]   export the env both CLIs need: a private HOME and
#                          CODEX_HOME (with config.toml: provider "scripted",
#                          wire_api responses, base_url .../v1, env_key
#                          SCRIPTED_API_KEY, model $AGENTS_CODEX_MODEL),
#                          ANTHROPIC_BASE_URL / ANTHROPIC_API_KEY=test (or,
#                          with AGENTS_CLAUDE_AUTH=oauth,
#                          CLAUDE_CODE_OAUTH_TOKEN=test: the subscription
#                          login, needed for claude's usage-limit messages),
#                          DISABLE_AUTOUPDATER / DISABLE_TELEMETRY /
#                          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, PATH with
#                          $AGENTS_BIN first; unsets CLAUDECODE and other
#                          inherited agent vars.  --print also prints them as
#                          export lines.  Uses AGENTS_PORT (0 when no server:
#                          an endpoint that refuses connections).
#
# Variables: AGENTS_TMP (default: a mktemp dir, removed by agents_cleanup),
# AGENTS_CLAUDE_VERSION, AGENTS_CODEX_VERSION (the pins), AGENTS_CODEX_MODEL.
# Example:
#   . tests/agents/agentenv.sh
#   agents_install "$HOME/.cache/packetdeck-agents"
#   agents_in_netns "$@"
#   agents_server_start full
#   (cd "$WT" && claude -p "$PROMPT" --allowedTools=Bash,Edit,Write,Read \
#       --add-dir="$PKT" --output-format=stream-json --verbose)
#   grep -c '"api":"anthropic"' "$AGENTS_LOG"
#   agents_server_stop
# Codex, as measured: codex exec --json --sandbox workspace-write
#   --add-dir PKT --add-dir GIT_COMMON_DIR --add-dir GIT_DIR
#   --disable unbounded_connection_retries --skip-git-repo-check -C WT PROMPT </dev/null

AGENTS_CLAUDE_VERSION=${AGENTS_CLAUDE_VERSION:-2.1.197}
AGENTS_CODEX_VERSION=${AGENTS_CODEX_VERSION:-0.171.0}
AGENTS_CODEX_MODEL=${AGENTS_CODEX_MODEL:-gpt-5.5}
AGENTS_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${AGENTS_TMP:-}" ]; then
  AGENTS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pdagents.XXXXXX")
  export AGENTS_TMP AGENTS_TMP_OWNED=1
fi
AGENTS_LOG=$AGENTS_TMP/requests.jsonl
AGENTS_PORT=${AGENTS_PORT:-0}
AGENTS_SERVER_PID=

_agents_pkg_version() { # DIR PKG -> the installed version, or nothing
  sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1/node_modules/$2/package.json" 2>/dev/null | head -n 1
}

agents_install() {
  local dir=${1:?agents_install DIR}
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd)
  AGENTS_BIN=$dir/node_modules/.bin
  export AGENTS_BIN
  if [ "$(_agents_pkg_version "$dir" @anthropic-ai/claude-code)" = "$AGENTS_CLAUDE_VERSION" ] &&
    [ "$(_agents_pkg_version "$dir" @openai/codex)" = "$AGENTS_CODEX_VERSION" ] &&
    [ -x "$AGENTS_BIN/claude" ] && [ -x "$AGENTS_BIN/codex" ]; then
    return 0
  fi
  npm install --no-audit --no-fund --no-save --prefix "$dir" \
    "@anthropic-ai/claude-code@$AGENTS_CLAUDE_VERSION" "@openai/codex@$AGENTS_CODEX_VERSION" >&2 ||
    { echo "agents_install: npm install failed" >&2; return 1; }
  [ -x "$AGENTS_BIN/claude" ] && [ -x "$AGENTS_BIN/codex" ] ||
    { echo "agents_install: no claude / codex in $AGENTS_BIN" >&2; return 1; }
}

_agents_unshare() { # the unshare command for a new network namespace
  if [ "$(id -u)" = 0 ]; then echo "unshare -n"; else echo "unshare -rn"; fi
}

agents_netns() {
  $(_agents_unshare) -- sh -c 'ip link set lo up || exit 97; exec "$@"' sh "$@"
}

agents_in_netns() {
  [ "${AGENTS_NETNS:-}" = 1 ] && return 0
  # the re-executed script makes its own AGENTS_TMP; drop ours
  if [ "${AGENTS_TMP_OWNED:-}" = 1 ]; then rm -rf "$AGENTS_TMP"; unset AGENTS_TMP AGENTS_TMP_OWNED; fi
  AGENTS_NETNS=1 exec $(_agents_unshare) -- sh -c 'ip link set lo up || exit 97; exec "$@"' sh bash "$0" "$@"
}

agents_env() {
  local home=$AGENTS_TMP/home v
  mkdir -p "$home/.codex" || return 1
  export HOME=$home CODEX_HOME=$home/.codex
  export XDG_CONFIG_HOME=$home/.config XDG_CACHE_HOME=$home/.cache XDG_DATA_HOME=$home/.local/share
  # from a parent agent session or the developer's shell
  for v in CLAUDECODE CLAUDE_CODE_ENTRYPOINT CLAUDE_CODE_SSE_PORT CLAUDE_CONFIG_DIR \
    ANTHROPIC_AUTH_TOKEN ANTHROPIC_MODEL ANTHROPIC_SMALL_FAST_MODEL CLAUDE_CODE_OAUTH_TOKEN \
    ANTHROPIC_API_KEY OPENAI_API_KEY OPENAI_BASE_URL CODEX_API_KEY CODEX_SANDBOX \
    CODEX_SANDBOX_NETWORK_DISABLED CODEX_THREAD_ID; do unset "$v"; done
  export ANTHROPIC_BASE_URL=http://127.0.0.1:$AGENTS_PORT
  if [ "${AGENTS_CLAUDE_AUTH:-}" = oauth ]; then
    export CLAUDE_CODE_OAUTH_TOKEN=test
  else
    export ANTHROPIC_API_KEY=test
  fi
  export DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
  export SCRIPTED_API_KEY=test
  cat >"$CODEX_HOME/config.toml" <<EOF
# written by tests/agents/agentenv.sh
model = "$AGENTS_CODEX_MODEL"
model_provider = "scripted"

[model_providers.scripted]
name = "scripted"
base_url = "http://127.0.0.1:$AGENTS_PORT/v1"
env_key = "SCRIPTED_API_KEY"
wire_api = "responses"

[analytics]
enabled = false
EOF
  if [ -n "${AGENTS_BIN:-}" ]; then
    case ":$PATH:" in *":$AGENTS_BIN:"*) ;; *) export PATH=$AGENTS_BIN:$PATH ;; esac
  fi
  if [ "${1:-}" = --print ]; then
    for v in HOME CODEX_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_DATA_HOME ANTHROPIC_BASE_URL \
      ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN DISABLE_AUTOUPDATER DISABLE_TELEMETRY \
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC SCRIPTED_API_KEY PATH; do
      [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
    done
    echo "unset CLAUDECODE"
  fi
  return 0
}

agents_scenario() {
  printf '%s\n' "${1:?agents_scenario NAME}" >"$AGENTS_TMP/scenario.tmp" &&
    mv "$AGENTS_TMP/scenario.tmp" "$AGENTS_TMP/scenario"
}

agents_server_start() {
  local scen=${1:-full} i
  agents_server_stop
  agents_scenario "$scen" || return 1
  rm -f "$AGENTS_TMP/port"
  python3 "$AGENTS_LIBDIR/model_server.py" --port-file "$AGENTS_TMP/port" --scenario "$scen" \
    --scenario-file "$AGENTS_TMP/scenario" --log "$AGENTS_LOG" 2>>"$AGENTS_TMP/server.err" &
  AGENTS_SERVER_PID=$!
  for i in $(seq 100); do
    if [ -s "$AGENTS_TMP/port" ]; then
      AGENTS_PORT=$(cat "$AGENTS_TMP/port")
      agents_env
      return 0
    fi
    kill -0 "$AGENTS_SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "agents_server_start: the server did not start:" >&2
  cat "$AGENTS_TMP/server.err" >&2
  agents_server_stop
  return 1
}

agents_server_stop() {
  [ -n "${AGENTS_SERVER_PID:-}" ] || return 0
  kill "$AGENTS_SERVER_PID" 2>/dev/null
  wait "$AGENTS_SERVER_PID" 2>/dev/null
  AGENTS_SERVER_PID=
  return 0
}

agents_cleanup() { # stop the server; remove AGENTS_TMP when we made it
  agents_server_stop
  if [ "${AGENTS_TMP_OWNED:-}" = 1 ]; then rm -rf "$AGENTS_TMP"; fi
}
