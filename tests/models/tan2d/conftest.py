"""2D-TAN tests: the tiny random text preset (``tests/models/tiny_text_preset.py``) and the shared checks."""

import pathlib
import sys

MODELS_TESTS = pathlib.Path(__file__).resolve().parents[1]
for folder in (MODELS_TESTS, MODELS_TESTS / "tan2d"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from tiny_text_preset import tiny_text_preset  # noqa: E402,F401  (session fixture)
