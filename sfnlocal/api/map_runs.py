"""The Map Run actions (DescribeMapRun, ListMapRuns, UpdateMapRun)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sfnlocal.api.shapes import Params

__all__ = ["MAP_RUN_ACTIONS"]

Handler = Callable[[Any, Params], Awaitable[dict[str, Any]]]
MAP_RUN_ACTIONS: dict[str, Handler] = {}
