"""Versions, aliases and UpdateStateMachine actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sfnlocal.api.shapes import Params

__all__ = ["VERSION_ACTIONS"]

Handler = Callable[[Any, Params], Awaitable[dict[str, Any]]]
VERSION_ACTIONS: dict[str, Handler] = {}
