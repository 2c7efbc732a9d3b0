"""brain.py - the scripted "agent" behind tests/agents/model_server.py.

It stands in for the model: given the conversation so far (packetdeck's prompt
and the results of the shell commands it asked for) it decides the next step,
which is either ONE shell command or a final text message.  It is stateless:
every request carries the whole history, and the step number is the count of
tool results in it.

It parses packetdeck's prompt (the runner contract), one labelled line each,
anywhere in the first user message that has them ("- ", "**" and backticks
around labels / values are tolerated; a value is the rest of its line):

    You are executing track 1 (core-api) of a work packet, ...
    Worktree: /abs/wt/track-1
    Tasks, in order: 1.1, 1.2
    Start at task: 1.1
    Checkpoint file: /abs/packets/track-1.checkpoint.json
    Completion marker: /abs/packets/track-1.completion.json
    (Packet file:, Packet dir:, Branch: are read too but not needed)

and does the protocol with shell commands only, one command per task
(append "task ID" to work.txt in the worktree, commit "Task ID", write the
checkpoint to CHECKPOINT.tmp and rename it over the checkpoint), then one
command for the completion marker (written the same way), then the text
"Track N complete.".  Tasks before "Start at task" are not redone.

Scenarios (the ones that change what the agent does; the server handles the
transport ones - hang, usage_limit, error500):
    full              every task from "Start at task", then the marker
    stop_after_first  the first task given, its checkpoint, then the text
                      "Stopping after task ID." (no marker)
    no_commit         file changes but no commits; checkpoints with
                      "commit":null; the marker names the current HEAD
    bogus_commit      like full, but the marker names the commit
                      0123456789abcdef0123456789abcdef01234567
    hang_after_first  like stop_after_first for the first task; the server
                      then never answers the next request
    qa_fail           a merge's quality gate fails (see below)

A post-merge quality gate prompt (`You are the post-merge quality gate
"SKILL" ... checked out in the current directory (PATH)`) gets one command,
`git rev-parse --abbrev-ref HEAD` in PATH, then the verdict: "PACKETDECK-QA:
pass" when that printed an integration branch (and the scenario is not
qa_fail), else "PACKETDECK-QA: fail: ...".

A failed command (an error / permission denial / nonzero exit status in its
result) ends the turn with the text "<step> failed: <output excerpt>".
A prompt without the labelled lines gets a text reply and no command.

Usable alone for a dry run:  python3 brain.py SCENARIO < prompt.txt
"""

import json
import re
import shlex
import sys

BOGUS_COMMIT = "0123456789abcdef0123456789abcdef01234567"

LABELS = {
    "packet_file": "Packet file",
    "packet_dir": "Packet dir",
    "worktree": "Worktree",
    "branch": "Branch",
    "tasks": "Tasks, in order",
    "start": "Start at task",
    "checkpoint": "Checkpoint file",
    "marker": "Completion marker",
}
NEEDED = ("worktree", "tasks", "start", "checkpoint", "marker")


def _label_value(text, label):
    # "[- |* ][**]Label[**]:[**] value" on a line of its own
    rx = re.compile(r"^[ \t>*_-]*" + re.escape(label) + r"[*_]*\s*:[*_]*[ \t]*(.*?)[ \t]*$",
                    re.MULTILINE | re.IGNORECASE)
    m = rx.search(text)
    if not m:
        return None
    v = m.group(1).strip()
    q = re.match(r"^`([^`]*)`", v)
    if q:
        v = q.group(1)
    elif len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        v = v[1:-1]
    return v.strip() or None


def parse_prompt(text):
    """The contract's fields as a dict, or None when the prompt has none of
    them.  'missing' lists the needed labels that were not found."""
    p = {k: _label_value(text, lab) for k, lab in LABELS.items()}
    if all(v is None for v in p.values()):
        return None
    m = re.search(r"\btrack\s+([0-9]+)\b", text, re.IGNORECASE)
    p["track"] = m.group(1) if m else None
    p["task_list"] = [t for t in re.split(r"[,\s]+", p["tasks"] or "") if t]
    p["missing"] = [LABELS[k] for k in NEEDED if not p[k]]
    return p


def _json_track(track):
    return int(track) if track is not None and track.isdigit() else track


def _printf_json(obj, dest, placeholders):
    """A shell fragment writing obj as one line of JSON to dest via dest.tmp
    and a rename.  placeholders maps a key to a shell expression whose value
    goes in that string field (e.g. "commit": "$c")."""
    marks = {}
    fields = dict(obj)
    for i, key in enumerate(placeholders):
        marks[key] = "@@PD%d@@" % i
        fields[key] = marks[key]
    line = json.dumps(fields, separators=(",", ":"))
    fmt = line.replace("\\", "\\\\").replace("%", "%%")
    args = []
    for key, expr in placeholders.items():
        fmt = fmt.replace(marks[key], "%s")
        args.append('"%s"' % expr)
    tmp = dest + ".tmp"
    return "printf %s %s > %s && mv %s %s" % (
        shlex.quote(fmt + "\\n"), " ".join(args), shlex.quote(tmp), shlex.quote(tmp),
        shlex.quote(dest))


NOW = "$(date -u +%Y-%m-%dT%H:%M:%SZ)"


def plan(p, scenario):
    """The steps for a parsed prompt: a list of (name, shell command), and
    the closing text.  Raises ValueError when the prompt cannot be done."""
    if p["missing"]:
        raise ValueError("the prompt has no " + ", ".join(p["missing"]) + " line")
    tasks = p["task_list"]
    if p["start"] not in tasks:
        raise ValueError("start task %s is not in the task list (%s)" % (p["start"], ", ".join(tasks)))
    todo = tasks[tasks.index(p["start"]):]
    if scenario in ("stop_after_first", "hang_after_first"):
        todo = todo[:1]
    wt = shlex.quote(p["worktree"])
    track = _json_track(p["track"])
    steps = []
    for tid in todo:
        i = tasks.index(tid)
        nxt = tasks[i + 1] if i + 1 < len(tasks) else None
        cmd = "cd %s && echo %s >> work.txt" % (wt, shlex.quote("task " + tid))
        cp = {"format_version": "1.0.0", "track": track, "last_completed_task": tid,
              "commit": None, "timestamp": None, "next_task": nxt}
        if scenario == "no_commit":
            cmd += " && " + _printf_json(cp, p["checkpoint"], {"timestamp": NOW})
        else:
            cmd += " && git add work.txt && git commit -q -m %s" % shlex.quote("Task " + tid)
            cmd += " && c=$(git rev-parse HEAD) && "
            cmd += _printf_json(cp, p["checkpoint"], {"commit": "$c", "timestamp": NOW})
        steps.append(("Task " + tid, cmd))
    if scenario in ("stop_after_first", "hang_after_first"):
        return steps, "Stopping after task %s." % todo[0]
    marker = {"format_version": "1.0.0", "status": "complete", "commit": None, "timestamp": None}
    if scenario == "bogus_commit":
        marker["commit"] = BOGUS_COMMIT
        cmd = "cd %s && " % wt + _printf_json(marker, p["marker"], {"timestamp": NOW})
    else:
        cmd = "cd %s && c=$(git rev-parse HEAD) && " % wt + _printf_json(
            marker, p["marker"], {"commit": "$c", "timestamp": NOW})
    steps.append(("Writing the completion marker", cmd))
    track_name = p["track"] if p["track"] is not None else "?"
    return steps, "Track %s complete." % track_name


def gate_prompt(text):
    """A merge's quality gate prompt: a match with (skill, worktree), or None."""
    return re.search(r'quality gate "([^"]+)".*?checked out in the current directory \(([^)\n]+)\)',
                     text or "", re.DOTALL)


def decide(prompt, results, scenario="full"):
    """The next action.  prompt: the text of the first user message with the
    contract (or None); results: a list of (ok, output) for the tool calls so
    far, in order.  Returns {"kind": "shell", "command": CMD, "step": NAME}
    (and "workdir": the worktree) or {"kind": "text", "text": TEXT}."""
    gate = gate_prompt(prompt)
    if gate:
        if not results:
            return {"kind": "shell", "command": "git rev-parse --abbrev-ref HEAD", "step": "Look",
                    "workdir": gate.group(2)}
        out = results[-1][1] or ""
        if scenario == "qa_fail":
            return {"kind": "text", "text": "Checked %s.\nPACKETDECK-QA: fail: scripted failure" % gate.group(1)}
        if results[-1][0] and "-integrated" in out:
            return {"kind": "text", "text": "Checked %s on %s.\nPACKETDECK-QA: pass" % (gate.group(1), out.strip())}
        return {"kind": "text", "text": "PACKETDECK-QA: fail: not on an integration branch: %s" % out.strip()[:200]}
    p = parse_prompt(prompt or "")
    if p is None:
        return {"kind": "text", "text": "I found no packetdeck runner prompt (no labelled lines)."}
    try:
        steps, closing = plan(p, scenario)
    except ValueError as e:
        return {"kind": "text", "text": "I cannot run this track: %s." % e}
    n = len(results)
    if n and not results[-1][0]:
        out = " ".join((results[-1][1] or "").split())[:400]
        name = steps[n - 1][0] if n - 1 < len(steps) else "Step %d" % n
        return {"kind": "text", "text": "%s failed: %s" % (name, out)}
    if n < len(steps):
        return {"kind": "shell", "command": steps[n][1], "step": steps[n][0],
                "workdir": p["worktree"]}
    return {"kind": "text", "text": closing}


if __name__ == "__main__":
    scen = sys.argv[1] if len(sys.argv) > 1 else "full"
    text = sys.stdin.read()
    res = []
    while True:
        a = decide(text, res, scen)
        print(json.dumps(a))
        if a["kind"] != "shell":
            break
        res.append((True, ""))
