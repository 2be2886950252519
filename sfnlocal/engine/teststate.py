"""TestState: run one state of a definition and report its inspection data (checklist §13)."""

from __future__ import annotations

__all__ = ["TestStateApi"]


class TestStateApi:
    """Engine methods mixed into ``Engine`` (placeholder until the work lands)."""
