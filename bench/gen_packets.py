#!/usr/bin/env python3
"""gen_packets.py N OUT_DIR [SEED] - write a packet dir of N tracks.

A random DAG (each track depends on up to 3 earlier tracks, listed in a
shuffled order so the sort has work to do), one packet file per track with
frontmatter and 3 tasks in the upstream generator's style.
"""
import json
import os
import random
import sys


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    os.makedirs(out, exist_ok=True)
    tracks = []
    for i in range(1, n + 1):
        k = rng.randint(0, min(3, i - 1))
        deps = sorted(rng.sample(range(max(1, i - 50), i), k)) if k else []
        tracks.append({
            "id": i,
            "name": f"track {i}",
            "packet": f"track-{i}.md",
            "worktree": f"/srv/wt/track-{i}",
            "branch": f"feature/bench/track-{i}",
            "depends_on": deps,
        })
        with open(os.path.join(out, f"track-{i}.md"), "w") as f:
            f.write(f"---\nformat_version: \"1.0.0\"\nfeature: bench\ntrack: {i}\n"
                    f"branch: feature/bench/track-{i}\n---\n\n# Track {i}\n\n"
                    "Context: a generated packet for the benchmark.\n\n## Tasks\n\n")
            for t in range(1, 4):
                f.write(f"### Task {i}.{t}: step {t}\n**Files:** src/m{i}_{t}.py\n"
                        f"**Acceptance:** it works\nRun: true\n\n")
            f.write("## Execution Protocol\n\nCheckpoint after each task.\n")
    rng.shuffle(tracks)
    manifest = {
        "format_version": "1.0.0",
        "feature": "bench",
        "tracks": tracks,
        "merge_strategy": "worktree-merge",
        "post_merge_qa": [],
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
