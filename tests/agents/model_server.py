#!/usr/bin/env python3
"""model_server.py - a scripted model server for packetdeck's agent tests.

The REAL agent CLIs (claude, codex) talk to it on 127.0.0.1 instead of a
model, so a test proves the CLI mechanics (the prompt it got, the tools it
offered, permissions, sandbox, paths, exit status) with no network.  The
decisions come from brain.py (next to this file): it reads packetdeck's
prompt from the conversation and does the track protocol with one shell
command per step.  Python 3.11 standard library only.

    python3 model_server.py --port-file FILE [--scenario NAME]
                            [--scenario-file FILE] [--log FILE]

  --port-file FILE      written (atomically) with the port once listening;
                        the server binds 127.0.0.1 port 0 (or --port N)
  --scenario NAME       what to play (default: full), see below
  --scenario-file FILE  if FILE exists and is not empty, its first word is
                        the scenario, re-read on every request: a test can
                        switch scenarios between runs without a restart
  --log FILE            one JSON line per request: {"n", "time", "method",
                        "path", "headers", "body" (parsed JSON, else text),
                        "api" ("anthropic"|"openai"|null), "scenario",
                        "reply" (what was answered, e.g. {"kind":"shell",
                        "command":...,"step":...}, {"kind":"text",...},
                        {"kind":"hang"}, {"kind":"http","status":429})}

Endpoints:
  POST /v1/messages[?beta=true]    Anthropic Messages API, SSE when "stream"
                                   (message_start, content_block_start /
                                   delta / stop - text_delta or tool_use with
                                   input_json_delta -, message_delta with
                                   stop_reason, message_stop), else JSON
  POST /v1/messages/count_tokens   {"input_tokens": N}
  POST /v1/responses               OpenAI Responses API, SSE
                                   (response.created, output_item.added,
                                   output_text.delta, output_item.done,
                                   response.completed with usage); a shell
                                   step is a function_call item for the
                                   request's shell tool (codex 0.171:
                                   exec_command {cmd, workdir}; "shell"
                                   {command: [argv]} is handled too)
  HEAD any, GET any                200, harmless ("{}"; /models: an empty list)

Scenarios:
  full, stop_after_first, no_commit, bogus_commit, hang_after_first
                   the agent behaviours, see brain.py (a hang_after_first
                   request after the first tool result is never answered)
  hang             every model request is read and never answered (the
                   connection stays open, nothing is sent)
  stall            every model request gets a 200 event stream that starts
                   (message_start + ping / response.created) and then
                   sends nothing more, connection open
  usage_limit      HTTP 429, Anthropic: headers
                   anthropic-ratelimit-unified-status: rejected,
                   -unified-reset: now+120, -unified-representative-claim:
                   five_hour, x-should-retry: false and a rate_limit_error
                   body (claude shows it as a usage limit only when logged in
                   with CLAUDE_CODE_OAUTH_TOKEN); OpenAI: body
                   {"error":{"type":"usage_limit_reached","plan_type":"plus",
                   "resets_at":now+120}} (120: $MODEL_LIMIT_RESET_S)
  error500         HTTP 500 with an api_error / server_error body

Requests that are not the agent's turn (no packetdeck prompt or no shell
tool, e.g. a side query of the CLI) get a short text answer ("OK.").
Successful Anthropic answers carry anthropic-ratelimit-unified-status:
allowed headers, as the real API does.
SIGTERM / SIGINT stop the server (exit 0).
"""

import argparse
import json
import os
import re
import select
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brain  # noqa: E402

SCENARIOS = ("full", "qa_fail", "stop_after_first", "no_commit", "bogus_commit", "hang_after_first",
             "hang", "stall", "usage_limit", "error500")
LIMIT_RESET_S = int(os.environ.get("MODEL_LIMIT_RESET_S", "120"))  # when usage_limit lifts, from now

OPTS = None
LOG_LOCK = threading.Lock()
COUNTER = [0]
STOP = threading.Event()


def current_scenario():
    if OPTS.scenario_file:
        try:
            with open(OPTS.scenario_file) as f:
                words = f.read().split()
            if words:
                return words[0]
        except OSError:
            pass
    return OPTS.scenario


def log_request(entry):
    if not OPTS.log:
        return
    line = json.dumps(entry, ensure_ascii=False)
    with LOG_LOCK:
        with open(OPTS.log, "a") as f:
            f.write(line + "\n")


def _now_iso():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def new_id(prefix):
    return prefix + uuid.uuid4().hex[:24]


# ---- what the conversation says ------------------------------------------

def _text_of(content):
    """The text of a message content (a string or a list of blocks)."""
    if isinstance(content, str):
        return content
    out = []
    for b in content or []:
        if isinstance(b, dict):
            if isinstance(b.get("text"), str):
                out.append(b["text"])
            elif "content" in b and b.get("type") not in ("tool_result",):
                out.append(_text_of(b["content"]))
        elif isinstance(b, str):
            out.append(b)
    return "\n".join(out)


def _find_prompt(texts):
    for t in texts:
        if brain.parse_prompt(t) is not None or brain.gate_prompt(t):
            return t
    return None


def anthropic_state(body):
    """(prompt, results, shell_tool) from a Messages request."""
    texts, results = [], []
    for m in body.get("messages") or []:
        if m.get("role") != "user":
            continue
        c = m.get("content")
        texts.append(_text_of(c))
        if isinstance(c, list):
            for b in c:
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    results.append((not b.get("is_error"), _text_of(b.get("content"))))
    names = [t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
    tool = "Bash" if "Bash" in names else None
    return _find_prompt(texts), results, tool


def _exit_status(output):
    """The exit status a codex tool output reports, or None."""
    for rx in (r"Process exited with code (-?\d+)", r"[Ee]xit code:?\s*(-?\d+)",
               r'"exit_code"\s*:\s*(-?\d+)'):
        m = re.search(rx, output)
        if m:
            return int(m.group(1))
    return None


def openai_state(body):
    """(prompt, results, (tool name, kind)) from a Responses request."""
    texts, results = [], []
    items = body.get("input")
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    for it in items or []:
        if not isinstance(it, dict):
            continue
        t = it.get("type", "message")
        if t == "message" and it.get("role") == "user":
            texts.append(_text_of(it.get("content")))
        elif t in ("function_call_output", "custom_tool_call_output", "local_shell_call_output"):
            out = it.get("output")
            if isinstance(out, dict):
                out = out.get("content") if isinstance(out.get("content"), str) else json.dumps(out)
            elif isinstance(out, list):
                out = _text_of(out)
            out = out if isinstance(out, str) else json.dumps(out)
            st = _exit_status(out)
            # exec_command's output: "Chunk ID: ..\nWall time: ..\nProcess exited
            # with code N\n...Output:\n<the command's output>"
            text = out.split("\nOutput:\n", 1)[1] if "\nOutput:\n" in out else out
            if st is not None:
                text = "exit status %d: %s" % (st, text)
            results.append((st == 0 if st is not None else True, text))
    tool = None
    for t in body.get("tools") or []:
        if isinstance(t, dict) and t.get("type") == "function":
            if t.get("name") == "exec_command":
                tool = ("exec_command", "cmd")
                break
            if t.get("name") == "shell" and tool is None:
                tool = ("shell", "argv")
    return _find_prompt(texts), results, tool


# ---- the handler -----------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "packetdeck-model-server/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    # -- plumbing
    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            return data
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send_json(self, status, obj, headers=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _start_sse(self, headers=()):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.close_connection = True

    def _event(self, name, data):
        self.wfile.write(("event: %s\ndata: %s\n\n" % (name, json.dumps(data))).encode())
        self.wfile.flush()

    def _hang(self):
        # hold the connection, send nothing, until the client goes or we stop
        self.close_connection = True
        conn = self.connection
        while not STOP.is_set():
            r, _, _ = select.select([conn], [], [], 1.0)
            if r:
                try:
                    if not conn.recv(1, socket.MSG_PEEK):
                        return  # the client closed it
                except OSError:
                    return
                time.sleep(1.0)

    def _entry(self, body_raw, api, scen):
        COUNTER[0] += 1
        try:
            body = json.loads(body_raw) if body_raw else None
        except ValueError:
            body = body_raw.decode("utf-8", "replace")
        return {"n": COUNTER[0], "time": _now_iso(),
                "method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                "body": body, "api": api, "scenario": scen}

    # -- verbs
    def do_HEAD(self):
        log_request(self._entry(b"", None, current_scenario()) | {"reply": {"kind": "http", "status": 200}})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        entry = self._entry(b"", None, current_scenario())
        path = urlsplit(self.path).path
        obj = {"object": "list", "data": [], "models": []} if path.endswith("/models") else {}
        entry["reply"] = {"kind": "http", "status": 200}
        log_request(entry)
        self._send_json(200, obj)

    def do_POST(self):
        raw = self._read_body()
        path = urlsplit(self.path).path.rstrip("/")
        scen = current_scenario()
        if path.endswith("/messages/count_tokens"):
            entry = self._entry(raw, "anthropic", scen)
            entry["reply"] = {"kind": "count_tokens"}
            log_request(entry)
            self._send_json(200, {"input_tokens": max(1, len(raw) // 4)})
            return
        api = "anthropic" if path.endswith("/messages") else "openai" if path.endswith("/responses") else None
        entry = self._entry(raw, api, scen)
        body = entry["body"] if isinstance(entry["body"], dict) else {}
        if api is None:
            entry["reply"] = {"kind": "http", "status": 404}
            log_request(entry)
            self._send_json(404, {"error": {"type": "not_found", "message": "no such endpoint"}})
            return
        if scen not in SCENARIOS:
            entry["reply"] = {"kind": "http", "status": 400}
            log_request(entry)
            self._error(api, 400, "model_server.py: unknown scenario %r" % scen)
            return
        if scen == "hang":
            entry["reply"] = {"kind": "hang"}
            log_request(entry)
            self._hang()
            return
        if scen == "stall":
            entry["reply"] = {"kind": "stall"}
            log_request(entry)
            self._stall(api, body)
            return
        if scen == "usage_limit":
            entry["reply"] = {"kind": "http", "status": 429}
            log_request(entry)
            self._usage_limit(api)
            return
        if scen == "error500":
            entry["reply"] = {"kind": "http", "status": 500}
            log_request(entry)
            self._error(api, 500, "Internal server error")
            return
        if api == "anthropic":
            prompt, results, tool = anthropic_state(body)
        else:
            prompt, results, tool = openai_state(body)
        if prompt is None or tool is None:
            action = {"kind": "text", "text": "OK."}
        elif scen == "hang_after_first" and results:
            action = {"kind": "hang"}
        else:
            action = brain.decide(prompt, results, scen)
        entry["reply"] = action
        log_request(entry)
        if action["kind"] == "hang":
            self._hang()
        elif api == "anthropic":
            self._anthropic(body, action)
        else:
            self._openai(body, action, tool)

    def _stall(self, api, body):
        # a 200 stream that starts and then goes quiet
        self._start_sse()
        if api == "anthropic":
            self._event("message_start", {"type": "message_start", "message": {
                "id": new_id("msg_"), "type": "message", "role": "assistant",
                "model": body.get("model") or "claude-scripted", "content": [], "stop_reason": None,
                "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}})
            self._event("ping", {"type": "ping"})
        else:
            self._event("response.created", {"type": "response.created", "sequence_number": 0, "response": {
                "id": new_id("resp_"), "object": "response", "created_at": int(time.time()),
                "model": body.get("model") or "gpt-scripted", "status": "in_progress", "output": []}})
        self._hang()

    # -- errors
    def _error(self, api, status, message):
        if api == "anthropic":
            kind = {400: "invalid_request_error", 500: "api_error"}.get(status, "api_error")
            self._send_json(status, {"type": "error", "error": {"type": kind, "message": message}})
        else:
            kind = {400: "invalid_request_error", 500: "server_error"}.get(status, "server_error")
            self._send_json(status, {"error": {"type": kind, "message": message}})

    def _usage_limit(self, api):
        reset = int(time.time()) + LIMIT_RESET_S
        if api == "anthropic":
            self._send_json(429, {"type": "error", "error": {
                "type": "rate_limit_error",
                "message": "This request would exceed your account's rate limit. Please try again later."}},
                headers=[("anthropic-ratelimit-unified-status", "rejected"),
                         ("anthropic-ratelimit-unified-reset", str(reset)),
                         ("anthropic-ratelimit-unified-representative-claim", "five_hour"),
                         ("x-should-retry", "false"),
                         ("request-id", new_id("req_"))])
        else:
            self._send_json(429, {"error": {"type": "usage_limit_reached", "plan_type": "plus",
                                            "resets_at": reset,
                                            "message": "The usage limit has been reached"}})

    # -- Anthropic Messages
    def _anthropic(self, body, action):
        model = body.get("model") or "claude-scripted"
        in_tok = max(1, len(json.dumps(body)) // 4)
        if action["kind"] == "shell":
            block = {"type": "tool_use", "id": new_id("toolu_"), "name": "Bash",
                     "input": {"command": action["command"], "description": action.get("step", "shell")}}
            stop = "tool_use"
        else:
            block = {"type": "text", "text": action["text"]}
            stop = "end_turn"
        out_tok = max(1, len(json.dumps(block)) // 4)
        usage = {"input_tokens": in_tok, "output_tokens": out_tok,
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        reset = str(int(time.time()) + 5 * 3600)
        rl = [("anthropic-ratelimit-unified-status", "allowed"),
              ("anthropic-ratelimit-unified-reset", reset),
              ("anthropic-ratelimit-unified-representative-claim", "five_hour"),
              ("request-id", new_id("req_"))]
        msg_id = new_id("msg_")
        if not body.get("stream"):
            self._send_json(200, {"id": msg_id, "type": "message", "role": "assistant", "model": model,
                                  "content": [block], "stop_reason": stop, "stop_sequence": None,
                                  "usage": usage}, headers=rl)
            return
        self._start_sse(rl)
        self._event("message_start", {"type": "message_start", "message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": dict(usage, output_tokens=1)}})
        if block["type"] == "text":
            self._event("content_block_start", {"type": "content_block_start", "index": 0,
                                                "content_block": {"type": "text", "text": ""}})
            self._event("ping", {"type": "ping"})
            self._event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                "delta": {"type": "text_delta", "text": block["text"]}})
        else:
            self._event("content_block_start", {"type": "content_block_start", "index": 0,
                                                "content_block": dict(block, input={})})
            self._event("ping", {"type": "ping"})
            js = json.dumps(block["input"])
            for i in range(0, len(js), 200):
                self._event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                    "delta": {"type": "input_json_delta",
                                                              "partial_json": js[i:i + 200]}})
        self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
        self._event("message_delta", {"type": "message_delta",
                                      "delta": {"stop_reason": stop, "stop_sequence": None},
                                      "usage": {"output_tokens": out_tok}})
        self._event("message_stop", {"type": "message_stop"})

    # -- OpenAI Responses
    def _openai(self, body, action, tool):
        model = body.get("model") or "gpt-scripted"
        resp_id = new_id("resp_")
        in_tok = max(1, len(json.dumps(body)) // 4)
        if action["kind"] == "shell":
            if tool and tool[1] == "argv":
                args = {"command": ["bash", "-lc", action["command"]], "workdir": action["workdir"]}
            else:
                args = {"cmd": action["command"], "workdir": action["workdir"]}
            item = {"type": "function_call", "id": new_id("fc_"), "call_id": new_id("call_"),
                    "name": tool[0] if tool else "exec_command", "arguments": json.dumps(args),
                    "status": "completed"}
        else:
            item = {"type": "message", "id": new_id("msg_"), "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": action["text"], "annotations": []}]}
        out_tok = max(1, len(json.dumps(item)) // 4)
        base = {"id": resp_id, "object": "response", "created_at": int(time.time()), "model": model,
                "status": "in_progress", "output": []}
        self._start_sse()
        self._event("response.created", {"type": "response.created", "sequence_number": 0, "response": base})
        seq = 1
        if item["type"] == "message":
            self._event("response.output_item.added", {
                "type": "response.output_item.added", "sequence_number": seq, "output_index": 0,
                "item": dict(item, status="in_progress", content=[])})
            seq += 1
            self._event("response.content_part.added", {
                "type": "response.content_part.added", "sequence_number": seq, "item_id": item["id"],
                "output_index": 0, "content_index": 0,
                "part": {"type": "output_text", "text": "", "annotations": []}})
            seq += 1
            self._event("response.output_text.delta", {
                "type": "response.output_text.delta", "sequence_number": seq, "item_id": item["id"],
                "output_index": 0, "content_index": 0, "delta": action["text"]})
            seq += 1
        else:
            self._event("response.output_item.added", {
                "type": "response.output_item.added", "sequence_number": seq, "output_index": 0,
                "item": dict(item, arguments="", status="in_progress")})
            seq += 1
            self._event("response.function_call_arguments.delta", {
                "type": "response.function_call_arguments.delta", "sequence_number": seq,
                "item_id": item["id"], "output_index": 0, "delta": item["arguments"]})
            seq += 1
        self._event("response.output_item.done", {"type": "response.output_item.done",
                                                  "sequence_number": seq, "output_index": 0, "item": item})
        seq += 1
        usage = {"input_tokens": in_tok, "input_tokens_details": {"cached_tokens": 0},
                 "output_tokens": out_tok, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": in_tok + out_tok}
        self._event("response.completed", {"type": "response.completed", "sequence_number": seq,
                                           "response": dict(base, status="completed", output=[item],
                                                            usage=usage)})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # a client that drops its connection is no news
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    global OPTS
    ap = argparse.ArgumentParser(description="Scripted Anthropic / OpenAI model server for tests.")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--scenario", default="full")
    ap.add_argument("--scenario-file")
    ap.add_argument("--log")
    OPTS = ap.parse_args()
    if OPTS.scenario not in SCENARIOS:
        ap.error("unknown scenario %r (one of: %s)" % (OPTS.scenario, ", ".join(SCENARIOS)))
    srv = Server(("127.0.0.1", OPTS.port), Handler)

    def stop(*_):
        STOP.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = OPTS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, OPTS.port_file)
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()


if __name__ == "__main__":
    main()
