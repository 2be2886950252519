"""The TestState action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sfnlocal.api.shapes import Params

__all__ = ["TEST_STATE_ACTIONS"]

Handler = Callable[[Any, Params], Awaitable[dict[str, Any]]]
TEST_STATE_ACTIONS: dict[str, Handler] = {}
