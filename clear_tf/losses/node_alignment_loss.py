"""Γ₁ on further cells: the coarse score of the binary tree's nodes against their IoU."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="clear_tf")
class NodeAlignmentLoss(keras.losses.Loss):
    """Squared error between coarse scores cᵀq/d and the IoU at a fixed set of cells.

    Eq. 5 trains the coarse score only at the R anchors of Eq. 2, which are the nodes of
    the paper's tree. The binary tree's search reads the coarse score of other cells
    (each node's span and its halves); untrained, those scores send it the wrong way.
    This loss applies Γ₁'s form, Σ (aᵀq − d·IoU)², divided by d² so that it reads
    Σ (aᵀq/d − IoU)², to those cells. ``y_true`` is the IoU map [B, K, L, L]
    (``iou_map``), ``y_pred`` the ``coarse_scores`` output [B, K, L, L]; ``call``
    returns one value per query slot [B, K], reduced like ``CoarseAlignmentLoss``.

    Args:
        cells: the (i, j) cells to align, e.g.
            ``clear_tf.inference.anchor_cells("binary", L, P)``.
        name: loss name.
        reduction: Keras reduction of the per-slot values.
        dtype: loss computation dtype.

    Example:
    >>> loss = NodeAlignmentLoss(cells=[(0, 7), (0, 3), (4, 7)])
    >>> loss(iou_map, coarse_scores, sample_weight=query_mask)  # a scalar
    """

    def __init__(self, cells, name="node_alignment_loss", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.cells = [tuple(int(v) for v in cell) for cell in cells]
        if not self.cells:
            raise ValueError("NodeAlignmentLoss needs at least one cell")
        self._rows = np.array([i for i, _ in self.cells], np.int32)
        self._columns = np.array([j for _, j in self.cells], np.int32)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        num_clips = y_pred.shape[-1]
        flat = self._rows * num_clips + self._columns
        shape = ops.shape(y_pred)
        scores = ops.take(ops.reshape(y_pred, (shape[0], shape[1], -1)), flat, axis=-1)
        targets = ops.take(ops.reshape(y_true, (shape[0], shape[1], -1)), flat, axis=-1)
        return ops.sum(ops.square(scores - targets), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"cells": [list(cell) for cell in self.cells]})
        return config
