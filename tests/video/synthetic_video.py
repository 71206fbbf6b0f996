"""Short synthetic videos written with PyAV, whose content changes at known times."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

RED = (220, 30, 30)
BLUE = (30, 30, 220)
GREEN = (30, 200, 30)


def write_video(path, segments, fps: int = 10, size: tuple[int, int] = (48, 32)) -> str:
    """Writes an MPEG-4 video of solid colours.

    Args:
        path: the .mp4 file to write.
        segments: (seconds, (r, g, b)) in order: each colour is shown for that long.
        fps: frames per second (timestamps are exact: frame i at i / fps).
        size: (width, height), both even.

    Returns:
        ``str(path)``.
    """
    import av

    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"qscale": "2"}
        index = 0
        for seconds, colour in segments:
            image = np.empty((height, width, 3), np.uint8)
            image[:] = colour
            for _ in range(round(seconds * fps)):
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = index
                index += 1
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)
