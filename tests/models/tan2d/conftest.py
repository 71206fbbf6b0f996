"""2D-TAN tests: the tiny random text preset (``tests/tiny_text_preset.py``) and the shared checks."""

import pathlib
import sys

# The session fixture ``tiny_text_preset`` comes from tests/conftest.py.
TAN2D_TESTS = pathlib.Path(__file__).resolve().parents[1] / "tan2d"
if str(TAN2D_TESTS) not in sys.path:
    sys.path.insert(0, str(TAN2D_TESTS))
