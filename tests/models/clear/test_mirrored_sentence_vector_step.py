"""A 2-replica MirroredStrategy step of the sentence-vector view with the coarse-map loss.

``mirrored_step.py sentence_vectors`` fits, on one device, the full CLEAR on token ids
and, under ``MirroredStrategy`` over 2 logical CPUs, ``training_model()`` (the view the
trainer fits with a frozen BERT) on the pooled BERT outputs of the same tokens, both
with Γ₁, Γ₂ and ``CoarseMapAlignmentLoss``. The replicas hold 4 and 2 real queries, so
a per-replica mean, a view that drops an output or a coarse-map loss scaled per replica
would all show as a different loss or different weights.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest


@pytest.mark.slow
def test_mirrored_sentence_vector_step_with_coarse_map_loss_equals_single_device_step():
    script = os.path.join(os.path.dirname(__file__), "mirrored_step.py")
    result = subprocess.run(
        [sys.executable, script, "sentence_vectors"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["mode"] == "sentence_vectors" and report["replicas"] == 2
    assert report["losses"] == ["anchor_similarity", "coarse_scores", "fine_logits"]
    single, mirrored = report["single_history"], report["mirrored_history"]
    assert single["coarse_scores_loss"] > 1e-3, "the coarse-map loss must be part of the step"
    assert set(mirrored) == set(single)
    for name in single:
        np.testing.assert_allclose(mirrored[name], single[name], rtol=1e-5, err_msg=name)
    assert report["max_weight_change"] > 1e-3, "the step must move the weights"
    assert report["max_weight_difference"] < 1e-5
