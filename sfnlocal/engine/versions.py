"""State machine versions, aliases and UpdateStateMachine revisions (checklist §13)."""

from __future__ import annotations

__all__ = ["VersionsApi"]


class VersionsApi:
    """Engine methods mixed into ``Engine`` (placeholder until the work lands)."""
