"""SLTA tests: the tiny random text preset (``tests/tiny_text_preset.py``) and the 2D-TAN checks."""

import pathlib
import sys

# The session fixture ``tiny_text_preset`` comes from tests/conftest.py; the shared
# checks of the map models live in tests/models/tan2d/map_model_checks.py.
TAN2D_TESTS = pathlib.Path(__file__).resolve().parents[1] / "tan2d"
if str(TAN2D_TESTS) not in sys.path:
    sys.path.insert(0, str(TAN2D_TESTS))
