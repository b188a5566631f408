"""The small replay corpus the tests load into the local Reddit (tests/fixtures/replay/small)."""

from pathlib import Path

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "replay" / "small"
T0 = 1_767_225_600.0  # the small corpus starts here (2026-01-01T00:00:00Z)
