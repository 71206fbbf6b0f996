"""Where 2D-TAN's sparse sampling puts each stride level's diagonals, and its masked-conv bookkeeping."""

from __future__ import annotations

import numpy as np

from clear_tf import moments


def sparse_diagonals(pooling_counts) -> list[list[tuple[int, int]]]:
    """(stride, offset) of every sampled diagonal, grouped by stride level.

    The rule of ``clear_tf.moments.sparse_mask``: level 0 holds the main diagonal and
    ``pooling_counts[0]`` diagonals at offsets 1, 2, ... (stride 1); level s > 0 holds
    ``pooling_counts[s]`` diagonals of stride 2^s, each 2^s further than the last.
    2D-TAN's ``NUM_SCALE_LAYERS`` [16, 8, 8, 8] is ``pooling_counts`` (15, 8, 8, 8):
    its first level counts the main diagonal.

    Returns:
        One list per level of (stride, offset) pairs; cell (t·stride, t·stride + offset)
        for t = 0, 1, ... lies on that diagonal.

    >>> [[offset for _, offset in level] for level in sparse_diagonals([3, 2, 2])]
    [[0, 1, 2, 3], [5, 7], [11, 15]]
    """
    levels = [[(1, 0)]]
    stride, offset = 1, 0
    for level, count in enumerate(pooling_counts):
        if level:
            levels.append([])
        for _ in range(int(count)):
            offset += stride
            levels[-1].append((stride, offset))
        stride *= 2
    return levels


def conv_schedule(pooling_counts) -> list[tuple[int, int, int, int]]:
    """2D-TAN Conv's 1D convolutions, one per sampled diagonal, in order.

    Level 0 starts with a kernel-1 convolution (the one-clip moments), every further
    level with a kernel-3, stride-2 one (half the positions, two old steps longer);
    every other convolution has kernel 2, stride 1 (one step longer). Output t of a
    convolution spans exactly the clips of the moment (t·stride, t·stride + offset).

    Returns:
        (kernel, conv_stride, diagonal_stride, offset) per convolution.
    """
    schedule = []
    for level, diagonals in enumerate(sparse_diagonals(pooling_counts)):
        for index, (stride, offset) in enumerate(diagonals):
            if index:
                kernel, conv_stride = 2, 1
            else:
                kernel, conv_stride = (1, 1) if level == 0 else (3, 2)
            schedule.append((kernel, conv_stride, stride, offset))
    return schedule


def max_offset(pooling_counts) -> int:
    """The longest sampled moment minus one: the offset of the last diagonal."""
    return max(offset for level in sparse_diagonals(pooling_counts) for _, offset in level)


def check_pooling_counts(pooling_counts, num_clips: int, flag: str = "pooling_counts") -> None:
    """Raises ``ValueError`` unless every sampled diagonal fits an L×L map, none wasted."""
    counts = [int(c) for c in pooling_counts]
    if not counts or any(c < 1 for c in counts):
        raise ValueError(f"--{flag} needs positive counts, got {list(pooling_counts)}")
    if max_offset(counts) >= num_clips:
        raise ValueError(
            f"--{flag}={','.join(map(str, counts))} samples moments of up to "
            f"{max_offset(counts) + 1} clips, more than --num_clips={num_clips} "
            f"(TACoS L = 128: 15,8,8,8; ActivityNet L = 64: 15,8,8; L = 32: 15,8)"
        )


def tan2d_candidates(num_clips: int, pooling_counts) -> np.ndarray:
    """2D-TAN's candidate set: the sparse sampling, bool [L, L] (``moments.sparse_mask``)."""
    return moments.sparse_mask(num_clips, tuple(int(c) for c in pooling_counts))


def masked_conv_weights(mask: np.ndarray, kernel_size: int, padding: int) -> tuple[np.ndarray, np.ndarray]:
    """The mask after one convolution and the weight 2D-TAN multiplies its output by.

    2D-TAN (and CDN) follow every map convolution by a multiplication with 1/n, n the
    number of cells of the incoming mask inside the cell's K×K window (0 where there is
    none), and the outgoing mask is where n > 0: the mask grows by the kernel's reach
    at every layer, and each output is the average over the valid cells it saw.

    Args:
        mask: bool [H, W], the cells holding valid features before the convolution.
        kernel_size: K (stride 1, dilation 1).
        padding: zeros added on every side before the (valid) convolution.

    Returns:
        ``(mask, weight)``: bool and float32 [H + 2·padding - K + 1, same].

    >>> import numpy as np
    >>> mask = np.eye(3, dtype=bool)  # three one-clip moments
    >>> grown, weight = masked_conv_weights(mask, kernel_size=3, padding=1)
    >>> weight  # 1/n, n the valid cells in each 3×3 window
    array([[0.5       , 0.5       , 1.        ],
           [0.5       , 0.33333334, 0.5       ],
           [1.        , 0.5       , 0.5       ]], dtype=float32)
    """
    padded = np.pad(np.asarray(mask, dtype=np.float64), padding)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel_size, kernel_size))
    counts = np.rint(windows.sum(axis=(-2, -1)))
    weight = np.where(counts > 0, 1.0 / np.maximum(counts, 1.0), 0.0)
    return counts > 0, weight.astype(np.float32)
