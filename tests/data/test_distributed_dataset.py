"""make_distributed_dataset on two logical CPU replicas (in a fresh interpreter)."""

import collections
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


def test_two_replicas_get_per_replica_batches():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), str(HERE)]))
    result = subprocess.run(
        [sys.executable, str(HERE / "two_replica_pipeline.py")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["replicas"] == 2
    assert report["steps"], "the distributed dataset produced no step"
    counts = collections.Counter()
    for replicas in report["steps"]:
        assert len(replicas) == 2
        assert replicas[0]["device"] != replicas[1]["device"]
        for replica in replicas:
            # Global batch 4 videos → 2 per replica; K = 2, S = 8, L = 4, D = 3.
            assert replica["shapes"] == [[2, 8, 3], [2, 2, 8], [2, 2, 4, 4]]
            counts.update(tuple(query) for query in replica["queries"])
    # Every query at most once per epoch; only the chunks of the dropped remainder are missing.
    assert set(counts.values()) == {1}
    assert report["num_queries"] - len(counts) < 2 * 2 * 2
    assert report["keras_structure"] == [
        ["features", "padding_mask", "token_ids"],
        ["anchor_similarity", "coarse_scores", "fine_logits"],
        ["anchor_similarity", "coarse_scores", "fine_logits"],
    ]
