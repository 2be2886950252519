"""Map Runs of distributed Map states: DescribeMapRun, ListMapRuns, UpdateMapRun (checklist §13)."""

from __future__ import annotations

__all__ = ["MapRunsApi"]


class MapRunsApi:
    """Engine methods mixed into ``Engine`` (placeholder until the work lands)."""
