#!/usr/bin/env python3
"""reference_validate.py PACKET_DIR - the peer packetdeck validate is measured
against: what a small script would do. json.load the manifest, check the
required fields, index the ids, order with Kahn (lowest id first, a heap),
and read every packet, extracting its tasks with a regex as upstream does.
Exit 0 when valid, 2 otherwise."""
import heapq
import json
import os
import re
import sys

TASK = re.compile(r'^(?:#{2,4} Task ([\w.-]+):|\*\*Task ([\w.-]+):\*\*|[-*] \[[ xX]\] Task ([\w.-]+):)', re.M)


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "manifest.json")) as f:
        m = json.load(f)
    for k in ("format_version", "feature", "tracks", "merge_strategy", "post_merge_qa"):
        if k not in m:
            print(f"missing {k}", file=sys.stderr)
            return 2
    index = {}
    for t in m["tracks"]:
        for k in ("id", "name", "packet", "worktree", "branch", "depends_on"):
            if k not in t:
                return 2
        if t["id"] in index:
            return 2
        index[t["id"]] = t
    indeg = {i: 0 for i in index}
    rdeps = {i: [] for i in index}
    for t in m["tracks"]:
        for dep in t["depends_on"]:
            if dep not in index:
                return 2
            indeg[t["id"]] += 1
            rdeps[dep].append(t["id"])
    ready = [i for i, n in indeg.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in rdeps[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(ready, j)
    if len(order) != len(index):
        return 2
    tasks = 0
    for t in m["tracks"]:
        with open(os.path.join(d, t["packet"])) as f:
            tasks += len(TASK.findall(f.read()))
    print(f"{d}: valid: {len(order)} tracks, {tasks} tasks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
